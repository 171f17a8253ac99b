"""ledger capability: the RFC 9162 transparency log (issue 4)."""

from smartgov.core.capabilities import Capability, NavEntry
from smartgov.core.i18n import N_

CAPABILITY = Capability(
    name="ledger",
    models=("smartgov.ledger.models",),
    api="smartgov.ledger.api:router",
    pages="smartgov.ledger.pages:router",
    templates=True,
    static=True,
    cli="smartgov.ledger.cli:ledger_app",
    jobs={"checkpoints": "smartgov.ledger.schedule:in_server"},
    # The ledger is public; the link is the auditor's (others reach it by the footer).
    navigation=(NavEntry("/ledger", N_("Ledger"), roles=("auditor",), order=85),),
)
