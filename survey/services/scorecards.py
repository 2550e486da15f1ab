"""Scorecards: what a representative types on their phone, checked on every write.

Every write (a batch of changes, a submission) is one transaction that checks,
in order: recusal (403 with the reason), panel membership (403), the session's
state (409 unless open), the scorecard's state (409 once submitted), every value
against its criterion's maximum and step (400 naming the criterion), and every
client version (409 when older than the stored one). Any refusal stores nothing.

Versions make offline queues safe: a phone numbers each edit of a criterion or
comment, so a change replayed late never overwrites a newer one, and replaying
the same change twice is harmless.

The receipt is the SHA-256 of the canonical scorecard (the round, unit, rater,
every criterion's value in framework order, and the comments), so a
representative can check that what is counted is exactly what they submitted.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from survey.extensions import db
from survey.models import (
    AreaComment,
    Conflict,
    ConflictKind,
    PanelMember,
    ReportSession,
    RoundRater,
    Scorecard,
    ScorecardReopening,
    ScorecardStatus,
    ScoreEntry,
    SessionStatus,
    User,
)
from survey.models.base import utcnow
from survey.services import audit, conflicts, plans
from survey.services.errors import DomainError
from survey.services.frameworks import display_text

MAX_COMMENT = 2000
MAX_VERSION = 2**31 - 1
MAX_CHANGES = 500


# --------------------------------------------------------------------------- refusals


class ScoringRefused(DomainError):
    """A refused write; ``code`` is stable for clients, ``details`` go into the JSON body."""

    code = "refused"

    def __init__(self, message: str, **details):
        super().__init__(message)
        self.details = {k: v for k, v in details.items() if v is not None}


class NotOnPanel(ScoringRefused):
    status_code = 403
    code = "not_on_panel"


class Recused(ScoringRefused):
    status_code = 403
    code = "recused"

    def __init__(self, message: str, reasons: tuple[str, ...]):
        super().__init__(message, reasons=list(reasons))
        self.reasons = reasons


class SessionNotOpen(ScoringRefused):
    status_code = 409

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


class AlreadySubmitted(ScoringRefused):
    status_code = 409
    code = "submitted"


class StaleChange(ScoringRefused):
    status_code = 409
    code = "stale"

    def __init__(self, message: str, *, criterion=None, area=None, stored_version: int):
        super().__init__(message, criterion=criterion, area=area, stored_version=stored_version)
        self.criterion, self.area, self.stored_version = criterion, area, stored_version


class InvalidScore(ScoringRefused):
    status_code = 400
    code = "invalid_score"

    def __init__(self, message: str, *, criterion=None, area=None):
        super().__init__(message, criterion=criterion, area=area)
        self.criterion, self.area = criterion, area


class MalformedChanges(ScoringRefused):
    status_code = 400
    code = "malformed"


class Incomplete(ScoringRefused):
    status_code = 400
    code = "incomplete"

    def __init__(self, message: str, missing: list[str]):
        super().__init__(message, missing=missing)
        self.missing = missing


def error_payload(exc: DomainError) -> dict:
    """The JSON body of a refusal: the message, a stable code and the details."""
    if isinstance(exc, ScoringRefused):
        return {"error": exc.message, "code": exc.code, **exc.details}
    return {"error": exc.message, "code": "refused"}


# --------------------------------------------------------------------------- changes


@dataclass(frozen=True)
class EntryChange:
    criterion: str
    points: float | None
    cannot_judge: bool
    version: int


@dataclass(frozen=True)
class CommentChange:
    area: str
    text: str
    version: int


def _version(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_VERSION:
        raise MalformedChanges(_("%(where)s: the version must be a whole number from 1.", where=where))
    return value


def _points(value: object, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidScore(_("%(criterion)s: the score is not a number.", criterion=where), criterion=where)
    return float(value)


def changes_from_json(body: object) -> tuple[list[EntryChange], list[CommentChange]]:
    """Read ``{"entries": [...], "comments": [...]}``; a malformed body is refused whole."""
    if not isinstance(body, dict) or set(body) - {"entries", "comments"}:
        raise MalformedChanges(_("Send an object with the lists \"entries\" and \"comments\"."))
    raw_entries, raw_comments = body.get("entries") or [], body.get("comments") or []
    if not isinstance(raw_entries, list) or not isinstance(raw_comments, list):
        raise MalformedChanges(_("Send an object with the lists \"entries\" and \"comments\"."))
    if len(raw_entries) + len(raw_comments) > MAX_CHANGES:
        raise MalformedChanges(_("Too many changes in one request (at most %(n)d).", n=MAX_CHANGES))
    entries, comments = [], []
    for item in raw_entries:
        if not isinstance(item, dict) or not isinstance(item.get("criterion"), str) \
                or set(item) - {"criterion", "points", "cannot_judge", "version"}:
            raise MalformedChanges(_("Each entry needs \"criterion\", \"points\", \"cannot_judge\" and \"version\"."))
        code = item["criterion"][:40]
        cannot_judge = item.get("cannot_judge", False)
        if not isinstance(cannot_judge, bool):
            raise MalformedChanges(_("%(where)s: \"cannot_judge\" must be true or false.", where=code))
        entries.append(EntryChange(code, _points(item.get("points"), code), cannot_judge,
                                   _version(item.get("version"), code)))
    for item in raw_comments:
        if not isinstance(item, dict) or not isinstance(item.get("area"), str) \
                or not isinstance(item.get("text"), str) or set(item) - {"area", "text", "version"}:
            raise MalformedChanges(_("Each comment needs \"area\", \"text\" and \"version\"."))
        comments.append(CommentChange(item["area"][:40], item["text"], _version(item.get("version"), item["area"])))
    return entries, comments


# --------------------------------------------------------------------------- the framework


@dataclass(frozen=True)
class CriterionRule:
    code: str
    area: str
    title: str
    max_points: float
    step: float


@dataclass(frozen=True)
class Rules:
    """The criteria and areas of a session's framework, in framework order."""

    criteria: dict[str, CriterionRule] = field(default_factory=dict)
    areas: tuple[str, ...] = ()


def criteria_of(session: ReportSession) -> list[dict]:
    """The framework's areas (spec dicts with their criteria) for the scoring form."""
    return list(session.round.framework_version.spec.get("areas") or [])


def rules_of(session: ReportSession) -> Rules:
    criteria = {}
    for area in criteria_of(session):
        for c in area.get("criteria") or []:
            criteria[c["code"]] = CriterionRule(c["code"], area["code"], display_text(c.get("title")),
                                                float(c["max_points"]), float(c["step"]))
    return Rules(criteria, tuple(area["code"] for area in criteria_of(session)))


def _on_step(points: float, step: float) -> bool:
    ratio = points / step
    return abs(ratio - round(ratio)) < 1e-6


def _fmt(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".")


def _check_entry(change: EntryChange, rules: Rules) -> None:
    rule = rules.criteria.get(change.criterion)
    if rule is None:
        raise InvalidScore(_("%(criterion)s is not a criterion of this framework.", criterion=change.criterion),
                           criterion=change.criterion)
    label = f"{rule.code} {rule.title}".strip()
    if change.cannot_judge:
        if change.points is not None:
            raise InvalidScore(_("%(criterion)s: give a score or mark \"cannot judge\", not both.", criterion=label),
                               criterion=rule.code)
        return
    if change.points is None:
        return  # cleared
    if change.points < 0:
        raise InvalidScore(_("%(criterion)s: %(points)s is below 0.", criterion=label, points=_fmt(change.points)),
                           criterion=rule.code)
    if change.points > rule.max_points + 1e-9:
        raise InvalidScore(_("%(criterion)s: %(points)s is above the maximum of %(max)s points.", criterion=label,
                             points=_fmt(change.points), max=_fmt(rule.max_points)), criterion=rule.code)
    if not _on_step(change.points, rule.step):
        raise InvalidScore(_("%(criterion)s: %(points)s is not a multiple of the step %(step)s.", criterion=label,
                             points=_fmt(change.points), step=_fmt(rule.step)), criterion=rule.code)


def _check_comment(change: CommentChange, rules: Rules) -> None:
    if change.area not in rules.areas:
        raise InvalidScore(_("%(area)s is not an area of this framework.", area=change.area), area=change.area)
    if len(change.text) > MAX_COMMENT:
        raise InvalidScore(_("The comment on %(area)s is longer than %(n)d characters.", area=change.area,
                             n=MAX_COMMENT), area=change.area)


# --------------------------------------------------------------------------- who may write


def _declared(session: ReportSession, rater: RoundRater) -> Conflict | None:
    return db.session.scalar(select(Conflict).where(
        Conflict.round_id == session.round_id, Conflict.rater_id == rater.id, Conflict.unit_id == session.unit_id,
        Conflict.kind == ConflictKind.DECLARED))


def _seated(session: ReportSession, rater: RoundRater) -> bool:
    return db.session.scalar(select(PanelMember.id).where(
        PanelMember.session_id == session.id, PanelMember.rater_id == rater.id)) is not None


def _check_allowed(rater: RoundRater, session: ReportSession) -> None:
    """Recusal first (with its reasons), then the panel seat."""
    if rater.round_id != session.round_id:
        raise NotOnPanel(_("You are not on the panel of this session."))
    verdict = conflicts.explain_recusal(round=session.round, rater=rater, unit=session.unit)
    if not verdict:
        raise Recused(_("You are recused from scoring %(unit)s: %(reasons)s", unit=conflicts.unit_label(session.unit),
                        reasons="; ".join(verdict.reasons)), verdict.reasons)
    if not _seated(session, rater):
        raise NotOnPanel(_("You are not on the panel of this session."))


def _lock_open_session(session: ReportSession) -> None:
    """Hold the session row (PostgreSQL: shared lock) so closing waits for writes in flight."""
    db.session.execute(
        select(ReportSession).where(ReportSession.id == session.id).with_for_update(read=True)
        .execution_options(populate_existing=True)
    )
    if session.status is SessionStatus.SCHEDULED:
        raise SessionNotOpen(_("Scoring of %(unit)s has not started yet: staff open it when the chair's report ends.",
                               unit=conflicts.unit_label(session.unit)), "session_not_open")
    if session.status is SessionStatus.CLOSED:
        raise SessionNotOpen(_("Scoring of %(unit)s is closed: no more scores are accepted.",
                               unit=conflicts.unit_label(session.unit)), "session_closed")


def scorecard_for(*, rater: RoundRater, session: ReportSession) -> Scorecard | None:
    return db.session.scalar(select(Scorecard).where(
        Scorecard.round_id == session.round_id, Scorecard.rater_id == rater.id, Scorecard.unit_id == session.unit_id))


def _locked_scorecard(rater: RoundRater, session: ReportSession, now: datetime) -> Scorecard:
    """The rater's scorecard for the unit, created if need be, locked for this transaction."""
    found = scorecard_for(rater=rater, session=session)
    if found is None:
        try:
            with db.session.begin_nested():
                db.session.add(Scorecard(round_id=session.round_id, session_id=session.id, rater_id=rater.id,
                                         unit_id=session.unit_id, created_at=now, updated_at=now))
        except IntegrityError:
            pass  # another request of this rater created it a moment ago
    return db.session.scalars(
        select(Scorecard).where(Scorecard.round_id == session.round_id, Scorecard.rater_id == rater.id,
                                Scorecard.unit_id == session.unit_id)
        .with_for_update().execution_options(populate_existing=True)
    ).one()


# --------------------------------------------------------------------------- writing


def _entry_differs(entry: ScoreEntry | EntryChange, change: EntryChange) -> bool:
    return entry.cannot_judge != change.cannot_judge or entry.points != change.points


def _plan_writes(card: Scorecard, entries: list[EntryChange], comments: list[CommentChange], rules: Rules):
    """Check every change and return the ones that change something; raises before any write.

    A change older than what is stored (or earlier in the batch) is stale; one with the
    same version is a replay, harmless when equal and stale when it differs.
    """
    for change in entries:
        _check_entry(change, rules)
    for change in comments:
        _check_comment(change, rules)
    current_entries = {e.criterion: (e.client_version, e) for e in card.entries}
    entry_writes: dict[str, EntryChange] = {}
    for change in entries:
        version, holder = current_entries.get(change.criterion, (0, None))
        if change.version < version or (change.version == version and _entry_differs(holder, change)):
            raise StaleChange(_("%(criterion)s was changed more recently (version %(version)d); this change is "
                                "older and was not saved.", criterion=change.criterion, version=version),
                              criterion=change.criterion, stored_version=version)
        if change.version > version:
            entry_writes[change.criterion] = change
            current_entries[change.criterion] = (change.version, change)
    current_comments = {c.area: (c.client_version, c.text) for c in card.comments}
    comment_writes: dict[str, CommentChange] = {}
    for change in comments:
        version, text = current_comments.get(change.area, (0, None))
        if change.version < version or (change.version == version and text != change.text):
            raise StaleChange(_("The comment on %(area)s was changed more recently (version %(version)d); this "
                                "change is older and was not saved.", area=change.area, version=version),
                              area=change.area, stored_version=version)
        if change.version > version:
            comment_writes[change.area] = change
            current_comments[change.area] = (change.version, change.text)
    return entry_writes, comment_writes


def _write(card: Scorecard, entry_writes, comment_writes, now: datetime) -> None:
    stored_entries = {e.criterion: e for e in card.entries}
    stored_comments = {c.area: c for c in card.comments}
    for code, change in entry_writes.items():
        entry = stored_entries.get(code)
        if entry is None:
            entry = ScoreEntry(criterion=code)
            card.entries.append(entry)
        entry.points = None if change.cannot_judge else change.points
        entry.cannot_judge = change.cannot_judge
        entry.client_version = change.version
        entry.updated_at = now
    for area, change in comment_writes.items():
        comment = stored_comments.get(area)
        if comment is None:
            comment = AreaComment(area=area)
            card.comments.append(comment)
        comment.text = change.text
        comment.client_version = change.version
        comment.updated_at = now
    if entry_writes or comment_writes:
        card.updated_at = now


def apply_changes(
    *, rater: RoundRater, session: ReportSession, entries: Iterable[EntryChange] = (),
    comments: Iterable[CommentChange] = (), now: datetime | None = None,
) -> Scorecard:
    """Save a batch of draft changes (from the phone's queue); all of it or none."""
    now = now or utcnow()
    entries, comments = list(entries), list(comments)
    _check_allowed(rater, session)
    _lock_open_session(session)
    card = _locked_scorecard(rater, session, now)
    if card.status is ScorecardStatus.SUBMITTED:
        raise AlreadySubmitted(_("Your scorecard for %(unit)s is submitted and locked; only staff can reopen it.",
                                 unit=conflicts.unit_label(session.unit)))
    entry_writes, comment_writes = _plan_writes(card, entries, comments, rules_of(session))
    _write(card, entry_writes, comment_writes, now)
    db.session.flush()
    return card


def _differs_from(card: Scorecard, entries: list[EntryChange], comments: list[CommentChange]) -> bool:
    stored_entries = {e.criterion: e for e in card.entries}
    stored_comments = {c.area: c.text for c in card.comments}
    return any(c.criterion not in stored_entries or _entry_differs(stored_entries[c.criterion], c) for c in entries) \
        or any(stored_comments.get(c.area, "") != c.text for c in comments)


def missing_criteria(card: Scorecard | None, rules: Rules) -> list[str]:
    done = {e.criterion for e in (card.entries if card else []) if e.cannot_judge or e.points is not None}
    return [code for code in rules.criteria if code not in done]


def submit_scorecard(
    *, rater: RoundRater, session: ReportSession, entries: Iterable[EntryChange] = (),
    comments: Iterable[CommentChange] = (), now: datetime | None = None,
) -> Scorecard:
    """Apply the last changes, require every criterion, lock the scorecard and fix its receipt.

    Sending the same submission again (a retry after a lost answer) returns the
    same scorecard and receipt; a different one is refused.
    """
    now = now or utcnow()
    entries, comments = list(entries), list(comments)
    _check_allowed(rater, session)
    existing = scorecard_for(rater=rater, session=session)
    if existing is not None and existing.status is ScorecardStatus.SUBMITTED:
        if _differs_from(existing, entries, comments):
            raise AlreadySubmitted(_("Your scorecard for %(unit)s is submitted and locked; only staff can reopen it.",
                                     unit=conflicts.unit_label(session.unit)))
        return existing
    _lock_open_session(session)
    card = _locked_scorecard(rater, session, now)
    if card.status is ScorecardStatus.SUBMITTED:  # submitted by a concurrent request
        if _differs_from(card, entries, comments):
            raise AlreadySubmitted(_("Your scorecard for %(unit)s is submitted and locked; only staff can reopen it.",
                                     unit=conflicts.unit_label(session.unit)))
        return card
    rules = rules_of(session)
    entry_writes, comment_writes = _plan_writes(card, entries, comments, rules)
    _write(card, entry_writes, comment_writes, now)
    db.session.flush()
    missing = missing_criteria(card, rules)
    if missing:
        raise Incomplete(_("Score every criterion or mark it \"cannot judge\" before submitting; missing: "
                           "%(criteria)s.", criteria=", ".join(missing)), missing)
    card.status = ScorecardStatus.SUBMITTED
    card.submitted_at = now
    card.receipt = receipt_of(card)
    db.session.flush()
    audit.record(audit.SCORE_SUBMIT, subject_type="scorecard", subject_id=card.id,
                 actor_label=audit.rater_label(rater), now=now,
                 details={"round": card.round_id, "unit": session.unit.code, "rater": rater.id,
                          "session": session.id, "receipt": card.receipt})
    return card


# --------------------------------------------------------------------------- receipts


def canonical_scorecard(card: Scorecard) -> bytes:
    """The scorecard as UTF-8 JSON with sorted keys and fixed number formatting."""
    order = {code: n for n, code in enumerate(rules_of(card.session).criteria)}
    entries = sorted(card.entries, key=lambda e: (order.get(e.criterion, len(order)), e.criterion))
    document = {
        "kaimen_scorecard": 1,
        "round": card.round_id,
        "unit": card.unit.code,
        "rater": card.rater_id,
        "scores": [[e.criterion, None if e.cannot_judge or e.points is None else _fmt(e.points), e.cannot_judge]
                   for e in entries],
        "comments": {c.area: c.text for c in card.comments if c.text.strip()},
    }
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def receipt_of(card: Scorecard) -> str:
    return hashlib.sha256(canonical_scorecard(card)).hexdigest()


# --------------------------------------------------------------------------- reading


def scorecard_state(card: Scorecard | None) -> dict:
    """What the phone needs to restore a draft: values and versions, never anyone else's."""
    if card is None:
        return {"status": "none", "receipt": None, "submitted_at": None, "entries": {}, "comments": {}}
    return {
        "status": card.status.value,
        "receipt": card.receipt,
        "submitted_at": card.submitted_at.isoformat() if card.submitted_at else None,
        "entries": {e.criterion: {"points": e.points, "cannot_judge": e.cannot_judge, "version": e.client_version}
                    for e in card.entries},
        "comments": {c.area: {"text": c.text, "version": c.client_version} for c in card.comments},
    }


@dataclass(frozen=True)
class RaterSession:
    """One session on a representative's list."""

    session: ReportSession
    state: str  #: scheduled, open, closed, submitted or recused
    scorecard: Scorecard | None = None
    reasons: tuple[str, ...] = ()


def rater_sessions(*, rater: RoundRater) -> list[RaterSession]:
    """The sessions of the rater's panel: where they sit, and where they are recused from their group's unit."""
    out = []
    for plan in plans.session_plans(round=rater.round):
        session = plan.session
        recused = next((verdict for r, verdict in plan.recused if r.id == rater.id), None)
        if recused is None and _declared(session, rater) is not None:
            recused = conflicts.explain_recusal(round=rater.round, rater=rater, unit=session.unit)
        if recused is not None and not recused:
            out.append(RaterSession(session, "recused", None, recused.reasons))
            continue
        if not any(m.rater_id == rater.id for m in plan.members):
            continue
        card = scorecard_for(rater=rater, session=session)
        if card is not None and card.status is ScorecardStatus.SUBMITTED:
            state = "submitted"
        else:
            state = session.status.value
        out.append(RaterSession(session, state, card))
    return out


def get_rater_session(*, rater: RoundRater, session_id: int) -> ReportSession:
    """A session on the rater's list; any other id, known or not, is refused alike."""
    session = db.session.get(ReportSession, session_id)
    if session is not None and session.round_id == rater.round_id and _seated(session, rater):
        return session  # every write of a seated rater: no need to plan the whole round
    for item in rater_sessions(rater=rater):
        if item.session.id == session_id:
            return item.session
    raise NotOnPanel(_("You are not on the panel of this session."))


def get_own_scorecard(*, rater: RoundRater, scorecard_id: int) -> Scorecard:
    card = db.session.get(Scorecard, scorecard_id)
    if card is None or card.rater_id != rater.id:
        raise NotOnPanel(_("This scorecard is not yours."))
    return card


# --------------------------------------------------------------------------- conflicts and reopening


def declare_conflict(*, rater: RoundRater, session: ReportSession, reason: str,
                     now: datetime | None = None) -> Conflict:
    """The representative recuses themself from the unit; an unsubmitted draft is discarded."""
    if rater.round_id != session.round_id or (not _seated(session, rater) and _declared(session, rater) is None):
        raise NotOnPanel(_("You are not on the panel of this session."))
    if session.status is SessionStatus.CLOSED:
        raise SessionNotOpen(_("Scoring of %(unit)s is closed: no more scores are accepted.",
                               unit=conflicts.unit_label(session.unit)), "session_closed")
    card = scorecard_for(rater=rater, session=session)
    if card is not None and card.status is ScorecardStatus.SUBMITTED:
        raise AlreadySubmitted(_("Your scorecard for %(unit)s is already submitted: ask staff to reopen it first.",
                                 unit=conflicts.unit_label(session.unit)))
    if card is not None:
        db.session.delete(card)
    return conflicts.declare_conflict(session.round, rater, session.unit, reason, now=now,
                                      draft_discarded=card is not None)


def reopen_scorecard(*, scorecard: Scorecard, reason: str, by: User | None, now: datetime | None = None
                     ) -> ScorecardReopening:
    """Staff unlock a submitted scorecard for corrections; the reason and old receipt are kept."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for reopening the scorecard."))
    if len(reason) > MAX_COMMENT:
        raise DomainError(_("The reason is longer than %(n)d characters.", n=MAX_COMMENT))
    if scorecard.status is not ScorecardStatus.SUBMITTED:
        raise DomainError(_("Only a submitted scorecard can be reopened."))
    if scorecard.session.status is not SessionStatus.OPEN:
        raise SessionNotOpen(_("Open the session again before reopening a scorecard."), "session_closed")
    reopening = ScorecardReopening(scorecard_id=scorecard.id, reason=reason, previous_receipt=scorecard.receipt,
                                   reopened_by_id=by.id if by else None, reopened_at=now or utcnow())
    scorecard.reopenings.append(reopening)
    scorecard.status = ScorecardStatus.DRAFT
    scorecard.submitted_at = None
    scorecard.receipt = None
    db.session.flush()
    audit.record(audit.SCORE_REOPEN, subject_type="scorecard", subject_id=scorecard.id, actor=by,
                 now=reopening.reopened_at,
                 details={"round": scorecard.round_id, "unit": scorecard.unit.code, "rater": scorecard.rater_id,
                          "reason": reason, "previous_receipt": reopening.previous_receipt})
    return reopening
