"""Scales, matrix rows, frequency tables, number questions and the reliability
of a block of items (scoring.survey), checked against hand-worked cases and
scipy/numpy computing the same quantities on the same data."""

from __future__ import annotations

import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from scoring.reliability import cronbach_alpha
from scoring.survey import (
    choice_shares,
    cross_table,
    crosstab_test,
    frequency_table,
    matrix_summary,
    median_interval_ranks,
    number_summary,
    scale_reliability,
    scale_summary,
    wilson_interval,
)
from scoring.types import ScoringInputError

nan = np.nan

# Ten answers on a 1..5 scale and one respondent who gave none.
ANSWERS = np.array([1, 2, 2, 3, 4, 4, 5, 5, 5, 5, nan])


# --------------------------------------------------------------------------- #
# median interval ranks
# --------------------------------------------------------------------------- #


def test_median_interval_ranks_n10_by_hand():
    # B ~ Bin(10, 1/2): P(B <= 1) = 11/1024 = 0.0107 < 0.025 <= P(B <= 2) = 56/1024,
    # so l = 2, u = 10 + 1 - 2 = 9 and the coverage is P(2 <= B <= 8) = 1 - 22/1024.
    assert median_interval_ranks(10) == (2, 9, pytest.approx(1 - 22 / 1024, abs=1e-15))


def test_median_interval_ranks_too_small_sample_is_nan():
    # n = 5: even [x_(1), x_(5)] covers only 1 - 2/32 = 0.9375 < 0.95.
    low, high, coverage = median_interval_ranks(5)
    assert (low, high) == (0, 6) and np.isnan(coverage)
    assert median_interval_ranks(6)[:2] == (1, 6)  # 1 - 2/64 = 0.96875


@pytest.mark.parametrize("n", [6, 7, 10, 11, 25, 100, 1001])
@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
def test_median_interval_ranks_coverage_matches_binomial(n, confidence):
    low, high, coverage = median_interval_ranks(n, confidence)
    if low == 0:
        assert np.isnan(coverage)
        return
    b = stats.binom(n, 0.5)
    assert coverage == pytest.approx(b.cdf(high - 1) - b.cdf(low - 1), abs=1e-12)
    assert coverage >= confidence
    # One step narrower would miss the level: l is as large as it can be.
    assert b.cdf(high - 2) - b.cdf(low) < confidence


# --------------------------------------------------------------------------- #
# scale summary
# --------------------------------------------------------------------------- #


def test_scale_summary_hand_computed():
    # n = 10, mean 36/10 = 3.6; squared deviations 6.76 + 2*2.56 + 0.36 + 2*0.16
    # + 4*1.96 = 20.4, s^2 = 20.4/9, s = 1.505545; t(9, .975) = 2.262157,
    # half width = 2.262157 * 1.505545 / sqrt(10) = 1.077002.
    res = scale_summary(ANSWERS, 5)

    assert (res.n, res.n_missing) == (10, 1)
    assert res.mean == pytest.approx(3.6, abs=1e-12)
    assert res.sd == pytest.approx(np.sqrt(20.4 / 9), abs=1e-12)
    assert res.mean_ci == pytest.approx((3.6 - 1.077002, 3.6 + 1.077002), abs=1e-6)
    # Sorted: 1 2 2 3 4 | 4 5 5 5 5 -> median (4 + 4)/2; x_(2) = 2, x_(9) = 5.
    assert res.median == 4.0
    assert res.median_ci == (2.0, 5.0)
    assert res.median_ci_coverage == pytest.approx(1 - 22 / 1024, abs=1e-15)
    assert res.counts.tolist() == [1, 2, 1, 2, 4]
    assert res.shares.tolist() == pytest.approx([0.1, 0.2, 0.1, 0.2, 0.4], abs=1e-15)
    # Top-2 box: 4 or 5 -> 6 of 10; bottom-2: 1 or 2 -> 3 of 10.
    assert (res.top_count, res.top_share) == (6, pytest.approx(0.6))
    assert (res.bottom_count, res.bottom_share) == (3, pytest.approx(0.3))


def test_scale_summary_matches_scipy_and_numpy():
    rng = np.random.default_rng(3)
    x = rng.integers(1, 8, 500).astype(float)
    x[rng.random(500) < 0.1] = nan
    kept = x[~np.isnan(x)]

    res = scale_summary(x, 7)

    assert res.n == kept.size
    assert res.mean == pytest.approx(kept.mean(), rel=1e-12)
    assert res.sd == pytest.approx(kept.std(ddof=1), rel=1e-12)
    expected = stats.t.interval(0.95, kept.size - 1, loc=kept.mean(), scale=stats.sem(kept))
    assert res.mean_ci == pytest.approx(expected, rel=1e-12)
    assert res.median == np.median(kept)
    ci = stats.quantile_test(kept, q=np.median(kept), p=0.5).confidence_interval(0.95)
    assert res.median_ci == (ci.low, ci.high)
    assert res.counts.tolist() == np.bincount(kept.astype(int), minlength=8)[1:].tolist()
    low, high = wilson_interval(res.counts, res.n)
    assert res.shares_ci[0] == pytest.approx(low, abs=1e-15)
    assert res.shares_ci[1] == pytest.approx(high, abs=1e-15)
    top = int((kept >= 6).sum())
    assert res.top_count == top
    assert res.top_share_ci == pytest.approx(wilson_interval(top, kept.size), abs=1e-15)


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.one_of(st.integers(0, 10).map(float), st.just(nan)), min_size=1, max_size=80),
    confidence=st.sampled_from([0.9, 0.95, 0.99]),
)
def test_scale_summary_agrees_with_numpy_and_quantile_test(values, confidence):
    x = np.array(values)
    kept = x[~np.isnan(x)]

    res = scale_summary(x, range(0, 11), confidence)

    assert (res.n, res.n_missing) == (kept.size, x.size - kept.size)
    if kept.size == 0:
        assert np.isnan(res.mean) and np.isnan(res.median)
        return
    assert res.mean == pytest.approx(kept.mean(), abs=1e-12)
    assert res.median == np.median(kept)
    ci = stats.quantile_test(kept, q=float(np.median(kept)), p=0.5).confidence_interval(confidence)
    if np.isnan(res.median_ci_coverage):
        assert np.isnan(res.median_ci[0]) and np.isnan(res.median_ci[1])
    else:
        assert res.median_ci == (ci.low, ci.high)
    if kept.size >= 2 and kept.std() > 0:
        raw = stats.t.interval(confidence, kept.size - 1, loc=kept.mean(), scale=stats.sem(kept))
        assert res.mean_ci == pytest.approx((max(raw[0], 0.0), min(raw[1], 10.0)), abs=1e-9)
    assert res.shares.sum() == pytest.approx(1.0)


def test_scale_summary_mean_interval_stays_on_the_scale():
    res = scale_summary([4, 5], 5)  # t(1) makes the raw interval -1.85 .. 10.85

    assert res.mean_ci == (1.0, 5.0)


def test_scale_summary_zero_to_ten_scale():
    res = scale_summary([0, 10, 10, 7], range(0, 11))

    assert res.counts[0] == 1 and res.counts[10] == 2 and res.counts.size == 11
    assert res.top_count == 2  # 9 or 10


def test_scale_summary_points_not_consecutive():
    # A scale coded -2, -1, 1, 2 (no midpoint): the binary-search path.
    res = scale_summary([-2, -1, 1, 2, 2, nan], [-2, -1, 1, 2])

    assert res.counts.tolist() == [1, 1, 1, 2]
    assert res.median == 1.0
    with pytest.raises(ScoringInputError, match="respondent 1 answered 0"):
        scale_summary([1, 0], [-2, -1, 1, 2])


def test_scale_summary_no_answers():
    res = scale_summary([nan, nan], 5)

    assert (res.n, res.n_missing) == (0, 2)
    assert np.isnan(res.mean) and np.isnan(res.median) and np.isnan(res.top_share)
    assert np.isnan(res.shares_ci[0]).all()


@pytest.mark.parametrize(("values", "message"), [([1, 6], "respondent 1 answered 6"), ([2.5], "respondent 0 answered 2.5")])
def test_scale_summary_value_off_the_scale_raises(values, message):
    with pytest.raises(ScoringInputError, match=message):
        scale_summary(values, 5)


@pytest.mark.parametrize(("points", "top", "message"), [(1, 2, "whole number >= 2"), (5, 5, "top_boxes"), ([3, 2, 1], 1, "increasing")])
def test_scale_summary_bad_scale_raises(points, top, message):
    with pytest.raises(ScoringInputError, match=message):
        scale_summary([1], points, top_boxes=top)


def test_matrix_summary_equals_scale_summary_per_row():
    rng = np.random.default_rng(5)
    x = rng.integers(1, 6, (300, 4)).astype(float)
    x[rng.random(x.shape) < 0.2] = nan

    rows = matrix_summary(x, 5)

    assert len(rows) == 4
    for j, row in enumerate(rows):
        single = scale_summary(x[:, j], 5)
        assert (row.n, row.mean, row.median, row.median_ci) == (single.n, single.mean, single.median, single.median_ci)
        assert row.counts.tolist() == single.counts.tolist()


def test_matrix_summary_error_names_row():
    with pytest.raises(ScoringInputError, match="respondent 1, row 2 answered 9"):
        matrix_summary([[1, 1, 1], [1, 1, 9]], 5)


def test_matrix_summary_million_answers_is_fast():
    rng = np.random.default_rng(11)
    x = rng.integers(1, 6, (1_000_000, 5)).astype(float)
    x[rng.random(x.shape) < 0.05] = nan

    start = time.perf_counter()
    rows = matrix_summary(x, 5)
    elapsed = time.perf_counter() - start

    assert elapsed < 2.0  # about 0.05 s here; generous for a loaded machine
    assert sum(r.n + r.n_missing for r in rows) == x.size


# --------------------------------------------------------------------------- #
# single choice, cross-tables, multiple choice
# --------------------------------------------------------------------------- #


def test_frequency_table_hand_computed():
    res = frequency_table([0, 1, 1, 2, 1, nan, 3], 5)

    assert res.counts.tolist() == [1, 3, 1, 1, 0]
    assert (res.n, res.n_missing) == (6, 1)
    assert res.shares.tolist() == pytest.approx([1 / 6, 0.5, 1 / 6, 1 / 6, 0.0])
    assert res.shares_ci[0][1] == pytest.approx(wilson_interval(3, 6)[0], abs=1e-15)
    assert res.shares_ci[0][4] == 0.0


def test_frequency_table_integer_codes_with_minus_one():
    res = frequency_table(np.array([2, -1, 2, 0], dtype=np.int8), 3)

    assert res.counts.tolist() == [1, 0, 2]
    assert res.n_missing == 1


@pytest.mark.parametrize("codes", [[0, 3], [0, 1.5], np.array([0, -2])])
def test_frequency_table_bad_code_raises(codes):
    with pytest.raises(ScoringInputError, match="respondent 1 has answer code"):
        frequency_table(codes, 3)


def test_frequency_table_large_matches_bincount():
    rng = np.random.default_rng(2)
    codes = rng.integers(-1, 6, 200_000)

    res = frequency_table(codes, 6)

    assert res.counts.tolist() == np.bincount(codes[codes >= 0], minlength=6).tolist()


def test_cross_table_matches_histogram2d_and_feeds_the_chi_square():
    rng = np.random.default_rng(4)
    rows = rng.integers(-1, 4, 5000)
    cols = rng.integers(0, 3, 5000).astype(float)
    cols[rng.random(5000) < 0.05] = nan

    table = cross_table(rows, cols, 4, 3)

    keep = (rows >= 0) & ~np.isnan(cols)
    expected, _, _ = np.histogram2d(rows[keep], cols[keep], bins=[np.arange(5) - 0.5, np.arange(4) - 0.5])
    assert table.tolist() == expected.astype(int).tolist()
    chi2 = stats.chi2_contingency(table, correction=False).statistic
    assert crosstab_test(table).statistic == pytest.approx(chi2, rel=1e-12)


def test_cross_table_length_mismatch_raises():
    with pytest.raises(ScoringInputError, match="3 row codes but 2 column codes"):
        cross_table([0, 1, 0], [0, 1], 2, 2)


def test_choice_shares_mention_interval_hand_computed():
    # Ticks m = (2, 2, 0, 1), M = 5; option 0: Y = 3, p = 0.6.
    # d_i = y_i0 - 0.6 m_i = (-0.2, -0.2, 0, 0.4), sum d^2 = 0.24;
    # var = 4/3 * 0.24 / 25 = 0.0128, se = 0.113137, half = 1.959964 * se = 0.221744.
    res = choice_shares([[1, 0, 1], [1, 1, 0], [0, 0, 0], [1, 0, 0]])

    assert res.mention_share_ci[0][0] == pytest.approx(0.6 - 0.221744, abs=1e-6)
    assert res.mention_share_ci[1][0] == pytest.approx(0.6 + 0.221744, abs=1e-6)


def test_choice_shares_mention_interval_one_tick_each_is_wald_with_n_minus_1():
    # Every respondent ticks exactly one option: m_i = 1, so var = p(1 - p)/(n - 1).
    rng = np.random.default_rng(8)
    pick = rng.integers(0, 4, 400)
    selected = np.eye(4, dtype=int)[pick]

    res = choice_shares(selected)

    p = res.mention_share
    half = 1.959963984540054 * np.sqrt(p * (1 - p) / 399)
    assert res.mention_share == pytest.approx(res.respondent_share, abs=1e-15)
    assert res.mention_share_ci[0] == pytest.approx(p - half, abs=1e-12)


def test_choice_shares_mention_interval_agrees_with_jackknife():
    # Independent check: the jackknife variance of the ratio Y_j / M, leaving
    # out one respondent at a time, agrees with the linearised variance to
    # O(1/n).
    rng = np.random.default_rng(9)
    n = 3000
    selected = (rng.random((n, 5)) < np.array([0.6, 0.4, 0.3, 0.2, 0.1])).astype(int)

    res = choice_shares(selected)

    y_total, ticks = selected.sum(axis=0), selected.sum(axis=1)
    leave_out = (y_total[None, :] - selected) / (ticks.sum() - ticks)[:, None]
    jack_var = (n - 1) / n * ((leave_out - leave_out.mean(axis=0)) ** 2).sum(axis=0)
    se = (res.mention_share_ci[1] - res.mention_share) / 1.959963984540054
    assert se == pytest.approx(np.sqrt(jack_var), rel=0.01)


def test_choice_shares_integer_and_bool_matrices_match_float():
    rng = np.random.default_rng(1)
    selected = (rng.random((200, 6)) < 0.3).astype(np.int8)

    as_float = choice_shares(selected.astype(float))
    for variant in (selected, selected.astype(bool)):
        res = choice_shares(variant)
        assert res.counts.tolist() == as_float.counts.tolist()
        assert res.mention_share_ci[0] == pytest.approx(as_float.mention_share_ci[0], abs=1e-15)


def test_choice_shares_integer_matrix_with_a_two_raises():
    with pytest.raises(ScoringInputError, match="respondent 1, option 0 is 2;"):
        choice_shares(np.array([[1, 0], [2, 1]], dtype=np.int8))


def test_choice_shares_counts_only_have_no_mention_interval():
    res = choice_shares([3, 1], n_respondents=5)

    assert np.isnan(res.mention_share_ci[0]).all()


# --------------------------------------------------------------------------- #
# number questions
# --------------------------------------------------------------------------- #


def test_number_summary_hand_computed():
    # Sorted: 1 1 2 3 4 5 6 9 (n = 8). Type 7 quartiles: h = 7p;
    # q1 at h = 1.75: 1 + 0.75 * (2 - 1) = 1.75; median at 3.5: (3 + 4)/2;
    # q3 at 5.25: 5 + 0.25 * (6 - 5) = 5.25. Median interval for n = 8:
    # l = 1 (P(B <= 0) = 1/256), u = 8: coverage 1 - 2/256.
    res = number_summary([3, 1, 4, 1, 5, 9, 2, 6, nan])

    assert (res.n, res.n_missing) == (8, 1)
    assert (res.minimum, res.q1, res.median, res.q3, res.maximum) == (1.0, 1.75, 3.5, 5.25, 9.0)
    assert res.mean == pytest.approx(31 / 8)
    assert res.median_ci == (1.0, 9.0)
    assert res.median_ci_coverage == pytest.approx(1 - 2 / 256)


def test_number_summary_matches_numpy_and_scipy():
    rng = np.random.default_rng(6)
    x = rng.lognormal(3, 1, 2001)
    x[::50] = nan
    kept = x[~np.isnan(x)]

    res = number_summary(x)

    assert [res.minimum, res.q1, res.median, res.q3, res.maximum] == pytest.approx(
        np.percentile(kept, [0, 25, 50, 75, 100]), rel=1e-12
    )
    assert res.sd == pytest.approx(kept.std(ddof=1), rel=1e-12)
    assert res.mean_ci == pytest.approx(
        stats.t.interval(0.95, kept.size - 1, loc=kept.mean(), scale=stats.sem(kept)), rel=1e-12
    )
    ci = stats.quantile_test(kept, q=np.median(kept), p=0.5).confidence_interval(0.95)
    assert res.median_ci == (ci.low, ci.high)


def test_number_summary_empty_and_single():
    empty = number_summary([nan])
    one = number_summary([42.0])

    assert empty.n == 0 and np.isnan(empty.mean) and np.isnan(empty.median)
    assert one.n == 1 and one.median == 42.0 and np.isnan(one.sd) and np.isnan(one.median_ci[0])


def test_number_summary_infinite_raises():
    with pytest.raises(ScoringInputError, match="respondent 1 has an infinite value"):
        number_summary([1.0, np.inf])


# --------------------------------------------------------------------------- #
# Cronbach's alpha of a block
# --------------------------------------------------------------------------- #

# Four respondents, three items.
BLOCK = np.array([[1, 1, 2], [2, 3, 2], [3, 3, 4], [4, 5, 4]], dtype=float)


def test_scale_reliability_hand_computed():
    # Item variances (ddof 1): 5/3, 8/3, 4/3, sum 17/3; totals 4, 7, 10, 13
    # have variance 45/3 = 15. alpha = 3/2 * (1 - (17/3)/15) = 42/45.
    res = scale_reliability(BLOCK)

    assert res.alpha.value == pytest.approx(42 / 45, abs=1e-12)
    # Without item 0: items 1, 2 (variances 8/3, 4/3), totals 3, 5, 7, 9
    # (variance 20/3): alpha = 2 * (1 - 4 / (20/3)) = 0.8.
    assert res.alpha_if_deleted[0] == pytest.approx(0.8, abs=1e-12)
    # Item 0 against the rest (3, 5, 7, 9): perfectly linear, r = 1.
    assert res.item_rest_correlation[0] == pytest.approx(1.0, abs=1e-12)
    assert res.item_means.tolist() == [2.5, 3.0, 3.0]


def test_scale_reliability_feldt_interval_by_formula():
    # Feldt et al. (1987): 1 - (1 - alpha) F(1 - a/2; n - 1, (n - 1)(k - 1)) and
    # 1 - (1 - alpha) F(a/2; ...), here with n = 4, k = 3: df 3 and 6.
    res = scale_reliability(BLOCK)

    alpha = 42 / 45
    assert res.alpha.ci == pytest.approx(
        (1 - (1 - alpha) * stats.f.ppf(0.975, 3, 6), 1 - (1 - alpha) * stats.f.ppf(0.025, 3, 6)), abs=1e-12
    )


def _alpha_from_covariances(x: np.ndarray) -> float:
    """The covariance form: k c / (v + (k - 1) c), c the mean covariance, v the mean variance."""
    cov = np.cov(x, rowvar=False)
    k = cov.shape[0]
    v = np.trace(cov) / k
    c = (cov.sum() - np.trace(cov)) / (k * (k - 1))
    return k * c / (v + (k - 1) * c)


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(5, 60), k=st.integers(3, 7))
def test_scale_reliability_agrees_with_covariance_form_and_deletion(seed, n, k):
    rng = np.random.default_rng(seed)
    trait = rng.normal(size=(n, 1))
    x = np.clip(np.round(3 + trait + rng.normal(size=(n, k))), 1, 5)
    x[rng.random(x.shape) < 0.05] = nan
    complete = x[~np.isnan(x).any(axis=1)]
    if complete.shape[0] < 3 or (complete.sum(axis=1).var() == 0) or (complete.var(axis=0) == 0).any():
        return

    res = scale_reliability(x)

    assert res.alpha.value == pytest.approx(_alpha_from_covariances(complete), abs=1e-9)
    for j in range(k):
        rest = np.delete(complete, j, axis=1)
        assert res.alpha_if_deleted[j] == pytest.approx(cronbach_alpha(rest).value, abs=1e-9, nan_ok=True)
        if not np.isnan(res.alpha_if_deleted[j]):
            assert res.item_rest_correlation[j] == pytest.approx(
                np.corrcoef(complete[:, j], rest.sum(axis=1))[0, 1], abs=1e-9
            )


def test_scale_reliability_listwise_deletion():
    x = np.vstack([BLOCK, [1, nan, 3]])

    res = scale_reliability(x)

    assert (res.alpha.n_cases, res.alpha.n_dropped) == (4, 1)
    assert res.alpha.value == pytest.approx(42 / 45, abs=1e-12)


def test_scale_reliability_two_items_has_no_alpha_if_deleted():
    res = scale_reliability(BLOCK[:, :2])

    assert np.isnan(res.alpha_if_deleted).all()
