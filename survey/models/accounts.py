"""Server-side login sessions and login attempts.

Both live in the database, not in process memory, so several app servers share
them: logging out or disabling a user ends the session on every server, and
the login throttle counts failures wherever they happen.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.extensions import db
from survey.models.base import UTCDateTime, utcnow
from survey.models.users import User


class LoginSession(db.Model):
    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: SHA-256 of the random token held in the signed session cookie.
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user_agent: Mapped[str | None] = mapped_column(String(255))

    user: Mapped[User] = relationship()


class LoginAttempt(db.Model):
    """One failed login; the throttle counts recent rows per username and per address."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_username_at", "username", "attempted_at"),
        Index("ix_login_attempts_address_at", "address", "attempted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The name as typed, lower-cased, whether or not such a user exists.
    username: Mapped[str] = mapped_column(String(80))
    address: Mapped[str] = mapped_column(String(64))
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
