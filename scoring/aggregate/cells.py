"""Combining the raters of one (unit, criterion) cell: the readable one-cell
reference (:func:`robust_location`) and the vectorised kernel
(:func:`aggregate_cells`) that computes every cell for many rater-weight
vectors at once (the point estimate, bootstrap replicates, leave-one-out)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from scoring.aggregate.settings import parse_method
from scoring.types import AggregationMethod, ScoringInputError

__all__ = ["METHOD_NAMES", "robust_location", "SortedCells", "sort_cells", "aggregate_cells"]

#: Codes stored in the per-cell ``applied`` arrays of the kernel.
METHOD_NAMES: tuple[str, ...] = ("none", "mean", "median", "trimmed", "winsorized")
#: Method name -> its code in :data:`METHOD_NAMES`.
METHOD_CODES = {name: i for i, name in enumerate(METHOD_NAMES)}


# --------------------------------------------------------------------------- one-cell reference


def robust_location(
    values: Sequence[float] | np.ndarray,
    method: AggregationMethod | str = AggregationMethod.TRIMMED,
    trim: int = 1,
    min_raters: int = 3,
    fallback: AggregationMethod | str = AggregationMethod.MEDIAN,
) -> tuple[float, str, str]:
    """Aggregate one cell's points by sorting and slicing (the readable reference).

    Parameters
    ----------
    values : 1-D array-like
        The raters' points; ``nan`` entries are ignored.
    method : {"mean", "median", "trimmed", "winsorized"}
        ``trimmed`` drops the ``trim`` lowest and ``trim`` highest values and
        averages the rest; ``winsorized`` replaces them by their nearest kept
        neighbour and averages all n values.
    trim : int
        k, the number of raters dropped or clamped at each end.
    min_raters : int
        When fewer than this many values remain after trimming (``n - 2k`` for
        trimmed/winsorised, ``n`` for mean/median), ``fallback`` is used instead.
    fallback : {"mean", "median"}

    Returns
    -------
    value : float
        ``nan`` when there is no value.
    applied : str
        The method actually used ("none" when there is no value).
    reason : str
        Empty when ``method`` was applied, else why it was not.

    Notes
    -----
    With sorted values :math:`x_{(1)} \\le \\dots \\le x_{(n)}`:

    .. math:: T_k = \\frac{1}{n-2k}\\sum_{i=k+1}^{n-k} x_{(i)}, \\qquad
              W_k = \\frac{1}{n}\\Big(k x_{(k+1)} + \\sum_{i=k+1}^{n-k} x_{(i)} + k x_{(n-k)}\\Big)

    Unlike ``scipy.stats.trim_mean``, which trims ``floor(proportion * n)``
    values and so trims nothing from a small panel, k is a count of raters.

    References
    ----------
    Wilcox, R. R. (2012). *Introduction to Robust Estimation and Hypothesis
    Testing*, 3rd ed., sections 3.5 (trimmed mean) and 3.8 (winsorised mean).

    Examples
    --------
    >>> robust_location([1, 7, 8, 9, 10], "trimmed", trim=1)
    (8.0, 'trimmed', '')
    >>> robust_location([6, 9, 10, 10], "trimmed", trim=1)[1:]
    ('median', '4 raters leave 2 after trimming 1 at each end; fewer than 3')
    """
    method = parse_method(method, "method")
    fallback = parse_method(fallback, "fallback")
    x = np.sort(np.asarray(values, dtype=float)[~np.isnan(np.asarray(values, dtype=float))])
    n = x.size
    if n == 0:
        return math.nan, "none", "no rater scored this cell"
    k = trim if method in (AggregationMethod.TRIMMED, AggregationMethod.WINSORIZED) else 0
    remain = n - 2 * k
    reason = ""
    applied = method
    if remain < min_raters:
        reason = fallback_reason(n, k, min_raters)
        applied = fallback
    if applied is AggregationMethod.MEAN:
        value = float(x.mean())
    elif applied is AggregationMethod.MEDIAN:
        value = float((x[(n - 1) // 2] + x[n // 2]) / 2)
    elif applied is AggregationMethod.TRIMMED:
        value = float(x[k : n - k].mean())
    else:
        w = x.copy()
        w[:k] = x[k]
        w[n - k :] = x[n - k - 1]
        value = float(w.mean())
    return value, applied.value, reason


def fallback_reason(n: int, k: int, min_raters: int) -> str:
    """Why a cell of ``n`` raters fell back (``k`` trimmed at each end, ``min_raters`` needed)."""
    if k:
        return f"{n} raters leave {max(n - 2 * k, 0)} after trimming {k} at each end; fewer than {min_raters}"
    return f"{n} raters; fewer than {min_raters}"


# --------------------------------------------------------------------------- vectorised kernel


@dataclass(frozen=True, eq=False)
class SortedCells:
    """Each (unit, criterion) cell's points in ascending order, padded to a common width.

    ``points[u, c, :]`` holds the cell's values sorted ascending, then 0-padding;
    ``raters[u, c, j]`` is the rater index of slot j (``n_raters`` in the padding,
    an always-zero-weight dummy). Built once; every weight vector reuses it.
    """

    points: np.ndarray  # (U, C, M) float
    raters: np.ndarray  # (U, C, M) int
    n_raters: int


def sort_cells(values: np.ndarray) -> SortedCells:
    """Sort each cell of a units x raters x criteria array for :func:`aggregate_cells`."""
    values = np.asarray(values, dtype=float)
    n_units, n_raters, n_crit = values.shape
    by_cell = np.moveaxis(values, 1, 2)  # (U, C, R)
    counts = (~np.isnan(by_cell)).sum(axis=2)
    width = max(int(counts.max(initial=0)), 1)
    order = np.argsort(by_cell, axis=2, kind="stable")[:, :, :width]  # nan sorts last
    points = np.take_along_axis(by_cell, order, axis=2)
    valid = ~np.isnan(points)
    dtype = np.int32 if n_raters < 2**31 - 1 else np.int64
    raters = np.where(valid, order, n_raters).astype(dtype)
    return SortedCells(points=np.where(valid, points, 0.0), raters=raters, n_raters=n_raters)


def aggregate_cells(
    cells: SortedCells,
    weights: np.ndarray,
    method: AggregationMethod | str,
    trim: int,
    min_raters: int,
    fallback: AggregationMethod | str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Aggregate every cell for several rater-weight vectors at once.

    Parameters
    ----------
    cells : SortedCells
        From :func:`sort_cells`.
    weights : int array, shape (B, raters)
        ``weights[b, r]`` is how many times rater r counts in replicate b: all
        ones for the point estimate, bootstrap multiplicities for a resample,
        a zero for the rater left out in leave-one-out.
    method, trim, min_raters, fallback
        As in :func:`robust_location`, applied to the multiset in which rater r
        appears ``weights[b, r]`` times.

    Returns
    -------
    points : ndarray, shape (B, units, criteria)
        ``nan`` where no rater with positive weight scored the cell.
    applied : int8 ndarray, shape (B, units, criteria)
        Index into :data:`METHOD_NAMES` of the method actually used.
    n : int ndarray, shape (B, units, criteria)
        Number of (weighted) raters in each cell.

    Notes
    -----
    With the cell's values sorted, slot weights :math:`w_j` and cumulative
    weights :math:`W_j = \\sum_{i \\le j} w_i`, slot j occupies positions
    :math:`[W_j - w_j, W_j)` of the expanded sorted multiset of size n. The
    trimmed sum keeps positions :math:`[k, n-k)`, so

    .. math:: T_k = \\frac{1}{n-2k}\\sum_j x_j\\,\\max\\big(0, \\min(W_j, n-k) - \\max(W_j - w_j, k)\\big)

    and the value at position p is :math:`x_j` for the first j with
    :math:`W_j > p` (used for medians and the winsorising bounds). This equals
    sorting and slicing the expanded multiset (:func:`robust_location`) exactly.
    Internally the slot axis comes first, so every step is an elementwise
    operation on contiguous (cells x replicates) slabs.
    """
    method = parse_method(method, "method")
    fallback = parse_method(fallback, "fallback")
    weights = np.asarray(weights)
    n_rep, n_raters = weights.shape
    if n_raters != cells.n_raters:
        raise ScoringInputError(f"weights have {n_raters} raters but the cells were built for {cells.n_raters}")
    n_units, n_crit, width = cells.points.shape
    n_cells = n_units * n_crit
    most = int(weights.sum(axis=1).max(initial=0))
    dtype = np.int16 if most < np.iinfo(np.int16).max else np.int32 if most < np.iinfo(np.int32).max else np.int64
    by_rater = np.zeros((cells.n_raters + 1, n_rep), dtype=dtype)
    by_rater[: cells.n_raters] = weights.T
    slots = cells.raters.reshape(n_cells, width).T  # (M, X)
    pts = cells.points.reshape(n_cells, width).T[:, :, None]  # (M, X, 1)
    slot_w = by_rater[slots]  # (M, X, B)
    cum = np.empty_like(slot_w)
    cum[0] = slot_w[0]
    for m in range(1, width):
        np.add(cum[m - 1], slot_w[m], out=cum[m])
    n = cum[-1]
    k = int(trim) if method in (AggregationMethod.TRIMMED, AggregationMethod.WINSORIZED) else 0
    use_fallback = (n < min_raters + 2 * k) & (n > 0)
    use_primary = (n > 0) & ~use_fallback

    out = np.full(n.shape, np.nan)
    applied = np.zeros(n.shape, dtype=np.int8)
    for chosen, kk, mask in ((method, k, use_primary), (fallback, 0, use_fallback)):
        if not mask.any():
            continue
        applied[mask] = METHOD_CODES[chosen.value]
        if mask.all():
            out[...] = _kernel(chosen, kk, pts, slot_w, cum, n)
        else:
            x_idx, _ = np.nonzero(mask)
            out[mask] = _kernel(chosen, kk, pts[:, x_idx, 0], slot_w[:, mask], cum[:, mask], n[mask])
    shape = (n_units, n_crit, n_rep)
    return (
        np.moveaxis(out.reshape(shape), 2, 0),
        np.moveaxis(applied.reshape(shape), 2, 0),
        np.moveaxis(n.reshape(shape), 2, 0).astype(np.int64),
    )


def _kernel(method: AggregationMethod, k: int, pts, slot_w, cum, n) -> np.ndarray:
    """One method on cells whose counts are large enough; slot axis first."""
    if method is AggregationMethod.MEAN:
        return _weighted_sum(slot_w, pts) / n
    if method is AggregationMethod.MEDIAN:
        return (_value_at(pts, cum, (n - 1) // 2) + _value_at(pts, cum, n // 2)) / 2
    hi = n - k
    core = np.zeros(n.shape)
    kept = np.empty_like(n)
    low_end = np.empty_like(n)
    for m in range(cum.shape[0]):
        np.minimum(cum[m], hi, out=kept)
        np.subtract(cum[m], slot_w[m], out=low_end)
        np.maximum(low_end, k, out=low_end)
        kept -= low_end
        np.maximum(kept, 0, out=kept)
        core += kept * pts[m]
    if method is AggregationMethod.TRIMMED:
        return core / (n - 2 * k)
    low = _value_at(pts, cum, np.full(n.shape, k))
    high = _value_at(pts, cum, n - k - 1)
    return (core + k * low + k * high) / n


def _weighted_sum(slot_w: np.ndarray, pts: np.ndarray) -> np.ndarray:
    total = np.zeros(slot_w.shape[1:])
    for m in range(slot_w.shape[0]):
        total += slot_w[m] * pts[m]
    return total


def _value_at(pts: np.ndarray, cum: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """Value at 0-based position ``pos`` of each cell's expanded sorted multiset."""
    idx = np.zeros(cum.shape[1:], dtype=np.intp)
    for m in range(cum.shape[0]):
        idx += cum[m] <= pos
    full = np.broadcast_to(pts, cum.shape)
    return np.take_along_axis(full, idx[None], axis=0)[0]
