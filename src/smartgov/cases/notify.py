"""Telling applicants what happened: an in-app notice for every change, and an outside
channel (email, SMS) behind a small Protocol. The embedded default's channel writes to
the console. Notices are written with the change, in its transaction, and sent after
it by ``deliver``, so a notice is never sent for a change that did not happen."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartgov.cases.models import Case, Notification
from smartgov.core import i18n
from smartgov.core.clock import now
from smartgov.core.deployment import Finding
from smartgov.core.i18n import N_
from smartgov.core.models import User
from smartgov.core.plugins import Plugins, Unknown
from smartgov.core.settings import ConfigError, Settings

log = logging.getLogger(__name__)

MESSAGES = {
    "submitted": N_("We received your application {ref}."),
    "decided": N_("Your application {ref} has been decided."),
    "in_review": N_("Your application {ref} is with a reviewer."),
    "needs_information": N_("Your application {ref} needs more information from you."),
    "appeal_decided": N_("Your appeal on {ref} has been decided."),
    "invited": N_("You may be eligible for {service}: apply with one click."),
}


#: What an outside channel says: the case reference at most. Email and SMS cross
#: servers nobody here controls, so what was decided, about whom, stays in the site.
OUTSIDE = {
    True: N_("There is news about your application {ref}. Sign in to read it."),
    False: N_("You have a new message about the city's services. Sign in to read it."),
}
SUBJECT = N_("News from the city's services")


@dataclass(frozen=True)
class Recipient:
    user_id: int
    email: str | None
    language: str


class Channel(Protocol):
    def send(self, to: Recipient, text: str) -> None:
        """Deliver ``text`` to the recipient's address on this channel; return quietly
        if they have none there, raise if it could not be sent."""


class ConsoleChannel:
    """The embedded default: a line in the server's log instead of an email or SMS. It
    names the account by number and the case by reference, nothing personal."""

    def send(self, to: Recipient, text: str) -> None:
        print(f"[notification] to account {to.user_id}: {text}", flush=True)  # noqa: T201


class EmailChannel:
    """Notices by email over SMTP (aiosmtplib), to the address on the account."""

    def __init__(self, settings: Settings) -> None:
        if not settings.smtp_host or not settings.smtp_from:
            raise ConfigError(
                "invalid setting SMARTGOV_NOTIFICATION_CHANNEL: 'email' needs "
                "SMARTGOV_SMTP_HOST and SMARTGOV_SMTP_FROM"
            )
        self._settings = settings

    def send(self, to: Recipient, text: str) -> None:
        import asyncio

        import aiosmtplib

        if not to.email:
            return
        s = self._settings
        message = EmailMessage()
        message["From"] = s.smtp_from
        message["To"] = to.email
        message["Subject"] = i18n.translator(to.language)(SUBJECT)
        message.set_content(text)
        # The worker is a plain thread: a short event loop per message.
        asyncio.run(aiosmtplib.send(
            message, hostname=s.smtp_host, port=s.smtp_port,
            username=s.smtp_username or None,
            password=s.smtp_password.get_secret_value() or None,
            use_tls=s.smtp_security == "tls", start_tls=s.smtp_security == "starttls",
            timeout=30,
        ))  # fmt: skip


#: The outside channels, by the name SMARTGOV_NOTIFICATION_CHANNEL gives: functions
#: (settings) -> Channel. A city registers its email or SMS gateway here.
CHANNELS: Plugins[Callable[[Settings], Channel]] = Plugins("notification channel")
CHANNELS.register("console", lambda _settings: ConsoleChannel())
CHANNELS.register("email", EmailChannel)


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
    """The notice in ``language``, in the site (a service is named in the reader's language)."""
    params = dict(notice.params)
    if language == "zh-Hans" and "service_zh" in params:
        params["service"] = params["service_zh"]
    return i18n.translator(language)(MESSAGES[notice.kind]).format(**params)


def outside_text(notice: Notification, language: str) -> str:
    """What an outside channel says of a notice: its case reference, nothing more."""
    ref = notice.params.get("ref")
    return i18n.translator(language)(OUTSIDE[ref is not None]).format(ref=ref)


def deliver(session: Session, channel: Channel, *, language: str, limit: int = 500) -> int:
    """Send notices not sent yet, each in its recipient's language (``language`` when
    the account chose none); how many went out. A failure stops the round: what was
    sent stays marked, the rest waits for the next."""
    pending = session.execute(
        select(Notification, User.email, User.language)
        .join(User, User.id == Notification.user_id)
        .where(Notification.sent_at.is_(None))
        .order_by(Notification.id).limit(limit)
    ).all()  # fmt: skip
    sent = 0
    for notice, email, chosen in pending:
        to = Recipient(user_id=notice.user_id, email=email, language=chosen or language)
        try:
            channel.send(to, outside_text(notice, to.language))
        except Exception as exc:  # noqa: BLE001 - a mail server's refusal or timeout
            log.error("a notice could not be sent (%s); it is tried again", type(exc).__name__)
            break
        notice.sent_at = now()
        sent += 1
    return sent
