"""Rating scales and matrix rows: mean, median and distribution with intervals,
top-box shares, and the reliability of a block of scale items."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from scoring._validate import as_numbers, check_confidence
from scoring.reliability import CronbachResult, cronbach_alpha
from scoring.survey.proportions import _wilson, _z
from scoring.types import ScoringInputError

__all__ = [
    "ScaleSummary",
    "scale_summary",
    "matrix_summary",
    "median_interval_ranks",
    "ScaleReliability",
    "scale_reliability",
]


# --------------------------------------------------------------------------- #
# the scale's points
# --------------------------------------------------------------------------- #


def _points(scale_points, what: str) -> np.ndarray:
    """The scale's points, ascending: ``5`` means 1..5, a sequence is taken as given."""
    arr = as_numbers(scale_points, f"{what} scale_points")
    if arr.ndim == 0:
        size = float(arr)
        if size != int(size) or size < 2:
            raise ScoringInputError(f"{what}: scale_points must be a whole number >= 2 or a list of points, got {size:g}")
        return np.arange(1.0, int(size) + 1.0)
    if arr.ndim != 1 or arr.size < 2:
        raise ScoringInputError(f"{what}: scale_points must list at least 2 points, got shape {arr.shape}")
    if not np.isfinite(arr).all() or (np.diff(arr) <= 0).any():
        raise ScoringInputError(f"{what}: scale points must be finite and strictly increasing, got {arr.tolist()}")
    return arr


def _point_codes(column: np.ndarray, points: np.ndarray, what: str, item: str) -> np.ndarray:
    """Index of each value among ``points``; ``len(points)`` for a missing (nan) value.

    Scales in questionnaires are runs of whole numbers (``scale_min`` ..
    ``scale_max``), so the usual path is arithmetic (a few passes over the
    column); other point sets go through a binary search.
    """
    n_points = points.size
    missing = np.isnan(column)
    if np.array_equal(points, np.arange(points[0], points[0] + n_points)):
        offset = column - points[0]
        valid = (offset >= 0) & (offset <= n_points - 1) & (offset == np.floor(offset))
    else:
        offset = np.searchsorted(points, column).astype(float)
        inside = np.minimum(offset, n_points - 1).astype(np.intp)
        valid = points[inside] == column
    bad = ~valid & ~missing
    if bad.any():
        r = int(np.flatnonzero(bad)[0])
        raise ScoringInputError(
            f"{what}: respondent {r}{item} answered {column[r]:g}, which is not a point of the scale "
            f"{points.tolist()}; use nan for no answer"
        )
    return np.where(valid, offset, n_points).astype(np.intp)


# --------------------------------------------------------------------------- #
# median interval
# --------------------------------------------------------------------------- #


def median_interval_ranks(n, confidence: float = 0.95):
    """1-based ranks (l, u) of the order statistics bounding the median, and the coverage.

    Parameters
    ----------
    n : int or array_like of int
        Sample sizes.
    confidence : float, optional
        Wanted coverage, 0.95 by default.

    Returns
    -------
    (l, u, coverage)
        Integer arrays (or ints) and the exact coverage P(l <= B <= u - 1)
        with B ~ Binomial(n, 1/2). Where the sample is too small for any
        pair to reach the coverage, l = 0, u = n + 1 and coverage is nan.

    Notes
    -----
    For any continuous population, the number B of observations below the
    median is Binomial(n, 1/2), so [x_(l), x_(u)] covers the median with
    probability P(l <= B <= u - 1) whatever the distribution. With
    a = (1 - confidence) / 2, l is the smallest j with P(B <= j) >= a and
    u = n + 1 - l (the binomial is symmetric); the coverage is then at least
    ``confidence``. These are the same order statistics as
    :meth:`scipy.stats.quantile_test(...).confidence_interval`. For answers
    on a scale with ties the interval stays valid (its coverage can only
    grow, since the interval is closed).

    References
    ----------
    Conover, W. J. (1999). Practical Nonparametric Statistics (3rd ed.),
    section 3.2 (confidence interval for a quantile). Wiley.

    Examples
    --------
    The classic n = 10 case: x_(2) to x_(9), coverage 1 - 22/1024.

    >>> l, u, cover = median_interval_ranks(10)
    >>> l, u, round(cover, 4)
    (2, 9, 0.9785)
    """
    confidence = check_confidence(confidence)
    n_arr = np.asarray(n, dtype=float)
    if (n_arr < 0).any() or (n_arr != np.floor(n_arr)).any():
        raise ScoringInputError("median_interval_ranks: sample sizes must be whole numbers >= 0")
    tail = (1.0 - confidence) / 2.0
    with np.errstate(invalid="ignore"):
        low = stats.binom.ppf(tail, n_arr, 0.5)
    low = np.nan_to_num(low, nan=0.0)
    ok = (low >= 1) & (n_arr > 0)
    low = np.where(ok, low, 0.0)
    high = np.where(ok, n_arr + 1.0 - low, n_arr + 1.0)
    with np.errstate(invalid="ignore"):
        coverage = stats.binom.cdf(high - 1.0, n_arr, 0.5) - stats.binom.cdf(low - 1.0, n_arr, 0.5)
    coverage = np.where(ok, coverage, np.nan)
    if n_arr.ndim == 0:
        return int(low), int(high), float(coverage)
    return low.astype(int), high.astype(int), coverage


def _order_statistic(cum: np.ndarray, points: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """The rank-th smallest value (1-based) from cumulative counts per point; nan where rank is 0 or > n."""
    n = cum[:, -1]
    idx = np.empty(rank.shape, dtype=np.intp)
    for i in range(cum.shape[0]):  # one row per item, not per respondent
        idx[i] = np.searchsorted(cum[i], rank[i], side="left")
    out = points[np.minimum(idx, points.size - 1)]
    return np.where((rank >= 1) & (rank <= n), out, np.nan)


# --------------------------------------------------------------------------- #
# scale summary
# --------------------------------------------------------------------------- #


@dataclass(frozen=True, eq=False)
class ScaleSummary:
    """Summary of one rating question (or one matrix row) on a scale.

    Distribution arrays follow ``points`` (lowest point first). Intervals
    are ``(low, high)`` pairs; ``nan`` where the sample is too small.
    """

    points: np.ndarray  #: the scale's points, ascending
    n: int  #: respondents who answered
    n_missing: int  #: nan values (not answered)
    confidence: float
    mean: float
    mean_ci: tuple[float, float]  #: t interval
    sd: float  #: sample standard deviation (ddof = 1)
    median: float
    median_ci: tuple[float, float]  #: order-statistic interval (distribution-free)
    median_ci_coverage: float  #: exact binomial coverage of ``median_ci`` (>= confidence)
    counts: np.ndarray  #: respondents per point
    shares: np.ndarray  #: counts / n
    shares_ci: tuple[np.ndarray, np.ndarray]  #: Wilson interval per point
    top_boxes: int  #: how many of the highest points count as "top box"
    top_count: int
    top_share: float  #: share answering one of the ``top_boxes`` highest points
    top_share_ci: tuple[float, float]  #: Wilson interval
    bottom_count: int
    bottom_share: float  #: share answering one of the ``top_boxes`` lowest points
    bottom_share_ci: tuple[float, float]  #: Wilson interval


def _summaries(codes: np.ndarray, points: np.ndarray, confidence: float, top_boxes: int) -> list[ScaleSummary]:
    """Summaries from an items x (points + 1) array of counts (last column: missing)."""
    counts = codes[:, :-1].astype(float)
    n_missing = codes[:, -1]
    n = counts.sum(axis=1)
    z = _z(confidence)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = counts @ points / n
        var = (counts * (points[None, :] - mean[:, None]) ** 2).sum(axis=1) / (n - 1)
        sd = np.where(n >= 2, np.sqrt(var), np.nan)
        t = stats.t.ppf(0.5 + confidence / 2.0, np.maximum(n - 1, 1))
        half = np.where(n >= 2, t * sd / np.sqrt(n), np.nan)
        shares = counts / n[:, None]
    mean_low = np.clip(mean - half, points[0], points[-1])  # nan stays nan
    mean_high = np.clip(mean + half, points[0], points[-1])
    shares_ci = _wilson(counts, np.broadcast_to(n[:, None], counts.shape), z)

    cum = np.cumsum(counts, axis=1)
    n_int = n.astype(np.int64)
    lower_mid = _order_statistic(cum, points, (n_int + 1) // 2)
    upper_mid = _order_statistic(cum, points, n_int // 2 + 1)
    median = np.where(n_int % 2 == 1, lower_mid, (lower_mid + upper_mid) / 2.0)
    l_rank, u_rank, coverage = median_interval_ranks(n_int, confidence)
    med_low = _order_statistic(cum, points, np.atleast_1d(l_rank))
    med_high = _order_statistic(cum, points, np.atleast_1d(u_rank))

    top = counts[:, -top_boxes:].sum(axis=1)
    bottom = counts[:, :top_boxes].sum(axis=1)
    top_ci = _wilson(top, n, z)
    bottom_ci = _wilson(bottom, n, z)
    with np.errstate(invalid="ignore", divide="ignore"):
        top_share = top / n
        bottom_share = bottom / n

    out = []
    for i in range(counts.shape[0]):  # one per item
        out.append(
            ScaleSummary(
                points=points,
                n=int(n[i]),
                n_missing=int(n_missing[i]),
                confidence=confidence,
                mean=float(mean[i]) if n[i] else np.nan,
                mean_ci=(float(mean_low[i]), float(mean_high[i])),
                sd=float(sd[i]),
                median=float(median[i]),
                median_ci=(float(med_low[i]), float(med_high[i])),
                median_ci_coverage=float(np.atleast_1d(coverage)[i]),
                counts=counts[i].astype(np.int64),
                shares=shares[i],
                shares_ci=(shares_ci[0][i], shares_ci[1][i]),
                top_boxes=top_boxes,
                top_count=int(top[i]),
                top_share=float(top_share[i]),
                top_share_ci=(float(top_ci[0][i]), float(top_ci[1][i])),
                bottom_count=int(bottom[i]),
                bottom_share=float(bottom_share[i]),
                bottom_share_ci=(float(bottom_ci[0][i]), float(bottom_ci[1][i])),
            )
        )
    return out


def _check_top_boxes(top_boxes: int, points: np.ndarray, what: str) -> int:
    top_boxes = int(top_boxes)
    if not 1 <= top_boxes < points.size:
        raise ScoringInputError(
            f"{what}: top_boxes must be between 1 and {points.size - 1} for a {points.size}-point scale, got {top_boxes}"
        )
    return top_boxes


def scale_summary(values, scale_points, confidence: float = 0.95, top_boxes: int = 2) -> ScaleSummary:
    """Mean, median and distribution of one rating question, with intervals.

    Parameters
    ----------
    values : array_like, shape (n_respondents,)
        Answers; ``nan`` where the respondent gave none.
    scale_points : int or array_like
        ``5`` for a 1..5 scale, or the points themselves (``range(0, 11)``
        for 0..10). Any other value is refused, naming the respondent.
    confidence : float, optional
        Level of every interval, 0.95 by default.
    top_boxes : int, optional
        How many of the highest (and lowest) points make the top (bottom)
        box, 2 by default ("top-2 box": 4 or 5 on a 1..5 scale).

    Returns
    -------
    ScaleSummary

    Notes
    -----
    - Mean with the t interval mean +/- t(n - 1) s / sqrt(n) (s with
      ddof = 1), cut to the scale's ends (a mean cannot leave them);
      ``nan`` below two answers.
    - Median (the midpoint of the two middle answers when n is even) with
      the distribution-free interval [x_(l), x_(u)] of
      :func:`median_interval_ranks`, whose exact binomial coverage is
      reported; ``nan`` when n is too small to reach the level (n <= 5 at
      95%).
    - Distribution: count and share per point with Wilson intervals; the
      top-box (bottom-box) share is the share of answers among the
      ``top_boxes`` highest (lowest) points, also with a Wilson interval.

    Everything is computed from the counts per point (one ``bincount``), so
    a million answers take a few milliseconds.

    References
    ----------
    Conover, W. J. (1999). Practical Nonparametric Statistics (3rd ed.),
    section 3.2. Wiley.
    Newcombe, R. G. (1998). Statistics in Medicine, 17(8), 857-872 (Wilson).

    Examples
    --------
    >>> res = scale_summary([1, 2, 2, 3, 4, 4, 5, 5, 5, 5, float("nan")], 5)
    >>> res.n, res.n_missing, res.median, res.counts.tolist(), res.top_share
    (10, 1, 4.0, [1, 2, 1, 2, 4], 0.6)
    >>> res.median_ci
    (2.0, 5.0)
    """
    confidence = check_confidence(confidence)
    points = _points(scale_points, "scale_summary")
    top_boxes = _check_top_boxes(top_boxes, points, "scale_summary")
    arr = as_numbers(values, "scale_summary")
    if arr.ndim != 1:
        raise ScoringInputError(f"scale_summary: expected one answer per respondent (1-D), got {arr.ndim}-D")
    codes = _point_codes(arr, points, "scale_summary", "")
    counts = np.bincount(codes, minlength=points.size + 1)[None, :]
    return _summaries(counts, points, confidence, top_boxes)[0]


def matrix_summary(values, scale_points, confidence: float = 0.95, top_boxes: int = 2) -> tuple[ScaleSummary, ...]:
    """:func:`scale_summary` for every row of a matrix question (or a block of rating items).

    Parameters
    ----------
    values : array_like, shape (n_respondents, n_rows)
        One column per matrix row (statement); ``nan`` where unanswered.
    scale_points, confidence, top_boxes
        As in :func:`scale_summary`; all rows share the scale.

    Returns
    -------
    tuple of ScaleSummary
        One per column, in column order.

    Examples
    --------
    >>> nan = float("nan")
    >>> rows = matrix_summary([[1, 5], [2, 4], [2, nan]], 5)
    >>> [r.n for r in rows], [r.median for r in rows]
    ([3, 2], [2.0, 4.5])
    """
    confidence = check_confidence(confidence)
    points = _points(scale_points, "matrix_summary")
    top_boxes = _check_top_boxes(top_boxes, points, "matrix_summary")
    arr = as_numbers(values, "matrix_summary")
    if arr.ndim != 2:
        raise ScoringInputError(f"matrix_summary: expected respondents x rows (2-D), got {arr.ndim}-D")
    counts = np.empty((arr.shape[1], points.size + 1), dtype=np.int64)
    for j in range(arr.shape[1]):  # one pass per matrix row; each pass is vectorised over respondents
        codes = _point_codes(arr[:, j], points, "matrix_summary", f", row {j}")
        counts[j] = np.bincount(codes, minlength=points.size + 1)
    return tuple(_summaries(counts, points, confidence, top_boxes))


# --------------------------------------------------------------------------- #
# reliability of a block of scale items
# --------------------------------------------------------------------------- #


@dataclass(frozen=True, eq=False)
class ScaleReliability:
    """Cronbach's alpha of a block of items, with per-item diagnostics.

    ``alpha`` is the :class:`~scoring.reliability.CronbachResult` of the
    whole block (value, Feldt interval, cases used and dropped); the arrays
    follow the item (column) order and use the same complete cases.
    """

    alpha: CronbachResult
    alpha_if_deleted: np.ndarray  #: alpha of the block without the item (nan with 2 items)
    item_rest_correlation: np.ndarray  #: corrected item-total correlation
    item_means: np.ndarray


def scale_reliability(items, confidence: float = 0.95) -> ScaleReliability:
    """Cronbach's alpha of a block of scale items, with alpha-if-deleted and item-rest correlations.

    Parameters
    ----------
    items : array_like, shape (n_respondents, k_items)
        Answers to the items of one block (e.g. the rows of a satisfaction
        matrix); ``nan`` where unanswered. Respondents with any ``nan`` are
        left out (listwise deletion), as in
        :func:`scoring.reliability.cronbach_alpha`.
    confidence : float, optional
        Level of Feldt's interval, 0.95 by default.

    Returns
    -------
    ScaleReliability

    Notes
    -----
    alpha = k/(k-1) (1 - sum s_i^2 / s_T^2) with Feldt's F interval, from
    :func:`scoring.reliability.cronbach_alpha`. With the covariance matrix C
    of the complete cases, alpha without item j is computed from C with row
    and column j removed (no re-pass over the data); the item-rest
    correlation is the correlation of item j with the sum of the other
    items, cov(x_j, T - x_j) / sqrt(var(x_j) var(T - x_j)). An item with a
    low item-rest correlation, whose removal raises alpha, does not measure
    what the rest of the block measures; items should be scored in the same
    direction (reverse-keyed items reversed first).

    References
    ----------
    Cronbach, L. J. (1951). Psychometrika, 16(3), 297-334.
    Feldt, L. S., Woodruff, D. J., & Salih, F. A. (1987). Applied
    Psychological Measurement, 11(1), 93-103.

    Examples
    --------
    >>> x = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8],
    ...      [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]
    >>> res = scale_reliability(x)
    >>> round(res.alpha.value, 3), res.alpha_if_deleted.round(3).tolist()
    (0.909, [0.883, 0.867, 0.872, 0.918])
    """
    result = cronbach_alpha(items, confidence)
    arr = np.asarray(items, dtype=float)
    used = arr[~np.isnan(arr).any(axis=1)]
    k = used.shape[1]
    cov = np.cov(used, rowvar=False)
    item_var = np.diag(cov)
    total = cov.sum()
    # Covariance of item j with the rest: row sum minus its own variance.
    with_rest = cov.sum(axis=1) - item_var
    rest_var = total - 2.0 * cov.sum(axis=1) + item_var
    with np.errstate(invalid="ignore", divide="ignore"):
        rest_corr = with_rest / np.sqrt(item_var * rest_var)
        if k > 2:
            # Without item j: the sum of variances and the total variance both lose j's share.
            alpha_del = (k - 1.0) / (k - 2.0) * (1.0 - (item_var.sum() - item_var) / rest_var)
        else:
            alpha_del = np.full(k, np.nan)
    # As in cronbach_alpha: a rest total with no variance (up to rounding) leaves both undefined.
    flat = rest_var <= 1e-13 * np.maximum(1.0, item_var.sum() - item_var)
    alpha_del = np.where(flat, np.nan, alpha_del)
    rest_corr = np.where(flat | (item_var <= 0), np.nan, rest_corr)
    return ScaleReliability(
        alpha=result,
        alpha_if_deleted=alpha_del,
        item_rest_correlation=rest_corr,
        item_means=used.mean(axis=0),
    )

