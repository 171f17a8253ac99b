"""The demo city's registers: households and people (public security's household
register, with what other departments keep about them) and enterprises. A real city's
registers live in its departments' own systems; the exchange reads them through the
datasets' providers, and these tables only through the views declared as sources."""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from smartgov.core.db import Base


class Household(Base):
    __tablename__ = "registry_household"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    district_code: Mapped[str] = mapped_column(ForeignKey("district.code"), index=True)
    size: Mapped[int] = mapped_column(SmallInteger)
    housing: Mapped[str] = mapped_column(String(16))  # owned, rented, public_rental, other
    savings: Mapped[int] = mapped_column(BigInteger)  # yuan, whole household
    receives_min_living: Mapped[bool] = mapped_column(Boolean)


class Person(Base):
    __tablename__ = "registry_person"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    resident_id: Mapped[str] = mapped_column(String(18), unique=True)  # GB 11643
    name: Mapped[str] = mapped_column(String(20))
    gender: Mapped[str] = mapped_column(String(1))  # M or F
    birth_date: Mapped[date] = mapped_column(Date)
    household_id: Mapped[int] = mapped_column(ForeignKey("registry_household.id"), index=True)
    relation: Mapped[str] = mapped_column(String(8))  # head, spouse, child, parent
    district_code: Mapped[str] = mapped_column(ForeignKey("district.code"), index=True)
    disability_grade: Mapped[int] = mapped_column(SmallInteger)  # 0 none, 1 (severe) to 4
    employment: Mapped[str] = mapped_column(String(16))
    # Recorded by HRSS at unemployment registration; "none" for everyone else.
    separation_reason: Mapped[str] = mapped_column(String(16), server_default="none")
    monthly_income: Mapped[int] = mapped_column(Integer)  # yuan
    insurance_months: Mapped[int] = mapped_column(SmallInteger)  # unemployment insurance
    receives_old_age_allowance: Mapped[bool] = mapped_column(Boolean)
    receives_disability_subsidy: Mapped[bool] = mapped_column(Boolean)


class Enterprise(Base):
    __tablename__ = "registry_enterprise"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)  # GB 32100
    name: Mapped[str] = mapped_column(String(60))
    industry: Mapped[str] = mapped_column(String(24), index=True)
    size: Mapped[str] = mapped_column(String(8))  # micro, small, medium, large
    employees: Mapped[int] = mapped_column(Integer)
    founded_on: Mapped[date] = mapped_column(Date)
    district_code: Mapped[str] = mapped_column(ForeignKey("district.code"), index=True)
    registered_capital: Mapped[int] = mapped_column(BigInteger)  # yuan
    status: Mapped[str] = mapped_column(String(12))  # active, deregistered
