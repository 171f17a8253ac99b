"""Statistics published from registry data with differential privacy (OpenDP).

Each dataset has a total privacy budget (epsilon), owned by the department that keeps
it: only that department's officers spend it, and they may hand part of it to a role
or an account outside (an allowance, reserved from the budget when given). So no
department spends another's budget, and an analyst spends only what was given. A
release charges its epsilon with one conditional UPDATE, so two releases at once
cannot overspend; one beyond the budget or the allowance is refused. Releases,
refusals and allowances are recorded in the ledger, the released value included: it
is safe to publish by construction."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from opendp import domains, measurements, metrics, transformations
from opendp.mod import binary_search_param, enable_features
from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from smartgov.core.clock import now
from smartgov.core.errors import Conflict, FieldError, Forbidden, Invalid, NotFound
from smartgov.core.i18n import N_
from smartgov.core.models import User
from smartgov.core.roles import Role
from smartgov.core.settings import Settings
from smartgov.exchange import catalogue, providers
from smartgov.exchange.access import Refused
from smartgov.exchange.models import Dataset, PrivacyAllowance, PrivacySpend
from smartgov.ledger import service as ledger

# OpenDP's core modules, not ``opendp.prelude``: the prelude also imports its scikit-learn
# and Polars extras, two seconds of start-up for every command and worker.
enable_features("contrib")
_DATASETS = cast(Table, Dataset.__table__)
_ALLOWANCES = cast(Table, PrivacyAllowance.__table__)
NUMERIC = ("integer", "number", "boolean")
#: The fewest people a released figure may rest on: a count below it (but above 0) is
#: withheld, with any cost or average resting on it (simulations, district figures).
MIN_CELL = 10
#: The widest bounds a mean may have (a trillion: any amount a registry holds).
MAX_SPAN = 1e12


@dataclass(frozen=True)
class Release:
    dataset: str
    statistic: str
    field: str
    value: float
    epsilon: float
    budget_left: float
    seq: int  # its ledger entry


def _values(session: Session, settings: Settings, dataset: Dataset, name: str) -> list[float]:
    """One field of the whole dataset as floats, missing values dropped; a list, as
    OpenDP takes it. Arrow converts and filters, not a Python loop."""
    provider = providers.provider_for(dataset.provider, settings)
    if not isinstance(provider, providers.SqlProvider | providers.FileProvider):
        raise Invalid(
            N_("Statistics over this dataset are made by the node that keeps it."),
            [FieldError("dataset", N_("Only datasets kept here can be counted here."))],
        )
    known = pc.drop_null(provider.column(session, name)).cast(pa.float64())
    values: list[float] = known.to_pylist()
    return values


def _measure(statistic: str, epsilon: float, bounds: tuple[float, float]) -> Any:  # noqa: ANN401
    """The OpenDP measurement, its noise scale found so it spends exactly ``epsilon``."""
    space = (
        domains.vector_domain(domains.atom_domain(T=float, nan=False)),
        metrics.symmetric_distance(),
    )

    def make(scale: float) -> Any:  # noqa: ANN401 - OpenDP's measurements are untyped
        if statistic == "count":
            return space >> transformations.then_count() >> measurements.then_laplace(scale)
        summed = space >> transformations.then_clamp(bounds) >> transformations.then_sum()  # type: ignore[no-untyped-call]
        return summed >> measurements.then_laplace(scale)

    return make(binary_search_param(make, d_in=1, d_out=epsilon))


def _is_keeper(user: User, dataset: Dataset) -> bool:
    return user.role == Role.department_officer and user.department_code == dataset.department_code


def _charge(session: Session, table: Table, key: Any, spent: Any, total: Any,  # noqa: ANN401
            epsilon: float) -> tuple[float, float] | None:  # fmt: skip
    """Add ``epsilon`` to ``spent`` where it still fits under ``total``, in one
    conditional UPDATE (two releases at once cannot overspend); (spent, total) after, or
    None when it does not fit."""
    row = (
        session.connection()
        .execute(
            update(table)
            .where(key, spent + epsilon <= total + 1e-12)
            .values({spent.key: spent + epsilon})
            .returning(spent, total)
        )
        .first()
    )
    return None if row is None else (float(row[0]), float(row[1]))


def _charge_budget(session: Session, code: str, epsilon: float) -> tuple[float, float] | None:
    budget = _DATASETS.c
    return _charge(session, _DATASETS, budget.code == code, budget.privacy_spent,
                   budget.privacy_budget, epsilon)  # fmt: skip


def allow(
    session: Session, *, dataset_code: str, consumer: str, epsilon: float, actor: User | None,
    given_by: str | None = None,
) -> PrivacyAllowance:  # fmt: skip
    """Hand part of a dataset's budget to ``consumer`` (``role:<role>`` or
    ``user:<number>``), reserved from the budget at once. Only an officer of the
    department that keeps the dataset gives it (``actor`` None: the system, for the
    demo's set-up, naming whom it acts for in ``given_by``)."""
    dataset = session.get(Dataset, dataset_code)
    if dataset is None:
        raise NotFound(N_("No dataset has this code."))
    if actor is not None and not _is_keeper(actor, dataset):
        raise Forbidden(N_("Only an officer of the department that keeps the data gives part "
                           "of its privacy budget."))  # fmt: skip
    kind, _, who = consumer.partition(":")
    valid = (kind == "role" and who in {r.value for r in Role}) or (
        kind == "user" and who.isdigit()
    )
    if not valid:
        raise Invalid(
            N_("The allowance cannot be given."),
            [FieldError("consumer", N_("Name a role (role:analyst) or an account (user:12)."))],
        )
    if not 0 < epsilon <= 100:
        problem = FieldError("epsilon", N_("Give an epsilon above 0, at most 100."))
        raise Invalid(N_("The allowance cannot be given."), [problem])
    reserved = _charge_budget(session, dataset_code, epsilon)
    if reserved is None:
        session.refresh(dataset)
        left = dataset.privacy_budget - dataset.privacy_spent
        raise Conflict(
            N_("The dataset's budget has not that much left."),
            [FieldError("epsilon", N_("Only {left} of the budget is left."),
                        {"left": f"{max(left, 0):.4g}"})],
        )  # fmt: skip
    by = given_by or (f"user:{actor.id}" if actor is not None else "system")
    made = PrivacyAllowance(dataset_code=dataset_code, consumer=consumer, epsilon=epsilon,
                            given_by=by, given_at=now(), spent=0.0)  # fmt: skip
    made.ledger_seq = ledger.record(session, "allowance", {
        "dataset": dataset_code, "consumer": consumer, "epsilon": epsilon,
        "budget_left": reserved[1] - reserved[0], "by": by,
    })  # fmt: skip
    session.add(made)
    session.flush()
    return made


def allowances(session: Session, dataset_code: str | None = None) -> list[PrivacyAllowance]:
    query = select(PrivacyAllowance).order_by(PrivacyAllowance.dataset_code, PrivacyAllowance.id)
    if dataset_code is not None:
        query = query.where(PrivacyAllowance.dataset_code == dataset_code)
    return list(session.scalars(query))


def release(
    session: Session,
    settings: Settings,
    *,
    dataset_code: str,
    statistic: str,
    field: str,
    epsilon: float,
    bounds: tuple[float, float] | None = None,
    user: User,
) -> Release:
    """A differentially private count of the field's known values, or their mean within
    ``bounds`` (half the epsilon for the noisy sum, half for the noisy count). An
    officer of the keeping department spends the dataset's budget; anyone else spends
    an allowance that department gave them (their account's or their role's)."""
    dataset = session.get(Dataset, dataset_code)
    if dataset is None:
        raise NotFound(N_("No dataset has this code."))
    listed = {f.name: f for f in catalogue.fields_of(session, [dataset_code])[dataset_code]}
    problems = []
    if field not in listed:
        problems.append(FieldError("field", N_("The dataset has no field {name}; it has: {known}."),
                                   {"name": field, "known": ", ".join(listed)}))  # fmt: skip
    elif statistic == "mean" and listed[field].type not in NUMERIC:
        problems.append(FieldError("field", N_("A mean needs a number field.")))
    if statistic == "mean" and (bounds is None or not bounds[0] < bounds[1]):
        problems.append(
            FieldError("lower", N_("A mean needs bounds: a lower below an upper value."))
        )
    elif bounds is not None and not (
        math.isfinite(bounds[1] - bounds[0]) and bounds[1] - bounds[0] <= MAX_SPAN
    ):
        # The noise grows with the span: beyond it OpenDP cannot calibrate, and nothing
        # useful would be released anyway.
        problems.append(FieldError("upper", N_("Give bounds at most {span} apart."),
                                   {"span": f"{MAX_SPAN:.0e}"}))  # fmt: skip
    if problems:
        raise Invalid(N_("The statistic cannot be made."), problems)
    by = f"user:{user.id}"
    body = {"dataset": dataset_code, "statistic": statistic, "field": field,
            "epsilon": epsilon, "bounds": list(bounds) if bounds else None, "by": by}  # fmt: skip
    charged, left = _charge_for(session, user, dataset, epsilon)
    short = (N_("Only {left} of the budget is left.") if _is_keeper(user, dataset)
             else N_("Only {left} of your allowance is left."))  # fmt: skip
    if charged is None:
        ledger.record(session, "statistic", {**body, "outcome": "refused", "budget_left": left})
        if left is None:  # nothing was given: not theirs to spend
            raise Refused(
                N_("Only the department that keeps this dataset spends its privacy budget."),
                [FieldError("dataset", N_("Ask {department} for an allowance."),
                            {"department": dataset.department_code})],
                403,
            )  # fmt: skip
        raise Refused(
            N_("This release would exceed the privacy budget."),
            [FieldError("epsilon", short, {"left": f"{max(left, 0):.4g}"})],
            409,
        )
    left = charged[1] - charged[0]
    values = _values(session, settings, dataset, field)
    if statistic == "count":
        value = float(_measure("count", epsilon, (0.0, 1.0))(values))
    else:
        assert bounds is not None
        noisy_sum = _measure("sum", epsilon / 2, bounds)(values)
        noisy_count = _measure("count", epsilon / 2, bounds)(values)
        value = float(np.clip(noisy_sum / max(noisy_count, 1), *bounds))
    seq = ledger.record(
        session, "statistic", {**body, "outcome": "released", "value": value, "budget_left": left}
    )
    session.add(PrivacySpend(dataset_code=dataset_code, statistic=f"{statistic}:{field}",
                             epsilon=epsilon, ledger_seq=seq))  # fmt: skip
    return Release(dataset_code, statistic, field, value, epsilon, left, seq)


Vector = np.ndarray[Any, Any]


def laplace(values: Vector, sensitivity: float, epsilon: float) -> Vector:
    """``values`` with OpenDP's Laplace noise, calibrated so that one subject more or
    less (moving them by at most ``sensitivity`` in L1 distance) costs ``epsilon``."""
    space = (
        domains.vector_domain(domains.atom_domain(T=float, nan=False)),
        metrics.l1_distance(T=float),
    )

    def make(scale: float) -> Any:  # noqa: ANN401 - OpenDP's measurements are untyped
        return measurements.make_laplace(*space, scale=scale)

    measure = make(binary_search_param(make, d_in=float(sensitivity), d_out=epsilon))
    return np.asarray(measure([float(v) for v in values]), dtype=float)


def spend(
    session: Session, *, datasets: Sequence[str], epsilon: float, statistic: str,
    fields: dict[str, list[str]], bounds: tuple[float, float] | None, user: User,
) -> dict[str, float]:  # fmt: skip
    """Charge ``epsilon`` to every dataset a release rests on (a simulation reads
    several), each as ``release`` would: an officer of the keeping department spends
    its budget, anyone else an allowance it gave them. All or nothing: if one dataset
    cannot pay, nothing is charged and the refusal is recorded and raised. Returns the
    budget or allowance left per dataset."""
    by = f"user:{user.id}"
    left: dict[str, float] = {}
    refused: tuple[Dataset, float | None] | None = None
    bodies: dict[str, dict[str, Any]] = {}
    charges = session.begin_nested()
    for code in sorted(set(datasets)):
        dataset = session.get(Dataset, code)
        if dataset is None:
            raise NotFound(N_("No dataset has this code."))
        bodies[code] = {"dataset": code, "statistic": statistic,
                        "field": ",".join(fields.get(code, [])), "epsilon": epsilon,
                        "bounds": list(bounds) if bounds else None, "by": by}  # fmt: skip
        charged, short = _charge_for(session, user, dataset, epsilon)
        if charged is None:
            refused = (dataset, short)
            break
        left[code] = charged[1] - charged[0]
    if refused is not None:
        charges.rollback()
        short_of, short = refused
        code = short_of.code
        ledger.record(
            session, "statistic", {**bodies[code], "outcome": "refused", "budget_left": short}
        )
        if short is None:
            raise Refused(
                N_("Only the department that keeps this dataset spends its privacy budget."),
                [FieldError("dataset", N_("Ask {department} for an allowance on {dataset}."),
                            {"department": short_of.department_code, "dataset": code})],
                403,
            )  # fmt: skip
        raise Refused(
            N_("This release would exceed the privacy budget."),
            [FieldError("epsilon", N_("Only {left} is left on {dataset}."),
                        {"left": f"{max(short, 0):.4g}", "dataset": code})],
            409,
        )  # fmt: skip
    charges.commit()
    for code, body in bodies.items():
        seq = ledger.record(
            session, "statistic", {**body, "outcome": "released", "budget_left": left[code]}
        )
        session.add(
            PrivacySpend(dataset_code=code, statistic=statistic, epsilon=epsilon, ledger_seq=seq)
        )
    return left


def _charge_for(
    session: Session, user: User, dataset: Dataset, epsilon: float
) -> tuple[tuple[float, float] | None, float | None]:
    """Charge ``epsilon`` where ``user`` may spend on ``dataset``: its budget for an
    officer of the keeping department, an allowance it gave them otherwise. (spent and
    total after, None), or (None, what is left; None when they were given nothing)."""
    if not _is_keeper(user, dataset):
        return _charge_allowance(session, dataset, user, epsilon)
    charged = _charge_budget(session, dataset.code, epsilon)
    if charged is not None:
        return charged, None
    session.refresh(dataset)
    return None, dataset.privacy_budget - dataset.privacy_spent


def _charge_allowance(
    session: Session, dataset: Dataset, user: User, epsilon: float
) -> tuple[tuple[float, float] | None, float | None]:
    """Charge the first of the user's allowances (their account's, then their role's)
    that still holds ``epsilon``: (spent and total after, None), or (None, what is left
    in all of them; None when they were given none)."""
    mine = [
        a
        for a in allowances(session, dataset.code)
        if a.consumer in (f"user:{user.id}", f"role:{user.role}")
    ]
    mine.sort(key=lambda a: not a.consumer.startswith("user:"))
    for allowance in mine:
        charged = _charge(session, _ALLOWANCES, _ALLOWANCES.c.id == allowance.id,
                          _ALLOWANCES.c.spent, _ALLOWANCES.c.epsilon, epsilon)  # fmt: skip
        if charged is not None:
            return charged, None
    for allowance in mine:
        session.refresh(allowance)
    return None, (sum(a.epsilon - a.spent for a in mine) if mine else None)
