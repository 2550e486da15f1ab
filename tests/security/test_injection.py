"""Checklist: SQL injection strings in every parameter, sort key and token.

Every GET route of ``app.url_map`` is asked, as the caller it is for, with injection strings in
each text placeholder, out-of-range numbers in each id, and every query parameter the views
read (found in the views' source, so a new one is covered) set to those strings. Then the forms
and JSON bodies that look something up by what was typed: the login, the join code, invitation
and resume codes, the API's client ids and invitation codes, the scoring API's criterion and area
codes and versions, the verification page's hash and upload, the staff forms that name a unit
by its code, the language switch.

Every answer is a page, a redirect on the site, or a 4xx that says why; never a 5xx, a stack
trace or a database error. GETs change no row of any table. No tautology finds a row: the
login fails, no phone is bound, no invitation is used, no response is started or resumed, no
questionnaire, section, question or published file is shown for an injected key.

No view reads a sort or order parameter (``test_no_view_reads_a_sort_key``); one sent anyway is
ignored (``test_sort_and_page_parameters_are_ignored``). The only SQL built as text takes no
request input (``test_sql_built_as_text_takes_no_request_input``).

One world (the XSS checklist's payload world, plus invitations and a published file) is built
once for the module and each test's writes are rolled back (``tests.security.crawl``).
"""

from __future__ import annotations

import ast
import functools
import hashlib
import io
import re
import sys
from pathlib import Path

import pytest
from markupsafe import escape
from sqlalchemy import select
from wtforms.fields.core import UnboundField

from forms.analysis_forms import ANSWER_PREFIX, AnalysisFilterForm
from survey.extensions import db
from survey.models import (
    Conflict,
    Framework,
    Invite,
    JoinCode,
    ParticipationTarget,
    Publication,
    PublishedFile,
    Questionnaire,
    RaterDevice,
    ReportSession,
    Response,
    RoundRater,
)
from survey.services import invites, rounds
from survey.services import scorecards as sc
from survey.services.responses import CLIENT_ID
from tests.conftest import csrf_token
from tests.security.builders import payload_world
from tests.security.crawl import (
    PHONE,
    assert_handled,
    build_path,
    caller_for,
    get_rules,
    joined_phone,
    logged_in_client,
    table_counts,
    takes_id,
    text_arguments,
    users_snapshot,
)
from tests.security.crawl import module_app, module_shared, module_world  # noqa: F401  # app, shared, world
from tests.survey.round_builders import framework_version

ROOT = Path(__file__).resolve().parents[2]

#: No field takes it; PostgreSQL cannot even compare it: refused before any lookup (400).
NUL = "a\x00b"
#: Injection strings for text placeholders, parameters, form fields and JSON values.
PAYLOADS = (
    "' OR '1'='1",
    "' OR 1=1--",
    "1; DROP TABLE users--",
    "1 UNION SELECT NULL--",
    "x' UNION SELECT username, password_hash FROM users--",
    "%27%20OR%201=1",
    "1' AND SLEEP(5)--",
    "'; SELECT pg_sleep(5)--",
    "$ne",
    '{"$ne": null}',
    NUL,
    "开门打分'）；--",
    "\\'; --",
    "99999999999999999999",
    "-1",
    "x" * 5000,
)
#: A few of them, for the sweeps that try one parameter at a time.
FEW = ("' OR '1'='1", "1 UNION SELECT NULL--", NUL, "99999999999999999999", "x" * 5000)
#: Ids no row has, some beyond what the database's integer columns hold.
HUGE_IDS = (0, 2**31, 2**63)
#: Parameters sent to every route although no view reads them (``test_no_view_reads_a_sort_key``).
UNREAD = ("sort", "order", "order_by", "dir", "page", "per_page", "limit", "offset", "q", "search", "filter", "id",
          "token", "client_id", "invite_code", "lang")
SORT_KEYS = {"sort", "order", "order_by", "dir", "direction", "page", "per_page", "limit", "offset"}
#: The analysis filter form's fields, and its answer filters for the payload world's demographic questions.
FILTER_FIELDS = frozenset({name for name, value in vars(AnalysisFilterForm).items() if isinstance(value, UnboundField)}
                          | {f"{ANSWER_PREFIX}gender", f"{ANSWER_PREFIX}age_band"})


# --------------------------------------------------------------------------- what the views read

_ARG_NAME = re.compile(
    r"""request\.args(?:\.get(?:list)?\(\s*|\[\s*)["']([\w-]+)["']|["']([\w-]+)["']\s+in\s+request\.args""")
_WHOLE_ARGS = re.compile(r"request\.args\s*[,)]")


@functools.cache
def _functions(module_name: str) -> dict[str, tuple[set[str], set[str]]]:
    """Per module-level function: the query parameters its own body reads, and the names it uses."""
    source = Path(sys.modules[module_name].__file__).read_text(encoding="utf-8")
    out = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef):
            body = ast.get_source_segment(source, node)
            params = {a or b for a, b in _ARG_NAME.findall(body)}
            if _WHOLE_ARGS.search(body):  # the whole query string goes to the analysis filter form
                params |= FILTER_FIELDS
            used = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
            out[node.name] = (params, used)
    return out


def endpoint_parameters(app) -> dict[str, set[str]]:
    """Endpoint -> the query parameters its view reads, itself or through the module's helpers."""
    found: dict[str, set[str]] = {}
    for endpoint, view in app.view_functions.items():
        if not view.__module__.startswith("survey.views."):
            continue
        functions = _functions(view.__module__)
        seen, todo, params = set(), [view.__name__], set()
        while todo:
            name = todo.pop()
            if name in seen or name not in functions:
                continue
            seen.add(name)
            params |= functions[name][0]
            todo.extend(functions[name][1])
        if params:
            found[endpoint] = params
    return found


def test_the_parameter_list_covers_what_the_views_read(base_app):
    params = endpoint_parameters(base_app)
    assert params["auth.login"] == {"next"}
    assert params["respond.landing"] == {"code"}
    assert params["respond.section"] == {"check", "saved"}
    assert params["scoring.join"] == {"code", "left"}
    assert params["frameworks.detail"] == {"version", "view"}
    assert params["frameworks.export"] == {"version"}
    assert params["frameworks.import_file"] == {"code"}
    assert params["builder.export"] == {"version"}
    assert params["builder.add_question"] == {"type"}
    assert params["api.get_questionnaire"] == params["api.submit_response"] == {"lang"}
    for endpoint in ("page", "results_json", "results_csv", "export_responses", "needs_report_pdf"):
        assert params[f"analysis.{endpoint}"] == FILTER_FIELDS, endpoint


def test_no_view_reads_a_sort_key(base_app):
    """Nothing to interpolate: lists are ordered in code, never by a parameter."""
    assert not set().union(*endpoint_parameters(base_app).values()) & SORT_KEYS
    for path in (ROOT / "survey" / "views").glob("*.py"):
        assert not re.search(r"order_by\([^)]*request\.", path.read_text(encoding="utf-8")), path.name


# --------------------------------------------------------------------------- the world and its callers


class World:
    """The payload world, invitations, a published file, one test client per caller, and a
    value for every placeholder."""

    def __init__(self, app):
        with app.app_context():
            self.data = payload_world()
            questionnaire = db.session.get(Questionnaire, self.data.questionnaire_id)
            self.invite_codes = [i.code for i in invites.create_invites(questionnaire=questionnaire, count=3)]
            self.published = _published_file()
            framework_id = db.session.scalar(select(Framework.id).order_by(Framework.id))
            db.session.commit()
        w = self.data
        self.ids = {"questionnaire_id": w.questionnaire_id, "round_id": w.round_id, "session_id": w.session_id,
                    "unit_id": w.unit_id, "framework_id": framework_id, "publication_id": self.published[1],
                    "file_id": self.published[2]}
        self.texts = {"slug": w.slug, "section_id": "main", "question_id": "housing", "area_code": "A01",
                      "criterion_code": "A01.1", "fmt": "csv", "filename": "css/kaimen.css"}
        self.formats = {"questionnaires.qr": "svg", "builder.export": "json"}
        self.clients = {role: logged_in_client(app, role, f"inj-{role}") for role in ("admin", "staff", "evaluator")}
        self.clients[PHONE] = joined_phone(app, w.codes[w.rater_ids[0]])
        self.clients[None] = app.test_client()
        self.respondent_client_id = _start(self.clients[None], w.slug)

    def values(self, rule) -> dict:
        out = {}
        for name in rule.arguments:
            if takes_id(rule, name):
                assert name in self.ids, f"{rule.rule}: give World.ids a {name}"
                out[name] = self.ids[name]
            elif name == "fmt":
                out[name] = self.formats.get(rule.endpoint, self.texts["fmt"])
            else:
                assert name in self.texts, f"{rule.rule}: give World.texts a {name}"
                out[name] = self.texts[name]
        return out

    def client(self, rule):
        return self.clients[caller_for(rule.endpoint)]


def _published_file() -> tuple[int, int, int]:
    """Another round with one published file: (round, publication, file) ids. A row is enough:
    the publish service itself is tested elsewhere."""
    round = rounds.create_round(name="已发布的轮次", period="2015", framework_version=framework_version(code="inj-fw"))
    content = b"published report"
    publication = Publication(round_id=round.id, version=1, note="", snapshot={}, audit_head="0" * 64)
    publication.files.append(PublishedFile(kind="round_report", filename="round.pdf", mimetype="application/pdf",
                                           sha256=hashlib.sha256(content).hexdigest(), size=len(content),
                                           content=content))
    db.session.add(publication)
    db.session.flush()
    return round.id, publication.id, publication.files[0].id


def _client_id(client, slug: str) -> str:
    landing = client.get(f"/q/{slug}").get_data(as_text=True)
    return re.search(r'name="client_id" value="([^"]+)"', landing).group(1)


def _start(client, slug: str) -> str:
    """The respondent starts, so the section pages get as far as looking up the section id."""
    client_id = _client_id(client, slug)
    started = client.post(f"/q/{slug}/start", data={"client_id": client_id, "csrf_token": csrf_token(client, f"/q/{slug}")})
    assert started.status_code == 302
    return client_id


@pytest.fixture
def many_failures(app, monkeypatch):
    """Throttling off, so every refusal below is for what was typed, not for the count of tries."""
    for key in ("LOGIN_MAX_FAILURES", "LOGIN_MAX_FAILURES_PER_IP", "JOIN_MAX_FAILURES_PER_IP"):
        monkeypatch.setitem(app.config, key, 100_000)


def _counts(app) -> dict[str, int]:
    with app.app_context():
        return table_counts()


def _users(app) -> list[tuple]:
    with app.app_context():
        return users_snapshot()


def _english(client):
    client.set_cookie("kaimen_lang", "en")
    return client


# --------------------------------------------------------------------------- GET: placeholders


def test_injected_text_in_any_placeholder_finds_nothing(app, world):
    """Every text placeholder of every GET route (slugs, section, question, area and criterion ids,
    formats, static file names): 404 (400 for a NUL character), nothing changed."""
    before, users = _counts(app), _users(app)
    tried = 0
    for rule in get_rules(app):
        client = world.client(rule)
        for name in text_arguments(rule):
            for payload in PAYLOADS:
                path = build_path(rule, world.values(rule) | {name: payload})
                response = client.get(path)
                assert_handled(response, path[:120])
                expected = 400 if payload == NUL else 404
                assert response.status_code == expected, (rule.endpoint, name, payload[:40], response.status_code)
                tried += 1
        assert _counts(app) == before, rule.endpoint
    assert tried > 200
    assert _users(app) == users


def test_ids_beyond_any_row_or_integer_column_are_refused(app, world):
    """Every id placeholder of every GET route, with ids no row has (0, and beyond 32 and 64 bits),
    and with injection text where the route wants digits."""
    before = _counts(app)
    tried = 0
    for rule in get_rules(app):
        client = world.client(rule)
        for name in rule.arguments:
            if not takes_id(rule, name):
                continue
            for bad in HUGE_IDS:
                path = build_path(rule, world.values(rule) | {name: bad})
                response = client.get(path)
                assert_handled(response, path)
                # The phone gets 403 for a session not on its list, known or not, alike.
                expected = {403, 404} if caller_for(rule.endpoint) == PHONE else {404}
                assert response.status_code in expected, (rule.endpoint, name, bad, response.status_code)
                tried += 1
            good = build_path(rule, world.values(rule))
            injected = good.replace(f"/{world.values(rule)[name]}", "/1%20OR%201=1", 1)
            assert injected != good and client.get(injected).status_code == 404, injected
        assert _counts(app) == before, rule.endpoint
    assert tried > 150


# --------------------------------------------------------------------------- GET: query parameters


def test_every_parameter_at_once_on_every_route(app, world):
    """All parameters any view reads, and the usual names none reads, carry injections at once.
    Each request spreads the payloads over the names; over the requests every name gets each."""
    names = sorted(set().union(*endpoint_parameters(app).values()) | set(UNREAD))
    payloads = tuple(p for p in PAYLOADS if p != NUL)  # a NUL would stop every request at the door
    before, users = _counts(app), _users(app)
    statuses = []
    for rule in get_rules(app):
        client = world.client(rule)
        path = build_path(rule, world.values(rule))
        for shift in (0, len(payloads) // 2):
            query = {name: payloads[(i + shift) % len(payloads)] for i, name in enumerate(names)}
            response = client.get(path, query_string=query)
            assert_handled(response, f"{path} (shift {shift})")
            statuses.append(response.status_code)
        assert _counts(app) == before, rule.endpoint
    assert _users(app) == users
    assert statuses.count(200) > 60  # most pages ignore what they do not read


def test_each_parameter_alone_on_the_routes_that_read_it(app, world):
    """One parameter at a time, so that no other one stops the request before it is read."""
    before = _counts(app)
    reads = endpoint_parameters(app)
    tried = 0
    for rule in get_rules(app):
        names = reads.get(rule.endpoint, set())
        client = world.client(rule)
        path = build_path(rule, world.values(rule))
        for name in sorted(names):
            for payload in FEW:
                response = client.get(path, query_string={name: payload})
                assert_handled(response, f"{path}?{name}={payload[:30]}")
                if rule.endpoint.startswith("analysis.") and name != "need":
                    # Not one of the form's choices, not a date: refused, with the reason.
                    assert response.status_code == 400, (path, name, payload[:30])
                tried += 1
        assert _counts(app) == before, rule.endpoint
    assert tried > 250


def test_an_injected_invitation_in_the_link_only_fills_in_the_form(app, world):
    client = _english(app.test_client())
    before = _counts(app)
    for payload in LOOKUPS:
        response = client.get(f"/q/{world.data.slug}", query_string={"code": payload})
        assert response.status_code == 302 and response.headers["Location"] == f"/q/{world.data.slug}"
        page = client.get(f"/q/{world.data.slug}").get_data(as_text=True)
        assert str(escape(payload.strip()[:80])) in page
    assert _counts(app) == before


def test_an_injected_next_after_login_stays_on_the_site(app, world, many_failures):
    for payload in ("' OR '1'='1", "//evil.example.net/", "https://evil.example.net/", "/\\evil", "javascript:alert(1)"):
        client = app.test_client()
        page = client.get("/login", query_string={"next": payload})
        assert page.status_code == 200
        response = client.post("/login", data={"username": "inj-staff", "password": "correct-horse-9",
                                               "next": payload, "csrf_token": csrf_token(client)})
        assert response.status_code == 302 and response.headers["Location"] == "/dashboard", payload


SORTED_PAGES = ("/dashboard", "/staff/questionnaires/", "/staff/rounds/", "/staff/frameworks/", "/staff/users",
                "/staff/units", "/evaluator/")
#: What changes from one request to the next: signed CSRF tokens, and the language form's return address.
_VOLATILE = re.compile(r'"[\w-]{20,}\.[\w-]{4,}\.[\w-]{20,}"|name="next" value="[^"]*"')


def _masked(response) -> str:
    return _VOLATILE.sub("", response.get_data(as_text=True))


def test_sort_and_page_parameters_are_ignored(app, world):
    """A sort key, order or page, injected or not, gives the same list in the default order."""
    admin = world.clients["admin"]
    for path in SORTED_PAGES + (f"/staff/rounds/{world.ids['round_id']}",
                                f"/staff/questionnaires/{world.ids['questionnaire_id']}",
                                f"/evaluator/rounds/{world.published[0]}"):
        default = admin.get(path)
        assert default.status_code == 200, path
        for payload in ("name", "id DESC", "(SELECT 1) DESC", "1; DROP TABLE users--", "' OR '1'='1"):
            reordered = admin.get(path, query_string={key: payload for key in SORT_KEYS})
            assert reordered.status_code == 200, (path, payload)
            assert _masked(reordered) == _masked(default), (path, payload)


# --------------------------------------------------------------------------- POST: what is looked up by what was typed

TAUTOLOGIES = ("' OR '1'='1", "' OR 1=1--", "admin' --", "x' OR 'x'='x", "') OR ('1'='1", '" OR ""="')
#: What is typed into the forms below (NUL has a test of its own).
LOOKUPS = tuple(p for p in PAYLOADS if p != NUL) + TAUTOLOGIES


def test_injected_credentials_never_log_in(app, world, many_failures):
    before = _counts(app)
    client = _english(app.test_client())
    tries = [(p, p) for p in FEW + TAUTOLOGIES[1:] if p != NUL] + [("inj-admin" + TAUTOLOGIES[2], "x"),
                                                                   ("inj-admin", TAUTOLOGIES[0])]
    for username, password in tries:
        response = client.post("/login", data={"username": username, "password": password,
                                               "csrf_token": csrf_token(client)})
        assert_handled(response, f"login {username[:30]!r}")
        assert response.status_code == 200, username[:30]
        if len(username) <= 80:
            assert "Wrong username or password." in response.get_data(as_text=True), username[:30]
    assert client.get("/dashboard").status_code == 302
    after = _counts(app)
    # Only the failures are stored (the throttle counts them, the audit log lists them).
    assert {t: n for t, n in after.items() if n != before[t]}.keys() <= {"login_attempts", "audit_entries",
                                                                         "audit_head"}
    assert after["login_sessions"] == before["login_sessions"]


def test_an_injected_join_code_binds_no_phone(app, world, many_failures):
    client = _english(app.test_client())
    with app.app_context():
        used = sorted(db.session.scalars(select(JoinCode.id).where(JoinCode.used_at.is_not(None))))
        devices = db.session.query(RaterDevice).count()
    for payload in LOOKUPS:
        shown = client.get("/join", query_string={"code": payload})
        assert_handled(shown, "GET /join")
        assert shown.status_code == 200
        response = client.post("/join", data={"code": payload, "csrf_token": csrf_token(client, "/join")})
        assert_handled(response, f"join {payload[:30]!r}")
        assert response.status_code == 400, payload[:30]
        assert "This code does not work" in response.get_data(as_text=True)
        assert client.get_cookie("kaimen_rater") is None
    assert client.get("/score").status_code == 401
    with app.app_context():
        assert sorted(db.session.scalars(select(JoinCode.id).where(JoinCode.used_at.is_not(None)))) == used
        assert db.session.query(RaterDevice).count() == devices


def test_injected_invitation_resume_codes_and_client_ids_open_nothing(app, world):
    slug = world.data.slug
    client = _english(app.test_client())
    with app.app_context():
        responses = db.session.query(Response).count()
    for payload in LOOKUPS:
        token = csrf_token(client, f"/q/{slug}")
        started = client.post(f"/q/{slug}/start", data={
            "client_id": _client_id(client, slug), "with_invite": "1", "invite_code": payload, "csrf_token": token})
        assert_handled(started, f"start {payload[:30]!r}")
        assert started.status_code == 200, payload[:30]
        assert "This invitation code is not valid for this questionnaire." in started.get_data(as_text=True)
        resumed = client.post(f"/q/{slug}/resume", data={"resume_code": payload, "csrf_token": token})
        assert_handled(resumed, f"resume {payload[:30]!r}")
        assert resumed.status_code == 200
        assert "No unfinished response has this resume code." in resumed.get_data(as_text=True)
        if not CLIENT_ID.fullmatch(payload):  # "999…9" is an id a client may choose
            bad_id = client.post(f"/q/{slug}/start", data={"client_id": payload, "csrf_token": token})
            assert_handled(bad_id, f"client id {payload[:30]!r}")
            assert bad_id.status_code == 400
        assert client.get(f"/q/{slug}/s/main").status_code == 302  # not started: back to the landing page
    with app.app_context():
        assert db.session.query(Response).count() == responses
        assert db.session.scalars(select(Invite.used_on)).all() == [None] * 3


def _api_token(client, slug: str) -> str:
    return client.get(f"/api/v1/questionnaires/{slug}").get_json()["csrf_token"]


def test_the_api_refuses_injected_client_ids_invitations_answers_and_languages(app, world):
    slug = world.data.slug
    client = app.test_client()
    token = _api_token(client, slug)
    url = f"/api/v1/questionnaires/{slug}/responses"
    before = _counts(app)
    for payload in LOOKUPS:
        if CLIENT_ID.fullmatch(payload):
            continue  # "999…9" is an id a client may choose
        cases = {
            "client_id": {"client_id": payload, "answers": {}},
            "invite_code": {"client_id": "api-client-0123456789", "answers": {}, "invite_code": payload[:100]},
            "answers": {"client_id": "api-client-0123456789", "answers": {payload: payload}},
        }
        for field, body in cases.items():
            response = client.post(url, json=body, headers={"X-CSRFToken": token})
            assert_handled(response, f"api {field} {payload[:30]!r}")
            assert response.status_code in (400, 403), (field, payload[:30], response.status_code)
            errors = response.get_json().get("errors", {})
            assert field in errors or any(payload[:20] in key for key in errors), (field, payload[:30], errors)
        lang = client.post(url, query_string={"lang": payload}, json=cases["answers"], headers={"X-CSRFToken": token})
        assert lang.status_code == 400 and "lang" in lang.get_json()["errors"]
        wrong_token = client.post(url, json=cases["answers"], headers={"X-CSRFToken": payload})
        assert_handled(wrong_token, "api token")
        assert wrong_token.status_code == 400
    assert _counts(app) == before


def test_the_scoring_api_refuses_injected_codes_and_versions(app, world):
    phone = world.clients[PHONE]
    session_id = world.data.session_id
    rater_id = world.data.rater_ids[0]
    state = phone.get(f"/api/score/sessions/{session_id}").get_json()
    token = state["csrf_token"]
    with app.app_context():
        stored = _scorecard_state(rater_id, session_id)
    values = LOOKUPS
    bodies = [{"entries": [{"criterion": p, "points": 1, "cannot_judge": False, "version": 1}]} for p in values]
    bodies += [{"comments": [{"area": p, "text": "x", "version": 1}]} for p in values]
    bodies += [{"entries": [{"criterion": "A01.1", "points": 1, "cannot_judge": False, "version": v}]}
               for v in (p for p in values if not p.lstrip("-").isdigit())]
    bodies += [{"entries": [{"criterion": "A01.1", "points": p, "cannot_judge": False, "version": 1}]} for p in values]
    bodies += [{"entries": [{"criterion": "A01.1", "points": 1, "cannot_judge": False, "version": v}]}
               for v in (2**31, 2**63, 10**30, -1)]
    for n, body in enumerate(bodies):
        target = f"/api/score/sessions/{session_id}/" + ("submit" if n % 2 else "changes")
        response = phone.post(target, json=body, headers={"X-CSRFToken": token})
        assert_handled(response, f"{target} {str(body)[:80]}")
        assert response.status_code in (400, 409), (body, response.status_code, response.get_json())
    with app.app_context():
        assert _scorecard_state(rater_id, session_id) == stored


def _scorecard_state(rater_id: int, session_id: int) -> dict:
    rater = db.session.get(RoundRater, rater_id)
    return sc.scorecard_state(sc.scorecard_for(rater=rater, session=db.session.get(ReportSession, session_id)))


def test_a_conflict_reason_is_stored_exactly_as_typed(app, world):
    """A reason is free text: kept as typed, quotes and all (bound, never interpolated)."""
    reason = "' OR '1'='1'; DROP TABLE conflicts-- \\u0000"
    phone = world.clients[PHONE]
    session_id = world.data.session_id
    token = phone.get(f"/api/score/sessions/{session_id}").get_json()["csrf_token"]
    response = phone.post(f"/api/score/sessions/{session_id}/conflict", json={"reason": reason},
                          headers={"X-CSRFToken": token})
    assert_handled(response, "conflict")
    assert response.status_code == 200 and response.get_json() == {"recused": True}
    with app.app_context():
        stored = db.session.scalars(select(Conflict.reason).where(Conflict.rater_id == world.data.rater_ids[0])).all()
        assert stored == [reason]


def test_the_verification_page_matches_only_a_real_hash(app, world):
    client = _english(app.test_client())
    before = _counts(app)
    for payload in LOOKUPS + ("0" * 64 + "' OR '1'='1", "sha256:' OR '1'='1"):
        response = client.post("/verify", data={"sha256": payload, "csrf_token": csrf_token(client, "/verify")})
        assert_handled(response, f"verify {payload[:30]!r}")
        assert response.status_code == 400, payload[:30]
        assert "A SHA-256 must be 64 hexadecimal characters" in response.get_data(as_text=True)
        assert "round.pdf" not in response.get_data(as_text=True)
    for name in ("' OR '1'='1.pdf", "x'; DROP TABLE published_files--.pdf"):
        upload = client.post("/verify", data={"csrf_token": csrf_token(client, "/verify"),
                                              "file": (io.BytesIO(b"' OR '1'='1"), name)},
                             content_type="multipart/form-data")
        assert_handled(upload, "verify upload")
        assert upload.status_code == 200
        assert "round.pdf" not in upload.get_data(as_text=True)
    real = client.post("/verify", data={"csrf_token": csrf_token(client, "/verify"),
                                        "sha256": hashlib.sha256(b"published report").hexdigest()})
    assert real.status_code == 200 and "round.pdf" in real.get_data(as_text=True)
    assert _counts(app) == before


def test_staff_forms_that_name_a_unit_by_its_code_find_none(app, world):
    staff = _english(world.clients["staff"])
    qid = world.ids["questionnaire_id"]
    with app.app_context():
        invites_before = db.session.query(Invite).count()
        targets_before = db.session.query(ParticipationTarget).count()
    for payload in FEW + TAUTOLOGIES:
        if payload == NUL:
            continue
        code = payload[:40]
        token = csrf_token(staff, f"/staff/questionnaires/{qid}/distribution")
        issued = staff.post(f"/staff/questionnaires/{qid}/invites",
                            data={"count": "1", "unit_code": code, "csrf_token": token})
        assert_handled(issued, f"invites {code!r}")
        assert issued.status_code == 302
        target = staff.post(f"/staff/questionnaires/{qid}/targets",
                            data={"unit_code": code, "percent": "50", "csrf_token": token})
        assert_handled(target, f"target {code!r}")
        assert target.status_code == 302
        page = staff.get(target.headers["Location"]).get_data(as_text=True)
        assert "There is no unit with the code" in page, code
    with app.app_context():
        assert db.session.query(Invite).count() == invites_before
        assert db.session.query(ParticipationTarget).count() == targets_before


def test_the_language_switch_refuses_injected_languages(app, world):
    client = app.test_client()
    for payload in LOOKUPS:
        response = client.post("/language", data={"lang": payload, "next": "/login",
                                                  "csrf_token": csrf_token(client)})
        assert_handled(response, f"language {payload[:30]!r}")
        assert response.status_code == 400
        assert client.get_cookie("kaimen_lang") is None
    for payload in FEW:
        if payload == NUL:
            continue
        payload = payload[:3000]  # what a browser keeps of a cookie
        client.set_cookie("kaimen_lang", payload)
        response = client.get("/login")
        assert response.status_code == 200 and '<html lang="zh-CN"' in response.get_data(as_text=True)
        client.set_cookie("kaimen_rater", payload)
        assert client.get("/score").status_code == 401


# --------------------------------------------------------------------------- NUL characters

NUL_REFUSED = "The request contains a NUL character, which no field accepts."


def _nul_refused(response, where: str) -> None:
    assert_handled(response, where)
    assert response.status_code == 400, (where, response.status_code)
    if response.mimetype == "application/json":
        assert response.get_json()["message"] == NUL_REFUSED, where
    else:
        assert NUL_REFUSED in response.get_data(as_text=True), where


def test_a_nul_character_anywhere_is_refused_before_any_lookup(app, world):
    """Regression: on PostgreSQL a NUL character in a slug, a username, a unit code or a JSON
    text reached the driver, which cannot send one in text, and the request answered 500. It is
    now refused with 400 whatever carries it; SQLite gives the same answer."""
    slug, qid = world.data.slug, world.ids["questionnaire_id"]
    anonymous = _english(app.test_client())
    staff = _english(world.clients["staff"])
    phone = _english(world.clients[PHONE])
    session_id = world.data.session_id
    before = _counts(app)
    token = csrf_token(anonymous, f"/q/{slug}")
    checks = {
        "path": lambda: anonymous.get(f"/q/{slug}%00"),
        "api path": lambda: anonymous.get("/api/v1/questionnaires/a%00b"),
        "query": lambda: anonymous.get("/join", query_string={"code": NUL}),
        "query name": lambda: anonymous.get("/login", query_string={NUL: "x"}),
        "login": lambda: anonymous.post("/login", data={"username": NUL, "password": "x", "csrf_token": token}),
        "join": lambda: anonymous.post("/join", data={"code": NUL, "csrf_token": token}),
        "invitation": lambda: anonymous.post(f"/q/{slug}/start", data={
            "client_id": "web-client-0123456789", "with_invite": "1", "invite_code": NUL, "csrf_token": token}),
        "resume": lambda: anonymous.post(f"/q/{slug}/resume", data={"resume_code": NUL, "csrf_token": token}),
        "verify": lambda: anonymous.post("/verify", data={"sha256": NUL, "csrf_token": token}),
        "file name": lambda: anonymous.post("/verify", data={"csrf_token": token, "file": (io.BytesIO(b"x"), NUL)},
                                            content_type="multipart/form-data"),
        "header": lambda: anonymous.post("/login", data={"username": "inj-admin", "password": "correct-horse-9",
                                                        "csrf_token": token}, headers={"User-Agent": NUL}),
        "unit code": lambda: staff.post(f"/staff/questionnaires/{qid}/targets", data={
            "unit_code": NUL, "percent": "50", "csrf_token": csrf_token(staff, f"/staff/questionnaires/{qid}/monitor")}),
        "api answers": lambda: anonymous.post(
            f"/api/v1/questionnaires/{slug}/responses", headers={"X-CSRFToken": _api_token(anonymous, slug)},
            json={"client_id": "api-client-0123456789", "answers": {"comment": NUL}}),
        "score comment": lambda: phone.post(
            f"/api/score/sessions/{session_id}/changes", headers={"X-CSRFToken": _phone_token(phone, session_id)},
            json={"comments": [{"area": "A01", "text": NUL, "version": 2}]}),
        "conflict reason": lambda: phone.post(
            f"/api/score/sessions/{session_id}/conflict", headers={"X-CSRFToken": _phone_token(phone, session_id)},
            json={"reason": NUL}),
    }
    for where, send in checks.items():
        _nul_refused(send(), where)
    assert _counts(app) == before
    assert anonymous.get("/dashboard").status_code == 302  # the login with a NUL header did not log in
    # An escaped backslash before "u0000" is text, not a NUL: it is kept as typed.
    text = "C:\\u0000 and \\\\u0000"
    saved = phone.post(f"/api/score/sessions/{session_id}/changes",
                       headers={"X-CSRFToken": _phone_token(phone, session_id)},
                       json={"comments": [{"area": "A01", "text": text, "version": 2}]})
    assert saved.status_code == 200, saved.get_json()
    assert saved.get_json()["scorecard"]["comments"]["A01"]["text"] == text


def _phone_token(phone, session_id: int) -> str:
    return phone.get(f"/api/score/sessions/{session_id}").get_json()["csrf_token"]


# --------------------------------------------------------------------------- SQL built as text

#: The calls that take SQL text.
SQL_CALLS = {"text", "execute", "exec_driver_sql", "executemany", "executescript", "_cursor"}
#: (file, function) where SQL is built as text, each reviewed: what goes into the text.
REVIEWED = {
    # Fixed fragments ("questionnaire_id = {}") get the driver's placeholder; values are bound.
    ("survey/services/answer_columns.py", "count"): 1,
    ("survey/services/answer_columns.py", "texts"): 1,
    ("survey/services/answer_columns.py", "parts"): 1,
    # int() of a configuration number.
    ("survey/database.py", "_on_connect"): 1,
}


class _SqlSites(ast.NodeVisitor):
    """Calls in SQL_CALLS whose first argument is built (f-string, ``%``, ``+``, ``format``), by
    the innermost function around them."""

    def __init__(self, relative: str):
        self.relative = relative
        self.stack: list[str] = []
        self.sites: dict[tuple[str, str], int] = {}

    def visit_FunctionDef(self, node):
        self.stack.append(node.name)
        self.generic_visit(node)
        self.stack.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Call(self, node):
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        first = node.args[0] if node.args else None
        built = isinstance(first, ast.JoinedStr) or (
            isinstance(first, ast.BinOp) and isinstance(first.op, (ast.Mod, ast.Add))) or (
            isinstance(first, ast.Call) and isinstance(first.func, ast.Attribute) and first.func.attr == "format")
        if name in SQL_CALLS and built:
            key = (self.relative, self.stack[-1] if self.stack else "<module>")
            self.sites[key] = self.sites.get(key, 0) + 1
        self.generic_visit(node)


def _dynamic_sql_sites() -> dict[tuple[str, str], int]:
    sites: dict[tuple[str, str], int] = {}
    for folder in ("survey", "forms", "scoring"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if relative.startswith("survey/migrations/"):
                continue  # run by ``kaimen db upgrade`` from the command line: no request reaches them
            source = path.read_text(encoding="utf-8")
            if not any(f"{call}(" in source for call in SQL_CALLS):
                continue
            visitor = _SqlSites(relative)
            visitor.visit(ast.parse(source))
            sites.update(visitor.sites)
    return sites


def test_sql_built_as_text_takes_no_request_input():
    """Every place that builds SQL with an f-string, ``%`` or ``format`` is on the reviewed list
    above; a new one fails here until someone checks that no request input reaches it."""
    assert _dynamic_sql_sites() == REVIEWED
