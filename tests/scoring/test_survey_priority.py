"""Needs priority (scoring.survey.priority): the paired tests between
neighbours, checked against published values and scipy on the same data."""

from __future__ import annotations

import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from scoring.survey import (
    borda_points,
    holm_adjust,
    mcnemar_midp,
    needs_priority,
    paired_difference_interval,
    ranking_summary,
    wilson_interval,
)
from scoring.types import ScoringInputError

nan = np.nan

# Cavo et al. (2012), complete response before and after consolidation
# therapy, as analysed in Fagerland, Lydersen & Laake (2017), Statistical
# Analysis of Contingency Tables, chapter 8 (values printed by the authors'
# R package contingencytables, tests for chapter 8): a = 59, b = 6, c = 16, d = 80.
CAVO = (59, 6, 16, 80)


# --------------------------------------------------------------------------- #
# McNemar mid-p, Newcombe's paired interval, Holm
# --------------------------------------------------------------------------- #


def test_mcnemar_midp_published_cavo():
    # Fagerland et al.: "The McNemar mid-P test: P = 0.034690".
    assert mcnemar_midp(6, 16) == pytest.approx(0.034690, abs=5e-7)


def test_mcnemar_midp_is_exact_conditional_minus_point_probability():
    # The exact conditional test is scipy's two-sided binomial test on the
    # discordant pairs (Fagerland et al.: P = 0.052479 for Cavo); mid-p takes
    # away the probability of the observed outcome.
    exact = stats.binomtest(6, 22, 0.5).pvalue
    assert exact == pytest.approx(0.052479, abs=5e-7)
    assert mcnemar_midp(6, 16) == pytest.approx(exact - stats.binom.pmf(6, 22, 0.5), abs=1e-14)


@settings(max_examples=100, deadline=None)
@given(b=st.integers(0, 300), c=st.integers(0, 300))
def test_mcnemar_midp_against_binomial(b, c):
    p = mcnemar_midp(b, c)

    if b == c:
        assert p == 1.0
        return
    m, low = b + c, min(b, c)
    expected = min(1.0, 2 * stats.binom.cdf(low, m, 0.5) - stats.binom.pmf(low, m, 0.5))
    assert p == pytest.approx(expected, abs=1e-12)
    assert p <= stats.binomtest(b, m, 0.5).pvalue + 1e-12  # mid-p is never above the exact test
    assert p == mcnemar_midp(c, b)


def test_mcnemar_midp_vectorised_and_no_discordant_pairs():
    assert mcnemar_midp([6, 0, 3], [16, 0, 3]).tolist() == pytest.approx([0.034690, 1.0, 1.0], abs=5e-7)


def test_paired_difference_interval_published_cavo():
    # Fagerland et al.: Newcombe square-and-add, estimate -0.0621 (95% CI -0.1186 to -0.0046).
    assert paired_difference_interval(*CAVO) == pytest.approx((-0.1186, -0.0046), abs=5e-5)


def test_paired_difference_interval_by_formula():
    # Rebuilt from its parts with wilson_interval for a table where
    # A = ad - bc = 40*30 - 10*20 = 1000 > n/2 = 50, so psi = (A - 50)/sqrt(prod).
    a, b, c, d = 40, 10, 20, 30
    n = 100
    p1, p2 = 0.5, 0.6
    l1, u1 = wilson_interval(50, n)
    l2, u2 = wilson_interval(60, n)
    psi = (1000 - 50) / np.sqrt(50 * 50 * 60 * 40)
    low = -0.1 - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2 - 2 * psi * (p1 - l1) * (u2 - p2))
    high = -0.1 + np.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2 - 2 * psi * (p2 - l2) * (u1 - p1))

    assert paired_difference_interval(a, b, c, d) == pytest.approx((low, high), abs=1e-12)


@settings(max_examples=100, deadline=None)
@given(st.tuples(*[st.integers(0, 60)] * 4))
def test_paired_difference_interval_properties(table):
    a, b, c, d = table
    n = a + b + c + d
    low, high = paired_difference_interval(a, b, c, d)
    if n == 0:
        assert np.isnan(low) and np.isnan(high)
        return
    diff = (b - c) / n
    assert -1 - 1e-12 <= low <= diff <= high <= 1 + 1e-12
    # Swapping the items mirrors the interval.
    assert paired_difference_interval(a, c, b, d) == pytest.approx((-high, -low), abs=1e-12)


def test_holm_adjust_by_hand():
    # Sorted 0.01, 0.03, 0.04 (m = 3): 3 * 0.01 = 0.03; max(0.03, 2 * 0.03) = 0.06;
    # max(0.06, 1 * 0.04) = 0.06. The nan is no test and does not count.
    assert holm_adjust([0.01, 0.04, 0.03, nan]).tolist() == pytest.approx([0.03, 0.06, 0.06, nan], nan_ok=True)
    assert holm_adjust([0.5, 0.9]).tolist() == [1.0, 1.0]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=25))
def test_holm_adjust_against_rejection_loop(p):
    # Holm's sequential procedure: reject H_(i) while p_(i) <= alpha / (m - i + 1).
    p = np.array(p)
    adjusted = holm_adjust(p)
    for alpha in (0.01, 0.05, 0.1):
        rejected = np.zeros(p.size, dtype=bool)
        for rank, i in enumerate(np.argsort(p, kind="stable")):
            if p[i] > alpha / (p.size - rank):
                break
            rejected[i] = True
        assert ((adjusted <= alpha) == rejected).all()


# --------------------------------------------------------------------------- #
# needs priority: multiple-choice ticks
# --------------------------------------------------------------------------- #

# Twenty respondents tick the needs that apply (columns: legal help,
# training, housing).
TICKS = np.array([[1, 1, 0], [1, 0, 0], [1, 1, 0], [0, 1, 1], [1, 0, 0]] * 4)


def test_needs_priority_binary_by_hand():
    res = needs_priority(TICKS)

    assert res.binary and res.test == "McNemar mid-p"
    assert res.estimate.tolist() == [0.8, 0.6, 0.2]
    low, high = wilson_interval([16, 12, 4], 20)
    assert res.ci[0] == pytest.approx(low, abs=1e-15) and res.ci[1] == pytest.approx(high, abs=1e-15)
    assert res.order.tolist() == [0, 1, 2]
    # Legal help vs training: only legal help in rows 2 and 5 of each block
    # (b = 8), only training in row 4 (c = 4): difference (8 - 4)/20 = 0.2.
    # Training vs housing: b = 8 (rows 1, 3), c = 0.
    assert res.n_pairs_next.tolist() == [20, 20]
    assert res.difference_next.tolist() == pytest.approx([0.2, 0.4])
    assert res.pvalue_next.tolist() == pytest.approx([mcnemar_midp(8, 4), mcnemar_midp(8, 0)])
    a, b, c, d = 8, 8, 4, 0  # legal help and training: both in rows 1, 3
    assert res.difference_next_ci[0][0] == pytest.approx(paired_difference_interval(a, b, c, d)[0], abs=1e-15)
    # Holm over the two pairs: the smaller p doubles, the larger stays (monotone).
    assert res.pvalue_next_adjusted.tolist() == pytest.approx(holm_adjust(res.pvalue_next).tolist())
    assert res.not_distinguishable_next.tolist() == [True, False]
    assert res.tier.tolist() == [1, 1, 2]


def test_needs_priority_paired_test_sees_what_overlapping_intervals_miss():
    # Training (12 of 20) and housing (4 of 20) have overlapping Wilson
    # intervals, but everyone who ticked housing also ticked training: the
    # paired test separates them.
    res = needs_priority(TICKS)

    assert res.intervals_overlap_next.tolist() == [True, True]
    assert res.not_distinguishable_next[1] == np.False_


def test_needs_priority_without_adjustment_uses_raw_p():
    res = needs_priority(TICKS, adjust="none")

    assert res.pvalue_next_adjusted.tolist() == res.pvalue_next.tolist()
    assert res.adjust == "none"


def test_needs_priority_items_of_different_questions_with_nan():
    # Item 2 belongs to a question only the first 6 respondents were asked.
    scores = np.array(
        [[1, 0, 1], [1, 1, 1], [0, 0, 1], [1, 0, 0], [1, 1, 1], [0, 0, 1], [1, 0, nan], [1, 1, nan]], dtype=float
    )

    res = needs_priority(scores)

    assert res.n.tolist() == [8, 8, 6]
    assert res.estimate.tolist() == pytest.approx([6 / 8, 3 / 8, 5 / 6])
    assert res.order.tolist() == [2, 0, 1]
    # Place 1 vs 2 (items 2 and 0) on the 6 respondents with both:
    # both ticked rows 0, 1, 4; item 2 only rows 2, 5; item 0 only row 3.
    assert res.n_pairs_next[0] == 6
    assert res.difference_next[0] == pytest.approx((2 - 1) / 6)
    assert res.pvalue_next[0] == pytest.approx(mcnemar_midp(2, 1))


def test_needs_priority_as_priority_order_carries_the_paired_mark():
    res = needs_priority(TICKS)

    order = res.as_priority_order()

    assert order.order.tolist() == res.order.tolist()
    assert order.overlaps_next.tolist() == res.not_distinguishable_next.tolist()


def test_needs_priority_identical_items_are_never_distinguished():
    col = (np.arange(50) % 3 == 0).astype(float)

    res = needs_priority(np.c_[col, col, col])

    assert res.pvalue_next.tolist() == [1.0, 1.0]
    assert res.not_distinguishable_next.all() and res.tier.tolist() == [1, 1, 1]


# --------------------------------------------------------------------------- #
# needs priority: Borda points (paired t)
# --------------------------------------------------------------------------- #


def _random_ranks(rng, n, items, top):
    picks = np.argsort(rng.random((n, items)), axis=1)[:, :top]
    ranks = np.full((n, items), nan)
    np.put_along_axis(ranks, picks, np.arange(1, top + 1, dtype=float)[None, :].repeat(n, 0), axis=1)
    return ranks


def test_borda_points_means_are_the_ranking_summary_borda():
    rng = np.random.default_rng(12)
    ranks = _random_ranks(rng, 400, 6, 3)
    ranks[:7] = nan  # blank respondents

    points = borda_points(ranks)

    assert np.isnan(points[:7]).all()
    assert np.nanmean(points, axis=0) == pytest.approx(ranking_summary(ranks).borda, abs=1e-12)


def test_needs_priority_borda_matches_scipy_ttest_rel():
    rng = np.random.default_rng(13)
    # Item popularity differs so the order is clear; some items are close.
    weights = np.array([3.0, 2.9, 2.0, 1.0, 0.5])
    keys = rng.gumbel(size=(300, 5)) + np.log(weights)
    ranks = np.full((300, 5), nan)
    picks = np.argsort(-keys, axis=1)[:, :3]
    np.put_along_axis(ranks, picks, np.arange(1, 4, dtype=float)[None, :].repeat(300, 0), axis=1)
    points = borda_points(ranks)

    res = needs_priority(points)

    assert not res.binary and res.test == "paired t"
    means = points.mean(axis=0)
    assert res.estimate == pytest.approx(means, abs=1e-12)
    t_int = [stats.t.interval(0.95, 299, loc=m, scale=stats.sem(points[:, j])) for j, m in enumerate(means)]
    assert res.ci[0] == pytest.approx([i[0] for i in t_int], abs=1e-12)
    for i in range(4):
        upper, lower = res.order[i], res.order[i + 1]
        test = stats.ttest_rel(points[:, upper], points[:, lower])
        assert res.pvalue_next[i] == pytest.approx(test.pvalue, rel=1e-9)
        ci = test.confidence_interval(0.95)
        assert (res.difference_next_ci[0][i], res.difference_next_ci[1][i]) == pytest.approx((ci.low, ci.high), abs=1e-12)


def test_needs_priority_binary_can_be_forced_off():
    res = needs_priority(TICKS, binary=False)

    assert res.test == "paired t"
    assert res.estimate.tolist() == [0.8, 0.6, 0.2]


def test_needs_priority_forcing_binary_on_non_binary_raises():
    with pytest.raises(ScoringInputError, match="respondent 0, item 1 has 2"):
        needs_priority([[1, 2], [0, 1]], binary=True)


def test_needs_priority_bad_adjust_raises():
    with pytest.raises(ScoringInputError, match="adjust must be one of"):
        needs_priority(TICKS, adjust="bonferroni")


def test_needs_priority_unanswered_item_comes_last_undistinguished():
    scores = np.array([[1, nan, 0], [1, nan, 1], [0, nan, 1]], dtype=float)

    res = needs_priority(scores)

    assert res.order.tolist()[-1] == 1
    assert res.n_pairs_next[-1] == 0 and np.isnan(res.pvalue_next[-1])
    assert res.not_distinguishable_next[-1]


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 60), items=st.integers(2, 8))
def test_needs_priority_binary_tables_add_up(seed, n, items):
    rng = np.random.default_rng(seed)
    ticks = (rng.random((n, items)) < rng.random(items)).astype(float)
    ticks[rng.random(ticks.shape) < 0.1] = nan

    res = needs_priority(ticks)

    assert (np.diff(res.estimate[res.order][~np.isnan(res.estimate[res.order])]) <= 0).all()
    for i in range(items - 1):
        u, l = res.order[i], res.order[i + 1]
        both = ~np.isnan(ticks[:, u]) & ~np.isnan(ticks[:, l])
        assert res.n_pairs_next[i] == both.sum()
        if both.any():
            b = int(((ticks[:, u] == 1) & (ticks[:, l] == 0) & both).sum())
            c = int(((ticks[:, u] == 0) & (ticks[:, l] == 1) & both).sum())
            assert res.pvalue_next[i] == pytest.approx(mcnemar_midp(b, c), abs=1e-12)
    assert res.tier[0] == 1 and (np.diff(res.tier) == ~res.not_distinguishable_next).all()


def test_needs_priority_large_input_is_fast():
    # 300,000 respondents, 20 need items.
    rng = np.random.default_rng(14)
    ticks = (rng.random((300_000, 20)) < np.linspace(0.05, 0.6, 20)).astype(np.int8)

    start = time.perf_counter()
    res = needs_priority(ticks)
    elapsed = time.perf_counter() - start

    assert elapsed < 2.0  # about 0.05 s here
    assert res.order[0] == 19 and res.order[-1] == 0
