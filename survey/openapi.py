"""The OpenAPI 3.1 document of the JSON API (``/api/v1``), built as a dict.

Patterns and enumerations are read from the code that enforces them (the
client id rule, question types, condition operators, languages, the session
cookie and CSRF header names), so the document cannot drift from them;
``tests/survey/test_api.py`` checks that its paths and methods are exactly the
``/api/v1`` routes of the app. Descriptions are developer documentation, in
English, and are not translated.
"""

from __future__ import annotations

from forms.questionnaire.conditions import COMPARISONS
from forms.questionnaire.spec import FORMAT, LANGUAGES, Demographic, QuestionType
from survey.services.responses import CLIENT_ID

#: Longest invite code accepted in a submission (codes are 39 characters with their dashes).
INVITE_CODE_MAX_LENGTH = 100

API_DESCRIPTION = """\
Lets another front end (a WeChat mini-program, the federation's "Internet+" site) show a
published Kaimen questionnaire and submit complete responses. Submissions get exactly the
validation and idempotency of the web flow.

**Flow**

1. `GET /api/v1/questionnaires/{slug}` returns the live (published) version, whether it
   accepts answers now, and a `csrf_token`. The response also sets the session cookie
   (`{cookie}`). The token is only valid together with that cookie.
2. The client makes a random `client_id` once per respondent and keeps it until it gets a
   receipt: 16 to 64 letters, digits, `-` or `_`, e.g. 24 random bytes in base64url.
3. `POST /api/v1/questionnaires/{slug}/responses` with `Content-Type: application/json`.
   Send the session cookie back, and the token in the `{header}` header. A retry with the same
   `client_id` and the same answers, after a timeout or a double tap, returns the same receipt
   (200 instead of 201) and stores nothing new. The same `client_id` with different answers
   gets 409.

**CSRF.** Every POST on this site needs a CSRF token, with no exemptions. A JSON client
sends it in the `{header}` header. The token is tied to the session cookie, so a client
that does not keep cookies on its own must copy `Set-Cookie` from step 1 into a `Cookie`
header (WeChat's `wx.request` is such a client). A token from another session is refused.
Tokens expire after a few hours, so fetch the questionnaire again for a new one. Over
HTTPS the CSRF check also wants a `Referer` on this site's host.

**Languages.** `lang` (`zh_CN` or `en`) chooses the language of the messages and of
`localized_spec`. `spec` always has both languages. Without `lang`, the site's language
choice applies, which is Chinese by default.

**Answers** are keyed by question id, in the canonical form Kaimen stores:
single choice `"a"` or `{"option": "other", "other": "text"}`; multiple choice
`["a", "c"]`; rating `4`; matrix `{"row1": 4, "row2": 5}`; ranking `["c", "a"]`
(best first); number `30` or `30.5`; text `"..."`; date `"2016-05-01"`. Leave out
questions that are not answered. Do not answer a question whose `show_if` condition is
false given the earlier answers. Such an answer is an error, not silently dropped.
Options with `shuffle` may be shown in any order. Answers are always sent with option ids.

**Errors** are JSON: `{"error": status, "message": text, "errors": {field: [messages]}}`.
`errors` is present when specific fields are at fault. Its keys are body fields
(`client_id`, `invite_code`, `answers`) or the answer fields of questions: the question id,
or `q__other` ("please specify"), `q__<row id>` (a matrix row), `q__<n>` (rank position
n). When the answers are refused, nothing is stored, and an invite code is not used up.
"""


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _error_response(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}


def _text_schemas(prefix: str, text: dict) -> dict:
    """Question, section and questionnaire schemas whose texts are ``text``.

    Built twice: with both languages (``spec``) and with one (``localized_spec``).
    """
    nullable_int = {"type": ["integer", "null"]}
    nullable_number = {"type": ["number", "null"]}
    option = {
        "type": "object",
        "required": ["id", "label"],
        "properties": {"id": {"type": "string"}, "label": text, "is_other": {"type": "boolean"}},
    }
    row = {"type": "object", "required": ["id", "label"], "properties": {"id": {"type": "string"}, "label": text}}
    question = {
        "type": "object",
        "description": "Settings that do not apply to the question's type are absent; absent means the default.",
        "required": ["id", "type", "title"],
        "properties": {
            "id": {"type": "string"},
            "type": {"enum": [t.value for t in QuestionType]},
            "title": text,
            "help": text,
            "required": {"type": "boolean", "default": False},
            "options": {"type": "array", "items": {"$ref": f"#/components/schemas/{prefix}Option"}},
            "shuffle": {"type": "boolean", "default": False},
            "min_selections": nullable_int,
            "max_selections": nullable_int,
            "scale_min": {"type": "integer", "default": 1},
            "scale_max": {"type": "integer", "default": 5},
            "scale_min_label": text,
            "scale_max_label": text,
            "rows": {"type": "array", "items": {"$ref": f"#/components/schemas/{prefix}MatrixRow"}},
            "rank_top": nullable_int,
            "number_min": nullable_number,
            "number_max": nullable_number,
            "integer": {"type": "boolean", "default": True},
            "max_length": nullable_int,
            "demographic": {"enum": [d.value for d in Demographic]},
            "show_if": _ref("Condition"),
        },
    }
    section = {
        "type": "object",
        "required": ["id", "title", "questions"],
        "properties": {
            "id": {"type": "string"},
            "title": text,
            "description": text,
            "questions": {"type": "array", "items": {"$ref": f"#/components/schemas/{prefix}Question"}},
            "show_if": _ref("Condition"),
        },
    }
    questionnaire = {
        "type": "object",
        "required": ["format", "title", "sections"],
        "properties": {
            "format": {"const": FORMAT},
            "title": text,
            "description": text,
            "anonymous": {"type": "boolean"},
            "languages": {"type": "array", "items": {"enum": list(LANGUAGES)}},
            "sections": {"type": "array", "items": {"$ref": f"#/components/schemas/{prefix}Section"}},
        },
    }
    return {
        f"{prefix}Option": option,
        f"{prefix}MatrixRow": row,
        f"{prefix}Question": question,
        f"{prefix}Section": section,
        f"{prefix}Questionnaire": questionnaire,
    }


def _schemas(languages: list[str]) -> dict:
    scalar = {"type": ["string", "number"]}
    return {
        "Error": {
            "type": "object",
            "required": ["error", "message"],
            "properties": {
                "error": {"type": "integer", "description": "The HTTP status."},
                "message": {"type": "string"},
                "errors": {
                    "type": "object",
                    "description": "Messages by field: a body field or an answer field.",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
        "LocalizedText": {
            "type": "object",
            "properties": {"zh": {"type": "string"}, "en": {"type": "string"}},
            "additionalProperties": False,
        },
        "Condition": {
            "type": "object",
            "description": "A show-if condition: true when the question or section is shown.",
            "required": ["op"],
            "properties": {
                "op": {"enum": [*COMPARISONS, "in", "selected", "answered", "not", "and", "or"]},
                "question": {"type": "string"},
                "value": scalar,
                "values": {"type": "array", "items": scalar},
                "option": {"type": "string"},
                "condition": _ref("Condition"),
                "conditions": {"type": "array", "items": _ref("Condition")},
            },
        },
        **_text_schemas("", _ref("LocalizedText")),
        **_text_schemas("Localized", {"type": "string"}),
        "OtherAnswer": {
            "type": "object",
            "description": 'A choice of the "other, please specify" option with its text.',
            "required": ["option", "other"],
            "properties": {"option": {"type": "string"}, "other": {"type": "string"}},
            "additionalProperties": False,
        },
        "Answer": {
            "anyOf": [
                {"type": "string", "description": "single choice option id, text, or date YYYY-MM-DD"},
                {"type": "number", "description": "rating or number"},
                _ref("OtherAnswer"),
                {
                    "type": "array",
                    "description": "multiple choice option ids, or ranking option ids best first",
                    "items": {"anyOf": [{"type": "string"}, _ref("OtherAnswer")]},
                },
                {
                    "type": "object",
                    "description": "matrix: row id -> point on the scale",
                    "additionalProperties": {"type": "integer"},
                },
            ]
        },
        "Answers": {
            "type": "object",
            "description": "Canonical answers keyed by question id; unanswered questions left out.",
            "additionalProperties": _ref("Answer"),
        },
        "Submission": {
            "type": "object",
            "required": ["client_id", "answers"],
            "additionalProperties": False,
            "properties": {
                "client_id": {
                    "type": "string",
                    "pattern": CLIENT_ID.pattern,
                    "description": "Made by the client once per respondent; a retry sends the same one.",
                },
                "answers": _ref("Answers"),
                "invite_code": {
                    "type": ["string", "null"],
                    "minLength": 1,
                    "maxLength": INVITE_CODE_MAX_LENGTH,
                    # An empty or all-space code is refused (400); leave the field out or send null.
                    "pattern": r"\S",
                    "description": "A one-time invitation code, as printed (case, spaces and dashes do not matter). "
                                   "Leave it out, or send null, when there is none.",
                },
            },
        },
        "Receipt": {
            "type": "object",
            "required": ["client_id", "submitted_on", "already_submitted"],
            "properties": {
                "client_id": {"type": "string"},
                "submitted_on": {"type": "string", "format": "date"},
                "already_submitted": {
                    "type": "boolean",
                    "description": "True when this was a repeat of a submission already stored.",
                },
            },
        },
        "PublishedQuestionnaire": {
            "type": "object",
            "required": [
                "slug", "kind", "version", "open", "anonymous", "opens_at", "closes_at", "lang", "spec",
                "localized_spec", "csrf_token", "submit_url",
            ],
            "properties": {
                "slug": {"type": "string"},
                "kind": {"type": "string"},
                "version": {"type": "integer", "description": "Number of the live version answered."},
                "open": {"type": "boolean", "description": "Accepting answers now."},
                "anonymous": {
                    "type": "boolean",
                    "description": "Responses keep no invite, address, agent or time finer than the day.",
                },
                "opens_at": {"type": ["string", "null"], "format": "date-time"},
                "closes_at": {"type": ["string", "null"], "format": "date-time"},
                "lang": {"enum": languages},
                "spec": _ref("Questionnaire"),
                "localized_spec": _ref("LocalizedQuestionnaire"),
                "csrf_token": {
                    "type": "string",
                    "description": "Send it back in the CSRF header, together with the session cookie.",
                },
                "submit_url": {"type": "string"},
            },
        },
    }


def build_openapi(*, server_url: str, languages: list[str], session_cookie: str, csrf_header: str) -> dict:
    """The OpenAPI document; ``server_url`` is where the app is mounted (``/`` by default)."""
    slug = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}
    lang = {
        "name": "lang",
        "in": "query",
        "required": False,
        "description": "Language of messages and of localized_spec.",
        "schema": {"enum": languages},
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Kaimen questionnaire API",
            "version": "1",
            "description": API_DESCRIPTION.replace("{cookie}", session_cookie).replace("{header}", csrf_header),
        },
        "servers": [{"url": server_url}],
        "paths": {
            "/api/v1/openapi.json": {
                "get": {
                    "operationId": "getOpenAPI",
                    "summary": "This document",
                    "responses": {
                        "200": {
                            "description": "The OpenAPI document.",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        }
                    },
                }
            },
            "/api/v1/questionnaires/{slug}": {
                "get": {
                    "operationId": "getQuestionnaire",
                    "summary": "A published questionnaire, and a CSRF token for submitting",
                    "parameters": [slug, lang],
                    "responses": {
                        "200": {
                            "description": "The live version. Sets the session cookie the token belongs to.",
                            "content": {"application/json": {"schema": _ref("PublishedQuestionnaire")}},
                        },
                        "400": {"$ref": "#/components/responses/BadRequest"},
                        "404": {"$ref": "#/components/responses/NotFound"},
                    },
                }
            },
            "/api/v1/questionnaires/{slug}/responses": {
                "post": {
                    "operationId": "submitResponse",
                    "summary": "Submit a complete response, exactly once per client_id",
                    "parameters": [slug, lang],
                    "security": [{"csrfToken": [], "sessionCookie": []}],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref("Submission")}},
                    },
                    "responses": {
                        "201": {
                            "description": "Stored now.",
                            "content": {"application/json": {"schema": _ref("Receipt")}},
                        },
                        "200": {
                            "description": "Already stored by an earlier identical submission: the same receipt.",
                            "content": {"application/json": {"schema": _ref("Receipt")}},
                        },
                        "400": {"$ref": "#/components/responses/BadRequest"},
                        "403": _error_response("The invitation code is unknown, revoked or already used."),
                        "404": {"$ref": "#/components/responses/NotFound"},
                        "409": _error_response(
                            "The questionnaire is not accepting answers, or this client_id already "
                            "submitted different answers."
                        ),
                        "413": _error_response("The body is too large."),
                        "415": _error_response("The body is not sent as application/json."),
                    },
                }
            },
        },
        "components": {
            "schemas": _schemas(languages),
            "responses": {
                "BadRequest": _error_response(
                    "Malformed JSON, a missing or invalid field, invalid answers (by field in `errors`), "
                    "an unknown lang, or a missing or wrong CSRF token."
                ),
                "NotFound": _error_response("No published questionnaire has this slug."),
            },
            "securitySchemes": {
                "csrfToken": {
                    "type": "apiKey",
                    "in": "header",
                    "name": csrf_header,
                    "description": "The csrf_token from GET /api/v1/questionnaires/{slug}.",
                },
                "sessionCookie": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": session_cookie,
                    "description": "The session cookie set by the same GET.",
                },
            },
        },
    }
