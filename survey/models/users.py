"""Accounts and roles; a representative's rater profile."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.extensions import db
from survey.models.base import UTCDateTime, str_enum, utcnow
from survey.models.units import OrgUnit


class Role(str, enum.Enum):
    ADMIN = "admin"
    STAFF = "staff"
    REPRESENTATIVE = "representative"
    EVALUATOR = "evaluator"


class RaterType(str, enum.Enum):
    WORKER_REPRESENTATIVE = "worker_representative"  #: 职工代表
    UNION_CHAIR = "union_chair"  #: 工会主席
    MODEL_WORKER = "model_worker"  #: 劳模
    OTHER = "other"


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stored lower-case; login compares case-insensitively.
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(str_enum(Role, 20))
    #: A disabled account is refused at once, including sessions already open.
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Interface language chosen by the user (``zh_CN`` or ``en``); None follows the browser.
    locale: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    profile: Mapped[RepresentativeProfile | None] = relationship(
        back_populates="user", uselist=False, cascade="all, delete-orphan"
    )

    #: The server-side login session this request authenticated with (not a column).
    login_key = None  # str | None, set per request by the session loader

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.enabled

    def get_id(self) -> str | None:
        """Flask-Login stores the login-session key, not the user id, in the cookie."""
        return self.login_key

    def has_role(self, *roles: Role) -> bool:
        return self.role in roles

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role.value}>"


class RepresentativeProfile(db.Model):
    """Who a representative is, as recusal rules and panel quotas need it."""

    __tablename__ = "representative_profiles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    rater_type: Mapped[RaterType] = mapped_column(str_enum(RaterType, 30))
    home_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id", ondelete="RESTRICT"), index=True)
    sub_district_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id", ondelete="RESTRICT"))
    industry: Mapped[str | None] = mapped_column(String(80))

    user: Mapped[User] = relationship(back_populates="profile")
    home_unit: Mapped[OrgUnit | None] = relationship(foreign_keys=[home_unit_id])
    sub_district: Mapped[OrgUnit | None] = relationship(foreign_keys=[sub_district_id])
