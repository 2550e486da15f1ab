"""Response headers every response carries: pages, JSON, error pages, downloads, static files.

Caching: a response that does not choose its own ``Cache-Control`` gets ``no-store``. Pages,
JSON and downloads may hold personal data (answers, scores, names, one-time invitation codes
in a CSV) and every HTML page carries the session's CSRF token, so none of them may stay in a
shared or disk cache. Static files (Flask sends ``no-cache`` with an ETag) and the scoring
service worker (``no-cache``) choose their own: they hold nothing personal.
"""

from __future__ import annotations

from flask import Response, request

#: No inline script or style anywhere: every asset comes from /static on this host.
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    headers.setdefault("Cache-Control", "no-store")
    return response
