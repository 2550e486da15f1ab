"""Bursts against the production server: 27 scorecards at once, and 50 respondents at once.

Run from the repository root (or through ``python bench/run.py --only burst``)::

    python bench/bench_burst.py --runs 3

Scorecards: each run takes a fresh SQLite database with the seeds' round (nine units,
27 representatives, every session open) prepared as ``tests/live/test_concurrent_scoring.py``
does (its ``_prepare``), then starts ``python -m survey serve``. Every representative's
phone (a thread with its own cookies) opens the join page and exchanges its code; when all
27 hold their session's CSRF token, a barrier releases them and they submit all 40
criteria at once. The latency of each submit is timed from the barrier to the answer.

Respondents: 50 clients each GET the demo needs questionnaire (the CSRF token), then a
barrier releases all 50 POSTs of a whole response to
``/api/v1/questionnaires/<slug>/responses`` at once.

For each: p50 and p99 of the burst's latencies (target: p99 under 100 ms), errors (any
answer other than 200/201; target 0), and the stored count against the sent count. The
median over the runs of each figure is reported.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from http.cookiejar import CookieJar
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.bench_http import (
    SLUG,
    app_for,
    csrf_session,
    migrate,
    prepare_questionnaire,
    serve,
    stored_responses,
)

TARGET_P99_S = 0.100
RESPONDENTS = 50
TIMEOUT = 60


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100): p99 of 27 or 50 values is the slowest or next to it."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


def _send(opener, request):
    try:
        with opener.open(request, timeout=TIMEOUT) as response:
            return response.status, response.url, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, request.full_url, exc.read().decode("utf-8", "replace")


def scorecard_burst() -> dict:
    """One run: a fresh database and server, 27 phones submit their 40 criteria at once."""
    from sqlalchemy import func, select

    from tests.live.test_concurrent_scoring import CSRF_FIELD, _prepare

    folder = Path(tempfile.mkdtemp(prefix="kaimen-bench-burst-"))
    database_url = f"sqlite:///{folder / 'kaimen.sqlite3'}"
    app = app_for(database_url, folder)
    migrate(app)
    round_id, phones = _prepare(app)
    latencies: dict[int, float] = {}
    failures: list[str] = []
    ready = threading.Barrier(len(phones) + 1)
    go = threading.Event()

    def phone_thread(phone, base: str) -> None:
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        request = None
        try:
            status, _u, page = _send(opener, urllib.request.Request(base + "/join?code=" + phone.code))
            match = CSRF_FIELD.search(page)
            form = urllib.parse.urlencode({"code": phone.code, "csrf_token": match.group(1) or match.group(2)})
            status, url, page = _send(opener, urllib.request.Request(base + "/join", data=form.encode(), method="POST"))
            if status != 200 or not url.endswith("/score"):
                raise RuntimeError(f"join answered {status} at {url}")
            api = f"{base}/api/score/sessions/{phone.session_id}"
            status, _u, text = _send(opener, urllib.request.Request(api))
            token = json.loads(text)["csrf_token"]
            request = urllib.request.Request(api + "/submit", data=json.dumps(phone.body).encode("utf-8"),
                                             headers={"Content-Type": "application/json", "X-CSRFToken": token},
                                             method="POST")
        except Exception as exc:  # noqa: BLE001 - counted as an error of the burst
            failures.append(f"rater {phone.rater_id} before the burst: {exc}")
        ready.wait()
        go.wait()
        if request is None:
            return
        started = time.perf_counter()
        status, _u, text = _send(opener, request)
        latencies[phone.rater_id] = time.perf_counter() - started
        if status != 200:
            failures.append(f"rater {phone.rater_id}: {status} {text[:200]}")

    try:
        with serve(database_url, folder) as server:
            threads = [threading.Thread(target=phone_thread, args=(p, server.url)) for p in phones]
            for t in threads:
                t.start()
            ready.wait()
            time.sleep(0.2)  # every thread is parked on the event
            go.set()
            for t in threads:
                t.join(timeout=2 * TIMEOUT)
        from survey.extensions import db
        from survey.models import Scorecard, ScorecardStatus

        with app.app_context():
            stored = db.session.scalar(select(func.count()).select_from(Scorecard).where(
                Scorecard.round_id == round_id, Scorecard.status == ScorecardStatus.SUBMITTED))
            db.session.remove()
            db.engine.dispose()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    values = list(latencies.values())
    return {"sent": len(phones), "answered": len(values), "errors": len(failures), "stored": int(stored),
            "p50_s": percentile(values, 50) if values else float("nan"),
            "p99_s": percentile(values, 99) if values else float("nan"), "failures": failures[:5]}


def respondent_burst(server, pool: list[dict], n: int = RESPONDENTS) -> dict:
    """50 clients (each with its own session and token) POST a whole response at the same moment."""
    latencies: list[float] = []
    failures: list[str] = []
    ready = threading.Barrier(n + 1)
    go = threading.Event()
    lock = threading.Lock()

    def client(i: int) -> None:
        request = None
        try:
            cookie, token = csrf_session(server)
            body = json.dumps({"client_id": f"burst{uuid.uuid4().hex}", "answers": pool[i % len(pool)]})
            request = urllib.request.Request(
                f"{server.url}/api/v1/questionnaires/{SLUG}/responses", data=body.encode("utf-8"), method="POST",
                headers={"Content-Type": "application/json", "X-CSRFToken": token, "Cookie": cookie})
        except Exception as exc:  # noqa: BLE001
            failures.append(f"client {i} before the burst: {exc}")
        ready.wait()
        go.wait()
        if request is None:
            return
        opener = urllib.request.build_opener()
        started = time.perf_counter()
        status, _u, text = _send(opener, request)
        with lock:
            latencies.append(time.perf_counter() - started)
            if status != 201:
                failures.append(f"client {i}: {status} {text[:200]}")

    threads = [threading.Thread(target=client, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    ready.wait()
    time.sleep(0.2)
    go.set()
    for t in threads:
        t.join(timeout=2 * TIMEOUT)
    return {"sent": n, "answered": len(latencies), "errors": len(failures),
            "p50_s": percentile(latencies, 50) if latencies else float("nan"),
            "p99_s": percentile(latencies, 99) if latencies else float("nan"), "failures": failures[:5]}


def respondent_bursts(runs: int) -> list[dict]:
    """``runs`` bursts of 50 against one server; the stored count is checked after each."""
    folder = Path(tempfile.mkdtemp(prefix="kaimen-bench-burst50-"))
    database_url = f"sqlite:///{folder / 'kaimen.sqlite3'}"
    app = app_for(database_url, folder)
    migrate(app)
    pool = prepare_questionnaire(app, pool_size=RESPONDENTS)
    out = []
    try:
        with serve(database_url, folder) as server:
            urllib.request.urlopen(f"{server.url}/api/v1/questionnaires/{SLUG}", timeout=30).read()  # warm
            before = stored_responses(app)
            for _ in range(runs):
                result = respondent_burst(server, pool)
                after = stored_responses(app)
                result["stored"] = after - before
                before = after
                out.append(result)
        from survey.extensions import db

        with app.app_context():
            db.engine.dispose()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return out


def summarise(results: list[dict]) -> dict:
    return {
        "runs": len(results),
        "p50_s": statistics.median(r["p50_s"] for r in results),
        "p99_s": statistics.median(r["p99_s"] for r in results),
        "worst_p99_s": max(r["p99_s"] for r in results),
        "errors": sum(r["errors"] for r in results),
        "sent": sum(r["sent"] for r in results),
        "stored": sum(r["stored"] for r in results),
        "failures": [f for r in results for f in r["failures"]][:5],
    }


def run(runs: int = 3, log=print) -> dict:
    cards = []
    for r in range(runs):
        cards.append(scorecard_burst())
        log(f"  scorecards run {r + 1}: p50 {cards[-1]['p50_s'] * 1000:.0f} ms, p99 {cards[-1]['p99_s'] * 1000:.0f} ms, "
            f"errors {cards[-1]['errors']}, stored {cards[-1]['stored']}/{cards[-1]['sent']}")
    people = respondent_bursts(runs)
    for r, result in enumerate(people):
        log(f"  respondents run {r + 1}: p50 {result['p50_s'] * 1000:.0f} ms, p99 {result['p99_s'] * 1000:.0f} ms, "
            f"errors {result['errors']}, stored {result['stored']}/{result['sent']}")
    return {"scorecards": summarise(cards), "respondents": summarise(people)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    print(json.dumps(run(args.runs), indent=2))


if __name__ == "__main__":
    main()
