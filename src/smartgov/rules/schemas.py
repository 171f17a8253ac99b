"""API shapes of the rules: services, decisions with their trace, reform comparisons."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from smartgov.rules import simulate


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
    epsilon: float = Field(
        simulate.EPSILON, gt=0, le=simulate.MAX_EPSILON, allow_inf_nan=False,
        description="Privacy spent on each dataset read, from your allowance.",
    )  # fmt: skip
    cost_bound: float = Field(
        simulate.COST_BOUND, gt=0, le=simulate.MAX_COST_BOUND, allow_inf_nan=False,
        description="The most one subject's yearly cost counts for (yuan).",
    )  # fmt: skip


class PrivacyOut(BaseModel):
    epsilon: float
    cost_bound: float
    left_out: list[str] = Field(description="Breakdowns not released: their groups are not public.")
    budget_left: dict[str, float] = Field(description="Dataset -> allowance or budget left.")


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
    privacy: PrivacyOut | None = Field(
        description="How the figures were made private; none for a population you gave."
    )
