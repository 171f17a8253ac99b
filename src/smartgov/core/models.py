"""Tables owned by core: the organisation (districts, departments) and accounts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from smartgov.core.clock import now
from smartgov.core.db import Base, Timestamp


class District(Base):
    __tablename__ = "district"

    code: Mapped[str] = mapped_column(String(6), primary_key=True)  # GB/T 2260 style
    name_zh: Mapped[str] = mapped_column(String(50))
    name_en: Mapped[str] = mapped_column(String(80))


class Department(Base):
    __tablename__ = "department"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(120))


class User(Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(32), index=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    department_code: Mapped[str | None] = mapped_column(
        ForeignKey("department.code"), nullable=True
    )
    # The registry entry a citizen or enterprise account stands for (no foreign key:
    # registries belong to the exchange capability and may live in another database).
    person_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    enterprise_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)
    # Where notices go outside the site (SMARTGOV_NOTIFICATION_CHANNEL=email); optional.
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(Timestamp(), default=now)


class ApiToken(Base):
    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    # Only a SHA-256 of the token is kept: a database leak does not leak tokens.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(Timestamp(), default=now)
    expires_at: Mapped[datetime] = mapped_column(Timestamp())


class UserSession(Base):
    """A signed-in page session, kept on the server: the cookie holds only a random key
    whose SHA-256 is stored here, so logging out, disabling the account or changing its
    password ends the session at once (deleting the row), whatever the cookie says."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(Timestamp(), default=now)
    expires_at: Mapped[datetime] = mapped_column(Timestamp())
