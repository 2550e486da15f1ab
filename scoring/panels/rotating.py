"""The 2014 open-door model: the raters split into G panels, each unit heard by one panel."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from scoring.panels._model import Inputs, Problem, history_cells, repeats
from scoring.panels._solve import solve_or_explain
from scoring.panels.result import ConstraintFamily, Infeasibility, Panel, PanelResult, UnitPanel
from scoring.panels.specs import RotatingPanelSpec
from scoring.recusal import RecusalRules
from scoring.types import RaterInfo, UnitInfo

__all__ = ["form_rotating_panels"]

#: The diagnosis relaxes these families in turn (True: also one unit at a time).
_RELAXED_IN_TURN = (
    (ConstraintFamily.PANEL_SIZE, False),
    (ConstraintFamily.UNITS_PER_PANEL, False),
    (ConstraintFamily.PANEL_QUOTA, False),
    (ConstraintFamily.MIN_RATERS_PER_UNIT, True),
    (ConstraintFamily.UNIT_QUOTA, True),
    (ConstraintFamily.RECUSAL, True),
)


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
    inputs = Inputs.build(raters, units, rules, units_by_id)
    solved = solve_or_explain(
        inputs,
        _panel_prechecks(inputs, spec),
        lambda eligible: _panel_problem(inputs, eligible, spec),
        _RELAXED_IN_TURN,
        spec.time_limit,
    )
    if not solved.has_solution:
        return solved.result("rotating_panels")

    n_raters, n_units = inputs.eligible.shape
    n_panels = spec.n_panels
    values = solved.binary()
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
    return solved.result(
        "rotating_panels", assignments, panels, load, recused, repeats(inputs, spec.history, on_unit_panel)
    )


def _panel_prechecks(inputs: Inputs, spec: RotatingPanelSpec) -> list[Infeasibility]:
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
        on_panel = f"{needed} eligible raters on its panel"
        too_few = [inputs.shortfall(j, needed, ConstraintFamily.MIN_RATERS_PER_UNIT, on_panel)]
        too_few += [
            inputs.shortfall(j, low, ConstraintFamily.UNIT_QUOTA, f"{low} {rater_type.value} raters", rater_type)
            for rater_type, low in spec.unit_quotas.get(unit.kind, {}).items()
        ]
        found.extend(f for f in too_few if f)
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


def _panel_problem(inputs: Inputs, eligible: np.ndarray, spec: RotatingPanelSpec) -> Problem:
    n_raters, n_units = eligible.shape
    n_panels = spec.n_panels
    problem = Problem()
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
    for i, j in history_cells(inputs, spec.history):
        meet = problem.add_variables((n_panels,), upper=1.0, cost=spec.rotation_weight)
        for g in range(n_panels):
            problem.add_row(np.array([y[i, g], z[j, g], meet[g]]), np.array([1.0, 1.0, -1.0]), -np.inf, 1.0)
    return problem
