"""The database goes away while a representative scores on a phone; nothing typed is lost.

A real ``kaimen serve`` (tests/live/conftest.py) on SQLite and on PostgreSQL, with a short
SQLite busy timeout, and Debian's chromium as the phone (390x844, touch, Chinese). The phone
joins and scores part of the form (stored). Then the database goes away (PostgreSQL refuses
connections; SQLite stays write-locked): the rater keeps scoring, changes a stored score and
writes a comment; the status line says the server cannot save and the scores are kept on the
phone. A reload while the database is still away brings everything back (on PostgreSQL the
server answers the page with a friendly 503, so the service worker shows the copy it kept).
The database comes back: the queue drains by itself, the stored scores are exactly those
typed, each once at its latest version, and the scorecard is submitted with its receipt.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from tests.conftest import BACKENDS
from tests.e2e.test_score_phone import (
    Phone,
    _criteria,
    _score,
    _stored,
    _value,
    _wait_status,
)
from tests.live.conftest import (
    DB_UNAVAILABLE,
    SHORT_BUSY_TIMEOUT_ENV,
    DatabaseAway,
    ServerProcess,
    backend_database,
    migrated_app,
)

pytestmark = [pytest.mark.browser, pytest.mark.live]

#: What the status line says (score.js, templates/score/form.html) while the server answers 503.
UNAVAILABLE = "The server cannot save right now. Your scores are kept on this phone and will be sent when it is back."
RESTORED = "Scores typed on this phone but not yet sent have been put back."
#: The server's own pause (survey/errors.py DATABASE_RETRY_AFTER is 5 s) plus a slow machine's margin.
DRAIN_TIMEOUT_MS = 30_000


@dataclass
class Scene:
    app: object  #: on the same database, for reading what was stored
    server: ServerProcess
    db_url: str
    backend: str
    rater_id: int
    code: str  #: the rater's join code
    session_id: int  #: an open session on the rater's panel


@pytest.fixture(scope="module", params=BACKENDS)
def scene(request, tmp_path_factory):
    """The seeds' round with its sessions open and join codes issued, and a server that answers
    503 soon (not after SQLite's usual 15 s busy timeout) while the database is away."""
    from survey.extensions import db
    from tests.live.test_concurrent_scoring import _prepare

    with backend_database(request.param, tmp_path_factory) as db_url:
        instance = tmp_path_factory.mktemp("db-away")
        app = migrated_app(db_url, instance)
        _round_id, phones = _prepare(app)
        server = ServerProcess(db_url, instance, threads=4, name="db-away", env=SHORT_BUSY_TIMEOUT_ENV).start()
        rater = phones[0]
        try:
            yield Scene(app, server, db_url, request.param, rater.rater_id, rater.code, rater.session_id)
        finally:
            server.stop()
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


@pytest.fixture
def phone(browser):
    """Debian's chromium as a phone: 390x844, touch, Chinese (tests/e2e/test_score_phone.py)."""
    opened = Phone(browser)
    yield opened
    opened.close()


def _in_chinese(app, *messages: str) -> list[str]:
    from flask_babel import force_locale
    from flask_babel import gettext as _

    with app.test_request_context(), force_locale("zh_CN"):
        return [_(message) for message in messages]


def _rows(app, rater_id: int, session_id: int) -> tuple[int, int, int]:
    """(scorecards, score entries, area comments) of the rater in the session, counted in the database."""
    from survey.extensions import db
    from survey.models import AreaComment, Scorecard, ScoreEntry

    with app.app_context():
        cards = db.session.scalars(select(Scorecard.id).where(Scorecard.rater_id == rater_id,
                                                              Scorecard.session_id == session_id)).all()
        entries = db.session.scalar(select(func.count(ScoreEntry.id)).where(ScoreEntry.scorecard_id.in_(cards)))
        comments = db.session.scalar(select(func.count(AreaComment.id)).where(AreaComment.scorecard_id.in_(cards)))
        db.session.remove()
    return len(cards), entries, comments


def _entries(state: dict) -> dict[str, tuple[float | None, bool]]:
    return {code: (e["points"], e["cannot_judge"]) for code, e in state["entries"].items()}


def _expected(typed: dict[str, tuple[str | None, bool]]) -> dict[str, tuple[float | None, bool]]:
    return {code: (float(value) if value is not None else None, cannot) for code, (value, cannot) in typed.items()}


def _draft(page) -> dict:
    """The phone's draft of this scorecard, as score.js keeps it in localStorage."""
    return page.evaluate("() => JSON.parse(localStorage.getItem("
                         "document.querySelector('form.sc-form').getAttribute('data-draft-key')))")


def _versions(draft: dict) -> tuple[dict[str, int], dict[str, int]]:
    return ({code: e["version"] for code, e in draft["entries"].items()},
            {area: c["version"] for area, c in draft["comments"].items()})


STATUS = """() => { const s = document.querySelector('[data-status]');
    return s ? [s.getAttribute('data-state'), s.textContent, Number(s.getAttribute('data-pending'))] : null; }"""


def _wait_for_status(page, state: str, text: str, pending: int) -> None:
    """The status line reads exactly so. It flips to "sending…" at every retry, so it is
    waited for rather than read once; the assertion says what it showed instead."""
    expected = [state, text, pending]
    try:
        page.wait_for_function(f"want => JSON.stringify(({STATUS})()) === JSON.stringify(want)", arg=expected,
                               timeout=DRAIN_TIMEOUT_MS)
    except Exception:  # Playwright's TimeoutError: show the difference
        assert page.evaluate(STATUS) == expected
        raise


def _shown(page, typed: dict[str, tuple[str | None, bool]]) -> dict[str, tuple[str | None, bool]]:
    out = {}
    for code in typed:
        box = page.locator(f'[data-criterion="{code}"]')
        out[code] = (box.locator("input.sc-points").input_value() or None,
                     box.locator("input[type=checkbox]").is_checked())
    return out


def test_phone_keeps_the_scorecard_while_the_database_is_away(scene, phone):
    page, base, app = phone.page, scene.server.url, scene.app
    session_id, rater_id = scene.session_id, scene.rater_id
    unavailable, restored, db_unavailable = _in_chinese(app, UNAVAILABLE, RESTORED, DB_UNAVAILABLE)
    criteria = _criteria(app, session_id)
    assert len(criteria) == 40
    areas = list(dict.fromkeys(area for area, *_ in criteria))
    by_area = {area: [c for c in criteria if c[0] == area] for area in areas}
    first, second, third = areas[:3]

    # Join with the code, open the scorecard; the service worker keeps a copy of it.
    page.goto(f"{base}/join?code={scene.code}")
    with page.expect_navigation():
        page.get_by_test_id("join").tap()
    assert page.url == f"{base}/score"
    page.goto(f"{base}/score/sessions/{session_id}")
    page.wait_for_selector("form.sc-form[data-offline-ready='1']", state="attached", timeout=20000)
    assert page.locator("[data-score-texts]").get_attribute("data-unavailable") == unavailable

    # Online: the first area (one "cannot judge") and its comment are stored.
    typed: dict[str, tuple[str | None, bool]] = {}
    for n, (area, code, maximum, step) in enumerate(by_area[first]):
        if n == 1:
            page.locator(f'[data-criterion="{code}"] .sc-cannot').tap()
            typed[code] = (None, True)
            continue
        value = _value(n + 1, maximum, step)
        _score(page, area, code, value, typed=n % 2 == 0)
        typed[code] = (value, False)
    page.locator(f"#comment__{first}").fill("台账齐全，职工满意")
    _wait_status(page, "saved")
    state, _receipt = _stored(app, session_id, rater_id)
    assert state["status"] == "draft" and _entries(state) == _expected(typed)
    assert {area: c["text"] for area, c in state["comments"].items()} == {first: "台账齐全，职工满意"}
    assert _rows(app, rater_id, session_id) == (1, 4, 1)

    with DatabaseAway(scene.db_url):
        # The rater keeps going: a stored score changed, the next area, part of the third, a comment.
        area, code, maximum, step = by_area[first][0]
        changed_value = _value(5, maximum, step)
        assert changed_value != typed[code][0]
        _score(page, area, code, changed_value, typed=True)
        typed[code] = (changed_value, False)
        for n, (area, code, maximum, step) in enumerate(by_area[second] + by_area[third][:2]):
            value = _value(n + 2, maximum, step)
            _score(page, area, code, value, typed=n % 2 == 1)
            typed[code] = (value, False)
        page.locator(f"#comment__{second}").fill("数据库不可用时写的意见")
        unsent = 1 + 4 + 2 + 1  # the changed score, six new ones, the comment

        # Refused with a 503: the status line says the server cannot save and the scores stay here.
        _wait_for_status(page, "retrying", unavailable, unsent)
        draft = _draft(page)
        assert {code: (None if e["cannot_judge"] else e["points"], e["cannot_judge"])
                for code, e in draft["entries"].items()} == _expected(typed)
        assert draft["comments"][second]["text"] == "数据库不可用时写的意见"
        kept_versions = _versions(draft)
        assert kept_versions[0][by_area[first][0][1]] == 2  # above the stored version 1

        # What the server answers for the page itself, without the service worker.
        direct = page.request.get(page.url, headers={"Accept": "text/html", "Accept-Language": "zh-CN"})
        if scene.backend == "sqlite":  # SQLite still reads (WAL): only writes wait for the lock
            assert direct.status == 200
        else:
            assert direct.status == 503, direct.text()[:500]
            assert db_unavailable in direct.text() and "Traceback" not in direct.text()

        # A reload while the database is still away: the form and everything typed come back.
        response = page.reload()
        assert response is not None and response.status == 200 and response.from_service_worker
        page.wait_for_selector("form.sc-form")
        assert _shown(page, typed) == typed
        assert page.locator(f"#comment__{first}").input_value() == "台账齐全，职工满意"
        assert page.locator(f"#comment__{second}").input_value() == "数据库不可用时写的意见"
        _wait_for_status(page, "retrying", f"{restored} {unavailable}", unsent)
        assert _versions(_draft(page)) == kept_versions

    with app.app_context():
        from survey.extensions import db

        db.engine.dispose()  # on PostgreSQL its connections were terminated too

    # The database is back: the queue drains without the rater doing anything.
    saved = page.locator("[data-score-texts]").get_attribute("data-saved")
    _wait_for_status(page, "saved", f"{restored} {saved}", 0)  # the note stays until the next edit
    state, _receipt = _stored(app, session_id, rater_id)
    assert _entries(state) == _expected(typed)
    assert {area: c["text"] for area, c in state["comments"].items()} == {
        first: "台账齐全，职工满意", second: "数据库不可用时写的意见"}
    # each edit stored once, at the version the phone gave it
    assert ({code: e["version"] for code, e in state["entries"].items()},
            {area: c["version"] for area, c in state["comments"].items()}) == kept_versions
    assert _rows(app, rater_id, session_id) == (1, len(typed), 2)

    # The rest, then submit: the receipt is the stored scorecard's.
    for n, (area, code, maximum, step) in enumerate(criteria):
        if code not in typed:
            value = _value(n, maximum, step)
            _score(page, area, code, value, typed=n % 3 == 0)
            typed[code] = (value, False)
    assert page.get_by_test_id("submit").is_enabled()
    with page.expect_navigation():
        page.get_by_test_id("submit").tap()
    assert page.url == f"{base}/score/sessions/{session_id}/receipt"
    shown = page.get_by_test_id("receipt").get_attribute("data-receipt")
    state, receipt = _stored(app, session_id, rater_id)
    assert state["status"] == "submitted" and shown == state["receipt"] == receipt
    assert _entries(state) == _expected(typed)
    assert _rows(app, rater_id, session_id) == (1, 40, 2)
    assert page.evaluate("Object.keys(localStorage).filter(k => /^kaimen:score:.*:\\d+$/.test(k))") == []
    assert phone.errors == []
    assert "Traceback" not in scene.server.log_text(), scene.server.log_text()[-3000:]
