"""Registry reads. Record-level rules (own record, own department) live in the service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from smartgov.core.errors import NotFound
from smartgov.core.i18n import N_
from smartgov.core.models import User
from smartgov.core.roles import Permission
from smartgov.exchange import service
from smartgov.exchange.schemas import DistrictFigures, EnterpriseOut, PersonRecordOut
from smartgov.web.deps import SessionDep, require

router = APIRouter(tags=["registries"])


def _person_out(record: dict[str, object]) -> PersonRecordOut:
    return PersonRecordOut.model_validate(record, from_attributes=True)


@router.get("/me/record")
def my_record(
    session: SessionDep, user: Annotated[User, require(Permission.own_record_read)]
) -> PersonRecordOut | EnterpriseOut:
    """The registry entry the signed-in citizen or enterprise stands for."""
    if user.person_id is not None:
        return _person_out(service.read_person_as(session, user=user, person_id=user.person_id))
    if user.enterprise_id is not None:
        return EnterpriseOut.model_validate(
            service.read_enterprise_as(session, user=user, enterprise_id=user.enterprise_id)
        )
    raise NotFound(N_("This account is not linked to a registry entry."))


@router.get("/registry/people/{person_id}")
def person(
    person_id: int,
    session: SessionDep,
    user: Annotated[User, require(Permission.registry_read)],
) -> PersonRecordOut:
    return _person_out(service.read_person_as(session, user=user, person_id=person_id))


@router.get("/registry/enterprises/{enterprise_id}")
def enterprise(
    enterprise_id: int,
    session: SessionDep,
    user: Annotated[User, require(Permission.registry_read)],
) -> EnterpriseOut:
    return EnterpriseOut.model_validate(
        service.read_enterprise_as(session, user=user, enterprise_id=enterprise_id)
    )


@router.get("/statistics/districts", dependencies=[require(Permission.statistics_read)])
def districts(session: SessionDep) -> list[DistrictFigures]:
    """Population figures per district; aggregates only, no individual rows."""
    return [DistrictFigures(**row) for row in service.population_by_district(session)]
