"""Request hooks: transaction mode, schema guard, NUL characters refused, template globals."""

from __future__ import annotations

import re

from flask import current_app, g, request
from flask_babel import gettext as _
from sqlalchemy.exc import OperationalError

from survey.database import read_only_transaction
from survey.extensions import db
from survey.services.errors import DomainError

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_WRITES_ON_GET = "_kaimen_writes_on_get"


def writes_on_get(view):
    """Mark a GET view that writes (a download recorded in the audit log): its SQLite
    transaction takes the write lock up front, so it waits its turn instead of failing
    with "database is locked" when another connection wrote since its first read."""
    setattr(view, _WRITES_ON_GET, True)
    return view


def mark_read_only_transaction() -> None:
    """Safe requests never write, so their SQLite transactions need no write lock."""
    view = current_app.view_functions.get(request.endpoint or "")
    writes = view is not None and getattr(view, _WRITES_ON_GET, False)
    g._read_only_token = read_only_transaction.set(request.method in SAFE_METHODS and not writes)


def end_transaction(_exc: BaseException | None) -> None:
    token = g.pop("_read_only_token", None)
    if token is not None:
        read_only_transaction.reset(token)


class NulCharacter(DomainError):
    status_code = 400


#: ``\u0000`` as a JSON escape: an odd number of backslashes before "u0000" (an even number
#: is an escaped backslash followed by the text "u0000").
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def refuse_nul_characters() -> None:
    """No field of Kaimen takes a NUL character, and PostgreSQL can neither store nor compare one
    in text (the driver raises, which would answer 500). A request carrying one in its path, query,
    form fields, file names, JSON strings or headers is refused with 400 before any view runs."""
    texts = [request.path, *request.headers.values()]
    for source in (request.args, request.form):
        for key, values in source.lists():
            texts.append(key)
            texts.extend(values)
    for key, files in request.files.lists():
        texts.append(key)
        texts.extend(f.filename or "" for f in files)
    found = any("\x00" in value for value in texts)
    if not found and request.is_json:
        found = _JSON_NUL.search(request.get_data(cache=True)) is not None
    if found:
        raise NulCharacter(_("The request contains a NUL character, which no field accepts."))


class JsonOutsideApi(DomainError):
    status_code = 415


def refuse_json_outside_api() -> None:
    """Only ``/api/`` takes JSON. Flask-WTF would read a JSON body posted to a form route as the
    form's data, and a body that is valid JSON but not a flat object (``5``, ``[[1]]``, a nested
    field) would reach the form fields as values they cannot handle (a 500)."""
    if request.method not in SAFE_METHODS and request.is_json and not request.path.startswith("/api/"):
        raise JsonOutsideApi(_("This page takes form data, not JSON."))


class SchemaBehind(Exception):
    """The database is reachable but not migrated to the code's head."""

    def __init__(self, current: str | None, head: str):
        super().__init__(f"schema at {current or 'empty'}, code expects {head}")
        self.current = current
        self.head = head


class DatabaseUnavailable(Exception):
    pass


def require_current_schema() -> None:
    """Refuse to serve on a schema behind the code; remember a positive answer."""
    if not current_app.config.get("CHECK_SCHEMA") or current_app.extensions.get("kaimen_schema_ok"):
        return
    if request.endpoint == "static":
        return
    from survey.schema import schema_status

    try:
        status = schema_status(db.session.connection())
    except OperationalError as exc:
        raise DatabaseUnavailable(str(exc.orig)) from exc
    if not status.up_to_date:
        raise SchemaBehind(status.current, status.head)
    current_app.extensions["kaimen_schema_ok"] = True


def template_globals() -> dict:
    from survey.i18n import select_locale

    locale = select_locale()  # "zh_CN" / "en"; Babel's own str() would say "zh_Hans_CN"
    from survey.labels import template_helpers

    return {
        **template_helpers(),
        "current_locale": locale,
        "html_lang": "zh-CN" if locale.startswith("zh") else "en",
        "languages": current_app.config["LANGUAGES"],
    }
