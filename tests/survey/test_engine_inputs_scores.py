"""The engine's score table from stored scorecards: submitted only, "cannot judge" as missing."""

from __future__ import annotations

import math

import pytest

from scoring.types import Score, ScoringInputError
from survey.extensions import db
from survey.models import ConflictKind, Scorecard, ScorecardStatus, ScoreEntry
from survey.models.base import utcnow
from survey.services import conflicts, engine_inputs
from tests.survey.round_builders import seed_round

CRITERIA = ["A01.1", "A01.2", "A02.1", "A02.2"]  # round_builders.small_spec: each 0..25 in 0.5


def _card(round, rater, code, points, *, status=ScorecardStatus.SUBMITTED, cannot_judge=()):
    """A scorecard row as the scorecard service stores it (the service itself is tested elsewhere)."""
    session = next(s for s in round.sessions if s.unit.code == code)
    card = Scorecard(round_id=round.id, session_id=session.id, rater_id=rater.id, unit_id=session.unit_id,
                     status=status, submitted_at=utcnow() if status is ScorecardStatus.SUBMITTED else None)
    for criterion, value in zip(CRITERIA, points, strict=True):
        judged = criterion not in cannot_judge
        card.entries.append(ScoreEntry(criterion=criterion, points=value if judged else None,
                                       cannot_judge=not judged, client_version=1))
    db.session.add(card)
    db.session.flush()
    return card


def _raters(round, n, avoid=("XC-D01", "XC-D02")):
    """n pool entries whose home unit is none of ``avoid`` (so no own-unit recusal)."""
    found = [r for r in sorted(round.raters, key=lambda r: r.id) if r.home_unit.code not in avoid]
    return found[:n]


def test_only_submitted_scorecards_count_and_cannot_judge_is_missing(app):
    with app.app_context():
        round = seed_round()
        r1, r2, r3 = _raters(round, 3)
        _card(round, r1, "XC-D01", [10, 9.5, 8, 7], cannot_judge={"A02.2"})
        _card(round, r2, "XC-D01", [6, 6, 6, 6])
        _card(round, r3, "XC-D01", [1, 2, 3, 4], status=ScorecardStatus.DRAFT)
        _card(round, r2, "XC-D02", [12.5, 0, 0.5, 12])

        scores = engine_inputs.submitted_scores(round=round)

        key = engine_inputs.rater_key
        assert all(isinstance(s, Score) for s in scores)
        assert {s.rater for s in scores} == {key(r1), key(r2)}  # the draft never counts
        assert {(s.unit, s.rater) for s in scores} == {("XC-D01", key(r1)), ("XC-D01", key(r2)),
                                                        ("XC-D02", key(r2))}
        by_cell = {(s.unit, s.rater, s.criterion): s.points for s in scores}
        assert by_cell[("XC-D01", key(r1), "A01.1")] == 10.0
        assert by_cell[("XC-D01", key(r1), "A02.2")] is None
        assert by_cell[("XC-D02", key(r2), "A01.2")] == 0.0  # zero points is a score, not a missing one
        assert len(scores) == 12
        assert scores == sorted(scores, key=lambda s: (s.unit, int(s.rater), s.criterion))


def test_no_submitted_scorecards_give_an_empty_table(app):
    with app.app_context():
        round = seed_round()
        (r1,) = _raters(round, 1)
        _card(round, r1, "XC-D01", [1, 1, 1, 1], status=ScorecardStatus.DRAFT)
        assert engine_inputs.submitted_scores(round=round) == []


def test_scores_of_other_rounds_stay_out(app):
    with app.app_context():
        first = seed_round()
        second = seed_round()
        _card(first, _raters(first, 1)[0], "XC-D01", [1, 2, 3, 4])
        assert engine_inputs.submitted_scores(round=second) == []
        assert len(engine_inputs.submitted_scores(round=first)) == 4


def test_round_result_ranks_the_units_under_the_rounds_rules(app):
    with app.app_context():
        round = seed_round(settings={"method": "mean", "bootstrap": 50, "min_raters": 1})
        raters = _raters(round, 3)
        for n, rater in enumerate(raters):
            _card(round, rater, "XC-D01", [12, 12, 11, 11.5 - n])
            _card(round, rater, "XC-D02", [5, 5 + n, 4, 4])
        # a declared conflict after the fact: the engine leaves that card out
        own = next(r for r in round.raters if r.home_unit.code == "XC-D02")
        _card(round, own, "XC-D01", [0, 0, 0, 0])
        conflict = conflicts.declare_conflict(round, own, next(s.unit for s in round.sessions if s.unit.code == "XC-D01"),
                                              "亲属在该单位工作")
        assert conflict.kind is ConflictKind.DECLARED

        result = engine_inputs.round_result(round=round)

        assert result.units == ("XC-D01", "XC-D02")
        assert result.ranks.tolist() == [1.0, 2.0]
        assert math.isclose(result.totals[0], 12 + 12 + 11 + 10.5)
        assert result.recusal.excluded_cards == 1


def test_round_result_needs_two_raters_with_scores(app):
    with app.app_context():
        round = seed_round(settings={"bootstrap": 0})
        _card(round, _raters(round, 1)[0], "XC-D01", [1, 2, 3, 4])
        with pytest.raises(ScoringInputError, match="at least 2"):
            engine_inputs.round_result(round=round)
