"""Property tests (hypothesis) of the round engine: invariances that must hold
for any data, not just for the hand-made examples."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring.aggregate import aggregate_cells, robust_location, sort_cells, total_weights
from scoring.engine import run_round
from scoring.recusal import RecusalRules, Relationship
from scoring.types import (
    AggregationMethod,
    Area,
    Criterion,
    Framework,
    MissingPolicy,
    RaterInfo,
    Score,
    Settings,
    UnitInfo,
)

from .conftest import one_area_framework

PROPERTY = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
METHODS = st.sampled_from([m.value for m in AggregationMethod])
POLICIES = st.sampled_from([p.value for p in MissingPolicy])
HALF_POINTS = st.integers(0, 20).map(lambda i: i / 2)  # 0, 0.5, ..., 10


@st.composite
def rounds(draw, max_points: float = 10.0, missing: bool = True):
    """2-4 units, 3-6 raters in 1-2 panels, 2 criteria of max 10; r0 belongs to u0."""
    n_units = draw(st.integers(2, 4))
    n_raters = draw(st.integers(3, 6))
    n_panels = draw(st.integers(1, 2))
    fw = one_area_framework(max_points, 2)
    units = {f"u{i}": UnitInfo(f"u{i}") for i in range(n_units)}
    raters = {f"r{j}": RaterInfo(f"r{j}", home_unit="u0" if j == 0 else None, panel=f"P{j % n_panels}") for j in range(n_raters)}
    grid = st.integers(0, int(2 * max_points)).map(lambda i: i / 2)
    scores = []
    for u in units:
        for r in raters:
            for c in fw.criteria():
                blank = missing and draw(st.integers(0, 9)) == 0
                scores.append(Score(u, r, c.code, None if blank else draw(grid)))
    s = Settings(method=draw(METHODS), missing_policy=draw(POLICIES), bootstrap=30, seed=draw(st.integers(0, 2**31)))
    return fw, scores, raters, units, s


def as_json(result) -> str:
    return json.dumps(result.to_dict(), sort_keys=True, allow_nan=False)


# --------------------------------------------------------------------------- order


@PROPERTY
@given(data=rounds(), rnd=st.randoms(use_true_random=False))
def test_result_does_not_depend_on_order_of_rows_raters_or_units(data, rnd):
    fw, scores, raters, units, s = data
    shuffled_scores = list(scores)
    rnd.shuffle(shuffled_scores)
    rater_items = list(raters.items())
    rnd.shuffle(rater_items)
    unit_items = list(units.items())
    rnd.shuffle(unit_items)

    a = run_round(fw, scores, raters, units, s)
    b = run_round(fw, shuffled_scores, dict(rater_items), dict(unit_items), s)

    assert as_json(a) == as_json(b)


# --------------------------------------------------------------------------- shift


def complete_scores(draw, units, raters, fw, headroom):
    return [
        Score(u, r, c.code, draw(st.integers(0, int(2 * (c.max_points - headroom))).map(lambda i: i / 2)))
        for u in units
        for r in raters
        for c in fw.criteria()
    ]


@PROPERTY
@given(data=st.data(), method=METHODS, shift=st.integers(1, 20).map(lambda i: i / 2))
def test_adding_a_constant_shifts_totals_by_exactly_that_amount(data, method, shift):
    # one criterion of maximum 100 carrying the whole weight: total = aggregated points,
    # so adding d to every score must add exactly d to every total and interval end
    fw = one_area_framework(100.0, 1)
    units = {f"u{i}": UnitInfo(f"u{i}") for i in range(data.draw(st.integers(2, 4)))}
    raters = {f"r{j}": RaterInfo(f"r{j}", panel=f"P{j % 2}") for j in range(data.draw(st.integers(3, 7)))}
    scores = complete_scores(data.draw, units, raters, fw, headroom=shift)
    s = Settings(method=method, bootstrap=30, seed=1)

    base = run_round(fw, scores, raters, units, s)
    moved = run_round(fw, [replace(x, points=x.points + shift) for x in scores], raters, units, s)

    assert moved.totals == pytest.approx(base.totals + shift, abs=1e-9)
    assert moved.uncertainty.ci_low == pytest.approx(base.uncertainty.ci_low + shift, abs=1e-9)
    assert moved.uncertainty.ci_high == pytest.approx(base.uncertainty.ci_high + shift, abs=1e-9)
    assert moved.ranks.tolist() == base.ranks.tolist()


@PROPERTY
@given(data=st.data(), method=METHODS, shift=st.sampled_from([0.5, 1.0, 2.0]))
def test_adding_a_constant_shifts_totals_by_the_stated_scaled_amount(data, method, shift):
    # weights 60 (maxima 4 + 6) and 40 (maximum 10): one point is worth 6, 6 and 4 points
    # of the total, so adding d to every score adds d * (6 + 6 + 4) = 16 d to each total
    fw = Framework(
        (
            Area("A", 60.0, (Criterion("A1", "A", 4.0, 0.5), Criterion("A2", "A", 6.0, 0.5))),
            Area("B", 40.0, (Criterion("B1", "B", 10.0, 0.5),)),
        )
    )
    assert total_weights(fw).coefficients.sum() == 16.0
    units = {f"u{i}": UnitInfo(f"u{i}") for i in range(3)}
    raters = {f"r{j}": RaterInfo(f"r{j}") for j in range(data.draw(st.integers(3, 6)))}
    scores = complete_scores(data.draw, units, raters, fw, headroom=shift)
    s = Settings(method=method, bootstrap=0)

    base = run_round(fw, scores, raters, units, s)
    moved = run_round(fw, [replace(x, points=x.points + shift) for x in scores], raters, units, s)

    assert moved.totals == pytest.approx(base.totals + 16.0 * shift, abs=1e-9)


# --------------------------------------------------------------------------- trimmed mean bounds


@PROPERTY
@given(
    values=st.lists(HALF_POINTS, min_size=1, max_size=12),
    trim=st.integers(0, 3),
    method=METHODS,
    weights=st.lists(st.integers(0, 3), min_size=12, max_size=12),
)
def test_robust_means_lie_between_min_and_max_and_kernel_matches_reference(values, trim, method, weights):
    x = np.array(values)
    w = np.array(weights[: len(values)])
    value, applied, _ = robust_location(x, method, trim, 1, "median")
    assert x.min() <= value <= x.max()

    out, applied_codes, n = aggregate_cells(sort_cells(x.reshape(1, -1, 1)), w.reshape(1, -1), method, trim, 1, "median")
    expanded = np.repeat(x, w)
    if expanded.size == 0:
        assert np.isnan(out[0, 0, 0]) and n[0, 0, 0] == 0
    else:
        ref = robust_location(expanded, method, trim, 1, "median")[0]
        assert out[0, 0, 0] == pytest.approx(ref, abs=1e-12)
        assert expanded.min() <= out[0, 0, 0] <= expanded.max()


@PROPERTY
@given(values=st.lists(HALF_POINTS, min_size=3, max_size=12), trim=st.integers(1, 3))
def test_trimmed_mean_between_min_and_max_of_kept_values(values, trim):
    x = np.sort(np.array(values))
    value, applied, _ = robust_location(x, "trimmed", trim, 1, "median")
    if applied == "trimmed":
        assert x[trim] <= value <= x[len(x) - trim - 1]


# --------------------------------------------------------------------------- recusal


@PROPERTY
@given(data=rounds(missing=False), replacement=st.lists(st.one_of(st.none(), HALF_POINTS), min_size=2, max_size=2))
def test_changing_scores_of_a_recused_pair_changes_no_output(data, replacement):
    # r0 belongs to u0: whatever r0 gives u0 must not matter
    fw, scores, raters, units, s = data
    changed = [
        replace(x, points=replacement[int(x.criterion[1:]) - 1]) if (x.unit, x.rater) == ("u0", "r0") else x
        for x in scores
    ]
    assert as_json(run_round(fw, scores, raters, units, s, RecusalRules())) == as_json(
        run_round(fw, changed, raters, units, s, RecusalRules())
    )


@PROPERTY
@given(data=rounds(), added=st.lists(HALF_POINTS, min_size=2, max_size=2))
def test_adding_scores_for_a_forbidden_pair_changes_only_the_recusal_count(data, added):
    # r1 declares a conflict with u1; the base table has no row for that pair
    fw, scores, raters, units, s = data
    rules = RecusalRules(declared=frozenset({Relationship("r1", "u1", "neighbour")}))
    base = [x for x in scores if (x.unit, x.rater) != ("u1", "r1")]
    extra = [Score("u1", "r1", c.code, p) for c, p in zip(fw.criteria(), added)]

    a = run_round(fw, base, raters, units, s, rules).to_dict()
    b = run_round(fw, base + extra, raters, units, s, rules).to_dict()

    assert {k: v for k, v in a.items() if k != "recusal"} == {k: v for k, v in b.items() if k != "recusal"}
    assert b["recusal"]["excluded_rows"] == a["recusal"]["excluded_rows"] + 2
    assert b["recusal"]["by_reason"]["declared"] == {"rows": 2, "cards": 1}


# --------------------------------------------------------------------------- seed


@PROPERTY
@given(data=rounds())
def test_same_seed_gives_identical_output(data):
    fw, scores, raters, units, s = data
    first = run_round(fw, scores, raters, units, s)
    second = run_round(fw, scores, raters, units, s)
    assert as_json(first) == as_json(second)
    assert first.tables() == second.tables()
