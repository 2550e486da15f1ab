"""Small helpers shared by views."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import request


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
