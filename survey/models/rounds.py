"""Assessment rounds: units evaluated, the rater pool, report sessions, panels and conflicts."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.extensions import db
from survey.models.base import JSONDocument, UTCDateTime, str_enum, utcnow
from survey.models.frameworks import FrameworkVersion
from survey.models.units import OrgUnit
from survey.models.users import RaterType, User


class RoundStatus(str, enum.Enum):
    SETUP = "setup"
    OPEN = "open"
    CLOSED = "closed"


class SessionStatus(str, enum.Enum):
    SCHEDULED = "scheduled"
    OPEN = "open"  #: the chair's report has ended; scores are accepted
    CLOSED = "closed"


class ConflictKind(str, enum.Enum):
    RELATIONSHIP = "relationship"  #: recorded by staff, e.g. a former employer
    DECLARED = "declared"  #: declared by the representative at the session


class Round(db.Model):
    __tablename__ = "rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    #: e.g. "2014 mid-year" (2014年年中)
    period: Mapped[str] = mapped_column(String(80))
    framework_version_id: Mapped[int] = mapped_column(ForeignKey("framework_versions.id", ondelete="RESTRICT"))
    status: Mapped[RoundStatus] = mapped_column(str_enum(RoundStatus, 20), default=RoundStatus.SETUP)
    #: Configurable recusal rules; own unit and parent/child units are always on.
    recuse_same_sub_district: Mapped[bool] = mapped_column(Boolean, default=False)
    recuse_same_industry: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Aggregation settings handed to the engine (scoring.types.Settings fields).
    settings: Mapped[dict] = mapped_column(JSONDocument, default=dict)
    #: Panel-forming parameters (mode, sizes, quotas by unit kind, minimum raters per unit).
    panel_spec: Mapped[dict] = mapped_column(JSONDocument, default=dict)
    #: Target indicators and satisfaction results combined with the open-door scores, in the
    #: ``composite`` format of ``scoring.io`` (open-door weight, per unit targets and surveys).
    composite: Mapped[dict | None] = mapped_column(JSONDocument, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    framework_version: Mapped[FrameworkVersion] = relationship()
    units: Mapped[list[RoundUnit]] = relationship(back_populates="round", cascade="all, delete-orphan")
    raters: Mapped[list[RoundRater]] = relationship(back_populates="round", cascade="all, delete-orphan")
    sessions: Mapped[list[ReportSession]] = relationship(back_populates="round", cascade="all, delete-orphan")


class RoundUnit(db.Model):
    """A unit evaluated in the round."""

    __tablename__ = "round_units"
    __table_args__ = (UniqueConstraint("round_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id", ondelete="RESTRICT"))

    round: Mapped[Round] = relationship(back_populates="units")
    unit: Mapped[OrgUnit] = relationship()


class RoundRater(db.Model):
    """A member of the round's rater pool, as recusal rules and quotas see them."""

    __tablename__ = "round_raters"
    __table_args__ = (UniqueConstraint("round_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    #: The representative's account, when the rater has one.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(120))
    rater_type: Mapped[RaterType] = mapped_column(str_enum(RaterType, 30))
    home_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id", ondelete="RESTRICT"))
    sub_district_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id", ondelete="RESTRICT"))
    industry: Mapped[str | None] = mapped_column(String(80))
    #: Fixed group in the rotating-panel model (the 2014 round's four groups), if any.
    panel: Mapped[str | None] = mapped_column(String(40))

    round: Mapped[Round] = relationship(back_populates="raters")
    user: Mapped[User | None] = relationship()
    home_unit: Mapped[OrgUnit | None] = relationship(foreign_keys=[home_unit_id])
    sub_district: Mapped[OrgUnit | None] = relationship(foreign_keys=[sub_district_id])


class ReportSession(db.Model):
    """One unit's chair reports; its panel scores right after (one per unit and round)."""

    __tablename__ = "report_sessions"
    __table_args__ = (UniqueConstraint("round_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id", ondelete="RESTRICT"))
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    place: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[SessionStatus] = mapped_column(str_enum(SessionStatus, 20), default=SessionStatus.SCHEDULED)
    #: When staff last opened scoring (the chair's report ended) and closed it.
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    round: Mapped[Round] = relationship(back_populates="sessions")
    unit: Mapped[OrgUnit] = relationship()
    members: Mapped[list[PanelMember]] = relationship(back_populates="session", cascade="all, delete-orphan")


class PanelMember(db.Model):
    """A rater seated on a session's panel, by the solver or by hand."""

    __tablename__ = "panel_members"
    __table_args__ = (UniqueConstraint("session_id", "rater_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("report_sessions.id", ondelete="CASCADE"), index=True)
    rater_id: Mapped[int] = mapped_column(ForeignKey("round_raters.id", ondelete="CASCADE"), index=True)
    #: "solver" or "manual"
    source: Mapped[str] = mapped_column(String(20), default="solver")

    session: Mapped[ReportSession] = relationship(back_populates="members")
    rater: Mapped[RoundRater] = relationship()


class Conflict(db.Model):
    """A recorded or declared conflict of interest between a rater and a unit."""

    __tablename__ = "conflicts"
    __table_args__ = (UniqueConstraint("round_id", "rater_id", "unit_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    rater_id: Mapped[int] = mapped_column(ForeignKey("round_raters.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id", ondelete="CASCADE"))
    kind: Mapped[ConflictKind] = mapped_column(str_enum(ConflictKind, 20))
    reason: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class JoinCode(db.Model):
    """A short one-time code on the session sheet that lets a rater join on their phone.

    Only the SHA-256 of the code is stored; printing a sheet issues fresh codes and
    revokes the rater's earlier unused ones.
    """

    __tablename__ = "join_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    rater_id: Mapped[int] = mapped_column(ForeignKey("round_raters.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: First exchanged for a phone session (the on-site scoring flow sets it).
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    rater: Mapped[RoundRater] = relationship()
