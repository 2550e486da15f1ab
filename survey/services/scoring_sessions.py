"""Report sessions during the round: staff open scoring when the chair's report ends and
close it when scoring ends; the live screen shows who has submitted, without any score.

Closing locks every scorecard of the session: submitted ones are counted, drafts are
listed as unfinished and never counted (the engine reads submitted scorecards only).
Every poll of the live screen reads the database, so any app server can answer it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from survey.extensions import db
from survey.models import (
    Conflict,
    ConflictKind,
    ReportSession,
    RoundRater,
    RoundStatus,
    Scorecard,
    ScorecardReopening,
    ScorecardStatus,
    ScoreEntry,
    SessionStatus,
    User,
)
from survey.models.base import utcnow
from survey.services import audit, conflicts, plans
from survey.services.conflicts import unit_label
from survey.services.errors import DomainError
from survey.services.scorecards import rules_of


class SessionRefused(DomainError):
    status_code = 409


@dataclass(frozen=True)
class CloseOutcome:
    submitted: int
    unfinished: list[Scorecard]


def open_session(*, session: ReportSession, now: datetime | None = None, by: User | None = None) -> ReportSession:
    """Accept scores for the session's unit (again, when it was closed by mistake)."""
    if session.round.status is not RoundStatus.OPEN:
        raise SessionRefused(_("Open the round before opening the scoring of %(unit)s.", unit=unit_label(session.unit)))
    if session.status is SessionStatus.OPEN:
        raise SessionRefused(_("Scoring of %(unit)s is already open.", unit=unit_label(session.unit)))
    if not session.members:
        raise SessionRefused(_("The panel of %(unit)s is empty: nobody could score.", unit=unit_label(session.unit)))
    again = session.status is SessionStatus.CLOSED
    session.status = SessionStatus.OPEN
    session.opened_at = now or utcnow()
    db.session.flush()
    audit.record(audit.SESSION_OPEN, subject_type="session", subject_id=session.id, actor=by, now=session.opened_at,
                 details={"round": session.round_id, "unit": session.unit.code, "again": again})
    return session


def close_session(*, session: ReportSession, now: datetime | None = None, by: User | None = None) -> CloseOutcome:
    """Stop scoring: submitted scorecards count, drafts are listed and do not."""
    db.session.execute(
        select(ReportSession).where(ReportSession.id == session.id).with_for_update()
        .execution_options(populate_existing=True)
    )
    if session.status is not SessionStatus.OPEN:
        raise SessionRefused(_("Scoring of %(unit)s is not open, so it cannot be closed.",
                               unit=unit_label(session.unit)))
    session.status = SessionStatus.CLOSED
    session.closed_at = now or utcnow()
    db.session.flush()
    cards = _scorecards(session)
    outcome = CloseOutcome(
        submitted=sum(1 for c in cards if c.status is ScorecardStatus.SUBMITTED),
        unfinished=[c for c in cards if c.status is ScorecardStatus.DRAFT],
    )
    audit.record(audit.SESSION_CLOSE, subject_type="session", subject_id=session.id, actor=by,
                 now=session.closed_at,
                 details={"round": session.round_id, "unit": session.unit.code, "submitted": outcome.submitted,
                          "unfinished": len(outcome.unfinished)})
    return outcome


def _scorecards(session: ReportSession) -> list[Scorecard]:
    return list(db.session.scalars(
        select(Scorecard).where(Scorecard.round_id == session.round_id, Scorecard.unit_id == session.unit_id)
        .order_by(Scorecard.id)
    ))


def session_scorecards(*, session: ReportSession) -> list[Scorecard]:
    """The session's scorecards, drafts and submitted, for the staff screens."""
    return _scorecards(session)


def get_session_scorecard(*, session: ReportSession, scorecard_id: int) -> Scorecard | None:
    card = db.session.get(Scorecard, scorecard_id)
    if card is None or card.round_id != session.round_id or card.unit_id != session.unit_id:
        return None
    return card


def session_reopenings(*, session: ReportSession) -> list[tuple[ScorecardReopening, Scorecard, User | None]]:
    """Every reopening of the session's scorecards, oldest first, with who reopened it."""
    rows = [(r, card) for card in _scorecards(session) for r in card.reopenings]
    ids = {r.reopened_by_id for r, _card in rows if r.reopened_by_id is not None}
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    rows.sort(key=lambda pair: (pair[0].reopened_at, pair[0].id))
    return [(r, card, users.get(r.reopened_by_id)) for r, card in rows]


def unfinished_drafts(*, session: ReportSession) -> list[Scorecard]:
    return [c for c in _scorecards(session) if c.status is ScorecardStatus.DRAFT]


# --------------------------------------------------------------------------- the live screen

STATES = ("submitted", "scoring", "not_started", "recused")


@dataclass(frozen=True)
class LiveRow:
    rater_id: int
    name: str
    rater_type: str
    state: str  #: one of STATES
    filled: int  #: criteria scored or marked "cannot judge"
    total: int
    submitted_at: datetime | None = None
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class LiveStatus:
    session: ReportSession
    rows: list[LiveRow]

    def count(self, state: str) -> int:
        return sum(1 for row in self.rows if row.state == state)

    @property
    def counts(self) -> dict[str, int]:
        return {state: self.count(state) for state in STATES}


def live_status(*, session: ReportSession) -> LiveStatus:
    """Each panel member's progress and each recused group member, read fresh from the database."""
    total = len(rules_of(session).criteria)
    plan = next(p for p in plans.session_plans(round=session.round) if p.session.id == session.id)
    cards = {c.rater_id: c for c in _scorecards(session)}
    filled = dict(db.session.execute(
        select(ScoreEntry.scorecard_id, func.count()).join(Scorecard)
        .where(Scorecard.round_id == session.round_id, Scorecard.unit_id == session.unit_id,
               (ScoreEntry.points.is_not(None)) | ScoreEntry.cannot_judge)
        .group_by(ScoreEntry.scorecard_id)
    ).all())
    rows = []
    for member in plan.members:
        card = cards.get(member.rater_id)
        if card is not None and card.status is ScorecardStatus.SUBMITTED:
            state = "submitted"
        elif card is not None:
            state = "scoring"
        else:
            state = "not_started"
        rows.append(LiveRow(member.rater_id, member.rater.name, member.rater.rater_type.value, state,
                            filled.get(card.id, 0) if card else 0, total, card.submitted_at if card else None))
    recused = list(plan.recused)
    listed = {r.id for r, _verdict in recused} | {m.rater_id for m in plan.members}
    for conflict in db.session.scalars(select(Conflict).where(
            Conflict.round_id == session.round_id, Conflict.unit_id == session.unit_id,
            Conflict.kind == ConflictKind.DECLARED)):
        if conflict.rater_id not in listed:  # a committee member who declared a conflict at the session
            rater = db.session.get(RoundRater, conflict.rater_id)
            recused.append((rater, conflicts.explain_recusal(round=session.round, rater=rater, unit=session.unit)))
            listed.add(rater.id)
    for rater, verdict in sorted(recused, key=lambda pair: (pair[0].name, pair[0].id)):
        rows.append(LiveRow(rater.id, rater.name, rater.rater_type.value, "recused", 0, total, None,
                            tuple(verdict.reasons)))
    return LiveStatus(session, rows)


def live_payload(status: LiveStatus) -> dict:
    """The live screen's JSON: states and counts only, never a score."""
    session = status.session
    return {
        "session": {"id": session.id, "status": session.status.value, "unit": unit_label(session.unit),
                    "opened_at": session.opened_at.isoformat() if session.opened_at else None,
                    "closed_at": session.closed_at.isoformat() if session.closed_at else None},
        "counts": status.counts,
        "rows": [
            {"rater_id": row.rater_id, "name": row.name, "rater_type": row.rater_type, "state": row.state,
             "filled": row.filled, "total": row.total,
             "submitted_at": row.submitted_at.isoformat() if row.submitted_at else None,
             "reasons": list(row.reasons)}
            for row in status.rows
        ],
    }
