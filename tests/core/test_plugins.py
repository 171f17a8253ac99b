"""Registration points find implementations by name and say what is there when a
name is unknown; a city's own channel is used by the decision worker."""

from __future__ import annotations

import pytest

from smartgov.cases import notify
from smartgov.core.plugins import Plugins, Unknown
from smartgov.core.settings import ConfigError, Settings


def test_it_names_what_is_registered_when_a_name_is_not() -> None:
    found: Plugins[int] = Plugins("thing")
    found.register("one", 1)
    assert found.get("one") == 1 and "one" in found and found.names() == ["one"]
    with pytest.raises(Unknown, match=r"no thing is registered as 'two' \(registered: one\)"):
        found.get("two")
    found.unregister("one")
    assert "one" not in found


def test_a_city_registers_its_own_notification_channel(settings: Settings) -> None:
    sent: list[tuple[int, str]] = []

    class Sms:
        def send(self, to: notify.Recipient, text: str) -> None:
            sent.append((to.user_id, text))

    notify.CHANNELS.register("sms", lambda _settings: Sms())
    try:
        chosen = notify.channel(settings.model_copy(update={"notification_channel": "sms"}))
        chosen.send(notify.Recipient(user_id=7, email=None, language="en"), "hello")
        assert sent == [(7, "hello")]
    finally:
        notify.CHANNELS.unregister("sms")
    with pytest.raises(ConfigError, match="SMARTGOV_NOTIFICATION_CHANNEL"):
        notify.channel(settings.model_copy(update={"notification_channel": "sms"}))
