"""Session cookie that is marked Secure whenever the request came over HTTPS.

Behind a TLS-terminating proxy this relies on ``KAIMEN_TRUSTED_PROXIES`` so
that X-Forwarded-Proto is believed; ``KAIMEN_SESSION_COOKIE_SECURE=true``
forces the flag regardless.
"""

from __future__ import annotations

from flask import Flask, has_request_context, request
from flask.sessions import SecureCookieSessionInterface


def cookie_secure(app: Flask) -> bool:
    return bool(app.config.get("SESSION_COOKIE_SECURE")) or (has_request_context() and request.is_secure)


class KaimenSessionInterface(SecureCookieSessionInterface):
    def get_cookie_secure(self, app: Flask) -> bool:  # type: ignore[override]
        return cookie_secure(app)
