"""Speed of the needs analysis: the analysis page on the demo, and a million responses from a cold start.

Run from the repository root::

    python bench/bench_analysis_page.py                      # both parts
    python bench/bench_analysis_page.py --part page --runs 20
    python bench/bench_analysis_page.py --part million --n 1000000 --db /tmp/bench-1m.sqlite3 --keep

1. **Page** (target: under 0.3 s). A temporary SQLite database is migrated and
   the demo scenario loaded (``survey.services.demo.load_demo_scenario``: the
   needs survey with its 20,000 responses). A logged-in staff member opens the
   analysis page through the Flask test client: the page without a breakdown,
   with a breakdown by age band, by sub-district, and filtered. First with the
   analysis cache off (``ANALYSIS_CACHE_SECONDS = 0``: every request reads the
   answer rows, analyses and renders), then on (the first request computes,
   the next ``--runs`` reuse the analysis and only render).
2. **A million** (target: under 5 s). ``bench/bench_analysis_storage.py`` builds
   a SQLite database with ``--n`` responses to the demo's 25-question survey
   (reused with ``--db`` if it holds them). A fresh Python process then times,
   after trying to drop the OS page cache (only as root), the cold analysis:
   ``load_matrix`` of every response, every question's figures (frequency tables,
   shares, scales, rankings, numbers, texts, the needs priority, participation)
   and one full breakdown (every question by age band, with its tests). The
   figures are printed; nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.bench_analysis_storage import SLUG, _drop_caches, _machine, build


def _app(db_path: Path, **extra):
    from survey import create_app

    instance = Path(tempfile.mkdtemp(prefix="kaimen-bench-instance-"))
    return create_app({"DATABASE_URL": f"sqlite:///{db_path}", "INSTANCE_PATH": str(instance),
                       "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False, **extra})


# --------------------------------------------------------------------------- the page


def page(runs: int) -> None:
    from flask_migrate import upgrade
    from sqlalchemy import select

    from survey.extensions import db
    from survey.models import Questionnaire
    from survey.services import demo

    folder = Path(tempfile.mkdtemp(prefix="kaimen-bench-page-"))
    db_path = folder / "demo.sqlite3"
    app = _app(db_path)
    started = time.perf_counter()
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        demo.load_demo_scenario()
        db.session.commit()
        qid = db.session.scalar(select(Questionnaire.id).where(Questionnaire.slug == demo.NEEDS_SLUG))
    print(f"demo loaded in {time.perf_counter() - started:.1f} s (database {db_path.stat().st_size / 1e6:.0f} MB)")
    client = app.test_client()
    client.set_cookie("kaimen_lang", "zh_CN")
    response = client.post("/login", data={"username": "staff", "password": "kaimen-demo-staff"})
    assert response.status_code == 302, "log-in as the demo's staff member failed"
    variants = (("no breakdown", ""), ("by age band", "?by=age_band"), ("by sub-district", "?by=_sub_district"),
                ("filtered (women)", "?a_gender=female"))
    from survey.services import needs_analysis_cache

    for cached in (False, True):
        app.config["ANALYSIS_CACHE_SECONDS"] = 300 if cached else 0
        needs_analysis_cache.clear()
        print("with the analysis cache (first request computes, later ones reuse):" if cached else
              "nothing cached (every request reads the answer rows, analyses and renders):")
        for label, query in variants:
            url = f"/staff/questionnaires/{qid}/analysis{query}"
            started = time.perf_counter()
            first = client.get(url)
            first_time = time.perf_counter() - started
            assert first.status_code == 200, first.status_code
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                response = client.get(url)
                times.append(time.perf_counter() - started)
                assert response.status_code == 200
            print(f"  analysis page, 20,000 responses, {label}: first {first_time * 1000:.0f} ms; then median "
                  f"{statistics.median(times) * 1000:.0f} ms, best {min(times) * 1000:.0f} ms, worst "
                  f"{max(times) * 1000:.0f} ms over {runs} requests ({len(response.data) / 1024:.0f} KiB of HTML)")
    for path in folder.iterdir():
        path.unlink()
    folder.rmdir()


# --------------------------------------------------------------------------- a million


def phase_million(db_path: Path, breakdown: str) -> dict:
    """In a fresh process: load every response and analyse them, with one full breakdown."""
    started_process = time.perf_counter()
    from sqlalchemy import select

    from survey.extensions import db
    from survey.models import Questionnaire
    from survey.services.answer_columns import load_matrix
    from survey.services.needs_analysis import analyse, load_answers, read_texts

    app = _app(db_path)
    imports = time.perf_counter() - started_process
    with app.app_context(), app.test_request_context():
        started = time.perf_counter()
        questionnaire = db.session.scalar(select(Questionnaire).where(Questionnaire.slug == SLUG))
        matrix = load_answers(questionnaire)  # what analyse() reads when given no matrix
        loaded = time.perf_counter()
        analysis = analyse(questionnaire=questionnaire, breakdown=breakdown, matrix=matrix, locale="zh")
        done = time.perf_counter()
        tables = len(analysis.breakdown.tables)
        tests = sum(1 for t in analysis.breakdown.tables if t.test is not None and t.test.statistic is not None)
        options = sum(len(t.option_tests) for t in analysis.breakdown.tables)
        texts = read_texts(questionnaire, matrix.codebook)
        # Without the breakdown, and with the texts (as a smaller questionnaire would have them), warm.
        started_plain = time.perf_counter()
        analyse(questionnaire=questionnaire, matrix=matrix, locale="zh")
        plain = time.perf_counter() - started_plain
        started_texts = time.perf_counter()
        with_texts = load_matrix(questionnaire, with_texts=True)
        texts_loaded = time.perf_counter() - started_texts
        return {
            "imports_s": imports, "load_s": loaded - started, "analyse_s": done - loaded, "total_s": done - started,
            "rows": analysis.n, "questions": len(analysis.questions), "breakdown_tables": tables, "tests": tests,
            "option_tests": options, "with_texts": texts, "plain_analyse_s": plain,
            "texts_load_s": texts_loaded, "texts_rows": sum(1 for t in with_texts.rows.texts if t),
        }


def _responses_in(db_path: Path) -> int:
    import sqlite3

    try:
        with sqlite3.connect(db_path) as connection:
            row = connection.execute(
                "SELECT COUNT(*) FROM answer_rows JOIN questionnaires q ON q.id = answer_rows.questionnaire_id "
                "WHERE q.slug = ?", (SLUG,)).fetchone()
            return int(row[0])
    except sqlite3.Error:
        return 0


def million(n: int, db_path: Path | None, keep: bool, breakdown: str) -> None:
    folder = None
    if db_path is None:
        folder = Path(tempfile.mkdtemp(prefix="kaimen-bench-1m-"))
        db_path = folder / "bench.sqlite3"
    if _responses_in(db_path) != n:
        if db_path.exists():
            db_path.unlink()
        started = time.perf_counter()
        build(db_path, n)
        print(f"built {n:,} responses in {time.perf_counter() - started:.0f} s ({db_path})")
    else:
        print(f"reusing {db_path} ({n:,} responses)")
    dropped = _drop_caches()
    result = subprocess.run([sys.executable, os.path.abspath(__file__), "--phase", "million", "--db", str(db_path),
                             "--breakdown", breakdown], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(result.stderr)
    r = json.loads(result.stdout.strip().splitlines()[-1])
    print(f"cold analysis of {r['rows']:,} responses x {r['questions']} questions "
          f"({'page cache dropped' if dropped else 'page cache NOT dropped (not root)'}):")
    print(f"  load_matrix (texts read: {r['with_texts']}): {r['load_s']:.2f} s")
    print(f"  every question's figures + needs priority + participation + breakdown by {breakdown} "
          f"({r['breakdown_tables']} tables, {r['tests']} tests, {r['option_tests']} option tests): "
          f"{r['analyse_s']:.2f} s")
    print(f"  total {r['total_s']:.2f} s (imports and app start before it: {r['imports_s']:.2f} s)")
    print(f"  for comparison, warm: the analysis without a breakdown {r['plain_analyse_s']:.2f} s; reading the "
          f"matrix with its {r['texts_rows']:,} rows of texts {r['texts_load_s']:.2f} s")
    if folder is not None and not keep:
        for path in folder.iterdir():
            path.unlink()
        folder.rmdir()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--part", choices=["page", "million", "both"], default="both")
    parser.add_argument("--runs", type=int, default=10, help="timed requests per page variant")
    parser.add_argument("--n", type=int, default=1_000_000, help="responses for the cold analysis")
    parser.add_argument("--db", type=Path, default=None, help="SQLite file for the cold analysis (reused)")
    parser.add_argument("--keep", action="store_true", help="keep the database of the cold analysis")
    parser.add_argument("--breakdown", default="age_band", help="breakdown variable of the cold analysis")
    parser.add_argument("--phase", choices=["million"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase == "million":
        print(json.dumps(phase_million(args.db, args.breakdown)))
        return
    print(f"machine: {_machine()}")
    if args.part in ("page", "both"):
        page(args.runs)
    if args.part in ("million", "both"):
        million(args.n, args.db, args.keep, args.breakdown)


if __name__ == "__main__":
    main()
