from __future__ import annotations

import pytest

from smartgov.core.settings import ConfigError, load_settings


def test_it_reads_prefixed_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMARTGOV_LANGUAGE", "en")
    assert load_settings().language == "en"


def test_it_defaults_to_the_sqlite_file_under_var() -> None:
    settings = load_settings()
    assert settings.effective_database_url.endswith("var/smartgov.db")
    assert settings.is_sqlite


def test_it_names_a_bad_database_url() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(database_url="mysql://nobody@host/db")
    assert "SMARTGOV_DATABASE_URL" in str(caught.value)
    assert "postgresql" in str(caught.value)


def test_it_rejects_garbage_urls_with_the_expected_form() -> None:
    with pytest.raises(ConfigError, match="not a database URL"):
        load_settings(database_url="::not a url::")


def test_it_refuses_the_placeholder_secret_in_production() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(environment="production")
    message = str(caught.value)
    assert "secret_key" in message and "SMARTGOV_SECRET_KEY" in message
    assert len(message.splitlines()) == 1


def test_it_reads_secrets_from_files(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    secret = tmp_path / "key"
    secret.write_text("x" * 40 + "\n")
    ledger_key = tmp_path / "ledger"
    ledger_key.write_text("PRIVATE+KEY+city.example/ledger+0+x\n")
    monkeypatch.setenv("SMARTGOV_SECRET_KEY_FILE", str(secret))
    monkeypatch.setenv("SMARTGOV_LEDGER_KEY_FILE", str(ledger_key))
    settings = load_settings(environment="production")
    assert settings.secret_key.get_secret_value() == "x" * 40
    assert settings.ledger_key.get_secret_value().startswith("PRIVATE+KEY+city.example")


def test_it_refuses_production_without_a_ledger_key() -> None:
    with pytest.raises(ConfigError, match="smartgov ledger keygen"):
        load_settings(environment="production", secret_key="s" * 40)


def test_it_explains_an_unreadable_secret_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMARTGOV_SECRET_KEY_FILE", "/nonexistent/key")
    with pytest.raises(ConfigError, match="cannot read secret_key_file"):
        load_settings()


def test_it_refuses_unknown_languages() -> None:
    with pytest.raises(ConfigError, match="SMARTGOV_LANGUAGE"):
        load_settings(language="fr")


def test_it_never_prints_secrets() -> None:
    settings = load_settings(secret_key="s" * 40)
    assert "s" * 40 not in repr(settings)
