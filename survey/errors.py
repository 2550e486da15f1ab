"""Error pages in the user's language; JSON for API callers; never a stack trace."""

from __future__ import annotations

from flask import Flask, jsonify, make_response, render_template, request
from flask.globals import request_ctx
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException

from survey.extensions import db
from survey.hooks import DatabaseUnavailable, SchemaBehind
from survey.services.errors import DomainError

TITLES = {
    400: _l("Bad request"),
    401: _l("Please log in"),
    403: _l("Not allowed"),
    404: _l("Page not found"),
    405: _l("Method not allowed"),
    409: _l("Conflict"),
    413: _l("Request too large"),
    429: _l("Too many requests"),
    500: _l("Something went wrong"),
    503: _l("Service unavailable"),
}

MESSAGES = {
    400: _l("The request could not be understood."),
    401: _l("You need to log in to use this page."),
    403: _l("Your account may not use this page."),
    404: _l("There is no page at this address."),
    405: _l("This page cannot be used that way."),
    409: _l("The request conflicts with the current state of the data."),
    413: _l("The upload or form is larger than the server accepts."),
    429: _l("Too many requests in a short time. Please wait and try again."),
    500: _l("The server hit an error. Nothing you entered was saved by the failed request; please try again."),
    503: _l("The service is not available right now."),
}


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


#: Seconds a client is asked to wait when the database is unreachable or busy.
DATABASE_RETRY_AFTER = 5


def error_response(status: int, message: str | None = None, headers: dict | None = None):
    try:
        db.session.rollback()
    except DBAPIError:  # the connection is gone: there is nothing to roll back
        db.session.close()
    text = message or str(MESSAGES.get(status, MESSAGES[500]))
    if wants_json():
        response = jsonify(error=status, message=text)
    elif not can_build_urls():
        response = plain_error(status, text)
    else:
        page = render_template("errors/error.html", status=status, title=TITLES.get(status, TITLES[500]), message=text)
        response = make_response(page)
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def can_build_urls() -> bool:
    """False when the request has no URL adapter: werkzeug refused its Host header (not in
    ``TRUSTED_HOSTS``) while the request context was pushed, so ``url_for`` cannot work and
    the error page, whose layout links the stylesheet and the start page, cannot render."""
    return request_ctx.url_adapter is not None


def plain_error(status: int, text: str):
    """The error as plain text: no template, no link, nothing that needs the request's host."""
    title = str(TITLES.get(status, TITLES[500]))
    response = make_response(f"{status} {title}\n\n{text}\n")
    response.mimetype = "text/plain"
    return response


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(_exc: CSRFError):
        return error_response(
            400, _("The form has expired or is missing its security token. Reload the page and submit it again.")
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        status = exc.code or 500
        headers = {}
        if status == 405 and exc.valid_methods:  # type: ignore[attr-defined]
            headers["Allow"] = ", ".join(exc.valid_methods)  # type: ignore[attr-defined]
        return error_response(status, None, headers)

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        headers = {}
        retry = getattr(exc, "retry_after_seconds", None)
        if retry:
            headers["Retry-After"] = str(retry)
        return error_response(exc.status_code, exc.message, headers)

    @app.errorhandler(SchemaBehind)
    def schema_behind(exc: SchemaBehind):
        app.logger.error("database schema is behind: %s", exc)
        return error_response(
            503,
            _(
                "The database schema is older than this version of Kaimen (database: %(current)s, "
                "expected: %(head)s). An administrator must run: kaimen db upgrade",
                current=exc.current or "—",
                head=exc.head,
            ),
        )

    @app.errorhandler(DatabaseUnavailable)
    def database_unavailable(exc: DatabaseUnavailable):
        app.logger.error("database unreachable: %s", exc)
        return _database_unavailable_response()

    @app.errorhandler(OperationalError)
    def database_error(exc: OperationalError):
        # The server went away, refused the connection, or (SQLite) stayed locked past the
        # busy timeout: the request did nothing; the client may send it again shortly.
        app.logger.error("database unavailable: %s", (str(exc.orig or exc).strip().splitlines() or ["?"])[0])
        return _database_unavailable_response()

    @app.errorhandler(DBAPIError)
    def database_disconnected(exc: DBAPIError):
        if not exc.connection_invalidated:  # a real error (e.g. a bug in a query): a 500
            return unexpected(exc)
        app.logger.error("database connection lost: %s", exc.orig)
        return _database_unavailable_response()

    @app.errorhandler(Exception)
    def unexpected(exc: BaseException):
        if app.debug or app.testing and app.config.get("PROPAGATE_EXCEPTIONS"):
            raise exc
        app.logger.exception("unhandled error")
        return error_response(500)


def _database_unavailable_response():
    return error_response(
        503, _("The database cannot be reached. Please try again shortly or tell an administrator."),
        {"Retry-After": str(DATABASE_RETRY_AFTER)},
    )
