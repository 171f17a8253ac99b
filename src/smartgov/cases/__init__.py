"""cases capability: applications, decisions and reviews (issue 5)."""

from smartgov.cases import entries as entries  # declares its ledger entry kinds
from smartgov.core.capabilities import Capability

CAPABILITY = Capability(
    name="cases",
    models=("smartgov.cases.models",),
    api="smartgov.cases.api:router",
    pages="smartgov.cases.pages:router",
    templates=True,
    cli="smartgov.cases.cli:cases_app",
    commands={"worker": "smartgov.cases.cli:worker"},
)
