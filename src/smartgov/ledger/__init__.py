"""ledger capability: the RFC 9162 transparency log (issue 4)."""

from smartgov.core.capabilities import Capability

CAPABILITY = Capability(
    name="ledger",
    models=("smartgov.ledger.models",),
    api="smartgov.ledger.api:router",
    pages="smartgov.ledger.pages:router",
    templates=True,
    cli="smartgov.ledger.cli:ledger_app",
    jobs={"checkpoints": "smartgov.ledger.schedule:in_server"},
)
