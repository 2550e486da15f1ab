"""Criteria frameworks: areas with weights, criteria with maxima, steps and guidance.

Like questionnaires, a framework's structure is a JSON spec stored whole on
each version (see ``survey.services.frameworks`` for its shape). A version is
frozen once a round that uses it opens, so scores always refer to the exact
criteria they were given against.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.extensions import db
from survey.models.base import JSONDocument, UTCDateTime, utcnow


class Framework(db.Model):
    __tablename__ = "frameworks"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Short stable name used on the command line, e.g. ``xicheng-2014``.
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    versions: Mapped[list[FrameworkVersion]] = relationship(
        back_populates="framework", order_by="FrameworkVersion.number", cascade="all, delete-orphan"
    )


class FrameworkVersion(db.Model):
    __tablename__ = "framework_versions"
    __table_args__ = (
        UniqueConstraint("framework_id", "number"),
        CheckConstraint("number >= 1", name="number_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    framework_id: Mapped[int] = mapped_column(ForeignKey("frameworks.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    spec: Mapped[dict] = mapped_column(JSONDocument)
    #: Set when the first round using this version opens; a frozen version never changes.
    frozen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    framework: Mapped[Framework] = relationship(back_populates="versions")

    @property
    def frozen(self) -> bool:
        return self.frozen_at is not None
