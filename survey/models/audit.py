"""The audit log: append-only, each entry chained to the one before by SHA-256.

An entry's hash covers its own fields and the previous entry's hash, so
changing, removing or reordering any row breaks the chain from that row on;
``kaimen audit verify`` names the first broken entry. The single ``audit_head``
row holds the latest hash; appending locks it, so concurrent writers on several
app servers still form one chain. Database triggers refuse UPDATE and DELETE on
the log (installed by the migration), so only someone who drops them can edit it,
and the chain then shows it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from survey.extensions import db
from survey.models.base import JSONDocument, UTCDateTime, utcnow

#: The hash the first entry chains to.
GENESIS = "0" * 64


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Who acted: a user, a scoring phone (``rater:<id>``), or the command line (``cli``).
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(120))
    #: What happened, e.g. ``login``, ``score.submit``, ``session.close``, ``publication``.
    action: Mapped[str] = mapped_column(String(60), index=True)
    #: What it happened to, e.g. ``scorecard`` / ``17``.
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[str] = mapped_column(String(80))
    details: Mapped[dict] = mapped_column(JSONDocument, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHead(db.Model):
    """One row: the newest entry; appending locks it so the chain never forks."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_entry_id: Mapped[int | None] = mapped_column(Integer)
    last_hash: Mapped[str] = mapped_column(String(64), default=GENESIS)
