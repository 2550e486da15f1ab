"""JSON API for other front ends (a WeChat mini-program, the "Internet+" site).

They fetch a published questionnaire and submit whole responses. Validation and
idempotency are the web flow's: the same services, the same client id rule. The
OpenAPI document (``survey/openapi.py``) describes every route here.
CSRFProtect checks every POST before these views run. JSON clients send the token
from the GET in the ``X-CSRFToken`` header.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Blueprint, current_app, jsonify, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf

from forms.questionnaire.spec import LocalizedText
from forms.uploads import JSONTooDeep, load_json
from survey.access import public
from survey.extensions import db
from survey.i18n import select_locale, supported_locale
from survey.models import Questionnaire, QuestionnaireVersion
from survey.openapi import INVITE_CODE_MAX_LENGTH, build_openapi
from survey.services import invites, questionnaires, responses
from survey.services.errors import Conflict, DomainError

bp = Blueprint("api", __name__, url_prefix="/api/v1")

#: Largest submission body. A full response is a few kilobytes; the global limit is for uploads.
MAX_BODY_BYTES = 1024 * 1024
SUBMISSION_FIELDS = ("client_id", "answers", "invite_code")
#: Texts in a spec: localized_spec replaces each {"zh", "en"} pair with one string.
TEXT_KEYS = frozenset({"title", "description", "help", "label", "scale_min_label", "scale_max_label"})


class ApiError(Exception):
    """A refused API request: status, translated message, and messages by field."""

    def __init__(self, status: int, message: str, errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors


@bp.errorhandler(ApiError)
def api_error(exc: ApiError):
    db.session.rollback()  # nothing of a refused request is kept (e.g. an invite just redeemed)
    body: dict = {"error": exc.status, "message": exc.message}
    if exc.errors:
        body["errors"] = exc.errors
    response = jsonify(body)
    response.status_code = exc.status
    return response


@bp.route("/openapi.json")
@public
def openapi_document():
    config = current_app.config
    return jsonify(
        build_openapi(
            server_url=request.script_root or "/",
            languages=list(config["LANGUAGES"]),
            session_cookie=config["SESSION_COOKIE_NAME"],
            csrf_header=config["WTF_CSRF_HEADERS"][0],
        )
    )


@bp.route("/questionnaires/<slug>")
@public
def get_questionnaire(slug: str):
    with _language() as lang:
        questionnaire, version = _published(slug)
        spec = questionnaires.spec_of(version).to_dict()
        body = {
            "slug": questionnaire.slug,
            "kind": questionnaire.kind.value,
            "version": version.number,
            "open": questionnaires.is_open(questionnaire),
            "anonymous": questionnaire.anonymous,
            "opens_at": _iso(questionnaire.opens_at),
            "closes_at": _iso(questionnaire.closes_at),
            "lang": lang,
            "spec": spec,
            "localized_spec": _localized(spec, lang),
            "csrf_token": generate_csrf(),
            "submit_url": url_for("api.submit_response", slug=questionnaire.slug),
        }
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"  # the token belongs to this client's session
    return response


@bp.route("/questionnaires/<slug>/responses", methods=["POST"])
@public
def submit_response(slug: str):
    with _language():
        questionnaire, _version = _published(slug)
        client_id, answers, code = _submission(_json_body())
        try:
            receipt = responses.submit_with_invite_code(
                questionnaire=questionnaire, client_id=client_id, answers=answers, invite_code=code
            )
        except responses.ResponseIncomplete as exc:
            raise ApiError(400, exc.message, exc.errors) from None
        except invites.InviteRefused as exc:
            raise ApiError(exc.status_code, exc.message, {"invite_code": [exc.message]}) from None
        except Conflict as exc:  # this client id already submitted other answers
            raise ApiError(exc.status_code, exc.message, {"client_id": [exc.message]}) from None
        except DomainError as exc:  # e.g. the questionnaire is not open
            raise ApiError(exc.status_code, exc.message) from None
    db.session.commit()
    body = {
        "client_id": receipt.client_id,
        "submitted_on": receipt.submitted_on,
        "already_submitted": receipt.already_submitted,
    }
    return jsonify(body), 200 if receipt.already_submitted else 201


@contextmanager
def _language() -> Iterator[str]:
    """``?lang=`` overrides the site's language choice for this request's messages and texts."""
    raw = request.args.get("lang")
    if raw is None:
        yield select_locale()
        return
    lang = supported_locale(raw)
    if lang is None:
        choices = ", ".join(current_app.config["LANGUAGES"])
        message = _("Unknown language %(lang)s; use one of %(choices)s.", lang=raw[:20], choices=choices)
        raise ApiError(400, message, {"lang": [message]})
    with force_locale(lang):
        yield lang


def _published(slug: str) -> tuple[Questionnaire, QuestionnaireVersion]:
    questionnaire = questionnaires.get_questionnaire(slug=slug)
    version = questionnaires.live_version(questionnaire) if questionnaire is not None else None
    if version is None:  # unknown, or drafts only: not public yet
        raise ApiError(404, _("No published questionnaire has this address."))
    return questionnaire, version


def _json_body() -> object:
    if not request.is_json:
        raise ApiError(415, _("Send the submission as JSON, with the header Content-Type: application/json."))
    # CSRFProtect has already opened the body stream under the global (upload) limit.
    too_large = ApiError(413, _("The submission is larger than %(n)d kilobytes.", n=MAX_BODY_BYTES // 1024))
    if (request.content_length or 0) > MAX_BODY_BYTES:
        raise too_large
    raw = request.get_data(cache=False)
    if len(raw) > MAX_BODY_BYTES:  # sent without a length
        raise too_large
    try:
        return load_json(raw, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise ApiError(
            400, _("The body is not valid JSON (line %(line)d, column %(column)d).", line=exc.lineno, column=exc.colno)
        ) from None
    except JSONTooDeep as exc:
        raise ApiError(400, _("The body is nested more than %(n)d levels deep.", n=exc.limit)) from None
    except ValueError:  # not UTF-8, or NaN/Infinity
        raise ApiError(400, _("The body is not valid JSON.")) from None


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _submission(body: object) -> tuple[str, dict, str | None]:
    """The submission's fields, or every problem with them by field."""
    if not isinstance(body, dict):
        raise ApiError(400, _("The body must be a JSON object with client_id and answers."))
    errors: dict[str, list[str]] = {}
    for key in body:
        if key not in SUBMISSION_FIELDS:
            errors[str(key)[:64]] = [_("Unknown field; a submission has only client_id, answers and invite_code.")]
    client_id, answers, code = body.get("client_id"), body.get("answers"), body.get("invite_code")
    if client_id is None:
        errors["client_id"] = [_("This field is required.")]
    else:
        try:
            responses.check_client_id(client_id)
        except DomainError as exc:
            errors["client_id"] = [exc.message]
    if answers is None:
        errors["answers"] = [_("This field is required.")]
    elif not isinstance(answers, dict):
        errors["answers"] = [_("Answers must be a JSON object of question ids and answers.")]
    if code is not None and (not isinstance(code, str) or not 0 < len(code.strip()) <= INVITE_CODE_MAX_LENGTH):
        errors["invite_code"] = [
            _("The invitation code must be text of at most %(n)d characters.", n=INVITE_CODE_MAX_LENGTH)
        ]
    if errors:
        fields = ", ".join(errors)
        raise ApiError(400, _("The submission has invalid fields: %(fields)s.", fields=fields), errors)
    return client_id, answers, code


def _localized(data: object, lang: str) -> object:
    """A copy of spec data with each text in ``lang`` (the other language when it is empty)."""
    if isinstance(data, list):
        return [_localized(item, lang) for item in data]
    if not isinstance(data, dict):
        return data
    out = {}
    for key, value in data.items():
        if key == "show_if":  # conditions carry no texts
            out[key] = value
        elif key in TEXT_KEYS and isinstance(value, dict):
            out[key] = LocalizedText(zh=value.get("zh", ""), en=value.get("en", "")).get(lang)
        else:
            out[key] = _localized(value, lang)
    return out


def _iso(moment) -> str | None:
    return moment.isoformat() if moment is not None else None
