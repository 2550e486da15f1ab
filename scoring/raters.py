"""Rater effects on the incomplete rater x unit design: severities, fair scores
and advisory flags.

In open-door scoring no rater sees every union: 27 representatives in four
groups, or a rotating nine-person committee with recusal, leave holes in the
units x raters matrix. A unit that happened to draw a lenient group looks
better than it is. :func:`additive_effects` separates the two by fitting

    score[u, r] = mu + unit_u + rater_r + error

on the cells that were scored, and reports each rater's severity with its
standard error beside each unit's severity-adjusted "fair score".
:func:`rater_flags` turns the fit into advisory flags (lenient, severe,
erratic, out of line with the panel). Neither function changes a score: what
the published result uses is decided elsewhere, openly.

Orientation: ``x`` is units x raters (rows = units, columns = raters), ``nan``
where a rater did not score a unit. Typically each cell is a rater's total for
a unit.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import linalg, sparse, stats
from scipy.sparse import csgraph

from scoring.types import ScoringInputError

__all__ = [
    "AdditiveEffects",
    "RaterFlag",
    "additive_effects",
    "rater_flags",
    "FLAG_KINDS",
]

#: Every kind a :class:`RaterFlag` can carry.
FLAG_KINDS = ("lenient", "severe", "erratic", "too_uniform", "off_panel")

#: Consistency factor that turns a median absolute deviation into a standard
#: deviation for normal data (1 / Phi^-1(3/4)).
_MAD_TO_SD = 1.4826
#: Same for the mean absolute deviation (sqrt(pi / 2)), used when MAD is 0.
_MEANAD_TO_SD = 1.2533
#: Index lists longer than this are abbreviated in notes.
_LIST_LIMIT = 10


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
        Plain-English account of anything not estimable or not comparable.
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


@dataclass(frozen=True)
class RaterFlag:
    """Advisory verdict on one rater; never applied to any score.

    Attributes
    ----------
    rater : int
        Column index of the rater in ``x``.
    kinds : tuple of str
        Subset of :data:`FLAG_KINDS`; empty when nothing stands out.
    effect : float
        The rater effect (positive = lenient), from :func:`additive_effects`.
    robust_z : float
        ``(effect - median) / (1.4826 * MAD)`` across the raters of the same
        component; ``nan`` when it cannot be computed (reason in explanation).
    panel_z : float
        ``effect - median effect of the other members of the rater's panel``,
        divided by the pooled within-panel robust scale; ``nan`` without a
        panel, with fewer than 2 peers, or fewer than 3 such gaps.
    mean_square : float
        Mean of the rater's squared standardised residuals; about 1 for a rater
        whose scores fit the additive model as well as everyone's do.
    n_scores : int
        Number of units the rater scored.
    explanation : str
        One English sentence or two, naming the numbers behind the verdict.
    """

    rater: int
    kinds: tuple[str, ...]
    effect: float
    robust_z: float
    panel_z: float
    mean_square: float
    n_scores: int
    explanation: str

    @property
    def flagged(self) -> bool:
        return bool(self.kinds)


# ----------------------------------------------------------------------------
# additive model


def additive_effects(x, shrinkage: float = 0.0) -> AdditiveEffects:
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

    Returns
    -------
    AdditiveEffects

    Raises
    ------
    ScoringInputError
        ``x`` not 2-D, empty, without any score, with an infinite score, with
        fewer than 2 raters who scored anything, or a negative or non-finite
        ``shrinkage``.

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
    values = _as_score_matrix(x)
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
            f"(only rater {int(active_raters[0])} of {n_raters} has any score)"
        )

    unit_comp, rater_comp, n_comp = _components(obs_u, obs_r, n_units, n_raters)

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
        fit = _fit_component(local_u, local_r, y[take], units_c.size, raters_c.size, lam)
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
    )


@dataclass(frozen=True, eq=False)
class _ComponentFit:
    a: np.ndarray  #: mu + unit effect of each unit (the fair score)
    beta: np.ndarray  #: rater effects, summing to zero
    unit_var: np.ndarray  #: Var(unit effect) / sigma^2
    rater_var: np.ndarray  #: Var(rater effect) / sigma^2
    residuals: np.ndarray  #: per score, in input order
    leverage: np.ndarray  #: hat-matrix diagonal per score
    pseudo_inverse: bool  #: the reduced system needed a pseudo-inverse


def _fit_component(lu: np.ndarray, lr: np.ndarray, y: np.ndarray, nu: int, nr: int, lam: float) -> _ComponentFit:
    """Least squares within one connected component.

    Parameters are ``theta = (a, beta)`` with ``a_u = mu + unit_u``. The
    normal matrix, with the constraint ``sum(beta) = 0`` added as the
    rank-one term ``c c'`` (``c`` = indicator of the rater block), is

        K = [[D_u,  N              ],
             [N',   D_r + lam I + J]]

    where ``D_u``, ``D_r`` hold the score counts, ``N`` is the units x
    raters incidence matrix and ``J`` is all ones. ``K`` is non-singular for
    a connected component, and ``K theta = X'y`` gives the constrained (for
    ``lam > 0`` also penalised) solution: with ``v = (1, -1)``,
    ``v'K = -(n_r + lam) c'`` and ``v'X'y = 0`` force ``sum(beta) = 0``.

    The larger block is absorbed (it is diagonal, or diagonal plus ``J``,
    which Sherman-Morrison inverts in closed form) and only the Schur
    complement of the smaller block is inverted densely. Products with the
    absorbed block go through the sparse incidence matrix, so the cost is
    O(small^3 + scores * small).

    Covariance: ``Cov(theta) / sigma^2 = K^-1 X'X K^-1
    = K^-1 - v v' / (n_r + lam)^2 - lam K^-1 E_r K^-1`` (``E_r`` selects the
    rater block). The hat matrix is ``X K^-1 X'`` for any ``lam``.
    """
    du = np.bincount(lu, minlength=nu).astype(float)
    tu = np.bincount(lu, weights=y, minlength=nu)
    tr = np.bincount(lr, weights=y, minlength=nr)
    er = np.bincount(lr, minlength=nr) + lam
    incidence = sparse.csr_array((np.ones(y.size), (lu, lr)), shape=(nu, nr))

    if nr <= nu:
        # Absorb the units. L = D_u^-1 N (sparse); S = D_r + lam I + J - N'L.
        ell = sparse.csr_array((1.0 / du[lu], (lu, lr)), shape=(nu, nr))
        reduced = np.diag(er) + 1.0 - (incidence.T @ ell).toarray()
        s_inv, pinv_used = _inverse(reduced)
        beta = s_inv @ (tr - ell.T @ tu)
        a = (tu - incidence @ beta) / du
        ls = ell @ s_inv  # L S^-1, units x raters; K_ur = -L S^-1
        k_ur_obs = -ls[lu, lr]
        # K_uu = D_u^-1 + L S^-1 L': its diagonal and row sums
        k_uu_diag = 1.0 / du + (ell * ls).sum(axis=1)
        uu_rows = 1.0 / du + ls @ (ell.T @ np.ones(nu))
        k_rr_diag = np.diag(s_inv).copy()
        uu_diag = k_uu_diag
        if lam > 0:
            rr_square_rows = np.einsum("ij,ij->i", s_inv, s_inv)
            uu_diag = k_uu_diag - lam * np.einsum("ij,ij->i", ls, ls)
            uu_rows = uu_rows - lam * (ls @ (ls.T @ np.ones(nu)))
    else:
        # Absorb the raters. F = D_r + lam I + J, F^-1 = W - w w'/s with
        # W = diag(w), w = 1/(counts + lam), s = 1 + sum(w).
        # L = F^-1 N' = A - w g' with A = W N' (sparse) and g = N w / s.
        w = 1.0 / er
        s = 1.0 + w.sum()
        g = (incidence @ w) / s
        a_mat = sparse.csr_array((w[lr], (lr, lu)), shape=(nr, nu))
        reduced = np.diag(du) - (incidence @ a_mat).toarray() + s * np.outer(g, g)
        s_inv, pinv_used = _inverse(reduced)
        a = s_inv @ (tu - (a_mat.T @ tr - g * (w @ tr)))
        z = tr - incidence.T @ a
        beta = w * z - w * (w @ z) / s
        ls = a_mat @ s_inv - np.outer(w, g @ s_inv)  # L S^-1, raters x units
        k_ur_obs = -ls[lr, lu]
        k_uu_diag = np.diag(s_inv).copy()
        uu_rows = s_inv.sum(axis=1)
        ls_g = ls @ g
        k_rr_diag = w - w * w / s + (a_mat * ls).sum(axis=1) - w * ls_g
        uu_diag = k_uu_diag
        if lam > 0:
            # full K_rr = F^-1 + L S^-1 L' = W - w w'/s + (A (L S^-1)')' - (L S^-1 g) w'
            k_rr = np.diag(w) - np.outer(w, w) / s + (a_mat @ ls.T).T - np.outer(ls_g, w)
            rr_square_rows = np.einsum("ij,ij->i", k_rr, k_rr)
            uu_diag = k_uu_diag - lam * np.einsum("ij,ij->i", ls.T, ls.T)
            uu_rows = uu_rows - lam * (ls.T @ (ls @ np.ones(nu)))

    # The constraint holds analytically; remove rounding drift without
    # changing any fitted value.
    drift = beta.mean()
    beta = beta - drift
    a = a + drift

    residuals = y - a[lu] - beta[lr]
    # hat matrix diagonal x' K^-1 x for the score of unit u by rater r
    lev = k_uu_diag[lu] + k_rr_diag[lr] + 2.0 * k_ur_obs
    # covariance of the estimates, over sigma^2 (uu_* already hold the lam term)
    rater_var = k_rr_diag - 1.0 / (nr + lam) ** 2
    if lam > 0:
        rater_var = rater_var - lam * rr_square_rows
    # unit effects are a - mean(a): centre the covariance of a on both sides
    unit_var = uu_diag - 2.0 * uu_rows / nu + uu_rows.sum() / nu**2
    return _ComponentFit(
        a=a,
        beta=beta,
        unit_var=unit_var,
        rater_var=rater_var,
        residuals=residuals,
        leverage=np.clip(lev, 0.0, 1.0),
        pseudo_inverse=pinv_used,
    )


def _inverse(matrix: np.ndarray) -> tuple[np.ndarray, bool]:
    """Inverse of a symmetric positive definite matrix; pseudo-inverse if it is not."""
    try:
        factor = linalg.cho_factor(matrix, check_finite=False)
        inverse = linalg.cho_solve(factor, np.eye(matrix.shape[0]), check_finite=False)
        return np.ascontiguousarray(inverse), False
    except linalg.LinAlgError:
        return np.linalg.pinv(matrix, hermitian=True), True


def _components(obs_u: np.ndarray, obs_r: np.ndarray, n_units: int, n_raters: int):
    """Connected components of the bipartite rater-unit graph.

    Returns component labels for units and raters (-1 for those without any
    score), numbered by their smallest unit index, and the number of
    components.
    """
    nodes = n_units + n_raters
    graph = sparse.coo_array((np.ones(obs_u.size), (obs_u, n_units + obs_r)), shape=(nodes, nodes))
    _, labels = csgraph.connected_components(graph, directed=False)
    unit_labels = labels[:n_units]
    rater_labels = labels[n_units:]
    scored_units = np.unique(obs_u)
    scored_raters = np.unique(obs_r)
    # renumber: components in order of their smallest scored unit
    first_unit = np.full(labels.max() + 1, n_units)
    np.minimum.at(first_unit, unit_labels[scored_units], scored_units)
    present = np.flatnonzero(first_unit < n_units)
    remap = np.full(labels.max() + 1, -1)
    remap[present[np.argsort(first_unit[present])]] = np.arange(present.size)
    unit_comp = np.full(n_units, -1)
    unit_comp[scored_units] = remap[unit_labels[scored_units]]
    rater_comp = np.full(n_raters, -1)
    rater_comp[scored_raters] = remap[rater_labels[scored_raters]]
    return unit_comp, rater_comp, int(present.size)


def _fit_note(
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
        sizes = ", ".join(f"units {_index_list(c)}" for c in components[:_LIST_LIMIT])
        if len(components) > _LIST_LIMIT:
            sizes += f", ... ({len(components) - _LIST_LIMIT} more groups)"
        parts.append(
            f"design is not connected: {len(components)} separate groups share no rater ({sizes}); "
            "effects and fair scores are comparable only within a group, each group's effects sum "
            "to zero on their own, grand_mean is nan and component_means holds each group's mean"
        )
    if unscored_units.size:
        parts.append(f"units {_index_list(unscored_units)} have no scores: their effects and fair scores are nan")
    if unscored_raters.size:
        parts.append(f"raters {_index_list(unscored_raters)} scored nothing: their severities are nan")
    if lone_raters:
        who = f"rater {lone_raters[0]} is" if len(lone_raters) == 1 else f"raters {_index_list(lone_raters)} are each"
        parts.append(
            f"{who} the only rater of their group: severity cannot be told apart from the level "
            "of the units scored (effect nan; those units' fair scores are the raw scores)"
        )
    if lone_units:
        who = f"unit {lone_units[0]}" if len(lone_units) == 1 else f"units {_index_list(lone_units)}"
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


# ----------------------------------------------------------------------------
# flags


def rater_flags(
    x,
    effects: AdditiveEffects,
    panels: Sequence[Hashable | None] | None = None,
    z_threshold: float = 2.5,
    *,
    mean_square_high: float = 2.0,
    mean_square_low: float | None = None,
    alpha: float = 0.01,
    min_effect: float = 0.0,
) -> tuple[RaterFlag, ...]:
    r"""Advisory flags for raters who look lenient, severe, erratic or off-panel.

    One :class:`RaterFlag` per rater (column of ``x``), in column order;
    ``kinds`` is empty for raters with nothing to report. Flags are advice for
    the people who run the round: no score is ever changed by them.

    Criteria (all within the rater's connected component, because effects in
    different components are not comparable):

    * **lenient / severe** -- robust z-score of the rater effect,
      :math:`z_r = (\beta_r - \operatorname{med}\beta) / (1.4826\,
      \operatorname{MAD}\beta)`, beyond ``+z_threshold`` / ``-z_threshold``.
      If the MAD is 0 the mean absolute deviation times 1.2533 is used; if
      that is 0 too, all effects are equal and every z is 0.
    * **erratic** -- residual mean square (outfit-like)
      :math:`MS_r = \frac1{n_r}\sum_u e_{ur}^2 / (\hat\sigma^2 (1 - h_{ur}))`,
      standardised by the leverage ``h`` so that it is about 1 for a rater
      who fits as well as everyone does. Flagged when ``MS_r >
      mean_square_high`` (default 2, Linacre's "distorts the measurement"
      level for mean squares) **and** the chi-square tail
      :math:`P(\chi^2_{n_r} > n_r MS_r)` is below ``alpha``, which stops raters
      with a handful of scores from being flagged by chance.
    * **too_uniform** (only if ``mean_square_low`` is given, e.g. 0.3) --
      ``MS_r`` below it and the lower chi-square tail below ``alpha``: scores
      that track the consensus more closely than independent judgement would.
    * **off_panel** -- with ``panels``: the gap between the rater's effect and
      the median effect of the *other* members of their panel (at least 2 of
      them, same component), divided by the pooled within-panel robust scale
      (1.4826 times the median absolute gap over all raters of the
      component, at least 3 gaps), beyond ``z_threshold``. Panels may
      legitimately differ from one another; this asks only whether a rater
      breaks with their own panel.

    Under normal errors and no real outlier, about 0.6% of raters pass
    each z cut-off of 2.5 by chance, and roughly ``alpha`` pass the
    erratic test; with 500 raters expect a handful of advisory flags.

    Raters with fewer than 2 scores get no flag and an explanation saying
    there is not enough data; they are also left out of the median and MAD.
    Robust z-scores need at least 3 such raters in the component.

    Parameters
    ----------
    x : array_like, shape (n_units, n_raters)
        The scores ``effects`` was fitted on (``nan`` = not scored).
    effects : AdditiveEffects
        Result of :func:`additive_effects` on ``x``.
    panels : sequence, optional
        Panel label per rater (``None`` for a rater in no panel).
    z_threshold : float, default 2.5
        Cut-off for the robust z-scores.
    mean_square_high : float, default 2.0
        Mean square above which a rater may be erratic.
    mean_square_low : float, optional
        Mean square below which a rater may be too uniform; off by default.
    alpha : float, default 0.01
        Tail probability the mean-square flags also require (1 disables it).
    min_effect : float, default 0
        Smallest gap in points (effect, or distance from the panel median)
        worth a lenient / severe / off_panel flag. Robust z-scores are
        relative to how much the raters differ: when they hardly differ at
        all, a rater 0.3 points above the rest can still reach z = 3.
        Setting e.g. 2 (points on a 100-point total) keeps such flags quiet.

    Returns
    -------
    tuple of RaterFlag

    Raises
    ------
    ScoringInputError
        ``x`` does not match ``effects``, ``panels`` has the wrong length, or a
        threshold is out of range.

    References
    ----------
    .. [1] B. Iglewicz and D. C. Hoaglin, *How to Detect and Handle Outliers*,
       ASQC, 1993 (median/MAD robust z-scores).
    .. [2] J. M. Linacre, "What do infit and outfit, mean-square and
       standardized mean?", *Rasch Measurement Transactions* 16:2, 2002, p. 878.
    .. [3] T. Eckes, *Introduction to Many-Facet Rasch Measurement*, Peter
       Lang, 2011 (rater severity and rater fit).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> severity = np.linspace(-2, 2, 12)  # raters differ, but nobody stands out
    >>> x = 60 + rng.normal(0, 5, (30, 1)) + severity + rng.normal(0, 1, (30, 12))
    >>> x[:, 4] += 15  # until rater 4 turns generous
    >>> flags = rater_flags(x, additive_effects(x))
    >>> [(f.rater, f.kinds) for f in flags if f.flagged]
    [(4, ('lenient',))]
    """
    values = _as_score_matrix(x)
    if values.shape != effects.residuals.shape:
        raise ScoringInputError(
            f"x has shape {values.shape} but effects were fitted on {effects.residuals.shape}; "
            "fit additive_effects on this x first"
        )
    mismatch = np.argwhere(np.isnan(values) != np.isnan(effects.residuals))
    if mismatch.size:
        u, r = (int(i) for i in mismatch[0])
        raise ScoringInputError(
            f"unit {u}, rater {r}: scored in one of x and effects but not in the other; "
            "fit additive_effects on this x first"
        )
    n_raters = values.shape[1]
    if not (math.isfinite(z_threshold) and z_threshold > 0):
        raise ScoringInputError(f"z_threshold must be a positive number, got {z_threshold!r}")
    if not (math.isfinite(mean_square_high) and mean_square_high > 1):
        raise ScoringInputError(f"mean_square_high must be above 1, got {mean_square_high!r}")
    if mean_square_low is not None and not (0 < mean_square_low < 1):
        raise ScoringInputError(f"mean_square_low must lie between 0 and 1, got {mean_square_low!r}")
    if not (0 < alpha <= 1):
        raise ScoringInputError(f"alpha must lie in (0, 1], got {alpha!r}")
    if not (math.isfinite(min_effect) and min_effect >= 0):
        raise ScoringInputError(f"min_effect must be a finite number >= 0, got {min_effect!r}")
    if panels is not None:
        panels = list(panels)
        if len(panels) != n_raters:
            raise ScoringInputError(f"panels has {len(panels)} labels but x has {n_raters} raters")

    n_scores = np.sum(~np.isnan(values), axis=0)
    mean_square, ms_count = _mean_squares(effects)
    if not math.isfinite(effects.sigma):
        ms_reason = "no mean square: the fit has no residual degrees of freedom"
    elif effects.sigma == 0:
        ms_reason = "no mean square: the additive model reproduces every score exactly"
    else:
        ms_reason = "no mean square: every residual of this rater is fixed by the design (leverage 1)"
    beta = np.asarray(effects.rater_effects)
    z = np.full(n_raters, np.nan)
    panel_z = np.full(n_raters, np.nan)
    panel_gap = np.full(n_raters, np.nan)
    peer_count = np.zeros(n_raters, dtype=int)
    z_reason: dict[int, str] = {}
    for raters_c in effects.rater_components:
        usable = raters_c[(n_scores[raters_c] >= 2) & np.isfinite(beta[raters_c])]
        if usable.size < 3:
            for r in usable:
                z_reason[int(r)] = (
                    f"only {usable.size} rater(s) with 2 or more scores in its group: too few for a robust z"
                )
            continue
        centre, scale = _robust_centre_scale(beta[usable])
        z[usable] = (beta[usable] - centre) / scale if scale > 0 else 0.0
        if panels is not None:
            _panel_gaps(usable, beta, panels, panel_gap, panel_z, peer_count)

    flags = []
    for r in range(n_raters):
        n = int(n_scores[r])
        kinds: list[str] = []
        reasons: list[str] = []
        if n < 2:
            text = (
                f"rater {r}: {n} score{'s' if n != 1 else ''}, not enough data to judge "
                "(at least 2 are needed); no flag"
            )
            flags.append(RaterFlag(r, (), float(beta[r]), math.nan, math.nan, math.nan, n, text + "."))
            continue
        if not math.isfinite(beta[r]):
            text = f"rater {r}: no flag ({n} scores); severity not estimable (see the fit's note)."
            flags.append(RaterFlag(r, (), float(beta[r]), math.nan, math.nan, float(mean_square[r]), n, text))
            continue
        big_effect = abs(beta[r]) >= min_effect
        if z[r] > z_threshold and big_effect:
            kinds.append("lenient")
            reasons.append(
                f"lenient: {beta[r]:+.2f} points against the average rater of its group "
                f"(robust z {z[r]:+.1f}, threshold {z_threshold:g})"
            )
        elif z[r] < -z_threshold and big_effect:
            kinds.append("severe")
            reasons.append(
                f"severe: {beta[r]:+.2f} points against the average rater of its group "
                f"(robust z {z[r]:+.1f}, threshold -{z_threshold:g})"
            )
        ms, k = float(mean_square[r]), int(ms_count[r])
        if math.isfinite(ms) and k > 0:
            upper = float(stats.chi2.sf(k * ms, k))
            if ms > mean_square_high and upper < alpha:
                kinds.append("erratic")
                reasons.append(
                    f"erratic: residual mean square {ms:.2f} over {k} scores (cut-off {mean_square_high:g}, "
                    f"chi-square tail p = {upper:.2g}): its scores disagree with how the other raters "
                    "separate the same units"
                )
            if mean_square_low is not None:
                lower = float(stats.chi2.cdf(k * ms, k))
                if ms < mean_square_low and lower < alpha:
                    kinds.append("too_uniform")
                    reasons.append(
                        f"too uniform: residual mean square {ms:.2f} over {k} scores (cut-off "
                        f"{mean_square_low:g}, chi-square lower tail p = {lower:.2g}): closer to the "
                        "consensus than independent judgement usually is"
                    )
        if abs(panel_z[r]) > z_threshold and abs(panel_gap[r]) >= min_effect:
            kinds.append("off_panel")
            reasons.append(
                f"out of line with panel {panels[r]!r}: {panel_gap[r]:+.2f} points from the median of its "
                f"{peer_count[r]} fellow members (robust z {panel_z[r]:+.1f}, threshold {z_threshold:g})"
            )
        summary = (
            f"effect {beta[r]:+.2f}, robust z {_fmt(z[r], '+.1f')}, mean square {_fmt(ms, '.2f')}, {n} scores"
        )
        if kinds:
            text = f"rater {r}: " + "; ".join(reasons) + f" ({summary}). Advisory only: no score has been changed."
        else:
            text = f"rater {r}: no flag ({summary})"
            if r in z_reason:
                text += f"; {z_reason[r]}"
            if not math.isfinite(ms):
                text += f"; {ms_reason}"
            text += "."
        flags.append(RaterFlag(r, tuple(kinds), float(beta[r]), float(z[r]), float(panel_z[r]), ms, n, text))
    return tuple(flags)


def _panel_gaps(usable, beta, panels, panel_gap, panel_z, peer_count) -> None:
    """Fill each rater's gap to the median of their panel's other members,
    and that gap in robust z terms, for the raters of one component.

    The scale is the pooled within-panel spread: 1.4826 times the median of
    all absolute gaps in the component (panels may differ from each other on
    purpose, e.g. union chairs against worker representatives, so the spread
    across all raters would hide a rater who breaks with their own panel).
    """
    members: dict[Hashable, list[int]] = {}
    for r in usable:
        if panels[r] is not None:
            members.setdefault(panels[r], []).append(int(r))
    with_gap = []
    for group in members.values():
        for r in group:
            peers = [p for p in group if p != r]
            peer_count[r] = len(peers)
            if len(peers) >= 2:
                panel_gap[r] = beta[r] - np.median(beta[peers])
                with_gap.append(r)
    if len(with_gap) < 3:
        return
    _, scale = _robust_centre_scale(panel_gap[with_gap], centre=0.0)
    # scale 0: every rater sits exactly on their panel's median
    panel_z[with_gap] = panel_gap[with_gap] / scale if scale > 0 else 0.0


def _mean_squares(effects: AdditiveEffects) -> tuple[np.ndarray, np.ndarray]:
    """Mean squared standardised residual per rater and the number of cells used.

    Cells with leverage 1 (a residual forced to 0, e.g. a rater's only
    score) carry no information and are skipped.
    """
    n_raters = effects.residuals.shape[1]
    sigma = effects.sigma
    if not (math.isfinite(sigma) and sigma > 0):
        return np.full(n_raters, np.nan), np.zeros(n_raters, dtype=int)
    res = np.asarray(effects.residuals)
    room = 1.0 - np.asarray(effects.leverage)
    usable = ~np.isnan(res) & (room > 1e-9)
    squared = np.where(usable, np.square(np.where(usable, res, 0.0)) / (sigma**2 * np.where(usable, room, 1.0)), 0.0)
    count = usable.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        ms = np.where(count > 0, squared.sum(axis=0) / count, np.nan)
    return ms, count


def _robust_centre_scale(values: np.ndarray, centre: float | None = None) -> tuple[float, float]:
    """Median (unless ``centre`` is given) and a robust standard deviation:
    1.4826 MAD, else 1.2533 mean absolute deviation, else 0 (all equal)."""
    centre = float(np.median(values)) if centre is None else centre
    deviations = np.abs(values - centre)
    tol = 1e-9 * max(1.0, float(np.max(np.abs(values))))
    mad = float(np.median(deviations))
    if mad > tol:
        return centre, _MAD_TO_SD * mad
    mean_ad = float(np.mean(deviations))
    if mean_ad > tol:
        return centre, _MEANAD_TO_SD * mean_ad
    return centre, 0.0


# ----------------------------------------------------------------------------
# helpers


def _as_score_matrix(x) -> np.ndarray:
    try:
        values = np.array(x, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ScoringInputError(f"x must be a numeric units x raters matrix: {exc}") from None
    if values.ndim != 2:
        raise ScoringInputError(f"x must be a 2-D units x raters matrix, got {values.ndim} dimension(s)")
    n_units, n_raters = values.shape
    if n_units == 0 or n_raters == 0:
        raise ScoringInputError(f"x is empty ({n_units} units x {n_raters} raters)")
    infinite = np.argwhere(np.isinf(values))
    if infinite.size:
        u, r = (int(i) for i in infinite[0])
        raise ScoringInputError(f"unit {u}, rater {r}: score {values[u, r]} is not finite (use nan for 'not scored')")
    if np.isnan(values).all():
        raise ScoringInputError("x has no scores: every cell is nan")
    if n_raters < 2:
        raise ScoringInputError("a rater x unit matrix with one rater cannot separate rater and unit effects")
    return values


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


def _index_list(indices) -> str:
    items = [int(i) for i in indices]
    shown = ", ".join(str(i) for i in items[:_LIST_LIMIT])
    if len(items) > _LIST_LIMIT:
        shown += f", ... ({len(items) - _LIST_LIMIT} more)"
    return f"[{shown}]"


def _fmt(value: float, spec: str) -> str:
    return format(value, spec) if math.isfinite(value) else "n/a"
