"""Two ``kaimen serve`` processes against one PostgreSQL database, as behind a reverse proxy.

They share the database and the instance folder (its secret key), nothing else. Responses
and scorecards go through both, the same submission to both at the same moment (a proxy
retrying on the other server): nothing is lost or stored twice, and both answer with the
same receipt. A login made on one server works on the other, a logout on one ends it on
both, and wrong join codes typed on either count against the same throttle: no state
lives in a server's memory. Needs PostgreSQL (``KAIMEN_TEST_DATABASE_URL``); SQLite is
one file for one server.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
import urllib.request

import pytest
from sqlalchemy import select

from tests.live.conftest import ServerProcess, integrity_problems, migrated_app
from tests.live.test_concurrent_scoring import CSRF_FIELD
from tests.live.test_faults import (
    SLUG,
    VALID,
    _api_token,
    _join,
    _opener,
    _score_request,
    _send,
    _stored_responses,
    _submission_request,
)

pytestmark = pytest.mark.live

RESPONDENTS = 30
#: Wrong join codes from one address before the throttle refuses (both servers together).
JOIN_LIMIT = 6
PASSWORD = "two-servers-password-1"


@pytest.fixture(scope="module")
def servers(pg_database, tmp_path_factory):
    from survey.extensions import db
    from survey.models import QuestionnaireKind, Role
    from survey.services import accounts, questionnaires
    from tests.forms.conftest import make_questionnaire
    from tests.live.test_concurrent_scoring import _prepare

    instance = tmp_path_factory.mktemp("two-servers")  # shared: the same secret key on both
    app = migrated_app(pg_database, instance)
    with app.app_context():
        q = questionnaires.create_questionnaire(spec=make_questionnaire(), kind=QuestionnaireKind.NEEDS, slug=SLUG)
        questionnaires.publish_questionnaire(questionnaire=q)
        accounts.create_user(username="staff-two", role=Role.STAFF, password=PASSWORD)
        db.session.commit()
        db.session.remove()
    _round_id, phones = _prepare(app)
    env = {"KAIMEN_JOIN_MAX_FAILURES_PER_IP": str(JOIN_LIMIT)}
    a = ServerProcess(pg_database, instance, threads=8, env=env, name="server-a")
    b = ServerProcess(pg_database, instance, threads=8, env=env, name="server-b")
    try:
        a.start()
        b.start()
        yield app, a, b, phones
    finally:
        a.stop()
        b.stop()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _together(jobs) -> list:
    """Run the calls at the same moment, one thread each; their results in order."""
    results: list = [None] * len(jobs)
    start = threading.Barrier(len(jobs))

    def run(n, job):
        try:
            start.wait()
            results[n] = job()
        except Exception as exc:  # noqa: BLE001 - reported by the test
            results[n] = exc

    threads = [threading.Thread(target=run, args=(n, job)) for n, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    return results


def test_responses_through_both_servers_are_stored_once(servers):
    app, a, b, _phones = servers
    clients = []
    for n in range(RESPONDENTS):
        opener, _jar = _opener()
        token = _api_token((a, b)[n % 2].url, opener)  # the token of one server is good on the other
        clients.append((f"two-servers-{n:04d}-abcdefgh", opener, token))
    jobs = []
    for n, (client_id, opener, token) in enumerate(clients):
        targets = (a, b) if n % 3 else ((a, b)[n % 2],)  # two in three are sent to both at once
        for server in targets:
            jobs.append((client_id, lambda s=server, o=opener, t=token, c=client_id:
                         _send(o, _submission_request(s.url, t, c))))
    results = _together([job for _c, job in jobs])
    answers: dict[str, list[tuple[int, dict]]] = {}
    for (client_id, _job), result in zip(jobs, results, strict=True):
        assert not isinstance(result, Exception), result
        status, body, _h = result
        answers.setdefault(client_id, []).append((status, json.loads(body)))
    for client_id, got in answers.items():
        statuses = sorted(status for status, _b in got)
        assert statuses in ([201], [200, 201]), (client_id, got)  # one stored it, the other found it
        assert len({(b["client_id"], b["submitted_on"]) for _s, b in got}) == 1  # the same receipt from both
    stored = _stored_responses(app)
    assert sorted(stored) == sorted(answers)
    assert all(v == ("submitted", VALID, 1) for v in stored.values())
    assert integrity_problems(app) == []
    for server in (a, b):
        assert "Traceback" not in server.log_text(), server.log_text()[-3000:]


def test_scorecards_through_both_servers_are_stored_once_with_one_receipt(servers):
    from survey.extensions import db
    from survey.models import Scorecard, ScorecardStatus
    from survey.services import scorecards

    app, a, b, phones = servers
    joined = []
    for n, phone in enumerate(phones):
        joined.append((phone, *_join((a, b)[n % 2].url, phone)))  # joined on one server...
    jobs = [lambda s=server, p=phone, o=opener, t=token: _send(o, _score_request(s.url, p, t))
            for phone, opener, _jar, token in joined for server in (a, b)]  # ...submitted to both at once
    results = _together(jobs)
    for result in results:
        assert not isinstance(result, Exception), result
        assert result[0] == 200, result[1][:500]
    with app.app_context():
        cards = db.session.scalars(select(Scorecard)).all()
        assert sorted(c.rater_id for c in cards) == sorted(p.rater_id for p in phones)  # once each
        by_rater = {c.rater_id: c for c in cards}
        for n, (phone, *_rest) in enumerate(joined):
            card = by_rater[phone.rater_id]
            assert card.status is ScorecardStatus.SUBMITTED and len(card.entries) == 40
            receipts = {json.loads(results[2 * n][1])["receipt"], json.loads(results[2 * n + 1][1])["receipt"]}
            assert receipts == {card.receipt} and card.receipt == scorecards.receipt_of(card)
        db.session.remove()
    for server in (a, b):
        assert "Traceback" not in server.log_text(), server.log_text()[-3000:]


def _form_token(opener, url: str) -> str:
    status, page, _h = _send(opener, urllib.request.Request(url))
    match = CSRF_FIELD.search(page)
    assert status == 200 and match, page[:500]
    return match.group(1) or match.group(2)


def test_a_login_on_one_server_works_on_the_other_and_a_logout_ends_it_on_both(servers):
    _app, a, b, _phones = servers
    opener, jar = _opener()
    form = {"username": "staff-two", "password": PASSWORD, "next": "",
            "csrf_token": _form_token(opener, a.url + "/login")}
    status, _page, _h = _send(opener, urllib.request.Request(
        a.url + "/login", data=urllib.parse.urlencode(form).encode(), method="POST"))
    assert status == 200
    status, page, _h = _send(opener, urllib.request.Request(b.url + "/dashboard"))
    assert status == 200 and 'name="password"' not in page  # logged in on B, not sent to the login form
    session_cookie = next(c.value for c in jar if c.name == "kaimen_session")

    # log out on B; the old cookie, replayed on A, no longer logs anyone in
    token = _form_token(opener, b.url + "/dashboard")
    status, _page, _h = _send(opener, urllib.request.Request(
        b.url + "/logout", data=urllib.parse.urlencode({"csrf_token": token}).encode(), method="POST"))
    assert status == 200
    replay = urllib.request.build_opener()
    replay.addheaders = [("Cookie", f"kaimen_session={session_cookie}; kaimen_lang=en")]
    status, page, _h = _send(replay, urllib.request.Request(a.url + "/dashboard"))
    assert status == 200 and 'name="password"' in page  # sent to the login form


def test_wrong_join_codes_on_both_servers_count_against_one_throttle(servers):
    _app, a, b, _phones = servers
    opener, _jar = _opener()
    token = _form_token(opener, a.url + "/join")

    def wrong_code(server: ServerProcess) -> int:
        form = urllib.parse.urlencode({"code": "ZZZZZ-ZZZZZ", "csrf_token": token}).encode()
        return _send(opener, urllib.request.Request(server.url + "/join", data=form, method="POST"))[0]

    statuses = [wrong_code((a, b)[n % 2]) for n in range(JOIN_LIMIT)]
    assert statuses == [400] * JOIN_LIMIT  # three on each server: neither alone reached the limit
    assert wrong_code(a) == 429 and wrong_code(b) == 429
