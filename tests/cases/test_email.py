"""Notices by email, through a real SMTP server on localhost (aiosmtpd): in the
recipient's language, with the case reference and nothing else about the case; a mail
server that is down leaves the notices waiting, not lost."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from email import message_from_bytes
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from smartgov.cases import notify
from smartgov.cases.models import Notification
from smartgov.core.db import transaction
from smartgov.core.models import User
from smartgov.core.roles import Role
from smartgov.core.settings import ConfigError, Settings
from smartgov.core.users import create_user
from tests.conftest import PASSWORD


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:  # noqa: ANN401, N802 - aiosmtpd's hook
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    found, port = Inbox(), free_port()
    server = Controller(found, hostname="127.0.0.1", port=port)
    server.start()
    yield found, port
    server.stop()


def mail_settings(settings: Settings, port: int) -> Settings:
    return settings.model_copy(update={
        "notification_channel": "email", "smtp_host": "127.0.0.1", "smtp_port": port,
        "smtp_security": "none", "smtp_from": "notices@city.example",
    })  # fmt: skip


def notices_for(factory: sessionmaker[Session], language: str | None) -> tuple[int, str]:
    """A fresh account with an email address and one notice about a case reference."""
    name = f"mail{uuid.uuid4().hex[:8]}"
    with transaction(factory) as session:
        for waiting in session.scalars(select(Notification).where(Notification.sent_at.is_(None))):
            waiting.sent_at = waiting.created_at  # other tests' notices are not this one's
        user = create_user(session, username=name, password=PASSWORD, role=Role.analyst,
                           email=f"{name}@example.org")  # fmt: skip
        user.language = language
        session.add(Notification(user_id=user.id, kind="decided", params={"ref": "C-TESTREF01"}))
        return user.id, f"{name}@example.org"


def forget(factory: sessionmaker[Session], user_id: int) -> None:
    with transaction(factory) as session:
        session.execute(delete(Notification).where(Notification.user_id == user_id))
        session.execute(delete(User).where(User.id == user_id))


def test_a_notice_goes_out_by_email_in_the_recipients_language(
    inbox: tuple[Inbox, int], factory: sessionmaker[Session], settings: Settings
) -> None:
    found, port = inbox
    channel = notify.channel(mail_settings(settings, port))
    _user, address = notices_for(factory, "zh-Hans")
    with transaction(factory) as session:
        assert notify.deliver(session, channel, language="en") == 1
    [(to, message)] = found.messages
    assert to == [address] and message["From"] == "notices@city.example"
    body = message.get_payload(decode=True).decode()
    assert "C-TESTREF01" in body and "登录" in body  # Chinese, as the account chose
    assert "decided" not in body and "决定" not in body  # what happened stays in the site
    with transaction(factory) as session:
        assert notify.deliver(session, channel, language="en") == 0  # sent once
    forget(factory, _user)


def test_a_mail_server_that_is_down_leaves_notices_waiting(
    factory: sessionmaker[Session], settings: Settings
) -> None:
    channel = notify.channel(mail_settings(settings, free_port()))  # nothing listens
    user_id, _address = notices_for(factory, None)
    with transaction(factory) as session:
        assert notify.deliver(session, channel, language="en") == 0
    with factory() as session:
        waiting = session.scalars(select(Notification).where(Notification.user_id == user_id))
        assert [n.sent_at for n in waiting] == [None]
    forget(factory, user_id)


def test_the_email_channel_names_the_settings_it_lacks(settings: Settings) -> None:
    with pytest.raises(ConfigError, match="SMARTGOV_SMTP_HOST and SMARTGOV_SMTP_FROM"):
        notify.channel(settings.model_copy(update={"notification_channel": "email"}))
