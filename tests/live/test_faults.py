"""Faults against a real ``kaimen serve``: SIGKILL mid-burst and mid-import, a client that
drops the connection after the server committed and retries, and the database going away.

Every test runs on SQLite and, when ``KAIMEN_TEST_DATABASE_URL`` is set, on PostgreSQL.
The servers are killed with SIGKILL (no shutdown code runs) and started again on the
same database and instance folder (so the same secret key: the respondents' cookies and
CSRF tokens stay valid, as on a real restart).
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.client import HTTPException
from http.cookiejar import Cookie, CookieJar
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from tests.live.conftest import (
    DB_UNAVAILABLE,
    SHORT_BUSY_TIMEOUT_ENV,
    DatabaseAway,
    ServerProcess,
    integrity_problems,
    migrated_app,
)

pytestmark = pytest.mark.live

SLUG = "needs-faults"
#: A complete, valid answer set for ``tests.forms.conftest.make_questionnaire``.
VALID = {"gender": "f", "age": 35, "needs": ["legal"], "legal_detail": "欠薪", "home": {"space": 4, "staff": 5}}
REQUEST_TIMEOUT = 30
BURST = 60
#: The server is killed once this many submissions of the burst have been answered.
KILL_AFTER_ACKS = 8


# --------------------------------------------------------------------------- the world


@dataclass
class World:
    db_url: str
    instance: Path
    app: object
    server: ServerProcess
    phones: list  #: test_concurrent_scoring.Phone, each with a join code of the open seeds' round
    backend: str

    def take_phone(self):
        return self.phones.pop()


@pytest.fixture(scope="module")
def world(live_db, tmp_path_factory):
    from survey.extensions import db
    from survey.models import QuestionnaireKind
    from survey.services import questionnaires
    from tests.forms.conftest import make_questionnaire
    from tests.live.test_concurrent_scoring import _prepare

    instance = tmp_path_factory.mktemp("faults")
    app = migrated_app(live_db, instance)
    with app.app_context():
        q = questionnaires.create_questionnaire(spec=make_questionnaire(), kind=QuestionnaireKind.NEEDS, slug=SLUG)
        questionnaires.publish_questionnaire(questionnaire=q)
        db.session.commit()
        db.session.remove()
    _round_id, phones = _prepare(app)
    server = ServerProcess(live_db, instance).start()
    backend = make_url(live_db).get_backend_name()
    try:
        yield World(live_db, instance, app, server, phones, backend)
    finally:
        server.stop()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


# --------------------------------------------------------------------------- HTTP helpers


def _opener(lang: str = "en"):
    """A client with its own cookies; its language cookie says ``lang`` (error pages and messages)."""
    jar = CookieJar()
    jar.set_cookie(Cookie(0, "kaimen_lang", lang, None, False, "127.0.0.1", False, False, "/", True, False, None,
                          True, None, None, {}))
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("User-Agent", "kaimen-fault-test")]
    return opener, jar


def _send(opener, request, timeout: float = REQUEST_TIMEOUT) -> tuple[int, str, dict]:
    """(status, body, headers); HTTP errors are answers too; connection failures raise OSError."""
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8", "replace"), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace"), dict(exc.headers)


def _api_token(base: str, opener) -> str:
    status, body, _h = _send(opener, urllib.request.Request(f"{base}/api/v1/questionnaires/{SLUG}?lang=en"))
    assert status == 200, body
    return json.loads(body)["csrf_token"]


def _submission_request(base: str, token: str, client_id: str) -> urllib.request.Request:
    body = json.dumps({"client_id": client_id, "answers": VALID}).encode()
    return urllib.request.Request(f"{base}/api/v1/questionnaires/{SLUG}/responses?lang=en", data=body,
                                  method="POST", headers={"Content-Type": "application/json", "X-CSRFToken": token})


def _cookie_header(jar: CookieJar, lang: str = "en") -> str:
    return "; ".join([f"{c.name}={c.value}" for c in jar if c.name != "kaimen_lang"] + [f"kaimen_lang={lang}"])


def _join(base: str, phone):
    """The phone exchanges its join code; returns (opener, jar, CSRF token for the JSON API)."""
    from tests.live.test_concurrent_scoring import CSRF_FIELD

    opener, jar = _opener()
    status, page, _h = _send(opener, urllib.request.Request(f"{base}/join?code={phone.code}"))
    match = CSRF_FIELD.search(page)
    assert status == 200 and match, page[:500]
    form = urllib.parse.urlencode({"code": phone.code, "csrf_token": match.group(1) or match.group(2)}).encode()
    status, page, _h = _send(opener, urllib.request.Request(f"{base}/join", data=form, method="POST"))
    assert status == 200, page[:500]
    status, body, _h = _send(opener, urllib.request.Request(f"{base}/api/score/sessions/{phone.session_id}"))
    assert status == 200, body
    return opener, jar, json.loads(body)["csrf_token"]


def _score_request(base: str, phone, token: str) -> urllib.request.Request:
    return urllib.request.Request(
        f"{base}/api/score/sessions/{phone.session_id}/submit", data=json.dumps(phone.body).encode(), method="POST",
        headers={"Content-Type": "application/json", "X-CSRFToken": token})


def _stored_responses(app, client_ids=None) -> dict[str, tuple[str, dict, int]]:
    """client id -> (status, answers, answer rows) of the questionnaire's responses."""
    from survey.extensions import db
    from survey.models import AnswerRow, Questionnaire, Response

    with app.app_context():
        q = db.session.scalar(select(Questionnaire).where(Questionnaire.slug == SLUG))
        query = (select(Response.client_id, Response.status, Response.answers, func.count(AnswerRow.response_id))
                 .outerjoin(AnswerRow, AnswerRow.response_id == Response.id)
                 .where(Response.questionnaire_id == q.id).group_by(Response.id))
        if client_ids is not None:
            query = query.where(Response.client_id.in_(list(client_ids)))
        rows = db.session.execute(query).all()
        db.session.remove()
    out: dict[str, tuple[str, dict, int]] = {}
    for client_id, status, answers, n_rows in rows:
        assert client_id not in out, f"client id {client_id} stored twice"
        out[client_id] = (status.value, answers, n_rows)
    return out


# --------------------------------------------------------------------------- 1. SIGKILL mid-burst


@dataclass
class Respondent:
    client_id: str
    opener: object
    token: str = ""
    answers: list[tuple[int, dict]] = field(default_factory=list)  #: (status, body) of each answer received
    failure: str | None = None  #: the connection broke before an answer came


def _submit_once(base: str, who: Respondent, start: threading.Barrier, acked: threading.Semaphore) -> None:
    try:
        start.wait()
        status, body, _h = _send(who.opener, _submission_request(base, who.token, who.client_id))
        who.answers.append((status, json.loads(body) if body.startswith("{") else {"raw": body[:300]}))
        acked.release()  # any answer counts: one that is not 2xx fails the test afterwards
    except (OSError, HTTPException, threading.BrokenBarrierError) as exc:  # killed under it: no (whole) answer
        who.failure = f"{type(exc).__name__}: {exc}"


def test_sigkill_during_a_response_burst_loses_no_acknowledged_submission(world):
    server = world.server
    respondents = []
    for n in range(BURST):
        opener, _jar = _opener()
        who = Respondent(f"burst-{world.backend}-{n:04d}-abcdefgh", opener)
        who.token = _api_token(server.url, opener)
        respondents.append(who)
    start, acked = threading.Barrier(BURST + 1), threading.Semaphore(0)
    threads = [threading.Thread(target=_submit_once, args=(server.url, who, start, acked)) for who in respondents]
    for thread in threads:
        thread.start()
    start.wait()
    for _ in range(KILL_AFTER_ACKS):  # a few answers are out: the rest are in flight
        assert acked.acquire(timeout=REQUEST_TIMEOUT), "the burst was not answered\n" + server.log_text()[-3000:]
    server.kill()
    for thread in threads:
        thread.join(timeout=REQUEST_TIMEOUT + 5)
    assert not any(t.is_alive() for t in threads)

    answered = [w for w in respondents if w.answers]
    bad = [(w.client_id, w.answers) for w in answered if not 200 <= w.answers[0][0] < 300]
    assert not bad, f"answers other than 2xx before the kill: {bad[:5]}"
    acknowledged = {w.client_id for w in answered}
    lost = [w for w in respondents if not w.answers]
    assert len(acknowledged) >= KILL_AFTER_ACKS
    assert lost, "the kill came after every submission was answered: the test proves nothing"

    server.start()  # same database, same instance folder
    stored = _stored_responses(world.app)
    # every acknowledged submission is there exactly once, submitted, with its one answer row
    for client_id in acknowledged:
        assert stored.get(client_id) == ("submitted", VALID, 1), (client_id, stored.get(client_id))
    # the unacknowledged ones are stored whole or not at all
    for who in lost:
        assert stored.get(who.client_id) in (None, ("submitted", VALID, 1)), stored.get(who.client_id)
    assert set(stored) <= {w.client_id for w in respondents}
    assert integrity_problems(world.app) == []

    # the phones retry everything (cookies and tokens survive the restart): one row each
    for who in respondents:
        status, body, _h = _send(who.opener, _submission_request(server.url, who.token, who.client_id))
        answer = json.loads(body)
        assert status in (200, 201), body
        was_stored = who.client_id in stored
        assert answer["already_submitted"] is was_stored and status == (200 if was_stored else 201)
        if who.answers:  # the same receipt as before the kill
            first = who.answers[0][1]
            assert (answer["client_id"], answer["submitted_on"]) == (first["client_id"], first["submitted_on"])
    stored = _stored_responses(world.app)
    assert sorted(stored) == sorted(w.client_id for w in respondents)
    assert all(v == ("submitted", VALID, 1) for v in stored.values())
    assert integrity_problems(world.app) == []
    assert "Traceback" not in server.log_text(), server.log_text()[-3000:]


# --------------------------------------------------------------------------- 2. SIGKILL mid-import

IMPORT_SCRIPT = """
import sys
from survey import create_app
from survey.extensions import db
from survey.services import questionnaires
from survey.services.answer_columns import ImportRecord, bulk_import_responses

database_url, instance, slug, tag, count = sys.argv[1:6]
answers = {answers!r}
app = create_app({{"DATABASE_URL": database_url, "INSTANCE_PATH": instance}})
with app.app_context():
    q = questionnaires.get_questionnaire(slug=slug)
    records = (ImportRecord(answers, client_id=f"import-{{tag}}-{{i:08d}}") for i in range(int(count)))
    summary = bulk_import_responses(q, records, batch_size=500, progress=lambda n: print("batch", n, flush=True))
    print("inserted", summary.imported, flush=True)
    db.session.commit()
    print("committed", summary.imported, flush=True)
"""


def _import_process(world: World, tag: str, count: int) -> subprocess.Popen:
    script = world.instance / "import_responses.py"
    script.write_text(IMPORT_SCRIPT.format(answers=VALID), encoding="utf-8")
    return subprocess.Popen(
        [sys.executable, str(script), world.db_url, str(world.instance), SLUG, tag, str(count)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=Path(__file__).resolve().parents[2])


def _imported(app, tag: str) -> int:
    from survey.extensions import db
    from survey.models import Response

    with app.app_context():
        n = db.session.scalar(select(func.count(Response.id)).where(Response.client_id.like(f"import-{tag}-%")))
        db.session.remove()
    return n


def test_sigkill_during_an_import_leaves_nothing_half_imported(world):
    before = _stored_responses(world.app)
    process = _import_process(world, "killed", 40_000)
    lines = []
    for line in process.stdout:  # wait until several batches are inserted (not yet committed)
        lines.append(line.strip())
        if sum(1 for seen in lines if seen.startswith("batch")) >= 3:
            process.send_signal(signal.SIGKILL)
            break
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL, "\n".join(lines)
    assert not any(seen.startswith("committed") for seen in lines)

    assert _imported(world.app, "killed") == 0  # none of the import, not the batches already inserted
    assert _stored_responses(world.app) == before  # and nothing else changed
    assert integrity_problems(world.app) == []

    # the database takes the next import whole, and the server still answers
    process = _import_process(world, "again", 2_000)
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 0 and "committed 2000" in output, output
    assert _imported(world.app, "again") == 2_000
    assert integrity_problems(world.app) == []
    opener, _jar = _opener()
    assert _api_token(world.server.url, opener)


# --------------------------------------------------------------------------- 3. timeout after commit, retry


def _send_and_drop(url: str, request: urllib.request.Request, cookie: str, committed) -> None:
    """Send the whole request on a raw socket, wait until the server has committed it, and
    hang up without reading a byte of the answer (the client's timeout fired)."""
    parts = urllib.parse.urlsplit(url)
    path = urllib.parse.urlsplit(request.full_url)
    target = path.path + (f"?{path.query}" if path.query else "")
    headers = {**{k.title(): v for k, v in request.header_items()}, "Host": parts.netloc, "Cookie": cookie,
               "Content-Length": str(len(request.data)), "Connection": "close"}
    head = f"POST {target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    with socket.create_connection((parts.hostname, parts.port), timeout=REQUEST_TIMEOUT) as sock:
        sock.sendall(head.encode("latin-1") + request.data)
        deadline = time.monotonic() + REQUEST_TIMEOUT
        while not committed():
            assert time.monotonic() < deadline, "the server never committed the dropped request"
            time.sleep(0.05)
    # closed unread: the server's answer goes nowhere


def test_a_response_retried_after_a_dropped_answer_gets_the_same_receipt_and_one_row(world):
    base, client_id = world.server.url, "dropped-answer-client-0001"
    opener, jar = _opener()
    token = _api_token(base, opener)
    _send_and_drop(base, _submission_request(base, token, client_id), _cookie_header(jar),
                   lambda: _stored_responses(world.app, [client_id]).get(client_id, ("",))[0] == "submitted")
    status, body, _h = _send(opener, _submission_request(base, token, client_id))
    answer = json.loads(body)
    assert (status, answer["client_id"], answer["already_submitted"]) == (200, client_id, True)
    with world.app.app_context():
        from survey.extensions import db
        from survey.models import Response

        rows = db.session.scalars(select(Response).where(Response.client_id == client_id)).all()
        assert len(rows) == 1 and answer["submitted_on"] == rows[0].submitted_on.isoformat()
        db.session.remove()
    assert _stored_responses(world.app, [client_id]) == {client_id: ("submitted", VALID, 1)}


def _scorecards_of(app, phone) -> list[tuple[str, str | None, int]]:
    from survey.extensions import db
    from survey.models import Scorecard

    with app.app_context():
        cards = db.session.scalars(select(Scorecard).where(Scorecard.rater_id == phone.rater_id,
                                                           Scorecard.session_id == phone.session_id)).all()
        out = [(c.status.value, c.receipt, len(c.entries)) for c in cards]
        db.session.remove()
    return out


def test_a_scorecard_retried_after_a_dropped_answer_gets_the_same_receipt_and_one_row(world):
    base, phone = world.server.url, world.take_phone()
    opener, jar, token = _join(base, phone)
    _send_and_drop(base, _score_request(base, phone, token), _cookie_header(jar),
                   lambda: any(status == "submitted" for status, _r, _n in _scorecards_of(world.app, phone)))
    status, body, _h = _send(opener, _score_request(base, phone, token))
    assert status == 200, body
    [(card_status, receipt, entries)] = _scorecards_of(world.app, phone)
    assert (card_status, entries) == ("submitted", 40)
    assert json.loads(body)["receipt"] == receipt


# --------------------------------------------------------------------------- 4. the database goes away


@pytest.fixture
def short_busy_server(world):
    """A second server on the same database: on SQLite with a busy timeout of 0.3 s."""
    server = ServerProcess(world.db_url, world.instance, threads=4, name="short-busy",
                           env=SHORT_BUSY_TIMEOUT_ENV).start()
    try:
        yield server
    finally:
        server.stop()


def test_the_database_going_away_gives_a_friendly_503_in_the_users_language(world, short_busy_server):
    from flask_babel import force_locale
    from flask_babel import gettext as _

    base, phone = short_busy_server.url, world.take_phone()
    opener, jar, score_token = _join(base, phone)
    api_opener, _api_jar = _opener()
    api_token = _api_token(base, api_opener)
    with world.app.test_request_context(), force_locale("zh_CN"):
        unavailable_zh = _(DB_UNAVAILABLE)
    assert unavailable_zh != DB_UNAVAILABLE, "the message has a Chinese translation"

    with DatabaseAway(world.db_url):
        # JSON: a response submission and a scorecard submission
        status, body, headers = _send(api_opener, _submission_request(base, api_token, "db-away-client-00001"))
        assert (status, json.loads(body)) == (503, {"error": 503, "message": DB_UNAVAILABLE}), body
        assert headers.get("Retry-After")
        status, body, _h = _send(opener, _score_request(base, phone, score_token))
        assert status == 503 and json.loads(body)["message"] == DB_UNAVAILABLE, body
        # a page, in English and in Chinese: the language comes from the cookie, not the database
        form = urllib.parse.urlencode({"code": "ABCDE-FGHJK", "csrf_token": score_token}).encode()
        for lang, title, message in (("en", "Service unavailable", DB_UNAVAILABLE), ("zh_CN", None, unavailable_zh)):
            page_opener = urllib.request.build_opener()
            page_opener.addheaders = [("Cookie", _cookie_header(jar, lang)), ("Accept", "text/html")]
            request = urllib.request.Request(f"{base}/join", data=form, method="POST")
            status, page, _h = _send(page_opener, request)
            assert status == 503 and message in page and "Traceback" not in page, page[:1000]
            if title:
                assert title in page
        if world.backend != "sqlite":  # reads fail too on PostgreSQL
            status, body, _h = _send(api_opener, urllib.request.Request(f"{base}/api/v1/questionnaires/{SLUG}"))
            assert (status, json.loads(body)["message"]) == (503, DB_UNAVAILABLE), body
            status, page, _h = _send(opener, urllib.request.Request(f"{base}/q/{SLUG}"))
            assert status == 503 and DB_UNAVAILABLE in page, page[:1000]

    # the database is back: the phone's scorecard (kept by the phone) goes through
    with world.app.app_context():
        from survey.extensions import db

        db.engine.dispose()  # its connections were terminated too
    status, body, _h = _send(opener, _score_request(base, phone, score_token))
    assert status == 200, body
    assert _scorecards_of(world.app, phone)[0][0] == "submitted"
    status, body, _h = _send(api_opener, _submission_request(base, api_token, "db-away-client-00001"))
    assert status == 201, body
    assert "Traceback" not in short_busy_server.log_text(), short_busy_server.log_text()[-3000:]
