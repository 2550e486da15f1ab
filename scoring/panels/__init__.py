"""Panel forming with mixed-integer linear programming (``scipy.optimize.milp``).

Two models from the seeds:

* :func:`form_committees` -- the Shichahai model: each unit gets its own
  committee (nine people by default) whose make-up depends on the unit's kind.
* :func:`form_rotating_panels` -- the 2014 open-door model: the raters are split
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

Import the public names from here (``from scoring.panels import form_committees``).
The package is laid out one purpose per module:

- :mod:`~scoring.panels.committees` -- :func:`form_committees`: its counting
  pre-checks and its MILP;
- :mod:`~scoring.panels.rotating` -- :func:`form_rotating_panels`: the same for
  rotating panels;
- :mod:`~scoring.panels.specs` -- :class:`CommitteeSpec`,
  :class:`RotatingPanelSpec` and the checks that freeze them;
- :mod:`~scoring.panels.result` -- :class:`PanelResult`, :class:`UnitPanel`,
  :class:`Panel`, :class:`SolveStatus`, :class:`ConstraintFamily`,
  :class:`Infeasibility`, :class:`PanelInfeasible`;
- ``_model`` (private) -- the checked inputs with their eligibility matrix, a
  MILP whose constraint rows carry a (family, unit) tag, HiGHS status mapping;
- ``_diagnose`` (private) -- explaining infeasibility by relaxing one family
  (or one family for one unit) at a time;
- ``_solve`` (private) -- the solve step both models share: pre-check
  findings, solve, diagnose, wrap the answer in a :class:`PanelResult`.
"""

from scoring.panels.committees import form_committees
from scoring.panels.result import (
    ConstraintFamily,
    Infeasibility,
    Panel,
    PanelInfeasible,
    PanelResult,
    SolveStatus,
    UnitPanel,
)
from scoring.panels.rotating import form_rotating_panels
from scoring.panels.specs import CommitteeSpec, Quota, RotatingPanelSpec

__all__ = [
    "ConstraintFamily",
    "SolveStatus",
    "Infeasibility",
    "PanelInfeasible",
    "CommitteeSpec",
    "RotatingPanelSpec",
    "Quota",
    "UnitPanel",
    "Panel",
    "PanelResult",
    "form_committees",
    "form_rotating_panels",
]
