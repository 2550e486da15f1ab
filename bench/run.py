"""Every benchmark in one command: a table of medians, targets and ratios, with the machine it ran on.

Run from the repository root::

    python bench/run.py                  # everything, 3 runs each, 1,000,000 responses ingested
    python bench/run.py --quick          # 100,000 responses, shorter load runs
    python bench/run.py --runs 5 --only http,burst

Groups (``--only``): ``http`` (submissions against the "hello" ceiling under
``kaimen serve``), ``burst`` (27 scorecards and 50 responses at once), ``ingest``
(bulk import and the cold analysis), ``demo`` (analysis page and report PDFs on the
demo), ``engine`` (the scoring engine). The table is printed and written as Markdown
to ``bench/results/latest.md``. Each figure is the median of ``--runs`` runs (the
1,000,000-response ingest runs once in a full run: it takes about a minute). "Ratio"
is the figure divided by its reference: for submissions, the hello rate measured on
the same server in the same run; otherwise the target. Nothing here is a test:
timings depend on the machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.bench_scoring import cpu_model

GROUPS = ("http", "burst", "ingest", "demo", "engine")
RESULTS = Path(__file__).resolve().parent / "results"


@dataclass
class Row:
    figure: str
    value: str
    runs: str
    target: str
    reference: str = "target"
    ratio: str = ""
    met: str = ""  #: "yes", "NO" or "" (no target)


# --------------------------------------------------------------------------- the machine


def _ram_gb() -> str:
    try:
        with open("/proc/meminfo") as f:
            kb = next(int(line.split()[1]) for line in f if line.startswith("MemTotal"))
        return f"{kb / 1024 / 1024:.1f} GiB RAM"
    except (OSError, StopIteration, ValueError):
        return "RAM unknown"


def postgres_version() -> str:
    url = os.environ.get("KAIMEN_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    try:
        import psycopg

        with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), connect_timeout=2) as conn:
            return "PostgreSQL " + conn.execute("SHOW server_version").fetchone()[0].split()[0] + " (server)"
    except Exception:  # noqa: BLE001 - no server: say which client is installed
        psql = shutil.which("psql")
        if psql:
            out = subprocess.run([psql, "--version"], capture_output=True, text=True, check=False).stdout.split()
            return f"PostgreSQL {out[-1]} (client only; no server reached)" if out else "PostgreSQL unknown"
        return "PostgreSQL not installed"


def machine() -> list[str]:
    cores = os.cpu_count() or 0
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    load = " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "unknown"
    import numpy

    software = (f"Software: Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
                f"{postgres_version()}, numpy {numpy.__version__}; {platform.system()} {platform.release()}")
    return [
        f"CPU: {cpu_model()}, {cores} cores{'' if usable == cores else f' ({usable} usable)'}; {_ram_gb()}",
        software,
        f"Load average at start: {load}",
    ]


# --------------------------------------------------------------------------- formatting


def ms(s: float) -> str:
    return f"{s * 1000:,.0f} ms"


def secs(s: float) -> str:
    return f"{s:,.2f} s"


def time_row(figure: str, times: list[float], target: float | None, fmt=secs) -> Row:
    median = statistics.median(times)
    if target is None:
        return Row(figure, fmt(median), str(len(times)), "—", "—")
    return Row(figure, fmt(median), str(len(times)), f"< {fmt(target)}", "target", f"{median / target:.2f}",
               "yes" if median < target else "NO")


# --------------------------------------------------------------------------- groups


def group_http(args, log) -> list[Row]:
    from bench import bench_http

    duration = 5.0 if args.quick else 10.0
    r = bench_http.run(args.runs, duration, 16, args.client, log=log)
    note = f"{r['generator']}, 16 connections, {duration:.0f} s, waitress {r['server_threads']} threads"
    return [
        Row(f"Hello ceiling, GET /bench/hello ({note})", f"{r['hello_rps']:,.0f} req/s", str(r["runs"]), "—", "—"),
        Row("Submissions, POST /api/v1/questionnaires/<slug>/responses (validated, idempotent, stored)",
            f"{r['submit_rps']:,.0f} req/s", str(r["runs"]), "≥ 0.30 × hello", f"{r['hello_rps']:,.0f} req/s",
            f"{r['ratio']:.2f}", "yes" if r["ratio"] >= bench_http.TARGET_RATIO else "NO"),
        Row("Submissions: answers other than 201 / socket errors", f"{r['submit_non_201']} / {r['socket_errors']}",
            str(r["runs"]), "0", "target", "", "yes" if r["submit_non_201"] == r["socket_errors"] == 0 else "NO"),
        Row("Submissions: stored vs acknowledged (201)", f"{r['stored']:,} vs {r['created']:,}", "all",
            "none lost", "—", "", "yes" if r["stored"] >= r["created"] and r["tracebacks"] == 0 else "NO"),
    ]


def group_burst(args, log) -> list[Row]:
    from bench import bench_burst

    r = bench_burst.run(args.runs, log=log)
    rows = []
    for key, label in (("scorecards", "27 representatives submit 40-criterion scorecards at once"),
                       ("respondents", "50 respondents submit at once")):
        b = r[key]
        n = str(b["runs"])
        rows += [
            Row(f"{label}: p50", ms(b["p50_s"]), n, "—", "—"),
            Row(f"{label}: p99", ms(b["p99_s"]), n, "< 100 ms", "target", f"{b['p99_s'] / 0.1:.1f}",
                "yes" if b["p99_s"] < bench_burst.TARGET_P99_S else "NO"),
            Row(f"{label}: errors", str(b["errors"]), n, "0", "target", "", "yes" if b["errors"] == 0 else "NO"),
            Row(f"{label}: stored / sent", f"{b['stored']} / {b['sent']}", n, "equal", "—", "",
                "yes" if b["stored"] == b["sent"] else "NO"),
        ]
        for failure in b["failures"]:
            log(f"  {key} failure: {failure}")
    return rows


def group_ingest(args, log) -> list[Row]:
    from bench import bench_data

    n = 100_000 if args.quick else 1_000_000
    runs = args.runs if args.quick else 1
    folder = Path(tempfile.mkdtemp(prefix="kaimen-bench-ingest-"))
    db_path = folder / "bench.sqlite3"
    try:
        rates = []
        for r in range(runs):
            seconds = bench_data.ingest(n, db_path)
            rates.append(n / seconds)
            log(f"  ingest run {r + 1}: {n:,} responses in {seconds:.1f} s = {rates[-1]:,.0f}/s")
        size_mb = db_path.stat().st_size / 1e6
        colds = []
        for r in range(args.runs):
            colds.append(bench_data.cold_analysis(db_path))
            c = colds[-1]
            log(f"  cold analysis run {r + 1}: {c['total_s']:.2f} s (load {c['load_s']:.2f} s, analyse "
                f"{c['analyse_s']:.2f} s, app start {c['imports_s']:.2f} s), peak {c['peak_mb']:,.0f} MB")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    rate = statistics.median(rates)
    total = [c["total_s"] + c["imports_s"] for c in colds]
    cache = "page cache dropped" if colds[0]["cache_dropped"] else "page cache not dropped (not root)"
    return [
        Row(f"Bulk import of {n:,} synthetic responses (bulk_import_responses; SQLite file {size_mb:,.0f} MB)",
            f"{rate:,.0f} /s", str(runs), "≥ 100,000 /s", "target", f"{rate / 100_000:.2f}",
            "yes" if rate >= 100_000 else "NO"),
        time_row(f"Cold analysis of {colds[0]['rows']:,} responses, fresh process incl. app start ({cache}; "
                 "load + every question + breakdown by age band)", total, 5.0),
        time_row("Cold analysis: of which load + analyse (app start and imports excluded)",
                 [c["total_s"] for c in colds], None),
        Row("Cold analysis: peak memory of the process", f"{statistics.median(c['peak_mb'] for c in colds):,.0f} MB",
            str(len(colds)), "constant", "—"),
    ]


def group_demo(args, log) -> list[Row]:
    from bench import bench_data

    d = bench_data.demo_figures(args.runs, log=log)
    return [
        time_row("Analysis page, 20,000 responses, analysis cache off (read + analyse + render)",
                 d["page_uncached"], 0.3, ms),
        time_row("Analysis page, 20,000 responses, analysis cached (render only)", d["page_cached"], 0.3, ms),
        time_row("Needs report PDF, 20,000 responses (kaimen report needs)", d["needs_report"], 5.0),
        time_row("Round report PDF, demo 2014 round (kaimen report round: preview + PDF)", d["round_report"], None),
        time_row(f"Unit report PDF, {d['unit_code']} (kaimen report unit: preview + PDF)", d["unit_report"], None),
    ]


def group_engine(args, log) -> list[Row]:
    from bench import bench_data

    e = bench_data.engine(args.runs)
    rows = []
    for key, label, target in (("seeds", "Engine, seeds' round (27 raters, 9 units, 40 criteria, 2,000 replicates)", 1.0),
                               ("large", "Engine, large round (500 raters, 200 units, 40 criteria, 2,000 replicates)",
                                10.0)):
        r = e[key]
        median = r["median_s"]
        runs = args.runs if key == "seeds" else max(1, min(args.runs, 3))
        rows.append(Row(label, secs(median), str(runs), f"< {secs(target)}", "target", f"{median / target:.2f}",
                        "yes" if median < target else "NO"))
    return rows


RUNNERS = {"http": group_http, "burst": group_burst, "ingest": group_ingest, "demo": group_demo,
           "engine": group_engine}


# --------------------------------------------------------------------------- output


def markdown(lines: list[str], rows: list[Row], elapsed: float, argv: list[str]) -> str:
    out = ["# Kaimen benchmarks", "", f"`python bench/run.py {' '.join(argv)}`".replace(" `", "`"), ""]
    out += [f"- {line}" for line in lines]
    out += [f"- Wall time of the whole run: {elapsed / 60:.1f} min", ""]
    out.append("| Figure | Median | Runs | Target | Reference (same run) | Ratio | Met |")
    out.append("|---|---:|---:|---|---:|---:|---|")
    for r in rows:
        out.append(f"| {r.figure} | {r.value} | {r.runs} | {r.target} | {r.reference} | {r.ratio} | {r.met} |")
    out += ["", ("Ratio = median ÷ reference (the hello rate for submissions, else the target: under 1 is within a "
                  "time target, 1 or more meets a rate target).")]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="100,000 responses ingested; 5 s load runs")
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (median reported)")
    parser.add_argument("--only", default=",".join(GROUPS), help=f"comma-separated groups of {', '.join(GROUPS)}")
    parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto",
                        help="load generator for the submission rate (auto: wrk when installed)")
    parser.add_argument("--out", type=Path, default=RESULTS / "latest.md", help="Markdown file to write")
    args = parser.parse_args(argv)
    groups = [g.strip() for g in args.only.split(",") if g.strip()]
    unknown = [g for g in groups if g not in RUNNERS]
    if unknown:
        parser.error(f"unknown group(s) {', '.join(unknown)}; choose from {', '.join(GROUPS)}")
    import logging

    logging.getLogger("alembic").setLevel(logging.WARNING)
    lines = machine()
    from bench.bench_http import generator_name

    lines.append(f"Load generator: {generator_name(args.client)} (on the same machine as the server)")
    for line in lines:
        print(line)

    def log(text: str) -> None:
        print(text, flush=True)

    started = time.perf_counter()
    rows: list[Row] = []
    for group in groups:
        log(f"[{group}]")
        group_started = time.perf_counter()
        try:
            rows += RUNNERS[group](args, log)
        except Exception as exc:  # noqa: BLE001 - one broken group does not hide the others' figures
            import traceback

            traceback.print_exc()
            rows.append(Row(f"{group}: FAILED ({type(exc).__name__}: {str(exc)[:120]})", "—", "0", "—", "—", "", "NO"))
        log(f"  ({time.perf_counter() - group_started:.0f} s)")
    text = markdown(lines, rows, time.perf_counter() - started, argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print()
    print(text)
    print(f"written to {args.out}")
    return 1 if any("FAILED" in r.figure for r in rows) else 0  # a missed target is a figure, not a failure


if __name__ == "__main__":
    raise SystemExit(main())
