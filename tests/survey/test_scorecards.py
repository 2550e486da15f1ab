"""The scorecard service: every refusal stores nothing, versions protect newer changes,
submission locks and gives a stable receipt, staff reopening is recorded."""

from __future__ import annotations

import hashlib
import json

import pytest

from survey.extensions import db
from survey.models import Role, ScorecardStatus, SessionStatus
from survey.services import scorecards as sc
from survey.services import scoring_sessions
from survey.services.accounts import create_user
from survey.services.errors import DomainError
from tests.survey.scoring_builders import full_entries, open_round, open_session, outsider, recused, seated


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app


@pytest.fixture
def session(ctx):
    return open_session(open_round())


def state(rater, session):
    db.session.expire_all()
    return sc.scorecard_state(sc.scorecard_for(rater=rater, session=session))


def test_changes_are_saved_and_a_replay_is_harmless(session):
    rater = seated(session)[0]
    change = sc.EntryChange("A01.1", 12.5, False, 3)
    sc.apply_changes(rater=rater, session=session, entries=[change],
                     comments=[sc.CommentChange("A01", "好", 1)])
    sc.apply_changes(rater=rater, session=session, entries=[change])  # the same change sent twice
    saved = state(rater, session)
    assert saved["entries"] == {"A01.1": {"points": 12.5, "cannot_judge": False, "version": 3}}
    assert saved["comments"] == {"A01": {"text": "好", "version": 1}}
    assert saved["status"] == "draft"


def test_a_stale_change_is_refused_and_nothing_changes(session):
    rater = seated(session)[0]
    sc.apply_changes(rater=rater, session=session, entries=[sc.EntryChange("A01.1", 10, False, 5)])
    db.session.commit()
    before = state(rater, session)
    with pytest.raises(sc.StaleChange) as refused:
        sc.apply_changes(rater=rater, session=session, entries=[
            sc.EntryChange("A01.2", 3, False, 1),  # valid on its own: the batch goes as a whole
            sc.EntryChange("A01.1", 2, False, 4),
        ])
    assert refused.value.criterion == "A01.1" and refused.value.stored_version == 5
    db.session.rollback()
    assert state(rater, session) == before
    with pytest.raises(sc.StaleChange):  # same version, other value
        sc.apply_changes(rater=rater, session=session, entries=[sc.EntryChange("A01.1", 2, False, 5)])


@pytest.mark.parametrize("points, words", [(25.5, "above the maximum"), (-0.5, "below 0"), (3.3, "multiple of")])
def test_out_of_range_and_off_step_values_name_the_criterion(session, points, words):
    rater = seated(session)[0]
    db.session.commit()
    with pytest.raises(sc.InvalidScore) as refused:
        sc.apply_changes(rater=rater, session=session, entries=[sc.EntryChange("A02.2", points, False, 1)])
    assert refused.value.criterion == "A02.2"
    assert "A02.2" in refused.value.message and words in refused.value.message
    assert refused.value.status_code == 400
    db.session.rollback()
    assert state(rater, session)["status"] == "none"


def test_unknown_criteria_and_area_are_refused(session):
    rater = seated(session)[0]
    with pytest.raises(sc.InvalidScore):
        sc.apply_changes(rater=rater, session=session, entries=[sc.EntryChange("Z9", 1, False, 1)])
    with pytest.raises(sc.InvalidScore):
        sc.apply_changes(rater=rater, session=session, comments=[sc.CommentChange("Z9", "x", 1)])


def test_recused_and_outside_raters_are_refused_with_reasons(session):
    forbidden = recused(session)
    with pytest.raises(sc.Recused) as refused:
        sc.apply_changes(rater=forbidden, session=session, entries=[sc.EntryChange("A01.1", 1, False, 1)])
    assert refused.value.status_code == 403 and refused.value.reasons
    with pytest.raises(sc.NotOnPanel):
        sc.apply_changes(rater=outsider(session), session=session, entries=[sc.EntryChange("A01.1", 1, False, 1)])


def test_sessions_not_open_refuse_writes(ctx):
    round = open_round()
    scheduled = sorted(round.sessions, key=lambda s: s.unit.code)[0]
    rater = seated(scheduled)[0]
    with pytest.raises(sc.SessionNotOpen) as refused:
        sc.apply_changes(rater=rater, session=scheduled, entries=full_entries(scheduled))
    assert refused.value.code == "session_not_open" and refused.value.status_code == 409
    scoring_sessions.open_session(session=scheduled)
    sc.apply_changes(rater=rater, session=scheduled, entries=full_entries(scheduled)[:1])
    outcome = scoring_sessions.close_session(session=scheduled)
    assert outcome.submitted == 0 and [c.rater_id for c in outcome.unfinished] == [rater.id]
    with pytest.raises(sc.SessionNotOpen) as refused:
        sc.apply_changes(rater=rater, session=scheduled, entries=full_entries(scheduled, version=2))
    assert refused.value.code == "session_closed"


def test_submit_requires_every_criterion_then_locks_with_a_stable_receipt(session):
    rater = seated(session)[0]
    entries = full_entries(session)
    db.session.commit()
    with pytest.raises(sc.Incomplete) as refused:
        sc.submit_scorecard(rater=rater, session=session, entries=entries[:-1])
    assert refused.value.missing == [entries[-1].criterion]
    db.session.rollback()
    last = sc.EntryChange(entries[-1].criterion, None, True, 1)  # "cannot judge" completes it
    card = sc.submit_scorecard(rater=rater, session=session, entries=entries[:-1] + [last])
    assert card.status is ScorecardStatus.SUBMITTED
    assert card.receipt == hashlib.sha256(sc.canonical_scorecard(card)).hexdigest()
    document = json.loads(sc.canonical_scorecard(card))
    assert document["scores"][-1] == [last.criterion, None, True]
    again = sc.submit_scorecard(rater=rater, session=session, entries=entries[:-1] + [last])
    assert again.receipt == card.receipt  # a retry gets the same receipt
    with pytest.raises(sc.AlreadySubmitted):
        sc.apply_changes(rater=rater, session=session, entries=[sc.EntryChange(entries[0].criterion, 0, False, 9)])
    with pytest.raises(sc.AlreadySubmitted):
        sc.submit_scorecard(rater=rater, session=session, entries=[sc.EntryChange(entries[0].criterion, 0, False, 9)])


def test_staff_reopen_needs_a_reason_and_keeps_the_old_receipt(session):
    rater = seated(session)[0]
    card = sc.submit_scorecard(rater=rater, session=session, entries=full_entries(session))
    receipt = card.receipt
    staff = create_user(username="staff1", role=Role.STAFF, password="correct-horse-9")
    with pytest.raises(DomainError):
        sc.reopen_scorecard(scorecard=card, reason="  ", by=staff)
    assert card.status is ScorecardStatus.SUBMITTED
    reopening = sc.reopen_scorecard(scorecard=card, reason="typed 5 for 15", by=staff)
    assert reopening.previous_receipt == receipt and card.status is ScorecardStatus.DRAFT
    sc.apply_changes(rater=rater, session=session, entries=[sc.EntryChange("A01.1", 0, False, 2)])
    card = sc.submit_scorecard(rater=rater, session=session)
    assert card.receipt != receipt and len(card.reopenings) == 1


def test_declaring_a_conflict_recuses_and_discards_the_draft(session):
    rater = seated(session)[0]
    sc.apply_changes(rater=rater, session=session, entries=full_entries(session)[:2])
    sc.declare_conflict(rater=rater, session=session, reason="我的亲属在这家单位工作")
    assert sc.scorecard_for(rater=rater, session=session) is None
    with pytest.raises(sc.Recused) as refused:
        sc.apply_changes(rater=rater, session=session, entries=full_entries(session))
    assert "亲属" in refused.value.message
    listed = {item.session.id: item.state for item in sc.rater_sessions(rater=rater)}
    assert listed[session.id] == "recused"
    live = scoring_sessions.live_status(session=session)
    assert [row.state for row in live.rows if row.rater_id == rater.id] == ["recused"]


def test_rater_sessions_lists_only_the_raters_panel(session):
    rater = seated(session)[0]
    mine = sc.rater_sessions(rater=rater)
    assert session.id in {item.session.id for item in mine}
    seats = {item.session.id for item in mine if item.state != "recused"}
    assert all(any(m.rater_id == rater.id for m in s.members) for s in session.round.sessions if s.id in seats)
    other = next(s for s in session.round.sessions if s.id not in {item.session.id for item in mine})
    with pytest.raises(sc.NotOnPanel):
        sc.get_rater_session(rater=rater, session_id=other.id)
    with pytest.raises(sc.NotOnPanel):
        sc.get_rater_session(rater=rater, session_id=10**9)


def test_live_status_counts_states_and_never_carries_scores(session):
    raters = seated(session)
    sc.submit_scorecard(rater=raters[0], session=session, entries=full_entries(session))
    sc.apply_changes(rater=raters[1], session=session, entries=full_entries(session)[:3])
    payload = scoring_sessions.live_payload(scoring_sessions.live_status(session=session))
    assert payload["counts"]["submitted"] == 1 and payload["counts"]["scoring"] == 1
    assert payload["counts"]["not_started"] == len(raters) - 2
    scoring = next(r for r in payload["rows"] if r["rater_id"] == raters[1].id)
    assert scoring["filled"] == 3 and scoring["total"] == 4
    assert "points" not in json.dumps(payload)


def test_changes_from_json_refuses_malformed_bodies(ctx):
    entries, comments = sc.changes_from_json({"entries": [{"criterion": "A1", "points": 1.5, "cannot_judge": False,
                                                           "version": 2}]})
    assert entries == [sc.EntryChange("A1", 1.5, False, 2)] and comments == []
    for body in ([], {"entries": "x"}, {"entries": [{"criterion": "A1", "version": 0}]},
                 {"entries": [{"criterion": "A1", "version": True}]}, {"other": []},
                 {"entries": [{"criterion": "A1", "version": 1, "locked": True}]},
                 {"comments": [{"area": "A1", "text": 5, "version": 1}]}):
        with pytest.raises(sc.MalformedChanges):
            sc.changes_from_json(body)
    with pytest.raises(sc.InvalidScore):
        sc.changes_from_json({"entries": [{"criterion": "A1", "points": "7", "version": 1}]})


def test_session_open_and_close_refusals(ctx):
    round = open_round()
    session = sorted(round.sessions, key=lambda s: s.unit.code)[0]
    with pytest.raises(DomainError):
        scoring_sessions.close_session(session=session)
    scoring_sessions.open_session(session=session)
    with pytest.raises(DomainError):
        scoring_sessions.open_session(session=session)
    scoring_sessions.close_session(session=session)
    assert session.status is SessionStatus.CLOSED and session.closed_at is not None
    scoring_sessions.open_session(session=session)  # reopening a session closed by mistake
    assert session.status is SessionStatus.OPEN
