"""The permissions the cases capability declares, with the roles that hold them:
routes name them in ``require``; ``core.roles.allows`` finds them through the
capability registry."""

from __future__ import annotations

from smartgov.core.roles import Role

CASES_APPLY = "cases.apply"  # apply for a service, for oneself or (counter) others
CASES_READ = "cases.read"  # see cases one applied for, submitted, or one's department's
CASES_REVIEW = "cases.review"  # decide cases of one's department waiting for a person
CASES_METRICS = "cases.metrics"  # case figures: automation, times, overrides, appeals
CASES_MANAGE = "cases.manage"  # train check models, open alerts, run sweeps

HELD: dict[str, tuple[Role, ...]] = {
    CASES_APPLY: (Role.citizen, Role.enterprise, Role.counter_officer),
    CASES_READ: (
        Role.citizen,
        Role.enterprise,
        Role.counter_officer,
        Role.department_officer,
        Role.reviewer,
    ),
    CASES_REVIEW: (Role.reviewer,),
    CASES_METRICS: (
        Role.department_officer,
        Role.reviewer,
        Role.auditor,
        Role.analyst,
        Role.administrator,
    ),
    CASES_MANAGE: (Role.department_officer,),
}
