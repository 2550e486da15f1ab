"""Data-side figures for ``bench/run.py``: bulk ingest, cold analysis, the analysis page, the report PDFs, the engine.

Each function returns plain numbers (seconds, counts); ``bench/run.py`` puts them in
the table. They reuse the existing benchmark scripts:

- ``ingest``: ``bench_analysis_storage.build`` (``bulk_import_responses``, one
  transaction, ``validate=False``) into a fresh SQLite file;
- ``cold_analysis``: in a fresh process, ``bench_analysis_page.phase_million``
  (``load_matrix`` of every response, every question's figures and one full
  breakdown by age band), plus the process's peak resident memory;
- ``demo_figures``: the demo scenario (``kaimen demo``: 20,000 needs responses,
  the 2014 round) in a fresh SQLite file, then the analysis page through the Flask
  test client (analysis cache off: every request reads, analyses and renders; and
  on), ``kaimen report needs`` (``needs_report.build_for``), ``kaimen report round``
  and ``kaimen report unit`` (preview and PDF, as the commands do);
- ``engine``: ``bench_scoring`` on the seeds' round and the large round.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def ingest(n: int, db_path: Path) -> float:
    """Seconds to bulk-import ``n`` responses into a fresh database at ``db_path``."""
    from bench.bench_analysis_storage import build

    if db_path.exists():
        db_path.unlink()
    return build(db_path, n)["ingest_s"]


def cold_analysis(db_path: Path) -> dict:
    """A fresh process: load and analyse every response (page cache dropped if root); time and peak memory."""
    from bench.bench_analysis_storage import _drop_caches

    dropped = _drop_caches()
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--phase", "cold", str(db_path)],
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["cache_dropped"] = dropped
    return result


def _phase_cold(db_path: Path) -> None:
    from bench.bench_analysis_page import phase_million

    result = phase_million(db_path, "age_band")
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def _timed(fn, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return times


def demo_figures(runs: int, log=print) -> dict:
    """The demo in a temporary database; the analysis page and the three report PDFs, ``runs`` times each."""
    from flask_migrate import upgrade
    from sqlalchemy import select

    from survey import create_app
    from survey.extensions import db
    from survey.models import Questionnaire, Round
    from survey.services import demo, needs_analysis_cache, publications, report_data
    from survey.services.needs_report import build_for
    from survey.services.rounds import DEMO_ROUND_NAME

    folder = Path(tempfile.mkdtemp(prefix="kaimen-bench-demo-"))
    app = create_app({"DATABASE_URL": f"sqlite:///{folder / 'demo.sqlite3'}", "INSTANCE_PATH": str(folder),
                      "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False})
    out: dict = {}
    try:
        with app.app_context():
            started = time.perf_counter()
            upgrade(directory=app.extensions["migrate"].directory)
            demo.load_demo_scenario()
            db.session.commit()
            out["demo_load_s"] = time.perf_counter() - started
            log(f"  demo loaded in {out['demo_load_s']:.1f} s")
            qid = db.session.scalar(select(Questionnaire.id).where(Questionnaire.slug == demo.NEEDS_SLUG))
            round_id = db.session.scalar(select(Round.id).where(Round.name == DEMO_ROUND_NAME))
            db.session.remove()

        client = app.test_client()
        client.set_cookie("kaimen_lang", "zh_CN")
        response = client.post("/login", data={"username": "staff", "password": "kaimen-demo-staff"})
        assert response.status_code == 302, "log-in as the demo's staff member failed"
        url = f"/staff/questionnaires/{qid}/analysis"

        def page():
            assert client.get(url).status_code == 200

        app.config["ANALYSIS_CACHE_SECONDS"] = 0
        needs_analysis_cache.clear()
        page()  # the first request loads codebooks and templates
        out["page_uncached"] = _timed(page, runs)
        app.config["ANALYSIS_CACHE_SECONDS"] = 300
        needs_analysis_cache.clear()
        page()
        out["page_cached"] = _timed(page, runs)

        with app.app_context():
            questionnaire = db.session.get(Questionnaire, qid)
            now = datetime(2016, 7, 1, 1, 0, tzinfo=UTC)

            def needs():
                db.session.expire_all()
                build_for(questionnaire=questionnaire, language="zh", now=now)

            out["needs_report"] = _timed(needs, runs)
            round = db.session.get(Round, round_id)
            unit_code = None

            def round_pdf():
                nonlocal unit_code
                preview = publications.preview(round=round)
                db.session.rollback()
                report_data.round_report(preview.snapshot, "zh")
                unit_code = preview.snapshot["facts"]["units"][0]["code"]

            def unit_pdf():
                preview = publications.preview(round=round)
                db.session.rollback()
                report_data.unit_report(preview.snapshot, unit_code, "zh")

            out["round_report"] = _timed(round_pdf, runs)
            out["unit_report"] = _timed(unit_pdf, runs)
            out["unit_code"] = unit_code
            db.session.remove()
            db.engine.dispose()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return out


def engine(runs: int) -> dict:
    from bench.bench_scoring import make_round, time_round
    from scoring.types import Settings

    settings = Settings(bootstrap=2000, seed=20140601)
    seeds = time_round("seeds", make_round(9, 27, 4, None), settings, runs)
    large = time_round("large", make_round(200, 500, 20, (20, 25)), settings, max(1, min(runs, 3)))
    return {"seeds": seeds, "large": large}


def million_rows(db_path: Path) -> int:
    from bench.bench_analysis_page import _responses_in

    return _responses_in(db_path)


def statistics_of(times: list[float]) -> float:
    return statistics.median(times)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--phase" and sys.argv[2] == "cold":
        _phase_cold(Path(sys.argv[3]))
    else:
        print(__doc__)
