"""Builders for on-site scoring tests: an open round whose sessions can be scored.

The seeds' round from ``round_builders`` (nine units, 27 representatives in four
rotating panels, the small two-area framework) with its plan solved and the round
opened; sessions are opened on request.
"""

from __future__ import annotations

from survey.models import ReportSession, Round, RoundRater
from survey.services import plans, rounds, scoring_sessions
from survey.services.scorecards import EntryChange, rules_of
from tests.survey.round_builders import seed_round


def open_round(**options) -> Round:
    """The seeds' round, planned and open; every session still scheduled."""
    round = seed_round(**options)
    outcome = plans.solve_plan(round=round)
    assert outcome.solved, outcome.explanations()
    return rounds.open_round(round=round)


def open_session(round: Round, index: int = 0) -> ReportSession:
    """The ``index``-th session by unit code, opened for scoring."""
    session = sorted(round.sessions, key=lambda s: s.unit.code)[index]
    return scoring_sessions.open_session(session=session)


def seated(session: ReportSession) -> list[RoundRater]:
    return sorted((m.rater for m in session.members), key=lambda r: r.id)


def outsider(session: ReportSession) -> RoundRater:
    """A rater of the round who is neither seated at the session nor recused from its unit."""
    from survey.services.conflicts import explain_recusal

    seats = {m.rater_id for m in session.members}
    return next(r for r in sorted(session.round.raters, key=lambda r: r.id)
                if r.id not in seats and explain_recusal(round=session.round, rater=r, unit=session.unit))


def recused(session: ReportSession) -> RoundRater:
    """A rater of the round whom recusal forbids from scoring the session's unit."""
    from survey.services.conflicts import explain_recusal

    return next(r for r in sorted(session.round.raters, key=lambda r: r.id)
                if not explain_recusal(round=session.round, rater=r, unit=session.unit))


def full_entries(session: ReportSession, points: float | None = None, version: int = 1) -> list[EntryChange]:
    """A score for every criterion: ``points`` or, by default, half the maximum on the step."""
    out = []
    for rule in rules_of(session).criteria.values():
        value = points if points is not None else rule.step * int(rule.max_points / 2 / rule.step)
        out.append(EntryChange(rule.code, value, False, version))
    return out
