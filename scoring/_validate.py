"""Input checks shared by the array-in, result-out statistics modules
(:mod:`scoring.reliability`, :mod:`scoring.survey`, :mod:`scoring.raters`).

Each check raises :class:`~scoring.types.ScoringInputError` with a message
that starts with ``what`` (the function or argument being checked) and names
the offending row and column, so every module reports bad input the same way.
"""

from __future__ import annotations

import numpy as np

from scoring.types import ScoringInputError


def as_numbers(x, what: str) -> np.ndarray:
    """``x`` as a float array (any shape), or an error naming ``what``."""
    try:
        return np.asarray(x, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ScoringInputError(f"{what}: values must be numbers ({exc})") from None


def as_matrix(x, what: str, rows: str, cols: str) -> np.ndarray:
    """``x`` as a 2-D float array of ``rows x cols`` without infinite values.

    ``rows`` and ``cols`` are plural nouns ("targets", "raters"); a message
    names the first infinite cell by their singular ("target 2, rater 1").
    ``nan`` passes: whether a value may be missing is the caller's rule.
    """
    arr = as_numbers(x, what)
    if arr.ndim != 2:
        raise ScoringInputError(f"{what}: expected a 2-D array of {rows} x {cols}, got {arr.ndim}-D")
    infinite = np.isinf(arr)
    if infinite.any():
        r, c = first_cell(infinite)
        raise ScoringInputError(f"{what}: infinite value at {rows[:-1]} {r}, {cols[:-1]} {c}")
    return arr


def first_cell(mask: np.ndarray) -> tuple[int, ...]:
    """Index (Python ints) of the first True entry of ``mask`` in row-major order.

    Call it only when ``mask.any()``; it is how every check names the
    offending row and column.

    Examples
    --------
    >>> first_cell(np.array([[False, False], [True, True]]))
    (1, 0)
    """
    return tuple(int(i) for i in np.argwhere(mask)[0])


def check_confidence(confidence: float) -> float:
    """``confidence`` as a float strictly between 0 and 1, or an error."""
    confidence = float(confidence)
    if not 0.0 < confidence < 1.0:
        raise ScoringInputError(f"confidence must lie strictly between 0 and 1, got {confidence!r}")
    return confidence
