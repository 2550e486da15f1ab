"""Bootstrap over raters, ranks, outrank probabilities, inseparable groups and
leave-one-rater-out.

The vectorised bootstrap is checked against a direct re-implementation that
expands every resample into a list of raters and aggregates it by sorting and
slicing (scoring.aggregate.robust_location) -- same random draws, so the two
must agree to rounding.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from scoring.aggregate import aggregate, robust_location, score_array, sort_cells, total_weights
from scoring.types import Score, ScoringInputError, Settings
from scoring.uncertainty import (
    bootstrap,
    bootstrap_weights,
    inseparable_groups,
    leave_one_rater_out,
    rank_totals,
    strata_of,
)

from .conftest import make_round, one_area_framework

TOL = 1e-9


def prepared(rows, framework, settings):
    arr = score_array(framework, rows)
    agg = aggregate(framework, arr, settings)
    return arr, agg, sort_cells(agg.values), total_weights(framework)


# --------------------------------------------------------------------------- ranks


def test_rank_totals_min_rule_shares_smallest_rank():
    assert rank_totals(np.array([70.0, 80.0, 80.0, 60.0])).tolist() == [3.0, 1.0, 1.0, 4.0]


def test_rank_totals_average_rule_shares_mean_rank():
    assert rank_totals(np.array([70.0, 80.0, 80.0, 60.0]), ties="average").tolist() == [3.0, 1.5, 1.5, 4.0]


def test_rank_totals_nan_total_has_no_rank_and_does_not_push_others():
    ranks = rank_totals(np.array([50.0, np.nan, 60.0]))
    assert ranks[0] == 2.0 and ranks[2] == 1.0 and math.isnan(ranks[1])


def test_rank_totals_rejects_unknown_tie_rule():
    with pytest.raises(ScoringInputError, match="ties is 'dense'"):
        rank_totals(np.array([1.0]), ties="dense")


# --------------------------------------------------------------------------- resampling


def test_strata_of_orders_panels_and_puts_unlabelled_last():
    got = [(p, ix.tolist()) for p, ix in strata_of(["B", None, "A", "B", None])]
    assert got == [("A", [2]), ("B", [0, 3]), (None, [1, 4])]


def test_bootstrap_weights_keep_each_panel_size():
    strata = strata_of(["A", "A", "A", "B", "B"])
    w = bootstrap_weights(strata, 5, 500, np.random.default_rng(1))
    assert (w[:, :3].sum(axis=1) == 3).all()
    assert (w[:, 3:].sum(axis=1) == 2).all()


def test_bootstrap_weights_same_seed_same_draws():
    strata = strata_of(["A"] * 4)
    a = bootstrap_weights(strata, 4, 50, np.random.default_rng(9))
    b = bootstrap_weights(strata, 4, 50, np.random.default_rng(9))
    assert np.array_equal(a, b)


def naive_bootstrap_totals(arr, framework, settings, panels):
    """Expand each replicate's draws into a list of raters and aggregate by sort-and-slice."""
    rng = np.random.default_rng(settings.seed)
    strata = strata_of(panels)
    weights = bootstrap_weights(strata, len(arr.raters), settings.bootstrap, rng)
    coef = total_weights(framework).coefficients
    totals = np.empty((settings.bootstrap, len(arr.units)))
    for b in range(settings.bootstrap):
        drawn = np.repeat(np.arange(len(arr.raters)), weights[b])
        for u in range(len(arr.units)):
            cells = [
                robust_location(arr.values[u, drawn, c], settings.method, settings.trim, settings.min_raters, settings.fallback)[0]
                for c in range(len(arr.criteria))
            ]
            totals[b, u] = float(np.dot(cells, coef))
    return totals


@pytest.mark.parametrize("method", ["mean", "median", "trimmed", "winsorized"])
def test_bootstrap_intervals_match_direct_resampling(method):
    # 3 units x 6 raters in 2 panels x 2 criteria, complete; 60 replicates
    rnd = make_round(seed=11, n_units=3, n_raters=6, n_panels=2, framework=one_area_framework(10.0, 2), own_unit_raters=0)
    settings = Settings(method=method, trim=1, bootstrap=60, seed=5)
    arr, agg, cells, tw = prepared(rnd.scores, rnd.framework, settings)
    panels = [rnd.raters[r].panel for r in arr.raters]

    res = bootstrap(cells, tw, panels, settings, arr.units)

    naive = naive_bootstrap_totals(arr, rnd.framework, settings, panels)
    low, high = np.quantile(naive, [0.025, 0.975], axis=0)
    assert res.ci_low == pytest.approx(low, abs=TOL)
    assert res.ci_high == pytest.approx(high, abs=TOL)
    assert res.std_error == pytest.approx(naive.std(axis=0, ddof=1), abs=TOL)
    assert res.totals == pytest.approx(agg.totals, abs=TOL)
    assert res.strata == (("P1", 3), ("P2", 3))


def test_bootstrap_clear_separation_gives_certain_ranks_and_separate_groups():
    # every rater puts u1 at 8-9, u2 at 4-5, u3 at 0-1: no resample can change the order
    fw = one_area_framework(10.0, 1)
    rows = [Score(u, f"r{i}", "c1", base + (i % 2)) for i in range(5) for u, base in (("u1", 8.0), ("u2", 4.0), ("u3", 0.0))]
    settings = Settings(method="mean", bootstrap=200, seed=1)
    arr, _, cells, tw = prepared(rows, fw, settings)
    res = bootstrap(cells, tw, [None] * 5, settings, arr.units)
    assert res.rank_probabilities.tolist() == [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    assert res.outrank[0, 1] == 1.0 and res.outrank[1, 0] == 0.0
    assert res.groups == (("u1",), ("u2",), ("u3",))
    assert res.strata == ((None, 5),)


def test_bootstrap_identical_units_tie_half_and_share_first_rank():
    # two units with identical scores from every rater: equal in every replicate
    fw = one_area_framework(10.0, 1)
    rows = [Score(u, f"r{i}", "c1", float(i)) for i in range(4) for u in ("a", "b")]
    settings = Settings(method="mean", bootstrap=100, seed=2)
    arr, _, cells, tw = prepared(rows, fw, settings)
    res = bootstrap(cells, tw, ["P"] * 4, settings, arr.units)
    assert res.outrank[0, 1] == 0.5 and res.outrank[1, 0] == 0.5
    assert res.rank_probabilities[:, 0].tolist() == [1.0, 1.0]  # min rule: both rank 1
    assert res.groups == (("a", "b"),)


def test_bootstrap_two_raters_gives_known_distribution():
    # raters give 0 and 10 (max 10): a resample holds (0,0), (0,10) or (10,10) with
    # probabilities 1/4, 1/2, 1/4, so the mean total is 0, 50 or 100.
    fw = one_area_framework(10.0, 1)
    rows = [Score("u", "r1", "c1", 0.0), Score("u", "r2", "c1", 10.0)]
    settings = Settings(method="mean", bootstrap=4000, seed=3)
    arr, _, cells, tw = prepared(rows, fw, settings)
    res = bootstrap(cells, tw, [None, None], settings, arr.units)
    assert (res.ci_low[0], res.ci_high[0]) == (0.0, 100.0)
    # sd of {0, 50, 100} with probabilities 1/4, 1/2, 1/4 is sqrt(1250) = 35.36; 4000 draws: +-1
    assert res.std_error[0] == pytest.approx(math.sqrt(1250.0), abs=1.0)


def test_bootstrap_same_seed_identical_different_seed_differs():
    rnd = make_round(seed=4, n_units=4, n_raters=8, n_panels=2, own_unit_raters=0)
    settings = Settings(bootstrap=80, seed=17)
    arr, _, cells, tw = prepared(rnd.scores, rnd.framework, settings)
    panels = [rnd.raters[r].panel for r in arr.raters]
    a = bootstrap(cells, tw, panels, settings, arr.units)
    b = bootstrap(cells, tw, panels, settings, arr.units)
    c = bootstrap(cells, tw, panels, Settings(bootstrap=80, seed=18), arr.units)
    assert np.array_equal(a.ci_low, b.ci_low) and np.array_equal(a.outrank, b.outrank, equal_nan=True)
    assert not np.array_equal(a.std_error, c.std_error)


def test_bootstrap_needs_a_replicate():
    rnd = make_round(seed=4, n_units=2, n_raters=3, n_panels=1, own_unit_raters=0)
    settings = Settings(bootstrap=0)
    arr, _, cells, tw = prepared(rnd.scores, rnd.framework, settings)
    with pytest.raises(ScoringInputError, match="settings.bootstrap is 0"):
        bootstrap(cells, tw, [None] * 3, settings, arr.units)


def test_bootstrap_counts_replicates_where_a_unit_loses_every_rater():
    # u2 was scored by r1 only; any resample without r1 leaves u2 without a total
    fw = one_area_framework(10.0, 1)
    rows = [Score("u1", "r1", "c1", 5.0), Score("u1", "r2", "c1", 6.0), Score("u1", "r3", "c1", 7.0), Score("u2", "r1", "c1", 4.0)]
    settings = Settings(method="mean", bootstrap=300, seed=6)
    arr, _, cells, tw = prepared(rows, fw, settings)
    res = bootstrap(cells, tw, [None] * 3, settings, arr.units)
    # P(r1 not drawn in 3 draws) = (2/3)^3 = 0.296: about 89 of 300
    assert 50 < res.n_incomplete < 130
    assert res.rank_probabilities[:, 0].sum() == pytest.approx(1.0, abs=TOL)


# --------------------------------------------------------------------------- groups


def test_inseparable_groups_chain_adjacent_units_below_threshold():
    # order a (80) > b (78) > c (77) > d (60); P(a>b) 0.60, P(b>c) 0.90, P(c>d) 0.99
    P = np.full((4, 4), np.nan)
    P[0, 1], P[1, 2], P[2, 3] = 0.60, 0.90, 0.99
    groups = inseparable_groups(np.array([80.0, 78.0, 77.0, 60.0]), P, 0.95, ["a", "b", "c", "d"])
    assert groups == (("a", "b", "c"), ("d",))


def test_inseparable_groups_skip_units_without_total():
    P = np.array([[np.nan, 0.99], [0.01, np.nan]])
    assert inseparable_groups(np.array([np.nan, 50.0]), P, 0.95, ["x", "y"]) == (("y",),)


# --------------------------------------------------------------------------- leave one out


def test_leave_one_rater_out_finds_the_rater_who_flips_the_order():
    # means: u1 (10+4+4)/3 = 6 > u2 (0+6+6)/3 = 4. Without r1: u1 4 < u2 6 -> both ranks
    # change by 1. Without r2 or r3: u1 7 > u2 3, no change.
    fw = one_area_framework(10.0, 1)
    rows = [Score("u1", "r1", "c1", 10.0), Score("u2", "r1", "c1", 0.0)]
    rows += [Score(u, r, "c1", p) for r in ("r2", "r3") for u, p in (("u1", 4.0), ("u2", 6.0))]
    settings = Settings(method="mean", bootstrap=10)
    arr, _, cells, tw = prepared(rows, fw, settings)
    loo = leave_one_rater_out(cells, tw, settings, arr.units, arr.raters)
    assert loo.max_change.tolist() == [1.0, 0.0, 0.0]
    assert (loo.largest_change, loo.largest_rater, loo.largest_unit) == (1.0, "r1", "u1")
    assert loo.unit_of_max == ("u1", None, None)
    assert loo.totals[0].tolist() == pytest.approx([40.0, 60.0], abs=TOL)


def test_leave_one_rater_out_without_any_change_names_no_rater():
    fw = one_area_framework(10.0, 1)
    rows = [Score(u, f"r{i}", "c1", p) for i in range(3) for u, p in (("u1", 8.0), ("u2", 2.0))]
    settings = Settings(method="mean")
    arr, _, cells, tw = prepared(rows, fw, settings)
    loo = leave_one_rater_out(cells, tw, settings, arr.units, arr.raters)
    assert (loo.largest_change, loo.largest_rater, loo.largest_unit) == (0.0, None, None)


def test_leave_one_rater_out_notes_unit_that_loses_its_only_rater():
    fw = one_area_framework(10.0, 1)
    rows = [Score("u1", "r1", "c1", 5.0), Score("u1", "r2", "c1", 6.0), Score("u2", "r2", "c1", 4.0)]
    settings = Settings(method="mean")
    arr, _, cells, tw = prepared(rows, fw, settings)
    loo = leave_one_rater_out(cells, tw, settings, arr.units, arr.raters)
    assert loo.notes == ("without rater 'r2', unit 'u2' has no total",)
