"""Importance-performance analysis (Martilla & James 1977): a quadrant per item."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np

from scoring._validate import as_numbers
from scoring.types import ScoringInputError

__all__ = ["Quadrant", "ImportancePerformance", "importance_performance"]


class Quadrant(str, Enum):
    """Martilla & James (1977) quadrants of the importance-performance grid."""

    CONCENTRATE_HERE = "concentrate here"  #: important, performing below par
    KEEP_UP_THE_GOOD_WORK = "keep up the good work"  #: important, performing well
    LOW_PRIORITY = "low priority"  #: less important, performing below par
    POSSIBLE_OVERKILL = "possible overkill"  #: less important, performing well


@dataclass(frozen=True, eq=False)
class ImportancePerformance:
    """Quadrant of each item; ``None`` where an item's importance or performance is nan."""

    importance: np.ndarray
    performance: np.ndarray
    importance_cross: float
    performance_cross: float
    quadrants: tuple[Quadrant | None, ...]
    #: performance - importance per item (both on one scale): negative where
    #: members rate the service below how much it matters to them.
    gap: np.ndarray | None = None

    def items_in(self, quadrant: Quadrant) -> np.ndarray:
        """Input indices of the items in ``quadrant``."""
        return np.array([i for i, q in enumerate(self.quadrants) if q == quadrant], dtype=int)


def importance_performance(
    importance,
    performance,
    importance_cross: float | None = None,
    performance_cross: float | None = None,
) -> ImportancePerformance:
    """Importance-performance analysis: place each item in a quadrant.

    Parameters
    ----------
    importance, performance : array_like, shape (n_items,)
        Mean importance and mean performance (satisfaction) of each item on
        the same kind of scale.
    importance_cross, performance_cross : float, optional
        Cross-hairs. By default the grand means: the mean of the item means
        (items with ``nan`` left out).

    Returns
    -------
    ImportancePerformance
        ``quadrants`` (one :class:`Quadrant` per item), the cross-hairs used
        and ``gap`` (performance - importance).

    Notes
    -----
    Following Martilla & James (1977), importance is the vertical axis and
    performance the horizontal one:

    =====================  ==============================  =====================
    importance             performance below cross-hair    at or above
    =====================  ==============================  =====================
    at or above            concentrate here                keep up the good work
    below                  low priority                    possible overkill
    =====================  ==============================  =====================

    A value exactly on a cross-hair counts as high. Martilla & James place
    the cross-hairs by judgement; the grand means (data-centred cross-hairs)
    are the common default, and given values (e.g. the scale midpoint) can
    be passed instead. The gap performance - importance (both items on one
    scale) orders items within "concentrate here": most negative first.

    References
    ----------
    Martilla, J. A., & James, J. C. (1977). Importance-performance analysis.
    Journal of Marketing, 41(1), 77-79.

    Examples
    --------
    >>> res = importance_performance([4.5, 4.4, 3.0, 3.1], [3.0, 4.2, 2.9, 4.5])
    >>> [q.value for q in res.quadrants]
    ['concentrate here', 'keep up the good work', 'low priority', 'possible overkill']
    """
    imp = as_numbers(importance, "importance_performance importance")
    perf = as_numbers(performance, "importance_performance performance")
    if imp.ndim != 1 or perf.shape != imp.shape:
        raise ScoringInputError(
            f"importance_performance: importance and performance must be 1-D of one length; "
            f"got shapes {imp.shape} and {perf.shape}"
        )
    if np.isinf(imp).any() or np.isinf(perf).any():
        j = int(np.flatnonzero(np.isinf(imp) | np.isinf(perf))[0])
        raise ScoringInputError(f"importance_performance: item {j} has an infinite value")
    both = ~np.isnan(imp) & ~np.isnan(perf)
    if importance_cross is None or performance_cross is None:
        if not both.any():
            raise ScoringInputError("importance_performance: no item has both importance and performance")
    i_cross = float(imp[both].mean()) if importance_cross is None else float(importance_cross)
    p_cross = float(perf[both].mean()) if performance_cross is None else float(performance_cross)
    high_i = imp >= i_cross
    high_p = perf >= p_cross
    table = {
        (True, False): Quadrant.CONCENTRATE_HERE,
        (True, True): Quadrant.KEEP_UP_THE_GOOD_WORK,
        (False, False): Quadrant.LOW_PRIORITY,
        (False, True): Quadrant.POSSIBLE_OVERKILL,
    }
    quadrants = tuple(
        table[(bool(hi), bool(hp))] if ok else None for hi, hp, ok in zip(high_i, high_p, both)
    )
    return ImportancePerformance(
        importance=imp,
        performance=perf,
        importance_cross=i_cross,
        performance_cross=p_cross,
        quadrants=quadrants,
        gap=perf - imp,
    )
