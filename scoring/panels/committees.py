"""The Shichahai model: a committee for every unit, its make-up set by the unit's kind."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from scoring.panels._model import Inputs, Problem, history_cells, repeats
from scoring.panels._solve import solve_or_explain
from scoring.panels.result import ConstraintFamily, Infeasibility, PanelResult, UnitPanel
from scoring.panels.specs import CommitteeSpec, Quota
from scoring.recusal import RecusalRules
from scoring.types import RaterInfo, RaterType, UnitInfo

__all__ = ["form_committees"]

#: The diagnosis relaxes these families in turn (True: also one unit at a time).
_RELAXED_IN_TURN = (
    (ConstraintFamily.COMMITTEE_SIZE, True),
    (ConstraintFamily.COMPOSITION_QUOTA, True),
    (ConstraintFamily.MAX_UNITS_PER_RATER, False),
    (ConstraintFamily.RECUSAL, True),
)


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
    inputs = Inputs.build(raters, units, rules, units_by_id)
    solved = solve_or_explain(
        inputs,
        _committee_prechecks(inputs, spec),
        lambda eligible: _committee_problem(inputs, eligible, spec),
        _RELAXED_IN_TURN,
        spec.time_limit,
    )
    if not solved.has_solution:
        return solved.result("committees")

    n_raters, n_units = inputs.eligible.shape
    chosen = solved.binary()[: n_raters * n_units].reshape(n_raters, n_units)
    if np.any(chosen & ~inputs.eligible):  # bounds make this impossible; never hand out a recused seat
        raise RuntimeError("solver returned a recused committee seat")
    assignments = []
    for j, unit in enumerate(inputs.units):
        members = tuple(inputs.raters[i].id for i in np.flatnonzero(chosen[:, j]))
        assignments.append(UnitPanel(unit.id, unit.kind, None, members, members, ()))
    load = {rater.id: int(chosen[i].sum()) for i, rater in enumerate(inputs.raters)}
    return solved.result("committees", assignments, load=load, repeats=repeats(inputs, spec.history, chosen))


def _committee_prechecks(inputs: Inputs, spec: CommitteeSpec) -> list[Infeasibility]:
    found: list[Infeasibility] = []
    eligible = inputs.eligible
    n_raters, n_units = eligible.shape
    size_min, size_max = spec.size_range(n_raters)
    for j, unit in enumerate(inputs.units):
        # Name every shortfall of the unit, not just the first: each alone makes it infeasible.
        too_few = inputs.shortfall(j, size_min, ConstraintFamily.COMMITTEE_SIZE, f"a committee of at least {size_min}")
        if too_few:
            found.append(too_few)
        quotas = spec.quotas.get(unit.kind, {})
        short = bool(too_few)
        for rater_type, (low, _) in quotas.items():
            too_few = inputs.shortfall(
                j, low, ConstraintFamily.COMPOSITION_QUOTA, f"{low} {rater_type.value} raters", rater_type
            )
            if too_few:
                short = True
                found.append(too_few)
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


def _committee_problem(inputs: Inputs, eligible: np.ndarray, spec: CommitteeSpec) -> Problem:
    n_raters, n_units = eligible.shape
    problem = Problem()
    x = problem.add_variables((n_raters, n_units), upper=eligible.astype(float), integer=True)
    groups = (
        [inputs.of_type(t) for t in sorted(inputs.types_present, key=lambda t: t.value)]
        if spec.balance_by_type
        else [np.ones(n_raters, dtype=bool)]
    )
    high = problem.add_variables((len(groups),), upper=float(n_units), cost=spec.balance_weight)
    low = problem.add_variables((len(groups),), upper=float(n_units), cost=-spec.balance_weight)
    for i, j in history_cells(inputs, spec.history):
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


def _quota_types(quotas: Mapping[str, Mapping[RaterType, Quota]]) -> set[RaterType]:
    return {t for per_type in quotas.values() for t in per_type}
