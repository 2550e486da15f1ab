"""How sure is a ranking? A panel-stratified bootstrap over raters and a
leave-one-rater-out check.

Raters, not individual scores, are the sampling unit: a rater's severity
touches every unit they score, so resampling raters (with replacement, within
their panel) carries that dependence into the intervals. Each replicate is a
vector of rater multiplicities fed to :func:`scoring.aggregate.aggregate_cells`,
so the aggregation rule (trimmed mean, fallback, missing policy) is exactly the
one used for the published figures.

Rules used throughout
---------------------
* Ranks: 1 is the highest total. Tied totals share the best (smallest) rank
  ("min" or competition ranking: 1, 2, 2, 4); :func:`rank_totals` also offers
  "average" (1, 2.5, 2.5, 4). A unit without a total has no rank.
* P(A outranks B) is the share of replicates in which A's total is strictly
  higher than B's, plus half the share in which they are equal, so
  ``P(A, B) + P(B, A) = 1``.
* Inseparable groups: units are listed in the order of their point totals; a
  unit joins the group of the unit just above it unless the bootstrap puts it
  below that unit with probability at least ``settings.confidence`` (0.95 by
  default). Groups are therefore runs of adjacent units whose order the data
  cannot separate at that level.
* Replicates in which some unit has no total (every rater who scored it, or
  every rater of one of its areas, was left out of the resample) still count
  towards the intervals of the units that do have a total there, but are left
  out of the rank and outrank statistics and counted in ``n_incomplete``.
  Units without a point total take no part in ranking at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from scoring.aggregate import SortedCells, TotalWeights, aggregate_cells
from scoring.types import ScoringInputError, Settings

#: Upper bound on (replicates x units x criteria x slots) handled per chunk.
CHUNK_ELEMENTS = 8_000_000

RANK_RULE = "rank 1 = highest total; ties share the smallest rank (1, 2, 2, 4)"
OUTRANK_RULE = "P(A outranks B) = share of replicates with A > B, plus half the share with A = B"


def rank_totals(totals: np.ndarray, ties: str = "min") -> np.ndarray:
    """Rank totals along the last axis; 1 = highest, ``nan`` totals get ``nan``.

    Parameters
    ----------
    totals : array, shape (..., units)
    ties : {"min", "average"}
        ``min``: tied units share the smallest rank (1, 2, 2, 4);
        ``average``: they share the mean of the ranks they span (1, 2.5, 2.5, 4).

    Returns
    -------
    ndarray of float, same shape.

    Notes
    -----
    :math:`r_u = 1 + \\#\\{v: T_v > T_u\\}` for ``min``; ``average`` adds
    :math:`(\\#\\{v \\ne u: T_v = T_u\\})/2`.

    Examples
    --------
    >>> rank_totals(np.array([70.0, 80.0, 80.0, 60.0])).tolist()
    [3.0, 1.0, 1.0, 4.0]
    >>> rank_totals(np.array([70.0, 80.0, 80.0, 60.0]), ties="average").tolist()
    [3.0, 1.5, 1.5, 4.0]
    """
    if ties not in ("min", "average"):
        raise ScoringInputError(f"ties is {ties!r}; choose 'min' or 'average'")
    t = np.asarray(totals, dtype=float)
    above = (t[..., None, :] > t[..., :, None]).sum(axis=-1)  # [.., u] = #v with T_v > T_u
    ranks = 1.0 + above
    if ties == "average":
        equal = (t[..., None, :] == t[..., :, None]).sum(axis=-1) - 1
        ranks = ranks + equal / 2.0
    ranks[np.isnan(t)] = np.nan
    return ranks


def strata_of(panels: Sequence[str | None]) -> tuple[tuple[str | None, np.ndarray], ...]:
    """Group rater indices by panel; raters without a panel form one stratum.

    Strata are ordered by panel label (the unlabelled stratum last) so the
    resample does not depend on the order in which raters were listed.

    Examples
    --------
    >>> [(p, ix.tolist()) for p, ix in strata_of(["B", None, "A", "B"])]
    [('A', [2]), ('B', [0, 3]), (None, [1])]
    """
    labels = sorted(set(panels), key=lambda p: (p is None, "" if p is None else str(p)))
    return tuple((p, np.array([i for i, q in enumerate(panels) if q == p], dtype=np.intp)) for p in labels)


def bootstrap_weights(strata, n_raters: int, replicates: int, rng: np.random.Generator) -> np.ndarray:
    """Rater multiplicities for a panel-stratified bootstrap, shape (replicates, raters).

    Within each stratum of size :math:`n_s`, the :math:`n_s` draws with
    replacement are a multinomial :math:`(n_s; 1/n_s, \\dots, 1/n_s)` count per
    rater, so each replicate keeps every panel's size.

    Examples
    --------
    >>> w = bootstrap_weights(strata_of(["A", "A", "B"]), 3, 4, np.random.default_rng(0))
    >>> w[:, :2].sum(axis=1).tolist(), w[:, 2].tolist()
    ([2, 2, 2, 2], [1, 1, 1, 1])
    """
    weights = np.zeros((replicates, n_raters), dtype=np.int32)
    for _, members in strata:
        size = members.size
        weights[:, members] = rng.multinomial(size, np.full(size, 1.0 / size), size=replicates)
    return weights


def replicate_totals(cells: SortedCells, tw: TotalWeights, weights: np.ndarray, settings: Settings) -> np.ndarray:
    """Unit totals for each row of rater weights, shape (B, units), computed in chunks."""
    weights = np.asarray(weights)
    per_rep = max(cells.points.size, 1)
    step = max(1, CHUNK_ELEMENTS // per_rep)
    out = np.empty((weights.shape[0], cells.points.shape[0]))
    for start in range(0, weights.shape[0], step):
        part = weights[start : start + step]
        points, _, _ = aggregate_cells(cells, part, settings.method, settings.trim, settings.min_raters, settings.fallback)
        out[start : start + step] = tw.totals(points)
    return out


@dataclass(frozen=True, eq=False)
class BootstrapResult:
    """Intervals, rank distributions and outrank probabilities from the rater bootstrap.

    Arrays are indexed by ``units``; ``rank_probabilities[u, r]`` is the
    probability that unit u has rank r + 1; ``outrank[a, b]`` is P(a outranks b).
    """

    units: tuple[str, ...]
    replicates: int
    seed: int
    confidence: float
    strata: tuple[tuple[str | None, int], ...]  #: (panel, number of raters) resampled within
    totals: np.ndarray  #: point totals
    ranks: np.ndarray  #: point ranks (min rule)
    ci_low: np.ndarray
    ci_high: np.ndarray
    std_error: np.ndarray  #: standard deviation of the replicate totals
    rank_probabilities: np.ndarray
    outrank: np.ndarray
    groups: tuple[tuple[str, ...], ...]  #: runs of units whose order the data cannot separate
    n_incomplete: int  #: replicates left out of rank statistics (some unit without a total)
    rank_rule: str = RANK_RULE
    outrank_rule: str = OUTRANK_RULE
    group_rule: str = ""
    interval_rule: str = ""


def bootstrap(
    cells: SortedCells,
    tw: TotalWeights,
    panels: Sequence[str | None],
    settings: Settings,
    units: Sequence[str],
) -> BootstrapResult:
    """Panel-stratified bootstrap over raters: intervals, rank distributions, groups.

    Parameters
    ----------
    cells : SortedCells
        The round's cells after recusal and the missing policy
        (:func:`scoring.aggregate.sort_cells`).
    tw : TotalWeights
        From :func:`scoring.aggregate.total_weights`.
    panels : sequence of str or None, one per rater (the cells' rater axis)
        The stratum of each rater; ``None`` for raters without a panel.
    settings : Settings
        ``bootstrap`` replicates, ``seed`` for ``numpy.random.default_rng``,
        ``confidence`` for the percentile intervals and the grouping rule, and
        the aggregation rule.
    units : sequence of str
        Unit ids, the cells' unit axis.

    Returns
    -------
    BootstrapResult

    Notes
    -----
    Replicate b draws, within each panel s of size :math:`n_s`, :math:`n_s`
    raters with replacement, recomputes every cell, subtotal and total with the
    same rule as the point estimate, and ranks the units. The interval for a
    total is the percentile interval
    :math:`[\\hat q_{\\alpha/2}, \\hat q_{1-\\alpha/2}]`, :math:`\\alpha = 1 -`
    confidence, of its finite replicate totals (numpy's default linear quantile).
    Same seed and inputs give the same output.

    References
    ----------
    Efron, B. & Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*,
    ch. 13 (percentile intervals). Davison, A. C. & Hinkley, D. V. (1997).
    *Bootstrap Methods and their Application*, section 3.2 (stratified resampling).
    Goldstein, H. & Spiegelhalter, D. J. (1996). League tables and their
    limitations. *JRSS A* 159(3), 385-443 (rank uncertainty).

    Examples
    --------
    Every rater puts u1 (7-9 points) above u2 (3-5): no resample can reverse them.

    >>> from scoring.aggregate import aggregate, score_array, sort_cells, total_weights
    >>> from scoring.types import Area, Criterion, Framework, Score
    >>> fw = Framework((Area("A", 100, (Criterion("A1", "A", 10, 1),)),))
    >>> rows = [Score(u, f"r{i}", "A1", p) for i, pair in enumerate([(8, 3), (9, 4), (7, 5)])
    ...         for u, p in zip(("u1", "u2"), pair)]
    >>> s = Settings(method="mean", bootstrap=500, seed=1)
    >>> agg = aggregate(fw, score_array(fw, rows), s)
    >>> res = bootstrap(sort_cells(agg.values), total_weights(fw), [None] * 3, s, agg.units)
    >>> float(res.outrank[0, 1]), res.groups, res.rank_probabilities.tolist()
    (1.0, (('u1',), ('u2',)), [[1.0, 0.0], [0.0, 1.0]])
    """
    n_rep = int(settings.bootstrap)
    if n_rep < 1:
        raise ScoringInputError("settings.bootstrap is 0; the bootstrap needs at least one replicate")
    n_units = len(units)
    strata = strata_of(panels)
    rng = np.random.default_rng(settings.seed)
    weights = bootstrap_weights(strata, cells.n_raters, n_rep, rng)
    point_w = np.ones((1, cells.n_raters), dtype=np.int32)
    point = replicate_totals(cells, tw, point_w, settings)[0]
    point_ranks = rank_totals(point)

    reps = replicate_totals(cells, tw, weights, settings)
    alpha = 1.0 - settings.confidence
    ci_low = np.full(n_units, np.nan)
    ci_high = np.full(n_units, np.nan)
    std = np.full(n_units, np.nan)
    for u in range(n_units):
        finite = reps[:, u][np.isfinite(reps[:, u])]
        if finite.size:
            ci_low[u], ci_high[u] = np.quantile(finite, [alpha / 2, 1 - alpha / 2])
            std[u] = finite.std(ddof=1) if finite.size > 1 else np.nan

    analysable = np.isfinite(point)  # units with a point total take part in ranking
    complete = np.isfinite(reps[:, analysable]).all(axis=1)
    good = reps[complete]
    n_good = good.shape[0]
    rank_counts = np.zeros((n_units, n_units))
    wins = np.zeros((n_units, n_units))
    step = max(1, CHUNK_ELEMENTS // max(n_units * n_units, 1))
    for start in range(0, n_good, step):
        t = good[start : start + step]
        greater = t[:, :, None] > t[:, None, :]  # [b, a, c]: a above c
        equal = t[:, :, None] == t[:, None, :]
        wins += greater.sum(axis=0) + 0.5 * equal.sum(axis=0)
        ranks = greater.sum(axis=1)  # [b, u] = #{a: a above u} = rank - 1
        flat = (np.arange(n_units)[None, :] * n_units + ranks).ravel()
        rank_counts += np.bincount(flat, minlength=n_units * n_units).reshape(n_units, n_units)
    with np.errstate(invalid="ignore", divide="ignore"):
        outrank = wins / n_good if n_good else np.full((n_units, n_units), np.nan)
        rank_prob = rank_counts / n_good if n_good else np.full((n_units, n_units), np.nan)
    np.fill_diagonal(outrank, np.nan)
    unranked = ~analysable
    outrank[unranked, :] = np.nan
    outrank[:, unranked] = np.nan
    rank_prob[unranked, :] = np.nan

    groups = inseparable_groups(point, outrank, settings.confidence, units)
    pct = f"{100 * settings.confidence:g}%"
    return BootstrapResult(
        units=tuple(units),
        replicates=n_rep,
        seed=int(settings.seed),
        confidence=float(settings.confidence),
        strata=tuple((p, int(ix.size)) for p, ix in strata),
        totals=point,
        ranks=point_ranks,
        ci_low=ci_low,
        ci_high=ci_high,
        std_error=std,
        rank_probabilities=rank_prob,
        outrank=outrank,
        groups=groups,
        n_incomplete=int(n_rep - n_good),
        group_rule=(
            "units in order of their point totals; a unit joins the group of the unit just above it "
            f"unless P(above outranks it) >= {settings.confidence:g}"
        ),
        interval_rule=f"{pct} percentile interval over {n_rep} replicates, raters resampled with replacement within each panel",
    )


def inseparable_groups(totals: np.ndarray, outrank: np.ndarray, confidence: float, units: Sequence[str]) -> tuple[tuple[str, ...], ...]:
    """Chain adjacent units of the point ranking that the bootstrap cannot separate.

    Units are taken in descending order of ``totals`` (ties in the given unit
    order); unit i+1 starts a new group only if ``outrank[i, i+1] >= confidence``.
    Units without a total are left out.

    Examples
    --------
    >>> P = np.array([[np.nan, 0.6, 0.99], [0.4, np.nan, 0.97], [0.01, 0.03, np.nan]])
    >>> inseparable_groups(np.array([80.0, 78.0, 60.0]), P, 0.95, ["a", "b", "c"])
    (('a', 'b'), ('c',))
    """
    order = [int(u) for u in np.argsort(-np.asarray(totals), kind="stable") if np.isfinite(totals[u])]
    groups: list[list[str]] = []
    for pos, u in enumerate(order):
        if pos and not (outrank[order[pos - 1], u] >= confidence):
            groups[-1].append(units[u])
        else:
            groups.append([units[u]])
    return tuple(tuple(g) for g in groups)


@dataclass(frozen=True, eq=False)
class LeaveOneOutResult:
    """The largest rank change each rater's removal causes.

    ``ranks[r, u]`` is unit u's rank with rater r left out; ``max_change[r]`` the
    largest absolute change from the point ranks over units that keep a total,
    reached first at ``unit_of_max[r]``.
    """

    raters: tuple[str, ...]
    units: tuple[str, ...]
    ranks: np.ndarray  #: (R, U)
    totals: np.ndarray  #: (R, U)
    max_change: np.ndarray  #: (R,) float
    unit_of_max: tuple[str | None, ...]
    largest_change: float
    largest_rater: str | None
    largest_unit: str | None
    notes: tuple[str, ...]  #: units that lose their total when a rater is left out


def leave_one_rater_out(
    cells: SortedCells,
    tw: TotalWeights,
    settings: Settings,
    units: Sequence[str],
    raters: Sequence[str],
) -> LeaveOneOutResult:
    """Recompute the ranking without each rater in turn.

    Parameters
    ----------
    cells, tw, settings
        As for :func:`bootstrap`.
    units, raters : sequences of str
        Ids along the cells' unit and rater axes.

    Returns
    -------
    LeaveOneOutResult
        The largest change is :math:`\\max_r \\max_u |r_u^{(-r)} - r_u|` with
        ranks by the min rule; the first rater (in rater order) reaching it is named.

    Examples
    --------
    Means: u1 (10+4+4)/3 = 6 beats u2 (0+6+6)/3 = 4, but only because of r1:

    >>> from scoring.aggregate import aggregate, score_array, sort_cells, total_weights
    >>> from scoring.types import Area, Criterion, Framework, Score
    >>> fw = Framework((Area("A", 100, (Criterion("A1", "A", 10, 1),)),))
    >>> pts = {"r1": (10, 0), "r2": (4, 6), "r3": (4, 6)}
    >>> rows = [Score(u, r, "A1", p) for r, pair in pts.items() for u, p in zip(("u1", "u2"), pair)]
    >>> s = Settings(method="mean")
    >>> agg = aggregate(fw, score_array(fw, rows), s)
    >>> loo = leave_one_rater_out(sort_cells(agg.values), total_weights(fw), s, agg.units, agg.raters)
    >>> loo.largest_change, loo.largest_rater, loo.max_change.tolist()
    (1.0, 'r1', [1.0, 0.0, 0.0])
    """
    n_raters = len(raters)
    weights = np.ones((n_raters, n_raters), dtype=np.int32) - np.eye(n_raters, dtype=np.int32)
    point = replicate_totals(cells, tw, np.ones((1, n_raters), dtype=np.int32), settings)[0]
    base = rank_totals(point)
    totals = replicate_totals(cells, tw, weights, settings)
    ranks = rank_totals(totals)
    change = np.abs(ranks - base[None, :])
    notes = []
    for r, u in zip(*np.nonzero(np.isnan(totals) & np.isfinite(point)[None, :])):
        notes.append(f"without rater {raters[r]!r}, unit {units[u]!r} has no total")
    max_change = np.full(n_raters, np.nan)
    unit_of_max: list[str | None] = [None] * n_raters
    for r in range(n_raters):
        row = change[r]
        if np.isfinite(row).any():
            u = int(np.nanargmax(row))
            max_change[r] = row[u]
            unit_of_max[r] = units[u] if row[u] > 0 else None
    if np.isfinite(max_change).any():
        r = int(np.nanargmax(max_change))
        largest = float(max_change[r])
        who, where = (raters[r], unit_of_max[r]) if largest > 0 else (None, None)
    else:
        largest, who, where = float("nan"), None, None
    return LeaveOneOutResult(
        raters=tuple(raters),
        units=tuple(units),
        ranks=ranks,
        totals=totals,
        max_change=max_change,
        unit_of_max=tuple(unit_of_max),
        largest_change=largest,
        largest_rater=who,
        largest_unit=where,
        notes=tuple(notes),
    )
