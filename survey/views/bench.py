"""A bare "hello" endpoint: the ceiling the benchmarks compare the real endpoints against.

Registered only when the app's config has ``BENCH_ENDPOINTS`` true (``KAIMEN_BENCH_ENDPOINTS=true``),
which ``bench/run.py`` sets for the server it starts; it does not exist in production.
It goes through the same server, hooks, access check and security headers as every other
route, and does nothing else: no database, no template.
"""

from __future__ import annotations

from flask import Blueprint

from survey.access import public

bp = Blueprint("bench", __name__, url_prefix="/bench")


def enabled(config) -> bool:
    """``BENCH_ENDPOINTS`` from a test config (a bool) or the environment (a string)."""
    value = config.get("BENCH_ENDPOINTS", False)
    return value is True or str(value).strip().lower() in ("1", "true", "yes", "on")


@bp.route("/hello")
@public
def hello():
    return "hello", 200, {"Content-Type": "text/plain; charset=utf-8"}
