"""Significance tests: chi-square of a cross-table (with Cramér's V and
adjusted residuals) and Kruskal-Wallis across groups (with epsilon-squared)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np
from scipy import stats

from scoring._validate import as_numbers, check_confidence, first_cell
from scoring.survey.proportions import _z
from scoring.types import ScoringInputError

__all__ = ["CrosstabResult", "crosstab_test", "KruskalResult", "kruskal_test", "kruskal_from_counts"]


# --------------------------------------------------------------------------- #
# chi-square test of a cross-table
# --------------------------------------------------------------------------- #


@dataclass(frozen=True, eq=False)
class CrosstabResult:
    """Pearson chi-square test of independence, Cramér's V and adjusted residuals.

    ``expected`` and ``adjusted_residuals`` have the shape of the input table;
    rows or columns that were dropped (all zero) hold ``nan`` there, and
    ``rows_kept`` / ``columns_kept`` say which ones took part.
    ``significant_cells`` marks the cells whose adjusted residual lies beyond
    +/- ``residual_threshold`` (1.96 at 95%): the cells that drive a
    difference; the sign of the residual says whether the cell is over- or
    under-represented.
    """

    statistic: float
    dof: int
    pvalue: float
    cramers_v: float
    expected: np.ndarray
    adjusted_residuals: np.ndarray
    n: float
    rows_kept: np.ndarray
    columns_kept: np.ndarray
    notes: tuple[str, ...] = ()
    reason: str | None = None
    significant_cells: np.ndarray | None = None  #: |adjusted residual| > residual_threshold
    residual_threshold: float = 1.959963984540054


def crosstab_test(table, confidence: float = 0.95) -> CrosstabResult:
    """Chi-square test of independence for an r x c table of counts.

    Parameters
    ----------
    table : array_like, shape (r, c)
        Non-negative counts (weighted counts allowed). Rows and columns that
        are entirely zero are dropped, with a note.
    confidence : float, optional
        Sets the residual threshold: the two-sided normal quantile, 1.96
        for 0.95 (the default).

    Returns
    -------
    CrosstabResult
        ``statistic``, ``dof``, ``pvalue``, ``cramers_v``, ``expected``,
        ``adjusted_residuals``, ``significant_cells``, ``n``; ``notes`` (dropped rows/columns, small
        expected counts) and ``reason`` when the test cannot be made (fewer
        than 2 rows or columns left): then the numbers are ``nan``.

    Notes
    -----
    E_ij = r_i c_j / n;  X^2 = sum (O_ij - E_ij)^2 / E_ij on (r-1)(c-1)
    degrees of freedom, without continuity correction;
    V = sqrt(X^2 / (n (min(r, c) - 1))); Haberman's adjusted residual

        d_ij = (O_ij - E_ij) / sqrt(E_ij (1 - r_i/n) (1 - c_j/n)),

    approximately standard normal under independence, so |d| > 1.96 flags
    a cell that departs from independence at the 5% level (Agresti 2007,
    section 2.4.5). The flag is per cell, not corrected for the number of
    cells: read it as "where the difference lies" once the overall test is
    significant, not as a test of its own.

    References
    ----------
    Haberman, S. J. (1973). The analysis of residuals in cross-classified
    tables. Biometrics, 29(1), 205-220.
    Agresti, A. (2007). An Introduction to Categorical Data Analysis (2nd
    ed.), sections 2.4.3-2.4.5. Wiley.
    Cramér, H. (1946). Mathematical Methods of Statistics, p. 282.

    Examples
    --------
    Agresti (2007), Table 2.5: party identification by gender.

    >>> res = crosstab_test([[762, 327, 468], [484, 239, 477]])
    >>> round(res.statistic, 1), res.dof, round(float(res.adjusted_residuals[0, 0]), 2)
    (30.1, 2, 4.5)
    >>> res.significant_cells.tolist()
    [[True, False, True], [True, False, True]]
    """
    threshold = _z(check_confidence(confidence))
    arr = as_numbers(table, "crosstab_test")
    if arr.ndim != 2:
        raise ScoringInputError(f"crosstab_test: expected a 2-D table of counts, got {arr.ndim}-D")
    bad = ~np.isfinite(arr) | (arr < 0)
    if bad.any():
        r, c = first_cell(bad)
        raise ScoringInputError(
            f"crosstab_test: cell (row {r}, column {c}) is {arr[r, c]:g}; counts must be finite and >= 0"
        )
    rows_kept = arr.sum(axis=1) > 0
    cols_kept = arr.sum(axis=0) > 0
    notes: list[str] = []
    if not rows_kept.all():
        notes.append(f"dropped all-zero rows {np.flatnonzero(~rows_kept).tolist()}")
    if not cols_kept.all():
        notes.append(f"dropped all-zero columns {np.flatnonzero(~cols_kept).tolist()}")
    sub = arr[np.ix_(rows_kept, cols_kept)]
    n = float(sub.sum())
    r, c = sub.shape
    expected_full = np.full(arr.shape, np.nan)  # the kept cells are filled in below
    residual_full = np.full(arr.shape, np.nan)
    significant = np.zeros(arr.shape, dtype=bool)  # filled below; nan residuals stay unmarked
    result = partial(
        CrosstabResult,
        expected=expected_full,
        adjusted_residuals=residual_full,
        n=n,
        rows_kept=rows_kept,
        columns_kept=cols_kept,
        significant_cells=significant,
        residual_threshold=threshold,
    )
    if r < 2 or c < 2:
        return result(
            statistic=np.nan,
            dof=max(r - 1, 0) * max(c - 1, 0),
            pvalue=np.nan,
            cramers_v=np.nan,
            notes=tuple(notes),
            reason=f"after dropping empty rows and columns the table is {r} x {c}; a test needs at least 2 x 2",
        )
    row_tot = sub.sum(axis=1, keepdims=True)
    col_tot = sub.sum(axis=0, keepdims=True)
    expected = row_tot * col_tot / n
    statistic = float(((sub - expected) ** 2 / expected).sum())
    dof = (r - 1) * (c - 1)
    adjusted = (sub - expected) / np.sqrt(expected * (1.0 - row_tot / n) * (1.0 - col_tot / n))
    small = expected < 5.0
    if small.any():
        notes.append(
            f"{int(small.sum())} of {small.size} cells ({100.0 * small.mean():.0f}%) have expected count below 5 "
            f"(smallest {expected.min():.2f}); the chi-square approximation may be poor"
        )
    expected_full[np.ix_(rows_kept, cols_kept)] = expected
    residual_full[np.ix_(rows_kept, cols_kept)] = adjusted
    significant[...] = np.abs(np.nan_to_num(residual_full)) > threshold
    return result(
        statistic=statistic,
        dof=dof,
        pvalue=float(stats.chi2.sf(statistic, dof)),
        cramers_v=float(np.sqrt(statistic / (n * (min(r, c) - 1)))),
        notes=tuple(notes),
    )


# --------------------------------------------------------------------------- #
# Kruskal-Wallis
# --------------------------------------------------------------------------- #


@dataclass(frozen=True, eq=False)
class KruskalResult:
    """Kruskal-Wallis H test with epsilon-squared; per-group sizes and medians.

    ``labels``, ``group_sizes``, ``group_medians`` and ``kept`` follow the
    input groups; an empty group has size 0, median ``nan`` and is not kept.
    """

    statistic: float
    dof: int
    pvalue: float
    epsilon_squared: float
    n: int  #: values in the kept groups
    labels: tuple[str, ...]
    group_sizes: np.ndarray
    group_medians: np.ndarray
    kept: np.ndarray
    notes: tuple[str, ...] = ()
    reason: str | None = None


def kruskal_test(groups: Mapping[str, object] | Sequence[object]) -> KruskalResult:
    """Kruskal-Wallis H test across groups, with epsilon-squared effect size.

    Parameters
    ----------
    groups : mapping of label to 1-D array, or sequence of 1-D arrays
        Values (e.g. Likert answers) per group. ``nan`` values are left out
        (with a note); groups left with no value are dropped (with a note).

    Returns
    -------
    KruskalResult
        ``statistic`` (H, tie-corrected as in :func:`scipy.stats.kruskal`),
        ``dof`` (groups kept - 1), ``pvalue``, ``epsilon_squared``, ``n``,
        per-group ``group_sizes`` and ``group_medians``. ``nan`` with a
        ``reason`` when fewer than two groups have data or every value is
        identical.

    Notes
    -----
    Epsilon-squared, the rank-based share of variance explained:

        E^2_R = H / ((n^2 - 1) / (n + 1)) = H / (n - 1).

    References
    ----------
    Kruskal, W. H., & Wallis, W. A. (1952). Use of ranks in one-criterion
    variance analysis. JASA, 47(260), 583-621.
    Tomczak, M., & Tomczak, E. (2014). The need to report effect size
    estimates revisited. Trends in Sport Sciences, 21(1), 19-25.

    Examples
    --------
    >>> res = kruskal_test({"a": [1, 2, 3], "b": [4, 5, 6], "c": []})
    >>> res.dof, res.group_sizes.tolist(), res.notes
    (1, [3, 3, 0], ("dropped empty group 'c'",))
    """
    if isinstance(groups, Mapping):
        labels = tuple(str(key) for key in groups)
        raw = list(groups.values())
    elif isinstance(groups, Sequence) and not isinstance(groups, (str, bytes)):
        labels = tuple(str(i) for i in range(len(groups)))
        raw = list(groups)
    else:
        raise ScoringInputError(
            "kruskal_test: groups must be a mapping of label to values or a sequence of arrays"
        )
    notes: list[str] = []
    values: list[np.ndarray] = []
    for label, g in zip(labels, raw):
        arr = as_numbers(g, f"kruskal_test group {label!r}").ravel()
        if np.isinf(arr).any():
            raise ScoringInputError(f"kruskal_test: group {label!r} has an infinite value")
        missing = np.isnan(arr)
        if missing.any():
            notes.append(f"left out {int(missing.sum())} missing values in group {label!r}")
            arr = arr[~missing]
        values.append(arr)
    sizes = np.array([v.size for v in values], dtype=int)
    medians = np.array([np.median(v) if v.size else np.nan for v in values])
    kept = sizes > 0
    for label, keep in zip(labels, kept):
        if not keep:
            notes.append(f"dropped empty group {label!r}")
    used = [v for v, keep in zip(values, kept) if keep]
    n = int(sizes[kept].sum())

    result = partial(
        KruskalResult,
        dof=max(len(used) - 1, 0),
        n=n,
        labels=labels,
        group_sizes=sizes,
        group_medians=medians,
        kept=kept,
        notes=tuple(notes),
    )

    def undefined(reason: str) -> KruskalResult:
        return result(statistic=np.nan, pvalue=np.nan, epsilon_squared=np.nan, reason=reason)

    if len(used) < 2:
        return undefined(f"{len(used)} group(s) with data; the test needs at least 2")
    pooled = np.concatenate(used)
    if np.all(pooled == pooled[0]):
        return undefined("every value is identical: ranks carry no information")
    h, p = stats.kruskal(*used)
    return result(statistic=float(h), pvalue=float(p), epsilon_squared=float(h) / (n - 1))


def kruskal_from_counts(counts, labels: Sequence[str] | None = None) -> KruskalResult:
    """Kruskal-Wallis H test from a groups x ordered-categories table of counts.

    Parameters
    ----------
    counts : array_like, shape (n_groups, n_categories)
        How many members of each group gave each answer, the answers in
        scale order (e.g. :func:`~scoring.survey.cross_table` of a
        demographic question and a rating). Empty groups are dropped (with a
        note).
    labels : sequence of str, optional
        Group names; "0", "1", ... by default.

    Returns
    -------
    KruskalResult
        The same numbers :func:`kruskal_test` gives on the expanded answers
        (``group_medians`` are category indices, 0-based, or the midpoint of
        two), computed in time proportional to the table, not the
        respondents: a million ratings are a 20 x 5 table.

    Notes
    -----
    Every answer in category j shares the midrank r_j = C_{j-1} + (t_j + 1)/2
    (t_j answers in the category, C_{j-1} in the categories below). With
    group rank sums R_g = sum_j n_gj r_j and N answers,

        H = [12 / (N (N + 1)) sum_g R_g^2 / n_g - 3 (N + 1)]
            / [1 - sum_j (t_j^3 - t_j) / (N^3 - N)],

    the tie-corrected statistic of :func:`scipy.stats.kruskal`, on
    n_groups - 1 degrees of freedom.

    References
    ----------
    Kruskal, W. H., & Wallis, W. A. (1952). JASA, 47(260), 583-621.

    Examples
    --------
    >>> res = kruskal_from_counts([[1, 2, 0], [0, 1, 2]])
    >>> round(res.statistic, 4), res.dof, res.group_medians.tolist()
    (2.7222, 1, [1.0, 2.0])
    """
    arr = as_numbers(counts, "kruskal_from_counts")
    if arr.ndim != 2:
        raise ScoringInputError(f"kruskal_from_counts: expected groups x categories (2-D), got {arr.ndim}-D")
    bad = ~np.isfinite(arr) | (arr < 0) | (arr != np.floor(arr))
    if bad.any():
        g, j = first_cell(bad)
        raise ScoringInputError(
            f"kruskal_from_counts: group {g}, category {j} has {arr[g, j]:g}; counts must be whole numbers >= 0"
        )
    n_groups = arr.shape[0]
    if labels is None:
        labels = tuple(str(i) for i in range(n_groups))
    else:
        labels = tuple(str(label) for label in labels)
        if len(labels) != n_groups:
            raise ScoringInputError(f"kruskal_from_counts: {len(labels)} labels for {n_groups} groups")
    sizes = arr.sum(axis=1)
    kept = sizes > 0
    notes = tuple(f"dropped empty group {label!r}" for label, keep in zip(labels, kept) if not keep)
    cum = np.cumsum(arr, axis=1)
    medians = np.full(n_groups, np.nan)
    for g in np.flatnonzero(kept):  # one per group
        size = int(sizes[g])
        lower = np.searchsorted(cum[g], (size + 1) // 2, side="left")
        upper = np.searchsorted(cum[g], size // 2 + 1, side="left")
        medians[g] = lower if size % 2 else (lower + upper) / 2.0
    used = arr[kept]
    n = int(used.sum())
    result = partial(
        KruskalResult,
        dof=max(int(kept.sum()) - 1, 0),
        n=n,
        labels=labels,
        group_sizes=sizes.astype(int),
        group_medians=medians,
        kept=kept,
        notes=notes,
    )
    if used.shape[0] < 2:
        return result(
            statistic=np.nan, pvalue=np.nan, epsilon_squared=np.nan,
            reason=f"{used.shape[0]} group(s) with data; the test needs at least 2",
        )
    ties = used.sum(axis=0)
    if np.count_nonzero(ties) < 2:
        return result(
            statistic=np.nan, pvalue=np.nan, epsilon_squared=np.nan,
            reason="every value is identical: ranks carry no information",
        )
    below = np.cumsum(ties) - ties
    midrank = below + (ties + 1.0) / 2.0
    rank_sums = used @ midrank
    big_n = float(n)
    h = 12.0 / (big_n * (big_n + 1.0)) * float((rank_sums**2 / used.sum(axis=1)).sum()) - 3.0 * (big_n + 1.0)
    h /= 1.0 - float((ties**3 - ties).sum()) / (big_n**3 - big_n)
    dof = used.shape[0] - 1
    return result(statistic=h, pvalue=float(stats.chi2.sf(h, dof)), epsilon_squared=h / (n - 1))
