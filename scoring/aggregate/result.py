"""A round's aggregation end to end: missing policy, cells, subtotals and
totals, with every rule that was applied (:func:`aggregate`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scoring.aggregate.cells import METHOD_CODES, METHOD_NAMES, aggregate_cells, fallback_reason, sort_cells
from scoring.aggregate.missing import MissingReport, apply_missing_policy
from scoring.aggregate.scores import ScoreArray
from scoring.aggregate.settings import check_settings, parse_method
from scoring.aggregate.totals import total_weights
from scoring.types import AggregationMethod, Framework, Settings

__all__ = ["FallbackNote", "AggregateResult", "aggregate"]


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
        From :func:`~scoring.aggregate.score_array` (recusal already applied by the caller).
    settings : Settings
        ``method``, ``trim``, ``min_raters``, ``fallback`` and ``missing_policy``.

    Returns
    -------
    AggregateResult
        Criterion points, rater counts and the applied method per cell, area
        subtotals and totals (see :func:`~scoring.aggregate.total_weights`), and the missing-policy report.

    Examples
    --------
    >>> from scoring.aggregate import score_array
    >>> from scoring.types import Area, Criterion, Framework, Score, Settings
    >>> fw = Framework((Area("A", 100, (Criterion("A1", "A", 10, 1),)),))
    >>> rows = [Score("u", f"r{i}", "A1", p) for i, p in enumerate([1, 7, 8, 9, 10])]
    >>> res = aggregate(fw, score_array(fw, rows), Settings(trim=1))
    >>> float(res.points[0, 0]), float(res.totals[0])
    (8.0, 80.0)
    """
    check_settings(settings)
    method = parse_method(settings.method, "settings.method")
    fallback = parse_method(settings.fallback, "settings.fallback")
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
        FallbackNote(array.units[u], array.criteria[c], int(n[u, c]), str(applied_names[u, c]), fallback_reason(int(n[u, c]), k, settings.min_raters))
        for u, c in zip(*np.nonzero(applied == METHOD_CODES[fallback.value]))
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
