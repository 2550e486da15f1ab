"""Configuration: defaults, then ``instance/config.py``, then ``KAIMEN_*`` variables.

The secret key is never hard-coded: on first run a random key is written to
``instance/secret_key`` and read back on every later start, so sessions survive
restarts and every app server that shares the instance folder agrees on it.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any, Mapping

#: Environment variables read as ``KAIMEN_<NAME>`` and stored as ``<NAME>``.
ENV_PREFIX = "KAIMEN_"

DEFAULTS: dict[str, Any] = {
    # The address phones open (https://kaimen.example.org), for links printed outside a
    # request: `kaimen round codes`. Pages use the address of the request itself.
    "BASE_URL": None,
    "DATABASE_URL": None,  # None: SQLite file ``kaimen.sqlite3`` in the instance folder
    "SQLITE_BUSY_TIMEOUT_MS": 15000,
    "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
    "BABEL_DEFAULT_LOCALE": "zh_CN",
    "TIMEZONE": "Asia/Shanghai",  # times staff type and read; stored in UTC
    "LANGUAGES": ["zh_CN", "en"],
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_NAME": "kaimen_session",
    "PERMANENT_SESSION_LIFETIME": 12 * 3600,
    "LOGIN_SESSION_HOURS": 12,
    "LOGIN_MAX_FAILURES": 5,
    "LOGIN_FAILURE_WINDOW_MINUTES": 15,
    "LOGIN_MAX_FAILURES_PER_IP": 30,
    # Wrong join codes typed from one address within the login window; a meeting room's
    # phones often share one address, so this is looser than the per-name login limit.
    "JOIN_MAX_FAILURES_PER_IP": 30,
    "WTF_CSRF_TIME_LIMIT": 12 * 3600,
    # Over HTTPS the Referer must be this host too; a WeChat mini-program cannot set its
    # Referer, so a deployment that serves one sets KAIMEN_WTF_CSRF_SSL_STRICT=false.
    "WTF_CSRF_SSL_STRICT": True,
    "PREFERRED_URL_SCHEME": "http",
    "TRUSTED_PROXIES": 0,  # number of reverse proxies whose X-Forwarded-* headers are trusted
    # Host names this server answers to (Flask's TRUSTED_HOSTS): any other Host header gets a
    # plain 400. None answers every host. KAIMEN_TRUSTED_HOSTS is comma-separated; a name that
    # starts with "." also accepts its subdomains.
    "TRUSTED_HOSTS": None,
    "CHECK_SCHEMA": True,
    # Small-cell protection: no figure rests on fewer respondents than this (screens, PDFs,
    # evaluator exports); free text and per-enterprise views use the larger thresholds.
    "SMALL_CELL_K": 5,
    "SMALL_CELL_K_TEXT": 10,
    "SMALL_CELL_K_ENTERPRISE": 10,
    # The analysis screens keep loaded answers and finished analyses per process, keyed by a
    # stamp of the answer rows (a new submission is seen at once); 0 turns the cache off.
    "ANALYSIS_CACHE_SECONDS": 300,
    "ANALYSIS_CACHE_MB": 64,
    # Above this many responses, free texts are left to the exports (reading them is slow).
    "ANALYSIS_TEXTS_MAX_ROWS": 200000,
}

#: Keys whose environment value is a comma-separated list of names.
_LIST_KEYS = {"TRUSTED_HOSTS"}
#: Keys whose environment value is parsed as JSON (numbers, booleans, lists).
_TYPED_KEYS = {k for k, v in DEFAULTS.items() if not isinstance(v, str) and v is not None} - _LIST_KEYS


def name_list(value: str | list | tuple | None) -> list[str] | None:
    """``"a.org, .b.org"`` (or a list) as ``["a.org", ".b.org"]``; None when nothing is named,
    so that an empty setting means "not set" rather than "refuse every host"."""
    if value is None:
        return None
    items = value.split(",") if isinstance(value, str) else [str(item) for item in value]
    names = [item.strip() for item in items if item.strip()]
    return names or None


def env_overrides(environ: Mapping[str, str]) -> dict[str, Any]:
    """``KAIMEN_*`` variables with typed values where the default is not a string."""
    out: dict[str, Any] = {}
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX):
            continue
        key = name[len(ENV_PREFIX):]
        if key in _LIST_KEYS:
            out[key] = name_list(raw)
        elif key in _TYPED_KEYS:
            try:
                out[key] = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{name}={raw!r} is not a valid value: {exc.msg}") from None
        else:
            out[key] = raw
    return out


def load_or_create_secret_key(instance_path: Path) -> str:
    """Read ``instance/secret_key``; create it with 0600 permissions on first run."""
    path = instance_path / "secret_key"
    if path.exists():
        key = path.read_text(encoding="ascii").strip()
        if key:
            return key
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key)
    return key


def default_database_url(instance_path: Path) -> str:
    return f"sqlite:///{instance_path / 'kaimen.sqlite3'}"


def instance_path_from_env(environ: Mapping[str, str]) -> Path:
    """The instance folder: ``KAIMEN_INSTANCE_PATH`` or ``./instance``.

    Flask's own default for an installed package is under ``sys.prefix``; Kaimen
    keeps its SQLite file and secret key beside the project, as the README says.
    """
    return Path(environ.get("KAIMEN_INSTANCE_PATH") or Path.cwd() / "instance").resolve()
