"""What panel forming returns: the assignment (:class:`PanelResult`), the solve
status, and the named infeasibility raised when no assignment exists."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

from scoring.types import ScoringInputError

__all__ = [
    "ConstraintFamily",
    "SolveStatus",
    "Infeasibility",
    "PanelInfeasible",
    "UnitPanel",
    "Panel",
    "PanelResult",
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
