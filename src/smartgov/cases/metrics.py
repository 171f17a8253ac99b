"""Case figures per service and channel: how many were decided without a person, the
manual intervention rate, time from submission to decision (median and 95th
percentile), overrides and appeals. The database gives one row per case with the
seconds already worked out; DuckDB does the grouping and the percentiles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import duckdb
import pyarrow as pa
from sqlalchemy import String, and_, cast, func, select
from sqlalchemy.orm import Session

from smartgov.cases.models import Case
from smartgov.core.clock import now


@dataclass(frozen=True)
class Figures:
    service: str
    channel: str  # "all" for every channel together
    submitted: int
    decided: int
    automated: int
    automated_share: float | None  # of decided cases
    manual_intervention_rate: float | None  # decided cases a person decided
    median_seconds: float | None  # submission to decision
    p95_seconds: float | None
    overrides: int  # a person went against the automated outcome
    appeals: int
    appeals_upheld: int
    appeals_changed: int
    open: int
    overdue: int


def _seconds(session: Session):  # type: ignore[no-untyped-def]
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", Case.decided_at - Case.submitted_at)
    return (func.julianday(Case.decided_at) - func.julianday(Case.submitted_at)) * 86400.0


_SQL = """
SELECT service, {channel} AS channel,
       count(*) AS submitted,
       count(*) FILTER (WHERE state = 'decided') AS decided,
       count(*) FILTER (WHERE state = 'decided' AND automated) AS automated,
       count(*) FILTER (WHERE state = 'decided' AND automated)::DOUBLE
           / NULLIF(count(*) FILTER (WHERE state = 'decided'), 0) AS automated_share,
       count(*) FILTER (WHERE state = 'decided' AND NOT coalesce(automated, false))::DOUBLE
           / NULLIF(count(*) FILTER (WHERE state = 'decided'), 0) AS manual_rate,
       quantile_cont(seconds, 0.5) FILTER (WHERE state = 'decided') AS median_seconds,
       quantile_cont(seconds, 0.95) FILTER (WHERE state = 'decided') AS p95_seconds,
       count(*) FILTER (WHERE override) AS overrides,
       count(*) FILTER (WHERE appeal_result IS NOT NULL OR state = 'appealed') AS appeals,
       count(*) FILTER (WHERE appeal_result = 'upheld') AS upheld,
       count(*) FILTER (WHERE appeal_result = 'changed') AS changed,
       count(*) FILTER (WHERE state IN ('submitted', 'checking', 'awaiting_review',
                                        'appealed')) AS open,
       count(*) FILTER (WHERE overdue) AS overdue
FROM cases GROUP BY ALL ORDER BY service, channel
"""


SINCE_DAYS = 90


def default_since() -> datetime:
    return now() - timedelta(days=SINCE_DAYS)


def figures(
    session: Session, *, since: datetime | None = None, service_id: str | None = None
) -> list[Figures]:
    """Figures for cases submitted since ``since`` (default: the last 90 days), per
    service and channel, and per service over all channels."""
    at = now()
    since = since or default_since()
    open_states = ("submitted", "checking", "awaiting_review", "appealed")
    override = and_(
        Case.automated.is_(False),
        Case.reviewer_id.is_not(None),
        Case.automated_outcome.in_(("eligible", "ineligible")),
        Case.outcome != Case.automated_outcome,
    )
    query = select(
        Case.service_id, Case.channel, Case.state, Case.automated,
        _seconds(session).label("seconds"), Case.appeal_result,
        override.label("override"),
        and_(Case.state.in_(open_states), Case.due_at < at).label("overdue"),
    ).where(Case.submitted_at >= since)  # fmt: skip
    if service_id:
        query = query.where(Case.service_id == service_id)
    rows = session.execute(query).all()
    names = ["service", "channel", "state", "automated", "seconds", "appeal_result",
             "override", "overdue"]  # fmt: skip
    columns: list[Any] = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    types = [pa.string(), pa.string(), pa.string(), pa.bool_(), pa.float64(), pa.string(),
             pa.bool_(), pa.bool_()]  # fmt: skip
    # The drivers differ (0/1 or booleans, floats or decimals); Arrow casts each column.
    table = pa.table(
        {n: pa.array(list(c)).cast(t) for n, c, t in zip(names, columns, types, strict=True)}
    )
    con = duckdb.connect()
    con.register("cases", table)
    found = []
    for channel in ("channel", "'all'"):
        for row in con.execute(_SQL.format(channel=channel)).fetchall():
            found.append(Figures(*row))
    con.close()
    return sorted(found, key=lambda f: (f.service, f.channel != "all", f.channel))


@dataclass(frozen=True)
class Disagreement:
    """How often the second check disagreed with the rules, per service and month: a
    share that grows says the model, or the rules, or the people applying, moved."""

    service: str
    month: str  # YYYY-MM, by the day the case was submitted (checked seconds later)
    checked: int  # cases the rules decided and a model scored
    disagreed: int
    share: float | None


DRIFT_MONTHS = 12

_DRIFT_SQL = """
SELECT service, strftime(date_trunc('month', submitted), '%Y-%m') AS month, count(*) AS checked,
       count(*) FILTER (WHERE disagreed) AS disagreed,
       count(*) FILTER (WHERE disagreed)::DOUBLE / count(*) AS share
FROM checked GROUP BY ALL ORDER BY service, month
"""


def disagreement_by_month(
    session: Session, *, since: datetime | None = None, service_id: str | None = None
) -> list[Disagreement]:
    """Per service and month (default: the last 12), the cases a second-check model
    scored and how many it disagreed on; grouped by DuckDB."""
    since = since or now() - timedelta(days=31 * DRIFT_MONTHS)
    # The reasons are a JSON list; its text holds the quoted reason on every database.
    disagreed = cast(Case.review_reasons, String).like('%"disagreement"%')
    query = select(Case.service_id, Case.submitted_at, disagreed).where(
        Case.submitted_at >= since,
        Case.model_version.is_not(None),
        Case.automated_outcome.in_(("eligible", "ineligible")),
    )
    if service_id:
        query = query.where(Case.service_id == service_id)
    rows = session.execute(query).all()
    services, at, flags = (list(c) for c in zip(*rows, strict=True)) if rows else ([], [], [])
    table = pa.table({
        "service": pa.array(services, pa.string()),
        # Months by UTC, whatever DuckDB's time zone: the zone is dropped after UTC.
        "submitted": pa.array(at, pa.timestamp("us", tz="UTC")).cast(pa.timestamp("us")),
        "disagreed": pa.array(flags).cast(pa.bool_()) if flags else pa.array([], pa.bool_()),
    })  # fmt: skip
    con = duckdb.connect()
    con.register("checked", table)
    found = [Disagreement(*row) for row in con.execute(_DRIFT_SQL).fetchall()]
    con.close()
    return found


def overall(found: list[Figures]) -> dict[str, float | int | None]:
    """The city's figures across services (channel "all" rows added up)."""
    rows = [f for f in found if f.channel == "all"]
    decided = sum(f.decided for f in rows)
    automated = sum(f.automated for f in rows)
    return {
        "submitted": sum(f.submitted for f in rows),
        "decided": decided,
        "automated": automated,
        "automated_share": automated / decided if decided else None,
        "manual_intervention_rate": (decided - automated) / decided if decided else None,
        "overrides": sum(f.overrides for f in rows),
        "appeals": sum(f.appeals for f in rows),
        "appeals_upheld": sum(f.appeals_upheld for f in rows),
    }
