"""rules capability: services as code and their evaluation (issue 3)."""

from smartgov.core.capabilities import Capability, NavEntry
from smartgov.core.i18n import N_
from smartgov.rules import permissions

CAPABILITY = Capability(
    name="rules",
    permissions=permissions.HELD,
    api="smartgov.rules.api:router",
    pages="smartgov.rules.pages:router",
    templates=True,
    cli="smartgov.rules.cli:rules_app",
    commands={"simulate": "smartgov.rules.cli:simulate"},
    checks=("smartgov.rules.service:deployment_findings",),
    consumer_names={"service": "smartgov.rules.service:service_names"},
    labels="smartgov.rules.labels:LABELS",
    navigation=(NavEntry("/services", N_("Services"), order=10),),
)
