"""Timing of ``kaimen report needs`` on the demo: the needs report PDF of the 20,000 demo responses, end to end.

Run from the repository root::

    python bench/bench_needs_report_demo.py                 # 3 runs, Chinese
    python bench/bench_needs_report_demo.py --runs 5 --language en --out /tmp/needs.pdf

What it does: creates a temporary SQLite database, migrates it and loads the demo
scenario (``kaimen demo``: 346 units, the 2016 needs survey with 20,000 synthetic
responses); then, in the same process, times
``survey.services.needs_report.build_for`` on that questionnaire — reading every
answer row, the analysis with each breakdown variable, mapping the results and
laying out the PDF — and prints the median and the fastest run with the time of
each step. The first run is cold (codebook and fonts not yet cached); the target
for the whole report is under 5 s. Nothing is asserted: timings depend on the
machine, which is described first, with its load average (other work on the
machine slows every step; the CPU time of each run is printed beside it).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

TARGET_S = 5.0


def _machine() -> str:
    import numpy

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, numpy {numpy.__version__}"


def _load() -> str:
    try:
        return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "load average unknown"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--language", choices=["zh", "en"], default="zh")
    parser.add_argument("--out", help="also write the PDF here")
    args = parser.parse_args(argv)

    from flask_migrate import upgrade

    from survey import create_app
    from survey.extensions import db
    from survey.services import demo
    from survey.services.needs_report import build_for
    from survey.services.questionnaires import get_questionnaire

    folder = Path(tempfile.mkdtemp(prefix="kaimen-bench-needs-report-"))
    app = create_app({"DATABASE_URL": f"sqlite:///{folder / 'demo.sqlite3'}", "INSTANCE_PATH": str(folder),
                      "SECRET_KEY": "bench"})
    print(f"machine: {_machine()}")
    try:
        with app.app_context():
            started = time.perf_counter()
            upgrade(directory=app.extensions["migrate"].directory)
            demo.load_demo_scenario()
            db.session.commit()
            print(f"demo loaded into {folder / 'demo.sqlite3'} in {time.perf_counter() - started:.1f} s")
            questionnaire = get_questionnaire(slug=demo.NEEDS_SLUG)
            now = datetime(2016, 7, 1, 1, 0, tzinfo=UTC)
            times, pdf = [], b""
            for run in range(args.runs):
                db.session.expire_all()
                marks: list[tuple[str, float]] = []
                started, cpu = time.perf_counter(), time.process_time()
                report = build_for(questionnaire=questionnaire, language=args.language, now=now,
                                   progress=lambda step, done, total, marks=marks: marks.append(
                                       (step, time.perf_counter())))
                elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
                times.append(elapsed)
                pdf = report.pdf
                steps, previous = {}, started
                for step, moment in marks:
                    steps[step] = steps.get(step, 0.0) + moment - previous
                    previous = moment
                detail = ", ".join(f"{step} {seconds:.2f} s" for step, seconds in steps.items())
                print(f"run {run + 1}: {elapsed:.2f} s, CPU {cpu:.2f} s ({detail}; {_load()})")
            pages = pdf.count(b"/Type /Page\n") or pdf.count(b"/Type /Page")
            print(f"{len(pdf) / 1024:.0f} KiB, about {pages} pages ({args.language})")
            print(f"needs report of {report.filename}: median {statistics.median(times):.2f} s, fastest "
                  f"{min(times):.2f} s (target: under {TARGET_S:.0f} s)")
            if args.out:
                Path(args.out).write_bytes(pdf)
            db.session.remove()
            db.engine.dispose()
    finally:
        for path in folder.iterdir():
            path.unlink()
        folder.rmdir()


if __name__ == "__main__":
    main()
