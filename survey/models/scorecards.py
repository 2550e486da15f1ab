"""On-site scoring: phones bound to raters, scorecards, their entries and their reopenings.

A scorecard is one rater's scores for one unit of a round (one per rater and
unit). Every criterion and area comment is written under a client version, so a
change queued on a phone while offline never overwrites a newer one. Submitting
locks the scorecard and fixes its receipt, the SHA-256 of its canonical form;
only staff can reopen it, and every reopening is kept.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.extensions import db
from survey.models.base import UTCDateTime, str_enum, utcnow
from survey.models.rounds import ReportSession, RoundRater
from survey.models.units import OrgUnit


class ScorecardStatus(str, enum.Enum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


class RaterDevice(db.Model):
    """A phone bound to a rater of a round by exchanging a join code.

    The phone holds a random token in a cookie; only its SHA-256 is stored. The
    binding ends when the join code would have expired, or when staff revoke it.
    """

    __tablename__ = "rater_devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    rater_id: Mapped[int] = mapped_column(ForeignKey("round_raters.id", ondelete="CASCADE"), index=True)
    join_code_id: Mapped[int | None] = mapped_column(ForeignKey("join_codes.id", ondelete="SET NULL"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_agent: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    rater: Mapped[RoundRater] = relationship()


class Scorecard(db.Model):
    __tablename__ = "scorecards"
    __table_args__ = (UniqueConstraint("round_id", "rater_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("report_sessions.id", ondelete="CASCADE"), index=True)
    rater_id: Mapped[int] = mapped_column(ForeignKey("round_raters.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id", ondelete="RESTRICT"))
    status: Mapped[ScorecardStatus] = mapped_column(str_enum(ScorecardStatus, 20), default=ScorecardStatus.DRAFT)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: SHA-256 (hex) of the canonical scorecard, fixed at submission.
    receipt: Mapped[str | None] = mapped_column(String(64))

    session: Mapped[ReportSession] = relationship()
    rater: Mapped[RoundRater] = relationship()
    unit: Mapped[OrgUnit] = relationship()
    entries: Mapped[list[ScoreEntry]] = relationship(
        back_populates="scorecard", cascade="all, delete-orphan", order_by="ScoreEntry.id"
    )
    comments: Mapped[list[AreaComment]] = relationship(
        back_populates="scorecard", cascade="all, delete-orphan", order_by="AreaComment.id"
    )
    reopenings: Mapped[list[ScorecardReopening]] = relationship(
        back_populates="scorecard", cascade="all, delete-orphan", order_by="ScorecardReopening.id"
    )


class ScoreEntry(db.Model):
    """One criterion's score on a scorecard, or "cannot judge" (missing for the engine)."""

    __tablename__ = "score_entries"
    __table_args__ = (UniqueConstraint("scorecard_id", "criterion"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scorecard_id: Mapped[int] = mapped_column(ForeignKey("scorecards.id", ondelete="CASCADE"), index=True)
    criterion: Mapped[str] = mapped_column(String(40))
    #: None while cleared or when ``cannot_judge`` is set.
    points: Mapped[float | None] = mapped_column(Float)
    cannot_judge: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The phone's version of this entry; a change with a lower version is stale.
    client_version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    scorecard: Mapped[Scorecard] = relationship(back_populates="entries")


class AreaComment(db.Model):
    """A rater's optional comment on one area of the framework."""

    __tablename__ = "area_comments"
    __table_args__ = (UniqueConstraint("scorecard_id", "area"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scorecard_id: Mapped[int] = mapped_column(ForeignKey("scorecards.id", ondelete="CASCADE"), index=True)
    area: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text, default="")
    client_version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    scorecard: Mapped[Scorecard] = relationship(back_populates="comments")


class ScorecardReopening(db.Model):
    """Staff reopened a submitted scorecard; kept for the record, never edited."""

    __tablename__ = "scorecard_reopenings"

    id: Mapped[int] = mapped_column(primary_key=True)
    scorecard_id: Mapped[int] = mapped_column(ForeignKey("scorecards.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    #: The receipt the scorecard had when it was reopened.
    previous_receipt: Mapped[str] = mapped_column(String(64))
    reopened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reopened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    scorecard: Mapped[Scorecard] = relationship(back_populates="reopenings")
