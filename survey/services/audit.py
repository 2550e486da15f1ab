"""The audit log: append entries to the hash chain, read its head, verify it.

Every entry's hash is ``sha256(prev_hash + canonical JSON of the entry)``, the
canonical JSON being::

    {"action": ..., "actor": ..., "actor_user_id": ..., "at": "2014-06-09T09:38:12.345678+00:00",
     "details": {...}, "id": 17, "kaimen_audit": 1, "subject_id": "12", "subject_type": "scorecard"}

with sorted keys, no whitespace, UTF-8 (no ``\\u`` escapes), the time in UTC with
microseconds, and the details as plain JSON (integral floats as integers, mapping
keys as strings), so the same entry hashes the same after a round trip through
SQLite or PostgreSQL (JSONB). Entry ids are assigned under the head's lock as
``1, 2, 3, ...`` and are part of the hash, so a removed entry shows as a gap.

Appending locks the single ``audit_head`` row (``SELECT ... FOR UPDATE`` on
PostgreSQL; SQLite writers are serialised by ``BEGIN IMMEDIATE``) and moves it
to the new entry, in the caller's transaction: the entry is stored exactly when
what it records is.

:func:`verify` walks the chain and names the first broken entry, then checks the
scores: every submitted scorecard's receipt, recomputed from the stored rows,
must equal the receipt of its latest ``score.submit`` entry, so a score changed
directly in the database is reported with its scorecard. It also checks that
every publication's recorded chain head is still in the chain.
"""

from __future__ import annotations

import contextlib
import contextvars
import enum
import hashlib
import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from survey.extensions import db
from survey.models import (
    GENESIS,
    AuditEntry,
    AuditHead,
    Publication,
    Scorecard,
    ScorecardStatus,
    User,
)
from survey.models.base import utcnow

#: Version of the canonical form, part of every hashed document.
FORMAT = 1
HEAD_ID = 1

#: Actions recorded by Kaimen (publication and download are recorded by their services).
LOGIN = "login"
LOGIN_FAILED = "login.failed"
LOGOUT = "logout"
USER_CREATE = "user.create"
USER_ROLE = "user.role"
USER_ENABLED = "user.enabled"
SCORE_SUBMIT = "score.submit"
SCORE_REOPEN = "score.reopen"
RECUSAL_DECLARED = "recusal.declared"
RECUSAL_RECORDED = "recusal.recorded"
RECUSAL_REMOVED = "recusal.removed"
SESSION_OPEN = "session.open"
SESSION_CLOSE = "session.close"
PUBLICATION = "publication"
DOWNLOAD = "download"

#: Who acts when a service is given no user and no label (see :func:`acting_as`).
_default_actor: contextvars.ContextVar[str] = contextvars.ContextVar("kaimen_audit_actor", default="system")

_MAX_ACTOR, _MAX_ACTION, _MAX_SUBJECT_TYPE, _MAX_SUBJECT_ID = 120, 60, 40, 80


@contextlib.contextmanager
def acting_as(label: str) -> Iterator[None]:
    """Entries recorded inside the block without an actor name ``label`` (e.g. ``"cli"``)."""
    token = _default_actor.set(label)
    try:
        yield
    finally:
        _default_actor.reset(token)


# --------------------------------------------------------------------------- the canonical form


def _plain(value: Any) -> Any:
    """A JSON value as a JSON column gives it back: the form that is stored and hashed."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, enum.Enum):
        return _plain(value.value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("audit details cannot hold NaN or infinity")
        return int(value) if value.is_integer() else value
    if isinstance(value, datetime):
        return timestamp(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    raise TypeError(f"audit details cannot hold {type(value).__name__}")


def canonical_json(value: Any) -> str:
    """Sorted keys, no whitespace, non-ASCII kept as is."""
    return json.dumps(_plain(value), ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetime given to the audit log")
    return value.astimezone(UTC)


def timestamp(value: datetime) -> str:
    """UTC with microseconds: ``2014-06-09T09:38:12.345678+00:00``."""
    return _utc(value).isoformat(timespec="microseconds")


def entry_document(*, id: int, at: datetime, actor_user_id: int | None, actor: str, action: str,
                   subject_type: str, subject_id: str, details: Mapping | None) -> str:
    """The canonical JSON of an entry's own fields (everything but the two hashes)."""
    return canonical_json({
        "kaimen_audit": FORMAT,
        "id": int(id),
        "at": timestamp(at),
        "actor_user_id": None if actor_user_id is None else int(actor_user_id),
        "actor": actor,
        "action": action,
        "subject_type": subject_type,
        "subject_id": str(subject_id),
        "details": details or {},
    })


def chain_hash(prev_hash: str, document: str) -> str:
    return hashlib.sha256((prev_hash + document).encode("utf-8")).hexdigest()


def hash_of(entry: AuditEntry) -> str:
    """The hash an entry should have, recomputed from its stored fields and its prev_hash."""
    return chain_hash(entry.prev_hash, entry_document(
        id=entry.id, at=entry.at, actor_user_id=entry.actor_user_id, actor=entry.actor, action=entry.action,
        subject_type=entry.subject_type, subject_id=entry.subject_id, details=entry.details))


# --------------------------------------------------------------------------- appending


def _locked_head() -> AuditHead:
    head = db.session.scalars(
        select(AuditHead).where(AuditHead.id == HEAD_ID).with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if head is None:
        raise RuntimeError("the audit log has no head row: run `kaimen db upgrade`")
    return head


def record(action: str, *, subject_type: str, subject_id, actor: User | None = None,
           actor_label: str | None = None, details: Mapping | None = None,
           now: datetime | None = None) -> AuditEntry:
    """Append an entry to the chain in the caller's transaction and return it.

    ``actor`` is the user who acted (their username is the label); without one,
    ``actor_label`` names the actor (``rater:<id>`` for a scoring phone, ``cli``,
    ``anonymous``), else the label set by :func:`acting_as`, else ``system``.
    ``details`` must be JSON-able (datetimes become UTC ISO strings).
    """
    if not action or len(action) > _MAX_ACTION or not subject_type or len(subject_type) > _MAX_SUBJECT_TYPE:
        raise ValueError(f"bad audit action or subject type: {action!r}, {subject_type!r}")
    label = actor.username if actor is not None else (actor_label or _default_actor.get())
    plain = _plain(dict(details or {}))
    at = _utc(now or utcnow())
    head = _locked_head()
    entry_id = (head.last_entry_id or 0) + 1
    fields = {"id": entry_id, "at": at, "actor_user_id": actor.id if actor is not None else None,
              "actor": label[:_MAX_ACTOR], "action": action, "subject_type": subject_type,
              "subject_id": str(subject_id)[:_MAX_SUBJECT_ID], "details": plain}
    entry = AuditEntry(**fields, prev_hash=head.last_hash,
                       entry_hash=chain_hash(head.last_hash, entry_document(**fields)))
    db.session.add(entry)
    head.last_entry_id = entry_id
    head.last_hash = entry.entry_hash
    db.session.flush()
    return entry


def rater_label(rater) -> str:
    """The actor label of a scoring phone (a rater of a round)."""
    return f"rater:{rater.id}"


# --------------------------------------------------------------------------- reading


def head() -> str:
    """The current chain head: the newest entry's hash (all zeros while the log is empty)."""
    found = db.session.execute(select(AuditHead.last_hash).where(AuditHead.id == HEAD_ID)).scalar_one_or_none()
    return found or GENESIS


def latest(n: int = 20, *, action: str | None = None) -> list[AuditEntry]:
    """The newest ``n`` entries (optionally of one action), oldest first."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(max(0, n))
    if action:
        query = query.where(AuditEntry.action == action)
    return list(reversed(db.session.scalars(query).all()))


def describe(entry: AuditEntry) -> str:
    """One line per entry for the command line."""
    details = canonical_json(entry.details) if entry.details else ""
    when = _utc(entry.at).strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"#{entry.id}  {when}  {entry.actor}  {entry.action}  {entry.subject_type} {entry.subject_id}" + (
        f"  {details}" if details else "")


# --------------------------------------------------------------------------- verifying


@dataclass(frozen=True)
class ScoreMismatch:
    """A scorecard whose stored scores do not match what its submission recorded."""

    scorecard_id: int
    round_id: int | None
    unit: str | None
    rater_id: int | None
    reason: str

    def describe(self) -> str:
        return _("scorecard #%(id)s (round %(round)s, unit %(unit)s, rater %(rater)s): %(reason)s",
                 id=self.scorecard_id, round=self.round_id if self.round_id is not None else "?",
                 unit=self.unit or "?", rater=self.rater_id if self.rater_id is not None else "?",
                 reason=self.reason)


@dataclass(frozen=True)
class AuditCheck:
    """The outcome of :func:`verify`; ``ok`` only when the chain and every score check out."""

    ok: bool
    checked: int  #: entries read
    first_broken: AuditEntry | None
    reason: str  #: why ``first_broken`` (or the head) is wrong; empty when the chain is intact
    head: str = GENESIS
    chain_ok: bool = True
    problem: str = ""  #: changed, link, gap, head, unreadable
    scorecards: tuple[ScoreMismatch, ...] = ()
    publications: tuple[str, ...] = field(default=())

    def problems(self) -> list[str]:
        """Every problem as one line, the broken chain first."""
        lines = []
        if not self.chain_ok:
            lines.append(_("entry #%(id)s: %(reason)s", id=self.first_broken.id, reason=self.reason)
                         if self.first_broken is not None else self.reason)
        lines.extend(m.describe() for m in self.scorecards)
        lines.extend(self.publications)
        return lines


_COLUMNS = (AuditEntry.id, AuditEntry.at, AuditEntry.actor_user_id, AuditEntry.actor, AuditEntry.action,
            AuditEntry.subject_type, AuditEntry.subject_id, AuditEntry.details, AuditEntry.prev_hash,
            AuditEntry.entry_hash)


@dataclass
class _Walk:
    last_id: int = 0
    last_hash: str = GENESIS
    checked: int = 0
    broken_id: int | None = None
    problem: str = ""
    reason: str = ""
    #: scorecard id -> (action, entry id, receipt) of its latest submission or reopening
    score_events: dict[str, tuple[str, int, str | None]] = field(default_factory=dict)
    unseen_heads: set[str] = field(default_factory=set)

    def fail(self, entry_id: int | None, problem: str, reason: str) -> None:
        self.broken_id, self.problem, self.reason = entry_id, problem, reason

    def step(self, row) -> None:
        """Check one entry against the one before; after the first break, only note score events."""
        self.checked += 1
        if self.broken_id is None and self._check(row):
            self.last_id, self.last_hash = row.id, row.entry_hash
            self.unseen_heads.discard(row.entry_hash)
        if row.subject_type == "scorecard" and row.action in (SCORE_SUBMIT, SCORE_REOPEN):
            details = row.details if isinstance(row.details, Mapping) else {}
            receipt = details.get("receipt") if row.action == SCORE_SUBMIT else None
            self.score_events[str(row.subject_id)] = (row.action, row.id, receipt)

    def _check(self, row) -> bool:
        if row.id != self.last_id + 1:
            first_missing = self.last_id + 1
            self.fail(row.id, "gap", _(
                "entries #%(first)s to #%(last)s are missing: the chain has a gap before this entry",
                first=first_missing, last=row.id - 1) if row.id - 1 > first_missing else _(
                "entry #%(first)s is missing: the chain has a gap before this entry", first=first_missing))
            return False
        try:
            recomputed = chain_hash(row.prev_hash, entry_document(
                id=row.id, at=row.at, actor_user_id=row.actor_user_id, actor=row.actor, action=row.action,
                subject_type=row.subject_type, subject_id=row.subject_id, details=row.details))
        except (TypeError, ValueError, AttributeError) as exc:
            self.fail(row.id, "unreadable", _("the entry cannot be read (%(error)s): it was changed",
                                              error=str(exc)))
            return False
        if recomputed != row.entry_hash:
            self.fail(row.id, "changed", _(
                "its content was changed after it was written: its stored hash does not match its fields"))
            return False
        if row.prev_hash != self.last_hash:
            self.fail(row.id, "link", _(
                "it does not link to the entry before it (#%(prev)s): that entry was changed, replaced or "
                "removed", prev=self.last_id) if self.last_id else _(
                "it does not link to the start of the chain: entries before it were removed"))
            return False
        return True


def _walk_chain(walk: _Walk) -> None:
    """Walk the entries after ``walk.last_id`` to the end of the log."""
    rows = db.session.execute(
        select(*_COLUMNS).where(AuditEntry.id > walk.last_id).order_by(AuditEntry.id)
        .execution_options(yield_per=500)
    )
    try:
        for row in rows:
            walk.step(row)
    finally:
        rows.close()


def _read_head() -> tuple[int | None, str | None]:
    found = db.session.execute(
        select(AuditHead.last_entry_id, AuditHead.last_hash).where(AuditHead.id == HEAD_ID)).one_or_none()
    return (found[0], found[1]) if found is not None else (None, None)


def _check_head(walk: _Walk) -> None:
    """The head must name the last entry; entries appended during the walk are walked too."""
    for _attempt in range(5):
        head_id, head_hash = _read_head()
        if head_hash is None:
            walk.fail(None, "head", _("the audit head row is missing"))
            return
        if (head_id or 0) == walk.last_id and head_hash == walk.last_hash:
            return
        if (head_id or 0) <= walk.last_id:
            break
        before = walk.last_id
        _walk_chain(walk)  # appended while we were reading
        if walk.broken_id is not None:
            return
        if walk.last_id == before:
            break
    if (head_id or 0) > walk.last_id:
        walk.fail(walk.last_id or None, "head", _(
            "the head names entry #%(head)s but the log ends at #%(last)s: entries at the end were removed",
            head=head_id, last=walk.last_id))
    elif (head_id or 0) < walk.last_id:
        walk.fail(walk.last_id, "head", _(
            "the log goes on after the head (entry #%(head)s): this entry was added outside Kaimen",
            head=head_id or 0))
    else:
        walk.fail(walk.last_id or None, "head", _("the head's hash does not match the last entry"))


def _score_mismatches(walk: _Walk) -> list[ScoreMismatch]:
    from survey.services.scorecards import receipt_of

    out = []
    cards = db.session.scalars(
        select(Scorecard).where(Scorecard.status == ScorecardStatus.SUBMITTED).order_by(Scorecard.id)
        .options(selectinload(Scorecard.entries), selectinload(Scorecard.comments), selectinload(Scorecard.unit),
                 selectinload(Scorecard.session))
    ).all()
    submitted_ids = set()
    for card in cards:
        submitted_ids.add(str(card.id))
        event = walk.score_events.get(str(card.id))

        def mismatch(reason: str, card=card) -> ScoreMismatch:
            return ScoreMismatch(card.id, card.round_id, card.unit.code, card.rater_id, reason)

        current = receipt_of(card)
        if event is None or event[0] != SCORE_SUBMIT:
            out.append(mismatch(_("it is submitted, but no submission of it is in the audit log")))
        elif event[2] != current:
            out.append(mismatch(_(
                "its scores or comments were changed after it was submitted: the receipt of the stored rows "
                "%(current)s differs from %(recorded)s, recorded by audit entry #%(entry)s",
                current=current[:12], recorded=(event[2] or "-")[:12], entry=event[1])))
        elif card.receipt != current:
            out.append(mismatch(_("its stored receipt %(stored)s differs from the receipt of its rows %(current)s",
                                  stored=(card.receipt or "-")[:12], current=current[:12])))
    for subject_id, (action, entry_id, _receipt) in sorted(walk.score_events.items(), key=lambda kv: kv[1][1]):
        if action == SCORE_SUBMIT and subject_id not in submitted_ids:
            card = db.session.get(Scorecard, int(subject_id)) if subject_id.isdigit() else None
            out.append(ScoreMismatch(
                int(subject_id) if subject_id.isdigit() else 0, card.round_id if card else None,
                card.unit.code if card else None, card.rater_id if card else None,
                _("audit entry #%(entry)s records its submission, but it is no longer submitted",
                  entry=entry_id) if card else
                _("audit entry #%(entry)s records its submission, but it was removed from the database",
                  entry=entry_id)))
    return out


def verify() -> AuditCheck:
    """Check the chain entry by entry, the head, every submitted scorecard and every publication's head."""
    walk = _Walk()
    publications = db.session.execute(
        select(Publication.id, Publication.round_id, Publication.version, Publication.audit_head)
        .order_by(Publication.id)).all()
    walk.unseen_heads = {p.audit_head for p in publications} - {GENESIS}
    _walk_chain(walk)
    if walk.broken_id is None:
        _check_head(walk)
    chain_ok = walk.broken_id is None and not walk.problem
    broken = db.session.get(AuditEntry, walk.broken_id) if walk.broken_id is not None else None
    scores = _score_mismatches(walk)
    publication_problems = []
    if chain_ok:
        publication_problems = [
            _("publication #%(id)s (round %(round)s, version %(version)s) recorded the chain head %(head)s, "
              "which is no longer in the chain: the log was rewritten",
              id=p.id, round=p.round_id, version=p.version, head=p.audit_head[:12])
            for p in publications if p.audit_head in walk.unseen_heads
        ]
    return AuditCheck(
        ok=chain_ok and not scores and not publication_problems,
        checked=walk.checked,
        first_broken=broken,
        reason=walk.reason,
        head=head(),
        chain_ok=chain_ok,
        problem=walk.problem,
        scorecards=tuple(scores),
        publications=tuple(publication_problems),
    )
