"""From criterion points to area subtotals and the weighted total, and each
rater's own card total."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scoring.types import Framework

__all__ = ["TotalWeights", "total_weights", "card_totals"]


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
