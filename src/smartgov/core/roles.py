"""Roles and the permissions they carry. Every route names one permission."""

from __future__ import annotations

from enum import StrEnum

from smartgov.core import capabilities
from smartgov.core.i18n import N_


class Role(StrEnum):
    citizen = "citizen"
    enterprise = "enterprise"
    counter_officer = "counter_officer"
    department_officer = "department_officer"
    reviewer = "reviewer"
    auditor = "auditor"
    analyst = "analyst"
    administrator = "administrator"


class Permission(StrEnum):
    """Core's permissions; the capabilities' are strings they declare ("cases.apply")."""

    public = "public"  # anyone, signed in or not
    signed_in = "signed_in"  # any account
    users_read = "users.read"
    users_manage = "users.manage"


#: Roles whose accounts belong to a department; their record access is limited to it.
STAFF_ROLES = frozenset(
    {Role.counter_officer, Role.department_officer, Role.reviewer, Role.administrator}
)

#: Core's own permissions (accounts); each capability declares its own with the roles
#: that hold them (``Capability.permissions``, in its ``permissions`` module).
GRANTS: dict[Role, frozenset[Permission]] = {
    Role.auditor: frozenset({Permission.users_read}),
    Role.administrator: frozenset({Permission.users_read, Permission.users_manage}),
}


def allows(role: Role, permission: Permission | str) -> bool:
    """Whether ``role`` holds ``permission``: one of core's, or one a capability
    declared (``Capability.permissions``); anything else is held by no one."""
    if permission in (Permission.public, Permission.signed_in):
        return True
    if permission in GRANTS.get(role, frozenset()):
        return True
    return str(role) in capabilities.granted().get(str(permission), frozenset())


ROLE_LABELS = {
    Role.citizen: N_("Citizen"),
    Role.enterprise: N_("Enterprise representative"),
    Role.counter_officer: N_("Counter officer"),
    Role.department_officer: N_("Department officer"),
    Role.reviewer: N_("Reviewer"),
    Role.auditor: N_("Auditor"),
    Role.analyst: N_("Analyst"),
    Role.administrator: N_("Administrator"),
}
