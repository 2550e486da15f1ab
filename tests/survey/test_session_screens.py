"""Staff screens of on-site scoring: a session's control page (open, close, reopen the session,
reopen a scorecard, revoke a rater's phone) and the projector screen with its JSON, which
never carries a score."""

from __future__ import annotations

import html
import json
import re

import pytest
from sqlalchemy import func, select

from survey.extensions import db
from survey.models import (
    JoinCode,
    RaterDevice,
    ReportSession,
    Round,
    RoundRater,
    Scorecard,
    ScorecardReopening,
    ScorecardStatus,
    SessionStatus,
    User,
)
from survey.services import join_codes, plans, rater_devices
from survey.services import scorecards as sc
from tests.conftest import csrf_token
from tests.survey.round_builders import june, seed_round
from tests.survey.scoring_builders import full_entries, open_round, open_session, seated

#: A distinctive score: it must never reach the staff screens' JSON.
SECRET_POINTS = 17.5


def _staff(make_user, login, client, username="office"):
    make_user("staff", username=username)
    login(username)
    client.set_cookie("kaimen_lang", "en")  # these tests compare English messages word for word


def _url(round_id, session_id, tail=""):
    return f"/staff/rounds/{round_id}/sessions/{session_id}{tail}"


def _text(response) -> str:
    """The page with its character references resolved (names and messages may hold ' and &)."""
    return html.unescape(response.get_data(as_text=True))


def _status(session_id) -> SessionStatus:
    db.session.expire_all()
    return db.session.get(ReportSession, session_id).status


def _card(scorecard_id) -> Scorecard:
    db.session.expire_all()
    return db.session.get(Scorecard, scorecard_id)


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _scored_session(app, *, close=False):
    """An open round and session: one submitted scorecard, one draft of two criteria, the rest not
    started, one more rater recused by a declared conflict. Returns the ids the tests need."""
    with app.app_context():
        round = open_round()
        session = open_session(round)
        raters = seated(session)
        done, drafting, gone = raters[0], raters[1], raters[-1]
        card = sc.submit_scorecard(rater=done, session=session, entries=full_entries(session, SECRET_POINTS))
        sc.apply_changes(rater=drafting, session=session, entries=full_entries(session, SECRET_POINTS)[:2])
        sc.declare_conflict(rater=gone, session=session, reason="我的妻子在该企业任职")
        db.session.commit()
        return {
            "round": round.id, "session": session.id, "card": card.id, "receipt": card.receipt,
            "done": done.id, "done_name": done.name, "drafting": drafting.id, "drafting_name": drafting.name,
            "gone": gone.id, "gone_name": gone.name, "idle": [r.id for r in raters[2:-1]],
            "unit": session.unit.code,
        }


# --------------------------------------------------------------------------- opening and closing


def test_open_close_and_reopen_a_session_through_the_control_page(app, client, make_user, login):
    _staff(make_user, login, client)
    with app.app_context():
        round = open_round()
        session = min(round.sessions, key=lambda s: s.unit.code)
        raters = seated(session)
        db.session.commit()
        ids = {"round": round.id, "session": session.id}
        done_id, draft_id = raters[0].id, raters[1].id
        draft_name = raters[1].name
    control = _url(ids["round"], ids["session"])
    page = client.get(control)
    assert page.status_code == 200
    assert 'data-testid="session-status">Scheduled<' in _text(page)
    token = csrf_token(client, control)

    opened = client.post(control + "/open", data={"csrf_token": token}, follow_redirects=True)
    assert "is open: raters can score on their phones now." in _text(opened)
    assert 'data-testid="session-status">Open for scoring<' in _text(opened)
    with app.app_context():
        session = db.session.get(ReportSession, ids["session"])
        assert session.status is SessionStatus.OPEN and session.opened_at is not None
        sc.submit_scorecard(rater=db.session.get(RoundRater, done_id), session=session,
                            entries=full_entries(session))
        sc.apply_changes(rater=db.session.get(RoundRater, draft_id), session=session,
                         entries=full_entries(session)[:3])
        db.session.commit()

    again = client.post(control + "/open", data={"csrf_token": token}, follow_redirects=True)
    assert "is already open." in _text(again)

    unconfirmed = client.post(control + "/close", data={"csrf_token": token}, follow_redirects=True)
    assert "Tick the box to confirm that scoring has ended." in _text(unconfirmed)
    with app.app_context():
        assert _status(ids["session"]) is SessionStatus.OPEN

    closed = client.post(control + "/close", data={"csrf_token": token, "confirm": "y"}, follow_redirects=True)
    text = _text(closed)
    assert "is closed: 1 scorecard submitted." in text
    assert f"1 unfinished draft is not counted: {draft_name}." in text
    outcome = text.split('data-testid="close-outcome"')[1].split("</section>")[0]
    assert "1 scorecard submitted." in outcome
    assert re.search(rf"{draft_name} · 3 of 4 criteria filled", outcome)
    with app.app_context():
        session = db.session.get(ReportSession, ids["session"])
        assert session.status is SessionStatus.CLOSED
        closed_at = session.closed_at
        assert _count(Scorecard) == 2  # the draft is kept, but not counted

    twice = client.post(control + "/close", data={"csrf_token": token, "confirm": "y"}, follow_redirects=True)
    assert "is not open, so it cannot be closed." in _text(twice)
    with app.app_context():
        session = db.session.get(ReportSession, ids["session"])
        assert (session.status, session.closed_at) == (SessionStatus.CLOSED, closed_at)

    reopened = client.post(control + "/open", data={"csrf_token": token}, follow_redirects=True)
    assert "is open again: raters can change and submit their scorecards." in _text(reopened)
    with app.app_context():
        assert _status(ids["session"]) is SessionStatus.OPEN


def test_a_session_does_not_open_while_its_round_is_being_set_up(app, client, make_user, login):
    _staff(make_user, login, client)
    with app.app_context():
        round = seed_round()
        plans.solve_plan(round=round)
        session = min(round.sessions, key=lambda s: s.unit.code)
        db.session.commit()
        round_id, session_id = round.id, session.id
    control = _url(round_id, session_id)
    page = _text(client.get(control))
    assert "sessions open once the round is open" in page and 'data-testid="open-session"' not in page
    token = csrf_token(client, control)

    refused = client.post(control + "/open", data={"csrf_token": token}, follow_redirects=True)

    assert "Open the round before opening the scoring of" in _text(refused)
    with app.app_context():
        session = db.session.get(ReportSession, session_id)
        assert (session.status, session.opened_at) == (SessionStatus.SCHEDULED, None)


def test_actions_need_the_csrf_token_and_a_session_of_the_round(app, client, make_user, login):
    _staff(make_user, login, client)
    ids = _scored_session(app)
    with app.app_context():
        other = seed_round(version=db.session.get(Round, ids["round"]).framework_version)
        db.session.commit()
        other_id = other.id
    control = _url(ids["round"], ids["session"])
    for tail, data in (("/open", {}), ("/close", {"confirm": "y"}), (f"/raters/{ids['done']}/revoke", {}),
                       (f"/scorecards/{ids['card']}/reopen", {f"r{ids['card']}-reason": "改分"})):
        assert client.post(control + tail, data=data).status_code == 400, tail
    token = csrf_token(client, control)
    assert client.get(_url(other_id, ids["session"])).status_code == 404
    assert client.get(_url(ids["round"], 99999, "/live.json")).status_code == 404
    assert client.post(_url(other_id, ids["session"], "/open"), data={"csrf_token": token}).status_code == 404
    assert client.post(control + "/scorecards/99999/reopen",
                       data={"csrf_token": token, "r99999-reason": "x"}).status_code == 404
    assert client.post(control + "/raters/99999/revoke", data={"csrf_token": token}).status_code == 404
    with app.app_context():
        assert _status(ids["session"]) is SessionStatus.OPEN
        assert _card(ids["card"]).status is ScorecardStatus.SUBMITTED
        assert _count(RaterDevice) == 0 and _count(ScorecardReopening) == 0


# --------------------------------------------------------------------------- reopening a scorecard


def test_reopening_a_scorecard_needs_a_reason_and_is_recorded(app, client, make_user, login):
    _staff(make_user, login, client)
    ids = _scored_session(app)
    control = _url(ids["round"], ids["session"])
    page = _text(client.get(control))
    assert "No scorecard of this session has been reopened." in page
    assert ids["receipt"][:12] in page
    token = csrf_token(client, control)
    reopen = control + f"/scorecards/{ids['card']}/reopen"
    field = f"r{ids['card']}-reason"

    for reason in ("", "   "):
        refused = client.post(reopen, data={"csrf_token": token, field: reason}, follow_redirects=True)
        assert "Give the reason for reopening the scorecard." in _text(refused)
    too_long = client.post(reopen, data={"csrf_token": token, field: "长" * 2001}, follow_redirects=True)
    assert "The reason is too long (at most 2000 characters)." in _text(too_long)
    with app.app_context():
        card = _card(ids["card"])
        assert (card.status, card.receipt) == (ScorecardStatus.SUBMITTED, ids["receipt"])
        assert _count(ScorecardReopening) == 0

    done = client.post(reopen, data={"csrf_token": token, field: "  评分人把A01.1填错了  "}, follow_redirects=True)

    text = _text(done)
    assert f"{ids['done_name']}'s scorecard is open again; it counts once it is submitted again." in text
    with app.app_context():
        card = _card(ids["card"])
        assert (card.status, card.receipt, card.submitted_at) == (ScorecardStatus.DRAFT, None, None)
        (reopening,) = card.reopenings
        staff = db.session.scalar(select(User).where(User.username == "office"))
        assert (reopening.reason, reopening.previous_receipt, reopening.reopened_by_id) == (
            "评分人把A01.1填错了", ids["receipt"], staff.id)
        who = staff.display_name
    listed = text.split('data-testid="reopenings"')[1].split("</table>")[0]
    assert "评分人把A01.1填错了" in listed and ids["receipt"] in listed and ids["done_name"] in listed
    assert who in listed

    again = client.post(reopen, data={"csrf_token": token, field: "再来一次"}, follow_redirects=True)
    assert "Only a submitted scorecard can be reopened." in _text(again)
    with app.app_context():
        assert _count(ScorecardReopening) == 1


def test_a_scorecard_of_a_closed_session_is_not_reopened(app, client, make_user, login):
    _staff(make_user, login, client)
    ids = _scored_session(app)
    control = _url(ids["round"], ids["session"])
    token = csrf_token(client, control)
    assert client.post(control + "/close", data={"csrf_token": token, "confirm": "y"}).status_code == 302
    page = _text(client.get(control))
    assert page.count("To reopen a scorecard, the session must be open.") == 1
    assert "Reopen the scorecard" not in page

    refused = client.post(control + f"/scorecards/{ids['card']}/reopen",
                          data={"csrf_token": token, f"r{ids['card']}-reason": "填错了"}, follow_redirects=True)

    assert "Open the session again before reopening a scorecard." in _text(refused)
    with app.app_context():
        card = _card(ids["card"])
        assert (card.status, card.receipt) == (ScorecardStatus.SUBMITTED, ids["receipt"])
        assert _count(ScorecardReopening) == 0


# --------------------------------------------------------------------------- a lost phone or sheet


def test_revoking_a_rater_stops_their_phone_and_codes(app, client, make_user, login):
    _staff(make_user, login, client)
    ids = _scored_session(app)
    now = june(9, 8)  # the morning of the session
    with app.app_context():
        session = db.session.get(ReportSession, ids["session"])
        issued = {entry.rater_id: entry.code for entry in join_codes.issue_join_codes(session=session, now=now)}
        joined = rater_devices.join_with_code(code=issued[ids["done"]], address="10.0.0.1", user_agent="phone",
                                              settings=app.config, now=now)
        token_value = joined.token
        db.session.commit()
        assert rater_devices.device_for_token(token_value, now=now) is not None
    control = _url(ids["round"], ids["session"])
    token = csrf_token(client, control)

    revoked = client.post(control + f"/raters/{ids['done']}/revoke", data={"csrf_token": token},
                          follow_redirects=True)

    assert f"{ids['done_name']}'s phones and join codes no longer work." in _text(revoked)
    with app.app_context():
        db.session.expire_all()
        assert rater_devices.device_for_token(token_value, now=now) is None
        devices = db.session.scalars(select(RaterDevice).where(RaterDevice.rater_id == ids["done"])).all()
        assert devices and all(d.revoked_at is not None for d in devices)
        codes = db.session.scalars(select(JoinCode).where(JoinCode.rater_id == ids["done"])).all()
        assert codes and all(c.revoked_at is not None for c in codes)
        others = db.session.scalars(select(JoinCode).where(JoinCode.rater_id != ids["done"])).all()
        assert others and all(c.revoked_at is None for c in others)
        assert join_codes.find_valid_join_code(code=issued[ids["drafting"]], now=now) is not None
        assert join_codes.find_valid_join_code(code=issued[ids["idle"][0]], now=now) is not None
        assert _card(ids["card"]).status is ScorecardStatus.SUBMITTED  # the scorecard stays


# --------------------------------------------------------------------------- the live screen


def test_live_json_shows_states_and_counts_but_never_a_score(app, client, make_user, login):
    _staff(make_user, login, client)
    ids = _scored_session(app)

    response = client.get(_url(ids["round"], ids["session"], "/live.json"))

    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    data = response.get_json()
    rows = {row["rater_id"]: row for row in data["rows"]}
    assert data["session"]["status"] == "open"
    assert rows[ids["done"]]["state"] == "submitted" and rows[ids["done"]]["submitted_time"]
    assert rows[ids["done"]]["filled"] == rows[ids["done"]]["total"] == 4
    assert (rows[ids["drafting"]]["state"], rows[ids["drafting"]]["filled"]) == ("scoring", 2)
    assert {rows[i]["state"] for i in ids["idle"]} == {"not_started"}
    gone = rows[ids["gone"]]
    assert gone["state"] == "recused"
    assert gone["reasons"] == [f"{ids['gone_name']} declared a conflict: 我的妻子在该企业任职"]
    assert data["counts"] == {"submitted": 1, "scoring": 1, "not_started": len(ids["idle"]),
                              "recused": sum(1 for r in data["rows"] if r["state"] == "recused")}
    assert data["total"] == len(data["rows"]) - data["counts"]["recused"]
    # no score, comment or receipt of any kind
    body = _text(response)
    for word in ("points", "entries", "comments", "receipt", "cannot_judge", str(SECRET_POINTS), "17.5"):
        assert word not in body, word
    allowed = {"rater_id", "name", "rater_type", "rater_type_label", "state", "filled", "total", "submitted_at",
               "submitted_time", "reasons"}
    assert all(set(row) <= allowed for row in data["rows"])

    # every poll reads the database: a submission shows on the next one
    with app.app_context():
        session = db.session.get(ReportSession, ids["session"])
        sc.submit_scorecard(rater=db.session.get(RoundRater, ids["drafting"]), session=session,
                            entries=full_entries(session, SECRET_POINTS, version=2))
        db.session.commit()
    again = client.get(_url(ids["round"], ids["session"], "/live.json")).get_json()
    assert again["counts"]["submitted"] == 2 and again["counts"]["scoring"] == 0


def test_live_screen_page_lists_everyone_and_after_closing_the_unfinished_drafts(app, client, make_user, login):
    _staff(make_user, login, client)
    ids = _scored_session(app)
    live = _url(ids["round"], ids["session"], "/live")
    page = client.get(live)
    assert page.status_code == 200
    text = _text(page)
    assert 'data-testid="live-status">Scoring is open<' in text
    assert "<script" not in text.replace('<script src="/static/js/live.js" defer></script>', "")
    assert ' style="' not in text
    assert f'data-url="{_url(ids["round"], ids["session"], "/live.json")}"' in text
    assert 'data-l-offline="Connection lost, retrying…"' in text
    for name in (ids["done_name"], ids["drafting_name"], ids["gone_name"]):
        assert name in text
    assert "Scoring · 2 of 4 criteria" in text and "Not started" in text
    assert f"Recused: {ids['gone_name']} declared a conflict: 我的妻子在该企业任职" in text
    assert str(SECRET_POINTS) not in text and ids["receipt"] not in text

    control = _url(ids["round"], ids["session"])
    token = csrf_token(client, control)
    client.post(control + "/close", data={"csrf_token": token, "confirm": "y"})

    closed = _text(client.get(live))
    assert 'data-testid="live-status">Scoring is closed<' in closed
    assert "Unfinished draft, not counted · 2 of 4 criteria" in closed
    assert "Unfinished drafts" in closed
    data = client.get(control + "/live.json").get_json()
    assert data["session"]["status"] == "closed" and data["counts"]["scoring"] == 1


def test_control_page_shows_the_panel_states_and_the_live_screen_link(app, client, make_user, login):
    _staff(make_user, login, client)
    ids = _scored_session(app)
    page = _text(client.get(_url(ids["round"], ids["session"])))
    assert 'data-testid="session-status">Open for scoring<' in page
    assert "1 submitted, 1 unfinished draft<" in page
    assert f'href="{_url(ids["round"], ids["session"], "/live")}"' in page
    row = page.split(f'data-testid="rater-{ids["drafting"]}"')[1].split("</tr>")[0]
    assert "Scoring" in row and "2 / 4" in row and "Revoke phone and codes" in row
    row = page.split(f'data-testid="rater-{ids["done"]}"')[1].split("</tr>")[0]
    assert "Submitted" in row and "Reopen the scorecard" in row
    row = page.split(f'data-testid="rater-{ids["gone"]}"')[1].split("</tr>")[0]
    assert "Recused" in row and "declared a conflict: 我的妻子在该企业任职" in row
    assert str(SECRET_POINTS) not in page
    plan = _text(client.get(f"/staff/rounds/{ids['round']}/plan"))
    assert f'href="{_url(ids["round"], ids["session"])}"' in plan
    assert f'href="{_url(ids["round"], ids["session"])}"' in _text(client.get(f"/staff/rounds/{ids['round']}"))


# --------------------------------------------------------------------------- who may use them


@pytest.mark.parametrize("role", ["representative", "evaluator"])
def test_session_screens_are_staff_only(app, client, make_user, login, role):
    ids = _scored_session(app)
    make_user(role, username="probe")
    login("probe")
    token = csrf_token(client, "/dashboard")
    base = _url(ids["round"], ids["session"])
    for path in (base, base + "/live", base + "/live.json"):
        assert client.get(path).status_code == 403, path
    for path, data in (
        (base + "/open", {}),
        (base + "/close", {"confirm": "y"}),
        (base + f"/scorecards/{ids['card']}/reopen", {f"r{ids['card']}-reason": "改分"}),
        (base + f"/raters/{ids['done']}/revoke", {}),
    ):
        assert client.post(path, data={"csrf_token": token, **data}).status_code == 403, path
    with app.app_context():
        assert _status(ids["session"]) is SessionStatus.OPEN
        card = _card(ids["card"])
        assert (card.status, card.receipt) == (ScorecardStatus.SUBMITTED, ids["receipt"])
        assert _count(ScorecardReopening) == 0
        assert _count(RaterDevice) == 0


def test_admin_may_use_the_session_screens(app, client, make_user, login):
    ids = _scored_session(app)
    make_user("admin", username="root")
    login("root")
    base = _url(ids["round"], ids["session"])
    assert client.get(base).status_code == 200
    assert json.loads(_text(client.get(base + "/live.json")))["session"]["status"] == "open"
