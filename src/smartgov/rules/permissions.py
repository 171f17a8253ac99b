"""The permissions the rules capability declares, with the roles that hold them:
routes name them in ``require``; ``core.roles.allows`` finds them through the
capability registry."""

from __future__ import annotations

from smartgov.core.roles import Role

RULES_DECIDE = "rules.decide"  # decide a case from given facts, with its trace
RULES_SIMULATE = "rules.simulate"  # run reforms over the whole population

HELD: dict[str, tuple[Role, ...]] = {
    RULES_DECIDE: (Role.counter_officer, Role.department_officer, Role.analyst),
    RULES_SIMULATE: (Role.analyst,),
}
