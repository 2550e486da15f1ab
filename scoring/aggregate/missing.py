"""The missing-criterion policy, applied to each scorecard before aggregation."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scoring.aggregate.scores import ScoreArray
from scoring.aggregate.settings import parse_policy
from scoring.types import Framework, MissingPolicy

__all__ = ["CardNote", "MissingReport", "apply_missing_policy"]


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
        Output of :func:`~scoring.aggregate.score_array`.
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
    >>> from scoring.aggregate import score_array
    >>> from scoring.types import Area, Criterion, Framework, Score
    >>> fw = Framework((Area("A", 100, (Criterion("A1", "A", 4, 1), Criterion("A2", "A", 6, 1))),))
    >>> arr = score_array(fw, [Score("u", "r", "A1", 2), Score("u", "r", "A2", None)])
    >>> values, report = apply_missing_policy(arr, fw, "rescale")
    >>> values[0, 0].tolist()   # A2 gets 2/4 of its maximum 6
    [2.0, 3.0]
    """
    policy = parse_policy(policy)
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
