"""Statistics for questionnaire results (the member-needs analysis).

Proportions with Wilson intervals, the chi-square test of a cross-table with
Cramér's V and Haberman's adjusted residuals, Kruskal-Wallis with an effect
size, ranking questions (mean rank, share ranked first, Borda score),
multiple-choice shares, importance-performance quadrants, and a priority
order that marks neighbours the data cannot tell apart.

Everything is vectorised over respondents, so an export of tens of thousands
of answers is summarised in milliseconds. Inputs are numpy arrays; results
are frozen dataclasses whose array fields follow the order of the input
(items, options, table rows and columns).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

import numpy as np
from scipy import stats

from scoring.types import ScoringInputError

__all__ = [
    "wilson_interval",
    "CrosstabResult",
    "crosstab_test",
    "KruskalResult",
    "kruskal_test",
    "RankingSummary",
    "ranking_summary",
    "ChoiceShares",
    "choice_shares",
    "Quadrant",
    "ImportancePerformance",
    "importance_performance",
    "PriorityOrder",
    "priority_order",
]


def _check_confidence(confidence: float) -> float:
    confidence = float(confidence)
    if not 0.0 < confidence < 1.0:
        raise ScoringInputError(f"confidence must lie strictly between 0 and 1, got {confidence!r}")
    return confidence


def _z(confidence: float) -> float:
    return float(stats.norm.ppf(0.5 + confidence / 2.0))


def _numbers(x, what: str) -> np.ndarray:
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ScoringInputError(f"{what}: values must be numbers ({exc})") from None
    return arr


# --------------------------------------------------------------------------- #
# Wilson interval
# --------------------------------------------------------------------------- #


def _wilson(k: np.ndarray, n: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Wilson bounds for already validated arrays; nan where n == 0."""
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        z2 = z * z
        denom = 1.0 + z2 / n
        centre = (p + z2 / (2.0 * n)) / denom
        half = z * np.sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n)) / denom
        low = np.clip(centre - half, 0.0, 1.0)
        high = np.clip(centre + half, 0.0, 1.0)
    # Exact ends: no successes cannot have a positive lower bound, and so on.
    low = np.where(k == 0, 0.0, low)
    high = np.where(k == n, 1.0, high)
    empty = n == 0
    return np.where(empty, np.nan, low), np.where(empty, np.nan, high)


def wilson_interval(k, n, confidence: float = 0.95):
    """Wilson score interval for a binomial proportion k/n (no continuity correction).

    Parameters
    ----------
    k, n : int or array_like
        Successes and trials; arrays broadcast against each other. Counts may
        be non-integer (weighted), but 0 <= k <= n must hold.
    confidence : float, optional
        Two-sided level, 0.95 by default.

    Returns
    -------
    (low, high)
        Floats for scalar input, arrays otherwise. ``(nan, nan)`` where n = 0.

    Notes
    -----
    With p = k/n and z the 1 - (1 - confidence)/2 normal quantile,

        (p + z^2/(2n) +/- z sqrt(p(1-p)/n + z^2/(4n^2))) / (1 + z^2/n).

    Unlike the Wald interval it never leaves [0, 1] and behaves well for
    p near 0 or 1 (Newcombe 1998, method 3).

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and
    statistical inference. JASA, 22(158), 209-212.
    Newcombe, R. G. (1998). Two-sided confidence intervals for the single
    proportion: comparison of seven methods. Statistics in Medicine, 17(8),
    857-872.

    Examples
    --------
    >>> [round(b, 4) for b in wilson_interval(81, 263)]
    [0.2553, 0.3662]
    """
    z = _z(_check_confidence(confidence))
    k_arr = _numbers(k, "wilson_interval k")
    n_arr = _numbers(n, "wilson_interval n")
    try:
        k_b, n_b = np.broadcast_arrays(k_arr, n_arr)
    except ValueError:
        raise ScoringInputError(
            f"wilson_interval: k has shape {k_arr.shape} and n has shape {n_arr.shape}; they do not broadcast"
        ) from None
    bad = ~np.isfinite(k_b) | ~np.isfinite(n_b) | (n_b < 0) | (k_b < 0) | (k_b > n_b)
    if bad.any():
        where = np.argwhere(bad)[0] if k_b.ndim else ()
        kv, nv = k_b[tuple(where)], n_b[tuple(where)]
        at = f" at index {tuple(int(i) for i in where)}" if k_b.ndim else ""
        raise ScoringInputError(
            f"wilson_interval: need 0 <= k <= n with finite counts; got k={kv:g}, n={nv:g}{at}"
        )
    low, high = _wilson(k_b, n_b, z)
    if k_b.ndim == 0:
        return float(low), float(high)
    return low, high


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
    arr = _numbers(table, "crosstab_test")
    if arr.ndim != 2:
        raise ScoringInputError(f"crosstab_test: expected a 2-D table of counts, got {arr.ndim}-D")
    bad = ~np.isfinite(arr) | (arr < 0)
    if bad.any():
        r, c = np.argwhere(bad)[0]
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
    expected_full = np.full(arr.shape, np.nan)
    residual_full = np.full(arr.shape, np.nan)
    sub = arr[np.ix_(rows_kept, cols_kept)]
    n = float(sub.sum())
    r, c = sub.shape
    if r < 2 or c < 2:
        return CrosstabResult(
            statistic=np.nan,
            dof=max(r - 1, 0) * max(c - 1, 0),
            pvalue=np.nan,
            cramers_v=np.nan,
            expected=expected_full,
            adjusted_residuals=residual_full,
            n=n,
            rows_kept=rows_kept,
            columns_kept=cols_kept,
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
    return CrosstabResult(
        statistic=statistic,
        dof=dof,
        pvalue=float(stats.chi2.sf(statistic, dof)),
        cramers_v=float(np.sqrt(statistic / (n * (min(r, c) - 1)))),
        expected=expected_full,
        adjusted_residuals=residual_full,
        n=n,
        rows_kept=rows_kept,
        columns_kept=cols_kept,
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
        arr = _numbers(g, f"kruskal_test group {label!r}").ravel()
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

    def empty(reason: str) -> KruskalResult:
        return KruskalResult(
            statistic=np.nan,
            dof=max(len(used) - 1, 0),
            pvalue=np.nan,
            epsilon_squared=np.nan,
            n=n,
            labels=labels,
            group_sizes=sizes,
            group_medians=medians,
            kept=kept,
            notes=tuple(notes),
            reason=reason,
        )

    if len(used) < 2:
        return empty(f"{len(used)} group(s) with data; the test needs at least 2")
    pooled = np.concatenate(used)
    if np.all(pooled == pooled[0]):
        return empty("every value is identical: ranks carry no information")
    h, p = stats.kruskal(*used)
    return KruskalResult(
        statistic=float(h),
        dof=len(used) - 1,
        pvalue=float(p),
        epsilon_squared=float(h) / (n - 1),
        n=n,
        labels=labels,
        group_sizes=sizes,
        group_medians=medians,
        kept=kept,
        notes=tuple(notes),
    )


# --------------------------------------------------------------------------- #
# priority order (used by the ranking summary and the needs report)
# --------------------------------------------------------------------------- #


@dataclass(frozen=True, eq=False)
class PriorityOrder:
    """Items ordered best first, with neighbours whose intervals overlap marked.

    ``order[i]`` is the input index of the item at place i (0 = top);
    ``place[j]`` is the 1-based place of input item j; ``overlaps_next[i]``
    is True when the items at places i and i+1 have overlapping intervals,
    i.e. the data cannot distinguish them ("not distinguishable").
    """

    order: np.ndarray
    place: np.ndarray
    overlaps_next: np.ndarray
    descending: bool


def priority_order(estimates, lows, highs, descending: bool = True) -> PriorityOrder:
    """Order items by estimate and mark adjacent pairs whose intervals overlap.

    Parameters
    ----------
    estimates, lows, highs : array_like, shape (n_items,)
        Point estimates and interval bounds (e.g. Borda scores and their
        95% intervals).
    descending : bool, optional
        True (default) when larger is better (Borda, shares); False when
        smaller is better (mean rank).

    Returns
    -------
    PriorityOrder
        ``order``, ``place`` and ``overlaps_next``.

    Notes
    -----
    Ties keep the input order (stable sort); items with a ``nan`` estimate
    come last. Two intervals [a, b] and [c, d] overlap when a <= d and
    c <= b; a ``nan`` bound counts as overlapping, since nothing shows the
    pair apart. This is a display rule, not a test: non-overlapping 95%
    intervals imply a difference significant well below 5%, while
    overlapping ones do not prove equality (Schenker & Gentleman, 2001), so
    "not distinguishable" errs on the cautious side.

    References
    ----------
    Schenker, N., & Gentleman, J. F. (2001). On judging the significance of
    differences by examining the overlap between confidence intervals. The
    American Statistician, 55(3), 182-186.

    Examples
    --------
    >>> res = priority_order([0.5, 0.9, 0.4], [0.4, 0.8, 0.3], [0.6, 1.0, 0.55])
    >>> res.order.tolist(), res.overlaps_next.tolist()
    ([1, 0, 2], [False, True])
    """
    est = _numbers(estimates, "priority_order estimates")
    low = _numbers(lows, "priority_order lows")
    high = _numbers(highs, "priority_order highs")
    if est.ndim != 1 or low.shape != est.shape or high.shape != est.shape:
        raise ScoringInputError(
            f"priority_order: estimates, lows and highs must be 1-D of one length; "
            f"got shapes {est.shape}, {low.shape}, {high.shape}"
        )
    inverted = low > high  # nan compares False, so nan bounds pass here
    if inverted.any():
        j = int(np.flatnonzero(inverted)[0])
        raise ScoringInputError(f"priority_order: item {j} has low {low[j]:g} above high {high[j]:g}")
    key = -est if descending else est
    order = np.argsort(key, kind="stable")  # nan sorts last
    place = np.empty(est.size, dtype=int)
    place[order] = np.arange(1, est.size + 1)
    lo, hi = low[order], high[order]
    separated = (lo[:-1] > hi[1:]) | (lo[1:] > hi[:-1])  # False when any bound is nan
    return PriorityOrder(order=order, place=place, overlaps_next=~separated, descending=descending)


# --------------------------------------------------------------------------- #
# ranking questions
# --------------------------------------------------------------------------- #


@dataclass(frozen=True, eq=False)
class RankingSummary:
    """Per-item statistics of a "rank your top N" question.

    All arrays have one entry per item (columns of the input), except
    ``rank_counts`` (items x top_n). Intervals are ``(low, high)`` pairs of
    arrays. ``n_respondents`` counts respondents who ranked at least one item
    (the base of shares and Borda means); ``n_blank`` those who ranked none.
    """

    n_respondents: int
    n_blank: int
    top_n: int
    confidence: float
    n_ranked: np.ndarray  #: respondents who ranked the item
    mean_rank: np.ndarray  #: mean rank among those who ranked it
    mean_rank_ci: tuple[np.ndarray, np.ndarray]  #: t interval
    first_count: np.ndarray  #: respondents who ranked the item first
    first_share: np.ndarray  #: first_count / n_respondents
    first_share_ci: tuple[np.ndarray, np.ndarray]  #: Wilson interval
    borda: np.ndarray  #: mean points, N + 1 - rank (0 if unranked)
    borda_ci: tuple[np.ndarray, np.ndarray]  #: normal-approximation interval
    rank_counts: np.ndarray  #: [item, r - 1] = respondents giving rank r

    def priority_order(self, by: str = "borda") -> PriorityOrder:
        """Items best first by ``"borda"`` (default), ``"first_share"`` or ``"mean_rank"``."""
        if by == "borda":
            return priority_order(self.borda, *self.borda_ci)
        if by == "first_share":
            return priority_order(self.first_share, *self.first_share_ci)
        if by == "mean_rank":
            return priority_order(self.mean_rank, *self.mean_rank_ci, descending=False)
        raise ScoringInputError(f"unknown ordering {by!r}; use 'borda', 'first_share' or 'mean_rank'")


def ranking_summary(ranks, top_n: int | None = None, confidence: float = 0.95) -> RankingSummary:
    """Summarise a ranking question: mean rank, share ranked first, Borda score.

    Parameters
    ----------
    ranks : array_like, shape (n_respondents, n_items)
        Rank given by each respondent to each item, 1 = first; ``nan`` where
        the respondent did not rank the item (they rank only their top N).
    top_n : int, optional
        N, the number of places to fill. Defaults to the largest rank given.
    confidence : float, optional
        Level of all intervals, 0.95 by default.

    Returns
    -------
    RankingSummary
        See the class; ``.priority_order()`` orders the items.

    Notes
    -----
    Let B be the respondents who ranked at least one item (n_B of them).

    - Mean rank of item j over the n_j respondents who ranked it, with the
      t interval mean +/- t(n_j - 1) s / sqrt(n_j). It describes the item
      among its supporters only; an item ranked by few can have a small mean
      rank, so order items by Borda score or first share instead.
    - Share ranked first: (#rank 1) / n_B with the Wilson interval.
    - Borda score: each respondent in B gives N + 1 - r points to the item
      ranked r and 0 to items not ranked; the score is the mean over B, with
      the normal-approximation interval mean +/- z s / sqrt(n_B).

    Validation: ranks must be whole numbers from 1 to N and no respondent
    may give the same rank twice (the error names the respondent's row).

    References
    ----------
    de Borda, J.-C. (1781). Mémoire sur les élections au scrutin. Histoire de
    l'Académie Royale des Sciences.
    Newcombe, R. G. (1998). Statistics in Medicine, 17(8), 857-872 (Wilson).

    Examples
    --------
    >>> nan = float("nan")
    >>> res = ranking_summary([[1, 2, nan], [2, 1, nan], [1, nan, 2]])
    >>> res.borda.round(3).tolist(), res.first_share.round(3).tolist()
    ([1.667, 1.0, 0.333], [0.667, 0.333, 0.0])
    """
    confidence = _check_confidence(confidence)
    arr = _numbers(ranks, "ranking_summary")
    if arr.ndim != 2:
        raise ScoringInputError(f"ranking_summary: expected respondents x items, got a {arr.ndim}-D array")
    n_rows, n_items = arr.shape
    ranked = ~np.isnan(arr)
    values = np.where(ranked, arr, 0.0)
    bad = ranked & (~np.isfinite(values) | (values < 1) | (values != np.round(values)))
    if bad.any():
        r, j = np.argwhere(bad)[0]
        raise ScoringInputError(
            f"ranking_summary: respondent {r}, item {j} has rank {arr[r, j]:g}; ranks are 1, 2, ..."
        )
    if not ranked.any():
        raise ScoringInputError("ranking_summary: no respondent ranked any item")
    largest = int(values.max())
    if top_n is None:
        top_n = largest
    top_n = int(top_n)
    if not 1 <= top_n <= n_items:
        raise ScoringInputError(f"ranking_summary: top_n must be between 1 and {n_items} items, got {top_n}")
    if largest > top_n:
        r, j = np.argwhere(values > top_n)[0]
        raise ScoringInputError(
            f"ranking_summary: respondent {r}, item {j} has rank {arr[r, j]:g} but only the top {top_n} are ranked"
        )
    sorted_rows = np.sort(arr, axis=1)  # nan last; nan == nan is False
    duplicate = sorted_rows[:, 1:] == sorted_rows[:, :-1]
    if duplicate.any():
        r, j = np.argwhere(duplicate)[0]
        raise ScoringInputError(f"ranking_summary: respondent {r} gives rank {sorted_rows[r, j]:g} to two items")

    answered = ranked.any(axis=1)
    base = int(answered.sum())
    z = _z(confidence)

    # Mean rank among those who ranked the item.
    n_ranked = ranked.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_rank = values.sum(axis=0) / n_ranked
        dev = np.where(ranked, values - mean_rank, 0.0)
        sd = np.sqrt((dev**2).sum(axis=0) / (n_ranked - 1))
        t = stats.t.ppf(0.5 + confidence / 2.0, np.maximum(n_ranked - 1, 1))
        half = np.where(n_ranked >= 2, t * sd / np.sqrt(n_ranked), np.nan)
    mean_rank = np.where(n_ranked > 0, mean_rank, np.nan)

    # Share ranked first.
    first_count = (values == 1).sum(axis=0)
    first_share = first_count / base
    first_ci = _wilson(first_count.astype(float), np.full(n_items, float(base)), z)

    # Borda points over the respondents who answered.
    points = np.where(ranked, top_n + 1.0 - values, 0.0)[answered]
    borda = points.mean(axis=0)
    if base >= 2:
        borda_half = z * points.std(axis=0, ddof=1) / np.sqrt(base)
    else:
        borda_half = np.full(n_items, np.nan)

    # Counts per rank position, without a loop over respondents.
    rows, cols = np.nonzero(ranked)
    flat = cols * top_n + (values[rows, cols].astype(int) - 1)
    rank_counts = np.bincount(flat, minlength=n_items * top_n).reshape(n_items, top_n)

    return RankingSummary(
        n_respondents=base,
        n_blank=n_rows - base,
        top_n=top_n,
        confidence=confidence,
        n_ranked=n_ranked,
        mean_rank=mean_rank,
        mean_rank_ci=(mean_rank - half, mean_rank + half),
        first_count=first_count,
        first_share=first_share,
        first_share_ci=first_ci,
        borda=borda,
        borda_ci=(borda - borda_half, borda + borda_half),
        rank_counts=rank_counts,
    )


# --------------------------------------------------------------------------- #
# multiple choice
# --------------------------------------------------------------------------- #


@dataclass(frozen=True, eq=False)
class ChoiceShares:
    """Shares of a multiple-choice ("tick all that apply") question, per option."""

    counts: np.ndarray  #: respondents who chose the option
    n_respondents: int
    n_mentions: float  #: all choices made; the base of mention shares
    respondent_share: np.ndarray  #: counts / n_respondents (sums to more than 1)
    respondent_share_ci: tuple[np.ndarray, np.ndarray]  #: Wilson interval
    mention_share: np.ndarray  #: counts / n_mentions (sums to 1)
    confidence: float


def choice_shares(selected, n_respondents: int | None = None, confidence: float = 0.95) -> ChoiceShares:
    """Respondent shares and mention shares of a multiple-choice question.

    Parameters
    ----------
    selected : array_like
        Either a respondents x options matrix of 0/1 (or bool), or a 1-D
        array of counts per option.
    n_respondents : int, optional
        Base of the respondent shares: required with counts; with a matrix it
        defaults to the number of rows (pass it when the matrix lists only
        respondents who ticked something but the base is everyone asked).
    confidence : float, optional
        Level of the Wilson intervals, 0.95 by default.

    Returns
    -------
    ChoiceShares
        ``respondent_share`` (with Wilson ``respondent_share_ci``) answers
        "what share of members want X"; ``mention_share`` answers "what share
        of all choices went to X".

    Notes
    -----
    respondent share = count / n_respondents; mention share = count /
    sum(counts). Only respondent shares get an interval: mentions by the same
    respondent are not independent, so a binomial interval would be wrong.

    Examples
    --------
    >>> res = choice_shares([[1, 0, 1], [1, 1, 0], [0, 0, 0], [1, 0, 0]])
    >>> res.respondent_share.tolist(), res.mention_share.tolist()
    ([0.75, 0.25, 0.25], [0.6, 0.2, 0.2])
    """
    confidence = _check_confidence(confidence)
    arr = _numbers(selected, "choice_shares")
    if arr.ndim == 2:
        bad = ~np.isin(arr, (0.0, 1.0))
        if bad.any():
            r, j = np.argwhere(bad)[0]
            raise ScoringInputError(f"choice_shares: respondent {r}, option {j} is {arr[r, j]:g}; use 0/1")
        counts = arr.sum(axis=0)
        base = arr.shape[0] if n_respondents is None else int(n_respondents)
    elif arr.ndim == 1:
        bad = ~np.isfinite(arr) | (arr < 0)
        if bad.any():
            j = int(np.flatnonzero(bad)[0])
            raise ScoringInputError(f"choice_shares: option {j} has count {arr[j]:g}; counts must be >= 0")
        if n_respondents is None:
            raise ScoringInputError("choice_shares: counts per option need n_respondents, the base of the shares")
        counts = arr
        base = int(n_respondents)
    else:
        raise ScoringInputError(
            f"choice_shares: expected counts (1-D) or respondents x options (2-D), got {arr.ndim}-D"
        )
    if base < 0:
        raise ScoringInputError(f"choice_shares: n_respondents must be >= 0, got {base}")
    over = counts > base
    if over.any():
        j = int(np.flatnonzero(over)[0])
        raise ScoringInputError(
            f"choice_shares: option {j} was chosen {counts[j]:g} times by only {base} respondents"
        )
    mentions = float(counts.sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        respondent_share = counts / base if base else np.full(counts.shape, np.nan)
        mention_share = counts / mentions if mentions else np.full(counts.shape, np.nan)
    ci = _wilson(counts, np.full(counts.shape, float(base)), _z(confidence))
    return ChoiceShares(
        counts=counts,
        n_respondents=base,
        n_mentions=mentions,
        respondent_share=respondent_share,
        respondent_share_ci=ci,
        mention_share=mention_share,
        confidence=confidence,
    )


# --------------------------------------------------------------------------- #
# importance-performance analysis
# --------------------------------------------------------------------------- #


class Quadrant(str, Enum):
    """Martilla & James (1977) quadrants of the importance-performance grid."""

    CONCENTRATE_HERE = "concentrate here"  #: important, performing below par
    KEEP_UP_THE_GOOD_WORK = "keep up the good work"  #: important, performing well
    LOW_PRIORITY = "low priority"  #: less important, performing below par
    POSSIBLE_OVERKILL = "possible overkill"  #: less important, performing well


@dataclass(frozen=True, eq=False)
class ImportancePerformance:
    """Quadrant of each item; ``None`` where an item's importance or performance is nan."""

    importance: np.ndarray
    performance: np.ndarray
    importance_cross: float
    performance_cross: float
    quadrants: tuple[Quadrant | None, ...]

    def items_in(self, quadrant: Quadrant) -> np.ndarray:
        """Input indices of the items in ``quadrant``."""
        return np.array([i for i, q in enumerate(self.quadrants) if q == quadrant], dtype=int)


def importance_performance(
    importance,
    performance,
    importance_cross: float | None = None,
    performance_cross: float | None = None,
) -> ImportancePerformance:
    """Importance-performance analysis: place each item in a quadrant.

    Parameters
    ----------
    importance, performance : array_like, shape (n_items,)
        Mean importance and mean performance (satisfaction) of each item on
        the same kind of scale.
    importance_cross, performance_cross : float, optional
        Cross-hairs. By default the grand means: the mean of the item means
        (items with ``nan`` left out).

    Returns
    -------
    ImportancePerformance
        ``quadrants`` (one :class:`Quadrant` per item) and the cross-hairs used.

    Notes
    -----
    Following Martilla & James (1977), importance is the vertical axis and
    performance the horizontal one:

    =====================  ==============================  =====================
    importance             performance below cross-hair    at or above
    =====================  ==============================  =====================
    at or above            concentrate here                keep up the good work
    below                  low priority                    possible overkill
    =====================  ==============================  =====================

    A value exactly on a cross-hair counts as high. Martilla & James place
    the cross-hairs by judgement; the grand means (data-centred cross-hairs)
    are the common default, and given values (e.g. the scale midpoint) can
    be passed instead.

    References
    ----------
    Martilla, J. A., & James, J. C. (1977). Importance-performance analysis.
    Journal of Marketing, 41(1), 77-79.

    Examples
    --------
    >>> res = importance_performance([4.5, 4.4, 3.0, 3.1], [3.0, 4.2, 2.9, 4.5])
    >>> [q.value for q in res.quadrants]
    ['concentrate here', 'keep up the good work', 'low priority', 'possible overkill']
    """
    imp = _numbers(importance, "importance_performance importance")
    perf = _numbers(performance, "importance_performance performance")
    if imp.ndim != 1 or perf.shape != imp.shape:
        raise ScoringInputError(
            f"importance_performance: importance and performance must be 1-D of one length; "
            f"got shapes {imp.shape} and {perf.shape}"
        )
    if np.isinf(imp).any() or np.isinf(perf).any():
        j = int(np.flatnonzero(np.isinf(imp) | np.isinf(perf))[0])
        raise ScoringInputError(f"importance_performance: item {j} has an infinite value")
    both = ~np.isnan(imp) & ~np.isnan(perf)
    if importance_cross is None or performance_cross is None:
        if not both.any():
            raise ScoringInputError("importance_performance: no item has both importance and performance")
    i_cross = float(imp[both].mean()) if importance_cross is None else float(importance_cross)
    p_cross = float(perf[both].mean()) if performance_cross is None else float(performance_cross)
    high_i = imp >= i_cross
    high_p = perf >= p_cross
    table = {
        (True, False): Quadrant.CONCENTRATE_HERE,
        (True, True): Quadrant.KEEP_UP_THE_GOOD_WORK,
        (False, False): Quadrant.LOW_PRIORITY,
        (False, True): Quadrant.POSSIBLE_OVERKILL,
    }
    quadrants = tuple(
        table[(bool(hi), bool(hp))] if ok else None for hi, hp, ok in zip(high_i, high_p, both)
    )
    return ImportancePerformance(
        importance=imp,
        performance=perf,
        importance_cross=i_cross,
        performance_cross=p_cross,
        quadrants=quadrants,
    )
