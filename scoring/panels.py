"""Panel forming with mixed-integer linear programming (``scipy.optimize.milp``).

Two models from the seeds:

* :func:`form_committees` — the Shichahai model: each unit gets its own
  committee (nine people by default) whose make-up depends on the unit's kind.
* :func:`form_rotating_panels` — the 2014 open-door model: the raters are split
  into G panels (27 representatives in four groups) and each unit is heard by
  exactly one panel.

Recusal is never re-implemented here: eligibility comes from
:func:`scoring.recusal.eligibility_matrix`, i.e. from :func:`scoring.recusal.check`.

Infeasibility is raised, not returned: :class:`PanelInfeasible` (a
:class:`~scoring.types.ScoringInputError`) carries one or more
:class:`Infeasibility` records that name the constraint family, and where
possible the unit, that cannot be met. Running out of time is not an error: the
result comes back with status ``time_limit_feasible`` (best assignment found,
not proven optimal) or ``time_limit_no_solution`` (no assignment at all).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, OptimizeResult, milp
from scipy.sparse import csr_array

from scoring.recusal import RecusalRules, eligibility_matrix
from scoring.types import RaterInfo, RaterType, ScoringInputError, UnitInfo

__all__ = [
    "ConstraintFamily",
    "SolveStatus",
    "Infeasibility",
    "PanelInfeasible",
    "CommitteeSpec",
    "RotatingPanelSpec",
    "UnitPanel",
    "Panel",
    "PanelResult",
    "form_committees",
    "form_rotating_panels",
]


class ConstraintFamily(str, Enum):
    """Groups of constraints that an infeasibility explanation can name."""

    RECUSAL = "recusal"
    COMMITTEE_SIZE = "committee_size"
    COMPOSITION_QUOTA = "composition_quota"  #: committee make-up by unit kind
    MAX_UNITS_PER_RATER = "max_units_per_rater"
    PANEL_SIZE = "panel_size"
    UNITS_PER_PANEL = "units_per_panel"
    PANEL_QUOTA = "panel_quota"  #: panel make-up by rater type
    MIN_RATERS_PER_UNIT = "min_raters_per_unit"  #: eligible raters on a unit's panel
    UNIT_QUOTA = "unit_quota"  #: eligible raters of a type on a unit's panel, by unit kind


_FAMILY_WORDS = {
    ConstraintFamily.RECUSAL: "recusal (never relaxed; named because it is what makes the rest impossible)",
    ConstraintFamily.COMMITTEE_SIZE: "the committee size",
    ConstraintFamily.COMPOSITION_QUOTA: "the composition quotas",
    ConstraintFamily.MAX_UNITS_PER_RATER: "the cap on units per rater",
    ConstraintFamily.PANEL_SIZE: "the panel sizes",
    ConstraintFamily.UNITS_PER_PANEL: "the number of units per panel",
    ConstraintFamily.PANEL_QUOTA: "the panel quotas by rater type",
    ConstraintFamily.MIN_RATERS_PER_UNIT: "the minimum number of eligible raters per unit",
    ConstraintFamily.UNIT_QUOTA: "the eligible-rater quotas by unit kind",
}


class SolveStatus(str, Enum):
    """Outcome of the solve, in words a service can show without knowing HiGHS."""

    OPTIMAL = "optimal"  #: proven optimal (within HiGHS's default relative gap of 1e-4)
    TIME_LIMIT_FEASIBLE = "time_limit_feasible"  #: time ran out; best assignment found so far
    TIME_LIMIT_NO_SOLUTION = "time_limit_no_solution"  #: time ran out before any assignment was found
    INFEASIBLE = "infeasible"  #: only inside PanelInfeasible; never on a returned result
    SOLVER_ERROR = "solver_error"  #: HiGHS stopped for another reason; see ``solver_message``


@dataclass(frozen=True)
class Infeasibility:
    """One reason no assignment exists.

    ``stage`` is ``"pre-check"`` (found by counting, before any solve) or
    ``"relaxation"`` (the MILP became feasible when this family, or this
    family for the listed units alone, was dropped).
    """

    constraint: ConstraintFamily
    message: str
    units: tuple[str, ...] = ()
    stage: str = "pre-check"


class PanelInfeasible(ScoringInputError):
    """No panel or committee assignment satisfies the hard constraints."""

    def __init__(self, explanations: Sequence[Infeasibility]):
        self.explanations = tuple(explanations)
        super().__init__("; ".join(e.message for e in self.explanations))

    @property
    def constraints(self) -> tuple[ConstraintFamily, ...]:
        return tuple(e.constraint for e in self.explanations)


Quota = tuple[int, int]


@dataclass(frozen=True)
class CommitteeSpec:
    """Settings for :func:`form_committees`.

    ``committee_size`` fixes every committee's size; set it to None and use
    ``min_size``/``max_size`` for a range (``min_size`` is then the minimum
    number of raters per unit). ``quotas`` maps a unit kind to
    ``{rater_type: (min, max)}`` (rater types as :class:`RaterType` or their
    string values); kinds not listed have no make-up rule and
    rater types not listed for a kind are unrestricted. ``history`` holds
    ``(rater_id, unit_id)`` pairs from previous rounds (pairs naming raters or
    units not in this round are ignored); each repeated pair costs
    ``rotation_weight`` in the objective, one unit of load spread costs
    ``balance_weight``. ``balance_by_type`` balances load within each rater
    type (quotas usually make the types' loads differ on purpose);
    ``max_units_per_rater`` is a hard cap. ``time_limit`` is in seconds.
    """

    committee_size: int | None = 9
    min_size: int | None = None
    max_size: int | None = None
    quotas: Mapping[str, Mapping[RaterType, Quota]] = field(default_factory=dict)
    history: frozenset[tuple[str, str]] = frozenset()
    rotation_weight: float = 1.0
    balance_weight: float = 1.0
    balance_by_type: bool = True
    max_units_per_rater: int | None = None
    time_limit: float = 10.0

    def __post_init__(self) -> None:
        if self.committee_size is not None:
            if self.min_size is not None or self.max_size is not None:
                raise ScoringInputError("give committee_size or min_size/max_size, not both")
            _require_count(self.committee_size, "committee_size", minimum=1)
        else:
            _require_count(self.min_size if self.min_size is not None else 1, "min_size", minimum=1)
            if self.max_size is not None:
                _require_count(self.max_size, "max_size", minimum=1)
                if self.min_size is not None and self.max_size < self.min_size:
                    raise ScoringInputError(f"max_size {self.max_size} is below min_size {self.min_size}")
        if self.max_units_per_rater is not None:
            _require_count(self.max_units_per_rater, "max_units_per_rater", minimum=1)
        object.__setattr__(self, "quotas", _freeze_kind_quotas(self.quotas, "quotas", _freeze_range))
        object.__setattr__(self, "history", _freeze_history(self.history))
        _require_weight(self.rotation_weight, "rotation_weight")
        _require_weight(self.balance_weight, "balance_weight")
        _require_time_limit(self.time_limit)

    def size_range(self, n_raters: int) -> tuple[int, int]:
        """``(min, max)`` committee size; an open maximum is the number of raters."""
        if self.committee_size is not None:
            return self.committee_size, self.committee_size
        low = self.min_size if self.min_size is not None else 1
        return low, self.max_size if self.max_size is not None else max(n_raters, low)


@dataclass(frozen=True)
class RotatingPanelSpec:
    """Settings for :func:`form_rotating_panels`.

    Panel sizes default to as equal as possible (``floor(R/G)`` to
    ``ceil(R/G)``, at least 1), and so do units per panel (``floor(U/G)`` to
    ``ceil(U/G)``). ``panel_quotas`` maps a rater type to ``(min, max)``
    members of that type on every panel. ``min_raters_per_unit`` is the number
    of *eligible* (not recused) members the unit's panel must have; the default
    5 leaves 3 after a trimmed mean drops one rater at each end.
    ``unit_quotas`` maps a unit kind to ``{rater_type: min}`` eligible members
    of that type on the panel of each unit of that kind. ``coverage_weight``
    rewards raising the smallest number of eligible scorers of any unit;
    ``history`` and ``rotation_weight`` work as in :class:`CommitteeSpec`.
    """

    n_panels: int = 4
    min_panel_size: int | None = None
    max_panel_size: int | None = None
    min_units_per_panel: int | None = None
    max_units_per_panel: int | None = None
    panel_quotas: Mapping[RaterType, Quota] = field(default_factory=dict)
    unit_quotas: Mapping[str, Mapping[RaterType, int]] = field(default_factory=dict)
    min_raters_per_unit: int = 5
    history: frozenset[tuple[str, str]] = frozenset()
    rotation_weight: float = 1.0
    coverage_weight: float = 1.0
    time_limit: float = 10.0

    def __post_init__(self) -> None:
        _require_count(self.n_panels, "n_panels", minimum=1)
        for name in ("min_panel_size", "max_panel_size", "min_units_per_panel", "max_units_per_panel"):
            if getattr(self, name) is not None:
                _require_count(getattr(self, name), name, minimum=0)
        for low, high in (("min_panel_size", "max_panel_size"), ("min_units_per_panel", "max_units_per_panel")):
            lo, hi = getattr(self, low), getattr(self, high)
            if lo is not None and hi is not None and hi < lo:
                raise ScoringInputError(f"{high} {hi} is below {low} {lo}")
        _require_count(self.min_raters_per_unit, "min_raters_per_unit", minimum=0)
        object.__setattr__(self, "panel_quotas", _freeze_type_map(self.panel_quotas, "panel_quotas", _freeze_range))
        object.__setattr__(self, "unit_quotas", _freeze_kind_quotas(self.unit_quotas, "unit_quotas", _freeze_minimum))
        object.__setattr__(self, "history", _freeze_history(self.history))
        _require_weight(self.rotation_weight, "rotation_weight")
        _require_weight(self.coverage_weight, "coverage_weight")
        _require_time_limit(self.time_limit)

    def panel_size_range(self, n_raters: int) -> tuple[int, int]:
        low = self.min_panel_size if self.min_panel_size is not None else max(1, n_raters // self.n_panels)
        high = self.max_panel_size if self.max_panel_size is not None else max(low, -(-n_raters // self.n_panels))
        return low, high

    def units_per_panel_range(self, n_units: int) -> tuple[int, int]:
        low = self.min_units_per_panel if self.min_units_per_panel is not None else n_units // self.n_panels
        high = self.max_units_per_panel
        if high is None:
            high = max(low, -(-n_units // self.n_panels))
        return low, high


@dataclass(frozen=True)
class UnitPanel:
    """Who hears one unit: ``members`` of its panel or committee, split into
    ``scorers`` (may score it) and ``recused`` (sit on the panel but may not)."""

    unit: str
    kind: str
    panel: str | None
    members: tuple[str, ...]
    scorers: tuple[str, ...]
    recused: tuple[str, ...] = ()


@dataclass(frozen=True)
class Panel:
    """A rotating panel: its members and the units it hears."""

    name: str
    members: tuple[str, ...]
    units: tuple[str, ...]


@dataclass(frozen=True)
class PanelResult:
    """Outcome of a panel-forming run.

    ``load`` maps each rater to the number of units they score. ``recused``
    lists the (rater, unit) pairs where the rater sits on the unit's panel but
    may not score it (always empty for committees, where recused raters are
    never seated). ``repeats`` lists the history pairs that were assigned
    again. ``objective`` is the MILP objective (see the forming function for
    its formula); ``solver_status`` and ``solver_message`` are HiGHS's own.
    Without a solution (``has_solution`` False) the assignment fields are empty.
    """

    mode: str
    status: SolveStatus
    message: str
    assignments: tuple[UnitPanel, ...]
    panels: tuple[Panel, ...]
    load: Mapping[str, int]
    objective: float | None
    solver_status: int
    solver_message: str
    solve_seconds: float
    recused: tuple[tuple[str, str], ...]
    repeats: tuple[tuple[str, str], ...]

    @property
    def has_solution(self) -> bool:
        return self.status in (SolveStatus.OPTIMAL, SolveStatus.TIME_LIMIT_FEASIBLE)

    def for_unit(self, unit_id: str) -> UnitPanel:
        for assignment in self.assignments:
            if assignment.unit == unit_id:
                return assignment
        raise ScoringInputError(f"unit {unit_id!r} has no assignment in this result")


# --------------------------------------------------------------------------- committees


def form_committees(
    raters: Sequence[RaterInfo],
    units: Sequence[UnitInfo],
    rules: RecusalRules,
    spec: CommitteeSpec,
    units_by_id: Mapping[str, UnitInfo] | None = None,
) -> PanelResult:
    """Choose a committee for every unit (the Shichahai rotating committee).

    Binary ``x[r, u] = 1`` when rater r sits on unit u's committee. With
    ``E`` the eligibility matrix from :func:`scoring.recusal.check`, ``T(t)``
    the raters of type t, ``H`` the history pairs, and groups ``k`` the rater
    types (or all raters when ``balance_by_type`` is False):

    .. math::

        \\min\\; w_b \\sum_k (\\mathrm{hi}_k - \\mathrm{lo}_k) + w_r \\sum_{(r,u) \\in H} x_{ru}

    subject to

    * recusal: ``x[r, u] = 0`` where ``E[r, u]`` is False;
    * committee size: ``s_min <= sum_r x[r, u] <= s_max`` for every unit;
    * composition: ``q_min(kind(u), t) <= sum_{r in T(t)} x[r, u] <= q_max(kind(u), t)``;
    * cap (optional): ``sum_u x[r, u] <= c`` for every rater;
    * load bounds: ``lo_k <= sum_u x[r, u] <= hi_k`` for r in group k (lo only
      over raters eligible somewhere, so a rater recused from everything does
      not pin the minimum at zero).

    Parameters
    ----------
    raters, units
        Raters and units; ids must be unique. Results keep their order.
    rules
        Recusal rules; the same predicate later filters the scores.
    spec
        :class:`CommitteeSpec`.
    units_by_id
        Lookup for raters' home units (default: ``units``).

    Returns
    -------
    PanelResult
        ``mode="committees"``; ``panels`` is empty; each ``UnitPanel.panel``
        is None and ``scorers == members``.

    Raises
    ------
    PanelInfeasible
        When no assignment exists; the explanations name the constraint.
    ScoringInputError
        No raters, no units, duplicate ids or an unknown rater type.

    References
    ----------
    The committee model: the Shichahai members' democratic evaluation
    committee (see ``/work/shared/DOMAIN.md``, section 2). The solver: HiGHS
    via ``scipy.optimize.milp`` (Huangfu & Hall 2018, Math. Prog. Comp. 10).

    Examples
    --------
    >>> from scoring.types import RaterInfo, UnitInfo
    >>> raters = [RaterInfo("r1", home_unit="u1"), RaterInfo("r2"), RaterInfo("r3")]
    >>> result = form_committees(raters, [UnitInfo("u1")], RecusalRules(), CommitteeSpec(committee_size=2))
    >>> result.status.value, result.for_unit("u1").members
    ('optimal', ('r2', 'r3'))
    """
    inputs = _Inputs.build(raters, units, rules, units_by_id)
    explanations = _committee_prechecks(inputs, spec)
    if explanations:
        raise PanelInfeasible(explanations)

    def build(eligible: np.ndarray) -> _Problem:
        return _committee_problem(inputs, eligible, spec)

    problem = build(inputs.eligible)
    res, seconds = problem.solve(spec.time_limit)
    status = _status_of(res)
    if status is SolveStatus.INFEASIBLE:
        families = (
            (ConstraintFamily.COMMITTEE_SIZE, True),
            (ConstraintFamily.COMPOSITION_QUOTA, True),
            (ConstraintFamily.MAX_UNITS_PER_RATER, False),
            (ConstraintFamily.RECUSAL, True),
        )
        raise PanelInfeasible(_diagnose(build, inputs, families, spec.time_limit))
    if status is not SolveStatus.OPTIMAL and status is not SolveStatus.TIME_LIMIT_FEASIBLE:
        return _empty_result("committees", status, res, seconds)

    n_raters, n_units = inputs.eligible.shape
    chosen = np.round(res.x[: n_raters * n_units]).reshape(n_raters, n_units) > 0.5
    if np.any(chosen & ~inputs.eligible):  # bounds make this impossible; never hand out a recused seat
        raise RuntimeError("solver returned a recused committee seat")
    assignments = []
    for j, unit in enumerate(inputs.units):
        members = tuple(inputs.raters[i].id for i in np.flatnonzero(chosen[:, j]))
        assignments.append(UnitPanel(unit.id, unit.kind, None, members, members, ()))
    load = {rater.id: int(chosen[i].sum()) for i, rater in enumerate(inputs.raters)}
    return PanelResult(
        mode="committees",
        status=status,
        message=_status_message(status, res),
        assignments=tuple(assignments),
        panels=(),
        load=MappingProxyType(load),
        objective=float(res.fun),
        solver_status=int(res.status),
        solver_message=str(res.message),
        solve_seconds=seconds,
        recused=(),
        repeats=_repeats(inputs, spec.history, chosen),
    )


def _committee_prechecks(inputs: _Inputs, spec: CommitteeSpec) -> list[Infeasibility]:
    found: list[Infeasibility] = []
    eligible = inputs.eligible
    n_raters, n_units = eligible.shape
    size_min, size_max = spec.size_range(n_raters)
    for j, unit in enumerate(inputs.units):
        n_eligible = int(eligible[:, j].sum())
        if n_eligible < size_min:
            found.append(
                Infeasibility(
                    ConstraintFamily.COMMITTEE_SIZE,
                    f"unit {unit.id} (kind {unit.kind}) needs a committee of at least {size_min} "
                    f"but only {n_eligible} raters are eligible after recusal",
                    (unit.id,),
                )
            )
            continue
        quotas = spec.quotas.get(unit.kind, {})
        short = False
        for rater_type, (low, _) in quotas.items():
            n_type = int(eligible[inputs.of_type(rater_type), j].sum())
            if n_type < low:
                short = True
                found.append(
                    Infeasibility(
                        ConstraintFamily.COMPOSITION_QUOTA,
                        f"unit {unit.id} (kind {unit.kind}) needs {low} {rater_type.value} raters "
                        f"but only {n_type} {rater_type.value} raters are eligible after recusal",
                        (unit.id,),
                    )
                )
        if short or not quotas:
            continue
        seats = sum(
            min(int(eligible[inputs.of_type(t), j].sum()), quotas[t][1] if t in quotas else n_raters)
            for t in inputs.types_present
        )
        if seats < size_min:
            found.append(
                Infeasibility(
                    ConstraintFamily.COMPOSITION_QUOTA,
                    f"unit {unit.id} (kind {unit.kind}): the quota maximums seat at most {seats} eligible "
                    f"raters, fewer than the committee size of at least {size_min}",
                    (unit.id,),
                )
            )
    for kind, quotas in spec.quotas.items():
        of_kind = tuple(u.id for u in inputs.units if u.kind == kind)
        minimum = sum(low for low, _ in quotas.values())
        if of_kind and minimum > size_max:
            parts = ", ".join(f"{t.value} {low}" for t, (low, _) in quotas.items() if low)
            found.append(
                Infeasibility(
                    ConstraintFamily.COMPOSITION_QUOTA,
                    f"units of kind {kind} need at least {minimum} committee members by quota ({parts}), "
                    f"more than the committee size of at most {size_max}",
                    of_kind,
                )
            )
    cap = spec.max_units_per_rater
    if cap is not None:
        reach = np.minimum(eligible.sum(axis=1), cap)
        needed = size_min * n_units
        if needed > reach.sum():
            found.append(
                Infeasibility(
                    ConstraintFamily.MAX_UNITS_PER_RATER,
                    f"the {n_units} committees need at least {needed} seats but with at most {cap} units "
                    f"per rater the {n_raters} raters can fill only {int(reach.sum())}",
                )
            )
        for rater_type in inputs.types_present | _quota_types(spec.quotas):
            needed_type = sum(spec.quotas.get(u.kind, {}).get(rater_type, (0, 0))[0] for u in inputs.units)
            members = inputs.of_type(rater_type)
            available = int(reach[members].sum())
            if needed_type > available:
                found.append(
                    Infeasibility(
                        ConstraintFamily.MAX_UNITS_PER_RATER,
                        f"the quotas need {needed_type} {rater_type.value} seats over all units but with at most "
                        f"{cap} units per rater the {int(members.sum())} {rater_type.value} raters can fill "
                        f"only {available}",
                    )
                )
    return found


def _committee_problem(inputs: _Inputs, eligible: np.ndarray, spec: CommitteeSpec) -> _Problem:
    n_raters, n_units = eligible.shape
    problem = _Problem()
    x = problem.add_variables((n_raters, n_units), upper=eligible.astype(float), integer=True)
    groups = (
        [inputs.of_type(t) for t in sorted(inputs.types_present, key=lambda t: t.value)]
        if spec.balance_by_type
        else [np.ones(n_raters, dtype=bool)]
    )
    high = problem.add_variables((len(groups),), upper=float(n_units), cost=spec.balance_weight)
    low = problem.add_variables((len(groups),), upper=float(n_units), cost=-spec.balance_weight)
    for i, j in _history_cells(inputs, spec.history):
        problem.cost[x[i, j]] += spec.rotation_weight

    size_min, size_max = spec.size_range(n_raters)
    for j, unit in enumerate(inputs.units):
        problem.add_row(x[:, j], 1.0, size_min, size_max, ConstraintFamily.COMMITTEE_SIZE, unit.id)
        for rater_type, (q_low, q_high) in spec.quotas.get(unit.kind, {}).items():
            problem.add_row(
                x[inputs.of_type(rater_type), j], 1.0, q_low, q_high, ConstraintFamily.COMPOSITION_QUOTA, unit.id
            )
    if spec.max_units_per_rater is not None:
        for i in range(n_raters):
            problem.add_row(x[i, :], 1.0, 0, spec.max_units_per_rater, ConstraintFamily.MAX_UNITS_PER_RATER)
    somewhere = eligible.any(axis=1)
    for k, group in enumerate(groups):
        for i in np.flatnonzero(group):
            load_minus = np.append(np.ones(n_units), -1.0)
            problem.add_row(np.append(x[i, :], high[k]), load_minus, -np.inf, 0.0)
            if somewhere[i]:
                problem.add_row(np.append(x[i, :], low[k]), load_minus, 0.0, np.inf)
    return problem


# --------------------------------------------------------------------------- rotating panels


def form_rotating_panels(
    raters: Sequence[RaterInfo],
    units: Sequence[UnitInfo],
    rules: RecusalRules,
    spec: RotatingPanelSpec,
    units_by_id: Mapping[str, UnitInfo] | None = None,
) -> PanelResult:
    """Split the raters into G panels and give every unit to one panel (the 2014 model).

    Binary ``y[r, g]`` (rater r on panel g) and ``z[u, g]`` (unit u heard by
    panel g); ``t`` is the smallest number of eligible scorers of any unit and
    ``w[h, g]`` marks a history pair ``h = (r, u)`` meeting again on panel g:

    .. math::

        \\min\\; w_r \\sum_{h, g} w_{hg} - w_c\\, t

    subject to

    * every rater on exactly one panel, every unit heard by exactly one panel;
    * panel size: ``p_min <= sum_r y[r, g] <= p_max``;
    * units per panel: ``n_min <= sum_u z[u, g] <= n_max``;
    * panel quotas: ``q_min(t) <= sum_{r in T(t)} y[r, g] <= q_max(t)``;
    * eligible raters: ``sum_r E[r, u] y[r, g] >= m z[u, g]`` for every u, g;
    * unit quotas: ``sum_{r in T(t)} E[r, u] y[r, g] >= q(kind(u), t) z[u, g]``;
    * ``t <= sum_r E[r, u] y[r, g] + R (1 - z[u, g])`` and
      ``w[h, g] >= y[r, g] + z[u, g] - 1``.

    Panels are interchangeable, so unit number ``j`` (0-based, input order)
    may only go to panels ``0..j``; this removes mirror-image solutions
    without excluding any assignment up to renaming the panels. Recused
    members of a unit's panel stay on the panel and simply do not score that
    unit; ``UnitPanel.recused`` lists them.

    Parameters
    ----------
    raters, units
        Raters and units; ids must be unique. ``RaterInfo.panel`` is ignored
        (it is this function's output, not its input).
    rules
        Recusal rules.
    spec
        :class:`RotatingPanelSpec`.
    units_by_id
        Lookup for raters' home units (default: ``units``).

    Returns
    -------
    PanelResult
        ``mode="rotating_panels"``; panels are named ``P1`` .. ``PG``; ``load``
        counts the units each rater actually scores.

    Raises
    ------
    PanelInfeasible
        When no assignment exists; the explanations name the constraint.
    ScoringInputError
        No raters, no units, duplicate ids or an unknown rater type.

    References
    ----------
    The 2014 open-door scoring: 27 worker representatives in four groups
    heard nine unions (``/work/shared/DOMAIN.md``, section 2).

    Examples
    --------
    >>> from scoring.types import RaterInfo, UnitInfo
    >>> raters = [RaterInfo(f"r{i}", home_unit=f"u{i % 2}") for i in range(4)]
    >>> spec = RotatingPanelSpec(n_panels=2, min_raters_per_unit=1)
    >>> result = form_rotating_panels(raters, [UnitInfo("u0"), UnitInfo("u1")], RecusalRules(), spec)
    >>> sorted(len(p.members) for p in result.panels), sorted(len(p.units) for p in result.panels)
    ([2, 2], [1, 1])
    """
    inputs = _Inputs.build(raters, units, rules, units_by_id)
    explanations = _panel_prechecks(inputs, spec)
    if explanations:
        raise PanelInfeasible(explanations)

    def build(eligible: np.ndarray) -> _Problem:
        return _panel_problem(inputs, eligible, spec)

    problem = build(inputs.eligible)
    res, seconds = problem.solve(spec.time_limit)
    status = _status_of(res)
    if status is SolveStatus.INFEASIBLE:
        families = (
            (ConstraintFamily.PANEL_SIZE, False),
            (ConstraintFamily.UNITS_PER_PANEL, False),
            (ConstraintFamily.PANEL_QUOTA, False),
            (ConstraintFamily.MIN_RATERS_PER_UNIT, True),
            (ConstraintFamily.UNIT_QUOTA, True),
            (ConstraintFamily.RECUSAL, True),
        )
        raise PanelInfeasible(_diagnose(build, inputs, families, spec.time_limit))
    if status is not SolveStatus.OPTIMAL and status is not SolveStatus.TIME_LIMIT_FEASIBLE:
        return _empty_result("rotating_panels", status, res, seconds)

    n_raters, n_units = inputs.eligible.shape
    n_panels = spec.n_panels
    values = np.round(res.x) > 0.5
    on_panel = values[: n_raters * n_panels].reshape(n_raters, n_panels)
    heard_by = values[n_raters * n_panels : (n_raters + n_units) * n_panels].reshape(n_units, n_panels)
    rater_panel = on_panel.argmax(axis=1)
    unit_panel = heard_by.argmax(axis=1)
    names = tuple(f"P{g + 1}" for g in range(n_panels))
    panels = tuple(
        Panel(
            names[g],
            tuple(r.id for i, r in enumerate(inputs.raters) if rater_panel[i] == g),
            tuple(u.id for j, u in enumerate(inputs.units) if unit_panel[j] == g),
        )
        for g in range(n_panels)
    )
    assignments, recused = [], []
    scores_unit = np.zeros((n_raters, n_units), dtype=bool)
    for j, unit in enumerate(inputs.units):
        members = np.flatnonzero(rater_panel == unit_panel[j])
        scorers = tuple(inputs.raters[i].id for i in members if inputs.eligible[i, j])
        barred = tuple(inputs.raters[i].id for i in members if not inputs.eligible[i, j])
        scores_unit[members, j] = inputs.eligible[members, j]
        recused.extend((rater_id, unit.id) for rater_id in barred)
        member_ids = tuple(inputs.raters[i].id for i in members)
        assignments.append(UnitPanel(unit.id, unit.kind, names[unit_panel[j]], member_ids, scorers, barred))
    load = {rater.id: int(scores_unit[i].sum()) for i, rater in enumerate(inputs.raters)}
    on_unit_panel = rater_panel[:, None] == unit_panel[None, :]
    return PanelResult(
        mode="rotating_panels",
        status=status,
        message=_status_message(status, res),
        assignments=tuple(assignments),
        panels=panels,
        load=MappingProxyType(load),
        objective=float(res.fun),
        solver_status=int(res.status),
        solver_message=str(res.message),
        solve_seconds=seconds,
        recused=tuple(recused),
        repeats=_repeats(inputs, spec.history, on_unit_panel),
    )


def _panel_prechecks(inputs: _Inputs, spec: RotatingPanelSpec) -> list[Infeasibility]:
    found: list[Infeasibility] = []
    eligible = inputs.eligible
    n_raters, n_units = eligible.shape
    n_panels = spec.n_panels
    size_min, size_max = spec.panel_size_range(n_raters)
    if n_raters < n_panels * size_min:
        found.append(
            Infeasibility(
                ConstraintFamily.PANEL_SIZE, f"{n_raters} raters cannot fill {n_panels} panels of at least {size_min}"
            )
        )
    if n_raters > n_panels * size_max:
        found.append(
            Infeasibility(
                ConstraintFamily.PANEL_SIZE, f"{n_raters} raters do not fit in {n_panels} panels of at most {size_max}"
            )
        )
    units_min, units_max = spec.units_per_panel_range(n_units)
    if n_units < n_panels * units_min:
        found.append(
            Infeasibility(
                ConstraintFamily.UNITS_PER_PANEL,
                f"{n_units} units cannot give {n_panels} panels at least {units_min} units each",
            )
        )
    if n_units > n_panels * units_max:
        found.append(
            Infeasibility(
                ConstraintFamily.UNITS_PER_PANEL,
                f"{n_units} units do not fit in {n_panels} panels of at most {units_max} units each",
            )
        )
    for rater_type, (low, high) in spec.panel_quotas.items():
        count = int(inputs.of_type(rater_type).sum())
        if count < n_panels * low:
            found.append(
                Infeasibility(
                    ConstraintFamily.PANEL_QUOTA,
                    f"{n_panels} panels need at least {low} {rater_type.value} raters each "
                    f"({n_panels * low} in all) but there are only {count}",
                )
            )
        if count > n_panels * high:
            found.append(
                Infeasibility(
                    ConstraintFamily.PANEL_QUOTA,
                    f"the {count} {rater_type.value} raters do not fit in {n_panels} panels "
                    f"of at most {high} {rater_type.value} raters each",
                )
            )
    quota_min = sum(low for low, _ in spec.panel_quotas.values())
    if quota_min > size_max:
        found.append(
            Infeasibility(
                ConstraintFamily.PANEL_QUOTA,
                f"the panel quota minimums add up to {quota_min}, more than the panel size of at most {size_max}",
            )
        )
    if spec.panel_quotas and inputs.types_present <= set(spec.panel_quotas):
        quota_max = sum(spec.panel_quotas[t][1] for t in inputs.types_present)
        if quota_max < size_min:
            found.append(
                Infeasibility(
                    ConstraintFamily.PANEL_QUOTA,
                    f"the panel quota maximums add up to {quota_max}, less than the panel size of at least {size_min}",
                )
            )
    needed = spec.min_raters_per_unit
    if needed > size_max:
        found.append(
            Infeasibility(
                ConstraintFamily.MIN_RATERS_PER_UNIT,
                f"each unit needs {needed} eligible raters on its panel but panels hold at most {size_max}",
            )
        )
    for j, unit in enumerate(inputs.units):
        n_eligible = int(eligible[:, j].sum())
        if n_eligible < needed:
            found.append(
                Infeasibility(
                    ConstraintFamily.MIN_RATERS_PER_UNIT,
                    f"unit {unit.id} (kind {unit.kind}) needs {needed} eligible raters on its panel "
                    f"but only {n_eligible} raters are eligible after recusal",
                    (unit.id,),
                )
            )
        for rater_type, low in spec.unit_quotas.get(unit.kind, {}).items():
            n_type = int(eligible[inputs.of_type(rater_type), j].sum())
            if n_type < low:
                found.append(
                    Infeasibility(
                        ConstraintFamily.UNIT_QUOTA,
                        f"unit {unit.id} (kind {unit.kind}) needs {low} {rater_type.value} raters "
                        f"but only {n_type} {rater_type.value} raters are eligible after recusal",
                        (unit.id,),
                    )
                )
    for kind, quotas in spec.unit_quotas.items():
        of_kind = tuple(u.id for u in inputs.units if u.kind == kind)
        if not of_kind:
            continue
        for rater_type, low in quotas.items():
            if rater_type in spec.panel_quotas and low > spec.panel_quotas[rater_type][1]:
                found.append(
                    Infeasibility(
                        ConstraintFamily.UNIT_QUOTA,
                        f"units of kind {kind} need {low} {rater_type.value} raters on their panel but the "
                        f"panel quota allows at most {spec.panel_quotas[rater_type][1]}",
                        of_kind,
                    )
                )
        if sum(quotas.values()) > size_max:
            found.append(
                Infeasibility(
                    ConstraintFamily.UNIT_QUOTA,
                    f"units of kind {kind} need {sum(quotas.values())} eligible raters by quota, "
                    f"more than the panel size of at most {size_max}",
                    of_kind,
                )
            )
    return found


def _panel_problem(inputs: _Inputs, eligible: np.ndarray, spec: RotatingPanelSpec) -> _Problem:
    n_raters, n_units = eligible.shape
    n_panels = spec.n_panels
    problem = _Problem()
    y = problem.add_variables((n_raters, n_panels), upper=1.0, integer=True)
    # symmetry breaking: unit j may only be heard by panels 0..j
    z_upper = (np.arange(n_panels)[None, :] <= np.arange(n_units)[:, None]).astype(float)
    z = problem.add_variables((n_units, n_panels), upper=z_upper, integer=True)
    worst = problem.add_variables((1,), upper=float(n_raters), cost=-spec.coverage_weight)[0]

    for i in range(n_raters):
        problem.add_row(y[i, :], 1.0, 1, 1)
    for j in range(n_units):
        problem.add_row(z[j, :], 1.0, 1, 1)
    size_min, size_max = spec.panel_size_range(n_raters)
    units_min, units_max = spec.units_per_panel_range(n_units)
    for g in range(n_panels):
        problem.add_row(y[:, g], 1.0, size_min, size_max, ConstraintFamily.PANEL_SIZE)
        problem.add_row(z[:, g], 1.0, units_min, units_max, ConstraintFamily.UNITS_PER_PANEL)
        for rater_type, (low, high) in spec.panel_quotas.items():
            problem.add_row(y[inputs.of_type(rater_type), g], 1.0, low, high, ConstraintFamily.PANEL_QUOTA)
    big = float(n_raters)
    for j, unit in enumerate(inputs.units):
        allowed = eligible[:, j]
        for g in range(n_panels):
            problem.add_row(
                np.append(y[allowed, g], z[j, g]),
                np.append(np.ones(int(allowed.sum())), -float(spec.min_raters_per_unit)),
                0.0,
                np.inf,
                ConstraintFamily.MIN_RATERS_PER_UNIT,
                unit.id,
            )
            for rater_type, low in spec.unit_quotas.get(unit.kind, {}).items():
                members = allowed & inputs.of_type(rater_type)
                problem.add_row(
                    np.append(y[members, g], z[j, g]),
                    np.append(np.ones(int(members.sum())), -float(low)),
                    0.0,
                    np.inf,
                    ConstraintFamily.UNIT_QUOTA,
                    unit.id,
                )
            # worst <= eligible scorers of unit j on panel g, when panel g hears unit j
            problem.add_row(
                np.concatenate(([worst], y[allowed, g], [z[j, g]])),
                np.concatenate(([1.0], -np.ones(int(allowed.sum())), [big])),
                -np.inf,
                big,
            )
    for i, j in _history_cells(inputs, spec.history):
        meet = problem.add_variables((n_panels,), upper=1.0, cost=spec.rotation_weight)
        for g in range(n_panels):
            problem.add_row(np.array([y[i, g], z[j, g], meet[g]]), np.array([1.0, 1.0, -1.0]), -np.inf, 1.0)
    return problem


# --------------------------------------------------------------------------- shared machinery


@dataclass(frozen=True, eq=False)
class _Inputs:
    raters: tuple[RaterInfo, ...]
    units: tuple[UnitInfo, ...]
    types: tuple[RaterType, ...]
    eligible: np.ndarray  #: bool, raters x units, from scoring.recusal.check
    rater_index: Mapping[str, int]
    unit_index: Mapping[str, int]

    @classmethod
    def build(
        cls,
        raters: Sequence[RaterInfo],
        units: Sequence[UnitInfo],
        rules: RecusalRules,
        units_by_id: Mapping[str, UnitInfo] | None,
    ) -> _Inputs:
        raters, units = tuple(raters), tuple(units)
        if not raters:
            raise ScoringInputError("no raters to form panels from")
        if not units:
            raise ScoringInputError("no units to assign")
        types = []
        for rater in raters:
            try:
                types.append(RaterType(rater.rater_type))
            except ValueError:
                raise ScoringInputError(f"rater {rater.id!r} has unknown rater type {rater.rater_type!r}") from None
        eligible = eligibility_matrix(raters, units, rules, units_by_id)  # also rejects duplicate ids
        return cls(
            raters,
            units,
            tuple(types),
            eligible,
            MappingProxyType({r.id: i for i, r in enumerate(raters)}),
            MappingProxyType({u.id: j for j, u in enumerate(units)}),
        )

    def of_type(self, rater_type: RaterType) -> np.ndarray:
        return np.array([t is rater_type for t in self.types], dtype=bool)

    @property
    def types_present(self) -> set[RaterType]:
        return set(self.types)


class _Problem:
    """A MILP under construction whose constraint rows carry a (family, unit) tag,
    so that a diagnosis can drop one family, or one family for one unit."""

    def __init__(self) -> None:
        self.cost: list[float] = []
        self.upper: list[float] = []
        self.integer: list[int] = []
        self._cols: list[np.ndarray] = []
        self._vals: list[np.ndarray] = []
        self._low: list[float] = []
        self._high: list[float] = []
        self.tags: list[tuple[ConstraintFamily | None, str | None]] = []

    def add_variables(
        self, shape: tuple[int, ...], upper: float | np.ndarray, integer: bool = False, cost: float = 0.0
    ) -> np.ndarray:
        start, count = len(self.cost), math.prod(shape)
        self.cost.extend([float(cost)] * count)
        self.upper.extend(np.broadcast_to(np.asarray(upper, dtype=float), shape).ravel().tolist())
        self.integer.extend([1 if integer else 0] * count)
        return np.arange(start, start + count).reshape(shape)

    def add_row(
        self,
        columns: np.ndarray,
        coefficients: float | np.ndarray,
        low: float,
        high: float,
        family: ConstraintFamily | None = None,
        unit: str | None = None,
    ) -> None:
        columns = np.asarray(columns, dtype=np.int64).ravel()
        self._cols.append(columns)
        self._vals.append(np.broadcast_to(np.asarray(coefficients, dtype=float), columns.shape))
        self._low.append(float(low))
        self._high.append(float(high))
        self.tags.append((family, unit))

    def solve(
        self,
        time_limit: float,
        drop: Callable[[ConstraintFamily | None, str | None], bool] | None = None,
        feasibility_only: bool = False,
    ) -> tuple[OptimizeResult, float]:
        keep = [k for k, (family, unit) in enumerate(self.tags) if drop is None or not drop(family, unit)]
        n_vars = len(self.cost)
        constraints = []
        if keep:
            rows = np.concatenate([np.full(len(self._cols[k]), r) for r, k in enumerate(keep)])
            cols = np.concatenate([self._cols[k] for k in keep])
            vals = np.concatenate([self._vals[k] for k in keep])
            matrix = csr_array((vals, (rows, cols)), shape=(len(keep), n_vars))
            constraints = [
                LinearConstraint(matrix, [self._low[k] for k in keep], [self._high[k] for k in keep])
            ]
        cost = np.zeros(n_vars) if feasibility_only else np.array(self.cost)
        started = time.perf_counter()
        res = milp(
            cost,
            integrality=np.array(self.integer),
            bounds=Bounds(np.zeros(n_vars), np.array(self.upper)),
            constraints=constraints,
            options={"time_limit": float(time_limit)},
        )
        return res, time.perf_counter() - started


def _status_of(res: OptimizeResult) -> SolveStatus:
    """Map ``milp``'s status (0 optimal, 1 iteration/time limit, 2 infeasible,
    3 unbounded, 4 other) onto :class:`SolveStatus`."""
    if res.status == 0:
        return SolveStatus.OPTIMAL
    if res.status == 1:
        return SolveStatus.TIME_LIMIT_FEASIBLE if res.x is not None else SolveStatus.TIME_LIMIT_NO_SOLUTION
    if res.status == 2:
        return SolveStatus.INFEASIBLE
    return SolveStatus.SOLVER_ERROR


def _status_message(status: SolveStatus, res: OptimizeResult) -> str:
    if status is SolveStatus.OPTIMAL:
        return "optimal assignment found"
    if status is SolveStatus.TIME_LIMIT_FEASIBLE:
        return "time limit reached: this is the best assignment found, not proven optimal"
    if status is SolveStatus.TIME_LIMIT_NO_SOLUTION:
        return "time limit reached before any assignment was found; raise time_limit or loosen the constraints"
    return f"the solver stopped without an assignment: {res.message}"


def _empty_result(mode: str, status: SolveStatus, res: OptimizeResult, seconds: float) -> PanelResult:
    return PanelResult(
        mode=mode,
        status=status,
        message=_status_message(status, res),
        assignments=(),
        panels=(),
        load=MappingProxyType({}),
        objective=None,
        solver_status=int(res.status),
        solver_message=str(res.message),
        solve_seconds=seconds,
        recused=(),
        repeats=(),
    )


def _diagnose(
    build: Callable[[np.ndarray], _Problem],
    inputs: _Inputs,
    families: Iterable[tuple[ConstraintFamily, bool]],
    budget: float,
) -> list[Infeasibility]:
    """Re-solve with each constraint family dropped in turn (and, for per-unit
    families that explain it, with the family dropped for one unit at a time).

    Recusal is "dropped" by rebuilding with every pair eligible; it is only
    ever relaxed here, to explain, never in an assignment. The whole diagnosis
    gets ``budget`` seconds; sub-solves that run out are reported as
    inconclusive rather than guessed.
    """
    deadline = time.perf_counter() + budget
    base = build(inputs.eligible)
    found: list[Infeasibility] = []
    inconclusive: list[ConstraintFamily] = []

    def feasible(family: ConstraintFamily, unit: str | None) -> bool | None:
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            return None
        if family is ConstraintFamily.RECUSAL:
            relaxed = inputs.eligible.copy()
            if unit is None:
                relaxed[:] = True
            else:
                relaxed[:, inputs.unit_index[unit]] = True
            res, _ = build(relaxed).solve(remaining, feasibility_only=True)
        else:

            def drop(tag_family: ConstraintFamily | None, tag_unit: str | None) -> bool:
                return tag_family is family and (unit is None or tag_unit == unit)

            res, _ = base.solve(remaining, drop=drop, feasibility_only=True)
        status = _status_of(res)
        if status in (SolveStatus.OPTIMAL, SolveStatus.TIME_LIMIT_FEASIBLE):
            return True
        return False if status is SolveStatus.INFEASIBLE else None

    present = {family for family, _ in base.tags if family is not None} | {ConstraintFamily.RECUSAL}
    for family, per_unit in families:
        if family not in present:
            continue
        verdict = feasible(family, None)
        if verdict is None:
            inconclusive.append(family)
            continue
        if not verdict:
            continue
        culprits: tuple[str, ...] = ()
        if per_unit:
            culprits = tuple(u.id for u in inputs.units if feasible(family, u.id))
        where = f" (relaxing it for unit {' or '.join(culprits)} alone is enough)" if culprits else ""
        found.append(
            Infeasibility(
                family,
                f"no assignment meets every constraint; dropping {_FAMILY_WORDS[family]} "
                f"would make one possible{where}",
                culprits,
                "relaxation",
            )
        )
    if not found:
        names = ", ".join(_FAMILY_WORDS[f] for f, _ in families if f in present)
        note = ""
        if inconclusive:
            note = f"; the check of {', '.join(_FAMILY_WORDS[f] for f in inconclusive)} ran out of time"
        found.append(
            Infeasibility(
                inconclusive[0] if inconclusive else next(f for f, _ in families if f in present),
                "no assignment meets every constraint, and no single family of constraints explains it: "
                f"at least two of {names} conflict{note}",
                (),
                "relaxation",
            )
        )
    return found


def _history_cells(inputs: _Inputs, history: frozenset[tuple[str, str]]) -> list[tuple[int, int]]:
    cells = [
        (inputs.rater_index[r], inputs.unit_index[u])
        for r, u in history
        if r in inputs.rater_index and u in inputs.unit_index
    ]
    return sorted(cells)


def _repeats(inputs: _Inputs, history: frozenset[tuple[str, str]], together: np.ndarray) -> tuple[tuple[str, str], ...]:
    return tuple(
        (inputs.raters[i].id, inputs.units[j].id) for i, j in _history_cells(inputs, history) if together[i, j]
    )


# --------------------------------------------------------------------------- spec validation


def _require_count(value: object, name: str, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ScoringInputError(f"{name} must be an integer of at least {minimum}, not {value!r}")


def _require_weight(value: float, name: str) -> None:
    if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
        raise ScoringInputError(f"{name} must be a finite number >= 0, not {value!r}")


def _require_time_limit(value: float) -> None:
    if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
        raise ScoringInputError(f"time_limit must be a positive number of seconds, not {value!r}")


def _rater_type(key: object, where: str) -> RaterType:
    try:
        return RaterType(key)
    except ValueError:
        raise ScoringInputError(f"{where}: unknown rater type {key!r}") from None


def _freeze_range(value: object, where: str) -> Quota:
    try:
        low, high = value  # type: ignore[misc]
    except (TypeError, ValueError):
        raise ScoringInputError(f"{where}: expected (min, max), got {value!r}") from None
    _require_count(low, f"{where} min", minimum=0)
    _require_count(high, f"{where} max", minimum=0)
    if high < low:
        raise ScoringInputError(f"{where}: max {high} is below min {low}")
    return int(low), int(high)


def _freeze_minimum(value: object, where: str) -> int:
    _require_count(value, f"{where} min", minimum=0)
    return int(value)  # type: ignore[arg-type]


def _freeze_type_map(mapping: Mapping, where: str, freeze_value: Callable) -> Mapping:
    frozen = {}
    for key, value in dict(mapping).items():
        rater_type = _rater_type(key, where)
        frozen[rater_type] = freeze_value(value, f"{where}[{rater_type.value}]")
    return MappingProxyType(frozen)


def _freeze_kind_quotas(mapping: Mapping, where: str, freeze_value: Callable) -> Mapping:
    return MappingProxyType(
        {kind: _freeze_type_map(per_type, f"{where}[{kind}]", freeze_value) for kind, per_type in dict(mapping).items()}
    )


def _freeze_history(history: Iterable[tuple[str, str]]) -> frozenset[tuple[str, str]]:
    pairs = []
    for pair in history:
        if not (isinstance(pair, tuple) and len(pair) == 2):
            raise ScoringInputError(f"history entries are (rater_id, unit_id) pairs, not {pair!r}")
        pairs.append((str(pair[0]), str(pair[1])))
    return frozenset(pairs)


def _quota_types(quotas: Mapping[str, Mapping[RaterType, Quota]]) -> set[RaterType]:
    return {t for per_type in quotas.values() for t in per_type}
