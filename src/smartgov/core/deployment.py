"""`smartgov check`: coded warnings about a deployment, in the style of Healthchecks."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from smartgov.core import capabilities, migrate
from smartgov.core.settings import PLACEHOLDER_SECRET, Environment, Settings


@dataclass(frozen=True)
class Finding:
    code: str
    level: str  # error or warning
    message: str

    def __str__(self) -> str:
        return f"{self.code} {self.level}: {self.message}"


def run_checks(settings: Settings, engine: Engine) -> list[Finding]:
    found: list[Finding] = []
    production = settings.environment is Environment.production
    if settings.secret_key.get_secret_value() == PLACEHOLDER_SECRET:
        found.append(
            Finding(
                "SG001",
                "error" if production else "warning",
                "SMARTGOV_SECRET_KEY is the development placeholder; set a random secret.",
            )
        )
    if production and settings.is_sqlite:
        found.append(
            Finding(
                "SG002",
                "warning",
                "production on the embedded SQLite file; set SMARTGOV_DATABASE_URL to PostgreSQL.",
            )
        )
    try:
        current = migrate.current(engine)
    except SQLAlchemyError as exc:
        found.append(
            Finding("SG003", "error", f"cannot reach the database: {exc.__class__.__name__}")
        )
        return found
    if current != migrate.heads():
        found.append(
            Finding(
                "SG004",
                "error",
                f"database schema is at {migrate.describe(current)}; run `smartgov db upgrade`.",
            )
        )
    design = settings.node_modules / "@uswds" / "uswds" / "dist" / "css" / "uswds.min.css"
    if not design.exists():
        found.append(
            Finding(
                "SG005",
                "warning",
                f"design system not installed at {design.parent}; run `make assets`.",
            )
        )
    if settings.llm_base_url and not settings.llm_model:
        found.append(
            Finding(
                "SG006", "warning", "SMARTGOV_LLM_BASE_URL is set but SMARTGOV_LLM_MODEL is not."
            )
        )
    for _capability, paths in capabilities.each("checks"):
        for path in paths:
            found.extend(capabilities.resolve(path)(settings))
    return found
