"""cases capability: applications, decisions and reviews (issue 5)."""

from smartgov.cases import entries as entries  # declares its ledger entry kinds
from smartgov.cases import permissions
from smartgov.core.capabilities import Capability, NavEntry
from smartgov.core.i18n import N_

CAPABILITY = Capability(
    name="cases",
    permissions=permissions.HELD,
    models=("smartgov.cases.models",),
    api="smartgov.cases.api:router",
    pages="smartgov.cases.pages:router",
    templates=True,
    cli="smartgov.cases.cli:cases_app",
    commands={"worker": "smartgov.cases.cli:worker"},
    jobs={"case_worker": "smartgov.cases.jobs:in_server"},
    checks=("smartgov.cases.notify:deployment_findings",),
    navigation=(
        NavEntry("/me/cases", N_("My applications"), permissions.CASES_APPLY, order=20),
        NavEntry("/review", N_("Review queue"), permissions.CASES_REVIEW, order=30),
        NavEntry("/cases-metrics", N_("Case figures"), permissions.CASES_METRICS, order=40),
    ),
)
