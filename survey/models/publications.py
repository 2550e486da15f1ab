"""Published round results: frozen snapshots and the exact files people download.

A publication freezes everything needed to recompute a round's results (the
engine inputs, settings and outputs) and stores every report file it produced,
with its SHA-256. Published rows are never changed; a correction is a new
publication of the same round with a higher version and a note of what changed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.extensions import db
from survey.models.base import JSONDocument, UTCDateTime, utcnow


class Publication(db.Model):
    __tablename__ = "publications"
    __table_args__ = (UniqueConstraint("round_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="RESTRICT"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: What changed since the previous version (required from version 2 on).
    note: Mapped[str] = mapped_column(Text, default="")
    #: Engine inputs (scores, raters, units, rules), settings and outputs, as JSON.
    snapshot: Mapped[dict] = mapped_column(JSONDocument)
    #: The audit chain head when the snapshot was taken (printed on the round report).
    audit_head: Mapped[str] = mapped_column(String(64))

    files: Mapped[list[PublishedFile]] = relationship(
        back_populates="publication", cascade="all, delete-orphan", order_by="PublishedFile.id"
    )


class PublishedFile(db.Model):
    __tablename__ = "published_files"
    __table_args__ = (UniqueConstraint("publication_id", "filename"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    publication_id: Mapped[int] = mapped_column(ForeignKey("publications.id", ondelete="RESTRICT"), index=True)
    #: ``round_report``, ``unit_report``, ``composite_report``, ``bundle``, ``raw_scores``.
    kind: Mapped[str] = mapped_column(String(40))
    #: The unit a unit report is about.
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id", ondelete="RESTRICT"))
    filename: Mapped[str] = mapped_column(String(200))
    mimetype: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)

    publication: Mapped[Publication] = relationship(back_populates="files")
