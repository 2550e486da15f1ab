"""Significance tests: chi-square of a cross-table (with Cramér's V and
adjusted residuals) and Kruskal-Wallis across groups (with epsilon-squared)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np
from scipy import stats

from scoring._validate import as_numbers, first_cell
from scoring.types import ScoringInputError

__all__ = ["CrosstabResult", "crosstab_test", "KruskalResult", "kruskal_test"]


# --------------------------------------------------------------------------- #
# chi-square test of a cross-table
# --------------------------------------------------------------------------- #


@dataclass(frozen=True, eq=False)
class CrosstabResult:
    """Pearson chi-square test of independence, Cramér's V and adjusted residuals.

    ``expected`` and ``adjusted_residuals`` have the shape of the input table;
    rows or columns that were dropped (all zero) hold ``nan`` there, and
    ``rows_kept`` / ``columns_kept`` say which ones took part.
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


def crosstab_test(table) -> CrosstabResult:
    """Chi-square test of independence for an r x c table of counts.

    Parameters
    ----------
    table : array_like, shape (r, c)
        Non-negative counts (weighted counts allowed). Rows and columns that
        are entirely zero are dropped, with a note.

    Returns
    -------
    CrosstabResult
        ``statistic``, ``dof``, ``pvalue``, ``cramers_v``, ``expected``,
        ``adjusted_residuals``, ``n``; ``notes`` (dropped rows/columns, small
        expected counts) and ``reason`` when the test cannot be made (fewer
        than 2 rows or columns left): then the numbers are ``nan``.

    Notes
    -----
    E_ij = r_i c_j / n;  X^2 = sum (O_ij - E_ij)^2 / E_ij on (r-1)(c-1)
    degrees of freedom, without continuity correction;
    V = sqrt(X^2 / (n (min(r, c) - 1))); Haberman's adjusted residual

        d_ij = (O_ij - E_ij) / sqrt(E_ij (1 - r_i/n) (1 - c_j/n)),

    approximately standard normal under independence, so |d| > 2 flags a
    cell that departs from independence (Agresti 2007, section 2.4.5).

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
    """
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
    result = partial(
        CrosstabResult,
        expected=expected_full,
        adjusted_residuals=residual_full,
        n=n,
        rows_kept=rows_kept,
        columns_kept=cols_kept,
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
