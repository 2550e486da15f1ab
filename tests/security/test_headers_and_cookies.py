"""Checklist: every kind of response carries the declared headers; every cookie is locked down.

The headers (``survey/security.py``): the CSP, ``nosniff``, ``X-Frame-Options: DENY``,
``Referrer-Policy: same-origin``, a Permissions-Policy, HSTS over HTTPS, and
``Cache-Control: no-store`` on everything that may hold personal data or a CSRF token: pages,
JSON, error pages and downloads. Static files and the service worker choose ``no-cache``
(revalidate; nothing personal in them). Downloads also say ``attachment`` with a plain ASCII
file name, so no browser renders them and no name can inject a header.

Cookies: Kaimen sets three (grep ``set_cookie``): the session (``kaimen_session``), the
language (``kaimen_lang``) and the scoring phone's binding (``kaimen_rater``). Flask-Login's
remember cookie is never issued. Each is HttpOnly, SameSite=Lax, Path=/, and Secure whenever
the request came over HTTPS (or always, with ``KAIMEN_SESSION_COOKIE_SECURE``).
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from survey import create_app
from survey.access import public
from survey.extensions import db
from survey.hooks import DatabaseUnavailable
from survey.models import Round
from survey.security import CSP
from survey.services import questionnaires as qs
from survey.services.publication_files import file_prefix
from tests.conftest import csrf_token
from tests.security.builders import payload_world

HTTPS = "https://kaimen.example"
#: A download's file name: ASCII letters, digits, dot, dash and underscore, with an extension.
SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\.[a-z0-9]+")
COOKIES = {"kaimen_session", "kaimen_lang", "kaimen_rater"}


def assert_declared(response, where: str, *, https: bool = False, cache: str = "no-store") -> None:
    headers = response.headers
    assert headers.get("Content-Security-Policy") == CSP, where
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("X-Frame-Options") == "DENY", where
    assert headers.get("Referrer-Policy") == "same-origin", where
    assert "camera=()" in headers.get("Permissions-Policy", ""), where
    assert headers.get("Cache-Control") == cache, (where, headers.get("Cache-Control"))
    if https:
        assert headers.get("Strict-Transport-Security", "").startswith("max-age="), where
    else:
        assert "Strict-Transport-Security" not in headers, where


def assert_download(response, where: str, mimetype: str) -> str:
    """A stored file served as a download; returns its file name."""
    assert response.status_code == 200, (where, response.status_code, response.get_data(as_text=True)[:300])
    assert response.mimetype == mimetype, (where, response.mimetype)
    assert_declared(response, where)
    match = re.fullmatch(r'attachment; filename="?([^";]+)"?', response.headers.get("Content-Disposition", ""))
    assert match, (where, response.headers.get("Content-Disposition"))
    assert SAFE_NAME.fullmatch(match.group(1)), (where, match.group(1))
    return match.group(1)


@pytest.fixture
def world(app):
    """The payload world (names full of markup) plus a publication of its round."""
    from tests.survey.test_evaluator_portal import _fake_publication

    with app.app_context():
        built = payload_world()
        round = db.session.get(Round, built.round_id)
        prefix = file_prefix({"version": 1, "facts": {"round": {"id": round.id}}})
        publication = _fake_publication(round, 1, {f"{prefix}-round-report.pdf": b"%PDF-1.4 report",
                                                   f"{prefix}-raw-scores.csv": b"unit,rater\nA,R01\n"})
        files = {f.filename.rsplit(".", 1)[1]: f.id for f in publication.files}
        framework_id = round.framework_version.framework_id
        # A unit code a session sheet's file name must not carry into the header as typed.
        session_unit = next(s.unit for s in round.sessions if s.id == built.session_id)
        session_unit.code = 'SHEET"; x=1\\..'
        db.session.commit()
        return {"built": built, "publication": publication.id, "files": files, "framework": framework_id}


@pytest.fixture
def staff(client, make_user, login):
    make_user("staff", username="headerstaff")
    assert login("headerstaff").status_code == 302
    return client


def _rater_phone(app, world):
    phone = app.test_client()
    code = world["built"].codes[world["built"].rater_ids[1]]
    page = phone.get("/join")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    assert phone.post("/join", data={"code": code, "csrf_token": token}).status_code == 302
    return phone


# --------------------------------------------------------------------------- pages and JSON


def test_pages_and_json_carry_the_headers_and_no_store(app, staff, world):
    built = world["built"]
    q, r, s = built.questionnaire_id, built.round_id, built.session_id
    pages = ["/dashboard", "/staff/units", f"/staff/questionnaires/{q}/distribution", f"/staff/questionnaires/{q}/edit",
             f"/staff/questionnaires/{q}/analysis", f"/staff/rounds/{r}", f"/staff/rounds/{r}/plan",
             f"/staff/rounds/{r}/sessions/{s}", "/evaluator/", f"/q/{built.slug}", "/verify", "/join"]
    for path in pages:
        response = staff.get(path)
        assert response.status_code == 200 and response.mimetype == "text/html", path
        assert_declared(response, path)
    json_paths = ["/api/v1/openapi.json", f"/api/v1/questionnaires/{built.slug}", "/healthz",
                  f"/staff/rounds/{r}/sessions/{s}/live.json"]
    for path in json_paths:
        response = staff.get(path)
        assert response.status_code == 200 and response.mimetype == "application/json", path
        assert_declared(response, path)
    phone = _rater_phone(app, world)
    for path in ("/score", f"/score/sessions/{s}", f"/api/score/sessions/{s}"):
        response = phone.get(path)
        assert response.status_code == 200, path
        assert_declared(response, path)


def test_an_api_submission_answer_is_not_stored_by_caches(app, world):
    """It had no Cache-Control before the default became no-store."""
    from tests.survey.test_api import _submit, _token

    client = app.test_client()
    slug = world["built"].slug
    token = _token(client, slug)
    response = _submit(client, token, {"client_id": "headers-client-0123456789", "answers": {}}, slug=slug)
    assert response.status_code in (201, 400)
    assert_declared(response, "submission")


def test_https_pages_say_strict_transport_security(app, client):
    response = client.get("/login", base_url=HTTPS)
    assert_declared(response, "/login over https", https=True)


def test_static_files_and_the_service_worker_revalidate_and_carry_the_headers(client):
    for path in ("/static/css/kaimen.css", "/static/js/score.js", "/score/sw.js"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_declared(response, path, cache="no-cache")
        assert response.mimetype in ("text/css", "text/javascript"), (path, response.mimetype)


# --------------------------------------------------------------------------- error pages


@pytest.fixture
def failing_app(tmp_path, database_url):
    """A production-like app (not TESTING) whose extra routes fail, for the 500 and 503 pages."""
    app = create_app({"DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path), "CHECK_SCHEMA": False})

    @app.route("/boom")
    @public
    def boom():
        raise RuntimeError("secret internal detail")

    @app.route("/database-down")
    @public
    def database_down():
        raise DatabaseUnavailable("connection refused")

    yield app
    with app.app_context():
        db.engine.dispose()


def test_error_pages_of_every_status_carry_the_headers(app, client, make_user, login, world, monkeypatch):
    seen = {}

    def check(response, status: int, where: str, mimetype: str = "text/html"):
        assert response.status_code == status, (where, response.status_code)
        assert response.mimetype == mimetype, (where, response.mimetype)
        assert_declared(response, where)
        seen[(status, mimetype)] = where

    check(client.post("/login", data={"username": "x", "password": "y"}), 400, "CSRF refused")
    check(client.get("/no-such-page"), 404, "404")
    check(client.get("/no-such-page", headers={"Accept": "application/json"}), 404, "404 JSON", "application/json")
    check(client.get("/api/v1/questionnaires/no-such-slug"), 404, "API 404", "application/json")
    check(client.get("/logout"), 405, "405")
    check(client.get(f"/score/sessions/{world['built'].session_id}"), 401, "phone not joined")
    check(client.get(f"/api/score/sessions/{world['built'].session_id}"), 401, "phone API", "application/json")
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2000)
    check(client.post("/login", data={"username": "x" * 3000, "password": "y"}), 413, "413")
    monkeypatch.setitem(app.config, "LOGIN_MAX_FAILURES", 1)
    login("nobody-here", "wrong-password")
    check(login("nobody-here", "wrong-password"), 429, "login throttle")
    monkeypatch.setitem(app.config, "JOIN_MAX_FAILURES_PER_IP", 1)
    for _ in range(2):
        joined = client.post("/join", data={"code": "ZZZZZ-ZZZZZ", "csrf_token": csrf_token(client, "/join")})
    check(joined, 429, "join throttle")
    assert int(joined.headers["Retry-After"]) > 0
    make_user("representative", username="header-rep")
    login("header-rep")
    check(client.get("/staff/units"), 403, "403")
    assert {status for status, _mimetype in seen} >= {400, 401, 403, 404, 405, 413, 429}


def test_500_and_503_pages_carry_the_headers(failing_app):
    client = failing_app.test_client()
    for accept, mimetype in (("text/html", "text/html"), ("application/json", "application/json")):
        crashed = client.get("/boom", headers={"Accept": accept})
        assert crashed.status_code == 500 and crashed.mimetype == mimetype
        assert "secret internal detail" not in crashed.get_data(as_text=True)
        assert_declared(crashed, f"500 {accept}")
        down = client.get("/database-down", headers={"Accept": accept})
        assert down.status_code == 503 and down.mimetype == mimetype
        assert down.headers["Retry-After"] == "5"
        assert_declared(down, f"503 {accept}")


# --------------------------------------------------------------------------- downloads


def test_every_download_is_an_attachment_with_a_safe_name_and_no_store(app, staff, make_user, login, world):
    built = world["built"]
    q, r, s = built.questionnaire_id, built.round_id, built.session_id
    names = []
    plan_token = csrf_token(staff, f"/staff/rounds/{r}/plan")
    sheet = staff.post(f"/staff/rounds/{r}/sessions/{s}/sheet", data={"csrf_token": plan_token})
    names.append(assert_download(sheet, "session sheet", "application/pdf"))
    assert names[-1] == "session-sheet-SHEET_x_1.pdf"  # the hostile unit code, cleaned
    downloads = {
        f"/staff/questionnaires/{q}/analysis/report.pdf": "application/pdf",
        f"/staff/questionnaires/{q}/analysis.csv": "text/csv",
        f"/staff/questionnaires/{q}/analysis.json": "application/json",
        f"/staff/questionnaires/{q}/qr.png": "image/png",
        f"/staff/questionnaires/{q}/qr.svg": "image/svg+xml",
        f"/staff/questionnaires/{q}/export/json": "application/json",
        f"/staff/questionnaires/{q}/export/xlsform": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        f"/staff/rounds/{r}/conflicts.csv": "text/csv",
        f"/staff/frameworks/{world['framework']}/export.xlsx":
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        f"/staff/rounds/{r}/publications/{world['publication']}/files/{world['files']['pdf']}": "application/pdf",
        f"/staff/rounds/{r}/publications/{world['publication']}/files/{world['files']['csv']}": "text/csv",
    }
    for fmt, mimetype in (("csv", "text/csv"), ("json", "application/json"), ("sav", "application/x-spss-sav"),
                          ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")):
        downloads[f"/staff/questionnaires/{q}/analysis/responses.{fmt}"] = mimetype
    for path, mimetype in downloads.items():
        names.append(assert_download(staff.get(path), path, mimetype))
    token = csrf_token(staff, f"/staff/questionnaires/{q}/distribution")
    codes = staff.post(f"/staff/questionnaires/{q}/invites", data={"csrf_token": token, "count": "3"})
    names.append(assert_download(codes, "invitation codes", "text/csv"))  # one-time codes: never cached

    # The evaluator portal: a closed questionnaire and the published round.
    with app.app_context():
        qs.close_questionnaire(questionnaire=qs.get_questionnaire(slug=built.slug))
        db.session.commit()
    make_user("evaluator", username="header-eva")
    login("header-eva")
    portal = {
        f"/evaluator/rounds/{r}/publications/{world['publication']}/files/{world['files']['pdf']}": "application/pdf",
        f"/evaluator/questionnaires/{q}/needs-report.pdf": "application/pdf",
    }
    for fmt, mimetype in (("csv", "text/csv"), ("json", "application/json"), ("sav", "application/x-spss-sav"),
                          ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")):
        portal[f"/evaluator/questionnaires/{q}/responses.{fmt}"] = mimetype
    for path, mimetype in portal.items():
        names.append(assert_download(staff.get(path), path, mimetype))
    assert len(names) == 1 + len(downloads) + 1 + len(portal)


# --------------------------------------------------------------------------- cookies


def _cookies(response) -> list[tuple[str, set[str]]]:
    out = []
    for header in response.headers.getlist("Set-Cookie"):
        name = header.split("=", 1)[0]
        attributes = {part.strip().lower() for part in header.split(";")[1:]}
        out.append((name, attributes))
    return out


def _walk(app, world, base_url: str, make_user) -> list[tuple[str, str, set[str]]]:
    """Log in, switch language, log out; join a phone and leave: every cookie any of it sets."""
    make_user("staff", username="cookie-walker")
    client = app.test_client()
    referer = {"Referer": f"{base_url}/login"}
    seen = []

    def note(step, response):
        assert response.status_code < 400, (step, response.status_code)
        seen.extend((step, name, attributes) for name, attributes in _cookies(response))
        return response

    page = note("login page", client.get("/login", base_url=base_url))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    note("login", client.post("/login", base_url=base_url, headers=referer,
                              data={"username": "cookie-walker", "password": "correct-horse-9", "csrf_token": token}))
    page = client.get("/dashboard", base_url=base_url)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    note("language", client.post("/language", base_url=base_url, headers=referer,
                                 data={"lang": "en", "next": "/dashboard", "csrf_token": token}))
    note("logout", client.post("/logout", base_url=base_url, headers=referer, data={"csrf_token": token}))

    phone = app.test_client()
    page = note("join page", phone.get("/join", base_url=base_url))
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    code = world["built"].codes[world["built"].rater_ids[2]]
    note("join", phone.post("/join", base_url=base_url, headers=referer, data={"code": code, "csrf_token": token}))
    note("leave", phone.post("/score/leave", base_url=base_url, headers=referer, data={"csrf_token": token}))
    return seen


@pytest.mark.parametrize("base_url,forced,secure", [
    (HTTPS, False, True),
    ("http://kaimen.example", False, False),
    ("http://kaimen.example", True, True),  # KAIMEN_SESSION_COOKIE_SECURE=true
])
def test_every_cookie_is_httponly_lax_and_secure_over_https(app, world, make_user, monkeypatch, base_url, forced,
                                                            secure):
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", forced)
    seen = _walk(app, world, base_url, make_user)
    names = {name for _step, name, _attributes in seen}
    assert names == COOKIES, names  # no remember_token, nothing else
    steps = {step for step, _name, _attributes in seen}
    assert {"login", "language", "join", "leave"} <= steps
    for step, name, attributes in seen:
        assert "httponly" in attributes, (step, name)
        assert "samesite=lax" in attributes, (step, name)
        assert "path=/" in attributes, (step, name)
        assert ("secure" in attributes) is secure, (step, name, attributes)
        assert not any(a.startswith("domain=") for a in attributes), (step, name)  # host-only


def test_the_rater_cookie_lives_only_until_the_code_would_have_expired(app, world):
    from survey.models import JoinCode

    phone = _rater_phone(app, world)
    with app.app_context():
        expires = db.session.scalar(select(JoinCode.expires_at).where(JoinCode.used_at.is_not(None)))
    cookie = phone.get_cookie("kaimen_rater")
    assert cookie is not None and cookie.http_only
    assert abs(cookie.expires.timestamp() - expires.timestamp()) < 2
