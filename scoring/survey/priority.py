"""Needs priority: one ranking of need items (or wanted services) with
intervals, and a paired test that marks neighbours the data cannot tell apart."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from scoring._validate import as_numbers, check_confidence, first_cell
from scoring.survey.proportions import _wilson, _z
from scoring.survey.rankings import PriorityOrder, _check_ranks, priority_order
from scoring.types import ScoringInputError

__all__ = [
    "borda_points",
    "mcnemar_midp",
    "paired_difference_interval",
    "holm_adjust",
    "NeedsPriority",
    "needs_priority",
]

_ADJUSTMENTS = ("holm", "none")


# --------------------------------------------------------------------------- #
# per-respondent scores
# --------------------------------------------------------------------------- #


def borda_points(ranks, top_n: int | None = None) -> np.ndarray:
    """Each respondent's Borda points per item, the input of :func:`needs_priority` for a ranking question.

    Parameters
    ----------
    ranks : array_like, shape (n_respondents, n_items)
        As in :func:`~scoring.survey.ranking_summary`: 1 = first, ``nan``
        where not ranked.
    top_n : int, optional
        N, the places to fill; the largest rank given by default.

    Returns
    -------
    numpy.ndarray, shape (n_respondents, n_items)
        N + 1 - rank for a ranked item, 0 for an item the respondent left
        out, and ``nan`` across the row of a respondent who ranked nothing
        (they did not answer, so they are not in any item's base). Column
        means are the Borda scores of :func:`~scoring.survey.ranking_summary`.

    Examples
    --------
    >>> nan = float("nan")
    >>> borda_points([[1, 2, nan], [nan, nan, nan], [2, nan, 1]]).tolist()
    [[2.0, 1.0, 0.0], [nan, nan, nan], [1.0, 0.0, 2.0]]
    """
    _, values, ranked, top_n, per_row = _check_ranks(ranks, top_n, "borda_points")
    points = np.where(ranked, top_n + 1.0 - values, 0.0)
    points[per_row == 0] = np.nan
    return points


# --------------------------------------------------------------------------- #
# paired comparisons of two items
# --------------------------------------------------------------------------- #


def mcnemar_midp(b, c):
    """Two-sided McNemar mid-p value from the discordant counts b and c.

    Parameters
    ----------
    b, c : int or array_like
        Respondents who chose the first item but not the second (b), and
        the second but not the first (c). Arrays broadcast.

    Returns
    -------
    float or numpy.ndarray
        1 where b + c = 0 (no discordant pair: no evidence of a difference).

    Notes
    -----
    Under "both items are chosen equally often", b given b + c is
    Binomial(b + c, 1/2). The exact conditional p value is
    2 P(B <= min(b, c)); the mid-p value counts the observed outcome half:

        p_mid = 2 [P(B <= min(b, c)) - P(B = min(b, c)) / 2],

    capped at 1. Fagerland, Lydersen & Laake (2013) show the exact
    conditional test is very conservative and recommend the mid-p test: its
    type I error stays at or below the nominal level in practice while its
    power is close to the asymptotic McNemar test.

    References
    ----------
    McNemar, Q. (1947). Note on the sampling error of the difference between
    correlated proportions or percentages. Psychometrika, 12(2), 153-157.
    Fagerland, M. W., Lydersen, S., & Laake, P. (2013). The McNemar test for
    binary matched-pairs data: mid-p and asymptotic are better than exact
    conditional. BMC Medical Research Methodology, 13, 91.

    Examples
    --------
    Cavo et al. (2012), from Fagerland et al. (2017), chapter 8: b = 6, c = 16.

    >>> round(mcnemar_midp(6, 16), 6)
    0.03469
    """
    b_arr = np.asarray(b, dtype=float)
    c_arr = np.asarray(c, dtype=float)
    m = b_arr + c_arr
    small = np.minimum(b_arr, c_arr)
    with np.errstate(invalid="ignore"):
        p = 2.0 * (stats.binom.cdf(small, m, 0.5) - 0.5 * stats.binom.pmf(small, m, 0.5))
    p = np.where((m > 0) & (b_arr != c_arr), np.minimum(p, 1.0), 1.0)  # b = c: exactly 1, not 1 - rounding
    return float(p) if p.ndim == 0 else p


def paired_difference_interval(a, b, c, d, confidence: float = 0.95):
    """Newcombe's interval for the difference of two paired proportions.

    Parameters
    ----------
    a, b, c, d : int or array_like
        The paired 2 x 2 table: a = chose both items, b = the first only,
        c = the second only, d = neither. Arrays broadcast.
    confidence : float, optional
        0.95 by default.

    Returns
    -------
    (low, high)
        Bounds for p1 - p2 = (b - c) / n; ``nan`` where n = 0.

    Notes
    -----
    Newcombe's (1998) method 10, "square and add" of the two Wilson
    intervals (l1, u1) of p1 = (a + b)/n and (l2, u2) of p2 = (a + c)/n,
    corrected for the correlation of the pair:

        low  = D - sqrt((p1 - l1)^2 + (u2 - p2)^2 - 2 psi (p1 - l1)(u2 - p2))
        high = D + sqrt((p2 - l2)^2 + (u1 - p1)^2 - 2 psi (p2 - l2)(u1 - p1))

    with psi = (A - n/2) / sqrt(prod) if A = ad - bc > n/2, 0 if
    0 <= A <= n/2, A / sqrt(prod) if A < 0, prod the product of the four
    margins (psi = 0 if any is 0). Unlike the Wald interval it stays inside
    [-1, 1] and behaves at 0 and 1.

    References
    ----------
    Newcombe, R. G. (1998). Improved confidence intervals for the difference
    between binomial proportions based on paired data. Statistics in
    Medicine, 17(22), 2635-2650.
    Fagerland, M. W., Lydersen, S., & Laake, P. (2017). Statistical Analysis
    of Contingency Tables, section 8.5. CRC Press.

    Examples
    --------
    Cavo et al. (2012): Fagerland et al. (2017) print -0.1186 to -0.0046.

    >>> [round(v, 4) for v in paired_difference_interval(59, 6, 16, 80)]
    [-0.1186, -0.0046]
    """
    z = _z(check_confidence(confidence))
    a, b, c, d = (np.asarray(v, dtype=float) for v in (a, b, c, d))
    a, b, c, d = np.broadcast_arrays(a, b, c, d)
    if ((a < 0) | (b < 0) | (c < 0) | (d < 0)).any():
        raise ScoringInputError("paired_difference_interval: counts a, b, c, d must be >= 0")
    n = a + b + c + d
    first, second = a + b, a + c
    l1, u1 = _wilson(first, n, z)
    l2, u2 = _wilson(second, n, z)
    with np.errstate(invalid="ignore", divide="ignore"):
        p1, p2 = first / n, second / n
        prod = first * (c + d) * second * (b + d)
        cross = a * d - b * c
        psi = np.where(cross > n / 2.0, (cross - n / 2.0) / np.sqrt(prod), np.where(cross < 0, cross / np.sqrt(prod), 0.0))
        psi = np.where(prod > 0, psi, 0.0)
        diff = p1 - p2
        low = diff - np.sqrt(np.maximum((p1 - l1) ** 2 + (u2 - p2) ** 2 - 2 * psi * (p1 - l1) * (u2 - p2), 0.0))
        high = diff + np.sqrt(np.maximum((p2 - l2) ** 2 + (u1 - p1) ** 2 - 2 * psi * (p2 - l2) * (u1 - p1), 0.0))
    low = np.where(n > 0, low, np.nan)
    high = np.where(n > 0, high, np.nan)
    if low.ndim == 0:
        return float(low), float(high)
    return low, high


def holm_adjust(pvalues) -> np.ndarray:
    """Holm's step-down adjusted p values; ``nan`` entries stay ``nan`` and do not count.

    Notes
    -----
    With the m finite p values sorted ascending p_(1) <= ... <= p_(m), the
    adjusted value of p_(i) is max over j <= i of min(1, (m - j + 1) p_(j)).
    Rejecting where the adjusted value is below alpha controls the chance of
    any false rejection at alpha (strong family-wise control), with no
    assumption about how the tests depend on each other.

    References
    ----------
    Holm, S. (1979). A simple sequentially rejective multiple test
    procedure. Scandinavian Journal of Statistics, 6(2), 65-70.

    Examples
    --------
    >>> holm_adjust([0.01, 0.04, 0.03, float("nan")]).tolist()
    [0.03, 0.06, 0.06, nan]
    """
    p = as_numbers(pvalues, "holm_adjust").ravel()
    finite = ~np.isnan(p)
    m = int(finite.sum())
    out = np.full(p.shape, np.nan)
    if m:
        idx = np.flatnonzero(finite)
        order = idx[np.argsort(p[idx], kind="stable")]
        stepped = np.maximum.accumulate(p[order] * (m - np.arange(m)))
        out[order] = np.minimum(stepped, 1.0)
    return out


# --------------------------------------------------------------------------- #
# needs priority
# --------------------------------------------------------------------------- #


@dataclass(frozen=True, eq=False)
class NeedsPriority:
    """One ranking of need items with intervals and paired neighbour tests.

    Per-item arrays (``estimate``, ``ci``, ``n``, ``place``) follow the
    input columns. Per-neighbour arrays (``*_next``) follow the ranking:
    entry i compares the items at places i + 1 and i + 2 (``order[i]`` and
    ``order[i + 1]``), so they have one entry fewer than there are items.
    """

    estimate: np.ndarray  #: column means: respondent shares (0/1) or mean points
    ci: tuple[np.ndarray, np.ndarray]  #: Wilson (0/1 scores) or t interval per item
    n: np.ndarray  #: respondents with a score for the item
    order: np.ndarray  #: input index of the item at each place, best first
    place: np.ndarray  #: 1-based place of each input item
    binary: bool
    test: str  #: "McNemar mid-p" (0/1 scores) or "paired t"
    adjust: str  #: "holm" or "none"
    confidence: float
    n_pairs_next: np.ndarray  #: respondents with scores for both neighbours
    difference_next: np.ndarray  #: upper minus lower neighbour, on those respondents
    difference_next_ci: tuple[np.ndarray, np.ndarray]  #: Newcombe (0/1) or t interval
    pvalue_next: np.ndarray  #: two-sided p value of the paired test
    pvalue_next_adjusted: np.ndarray  #: after ``adjust`` across the neighbour pairs
    not_distinguishable_next: np.ndarray  #: adjusted p >= 1 - confidence (or no test possible)
    intervals_overlap_next: np.ndarray  #: the cruder rule: the items' own intervals overlap
    tier: np.ndarray  #: by place; neighbours not distinguishable share a tier, 1 = top

    def as_priority_order(self) -> PriorityOrder:
        """The ranking as a :class:`PriorityOrder` whose ``overlaps_next`` is the paired-test mark."""
        return PriorityOrder(
            order=self.order,
            place=self.place,
            overlaps_next=self.not_distinguishable_next,
            descending=True,
        )


def _binary_pair(ones: np.ndarray, zeros: np.ndarray, i: int, j: int):
    """The paired 2 x 2 table (a, b, c, d) of items i and j over respondents scored on both."""
    a = np.count_nonzero(ones[i] & ones[j])
    b = np.count_nonzero(ones[i] & zeros[j])
    c = np.count_nonzero(zeros[i] & ones[j])
    d = np.count_nonzero(zeros[i] & zeros[j])
    return a, b, c, d


def needs_priority(scores, confidence: float = 0.95, adjust: str = "holm", binary: bool | None = None) -> NeedsPriority:
    """Rank need items by their mean score and test each pair of neighbours.

    Parameters
    ----------
    scores : array_like, shape (n_respondents, n_items)
        One score per respondent and item, on one scale for all items, and
        ``nan`` where the respondent was not asked (or skipped the question
        holding the item). Typical inputs:

        - "which needs apply to you" (multiple choice): the 0/1 ticks, so
          the estimate is the share of respondents choosing the need; items
          of several such questions can sit side by side, each with
          ``nan`` for respondents who skipped its question;
        - "rank your top N needs": :func:`borda_points`, so the estimate is
          the Borda score;
        - scale items: the answers, or 0/1 for "top-2 box".

        Shares and Borda points are different scales: rank them separately.
    confidence : float, optional
        Level of the intervals; 1 - confidence is the level of the tests.
    adjust : {"holm", "none"}, optional
        Correction of the neighbour tests for their number, Holm by default.
    binary : bool, optional
        Force (True) or forbid (False) the 0/1 methods; by default they are
        used when every score is 0 or 1.

    Returns
    -------
    NeedsPriority

    Notes
    -----
    The items are ordered by estimate with :func:`priority_order` (ties keep
    the input order; items nobody scored come last). Each pair of
    neighbours is then compared on the respondents who scored both, which
    is what "not distinguishable" should mean for items answered by the
    same people:

    - 0/1 scores: McNemar's mid-p test (:func:`mcnemar_midp`) on the
      discordant respondents, and Newcombe's paired interval of the
      difference (:func:`paired_difference_interval`);
    - other scores: the paired t test and interval of the per-respondent
      differences (:func:`scipy.stats.ttest_rel`).

    Why paired: two needs ticked by the same respondents are positively
    correlated, so the variance of their difference is smaller than the
    sum of their variances; judging by overlapping marginal intervals
    (``intervals_overlap_next``, kept for comparison) ignores this and is
    far too cautious, calling many real differences "not distinguishable"
    (Schenker & Gentleman, 2001). The paired test uses exactly the
    information in the data.

    Why adjusted: with twenty items there are nineteen neighbour tests, so
    at 5% each one or two false "distinguishable" marks are expected when
    the needs are all alike. Holm's procedure (:func:`holm_adjust`) keeps
    the chance of any false mark at 1 - confidence. The per-pair p values
    and intervals are reported unadjusted; a pair can have an interval that
    just excludes 0 and still be marked not distinguishable after the
    adjustment.

    ``tier`` groups places joined by "not distinguishable" marks: items in
    tier 1 are the top needs as far as the data can tell.

    References
    ----------
    Fagerland, M. W., Lydersen, S., & Laake, P. (2013). BMC Medical
    Research Methodology, 13, 91 (McNemar mid-p).
    Newcombe, R. G. (1998). Statistics in Medicine, 17(22), 2635-2650.
    Holm, S. (1979). Scandinavian Journal of Statistics, 6(2), 65-70.
    Schenker, N., & Gentleman, J. F. (2001). The American Statistician,
    55(3), 182-186.

    Examples
    --------
    Twenty respondents tick the needs that apply to them. The second and
    third needs' own intervals overlap, but every respondent who ticked the
    third also ticked the second, and eight ticked only the second: the
    paired test tells them apart.

    >>> ticks = [[1, 1, 0], [1, 0, 0], [1, 1, 0], [0, 1, 1], [1, 0, 0]] * 4
    >>> res = needs_priority(ticks)
    >>> res.order.tolist(), res.estimate[res.order].tolist()
    ([0, 1, 2], [0.8, 0.6, 0.2])
    >>> res.intervals_overlap_next.tolist(), res.not_distinguishable_next.tolist(), res.tier.tolist()
    ([True, True], [True, False], [1, 1, 2])
    """
    confidence = check_confidence(confidence)
    if adjust not in _ADJUSTMENTS:
        raise ScoringInputError(f"needs_priority: adjust must be one of {_ADJUSTMENTS}, got {adjust!r}")
    arr = as_numbers(scores, "needs_priority")
    if arr.ndim != 2:
        raise ScoringInputError(f"needs_priority: expected respondents x items (2-D), got {arr.ndim}-D")
    if np.isinf(arr).any():
        r, j = first_cell(np.isinf(arr))
        raise ScoringInputError(f"needs_priority: respondent {r}, item {j} has an infinite score")
    n_items = arr.shape[1]
    if n_items < 1:
        raise ScoringInputError("needs_priority: no items to rank")
    alpha = 1.0 - confidence
    z = _z(confidence)
    # Items as rows from here (one transposed copy of each mask): every item's
    # scores are contiguous, so the per-item and per-pair passes read memory in order.
    present = np.ascontiguousarray(~np.isnan(arr).T)
    ones = np.ascontiguousarray((arr == 1).T)
    zeros = np.ascontiguousarray((arr == 0).T)
    n = np.count_nonzero(present, axis=1)
    n_ones = np.count_nonzero(ones, axis=1)
    is_binary = bool((n_ones + np.count_nonzero(zeros, axis=1) == n).all())
    if binary is None:
        binary = is_binary
    elif binary and not is_binary:
        i, r = first_cell(present & ~ones & ~zeros)
        raise ScoringInputError(f"needs_priority: binary scores must be 0 or 1; respondent {r}, item {i} has {arr[r, i]:g}")

    if binary:
        with np.errstate(invalid="ignore", divide="ignore"):
            estimate = n_ones / n
        low, high = _wilson(n_ones.astype(float), n.astype(float), z)
        cols = None
    else:
        cols = np.ascontiguousarray(arr.T)
        estimate = np.full(n_items, np.nan)
        sd = np.full(n_items, np.nan)
        for j in range(n_items):  # one pass per item
            x = cols[j][present[j]]
            if x.size:
                estimate[j] = x.mean()
            if x.size >= 2:
                sd[j] = x.std(ddof=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            half = stats.t.ppf(0.5 + confidence / 2.0, np.maximum(n - 1, 1)) * sd / np.sqrt(n)
        low, high = estimate - half, estimate + half
    ranking = priority_order(estimate, low, high)
    order = ranking.order

    m = max(n_items - 1, 0)
    n_pairs = np.zeros(m, dtype=np.int64)
    diff = np.full(m, np.nan)
    diff_low = np.full(m, np.nan)
    diff_high = np.full(m, np.nan)
    pvalue = np.full(m, np.nan)
    if binary:
        tables = np.array([_binary_pair(ones, zeros, order[i], order[i + 1]) for i in range(m)], dtype=float).reshape(m, 4)
        a, b, c, d = tables.T
        n_pairs = tables.sum(axis=1).astype(np.int64)
        with np.errstate(invalid="ignore", divide="ignore"):
            diff = (b - c) / n_pairs
        diff_low, diff_high = paired_difference_interval(a, b, c, d, confidence)
        pvalue = np.where(n_pairs > 0, mcnemar_midp(b, c), np.nan)
    else:
        for i in range(m):  # one pass per neighbour pair, vectorised over respondents
            upper, lower = order[i], order[i + 1]
            both = present[upper] & present[lower]
            k = int(np.count_nonzero(both))
            n_pairs[i] = k
            if k < 2:
                continue
            delta = cols[upper][both] - cols[lower][both]
            mean = float(delta.mean())
            se = float(delta.std(ddof=1)) / np.sqrt(k)
            t_crit = float(stats.t.ppf(0.5 + confidence / 2.0, k - 1))
            diff[i] = mean
            diff_low[i], diff_high[i] = mean - t_crit * se, mean + t_crit * se
            if se > 0:
                pvalue[i] = float(2.0 * stats.t.sf(abs(mean) / se, k - 1))
            else:  # every respondent gives the same difference
                pvalue[i] = 1.0 if mean == 0 else 0.0
    adjusted = holm_adjust(pvalue) if adjust == "holm" else pvalue.copy()
    distinguishable = adjusted < alpha  # nan compares False: no test, no claim
    tier = np.concatenate(([1], 1 + np.cumsum(distinguishable))).astype(int)[:n_items]
    return NeedsPriority(
        estimate=estimate,
        ci=(low, high),
        n=n,
        order=order,
        place=ranking.place,
        binary=binary,
        test="McNemar mid-p" if binary else "paired t",
        adjust=adjust,
        confidence=confidence,
        n_pairs_next=n_pairs,
        difference_next=diff,
        difference_next_ci=(np.asarray(diff_low, dtype=float), np.asarray(diff_high, dtype=float)),
        pvalue_next=pvalue,
        pvalue_next_adjusted=adjusted,
        not_distinguishable_next=~distinguishable,
        intervals_overlap_next=ranking.overlaps_next,
        tier=tier,
    )
