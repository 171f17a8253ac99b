"""What the demo city's departments publish and grant at set-up, as their officers
would in a real city (each recorded as given by ``demo:<department>``): one dataset per
department and unit over its view of the registers, the roles' grants, the analysts'
share of each privacy budget, and approval of the services' grant requests. Nothing
here runs in production."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy.orm import Session

from smartgov.core import i18n
from smartgov.core.clock import now, today
from smartgov.core.settings import Settings
from smartgov.demo import synth
from smartgov.demo.fields import FIELDS
from smartgov.exchange import service as exchange
from smartgov.exchange.registries import KEYS
from smartgov.exchange.schemas import DatasetIn, FieldIn, GrantIn, Words

#: Each demo dataset's privacy budget (total epsilon): its department gives the analysts
#: half, enough for ten simulations at the default epsilon.
DEMO_PRIVACY_BUDGET = 10.0

UNIT_WORDS = {
    "person": ("人员", "people"),
    "household": ("家庭户", "households"),
    "enterprise": ("企业", "enterprises"),
}

#: Identifying fields the registries hold beyond what rules read.
EXTRA_FIELDS: dict[tuple[str, str], list[FieldIn]] = {
    ("public_security", "person"): [
        FieldIn(
            name="resident_id", type="text", sensitivity="secret", identifier=True,
            label=Words(zh="公民身份号码", en="Resident ID number"),
        ),
        FieldIn(
            name="name", type="text", sensitivity="sensitive",
            label=Words(zh="姓名", en="Name"),
        ),
    ],
    ("market_regulation", "enterprise"): [
        FieldIn(
            name="credit_code", type="text", sensitivity="public", identifier=True,
            label=Words(zh="统一社会信用代码", en="Unified social credit code"),
        ),
        FieldIn(name="name", type="text", sensitivity="public", label=Words(zh="名称", en="Name")),
    ],
}  # fmt: skip

#: What the demo city's departments grant at set-up: a year, looked at again in six months.
DEMO_TERM, DEMO_REVIEW = timedelta(days=365), timedelta(days=182)


def datasets() -> list[DatasetIn]:
    """One dataset per department and unit, from the fields the rules can read, each
    served from that department's view of the registries."""
    zh = i18n.translator("zh-Hans")
    names = {code: (name_zh, name_en) for code, name_zh, name_en in synth.DEPARTMENTS}
    grouped: dict[tuple[str, str], list[FieldIn]] = defaultdict(list)
    for (department, unit), extra in EXTRA_FIELDS.items():
        grouped[department, unit].extend(extra)
    for unit, listed in FIELDS.items():
        for name, field in listed.items():
            label = Words(zh=zh(field.label), en=field.label)
            grouped[field.department, unit].append(
                FieldIn(name=name, type=field.type, sensitivity=field.sensitivity, label=label)
            )
    datasets = []
    for (department, unit), kept in sorted(grouped.items()):
        dept_zh, dept_en = names[department]
        unit_zh, unit_en = UNIT_WORDS[unit]
        table = f"registry_{department}_{exchange.PLURAL[unit]}"
        datasets.append(
            DatasetIn.model_validate(
                {
                    "code": f"{department}.{exchange.PLURAL[unit]}",
                    "department": department,
                    "unit": unit,
                    "title": {"zh": f"{dept_zh}{unit_zh}数据", "en": f"{dept_en}: {unit_en}"},
                    "description": {
                        "zh": f"{dept_zh}掌握的{unit_zh}字段，经数据交换按授权提供。",
                        "en": f"The fields on {unit_en} that the {dept_en} keeps, "
                        "served through the exchange under purpose-bound grants.",
                    },
                    "frequency": "daily",
                    "privacy_budget": DEMO_PRIVACY_BUDGET,
                    "fields": kept,
                    "provider": {"kind": "sql", "table": table, "key": KEYS[unit]},  # type: ignore[index]
                }
            )
        )
    return datasets


def register_datasets(session: Session, settings: Settings) -> int:
    """Register the demo city's datasets that are missing or changed; how many."""
    changed = 0
    for spec in datasets():
        # The administrator's part, done by the system for the demo: its views are
        # declared as the departments' registries before the datasets that read them.
        exchange.declare_source(
            session, kind="sql", name=spec.provider.table, department=spec.department,  # type: ignore[union-attr]
            url=None, actor=None,
        )  # fmt: skip
        if exchange.registered_spec(session, spec.code) != spec:
            exchange.register_dataset(session, settings, spec, actor=None)
            changed += 1
    return changed


_YEAR = timedelta(days=365)
DEMO_GRANTS: list[dict[str, object]] = [
    {
        "consumer_kind": "role", "consumer": "counter_officer",
        "dataset": "public_security.people",
        "fields": ["name", "birth_date", "gender", "district_code"], "reveal": True,
        "purpose": "counter-service",
        "legal_basis": "Regulations on Government Services, Art. 12: identify the person served "
        "(Demo City)",
    },
    {
        "consumer_kind": "role", "consumer": "department_officer@public_security",
        "dataset": "public_security.people",
        "fields": ["name", "birth_date", "gender", "district_code", "relation", "household_size"],
        "reveal": True, "purpose": "registry-administration",
        "legal_basis": "Regulations on Household Registration, Art. 3: keeping the register",
    },
    {
        "consumer_kind": "role", "consumer": "department_officer@market_regulation",
        "dataset": "market_regulation.enterprises",
        "fields": ["credit_code", "name", "industry", "size", "founded_on", "district_code",
                   "status"],
        "identified": True, "purpose": "registry-administration",
        "legal_basis": "Regulations on the Registration of Market Entities, Art. 35: keeping "
        "the register",
    },
    {
        "consumer_kind": "role", "consumer": "reviewer@civil_affairs",
        "dataset": "civil_affairs.people",
        "fields": ["disability_grade", "household_savings", "household_receives_min_living",
                   "receives_old_age_allowance", "receives_disability_subsidy"],
        "reveal": True, "purpose": "case-review",
        "legal_basis": "Measures on the Minimum Living Allowance, Art. 9: checking an "
        "applicant's household (Demo City)",
    },
    {
        "consumer_kind": "role", "consumer": "reviewer@civil_affairs",
        "dataset": "taxation.people", "fields": ["monthly_income", "household_income"],
        "reveal": True, "purpose": "case-review",
        "legal_basis": "Measures on the Minimum Living Allowance, Art. 9: checking an "
        "applicant's household (Demo City)",
    },
    {
        "consumer_kind": "role", "consumer": "department_officer@taxation",
        "dataset": "taxation.people", "fields": ["monthly_income", "household_income"],
        "reveal": True, "may_hold": True, "purpose": "tax-investigation",
        "legal_basis": "Law on the Administration of Tax Collection, Art. 54: inspection",
    },
]  # fmt: skip


def _by_dataset(unit: str, names: Iterable[str]) -> dict[str, list[str]]:
    """The demo datasets that keep ``names`` of ``unit``, with the names each keeps."""
    kept: dict[str, list[str]] = {}
    for name in names:
        department = FIELDS[unit][name].department  # type: ignore[index]
        kept.setdefault(f"{department}.{exchange.PLURAL[unit]}", []).append(name)
    return kept


def _statistical_grants() -> list[dict[str, object]]:
    """The demo's statistical grants, each department granting its own fields: the
    analysts may read, to simulate reforms, every registry field the services decide
    on (never a name or an ID number); staff who see the district figures (officers,
    auditors, analysts, administrators) read the fields those are made from. What
    either sees is aggregates: noisy (``rules.simulate``) or withheld below 10."""
    simulation = [
        ("analyst", unit, code, names, exchange.POLICY_SIMULATION,
         "Regulations on Government Information, Art. 20: assessing the effect of a policy "
         "before it is made (Demo City)")
        for unit, listed in FIELDS.items()
        for code, names in _by_dataset(unit, listed).items()
    ]  # fmt: skip
    official = [
        (role, "person", code, names, exchange.OFFICIAL_STATISTICS,
         "Statistics Law, Art. 7: official statistics from administrative records (Demo City)")
        for role in ("department_officer", "auditor", "analyst", "administrator")
        for code, names in _by_dataset("person", exchange.DISTRICT_FIELDS).items()
    ]  # fmt: skip
    return [
        {"consumer_kind": "role", "consumer": role, "dataset": code, "fields": names,
         "purpose": purpose, "legal_basis": basis}
        for role, _unit, code, names, purpose, basis in [*simulation, *official]
    ]  # fmt: skip


def grant_roles(session: Session) -> int:
    """Grant the demo city's roles what their work needs, for a year, as given by the
    keeping departments (recorded as ``demo:<department>``, as the demo's approvals of
    service requests are); grants already in force are kept. Returns how many were
    made."""
    made = 0
    for spec in [*DEMO_GRANTS, *_statistical_grants()]:
        grant = GrantIn.model_validate({**spec, "expires_at": now() + _YEAR})
        if not exchange.grant_in_force(session, grant):  # as the keeper's officers would
            keeper = exchange.keeper_of(session, grant.dataset)
            by = f"demo:{keeper}" if keeper is not None else None
            exchange.create_grant(session, grant, actor=None, given_by=by)
            made += 1
    return made


#: The share of each demo dataset's budget its department gives the analysts.
DEMO_ANALYST_SHARE = 0.5


def give_allowances(session: Session) -> int:
    """The demo city's departments each give the analysts half of every dataset's
    budget, as their officers would (recorded as given for the department, in the
    ledger); datasets that already gave the analysts an allowance are left alone."""
    given = {a.dataset_code for a in exchange.allowances(session) if a.consumer == "role:analyst"}
    made = 0
    for dataset in exchange.datasets(session):
        share = dataset.privacy_budget * DEMO_ANALYST_SHARE
        if dataset.code in given or share <= 0:
            continue
        exchange.give_allowance(
            session, dataset_code=dataset.code, consumer="role:analyst", epsilon=share,
            actor=None, given_by=f"demo:{dataset.department_code}",
        )  # fmt: skip
        made += 1
    return made


def approve_requests(session: Session) -> int:
    """The demo city's set-up: each pending request approved for a year as its keeping
    department would, recorded as decided by ``demo:<department>``."""
    done = 0
    pending = exchange.grant_requests(session, status=exchange.PENDING, limit=None)  # every one
    for request in pending:
        keeper = exchange.keeper_of(session, request.dataset_code)
        exchange.approve_request(session, request.id, actor=None, expires_at=now() + DEMO_TERM,
                                 review_on=today() + DEMO_REVIEW, by=f"demo:{keeper}")  # fmt: skip
        done += 1
    return done


def set_up(session: Session, settings: Settings) -> tuple[int, int]:
    """What `smartgov demo city` publishes: the datasets, the roles' grants and the
    analysts' allowances; how many datasets changed and how many grants were made."""
    datasets = register_datasets(session, settings)
    made = grant_roles(session)
    give_allowances(session)
    return datasets, made
