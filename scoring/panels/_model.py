"""MILP building blocks shared by both forming models: the checked inputs with
their eligibility matrix, a constraint matrix whose rows carry a (family, unit)
tag, and the mapping of HiGHS's status onto :class:`SolveStatus`."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, OptimizeResult, milp
from scipy.sparse import csr_array

from scoring.panels.result import ConstraintFamily, Infeasibility, SolveStatus
from scoring.recusal import RecusalRules, eligibility_matrix
from scoring.types import RaterInfo, RaterType, ScoringInputError, UnitInfo


@dataclass(frozen=True, eq=False)
class Inputs:
    """Raters and units of one forming run, checked, with their recusal eligibility."""

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
    ) -> Inputs:
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

    def shortfall(
        self, j: int, needed: int, family: ConstraintFamily, need: str, rater_type: RaterType | None = None
    ) -> Infeasibility | None:
        """Why unit number ``j`` cannot be served: fewer than ``needed`` raters (of
        ``rater_type``) may score it after recusal; ``need`` words the requirement.
        None when enough are eligible."""
        eligible = self.eligible[:, j] if rater_type is None else self.eligible[self.of_type(rater_type), j]
        count = int(eligible.sum())
        if count >= needed:
            return None
        unit = self.units[j]
        who = "" if rater_type is None else f"{rater_type.value} "
        return Infeasibility(
            family,
            f"unit {unit.id} (kind {unit.kind}) needs {need} but only {count} {who}raters are eligible after recusal",
            (unit.id,),
        )


class Problem:
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


def status_of(res: OptimizeResult) -> SolveStatus:
    """Map ``milp``'s status (0 optimal, 1 iteration/time limit, 2 infeasible,
    3 unbounded, 4 other) onto :class:`SolveStatus`."""
    if res.status == 0:
        return SolveStatus.OPTIMAL
    if res.status == 1:
        return SolveStatus.TIME_LIMIT_FEASIBLE if res.x is not None else SolveStatus.TIME_LIMIT_NO_SOLUTION
    if res.status == 2:
        return SolveStatus.INFEASIBLE
    return SolveStatus.SOLVER_ERROR


def history_cells(inputs: Inputs, history: frozenset[tuple[str, str]]) -> list[tuple[int, int]]:
    cells = [
        (inputs.rater_index[r], inputs.unit_index[u])
        for r, u in history
        if r in inputs.rater_index and u in inputs.unit_index
    ]
    return sorted(cells)


def repeats(inputs: Inputs, history: frozenset[tuple[str, str]], together: np.ndarray) -> tuple[tuple[str, str], ...]:
    return tuple(
        (inputs.raters[i].id, inputs.units[j].id) for i, j in history_cells(inputs, history) if together[i, j]
    )
