"""Small helpers shared by views."""

from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import current_app, flash, request


def safe_next(target: str | None, default: str) -> str:
    """Only same-site relative paths are followed after login or a language switch."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def client_address() -> str:
    """The peer address (ProxyFix has already applied trusted X-Forwarded-For)."""
    return request.remote_addr or "unknown"


def local_to_utc(value: datetime | None) -> datetime | None:
    """A naive time typed by staff, in the federation's time zone, as aware UTC."""
    if value is None:
        return None
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    return value.replace(tzinfo=zone).astimezone(timezone.utc)


def utc_to_local(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.astimezone(ZoneInfo(current_app.config["TIMEZONE"]))


def flash_form_errors(form) -> None:
    """For forms posted from a page that redirects back: show each error once."""
    for errors in form.errors.values():
        for error in errors:
            flash(error, "error")
