"""Least squares of the additive model within one connected component, and the
components themselves: the linear algebra behind :func:`scoring.raters.additive_effects`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import linalg, sparse
from scipy.sparse import csgraph


@dataclass(frozen=True, eq=False)
class ComponentFit:
    """One component's least-squares solution, in the component's local indices."""

    a: np.ndarray  #: mu + unit effect of each unit (the fair score)
    beta: np.ndarray  #: rater effects, summing to zero
    unit_var: np.ndarray  #: Var(unit effect) / sigma^2
    rater_var: np.ndarray  #: Var(rater effect) / sigma^2
    residuals: np.ndarray  #: per score, in input order
    leverage: np.ndarray  #: hat-matrix diagonal per score
    pseudo_inverse: bool  #: the reduced system needed a pseudo-inverse


def fit_component(lu: np.ndarray, lr: np.ndarray, y: np.ndarray, nu: int, nr: int, lam: float) -> ComponentFit:
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
    return ComponentFit(
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


def connected_components(obs_u: np.ndarray, obs_r: np.ndarray, n_units: int, n_raters: int):
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
