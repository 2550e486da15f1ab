"""A representative scores on a phone (390x844, touch, Chinese) against ``kaimen serve --demo``.

Joins by typing the code from the session sheet, scores part of the form, loses the
connection and keeps scoring, reloads (the service worker serves the page from its
cache, the draft comes back from the phone's storage), gets the connection back (the
queue drains), finishes, submits and sees the receipt. The database then holds
exactly what was typed, and the receipt is the scorecard's.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "locale": "zh-CN", "has_touch": True, "is_mobile": True}
#: The demo's Shichahai committee round (survey/services/rounds.py), and the unit whose session is used.
COMMITTEE_ROUND = "什刹海街道会员民主评议委员会考评（2014年）"
UNIT = "SCH-E4"


@pytest.fixture(scope="module")
def live_instance(live_server, tmp_path_factory) -> Path:
    """The instance folder of the live server (tests/e2e/conftest.py makes one per session)."""
    folders = sorted(tmp_path_factory.getbasetemp().glob("live-instance*"), key=lambda p: p.stat().st_mtime)
    assert folders, "the live server's instance folder was not found"
    return folders[-1]


@pytest.fixture(scope="module")
def live_app(live_instance):
    """An app on the live server's database, for preparing the session and reading what was stored."""
    from survey import create_app
    from survey.extensions import db

    app = create_app({"INSTANCE_PATH": str(live_instance),
                      "DATABASE_URL": f"sqlite:///{live_instance / 'kaimen.sqlite3'}"})
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def scoring_session(live_app) -> dict:
    """The committee round open, the SCH-E4 session rescheduled to now and opened, join codes issued.

    Returns the session's id, one panel member's rater id and code, and the other members'."""
    from sqlalchemy import select

    from survey.extensions import db
    from survey.models import Round, RoundStatus, SessionStatus
    from survey.models.base import utcnow
    from survey.services import rounds, scoring_sessions
    from survey.services.join_codes import issue_join_codes

    with live_app.app_context():
        round = db.session.scalar(select(Round).where(Round.name == COMMITTEE_ROUND))
        assert round is not None, "the demo's committee round is missing"
        session = next(s for s in round.sessions if s.unit.code == UNIT)
        if session.status is SessionStatus.SCHEDULED:
            rounds.schedule_session(session=session, starts_at=utcnow(), place="什刹海街道总工会会议室")
        if round.status is RoundStatus.SETUP:
            rounds.open_round(round=round)
        if session.status is not SessionStatus.OPEN:
            scoring_sessions.open_session(session=session)
        issued = issue_join_codes(session=session)
        db.session.commit()
        return {"session_id": session.id, "rater_id": issued[0].rater_id, "code": issued[0].code,
                "others": [(i.rater_id, i.code) for i in issued[1:]]}


class Phone:
    def __init__(self, browser):
        self.context = browser.new_context(**PHONE)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def close(self):
        self.context.close()


@pytest.fixture
def phone(browser):
    opened = Phone(browser)
    yield opened
    opened.close()


def _layout_fits(page):
    """One column that fits the screen; scoring controls are at least 44px tall."""
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    for selector in (".sc-area-head", ".sc-points", ".sc-cannot", ".sc-q", ".sc-submit"):
        for box in [item.bounding_box() for item in page.locator(selector).all() if item.is_visible()]:
            assert box["height"] >= 44, (selector, box)
            assert box["width"] >= 40, (selector, box)


def _criteria(live_app, session_id) -> list[tuple[str, str, float, float]]:
    """(area, criterion, max, step) of the session's framework, in order."""
    from survey.extensions import db
    from survey.models import ReportSession
    from survey.services import scorecards

    with live_app.app_context():
        session = db.session.get(ReportSession, session_id)
        out = [(area["code"], c["code"], float(c["max_points"]), float(c["step"]))
               for area in scorecards.criteria_of(session) for c in area["criteria"]]
        db.session.remove()
        return out


def _stored(live_app, session_id, rater_id):
    from survey.extensions import db
    from survey.models import ReportSession, RoundRater
    from survey.services import scorecards

    with live_app.app_context():
        session = db.session.get(ReportSession, session_id)
        rater = db.session.get(RoundRater, rater_id)
        card = scorecards.scorecard_for(rater=rater, session=session)
        state = scorecards.scorecard_state(card)
        receipt = scorecards.receipt_of(card) if card is not None else None
        db.session.remove()
        return state, receipt


def _set_place(live_app, session_id, place):
    from survey.extensions import db
    from survey.models import ReportSession

    with live_app.app_context():
        db.session.get(ReportSession, session_id).place = place
        db.session.commit()
        db.session.remove()


def _value(n: int, maximum: float, step: float) -> str:
    """A varied score on the criterion's steps."""
    steps = int(Decimal(str(maximum)) / Decimal(str(step)))
    return format((Decimal(str(step)) * ((n * 3) % (steps + 1))).normalize(), "f")


def _open_area(page, area):
    details = page.locator(f"#area-{area}")
    if details.get_attribute("open") is None:
        details.locator("> summary").click()


def _score(page, area, criterion, value, *, typed: bool):
    _open_area(page, area)
    box = page.locator(f'[data-criterion="{criterion}"]')
    if typed:
        box.locator("input.sc-points").fill(value)
    else:
        box.locator(f'.sc-q[data-value="{value}"]').tap()


def _wait_status(page, state, timeout=15000):
    page.wait_for_function(
        "s => document.querySelector('[data-status]') && "
        "document.querySelector('[data-status]').getAttribute('data-state') === s",
        arg=state, timeout=timeout)


def test_phone_scores_offline_reloads_and_submits(live_server, live_app, scoring_session, phone):
    page = phone.page
    session_id, rater_id = scoring_session["session_id"], scoring_session["rater_id"]
    criteria = _criteria(live_app, session_id)
    assert len(criteria) == 40

    # Join: the code as typed from the sheet (lower case, no dash).
    page.goto(f"{live_server}/join")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    page.locator("#code").fill(scoring_session["code"].replace("-", "").lower())
    with page.expect_navigation():
        page.get_by_test_id("join").tap()
    assert page.url == f"{live_server}/score"
    assert page.get_by_test_id(f"session-{session_id}").get_attribute("data-state") == "open"
    cookie = next(c for c in phone.context.cookies() if c["name"] == "kaimen_rater")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"

    with page.expect_navigation():
        page.get_by_test_id(f"session-{session_id}").locator("a").tap()
    assert page.url == f"{live_server}/score/sessions/{session_id}"
    page.wait_for_selector("form.sc-form[data-offline-ready='1']", state="attached", timeout=20000)
    _layout_fits(page)

    typed: dict[str, tuple[str | None, bool]] = {}
    areas = list(dict.fromkeys(area for area, *_ in criteria))
    first, second = areas[0], areas[1]

    # Online: the first area, with quick buttons, typing, "cannot judge" and a comment.
    for n, (area, code, maximum, step) in enumerate(c for c in criteria if c[0] == first):
        if n == 2:
            _open_area(page, area)
            page.locator(f'[data-criterion="{code}"] .sc-cannot').tap()
            typed[code] = (None, True)
            continue
        value = _value(n, maximum, step)
        _score(page, area, code, value, typed=n % 2 == 1)
        typed[code] = (value, False)
    page.locator(f"#comment__{first}").fill("集体合同已备案")
    _wait_status(page, "saved")
    state, _receipt = _stored(live_app, session_id, rater_id)
    assert state["status"] == "draft"
    assert {k: (v["points"], v["cannot_judge"]) for k, v in state["entries"].items()} == {
        k: (float(v) if v is not None else None, cj) for k, (v, cj) in typed.items()}
    assert state["comments"][first]["text"] == "集体合同已备案"

    # Offline: keep scoring; the status line says so.
    phone.context.set_offline(True)
    for n, (area, code, maximum, step) in enumerate(c for c in criteria if c[0] == second):
        value = _value(n + 1, maximum, step)
        _score(page, area, code, value, typed=n % 2 == 0)
        typed[code] = (value, False)
    page.locator(f"#comment__{second}").fill("离线时写的意见")
    _wait_status(page, "offline")
    assert int(page.locator("[data-status]").get_attribute("data-pending")) == 5

    # A reload without a connection: the service worker serves the page, the draft comes back.
    # (The place changes meanwhile: the page shown must be the copy kept, not a fresh one.)
    facts = page.locator(".score-facts").inner_text()
    _set_place(live_app, session_id, "离线期间改过的地点")
    response = page.reload()
    assert response is not None and response.from_service_worker
    assert page.locator(".score-facts").inner_text() == facts
    page.wait_for_selector("form.sc-form")
    for area, code, *_ in criteria:
        if code in typed:
            value, cannot = typed[code]
            box = page.locator(f'[data-criterion="{code}"]')
            assert box.locator("input.sc-points").input_value() == (value or ""), code
            assert box.locator("input[type=checkbox]").is_checked() == cannot, code
    assert page.locator(f"#comment__{second}").input_value() == "离线时写的意见"
    assert page.locator(f"#comment__{first}").input_value() == "集体合同已备案"
    _wait_status(page, "offline")

    # Back online: the queue drains.
    phone.context.set_offline(False)
    _wait_status(page, "saved", timeout=40000)
    state, _receipt = _stored(live_app, session_id, rater_id)
    assert state["comments"][second]["text"] == "离线时写的意见"
    page.reload()  # online, the page comes from the server again
    assert "离线期间改过的地点" in page.locator(".score-facts").inner_text()
    _wait_status(page, "saved")
    assert {k: (v["points"], v["cannot_judge"]) for k, v in state["entries"].items()} == {
        k: (float(v) if v is not None else None, cj) for k, (v, cj) in typed.items()}

    # The rest, then submit.
    assert page.get_by_test_id("submit").is_disabled()
    for n, (area, code, maximum, step) in enumerate(criteria):
        if code in typed:
            continue
        value = _value(n, maximum, step)
        _score(page, area, code, value, typed=n % 3 == 0)
        typed[code] = (value, False)
    _layout_fits(page)
    page.set_viewport_size({"width": 360, "height": 740})
    _layout_fits(page)
    expected_total = sum(Decimal(v) for v, _cj in typed.values() if v is not None)
    assert Decimal(page.locator("[data-total]").inner_text()) == expected_total
    assert page.get_by_test_id("submit").is_enabled()
    with page.expect_navigation():
        page.get_by_test_id("submit").tap()
    assert page.url == f"{live_server}/score/sessions/{session_id}/receipt"

    shown = page.get_by_test_id("receipt").get_attribute("data-receipt")
    assert re.fullmatch(r"[0-9a-f]{64}", shown)
    assert page.get_by_test_id("receipt").inner_text().replace(" ", "").replace("\n", "") == shown
    draft_keys = page.evaluate("Object.keys(localStorage).filter(k => /^kaimen:score:.*:\\d+$/.test(k))")
    assert draft_keys == []
    kept = page.evaluate("async url => !!(await (await caches.open('kaimen-score-v1')).match(url))",
                         f"{live_server}/score/sessions/{session_id}")
    assert kept is False  # the editable copy kept for offline reloads is gone

    state, receipt = _stored(live_app, session_id, rater_id)
    assert state["status"] == "submitted"
    assert shown == state["receipt"] == receipt
    assert {k: (v["points"], v["cannot_judge"]) for k, v in state["entries"].items()} == {
        k: (float(v) if v is not None else None, cj) for k, (v, cj) in typed.items()}
    for code, (value, cannot) in typed.items():
        cell = page.get_by_test_id(f"receipt-{code}")
        assert cell.get_attribute("data-value") == ("cannot" if cannot else value), code
        if not cannot:
            assert cell.inner_text() == value
    assert Decimal(page.get_by_test_id("receipt-total").locator("strong").inner_text()) == expected_total

    # The scorecard is read-only now.
    page.goto(f"{live_server}/score/sessions/{session_id}")
    assert page.locator("input.sc-points").first.is_disabled()
    assert page.get_by_test_id("submit").count() == 0
    assert page.get_by_test_id("receipt-link").is_visible()
    assert phone.errors == []


def _join(page, live_server, code):
    page.goto(f"{live_server}/join?code={code}")
    assert page.locator("#code").input_value() == code  # the link only fills in the form
    with page.expect_navigation():
        page.get_by_test_id("join").tap()


def _write_elsewhere(live_app, session_id, rater_id, criterion, points, version):
    """The same rater's change arriving from another phone (a newer version)."""
    from survey.extensions import db
    from survey.models import ReportSession, RoundRater
    from survey.services import scorecards

    with live_app.app_context():
        scorecards.apply_changes(rater=db.session.get(RoundRater, rater_id),
                                 session=db.session.get(ReportSession, session_id),
                                 entries=[scorecards.EntryChange(criterion, points, False, version)])
        db.session.commit()
        db.session.remove()


def test_phone_adopts_newer_versions_and_renews_an_expired_token(live_server, live_app, scoring_session, phone):
    page = phone.page
    session_id = scoring_session["session_id"]
    rater_id, code = scoring_session["others"][0]
    (a1, c1, *_), (a2, c2, *_) = _criteria(live_app, session_id)[:2]
    _join(page, live_server, code)
    page.goto(f"{live_server}/score/sessions/{session_id}")
    _wait_status(page, "saved")
    _score(page, a1, c1, "1", typed=False)
    _wait_status(page, "saved")
    assert _stored(live_app, session_id, rater_id)[0]["entries"][c1]["version"] == 1

    # A newer version arrived meanwhile: this phone's older edit is refused, the newer value shown.
    _write_elsewhere(live_app, session_id, rater_id, c1, 2.0, 9)
    _score(page, a1, c1, "0.5", typed=False)
    page.wait_for_function(
        "c => document.querySelector(`[data-criterion='${c}'] input.sc-points`).value === '2'", arg=c1)
    _wait_status(page, "saved")
    assert _stored(live_app, session_id, rater_id)[0]["entries"][c1] == \
        {"points": 2.0, "cannot_judge": False, "version": 9}
    _score(page, a1, c1, "1.5", typed=False)  # a new edit goes above the server's version
    _wait_status(page, "saved")
    assert _stored(live_app, session_id, rater_id)[0]["entries"][c1] == \
        {"points": 1.5, "cannot_judge": False, "version": 10}

    # The session cookie (and with it the CSRF token) is gone: a fresh token is fetched, the change sent.
    phone.context.clear_cookies(name="kaimen_session")
    _score(page, a2, c2, "3", typed=True)
    _wait_status(page, "saved")
    assert _stored(live_app, session_id, rater_id)[0]["entries"][c2]["points"] == 3.0

    # Signing out leaves nothing of this rater on the phone: no drafts, no cached pages, no worker.
    assert page.evaluate("Object.keys(localStorage).some(k => k.startsWith('kaimen:score:'))")
    page.goto(f"{live_server}/score")
    with page.expect_navigation():
        page.get_by_test_id("leave").tap()
    assert page.get_by_test_id("left").is_visible()
    page.wait_for_function("""async () => !Object.keys(localStorage).some(k => k.startsWith('kaimen:score:'))
        && !(await caches.keys()).some(k => k.startsWith('kaimen-score'))
        && (await navigator.serviceWorker.getRegistrations()).length === 0""", timeout=10000)
    assert not any(c["name"] == "kaimen_rater" for c in phone.context.cookies())
    page.goto(f"{live_server}/score/sessions/{session_id}")
    assert page.get_by_test_id("join-form").is_visible()  # 401: the phone must join again
    assert phone.errors == []
