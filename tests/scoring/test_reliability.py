"""Tests for scoring.reliability against published reference values."""

from __future__ import annotations

import itertools
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import stats

from scoring.reliability import (
    ICC_KINDS,
    cronbach_alpha,
    icc,
    kendall_w,
    krippendorff_alpha,
)
from scoring.types import ScoringInputError

nan = np.nan

# Shrout, P. E., & Fleiss, J. L. (1979). Intraclass correlations: uses in
# assessing rater reliability. Psychological Bulletin, 86(2), 420-428:
# six targets (rows) rated by four judges (columns), p. 423 (Table 2).
SHROUT_FLEISS = np.array(
    [
        [9, 2, 5, 8],
        [6, 1, 3, 2],
        [8, 4, 6, 8],
        [7, 1, 2, 6],
        [10, 5, 6, 9],
        [6, 2, 4, 7],
    ],
    dtype=float,
)

# Krippendorff, K. (2011). Computing Krippendorff's alpha-reliability,
# section C ("nominal data, any number of observers, missing data"):
# observers A-D (rows) x units 1-12 (columns). Unit 12 has one value only.
KRIPPENDORFF_2011 = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
        [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],
    ]
)

# NAG Library Manual, routine g08daf (Kendall's coefficient of concordance),
# example program data and results: 3 comparisons (raters) x 10 objects with
# tied scores; published W = 0.828, significance 0.008. The data are
# Siegel's (1956) textbook example of W with ties.
NAG_G08DAF = np.array(
    [
        [1.0, 4.5, 2.0, 4.5, 3.0, 7.5, 6.0, 9.0, 7.5, 10.0],
        [2.5, 1.0, 2.5, 4.5, 4.5, 8.0, 9.0, 6.5, 10.0, 6.5],
        [2.0, 1.0, 4.5, 4.5, 4.5, 4.5, 8.0, 8.0, 8.0, 10.0],
    ]
)


# --------------------------------------------------------------------------- #
# ICC
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    ("kind", "published"),
    # Values reported by Shrout & Fleiss (1979) for their example, two decimals.
    [("ICC1", 0.17), ("ICC2", 0.29), ("ICC3", 0.71), ("ICC1k", 0.44), ("ICC2k", 0.62), ("ICC3k", 0.91)],
)
def test_icc_shrout_fleiss_values(kind, published):
    result = icc(SHROUT_FLEISS, kind)

    assert result.value == pytest.approx(published, abs=0.005)  # published to 2 decimals
    assert result.kind == kind
    assert (result.n_targets, result.n_raters) == (6, 4)


@pytest.mark.parametrize(
    ("kind", "low", "high", "f_stat", "df2", "pvalue"),
    # Independent reference: R psych::ICC() on the same data, as printed in
    # dwoll/RExRepos, Rmd/interRaterICC (lower bound 3 dp, upper 2 dp,
    # F 1 dp, p 5 dp).
    [
        ("ICC1", -0.133, 0.72, 1.8, 18, 0.16477),
        ("ICC2", 0.019, 0.76, 11.0, 15, 0.00013),
        ("ICC3", 0.342, 0.95, 11.0, 15, 0.00013),
        ("ICC1k", -0.884, 0.91, 1.8, 18, 0.16477),
        ("ICC2k", 0.071, 0.93, 11.0, 15, 0.00013),
        ("ICC3k", 0.676, 0.99, 11.0, 15, 0.00013),
    ],
)
def test_icc_intervals_match_psych(kind, low, high, f_stat, df2, pvalue):
    result = icc(SHROUT_FLEISS, kind)

    assert result.ci[0] == pytest.approx(low, abs=0.0005)
    assert result.ci[1] == pytest.approx(high, abs=0.005)
    assert result.f_statistic == pytest.approx(f_stat, abs=0.05)
    assert (result.df1, result.df2) == (5, df2)
    assert result.pvalue == pytest.approx(pvalue, abs=0.000005)


def test_icc_satterthwaite_interval_hand_computed():
    # McGraw & Wong (1996) Table 7, case 2A, worked by hand from the ANOVA of
    # the Shrout-Fleiss data: BMS = 11.24167, JMS = 32.48611, EMS = 1.019444,
    # n = 6, k = 4, rho = 0.2897638, F_J = 31.86649, v = 4.998... ;
    # F* = F(.975; 5, v), F** = F(.975; v, 5).
    n, k = 6, 4
    bms, jms, ems = 11.241666666666667, 32.486111111111114, 1.0194444444444446
    rho = (bms - ems) / (bms + (k - 1) * ems + k * (jms - ems) / n)
    fj = jms / ems
    a = n * (1 + (k - 1) * rho) - k * rho
    v = (k - 1) * (n - 1) * (k * rho * fj + a) ** 2 / ((n - 1) * k**2 * rho**2 * fj**2 + a**2)
    f1, f2 = stats.f.ppf(0.975, n - 1, v), stats.f.ppf(0.975, v, n - 1)
    low = n * (bms - f1 * ems) / (f1 * (k * jms + (k * n - k - n) * ems) + n * bms)
    high = n * (f2 * bms - ems) / (k * jms + (k * n - k - n) * ems + n * f2 * bms)

    result = icc(SHROUT_FLEISS, "ICC2")

    assert result.ci == pytest.approx((low, high), abs=1e-12)
    assert result.value == pytest.approx(rho, abs=1e-12)


@pytest.mark.parametrize(
    ("alias", "canonical"),
    [("ICC(1,1)", "ICC1"), ("icc(2,k)", "ICC2k"), ("ICC(3,4)", "ICC3k"), ("icc3K", "ICC3k"), (" ICC2 ", "ICC2")],
)
def test_icc_accepts_aliases(alias, canonical):
    assert icc(SHROUT_FLEISS, alias).kind == canonical


def test_icc_alias_with_wrong_rater_count_raises():
    with pytest.raises(ScoringInputError, match="mean of 5 raters"):
        icc(SHROUT_FLEISS, "ICC(2,5)")


def test_icc_unknown_kind_raises():
    with pytest.raises(ScoringInputError, match="unknown ICC kind"):
        icc(SHROUT_FLEISS, "ICC4")


def test_icc_missing_value_raises_naming_cell():
    x = SHROUT_FLEISS.copy()
    x[2, 1] = nan

    with pytest.raises(ScoringInputError, match="target 2, rater 1"):
        icc(x, "ICC2")


def test_icc_one_rater_raises():
    with pytest.raises(ScoringInputError, match="at least 2 raters"):
        icc(SHROUT_FLEISS[:, :1], "ICC1")


def test_icc_one_target_raises():
    with pytest.raises(ScoringInputError, match="at least 2 targets"):
        icc(SHROUT_FLEISS[:1], "ICC1")


def test_icc_identical_ratings_nan_with_reason():
    result = icc(np.full((5, 3), 4.0), "ICC2")

    assert np.isnan(result.value)
    assert "identical" in result.reason


def test_icc_perfect_consistency_value_one_interval_undefined():
    # Each rater adds a constant: consistency is perfect, the residual is zero.
    x = np.array([[1, 2, 3], [4, 5, 6], [2, 3, 4], [7, 8, 9]], dtype=float)

    result = icc(x, "ICC3")

    assert result.value == pytest.approx(1.0, abs=1e-12)
    assert np.isnan(result.ci[0]) and np.isnan(result.ci[1])
    assert "residual mean square is zero" in result.reason


def test_icc_confidence_level_changes_width():
    narrow = icc(SHROUT_FLEISS, "ICC3", confidence=0.80)
    wide = icc(SHROUT_FLEISS, "ICC3", confidence=0.99)

    assert wide.ci[0] < narrow.ci[0] < narrow.ci[1] < wide.ci[1]


ratings = arrays(
    float,
    st.tuples(st.integers(3, 7), st.integers(2, 5)),
    elements=st.integers(0, 10).map(float),
)


@settings(max_examples=50, deadline=None)
@given(x=ratings, seed=st.integers(0, 2**32 - 1), shift=st.integers(-20, 20))
def test_icc_invariant_to_order_and_shift(x, seed, shift):
    rng = np.random.default_rng(seed)
    shuffled = x[rng.permutation(x.shape[0])][:, rng.permutation(x.shape[1])] + shift
    for kind in ICC_KINDS:
        a, b = icc(x, kind), icc(shuffled, kind)
        assert a.value == pytest.approx(b.value, rel=1e-9, abs=1e-9, nan_ok=True)
        # Extreme bounds (e.g. -1.6e7, -2.7e9 when the between-target variance is almost
        # nil) are ill-conditioned: rounding in the sums moves them by a few parts per
        # million, so huge bounds only need to agree in sign and magnitude.
        for bound_a, bound_b in zip(a.ci, b.ci, strict=True):
            rel = 1e-3 if max(abs(bound_a), abs(bound_b)) > 1e6 else 1e-6
            assert bound_a == pytest.approx(bound_b, rel=rel, abs=1e-9, nan_ok=True)
        assert a.reason == b.reason


# --------------------------------------------------------------------------- #
# Krippendorff's alpha
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    ("level", "published"),
    # Krippendorff (2011), section C: nominal .743; the ordinal, interval and
    # ratio values of the same data, .815, .849 and .797, as listed by the
    # brief and confirmed here to three decimals.
    [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)],
)
def test_krippendorff_alpha_worked_example(level, published):
    result = krippendorff_alpha(KRIPPENDORFF_2011, level)

    assert result.value == pytest.approx(published, abs=0.0005)
    assert result.level == level
    assert result.n_units == 11  # unit 12 has a single value and is not pairable
    assert result.n_values == 40  # n = 40 pairable values in the paper


def test_krippendorff_alpha_nominal_disagreements_by_hand():
    # Coincidence matrix of the example (Krippendorff 2011, section C):
    # n_c = (9, 13, 10, 5, 3) for values 1..5. Off-diagonal coincidences:
    # unit 2 (2,2,3,2) gives 6 ordered unequal pairs / (4-1) = 2, unit 6
    # (1,2,3,4) gives 12/3 = 4, unit 8 (1,1,2,1) gives 6/3 = 2; total 8.
    # D_o = 8/40 = 0.2; D_e = (40^2 - sum n_c^2) / (40 * 39) = 1216 / 1560.
    result = krippendorff_alpha(KRIPPENDORFF_2011, "nominal")

    assert result.observed_disagreement == pytest.approx(0.2, abs=1e-12)
    assert result.expected_disagreement == pytest.approx(1216 / 1560, abs=1e-12)
    assert result.value == pytest.approx(1 - 0.2 / (1216 / 1560), abs=1e-12)


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
def test_krippendorff_alpha_perfect_agreement_is_one(level):
    x = np.array([[1, 2, 3, 4, nan], [1, 2, 3, 4, 5], [1, nan, 3, 4, 5]])

    assert krippendorff_alpha(x, level).value == pytest.approx(1.0, abs=1e-12)


def test_krippendorff_alpha_single_rater_raises():
    with pytest.raises(ScoringInputError, match="at least 2 raters"):
        krippendorff_alpha([[1, 2, 3]])


def test_krippendorff_alpha_no_pairable_unit_raises():
    with pytest.raises(ScoringInputError, match="no unit has values from two"):
        krippendorff_alpha([[1, nan], [nan, 2]])


def test_krippendorff_alpha_all_values_equal_nan_with_reason():
    result = krippendorff_alpha([[3, 3, 3], [3, 3, nan]], "interval")

    assert np.isnan(result.value)
    assert "expected disagreement is zero" in result.reason


def test_krippendorff_alpha_ratio_negative_value_raises():
    with pytest.raises(ScoringInputError, match="rater 1, unit 0"):
        krippendorff_alpha([[1, 2], [-1, 2]], "ratio")


def test_krippendorff_alpha_unknown_level_raises():
    with pytest.raises(ScoringInputError, match="unknown level"):
        krippendorff_alpha(KRIPPENDORFF_2011, "cardinal")


def _alpha_by_pairs(x: np.ndarray, level: str) -> float:
    """Naive reference straight from the definition (Krippendorff 2011,
    section E): loop over units and ordered pairs of values."""
    units = [x[:, u][~np.isnan(x[:, u])] for u in range(x.shape[1])]
    units = [v for v in units if v.size >= 2]
    pooled = np.concatenate(units)
    n = pooled.size
    values, counts = np.unique(pooled, return_counts=True)
    freq = dict(zip(values.tolist(), counts.tolist()))

    def delta2(c: float, k: float) -> float:
        if level == "nominal":
            return float(c != k)
        if level == "interval":
            return (c - k) ** 2
        if level == "ratio":
            return 0.0 if c + k == 0 else ((c - k) / (c + k)) ** 2
        lo, hi = min(c, k), max(c, k)  # ordinal
        between = sum(f for v, f in freq.items() if lo <= v <= hi)
        return (between - (freq[c] + freq[k]) / 2) ** 2

    observed = sum(
        delta2(v[i], v[j]) / (v.size - 1) for v in units for i, j in itertools.permutations(range(v.size), 2)
    )
    expected = sum(freq[c] * freq[k] * delta2(c, k) for c in freq for k in freq)
    return 1 - (n - 1) * observed / expected


rater_unit = arrays(
    float,
    st.tuples(st.integers(2, 4), st.integers(2, 6)),
    elements=st.one_of(st.integers(0, 4).map(float), st.just(nan)),
)


@settings(max_examples=50, deadline=None)
@given(x=rater_unit, level=st.sampled_from(["nominal", "ordinal", "interval", "ratio"]))
def test_krippendorff_alpha_matches_pairwise_definition(x, level):
    present = ~np.isnan(x)
    pairable = present.sum(axis=0) >= 2
    values = x[:, pairable][present[:, pairable]]
    if values.size == 0 or np.unique(values).size < 2:
        return  # undefined cases are covered by their own tests

    assert krippendorff_alpha(x, level).value == pytest.approx(_alpha_by_pairs(x, level), abs=1e-9)


@settings(max_examples=50, deadline=None)
@given(x=rater_unit, seed=st.integers(0, 2**32 - 1))
def test_krippendorff_alpha_invariant_to_order(x, seed):
    if not ((~np.isnan(x)).sum(axis=0) >= 2).any():
        return
    rng = np.random.default_rng(seed)
    shuffled = x[rng.permutation(x.shape[0])][:, rng.permutation(x.shape[1])]
    for level in ("nominal", "ordinal", "interval", "ratio"):
        assert krippendorff_alpha(x, level).value == pytest.approx(
            krippendorff_alpha(shuffled, level).value, abs=1e-9, nan_ok=True
        )


def test_krippendorff_alpha_large_input_is_fast():
    rng = np.random.default_rng(1)
    x = rng.integers(1, 6, size=(30, 20_000)).astype(float)
    x[rng.random(x.shape) < 0.3] = nan

    start = time.perf_counter()
    for level in ("nominal", "ordinal", "interval", "ratio"):
        krippendorff_alpha(x, level)
    assert time.perf_counter() - start < 3.0


# --------------------------------------------------------------------------- #
# Kendall's W
# --------------------------------------------------------------------------- #


def test_kendall_w_with_ties_matches_nag_siegel_example():
    result = kendall_w(NAG_G08DAF)

    assert result.value == pytest.approx(0.828, abs=0.0005)  # published to 3 dp
    assert result.pvalue == pytest.approx(0.008, abs=0.0005)
    assert result.dof == 9
    assert (result.n_raters, result.n_objects) == (3, 10)
    # Ties by hand: rater 1 two pairs (2*6), rater 2 three pairs (3*6),
    # rater 3 a run of four (60) and a run of three (24): sum(t^3 - t) = 114.
    assert result.tie_correction == pytest.approx(114.0)
    assert result.statistic == pytest.approx(3 * 9 * result.value, abs=1e-12)


def test_kendall_w_statistic_equals_friedman_chi_square():
    # Independent computation: Friedman's tie-corrected chi-square (scipy)
    # on the same data equals m (n - 1) W.
    friedman = stats.friedmanchisquare(*NAG_G08DAF.T)

    result = kendall_w(NAG_G08DAF)

    assert result.statistic == pytest.approx(friedman.statistic, rel=1e-12)
    assert result.pvalue == pytest.approx(friedman.pvalue, rel=1e-9)


def test_kendall_w_without_ties_matches_irr_output():
    # R irr::kendall() output in dwoll/RExRepos, Rmd/interRaterICC:
    # 3 raters, 6 subjects, W = 0.568, Chisq(5) = 8.52, p-value = 0.13.
    x = np.array([[1, 6, 3, 2, 5, 4], [1, 5, 6, 2, 4, 3], [2, 3, 6, 5, 4, 1]], dtype=float)

    result = kendall_w(x)

    assert result.value == pytest.approx(0.568, abs=0.0005)
    assert result.statistic == pytest.approx(8.52, abs=0.005)
    assert result.pvalue == pytest.approx(0.13, abs=0.005)
    assert result.tie_correction == 0.0


def test_kendall_w_ranks_scores_within_each_rater():
    # Scores on any scale give the same W as their within-rater ranks.
    scores = np.array([[10, 40, 40, 20], [0.1, 0.3, 0.2, 0.9], [5, 5, 5, 7]])
    ranks = stats.rankdata(scores, axis=1)

    assert kendall_w(scores).value == pytest.approx(kendall_w(ranks).value, abs=1e-12)


def test_kendall_w_perfect_agreement_is_one():
    x = np.tile(np.arange(1, 6, dtype=float), (4, 1))

    assert kendall_w(x).value == pytest.approx(1.0, abs=1e-12)


def test_kendall_w_all_tied_nan_with_reason():
    result = kendall_w(np.ones((3, 4)))

    assert np.isnan(result.value)
    assert "same score" in result.reason


def test_kendall_w_missing_value_raises_naming_cell():
    x = NAG_G08DAF.copy()
    x[1, 7] = nan

    with pytest.raises(ScoringInputError, match="rater 1, object 7"):
        kendall_w(x)


def test_kendall_w_one_rater_raises():
    with pytest.raises(ScoringInputError, match="at least 2 raters"):
        kendall_w(NAG_G08DAF[:1])


@settings(max_examples=50, deadline=None)
@given(x=ratings, seed=st.integers(0, 2**32 - 1))
def test_kendall_w_invariant_to_order(x, seed):
    rng = np.random.default_rng(seed)
    shuffled = x[rng.permutation(x.shape[0])][:, rng.permutation(x.shape[1])]

    assert kendall_w(x).value == pytest.approx(kendall_w(shuffled).value, abs=1e-12, nan_ok=True)


# --------------------------------------------------------------------------- #
# Cronbach's alpha
# --------------------------------------------------------------------------- #


def test_cronbach_alpha_equals_published_icc3k():
    # Cronbach's alpha equals ICC(3,k) (McGraw & Wong 1996; Shrout & Fleiss
    # 1979 note the equivalence). Shrout & Fleiss publish ICC(3,4) = .91 for
    # their example; treating the four judges as items gives alpha = .91.
    # Feldt's interval coincides with the ICC(3,k) F interval: psych::ICC
    # prints 0.676 to 0.99 for the same data (dwoll/RExRepos).
    result = cronbach_alpha(SHROUT_FLEISS)

    assert result.value == pytest.approx(0.91, abs=0.005)
    assert result.ci[0] == pytest.approx(0.676, abs=0.0005)
    assert result.ci[1] == pytest.approx(0.99, abs=0.005)
    assert (result.n_cases, result.n_items, result.n_dropped) == (6, 4, 0)


def test_cronbach_alpha_by_hand():
    # Items' sample variances of the Shrout-Fleiss data: 8/3, 2.7, 8/3 and
    # 94/15 (sum 14.3); the case totals 24, 12, 26, 16, 30, 19 have variance
    # 1349/30 = 44.96667; alpha = 4/3 * (1 - 14.3 / 44.96667) = 0.909316.
    assert cronbach_alpha(SHROUT_FLEISS).value == pytest.approx(4 / 3 * (1 - 14.3 / (1349 / 30)), abs=1e-12)


def test_cronbach_alpha_drops_incomplete_rows():
    x = np.vstack([SHROUT_FLEISS, [1, nan, 3, 4], [nan, nan, nan, nan]])

    result = cronbach_alpha(x)

    assert result.value == pytest.approx(cronbach_alpha(SHROUT_FLEISS).value, abs=1e-12)
    assert (result.n_cases, result.n_dropped) == (6, 2)


def test_cronbach_alpha_zero_total_variance_nan_with_reason():
    result = cronbach_alpha(np.full((4, 3), 2.0))

    assert np.isnan(result.value)
    assert "zero variance" in result.reason


def test_cronbach_alpha_one_item_raises():
    with pytest.raises(ScoringInputError, match="at least 2 items"):
        cronbach_alpha(SHROUT_FLEISS[:, :1])


def test_cronbach_alpha_too_few_complete_cases_raises():
    with pytest.raises(ScoringInputError, match="1 of 2 rows have a missing item"):
        cronbach_alpha([[1, 2], [nan, 3]])


@settings(max_examples=50, deadline=None)
@given(x=ratings)
def test_cronbach_alpha_equals_icc3k(x):
    # Two different computations (item variances vs. two-way ANOVA).
    a, b = cronbach_alpha(x), icc(x, "ICC3k")
    if b.reason and np.isnan(b.value):
        assert np.isnan(a.value)
        return
    assert a.value == pytest.approx(b.value, abs=1e-9)
    if not np.isnan(b.ci[0]):
        assert a.ci == pytest.approx(b.ci, abs=1e-9)
