"""Checklist: fields a request adds on its own never reach the stored rows.

Every write takes its fields from a fixed list: the JSON API and the phone's JSON endpoints
refuse an unknown field by name (400, nothing stored), and the HTML forms are WTForms classes
that read only their own fields. Each test sends the same change twice, once as an honest
client would and once with extra fields that name columns (``locked``, ``rater_id``,
``role``, ``id``, ``status``, ``submitted_at``, ``receipt`` ...), and compares what was
stored: the refused request stores nothing, the accepted one stores exactly what the honest
one did.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from flask import g
from sqlalchemy import select

from survey.extensions import db
from survey.models import (
    Questionnaire,
    QuestionnaireKind,
    ReportSession,
    Response,
    Role,
    Round,
    RoundRater,
    Scorecard,
    User,
)
from survey.services import questionnaires as qs
from survey.services import scorecards as sc
from tests.conftest import csrf_token

#: Column names an attacker would try, with values an honest client never sends.
EXTRA_NAMES = ("locked", "rater_id", "role", "id", "status", "submitted_at", "receipt", "user_id", "enabled",
               "is_admin", "questionnaire_id", "unit_id", "round_id", "version")


def extras(**values) -> dict:
    """The extra fields, each with a tempting value (ids may be pointed at someone else's rows)."""
    tempting = {"locked": "1", "rater_id": "1", "role": "admin", "id": "1", "status": "submitted",
                "submitted_at": "2000-01-01T00:00:00", "receipt": "0" * 64, "user_id": "1", "enabled": "0",
                "is_admin": "1", "questionnaire_id": "1", "unit_id": "1", "round_id": "1", "version": "99"}
    tempting.update({k: str(v) for k, v in values.items()})
    assert set(tempting) == set(EXTRA_NAMES)
    return tempting


class _FormFields(HTMLParser):
    """The name/value pairs a browser would submit from a page's POST form: the first one posting
    to ``action``, or (``action`` None) the first one posting back to the page itself."""

    def __init__(self, action: str | None):
        super().__init__()
        self.action = action
        self.depth = 0  # inside the wanted form
        self.done = False
        self.fields: list[tuple[str, str]] = []
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and not self.done and self.depth == 0 and (a.get("method") or "").lower() == "post":
            target = a.get("action")
            wanted = target is None if self.action is None else (target or "").endswith(self.action)
            if wanted:
                self.depth = 1
            return
        if not self.depth:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.fields.append((name, a.get("value") or "on"))
            elif kind not in ("submit", "button", "file"):
                self.fields.append((name, a.get("value") or ""))
        elif tag == "select" and name:
            self._select, self._options = name, []
        elif tag == "option" and self._select is not None:
            self._options.append((a.get("value") or "", "selected" in a))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []

    def handle_data(self, data):
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if not self.depth:
            return
        if tag == "select" and self._select is not None:
            chosen = [v for v, selected in self._options if selected] or [v for v, _s in self._options[:1]]
            self.fields.extend((self._select, v) for v in chosen)
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            text = "".join(self._text)  # a browser drops the newline right after <textarea>
            self.fields.append((self._textarea, text[2:] if text.startswith("\r\n") else text.removeprefix("\n")))
            self._textarea = None
        elif tag == "form":
            self.depth = 0
            self.done = bool(self.fields)


def form_fields(page: str, action: str | None = None) -> dict[str, str]:
    parser = _FormFields(action)
    parser.feed(page)
    assert parser.fields, "no POST form on the page"
    return dict(parser.fields)


def columns(row, *skip: str) -> dict:
    """A row's column values, without the ones that differ between two honest rows."""
    return {c.key: getattr(row, c.key) for c in row.__table__.columns if c.key not in skip}


# --------------------------------------------------------------------------- the JSON API


def test_the_api_refuses_extra_fields_by_name_and_stores_nothing(app, client):
    from tests.survey.test_api import VALID, _publish, _rows, _submit, _token

    slug = _publish(app)
    token = _token(client, slug)
    body = {"client_id": "mass-assignment-0001", "answers": VALID, **extras()}
    refused = _submit(client, token, body, slug=slug)
    assert refused.status_code == 400
    errors = refused.get_json()["errors"]
    assert set(errors) == set(EXTRA_NAMES)
    assert all(e == ["Unknown field; a submission has only client_id, answers and invite_code."]
               for e in errors.values())
    assert _rows(app) == []
    # The honest request afterwards is stored exactly as it would have been without the attempt.
    honest = _submit(client, token, {"client_id": "mass-assignment-0001", "answers": VALID}, slug=slug)
    control = _submit(client, token, {"client_id": "mass-assignment-0002", "answers": VALID}, slug=slug)
    assert honest.status_code == control.status_code == 201
    with app.app_context():
        rows = db.session.scalars(select(Response).order_by(Response.id)).all()
        assert len(rows) == 2
        skip = ("id", "client_id", "started_at", "updated_at", "submitted_at", "resume_key_hash")
        assert columns(rows[0], *skip) == columns(rows[1], *skip)


def test_answers_naming_columns_are_refused_as_unknown_questions(app, client):
    from tests.survey.test_api import VALID, _publish, _rows, _submit, _token

    slug = _publish(app)
    answers = {**VALID, "status": "submitted", "submitted_at": "2000-01-01", "questionnaire_id": 1}
    refused = _submit(client, _token(client, slug), {"client_id": "mass-assignment-0003", "answers": answers},
                      slug=slug)
    assert refused.status_code == 400
    assert set(refused.get_json()["errors"]) == {"status", "submitted_at", "questionnaire_id"}
    assert _rows(app) == []


# --------------------------------------------------------------------------- the scoring phone


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app


@pytest.fixture
def scoring(ctx):
    """An open session, two phones joined as two panel members."""
    from tests.survey.test_scoring_views import joinable, joined

    world = joinable()
    first, first_id = joined(ctx, world, 0)
    second, second_id = joined(ctx, world, 1)
    return world, (first, first_id), (second, second_id)


def _state(world, rater_id) -> dict:
    db.session.expire_all()
    rater = db.session.get(RoundRater, rater_id)
    session = db.session.get(ReportSession, world["session"])
    return sc.scorecard_state(sc.scorecard_for(rater=rater, session=session))


def _cards() -> list[tuple]:
    db.session.expire_all()
    return [(c.rater_id, c.status.value, c.receipt) for c in db.session.scalars(select(Scorecard).order_by(Scorecard.id))]


def test_the_phone_json_refuses_extra_fields_and_keeps_the_scorecard(scoring):
    from tests.survey.test_scoring_views import api_token, criteria, entry, post_json

    world, (phone, rater_id), (_other, other_id) = scoring
    code = criteria(world)[0][1]["code"]
    token = api_token(phone, world["session"])
    url = f"/api/score/sessions/{world['session']}/changes"
    assert post_json(phone, url, {"entries": [entry(code, 1)]}, token).status_code == 200
    before, cards = _state(world, rater_id), _cards()
    top = {"entries": [entry(code, 2, version=2)], **extras(rater_id=other_id)}
    nested = {"entries": [{**entry(code, 2, version=2), "rater_id": other_id, "locked": True, "status": "submitted"}]}
    for body in (top, nested):
        for path in ("changes", "submit"):
            response = post_json(phone, f"/api/score/sessions/{world['session']}/{path}", body, token)
            assert response.status_code == 400, (path, response.get_json())
            assert response.get_json()["code"] == "malformed"
            assert _state(world, rater_id) == before and _cards() == cards
    assert _state(world, other_id)["status"] == "none"


def test_the_scorecard_form_ignores_extra_fields(scoring):
    """Rater A saves with extra fields naming rater B, a locked status and a receipt; rater B
    saves the same scores honestly. A's card holds exactly what B's does; nothing is locked."""
    from tests.survey.test_scoring_views import full_form, token_for

    world, (phone, rater_id), (other, other_id) = scoring
    path = f"/score/sessions/{world['session']}"
    token = token_for(phone, path)
    data = full_form(world, token, _action="save")
    data.update(extras(rater_id=other_id, round_id=world["round"]))
    assert phone.post(path, data=data).status_code == 302
    g.pop("csrf_token", None)
    honest = full_form(world, token_for(other, path), _action="save")
    assert other.post(path, data=honest).status_code == 302
    mine, theirs = _state(world, rater_id), _state(world, other_id)
    assert mine["status"] == "draft" and mine["receipt"] is None and mine["submitted_at"] is None
    assert mine == theirs
    assert sorted((r, s) for r, s, _receipt in _cards()) == sorted([(rater_id, "draft"), (other_id, "draft")])


def test_a_submitted_scorecard_gets_its_own_receipt_not_the_posted_one(scoring):
    from tests.survey.test_scoring_views import full_form, token_for

    world, (phone, rater_id), (_other, other_id) = scoring
    path = f"/score/sessions/{world['session']}"
    data = full_form(world, token_for(phone, path))
    data.update(extras(rater_id=other_id, status="draft", submitted_at="1999-12-31T00:00:00"))
    assert phone.post(path, data=data).status_code == 302
    mine = _state(world, rater_id)
    assert mine["status"] == "submitted"
    assert re.fullmatch(r"[0-9a-f]{64}", mine["receipt"]) and mine["receipt"] != "0" * 64
    assert not mine["submitted_at"].startswith("1999")
    assert _state(world, other_id)["status"] == "none"


# --------------------------------------------------------------------------- staff forms


@pytest.fixture
def admin(client, make_user, login):
    admin_id = make_user("admin", username="mass-admin")
    login("mass-admin")
    return client, admin_id


def test_creating_a_user_stores_only_the_form_fields(app, admin):
    client, admin_id = admin
    token = csrf_token(client, "/staff/users")
    form = {"role": "staff", "password": "0123456789ab", "confirm": "0123456789ab", "csrf_token": token}
    honest = client.post("/staff/users", data={**form, "username": "honest-user", "display_name": "Same Name"})
    # The role is this form's own field (the administrator picks it): the extras come first and
    # the form's fields win, as they would in a browser that sent both.
    tampered = client.post("/staff/users", data={
        **extras(id=admin_id, user_id=admin_id), "password_hash": "plain", "locale": "xx", "login_key": "k",
        **form, "username": "tampered-user", "display_name": "Same Name"})
    assert honest.status_code == tampered.status_code == 302
    with app.app_context():
        rows = {u.username: u for u in db.session.scalars(select(User).where(
            User.username.in_(["honest-user", "tampered-user"])))}
        skip = ("id", "username", "password_hash", "created_at")
        assert columns(rows["tampered-user"], *skip) == columns(rows["honest-user"], *skip)
        assert rows["tampered-user"].role is Role.STAFF and rows["tampered-user"].enabled is True
        assert rows["tampered-user"].password_hash.startswith("scrypt:")
        assert db.session.get(User, admin_id).username == "mass-admin"  # the id pointed at was not touched


def test_a_staff_member_cannot_make_themselves_admin(app, client, make_user, login):
    me = make_user("staff", username="mass-staff")
    control = make_user("staff", username="mass-control")
    login("mass-staff")
    token = csrf_token(client, "/dashboard")
    response = client.post("/language", data={"lang": "en", "next": "/dashboard", "csrf_token": token,
                                              **extras(id=control, user_id=control), "username": "mass-control",
                                              "display_name": "Boss"})
    assert response.status_code == 302
    for path in ("/staff/users", f"/staff/users/{me}/enabled"):
        denied = client.post(path, data={"csrf_token": token, **extras(id=me, user_id=me), "username": "x",
                                         "password": "0123456789ab", "confirm": "0123456789ab"})
        assert denied.status_code == 403, path
    client.post("/logout", data={"csrf_token": token})
    login("mass-control")  # the honest request: only the language
    token = csrf_token(client, "/dashboard")
    assert client.post("/language", data={"lang": "en", "next": "/dashboard", "csrf_token": token}).status_code == 302
    with app.app_context():
        mine, theirs = db.session.get(User, me), db.session.get(User, control)
        skip = ("id", "username", "password_hash", "display_name", "created_at")
        assert columns(mine, *skip) == columns(theirs, *skip)
        assert (mine.role, mine.enabled, mine.locale) == (Role.STAFF, True, "en")
        assert (theirs.username, theirs.display_name) == ("mass-control", "mass-control")


def _questionnaire_snapshot(questionnaire_id: int) -> dict:
    q = db.session.get(Questionnaire, questionnaire_id)
    versions = [(v.number, v.frozen, v.spec) for v in sorted(q.versions, key=lambda v: v.number)]
    return {"row": columns(q, "id", "slug", "created_at", "updated_at"), "versions": versions}


def test_questionnaire_settings_take_only_the_form_fields(app, client, make_user, login):
    from tests.forms.conftest import make_questionnaire

    make_user("staff", username="mass-editor")
    with app.app_context():
        twins = [qs.create_questionnaire(spec=make_questionnaire(), kind=QuestionnaireKind.NEEDS).id for _ in "ab"]
        db.session.commit()
    login("mass-editor")
    honest_id, tampered_id = twins
    page = client.get(f"/staff/questionnaires/{honest_id}/settings").get_data(as_text=True)
    fields = form_fields(page)
    fields.update(title_zh="新标题", description_en="Changed introduction")
    assert client.post(f"/staff/questionnaires/{honest_id}/settings", data=fields).status_code == 302
    tampered = {**fields, **extras(id=honest_id, questionnaire_id=honest_id), "slug": "chosen-slug",
                "kind": "satisfaction", "anonymous_override": "1", "closes_at": "2000-01-01"}
    assert client.post(f"/staff/questionnaires/{tampered_id}/settings", data=tampered).status_code == 302
    with app.app_context():
        assert _questionnaire_snapshot(tampered_id) == _questionnaire_snapshot(honest_id)
        row = db.session.get(Questionnaire, tampered_id)
        assert row.slug != "chosen-slug" and row.kind is QuestionnaireKind.NEEDS
        assert row.status.value == "draft"


def _round_snapshot(round_id: int) -> dict:
    db.session.expire_all()
    r = db.session.get(Round, round_id)
    return {"row": columns(r, "id", "created_at", "updated_at"),
            "units": sorted(s.unit_id for s in r.sessions), "raters": len(r.raters)}


def test_round_settings_take_only_the_form_fields(app, client, make_user, login):
    from tests.survey.round_builders import seed_round

    make_user("staff", username="mass-rounds")
    with app.app_context():
        twins = [seed_round(scheduled=False).id for _ in "ab"]
        db.session.commit()
        first, second = (_round_snapshot(t) for t in twins)
        first["row"].pop("framework_version_id"), second["row"].pop("framework_version_id")
        assert first == second  # the same but for their framework versions, which the form sets
    login("mass-rounds")
    honest_id, tampered_id = twins
    page = client.get(f"/staff/rounds/{honest_id}/edit").get_data(as_text=True)
    fields = form_fields(page)
    fields.update(name="改过的名字", period="2015")
    assert client.post(f"/staff/rounds/{honest_id}/edit", data=fields).status_code == 302
    tampered = {**fields, **extras(id=honest_id, round_id=honest_id, status="open"), "created_by_id": "1",
                "settings": '{"method": "median"}', "panel_spec": '{"mode": "committee"}'}
    assert client.post(f"/staff/rounds/{tampered_id}/edit", data=tampered).status_code == 302
    with app.app_context():
        assert _round_snapshot(tampered_id) == _round_snapshot(honest_id)
        assert db.session.get(Round, tampered_id).status.value == "setup"
        assert db.session.get(Round, honest_id).name == "改过的名字"
