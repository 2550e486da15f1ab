"""Configuration layering, the secret key, and SQLite's concurrency settings."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import text

from survey import create_app
from survey.config import env_overrides
from survey.database import normalise_database_url, read_only_transaction
from survey.extensions import db


def test_secret_key_is_generated_once_into_the_instance_folder(tmp_path):
    first = create_app({"INSTANCE_PATH": str(tmp_path)})
    second = create_app({"INSTANCE_PATH": str(tmp_path)})
    key_file = tmp_path / "secret_key"
    assert key_file.read_text() == first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert len(first.config["SECRET_KEY"]) == 64
    assert key_file.stat().st_mode & 0o777 == 0o600


def test_default_database_is_sqlite_in_the_instance_folder(tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'kaimen.sqlite3'}"


def test_environment_overrides_instance_config(tmp_path, monkeypatch):
    (tmp_path / "config.py").write_text("LOGIN_MAX_FAILURES = 7\nSQLITE_BUSY_TIMEOUT_MS = 1234\n")
    monkeypatch.setenv("KAIMEN_LOGIN_MAX_FAILURES", "9")
    monkeypatch.setenv("KAIMEN_SECRET_KEY", "from-the-environment")
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["LOGIN_MAX_FAILURES"] == 9  # environment beats instance/config.py
    assert app.config["SQLITE_BUSY_TIMEOUT_MS"] == 1234  # instance/config.py beats defaults
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert not (tmp_path / "secret_key").exists()


def test_malformed_typed_environment_value_is_reported():
    with pytest.raises(ValueError, match="KAIMEN_LOGIN_MAX_FAILURES='many'"):
        env_overrides({"KAIMEN_LOGIN_MAX_FAILURES": "many"})


def test_postgresql_urls_use_psycopg3():
    assert normalise_database_url("postgresql://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    assert normalise_database_url("postgres://h/db") == "postgresql+psycopg://h/db"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"


@pytest.fixture
def sqlite_app(tmp_path):
    return create_app({"INSTANCE_PATH": str(tmp_path), "SQLITE_BUSY_TIMEOUT_MS": 200})


def test_sqlite_connections_use_wal_foreign_keys_and_busy_timeout(sqlite_app):
    with sqlite_app.app_context(), db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 200


def test_sqlite_write_transactions_take_the_write_lock_at_begin(sqlite_app, tmp_path):
    """BEGIN IMMEDIATE: a second writer waits (here: times out) at BEGIN, never mid-transaction."""
    with sqlite_app.app_context(), db.engine.connect() as conn:
        conn.execute(text("SELECT 1"))  # autobegin emits BEGIN IMMEDIATE
        other = sqlite3.connect(tmp_path / "kaimen.sqlite3", timeout=0.1, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN")  # readers are not blocked under WAL
        other.execute("SELECT 1").fetchall()
        other.execute("ROLLBACK")
        other.close()


def test_sqlite_read_only_requests_do_not_take_the_write_lock(sqlite_app, tmp_path):
    token = read_only_transaction.set(True)
    try:
        with sqlite_app.app_context(), db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            other = sqlite3.connect(tmp_path / "kaimen.sqlite3", timeout=0.1, isolation_level=None)
            other.execute("BEGIN IMMEDIATE")  # succeeds: the reader holds no write lock
            other.execute("ROLLBACK")
            other.close()
    finally:
        read_only_transaction.reset(token)


def test_get_views_that_record_downloads_take_the_write_lock(sqlite_app):
    """A download writes its audit entry during a GET: its transaction must begin IMMEDIATE."""
    from survey.hooks import end_transaction, mark_read_only_transaction

    seen = {}
    for path in ("/evaluator/rounds/1/publications/1/files/1", "/evaluator/", "/healthz"):
        with sqlite_app.test_request_context(path):
            mark_read_only_transaction()
            seen[path] = read_only_transaction.get()
            end_transaction(None)
    assert seen == {"/evaluator/rounds/1/publications/1/files/1": False, "/evaluator/": True, "/healthz": True}
