"""Timings of a whole scoring round (``scoring.engine.run_round``, every output).

Run from the repository root::

    python -m bench.bench_scoring            # both rounds, 5 runs each
    python bench/bench_scoring.py --runs 3

Rounds
------
seeds  27 raters in 4 panels, 9 units, 10 areas x 4 criteria, 2,000 bootstrap
       replicates: the 2014 open-door scoring (target: under 1 s).
large  500 raters in 20 panels, 200 units, 40 criteria, 2,000 replicates; each
       unit is scored by a rotating committee of 20-25 raters (overlapping
       windows of the rater list, so the design is connected) (target: under 10 s).

Both include recusal (some raters belong to scored units, and their scores for
their own unit are in the table), 2% "cannot judge" and the default trimmed
mean. The median of several runs is reported, plus the minimum. Timings are
machine-dependent and never asserted in tests, so the table is preceded by a
one-line description of the machine (CPU model, cores, Python, numpy, scipy).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time

import numpy as np
import scipy

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from scoring.engine import run_round  # noqa: E402
from scoring.types import Area, Criterion, Framework, RaterInfo, Score, Settings, UnitInfo  # noqa: E402

TARGETS = {"seeds": 1.0, "large": 10.0}


def framework_40() -> Framework:
    """10 areas of weight 10, criteria maxima 2, 2, 3, 3 (step 0.5)."""
    areas = []
    for a in range(10):
        code = f"area{a + 1:02d}"
        areas.append(Area(code, 10.0, tuple(Criterion(f"{code}.{i + 1}", code, m, 0.5) for i, m in enumerate((2.0, 2.0, 3.0, 3.0)))))
    return Framework(tuple(areas))


def make_round(n_units: int, n_raters: int, n_panels: int, per_unit: tuple[int, int] | None, seed: int = 1):
    """Synthetic round: unit quality + rater severity + noise, rounded to the step.

    ``per_unit=None``: every rater scores every unit. Otherwise unit u is
    scored by a window of between per_unit[0] and per_unit[1] consecutive raters
    starting at ``37 u mod n_raters`` (a rotating committee).
    """
    rng = np.random.default_rng(seed)
    fw = framework_40()
    crits = fw.criteria()
    maxima = np.array([c.max_points for c in crits])
    units = {f"u{i:03d}": UnitInfo(f"u{i:03d}") for i in range(n_units)}
    unit_ids = list(units)
    raters = {}
    for r in range(n_raters):
        home = unit_ids[r % n_units] if r % 7 == 0 else None  # every 7th rater belongs to a scored unit
        raters[f"r{r:03d}"] = RaterInfo(f"r{r:03d}", home_unit=home, panel=f"P{r * n_panels // n_raters + 1:02d}")
    rater_ids = list(raters)
    quality = rng.uniform(0.45, 0.9, n_units)
    severity = rng.normal(0, 0.06, n_raters)
    scores = []
    for u, uid in enumerate(unit_ids):
        if per_unit is None:
            members = range(n_raters)
        else:
            size = int(rng.integers(per_unit[0], per_unit[1] + 1))
            start = (37 * u) % n_raters
            members = [(start + j) % n_raters for j in range(size)]
        for r in members:
            share = quality[u] + severity[r] + rng.normal(0, 0.08, len(crits))
            pts = np.clip(np.round(share * maxima * 2) / 2, 0, maxima)
            blank = rng.random(len(crits)) < 0.02
            rid = rater_ids[r]
            scores.extend(Score(uid, rid, c.code, None if b else float(p)) for c, p, b in zip(crits, pts, blank))
    return fw, tuple(scores), raters, units


def time_round(name: str, inputs, settings: Settings, runs: int) -> dict:
    fw, scores, raters, units = inputs
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = run_round(fw, scores, raters, units, settings)
        result.to_dict()
        result.tables()
        times.append(time.perf_counter() - start)
    return {
        "round": name,
        "raters": len(result.raters),
        "units": len(result.units),
        "rows": len(scores),
        "replicates": settings.bootstrap,
        "median_s": statistics.median(times),
        "min_s": min(times),
        "target_s": TARGETS[name],
    }


def cpu_model(cpuinfo: str = "/proc/cpuinfo") -> str:
    """The CPU model from ``cpuinfo`` (Linux), else what :mod:`platform` knows."""
    try:
        with open(cpuinfo, encoding="utf-8", errors="replace") as f:
            for line in f:
                key, _, value = line.partition(":")
                # x86 says "model name"; some ARM kernels only "Hardware" or "Processor"
                if key.strip() in ("model name", "Hardware", "Processor") and value.strip():
                    return " ".join(value.split())
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def machine_description(cpuinfo: str = "/proc/cpuinfo") -> str:
    """One line: CPU model, cores (usable by this process, if fewer), Python, numpy and scipy versions."""
    cores = os.cpu_count() or 0
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    core_text = f"{cores} cores" if usable == cores else f"{cores} cores ({usable} usable)"
    return (
        f"machine: {cpu_model(cpuinfo)}, {core_text}; Python {platform.python_version()}, "
        f"numpy {np.__version__}, scipy {scipy.__version__}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per round (median reported)")
    parser.add_argument("--only", choices=sorted(TARGETS), help="time one round only")
    args = parser.parse_args(argv)
    settings = Settings(bootstrap=2000, seed=20140601)
    rounds = {
        "seeds": lambda: make_round(9, 27, 4, None),
        "large": lambda: make_round(200, 500, 20, (20, 25)),
    }
    rows = []
    for name, build in rounds.items():
        if args.only and name != args.only:
            continue
        runs = args.runs if name == "seeds" else max(1, min(args.runs, 3))
        rows.append(time_round(name, build(), settings, runs))
    print(machine_description())
    header = f"{'round':<6} {'raters':>6} {'units':>5} {'rows':>7} {'reps':>5} {'median s':>9} {'min s':>7} {'target s':>8}  ok"
    print(header)
    print("-" * len(header))
    for r in rows:
        ok = "yes" if r["median_s"] < r["target_s"] else "NO"
        print(
            f"{r['round']:<6} {r['raters']:>6} {r['units']:>5} {r['rows']:>7} {r['replicates']:>5} "
            f"{r['median_s']:>9.3f} {r['min_s']:>7.3f} {r['target_s']:>8.1f}  {ok}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
