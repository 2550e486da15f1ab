"""Panel plans: who sits on each report session's panel.

``solve_plan`` hands the round's raters, units and rules (through
:mod:`survey.services.engine_inputs`) to the MILP solver in
:mod:`scoring.panels` and stores the answer as ``PanelMember`` rows, or
returns the solver's explanation and stores nothing. Staff may then seat or
unseat a rater by hand; a seat the recusal rules forbid is refused here, in
the service that writes, whatever the screen offered.

A round's ``panel_spec`` (JSON) chooses the model:

* ``{"mode": "rotating", "n_panels": 4, "min_raters_per_unit": 5, ...}`` -- the
  2014 open-door model: the raters split into groups, each unit heard by one
  group (keys of :class:`scoring.panels.RotatingPanelSpec`; ``panel_quotas``
  ``{rater_type: [min, max]}``, ``unit_quotas`` ``{unit_kind: {rater_type: min}}``).
  Group members who may not score a unit sit in the room but get no seat for it.
* ``{"mode": "committee", "committee_size": 9, "quotas": {"enterprise":
  {"union_chair": [2, 9], "model_worker": 1}}, ...}`` -- the Shichahai model: a
  committee per unit whose make-up depends on the unit's kind (keys of
  :class:`scoring.panels.CommitteeSpec`; a quota is ``[min, max]`` or a
  minimum alone).

Earlier rounds' panels feed the rotation: a person (same account, or same name
and home unit) who scored a unit before is kept away from it if possible.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select

from scoring.panels import (
    CommitteeSpec,
    PanelInfeasible,
    PanelResult,
    RotatingPanelSpec,
    form_committees,
    form_rotating_panels,
)
from scoring.types import RaterType, ScoringInputError
from survey.extensions import db
from survey.labels import RATER_TYPE_LABELS
from survey.models import (
    OrgUnit,
    PanelMember,
    ReportSession,
    Round,
    RoundRater,
    RoundStatus,
    SessionStatus,
    UnitKind,
)
from survey.services import conflicts, engine_inputs
from survey.services.conflicts import Verdict, unit_label
from survey.services.errors import Conflict as AlreadyExists
from survey.services.errors import DomainError

SOLVER = "solver"
MANUAL = "manual"
DEFAULT_TIME_LIMIT = 10.0
#: The seeds' 2014 round: four groups, every unit scored by at least five eligible raters.
DEFAULT_PANEL_SPEC = {"mode": "rotating", "n_panels": 4, "min_raters_per_unit": 5}
MODES = ("rotating", "committee")
PANEL_KEYS = {
    "rotating": {
        "n_panels", "min_panel_size", "max_panel_size", "min_units_per_panel", "max_units_per_panel",
        "panel_quotas", "unit_quotas", "min_raters_per_unit", "rotation_weight", "coverage_weight", "time_limit",
    },
    "committee": {
        "committee_size", "min_size", "max_size", "quotas", "rotation_weight", "balance_weight",
        "balance_by_type", "max_units_per_rater", "time_limit",
    },
}
#: A quota given as a minimum alone has this as its maximum when no size bounds it.
_OPEN_MAX = 10_000


class RecusalViolation(DomainError):
    """A seat the recusal rules forbid; ``reasons`` words each rule that applies."""

    status_code = 409

    def __init__(self, message: str, reasons: tuple[str, ...]):
        super().__init__(message)
        self.reasons = reasons


# --------------------------------------------------------------------------- the panel spec


def check_panel_spec(spec: Mapping | None) -> dict:
    """The round's panel settings checked by the engine's own spec classes, as stored JSON."""
    data = dict(spec) if spec else dict(DEFAULT_PANEL_SPEC)
    mode = data.setdefault("mode", "rotating")
    if mode not in MODES:
        raise DomainError(_("Unknown panel mode %(mode)s: use rotating or committee.", mode=mode))
    unknown = sorted(set(data) - PANEL_KEYS[mode] - {"mode"})
    if unknown:
        raise DomainError(_("The panel settings %(names)s do not apply to %(mode)s panels.",
                            names=", ".join(unknown), mode=mode))
    kinds = {k.value for k in UnitKind}
    for key in ("quotas", "unit_quotas"):
        for kind in (data.get(key) or {}):
            if kind not in kinds:
                raise DomainError(_("The quotas name an unknown unit kind %(kind)s.", kind=kind))
    engine_spec(data)  # refuses what the engine would refuse, now rather than at solve time
    if mode == "rotating" and data.get("min_raters_per_unit", 5) < 1:
        raise DomainError(_("Every unit needs at least one rater who may score it."))
    return data


def engine_spec(
    data: Mapping, history: frozenset[tuple[str, str]] = frozenset(), time_limit: float | None = None
) -> CommitteeSpec | RotatingPanelSpec:
    """The engine's spec object for stored panel settings."""
    values = {k: v for k, v in data.items() if k != "mode"}
    values["history"] = history
    if time_limit is not None:
        values["time_limit"] = time_limit
    values.setdefault("time_limit", DEFAULT_TIME_LIMIT)
    try:
        if data.get("mode", "rotating") == "committee":
            if "committee_size" not in values and ("min_size" in values or "max_size" in values):
                values["committee_size"] = None  # a size range instead of the default fixed nine
            cap = values.get("committee_size", 9) or values.get("max_size") or _OPEN_MAX
            values["quotas"] = {
                kind: {t: (q, cap) if isinstance(q, int) and not isinstance(q, bool) else _pair(q) for t, q in per.items()}
                for kind, per in (values.get("quotas") or {}).items()
            }
            return CommitteeSpec(**values)
        values["panel_quotas"] = {t: _pair(q) for t, q in (values.get("panel_quotas") or {}).items()}
        return RotatingPanelSpec(**values)
    except ScoringInputError as exc:
        raise DomainError(_("The panel settings are not valid: %(reason)s", reason=str(exc))) from None
    except (TypeError, AttributeError) as exc:
        raise DomainError(_("The panel settings are not valid: %(reason)s", reason=str(exc))) from None


def _pair(value) -> tuple:
    return tuple(value) if isinstance(value, (list, tuple)) else value


def panel_mode(round: Round) -> str:
    return (round.panel_spec or DEFAULT_PANEL_SPEC).get("mode", "rotating")


# --------------------------------------------------------------------------- rotation history


def _person(name: str, home_unit_id: int | None) -> tuple[str, int | None]:
    return re.sub(r"\s+", "", name), home_unit_id


def rotation_history(round: Round) -> frozenset[tuple[str, str]]:
    """(rater, unit) pairs of earlier rounds' panels, in this round's rater ids."""
    by_user = {r.user_id: r for r in round.raters if r.user_id is not None}
    by_person = {_person(r.name, r.home_unit_id): r for r in round.raters}
    rows = db.session.execute(
        select(RoundRater.user_id, RoundRater.name, RoundRater.home_unit_id, OrgUnit.code)
        .select_from(PanelMember)
        .join(ReportSession, PanelMember.session_id == ReportSession.id)
        .join(RoundRater, PanelMember.rater_id == RoundRater.id)
        .join(OrgUnit, ReportSession.unit_id == OrgUnit.id)
        .where(ReportSession.round_id < round.id)
    )
    pairs = set()
    for user_id, name, home_unit_id, unit_code in rows:
        now = by_user.get(user_id) if user_id is not None else None
        now = now or by_person.get(_person(name, home_unit_id))
        if now is not None:
            pairs.add((engine_inputs.rater_key(now), unit_code))
    return frozenset(pairs)


# --------------------------------------------------------------------------- solving


@dataclass(frozen=True)
class PlanOutcome:
    """What ``solve_plan`` did: a stored plan, an infeasibility explanation, or a solver stop."""

    mode: str
    result: PanelResult | None = None
    infeasible: PanelInfeasible | None = None
    stored: int = 0

    @property
    def solved(self) -> bool:
        return self.result is not None and self.result.has_solution

    def explanations(self) -> list[str]:
        """Why there is no plan, one line per constraint the solver named (its own words)."""
        if self.infeasible is not None:
            return [e.message for e in self.infeasible.explanations]
        if self.result is not None and not self.result.has_solution:
            return [self.result.message]
        return []


def _sessions_by_code(round: Round) -> dict[str, ReportSession]:
    """Each evaluated unit's session (created if missing: one per unit)."""
    sessions = {s.unit_id: s for s in round.sessions}
    by_code = {}
    for round_unit in round.units:
        session = sessions.get(round_unit.unit_id)
        if session is None:
            session = ReportSession(round=round, unit=round_unit.unit)
            db.session.add(session)
        by_code[round_unit.unit.code] = session
    return by_code


def _require_setup(round: Round) -> None:
    if round.status is not RoundStatus.SETUP:
        raise DomainError(_("The round is open: its plan can only be changed by hand, session by session."))


def solve_plan(*, round: Round, time_limit: float | None = None) -> PlanOutcome:
    """Form the panels with the solver and store them, replacing the current plan."""
    _require_setup(round)
    if not round.raters:
        raise DomainError(_("The round has no raters yet: add representatives or import a list."))
    if not round.units:
        raise DomainError(_("The round has no units to evaluate yet."))
    data = check_panel_spec(round.panel_spec)
    inputs = engine_inputs.round_inputs(round)
    spec = engine_spec(data, rotation_history(round), time_limit)
    form = form_committees if data["mode"] == "committee" else form_rotating_panels
    try:
        result = form(inputs.raters, inputs.units, inputs.rules, spec, inputs.lookup)
    except PanelInfeasible as exc:
        return PlanOutcome(data["mode"], infeasible=exc)
    except ScoringInputError as exc:
        raise DomainError(_("The panels could not be formed: %(reason)s", reason=str(exc))) from None
    if not result.has_solution:
        return PlanOutcome(data["mode"], result=result)
    return PlanOutcome(data["mode"], result=result, stored=_store(round, inputs, result))


def _store(round: Round, inputs: engine_inputs.RoundInputs, result: PanelResult) -> int:
    sessions = _sessions_by_code(round)
    for session in sessions.values():
        session.members.clear()
    db.session.flush()
    stored = 0
    for assignment in result.assignments:
        session = sessions[assignment.unit]
        unit = inputs.unit_rows[assignment.unit]
        for rater_id in assignment.scorers:
            rater = inputs.rater_rows[rater_id]
            if not inputs.decide(rater, unit):  # the solver's own guarantee, checked again where we write
                raise RuntimeError(f"the solver seated recused rater {rater_id} on unit {unit.code}")
            session.members.append(PanelMember(rater=rater, source=SOLVER))
            stored += 1
    for panel in result.panels:
        for rater_id in panel.members:
            inputs.rater_rows[rater_id].panel = panel.name
    db.session.flush()
    return stored


# --------------------------------------------------------------------------- manual changes


def _require_changeable(session: ReportSession) -> None:
    if session.round.status is RoundStatus.CLOSED:
        raise DomainError(_("The round is closed."))
    if session.status is not SessionStatus.SCHEDULED:
        raise DomainError(_("The session has started: its panel can no longer change."))


def add_panel_member(*, session: ReportSession, rater: RoundRater) -> PanelMember:
    """Seat a rater on a session's panel by hand, unless recusal forbids it."""
    _require_changeable(session)
    if rater.round_id != session.round_id:
        raise DomainError(_("%(name)s is not in this round's rater pool.", name=rater.name))
    if any(member.rater_id == rater.id for member in session.members):
        raise AlreadyExists(_("%(name)s is already on this panel.", name=rater.name))
    verdict = conflicts.explain_recusal(round=session.round, rater=rater, unit=session.unit)
    if not verdict:
        raise RecusalViolation(
            _("%(name)s may not score %(unit)s: %(reasons)s.", name=rater.name, unit=unit_label(session.unit),
              reasons="; ".join(verdict.reasons)),
            verdict.reasons,
        )
    member = PanelMember(rater=rater, source=MANUAL)
    session.members.append(member)
    db.session.flush()
    return member


def remove_panel_member(*, session: ReportSession, rater: RoundRater) -> None:
    """Take a rater off a session's panel by hand."""
    _require_changeable(session)
    member = next((m for m in session.members if m.rater_id == rater.id), None)
    if member is None:
        raise DomainError(_("%(name)s is not on this panel.", name=rater.name))
    session.members.remove(member)
    db.session.flush()


# --------------------------------------------------------------------------- reading and checking a plan


@dataclass(frozen=True)
class SessionPlan:
    """One session's panel for the screens and the command line."""

    session: ReportSession
    members: list[PanelMember]
    #: The group that hears the unit (rotating panels), if every member shares one.
    panel: str | None = None
    #: Group members without a seat for this unit because recusal forbids it, with the reasons.
    recused: list[tuple[RoundRater, Verdict]] = field(default_factory=list)


def session_plans(*, round: Round) -> list[SessionPlan]:
    """Every session with its panel, in the order of the sessions' times, then unit codes."""
    matrix = conflicts.conflict_matrix(round=round)
    plans = []
    for session in sorted(round.sessions, key=_session_order):
        members = sorted(session.members, key=lambda m: (m.rater.name, m.rater_id))
        groups = {m.rater.panel for m in members}
        panel = groups.pop() if len(groups) == 1 else None
        recused = []
        if panel is not None:
            for rater in matrix.raters:
                if rater.panel == panel and (rater.id, session.unit_id) in matrix.cells:
                    verdict = matrix.cells[(rater.id, session.unit_id)]
                    if not verdict:
                        recused.append((rater, verdict))
        plans.append(SessionPlan(session, members, panel, recused))
    return plans


def _session_order(session: ReportSession):
    return (session.starts_at is None, session.starts_at.timestamp() if session.starts_at else 0, session.unit.code)


def seat_candidates(*, session: ReportSession) -> list[tuple[RoundRater, Verdict]]:
    """Raters not on the panel, each with whether they may score the unit."""
    seated = {m.rater_id for m in session.members}
    return [
        (rater, conflicts.explain_recusal(round=session.round, rater=rater, unit=session.unit))
        for rater in sorted(session.round.raters, key=lambda r: (r.name, r.id))
        if rater.id not in seated
    ]


def plan_problems(*, round: Round) -> list[str]:
    """What keeps the stored plan from being complete and valid (empty when it is)."""
    try:
        data = check_panel_spec(round.panel_spec)
    except DomainError as exc:
        return [exc.message]
    sessions = {s.unit_id: s for s in round.sessions}
    if not any(s.members for s in sessions.values()):
        return [_("There is no panel plan yet: solve one.")]
    inputs = engine_inputs.round_inputs(round)
    spec = engine_spec(data)
    problems: list[str] = []
    loads: dict[int, int] = {}
    for round_unit in sorted(round.units, key=lambda ru: ru.unit.code):
        unit = round_unit.unit
        session = sessions.get(unit.id)
        members = session.members if session is not None else []
        label = unit_label(unit)
        if not members:
            problems.append(_("%(unit)s: nobody is on its panel.", unit=label))
            continue
        scorers = []
        for member in members:
            if inputs.decide(member.rater, unit):
                scorers.append(member.rater)
                loads[member.rater_id] = loads.get(member.rater_id, 0) + 1
            else:
                problems.append(_("%(unit)s: %(name)s is on the panel but may not score it.",
                                  unit=label, name=member.rater.name))
        kind = unit.kind.value if unit.kind else ""
        if data["mode"] == "committee":
            low, high = spec.size_range(len(inputs.raters))
            if not low <= len(scorers) <= high:
                wanted = str(low) if low == high else f"{low}–{high}"
                problems.append(_("%(unit)s: the committee has %(n)d members; it needs %(wanted)s.",
                                  unit=label, n=len(scorers), wanted=wanted))
            for rater_type, (q_low, q_high) in spec.quotas.get(kind, {}).items():
                count = sum(1 for r in scorers if r.rater_type.value == rater_type.value)
                if not q_low <= count <= q_high:
                    problems.append(_("%(unit)s: %(n)d of the committee are %(type)s; the quota is %(low)d to %(high)d.",
                                      unit=label, n=count, type=_type_label(rater_type), low=q_low,
                                      high=min(q_high, high)))
        else:
            if len(scorers) < spec.min_raters_per_unit:
                problems.append(_("%(unit)s: %(n)d raters may score it; at least %(min)d are needed.",
                                  unit=label, n=len(scorers), min=spec.min_raters_per_unit))
            for rater_type, q_low in spec.unit_quotas.get(kind, {}).items():
                count = sum(1 for r in scorers if r.rater_type.value == rater_type.value)
                if count < q_low:
                    problems.append(_("%(unit)s: %(n)d %(type)s may score it; the quota is %(low)d.",
                                      unit=label, n=count, type=_type_label(rater_type), low=q_low))
    cap = getattr(spec, "max_units_per_rater", None)
    if cap is not None:
        for rater in round.raters:
            if loads.get(rater.id, 0) > cap:
                problems.append(_("%(name)s sits on %(n)d panels; the limit is %(cap)d.",
                                  name=rater.name, n=loads[rater.id], cap=cap))
    return problems


def _type_label(rater_type: RaterType) -> str:
    from survey.models import RaterType as ModelRaterType

    return str(RATER_TYPE_LABELS[ModelRaterType(rater_type.value)])


def get_session(*, round: Round, session_id: int) -> ReportSession | None:
    session = db.session.get(ReportSession, session_id)
    return session if session is not None and session.round_id == round.id else None


def get_rater(*, round: Round, rater_id: int) -> RoundRater | None:
    rater = db.session.get(RoundRater, rater_id)
    return rater if rater is not None and rater.round_id == round.id else None

