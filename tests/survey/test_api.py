"""The JSON API: fetch a published questionnaire, submit whole responses exactly once, OpenAPI."""

from __future__ import annotations

import copy
import dataclasses
import json
import re
import threading
from datetime import timedelta

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select

from survey import create_app
from survey.extensions import db
from survey.models import Invite, Questionnaire, QuestionnaireKind, Response, ResponseStatus
from survey.models.base import utcnow
from survey.services import invites, questionnaires
from tests.forms.conftest import make_questionnaire

CLIENT = "api-client-0123456789"
VALID = {"gender": "f", "age": 35, "needs": ["legal"], "legal_detail": "欠薪", "home": {"space": 4, "staff": 5}}
ADULT = {k: v for k, v in VALID.items() if k not in ("needs", "legal_detail")}
CSRF_MESSAGE = "The form has expired or is missing its security token. Reload the page and submit it again."


def _publish(app, *, anonymous: bool = False, slug: str = "needs-2016", **publish) -> str:
    with app.app_context():
        spec = dataclasses.replace(make_questionnaire(), anonymous=anonymous)
        q = questionnaires.create_questionnaire(spec=spec, kind=QuestionnaireKind.NEEDS, slug=slug)
        questionnaires.publish_questionnaire(questionnaire=q, **publish)
        db.session.commit()
        return q.slug


def _issue_invites(app, slug: str, count: int = 1) -> list[str]:
    with app.app_context():
        q = questionnaires.get_questionnaire(slug=slug)
        codes = [i.code for i in invites.create_invites(questionnaire=q, count=count)]
        db.session.commit()
        return codes


def _fetch(client, slug: str = "needs-2016", lang: str = "en"):
    return client.get(f"/api/v1/questionnaires/{slug}?lang={lang}")


def _token(client, slug: str = "needs-2016") -> str:
    response = _fetch(client, slug)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["csrf_token"]


def _submit(client, token: str | None, body, slug: str = "needs-2016", **kwargs):
    headers = {} if token is None else {"X-CSRFToken": token}
    if "data" not in kwargs:
        kwargs["json"] = body
    return client.post(f"/api/v1/questionnaires/{slug}/responses?lang=en", headers=headers, **kwargs)


def _rows(app) -> list[dict]:
    with app.app_context():
        rows = db.session.scalars(select(Response).order_by(Response.id)).all()
        return [{"client_id": r.client_id, "status": r.status, "answers": r.answers, "invite_id": r.invite_id}
                for r in rows]


def _used_invites(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Invite.id)).where(Invite.used_on.is_not(None)))


# --------------------------------------------------------------------------- fetching

def test_fetch_gives_the_live_version_in_both_languages_and_a_token(app, client):
    _publish(app)
    response = _fetch(client)
    body = response.get_json()
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "kaimen_session=" in response.headers["Set-Cookie"]  # the token's session
    assert body["spec"] == make_questionnaire().to_dict()
    token = body.pop("csrf_token")
    assert len(token) > 20
    body.pop("spec")
    localized = body.pop("localized_spec")
    assert body == {
        "slug": "needs-2016", "kind": "needs", "version": 1, "open": True, "anonymous": False,
        "opens_at": None, "closes_at": None, "lang": "en",
        "submit_url": "/api/v1/questionnaires/needs-2016/responses",
    }
    assert localized["title"] == "Member needs survey"
    gender = localized["sections"][0]["questions"][0]
    assert gender["title"] == "Gender"
    assert gender["options"] == [{"id": "m", "label": "Option m"}, {"id": "f", "label": "Option f"},
                                 {"id": "other", "label": "Other", "is_other": True}]
    assert localized["sections"][1]["show_if"] == make_questionnaire().to_dict()["sections"][1]["show_if"]


def test_fetch_in_chinese(app, client):
    _publish(app)
    body = _fetch(client, lang="zh_CN").get_json()
    assert body["lang"] == "zh_CN"
    assert body["localized_spec"]["title"] == "职工需求问卷"
    assert body["localized_spec"]["sections"][1]["questions"][3]["rows"][0]["label"] == "场地"


def test_unknown_language_is_refused(app, client):
    _publish(app)
    response = client.get("/api/v1/questionnaires/needs-2016?lang=fr")
    message = "未知语言 fr，请使用以下之一：zh_CN, en。"
    assert (response.status_code, response.get_json()) == (400, {"error": 400, "message": message,
                                                                 "errors": {"lang": [message]}})


def test_unknown_and_unpublished_questionnaires_are_not_found(app, client):
    with app.app_context():
        questionnaires.create_questionnaire(spec=make_questionnaire(), kind=QuestionnaireKind.NEEDS, slug="draft")
        db.session.commit()
    not_found = {"error": 404, "message": "No published questionnaire has this address."}
    for slug in ("no-such-slug", "draft"):
        response = _fetch(client, slug)
        assert (response.status_code, response.get_json()) == (404, not_found)
    _publish(app)
    response = _submit(client, _token(client), {"client_id": CLIENT, "answers": VALID}, slug="draft")
    assert (response.status_code, response.get_json()) == (404, not_found)
    assert _rows(app) == []


def test_a_closed_or_not_yet_open_questionnaire_is_shown_as_not_open(app, client):
    _publish(app, opens_at=utcnow() + timedelta(days=1))
    body = _fetch(client).get_json()
    assert body["open"] is False and body["opens_at"].endswith("+00:00")


# --------------------------------------------------------------------------- submitting

def test_a_submission_is_stored_once_and_a_repeat_gets_the_same_receipt(app, client):
    _publish(app)
    token = _token(client)
    first = _submit(client, token, {"client_id": CLIENT, "answers": VALID})
    assert first.status_code == 201
    receipt = first.get_json()
    assert receipt == {"client_id": CLIENT, "submitted_on": utcnow().date().isoformat(), "already_submitted": False}
    stored = {"client_id": CLIENT, "status": ResponseStatus.SUBMITTED, "answers": VALID, "invite_id": None}
    assert _rows(app) == [stored]

    again = _submit(client, token, {"client_id": CLIENT, "answers": VALID})
    assert again.status_code == 200
    assert again.get_json() == {**receipt, "already_submitted": True}
    assert len(_rows(app)) == 1

    changed = _submit(client, token, {"client_id": CLIENT, "answers": {**VALID, "age": 36}})
    message = "A different response was already submitted with this submission id."
    assert (changed.status_code, changed.get_json()) == (409, {"error": 409, "message": message,
                                                               "errors": {"client_id": [message]}})
    assert _rows(app)[0]["answers"] == VALID and len(_rows(app)) == 1


def test_answers_are_stored_in_canonical_form(app, client):
    _publish(app)
    answers = {"gender": {"option": "other", "other": " 不愿透露 "}, "age": "40", "needs": ["aid", "legal"],
               "legal_detail": "合同", "home": {"space": 3, "staff": 2}, "priority": ["c", "a"], "income": 12}
    response = _submit(client, _token(client), {"client_id": CLIENT, "answers": answers})
    assert response.status_code == 201
    assert _rows(app)[0]["answers"] == {
        "gender": {"option": "other", "other": "不愿透露"}, "age": 40, "needs": ["legal", "aid"],
        "legal_detail": "合同", "home": {"space": 3, "staff": 2}, "priority": ["c", "a"], "income": 12.0,
    }


INVALID = "Some answers are missing or invalid."


@pytest.mark.parametrize(
    "answers, errors",
    [
        pytest.param({**VALID, "gender": "x"}, {"gender": ["Question gender has no option 'x'."]},
                     id="unknown-option"),
        pytest.param({**ADULT, "needs": ["aid", "nope"]}, {"needs": ["Question needs has no option 'nope'."]},
                     id="unknown-option-in-list"),
        pytest.param({"gender": "f", "age": "thirty"}, {"age": ["Enter a whole number."]}, id="not-a-number"),
        pytest.param({"gender": "f", "age": 12}, {"age": ["Enter a number from 16 to 100."]}, id="out-of-bounds"),
        pytest.param({**ADULT, "needs": "legal"}, {"needs": ["Question needs expects a list of option ids."]},
                     id="wrong-shape"),
        pytest.param({**VALID, "home": {"space": 9, "staff": 5}},
                     {"home__space": ["Choose a whole number from 1 to 5."]}, id="off-the-scale"),
        pytest.param({k: v for k, v in VALID.items() if k != "gender"}, {"gender": ["This question is required."]},
                     id="missing-required"),
        pytest.param({**VALID, "gender": {"option": "other"}}, {"gender__other": ["Please specify."]},
                     id="other-without-text"),
        pytest.param({**VALID, "nope": 1}, {"nope": ["There is no question nope in this questionnaire."]},
                     id="unknown-question"),
        pytest.param(
            {**VALID, "needs": ["training"]},
            {"legal_detail": ["Question legal_detail is not shown after the earlier answers; leave it unanswered."]},
            id="hidden-question",
        ),
        pytest.param(
            {"gender": "m", "age": 17, "needs": ["aid"]},
            {"needs": ["Question needs is not shown after the earlier answers; leave it unanswered."]},
            id="question-in-hidden-section",
        ),
    ],
)
def test_invalid_answers_are_refused_by_field_and_nothing_is_stored(app, client, answers, errors):
    _publish(app)
    response = _submit(client, _token(client), {"client_id": CLIENT, "answers": answers})
    assert (response.status_code, response.get_json()) == (400, {"error": 400, "message": INVALID, "errors": errors})
    assert _rows(app) == []


def test_a_hidden_section_may_be_left_out(app, client):
    _publish(app)
    response = _submit(client, _token(client), {"client_id": CLIENT, "answers": {"gender": "m", "age": 17}})
    assert response.status_code == 201
    assert _rows(app)[0]["answers"] == {"gender": "m", "age": 17}


@pytest.mark.parametrize(
    "body, errors",
    [
        pytest.param({"answers": VALID}, {"client_id": ["This field is required."]}, id="no-client-id"),
        pytest.param({"client_id": "short", "answers": VALID},
                     {"client_id": ["The submission id must be 16 to 64 letters, digits, '-' or '_'."]},
                     id="short-client-id"),
        pytest.param({"client_id": 1234567890123456789, "answers": VALID},
                     {"client_id": ["The submission id must be 16 to 64 letters, digits, '-' or '_'."]},
                     id="numeric-client-id"),
        pytest.param({"client_id": CLIENT}, {"answers": ["This field is required."]}, id="no-answers"),
        pytest.param({"client_id": CLIENT, "answers": ["f", 35]},
                     {"answers": ["Answers must be a JSON object of question ids and answers."]}, id="answers-list"),
        pytest.param({"client_id": CLIENT, "answers": VALID, "invite_code": 42},
                     {"invite_code": ["The invitation code must be text of at most 100 characters."]},
                     id="invite-not-text"),
        pytest.param({"client_id": CLIENT, "answer": VALID},
                     {"answer": ["Unknown field; a submission has only client_id, answers and invite_code."],
                      "answers": ["This field is required."]}, id="misspelt-field"),
    ],
)
def test_invalid_submission_fields_are_named(app, client, body, errors):
    _publish(app)
    response = _submit(client, _token(client), body)
    message = f"The submission has invalid fields: {', '.join(errors)}."
    assert (response.status_code, response.get_json()) == (400, {"error": 400, "message": message, "errors": errors})
    assert _rows(app) == []


def test_a_body_that_is_not_json_is_415(app, client):
    _publish(app)
    response = _submit(client, _token(client), None, data={"client_id": CLIENT, "gender": "f"})
    message = "Send the submission as JSON, with the header Content-Type: application/json."
    assert (response.status_code, response.get_json()) == (415, {"error": 415, "message": message})
    assert _rows(app) == []


@pytest.mark.parametrize(
    "data, message",
    [
        ('{"client_id": "api-client-0123456789", "answers": {', "The body is not valid JSON (line 1, column 52)."),
        ('{"client_id": "api-client-0123456789", "answers": {"age": NaN}}', "The body is not valid JSON."),
        ("[" * 100_000, "The body is nested more than 64 levels deep."),
        ('"just text"', "The body must be a JSON object with client_id and answers."),
    ],
    ids=["truncated", "nan", "deeply-nested", "not-an-object"],
)
def test_malformed_json_is_400(app, client, data, message):
    _publish(app)
    response = _submit(client, _token(client), None, data=data, content_type="application/json")
    assert (response.status_code, response.get_json()) == (400, {"error": 400, "message": message})
    assert _rows(app) == []


def test_an_oversized_body_is_413(app, client):
    _publish(app)
    body = {"client_id": CLIENT, "answers": {**VALID, "legal_detail": "欠" * 400_000}}
    response = _submit(client, _token(client), body)
    message = "The submission is larger than 1024 kilobytes."
    assert (response.status_code, response.get_json()) == (413, {"error": 413, "message": message})
    assert _rows(app) == []


def test_a_closed_questionnaire_refuses_new_answers_but_returns_old_receipts(app, client):
    _publish(app)
    token = _token(client)
    receipt = _submit(client, token, {"client_id": CLIENT, "answers": VALID}).get_json()
    with app.app_context():
        questionnaires.close_questionnaire(questionnaire=questionnaires.get_questionnaire(slug="needs-2016"))
        db.session.commit()
    response = _submit(client, token, {"client_id": "another-client-0123456", "answers": VALID})
    message = "This questionnaire is not accepting answers."
    assert (response.status_code, response.get_json()) == (409, {"error": 409, "message": message})
    again = _submit(client, token, {"client_id": CLIENT, "answers": VALID})
    assert (again.status_code, again.get_json()) == (200, {**receipt, "already_submitted": True})
    assert len(_rows(app)) == 1


def test_a_questionnaire_not_yet_open_refuses_answers(app, client):
    _publish(app, opens_at=utcnow() + timedelta(days=1))
    response = _submit(client, _token(client), {"client_id": CLIENT, "answers": VALID})
    assert response.status_code == 409
    assert response.get_json()["message"] == "This questionnaire is not accepting answers."
    assert _rows(app) == []


def test_messages_follow_lang(app, client):
    _publish(app)
    token = _token(client)
    response = client.post("/api/v1/questionnaires/needs-2016/responses?lang=en", headers={"X-CSRFToken": token},
                           json={"client_id": CLIENT, "answers": {"age": 35}})
    assert response.get_json()["errors"]["gender"] == ["This question is required."]
    response = client.post("/api/v1/questionnaires/needs-2016/responses?lang=xx", headers={"X-CSRFToken": token},
                           json={"client_id": CLIENT, "answers": VALID})
    assert response.status_code == 400 and list(response.get_json()["errors"]) == ["lang"]
    assert _rows(app) == []


# --------------------------------------------------------------------------- CSRF

def test_a_submission_without_the_csrf_header_is_refused(app, client):
    _publish(app)
    client.set_cookie("kaimen_lang", "en")
    _token(client)
    response = _submit(client, None, {"client_id": CLIENT, "answers": VALID})
    assert (response.status_code, response.get_json()) == (400, {"error": 400, "message": CSRF_MESSAGE})
    assert _rows(app) == []


def test_a_token_from_another_session_is_refused(app, client):
    _publish(app)
    stolen = _token(app.test_client())
    for other in (client, app.test_client()):  # one with a session of its own, one without any
        other.set_cookie("kaimen_lang", "en")
        if other is client:
            _token(other)
        response = _submit(other, stolen, {"client_id": CLIENT, "answers": VALID})
        assert (response.status_code, response.get_json()) == (400, {"error": 400, "message": CSRF_MESSAGE})
    assert _rows(app) == []


def test_over_https_the_token_works_with_a_referer_on_this_host(app, client):
    _publish(app)
    token = client.get("/api/v1/questionnaires/needs-2016", base_url="https://kaimen.example").get_json()["csrf_token"]
    response = client.post("/api/v1/questionnaires/needs-2016/responses", base_url="https://kaimen.example",
                           headers={"X-CSRFToken": token, "Referer": "https://kaimen.example/"},
                           json={"client_id": CLIENT, "answers": VALID})
    assert response.status_code == 201


# --------------------------------------------------------------------------- invites

def test_an_invite_is_used_once_and_a_retry_gets_its_receipt(app, client):
    _publish(app)
    (code,) = _issue_invites(app, "needs-2016")
    token = _token(client)
    first = _submit(client, token, {"client_id": CLIENT, "answers": VALID, "invite_code": code})
    assert first.status_code == 201
    again = _submit(client, token, {"client_id": CLIENT, "answers": VALID, "invite_code": code})
    assert (again.status_code, again.get_json()) == (200, {**first.get_json(), "already_submitted": True})
    assert _used_invites(app) == 1

    reused = _submit(client, token, {"client_id": "someone-else-0123456", "answers": VALID, "invite_code": code})
    message = "This invitation code has already been used."
    assert (reused.status_code, reused.get_json()) == (403, {"error": 403, "message": message,
                                                             "errors": {"invite_code": [message]}})
    assert len(_rows(app)) == 1 and _used_invites(app) == 1
    with app.app_context():
        invite_id = db.session.scalar(select(Invite.id).where(Invite.code_hash == invites.code_hash(code)))
    assert _rows(app)[0]["invite_id"] == invite_id  # a named questionnaire keeps the link


def test_an_unknown_invite_is_refused(app, client):
    _publish(app)
    response = _submit(client, _token(client), {"client_id": CLIENT, "answers": VALID, "invite_code": "ABCD-EFGH"})
    message = "This invitation code is not valid for this questionnaire."
    assert (response.status_code, response.get_json()) == (403, {"error": 403, "message": message,
                                                                 "errors": {"invite_code": [message]}})
    assert _rows(app) == []


def test_refused_answers_leave_the_invite_unused(app, client):
    _publish(app)
    (code,) = _issue_invites(app, "needs-2016")
    token = _token(client)
    refused = _submit(client, token, {"client_id": CLIENT, "answers": {**VALID, "gender": "x"}, "invite_code": code})
    assert refused.status_code == 400
    assert _rows(app) == [] and _used_invites(app) == 0
    accepted = _submit(client, token, {"client_id": CLIENT, "answers": VALID, "invite_code": code})
    assert accepted.status_code == 201 and _used_invites(app) == 1


def test_an_anonymous_response_keeps_no_invite(app, client):
    _publish(app, anonymous=True)
    (code,) = _issue_invites(app, "needs-2016")
    response = _submit(client, _token(client), {"client_id": CLIENT, "answers": VALID, "invite_code": code})
    assert response.status_code == 201
    assert _rows(app)[0]["invite_id"] is None and _used_invites(app) == 1


def test_concurrent_identical_submissions_with_an_invite_store_one_response(tmp_path, database_url):
    """Four clients send the same submission and invite code at once, each on its own connection.

    On PostgreSQL the losers wait on the invite row and find it used; they must then see the
    winner's response and answer as a repeat, not refuse the code.
    """
    if database_url.startswith("sqlite"):
        database_url = f"sqlite:///{tmp_path / 'api-concurrent.sqlite3'}"
    app = create_app({"DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "test"})
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
    slug = _publish(app, slug="api-concurrent")
    (code,) = _issue_invites(app, slug)
    clients = [app.test_client() for _ in range(4)]
    tokens = [_token(c, slug) for c in clients]
    barrier = threading.Barrier(len(clients), timeout=30)
    results = []

    def send(client, token):
        barrier.wait()
        response = _submit(client, token, {"client_id": CLIENT, "answers": VALID, "invite_code": code}, slug=slug)
        results.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=send, args=pair) for pair in zip(clients, tokens)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert sorted(status for status, _ in results) == [200, 200, 200, 201], results
        assert {body["client_id"] for _, body in results} == {CLIENT}
        assert len({body["submitted_on"] for _, body in results}) == 1
        with app.app_context():
            q = questionnaires.get_questionnaire(slug=slug)
            assert db.session.scalar(select(func.count(Response.id)).where(Response.questionnaire_id == q.id)) == 1
            assert db.session.scalar(select(func.count(Invite.id)).where(Invite.used_on.is_not(None))) == 1
    finally:
        with app.app_context():
            qid = questionnaires.get_questionnaire(slug=slug).id
            db.session.execute(db.delete(Response).where(Response.questionnaire_id == qid))
            db.session.execute(db.delete(Invite).where(Invite.questionnaire_id == qid))
            db.session.execute(db.delete(Questionnaire).where(Questionnaire.id == qid))
            db.session.commit()
            db.engine.dispose()


# --------------------------------------------------------------------------- OpenAPI

def _document(client) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return json.loads(response.get_data(as_text=True))


def test_the_document_lists_exactly_the_api_routes_and_methods(app, client):
    document = _document(client)
    assert document["openapi"] == "3.1.0"
    routes: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
            routes.setdefault(path, set()).update(m.lower() for m in rule.methods - {"HEAD", "OPTIONS"})
    documented = {path: set(item) - {"parameters", "summary", "description"} for path, item in
                  document["paths"].items()}
    assert documented == routes
    assert len(routes) == 3


def test_the_document_is_valid_openapi(client):
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(_document(client))


def _schema(document: dict, name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}", "components": copy.deepcopy(document["components"])}


def test_real_requests_and_answers_match_the_document(app, client):
    jsonschema = pytest.importorskip("jsonschema")
    document = _document(client)
    _publish(app)
    fetched = _fetch(client).get_json()
    jsonschema.Draft202012Validator(_schema(document, "PublishedQuestionnaire")).validate(fetched)
    body = {"client_id": CLIENT, "answers": VALID, "invite_code": None}
    jsonschema.Draft202012Validator(_schema(document, "Submission")).validate(body)
    receipt = _submit(client, fetched["csrf_token"], body)
    jsonschema.Draft202012Validator(_schema(document, "Receipt")).validate(receipt.get_json())
    refused = _submit(client, fetched["csrf_token"], {"client_id": "x", "answers": {}})
    jsonschema.Draft202012Validator(_schema(document, "Error")).validate(refused.get_json())
    pattern = document["components"]["schemas"]["Submission"]["properties"]["client_id"]["pattern"]
    assert re.fullmatch(pattern, CLIENT) and not re.fullmatch(pattern, "short")
