"""The solve step both forming models share: refuse what the pre-checks found,
solve, explain an infeasible model, and wrap HiGHS's answer in a :class:`PanelResult`."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
from scipy.optimize import OptimizeResult

from scoring.panels._diagnose import diagnose
from scoring.panels._model import Inputs, Problem, status_of
from scoring.panels.result import (
    ConstraintFamily,
    Infeasibility,
    Panel,
    PanelInfeasible,
    PanelResult,
    SolveStatus,
    UnitPanel,
)


@dataclass(frozen=True, eq=False)
class Solved:
    """A finished solve that did not prove infeasibility."""

    res: OptimizeResult
    status: SolveStatus
    seconds: float

    @property
    def has_solution(self) -> bool:
        return self.status in (SolveStatus.OPTIMAL, SolveStatus.TIME_LIMIT_FEASIBLE)

    def binary(self) -> np.ndarray:
        """The solution vector rounded to 0/1 (as bool); call only with a solution."""
        return np.round(self.res.x) > 0.5

    def result(
        self,
        mode: str,
        assignments: Sequence[UnitPanel] = (),
        panels: Sequence[Panel] = (),
        load: Mapping[str, int] | None = None,
        recused: Sequence[tuple[str, str]] = (),
        repeats: Sequence[tuple[str, str]] = (),
    ) -> PanelResult:
        """The :class:`PanelResult`; without a solution the assignment fields stay empty."""
        return PanelResult(
            mode=mode,
            status=self.status,
            message=_status_message(self.status, self.res),
            assignments=tuple(assignments),
            panels=tuple(panels),
            load=MappingProxyType(dict(load or {})),
            objective=float(self.res.fun) if self.has_solution else None,
            solver_status=int(self.res.status),
            solver_message=str(self.res.message),
            solve_seconds=self.seconds,
            recused=tuple(recused),
            repeats=tuple(repeats),
        )


def solve_or_explain(
    inputs: Inputs,
    prechecks: Sequence[Infeasibility],
    build: Callable[[np.ndarray], Problem],
    families: Iterable[tuple[ConstraintFamily, bool]],
    time_limit: float,
) -> Solved:
    """Solve the model ``build`` makes from the recusal eligibility matrix.

    Raises :class:`PanelInfeasible` with the pre-check findings when there
    are any, followed by whatever else :func:`diagnose` finds binding once the
    pre-checked families are dropped (several independent causes are all
    named), or with :func:`diagnose`'s explanation when HiGHS proves the model
    infeasible; ``families`` lists the constraint families to relax in turn,
    and whether to try each unit alone.
    """
    families = list(families)
    if prechecks:
        named = frozenset(p.constraint for p in prechecks)
        base = build(inputs.eligible)
        res, _ = base.solve(time_limit, drop=lambda family, _unit: family in named, feasibility_only=True)
        beyond = []
        if status_of(res) is SolveStatus.INFEASIBLE:
            beyond = diagnose(build, inputs, families, time_limit, already=named)
        raise PanelInfeasible([*prechecks, *beyond])
    res, seconds = build(inputs.eligible).solve(time_limit)
    status = status_of(res)
    if status is SolveStatus.INFEASIBLE:
        raise PanelInfeasible(diagnose(build, inputs, families, time_limit))
    return Solved(res, status, seconds)


def _status_message(status: SolveStatus, res: OptimizeResult) -> str:
    if status is SolveStatus.OPTIMAL:
        return "optimal assignment found"
    if status is SolveStatus.TIME_LIMIT_FEASIBLE:
        return "time limit reached: this is the best assignment found, not proven optimal"
    if status is SolveStatus.TIME_LIMIT_NO_SOLUTION:
        return "time limit reached before any assignment was found; raise time_limit or loosen the constraints"
    return f"the solver stopped without an assignment: {res.message}"
