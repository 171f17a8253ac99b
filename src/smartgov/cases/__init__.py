"""cases capability: applications, decisions and reviews (issue 5)."""

from smartgov.cases import entries as entries  # declares its ledger entry kinds
from smartgov.core.capabilities import Capability, NavEntry
from smartgov.core.i18n import N_

CAPABILITY = Capability(
    name="cases",
    models=("smartgov.cases.models",),
    api="smartgov.cases.api:router",
    pages="smartgov.cases.pages:router",
    templates=True,
    cli="smartgov.cases.cli:cases_app",
    commands={"worker": "smartgov.cases.cli:worker"},
    navigation=(
        NavEntry("/me/cases", N_("My applications"), "cases.apply", order=20),
        NavEntry("/review", N_("Review queue"), "cases.review", order=30),
        NavEntry("/cases-metrics", N_("Case figures"), "cases.metrics", order=40),
    ),
)
