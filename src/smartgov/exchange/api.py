"""Registry reads, the catalogue, grants, purpose-bound fetches, the peer-node endpoint
and the citizen's "who used my data". Record-level rules live in the service."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from smartgov.core.db import Natural
from smartgov.core.errors import DomainError, NotFound, error_body
from smartgov.core.i18n import N_
from smartgov.core.models import User
from smartgov.core.roles import Permission
from smartgov.exchange import catalogue, grants, remote, service, sources
from smartgov.exchange.models import Access, Dataset, PopulationRead, Source
from smartgov.exchange.permissions import (
    CATALOGUE_MANAGE,
    COUNTER_LOOKUP,
    EXCHANGE_FETCH,
    GRANTS_MANAGE,
    GRANTS_READ,
    OWN_RECORD_READ,
    REGISTRY_READ,
    SOURCES_MANAGE,
    STATISTICS_READ,
)
from smartgov.exchange.schemas import (
    AccessOut,
    AllowanceIn,
    AllowanceOut,
    ApproveIn,
    CounterIn,
    CounterOut,
    DatasetIn,
    DistrictFigures,
    EnterpriseOut,
    FetchIn,
    FetchOut,
    GrantIn,
    GrantOut,
    GrantRequestOut,
    PersonRecordOut,
    PopulationReadOut,
    PrivateStatisticIn,
    PrivateStatisticOut,
    RefuseIn,
    SourceIn,
    SourceOut,
)
from smartgov.web.deps import SessionDep, SettingsDep, require

router = APIRouter()  # each route names its one tag, so /docs lists it once


def _person_out(record: dict[str, object]) -> PersonRecordOut:
    return PersonRecordOut.model_validate(record, from_attributes=True)


@router.get("/me/record", tags=["registries"])
def my_record(
    session: SessionDep,
    settings: SettingsDep,
    user: Annotated[User, require(OWN_RECORD_READ)],
) -> PersonRecordOut | EnterpriseOut:
    """The registry entry the signed-in citizen or enterprise stands for."""
    if user.person_id is not None:
        return _person_out(
            service.read_person_as(session, settings, user=user, person_id=user.person_id)
        )
    if user.enterprise_id is not None:
        return EnterpriseOut.model_validate(
            service.read_enterprise_as(
                session, settings, user=user, enterprise_id=user.enterprise_id
            )
        )
    raise NotFound(N_("This account is not linked to a registry entry."))


@router.get("/registry/people/{person_id}", tags=["registries"])
def person(
    person_id: Natural,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: Annotated[User, require(REGISTRY_READ)],
) -> PersonRecordOut:
    return _person_out(
        service.read_person_as(
            session,
            settings,
            user=user,
            person_id=person_id,
            recorder=request.app.state.recorder,
        )
    )


@router.get("/registry/enterprises/{enterprise_id}", tags=["registries"])
def enterprise(
    enterprise_id: Natural,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: Annotated[User, require(REGISTRY_READ)],
) -> EnterpriseOut:
    return EnterpriseOut.model_validate(
        service.read_enterprise_as(
            session,
            settings,
            user=user,
            enterprise_id=enterprise_id,
            recorder=request.app.state.recorder,
        )
    )


@router.get("/statistics/districts", tags=["registries"])
def districts(
    request: Request, session: SessionDep, settings: SettingsDep,
    user: Annotated[User, require(STATISTICS_READ)],
) -> list[DistrictFigures]:  # fmt: skip
    """Population figures per district, read through the exchange under your grants for
    official statistics (the read is listed at ``/statistics/population-reads``);
    aggregates only, a count below 10 withheld (null)."""
    found = service.population_by_district(
        session, settings, user, cache=service.population_cache(request.app.state)
    )
    assert found is not None  # refused (and recorded) when not granted
    return [DistrictFigures(**row) for row in found]


# --- Catalogue --------------------------------------------------------------------------


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


@router.get("/catalogue", dependencies=[require(Permission.public)], tags=["exchange"])
def dcat_catalogue(request: Request, session: SessionDep) -> dict[str, Any]:
    """Every dataset the departments publish, as DCAT (JSON-LD): metadata, never rows."""
    return catalogue.dcat_catalogue(session, _base(request))


@router.get("/catalogue/{code}", dependencies=[require(Permission.public)], tags=["exchange"])
def dcat_dataset(code: str, request: Request, session: SessionDep) -> dict[str, Any]:
    dataset = session.get(Dataset, code)
    if dataset is None:
        raise NotFound(N_("No dataset has this code."))
    listed = catalogue.fields_of(session, [code])[code]
    return catalogue.dcat_dataset(dataset, listed, _base(request))


@router.post("/catalogue", status_code=201, tags=["exchange"])
def register(
    body: DatasetIn,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: Annotated[User, require(CATALOGUE_MANAGE)],
) -> dict[str, Any]:
    """Register or replace one of your department's datasets; the change is logged."""
    dataset = service.register_dataset(session, settings, body, actor=user)
    listed = catalogue.fields_of(session, [dataset.code])[dataset.code]
    return catalogue.dcat_dataset(dataset, listed, _base(request))


@router.get("/exchange/sources", dependencies=[require(GRANTS_READ)], tags=["exchange"])
def list_sources(session: SessionDep) -> list[SourceOut]:
    """Where the departments' registries are kept: the only places datasets may read."""
    return [source_out(s) for s in sources.listing(session)]


@router.post("/exchange/sources", status_code=201, tags=["exchange"])
def declare_source(
    body: SourceIn, session: SessionDep, user: Annotated[User, require(SOURCES_MANAGE)]
) -> SourceOut:
    """Declare a table, view or file as a department's registry (administrators)."""
    made = sources.declare(
        session, kind=body.kind, name=body.name, department=body.department, url=body.url,
        actor=user,
    )  # fmt: skip
    return source_out(made)


@router.delete("/exchange/sources/{source_id}", tags=["exchange"])
def withdraw_source(
    source_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    session: SessionDep,
    user: Annotated[User, require(SOURCES_MANAGE)],
) -> SourceOut:
    return source_out(sources.withdraw(session, source_id, actor=user))


def source_out(source: Source) -> SourceOut:
    return SourceOut(
        id=source.id, kind=source.kind, name=source.name, remote=bool(source.url),
        department_code=source.department_code, declared_by=source.declared_by,
        declared_at=source.declared_at,
    )  # fmt: skip


# --- Grants -----------------------------------------------------------------------------


@router.get("/grants", dependencies=[require(GRANTS_READ)], tags=["exchange"])
def list_grants(session: SessionDep, ended: bool = False) -> list[GrantOut]:
    """Grants in force (with ``ended=true``, revoked and expired ones as well)."""
    return [GrantOut.model_validate(g) for g in grants.listing(session, include_ended=ended)]


@router.post("/grants", status_code=201, tags=["exchange"])
def create_grant(
    body: GrantIn, session: SessionDep, user: Annotated[User, require(GRANTS_MANAGE)]
) -> GrantOut:
    return GrantOut.model_validate(grants.create(session, body, actor=user))


@router.delete("/grants/{grant_id}", tags=["exchange"])
def revoke_grant(
    grant_id: Natural, session: SessionDep, user: Annotated[User, require(GRANTS_MANAGE)]
) -> GrantOut:
    return GrantOut.model_validate(grants.revoke(session, grant_id, actor=user))


@router.get("/grant-requests", tags=["exchange"])
def list_grant_requests(
    session: SessionDep,
    user: Annotated[User, require(GRANTS_READ)],
    status: Annotated[str | None, Query(pattern="^(pending|approved|refused|withdrawn)$")] = None,
    department: Annotated[str | None, Query(max_length=32)] = None,
) -> list[GrantRequestOut]:
    """What services asked to read, newest first, with each decision."""
    found = service.grant_requests(session, department=department, status=status)
    return [GrantRequestOut.model_validate(r) for r in found]


@router.post("/grant-requests/{request_id}/approve", tags=["exchange"])
def approve_grant_request(
    request_id: Natural, body: ApproveIn, session: SessionDep,
    user: Annotated[User, require(GRANTS_MANAGE)],
) -> GrantOut:  # fmt: skip
    """Approve a request of data your department keeps: the grant holds until
    `expires_at`, and is looked at again on `review_on`."""
    grant = service.approve_request(
        session, request_id, actor=user, expires_at=body.expires_at, review_on=body.review_on
    )
    return GrantOut.model_validate(grant)


@router.post("/grant-requests/{request_id}/refuse", tags=["exchange"])
def refuse_grant_request(
    request_id: Natural, body: RefuseIn, session: SessionDep,
    user: Annotated[User, require(GRANTS_MANAGE)],
) -> GrantRequestOut:  # fmt: skip
    """Refuse a request of data your department keeps, saying why."""
    return GrantRequestOut.model_validate(
        service.refuse_request(session, request_id, actor=user, reason=body.reason)
    )


# --- Reads --------------------------------------------------------------------------------


@router.post("/exchange/fetch", tags=["exchange"])
def fetch(
    body: FetchIn,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: Annotated[User, require(EXCHANGE_FETCH)],
) -> FetchOut:
    """Read one subject's fields for a purpose your grants allow. Secret fields are
    withheld and sensitive ones masked unless your grant reveals them. A case-bound
    purpose (`case-review`) needs `case`: an open case of your department about the
    subject. Counter lookups go through `POST /counter/lookup`, not here."""
    fetched = service.fetch(
        session, settings, consumer=service.Consumer.user(user),
        subject=service.Subject(body.subject.unit, body.subject.id), fields=body.fields,
        purpose=body.purpose, case=body.case, hold_until=body.hold_until,
        recorder=request.app.state.recorder, binding=request.app.state.case_binding,
    )  # fmt: skip
    values, masked, withheld = fetched.shown()
    return FetchOut(
        ledger_index=fetched.seq, subject=fetched.subject, values=values, masked=masked,
        withheld=withheld, datasets=fetched.datasets,
    )  # fmt: skip


@router.post("/counter/lookup", tags=["exchange"])
def counter_lookup(
    body: CounterIn,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: Annotated[User, require(COUNTER_LOOKUP)],
) -> CounterOut:
    """Who a person at the counter is: name, gender, birth year and district, found by
    their full resident ID number (the check digit must be right), never by a number
    one could count through. The read is in the person's "who used my data"."""
    return CounterOut(**service.counter_lookup(
        session, settings, user=user, resident_id=body.resident_id,
        recorder=request.app.state.recorder,
    ))  # fmt: skip


async def _raw_body(request: Request) -> bytes:
    return await request.body()


@router.post("/exchange/provide", dependencies=[require(Permission.public)], tags=["exchange"])
def provide(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    body: Annotated[bytes, Depends(_raw_body)],
) -> Response:
    """For peer nodes: a signed read of one of our datasets, answered signed. Access
    is checked by the peer's signature and its ``node`` grants, not by a login."""
    status = 200
    try:
        payload = service.provide(
            session, settings, request.app.state.nonces, headers=request.headers, body=body,
            recorder=request.app.state.recorder,
        )  # fmt: skip
    except DomainError as exc:  # answered signed too, so the peer can trust the refusal
        status, payload = exc.status, error_body(exc.code, exc.message, exc.fields)
    content = json.dumps(payload, default=str, separators=(",", ":")).encode()
    nonce = request.headers.get(remote.NONCE, "")
    headers = remote.sign_response(settings, nonce, content)
    return Response(content, status_code=status, media_type="application/json", headers=headers)


@router.get("/me/accesses", tags=["exchange"])
def my_accesses(
    session: SessionDep,
    settings: SettingsDep,
    user: Annotated[User, require(OWN_RECORD_READ)],
    before: Natural | None = None,
) -> list[AccessOut]:
    """Who read the signed-in citizen's or enterprise's data, when, why and what, newest
    first, 100 at a time (``before``: the oldest index already seen): the person's own
    records and their household's (`about`: person, household or enterprise). Each
    record links to the proof that it is in the public ledger."""
    subjects = service.own_subjects(session, user)
    if not subjects:
        raise NotFound(N_("This account is not linked to a registry entry."))
    about = {service.subject_index_of(settings, s): s.unit for s in subjects}
    found = service.accesses_to(session, settings, *subjects, before=before)
    return [access_out(a, about[a.subject]) for a in found]


def access_out(access: Access, about: str) -> AccessOut:
    return AccessOut(
        seq=access.seq, at=access.at, outcome=access.outcome, about=about,
        consumer_kind=access.consumer_kind, consumer=access.consumer,
        department_code=access.department_code, purpose=access.purpose,
        legal_basis=access.legal_basis, case_ref=access.case_ref, fields=access.fields,
        reason=access.reason, proof=f"/api/v1/ledger/proof/inclusion?index={access.seq}",
    )  # fmt: skip


@router.get(
    "/statistics/population-reads", dependencies=[require(Permission.public)], tags=["exchange"]
)
def population_reads(session: SessionDep, before: Natural | None = None) -> list[PopulationReadOut]:
    """Every whole population read for a statistical use (a reform's simulation), newest
    first, 100 at a time (``before``: the oldest index already seen): who, why, which
    fields and how many rows, each with the proof that it is in the public ledger."""
    return [read_out(r) for r in service.population_reads(session, before=before)]


def read_out(read: PopulationRead) -> PopulationReadOut:
    return PopulationReadOut(
        seq=read.seq, at=read.at, outcome=read.outcome, consumer=read.consumer,
        department_code=read.department_code, purpose=read.purpose, unit=read.unit,
        fields=read.fields, rows=read.rows,
        proof=f"/api/v1/ledger/proof/inclusion?index={read.seq}",
    )  # fmt: skip


@router.get("/statistics/allowances", tags=["exchange"])
def list_allowances(
    session: SessionDep, user: Annotated[User, require(STATISTICS_READ)]
) -> list[AllowanceOut]:
    """Who was given which part of each dataset's privacy budget, and how much is spent."""
    return [AllowanceOut.model_validate(a) for a in service.allowances(session)]


@router.post("/statistics/allowances", status_code=201, tags=["exchange"])
def give_allowance(
    body: AllowanceIn,
    session: SessionDep,
    user: Annotated[User, require(STATISTICS_READ)],
) -> AllowanceOut:
    """Give a role (`role:analyst`) or an account (`user:12`) part of a dataset's
    privacy budget, reserved from it at once. Only an officer of the department that
    keeps the dataset may (403); more than is left is refused (409)."""
    made = service.give_allowance(
        session, dataset_code=body.dataset, consumer=body.consumer, epsilon=body.epsilon, actor=user
    )
    return AllowanceOut.model_validate(made)


@router.post("/statistics/private", tags=["exchange"])
def private_statistic(
    body: PrivateStatisticIn,
    session: SessionDep,
    settings: SettingsDep,
    user: Annotated[User, require(STATISTICS_READ)],
) -> PrivateStatisticOut:
    """A count or mean over a whole dataset with differential privacy (OpenDP). An
    officer of the keeping department spends the dataset's budget; anyone else spends
    an allowance that department gave their account or role (403 without one). The
    release is logged; one beyond the budget or allowance is refused (409)."""
    bounds = None if body.lower is None or body.upper is None else (body.lower, body.upper)
    made = service.release_statistic(
        session, settings, dataset_code=body.dataset, statistic=body.statistic,
        field=body.field, epsilon=body.epsilon, bounds=bounds, user=user,
    )  # fmt: skip
    return PrivateStatisticOut(
        dataset=made.dataset, statistic=made.statistic, field=made.field, value=made.value,
        epsilon=made.epsilon, budget_left=made.budget_left, ledger_index=made.seq,
    )  # fmt: skip
