"""A real ``kaimen serve`` (waitress, several threads) in a subprocess, per database backend.

SQLite always (a fresh instance folder); PostgreSQL too when ``KAIMEN_TEST_DATABASE_URL``
names a server: a fresh database per run, dropped afterwards. The test process builds its
data with ``create_app`` on the same database while the server answers HTTP.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.conftest import BACKENDS, fresh_postgres_database

#: Waitress threads of the live server: enough that many requests really run at once.
SERVER_THREADS = 16
STARTUP_SECONDS = 60


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveServer:
    url: str  #: http://127.0.0.1:port
    database_url: str
    instance: Path
    log: Path
    app: object  #: a Flask app on the same database, for preparing data and checking results

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@contextmanager
def backend_database(backend: str, tmp_path_factory) -> Iterator[str]:
    """A fresh, empty database on ``backend`` (one of ``BACKENDS``); a PostgreSQL one is dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('live-db') / 'kaimen.sqlite3'}"
        return
    with fresh_postgres_database("kaimen_live") as url:
        yield url


@pytest.fixture(scope="module", params=BACKENDS)
def live_db(request, tmp_path_factory) -> Iterator[str]:
    """A fresh, empty database for one live server."""
    with backend_database(request.param, tmp_path_factory) as url:
        yield url


@pytest.fixture(scope="module")
def live(live_db, tmp_path_factory) -> Iterator[LiveServer]:
    """The database migrated by the real migrations, then ``kaimen serve`` on it."""
    from flask_migrate import upgrade

    from survey import create_app
    from survey.extensions import db

    instance = tmp_path_factory.mktemp("live-server")
    app = create_app({"DATABASE_URL": live_db, "INSTANCE_PATH": str(instance)})
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        db.session.remove()
    port = _free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("KAIMEN_")}
    env.update(KAIMEN_INSTANCE_PATH=str(instance), KAIMEN_DATABASE_URL=live_db)
    log_path = instance / "server.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "survey", "serve", "--port", str(port), "--threads", str(SERVER_THREADS)],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_up(process, f"http://127.0.0.1:{port}", log_path)
            yield LiveServer(url=f"http://127.0.0.1:{port}", database_url=live_db, instance=instance,
                             log=log_path, app=app)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


def _wait_until_up(process: subprocess.Popen, url: str, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=1):
                return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"kaimen serve did not start:\n{log_path.read_text(errors='replace')}")
            time.sleep(0.2)


# --------------------------------------------------------------------------- servers a test controls
# The fault and two-server tests start, kill (SIGKILL) and restart their own servers.


class ServerProcess:
    """One ``kaimen serve`` subprocess on ``database_url`` that a test may kill and start again."""

    def __init__(self, database_url: str, instance: Path, *, threads: int = SERVER_THREADS,
                 env: dict[str, str] | None = None, name: str = "server"):
        self.database_url = database_url
        self.instance = instance
        self.threads = threads
        self.extra_env = dict(env or {})
        self.name = name
        self.process: subprocess.Popen | None = None
        self.url = ""
        self.log = instance / f"{name}.log"
        self.starts = 0

    def start(self) -> ServerProcess:
        port = _free_port()
        env = {key: value for key, value in os.environ.items() if not key.startswith("KAIMEN_")}
        env.update(KAIMEN_INSTANCE_PATH=str(self.instance), KAIMEN_DATABASE_URL=self.database_url, **self.extra_env)
        self.starts += 1
        with open(self.log, "a") as log:
            log.write(f"\n=== start {self.starts} on port {port}\n")
            log.flush()
            self.process = subprocess.Popen(
                [sys.executable, "-m", "survey", "serve", "--port", str(port), "--threads", str(self.threads)],
                env=env, stdout=log, stderr=subprocess.STDOUT,
            )
        self.url = f"http://127.0.0.1:{port}"
        _wait_until_up(self.process, self.url, self.log)
        return self

    def kill(self) -> None:
        """SIGKILL: no shutdown handler, no flush, no rollback runs in the server."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""


#: What a live server answers (503) while its database cannot be reached (survey/errors.py).
DB_UNAVAILABLE = "The database cannot be reached. Please try again shortly or tell an administrator."
#: For a server that answers 503 soon when SQLite is locked (the default busy timeout waits much longer).
SHORT_BUSY_TIMEOUT_ENV = {"KAIMEN_SQLITE_BUSY_TIMEOUT_MS": "300"}


class DatabaseAway:
    """Makes a live server's database unusable, and brings it back.

    PostgreSQL: the database refuses new connections and the server's are terminated
    (the test process's too: dispose of its engine afterwards).
    SQLite: another process holds the write lock longer than the server's busy timeout
    (run the server with ``SHORT_BUSY_TIMEOUT_ENV``), so every write fails; reads in WAL
    mode still work, so only writing requests fail there."""

    def __init__(self, db_url: str):
        self.url = make_url(db_url)
        self.sqlite = self.url.get_backend_name() == "sqlite"
        self._conn = None

    def __enter__(self):
        if self.sqlite:
            import sqlite3

            self._conn = sqlite3.connect(self.url.database, isolation_level=None, timeout=10)
            self._conn.execute("BEGIN IMMEDIATE")
        else:
            self._admin = create_engine(self.url.set(drivername="postgresql+psycopg", database="postgres"),
                                        isolation_level="AUTOCOMMIT")
            with self._admin.connect() as conn:
                conn.execute(text(f'ALTER DATABASE "{self.url.database}" ALLOW_CONNECTIONS false'))
                conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                  "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": self.url.database})
        return self

    def __exit__(self, *_exc):
        if self.sqlite:
            self._conn.execute("ROLLBACK")
            self._conn.close()
        else:
            with self._admin.connect() as conn:
                conn.execute(text(f'ALTER DATABASE "{self.url.database}" ALLOW_CONNECTIONS true'))
            self._admin.dispose()


def migrated_app(database_url: str, instance: Path):
    """An app on ``database_url`` (migrated by the real migrations), for preparing data and checking results."""
    from flask_migrate import upgrade

    from survey import create_app
    from survey.extensions import db

    app = create_app({"DATABASE_URL": database_url, "INSTANCE_PATH": str(instance)})
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        db.session.remove()
    return app


def integrity_problems(app) -> list[str]:
    """What the database's own checks find: SQLite ``integrity_check`` and ``foreign_key_check``;
    on both backends, answer rows and submitted responses that do not match one to one."""
    from survey.extensions import db

    problems: list[str] = []
    with app.app_context():
        connection = db.session.connection()
        if connection.dialect.name == "sqlite":
            result = [row[0] for row in connection.exec_driver_sql("PRAGMA integrity_check")]
            if result != ["ok"]:
                problems.append(f"integrity_check: {result}")
            fk = list(connection.exec_driver_sql("PRAGMA foreign_key_check"))
            if fk:
                problems.append(f"foreign_key_check: {fk[:10]}")
        orphans = connection.exec_driver_sql(
            "SELECT count(*) FROM answer_rows a LEFT JOIN responses r ON r.id = a.response_id "
            "WHERE r.id IS NULL OR r.status <> 'submitted'").scalar_one()
        missing = connection.exec_driver_sql(
            "SELECT count(*) FROM responses r LEFT JOIN answer_rows a ON a.response_id = r.id "
            "WHERE r.status = 'submitted' AND a.response_id IS NULL").scalar_one()
        if orphans:
            problems.append(f"{orphans} answer rows without a submitted response")
        if missing:
            problems.append(f"{missing} submitted responses without an answer row")
        db.session.remove()
    return problems


@pytest.fixture(scope="module")
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database (dropped afterwards); skips when no server is configured."""
    if not os.environ.get("KAIMEN_TEST_DATABASE_URL"):
        pytest.skip("needs PostgreSQL: set KAIMEN_TEST_DATABASE_URL (several app servers cannot share SQLite)")
    with fresh_postgres_database("kaimen_live") as url:
        yield url
