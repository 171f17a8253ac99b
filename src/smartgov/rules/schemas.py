"""API shapes of the rules: services, decisions with their trace, reform comparisons."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class ServiceSummary(BaseModel):
    id: str
    version: str
    name: str
    summary: str
    department: str
    unit: str
    risk: Literal["standard", "high_impact"]
    period: str


class DecideRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    facts: dict[str, Any] = Field(description="Input name to value; absent inputs are missing.")
    on: date | None = Field(None, description="Decision day; default today.")


class DecisionOut(BaseModel):
    service: str
    version: str
    on: date
    outcome: Literal["eligible", "ineligible", "undetermined"]
    amount: float | None
    period: str
    duration: float | None
    missing: list[str]
    failed_conditions: list[str]
    explanation: str
    trace: dict[str, Any]


class SimulateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reform: dict[str, Any] = Field(
        description="A reform as in a reform file: name {zh, en}, service, parameters, variables."
    )
    on: date | None = None


class ComparisonOut(BaseModel):
    service: str
    reform: dict[str, str] | None
    on: date
    seconds: float
    setup_seconds: float
    total: dict[str, float | None] = Field(
        description="None marks a figure withheld: it rests on fewer than 10 people."
    )
    breakdowns: dict[str, dict[str, dict[str, float | None]]]
