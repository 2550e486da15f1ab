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

Import from here (``from scoring.aggregate import aggregate``). One module per
step:

- :mod:`~scoring.aggregate.settings` -- :func:`check_settings`;
- :mod:`~scoring.aggregate.scores` -- :func:`score_array`, :class:`ScoreArray`,
  :class:`ScoreRowError` (step 1);
- :mod:`~scoring.aggregate.missing` -- :func:`apply_missing_policy` (step 2);
- :mod:`~scoring.aggregate.cells` -- :func:`robust_location` (the readable
  one-cell reference), :func:`sort_cells` and :func:`aggregate_cells` (the
  vectorised kernel);
- :mod:`~scoring.aggregate.totals` -- :func:`total_weights`, :func:`card_totals`;
- :mod:`~scoring.aggregate.result` -- :func:`aggregate` and :class:`AggregateResult` (step 3).
"""

from scoring.aggregate.cells import METHOD_NAMES, SortedCells, aggregate_cells, robust_location, sort_cells
from scoring.aggregate.missing import CardNote, MissingReport, apply_missing_policy
from scoring.aggregate.result import AggregateResult, FallbackNote, aggregate
from scoring.aggregate.scores import ScoreArray, ScoreRowError, score_array
from scoring.aggregate.settings import check_settings
from scoring.aggregate.totals import TotalWeights, card_totals, total_weights

__all__ = [
    "METHOD_NAMES",
    "ScoreRowError",
    "check_settings",
    "ScoreArray",
    "score_array",
    "CardNote",
    "MissingReport",
    "apply_missing_policy",
    "robust_location",
    "SortedCells",
    "sort_cells",
    "aggregate_cells",
    "TotalWeights",
    "total_weights",
    "FallbackNote",
    "AggregateResult",
    "aggregate",
    "card_totals",
]
