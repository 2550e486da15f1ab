"""The long score table, validated row by row against the framework and laid out
as a dense units x raters x criteria array."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from scoring.types import Framework, Score, ScoringInputError

__all__ = ["ScoreRowError", "ScoreArray", "score_array"]

_STEP_TOLERANCE = 1e-9


class ScoreRowError(ScoringInputError):
    """A score row the engine refuses; ``row`` is its 0-based index in the table."""

    def __init__(self, row: int, message: str, duplicate_of: int | None = None):
        super().__init__(f"row {row}: {message}")
        self.row = row
        self.detail = message
        self.duplicate_of = duplicate_of  #: for a duplicate, the index of the earlier row


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
    scoring.aggregate.scores.ScoreRowError: row 0: unit 'u1', rater 'r1', criterion 'A1': points 11 are above the maximum 10
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
