"""Response submission through the real endpoint under the production server, against a bare "hello".

Run from the repository root (or through ``python bench/run.py --only http``)::

    python bench/bench_http.py                    # 3 runs of 10 s per endpoint
    python bench/bench_http.py --runs 5 --duration 20 --client python

What it does
------------
A temporary SQLite database is migrated and given the demo's units and the demo's
25-question member-needs questionnaire (published, open, no responses). Then
``python -m survey serve`` (waitress, the default 8 threads, loopback) is started on
it with ``KAIMEN_BENCH_ENDPOINTS=true``, which adds ``GET /bench/hello`` (a
plain-text "hello": the same server, hooks, access check and headers, no database).

For each run, the load generator sends, for ``--duration`` seconds over
``--connections`` keep-alive connections:

- ``GET /bench/hello`` (the ceiling), then
- ``POST /api/v1/questionnaires/<slug>/responses``: a whole response (the CSRF
  token and session cookie of one earlier GET), a fresh ``client_id`` each time,
  answers cycling through a pool of realistic synthetic responses, so every
  request is validated, checked for an earlier submission and stored (its
  ``responses`` row and packed answer row, one commit).

The load generator is ``wrk`` when installed (``apt-get install wrk``; a Lua script
makes the unique client ids), else a Python client (one thread per connection,
``http.client`` keep-alive). Both share the machine's cores with the server, so the
absolute numbers are lower than on a separate client machine; the ratio is the
figure (target: submissions at least 0.30 of the hello rate). After the runs, the
stored responses are counted against the 201 answers.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

REPO = Path(__file__).resolve().parent.parent
SLUG = "bench-http-needs"
TARGET_RATIO = 0.30
SERVER_THREADS = 8  # ``kaimen serve``'s default
STARTUP_SECONDS = 90


# --------------------------------------------------------------------------- database and server


def app_for(database_url: str, instance: Path):
    from survey import create_app

    return create_app({"DATABASE_URL": database_url, "INSTANCE_PATH": str(instance), "SECRET_KEY": "bench"})


def migrate(app) -> None:
    from flask_migrate import upgrade

    from survey.extensions import db

    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        db.session.remove()


def prepare_questionnaire(app, pool_size: int = 500) -> list[dict]:
    """The demo's units and needs questionnaire (published, open); returns a pool of valid answers."""
    import random

    from survey.demo_questionnaires import needs_questionnaire
    from survey.demo_responses import demo_units, synthetic_responses
    from survey.extensions import db
    from survey.models import QuestionnaireKind
    from survey.services import demo
    from survey.services.questionnaires import (
        create_questionnaire,
        publish_questionnaire,
    )

    with app.app_context():
        demo._load_units(random.Random(2014), demo.DemoSummary())
        questionnaire = create_questionnaire(spec=needs_questionnaire(), kind=QuestionnaireKind.NEEDS, slug=SLUG)
        publish_questionnaire(questionnaire=questionnaire)
        db.session.commit()
        pool = [r.answers for r in synthetic_responses(needs_questionnaire(), pool_size, seed=7, units=demo_units())]
        db.session.remove()
    return pool


def stored_responses(app, slug: str = SLUG) -> int:
    from sqlalchemy import func, select

    from survey.extensions import db
    from survey.models import Questionnaire, Response, ResponseStatus

    with app.app_context():
        n = db.session.scalar(
            select(func.count()).select_from(Response).join(Questionnaire, Questionnaire.id == Response.questionnaire_id)
            .where(Questionnaire.slug == slug, Response.status == ResponseStatus.SUBMITTED))
        db.session.remove()
    return int(n)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    url: str
    host: str
    port: int
    log: Path
    process: subprocess.Popen

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@contextmanager
def serve(database_url: str, instance: Path, threads: int = SERVER_THREADS):
    """``python -m survey serve`` on the database, with the bench endpoints; stopped afterwards."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAIMEN_")}
    env.update(KAIMEN_INSTANCE_PATH=str(instance), KAIMEN_DATABASE_URL=database_url, KAIMEN_SECRET_KEY="bench",
               KAIMEN_BENCH_ENDPOINTS="true", PYTHONPATH=str(REPO) + os.pathsep + env.get("PYTHONPATH", ""))
    log = instance / f"server-{port}.log"
    with open(log, "w") as out:
        process = subprocess.Popen([sys.executable, "-m", "survey", "serve", "--port", str(port),
                                    "--threads", str(threads)], env=env, stdout=out, stderr=subprocess.STDOUT,
                                   cwd=str(REPO))
    server = Server(f"http://127.0.0.1:{port}", "127.0.0.1", port, log, process)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            try:
                with urllib.request.urlopen(server.url + "/bench/hello", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"kaimen serve did not start:\n{server.log_text()[-3000:]}") from None
                time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def csrf_session(server: Server, slug: str = SLUG) -> tuple[str, str]:
    """(Cookie header, CSRF token) from one GET of the questionnaire, as a JSON client does."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(f"{server.url}/api/v1/questionnaires/{slug}", timeout=30) as r:
        token = json.loads(r.read())["csrf_token"]
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    return cookie, token


# --------------------------------------------------------------------------- load generators


@dataclass
class Load:
    requests: int
    seconds: float
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0  #: socket errors and timeouts
    generator: str = ""

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def count(self, *codes: int) -> int:
        return sum(n for s, n in self.statuses.items() if s in codes)


WRK_SCRIPT = r"""
local counter = 0
local bodies = {}
local nbodies = 0
local threads = {}

function setup(thread)
  thread:set("tid", string.format("%02d", #threads))
  table.insert(threads, thread)
end

function init(args)
  local f = io.open(args[1], "r")
  for line in f:lines() do
    nbodies = nbodies + 1
    bodies[nbodies] = line
  end
  f:close()
  prefix = args[2] .. tid  -- unique per wrk run and thread: every request is a new response
  statuses = {}
end

request = function()
  counter = counter + 1
  local template = bodies[(counter % nbodies) + 1]
  local body = string.gsub(template, "CLIENT_ID_HERE", prefix .. string.format("%010d", counter), 1)
  return wrk.format(nil, nil, nil, body)
end

response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local totals = {}
  for _, thread in ipairs(threads) do
    local s = thread:get("statuses")
    for code, n in pairs(s) do totals[code] = (totals[code] or 0) + n end
  end
  local parts = {}
  for code, n in pairs(totals) do table.insert(parts, string.format('"%d": %d', code, n)) end
  io.write("STATUSES {" .. table.concat(parts, ", ") .. "}\n")
  io.write(string.format("SUMMARY %d %d %d %d\n", summary.requests, summary.duration,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
"""


def wrk_load(url: str, duration: float, connections: int, headers: dict[str, str] | None = None,
             bodies: list[str] | None = None, workdir: Path | None = None) -> Load:
    """Run wrk; with ``bodies`` (JSON templates holding CLIENT_ID_HERE) it POSTs them in turn."""
    args = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{max(1, round(duration))}s", "--timeout", "10s"]
    for name, value in (headers or {}).items():
        args += ["-H", f"{name}: {value}"]
    if bodies is not None:
        folder = workdir or Path(tempfile.mkdtemp(prefix="kaimen-bench-wrk-"))
        script = folder / "submit.lua"
        script.write_text('wrk.method = "POST"\n' + WRK_SCRIPT)
        body_file = folder / "bodies.txt"
        body_file.write_text("\n".join(bodies) + "\n")
        args += ["-H", "Content-Type: application/json", "-s", str(script), url, "--", str(body_file), "wrk" + uuid.uuid4().hex[:12]]
    else:
        args.append(url)
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    match = re.search(r"(\d+) requests in ([\d.]+)(\w+)", out)
    unit = {"s": 1.0, "ms": 1e-3, "m": 60.0}[match.group(3)]
    load = Load(int(match.group(1)), float(match.group(2)) * unit, generator="wrk")
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    summary = re.search(r"SUMMARY (\d+) (\d+) (\d+) (\d+)", out)
    statuses = re.search(r"STATUSES (\{.*\})", out)
    if summary:
        load.seconds = int(summary.group(2)) / 1e6
        load.errors = int(summary.group(3))
    if statuses:
        load.statuses = {int(k): v for k, v in json.loads(statuses.group(1)).items()}
    else:
        bad = int(non2xx.group(1)) if non2xx else 0
        load.statuses = {200: load.requests - bad, 0: bad} if bad else {200: load.requests}
    return load


def python_load(host: str, port: int, path: str, duration: float, connections: int,
                headers: dict[str, str] | None = None, bodies: list[str] | None = None) -> Load:
    """One thread per keep-alive connection, each sending requests back to back for ``duration`` s."""
    stop = time.perf_counter() + duration
    lock = threading.Lock()
    statuses: dict[int, int] = {}
    errors = [0]
    start_together = threading.Barrier(connections + 1)

    def worker(n: int) -> None:
        conn = http.client.HTTPConnection(host, port, timeout=10)
        local: dict[int, int] = {}
        failed = 0
        i = 0
        start_together.wait()
        while time.perf_counter() < stop:
            i += 1
            try:
                if bodies is None:
                    conn.request("GET", path, headers=headers or {})
                else:
                    body = bodies[(n * 7919 + i) % len(bodies)].replace("CLIENT_ID_HERE", f"py{n:04d}{uuid.uuid4().hex}", 1)
                    conn.request("POST", path, body=body.encode("utf-8"),
                                 headers={**(headers or {}), "Content-Type": "application/json"})
                response = conn.getresponse()
                response.read()
                local[response.status] = local.get(response.status, 0) + 1
            except (OSError, http.client.HTTPException):
                failed += 1
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=10)
        conn.close()
        with lock:
            for k, v in local.items():
                statuses[k] = statuses.get(k, 0) + v
            errors[0] += failed

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(connections)]
    for t in threads:
        t.start()
    start_together.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - started
    return Load(sum(statuses.values()), seconds, statuses, errors[0], generator="python")


def generator_name(choice: str) -> str:
    if choice == "auto":
        return "wrk" if shutil.which("wrk") else "python"
    return choice


# --------------------------------------------------------------------------- the benchmark


def submission_bodies(pool: list[dict]) -> list[str]:
    return [json.dumps({"client_id": "CLIENT_ID_HERE", "answers": a}, ensure_ascii=False, separators=(",", ":"))
            for a in pool]


def run(runs: int = 3, duration: float = 10.0, connections: int = 16, client: str = "auto",
        log=print) -> dict:
    """Measure hello and submission rates ``runs`` times each (alternating); return the figures."""
    client = generator_name(client)
    folder = Path(tempfile.mkdtemp(prefix="kaimen-bench-http-"))
    database_url = f"sqlite:///{folder / 'kaimen.sqlite3'}"
    app = app_for(database_url, folder)
    migrate(app)
    pool = prepare_questionnaire(app)
    bodies = submission_bodies(pool)
    hello, submit = [], []
    created = 0
    try:
        with serve(database_url, folder) as server:
            cookie, token = csrf_session(server)
            headers = {"Cookie": cookie, "X-CSRFToken": token}
            submit_path = f"/api/v1/questionnaires/{SLUG}/responses"
            # warm-up: the first requests load templates, codebooks and connections
            warm = python_load(server.host, server.port, submit_path, 1.0, 4, headers, bodies)
            created += warm.count(201)
            python_load(server.host, server.port, "/bench/hello", 1.0, 4)
            for r in range(runs):
                if client == "wrk":
                    h = wrk_load(server.url + "/bench/hello", duration, connections)
                    s = wrk_load(server.url + submit_path, duration, connections, headers, bodies, folder)
                else:
                    h = python_load(server.host, server.port, "/bench/hello", duration, connections)
                    s = python_load(server.host, server.port, submit_path, duration, connections, headers, bodies)
                hello.append(h)
                submit.append(s)
                created += s.count(201)
                log(f"  run {r + 1}: hello {h.rate:,.0f}/s, submissions {s.rate:,.0f}/s "
                    f"(ratio {s.rate / h.rate:.2f}; statuses {s.statuses}, socket errors {s.errors})")
            server_log = server.log_text()
        stored = stored_responses(app)
    finally:
        from survey.extensions import db

        with app.app_context():
            db.engine.dispose()
        shutil.rmtree(folder, ignore_errors=True)
    ratios = [s.rate / h.rate for h, s in zip(hello, submit)]
    return {
        "generator": client, "connections": connections, "duration_s": duration, "server_threads": SERVER_THREADS,
        "hello_rps": statistics.median(h.rate for h in hello),
        "submit_rps": statistics.median(s.rate for s in submit),
        "ratio": statistics.median(ratios), "runs": runs,
        "submit_non_201": sum(s.requests - s.count(201) for s in submit),
        "socket_errors": sum(s.errors + h.errors for s, h in zip(submit, hello)),
        "created": created, "stored": stored,
        "tracebacks": server_log.count("Traceback"),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per endpoint per run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto")
    args = parser.parse_args(argv)
    result = run(args.runs, args.duration, args.connections, args.client)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
