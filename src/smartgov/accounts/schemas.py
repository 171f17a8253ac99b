"""Accounts as the API shows and takes them."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from smartgov.core.roles import Role


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    display_name: str
    role: str
    department_code: str | None
    language: str | None
    email: str | None = None
    active: bool


class AccountNew(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    role: Role
    display_name: str | None = Field(None, max_length=100)
    department_code: str | None = Field(None, max_length=32)
    person_id: int | None = Field(None, ge=1, le=2**62)
    enterprise_id: int | None = Field(None, ge=1, le=2**62)
    email: str | None = Field(None, max_length=254)


class AccountChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role
    department_code: str | None = Field(None, max_length=32)
    display_name: str = Field(min_length=1, max_length=100)
    email: str | None = Field(None, max_length=254)


class PasswordReset(BaseModel):
    model_config = ConfigDict(extra="forbid")

    new: str = Field(min_length=1, max_length=256)


class SessionsEnded(BaseModel):
    ended: int = Field(description="Page sessions and API tokens ended.")
