"""Recusal rules (回避制度) as pure predicates over rater and unit attributes.

One rule definition serves every place that must respect it: panel forming
(:mod:`scoring.panels` builds its eligibility matrix from :func:`check`), score
acceptance (the web application calls :func:`check` when a score arrives) and
aggregation (:func:`filter_scores` drops forbidden scores before any number is
computed). There is deliberately no second implementation anywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

import numpy as np

from scoring.types import RaterInfo, Score, ScoringInputError, UnitInfo

__all__ = [
    "RecusalCode",
    "Relationship",
    "RecusalRules",
    "RecusalReason",
    "RecusalDecision",
    "check",
    "eligibility_matrix",
    "filter_scores",
]


class RecusalCode(str, Enum):
    """Why a rater may not score a unit; the web application translates by code."""

    OWN_UNIT = "own_unit"
    PARENT_UNIT = "parent_unit"  #: the rater's home unit is the parent of the evaluated unit
    CHILD_UNIT = "child_unit"  #: the rater's home unit is a child of the evaluated unit
    SAME_SUB_DISTRICT = "same_sub_district"
    SAME_INDUSTRY = "same_industry"
    RELATIONSHIP = "relationship"  #: recorded by staff (former employee, relative of the chair, ...)
    DECLARED = "declared"  #: declared by the rater (e.g. from their phone)


@dataclass(frozen=True)
class Relationship:
    """A conflict between one rater and one unit, with its reason in words."""

    rater: str
    unit: str
    reason: str = ""


@dataclass(frozen=True)
class RecusalRules:
    """Which recusal rules are in force for a round.

    ``own_unit`` (nobody scores their own enterprise) and ``parent_child`` are on
    by default; the geographic and industry rules are opt-in because in a small
    district they can exclude most of a panel. ``relationships`` are conflicts
    recorded by staff and ``declared`` those the raters declared themselves; any
    iterable of :class:`Relationship` is accepted and stored as a frozenset.
    """

    own_unit: bool = True
    parent_child: bool = True
    same_sub_district: bool = False
    same_industry: bool = False
    relationships: frozenset[Relationship] = frozenset()
    declared: frozenset[Relationship] = frozenset()

    def __post_init__(self) -> None:
        for name in ("relationships", "declared"):
            records = frozenset(getattr(self, name))
            for record in records:
                if not isinstance(record, Relationship):
                    raise ScoringInputError(f"RecusalRules.{name} holds {record!r}, which is not a Relationship")
            object.__setattr__(self, name, records)


@dataclass(frozen=True)
class RecusalReason:
    """One reason a rater may not score a unit: a stable ``code`` and an English ``detail``."""

    code: RecusalCode
    detail: str


@dataclass(frozen=True)
class RecusalDecision:
    """``allowed`` is True exactly when ``reasons`` is empty; truthiness follows ``allowed``."""

    allowed: bool
    reasons: tuple[RecusalReason, ...] = ()

    def __bool__(self) -> bool:
        return self.allowed

    @property
    def codes(self) -> tuple[RecusalCode, ...]:
        """The reason codes in the order :func:`check` found them."""
        return tuple(reason.code for reason in self.reasons)


def check(
    rater: RaterInfo,
    unit: UnitInfo,
    rules: RecusalRules,
    units: Mapping[str, UnitInfo] | None = None,
) -> RecusalDecision:
    """Decide whether ``rater`` may score ``unit`` and list every reason if not.

    A rule matches only when both sides carry the attribute: a missing (None)
    home unit, sub-district or industry never matches anything, so two raters
    with an unknown sub-district are not "in the same sub-district".

    Parameters
    ----------
    rater, unit
        The rater and the unit under evaluation.
    rules
        The rules in force.
    units
        Optional lookup of units by id, used to find the rater's home unit when
        checking parent/child links from the home unit's side (its ``parent``
        and ``children``). Without it only the evaluated unit's own ``parent``
        and ``children`` are consulted.

    Returns
    -------
    RecusalDecision
        ``allowed`` and a tuple of all applicable :class:`RecusalReason`, in
        the order own unit, parent unit, child unit, sub-district, industry,
        recorded relationships, declared conflicts.

    Notes
    -----
    With ``h`` the rater's home unit, the rules are

    * own_unit: ``h == unit.id``;
    * parent_unit: ``unit.parent == h`` or ``unit.id in units[h].children``;
    * child_unit: ``h in unit.children`` or ``units[h].parent == unit.id``;
    * same_sub_district / same_industry: equal and not None;
    * relationship / declared: a record with this rater and unit id exists.

    Only direct parent/child links count, not grandparents. The own-unit rule
    is the recusal rule of the Shichahai evaluation committee (本人不参与考评
    自己企业的回避制度); see the domain brief.

    Examples
    --------
    >>> from scoring.types import RaterInfo, UnitInfo
    >>> decision = check(RaterInfo("r1", home_unit="u1"), UnitInfo("u1"), RecusalRules())
    >>> decision.allowed, [reason.code.value for reason in decision.reasons]
    (False, ['own_unit'])
    """
    reasons: list[RecusalReason] = []
    home = rater.home_unit
    home_info = units.get(home) if (units is not None and home is not None) else None

    if rules.own_unit and home is not None and home == unit.id:
        reasons.append(
            RecusalReason(RecusalCode.OWN_UNIT, f"rater {rater.id} belongs to unit {unit.id} and may not score it")
        )
    if rules.parent_child and home is not None and home != unit.id:
        home_is_parent = unit.parent == home or (home_info is not None and unit.id in home_info.children)
        home_is_child = home in unit.children or (home_info is not None and home_info.parent == unit.id)
        if home_is_parent:
            reasons.append(
                RecusalReason(
                    RecusalCode.PARENT_UNIT,
                    f"rater {rater.id}'s home unit {home} is the parent of unit {unit.id}",
                )
            )
        if home_is_child:
            reasons.append(
                RecusalReason(
                    RecusalCode.CHILD_UNIT,
                    f"rater {rater.id}'s home unit {home} is a child of unit {unit.id}",
                )
            )
    if rules.same_sub_district and rater.sub_district is not None and rater.sub_district == unit.sub_district:
        reasons.append(
            RecusalReason(
                RecusalCode.SAME_SUB_DISTRICT,
                f"rater {rater.id} and unit {unit.id} are both in sub-district {rater.sub_district}",
            )
        )
    if rules.same_industry and rater.industry is not None and rater.industry == unit.industry:
        reasons.append(
            RecusalReason(
                RecusalCode.SAME_INDUSTRY,
                f"rater {rater.id} and unit {unit.id} are both in industry {rater.industry}",
            )
        )
    for record in _records_for(rules.relationships, rater.id, unit.id):
        reasons.append(
            RecusalReason(
                RecusalCode.RELATIONSHIP,
                f"rater {rater.id} has a recorded relationship with unit {unit.id}" + _because(record),
            )
        )
    for record in _records_for(rules.declared, rater.id, unit.id):
        reasons.append(
            RecusalReason(
                RecusalCode.DECLARED,
                f"rater {rater.id} declared a conflict with unit {unit.id}" + _because(record),
            )
        )
    return RecusalDecision(allowed=not reasons, reasons=tuple(reasons))


def eligibility_matrix(
    raters: Sequence[RaterInfo],
    units: Sequence[UnitInfo],
    rules: RecusalRules,
    units_by_id: Mapping[str, UnitInfo] | None = None,
) -> np.ndarray:
    """Boolean matrix ``E`` with ``E[i, j] = bool(check(raters[i], units[j], rules, lookup))``.

    Parameters
    ----------
    raters, units
        Raters (rows) and units (columns), in the order the matrix uses. Ids
        must be unique.
    rules
        The rules in force.
    units_by_id
        Lookup for raters' home units. When None, the evaluated ``units``
        themselves serve as the lookup (home units that are being evaluated
        are then found; others are not).

    Returns
    -------
    numpy.ndarray
        ``bool`` array of shape ``(len(raters), len(units))``; True = may score.

    Examples
    --------
    >>> from scoring.types import RaterInfo, UnitInfo
    >>> eligibility_matrix([RaterInfo("r1", home_unit="u1")], [UnitInfo("u1"), UnitInfo("u2")], RecusalRules())
    array([[False,  True]])
    """
    _require_unique_ids(raters, "rater")
    _require_unique_ids(units, "unit")
    lookup = units_by_id if units_by_id is not None else {u.id: u for u in units}
    allowed = np.ones((len(raters), len(units)), dtype=bool)
    for i, rater in enumerate(raters):
        for j, unit in enumerate(units):
            allowed[i, j] = check(rater, unit, rules, lookup).allowed
    return allowed


def filter_scores(
    scores: Iterable[Score],
    raters: Mapping[str, RaterInfo],
    units: Mapping[str, UnitInfo],
    rules: RecusalRules,
) -> tuple[tuple[Score, ...], tuple[tuple[Score, RecusalDecision], ...]]:
    """Split scores into those that may enter aggregates and those recusal forbids.

    Parameters
    ----------
    scores
        Rows of the long score table.
    raters, units
        Every rater and unit the scores refer to, by id; ``units`` also serves
        as the lookup for raters' home units.
    rules
        The rules in force.

    Returns
    -------
    kept : tuple of Score
        Allowed rows, in input order.
    excluded : tuple of (Score, RecusalDecision)
        Forbidden rows, in input order, each with the decision that forbade it.

    Raises
    ------
    ScoringInputError
        A row names a rater or unit that is not in the mappings (the message
        gives the row's position, counted from 0, and its contents), or a
        mapping's key differs from the id stored under it.

    Examples
    --------
    >>> from scoring.types import RaterInfo, Score, UnitInfo
    >>> raters = {"r1": RaterInfo("r1", home_unit="u1")}
    >>> units = {"u1": UnitInfo("u1"), "u2": UnitInfo("u2")}
    >>> kept, excluded = filter_scores(
    ...     [Score("u1", "r1", "c1", 2.0), Score("u2", "r1", "c1", 3.0)], raters, units, RecusalRules())
    >>> [s.unit for s in kept], [s.unit for s, _ in excluded]
    (['u2'], ['u1'])
    """
    _require_keys_match(raters, "rater")
    _require_keys_match(units, "unit")
    decisions: dict[tuple[str, str], RecusalDecision] = {}
    kept: list[Score] = []
    excluded: list[tuple[Score, RecusalDecision]] = []
    for position, score in enumerate(scores):
        rater = raters.get(score.rater)
        unit = units.get(score.unit)
        if rater is None or unit is None:
            missing = f"unknown rater {score.rater!r}" if rater is None else f"unknown unit {score.unit!r}"
            raise ScoringInputError(
                f"score row {position} (unit {score.unit!r}, rater {score.rater!r}, "
                f"criterion {score.criterion!r}): {missing}"
            )
        pair = (score.rater, score.unit)
        if pair not in decisions:
            decisions[pair] = check(rater, unit, rules, units)
        decision = decisions[pair]
        if decision.allowed:
            kept.append(score)
        else:
            excluded.append((score, decision))
    return tuple(kept), tuple(excluded)


@lru_cache(maxsize=64)
def _index(records: frozenset[Relationship]) -> dict[tuple[str, str], tuple[Relationship, ...]]:
    # Built once per rule set so a 500 x 200 eligibility matrix does not rescan
    # every record for every cell. Sorted for a deterministic order of reasons.
    by_pair: dict[tuple[str, str], list[Relationship]] = {}
    for record in sorted(records, key=lambda r: (r.rater, r.unit, r.reason)):
        by_pair.setdefault((record.rater, record.unit), []).append(record)
    return {pair: tuple(found) for pair, found in by_pair.items()}


def _records_for(records: frozenset[Relationship], rater: str, unit: str) -> tuple[Relationship, ...]:
    if not records:
        return ()
    return _index(records).get((rater, unit), ())


def _because(record: Relationship) -> str:
    return f" ({record.reason})" if record.reason else ""


def _require_unique_ids(items: Sequence[RaterInfo] | Sequence[UnitInfo], what: str) -> None:
    seen: set[str] = set()
    for position, item in enumerate(items):
        if item.id in seen:
            raise ScoringInputError(f"{what} id {item.id!r} appears twice (again at position {position})")
        seen.add(item.id)


def _require_keys_match(by_id: Mapping[str, RaterInfo] | Mapping[str, UnitInfo], what: str) -> None:
    for key, item in by_id.items():
        if key != item.id:
            raise ScoringInputError(f"{what} mapping key {key!r} holds {what} {item.id!r}")
