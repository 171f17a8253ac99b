"""Statistics published from registry data with differential privacy (OpenDP).

Each dataset has a total privacy budget (epsilon). A release charges its epsilon with
one conditional UPDATE, so two releases at once cannot overspend; a release that
would exceed the budget is refused. Both are recorded in the ledger, the released
value included: it is safe to publish by construction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import opendp.prelude as dp
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Table, update
from sqlalchemy.orm import Session

from smartgov.core.errors import FieldError, Invalid, NotFound
from smartgov.core.i18n import N_
from smartgov.core.settings import Settings
from smartgov.exchange import catalogue, providers
from smartgov.exchange.access import Refused
from smartgov.exchange.models import Dataset, PrivacySpend
from smartgov.ledger import service as ledger

dp.enable_features("contrib")
_DATASETS = cast(Table, Dataset.__table__)
NUMERIC = ("integer", "number", "boolean")


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
    space = dp.vector_domain(dp.atom_domain(T=float, nan=False)), dp.symmetric_distance()

    def make(scale: float) -> Any:  # noqa: ANN401 - OpenDP's measurements are untyped
        if statistic == "count":
            return space >> dp.t.then_count() >> dp.m.then_laplace(scale)
        summed = space >> dp.t.then_clamp(bounds) >> dp.t.then_sum()  # type: ignore[no-untyped-call]
        return summed >> dp.m.then_laplace(scale)

    return make(dp.binary_search_param(make, d_in=1, d_out=epsilon))


def release(
    session: Session,
    settings: Settings,
    *,
    dataset_code: str,
    statistic: str,
    field: str,
    epsilon: float,
    bounds: tuple[float, float] | None = None,
    by: str,
) -> Release:
    """A differentially private count of the field's known values, or their mean within
    ``bounds`` (half the epsilon for the noisy sum, half for the noisy count)."""
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
    if problems:
        raise Invalid(N_("The statistic cannot be made."), problems)
    body = {"dataset": dataset_code, "statistic": statistic, "field": field,
            "epsilon": epsilon, "bounds": list(bounds) if bounds else None, "by": by}  # fmt: skip
    charged = (
        session.connection()
        .execute(
            update(_DATASETS)
            .where(
                _DATASETS.c.code == dataset_code,
                _DATASETS.c.privacy_spent + epsilon <= _DATASETS.c.privacy_budget + 1e-12,
            )
            .values(privacy_spent=_DATASETS.c.privacy_spent + epsilon)
            .returning(_DATASETS.c.privacy_spent, _DATASETS.c.privacy_budget)
        )
        .first()
    )
    if charged is None:
        session.refresh(dataset)
        left = dataset.privacy_budget - dataset.privacy_spent
        ledger.record(session, "statistic", {**body, "outcome": "refused", "budget_left": left})
        raise Refused(
            N_("This release would exceed the dataset's privacy budget."),
            [FieldError("epsilon", N_("Only {left} of the budget is left."),
                        {"left": f"{max(left, 0):.4g}"})],
            409,
        )  # fmt: skip
    values = _values(session, settings, dataset, field)
    if statistic == "count":
        value = float(_measure("count", epsilon, (0.0, 1.0))(values))
    else:
        assert bounds is not None
        noisy_sum = _measure("sum", epsilon / 2, bounds)(values)
        noisy_count = _measure("count", epsilon / 2, bounds)(values)
        value = float(np.clip(noisy_sum / max(noisy_count, 1), *bounds))
    left = float(charged[1] - charged[0])
    seq = ledger.record(
        session, "statistic", {**body, "outcome": "released", "value": value, "budget_left": left}
    )
    session.add(PrivacySpend(dataset_code=dataset_code, statistic=f"{statistic}:{field}",
                             epsilon=epsilon, ledger_seq=seq))  # fmt: skip
    return Release(dataset_code, statistic, field, value, epsilon, left, seq)
