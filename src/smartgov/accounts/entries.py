"""The accounts capability's ledger entry: who gave which account which powers, or
took them away. Accounts are named by number; usernames and addresses stay off the log."""

from __future__ import annotations

from typing import Literal

from smartgov.ledger.kinds import Entry, register


class AccountEntry(Entry):
    kind: Literal["account"]
    action: Literal["create", "change", "disable", "enable", "password_reset", "sessions_ended"]
    account: str  # user:<id>
    by: str  # user:<id> of the administrator, or "operator" (the command line)
    role: str
    department: str | None


register("account", AccountEntry)
