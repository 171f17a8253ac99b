"""exchange capability: the catalogue, providers, grants and every read of a city's
registries."""

from smartgov.core.capabilities import Capability, NavEntry
from smartgov.core.i18n import N_
from smartgov.exchange import entries as entries  # declares its ledger entry kinds
from smartgov.exchange import permissions

CAPABILITY = Capability(
    name="exchange",
    permissions=permissions.HELD,
    models=("smartgov.exchange.models",),
    api="smartgov.exchange.api:router",
    pages="smartgov.exchange.pages:router",
    templates=True,
    cli="smartgov.exchange.cli:exchange_app",
    checks=("smartgov.exchange.registries:deployment_findings",),
    labels="smartgov.exchange.labels:LABELS",
    navigation=(
        # Officers decide requests for their department's data; administrators do not.
        NavEntry(
            "/grant-requests",
            N_("Data requests"),
            permissions.GRANTS_MANAGE,
            roles=("department_officer",),
            order=50,
        ),
        NavEntry("/me/accesses", N_("Who used my data"), permissions.OWN_RECORD_READ, order=60),
        NavEntry("/catalogue", N_("Data catalogue"), order=70),
    ),
)
