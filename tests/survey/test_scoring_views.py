"""The representative's phone: joining with a code, the session list, the scoring form, the JSON
endpoints score.js uses, the form without JavaScript, the receipt, declaring a conflict.

Every refusal leaves the stored scorecard exactly as it was (compared through scorecard_state).
"""

from __future__ import annotations

import re
from datetime import timedelta
from http.cookies import SimpleCookie

import pytest
from flask import current_app, g
from markupsafe import escape
from sqlalchemy import func, select

from survey.extensions import db
from survey.models import (
    Conflict,
    ConflictKind,
    JoinCode,
    RaterDevice,
    ReportSession,
    Round,
    RoundRater,
    Scorecard,
)
from survey.models.base import utcnow
from survey.services import conflicts, frameworks, join_codes, rounds, scoring_sessions
from survey.services import scorecards as sc
from survey.services.invites import code_hash
from tests.conftest import csrf_token
from tests.survey.scoring_builders import open_round

ENGLISH = {"kaimen_lang": "en"}


# --------------------------------------------------------------------------- builders


def joinable(round=None, index: int = 0, *, open_it: bool = True) -> dict:
    """A session of an open round rescheduled to now, opened (unless ``open_it`` is False),
    with fresh join codes for its panel. Returns ids and codes (committed)."""
    round = round or open_round()
    session = sorted(round.sessions, key=lambda s: s.unit.code)[index]
    rounds.schedule_session(session=session, starts_at=utcnow(), place="三楼会议室")
    if open_it:
        scoring_sessions.open_session(session=session)
    issued = join_codes.issue_join_codes(session=session)
    db.session.commit()
    return {
        "round": round.id,
        "session": session.id,
        "codes": {i.rater_id: i.code for i in issued},
        "raters": [i.rater_id for i in issued],
    }


def get_session(world) -> ReportSession:
    return db.session.get(ReportSession, world["session"])


def get_rater(rater_id) -> RoundRater:
    return db.session.get(RoundRater, rater_id)


def english(client):
    client.set_cookie("kaimen_lang", "en")
    return client


def token_for(client, path: str) -> str:
    """The CSRF token of ``client``'s session. (Flask-WTF keeps the token of a request on ``g``,
    which the test's app context shares between the requests of several test clients.)"""
    g.pop("csrf_token", None)
    return csrf_token(client, path)


def join(client, code: str):
    token = token_for(client, "/join")
    return client.post("/join", data={"code": code, "csrf_token": token})


def joined(app, world, n: int = 0):
    """A fresh phone (test client) joined as the n-th panel member; returns (client, rater id)."""
    client = english(app.test_client())
    rater_id = world["raters"][n]
    response = join(client, world["codes"][rater_id])
    assert response.status_code == 302, response.get_data(as_text=True)
    return client, rater_id


def api_token(client, session_id) -> str:
    g.pop("csrf_token", None)
    response = client.get(f"/api/score/sessions/{session_id}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()["csrf_token"]


def post_json(client, url, body, token):
    return client.post(url, json=body, headers={"X-CSRFToken": token})


def changes(client, session_id, body, token=None):
    token = token or api_token(client, session_id)
    return post_json(client, f"/api/score/sessions/{session_id}/changes", body, token)


def entry(code, points, version=1, cannot_judge=False):
    return {"criterion": code, "points": points, "cannot_judge": cannot_judge, "version": version}


def state(world, rater_id) -> dict:
    db.session.expire_all()
    return sc.scorecard_state(sc.scorecard_for(rater=get_rater(rater_id), session=get_session(world)))


def criteria(world) -> list[tuple[str, dict]]:
    """(area code, criterion spec) of the session's framework, in order."""
    return [(area["code"], c) for area in sc.criteria_of(get_session(world)) for c in area["criteria"]]


def full_form(world, token, value=lambda c: c["step"], **extra) -> dict:
    data = {"csrf_token": token, "_action": "submit"}
    for _area, c in criteria(world):
        data[f"score__{c['code']}"] = str(value(c))
    data.update(extra)
    return data


def page_text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app


@pytest.fixture
def world(ctx):
    return joinable()


# --------------------------------------------------------------------------- joining


def test_a_link_only_fills_in_the_code_and_never_exchanges_it(world, client):
    code = next(iter(world["codes"].values()))
    response = client.get(f"/join?code={code}")
    assert response.status_code == 200
    assert f'value="{code}"' in page_text(response)
    assert "kaimen_rater" not in response.headers.get("Set-Cookie", "")
    assert db.session.scalar(select(func.count()).select_from(JoinCode).where(JoinCode.used_at.is_not(None))) == 0
    assert db.session.scalar(select(func.count()).select_from(RaterDevice)) == 0


def test_posting_the_code_binds_the_phone_with_an_httponly_cookie(ctx, world):
    client = english(ctx.test_client())
    rater_id = world["raters"][0]
    code = world["codes"][rater_id]
    typed = code.replace("-", "").lower()  # as people type it
    response = join(client, typed)
    assert response.status_code == 302 and response.headers["Location"].endswith("/score")
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("kaimen_rater="))
    cookie = SimpleCookie(header)["kaimen_rater"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["path"] == "/" and cookie["expires"]
    assert "secure" not in header.lower()  # plain http in tests; https marks it Secure
    device = db.session.scalar(select(RaterDevice))
    assert device.rater_id == rater_id and device.round_id == world["round"]
    assert device.token_hash != cookie.value and len(cookie.value) >= 40
    assert db.session.scalar(select(JoinCode).where(JoinCode.code_hash == code_hash(code))).used_at is not None
    listing = client.get("/score")
    assert listing.status_code == 200
    assert f'data-testid="session-{world["session"]}"' in page_text(listing)


def test_over_https_the_phone_cookie_is_secure(ctx, world):
    client = english(ctx.test_client())
    g.pop("csrf_token", None)
    page = client.get("/join", base_url="https://kaimen.example")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page_text(page)).group(1)
    response = client.post("/join", base_url="https://kaimen.example",
                           headers={"Referer": "https://kaimen.example/join"},
                           data={"code": world["codes"][world["raters"][0]], "csrf_token": token})
    assert response.status_code == 302
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("kaimen_rater="))
    assert "Secure" in header and "HttpOnly" in header


def _expire(world, code):
    db.session.scalar(select(JoinCode).where(JoinCode.code_hash == code_hash(code))).expires_at = \
        utcnow() - timedelta(minutes=1)
    db.session.commit()


def _revoke(world, code):
    rater = get_rater(next(r for r, c in world["codes"].items() if c == code))
    join_codes.revoke_join_codes(round=rater.round, rater=rater)
    db.session.commit()


def _use(world, code):
    client = english(current_app.test_client())
    assert join(client, code).status_code == 302


@pytest.mark.parametrize("spoil", ["garbage", "used", "expired", "revoked"])
def test_bad_codes_are_refused_with_one_message_and_no_cookie(ctx, world, spoil):
    code = world["codes"][world["raters"][0]]
    typed = {"garbage": "ZZZZZ-ZZZZZ", "used": code, "expired": code, "revoked": code}[spoil]
    if spoil == "used":
        _use(world, code)
    elif spoil == "expired":
        _expire(world, code)
    elif spoil == "revoked":
        _revoke(world, code)
    devices = db.session.scalar(select(func.count()).select_from(RaterDevice))
    client = english(ctx.test_client())
    response = join(client, typed)
    assert response.status_code == 400
    assert "This code does not work" in page_text(response)
    assert 'data-testid="join-error"' in page_text(response)
    assert not any(h.startswith("kaimen_rater=") for h in response.headers.getlist("Set-Cookie"))
    assert db.session.scalar(select(func.count()).select_from(RaterDevice)) == devices
    assert client.get("/score").status_code == 401


def test_an_empty_code_asks_for_one(ctx, world):
    response = join(english(ctx.test_client()), "   ")
    assert response.status_code == 400
    assert "Type the code printed under your QR code" in page_text(response)


def test_wrong_codes_are_throttled_per_address(ctx, world, monkeypatch):
    monkeypatch.setitem(ctx.config, "JOIN_MAX_FAILURES_PER_IP", 2)
    client = english(ctx.test_client())
    assert join(client, "AAAAA-AAAAA").status_code == 400
    assert join(client, "AAAAA-AAAAB").status_code == 400
    good = world["codes"][world["raters"][0]]
    response = join(client, good)  # even a good code waits
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert "Too many wrong codes" in page_text(response)
    assert db.session.scalar(select(func.count()).select_from(RaterDevice)) == 0


def test_without_a_joined_phone_every_page_asks_for_the_code(ctx, world):
    client = english(ctx.test_client())
    for path in ("/score", f"/score/sessions/{world['session']}", f"/score/sessions/{world['session']}/receipt"):
        response = client.get(path)
        assert response.status_code == 401, path
        assert 'data-testid="join-form"' in page_text(response)
    response = client.get(f"/api/score/sessions/{world['session']}")
    assert response.status_code == 401 and response.get_json()["code"] == "not_joined"
    token = token_for(client, "/join")
    response = post_json(client, f"/api/score/sessions/{world['session']}/changes",
                         {"entries": [entry("A01.1", 1)]}, token)
    assert response.status_code == 401 and response.get_json()["code"] == "not_joined"
    assert db.session.scalar(select(func.count()).select_from(Scorecard)) == 0


def test_the_cookie_of_another_round_cannot_reach_this_one(ctx):
    first = joinable()
    second = joinable()
    client, _rater_id = joined(ctx, first)
    listing = page_text(client.get("/score"))
    other_ids = {s.id for s in db.session.get(Round, second["round"]).sessions}
    assert not any(f'data-testid="session-{sid}"' in listing for sid in other_ids)
    assert client.get(f"/score/sessions/{second['session']}").status_code == 403
    assert client.get(f"/api/score/sessions/{second['session']}").status_code == 403
    token = api_token(client, first["session"])
    response = changes(client, second["session"], {"entries": [entry("A01.1", 1)]}, token)
    assert response.status_code == 403 and response.get_json()["code"] == "not_on_panel"
    assert db.session.scalar(select(func.count()).select_from(Scorecard)) == 0


def test_leaving_signs_the_phone_out(ctx, world):
    client, _rater_id = joined(ctx, world)
    token = token_for(client, "/score")
    response = client.post("/score/leave", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"].endswith("/join?left=1")
    assert any(h.startswith("kaimen_rater=;") for h in response.headers.getlist("Set-Cookie"))
    assert db.session.scalar(select(RaterDevice)).revoked_at is not None
    page = client.get("/join?left=1")
    assert "data-score-left" in page_text(page)
    assert client.get("/score").status_code == 401


# --------------------------------------------------------------------------- my sessions


def test_the_list_shows_only_the_raters_panel_sessions_with_their_state(ctx, world):
    client, rater_id = joined(ctx, world)
    rater = get_rater(rater_id)
    round = rater.round
    page = page_text(client.get("/score"))
    listed = {int(n) for n in re.findall(r'data-testid="session-(\d+)"', page)}
    seated_in = {s.id for s in round.sessions if any(m.rater_id == rater_id for m in s.members)}
    assert seated_in <= listed
    for session_id in listed - seated_in:  # in the rater's group but recused
        assert re.search(rf'data-testid="session-{session_id}" data-state="recused"', page)
    assert len(listed) < len(round.sessions)
    assert re.search(rf'data-testid="session-{world["session"]}" data-state="open"', page)
    for session_id in seated_in - {world["session"]}:
        assert re.search(rf'data-testid="session-{session_id}" data-state="scheduled"', page)


# --------------------------------------------------------------------------- the form


def test_the_form_renders_all_forty_criteria_with_bounds_steps_and_guidance(ctx):
    world = joinable(open_round(version=frameworks.load_default_framework()))
    client, _rater_id = joined(ctx, world)
    response = client.get(f"/score/sessions/{world['session']}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = page_text(response)
    spec = criteria(world)
    assert len(spec) == 40
    for area, c in spec:
        code = re.escape(c["code"])
        tag = re.search(rf'<input[^>]*name="score__{code}"[^>]*>', page).group(0)
        assert 'type="number"' in tag and 'min="0"' in tag and 'inputmode="decimal"' in tag
        assert f'max="{c["max_points"]:g}"' in tag and f'step="{c["step"]:g}"' in tag
        assert re.search(rf'<input[^>]*name="cannot__{code}"[^>]*type="checkbox"', page)
        assert str(escape(c["title"]["en"])) in page  # English page: English texts
        assert str(escape(c["guidance"]["full"]["en"])) in page
        buttons = re.search(rf'data-criterion="{code}".*?<div class="sc-quick"[^>]*>(.*?)</div>', page, re.DOTALL)
        values = re.findall(r'data-value="([^"]+)"', buttons.group(1))
        assert values[0] == "0" and values[-1] == f'{c["max_points"]:g}'
    for area in {a for a, _c in spec}:
        assert f'name="comment__{area}"' in page
    assert 'data-draft-key="kaimen:score:' in page and 'data-editable="1"' in page


def test_the_form_speaks_chinese_by_default(ctx):
    world = joinable(open_round(version=frameworks.load_default_framework()))
    client = ctx.test_client()
    join(client, world["codes"][world["raters"][0]])
    page = page_text(client.get(f"/score/sessions/{world['session']}"))
    assert '<html lang="zh-CN">' in page
    first = criteria(world)[0][1]
    assert str(escape(first["title"]["zh"])) in page and str(escape(first["guidance"]["full"]["zh"])) in page
    assert str(escape(first["guidance"]["full"]["en"])) not in page


# --------------------------------------------------------------------------- JSON: success


def test_changes_are_saved_and_the_state_comes_back_with_a_fresh_token(ctx, world):
    client, rater_id = joined(ctx, world)
    token = api_token(client, world["session"])
    body = {"entries": [entry("A01.1", 12.5, 3), entry("A01.2", None, 1, cannot_judge=True)],
            "comments": [{"area": "A01", "text": "有台账", "version": 1}]}
    response = changes(client, world["session"], body, token)
    assert response.status_code == 200
    saved = response.get_json()["scorecard"]
    assert saved["entries"] == {"A01.1": {"points": 12.5, "cannot_judge": False, "version": 3},
                                "A01.2": {"points": None, "cannot_judge": True, "version": 1}}
    assert saved == state(world, rater_id)
    got = client.get(f"/api/score/sessions/{world['session']}")
    data = got.get_json()
    assert got.headers["Cache-Control"] == "no-store"
    assert data["scorecard"] == saved and data["csrf_token"]
    assert data["session"]["id"] == world["session"] and data["session"]["status"] == "open"
    assert changes(client, world["session"], body, token).status_code == 200  # a replay is harmless
    assert state(world, rater_id) == saved


def test_another_rater_on_the_panel_never_sees_or_touches_my_scorecard(ctx, world):
    mine, my_id = joined(ctx, world, 0)
    theirs, _their_id = joined(ctx, world, 1)
    assert changes(mine, world["session"], {"entries": [entry("A01.1", 5)]}).status_code == 200
    before = state(world, my_id)
    assert theirs.get(f"/api/score/sessions/{world['session']}").get_json()["scorecard"]["status"] == "none"
    assert changes(theirs, world["session"], {"entries": [entry("A01.1", 7, 9)]}).status_code == 200
    assert state(world, my_id) == before
    assert theirs.get(f"/score/sessions/{world['session']}/receipt").status_code == 302  # theirs: not submitted


# --------------------------------------------------------------------------- JSON: refusals


def test_out_of_range_and_off_step_scores_name_the_criterion_and_store_nothing(ctx, world):
    client, rater_id = joined(ctx, world)
    token = api_token(client, world["session"])
    assert changes(client, world["session"], {"entries": [entry("A01.1", 2)]}, token).status_code == 200
    before = state(world, rater_id)
    for points in (25.5, -1, 2.3):
        response = changes(client, world["session"], {"entries": [entry("A01.2", 1, 1), entry("A01.1", points, 2)]},
                           token)
        assert response.status_code == 400
        body = response.get_json()
        assert body["code"] == "invalid_score" and body["criterion"] == "A01.1" and "A01.1" in body["error"]
        assert state(world, rater_id) == before


def test_a_stale_version_is_refused_with_the_stored_one(ctx, world):
    client, rater_id = joined(ctx, world)
    token = api_token(client, world["session"])
    assert changes(client, world["session"], {"entries": [entry("A01.1", 2, 5)]}, token).status_code == 200
    before = state(world, rater_id)
    response = changes(client, world["session"], {"entries": [entry("A01.2", 3, 1), entry("A01.1", 4, 4)]}, token)
    assert response.status_code == 409
    assert response.get_json() | {"error": ""} == {"error": "", "code": "stale", "criterion": "A01.1",
                                                    "stored_version": 5}
    same_version_other_value = changes(client, world["session"], {"entries": [entry("A01.1", 4, 5)]}, token)
    assert same_version_other_value.status_code == 409
    assert state(world, rater_id) == before


def test_a_recused_rater_is_refused_with_the_reason_by_json_and_by_the_form(ctx, world):
    client, rater_id = joined(ctx, world)
    token = api_token(client, world["session"])
    assert changes(client, world["session"], {"entries": [entry("A01.1", 2)]}, token).status_code == 200
    session = get_session(world)
    conflicts.record_conflict(round=session.round, rater=get_rater(rater_id), unit=session.unit,
                              reason="曾在该单位任职")
    db.session.commit()
    before = state(world, rater_id)
    response = changes(client, world["session"], {"entries": [entry("A01.2", 3)]}, token)
    assert response.status_code == 403
    body = response.get_json()
    assert body["code"] == "recused" and any("曾在该单位任职" in reason for reason in body["reasons"])
    form = client.post(f"/score/sessions/{world['session']}", data=full_form(world, token))
    assert form.status_code == 403
    assert "曾在该单位任职" in page_text(form)
    page = client.get(f"/score/sessions/{world['session']}")
    assert page.status_code == 403 and "曾在该单位任职" in page_text(page)
    assert state(world, rater_id) == before


@pytest.mark.parametrize("how", ["closed", "scheduled"])
def test_a_session_that_is_not_open_refuses_writes(ctx, how):
    world = joinable(open_it=how == "closed")
    client, rater_id = joined(ctx, world)
    token = api_token(client, world["session"])
    if how == "closed":
        assert changes(client, world["session"], {"entries": [entry("A01.1", 2)]}, token).status_code == 200
        scoring_sessions.close_session(session=get_session(world))
        db.session.commit()
    before = state(world, rater_id)
    response = changes(client, world["session"], {"entries": [entry("A01.1", 3, 2)]}, token)
    assert response.status_code == 409
    assert response.get_json()["code"] == {"closed": "session_closed", "scheduled": "session_not_open"}[how]
    submit = post_json(client, f"/api/score/sessions/{world['session']}/submit", {"entries": []}, token)
    assert submit.status_code == 409
    form = client.post(f"/score/sessions/{world['session']}", data=full_form(world, token))
    assert form.status_code == 409
    page = page_text(client.get(f"/score/sessions/{world['session']}"))
    assert 'data-editable="0"' in page and "<fieldset class=\"sc-fields\" disabled>" in page
    assert state(world, rater_id) == before


def test_sessions_of_other_panels_and_unknown_ids_are_refused_alike(ctx, world):
    client, rater_id = joined(ctx, world)
    rater = get_rater(rater_id)
    other = next(s for s in rater.round.sessions
                 if not any(m.rater_id == rater_id for m in s.members)
                 and conflicts.explain_recusal(round=rater.round, rater=rater, unit=s.unit))
    token = api_token(client, world["session"])
    answers = []
    for session_id in (other.id, 999999):
        response = changes(client, session_id, {"entries": [entry("A01.1", 1)]}, token)
        assert response.status_code == 403 and response.get_json()["code"] == "not_on_panel"
        answers.append(response.get_json())
        assert client.get(f"/score/sessions/{session_id}").status_code == 403
        assert client.get(f"/score/sessions/{session_id}/receipt").status_code == 403
        assert client.get(f"/api/score/sessions/{session_id}").status_code == 403
    assert answers[0] == answers[1]  # no probing
    assert db.session.scalar(select(func.count()).select_from(Scorecard)) == 0


def test_malformed_oversized_and_tokenless_requests_store_nothing(ctx, world):
    client, rater_id = joined(ctx, world)
    token = api_token(client, world["session"])
    url = f"/api/score/sessions/{world['session']}/changes"
    response = client.post(url, data="{not json", content_type="application/json", headers={"X-CSRFToken": token})
    assert response.status_code == 400 and response.get_json()["code"] == "malformed"
    response = post_json(client, url, {"entries": "A01.1"}, token)
    assert response.status_code == 400 and response.get_json()["code"] == "malformed"
    response = post_json(client, url, {"entries": [entry("A01.1", 1)], "comments": [
        {"area": "A01", "text": "长" * 300_000, "version": 1}]}, token)
    assert response.status_code == 413
    response = post_json(client, url, {"entries": [entry("A01.1", 1)]}, "not-a-token")
    assert response.status_code == 400 and response.get_json()["code"] == "csrf"
    assert state(world, rater_id)["status"] == "none"


# --------------------------------------------------------------------------- JSON: submitting


def test_submitting_by_json_locks_the_scorecard_and_gives_its_receipt(ctx, world):
    client, rater_id = joined(ctx, world)
    token = api_token(client, world["session"])
    url = f"/api/score/sessions/{world['session']}/submit"
    partial = {"entries": [entry("A01.1", 10)]}
    response = post_json(client, url, partial, token)
    assert response.status_code == 400
    assert response.get_json()["code"] == "incomplete"
    assert response.get_json()["missing"] == ["A01.2", "A02.1", "A02.2"]
    assert state(world, rater_id)["status"] == "none"  # the incomplete submission stored nothing

    body = {"entries": [entry(c["code"], c["step"] * 3) for _a, c in criteria(world)],
            "comments": [{"area": "A02", "text": "很好", "version": 1}]}
    response = post_json(client, url, body, token)
    assert response.status_code == 200
    data = response.get_json()
    card = sc.scorecard_for(rater=get_rater(rater_id), session=get_session(world))
    assert data["receipt"] == card.receipt == sc.receipt_of(card)
    assert data["receipt_url"] == f"/score/sessions/{world['session']}/receipt"
    assert data["scorecard"]["status"] == "submitted"
    assert post_json(client, url, body, token).get_json()["receipt"] == data["receipt"]  # a retry: same receipt

    before = state(world, rater_id)
    late = changes(client, world["session"], {"entries": [entry("A01.1", 2, 2)]}, token)
    assert late.status_code == 409 and late.get_json()["code"] == "submitted"
    different = post_json(client, url, {"entries": [entry("A01.1", 2, 2)]}, token)
    assert different.status_code == 409 and different.get_json()["code"] == "submitted"
    form = client.post(f"/score/sessions/{world['session']}", data=full_form(world, token))
    assert form.status_code == 409
    assert state(world, rater_id) == before

    page = page_text(client.get(f"/score/sessions/{world['session']}"))
    assert 'data-testid="receipt-link"' in page and 'data-editable="0"' in page


# --------------------------------------------------------------------------- without JavaScript


def test_the_plain_form_submits_the_whole_scorecard(ctx, world):
    client, rater_id = joined(ctx, world)
    token = token_for(client, f"/score/sessions/{world['session']}")
    spec = criteria(world)
    data = full_form(world, token, value=lambda c: "12,5" if c["code"] == "A01.1" else "３")
    data[f"cannot__{spec[-1][1]['code']}"] = "y"  # "cannot judge" wins over the number beside it
    data["comment__A01"] = "  合同齐全  "
    response = client.post(f"/score/sessions/{world['session']}", data=data)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/score/sessions/{world['session']}/receipt")
    saved = state(world, rater_id)
    assert saved["status"] == "submitted"
    assert saved["entries"] == {
        "A01.1": {"points": 12.5, "cannot_judge": False, "version": 1},
        "A01.2": {"points": 3.0, "cannot_judge": False, "version": 1},
        "A02.1": {"points": 3.0, "cannot_judge": False, "version": 1},
        "A02.2": {"points": None, "cannot_judge": True, "version": 1},
    }
    assert saved["comments"] == {"A01": {"text": "合同齐全", "version": 1}}


def test_the_plain_form_shows_errors_and_stores_nothing(ctx, world):
    client, rater_id = joined(ctx, world)
    assert changes(client, world["session"], {"entries": [entry("A01.1", 2)]}).status_code == 200
    before = state(world, rater_id)
    token = token_for(client, f"/score/sessions/{world['session']}")
    bad = full_form(world, token, value=lambda c: {"A01.1": "30", "A01.2": "2.3", "A02.1": "abc"}.get(c["code"], ""))
    response = client.post(f"/score/sessions/{world['session']}", data=bad)
    assert response.status_code == 400
    page = page_text(response)
    assert "A01.1: give from 0 to 25 points in steps of 0.5." in page
    assert "A01.2: give from 0 to 25 points in steps of 0.5." in page
    assert "A02.1: enter a number, e.g. 2.5." in page
    assert "A02.2: give a score or tick" in page
    assert 'value="30"' in page and 'value="abc"' in page  # what was typed stays in the form
    assert 'data-testid="error-summary"' in page
    assert state(world, rater_id) == before


def test_the_plain_form_can_save_a_draft_and_raises_versions(ctx, world):
    client, rater_id = joined(ctx, world)
    assert changes(client, world["session"], {"entries": [entry("A01.1", 2, 4)]}).status_code == 200
    token = token_for(client, f"/score/sessions/{world['session']}")
    data = {"csrf_token": token, "_action": "save", "score__A01.1": "2.5", "score__A01.2": "", "comment__A02": "待查"}
    response = client.post(f"/score/sessions/{world['session']}", data=data)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/score/sessions/{world['session']}")
    saved = state(world, rater_id)
    assert saved["status"] == "draft"
    assert saved["entries"] == {"A01.1": {"points": 2.5, "cannot_judge": False, "version": 5}}
    assert saved["comments"] == {"A02": {"text": "待查", "version": 1}}
    page = page_text(client.get(f"/score/sessions/{world['session']}"))
    assert re.search(r'name="score__A01\.1"[^>]*value="2\.5"|value="2\.5"[^>]*name="score__A01\.1"', page)


# --------------------------------------------------------------------------- receipt


def test_the_receipt_page_shows_the_hash_and_the_scores_as_submitted(ctx, world):
    client, rater_id = joined(ctx, world)
    assert client.get(f"/score/sessions/{world['session']}/receipt").status_code == 302  # nothing submitted yet
    token = token_for(client, f"/score/sessions/{world['session']}")
    client.post(f"/score/sessions/{world['session']}",
                data=full_form(world, token, value=lambda c: "2.5"))
    card = sc.scorecard_for(rater=get_rater(rater_id), session=get_session(world))
    response = client.get(f"/score/sessions/{world['session']}/receipt")
    assert response.status_code == 200
    page = page_text(response)
    assert f'data-receipt="{sc.receipt_of(card)}"' in page
    groups = re.search(r'data-testid="receipt"[^>]*>(.*?)</p>', page, re.DOTALL).group(1)
    assert re.sub(r"<[^>]+>|\s", "", groups) == card.receipt
    for _area, c in criteria(world):
        assert f'data-testid="receipt-{c["code"]}" data-value="2.5">2.5<' in page
    assert '<strong>10</strong>/100' in page
    assert 'data-score-clear="kaimen:score:' in page


# --------------------------------------------------------------------------- conflicts


def test_declaring_a_conflict_needs_a_reason_and_a_confirmation(ctx, world):
    client, rater_id = joined(ctx, world)
    assert changes(client, world["session"], {"entries": [entry("A01.1", 2)]}).status_code == 200
    before = state(world, rater_id)
    token = token_for(client, f"/score/sessions/{world['session']}")
    url = f"/score/sessions/{world['session']}/conflict"
    for data in ({"reason": "", "confirm": "y"}, {"reason": "我曾在该单位工作"}):
        response = client.post(url, data={"csrf_token": token, **data})
        assert response.status_code == 400
        assert 'data-testid="conflict"' in page_text(response) and "<details open" in page_text(response)
    assert state(world, rater_id) == before
    assert db.session.scalar(select(func.count()).select_from(Conflict)) == 0

    response = client.post(url, data={"csrf_token": token, "reason": "我曾在该单位工作", "confirm": "y"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/score")
    conflict = db.session.scalar(select(Conflict))
    assert (conflict.kind, conflict.reason, conflict.rater_id) == (ConflictKind.DECLARED, "我曾在该单位工作", rater_id)
    assert state(world, rater_id)["status"] == "none"  # the draft never counts
    listing = page_text(client.get("/score"))
    assert re.search(rf'data-testid="session-{world["session"]}" data-state="recused"', listing)
    assert "我曾在该单位工作" in listing
    response = changes(client, world["session"], {"entries": [entry("A01.1", 2, 2)]})
    assert response.status_code == 403 and response.get_json()["code"] == "recused"


def test_declaring_a_conflict_by_json(ctx, world):
    client, _rater_id = joined(ctx, world)
    token = api_token(client, world["session"])
    url = f"/api/score/sessions/{world['session']}/conflict"
    response = post_json(client, url, {"reason": "  "}, token)
    assert response.status_code == 400 and response.get_json()["code"] == "reason_required"
    assert db.session.scalar(select(func.count()).select_from(Conflict)) == 0
    response = post_json(client, url, {"reason": "亲属在该单位"}, token)
    assert response.status_code == 200 and response.get_json() == {"recused": True}
    assert db.session.scalar(select(Conflict)).reason == "亲属在该单位"


def test_a_conflict_cannot_be_declared_after_submitting(ctx, world):
    client, rater_id = joined(ctx, world)
    token = token_for(client, f"/score/sessions/{world['session']}")
    client.post(f"/score/sessions/{world['session']}", data=full_form(world, token))
    before = state(world, rater_id)
    response = client.post(f"/score/sessions/{world['session']}/conflict",
                           data={"csrf_token": token, "reason": "忘了说", "confirm": "y"})
    assert response.status_code == 409
    assert db.session.scalar(select(func.count()).select_from(Conflict)) == 0
    assert state(world, rater_id) == before


# --------------------------------------------------------------------------- the service worker


def test_the_service_worker_is_served_from_its_scope_with_the_assets(client):
    response = client.get("/score/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    source = page_text(response)
    assert "/*ASSETS*/" not in source
    assert '"/static/js/score.js"' in source and '"/static/css/score.css"' in source
    assert 'request.method !== "GET"' in source  # POSTs are never cached
