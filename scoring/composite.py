"""Composite assessment: the open-door total combined with target indicators and
satisfaction-survey results under declared weights.

Every component is turned into a 0-100 score by a rule it states, then

.. math:: C = \\sum_i \\frac{w_i}{W} s_i \\cdot \\frac{W}{100}
          = \\sum_i \\frac{w_i s_i}{100}

where the weights :math:`w_i` must add up to :math:`W` (100 by default), so the
composite is on a W-point scale and each contribution :math:`w_i s_i / 100` is
"the points this component earned out of its weight".

Example: the 2015 service-system targets (DOMAIN.md section 3) include a
mutual-aid card application rate of 90%; a union at 81% scores
:math:`100 \\cdot 81/90 = 90` on that indicator, one at 95% scores 100 (capped).

:func:`composite_score` combines one unit's components;
:func:`round_composites` does it for every unit a :class:`CompositeSpec`
lists, taking the open-door component from the round's totals (this is what
``python -m scoring`` runs for a config's ``composite`` section).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from scoring.types import ScoringInputError


def _finite(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ScoringInputError(f"{what} is {value!r}; it must be a finite number")
    return float(value)


@dataclass(frozen=True)
class OpenDoorComponent:
    """The open-door scoring total of a unit, on a ``scale``-point scale (100 by default)."""

    total: float
    weight: float
    scale: float = 100.0
    code: str = "open_door"
    title: str = "open-door scoring"

    def score(self) -> tuple[float, str]:
        """Score 0-100 and its rule: ``100 * total / scale``."""
        total = _finite(self.total, f"component {self.code!r}: total")
        scale = _finite(self.scale, f"component {self.code!r}: scale")
        if scale <= 0:
            raise ScoringInputError(f"component {self.code!r}: scale is {scale:g}; it must be positive")
        if not 0 <= total <= scale:
            raise ScoringInputError(f"component {self.code!r}: total {total:g} lies outside 0..{scale:g}")
        return 100.0 * total / scale, f"100 * total / {scale:g}"


@dataclass(frozen=True)
class TargetIndicator:
    """Actual against target, scored linearly and capped at 100.

    ``direction="higher"`` (e.g. a card application rate against 90%):

    .. math:: s = 100 \\cdot \\operatorname{clip}\\Big(\\frac{a - f}{t - f}, 0, 1\\Big)

    with ``floor`` f (0 by default), so 0 at the floor, 100 at or above target.
    ``direction="lower"`` (e.g. a complaint backlog): 100 at or below target,
    0 at or above ``worst`` (required, above target), linear between.
    Actual, target, floor and worst must share a unit (shares or percentages).
    """

    code: str
    actual: float
    target: float
    weight: float
    direction: str = "higher"
    floor: float = 0.0
    worst: float | None = None
    title: str = ""

    def score(self) -> tuple[float, str]:
        """Score 0-100 and its rule in words."""
        where = f"indicator {self.code!r}"
        actual = _finite(self.actual, f"{where}: actual")
        target = _finite(self.target, f"{where}: target")
        if self.direction == "higher":
            floor = _finite(self.floor, f"{where}: floor")
            if not target > floor:
                raise ScoringInputError(f"{where}: target {target:g} must be above the floor {floor:g}")
            value = 100.0 * min(max((actual - floor) / (target - floor), 0.0), 1.0)
            return value, f"linear from {floor:g} (0) to target {target:g} (100), capped"
        if self.direction == "lower":
            if self.worst is None:
                raise ScoringInputError(f"{where}: a 'lower is better' indicator needs a worst value (where it scores 0)")
            worst = _finite(self.worst, f"{where}: worst")
            if not worst > target:
                raise ScoringInputError(f"{where}: worst {worst:g} must be above the target {target:g}")
            value = 100.0 * min(max((worst - actual) / (worst - target), 0.0), 1.0)
            return value, f"lower is better: 100 at or below target {target:g}, 0 at or above {worst:g}, linear between"
        raise ScoringInputError(f"{where}: direction is {self.direction!r}; choose 'higher' or 'lower'")


@dataclass(frozen=True)
class SurveyComponent:
    """A satisfaction-survey result: a 0-100 score (``scale="percent"``) or a 0-1 share."""

    code: str
    value: float
    weight: float
    scale: str = "percent"
    title: str = ""

    def score(self) -> tuple[float, str]:
        """Score 0-100 and its rule: the value itself, or 100 times the share."""
        where = f"survey {self.code!r}"
        value = _finite(self.value, f"{where}: value")
        if self.scale == "percent":
            if not 0 <= value <= 100:
                raise ScoringInputError(f"{where}: value {value:g} lies outside 0..100")
            return value, "survey score on 0-100 as reported"
        if self.scale == "share":
            if not 0 <= value <= 1:
                raise ScoringInputError(f"{where}: share {value:g} lies outside 0..1")
            return 100.0 * value, "100 * share"
        raise ScoringInputError(f"{where}: scale is {self.scale!r}; choose 'percent' or 'share'")


Component = OpenDoorComponent | TargetIndicator | SurveyComponent


@dataclass(frozen=True)
class ComponentResult:
    """One component as it entered the composite."""

    code: str
    kind: str  #: "open_door", "target" or "survey"
    title: str
    raw: float  #: the input value (total, actual or survey value)
    score: float  #: 0-100
    weight: float
    contribution: float  #: weight * score / 100
    rule: str


@dataclass(frozen=True)
class CompositeResult:
    """The composite score with every component, its weight and its contribution."""

    score: float  #: sum of contributions, on a ``total_weight``-point scale
    total_weight: float
    components: tuple[ComponentResult, ...]

    def to_dict(self) -> dict:
        """Plain JSON-ready dictionary."""
        return {
            "score": self.score,
            "total_weight": self.total_weight,
            "components": [c.__dict__.copy() for c in self.components],
        }


_KIND = {OpenDoorComponent: "open_door", TargetIndicator: "target", SurveyComponent: "survey"}


def check_weights(components: Sequence[Component], total_weight: float = 100.0) -> float:
    """Check that the components can be combined; return ``total_weight`` as a float.

    Only types, codes and weights are checked, not the components' own
    values, so a configuration can be checked before the round is computed.

    Raises
    ------
    ScoringInputError
        No component, an unknown component type, a repeated code, a weight
        that is not positive, or weights that do not add up to
        ``total_weight`` (the message lists every weight).

    Examples
    --------
    >>> check_weights([OpenDoorComponent(total=0.0, weight=60), SurveyComponent("s", 0.0, 35)])
    Traceback (most recent call last):
    ...
    scoring.types.ScoringInputError: component weights add up to 95, not 100 (open_door=60, s=35)
    """
    total_weight = _finite(total_weight, "total_weight")
    if not components:
        raise ScoringInputError("a composite needs at least one component")
    seen: set[str] = set()
    for comp in components:
        if type(comp) not in _KIND:
            raise ScoringInputError(f"unknown component type {type(comp).__name__}")
        if comp.code in seen:
            raise ScoringInputError(f"component code {comp.code!r} appears twice")
        seen.add(comp.code)
        weight = _finite(comp.weight, f"component {comp.code!r}: weight")
        if weight <= 0:
            raise ScoringInputError(f"component {comp.code!r}: weight is {weight:g}; it must be positive")
    weights = sum(c.weight for c in components)
    if not math.isclose(weights, total_weight, rel_tol=0, abs_tol=1e-9):
        listed = ", ".join(f"{c.code}={c.weight:g}" for c in components)
        raise ScoringInputError(f"component weights add up to {weights:g}, not {total_weight:g} ({listed})")
    return total_weight


def composite_score(components: Sequence[Component], total_weight: float = 100.0) -> CompositeResult:
    """Combine scored components under weights that must add up to ``total_weight``.

    Parameters
    ----------
    components : sequence of OpenDoorComponent, TargetIndicator, SurveyComponent
        Codes must be unique; weights positive.
    total_weight : float
        What the weights must add up to (100 by default).

    Returns
    -------
    CompositeResult
        ``score = sum(weight_i * score_i / 100)``; each component's score, weight,
        contribution and scoring rule.

    Raises
    ------
    ScoringInputError
        When the weights do not add up (the message lists every weight), a
        weight is not positive, a code repeats, or a component's own input is
        out of range (the message names the component).

    Examples
    --------
    >>> res = composite_score([
    ...     OpenDoorComponent(total=82.5, weight=60),
    ...     TargetIndicator("mutual_aid_card_rate", actual=0.81, target=0.90, weight=20),
    ...     SurveyComponent("member_satisfaction", value=0.75, weight=20, scale="share"),
    ... ])
    >>> round(res.score, 6), [round(c.contribution, 6) for c in res.components]
    (82.5, [49.5, 18.0, 15.0])
    """
    total_weight = check_weights(components, total_weight)
    results = []
    for comp in components:
        value, rule = comp.score()
        raw = comp.total if isinstance(comp, OpenDoorComponent) else comp.actual if isinstance(comp, TargetIndicator) else comp.value
        results.append(
            ComponentResult(
                code=comp.code,
                kind=_KIND[type(comp)],
                title=comp.title,
                raw=float(raw),
                score=value,
                weight=float(comp.weight),
                contribution=comp.weight * value / 100.0,
                rule=rule,
            )
        )
    return CompositeResult(score=sum(r.contribution for r in results), total_weight=total_weight, components=tuple(results))


# --------------------------------------------------------------------------- a whole round


@dataclass(frozen=True)
class UnitComposite:
    """What one unit is assessed on besides its open-door total."""

    unit: str
    components: tuple[TargetIndicator | SurveyComponent, ...] = ()


@dataclass(frozen=True)
class CompositeSpec:
    """Composite assessment of a round: every listed unit's open-door total (from
    the round) with ``open_door_weight``, plus that unit's own indicators and
    survey results; per unit the weights add up to ``total_weight``."""

    open_door_weight: float
    units: tuple[UnitComposite, ...]
    total_weight: float = 100.0

    def components(self, entry: UnitComposite, open_door_total: float, scale: float = 100.0) -> list[Component]:
        """The unit's components, the open-door total (on a ``scale``-point scale) first."""
        return [OpenDoorComponent(total=open_door_total, weight=self.open_door_weight, scale=scale), *entry.components]


@dataclass(frozen=True)
class UnitCompositeResult:
    """One unit's composite; ``result`` is None (and ``note`` says why) without an open-door total."""

    unit: str
    result: CompositeResult | None
    note: str = ""


#: Columns of the two composite tables (CSV headers).
COMPOSITE_COLUMNS: dict[str, tuple[str, ...]] = {
    "composite": ("unit", "score", "total_weight", "note"),
    "composite_components": ("unit", "code", "kind", "title", "raw", "score", "weight", "contribution", "rule"),
}


@dataclass(frozen=True)
class RoundComposite:
    """The composite of every unit a :class:`CompositeSpec` lists, in its order."""

    open_door_weight: float
    total_weight: float
    units: tuple[UnitCompositeResult, ...]

    def to_dict(self) -> dict:
        """Plain JSON-ready dictionary; a unit without a composite has score None."""
        units = []
        for u in self.units:
            if u.result is None:
                body = {"score": None, "total_weight": self.total_weight, "components": []}
            else:
                body = u.result.to_dict()
            units.append({"unit": u.unit, **body, "note": u.note})
        return {"open_door_weight": self.open_door_weight, "total_weight": self.total_weight, "units": units}

    def tables(self) -> dict[str, list[dict]]:
        """Rows of the tables in :data:`COMPOSITE_COLUMNS`: one per unit, one per unit and component."""
        return {
            "composite": [
                {
                    "unit": u.unit,
                    "score": None if u.result is None else u.result.score,
                    "total_weight": self.total_weight,
                    "note": u.note,
                }
                for u in self.units
            ],
            "composite_components": [
                {"unit": u.unit, **c.__dict__} for u in self.units if u.result for c in u.result.components
            ],
        }


def round_composites(
    spec: CompositeSpec,
    totals: Mapping[str, float],
    scale: float = 100.0,
    notes: Mapping[str, str] | None = None,
) -> RoundComposite:
    """Combine each listed unit's open-door total with its other components.

    Parameters
    ----------
    spec : CompositeSpec
    totals : mapping of unit id to open-door total
        The round's totals (``RoundResult.totals`` by unit), on a
        ``scale``-point scale (the framework's total, 100 by default).
    scale : float
    notes : mapping of unit id to str, optional
        Why a unit's total is ``nan`` (``AggregateResult.total_notes``); quoted
        in the result's note.

    Returns
    -------
    RoundComposite
        Per unit, :func:`composite_score` of ``[open-door total, *components]``.
        A unit that is absent from ``totals`` or whose total is ``nan`` gets
        ``result=None`` and a note instead of a number.

    Raises
    ------
    ScoringInputError
        As :func:`composite_score`, the message prefixed with the unit.

    Examples
    --------
    >>> spec = CompositeSpec(60, (UnitComposite("u1", (TargetIndicator("card", 0.81, 0.90, 40),)),))
    >>> res = round_composites(spec, {"u1": 82.5})
    >>> round(res.units[0].result.score, 6)   # 82.5 * 0.6 + 90 * 0.4
    85.5
    """
    notes = notes or {}
    results = []
    for entry in spec.units:
        total = totals.get(entry.unit)
        if total is None or not math.isfinite(total):
            why = notes.get(entry.unit) or ("the round has no score for this unit" if total is None else "")
            note = "no open-door total" + (f": {why}" if why else "") + "; no composite"
            results.append(UnitCompositeResult(entry.unit, None, note))
            continue
        try:
            result = composite_score(spec.components(entry, float(total), scale), spec.total_weight)
        except ScoringInputError as exc:
            raise ScoringInputError(f"unit {entry.unit!r}: {exc}") from None
        results.append(UnitCompositeResult(entry.unit, result))
    return RoundComposite(float(spec.open_door_weight), float(spec.total_weight), tuple(results))
