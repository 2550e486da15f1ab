"""The units x raters input of :mod:`scoring.raters`: its checks, and how
messages and notes name its rows (units) and columns (raters)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from scoring._validate import first_cell
from scoring.types import ScoringInputError

#: Lists longer than this are abbreviated in notes.
LIST_LIMIT = 10


@dataclass(frozen=True)
class Names:
    """Names of the units (rows) or raters (columns) of ``x`` in texts: the
    caller's ids when given, else the 0-based index ("rater 3")."""

    ids: tuple[str, ...] | None = None

    @classmethod
    def of(cls, ids: Sequence[object] | None, count: int, argument: str, axis: str) -> Names:
        """Check ``ids`` against the ``count`` rows or columns of ``x``; None keeps indices."""
        if ids is None:
            return cls()
        if isinstance(ids, str):
            raise ScoringInputError(f"{argument} must be a sequence of ids, not the string {ids!r}")
        names = tuple(str(i) for i in ids)
        if len(names) != count:
            raise ScoringInputError(f"{argument} has {len(names)} ids but x has {count} {axis}")
        return cls(names)

    def __call__(self, index: int) -> str:
        return str(int(index)) if self.ids is None else self.ids[int(index)]

    def listing(self, indices: Iterable[int]) -> str:
        """``[a, b, c]``, abbreviated after :data:`LIST_LIMIT` entries."""
        items = [self(i) for i in indices]
        shown = ", ".join(items[:LIST_LIMIT])
        if len(items) > LIST_LIMIT:
            shown += f", ... ({len(items) - LIST_LIMIT} more)"
        return f"[{shown}]"


def score_matrix(x, unit_ids: Sequence[object] | None = None, rater_ids: Sequence[object] | None = None):
    """Check ``x`` (units x raters, ``nan`` = not scored) and name its axes.

    Returns
    -------
    values : ndarray of float, a copy of ``x``
    units, raters : Names

    Raises
    ------
    ScoringInputError
        ``x`` not numeric, not 2-D, empty, with an infinite score (named by
        unit and rater), without any score, or with a single rater; ids of the
        wrong length.
    """
    try:
        values = np.array(x, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ScoringInputError(f"x must be a numeric units x raters matrix: {exc}") from None
    if values.ndim != 2:
        raise ScoringInputError(f"x must be a 2-D units x raters matrix, got {values.ndim} dimension(s)")
    n_units, n_raters = values.shape
    if n_units == 0 or n_raters == 0:
        raise ScoringInputError(f"x is empty ({n_units} units x {n_raters} raters)")
    units = Names.of(unit_ids, n_units, "unit_ids", "units (rows)")
    raters = Names.of(rater_ids, n_raters, "rater_ids", "raters (columns)")
    infinite = np.isinf(values)
    if infinite.any():
        u, r = first_cell(infinite)
        raise ScoringInputError(
            f"unit {units(u)}, rater {raters(r)}: score {values[u, r]} is not finite (use nan for 'not scored')"
        )
    if np.isnan(values).all():
        raise ScoringInputError("x has no scores: every cell is nan")
    if n_raters < 2:
        raise ScoringInputError("a rater x unit matrix with one rater cannot separate rater and unit effects")
    return values, units, raters
