"""The exchange's public functions: the city's registries as the platform sees them
(``registries``), the catalogue, grants, purpose-bound reads and the citizen's view of
who read their data."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import ValidationError
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from smartgov.core.clock import now, today
from smartgov.core.errors import FieldError, Forbidden, Invalid, NotFound, field_errors
from smartgov.core.i18n import N_
from smartgov.core.models import District, User
from smartgov.core.roles import Role
from smartgov.core.settings import Settings
from smartgov.exchange import (
    access,
    catalogue,
    grants,
    privacy,
    purposes,
    registries,
    remote,
    requests,
    sources,
)
from smartgov.exchange.models import Access, Dataset, Grant, PopulationRead
from smartgov.exchange.schemas import DatasetIn, GrantIn, ProvideIn


def registry_counts(session: Session) -> dict[str, int]:
    """How many people, households and enterprises the city's registers hold."""
    return registries.current().counts(session)


def find_person_id(session: Session, resident_id: str) -> int | None:
    return registries.current().find(session, "person", resident_id)


def find_enterprise_id(session: Session, credit_code: str) -> int | None:
    return registries.current().find(session, "enterprise", credit_code)


def household_of(session: Session, person_id: int) -> int | None:
    """The household a person is registered in (the subject of household services)."""
    return registries.current().households_of(session, [person_id]).get(person_id)


def unit_key(unit: str) -> str:
    """The column that identifies a row of a unit's population."""
    return registries.KEYS[unit]  # type: ignore[index]


ASK_AT_ONCE = 10_000  # people per households_of call (SQLite allows 32,766 parameters)


def accounts_for(session: Session, unit: str, keys: Sequence[int]) -> list[int]:
    """Accounts that stand for any of these subjects (a household: its members'). The
    accounts are few beside a population, so they are read whole and matched here."""
    wanted = set(keys)
    if unit == "enterprise":
        query = select(User.id, User.enterprise_id).where(User.enterprise_id.is_not(None))
    else:
        query = select(User.id, User.person_id).where(User.person_id.is_not(None))
    rows = session.execute(query.where(User.active.is_(True)))
    found = [(user_id, key) for user_id, key in rows if key is not None]
    if unit == "household":  # asked in slices: one statement's parameters are bounded
        people = [person for _, person in found]
        homes: dict[int, int] = {}
        for at in range(0, len(people), ASK_AT_ONCE):
            homes |= registries.current().households_of(session, people[at : at + ASK_AT_ONCE])
        found = [(user_id, homes[person]) for user_id, person in found if person in homes]
    return [user_id for user_id, key in found if key in wanted]


def subjects_of_account(session: Session, user: User) -> list[tuple[str, int]]:
    """The registry subjects an account may act for: itself, and its household."""
    if user.enterprise_id is not None:
        return [("enterprise", user.enterprise_id)]
    if user.person_id is None:
        return []
    found = [("person", user.person_id)]
    household = household_of(session, user.person_id)
    return found + ([("household", household)] if household is not None else [])


def account_of(session: Session, unit: str, key: int) -> int | None:
    """The account of a registry person or enterprise, if they have one."""
    column = User.enterprise_id if unit == "enterprise" else User.person_id
    return session.scalar(select(User.id).where(column == key, User.active.is_(True)).limit(1))


def population_by_district(
    session: Session, settings: Settings, user: User, *,
    cache: access.PopulationCache | None = None, if_granted: bool = False,
) -> list[dict[str, Any]] | None:  # fmt: skip
    """Residents, older residents, residents with a disability and the mean wage per
    district, read through the exchange under the user's grants for official
    statistics (listed publicly), every count below ``privacy.MIN_CELL`` withheld
    (None), with the mean that rests on it; aggregated by Arrow, not row by row.
    Without the grants the read is refused and recorded (``Refused``), or, with
    ``if_granted`` (a home page showing what it may), nothing is read: None.

    A home page shows the figures the process made in the last ``cache.seconds`` if
    there are any (the read that made them is in the public list) rather than reading
    the population again on every view; an explicit request always reads."""
    consumer = Consumer.user(user)
    purpose = purposes.OFFICIAL_STATISTICS
    wanted = list(purposes.DISTRICT_FIELDS)
    if if_granted and not set(wanted) <= set(
        grants.granted_fields(session, consumer, purpose, "person")
    ):
        return None
    made = ("district-figures", tuple(wanted))
    if if_granted and cache is not None and (shown := cache.get(made)) is not None:
        return shown.to_pylist()  # type: ignore[no-any-return]
    data = access.read_population(
        session, settings, consumer=consumer, unit="person", fields=wanted, purpose=purpose,
        per_subject=False, cache=cache,
    )  # fmt: skip
    older = pc.less_equal(pc.year(data["birth_date"]), today().year - 60)
    employed = pc.equal(data["employment"], "employed")
    flags = pa.table({
        "district": data["district_code"],
        "older": pc.cast(older, pa.int64()),
        "disabled": pc.cast(pc.greater(data["disability_grade"], 0), pa.int64()),
        "employed": pc.cast(employed, pa.int64()),
        "wage": pc.if_else(employed, data["monthly_income"], None),
    })  # fmt: skip
    grouped = flags.group_by("district").aggregate([
        ("district", "count"), ("older", "sum"), ("disabled", "sum"), ("employed", "sum"),
        ("wage", "mean"),
    ]).to_pydict()  # fmt: skip
    found = {code: i for i, code in enumerate(grouped["district"])}
    figures = []
    for district in session.scalars(select(District).order_by(District.code)):
        at = found.get(district.code)

        def cell(column: str, at: int | None = at) -> int | None:
            count = 0 if at is None else int(grouped[column][at] or 0)
            return None if 0 < count < privacy.MIN_CELL else count

        wage = None if at is None or cell("employed_sum") is None else grouped["wage_mean"][at]
        figures.append({
            "code": district.code, "name_zh": district.name_zh, "name_en": district.name_en,
            "people": cell("district_count"), "aged_60_plus": cell("older_sum"),
            "with_disability": cell("disabled_sum"),
            "mean_wage": round(float(wage)) if wage is not None else None,
        })  # fmt: skip
    if cache is not None:
        cache.put(made, pa.Table.from_pylist(figures))
    return figures


def registries_of(department_code: str | None) -> list[str]:
    """The registers (people, households, enterprises) a department keeps: its staff
    open their records, and no one else's; the city's registries say which."""
    keepers = registries.current().keepers
    return [name for name, keeper in keepers.items() if keeper == department_code]


def _check_access(user: User, *, registry: str, own: bool, subject_role: Role) -> None:
    if own or registry in registries_of(user.department_code):
        return
    # A citizen asking for someone else's record learns nothing, not even that it exists.
    if user.role == subject_role:
        raise NotFound()
    raise Forbidden(N_("Your department does not keep this registry."))


KEEPER_PURPOSE = "registry-administration"
#: What a keeper's read of a person shows of each member of the household: the
#: household register, as on the booklet every household holds; nobody's income.
MEMBER_FIELDS = ("id", "name", "gender", "birth_date", "relation")


def _keeper_reads(
    session: Session, settings: Settings, user: User, unit: str, keys: list[int],
    recorder: access.Recorder,
) -> list[dict[str, Any]]:  # fmt: skip
    """A keeper's read of whole records: the fields its grants for administering the
    registry name, read through the exchange like any other read (grant-checked,
    provider-backed, one access record per subject). Fields kept by other departments
    are not among them, so they are not shown."""
    consumer = grants.Consumer.user(user)
    wanted = grants.granted_fields(session, consumer, KEEPER_PURPOSE, unit)
    if not wanted:
        raise Forbidden(N_("No grant lets you administer this registry."))
    read = access.fetch_many(
        session, settings, consumer=consumer, subjects=[Subject(unit, k) for k in keys],
        fields=wanted, purpose=KEEPER_PURPOSE, recorder=recorder,
    )  # fmt: skip
    found = []
    for key, result in zip(keys, read, strict=True):
        if isinstance(result, access.Refused):
            raise result
        values, _masked, _withheld = result.shown()
        found.append({**values, "id": key})
    return found


def read_person_as(
    session: Session,
    settings: Settings,
    *,
    user: User,
    person_id: int,
    recorder: access.Recorder = access.in_transaction,
) -> dict[str, Any]:
    """A person's record, if this user may see it: citizens only their own, staff only
    registries their department keeps. Unknown and forbidden look the same to a citizen.
    A keeper sees what its grants name, read through the exchange for the person and
    every member shown with them, each of whom finds the read on their own page."""
    own = user.role == Role.citizen and user.person_id == person_id
    _check_access(user, registry="people", own=own, subject_role=Role.citizen)
    city = registries.current()
    if own:
        record = city.own_record(session, "person", person_id)
        if record is None:
            raise NotFound()
        return record
    household = household_of(session, person_id)
    if household is None:  # no such person: every resident is registered in a household
        raise NotFound()
    people = [person_id, *city.members(session, person_id)]
    shown = _keeper_reads(session, settings, user, "person", people, recorder)
    size = shown[0].pop("household_size", None)
    return {
        "person": shown[0],
        "household": {"id": household, "size": size, "district_code": None, "housing": None},
        "members": [{n: m.get(n) for n in MEMBER_FIELDS} for m in shown[1:]],
    }


def read_enterprise_as(
    session: Session,
    settings: Settings,
    *,
    user: User,
    enterprise_id: int,
    recorder: access.Recorder = access.in_transaction,
) -> dict[str, Any]:
    own = user.role == Role.enterprise and user.enterprise_id == enterprise_id
    _check_access(user, registry="enterprises", own=own, subject_role=Role.enterprise)
    if own:
        record = registries.current().own_record(session, "enterprise", enterprise_id)
        if record is None:
            raise NotFound()
        return record
    return _keeper_reads(session, settings, user, "enterprise", [enterprise_id], recorder)[0]


def valid_resident_id(value: str) -> bool:
    """Whether ``value`` is a well-formed resident ID (its check digit included)."""
    return registries.current().valid_identifier("person", value)


COUNTER_FIELDS = ["name", "gender", "birth_date", "district_code"]


def counter_view(
    session: Session,
    settings: Settings,
    *,
    user: User,
    person_id: int,
    recorder: access.Recorder = access.in_transaction,
) -> dict[str, Any]:
    """The minimum a counter officer needs to serve someone: who and where, not income.
    Read through the exchange under the officer's grant, so the person sees the read."""
    fetched = access.fetch(
        session, settings, consumer=grants.Consumer.user(user),
        subject=access.Subject("person", person_id), fields=COUNTER_FIELDS,
        purpose="counter-service", recorder=recorder, own_door=True,
    )  # fmt: skip
    values, _masked, _withheld = fetched.shown()
    return {
        "name": values["name"],
        "gender": values["gender"],
        "birth_year": fetched.values["birth_date"].year,
        "district_code": values["district_code"],
        "ledger_index": fetched.seq,
    }


def counter_lookup(
    session: Session,
    settings: Settings,
    *,
    user: User,
    resident_id: str,
    recorder: access.Recorder = access.in_transaction,
) -> dict[str, Any]:
    """The counter's one door: the full resident ID with a valid check digit, then
    ``counter_view``. Refuses a malformed number (422) and an unknown one (404)."""
    resident_id = resident_id.strip().upper()
    if not valid_resident_id(resident_id):
        raise Invalid(
            N_("That is not a resident ID number."),
            [FieldError("resident_id", N_("Enter an 18-character resident ID number; the "
                                          "last character is a check digit."))],
        )  # fmt: skip
    person_id = find_person_id(session, resident_id)
    if person_id is None:
        raise NotFound(N_("No resident with this ID number is registered in the city."))
    return counter_view(session, settings, user=user, person_id=person_id, recorder=recorder)


def unit_fields(unit: str) -> Mapping[str, registries.Field]:
    """The registry fields a service deciding about ``unit`` may read."""
    return registries.fields(unit)


def district_codes(session: Session) -> list[str]:
    """The city's districts, a public list."""
    return list(session.scalars(select(District.code).order_by(District.code)))


# --- The exchange: catalogue, grants, purpose-bound reads, the citizen's view ----------
# Other capabilities use these; the modules behind them are the exchange's own.

Consumer = grants.Consumer
Subject = access.Subject
Fetched = access.Fetched
Refused = access.Refused
fetch = access.fetch
fetch_many = access.fetch_many
read_population = access.read_population
PopulationCache = access.PopulationCache
granted_fields = grants.granted_fields
locate = catalogue.locate
laplace = privacy.laplace
spend_privacy = privacy.spend
MIN_CELL = privacy.MIN_CELL
POLICY_SIMULATION = purposes.POLICY_SIMULATION
OFFICIAL_STATISTICS = purposes.OFFICIAL_STATISTICS
DISTRICT_FIELDS = purposes.DISTRICT_FIELDS
PLURAL = catalogue.PLURAL
POPULATION_TTL = 300.0  # seconds a population read's rows are reused


def population_cache(state: Any) -> access.PopulationCache:  # noqa: ANN401 - app.state
    """The process's cache of population reads (``state`` is the app's state object)."""
    cache: access.PopulationCache | None = getattr(state, "population_cache", None)
    if cache is None:
        cache = state.population_cache = access.PopulationCache(POPULATION_TTL)
    return cache


group_commit = access.group_commit
register_dataset = catalogue.register
declare_source = sources.declare
datasets = catalogue.datasets
create_grant = grants.create


def dataset_titles(session: Session, language: str) -> dict[str, str]:
    """Every registered dataset's title in ``language``, by code."""
    return {d.code: d.title_zh if language == "zh-Hans" else d.title_en
            for d in catalogue.datasets(session)}  # fmt: skip


def registered_spec(session: Session, code: str) -> DatasetIn | None:
    """A registered dataset as the spec that would register it again, or None."""
    dataset = session.get(Dataset, code)
    return None if dataset is None else catalogue.as_spec(session, dataset)


def keeper_of(session: Session, dataset_code: str) -> str | None:
    """The department that keeps a dataset, or None for an unknown code."""
    dataset = session.get(Dataset, dataset_code)
    return None if dataset is None else dataset.department_code


def grant_in_force(session: Session, grant: GrantIn) -> bool:
    """Whether a grant like this one (consumer, dataset, purpose) is in force now."""
    found = session.scalar(
        select(Grant.id).where(
            Grant.consumer_kind == grant.consumer_kind, Grant.consumer == grant.consumer,
            Grant.dataset_code == grant.dataset, Grant.purpose == grant.purpose,
            *grants.in_force(now()),
        ).limit(1)
    )  # fmt: skip
    return found is not None


request_service_grants = requests.request_service_needs
approve_request = requests.approve
refuse_request = requests.refuse
grant_requests = requests.listing
PENDING = requests.PENDING
release_statistic = privacy.release
give_allowance = privacy.allow
allowances = privacy.allowances
revoke_other_services = grants.revoke_other_services
#: How many accesses one page of the citizen's view lists.
ACCESS_PAGE = 100


def own_subjects(session: Session, user: User) -> list[Subject]:
    """Whose reads an account sees in "who used my data": its person (and the household
    the person is registered in: a household service reads all of it) or its
    enterprise."""
    return [Subject(unit, key) for unit, key in subjects_of_account(session, user)]


def accesses_to(
    session: Session, settings: Settings, *subjects: Subject, before: int | None = None
) -> list[Access]:
    """Every read of these subjects' data, newest first, except reads still under a
    legal hold: those appear the day the hold ends."""
    if not subjects:
        return []
    query = (
        select(Access)
        .where(
            Access.subject.in_([subject_index_of(settings, s) for s in subjects]),
            or_(Access.hold_until.is_(None), Access.hold_until <= today()),
        )
        .order_by(Access.seq.desc())
        .limit(ACCESS_PAGE)
    )
    if before is not None:
        query = query.where(Access.seq < before)
    return list(session.scalars(query))


def population_reads(session: Session, *, before: int | None = None) -> list[PopulationRead]:
    """Whole populations read for statistical uses, newest first, a page at a time:
    public, so anyone sees which fields were read, by whom, why and how many rows."""
    query = select(PopulationRead).order_by(PopulationRead.seq.desc()).limit(ACCESS_PAGE)
    if before is not None:
        query = query.where(PopulationRead.seq < before)
    return list(session.scalars(query))


def subject_index_of(settings: Settings, subject: Subject) -> str:
    """How the access index names ``subject`` (keyed, never the registry number)."""
    return access.subject_index(access.pseudonym_key(settings), subject)


def provide(
    session: Session,
    settings: Settings,
    nonces: remote.Nonces,
    *,
    headers: Mapping[str, str],
    body: bytes,
    recorder: access.Recorder = access.in_transaction,
) -> dict[str, Any]:
    """Serve a peer node's signed read of one of our datasets: the peer is a consumer
    like any other, bound by its ``node`` grants and recorded in our ledger too."""
    peer = remote.authenticate(settings, nonces, headers, body)
    try:
        asked = ProvideIn.model_validate_json(body)
    except ValidationError as exc:
        raise Invalid(N_("The read request is malformed."), field_errors(exc.errors())) from None
    dataset = session.get(Dataset, asked.dataset)
    if dataset is None:
        raise NotFound(N_("No dataset has this code."))
    fetched = access.fetch(
        session, settings, consumer=Consumer.node(peer), subject=Subject(dataset.unit, asked.key),
        fields=asked.fields, purpose=asked.purpose, recorder=recorder,
    )  # fmt: skip
    return {"values": fetched.values, "ledger_index": fetched.seq}
