"""Small-cell protection: primary and complementary suppression of frequency
tables and cross-tables, an exact audit of what shown figures reveal, and a
guard against isolating a few respondents by differencing two filters.

The rule of the needs analysis: no figure may rest on fewer than k
respondents (k = 5 by default; 10 for free text and per-enterprise views).
Hiding a small cell is not enough when a total is shown, because the total
minus the shown cells gives it back; nor when two filtered views differ by
a handful of respondents. This module decides *what* to hide. It returns
boolean masks (True = hide) that callers apply to tables, charts, PDFs and
exports alike, so every output hides the same figures.

Why these rules, in short:

- **Primary**: a count c with 0 < c < k is hidden. A zero rests on no one
  and stays, except inside a group (row or column) smaller than k, where
  every figure is hidden: "0 of the 3 members of unit X want legal help"
  tells something about each of the three.
- **Complementary**: a line of a table (a row or column with its total)
  that hides anything hides at least two entries, and when its total is
  shown the hidden cells add up to at least k. The second half matters:
  the total minus the shown cells gives the *sum* of the hidden cells, and
  a sum under k is itself a figure about fewer than k respondents.
  Complements are the smallest non-zero cells (least information lost).
- **Cycles**: in a cross-table, two hidden entries per line are necessary
  but not sufficient (a hidden cell can still be pinned down through a
  chain of rows and columns). A hidden entry can take more than one value
  exactly when it lies on a cycle of hidden entries along which it can
  move while everything stays non-negative; every hidden entry is made to
  lie on one, adding rectangles of positive cells where needed.
  :func:`hidden_ranges` computes what an outsider can deduce by linear
  programming, for audits and tests.
- **Differencing**: two filtered views whose respondent sets differ by 1
  to k - 1 people reveal those people's answers by subtraction. The guard
  refuses such a filter; :func:`condition_cells_safe` checks every cell
  of the partition the filter's conditions make, which also covers
  combinations of more than two views (inclusion-exclusion).

References
----------
Hundepool, A., Domingo-Ferrer, J., Franconi, L., Giessing, S., Schulte
Nordholt, E., Spicer, K., & de Wolf, P.-P. (2012). Statistical Disclosure
Control, chapter 4 (frequency tables: threshold rule, secondary suppression,
the audit by linear programming) and section 4.5 (differencing). Wiley.
Cox, L. H. (1980). Suppression methodology and statistical disclosure
control. JASA, 75(370), 377-385.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, sparse

from scoring._validate import as_numbers, first_cell
from scoring.types import ScoringInputError

__all__ = [
    "K_DEFAULT",
    "K_FREE_TEXT",
    "K_PER_ENTERPRISE",
    "primary_mask",
    "FrequencySuppression",
    "suppress_frequencies",
    "suppress_choices",
    "TableSuppression",
    "suppress_table",
    "hidden_ranges",
    "DifferencingCheck",
    "differencing_safe",
    "condition_cells_safe",
]

#: Default threshold: no figure rests on fewer than 5 respondents.
K_DEFAULT = 5
#: Free-text answers are listed only from groups of at least 10.
K_FREE_TEXT = 10
#: Views of a single enterprise (a unit) need at least 10 respondents.
K_PER_ENTERPRISE = 10


def _check_k(k) -> int:
    if isinstance(k, bool) or int(k) != k or int(k) < 1:
        raise ScoringInputError(f"suppression threshold k must be a whole number >= 1, got {k!r}")
    return int(k)


def _counts(x, what: str, ndim: int) -> np.ndarray:
    arr = as_numbers(x, what)
    if arr.ndim != ndim:
        raise ScoringInputError(f"{what}: expected a {ndim}-D array of counts, got {arr.ndim}-D")
    bad = ~np.isfinite(arr) | (arr < 0) | (arr != np.floor(arr))
    if bad.any():
        where = first_cell(bad)
        raise ScoringInputError(f"{what}: entry {where if ndim > 1 else where[0]} is {arr[where]:g}; counts must be whole numbers >= 0")
    return arr


def primary_mask(n, k: int = K_DEFAULT):
    """True where a figure rests on 1 to k - 1 respondents (the threshold rule).

    Parameters
    ----------
    n : int or array_like
        Respondents behind each figure: a cell count, or the n of a mean,
        median or share.
    k : int, optional
        The threshold, :data:`K_DEFAULT` (5) unless configured.

    Returns
    -------
    bool or numpy.ndarray of bool

    Notes
    -----
    Zero is not hidden: a figure on nobody (an empty cell, a mean with no
    answers) says nothing about anyone. Complementary suppression and the
    hiding of whole small groups are the table functions' business.

    Examples
    --------
    >>> primary_mask([0, 1, 4, 5, 12]).tolist()
    [False, True, True, False, False]
    """
    k = _check_k(k)
    arr = np.asarray(n, dtype=float)
    mask = (arr > 0) & (arr < k)
    return bool(mask) if mask.ndim == 0 else mask


def _apply(values, hidden: np.ndarray, fill):
    out = np.array(values, dtype=float, copy=True)
    if out.shape != hidden.shape:
        raise ScoringInputError(f"suppression: values have shape {out.shape}, the mask {hidden.shape}")
    out[hidden] = fill
    return out


# --------------------------------------------------------------------------- #
# one-way tables
# --------------------------------------------------------------------------- #


@dataclass(frozen=True, eq=False)
class FrequencySuppression:
    """What a one-way table may show. True = hide.

    ``cells`` follows the options; ``total`` is True when the table's base
    (its n) must be hidden too. Apply the same mask to counts, shares,
    intervals and chart bars (a share or interval reveals its count).
    """

    k: int
    cells: np.ndarray  #: hide this option's figures
    primary: np.ndarray  #: hidden because the figure itself rests on 1..k-1
    total: bool  #: hide the base n (and so every figure of the table)

    @property
    def any(self) -> bool:
        """True when anything is hidden."""
        return bool(self.cells.any() or self.total)

    def apply(self, values, fill=np.nan) -> np.ndarray:
        """``values`` (one per option) as floats with hidden entries set to ``fill``."""
        return _apply(values, self.cells, fill)


def suppress_frequencies(counts, k: int = K_DEFAULT, total_shown: bool = True) -> FrequencySuppression:
    """Primary and complementary suppression of a one-way frequency table.

    Parameters
    ----------
    counts : array_like of int, shape (n_options,)
        Respondents per option of a single-choice question (or per point of
        a scale): the counts add up to the table's total.
    k : int, optional
        Threshold, :data:`K_DEFAULT` by default.
    total_shown : bool, optional
        True (default) when the total (the n of the table) is shown or
        known elsewhere, so total minus shown cells is available to anyone.

    Returns
    -------
    FrequencySuppression

    Notes
    -----
    - A total of 1 to k - 1 hides the whole table (``total`` and every
      cell, zeros included): the group is too small to describe.
    - Otherwise a count of 1 to k - 1 is hidden (primary) and, when the
      total is shown, more cells are hidden, smallest non-zero first, until
      at least two are hidden and the hidden counts add up to at least k.
      Anyone can compute that sum as the total minus the shown cells, and
      each hidden count can then be anything from 0 to the sum.

    Examples
    --------
    >>> res = suppress_frequencies([40, 3, 12, 0, 7])
    >>> res.cells.tolist(), res.primary.tolist()
    ([False, True, False, False, True], [False, True, False, False, False])
    """
    k = _check_k(k)
    arr = _counts(counts, "suppress_frequencies", 1)
    total = float(arr.sum())
    primary = (arr > 0) & (arr < k)
    if 0 < total < k:
        return FrequencySuppression(k=k, cells=np.ones(arr.shape, dtype=bool), primary=primary, total=True)
    hidden = primary.copy()
    if total_shown and hidden.any():
        # Smallest non-zero shown cells first; zeros never help (they add nothing to the hidden sum).
        candidates = [int(j) for j in np.argsort(arr, kind="stable") if arr[j] > 0 and not hidden[j]]
        while hidden.sum() < 2 or arr[hidden].sum() < k:
            if not candidates:  # cannot happen: all non-zero cells hidden means the hidden sum is the total
                break
            hidden[candidates.pop(0)] = True
    return FrequencySuppression(k=k, cells=hidden, primary=primary, total=False)


def suppress_choices(counts, n_respondents: int, k: int = K_DEFAULT) -> FrequencySuppression:
    """Suppression for a multiple-choice question: each option against its complement.

    Parameters
    ----------
    counts : array_like of int, shape (n_options,)
        Respondents who ticked each option.
    n_respondents : int
        The base: respondents who answered the question.
    k : int, optional
        Threshold, :data:`K_DEFAULT` by default.

    Returns
    -------
    FrequencySuppression

    Notes
    -----
    Options of a multiple-choice question do not add up to anything (one
    respondent ticks several), so no complementary cell is needed across
    options. But each option is a yes/no split of the n respondents: with n
    shown, "38 of 40 ticked it" also says "2 did not". An option is hidden
    when either side, count or n - count, is 1 to k - 1; with an n of 1 to
    k - 1 everything is hidden.

    Examples
    --------
    >>> suppress_choices([30, 2, 38, 0], 40).cells.tolist()
    [False, True, True, False]
    """
    k = _check_k(k)
    arr = _counts(counts, "suppress_choices", 1)
    n = int(n_respondents)
    if (arr > n).any():
        j = int(np.flatnonzero(arr > n)[0])
        raise ScoringInputError(f"suppress_choices: option {j} has {arr[j]:g} ticks but only {n} respondents")
    primary = (arr > 0) & (arr < k)
    if 0 < n < k:
        return FrequencySuppression(k=k, cells=np.ones(arr.shape, dtype=bool), primary=primary, total=True)
    rest = n - arr
    hidden = primary | ((rest > 0) & (rest < k))
    return FrequencySuppression(k=k, cells=hidden, primary=primary, total=False)


# --------------------------------------------------------------------------- #
# cross-tables with margins
# --------------------------------------------------------------------------- #


@dataclass(frozen=True, eq=False)
class TableSuppression:
    """What a cross-table with row totals, column totals and a grand total may show. True = hide.

    Rows are typically the groups of a breakdown (units, age bands) and
    columns the answers. A share is hidden when its count *or* its base is
    hidden: use :meth:`row_share_mask` / :meth:`column_share_mask` for
    tables of percentages (a shown share of a hidden base gives the base
    back as count / share).
    """

    k: int
    cells: np.ndarray  #: (r, c)
    row_totals: np.ndarray  #: (r,)
    column_totals: np.ndarray  #: (c,)
    total: bool
    primary: np.ndarray  #: (r + 1, c + 1) augmented table: hidden by the threshold or the small-group rule
    rounds: int  #: passes of the cycle, line and zero rules until nothing changed

    @property
    def augmented(self) -> np.ndarray:
        """The (r + 1) x (c + 1) mask: cells, row totals in the last column, column totals in the last row."""
        out = np.zeros((self.cells.shape[0] + 1, self.cells.shape[1] + 1), dtype=bool)
        out[:-1, :-1] = self.cells
        out[:-1, -1] = self.row_totals
        out[-1, :-1] = self.column_totals
        out[-1, -1] = self.total
        return out

    @property
    def any(self) -> bool:
        """True when anything is hidden."""
        return bool(self.augmented.any())

    def apply(self, table, fill=np.nan) -> np.ndarray:
        """The (r, c) ``table`` (counts, shares, residuals ...) with hidden cells set to ``fill``."""
        return _apply(table, self.cells, fill)

    def row_share_mask(self) -> np.ndarray:
        """(r, c) mask for shares within rows (count / row total)."""
        return self.cells | self.row_totals[:, None]

    def column_share_mask(self) -> np.ndarray:
        """(r, c) mask for shares within columns (count / column total)."""
        return self.cells | self.column_totals[None, :]


def _augment(arr: np.ndarray) -> np.ndarray:
    r, c = arr.shape
    aug = np.zeros((r + 1, c + 1))
    aug[:r, :c] = arr
    aug[:r, c] = arr.sum(axis=1)
    aug[r, :c] = arr.sum(axis=0)
    aug[r, c] = arr.sum()
    return aug


def _lines(shape: tuple[int, int]):
    """Each line of the augmented table: (entries, margin), as lists of (row, column)."""
    rows, cols = shape
    out = []
    for i in range(rows):
        out.append(([(i, j) for j in range(cols - 1)], (i, cols - 1)))
    for j in range(cols):
        out.append(([(i, j) for i in range(rows - 1)], (rows - 1, j)))
    return out


def _line_rule(aug: np.ndarray, hidden: np.ndarray, k: int) -> bool:
    """One sweep of the line rule over every line; True if anything was added."""
    changed = False
    for entries, margin in _lines(aug.shape):
        margin_value = aug[margin]
        if margin_value == 0:
            continue  # an all-zero line: every entry is known to be 0 and says nothing about anyone
        inner_hidden = [e for e in entries if hidden[e]]
        if not inner_hidden and not hidden[margin]:
            continue
        while True:
            inner_hidden = [e for e in entries if hidden[e]]
            if hidden[margin]:
                # margin - (hidden entries) = shown entries: one hidden entry besides the margin suffices here.
                done = len(inner_hidden) >= 1
            else:
                done = len(inner_hidden) >= 2 and sum(aug[e] for e in inner_hidden) >= k
            if done:
                break
            shown = [e for e in entries if not hidden[e] and aug[e] > 0]
            if shown:
                # Smallest first; among equals prefer an entry whose cross line already hides
                # something, so the new entry does not start another line to protect.
                def cost(e):
                    cross = hidden[e[0], :].sum() + hidden[:, e[1]].sum()
                    return (aug[e], 0 if cross > 0 else 1)

                hidden[min(shown, key=cost)] = True
            elif not hidden[margin]:
                hidden[margin] = True  # nothing left to hide in the line: hide its total
            else:
                break  # every non-zero entry and the margin are hidden
            changed = True
    return changed


def _equations(aug: np.ndarray, hidden: np.ndarray):
    """A_eq x = b_eq over the hidden entries (in ``np.argwhere`` order) of the augmented table."""
    idx = np.argwhere(hidden)
    position = -np.ones(aug.shape, dtype=int)
    position[hidden] = np.arange(len(idx))
    rows_a, rhs = [], []
    for entries, margin in _lines(aug.shape):
        # sum(entries) - margin = 0, with shown values moved to the right-hand side
        coef = np.zeros(len(idx))
        b = 0.0
        for e, sign in [(e, 1.0) for e in entries] + [(margin, -1.0)]:
            if hidden[e]:
                coef[position[e]] += sign
            else:
                b -= sign * aug[e]
        if coef.any():
            rows_a.append(coef)
            rhs.append(b)
    return idx, sparse.csr_matrix(np.array(rows_a)), np.array(rhs)


def _range(idx_pos: int, a_eq: np.ndarray, b_eq: np.ndarray, sense: float) -> float:
    c = np.zeros(a_eq.shape[1])
    c[idx_pos] = sense
    res = optimize.linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
    if res.status == 3:  # unbounded
        return np.inf * -sense
    if res.status != 0:
        raise RuntimeError(f"suppression audit: linear programme failed ({res.message})")
    return float(res.fun) * sense


def hidden_ranges(table, hidden_augmented) -> tuple[np.ndarray, np.ndarray]:
    """The smallest and largest value each hidden entry can take given everything shown.

    Parameters
    ----------
    table : array_like of int, shape (r, c)
        The true counts.
    hidden_augmented : array_like of bool, shape (r + 1, c + 1)
        The mask over cells and margins (``TableSuppression.augmented``).

    Returns
    -------
    (low, high)
        Arrays of shape (r + 1, c + 1): for a hidden entry, the range an
        outsider can deduce from the shown entries, the table's additivity
        (cells add up to the totals) and non-negativity; ``nan`` for shown
        entries. A hidden entry with low == high is disclosed.

    Notes
    -----
    Two linear programmes per hidden entry (HiGHS through
    :func:`scipy.optimize.linprog`): an audit tool for tests and checks,
    not used by :func:`suppress_table` itself, which decides with graph
    searches that give the same answer (exposed or not) much faster. The constraint matrix of a two-way
    table with margins is totally unimodular, so the bounds are whole
    numbers attained by whole-number tables: low < high means at least two
    different counts are consistent with what is shown.

    Examples
    --------
    >>> table = [[8, 2], [9, 6]]
    >>> mask = [[False, True, False], [False, False, False], [False, False, False]]
    >>> low, high = hidden_ranges(table, mask)
    >>> float(low[0, 1]), float(high[0, 1])
    (2.0, 2.0)
    """
    arr = _counts(table, "hidden_ranges", 2)
    aug = _augment(arr)
    mask = np.asarray(hidden_augmented, dtype=bool)
    if mask.shape != aug.shape:
        raise ScoringInputError(f"hidden_ranges: mask has shape {mask.shape}, expected {aug.shape}")
    low = np.full(aug.shape, np.nan)
    high = np.full(aug.shape, np.nan)
    if not mask.any():
        return low, high
    idx, a_eq, b_eq = _equations(aug, mask)
    for p, (i, j) in enumerate(idx):
        low[i, j] = _range(p, a_eq, b_eq, 1.0)
        high[i, j] = _range(p, a_eq, b_eq, -1.0)
    return low, high


def _bridges(aug: np.ndarray, hidden: np.ndarray) -> list[tuple[int, int]]:
    """Hidden positive entries that lie on no cycle of hidden positive entries.

    Rows and columns of the augmented table are the nodes of a bipartite
    graph, hidden positive entries its edges. Moving +e, -e, +e, ... around
    a cycle keeps every row and column adding up (see :func:`_signs`), and
    with every entry on it positive a small step both ways stays
    non-negative: an entry on such a cycle can take at least two values.
    The entries on no cycle are the graph's bridges (Tarjan's algorithm,
    iterative, linear in the size of the graph).
    """
    rows, cols = aug.shape
    ii, jj = np.nonzero(hidden & (aug > 0))
    adjacency: list[list[tuple[int, int]]] = [[] for _ in range(rows + cols)]
    for edge, (i, j) in enumerate(zip(ii.tolist(), jj.tolist())):
        adjacency[i].append((rows + j, edge))
        adjacency[rows + j].append((i, edge))
    order = [-1] * (rows + cols)
    low = [0] * (rows + cols)
    clock = 0
    found = []
    for root in range(rows + cols):
        if order[root] != -1 or not adjacency[root]:
            continue
        order[root] = low[root] = clock
        clock += 1
        stack = [(root, -1, iter(adjacency[root]))]
        while stack:
            node, via, neighbours = stack[-1]
            for nxt, edge in neighbours:
                if edge == via:
                    continue
                if order[nxt] == -1:
                    order[nxt] = low[nxt] = clock
                    clock += 1
                    stack.append((nxt, edge, iter(adjacency[nxt])))
                    break
                low[node] = min(low[node], order[nxt])
            else:
                stack.pop()
                if stack:
                    parent = stack[-1][0]
                    low[parent] = min(low[parent], low[node])
                    if low[node] > order[parent]:
                        found.append(via)
    return [(int(ii[e]), int(jj[e])) for e in found]


def _signs(shape: tuple[int, int]) -> np.ndarray:
    """+1 for cells and the grand total, -1 for row and column totals.

    Multiplying the augmented table by these signs makes every row and
    column add up to zero (cells minus their total; totals minus the grand
    total), so +e, -e, +e, ... on the *signed* entries around any cycle
    keeps the whole table consistent.
    """
    rows, cols = shape
    sign = np.ones(shape)
    sign[: rows - 1, cols - 1] = -1.0
    sign[rows - 1, : cols - 1] = -1.0
    return sign


def _can_grow(aug: np.ndarray, hidden: np.ndarray, entry: tuple[int, int], sign: np.ndarray) -> bool:
    """Whether a hidden zero can be positive in some table consistent with the shown figures.

    Exact: a feasible direction that raises the entry decomposes into
    cycles, one of which raises it, so it suffices to find a cycle through
    the entry on which every entry that has to go down is positive. Going
    around, the step along an entry is up or down according to its sign and
    to whether the cycle crosses it from a column to a row or the other
    way; a breadth-first search over those allowed crossings, from the
    entry's column back to its row, finds such a cycle if there is one.
    """
    rows, cols = aug.shape
    i, j = entry
    s_e = sign[i, j]
    adjacency: list[list[int]] = [[] for _ in range(rows + cols)]
    for a, b in zip(*np.nonzero(hidden)):
        a, b = int(a), int(b)
        if (a, b) == entry:
            continue
        positive = aug[a, b] > 0
        same = sign[a, b] * s_e > 0
        if positive or not same:  # column -> row: the entry goes down when the signs agree
            adjacency[rows + b].append(a)
        if positive or same:  # row -> column: it goes down when they differ
            adjacency[a].append(rows + b)
    start, goal = rows + j, i
    seen = {start}
    frontier = [start]
    while frontier:
        nxt = []
        for node in frontier:
            for other in adjacency[node]:
                if other == goal:
                    return True
                if other not in seen:
                    seen.add(other)
                    nxt.append(other)
        frontier = nxt
    return False


def _exposed_zeros(aug: np.ndarray, hidden: np.ndarray) -> list[tuple[int, int]]:
    """Hidden zeros an outsider can compute exactly, among those that need protecting.

    A hidden zero needs protecting when both its lines have a positive
    total (a zero in an all-zero line is known to everyone and says
    nothing about anyone). A zero lies on no cycle of positive entries, so
    it is checked with :func:`_can_grow`.
    """
    rows, cols = aug.shape
    sign = _signs(aug.shape)
    return [
        (int(i), int(j))
        for i, j in np.argwhere(hidden & (aug == 0))
        if aug[i, cols - 1] > 0 and aug[rows - 1, j] > 0 and not _can_grow(aug, hidden, (int(i), int(j)), sign)
    ]


def _protect(aug: np.ndarray, hidden: np.ndarray, entry: tuple[int, int]) -> bool:
    """Hide the cheapest rectangle through ``entry`` whose other three corners are positive.

    Moving the four corners of a rectangle by +e, -e, -e, +e (on the signed
    entries) keeps every line's balance; with the other corners positive
    the entry can at least grow, so it is no longer determined. A rectangle
    always exists for an entry of a non-zero line: the one through its row
    total, column total and the grand total. Cheapest = least count newly
    hidden, then fewest new entries. Returns True if anything new was hidden.
    """
    i, j = entry
    value = np.where(hidden, 0.0, aug)  # what hiding each entry costs
    new = (~hidden).astype(float)
    col_ok = aug[:, j] > 0  # corner (i2, j)
    row_ok = aug[i, :] > 0  # corner (i, j2)
    col_ok[i] = False
    row_ok[j] = False
    ok = col_ok[:, None] & row_ok[None, :] & (aug > 0)
    if not ok.any():
        return False
    cost = value[:, j][:, None] + value[i, :][None, :] + value
    count = new[:, j][:, None] + new[i, :][None, :] + new
    key = np.where(ok, cost * 4.0 + count, np.inf)
    i2, j2 = np.unravel_index(int(np.argmin(key)), key.shape)
    if count[i2, j2] == 0:
        return False
    for corner in ((i, j2), (i2, j), (i2, j2)):
        hidden[corner] = True
    return True


def suppress_table(
    table,
    k: int = K_DEFAULT,
    hidden_row_totals=None,
    hidden_column_totals=None,
) -> TableSuppression:
    """Primary and complementary suppression of a cross-table with its margins.

    Parameters
    ----------
    table : array_like of int, shape (r, c)
        Counts, rows = groups of the breakdown, columns = answers. The row
        totals, column totals and grand total are taken as shown unless
        hidden here: they are usually published anyway (the group sizes,
        the question's own frequency table).
    k : int, optional
        Threshold, :data:`K_DEFAULT` by default; use
        :data:`K_PER_ENTERPRISE` for a breakdown by enterprise.
    hidden_row_totals, hidden_column_totals : array_like of bool, optional
        Margins already hidden elsewhere (e.g. the question's one-way
        table, suppressed with :func:`suppress_frequencies`): they start
        hidden here, so both outputs hide the same figures. The result can
        hide more margins; hide those in the other output too.

    Returns
    -------
    TableSuppression

    Notes
    -----
    1. Primary: cells and totals of 1 to k - 1; every entry (zeros too) of
       a row or column whose total is 1 to k - 1 (a group under k shows no
       figure at all).
    2. Cycles: rows and columns are the nodes of a graph whose edges are
       the hidden entries (totals included: a row total is an entry of the
       totals column). Moving +e, -e, +e, ... around a cycle keeps every
       row and column adding up, so an entry on a cycle of hidden positive
       entries can take at least two values. Each hidden positive entry not
       yet on such a cycle (smallest first) gets one: the cheapest
       rectangle through it whose other three corners are positive (least
       total count newly hidden). This is the two-dimensional case of the
       hypercube method, and it gives every row and column that hides
       anything at least two hidden entries.
    3. Line sums: where a row's or column's total is shown, its hidden
       cells add up to at least k (total minus shown cells gives that sum,
       itself a figure); if not, the smallest non-zero shown cells of the
       line are added (preferring cells whose cross line already hides
       something), or, with none left, the line's total.
    4. Hidden zeros of a small group lie on no cycle of positive entries;
       each is checked exactly (can any table consistent with the shown
       figures put a respondent there?) by a search for a cycle along
       which it can grow, and gets a rectangle if it cannot.

    Steps 2-4 repeat until nothing changes; they only ever add hidden
    entries, so the loop ends. Which complements to choose is a heuristic
    (the least-loss choice is NP-hard in general); the protection itself
    is exact: no hidden entry is determined by the shown ones, which
    :func:`hidden_ranges` confirms.

    References
    ----------
    Hundepool, A., et al. (2012). Statistical Disclosure Control, sections
    4.2-4.3. Wiley.
    Cox, L. H. (1980). JASA, 75(370), 377-385.

    Examples
    --------
    The 3 is hidden, and with it the cheapest rectangle of cells that
    keeps every row and column adding up: 3 + 15 and 12 + 11 in the rows,
    3 + 12 and 15 + 11 in the columns.

    >>> res = suppress_table([[20, 3, 15], [18, 12, 11], [25, 9, 30]])
    >>> res.cells.astype(int).tolist()
    [[0, 1, 1], [0, 1, 1], [0, 0, 0]]
    >>> res.row_totals.tolist(), res.column_totals.tolist(), res.total
    ([False, False, False], [False, False, False], False)
    """
    k = _check_k(k)
    arr = _counts(table, "suppress_table", 2)
    r, c = arr.shape
    aug = _augment(arr)
    hidden = (aug > 0) & (aug < k)
    small_rows = hidden[:, c]  # a row total of 1..k-1: the whole row goes
    small_cols = hidden[r, :]
    hidden[small_rows, :] = True
    hidden[:, small_cols] = True
    if hidden_row_totals is not None:
        preset = np.asarray(hidden_row_totals, dtype=bool)
        if preset.shape != (r,):
            raise ScoringInputError(f"suppress_table: hidden_row_totals has shape {preset.shape}, expected ({r},)")
        hidden[:r, c] |= preset
    if hidden_column_totals is not None:
        preset = np.asarray(hidden_column_totals, dtype=bool)
        if preset.shape != (c,):
            raise ScoringInputError(f"suppress_table: hidden_column_totals has shape {preset.shape}, expected ({c},)")
        hidden[r, :c] |= preset
    primary = hidden.copy()

    rounds = 0
    while hidden.any():
        rounds += 1
        changed = False
        # Every hidden positive entry on a cycle of hidden positive entries, smallest first.
        while True:
            bridges = _bridges(aug, hidden)
            if not bridges:
                break
            if not _protect(aug, hidden, min(bridges, key=lambda e: aug[e])):
                hidden[...] = True  # no rectangle left to hide (not expected): hide the whole table
                break
            changed = True
        while _line_rule(aug, hidden, k):
            changed = True
        if changed:
            continue
        exposed = _exposed_zeros(aug, hidden)
        if not exposed:
            break
        if not _protect(aug, hidden, exposed[0]):  # one at a time: it may protect the others too
            hidden[...] = True
            break
    return TableSuppression(
        k=k,
        cells=hidden[:r, :c].copy(),
        row_totals=hidden[:r, c].copy(),
        column_totals=hidden[r, :c].copy(),
        total=bool(hidden[r, c]),
        primary=primary,
        rounds=rounds,
    )


# --------------------------------------------------------------------------- #
# differencing between filters
# --------------------------------------------------------------------------- #


@dataclass(frozen=True, eq=False)
class DifferencingCheck:
    """Whether a filtered view may be shown. ``reason`` says why not."""

    safe: bool
    k: int
    n: int  #: respondents in the filtered set
    too_small: tuple  #: which neighbours (indices) or cells (condition patterns) differ by 1..k-1
    reason: str | None = None


def differencing_safe(n_filtered: int, n_neighbours, k: int = K_DEFAULT, n_total: int | None = None) -> DifferencingCheck:
    """Refuse a filter whose result differs from a neighbouring filter's by 1 to k - 1 respondents.

    Parameters
    ----------
    n_filtered : int
        Respondents the filter keeps.
    n_neighbours : array_like of int
        Sizes of the sets that differ from it by one condition: the filter
        with one condition dropped (or negated: the negated set's size is
        the dropped one's minus ``n_filtered``, so pass the dropped one).
        For a range condition (dates), also pass the sets with the range
        widened by one step of the filter's grid at either end.
    k : int, optional
        Threshold, :data:`K_DEFAULT` by default.
    n_total : int, optional
        Size of the unfiltered set (everything the user may see); the
        complement n_total - n_filtered is then checked too.

    Returns
    -------
    DifferencingCheck
        ``safe`` is False when n_filtered is 1..k-1, or any |neighbour -
        n_filtered| or n_total - n_filtered is 1..k-1; ``too_small`` lists
        the offending neighbours (by index; "total" for the complement).

    Notes
    -----
    Two views whose respondent sets differ by d people give those d
    people's answers by subtraction, table by table. A difference of 0 is
    the same set and harmless; 1..k-1 is refused. This checks pairs made
    with one condition changed; :func:`condition_cells_safe` checks every
    combination of the filter's conditions at once and is the stronger
    guard when the conditions are available as masks.

    Examples
    --------
    >>> differencing_safe(40, [43, 120], n_total=500).reason
    'removing one filter condition adds only 3 respondents (neighbour 0); at least 5 are needed'
    >>> differencing_safe(40, [40, 120], n_total=500).safe
    True
    """
    k = _check_k(k)
    n = int(n_filtered)
    sizes = np.atleast_1d(np.asarray(n_neighbours, dtype=float))
    if sizes.ndim != 1 or n < 0 or (sizes < 0).any():
        raise ScoringInputError("differencing_safe: sizes must be whole numbers >= 0, neighbours as a 1-D list")
    if 0 < n < k:
        return DifferencingCheck(
            safe=False, k=k, n=n, too_small=(),
            reason=f"the filter keeps only {n} respondents; at least {k} are needed",
        )
    diff = np.abs(sizes - n)
    bad = [int(i) for i in np.flatnonzero((diff > 0) & (diff < k))]
    if bad:
        return DifferencingCheck(
            safe=False, k=k, n=n, too_small=tuple(bad),
            reason=(
                f"removing one filter condition adds only {int(diff[bad[0]])} respondents "
                f"(neighbour {bad[0]}); at least {k} are needed"
            ),
        )
    if n_total is not None:
        rest = int(n_total) - n
        if rest < 0:
            raise ScoringInputError(f"differencing_safe: n_total {n_total} is below n_filtered {n}")
        if 0 < rest < k:
            return DifferencingCheck(
                safe=False, k=k, n=n, too_small=("total",),
                reason=f"the filter leaves out only {rest} respondents; at least {k} are needed",
            )
    return DifferencingCheck(safe=True, k=k, n=n, too_small=())


def condition_cells_safe(conditions, k: int = K_DEFAULT) -> DifferencingCheck:
    """Refuse a filter if any cell of the partition its conditions make holds 1 to k - 1 respondents.

    Parameters
    ----------
    conditions : array_like of bool, shape (n_respondents, m)
        One column per condition of the filter (True where the respondent
        meets it), over every respondent the user may see (the unfiltered
        set). At most 20 conditions.
    k : int, optional
        Threshold, :data:`K_DEFAULT` by default.

    Returns
    -------
    DifferencingCheck
        ``n`` is the filtered set (all conditions true); ``too_small``
        lists the offending cells as tuples of m booleans (which conditions
        hold in that cell).

    Notes
    -----
    The m conditions split the respondents into 2^m cells (each condition
    true or false). Every view a user can make from these conditions (the
    filter, the filter with some conditions dropped or negated, no filter)
    is a union of cells, and anything computed from several such views by
    adding and subtracting (inclusion-exclusion) is too. If every cell has
    0 or at least k respondents, so does every set obtainable that way, so
    no pair, and no larger combination, of these views isolates fewer than
    k people. Counting the cells is one ``bincount`` over the respondents.

    Range conditions (date from-to) are not covered across different
    bounds: keep date filters on a coarse grid (whole months) and check the
    neighbouring ranges with :func:`differencing_safe`.

    Examples
    --------
    Unit X has 40 respondents, 37 of them women; "women in unit X" would
    give the 3 men's answers by difference with "unit X".

    >>> import numpy as np
    >>> unit_x = np.r_[np.ones(40, bool), np.zeros(460, bool)]
    >>> woman = np.r_[np.ones(37, bool), np.zeros(3, bool), np.ones(200, bool), np.zeros(260, bool)]
    >>> res = condition_cells_safe(np.c_[unit_x, woman])
    >>> res.safe, res.n, res.too_small
    (False, 37, ((True, False),))
    """
    k = _check_k(k)
    arr = np.asarray(conditions)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ScoringInputError(f"condition_cells_safe: expected respondents x conditions (2-D), got {arr.ndim}-D")
    if arr.dtype != bool:
        if not np.isin(arr, (0, 1)).all():
            raise ScoringInputError("condition_cells_safe: conditions must be True/False (or 0/1)")
        arr = arr.astype(bool)
    m = arr.shape[1]
    if m > 20:
        raise ScoringInputError(f"condition_cells_safe: at most 20 conditions, got {m}")
    codes = np.zeros(arr.shape[0], dtype=np.int64)
    for j in range(m):  # one pass per condition
        codes |= arr[:, j].astype(np.int64) << j
    cells = np.bincount(codes, minlength=1 << m)
    n = int(cells[(1 << m) - 1])
    bad = np.flatnonzero((cells > 0) & (cells < k))
    patterns = tuple(tuple(bool(code >> j & 1) for j in range(m)) for code in bad.tolist())
    if not patterns:
        return DifferencingCheck(safe=True, k=k, n=n, too_small=())
    if 0 < n < k:
        reason = f"the filter keeps only {n} respondents; at least {k} are needed"
    else:
        smallest = int(cells[bad].min())
        reason = (
            f"combining this filter with the same filter minus some of its conditions isolates "
            f"{smallest} respondents; at least {k} are needed"
        )
    return DifferencingCheck(safe=False, k=k, n=n, too_small=patterns, reason=reason)
