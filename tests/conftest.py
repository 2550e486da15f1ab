"""Shared fixtures: one migrated database per backend per run, one rolled-back transaction per test.

The suite always runs on SQLite; when ``KAIMEN_TEST_DATABASE_URL`` names a
PostgreSQL server, every database test runs again there, in a fresh database
created for this run and dropped afterwards.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import scoped_session, sessionmaker

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("KAIMEN_TEST_DATABASE_URL") else [])


@contextmanager
def fresh_postgres_database(prefix: str) -> Iterator[str]:
    """A new, empty database on the ``KAIMEN_TEST_DATABASE_URL`` server, dropped afterwards."""
    server = make_url(os.environ["KAIMEN_TEST_DATABASE_URL"]).set(drivername="postgresql+psycopg")
    name = f"{prefix}_{secrets.token_hex(4)}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, tmp_path_factory) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'kaimen-test.sqlite3'}"
        return
    with fresh_postgres_database("kaimen_test") as url:
        yield url


@pytest.fixture(scope="session")
def base_app(database_url, tmp_path_factory):
    """One app per backend, its database migrated to head by the real migrations."""
    from flask_migrate import upgrade

    from survey import create_app

    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "INSTANCE_PATH": str(tmp_path_factory.mktemp("instance")),
            "SECRET_KEY": "test-secret-key",
        }
    )
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
    yield app
    from survey.extensions import db

    with app.app_context():
        db.engine.dispose()


@contextmanager
def joined_session(base_app) -> Iterator:
    """The app's session joined to an outer transaction that is rolled back at the end; yields
    the connection (tests that keep one world for a module take savepoints on it)."""
    from survey.extensions import db

    with base_app.app_context():
        connection = db.engine.connect()
    outer = connection.begin()
    original = db.session
    db.session = scoped_session(sessionmaker(bind=connection, join_transaction_mode="create_savepoint"))
    base_app.extensions.pop("kaimen_schema_ok", None)
    try:
        yield connection
    finally:
        db.session.remove()
        db.session = original
        outer.rollback()
        connection.close()


@pytest.fixture
def app(base_app):
    """The app with its session joined to an outer transaction that is rolled back."""
    with joined_session(base_app):
        yield base_app


@pytest.fixture
def backend(database_url) -> str:
    return make_url(database_url).get_backend_name()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_user(app) -> Callable:
    """Factory: ``make_user(role, username=None, password=...)`` returns the user's id."""
    from survey.extensions import db
    from survey.models import Role
    from survey.services.accounts import create_user

    counter = iter(range(1, 10_000))

    def make(role: str | Role = "staff", username: str | None = None, password: str = "correct-horse-9", **extra) -> int:
        with app.app_context():
            user = create_user(
                username=username or f"{Role(role).value}{next(counter)}", role=Role(role), password=password
            )
            for key, value in extra.items():
                setattr(user, key, value)
            db.session.commit()
            return user.id

    return make


def csrf_token(client, path: str = "/login") -> str:
    """Read the CSRF token the server put in a page's form."""
    import re

    page = client.get(path, follow_redirects=True).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"', page)
    assert match, f"no CSRF token on {path}"
    return match.group(1) or match.group(2)


@pytest.fixture
def login(client):
    """``login(username, password)`` logs the test client in through the real form."""

    def do(username: str, password: str = "correct-horse-9"):
        token = csrf_token(client)
        return client.post("/login", data={"username": username, "password": password, "csrf_token": token})

    return do


def pytest_report_header(config) -> list[str]:
    return [f"kaimen database backends: {', '.join(BACKENDS)}"]


def pytest_terminal_summary(terminalreporter) -> None:
    """Say how many tests ran per database backend and in the browser, so a skipped part shows."""
    counts: dict[str, dict[str, int]] = {}
    for outcome in ("passed", "failed", "skipped", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            nodeid = getattr(report, "nodeid", "")
            if getattr(report, "when", "call") not in ("call", "setup") or (outcome == "passed" and report.when != "call"):
                continue
            groups = [g for g in ("sqlite", "postgresql") if f"[{g}" in nodeid]
            if nodeid.startswith("tests/e2e/"):
                groups.append("browser (chromium)")
            if nodeid.startswith("tests/live/"):
                groups.append("live server (HTTP)")
            for group in groups:
                counts.setdefault(group, {}).setdefault(outcome, 0)
                counts[group][outcome] += 1
    if counts:
        terminalreporter.section("kaimen: what ran where")
        for group, by_outcome in counts.items():
            terminalreporter.write_line(f"{group}: " + ", ".join(f"{n} {o}" for o, n in sorted(by_outcome.items())))
