"""The permissions the exchange capability declares, with the roles that hold them:
routes name them in ``require``; ``core.roles.allows`` finds them through the
capability registry."""

from __future__ import annotations

from smartgov.core.roles import Role

OWN_RECORD_READ = "own_record.read"  # a citizen's or enterprise's own registry entry
REGISTRY_READ = "registry.read"  # a department's own registries
COUNTER_LOOKUP = "counter.lookup"  # find a person to serve at a counter
STATISTICS_READ = "statistics.read"  # aggregate figures, no individual rows
CATALOGUE_MANAGE = "catalogue.manage"  # register a department's datasets
SOURCES_MANAGE = "sources.manage"  # declare where departments' registries are kept
GRANTS_READ = "grants.read"  # see who may read which registry fields
GRANTS_MANAGE = "grants.manage"  # grant or revoke access to a department's datasets
EXCHANGE_FETCH = "exchange.fetch"  # read a subject's fields, within one's grants

HELD: dict[str, tuple[Role, ...]] = {
    OWN_RECORD_READ: (Role.citizen, Role.enterprise),
    REGISTRY_READ: (Role.department_officer, Role.reviewer),
    COUNTER_LOOKUP: (Role.counter_officer,),
    STATISTICS_READ: (Role.department_officer, Role.auditor, Role.analyst, Role.administrator),
    CATALOGUE_MANAGE: (Role.department_officer, Role.administrator),
    SOURCES_MANAGE: (Role.administrator,),
    GRANTS_READ: (Role.department_officer, Role.auditor, Role.administrator),
    GRANTS_MANAGE: (Role.department_officer, Role.administrator),
    EXCHANGE_FETCH: (Role.counter_officer, Role.department_officer, Role.reviewer),
}
