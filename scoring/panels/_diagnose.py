"""Why no assignment exists: re-solve with one constraint family relaxed at a time."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

import numpy as np

from scoring.panels._model import Inputs, Problem, status_of
from scoring.panels.result import ConstraintFamily, Infeasibility, SolveStatus

#: How an explanation names each constraint family.
FAMILY_WORDS = {
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


def diagnose(
    build: Callable[[np.ndarray], Problem],
    inputs: Inputs,
    families: Iterable[tuple[ConstraintFamily, bool]],
    budget: float,
    already: frozenset[ConstraintFamily] = frozenset(),
) -> list[Infeasibility]:
    """Re-solve with each constraint family dropped in turn (and, for per-unit
    families that explain it, with the family dropped for one unit at a time).

    Recusal is "dropped" by rebuilding with every pair eligible; it is only
    ever relaxed here, to explain, never in an assignment. The whole diagnosis
    gets ``budget`` seconds; sub-solves that run out are reported as
    inconclusive rather than guessed. Families in ``already`` (named by the
    pre-checks) stay dropped throughout, so what is found lies beyond them.
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
            res, _ = build(relaxed).solve(remaining, drop=lambda f, _u: f in already, feasibility_only=True)
        else:

            def drop(tag_family: ConstraintFamily | None, tag_unit: str | None) -> bool:
                return tag_family in already or (tag_family is family and (unit is None or tag_unit == unit))

            res, _ = base.solve(remaining, drop=drop, feasibility_only=True)
        status = status_of(res)
        if status in (SolveStatus.OPTIMAL, SolveStatus.TIME_LIMIT_FEASIBLE):
            return True
        return False if status is SolveStatus.INFEASIBLE else None

    present = {family for family, _ in base.tags if family is not None} | {ConstraintFamily.RECUSAL}
    for family, per_unit in families:
        if family not in present or family in already:
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
                f"no assignment meets every constraint; dropping {FAMILY_WORDS[family]} "
                f"would make one possible{where}",
                culprits,
                "relaxation",
            )
        )
    families = [(f, per_unit) for f, per_unit in families if f not in already]
    if not found and families:
        names = ", ".join(FAMILY_WORDS[f] for f, _ in families if f in present)
        note = ""
        if inconclusive:
            note = f"; the check of {', '.join(FAMILY_WORDS[f] for f in inconclusive)} ran out of time"
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
