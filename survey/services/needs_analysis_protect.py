"""Small-cell protection of the needs analysis' tables, and tests made only on what is published.

Pure numpy on top of :mod:`scoring.survey.suppression`; no database.

- One-way tables hide with :func:`scoring.survey.suppress_frequencies`
  (single choice, scale points, bands) and :func:`choice_mask` (multiple
  choice: each option against its complement, plus a complement across
  options because the shares of mentions add up).
- A breakdown's cross-table hides with :func:`scoring.survey.suppress_table`,
  starting from the margins the one-way tables already hide (they are the
  same numbers: the answer counts are the column totals, the group sizes the
  row totals). If it wants to hide a margin that is shown elsewhere, its
  protection would rest on something public, so the whole table is withheld
  (:func:`protect_table` returns None).
- :func:`published_table` pools the groups and answers with hidden figures so
  that every count of the pooled table can be worked out from the figures
  shown; chi-square and Kruskal-Wallis are made on it and so reveal nothing
  new (a statistic of the full table, with the other cells shown, would pin
  the hidden ones down).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scoring.survey import TableSuppression, suppress_table

__all__ = ["PublishedTable", "choice_mask", "complement", "protect_table", "published_table", "suppress_groups", "suppress_two_columns"]


def complement(counts: np.ndarray, hidden: np.ndarray, k: int) -> np.ndarray:
    """Add the smallest non-zero shown cells until at least two are hidden and they add up to k or more.

    For a one-way table whose total is known: total minus the shown cells is
    the sum of the hidden ones. Nothing is added when nothing is hidden.
    """
    hidden = hidden.copy()
    if not hidden.any():
        return hidden
    candidates = [int(j) for j in np.argsort(counts, kind="stable") if counts[j] > 0 and not hidden[j]]
    while (hidden.sum() < 2 or counts[hidden].sum() < k) and candidates:
        hidden[candidates.pop(0)] = True
    return hidden


def _small(x, k: int):
    x = np.asarray(x)
    return (x > 0) & (x < k)


def choice_mask(counts: np.ndarray, bases: np.ndarray, k: int) -> np.ndarray:
    """Options of a multiple-choice question (or "ranked at all" of a ranking) to hide.

    An option is hidden when its count, or its base minus its count, is 1 to
    k - 1, or its base is (:func:`scoring.survey.suppress_choices` with a base
    per option). Hidden options then get complements (:func:`complement`):
    the mention shares add up to 1, so all ticks minus the shown ones would
    give a single hidden count back.
    """
    counts = np.asarray(counts, dtype=float)
    bases = np.asarray(bases, dtype=float)
    hidden = _small(counts, k) | _small(bases - counts, k) | _small(bases, k)
    return complement(counts, hidden, k)


def suppress_groups(table: np.ndarray, k: int, hidden_rows: np.ndarray, hidden_columns: np.ndarray) -> TableSuppression:
    """:func:`scoring.survey.suppress_table` with the groups under k merged first.

    A group (row) of 1 to k - 1 respondents shows nothing at all, so an
    outsider learns the same from many such rows as from their sum (rows with
    hidden totals can split a sum any way). Merging them into one row, with
    its total hidden, makes a breakdown by 300 units a small table. The
    merged row's own cells are not published either; if any of them would be
    shown as a 0 (which would say "no one in these small groups chose it",
    a fact about each of them), the table is protected unmerged instead.
    """
    table = np.asarray(table, dtype=np.int64)
    hidden_rows = np.asarray(hidden_rows, dtype=bool)
    hidden_columns = np.asarray(hidden_columns, dtype=bool)
    row_n = table.sum(axis=1)
    small = (row_n > 0) & (row_n < k)
    if small.sum() >= 2:
        keep = ~small
        reduced = np.vstack([table[keep], table[small].sum(axis=0)])
        preset = np.concatenate([hidden_rows[keep], [True]])
        result = suppress_table(reduced, k, hidden_row_totals=preset, hidden_column_totals=hidden_columns)
        if not (~result.cells[-1] & (reduced[-1] == 0)).any():
            cells = np.ones(table.shape, dtype=bool)
            cells[keep] = result.cells[:-1]
            row_totals = np.ones(table.shape[0], dtype=bool)
            row_totals[keep] = result.row_totals[:-1]
            primary = np.zeros((table.shape[0] + 1, table.shape[1] + 1), dtype=bool)
            primary[np.flatnonzero(small)] = True
            return TableSuppression(k=result.k, cells=cells, row_totals=row_totals,
                                    column_totals=result.column_totals, total=result.total, primary=primary,
                                    rounds=result.rounds)
    return suppress_table(table, k, hidden_row_totals=hidden_rows, hidden_column_totals=hidden_columns)


def suppress_two_columns(table: np.ndarray, k: int, hidden_rows: np.ndarray, hidden_column: bool) -> TableSuppression:
    """Suppression of a groups x (chose, did not choose) table: one option of a multiple choice by group.

    The same protection :func:`scoring.survey.suppress_table` gives, found
    directly (a breakdown by 300 units has a dozen of these per question).
    Row totals are the groups' n (shown unless ``hidden_rows``), the column
    totals the option's one-way count and its complement (hidden together,
    ``hidden_column``, when the one-way table hides the option).

    - ``hidden_column``: every cell is hidden. Each group's count can then be
      anything from 0 to its n as far as the shown figures go.
    - Otherwise a row is hidden (both cells) when its total is 1 to k - 1
      (then its total too), a cell is 1 to k - 1, or its total is hidden
      elsewhere; then, while fewer than two non-empty rows are hidden or a
      column's hidden cells add up to less than k (and that column is not all
      zero), the row with the smallest count in the short column is added.

    Why that suffices: with two cells per row, a hidden row's cells move
    together (+e, -e), and with another hidden row moving (-e, +e) every
    margin stays the same. Given two or more hidden non-empty rows and
    positive hidden sums in both columns, every hidden row has such a
    partner in one direction or the other, so no hidden cell is pinned
    (``hidden_ranges`` confirms it in the tests); sums of at least k keep the
    column totals minus shown cells from being small figures.
    """
    table = np.asarray(table, dtype=np.int64)
    rows = table.shape[0]
    hidden_rows = np.asarray(hidden_rows, dtype=bool)
    row_n = table.sum(axis=1)
    small_rows = (row_n > 0) & (row_n < k)
    totals_hidden = hidden_rows | small_rows
    if hidden_column:
        cells = np.repeat((row_n > 0)[:, None], 2, axis=1) | totals_hidden[:, None]
        return TableSuppression(k=k, cells=cells, row_totals=totals_hidden, column_totals=np.array([True, True]),
                                total=False, primary=np.zeros((rows + 1, 3), dtype=bool), rounds=1)
    hide = totals_hidden | ((table > 0) & (table < k)).any(axis=1)
    hide &= row_n > 0
    column_sum = table.sum(axis=0)

    def short() -> int | None:
        if hide.any() and hide.sum() < 2:
            return -1
        for j in (0, 1):
            if hide.any() and column_sum[j] > 0 and table[hide, j].sum() < k:
                return j
        return None

    while (need := short()) is not None:
        candidates = np.flatnonzero(~hide & (row_n > 0) & ((table[:, need] > 0) if need >= 0 else True))
        if candidates.size == 0:
            break  # cannot happen: all rows hidden gives the column totals, which are 0 or at least k
        key = table[candidates, need] if need >= 0 else row_n[candidates]
        hide[candidates[int(np.argmin(key))]] = True
    cells = np.repeat(hide[:, None], 2, axis=1) | totals_hidden[:, None]
    return TableSuppression(k=k, cells=cells, row_totals=totals_hidden, column_totals=np.array([False, False]),
                            total=False, primary=np.zeros((rows + 1, 3), dtype=bool), rounds=1)


def protect_table(
    table: np.ndarray,
    k: int,
    hidden_rows: np.ndarray,
    hidden_columns: np.ndarray,
    public_rows: np.ndarray | None = None,
) -> TableSuppression | None:
    """Suppression of a groups x answers table whose margins other outputs show, or None to withhold it.

    ``hidden_rows`` / ``hidden_columns``: margins hidden elsewhere (group
    sizes, the question's one-way table). ``public_rows``: row totals known
    from elsewhere (a question's group n equal to the group's size, which
    the group sizes show); by default every row total not hidden elsewhere.
    Column totals and the grand total are always public (the one-way table).
    """
    hidden_rows = np.asarray(hidden_rows, dtype=bool)
    hidden_columns = np.asarray(hidden_columns, dtype=bool)
    result = suppress_groups(table, k, hidden_rows, hidden_columns)
    public_rows = ~hidden_rows if public_rows is None else np.asarray(public_rows, dtype=bool) & ~hidden_rows
    if (result.row_totals & public_rows).any() or (result.column_totals & ~hidden_columns).any() or result.total:
        return None
    return result


@dataclass(frozen=True)
class PublishedTable:
    """A table pooled so that every count follows from the published figures.

    ``table`` has the kept rows (then one pooled row, if any) and the kept
    columns (with the pooled columns merged into one, in place for ordinal
    answers, last otherwise). ``row_index``/``column_index`` give, per row
    and column of ``table``, the original indices it holds.
    """

    table: np.ndarray
    row_index: tuple[tuple[int, ...], ...]
    column_index: tuple[tuple[int, ...], ...]
    pooled_rows: tuple[int, ...]
    pooled_columns: tuple[int, ...]


def published_table(
    table: np.ndarray,
    supp: TableSuppression,
    *,
    ordinal: bool = False,
    drop_rows: tuple[int, ...] = (),
) -> PublishedTable:
    """Pool the rows and columns that hold hidden figures (see the module notes).

    Every hidden cell ends up in a pooled row or a pooled column; rows with a
    hidden total are pooled, and so are columns with a hidden total. For an
    ordinal scale the pooled columns are one contiguous span of points, so
    ranks keep their meaning. ``drop_rows`` (e.g. "not stated") are left out
    of the result when they are not pooled.
    """
    r, c = table.shape
    cells = supp.cells
    pool_rows = set(np.flatnonzero(supp.row_totals).tolist())
    pool_cols = set(np.flatnonzero(supp.column_totals).tolist())
    if ordinal:
        if pool_cols:
            pool_cols = set(range(min(pool_cols), max(pool_cols) + 1))
        for i in range(r):
            if any(cells[i, j] and j not in pool_cols for j in range(c)):
                pool_rows.add(i)
    else:
        uncovered = {(int(i), int(j)) for i, j in np.argwhere(cells) if i not in pool_rows and j not in pool_cols}
        row_sum = table.sum(axis=1)
        col_sum = table.sum(axis=0)
        while uncovered:
            by_row: dict[int, int] = {}
            by_col: dict[int, int] = {}
            for i, j in uncovered:
                by_row[i] = by_row.get(i, 0) + 1
                by_col[j] = by_col.get(j, 0) + 1
            # The line covering most hidden cells; among equals the one holding fewer respondents.
            best_row = max(by_row, key=lambda i: (by_row[i], -row_sum[i]))
            best_col = max(by_col, key=lambda j: (by_col[j], -col_sum[j]))
            if (by_row[best_row], -row_sum[best_row]) >= (by_col[best_col], -col_sum[best_col]):
                pool_rows.add(best_row)
            else:
                pool_cols.add(best_col)
            uncovered = {(i, j) for i, j in uncovered if i not in pool_rows and j not in pool_cols}
    kept_rows = [i for i in range(r) if i not in pool_rows and i not in drop_rows]
    row_index: list[tuple[int, ...]] = [(i,) for i in kept_rows]
    if pool_rows:
        row_index.append(tuple(sorted(pool_rows)))
    if ordinal and pool_cols:
        first = min(pool_cols)
        column_index = [(j,) for j in range(first)] + [tuple(sorted(pool_cols))] + \
            [(j,) for j in range(max(pool_cols) + 1, c)]
    else:
        column_index = [(j,) for j in range(c) if j not in pool_cols]
        if pool_cols:
            column_index.append(tuple(sorted(pool_cols)))
    pooled = np.array([[table[np.ix_(rows, cols)].sum() for cols in column_index] for rows in row_index],
                      dtype=np.int64).reshape(len(row_index), len(column_index))
    return PublishedTable(pooled, tuple(row_index), tuple(column_index), tuple(sorted(pool_rows)),
                          tuple(sorted(pool_cols)))
