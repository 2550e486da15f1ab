"""Small-cell protection (scoring.survey.suppression).

The central check: no combination of shown figures recovers a hidden one.
The brute-force checkers below are written independently of the module:
they put every figure of the table (cells, row totals, column totals, grand
total) in one linear system, fix the shown ones, and ask scipy's linprog for
the smallest and largest value each hidden figure can take; for small
tables they also enumerate every whole-number table outright.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from scoring.survey import (
    K_DEFAULT,
    K_FREE_TEXT,
    K_PER_ENTERPRISE,
    condition_cells_safe,
    differencing_safe,
    hidden_ranges,
    primary_mask,
    suppress_choices,
    suppress_frequencies,
    suppress_table,
)
from scoring.types import ScoringInputError

# --------------------------------------------------------------------------- #
# independent checkers
# --------------------------------------------------------------------------- #


def augmented(table) -> np.ndarray:
    t = np.asarray(table, dtype=float)
    r, c = t.shape
    full = np.zeros((r + 1, c + 1))
    full[:r, :c] = t
    full[:r, c] = t.sum(axis=1)
    full[r, :c] = t.sum(axis=0)
    full[r, c] = t.sum()
    return full


def lp_ranges(table, hidden) -> dict:
    """{(i, j): (min, max)} of every hidden figure, all figures as LP variables."""
    full = augmented(table)
    rows, cols = full.shape
    hidden = np.asarray(hidden, dtype=bool)
    n_var = rows * cols

    def var(i, j):
        return i * cols + j

    a_eq = []
    for i in range(rows):  # cells of a row add up to its total (the totals row: column totals to the grand total)
        eq = np.zeros(n_var)
        eq[[var(i, j) for j in range(cols - 1)]] = 1.0
        eq[var(i, cols - 1)] = -1.0
        a_eq.append(eq)
    for j in range(cols):
        eq = np.zeros(n_var)
        eq[[var(i, j) for i in range(rows - 1)]] = 1.0
        eq[var(rows - 1, j)] = -1.0
        a_eq.append(eq)
    bounds = [(0, None) if hidden[i, j] else (full[i, j], full[i, j]) for i in range(rows) for j in range(cols)]
    out = {}
    for i, j in zip(*np.nonzero(hidden)):
        goal = np.zeros(n_var)
        goal[var(i, j)] = 1.0
        lo = linprog(goal, A_eq=np.array(a_eq), b_eq=np.zeros(len(a_eq)), bounds=bounds, method="highs")
        hi = linprog(-goal, A_eq=np.array(a_eq), b_eq=np.zeros(len(a_eq)), bounds=bounds, method="highs")
        assert lo.status == 0 and hi.status in (0, 3)  # 3: unbounded (the grand total is hidden too)
        out[(int(i), int(j))] = (lo.fun, -hi.fun if hi.status == 0 else np.inf)
    return out


def enumerated_values(table, hidden) -> dict:
    """{(i, j): set of values} over every whole-number table consistent with the shown figures."""
    t = np.asarray(table, dtype=int)
    r, c = t.shape
    full = augmented(t)
    hidden = np.asarray(hidden, dtype=bool)
    total_known = not hidden[r, c]
    totals = [int(full[r, c])] if total_known else range(0, int(full[r, c]) * 2 + 3)
    seen = {(int(i), int(j)): set() for i, j in zip(*np.nonzero(hidden))}
    for total in totals:
        # every composition of `total` into r * c non-negative parts
        for bars in itertools.combinations(range(total + r * c - 1), r * c - 1):
            parts = np.diff((-1, *bars, total + r * c - 1)) - 1
            candidate = augmented(parts.reshape(r, c))
            if np.all((candidate == full) | hidden):
                for key in seen:
                    seen[key].add(int(candidate[key]))
    return seen


def assert_protected(table, res) -> None:
    """Every hidden figure can take at least two values given what is shown."""
    mask = res.augmented
    full = augmented(table)
    rows, cols = full.shape
    for (i, j), (lo, hi) in lp_ranges(table, mask).items():
        row_total = full[i, cols - 1]
        col_total = full[rows - 1, j]
        if full[i, j] == 0 and (row_total == 0 or col_total == 0):
            continue  # a zero in an all-zero line is public knowledge
        assert hi - lo >= 1 - 1e-9, f"hidden entry {(i, j)} = {full[i, j]:g} is recoverable: [{lo}, {hi}]"


# --------------------------------------------------------------------------- #
# thresholds and the primary rule
# --------------------------------------------------------------------------- #


def test_default_thresholds_follow_the_issue():
    assert (K_DEFAULT, K_FREE_TEXT, K_PER_ENTERPRISE) == (5, 10, 10)


def test_primary_mask():
    assert primary_mask([0, 1, 4, 5, 9], k=5).tolist() == [False, True, True, False, False]
    assert primary_mask([9], k=10).tolist() == [True]
    assert primary_mask(3) is True


@pytest.mark.parametrize("k", [0, -1, 2.5, True])
def test_bad_threshold_raises(k):
    with pytest.raises(ScoringInputError, match="threshold k"):
        primary_mask(3, k=k)


# --------------------------------------------------------------------------- #
# one-way tables
# --------------------------------------------------------------------------- #


def one_way_ranges(counts, hidden, total_hidden=False):
    """Min and max of each hidden count given the shown counts, the total and >= 0."""
    counts = np.asarray(counts, dtype=float)
    n = counts.size
    bounds = [(0, None) if h else (v, v) for v, h in zip(counts, hidden)]
    a_eq = [np.ones(n)] if not total_hidden else None
    b_eq = [counts.sum()] if not total_hidden else None
    out = {}
    for j in np.flatnonzero(hidden):
        goal = np.zeros(n)
        goal[j] = 1
        lo = linprog(goal, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        hi = linprog(-goal, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        out[int(j)] = (lo.fun, -hi.fun if hi.status == 0 else np.inf)
    return out


def test_suppress_frequencies_hand_example():
    # 3 is under 5; the smallest other non-zero count, 7, goes with it
    # (3 + 7 = 10 >= 5). The zero stays: it helps nobody hide anything.
    res = suppress_frequencies([40, 3, 12, 0, 7])

    assert res.cells.tolist() == [False, True, False, False, True]
    assert res.primary.tolist() == [False, True, False, False, False]
    assert not res.total
    assert one_way_ranges([40, 3, 12, 0, 7], res.cells) == {1: (0, 10), 4: (0, 10)}


def test_suppress_frequencies_complements_until_the_hidden_sum_reaches_k():
    # 1 and 2 are primary; their sum 3 is itself a figure on 3 respondents,
    # so the smallest next count (2) is added: 1 + 2 + 2 = 5.
    res = suppress_frequencies([30, 1, 2, 2, 50])

    assert res.cells.tolist() == [False, True, True, True, False]


def test_suppress_frequencies_small_total_hides_everything():
    res = suppress_frequencies([2, 0, 1])

    assert res.total and res.cells.all()
    assert res.apply([2, 0, 1]).tolist() == pytest.approx([np.nan] * 3, nan_ok=True)


def test_suppress_frequencies_without_total_only_primary():
    assert suppress_frequencies([40, 3, 12], total_shown=False).cells.tolist() == [False, True, False]


def test_suppress_frequencies_nothing_small():
    res = suppress_frequencies([5, 0, 12])

    assert not res.any


@settings(max_examples=150, deadline=None)
@given(counts=st.lists(st.integers(0, 30), min_size=1, max_size=8), k=st.sampled_from([3, 5, 10]))
def test_suppress_frequencies_never_reveals_a_small_count(counts, k):
    res = suppress_frequencies(counts, k=k)
    c = np.array(counts)
    total = c.sum()

    if 0 < total < k:
        assert res.total and res.cells.all()
        return
    assert not res.total
    assert (res.cells | ~((c > 0) & (c < k))).all()  # every small count hidden
    if res.cells.any():
        assert res.cells.sum() >= 2 and c[res.cells].sum() >= k
        for lo, hi in one_way_ranges(c, res.cells).values():
            assert hi - lo >= 1  # never pinned down


def test_suppress_choices_each_option_against_its_complement():
    # 2 ticked it (primary); 38 of 40 ticked it, so 2 did not: hidden too.
    res = suppress_choices([30, 2, 38, 0, 40], 40)

    assert res.cells.tolist() == [False, True, True, False, False]
    assert res.primary.tolist() == [False, True, False, False, False]


def test_suppress_choices_small_base_hides_all():
    res = suppress_choices([1, 3], 4)

    assert res.total and res.cells.all()


def test_suppress_choices_count_above_base_raises():
    with pytest.raises(ScoringInputError, match="option 1 has 9 ticks but only 5"):
        suppress_choices([1, 9], 5)


# --------------------------------------------------------------------------- #
# cross-tables
# --------------------------------------------------------------------------- #

# Units (rows) by "most wanted service" (columns). Unit 2 has 3 respondents.
BREAKDOWN = np.array(
    [
        [20, 14, 9, 7],
        [15, 11, 12, 6],
        [2, 0, 1, 0],
        [18, 3, 10, 9],
    ]
)


def test_small_group_shows_no_figure_anywhere():
    res = suppress_table(BREAKDOWN)

    # Every figure of unit 2, zeros and its total included, is hidden...
    assert res.cells[2].all() and res.row_totals[2]
    assert res.row_share_mask()[2].all()
    # ...the other small cell (3) too...
    assert res.cells[3, 1]
    # ...and nothing shown is a figure on 1 to 4 respondents.
    shown = augmented(BREAKDOWN)[~res.augmented]
    assert not ((shown > 0) & (shown < 5)).any()


def test_small_group_cannot_be_recovered_from_shown_figures():
    res = suppress_table(BREAKDOWN)

    ranges = lp_ranges(BREAKDOWN, res.augmented)
    # Unit 2's total (3) and each of its cells: at least two values possible.
    for j in range(5):
        lo, hi = ranges[(2, j)]
        assert hi - lo >= 1
    assert_protected(BREAKDOWN, res)


def test_hidden_ranges_agrees_with_independent_checker():
    res = suppress_table(BREAKDOWN)

    low, high = hidden_ranges(BREAKDOWN, res.augmented)

    for (i, j), (lo, hi) in lp_ranges(BREAKDOWN, res.augmented).items():
        assert (low[i, j], high[i, j]) == pytest.approx((lo, hi), abs=1e-6)
    assert np.isnan(low[~res.augmented]).all()


def test_hidden_ranges_catches_a_lone_hidden_cell():
    table = [[8, 2], [9, 6]]
    mask = np.zeros((3, 3), dtype=bool)
    mask[0, 1] = True  # hiding only the 2: row total minus 8 gives it back

    low, high = hidden_ranges(table, mask)

    assert low[0, 1] == high[0, 1] == 2


def test_suppress_table_hand_example_is_a_rectangle():
    # The 3 needs partners in its row and column; the cheapest rectangle of
    # positive cells through it is 3, 15, 12, 11 (rows 0-1, columns 1-2).
    table = [[20, 3, 15], [18, 12, 11], [25, 9, 30]]

    res = suppress_table(table)

    assert res.cells.astype(int).tolist() == [[0, 1, 1], [0, 1, 1], [0, 0, 0]]
    assert not res.row_totals.any() and not res.column_totals.any() and not res.total
    assert_protected(table, res)
    # Column 1 gives 3 + 12 = 15 and row 0 gives 3 + 15 = 18: any value from
    # 0 to 15 fits the 3 (the other three corners follow and stay >= 0).
    assert lp_ranges(table, res.augmented)[(0, 1)] == pytest.approx((0, 15))


def test_suppress_table_enumeration_small_tables():
    # Exhaustive: all whole-number tables that agree with the shown figures.
    for table in ([[3, 6], [7, 2]], [[1, 4, 3], [4, 2, 5]], [[2, 9], [0, 8]], [[4, 0, 6]], [[0, 6], [2, 1], [5, 0]]):
        res = suppress_table(table)
        values = enumerated_values(table, res.augmented)
        assert values, table
        for key, seen in values.items():
            assert len(seen) >= 2, (table, key, seen)


def test_suppress_table_hides_margin_when_a_line_has_one_cell():
    # One answer column: each row total equals its only cell.
    table = [[3], [12], [9]]

    res = suppress_table(table)

    assert res.cells[0, 0] and res.row_totals[0]
    assert_protected(table, res)


def test_suppress_table_preset_margins_stay_hidden():
    table = np.array([[20, 14, 9], [15, 11, 12], [18, 30, 10]])

    res = suppress_table(table, hidden_column_totals=[False, True, False])

    assert res.column_totals[1]
    assert res.column_totals.sum() >= 2 or res.total  # the hidden total needs a partner in the totals row
    assert_protected(table, res)


def test_suppress_table_nothing_small_hides_nothing():
    res = suppress_table([[20, 14], [15, 11]])

    assert not res.any and res.rounds == 0


def test_suppress_table_apply_and_share_masks():
    res = suppress_table(BREAKDOWN)

    shown = res.apply(BREAKDOWN)

    assert np.isnan(shown[res.cells]).all()
    assert (shown[~res.cells] == BREAKDOWN[~res.cells]).all()
    assert (res.column_share_mask() >= res.cells).all()


def test_per_enterprise_threshold_hides_more():
    res5 = suppress_table(BREAKDOWN, k=K_DEFAULT)
    res10 = suppress_table(BREAKDOWN, k=K_PER_ENTERPRISE)

    assert res10.augmented.sum() >= res5.augmented.sum()
    assert res10.cells[0, 3]  # 7 < 10
    assert_protected(BREAKDOWN, res10)


small_tables = st.integers(2, 5).flatmap(
    lambda r: st.integers(2, 5).flatmap(
        lambda c: st.lists(
            st.one_of(st.integers(0, 4), st.integers(5, 40)), min_size=r * c, max_size=r * c
        ).map(lambda v: np.array(v).reshape(r, c))
    )
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=small_tables, k=st.sampled_from([3, 5, 10]))
def test_suppress_table_property_no_small_figure_shown_or_recoverable(table, k):
    res = suppress_table(table, k=k)
    full = augmented(table)
    mask = res.augmented
    rows, cols = full.shape

    # 1. Nothing shown rests on 1..k-1 respondents.
    shown = full[~mask]
    assert not ((shown > 0) & (shown < k)).any()
    # 2. A group (row or column) of 1..k-1 shows nothing at all.
    for i in range(rows - 1):
        if 0 < full[i, cols - 1] < k:
            assert mask[i].all()
    for j in range(cols - 1):
        if 0 < full[rows - 1, j] < k:
            assert mask[:, j].all()
    # 3. Where a line's total is shown, its hidden cells add up to 0 or >= k.
    for i in range(rows):
        if not mask[i, cols - 1]:
            s = full[i, :-1][mask[i, :-1]].sum()
            assert s == 0 or s >= k
    for j in range(cols):
        if not mask[rows - 1, j]:
            s = full[:-1, j][mask[:-1, j]].sum()
            assert s == 0 or s >= k
    # 4. No hidden figure is pinned down by the shown ones.
    assert_protected(table, res)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=small_tables, seed=st.integers(0, 2**32 - 1))
def test_graph_decisions_agree_with_linear_programming(table, seed):
    # The module decides with graph searches; check them against the LP
    # checker on arbitrary hidden patterns (not only the ones it makes).
    from scoring.survey.suppression import _bridges, _can_grow, _signs

    full = augmented(table)
    mask = np.random.default_rng(seed).random(full.shape) < 0.4
    ranges = lp_ranges(table, mask)
    bridges = set(_bridges(full, mask))
    sign = _signs(full.shape)
    for (i, j), (lo, hi) in ranges.items():
        if full[i, j] > 0 and (i, j) not in bridges:
            assert hi - lo >= 1  # on a cycle of positive hidden entries: free both ways
        if full[i, j] == 0:
            assert _can_grow(full, mask, (i, j), sign) == (hi >= 1 - 1e-9)


# --------------------------------------------------------------------------- #
# differencing between filters
# --------------------------------------------------------------------------- #


def test_differencing_safe_refuses_a_difference_under_k():
    res = differencing_safe(40, [43, 120], n_total=500)

    assert not res.safe and res.too_small == (0,)
    assert "adds only 3 respondents" in res.reason


def test_differencing_safe_same_set_is_fine():
    assert differencing_safe(40, [40, 120], n_total=500).safe


def test_differencing_safe_small_filter_and_small_complement():
    assert not differencing_safe(3, [100]).safe
    res = differencing_safe(497, [497], n_total=500)
    assert not res.safe and res.too_small == ("total",)
    assert differencing_safe(0, [0, 10]).safe  # an empty filter shows nothing


def test_differencing_safe_threshold_configurable():
    assert differencing_safe(40, [47]).safe
    assert not differencing_safe(40, [47], k=K_FREE_TEXT).safe


def test_condition_cells_safe_docstring_case():
    unit_x = np.r_[np.ones(40, bool), np.zeros(460, bool)]
    woman = np.r_[np.ones(37, bool), np.zeros(3, bool), np.ones(200, bool), np.zeros(260, bool)]

    res = condition_cells_safe(np.c_[unit_x, woman])

    assert not res.safe and res.n == 37 and res.too_small == ((True, False),)


def test_condition_cells_safe_catches_inclusion_exclusion():
    # No pair differs by less than 5, but N - n(A) - n(B) + n(A and B) = 3:
    # the 3 respondents outside both A and B are isolated by four views.
    n = 203
    a = np.zeros(n, bool)
    b = np.zeros(n, bool)
    a[:100] = True  # A only: 50, both: 50
    b[50:200] = True  # B only: 100, neither: 3
    sizes = {"A": a.sum(), "B": b.sum(), "AB": (a & b).sum(), "N": n}
    pair_differences = [sizes["A"] - sizes["AB"], sizes["B"] - sizes["AB"], n - sizes["A"], n - sizes["B"], n - sizes["AB"]]
    assert min(pair_differences) >= 5

    res = condition_cells_safe(np.c_[a, b])

    assert not res.safe and res.too_small == ((False, False),)


@settings(max_examples=80, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 120), m=st.integers(1, 4), k=st.sampled_from([3, 5]))
def test_condition_cells_safe_implies_every_view_difference_is_safe(seed, n, m, k):
    # Views: the filter with any subset of its conditions kept, each kept
    # condition possibly negated. If the check passes, any two nested views
    # differ by 0 or at least k respondents.
    rng = np.random.default_rng(seed)
    conditions = rng.random((n, m)) < rng.random(m)

    res = condition_cells_safe(conditions, k=k)

    if not res.safe:
        return
    views = []
    for signs in itertools.product((None, True, False), repeat=m):
        keep = np.ones(n, bool)
        for j, s in enumerate(signs):
            if s is not None:
                keep &= conditions[:, j] == s
        views.append(keep)
    for v1, v2 in itertools.combinations(views, 2):
        for small, big in ((v1, v2), (v2, v1)):
            if (small <= big).all():
                d = int(big.sum() - small.sum())
                assert d == 0 or d >= k


def test_condition_cells_safe_on_a_million_respondents_is_fast():
    import time

    rng = np.random.default_rng(0)
    conditions = rng.random((1_000_000, 4)) < [0.5, 0.3, 0.2, 0.6]

    start = time.perf_counter()
    res = condition_cells_safe(conditions)
    elapsed = time.perf_counter() - start

    assert res.safe and elapsed < 1.0


def test_condition_cells_safe_rejects_non_boolean():
    with pytest.raises(ScoringInputError, match="True/False"):
        condition_cells_safe([[0, 2]])
