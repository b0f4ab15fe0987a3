from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from repdesk.db.base import Base, IdMixin, TimestampMixin


class Workspace(IdMixin, TimestampMixin, Base):
    __tablename__ = "workspaces"
    __table_args__ = (CheckConstraint("credits >= 0", name="credits_not_negative"),)

    business_name: Mapped[str] = mapped_column(String(200))
    # IANA name (Africa/Lagos): the default for times the owner picks, such as schedules.
    timezone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    # Current balance; the ledger (billing.models.LedgerEntry) is the history. Both change together
    # in billing.service only, and a CHECK-like conditional update keeps it >= 0.
    credits: Mapped[int] = mapped_column(BigInteger, default=0, nullable=False)


class User(IdMixin, TimestampMixin, Base):
    __tablename__ = "users"

    email: Mapped[str] = mapped_column(String(320), unique=True, index=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    email_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    is_operator: Mapped[bool] = mapped_column(Boolean, default=False)


class Membership(IdMixin, TimestampMixin, Base):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("workspace_id", "user_id"),)

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20), default="owner")  # owner | admin | agent


class AuthSession(IdMixin, TimestampMixin, Base):
    """A login session; the cookie holds a random token, the table only its SHA-256."""

    __tablename__ = "auth_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    expires_at: Mapped[datetime]


class EmailToken(IdMixin, TimestampMixin, Base):
    __tablename__ = "email_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(20), default="verify")
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class LoginIP(IdMixin, TimestampMixin, Base):
    """An IP address that has signed in to this user (SHA-256 of the user's id and the address).
    The per-email login lock does not apply to such an address (accounts.throttle), so an
    attacker elsewhere cannot lock the owner out."""

    __tablename__ = "user_login_ips"
    __table_args__ = (UniqueConstraint("user_id", "ip_hash"),)

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    ip_hash: Mapped[str] = mapped_column(String(64))
