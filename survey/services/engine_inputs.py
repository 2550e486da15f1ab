"""The one converter from a round's ORM rows to the engine's frozen inputs.

Every place that needs a recusal decision or a panel solve goes through here:
the conflict matrix, the panel solver, manual panel changes and (later) score
acceptance. Ids handed to the engine are stable and readable: a unit is its
code (``XC-D01``), a rater is the pool entry's database id as text. The
hierarchy links (a unit's parent and children, its sub-district) come from the
organisation tree, so the engine's parent/child rule sees what staff see.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from scoring.recusal import RecusalDecision, RecusalRules, Relationship, check
from scoring.types import (
    AggregationMethod,
    MissingPolicy,
    RaterInfo,
    RaterType,
    Score,
    Settings,
    UnitInfo,
)
from survey.extensions import db
from survey.models import (
    Conflict,
    ConflictKind,
    OrgUnit,
    Round,
    RoundRater,
    Scorecard,
    ScorecardStatus,
)


def rater_key(rater: RoundRater) -> str:
    """The engine's id of a pool entry."""
    return str(rater.id)


def unit_info(unit: OrgUnit) -> UnitInfo:
    """A unit as the engine sees it: kind, parent, sub-district, industry and children by code."""
    sub_district = unit.sub_district()
    return UnitInfo(
        id=unit.code,
        kind=unit.kind.value if unit.kind is not None else unit.level.value,
        parent=unit.parent.code if unit.parent is not None else None,
        sub_district=sub_district.code if sub_district is not None else None,
        industry=unit.industry or None,
        children=tuple(sorted(child.code for child in unit.children)),
    )


def rater_info(rater: RoundRater) -> RaterInfo:
    """A pool entry as the engine sees it; the sub-district falls back to the home unit's."""
    sub_district = rater.sub_district
    if sub_district is None and rater.home_unit is not None:
        sub_district = rater.home_unit.sub_district()
    return RaterInfo(
        id=rater_key(rater),
        rater_type=RaterType(rater.rater_type.value),
        home_unit=rater.home_unit.code if rater.home_unit is not None else None,
        sub_district=sub_district.code if sub_district is not None else None,
        industry=rater.industry or None,
        panel=rater.panel or None,
    )


def recusal_rules(round: Round, conflicts: Iterable[Conflict] | None = None) -> RecusalRules:
    """The rules in force for a round: always own unit and parent/child, the round's
    options, and its recorded and declared conflicts."""
    if conflicts is None:
        conflicts = db.session.scalars(select(Conflict).where(Conflict.round_id == round.id))
    recorded, declared = [], []
    codes: dict[int, str] = {}
    for conflict in conflicts:
        if conflict.unit_id not in codes:
            codes[conflict.unit_id] = db.session.get(OrgUnit, conflict.unit_id).code
        record = Relationship(str(conflict.rater_id), codes[conflict.unit_id], conflict.reason or "")
        (declared if conflict.kind is ConflictKind.DECLARED else recorded).append(record)
    return RecusalRules(
        own_unit=True,
        parent_child=True,
        same_sub_district=bool(round.recuse_same_sub_district),
        same_industry=bool(round.recuse_same_industry),
        relationships=frozenset(recorded),
        declared=frozenset(declared),
    )


@dataclass(frozen=True)
class RoundInputs:
    """A round's raters, evaluated units and rules in engine form, with the way back to rows."""

    raters: tuple[RaterInfo, ...]
    units: tuple[UnitInfo, ...]
    rules: RecusalRules
    #: Every unit the rules may need by code: evaluated units and raters' home units.
    lookup: Mapping[str, UnitInfo]
    rater_rows: Mapping[str, RoundRater] = field(default_factory=dict)
    unit_rows: Mapping[str, OrgUnit] = field(default_factory=dict)
    rater_infos: Mapping[str, RaterInfo] = field(default_factory=dict)

    def decide(self, rater: RoundRater, unit: OrgUnit) -> RecusalDecision:
        """May ``rater`` score ``unit``? Always :func:`scoring.recusal.check`."""
        info = self.lookup.get(unit.code) or unit_info(unit)
        return check(self.rater(rater), info, self.rules, self.lookup)

    def rater(self, rater: RoundRater) -> RaterInfo:
        found = self.rater_infos.get(rater_key(rater))
        return found if found is not None else rater_info(rater)


def round_inputs(round: Round) -> RoundInputs:
    """Convert a round's pool, evaluated units and conflicts, in a stable order."""
    raters = sorted(round.raters, key=lambda r: r.id)
    units = sorted((ru.unit for ru in round.units), key=lambda u: u.code)
    return build_inputs(round, raters, units)


def build_inputs(round: Round, raters: Iterable[RoundRater], units: Iterable[OrgUnit]) -> RoundInputs:
    """Engine inputs for the given pool entries and units under the round's rules."""
    raters, units = list(raters), list(units)
    lookup: dict[str, UnitInfo] = {}
    for unit in units:
        lookup[unit.code] = unit_info(unit)
    for rater in raters:
        home = rater.home_unit
        if home is not None and home.code not in lookup:
            lookup[home.code] = unit_info(home)
    infos = tuple(rater_info(r) for r in raters)
    return RoundInputs(
        raters=infos,
        units=tuple(lookup[u.code] for u in units),
        rules=recusal_rules(round),
        lookup=MappingProxyType(lookup),
        rater_rows=MappingProxyType({rater_key(r): r for r in raters}),
        unit_rows=MappingProxyType({u.code: u for u in units}),
        rater_infos=MappingProxyType({info.id: info for info in infos}),
    )


def settings_of(round: Round) -> Settings:
    """The round's aggregation settings (checked when stored) as the engine takes them."""
    values = dict(round.settings or {})
    for name, enum in (("method", AggregationMethod), ("fallback", AggregationMethod),
                       ("missing_policy", MissingPolicy)):
        if name in values:
            values[name] = enum(values[name])
    return Settings(**values)


def decide(round: Round, rater: RoundRater, unit: OrgUnit) -> RecusalDecision:
    """One rater and one unit under the round's rules (for writes: a seat, a score)."""
    return build_inputs(round, [rater], [unit]).decide(rater, unit)


# --------------------------------------------------------------------------- scores


def submitted_scores(*, round: Round) -> list[Score]:
    """The engine's long score table: one row per entry of every SUBMITTED scorecard.

    Drafts never count (a scorecard left unsubmitted when its session closed stays
    a draft). "Cannot judge" -- and an entry without points -- is ``points=None``.
    A unit is its code, a rater :func:`rater_key`; rows are ordered by unit, rater
    and criterion so the table does not depend on storage order. Recusal is not
    applied here: the engine applies the round's rules to every row it is given.
    """
    cards = db.session.scalars(
        select(Scorecard)
        .where(Scorecard.round_id == round.id, Scorecard.status == ScorecardStatus.SUBMITTED)
        .options(selectinload(Scorecard.entries), selectinload(Scorecard.unit), selectinload(Scorecard.rater))
    )
    rows = [
        Score(
            unit=card.unit.code,
            rater=rater_key(card.rater),
            criterion=entry.criterion,
            points=None if entry.cannot_judge or entry.points is None else float(entry.points),
        )
        for card in cards
        for entry in card.entries
    ]
    rows.sort(key=lambda s: (s.unit, int(s.rater) if s.rater.isdigit() else s.rater, s.criterion))
    return rows


def round_result(*, round: Round):
    """Run the engine on a round's submitted scorecards: its frozen framework version,
    its aggregation settings, its pool and its recusal rules (own unit, parent/child,
    the round's options, recorded and declared conflicts).

    ``units`` given to the engine is :attr:`RoundInputs.lookup` (evaluated units and
    the raters' home units, which the parent/child rule consults); the home units
    therefore show up in ``RoundResult.units_without_scores``. Raises
    :class:`scoring.types.ScoringInputError` when fewer than two raters have scores.
    """
    from scoring.engine import run_round
    from survey.services.frameworks import to_engine

    inputs = round_inputs(round)
    return run_round(
        to_engine(round.framework_version.spec),
        submitted_scores(round=round),
        inputs.raters,
        inputs.lookup,
        settings_of(round),
        inputs.rules,
    )
