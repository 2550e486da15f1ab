"""Storage for analysis in bulk: ingest, cold load into numpy, and streaming exports.

Run from the repository root::

    python bench/bench_analysis_storage.py                 # 1,000,000 responses
    python bench/bench_analysis_storage.py --n 200000      # quicker
    python bench/bench_analysis_storage.py --formats csv,json,sav,xlsx --export-n 100000

What it does
------------
1. Creates a temporary SQLite database (``--db`` to choose the file, ``--keep``
   to keep it), migrates it, adds the demo's units and the demo's 25-question
   member-needs questionnaire.
2. **Ingest**: imports ``--n`` responses through
   ``answer_columns.bulk_import_responses`` (the same path as imports and the
   demo loader: ``responses`` rows with their JSON answers, plus the packed
   ``answer_rows``), one transaction. The answers cycle through a pool of
   20,000 realistic synthetic responses (``survey.demo_responses``) so that
   generating them is not what is timed; ``validate=False`` (they are
   canonical). A separate line times 20,000 responses with validation on.
3. **Cold load**: a fresh Python process opens the database and times
   ``load_matrix`` — every submitted response into one float64 matrix
   (responses x 64 variables) — after trying to drop the OS page cache (only
   possible as root; the line says whether it worked).
4. **Export memory**: fresh processes write the CSV export (and any other
   ``--formats``) of all responses, and of a tenth of them (a date filter),
   and report the time and the peak resident memory (``ru_maxrss``) above the
   process's baseline. Constant memory shows as about the same peak for both.

Nothing is asserted: timings depend on the machine, which is described first.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

POOL = 20_000
SLUG = "bench-needs"


def _app(db_path: Path):
    from survey import create_app

    instance = Path(tempfile.mkdtemp(prefix="kaimen-bench-instance-"))
    return create_app({"DATABASE_URL": f"sqlite:///{db_path}", "INSTANCE_PATH": str(instance),
                       "SECRET_KEY": "bench"})


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _machine() -> str:
    import numpy

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, numpy {numpy.__version__}"


def build(db_path: Path, n: int) -> dict:
    """Migrate, load units and the questionnaire, ingest ``n`` responses; return the timings."""
    from flask_migrate import upgrade

    from survey.demo_questionnaires import needs_questionnaire
    from survey.demo_responses import demo_units, synthetic_responses
    from survey.extensions import db
    from survey.models import QuestionnaireKind
    from survey.services import demo
    from survey.services.answer_columns import ImportRecord, bulk_import_responses
    from survey.services.questionnaires import create_questionnaire, publish_questionnaire

    app = _app(db_path)
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        units = demo._load_units(random.Random(2014), demo.DemoSummary())
        questionnaire = create_questionnaire(spec=needs_questionnaire(), kind=QuestionnaireKind.NEEDS, slug=SLUG)
        publish_questionnaire(questionnaire=questionnaire)
        db.session.commit()
        sources = demo_units()
        pool = [(r.answers, units[r.unit_code].id) for r in
                synthetic_responses(needs_questionnaire(), POOL, seed=99, units=sources)]
        first = date(2016, 3, 1)
        days = [first + timedelta(days=d) for d in range(61)]

        def records(count: int, offset: int = 0):
            for i in range(count):
                answers, unit_id = pool[(i + offset) % POOL]
                yield ImportRecord(answers, unit_id=unit_id, submitted_on=days[(i * 7919) % 61])

        started = time.perf_counter()
        bulk_import_responses(questionnaire, records(n), validate=False, batch_size=10_000)
        db.session.commit()
        ingest = time.perf_counter() - started

        started = time.perf_counter()
        bulk_import_responses(questionnaire, records(POOL, offset=7), validate=True, batch_size=10_000)
        validated = time.perf_counter() - started
        db.session.rollback()  # keep exactly n responses
        db.session.remove()
        db.engine.dispose()
    return {"ingest_s": ingest, "validated_s": validated}


def _drop_caches() -> bool:
    try:
        os.sync()
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
        return True
    except OSError:
        return False


def phase_load(db_path: Path) -> dict:
    """In a fresh process: time ``load_matrix`` of every response."""
    import numpy as np
    from sqlalchemy import select

    from survey.extensions import db
    from survey.models import Questionnaire
    from survey.services.answer_columns import load_matrix

    app = _app(db_path)
    with app.app_context():
        started = time.perf_counter()
        questionnaire = db.session.scalar(select(Questionnaire).where(Questionnaire.slug == SLUG))
        matrix = load_matrix(questionnaire)
        elapsed = time.perf_counter() - started
        answered = int((~np.isnan(matrix.values)).sum())
        return {"load_s": elapsed, "shape": list(matrix.values.shape), "answered_cells": answered,
                "rss_mb": _rss_mb()}


def phase_export(db_path: Path, fmt: str, tenth: bool) -> dict:
    """In a fresh process: write one export and measure its time and peak memory."""
    from sqlalchemy import select

    from survey.exports import write_responses
    from survey.extensions import db
    from survey.models import Questionnaire
    from survey.services.answer_columns import MatrixFilter

    app = _app(db_path)
    with app.app_context():
        questionnaire = db.session.scalar(select(Questionnaire).where(Questionnaire.slug == SLUG))
        filters = MatrixFilter(date_to=date(2016, 3, 6)) if tenth else None
        out = Path(tempfile.mkdtemp(prefix="kaimen-bench-export-")) / f"responses.{fmt}"
        baseline = _rss_mb()
        rows = [0]
        started = time.perf_counter()
        size = write_responses(questionnaire, fmt, out, filters=filters,
                               progress=lambda k: rows.__setitem__(0, rows[0] + k))
        elapsed = time.perf_counter() - started
        peak = _rss_mb()
        out.unlink()
        return {"export_s": elapsed, "rows": rows[0], "bytes": size, "baseline_mb": baseline, "peak_mb": peak}


def _child(*args: str) -> dict:
    result = subprocess.run([sys.executable, os.path.abspath(__file__), *args], capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(result.stderr)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="responses to ingest (default 1,000,000)")
    parser.add_argument("--db", type=Path, default=None, help="SQLite file to use (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the database file")
    parser.add_argument("--formats", default="csv", help="exports to measure, e.g. csv,json,xlsx,sav")
    parser.add_argument("--phase", choices=["load", "export"], help=argparse.SUPPRESS)
    parser.add_argument("--fmt", help=argparse.SUPPRESS)
    parser.add_argument("--tenth", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase == "load":
        print(json.dumps(phase_load(args.db)))
        return
    if args.phase == "export":
        print(json.dumps(phase_export(args.db, args.fmt, args.tenth)))
        return

    folder = None
    if args.db is None:
        folder = tempfile.mkdtemp(prefix="kaimen-bench-")
        args.db = Path(folder) / "bench.sqlite3"
    print(f"machine: {_machine()}")
    print(f"database: {args.db}")
    built = build(args.db, args.n)
    size_mb = args.db.stat().st_size / 1e6
    print(f"ingest: {args.n:,} responses in {built['ingest_s']:.1f} s = {args.n / built['ingest_s']:,.0f} responses/s "
          f"(bulk_import_responses, validate=False; database {size_mb:,.0f} MB)")
    print(f"ingest with validation: {POOL:,} responses in {built['validated_s']:.1f} s = "
          f"{POOL / built['validated_s']:,.0f} responses/s")
    dropped = _drop_caches()
    loaded = _child("--phase", "load", "--db", str(args.db))
    rows, width = loaded["shape"]
    print(f"cold load: {rows:,} x {width} matrix in {loaded['load_s']:.2f} s "
          f"({'page cache dropped' if dropped else 'page cache NOT dropped (not root)'}; "
          f"process peak {loaded['rss_mb']:,.0f} MB)")
    for fmt in [f for f in args.formats.split(",") if f]:
        for tenth in (True, False):
            result = _child("--phase", "export", "--db", str(args.db), "--fmt", fmt, *(["--tenth"] if tenth else []))
            print(f"export {fmt}: {result['rows']:,} rows, {result['bytes'] / 1e6:,.0f} MB in {result['export_s']:.1f} s "
                  f"({result['rows'] / max(result['export_s'], 1e-9):,.0f} rows/s); peak memory "
                  f"{result['peak_mb']:,.0f} MB, {result['peak_mb'] - result['baseline_mb']:,.0f} MB above the "
                  f"{result['baseline_mb']:,.0f} MB baseline")
    if not args.keep and folder is not None:
        for path in Path(folder).iterdir():
            path.unlink()
        os.rmdir(folder)


if __name__ == "__main__":
    main()

