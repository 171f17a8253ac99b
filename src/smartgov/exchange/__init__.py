"""exchange capability: the catalogue, providers, grants and every read of a city's
registries."""

from smartgov.core.capabilities import Capability
from smartgov.exchange import entries as entries  # declares its ledger entry kinds

CAPABILITY = Capability(
    name="exchange",
    models=("smartgov.exchange.models",),
    api="smartgov.exchange.api:router",
    pages="smartgov.exchange.pages:router",
    templates=True,
    cli="smartgov.exchange.cli:exchange_app",
    checks=("smartgov.exchange.registries:deployment_findings",),
    labels="smartgov.exchange.labels:LABELS",
)
