"""Checklist: XSS. Payloads typed into every free-text field are stored verbatim and shown escaped.

A crawler walks every page an admin can reach by links (at most a few pages per URL shape),
plus the respondent's pages and the phone's scoring pages, and checks that no payload appears
as markup. JSON answers carry the text as data, served as application/json with nosniff.
"""

from __future__ import annotations

import re
from collections import Counter
from html.parser import HTMLParser

import pytest
from flask import g
from markupsafe import escape

from survey.extensions import db
from survey.models import OrgUnit, Questionnaire, Round, RoundRater
from tests.conftest import csrf_token
from tests.security.builders import RAW_MARKERS, RL, XSS, payload_world

SKIP_SUFFIXES = (".pdf", ".xlsx", ".csv", ".sav", ".png", ".svg", ".zip", ".js", ".css")
PER_SHAPE = 2


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.javascript_urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value and name in ("href", "src", "action", "formaction") and value.strip().lower().startswith("javascript:"):
                self.javascript_urls.append(value)
            if tag == "a" and name == "href" and value:
                self.links.append(value)


def assert_escaped(body: str, where: str) -> None:
    for marker in RAW_MARKERS:
        assert marker not in body, f"{where} shows {marker!r} unescaped"
    parser = _Links()
    parser.feed(body)
    assert not parser.javascript_urls, f"{where} links to {parser.javascript_urls}"


def crawl(client, starts, limit: int = 160) -> dict[str, str]:
    """GET every same-site link reachable from ``starts``; returns {path: body} of the HTML pages."""
    seen: set[str] = set()
    shapes: Counter = Counter()
    queue = list(starts)
    pages: dict[str, str] = {}
    while queue and len(pages) < limit:
        path = queue.pop(0).split("#")[0]
        shape = re.sub(r"\d+", "N", path.split("?")[0])
        if (not path.startswith("/") or path.startswith("//") or path in seen or path.startswith("/static/")
                or path.split("?")[0].endswith(SKIP_SUFFIXES) or shapes[shape] >= PER_SHAPE):
            continue
        seen.add(path)
        shapes[shape] += 1
        response = client.get(path)
        assert response.status_code < 500, f"{path}: {response.status_code}"
        if response.mimetype == "application/json":
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            continue
        if response.mimetype != "text/html":
            continue
        body = response.get_data(as_text=True)
        assert_escaped(body, path)
        pages[path] = body
        parser = _Links()
        parser.feed(body)
        queue.extend(link for link in parser.links if link not in seen)
    return pages


@pytest.fixture
def world(app):
    with app.app_context():
        return payload_world()


def test_payloads_are_stored_verbatim(app, world):
    with app.app_context():
        assert db.session.get(Round, world.round_id).name == XSS + " " + RL
        assert db.session.get(Questionnaire, world.questionnaire_id).title.startswith(XSS)
        assert db.session.get(RoundRater, world.rater_ids[0]).name.startswith(XSS)
        assert db.session.get(OrgUnit, world.unit_id).name_en == XSS + " " + RL


def test_every_staff_page_shows_the_payloads_escaped(app, client, make_user, login, world):
    make_user("admin", username="xssadmin")
    login("xssadmin")
    client.set_cookie("kaimen_lang", "en")
    starts = ["/dashboard", "/staff/rounds/", f"/staff/rounds/{world.round_id}", "/staff/questionnaires/",
              f"/staff/questionnaires/{world.questionnaire_id}/analysis",
              f"/staff/questionnaires/{world.questionnaire_id}/edit",
              f"/staff/rounds/{world.round_id}/sessions/{world.session_id}",
              f"/staff/rounds/{world.round_id}/sessions/{world.session_id}/live",
              f"/staff/units/{world.unit_id}", "/staff/users", "/evaluator/"]
    pages = crawl(client, starts)
    shown = [path for path, body in pages.items() if str(escape(XSS)) in body]
    # The payload reached the pages that show these names, escaped.
    for must in starts[1:9]:
        assert must in shown, f"{must} does not show the escaped payload"
    assert len(pages) > 25
    live = client.get(f"/staff/rounds/{world.round_id}/sessions/{world.session_id}/live.json")
    assert live.status_code == 200 and live.mimetype == "application/json"
    assert live.headers["X-Content-Type-Options"] == "nosniff"


def test_the_chinese_pages_escape_them_too(app, client, make_user, login, world):
    make_user("admin", username="xsszh")
    login("xsszh")
    for path in (f"/staff/rounds/{world.round_id}", f"/staff/questionnaires/{world.questionnaire_id}/analysis",
                 f"/staff/units/{world.unit_id}"):
        body = client.get(path).get_data(as_text=True)
        assert_escaped(body, path)
        assert str(escape(XSS)) in body, path


def test_respondent_pages_show_the_questionnaire_escaped(app, client, world):
    client.set_cookie("kaimen_lang", "en")
    landing = client.get(f"/q/{world.slug}")
    assert landing.status_code == 200
    assert_escaped(landing.get_data(as_text=True), "landing")
    token = csrf_token(client, f"/q/{world.slug}")
    client_id = re.search(r'name="client_id" value="([^"]+)"', landing.get_data(as_text=True)).group(1)
    started = client.post(f"/q/{world.slug}/start", data={"csrf_token": token, "client_id": client_id},
                          follow_redirects=True)
    assert started.status_code == 200
    assert_escaped(started.get_data(as_text=True), "first section")
    main = client.get(f"/q/{world.slug}/s/main")
    body = main.get_data(as_text=True)
    assert_escaped(body, "main section")
    if main.status_code == 200:
        assert str(escape(XSS)) in body
    api = client.get(f"/api/v1/questionnaires/{world.slug}?lang=en")
    assert api.mimetype == "application/json" and api.headers["X-Content-Type-Options"] == "nosniff"
    assert XSS in str(api.get_json())


def test_the_phone_pages_show_names_and_comments_escaped(app, world):
    phone = app.test_client()
    phone.set_cookie("kaimen_lang", "en")
    with app.app_context():
        g.pop("csrf_token", None)
        token = csrf_token(phone, "/join")
        rater = world.rater_ids[0]
        assert phone.post("/join", data={"code": world.codes[rater], "csrf_token": token}).status_code == 302
        for path in ("/score", f"/score/sessions/{world.session_id}"):
            response = phone.get(path)
            assert response.status_code == 200, path
            body = response.get_data(as_text=True)
            assert_escaped(body, path)
            assert str(escape(XSS)) in body, path
        state = phone.get(f"/api/score/sessions/{world.session_id}")
        assert state.mimetype == "application/json"
        assert XSS in str(state.get_json())
