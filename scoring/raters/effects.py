"""The additive rater model ``score = mu + unit + rater + error`` on an incomplete
units x raters design: severities, fair scores and a plain-English note."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from scoring.raters._fit import connected_components, fit_component
from scoring.raters._inputs import LIST_LIMIT, Names, score_matrix
from scoring.types import ScoringInputError

__all__ = ["AdditiveEffects", "additive_effects"]


@dataclass(frozen=True, eq=False)
class AdditiveEffects:
    """Fit of ``score = mu + unit + rater + error`` on an incomplete design.

    Arrays are read-only. Index ``u`` runs over units (rows of ``x``), ``r``
    over raters (columns of ``x``).

    Attributes
    ----------
    grand_mean : float
        ``mu``, the mean of the fair scores; ``nan`` when the design is not
        connected (each group then has its own mean in ``component_means``).
    unit_effects : ndarray, shape (n_units,)
        ``unit_u``; sums to zero within each connected component. ``nan`` for
        a unit nobody scored.
    rater_effects : ndarray, shape (n_raters,)
        ``rater_r``; sums to zero within each component. Positive = lenient
        (scores above what the unit earns from the average rater), negative =
        severe. ``nan`` for a rater who scored nothing or who is the only rater
        of their component (severity not separable from the units).
    unit_se, rater_se : ndarray
        Standard errors of the effects (a unit or rater against the average
        of its component) from ``sigma`` and the design; ``nan`` where not
        estimable (see ``note``). With shrinkage: the sampling SD of the
        shrunk estimate, bias not included.
    adjusted : ndarray, shape (n_units,)
        Fair score ``mu_c + unit_u`` (``mu_c`` = the unit's component mean):
        what the unit would score from the average rater of its component.
    raw_means : ndarray, shape (n_units,)
        Plain mean of each unit's scores, for comparison with ``adjusted``.
    residuals : ndarray, shape (n_units, n_raters)
        ``score - mu_c - unit_u - rater_r``; ``nan`` where not scored.
    leverage : ndarray, shape (n_units, n_raters)
        Diagonal of the hat matrix per scored cell (``nan`` where not scored);
        ``residual / (sigma * sqrt(1 - leverage))`` is a standardised residual.
    sigma : float
        Residual standard deviation ``sqrt(SSE / dof)``; ``nan`` if ``dof`` is 0.
    dof : float
        Residual degrees of freedom: scores minus ``(units + raters - 1)`` per
        component; with shrinkage, scores minus the trace of the hat matrix.
    components : tuple of ndarray
        Unit indices of each connected component of the rater-unit graph
        (ordered by their smallest unit index). Units nobody scored are in none.
    rater_components : tuple of ndarray
        Rater indices of each component, in the same order.
    component_means : ndarray
        ``mu_c`` of each component.
    unit_counts, rater_counts : ndarray of int
        Number of scores per unit and per rater.
    connected : bool
        True when all scored units form a single comparable component.
    shrinkage : float
        Ridge penalty applied to the rater effects.
    note : str
        Plain-English account of anything not estimable or not comparable;
        it names units and raters by ``unit_ids`` / ``rater_ids`` when
        given, else by their 0-based index.
    unit_ids, rater_ids : tuple of str or None
        The ids passed to :func:`additive_effects` (None: texts use indices);
        :func:`~scoring.raters.rater_flags` names raters by them too.
    """

    grand_mean: float
    unit_effects: np.ndarray
    rater_effects: np.ndarray
    unit_se: np.ndarray
    rater_se: np.ndarray
    adjusted: np.ndarray
    raw_means: np.ndarray
    residuals: np.ndarray
    leverage: np.ndarray
    sigma: float
    dof: float
    components: tuple[np.ndarray, ...]
    rater_components: tuple[np.ndarray, ...]
    component_means: np.ndarray
    unit_counts: np.ndarray
    rater_counts: np.ndarray
    connected: bool
    shrinkage: float
    note: str
    unit_ids: tuple[str, ...] | None = None
    rater_ids: tuple[str, ...] | None = None


def additive_effects(
    x,
    shrinkage: float = 0.0,
    *,
    unit_ids: Sequence[object] | None = None,
    rater_ids: Sequence[object] | None = None,
) -> AdditiveEffects:
    r"""Rater severities and fair unit scores from an incomplete rater x unit design.

    Fits the additive two-way model without interaction

    .. math::

        y_{ur} = \mu + \alpha_u + \beta_r + \varepsilon_{ur},
        \qquad \textstyle\sum_u \alpha_u = 0,\quad \sum_r \beta_r = 0,

    by least squares on the scored cells only, minimising

    .. math::

        \sum_{(u,r)\ \mathrm{scored}} (y_{ur} - \mu - \alpha_u - \beta_r)^2
        + \lambda \sum_r \beta_r^2 .

    The normal equations are sparse (one non-zero per score); the unit (or
    rater, whichever side is larger) parameters are absorbed, and the
    remaining Schur complement -- the "C matrix" of an incomplete block
    design -- is solved densely, so a round of 200 units x 500 raters costs
    milliseconds. Standard errors come from
    :math:`\operatorname{Cov}(\hat\theta) = \sigma^2 K^{-1} X^\top X K^{-1}`
    with :math:`K` the (constrained, penalised) normal matrix, and
    :math:`\hat\sigma^2 = \mathrm{SSE}/\mathrm{dof}`.

    Connectedness: units and raters are the two node sets of a bipartite
    graph with an edge per score. Units in different connected components
    share no chain of common raters, so their difference cannot be told from
    a difference in severity. The model is fitted separately in each
    component, the constraints hold within each, and the result says so
    (``connected=False``, ``components``, ``note``, ``grand_mean=nan``).

    Parameters
    ----------
    x : array_like, shape (n_units, n_raters)
        Scores, ``nan`` where a rater did not score a unit.
    shrinkage : float, default 0
        Ridge penalty :math:`\lambda \ge 0` on the rater effects. It pulls
        every severity towards 0, most strongly for raters with few scores: a
        rater's effect is roughly their mean deviation multiplied by
        ``n_r / (n_r + lambda)`` (exactly so in a complete design), so a rater
        with 3 scores and ``lambda = 3`` keeps about half of their apparent
        severity while a rater with 30 keeps 91%. The penalised effects still
        sum to zero. Standard errors then describe the variance of the shrunk
        estimates (not their bias) and ``dof`` is scores minus the trace of
        the hat matrix.
    unit_ids, rater_ids : sequence of str, optional
        Ids of the rows and columns of ``x``. Messages and the ``note`` name
        units and raters by them ("rater r05"); without them, by 0-based
        index ("rater 4"). They change no number.

    Returns
    -------
    AdditiveEffects

    Raises
    ------
    ScoringInputError
        ``x`` not 2-D, empty, without any score, with an infinite score, with
        fewer than 2 raters who scored anything, a negative or non-finite
        ``shrinkage``, or ids whose number does not match ``x``.

    Notes
    -----
    With a complete design the fit reduces to the two-way ANOVA: fair scores
    equal the raw unit means and rater effects equal rater means minus the
    grand mean. In a balanced incomplete block design with treatments as
    units and blocks as raters, ``unit_effects`` are the intra-block
    estimates :math:`\hat\tau_i = kQ_i/(\lambda a)` and ``adjusted`` the
    adjusted treatment means (Montgomery 2013, section 4.4).

    References
    ----------
    .. [1] D. C. Montgomery, *Design and Analysis of Experiments*, 8th ed.,
       Wiley, 2013, section 4.4 (balanced incomplete block designs, Example 4.5).
    .. [2] D. L. Weeks and D. R. Williams, "A note on the determination of
       connectedness in an N-way cross classification", *Technometrics* 6,
       1964, pp. 319-324.
    .. [3] J. M. Linacre, *Many-Facet Rasch Measurement*, MESA Press, 1989
       (rater severity as an additive facet; fair averages).

    Examples
    --------
    Rater 1 is 2 points more lenient than rater 0; unit 2 only met rater 0:

    >>> import numpy as np
    >>> x = np.array([[7.0, 9.0], [5.0, 7.0], [6.0, np.nan]])
    >>> fit = additive_effects(x)
    >>> fit.rater_effects
    array([-1.,  1.])
    >>> fit.raw_means
    array([8., 6., 6.])
    >>> fit.adjusted
    array([8., 6., 7.])
    """
    values, unit_names, rater_names = score_matrix(x, unit_ids, rater_ids)
    lam = _check_shrinkage(shrinkage)
    n_units, n_raters = values.shape
    scored = ~np.isnan(values)
    obs_u, obs_r = np.nonzero(scored)
    y = values[obs_u, obs_r]
    unit_counts = np.bincount(obs_u, minlength=n_units)
    rater_counts = np.bincount(obs_r, minlength=n_raters)
    active_raters = np.flatnonzero(rater_counts)
    if active_raters.size < 2:
        raise ScoringInputError(
            "a rater x unit matrix with one rater cannot separate rater and unit effects "
            f"(only rater {rater_names(active_raters[0])} of {n_raters} has any score)"
        )

    unit_comp, rater_comp, n_comp = connected_components(obs_u, obs_r, n_units, n_raters)

    unit_effects = np.full(n_units, np.nan)
    adjusted = np.full(n_units, np.nan)
    unit_var = np.full(n_units, np.nan)
    rater_effects = np.full(n_raters, np.nan)
    rater_var = np.full(n_raters, np.nan)
    residuals = np.full((n_units, n_raters), np.nan)
    leverage = np.full((n_units, n_raters), np.nan)
    component_means = np.empty(n_comp)
    components: list[np.ndarray] = []
    rater_components: list[np.ndarray] = []
    sse = 0.0
    dof = 0.0
    lone_raters: list[int] = []
    lone_units: list[int] = []
    inversion_trouble = False

    # residuals this close to 0 are rounding error of an exact fit
    exact_tol = 1e-11 * max(1.0, float(np.max(np.abs(y))))
    obs_comp = unit_comp[obs_u]
    order = np.argsort(obs_comp, kind="stable")
    bounds = np.searchsorted(obs_comp[order], np.arange(n_comp + 1))
    for c in range(n_comp):
        units_c = np.flatnonzero(unit_comp == c)
        raters_c = np.flatnonzero(rater_comp == c)
        components.append(units_c)
        rater_components.append(raters_c)
        take = order[bounds[c] : bounds[c + 1]]
        # local indices: position of each global unit/rater inside its component
        local_u = np.searchsorted(units_c, obs_u[take])
        local_r = np.searchsorted(raters_c, obs_r[take])
        fit = fit_component(local_u, local_r, y[take], units_c.size, raters_c.size, lam)
        inversion_trouble |= fit.pseudo_inverse

        mu = float(fit.a.mean())
        component_means[c] = mu
        unit_effects[units_c] = fit.a - mu
        adjusted[units_c] = fit.a
        unit_var[units_c] = fit.unit_var
        rater_effects[raters_c] = fit.beta
        rater_var[raters_c] = fit.rater_var
        res_c = np.where(np.abs(fit.residuals) <= exact_tol, 0.0, fit.residuals)
        residuals[obs_u[take], obs_r[take]] = res_c
        leverage[obs_u[take], obs_r[take]] = fit.leverage
        sse += float(res_c @ res_c)
        dof += take.size - (units_c.size + raters_c.size - 1 if lam == 0 else float(fit.leverage.sum()))
        if raters_c.size == 1:
            # a lone rater's severity is confounded with the level of their units
            lone_raters.append(int(raters_c[0]))
            rater_effects[raters_c] = np.nan
            rater_var[raters_c] = np.nan
        if units_c.size == 1:
            lone_units.append(int(units_c[0]))
            unit_var[units_c] = np.nan

    dof = max(dof, 0.0)
    if lam == 0:
        dof = float(round(dof))
    sigma = math.sqrt(sse / dof) if dof > 1e-9 else math.nan
    unit_se = sigma * np.sqrt(np.clip(unit_var, 0.0, None))
    rater_se = sigma * np.sqrt(np.clip(rater_var, 0.0, None))

    raw_means = np.full(n_units, np.nan)
    has = unit_counts > 0
    raw_means[has] = np.bincount(obs_u, weights=y, minlength=n_units)[has] / unit_counts[has]

    connected = n_comp == 1
    note = _fit_note(
        unit_names,
        rater_names,
        n_scores=y.size,
        n_units=n_units,
        n_raters=n_raters,
        components=components,
        unscored_units=np.flatnonzero(unit_counts == 0),
        unscored_raters=np.flatnonzero(rater_counts == 0),
        lone_raters=lone_raters,
        lone_units=lone_units,
        dof=dof,
        lam=lam,
        inversion_trouble=inversion_trouble,
    )
    return AdditiveEffects(
        grand_mean=float(component_means[0]) if connected else math.nan,
        unit_effects=_frozen(unit_effects),
        rater_effects=_frozen(rater_effects),
        unit_se=_frozen(unit_se),
        rater_se=_frozen(rater_se),
        adjusted=_frozen(adjusted),
        raw_means=_frozen(raw_means),
        residuals=_frozen(residuals),
        leverage=_frozen(leverage),
        sigma=sigma,
        dof=dof,
        components=tuple(_frozen(c) for c in components),
        rater_components=tuple(_frozen(c) for c in rater_components),
        component_means=_frozen(component_means),
        unit_counts=_frozen(unit_counts),
        rater_counts=_frozen(rater_counts),
        connected=connected,
        shrinkage=lam,
        note=note,
        unit_ids=unit_names.ids,
        rater_ids=rater_names.ids,
    )


def _fit_note(
    units: Names,
    raters: Names,
    *,
    n_scores: int,
    n_units: int,
    n_raters: int,
    components: list[np.ndarray],
    unscored_units: np.ndarray,
    unscored_raters: np.ndarray,
    lone_raters: list[int],
    lone_units: list[int],
    dof: float,
    lam: float,
    inversion_trouble: bool,
) -> str:
    parts = []
    if len(components) == 1:
        parts.append(
            f"connected design: {n_scores} scores link all {components[0].size} scored units "
            "through shared raters, so every fair score is comparable"
        )
    else:
        sizes = ", ".join(f"units {units.listing(c)}" for c in components[:LIST_LIMIT])
        if len(components) > LIST_LIMIT:
            sizes += f", ... ({len(components) - LIST_LIMIT} more groups)"
        parts.append(
            f"design is not connected: {len(components)} separate groups share no rater ({sizes}); "
            "effects and fair scores are comparable only within a group, each group's effects sum "
            "to zero on their own, grand_mean is nan and component_means holds each group's mean"
        )
    if unscored_units.size:
        parts.append(f"units {units.listing(unscored_units)} have no scores: their effects and fair scores are nan")
    if unscored_raters.size:
        parts.append(f"raters {raters.listing(unscored_raters)} scored nothing: their severities are nan")
    if lone_raters:
        if len(lone_raters) == 1:
            who = f"rater {raters(lone_raters[0])} is"
        else:
            who = f"raters {raters.listing(lone_raters)} are each"
        parts.append(
            f"{who} the only rater of their group: severity cannot be told apart from the level "
            "of the units scored (effect nan; those units' fair scores are the raw scores)"
        )
    if lone_units:
        who = f"unit {units(lone_units[0])}" if len(lone_units) == 1 else f"units {units.listing(lone_units)}"
        parts.append(
            f"{who} share{'s' if len(lone_units) == 1 else ''} no rater with any other unit: "
            "not comparable with the rest (unit effect 0 within its own group, standard error nan)"
        )
    if dof <= 1e-9:
        parts.append(
            "no residual degrees of freedom (the model reproduces every score exactly): sigma and "
            "all standard errors are nan"
        )
    if lam > 0:
        parts.append(
            f"rater effects shrunk towards 0 with ridge penalty {lam:g}; standard errors describe the "
            "variance of the shrunk estimates, not their bias, and dof = scores - trace(hat matrix)"
        )
    if inversion_trouble:
        parts.append("the reduced normal equations were numerically singular; a pseudo-inverse was used")
    parts.append(f"{n_scores} scores, {n_units} units, {n_raters} raters")
    return "; ".join(parts) + "."


def _check_shrinkage(shrinkage) -> float:
    try:
        lam = float(shrinkage)
    except (TypeError, ValueError):
        raise ScoringInputError(f"shrinkage must be a number, got {shrinkage!r}") from None
    if not (math.isfinite(lam) and lam >= 0):
        raise ScoringInputError(f"shrinkage must be a finite number >= 0, got {shrinkage!r}")
    return lam


def _frozen(array: np.ndarray) -> np.ndarray:
    array = np.asarray(array)
    array.setflags(write=False)
    return array
