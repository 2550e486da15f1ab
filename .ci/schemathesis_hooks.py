"""Schemathesis hooks for .ci/scanners: every generated POST carries a real CSRF token and session.

The API has no CSRF exemption (README, "JSON API"): a client first GETs the questionnaire, which
sets the session cookie and returns ``csrf_token``. Random tokens are refused with 400 by design,
so without this hook every schema-valid POST would be "rejected" and the fuzzer would never
reach validation and storage. The path's slug is kept as generated, or set to the demo's
published questionnaire when KAIMEN_FUZZ_SLUG is given (four cases in five), so both unknown
and real questionnaires are exercised.
"""

from __future__ import annotations

import os
import random

import requests
import schemathesis

BASE = os.environ.get("KAIMEN_FUZZ_BASE", "http://127.0.0.1:5000")
SLUG = os.environ.get("KAIMEN_FUZZ_SLUG", "")


@schemathesis.hook
def before_call(context, case, kwargs):
    if SLUG and case.path_parameters and "slug" in case.path_parameters and random.random() < 0.8:  # nosec B311 - test data choice
        case.path_parameters["slug"] = SLUG
    if case.method.upper() != "POST":
        return
    session = requests.Session()
    page = session.get(f"{BASE}/api/v1/questionnaires/{SLUG or 'x'}", params={"lang": "en"}, timeout=10)
    token = page.json().get("csrf_token") if page.ok else None
    if token:
        case.headers = dict(case.headers or {})
        case.headers["X-CSRFToken"] = token
        case.headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in session.cookies.items())
