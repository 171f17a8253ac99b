"""Telling applicants what happened: an in-app notice for every change, and an outside
channel (email, SMS) behind a small Protocol. The embedded default's channel writes to
the console. Notices are written with the change, in its transaction, and sent after
it by ``deliver``, so a notice is never sent for a change that did not happen."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartgov.cases.models import Case, Notification
from smartgov.core.clock import now
from smartgov.core.deployment import Finding
from smartgov.core.i18n import N_
from smartgov.core.plugins import Plugins, Unknown
from smartgov.core.settings import ConfigError, Settings

MESSAGES = {
    "submitted": N_("We received your application {ref}."),
    "decided": N_("Your application {ref} has been decided."),
    "in_review": N_("Your application {ref} is with a reviewer."),
    "needs_information": N_("Your application {ref} needs more information from you."),
    "appeal_decided": N_("Your appeal on {ref} has been decided."),
    "invited": N_("You may be eligible for {service}: apply with one click."),
}


class Channel(Protocol):
    def send(self, user_id: int, text: str) -> None:
        """Deliver ``text`` to the account's address; raise if it could not be sent."""


class ConsoleChannel:
    """The embedded default: a line in the server's log instead of an email or SMS. It
    names the account by number and the case by reference, nothing personal."""

    def send(self, user_id: int, text: str) -> None:
        print(f"[notification] to account {user_id}: {text}", flush=True)  # noqa: T201


#: The outside channels, by the name SMARTGOV_NOTIFICATION_CHANNEL gives: functions
#: (settings) -> Channel. A city registers its email or SMS gateway here.
CHANNELS: Plugins[Callable[[Settings], Channel]] = Plugins("notification channel")
CHANNELS.register("console", lambda _settings: ConsoleChannel())


def channel(settings: Settings) -> Channel:
    """The channel the settings name; a name nobody registered stops with one line."""
    try:
        make = CHANNELS.get(settings.notification_channel)
    except Unknown as exc:
        raise ConfigError(f"invalid setting SMARTGOV_NOTIFICATION_CHANNEL: {exc}") from None
    return make(settings)


def deployment_findings(settings: Settings) -> list[Finding]:
    """`smartgov check`: the notification channel is registered (SG010 otherwise)."""
    try:
        channel(settings)
    except ConfigError as exc:
        return [Finding("SG010", "error", str(exc))]
    return []


def case_changed(session: Session, case: Case, kind: str) -> None:
    if case.applicant_id is None:  # applied at a counter without an account
        return
    session.add(Notification(user_id=case.applicant_id, case_id=case.id, kind=kind,
                             params={"ref": case.ref}))  # fmt: skip


def text(notice: Notification, language: str) -> str:
    """The notice in ``language`` (a service is named in the reader's language)."""
    from smartgov.core import i18n

    params = dict(notice.params)
    if language == "zh-Hans" and "service_zh" in params:
        params["service"] = params["service_zh"]
    return i18n.translator(language)(MESSAGES[notice.kind]).format(**params)


def deliver(session: Session, channel: Channel, *, language: str, limit: int = 500) -> int:
    """Send notices not sent yet; how many went out."""
    pending = list(
        session.scalars(
            select(Notification).where(Notification.sent_at.is_(None))
            .order_by(Notification.id).limit(limit)
        )
    )  # fmt: skip
    for notice in pending:
        channel.send(notice.user_id, text(notice, language))
        notice.sent_at = now()
    return len(pending)
