"""Small helpers shared by views."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import current_app, flash, request
from werkzeug import routing

from survey.extensions import db
from survey.services.errors import DomainError

#: The largest row id: Kaimen's ids are INTEGER columns (32-bit on PostgreSQL).
MAX_ROW_ID = 2**31 - 1


class IntegerConverter(routing.IntegerConverter):
    """``<int:...>`` in Kaimen's routes is always a row id. A number beyond any id matches no
    route (404) instead of reaching the database, where SQLite cannot even bind it past 64 bits.
    (It keeps werkzeug's class name: it is the same converter with a bound.)"""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = MAX_ROW_ID,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def safe_next(target: str | None, default: str) -> str:
    """Only same-site relative paths are followed after login or a language switch."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def public_base_url() -> str:
    """The address printed or shown for others to open (join QR codes, questionnaire links):
    ``BASE_URL`` when it is set, so a spoofed Host header can never change such a link;
    otherwise the address of the request itself. Ends with "/"."""
    base = (current_app.config.get("BASE_URL") or "").strip()
    return base.rstrip("/") + "/" if base else request.url_root


def public_url(endpoint: str, **values) -> str:
    """``url_for(endpoint, _external=True)`` on :func:`public_base_url`."""
    from flask import url_for

    path = url_for(endpoint, **values)[len(request.script_root):]
    return public_base_url() + path.lstrip("/")


def client_address() -> str:
    """The peer address (ProxyFix has already applied trusted X-Forwarded-For)."""
    return request.remote_addr or "unknown"


def local_to_utc(value: datetime | None) -> datetime | None:
    """A naive time typed by staff, in the federation's time zone, as aware UTC."""
    if value is None:
        return None
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    return value.replace(tzinfo=zone).astimezone(UTC)


def utc_to_local(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.astimezone(ZoneInfo(current_app.config["TIMEZONE"]))


def flash_form_errors(form) -> None:
    """For forms posted from a page that redirects back: show each error once."""
    for errors in form.errors.values():
        for error in errors:
            flash(error, "error")


def apply_change(change, success: str) -> None:
    """One transaction per request: run the service, then commit and confirm, or roll back and say why."""
    try:
        change()
    except DomainError as exc:
        refuse(exc)
    else:
        db.session.commit()
        flash(success, "success")


def refuse(exc: DomainError) -> None:
    """Roll back a refused change and flash its reason (and every listed problem)."""
    db.session.rollback()
    flash(exc.message, "error")
    for reason in getattr(exc, "problems", None) or []:
        flash(reason, "error")
