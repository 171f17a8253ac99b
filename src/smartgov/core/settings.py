"""One typed settings object, read from the environment (prefix ``SMARTGOV_``).

Every secret may also be given as a file (``SMARTGOV_SECRET_KEY_FILE``) so that
container secrets never have to pass through the environment.
"""

from __future__ import annotations

import base64
import os
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from limits import parse as parse_rate
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

#: The value shipped for development; refused anywhere else.
PLACEHOLDER_SECRET = "change-me-development-only"  # noqa: S105 - a known placeholder, refused in production

SUPPORTED_LANGUAGES = ("zh-Hans", "en")
SECRET_FIELDS = ("secret_key", "llm_api_key", "ledger_key", "exchange_key", "smtp_password")


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


class ConfigError(Exception):
    """A setting is wrong; the message names it and says how to fix it."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SMARTGOV_", extra="ignore")

    environment: Environment = Field(
        Environment.development, description="development, test or production."
    )
    database_url: str = Field(
        "", description="SQLAlchemy URL; empty means the SQLite file var/smartgov.db."
    )
    secret_key: SecretStr = Field(
        SecretStr(PLACEHOLDER_SECRET),
        description="Signs session cookies; at least 32 random characters in production.",
    )
    data_dir: Path = Field(Path("var"), description="Where the SQLite file and uploads live.")
    services_dir: Path = Field(
        Path("services"), description="Folder of service definitions, one folder per service."
    )
    ledger_key: SecretStr = Field(
        SecretStr(""),
        description="Signs the ledger's checkpoints: PRIVATE+KEY+name+id+key, made by "
        "`smartgov ledger keygen NAME`; empty outside production means a key derived "
        "from the secret key.",
    )
    registries: str = Field(
        "smartgov.demo.registries:REGISTRIES",
        description="The city's registries as module:attribute, an implementation of "
        "smartgov.exchange.registries.Registries (its fields, resident ID and household "
        "lookups); the default is the demo city.",
    )
    exchange_node: str = Field(
        "smartgov.localhost",
        description="This node's name when it reads from or serves other smartgov nodes.",
    )
    exchange_key: SecretStr = Field(
        SecretStr(""),
        description="This node's Ed25519 key for the exchange (base64 of 32 bytes), made by "
        "`smartgov exchange keygen`; empty outside production means one derived from the "
        "secret key.",
    )
    exchange_peers: dict[str, str] = Field(
        default_factory=dict,
        description='Peer nodes and their public keys, as JSON: {"name": "base64 key"}.',
    )
    language: str = Field("zh-Hans", description="Default language: zh-Hans or en.")
    contact_phone: str = Field(
        "12345",
        max_length=40,
        description="The service hotline every page's footer gives (12345: China's "
        "government service hotline).",
    )
    contact_address: str = Field(
        "", max_length=200, description="The service hall's address for the footer; empty for none."
    )
    filing_number: str = Field(
        "",
        max_length=60,
        description="The site's filing number (ICP 备案号) for the footer; empty for none.",
    )
    assets_dir: Path | None = Field(
        None, description="Folder of installed npm packages; default ./node_modules."
    )
    llm_base_url: str = Field(
        "", description="OpenAI-compatible endpoint for generation; empty means none."
    )
    llm_api_key: SecretStr = Field(SecretStr(""), description="Key for the LLM endpoint.")
    llm_model: str = Field("", description="Model name at the LLM endpoint.")
    session_max_age: int = Field(
        8 * 3600, ge=300, description="Seconds a login session stays valid."
    )
    case_worker: Literal["auto", "on", "off"] = Field(
        "auto",
        description="Run the decision worker inside `smartgov serve`: auto means on the "
        "embedded SQLite default (outside tests); with PostgreSQL run `smartgov worker`.",
    )
    notification_channel: str = Field(
        "console",
        description="Where notices to applicants go besides the app: a channel registered "
        "in smartgov.cases.notify.CHANNELS (console, the default, writes a line to the log).",
    )
    smtp_host: str = Field("", description="Mail server for the email channel.")
    smtp_port: int = Field(587, ge=1, le=65535, description="Its port.")
    smtp_security: Literal["starttls", "tls", "none"] = Field(
        "starttls",
        description="starttls (upgrade the connection, port 587), tls (port 465) or none "
        "(a relay on this machine only).",
    )
    smtp_username: str = Field("", description="Login at the mail server; empty for none.")
    smtp_password: SecretStr = Field(SecretStr(""), description="Its password.")
    smtp_from: str = Field("", description="The sender address of notices.")
    checkpoint_seconds: float = Field(
        5,
        ge=0,
        le=3600,
        description="Seconds between checks for ledger growth; the server and `smartgov "
        "worker` sign a checkpoint when it grew. 0 turns the schedule off (tests, or a "
        "node that only reads).",
    )
    signin_limit_address: str = Field(
        "20/minute",
        description="Sign-in attempts one address may make (the `limits` notation: "
        "'20/minute', '100 per hour'); beyond, 429 before any password is checked.",
    )
    signin_limit_account: str = Field(
        "10 per 15 minutes",
        description="Failed sign-ins one account may take, from anywhere; beyond, even the "
        "right password is refused until the window moves on.",
    )
    signin_storage: str = Field(
        "memory://",
        description="Where sign-in attempts are counted: memory:// (each server process "
        "counts its own) or a shared store such as redis://host:6379 (needs `redis`).",
    )
    max_request_bytes: int = Field(
        16 * 1024 * 1024,
        ge=64 * 1024,
        description="Largest request body the server reads (an application with its "
        "documents, base64, included); larger ones are refused with 413 before parsing.",
    )
    max_upload_bytes: int = Field(
        10 * 1024 * 1024, ge=1024, description="Largest document an applicant may upload."
    )
    token_cache_seconds: float = Field(
        10,
        ge=0,
        le=300,
        description="Seconds a server process trusts an API token it has checked before "
        "checking it again; 0 checks on every request.",
    )

    @model_validator(mode="before")
    @classmethod
    def _read_secret_files(cls, data: Any) -> Any:
        """``SMARTGOV_<NAME>_FILE`` points at a file holding the secret."""
        if not isinstance(data, dict):
            return data
        for name in SECRET_FIELDS:
            path = data.pop(f"{name}_file", None) or os.environ.get(f"SMARTGOV_{name.upper()}_FILE")
            if path and name not in data:
                try:
                    data[name] = Path(path).read_text(encoding="utf-8").strip()
                except OSError as exc:
                    raise ValueError(f"cannot read {name}_file {path!r}: {exc.strerror}") from exc
        return data

    @field_validator("database_url")
    @classmethod
    def _valid_url(cls, value: str) -> str:
        if not value:
            return value
        try:
            url = make_url(value)
        except ArgumentError as exc:
            raise ValueError(
                "not a database URL; use sqlite:///path/to.db or "
                "postgresql+psycopg://user@host:5432/dbname"
            ) from exc
        if url.get_backend_name() not in ("sqlite", "postgresql"):
            raise ValueError(
                f"unsupported database {url.get_backend_name()!r}; use sqlite or postgresql"
            )
        return value

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in SUPPORTED_LANGUAGES:
            raise ValueError(f"use one of {', '.join(SUPPORTED_LANGUAGES)}")
        return value

    @field_validator("signin_limit_address", "signin_limit_account")
    @classmethod
    def _a_rate(cls, value: str) -> str:
        try:
            parse_rate(value)
        except ValueError:
            raise ValueError("write a rate such as '20/minute' or '10 per 15 minutes'") from None
        return value

    @model_validator(mode="after")
    def _no_placeholder_in_production(self) -> Settings:
        if self.environment is Environment.production:
            secret = self.secret_key.get_secret_value()
            if secret == PLACEHOLDER_SECRET or len(secret) < 32:
                raise ValueError(
                    "secret_key: production needs a random secret of at least 32 characters; "
                    "set SMARTGOV_SECRET_KEY or SMARTGOV_SECRET_KEY_FILE "
                    '(python -c "import secrets; print(secrets.token_urlsafe(48))")'
                )
            if not self.ledger_key.get_secret_value():
                raise ValueError(
                    "ledger_key: production needs the ledger's own signing key; make one with "
                    "`smartgov ledger keygen city.example/ledger` and set SMARTGOV_LEDGER_KEY "
                    "or SMARTGOV_LEDGER_KEY_FILE"
                )
            if self.exchange_peers and not self.exchange_key.get_secret_value():
                raise ValueError(
                    "exchange_key: a node with peers needs its own exchange key in production; "
                    "make one with `smartgov exchange keygen` and set SMARTGOV_EXCHANGE_KEY "
                    "or SMARTGOV_EXCHANGE_KEY_FILE"
                )
        for name, key in self.exchange_peers.items():
            try:
                raw = base64.b64decode(key, validate=True)
            except ValueError:
                raw = b""
            if len(raw) != 32:
                raise ValueError(
                    f"exchange_peers: the key of {name!r} is not base64 of 32 bytes; copy the "
                    "public key that `smartgov exchange keygen` printed on that node"
                )
        return self

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'smartgov.db').as_posix()}"

    @property
    def is_sqlite(self) -> bool:
        return self.effective_database_url.startswith("sqlite")

    @property
    def runs_case_worker(self) -> bool:
        """Whether ``smartgov serve`` decides cases itself."""
        if self.case_worker == "auto":
            return self.is_sqlite and self.environment is not Environment.test
        return self.case_worker == "on"

    @property
    def node_modules(self) -> Path:
        return self.assets_dir or Path("node_modules")


def load_settings(**overrides: Any) -> Settings:
    """Read settings, turning validation errors into one line per bad setting."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            message = str(err["msg"]).removeprefix("Value error, ")
            if err["loc"]:
                field = ".".join(str(p) for p in err["loc"])
                lines.append(f"invalid setting SMARTGOV_{field.upper()}: {message}")
            else:  # a rule across settings; its message names the setting itself
                lines.append(f"invalid settings: {message}")
        raise ConfigError("\n".join(lines)) from None
