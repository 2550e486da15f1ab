"""Engine settings per backend: SQLite tuned for concurrent writers, PostgreSQL via psycopg 3.

SQLite runs in WAL mode with foreign keys on and a busy timeout. pysqlite's own
transaction handling is switched off so that Kaimen emits ``BEGIN`` itself:
``BEGIN IMMEDIATE`` for anything that may write (so concurrent writers wait on
the busy timeout instead of failing with "database is locked" on lock upgrade),
and a plain deferred ``BEGIN`` for safe (GET/HEAD) requests, which never write.
"""

from __future__ import annotations

import contextvars
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url

#: Set to True while serving a request whose method cannot change state.
read_only_transaction: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "kaimen_read_only_transaction", default=False
)


def normalise_database_url(url: str) -> str:
    """Route ``postgresql://`` URLs through psycopg 3, the driver Kaimen ships with."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def engine_options(url: str, busy_timeout_ms: int) -> dict[str, Any]:
    if make_url(url).get_backend_name() == "sqlite":
        return {"connect_args": {"timeout": busy_timeout_ms / 1000}}
    return {"pool_pre_ping": True}


def install_sqlite_pragmas(engine: Engine, busy_timeout_ms: int) -> None:
    """Attach the per-connection pragmas and the explicit BEGIN to a SQLite engine."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # pragma: no cover - exercised via engine
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN" if read_only_transaction.get() else "BEGIN IMMEDIATE")
