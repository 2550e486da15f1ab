"""Questionnaires and their versions; the question structure itself is a JSON spec.

The spec (``forms.questionnaire.spec.Questionnaire.to_dict()``) is stored whole
on each version: a published version is frozen, and editing a live
questionnaire writes a new version, so every response points at exactly the
questions it answered.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.extensions import db
from survey.models.base import JSONDocument, UTCDateTime, str_enum, utcnow


class QuestionnaireStatus(str, enum.Enum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CLOSED = "closed"


class QuestionnaireKind(str, enum.Enum):
    NEEDS = "needs"  #: 职工需求问卷
    SATISFACTION = "satisfaction"  #: 满意度测评 (e.g. of a union chair)
    HOME_EVALUATION = "home_evaluation"  #: 会员评家
    OTHER = "other"


class Questionnaire(db.Model):
    __tablename__ = "questionnaires"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Short public identifier used in links and QR codes.
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    #: Title of the newest version, kept here for lists.
    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[QuestionnaireKind] = mapped_column(str_enum(QuestionnaireKind, 20))
    status: Mapped[QuestionnaireStatus] = mapped_column(str_enum(QuestionnaireStatus, 20), default=QuestionnaireStatus.DRAFT)
    #: Anonymous: responses keep no invite, address, agent or time finer than the day.
    anonymous: Mapped[bool] = mapped_column(Boolean, default=True)
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    versions: Mapped[list[QuestionnaireVersion]] = relationship(
        back_populates="questionnaire", order_by="QuestionnaireVersion.number", cascade="all, delete-orphan"
    )


class QuestionnaireVersion(db.Model):
    __tablename__ = "questionnaire_versions"
    __table_args__ = (
        UniqueConstraint("questionnaire_id", "number"),
        CheckConstraint("number >= 1", name="number_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaires.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    spec: Mapped[dict] = mapped_column(JSONDocument)
    #: Set when published; a published version never changes again.
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: How this version's questions relate to the previous one's (for combining versions).
    changes: Mapped[dict | None] = mapped_column(JSONDocument)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    questionnaire: Mapped[Questionnaire] = relationship(back_populates="versions")

    @property
    def frozen(self) -> bool:
        return self.published_at is not None
