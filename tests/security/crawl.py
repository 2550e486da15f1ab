"""Walking the app's routes as the caller each one is for, and proving afterwards that nothing changed.

Shared by the injection and id-guessing checklists:

- :func:`get_rules` lists the routes from ``app.url_map`` (not a hand list), so a new route is
  walked as soon as it exists; :func:`caller_for` picks who may use it from the access table
  (``tests.survey.test_access.ROUTES``), the least privileged role first;
- :func:`build_path` fills a rule's placeholders, quoting whatever text goes into them;
- :func:`table_counts` counts the rows of every table in one query, so a check can run after
  each request; :func:`users_snapshot` is the accounts table itself;
- :func:`logged_in_client` and :func:`joined_phone` make one test client per caller. Requests
  must be sent with no application context held open: Flask-WTF keeps a request's CSRF token on
  ``g``, which an outer context would share between the clients;
- :func:`assert_handled` is the verdict on one answer: no server error, no stack trace or
  database error text, a redirect stays on the site, a refusal says why.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

import pytest
from sqlalchemy import inspect, select, text
from werkzeug.routing import IntegerConverter

from survey.extensions import db
from survey.models import Role, User
from survey.services.accounts import create_user
from tests.conftest import csrf_token, joined_session
from tests.survey.test_access import ANYONE, LOGGED_IN, RATER, ROUTES

#: Text that only a leaked exception or database error would put in an answer.
ERROR_MARKERS = ("Traceback", "sqlalchemy", "sqlite3.", "psycopg", "SQLSTATE", "syntax error", "OperationalError",
                 "ProgrammingError", "DataError", "IntegrityError", "unrecognized token", "near \"")
#: Answers whose body is read for error text (downloads are binary or data).
TEXT_TYPES = ("text/html", "application/json", "text/plain")
#: Who walks a route, least privileged first: a route open to evaluators is walked as one.
ROLE_ORDER = ("evaluator", "staff", "admin")
PHONE = "phone"


def get_rules(app, method: str = "GET") -> list:
    """The app's rules answering ``method``, in a stable order."""
    return sorted((r for r in app.url_map.iter_rules() if method in r.methods), key=lambda r: (r.rule, r.endpoint))


def caller_for(endpoint: str) -> str | None:
    """None (anonymous), PHONE (the rater cookie) or the least privileged role the route allows."""
    assert endpoint in ROUTES, f"{endpoint} is not in tests/survey/test_access.py ROUTES"
    audience = ROUTES[endpoint][1]
    if audience == ANYONE:
        return None
    if audience == RATER:
        return PHONE
    if audience == LOGGED_IN:
        return "staff"
    return next(role for role in ROLE_ORDER if role in audience)


def takes_id(rule, name: str) -> bool:
    """Whether the placeholder is an ``<int:...>`` one (an id)."""
    return isinstance(rule._converters[name], IntegerConverter)


def text_arguments(rule) -> list[str]:
    """Placeholders that take text."""
    return sorted(name for name in rule.arguments if not takes_id(rule, name))


def build_path(rule, values: dict) -> str:
    """The rule's path with ``values`` in its placeholders; text is percent-quoted, "/" included."""
    path = rule.rule
    for name in rule.arguments:
        value = values[name]
        quoted = str(value) if isinstance(value, int) else quote(str(value), safe="")
        path = path.replace(f"<{_placeholder(rule, name)}>", quoted)
    assert "<" not in path, path
    return path


def _placeholder(rule, name: str) -> str:
    """The text between < and > for ``name`` in the rule (``int:round_id``, ``slug``, ``path:filename``)."""
    start = rule.rule.index(f"{name}>")
    return rule.rule[rule.rule.rindex("<", 0, start) + 1:start] + name


def table_counts() -> dict[str, int]:
    """Rows per table, every table of the schema, in one statement."""
    names = sorted(inspect(db.session.connection()).get_table_names())
    assert "users" in names, "the users table is gone"
    union = " UNION ALL ".join(f"SELECT '{n}' AS t, COUNT(*) AS n FROM {n}" for n in names)  # nosec B608  # table names from the schema
    return {name: count for name, count in db.session.execute(text(union))}


def users_snapshot() -> list[tuple]:
    return [tuple(row) for row in db.session.execute(
        select(User.id, User.username, User.password_hash, User.role, User.enabled).order_by(User.id))]


def assert_handled(response, where: str) -> None:
    """An ordinary answer: a page, a redirect on the site, or a 4xx that says why; never a 5xx or
    a stack trace or database error text."""
    status = response.status_code
    assert status < 500, f"{where}: {status}"
    body = response.get_data(as_text=True) if response.mimetype in TEXT_TYPES else ""
    if body:
        for marker in ERROR_MARKERS:
            assert marker not in body, f"{where}: {status} shows {marker!r}"
    if 300 <= status < 400:
        location = response.headers.get("Location", "")
        assert location.startswith("/") and not location.startswith("//"), f"{where}: redirects to {location!r}"
    if 400 <= status < 500:
        assert body.strip() or response.mimetype not in TEXT_TYPES, f"{where}: {status} without a reason"


PASSWORD = "correct-horse-9"


def make_account(app, role: str, username: str) -> int:
    """A new user of ``role`` with :data:`PASSWORD`, committed; returns its id."""
    with app.app_context():
        user = create_user(username=username, role=Role(role), password=PASSWORD)
        db.session.commit()
        return user.id


def logged_in_client(app, role: str, username: str):
    """A fresh test client logged in through the real form as a new user of ``role``."""
    make_account(app, role, username)
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": PASSWORD,
                                           "csrf_token": csrf_token(client)})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def joined_phone(app, code: str):
    """A fresh test client whose phone exchanged the join ``code`` (it carries the rater cookie)."""
    client = app.test_client()
    response = client.post("/join", data={"code": code, "csrf_token": csrf_token(client, "/join")})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


# --------------------------------------------------------------------------- one world for a module


@pytest.fixture(scope="module", name="shared")
def module_shared(request, base_app):
    """The module's ``World`` (a class the test module defines), built once on a joined session
    that is rolled back after the module. A test module imports these three fixtures
    (``module_app``, ``module_shared``, ``module_world``), which serve as ``app``, ``shared`` and ``world``."""
    with joined_session(base_app) as connection:
        world = request.module.World(base_app)
        world.connection = connection
        yield world


@pytest.fixture(name="world")
def module_world(shared):
    with savepoint_per_test(shared.connection):
        yield shared


@pytest.fixture(name="app")
def module_app(base_app):
    """The module's world is the app's state: no per-test app fixture of its own."""
    return base_app


@contextmanager
def savepoint_per_test(connection) -> Iterator[None]:
    """One test's writes, undone afterwards: the module's world is the same for the next test."""
    nested = connection.begin_nested()
    try:
        yield
    finally:
        db.session.remove()
        if nested.is_active:
            nested.rollback()
