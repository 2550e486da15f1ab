"""Per-unit, per-criterion aggregation of raters' points into area subtotals
and a weighted total on the framework's 100-point scale.

The pipeline is

1. :func:`score_array` validates the long score table against the framework
   and builds a dense ``units x raters x criteria`` array (``nan`` = no value);
2. :func:`apply_missing_policy` treats each scorecard (one rater's card for one
   unit) that misses criteria according to :class:`~scoring.types.MissingPolicy`;
3. :func:`aggregate` combines the raters of each (unit, criterion) cell with the
   configured robust location (mean, median, trimmed or winsorised mean), with
   a declared fallback for cells that have too few raters, and weights the
   cells into area subtotals and a total.

Every cell records which method was actually applied and why, so a published
figure can be traced back to its rule. The cell kernel
(:func:`aggregate_cells`) works on rater *multiplicities* rather than on
resampled copies of the data: a bootstrap replicate or a leave-one-rater-out
run is just another weight vector, and the sorting is done once.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from scoring.types import (
    AggregationMethod,
    Framework,
    MissingPolicy,
    Score,
    ScoringInputError,
    Settings,
)

#: Codes stored in the per-cell ``applied`` arrays of the kernel.
METHOD_NAMES: tuple[str, ...] = ("none", "mean", "median", "trimmed", "winsorized")
_CODE = {name: i for i, name in enumerate(METHOD_NAMES)}
_STEP_TOLERANCE = 1e-9


class ScoreRowError(ScoringInputError):
    """A score row the engine refuses; ``row`` is its 0-based index in the table."""

    def __init__(self, row: int, message: str, duplicate_of: int | None = None):
        super().__init__(f"row {row}: {message}")
        self.row = row
        self.detail = message
        self.duplicate_of = duplicate_of  #: for a duplicate, the index of the earlier row


# --------------------------------------------------------------------------- settings


def check_settings(settings: Settings) -> None:
    """Raise :class:`ScoringInputError` naming the first setting that cannot work.

    Parameters
    ----------
    settings : Settings
        The aggregation, bootstrap and shrinkage settings of a round.

    Examples
    --------
    >>> check_settings(Settings(trim=-1))
    Traceback (most recent call last):
    ...
    scoring.types.ScoringInputError: settings.trim is -1; it must be a whole number >= 0
    """
    _method(settings.method, "settings.method")
    fallback = _method(settings.fallback, "settings.fallback")
    _policy(settings.missing_policy)
    if not _is_whole(settings.trim) or settings.trim < 0:
        raise ScoringInputError(f"settings.trim is {settings.trim!r}; it must be a whole number >= 0")
    if not _is_whole(settings.min_raters) or settings.min_raters < 1:
        raise ScoringInputError(f"settings.min_raters is {settings.min_raters!r}; it must be a whole number >= 1")
    if fallback not in (AggregationMethod.MEAN, AggregationMethod.MEDIAN):
        raise ScoringInputError(
            f"settings.fallback is {fallback.value!r}; a fallback must be 'mean' or 'median' "
            "(it is used when too few raters remain to trim)"
        )
    if not _is_whole(settings.bootstrap) or settings.bootstrap < 0:
        raise ScoringInputError(f"settings.bootstrap is {settings.bootstrap!r}; it must be a whole number >= 0")
    if not _is_whole(settings.seed):
        raise ScoringInputError(f"settings.seed is {settings.seed!r}; it must be a whole number")
    if not (isinstance(settings.confidence, (int, float)) and 0 < settings.confidence < 1):
        raise ScoringInputError(f"settings.confidence is {settings.confidence!r}; it must lie strictly between 0 and 1")
    if not (isinstance(settings.shrinkage, (int, float)) and settings.shrinkage >= 0 and math.isfinite(settings.shrinkage)):
        raise ScoringInputError(f"settings.shrinkage is {settings.shrinkage!r}; it must be a finite number >= 0")


def _is_whole(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _method(value: object, name: str) -> AggregationMethod:
    try:
        return AggregationMethod(value)
    except ValueError:
        options = ", ".join(m.value for m in AggregationMethod)
        raise ScoringInputError(f"{name} is {value!r}; choose one of {options}") from None


def _policy(value: object) -> MissingPolicy:
    try:
        return MissingPolicy(value)
    except ValueError:
        options = ", ".join(p.value for p in MissingPolicy)
        raise ScoringInputError(f"settings.missing_policy is {value!r}; choose one of {options}") from None


# --------------------------------------------------------------------------- validation


@dataclass(frozen=True, eq=False)
class ScoreArray:
    """Dense scores: ``values[u, r, c]`` is rater r's points for unit u on criterion c.

    ``nan`` means no value (no row, or "cannot judge"); ``has_card[u, r]`` is True
    when the rater handed in a scorecard for the unit (at least one row, even if
    every row is "cannot judge").
    """

    units: tuple[str, ...]
    raters: tuple[str, ...]
    criteria: tuple[str, ...]
    values: np.ndarray
    has_card: np.ndarray


def score_array(
    framework: Framework,
    scores: Sequence[Score],
    raters: Sequence[str] | Mapping[str, object] | None = None,
    units: Sequence[str] | Mapping[str, object] | None = None,
) -> ScoreArray:
    """Validate a long score table and build the dense units x raters x criteria array.

    Parameters
    ----------
    framework : Framework
        Areas and criteria; validated first (weights must add up).
    scores : sequence of Score
        One row per (unit, rater, criterion); ``points=None`` means "cannot judge".
    raters, units : sequence of ids or mapping keyed by id, optional
        The known raters and units, in the order wanted along the array's axes.
        When omitted, the ids met in ``scores`` are used, sorted. When given, a
        row naming anything else is an error.

    Returns
    -------
    ScoreArray

    Raises
    ------
    ScoreRowError
        For the first bad row: unknown unit, rater or criterion; points that are
        not a number, negative, above the criterion's maximum or off its step;
        a second row for the same (unit, rater, criterion). The message names
        the row's 0-based index and its values.

    Examples
    --------
    >>> from scoring.types import Area, Criterion, Framework, Score
    >>> fw = Framework((Area("A", 100, (Criterion("A1", "A", 10, 1),)),))
    >>> arr = score_array(fw, [Score("u1", "r1", "A1", 7), Score("u1", "r2", "A1", None)])
    >>> arr.values[:, :, 0].tolist()
    [[7.0, nan]]
    >>> score_array(fw, [Score("u1", "r1", "A1", 11)])
    Traceback (most recent call last):
    ...
    scoring.aggregate.ScoreRowError: row 0: unit 'u1', rater 'r1', criterion 'A1': points 11 are above the maximum 10
    """
    framework.validate()
    criteria = framework.criteria()
    crit_index = {c.code: i for i, c in enumerate(criteria)}
    rows = list(scores)
    for i, s in enumerate(rows):
        if not isinstance(s, Score):
            raise ScoreRowError(i, f"expected a Score, got {type(s).__name__}")
    unit_ids = _axis(units, (s.unit for s in rows))
    rater_ids = _axis(raters, (s.rater for s in rows))
    unit_index = {u: i for i, u in enumerate(unit_ids)}
    rater_index = {r: i for i, r in enumerate(rater_ids)}

    n = len(rows)
    ui = np.fromiter((unit_index.get(s.unit, -1) for s in rows), dtype=np.int64, count=n)
    ri = np.fromiter((rater_index.get(s.rater, -1) for s in rows), dtype=np.int64, count=n)
    ci = np.fromiter((crit_index.get(s.criterion, -1) for s in rows), dtype=np.int64, count=n)
    for label, idx, attr in (("unit", ui, "unit"), ("rater", ri, "rater"), ("criterion", ci, "criterion")):
        bad = np.flatnonzero(idx < 0)
        if bad.size:
            i = int(bad[0])
            where = "the framework" if label == "criterion" else f"the {label} list"
            raise ScoreRowError(i, f"{_describe(rows[i])}: {label} {getattr(rows[i], attr)!r} is not in {where}")

    points = np.empty(n, dtype=float)
    for i, s in enumerate(rows):
        p = s.points
        if p is None:
            points[i] = np.nan
            continue
        if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)):
            raise ScoreRowError(i, f"{_describe(s)}: points {p!r} are not a number")
        if not math.isfinite(p):
            raise ScoreRowError(i, f"{_describe(s)}: points {p!r} are not finite (use None for 'cannot judge')")
        points[i] = float(p)

    maxima = np.array([c.max_points for c in criteria], dtype=float)[ci] if n else np.empty(0)
    steps = np.array([c.step for c in criteria], dtype=float)[ci] if n else np.empty(0)
    scored = ~np.isnan(points)
    checks = (
        (scored & (points < 0), lambda i: f"points {_num(points[i])} are below 0"),
        (scored & (points > maxima + _STEP_TOLERANCE), lambda i: f"points {_num(points[i])} are above the maximum {_num(maxima[i])}"),
        (scored & ~_on_step(points, steps), lambda i: f"points {_num(points[i])} are not a multiple of the step {_num(steps[i])}"),
    )
    for bad_mask, message in checks:
        bad = np.flatnonzero(bad_mask)
        if bad.size:
            i = int(bad[0])
            raise ScoreRowError(i, f"{_describe(rows[i])}: {message(i)}")

    n_units, n_raters, n_crit = len(unit_ids), len(rater_ids), len(criteria)
    key = (ui * n_raters + ri) * n_crit + ci
    order = np.argsort(key, kind="stable")
    dup = np.flatnonzero(np.diff(key[order]) == 0)
    if dup.size:
        first, second = sorted((int(order[dup[0]]), int(order[dup[0] + 1])))
        raise ScoreRowError(
            second, f"{_describe(rows[second])}: duplicates row {first} (one row per unit, rater and criterion)", duplicate_of=first
        )

    values = np.full((n_units, n_raters, n_crit), np.nan)
    values[ui, ri, ci] = points
    has_card = np.zeros((n_units, n_raters), dtype=bool)
    has_card[ui, ri] = True
    return ScoreArray(
        units=tuple(unit_ids),
        raters=tuple(rater_ids),
        criteria=tuple(c.code for c in criteria),
        values=values,
        has_card=has_card,
    )


def _axis(given, seen) -> tuple[str, ...]:
    if given is None:
        return tuple(sorted(set(seen)))
    ids = tuple(given.keys()) if isinstance(given, Mapping) else tuple(given)
    if len(set(ids)) != len(ids):
        dupes = sorted({x for x in ids if ids.count(x) > 1})
        raise ScoringInputError(f"id {dupes[0]!r} is listed twice")
    return ids


def _on_step(points: np.ndarray, steps: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        ratio = points / steps
    return np.isclose(ratio, np.round(ratio), rtol=0, atol=_STEP_TOLERANCE) | np.isnan(points)


def _describe(s: Score) -> str:
    return f"unit {s.unit!r}, rater {s.rater!r}, criterion {s.criterion!r}"


def _num(x: float) -> str:
    return f"{x:g}"


# --------------------------------------------------------------------------- missing policy


@dataclass(frozen=True)
class CardNote:
    """What the missing-criterion policy did to one scorecard."""

    unit: str
    rater: str
    missing: tuple[str, ...]  #: criteria with no value on the card
    action: str  #: "rescaled", "zero", "dropped" or "area_unscored"
    detail: str


@dataclass(frozen=True)
class MissingReport:
    """The missing-criterion policy as applied to every scorecard of a round."""

    policy: MissingPolicy
    rule: str  #: the rule in words, as applied
    n_cards: int  #: scorecards handed in
    n_complete: int  #: cards with every criterion scored
    n_changed: int  #: cards the policy filled, rescaled or dropped
    n_dropped: int  #: cards left out entirely (drop policy, or nothing scored)
    notes: tuple[CardNote, ...]


_POLICY_RULES = {
    MissingPolicy.RESCALE: (
        "rescale: on each scorecard a missing criterion takes the rater's own share of the "
        "maximum over the criteria they scored in the same area (so the card's area subtotal "
        "is rescaled over the scored criteria); an area with nothing scored on the card "
        "contributes nothing from that card"
    ),
    MissingPolicy.ZERO: "zero: on each scorecard a missing criterion counts as 0 points",
    MissingPolicy.DROP: "drop: a scorecard with any missing criterion is left out entirely for that unit",
}


def apply_missing_policy(array: ScoreArray, framework: Framework, policy: MissingPolicy | str) -> tuple[np.ndarray, MissingReport]:
    """Apply the missing-criterion policy to every scorecard before aggregation.

    Parameters
    ----------
    array : ScoreArray
        Output of :func:`score_array`.
    framework : Framework
        Supplies the criteria maxima and their areas.
    policy : MissingPolicy
        ``rescale``: a missing criterion :math:`c` in area :math:`a` on rater
        r's card for unit u is filled with

        .. math:: x_{urc} = m_c \\frac{\\sum_{c' \\in S} x_{urc'}}{\\sum_{c' \\in S} m_{c'}}

        where :math:`S` are the criteria of area a the rater scored and
        :math:`m` the maxima; the card's area subtotal is therefore its points
        rescaled over the scored criteria. If S is empty the area's criteria stay
        empty on that card (the rater does not contribute to them).
        ``zero``: a missing criterion counts as 0.
        ``drop``: a card with any missing criterion is removed.

    Returns
    -------
    values : ndarray, shape (units, raters, criteria)
        Points after the policy; ``nan`` where the rater gives no value.
    report : MissingReport
        The rule in words, counts and one note per changed card.

    Examples
    --------
    >>> from scoring.types import Area, Criterion, Framework, Score
    >>> fw = Framework((Area("A", 100, (Criterion("A1", "A", 4, 1), Criterion("A2", "A", 6, 1))),))
    >>> arr = score_array(fw, [Score("u", "r", "A1", 2), Score("u", "r", "A2", None)])
    >>> values, report = apply_missing_policy(arr, fw, "rescale")
    >>> values[0, 0].tolist()   # A2 gets 2/4 of its maximum 6
    [2.0, 3.0]
    """
    policy = _policy(policy)
    values = array.values.copy()
    card = array.has_card
    missing = np.isnan(values) & card[:, :, None]
    criteria = framework.criteria()
    maxima = np.array([c.max_points for c in criteria], dtype=float)
    any_missing = missing.any(axis=2)
    notes: list[CardNote] = []
    n_dropped = 0

    if policy is MissingPolicy.ZERO:
        values[missing] = 0.0
    elif policy is MissingPolicy.DROP:
        values[any_missing] = np.nan
        n_dropped = int(any_missing.sum())
    else:
        for area in framework.areas:
            idx = np.array([array.criteria.index(c.code) for c in area.criteria])
            block = values[:, :, idx]
            scored = ~np.isnan(block)
            got = np.where(scored, block, 0.0).sum(axis=2)
            possible = (scored * maxima[idx]).sum(axis=2)
            with np.errstate(invalid="ignore", divide="ignore"):
                share = np.where(possible > 0, got / possible, np.nan)
            filled = np.where(np.isnan(block) & card[:, :, None], share[:, :, None] * maxima[idx], block)
            values[:, :, idx] = filled

    for u, r in zip(*np.nonzero(any_missing)):
        miss = tuple(array.criteria[c] for c in np.flatnonzero(missing[u, r]))
        if policy is MissingPolicy.ZERO:
            action, detail = "zero", f"{len(miss)} missing criteria counted as 0"
        elif policy is MissingPolicy.DROP:
            action, detail = "dropped", f"card left out: {len(miss)} criteria missing"
        else:
            unscored = [a.code for a in framework.areas if all(np.isnan(values[u, r, array.criteria.index(c.code)]) for c in a.criteria)]
            if unscored:
                action = "area_unscored"
                detail = f"rescaled within areas; nothing scored in area(s) {', '.join(unscored)}, which this card leaves out"
            else:
                action, detail = "rescaled", f"{len(miss)} missing criteria rescaled within their areas"
        notes.append(CardNote(array.units[u], array.raters[r], miss, action, detail))

    if policy is not MissingPolicy.DROP:
        # a card on which nothing at all is usable is, in effect, dropped
        n_dropped = int((card & np.isnan(values).all(axis=2)).sum())
    report = MissingReport(
        policy=policy,
        rule=_POLICY_RULES[policy],
        n_cards=int(card.sum()),
        n_complete=int((card & ~any_missing).sum()),
        n_changed=int(any_missing.sum()),
        n_dropped=n_dropped,
        notes=tuple(notes),
    )
    return values, report


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
    method = _method(method, "method")
    fallback = _method(fallback, "fallback")
    x = np.sort(np.asarray(values, dtype=float)[~np.isnan(np.asarray(values, dtype=float))])
    n = x.size
    if n == 0:
        return math.nan, "none", "no rater scored this cell"
    k = trim if method in (AggregationMethod.TRIMMED, AggregationMethod.WINSORIZED) else 0
    remain = n - 2 * k
    reason = ""
    applied = method
    if remain < min_raters:
        reason = _fallback_reason(n, k, min_raters)
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


def _fallback_reason(n: int, k: int, min_raters: int) -> str:
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
    method = _method(method, "method")
    fallback = _method(fallback, "fallback")
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
        applied[mask] = _CODE[chosen.value]
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


# --------------------------------------------------------------------------- totals


@dataclass(frozen=True, eq=False)
class TotalWeights:
    """Linear map from criterion points to area subtotals and the total.

    ``per_area[c, a]`` is ``area.weight / sum of the area's maxima`` when criterion
    c is in area a, else 0; a unit's subtotal of area a is ``points @ per_area[:, a]``.
    """

    areas: tuple[str, ...]
    per_area: np.ndarray  # (C, A)
    coefficients: np.ndarray  # (C,) row sums of per_area

    def subtotals(self, points: np.ndarray) -> np.ndarray:
        """Area subtotals (..., A); ``nan`` where any criterion of the area is ``nan``."""
        empty = np.isnan(points)
        sub = np.where(empty, 0.0, points) @ self.per_area
        blocked = (empty.astype(float) @ (self.per_area > 0)) > 0
        sub[blocked] = np.nan
        return sub

    def totals(self, points: np.ndarray) -> np.ndarray:
        """Weighted totals (...,); ``nan`` where any criterion is ``nan``."""
        empty = np.isnan(points)
        tot = np.where(empty, 0.0, points) @ self.coefficients
        tot[empty.any(axis=-1)] = np.nan
        return tot


def total_weights(framework: Framework) -> TotalWeights:
    """Coefficients that turn criterion points into area subtotals and the total.

    Area subtotal :math:`S_a = w_a \\sum_{c \\in a} x_c / \\sum_{c \\in a} m_c`,
    total :math:`T = \\sum_a S_a`; with weights adding up to 100 (validated) the
    total is on a 100-point scale whatever the criteria maxima are.

    Examples
    --------
    >>> from scoring.types import Area, Criterion, Framework
    >>> fw = Framework((Area("A", 60, (Criterion("A1", "A", 4, 1), Criterion("A2", "A", 6, 1))),
    ...                 Area("B", 40, (Criterion("B1", "B", 5, 1),))))
    >>> total_weights(fw).coefficients.tolist()
    [6.0, 6.0, 8.0]
    """
    framework.validate()
    criteria = framework.criteria()
    per_area = np.zeros((len(criteria), len(framework.areas)))
    pos = {c.code: i for i, c in enumerate(criteria)}
    for a, area in enumerate(framework.areas):
        denom = sum(c.max_points for c in area.criteria)
        for c in area.criteria:
            per_area[pos[c.code], a] = area.weight / denom
    return TotalWeights(
        areas=tuple(a.code for a in framework.areas),
        per_area=per_area,
        coefficients=per_area.sum(axis=1),
    )


# --------------------------------------------------------------------------- the result


@dataclass(frozen=True)
class FallbackNote:
    """A cell where the configured method was not applied."""

    unit: str
    criterion: str
    n_raters: int
    applied: str
    reason: str


@dataclass(frozen=True, eq=False)
class AggregateResult:
    """Aggregated points, subtotals and totals of a round, with the rules applied.

    Arrays are indexed by ``units`` (rows), ``criteria`` or ``areas`` (columns).
    """

    units: tuple[str, ...]
    raters: tuple[str, ...]
    criteria: tuple[str, ...]
    areas: tuple[str, ...]
    method: AggregationMethod
    trim: int
    min_raters: int
    fallback: AggregationMethod
    missing: MissingReport
    points: np.ndarray  #: (U, C) aggregated points per criterion
    n_raters: np.ndarray  #: (U, C) raters whose points entered each cell
    applied: np.ndarray  #: (U, C) str: method actually used per cell
    fallbacks: tuple[FallbackNote, ...]  #: every cell where ``applied`` differs from ``method``
    subtotals: np.ndarray  #: (U, A) area subtotals
    totals: np.ndarray  #: (U,) weighted totals on the framework's scale
    total_notes: tuple[str, ...]  #: per unit: why the total is nan, else ""
    values: np.ndarray  #: (U, R, C) points after the missing policy (what was aggregated)

    @property
    def rule(self) -> str:
        """The aggregation rule in words."""
        if self.method in (AggregationMethod.TRIMMED, AggregationMethod.WINSORIZED):
            core = f"{self.method.value} mean, {self.trim} rater(s) at each end"
            need = f"fewer than {self.min_raters} raters left after trimming"
        else:
            core = self.method.value
            need = f"fewer than {self.min_raters} raters"
        return f"{core}; {self.fallback.value} where {need}; missing criteria: {self.missing.policy.value}"


def aggregate(framework: Framework, array: ScoreArray, settings: Settings) -> AggregateResult:
    """Aggregate a round's scores per unit and criterion, then weight them into totals.

    Parameters
    ----------
    framework : Framework
    array : ScoreArray
        From :func:`score_array` (recusal already applied by the caller).
    settings : Settings
        ``method``, ``trim``, ``min_raters``, ``fallback`` and ``missing_policy``.

    Returns
    -------
    AggregateResult
        Criterion points, rater counts and the applied method per cell, area
        subtotals and totals (see :func:`total_weights`), and the missing-policy report.

    Examples
    --------
    >>> from scoring.types import Area, Criterion, Framework, Score, Settings
    >>> fw = Framework((Area("A", 100, (Criterion("A1", "A", 10, 1),)),))
    >>> rows = [Score("u", f"r{i}", "A1", p) for i, p in enumerate([1, 7, 8, 9, 10])]
    >>> res = aggregate(fw, score_array(fw, rows), Settings(trim=1))
    >>> float(res.points[0, 0]), float(res.totals[0])
    (8.0, 80.0)
    """
    check_settings(settings)
    method = _method(settings.method, "settings.method")
    fallback = _method(settings.fallback, "settings.fallback")
    values, missing = apply_missing_policy(array, framework, settings.missing_policy)
    cells = sort_cells(values)
    ones = np.ones((1, len(array.raters)), dtype=np.int32)
    points, applied, n = aggregate_cells(cells, ones, method, settings.trim, settings.min_raters, fallback)
    points, applied, n = points[0], applied[0], n[0]
    tw = total_weights(framework)
    subtotals = tw.subtotals(points)
    totals = tw.totals(points)

    applied_names = np.array(METHOD_NAMES, dtype=object)[applied]
    k = settings.trim if method in (AggregationMethod.TRIMMED, AggregationMethod.WINSORIZED) else 0
    fallbacks = tuple(
        FallbackNote(array.units[u], array.criteria[c], int(n[u, c]), str(applied_names[u, c]), _fallback_reason(int(n[u, c]), k, settings.min_raters))
        for u, c in zip(*np.nonzero(applied == _CODE[fallback.value]))
        if fallback is not method
    )
    notes = []
    for u in range(len(array.units)):
        if not np.isnan(totals[u]):
            notes.append("")
        elif not array.has_card[u].any():
            notes.append("no scorecard for this unit")
        elif np.isnan(points[u]).all():
            notes.append("no usable scorecard for this unit (after recusal and the missing policy)")
        else:
            empty = [tw.areas[a] for a in np.flatnonzero(np.isnan(subtotals[u]))]
            notes.append(f"no rater scored area(s) {', '.join(empty)}")
    return AggregateResult(
        units=array.units,
        raters=array.raters,
        criteria=array.criteria,
        areas=tw.areas,
        method=method,
        trim=int(settings.trim),
        min_raters=int(settings.min_raters),
        fallback=fallback,
        missing=missing,
        points=points,
        n_raters=n.astype(int),
        applied=applied_names,
        fallbacks=fallbacks,
        subtotals=subtotals,
        totals=totals,
        total_notes=tuple(notes),
        values=values,
    )


def card_totals(framework: Framework, values: np.ndarray) -> np.ndarray:
    """Each rater's own total for each unit, units x raters, on the framework's scale.

    A card's area share is its points over the maxima of the criteria it has
    values for (after the missing policy); the card total is

    .. math:: T_{ur} = \\text{total} \\cdot \\frac{\\sum_{a \\in A_{ur}} w_a p_{ura}}{\\sum_{a \\in A_{ur}} w_a}

    over the areas :math:`A_{ur}` the card has any value in, i.e. a percentage
    of the maximum the rater actually scored. For a complete card it equals the
    ordinary weighted total. ``nan`` where the rater has no usable card.

    Examples
    --------
    >>> from scoring.types import Area, Criterion, Framework
    >>> fw = Framework((Area("A", 60, (Criterion("A1", "A", 10, 1),)),
    ...                 Area("B", 40, (Criterion("B1", "B", 10, 1),))))
    >>> card_totals(fw, np.array([[[5.0, np.nan]]])).tolist()   # only area A scored: 50%
    [[50.0]]
    """
    framework.validate()
    criteria = framework.criteria()
    maxima = np.array([c.max_points for c in criteria], dtype=float)
    pos = {c.code: i for i, c in enumerate(criteria)}
    weighted = np.zeros(values.shape[:2])
    weight_seen = np.zeros(values.shape[:2])
    for area in framework.areas:
        idx = [pos[c.code] for c in area.criteria]
        block = values[:, :, idx]
        scored = ~np.isnan(block)
        possible = (scored * maxima[idx]).sum(axis=2)
        got = np.where(scored, block, 0.0).sum(axis=2)
        has = possible > 0
        with np.errstate(invalid="ignore", divide="ignore"):
            weighted += np.where(has, area.weight * got / np.where(has, possible, 1.0), 0.0)
        weight_seen += np.where(has, area.weight, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(weight_seen > 0, framework.total * weighted / np.where(weight_seen > 0, weight_seen, 1.0), np.nan)
