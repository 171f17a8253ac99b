"""Case commands: the decision worker, second-check models, sweeps, alerts, figures."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Callable
from typing import TypeVar

import typer
from sqlalchemy.orm import Session

from smartgov.core.commands import fail, settings_or_exit
from smartgov.core.db import make_engine, make_sessionmaker, transaction
from smartgov.core.errors import DomainError
from smartgov.core.settings import ConfigError, Settings

T = TypeVar("T")


def _in_transaction(work: Callable[[Session, Settings], T]) -> T:
    """Run ``work`` in one transaction; a refusal ends the command with its message."""
    settings = settings_or_exit()
    try:
        with transaction(make_sessionmaker(make_engine(settings))) as session:
            return work(session, settings)
    except DomainError as exc:
        fail(exc)


cases_app = typer.Typer(
    help="Applications and their decisions: models, sweeps, alerts, figures.",
    no_args_is_help=True,
)


def worker(
    batch: int = typer.Option(50, min=1, max=1000, help="Cases per transaction."),
    poll: float = typer.Option(0.2, min=0.01, max=60, help="Seconds between looks when idle."),
    once: bool = typer.Option(False, help="Decide what is waiting, then stop."),
) -> None:
    """Decide submitted cases until stopped (Ctrl-C or SIGTERM finish the batch first).
    Run several on PostgreSQL: each takes different cases."""
    from smartgov.cases import service as cases

    settings = settings_or_exit()
    factory = make_sessionmaker(make_engine(settings))
    if once:
        total, started = 0, time.time()
        while taken := cases.decide_batch(factory, settings, limit=batch):
            total += taken
        ended = time.time()
        # The wall-clock span (epoch seconds) lets a benchmark combine several workers.
        typer.echo(f"{total} cases decided or sent to review in {ended - started:.3f} s "
                   f"(from {started:.3f} to {ended:.3f})")  # fmt: skip
        return
    try:
        channel = cases.notification_channel(settings)
    except ConfigError as exc:
        fail(str(exc))
    loop = cases.Worker(factory, settings, poll=poll, limit=batch, channel=channel)
    signal.signal(signal.SIGTERM, lambda *_: loop.stop())
    signing = None
    if settings.checkpoint_seconds:  # the worker appends most entries: it signs them too
        from smartgov.ledger import service as ledger

        signing = ledger.checkpointer(factory, settings)
        signing.start()
    typer.echo("deciding cases; Ctrl-C to stop")
    try:
        done = loop.run()
    except KeyboardInterrupt:
        done = 0
    if signing is not None:
        signing.stop()
    typer.echo(f"stopped; {done} cases handled")


@cases_app.command("train-check")
def train_check(service: str = typer.Argument(..., help="The service's id.")) -> None:
    """Train and register a new version of the service's second-check model on its
    past decisions; the version and its cross-validated accuracy are printed."""
    from smartgov.cases import service as cases

    model = _in_transaction(lambda s, st: cases.train_check(s, st, service, actor="cli"))
    accuracy = model.metrics.get("cross_validated_accuracy")
    shown = "n/a" if accuracy is None else f"{accuracy:.3f}"
    typer.echo(
        f"{service}: check model v{model.version} trained on {model.trained_on} decisions; "
        f"cross-validated accuracy {shown}; ledger entry {model.ledger_seq}"
    )


@cases_app.command("sweep")
def sweep(service: str = typer.Argument(..., help="The service's id.")) -> None:
    """Invite everyone the rules find eligible who has not applied."""
    from smartgov.cases import service as cases

    report = _in_transaction(lambda s, st: cases.sweep(s, st, service, by="cli"))
    typer.echo(f"{service}: {report.population:,} evaluated, {report.eligible:,} eligible, "
               f"{report.invited:,} invited in {report.seconds:.2f} s "
               f"(ledger entry {report.ledger_index})")  # fmt: skip


@cases_app.command("alert")
def alert(
    service: str = typer.Argument(..., help="The service's id."),
    note: str = typer.Option(..., help="Why: shown to reviewers."),
    kind: str = typer.Option("manual", help="fairness or manual."),
) -> None:
    """Open an alert: until it is closed, every new case of the service goes to a person."""
    from smartgov.cases import service as cases

    if kind not in ("fairness", "manual"):
        fail("--kind: choose fairness or manual")
    opened = _in_transaction(
        lambda s, st: cases.open_alert(s, st, service, kind=kind, note=note, by="cli")
    )
    typer.echo(f"alert {opened.id} open on {service}")


@cases_app.command("close-alert")
def close_alert(
    service: str = typer.Argument(..., help="The service's id."),
    alert_id: int = typer.Argument(..., help="The alert's number."),
) -> None:
    """Close an alert; cases are decided by the usual policy again."""
    from smartgov.cases import service as cases

    _in_transaction(lambda s, _st: cases.close_alert(s, service, alert_id, by="cli"))
    typer.echo(f"alert {alert_id} closed")


@cases_app.command("metrics")
def metrics(as_json: bool = typer.Option(False, "--json", help="One JSON object.")) -> None:
    """Share decided automatically, manual intervention, time to decision, overrides
    and appeals, per service and channel, over the last 90 days; and how often the
    second check disagreed with the rules, per service and month, over the last 12."""
    from smartgov.cases import metrics as figures

    settings = settings_or_exit()
    with transaction(make_sessionmaker(make_engine(settings))) as session:
        found = figures.figures(session)
        drift = figures.disagreement_by_month(session)
    if as_json:
        typer.echo(json.dumps({"overall": figures.overall(found),
                               "services": [f.__dict__ for f in found],
                               "disagreement": [d.__dict__ for d in drift]}))  # fmt: skip
        return
    typer.echo(f"{'service':32} {'channel':8} {'decided':>8} {'auto %':>7} "
               f"{'p50 s':>8} {'p95 s':>8} {'overr.':>6} {'appeals':>7}")  # fmt: skip
    for f in found:
        share = "-" if f.automated_share is None else f"{100 * f.automated_share:.1f}"
        p50 = "-" if f.median_seconds is None else f"{f.median_seconds:.2f}"
        p95 = "-" if f.p95_seconds is None else f"{f.p95_seconds:.2f}"
        typer.echo(f"{f.service:32} {f.channel:8} {f.decided:>8} {share:>7} {p50:>8} "
                   f"{p95:>8} {f.overrides:>6} {f.appeals:>7}")  # fmt: skip
    if drift:
        typer.echo(f"\n{'second check against the rules':32} {'month':8} {'checked':>8} "
                   f"{'disagreed':>9} {'share %':>7}")  # fmt: skip
    for d in drift:
        share = "-" if d.share is None else f"{100 * d.share:.1f}"
        typer.echo(f"{d.service:32} {d.month:8} {d.checked:>8} {d.disagreed:>9} {share:>7}")
