"""Tests for scoring.survey (needs-analysis statistics)."""

from __future__ import annotations

import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from scoring.survey import (
    Quadrant,
    choice_shares,
    crosstab_test,
    importance_performance,
    kruskal_from_counts,
    kruskal_test,
    priority_order,
    ranking_summary,
    wilson_interval,
)
from scoring.types import ScoringInputError

nan = np.nan

# --------------------------------------------------------------------------- #
# Wilson interval
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    # Newcombe, R. G. (1998). Two-sided confidence intervals for the single
    # proportion: comparison of seven methods. Statistics in Medicine 17,
    # 857-872, Table I, method 3 (score method without continuity correction).
    [
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0000, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_interval_newcombe_table_1(k, n, low, high):
    result = wilson_interval(k, n)

    assert result == pytest.approx((low, high), abs=5e-5)  # published to 4 dp


def test_wilson_interval_vectorised_matches_scalar():
    k = np.array([81, 15, 0, 1])
    n = np.array([263, 148, 20, 29])

    low, high = wilson_interval(k, n)

    expected = [wilson_interval(int(a), int(b)) for a, b in zip(k, n)]
    assert low.tolist() == pytest.approx([e[0] for e in expected], abs=1e-15)
    assert high.tolist() == pytest.approx([e[1] for e in expected], abs=1e-15)


def test_wilson_interval_zero_trials_is_nan():
    low, high = wilson_interval(0, 0)

    assert np.isnan(low) and np.isnan(high)


def test_wilson_interval_all_successes_reaches_one():
    assert wilson_interval(20, 20)[1] == 1.0


@pytest.mark.parametrize(("k", "n"), [(5, 4), (-1, 10), (1, -1)])
def test_wilson_interval_k_outside_range_raises(k, n):
    with pytest.raises(ScoringInputError, match="0 <= k <= n"):
        wilson_interval(k, n)


def test_wilson_interval_error_names_index():
    with pytest.raises(ScoringInputError, match=r"index \(2,\)"):
        wilson_interval([1, 2, 9], [10, 10, 8])


def test_wilson_interval_bad_confidence_raises():
    with pytest.raises(ScoringInputError, match="confidence"):
        wilson_interval(1, 10, confidence=95)


# --------------------------------------------------------------------------- #
# chi-square test of a cross-table
# --------------------------------------------------------------------------- #

# Agresti, A. (2007). An Introduction to Categorical Data Analysis, 2nd ed.,
# Table 2.5 (p. 38-39): party identification by gender, GSS.
# Rows female, male; columns Democrat, Independent, Republican.
AGRESTI_PARTY = np.array([[762, 327, 468], [484, 239, 477]], dtype=float)


def test_crosstab_test_agresti_party_identification():
    result = crosstab_test(AGRESTI_PARTY)

    # Agresti (2007), section 2.4.3: X^2 = 30.1, df = 2, P < 0.001.
    assert result.statistic == pytest.approx(30.1, abs=0.05)
    assert result.dof == 2
    assert result.pvalue < 0.001
    assert result.n == 2757
    # Cramer's V = sqrt(30.07 / (2757 * 1)) = 0.104; APAstats prints V = .10.
    assert result.cramers_v == pytest.approx(np.sqrt(result.statistic / 2757), abs=1e-12)
    assert result.cramers_v == pytest.approx(0.10, abs=0.005)
    assert result.notes == ()


def test_crosstab_test_adjusted_residuals_agresti_table_2_6():
    result = crosstab_test(AGRESTI_PARTY)

    # Agresti (2007), Table 2.6: standardized (adjusted) residuals
    # 4.50, 0.70, -5.32 for females and their negatives for males.
    expected = np.array([[4.50, 0.70, -5.32], [-4.50, -0.70, 5.32]])
    assert result.adjusted_residuals == pytest.approx(expected, abs=0.005)


def test_crosstab_test_matches_scipy():
    # Independent computation with scipy, no continuity correction.
    table = np.array([[12, 5, 9, 3], [7, 14, 6, 10], [2, 8, 11, 4]], dtype=float)
    chi2, p, dof, expected = stats.chi2_contingency(table, correction=False)

    result = crosstab_test(table)

    assert result.statistic == pytest.approx(chi2, rel=1e-12)
    assert result.pvalue == pytest.approx(p, rel=1e-9)
    assert result.dof == dof
    assert result.expected == pytest.approx(expected, rel=1e-12)
    assert result.cramers_v == pytest.approx(stats.contingency.association(table.astype(int)), rel=1e-9)


def test_crosstab_test_2x2_has_no_continuity_correction():
    table = np.array([[10, 20], [30, 15]], dtype=float)
    # By hand: n = 75, E = [[16, 14], [24, 21]];
    # X^2 = 36/16 + 36/14 + 36/24 + 36/21 = 8.0357142857.
    result = crosstab_test(table)

    assert result.statistic == pytest.approx(36 / 16 + 36 / 14 + 36 / 24 + 36 / 21, rel=1e-12)


def test_crosstab_test_drops_zero_rows_and_columns_with_note():
    table = np.array([[762, 0, 327, 468], [0, 0, 0, 0], [484, 0, 239, 477]], dtype=float)

    result = crosstab_test(table)

    assert result.statistic == pytest.approx(crosstab_test(AGRESTI_PARTY).statistic, rel=1e-12)
    assert result.rows_kept.tolist() == [True, False, True]
    assert result.columns_kept.tolist() == [True, False, True, True]
    assert result.notes == ("dropped all-zero rows [1]", "dropped all-zero columns [1]")
    assert result.expected.shape == (3, 4)
    assert np.isnan(result.adjusted_residuals[1]).all() and np.isnan(result.adjusted_residuals[:, 1]).all()


def test_crosstab_test_too_small_after_dropping_is_nan_with_reason():
    result = crosstab_test([[5, 3, 0], [0, 0, 0]])

    assert np.isnan(result.statistic) and np.isnan(result.pvalue) and np.isnan(result.cramers_v)
    assert result.reason == (
        "after dropping empty rows and columns the table is 1 x 2; a test needs at least 2 x 2"
    )


def test_crosstab_test_notes_small_expected_counts():
    result = crosstab_test([[3, 1], [1, 3]])

    assert len(result.notes) == 1
    assert result.notes[0].startswith("4 of 4 cells (100%) have expected count below 5")


def test_crosstab_test_marks_cells_beyond_1_96():
    # Agresti's residuals 4.50, 0.70, -5.32 (and negatives): the Democrat and
    # Republican cells drive the difference, the Independent cells do not.
    result = crosstab_test(AGRESTI_PARTY)

    assert result.residual_threshold == pytest.approx(1.959964, abs=1e-6)
    assert result.significant_cells.tolist() == [[True, False, True], [True, False, True]]


def test_crosstab_test_residual_marks_match_independent_haberman_residuals():
    # Residuals rebuilt from scipy's expected counts, then the |d| > z rule.
    table = np.array([[30, 12, 9, 3], [7, 14, 26, 10], [12, 8, 11, 24]], dtype=float)
    expected = stats.contingency.expected_freq(table)
    n = table.sum()
    row = table.sum(axis=1, keepdims=True) / n
    col = table.sum(axis=0, keepdims=True) / n
    residuals = (table - expected) / np.sqrt(expected * (1 - row) * (1 - col))

    result = crosstab_test(table)
    strict = crosstab_test(table, confidence=0.99)

    assert result.adjusted_residuals == pytest.approx(residuals, abs=1e-12)
    assert (result.significant_cells == (np.abs(residuals) > 1.959963984540054)).all()
    assert (strict.significant_cells == (np.abs(residuals) > 2.5758293035489)).all()
    assert strict.significant_cells.sum() < result.significant_cells.sum()


def test_crosstab_test_dropped_rows_are_never_marked():
    result = crosstab_test([[762, 0, 327, 468], [0, 0, 0, 0], [484, 0, 239, 477]])

    assert not result.significant_cells[1].any() and not result.significant_cells[:, 1].any()
    assert result.significant_cells[0, 0]


def test_crosstab_test_negative_count_raises_naming_cell():
    with pytest.raises(ScoringInputError, match="row 1, column 0"):
        crosstab_test([[1, 2], [-1, 3]])


# --------------------------------------------------------------------------- #
# Kruskal-Wallis
# --------------------------------------------------------------------------- #


def test_kruskal_test_hand_computed():
    # No ties: ranks 1-3 and 4-6, rank sums 6 and 15, N = 6.
    # H = 12/(6*7) * (6^2/3 + 15^2/3) - 3*7 = 87*12/42 - 21 = 3.857142857.
    # epsilon^2 = H / (N - 1) = 0.771428571.
    result = kruskal_test([[1, 2, 3], [4, 5, 6]])

    assert result.statistic == pytest.approx(12 / 42 * 87 - 21, rel=1e-12)
    assert result.epsilon_squared == pytest.approx((12 / 42 * 87 - 21) / 5, rel=1e-12)
    assert result.dof == 1
    assert result.pvalue == pytest.approx(stats.chi2.sf(12 / 42 * 87 - 21, 1), rel=1e-12)
    assert result.group_medians.tolist() == [2.0, 5.0]


def test_kruskal_test_matches_scipy_with_ties():
    groups = {"young": [1, 2, 2, 3, 5], "middle": [2, 3, 4, 4, 4, 5], "older": [3, 4, 5, 5]}

    result = kruskal_test(groups)

    h, p = stats.kruskal(*groups.values())
    assert result.statistic == pytest.approx(h, rel=1e-12)
    assert result.pvalue == pytest.approx(p, rel=1e-12)
    assert result.labels == ("young", "middle", "older")
    assert result.group_sizes.tolist() == [5, 6, 4]
    assert result.n == 15


def test_kruskal_test_drops_empty_group_and_missing_values():
    result = kruskal_test({"a": [1, 2, nan, 3], "b": [], "c": [4, 5, 6]})

    assert result.kept.tolist() == [True, False, True]
    assert result.group_sizes.tolist() == [3, 0, 3]
    assert np.isnan(result.group_medians[1])
    assert result.notes == ("left out 1 missing values in group 'a'", "dropped empty group 'b'")
    assert result.statistic == pytest.approx(stats.kruskal([1, 2, 3], [4, 5, 6]).statistic, rel=1e-12)


def test_kruskal_test_identical_values_nan_with_reason():
    result = kruskal_test([[3, 3], [3, 3, 3]])

    assert np.isnan(result.statistic) and np.isnan(result.epsilon_squared)
    assert result.reason == "every value is identical: ranks carry no information"


def test_kruskal_test_one_group_with_data_nan_with_reason():
    result = kruskal_test([[1, 2, 3], []])

    assert np.isnan(result.pvalue)
    assert result.reason == "1 group(s) with data; the test needs at least 2"


def test_kruskal_from_counts_equals_scipy_on_expanded_answers():
    # Three age bands answering a 1..5 satisfaction scale.
    counts = np.array([[4, 9, 12, 6, 2], [1, 5, 10, 14, 8], [0, 2, 6, 9, 15]])
    groups = [np.repeat(np.arange(1, 6), row) for row in counts]

    result = kruskal_from_counts(counts, labels=["18-34", "35-54", "55+"])

    h, p = stats.kruskal(*groups)
    assert result.statistic == pytest.approx(h, rel=1e-12)
    assert result.pvalue == pytest.approx(p, rel=1e-10)
    assert result.epsilon_squared == pytest.approx(h / (counts.sum() - 1), rel=1e-12)
    assert result.labels == ("18-34", "35-54", "55+")
    assert result.group_medians.tolist() == [np.median(g) - 1 for g in groups]  # 0-based categories


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), groups=st.integers(2, 5), categories=st.integers(2, 7))
def test_kruskal_from_counts_matches_kruskal_test(seed, groups, categories):
    rng = np.random.default_rng(seed)
    counts = rng.integers(0, 6, (groups, categories))
    expanded = [np.repeat(np.arange(categories, dtype=float), row) for row in counts]

    a = kruskal_from_counts(counts)
    b = kruskal_test(expanded)

    assert a.kept.tolist() == b.kept.tolist()
    assert a.reason == b.reason
    if b.reason is None:
        assert a.statistic == pytest.approx(b.statistic, rel=1e-9)
        assert a.pvalue == pytest.approx(b.pvalue, rel=1e-9, abs=1e-300)


def test_kruskal_from_counts_empty_group_and_one_category():
    dropped = kruskal_from_counts([[3, 2], [0, 0], [1, 4]])
    flat = kruskal_from_counts([[3, 0], [5, 0]])

    assert dropped.kept.tolist() == [True, False, True] and dropped.notes == ("dropped empty group '1'",)
    assert flat.reason == "every value is identical: ranks carry no information"


def test_kruskal_from_counts_rejects_fractions():
    with pytest.raises(ScoringInputError, match="group 0, category 1 has 1.5"):
        kruskal_from_counts([[1, 1.5], [2, 2]])


# --------------------------------------------------------------------------- #
# ranking questions
# --------------------------------------------------------------------------- #

# Five respondents rank their top 3 of items A, B, C, D (1 = first).
# Respondent 4 ranked only two items; respondent 5 ranked none (blank).
RANKS = np.array(
    [
        [1, 2, 3, nan],
        [2, 1, nan, 3],
        [1, 3, 2, nan],
        [2, nan, 1, nan],
        [nan, nan, nan, nan],
    ]
)


def test_ranking_summary_hand_computed_borda():
    # Base: 4 respondents who ranked something. Points = 4 - rank.
    # A: 3, 2, 3, 2 -> 10/4 = 2.5;  B: 2, 3, 1, 0 -> 1.5;
    # C: 1, 0, 2, 3 -> 1.5;         D: 0, 1, 0, 0 -> 0.25.
    # Sample SDs: A sqrt(1/3), B and C sqrt(5/3), D 0.5; half width
    # z * sd / sqrt(4) with z = 1.959964 (95%).
    result = ranking_summary(RANKS)

    assert (result.n_respondents, result.n_blank, result.top_n) == (4, 1, 3)
    assert result.borda.tolist() == pytest.approx([2.5, 1.5, 1.5, 0.25], abs=1e-12)
    z = 1.959963984540054
    half = z * np.sqrt([1 / 3, 5 / 3, 5 / 3, 0.25]) / 2
    assert result.borda_ci[0] == pytest.approx(result.borda - half, abs=1e-9)
    assert result.borda_ci[1] == pytest.approx(result.borda + half, abs=1e-9)
    assert result.borda_ci[1][0] == pytest.approx(2.5 + 0.565792, abs=1e-6)


def test_ranking_summary_hand_computed_mean_rank():
    # A: ranks 1, 2, 1, 2 -> mean 1.5, sd sqrt(1/3), t(3) = 3.182446,
    #    half = 3.182446 * 0.577350 / 2 = 0.918693.
    # B: 2, 1, 3 -> 2.0, sd 1, t(2) = 4.302653, half = 4.302653 / sqrt(3) = 2.484138.
    # C: 3, 2, 1 -> 2.0, same half width. D: 3 (one respondent) -> no interval.
    result = ranking_summary(RANKS)

    assert result.n_ranked.tolist() == [4, 3, 3, 1]
    assert result.mean_rank.tolist() == pytest.approx([1.5, 2.0, 2.0, 3.0], abs=1e-12)
    low, high = result.mean_rank_ci
    assert high[:3] - result.mean_rank[:3] == pytest.approx([0.918693, 2.484138, 2.484138], abs=1e-6)
    assert np.isnan(low[3]) and np.isnan(high[3])


def test_ranking_summary_hand_computed_first_share_and_counts():
    # Ranked first: A by respondents 1 and 3, B by 2, C by 4, D never.
    result = ranking_summary(RANKS)

    assert result.first_count.tolist() == [2, 1, 1, 0]
    assert result.first_share.tolist() == pytest.approx([0.5, 0.25, 0.25, 0.0], abs=1e-12)
    assert result.first_share_ci[0][0] == pytest.approx(wilson_interval(2, 4)[0], abs=1e-15)
    assert result.first_share_ci[0][3] == 0.0
    assert result.rank_counts.tolist() == [[2, 2, 0], [1, 1, 1], [1, 1, 1], [0, 0, 1]]


def test_ranking_summary_priority_order_by_borda():
    result = ranking_summary(RANKS)

    order = result.priority_order()

    assert order.order.tolist() == [0, 1, 2, 3]  # B and C tie on 1.5: input order kept
    assert order.overlaps_next.tolist() == [True, True, True]


def test_ranking_summary_explicit_top_n_changes_points():
    # With N = 4 declared, rank 1 earns 4 points: A = (4+3+4+3)/4 = 3.5.
    assert ranking_summary(RANKS, top_n=4).borda[0] == pytest.approx(3.5, abs=1e-12)


def test_ranking_summary_duplicate_rank_raises_naming_respondent():
    ranks = RANKS.copy()
    ranks[2] = [1, 1, 2, nan]

    with pytest.raises(ScoringInputError, match="respondent 2 gives rank 1 to two items"):
        ranking_summary(ranks)


def test_ranking_summary_rank_above_top_n_raises():
    with pytest.raises(ScoringInputError, match="respondent 0, item 2 has rank 3"):
        ranking_summary(RANKS, top_n=2)


def test_ranking_summary_fractional_rank_raises():
    with pytest.raises(ScoringInputError, match="respondent 0, item 0 has rank 1.5;"):
        ranking_summary([[1.5, 2]])


def test_ranking_summary_large_input_is_fast():
    # 30,000 respondents ranking their top 5 of 20 items.
    rng = np.random.default_rng(7)
    n, items, top = 30_000, 20, 5
    picks = np.argsort(rng.random((n, items)), axis=1)[:, :top]
    ranks = np.full((n, items), nan)
    np.put_along_axis(ranks, picks, np.arange(1, top + 1, dtype=float)[None, :].repeat(n, 0), axis=1)

    start = time.perf_counter()
    result = ranking_summary(ranks)
    elapsed = time.perf_counter() - start

    assert elapsed < 2.0
    assert result.rank_counts.sum() == n * top
    assert result.borda.sum() == pytest.approx(sum(range(1, top + 1)), abs=1e-9)


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 30), items=st.integers(2, 6))
def test_ranking_summary_borda_points_sum_per_respondent(seed, n, items):
    # Every respondent who ranks all N places hands out N + (N-1) + ... + 1
    # points, so the Borda scores sum to N(N+1)/2 whatever the rankings.
    rng = np.random.default_rng(seed)
    top = int(rng.integers(1, items + 1))
    picks = np.argsort(rng.random((n, items)), axis=1)[:, :top]
    ranks = np.full((n, items), nan)
    np.put_along_axis(ranks, picks, np.arange(1, top + 1, dtype=float)[None, :].repeat(n, 0), axis=1)

    result = ranking_summary(ranks)

    assert result.borda.sum() == pytest.approx(top * (top + 1) / 2, abs=1e-9)
    assert result.first_share.sum() == pytest.approx(1.0, abs=1e-12)


# --------------------------------------------------------------------------- #
# multiple choice
# --------------------------------------------------------------------------- #


def test_choice_shares_from_matrix():
    selected = np.array([[1, 0, 1], [1, 1, 0], [0, 0, 0], [1, 0, 0]])

    result = choice_shares(selected)

    # Counts 3, 1, 1 of 4 respondents; 5 mentions.
    assert result.counts.tolist() == [3, 1, 1]
    assert (result.n_respondents, result.n_mentions) == (4, 5)
    assert result.respondent_share.tolist() == [0.75, 0.25, 0.25]
    assert result.mention_share.tolist() == [0.6, 0.2, 0.2]
    assert result.respondent_share_ci[0][0] == pytest.approx(wilson_interval(3, 4)[0], abs=1e-15)


def test_choice_shares_from_counts_uses_given_base():
    # Newcombe (1998) 81/263 reused as a multiple-choice count.
    result = choice_shares([81, 15], n_respondents=263)

    assert result.respondent_share_ci[0][0] == pytest.approx(0.2553, abs=5e-5)
    assert result.respondent_share_ci[1][0] == pytest.approx(0.3662, abs=5e-5)
    assert result.mention_share.tolist() == pytest.approx([81 / 96, 15 / 96], abs=1e-15)


def test_choice_shares_counts_without_base_raises():
    with pytest.raises(ScoringInputError, match="need n_respondents"):
        choice_shares([3, 4])


def test_choice_shares_count_above_base_raises():
    with pytest.raises(ScoringInputError, match="option 1 was chosen 9 times by only 5 respondents"):
        choice_shares([3, 9], n_respondents=5)


def test_choice_shares_non_binary_matrix_raises():
    with pytest.raises(ScoringInputError, match="respondent 1, option 0 is 2;"):
        choice_shares([[1, 0], [2, 1]])


# --------------------------------------------------------------------------- #
# importance-performance
# --------------------------------------------------------------------------- #


def test_importance_performance_quadrants_around_grand_means():
    # Grand means: importance 3.75, performance 3.65.
    result = importance_performance([4.5, 4.4, 3.0, 3.1], [3.0, 4.2, 2.9, 4.5])

    assert result.importance_cross == pytest.approx(3.75, abs=1e-12)
    assert result.performance_cross == pytest.approx(3.65, abs=1e-12)
    assert result.quadrants == (
        Quadrant.CONCENTRATE_HERE,
        Quadrant.KEEP_UP_THE_GOOD_WORK,
        Quadrant.LOW_PRIORITY,
        Quadrant.POSSIBLE_OVERKILL,
    )
    assert result.items_in(Quadrant.CONCENTRATE_HERE).tolist() == [0]


def test_importance_performance_given_cross_hairs_and_ties_count_high():
    result = importance_performance([3.0, 2.0], [3.0, 4.0], importance_cross=3.0, performance_cross=3.0)

    assert result.quadrants == (Quadrant.KEEP_UP_THE_GOOD_WORK, Quadrant.POSSIBLE_OVERKILL)


def test_importance_performance_missing_item_has_no_quadrant():
    result = importance_performance([4.0, nan, 2.0], [2.0, 3.0, 4.0])

    assert result.quadrants == (Quadrant.CONCENTRATE_HERE, None, Quadrant.POSSIBLE_OVERKILL)
    assert result.importance_cross == pytest.approx(3.0, abs=1e-12)  # item 1 left out


def test_importance_performance_gap():
    result = importance_performance([4.5, 4.4, 3.0], [3.0, 4.2, 3.5])

    assert result.gap.tolist() == pytest.approx([-1.5, -0.2, 0.5])


def test_importance_performance_length_mismatch_raises():
    with pytest.raises(ScoringInputError, match="one length"):
        importance_performance([1, 2, 3], [1, 2])


# --------------------------------------------------------------------------- #
# priority order
# --------------------------------------------------------------------------- #


def test_priority_order_marks_overlapping_neighbours():
    estimates = [0.50, 0.90, 0.40, 0.10]
    lows = [0.40, 0.80, 0.30, 0.05]
    highs = [0.60, 1.00, 0.55, 0.20]

    result = priority_order(estimates, lows, highs)

    assert result.order.tolist() == [1, 0, 2, 3]
    assert result.place.tolist() == [2, 1, 3, 4]
    # 0.9 [.8, 1] vs 0.5 [.4, .6]: apart; 0.5 vs 0.4 [.3, .55]: overlap;
    # 0.4 vs 0.1 [.05, .2]: apart.
    assert result.overlaps_next.tolist() == [False, True, False]


def test_priority_order_ascending_and_nan_last():
    result = priority_order([2.0, nan, 1.0], [1.5, nan, 0.5], [2.5, nan, 1.5], descending=False)

    assert result.order.tolist() == [2, 0, 1]
    assert result.overlaps_next.tolist() == [True, True]  # touching bounds overlap; nan cannot be told apart


def test_priority_order_inverted_interval_raises():
    with pytest.raises(ScoringInputError, match="item 1 has low 3 above high 2"):
        priority_order([1, 2], [0, 3], [2, 2])
