"""Ranking questions ("rank your top N"): mean rank, share ranked first and
Borda score, and a priority order that marks neighbours the data cannot tell apart."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from scoring._validate import as_numbers, check_confidence, first_cell
from scoring.survey.proportions import _wilson, _z
from scoring.types import ScoringInputError

__all__ = ["PriorityOrder", "priority_order", "RankingSummary", "ranking_summary"]


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
    est = as_numbers(estimates, "priority_order estimates")
    low = as_numbers(lows, "priority_order lows")
    high = as_numbers(highs, "priority_order highs")
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


def _check_ranks(ranks, top_n: int | None, what: str):
    """Validated ranks: (array, values with 0 for unranked, ranked mask, top_n, items ranked per row).

    Ranks must be whole numbers from 1 to N and no respondent may give the
    same rank twice; errors name the respondent's row.
    """
    arr = as_numbers(ranks, what)
    if arr.ndim != 2:
        raise ScoringInputError(f"{what}: expected respondents x items, got a {arr.ndim}-D array")
    n_items = arr.shape[1]
    ranked = ~np.isnan(arr)
    values = np.where(ranked, arr, 0.0)
    # floor, not round: np.round is many times slower on a million rows.
    bad = np.isinf(values) | (ranked & ((values < 1) | (values != np.floor(values))))
    if bad.any():
        r, j = first_cell(bad)
        raise ScoringInputError(f"{what}: respondent {r}, item {j} has rank {arr[r, j]:g}; ranks are 1, 2, ...")
    if not ranked.any():
        raise ScoringInputError(f"{what}: no respondent ranked any item")
    largest = int(values.max())
    if top_n is None:
        top_n = largest
    top_n = int(top_n)
    if not 1 <= top_n <= n_items:
        raise ScoringInputError(f"{what}: top_n must be between 1 and {n_items} items, got {top_n}")
    if largest > top_n:
        r, j = first_cell(values > top_n)
        raise ScoringInputError(
            f"{what}: respondent {r}, item {j} has rank {arr[r, j]:g} but only the top {top_n} are ranked"
        )
    ones = np.ones(n_items)
    per_row = ranked.astype(float) @ ones
    if top_n <= 52:
        # Distinct ranks r_1..r_m in a row set m different bits of sum 2^(r-1); a repeated rank
        # carries into another bit, so fewer bits are set than ranks given. Exact in float64
        # (sums below 2^53), and a matrix-vector product instead of sorting every row.
        bits = np.where(ranked, np.exp2(values - 1.0), 0.0) @ ones
        duplicate_rows = np.bitwise_count(bits.astype(np.int64)) != per_row
    else:
        sorted_rows = np.sort(arr, axis=1)  # nan last; nan == nan is False
        duplicate_rows = (sorted_rows[:, 1:] == sorted_rows[:, :-1]).any(axis=1)
    if duplicate_rows.any():
        r = int(np.flatnonzero(duplicate_rows)[0])
        row = np.sort(arr[r])
        rank = row[1:][row[1:] == row[:-1]][0]
        raise ScoringInputError(f"{what}: respondent {r} gives rank {rank:g} to two items")
    return arr, values, ranked, top_n, per_row


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
    confidence = check_confidence(confidence)
    arr, values, _, top_n, per_row = _check_ranks(ranks, top_n, "ranking_summary")
    n_rows, n_items = arr.shape

    answered = per_row > 0
    base = int(answered.sum())
    z = _z(confidence)

    # One bincount of (item, rank) over the whole matrix (rank 0 = not ranked)
    # gives every statistic below as sums over ranks, without a loop over
    # respondents or a second pass over the matrix.
    flat = (np.arange(n_items, dtype=np.intp) * (top_n + 1))[None, :] + values.astype(np.intp)
    counts = np.bincount(flat.ravel(), minlength=n_items * (top_n + 1)).reshape(n_items, top_n + 1)
    rank_counts = counts[:, 1:]
    r = np.arange(1.0, top_n + 1.0)

    # Mean rank among those who ranked the item.
    n_ranked = rank_counts.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_rank = rank_counts @ r / n_ranked
        sq_dev = np.maximum(rank_counts @ r**2 - n_ranked * mean_rank**2, 0.0)
        sd = np.sqrt(sq_dev / (n_ranked - 1))
        t = stats.t.ppf(0.5 + confidence / 2.0, np.maximum(n_ranked - 1, 1))
        half = np.where(n_ranked >= 2, t * sd / np.sqrt(n_ranked), np.nan)
    mean_rank = np.where(n_ranked > 0, mean_rank, np.nan)

    # Share ranked first.
    first_count = rank_counts[:, 0]
    first_share = first_count / base
    first_ci = _wilson(first_count.astype(float), np.full(n_items, float(base)), z)

    # Borda points over the respondents who answered: N + 1 - r if ranked, 0 if not.
    points = top_n + 1.0 - r
    borda = rank_counts @ points / base
    if base >= 2:
        sq_points = np.maximum(rank_counts @ points**2 - base * borda**2, 0.0)
        borda_half = z * np.sqrt(sq_points / (base - 1)) / np.sqrt(base)
    else:
        borda_half = np.full(n_items, np.nan)

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
