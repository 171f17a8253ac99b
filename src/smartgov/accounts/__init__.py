"""accounts capability: account administration by the administrators (and the
`smartgov users` commands), each change an `account` entry in the ledger."""

from smartgov.accounts import entries as entries  # declares its ledger entry kind
from smartgov.core.capabilities import Capability, NavEntry
from smartgov.core.i18n import N_
from smartgov.core.roles import Permission

CAPABILITY = Capability(
    name="users",  # `smartgov users ...`
    api="smartgov.accounts.api:router",
    pages="smartgov.accounts.pages:router",
    templates=True,
    cli="smartgov.accounts.cli:users_app",
    navigation=(NavEntry("/accounts", N_("Accounts"), Permission.users_read, order=90),),
)
