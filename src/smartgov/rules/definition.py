"""The service definition format: what a `services/<id>/service.yaml` may contain.

These models are the format's single source: the loader validates with them and
`smartgov rules schema` publishes their JSON Schema for editors. Expressions stay
strings here; `expressions.py` parses and checks them."""

from __future__ import annotations

import datetime as dt
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

Name = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=48)]
RefId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]*$", max_length=48)]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]*$", max_length=48)]
#: Rules are short; a longer text only wears the parser out (see expressions.parse).
Expression = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
#: A number a rule can compute with: infinity and NaN are not amounts or thresholds.
Finite = Annotated[float, Field(allow_inf_nan=False)]
Scalar = bool | int | Finite | str
ValueType = Literal["integer", "number", "boolean", "date", "text"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(Strict):
    """The same words in both languages a service is published in."""

    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


class LegalBasis(Strict):
    id: RefId = Field(description="How rules cite this clause: `reference: <id>`.")
    title: Text = Field(description="Name of the law, regulation or notice.")
    article: Text = Field(description="Article, paragraph or item, as the text numbers it.")
    url: str | None = Field(
        None, pattern=r"^https?://", description="Where the official text is published."
    )
    quote: Text | None = Field(None, description="The words of the clause.")


class Input(Strict):
    purpose: Text = Field(description="Why the service reads this field, shown to applicants.")
    source: Literal["registry", "applicant"] = Field(
        "registry",
        description="`registry`: a field of the unit's registry view, read with consent; "
        "`applicant`: declared by the applicant (then `type` is required).",
    )
    type: ValueType | None = None
    label: Text | None = None
    values: list[str] | None = Field(None, description="Allowed codes of a text input.")


class Parameter(Strict):
    label: Text
    type: Literal["integer", "number", "boolean", "text"] = "number"
    unit: str | None = Field(None, description="yuan, yuan/month, years, months...")
    reference: RefId = Field(description="The legal basis that sets this value.")
    values: dict[date, Scalar] = Field(
        min_length=1, description="Value from each date on, like OpenFisca parameters."
    )


class Variable(Strict):
    label: Text
    expr: Expression
    reference: RefId | None = None


class Output(Strict):
    label: Text
    type: ValueType


class Row(Strict):
    when: Expression
    then: dict[Name, Scalar] = Field(description="Output name to expression or literal.")
    reference: RefId | None = None
    note: Text | None = None


class Table(Strict):
    label: Text
    hit: Literal["unique", "first", "collect"] = Field(
        description="unique: at most one row may match; first: the first matching row "
        "wins; collect: every matching row counts, combined by `aggregate`."
    )
    aggregate: Literal["sum"] | None = None
    outputs: dict[Name, Output] = Field(min_length=1)
    rows: list[Row] = Field(min_length=1)
    default: dict[Name, Scalar] | None = Field(
        None, description="The outputs when no row matches; without it a gap is an error."
    )
    reference: RefId | None = None

    @model_validator(mode="after")
    def _aggregate_for_collect(self) -> Table:
        if (self.hit == "collect") != (self.aggregate is not None):
            raise ValueError("`aggregate` is required with hit: collect and allowed only there")
        return self


class Condition(Strict):
    id: Name
    label: Text = Field(description="The condition in plain words, as an applicant reads it.")
    when: Expression
    reference: RefId


class Outcome(Strict):
    amount: Expression = Field(description="Amount per period when eligible.")
    period: Literal["month", "year", "once"]
    duration: Expression | None = Field(None, description="Number of periods it is paid for.")
    maximum: Expression | None = Field(
        None,
        description="The most a reviewer may grant per period when the rules set no amount "
        "(a refused or undetermined case approved on review); reads parameters only.",
    )
    reference: RefId


class Document(Strict):
    id: Name
    label: Text
    required: bool = True


class Review(Strict):
    """How cases of the service are handled: the time promised and when a person looks
    at a case the rules could decide alone."""

    sla_days: int = Field(
        10, ge=1, le=365, description="Calendar days from submission to decision."
    )
    min_confidence: float = Field(
        0.8,
        ge=0.5,
        le=1.0,
        description="Below this confidence of the second-check model, a person reviews.",
    )


class ServiceDefinition(Strict):
    id: Slug
    version: str = Field(min_length=1, description="Bumped at every published change.")
    name: Text
    summary: Text
    department: Name = Field(description="Code of the owning department.")
    unit: Literal["person", "household", "enterprise"] = Field(
        description="Who a decision is about: one row of that registry view."
    )
    effective_from: date
    effective_to: date | None = None
    risk: Literal["standard", "high_impact"] = Field(
        description="high_impact: every decision goes to a person."
    )
    legal_basis: list[LegalBasis] = Field(min_length=1)
    inputs: dict[Name, Input] = Field(min_length=1)
    parameters: dict[Name, Parameter] = {}
    variables: dict[Name, Variable] = {}
    tables: dict[Name, Table] = {}
    eligibility: list[Condition] = Field(min_length=1)
    outcome: Outcome
    documents: list[Document] = []
    review: Review = Field(default_factory=Review)


class CaseTest(Strict):
    """One test case of `tests.yaml` beside the service."""

    name: str = Field(min_length=1)
    date: dt.date = Field(description="The day the decision is made on.")
    input: dict[Name, dt.date | Scalar | None]
    output: dict[str, Scalar | list[str] | None] = Field(
        description="Expected `outcome`, `amount`, `duration`, `missing` or any variable."
    )
    margin: float = Field(0.005, ge=0, description="Allowed absolute error on numbers.")


class Reform(Strict):
    """Changes to a service, evaluated beside today's rules."""

    name: Text
    service: Slug
    parameters: dict[Name, dict[date, Scalar] | Scalar] = {}
    variables: dict[Name, Expression] = {}
