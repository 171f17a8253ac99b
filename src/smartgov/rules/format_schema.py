"""The JSON Schema of the service format, published as docs/service.schema.json so
editors validate `service.yaml` while it is written (yaml-language-server)."""

from __future__ import annotations

from typing import Any

from smartgov.rules.definition import ServiceDefinition

SCHEMA_ID = "https://smartgov.example/schemas/service.schema.json"


def service_schema() -> dict[str, Any]:
    schema = ServiceDefinition.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "smartgov service definition",
        "description": "One public service as rules: see docs/rules.md.",
        **schema,
    }
