"""API shapes for registry records and statistics."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict


class PersonOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    gender: str
    birth_date: date
    relation: str
    district_code: str
    disability_grade: int
    employment: str
    monthly_income: int


class HouseholdOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    district_code: str
    size: int
    housing: str


class PersonRecordOut(BaseModel):
    person: PersonOut
    household: HouseholdOut | None
    members: list[PersonOut]


class EnterpriseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    credit_code: str
    name: str
    industry: str
    size: str
    employees: int
    founded_on: date
    district_code: str
    status: str


class DistrictFigures(BaseModel):
    code: str
    name_zh: str
    name_en: str
    people: int
    aged_60_plus: int
    with_disability: int
    mean_wage: int | None
