"""The demo's 2014 open-door round comes scored: sessions opened and closed, every seated
representative submitted, declared conflicts respected, scores spread like real ones."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import numpy as np
from sqlalchemy import select

from survey.extensions import db
from survey.models import (
    ConflictKind,
    Round,
    RoundStatus,
    Scorecard,
    ScorecardStatus,
    SessionStatus,
)
from survey.services import demo_scores, engine_inputs, rounds, scorecards
from tests.survey.round_builders import DIRECT_CODES, representatives, seed_world

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def _load() -> Round:
    representatives(seed_world())
    rounds.load_demo_round()
    return db.session.scalar(select(Round).where(Round.name == rounds.DEMO_ROUND_NAME))


def _cards(round: Round) -> list[Scorecard]:
    return list(db.session.scalars(select(Scorecard).where(Scorecard.round_id == round.id)))


def _username(rater) -> str:
    return rater.user.username


def test_every_seated_representative_submitted_in_every_session_and_every_session_closed(app):
    with app.app_context():
        round = _load()
        committee = db.session.scalar(select(Round).where(Round.name == rounds.DEMO_COMMITTEE_NAME))
        assert (round.status, committee.status) == (RoundStatus.OPEN, RoundStatus.SETUP)
        assert all(s.status is SessionStatus.SCHEDULED for s in committee.sessions)
        cards = _cards(round)
        assert cards and all(c.status is ScorecardStatus.SUBMITTED for c in cards)  # no drafts left
        criteria = list(scorecards.rules_of(round.sessions[0]).criteria)
        assert len(criteria) == 40
        june_2014 = (datetime(2014, 6, 1, tzinfo=UTC), datetime(2014, 7, 1, tzinfo=UTC))
        for session in round.sessions:
            assert session.status is SessionStatus.CLOSED
            assert june_2014[0] <= session.starts_at < session.opened_at < session.closed_at < june_2014[1]
            mine = [c for c in cards if c.session_id == session.id]
            assert all(c.unit_id == session.unit_id for c in mine)
            assert sorted(c.rater_id for c in mine) == sorted(m.rater_id for m in session.members)
            assert len(session.members) >= round.panel_spec["min_raters_per_unit"]
            for card in mine:
                assert session.opened_at < card.submitted_at < session.closed_at
                assert sorted(e.criterion for e in card.entries) == sorted(criteria)
                assert card.receipt == scorecards.receipt_of(card)
        # one scorecard per rater and unit (the table's unique key), every unit scored
        assert len({(c.rater_id, c.unit_id) for c in cards}) == len(cards)
        assert sorted({c.unit.code for c in cards}) == DIRECT_CODES


def test_declared_conflicts_recuse_and_no_scorecard_breaks_a_recusal_rule(app):
    with app.app_context():
        round = _load()
        cards = _cards(round)
        declared = demo_scores.declared_conflicts(round)
        by_key = {(c.rater_id, c.unit_id): c for c in cards}
        raters = {r.id: r for r in round.raters}
        sessions = {s.unit_id: s for s in round.sessions}

        assert [(sessions[c.unit_id].unit.code, _username(raters[c.rater_id]), c.reason) for c in declared] == \
            list(demo_scores.DECLARED_CONFLICTS)
        for conflict in declared:
            session = sessions[conflict.unit_id]
            rater = raters[conflict.rater_id]
            assert conflict.kind is ConflictKind.DECLARED and CHINESE.search(conflict.reason)
            assert session.opened_at <= conflict.created_at <= session.closed_at
            assert (conflict.rater_id, conflict.unit_id) not in by_key
            assert conflict.rater_id not in {m.rater_id for m in session.members}
            # recused, not forgotten: the rater is in the group that heard this unit
            assert rater.panel in {m.rater.panel for m in session.members}
            assert not engine_inputs.decide(round, rater, session.unit).allowed
        for card in cards:
            assert engine_inputs.decide(round, raters[card.rater_id], card.unit).allowed
        # each directly affiliated union's own representative never scored it
        for card in cards:
            assert raters[card.rater_id].home_unit_id != card.unit_id


def test_scores_spread_like_real_ones(app):
    with app.app_context():
        round = _load()
        cards = _cards(round)
        rules = scorecards.rules_of(round.sessions[0])
        entries = [e for c in cards for e in c.entries]
        for entry in entries:
            rule = rules.criteria[entry.criterion]
            if entry.cannot_judge:
                assert entry.points is None
            else:
                assert 0 <= entry.points <= rule.max_points
                assert (entry.points / rule.step).is_integer()
        judged = [e.points for e in entries if not e.cannot_judge]
        assert 0 < sum(e.cannot_judge for e in entries) < 0.05 * len(entries)
        assert len(set(judged)) >= 6  # the scale is used, not one favourite value

        comments = [c for card in cards for c in card.comments]
        assert 0 < len(comments) < len(cards) * len(rules.areas)
        assert all(CHINESE.search(c.text) for c in comments)

        def share(card):  # a card's points as a share of the maximum it could get
            scored = [e for e in card.entries if not e.cannot_judge]
            return sum(e.points for e in scored) / sum(rules.criteria[e.criterion].max_points for e in scored)

        by_rater: dict[str, list[float]] = {}
        unit_mean = {u: np.mean([share(c) for c in cards if c.unit_id == u]) for u in {c.unit_id for c in cards}}
        lift: dict[str, list[float]] = {}
        for card in cards:
            name = _username(card.rater)
            by_rater.setdefault(name, []).append(share(card))
            lift.setdefault(name, []).append(share(card) - unit_mean[card.unit_id])
        lenient, severe = list(demo_scores.LENIENT), list(demo_scores.SEVERE)
        assert min(np.mean(by_rater[n]) for n in lenient) > max(np.mean(by_rater[n]) for n in severe)
        assert min(np.mean(lift[n]) for n in lenient) > 0 > max(np.mean(lift[n]) for n in severe)
        unit_shares = sorted(unit_mean.values())
        assert unit_shares[-1] - unit_shares[0] > 0.2  # some units clearly better than others


def test_the_engine_ranks_the_nine_units_from_the_submitted_scorecards(app):
    with app.app_context():
        round = _load()
        scores = engine_inputs.submitted_scores(round=round)
        assert len(scores) == 40 * len(_cards(round))
        assert sum(s.points is None for s in scores) > 0

        result = engine_inputs.round_result(round=round)

        assert result.units == tuple(DIRECT_CODES)
        assert sorted(result.ranks.tolist()) == list(range(1, 10))
        assert result.recusal.excluded_cards == 0  # the phones never let a recused rater score
        ranking = [u for _rank, u in sorted(zip(result.ranks.tolist(), result.units, strict=True))]
        assert ranking[0] == max(demo_scores.UNIT_QUALITY, key=demo_scores.UNIT_QUALITY.get)
        assert ranking[-1] == min(demo_scores.UNIT_QUALITY, key=demo_scores.UNIT_QUALITY.get)
        assert len(result.raters) == 27


def test_the_demo_scores_are_the_same_on_every_run(app):
    def load_and_read():
        round = _load()
        return sorted((c.unit.code, _username(c.rater), c.submitted_at, e.criterion, e.points, e.cannot_judge)
                      for c in _cards(round) for e in c.entries)

    with app.app_context():
        representatives(seed_world())
        nested = db.session.begin_nested()
        first = load_and_read()
        nested.rollback()
        assert db.session.scalar(select(Round.id).where(Round.name == rounds.DEMO_ROUND_NAME)) is None
        assert load_and_read() == first
