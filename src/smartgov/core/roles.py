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
    public = "public"  # anyone, signed in or not
    signed_in = "signed_in"  # any account
    own_record_read = "own_record.read"  # a citizen's or enterprise's own registry entry
    registry_read = "registry.read"  # a department's own registries
    counter_lookup = "counter.lookup"  # find a person to serve at a counter
    statistics_read = "statistics.read"  # aggregate figures, no individual rows
    rules_decide = "rules.decide"  # decide a case from given facts, with its trace
    rules_simulate = "rules.simulate"  # run reforms over the whole population
    catalogue_manage = "catalogue.manage"  # register a department's datasets
    sources_manage = "sources.manage"  # declare where departments' registries are kept
    grants_read = "grants.read"  # see who may read which registry fields
    grants_manage = "grants.manage"  # grant or revoke access to a department's datasets
    exchange_fetch = "exchange.fetch"  # read a subject's fields, within one's grants
    cases_apply = "cases.apply"  # apply for a service, for oneself or (counter) others
    cases_read = "cases.read"  # see cases one applied for, submitted, or one's department's
    cases_review = "cases.review"  # decide cases of one's department waiting for a person
    cases_metrics = "cases.metrics"  # case figures: automation, times, overrides, appeals
    cases_manage = "cases.manage"  # train check models, open alerts, run sweeps
    users_read = "users.read"
    users_manage = "users.manage"


#: Roles whose accounts belong to a department; their record access is limited to it.
STAFF_ROLES = frozenset(
    {Role.counter_officer, Role.department_officer, Role.reviewer, Role.administrator}
)

GRANTS: dict[Role, frozenset[Permission]] = {
    Role.citizen: frozenset(
        {Permission.own_record_read, Permission.cases_apply, Permission.cases_read}
    ),
    Role.enterprise: frozenset(
        {Permission.own_record_read, Permission.cases_apply, Permission.cases_read}
    ),
    Role.counter_officer: frozenset(
        {
            Permission.counter_lookup,
            Permission.rules_decide,
            Permission.exchange_fetch,
            Permission.cases_apply,
            Permission.cases_read,
        }
    ),
    Role.department_officer: frozenset(
        {
            Permission.registry_read,
            Permission.statistics_read,
            Permission.rules_decide,
            Permission.catalogue_manage,
            Permission.grants_read,
            Permission.grants_manage,
            Permission.exchange_fetch,
            Permission.cases_read,
            Permission.cases_metrics,
            Permission.cases_manage,
        }
    ),  # fmt: skip
    Role.reviewer: frozenset(
        {
            Permission.registry_read,
            Permission.exchange_fetch,
            Permission.cases_read,
            Permission.cases_review,
            Permission.cases_metrics,
        }
    ),
    Role.auditor: frozenset(
        {
            Permission.users_read,
            Permission.statistics_read,
            Permission.grants_read,
            Permission.cases_metrics,
        }
    ),
    Role.analyst: frozenset(
        {
            Permission.statistics_read,
            Permission.rules_decide,
            Permission.rules_simulate,
            Permission.cases_metrics,
        }
    ),
    Role.administrator: frozenset(
        {
            Permission.users_read,
            Permission.users_manage,
            Permission.statistics_read,
            Permission.catalogue_manage,
            Permission.sources_manage,
            Permission.grants_read,
            Permission.grants_manage,
            Permission.cases_metrics,
        }
    ),  # fmt: skip
}


def allows(role: Role, permission: Permission | str) -> bool:
    """Whether ``role`` holds ``permission``: one of core's, or one a capability
    declared (``Capability.permissions``); anything else is held by no one."""
    if permission in (Permission.public, Permission.signed_in):
        return True
    if permission in GRANTS[role]:
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
