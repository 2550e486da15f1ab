"""Advisory flags for raters who look lenient, severe, erratic, too uniform or
out of line with their panel, computed from an :class:`~scoring.raters.AdditiveEffects` fit."""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from scoring._validate import first_cell
from scoring.raters._inputs import Names, score_matrix
from scoring.raters.effects import AdditiveEffects
from scoring.types import ScoringInputError

__all__ = ["FLAG_KINDS", "RaterFlag", "rater_flags"]

#: Every kind a :class:`RaterFlag` can carry.
FLAG_KINDS = ("lenient", "severe", "erratic", "too_uniform", "off_panel")

#: Consistency factor that turns a median absolute deviation into a standard
#: deviation for normal data (1 / Phi^-1(3/4)).
_MAD_TO_SD = 1.4826
#: Same for the mean absolute deviation (sqrt(pi / 2)), used when MAD is 0.
_MEANAD_TO_SD = 1.2533


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
        The rater effect (positive = lenient), from
        :func:`~scoring.raters.additive_effects`.
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
        One English sentence or two, naming the numbers behind the verdict;
        it starts with "rater <id>:" (or "rater <index>:" without ids).
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
    rater_ids: Sequence[object] | None = None,
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
        Result of :func:`~scoring.raters.additive_effects` on ``x``.
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
    rater_ids : sequence of str, optional
        Ids the explanations name raters by ("rater r05: ..."); default the
        ``rater_ids`` given to :func:`~scoring.raters.additive_effects`, else
        column indices.

    Returns
    -------
    tuple of RaterFlag

    Raises
    ------
    ScoringInputError
        ``x`` does not match ``effects``, ``panels`` or ``rater_ids`` has the
        wrong length, or a threshold is out of range.

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
    >>> from scoring.raters import additive_effects
    >>> rng = np.random.default_rng(1)
    >>> severity = np.linspace(-2, 2, 12)  # raters differ, but nobody stands out
    >>> x = 60 + rng.normal(0, 5, (30, 1)) + severity + rng.normal(0, 1, (30, 12))
    >>> x[:, 4] += 15  # until rater 4 turns generous
    >>> flags = rater_flags(x, additive_effects(x))
    >>> [(f.rater, f.kinds) for f in flags if f.flagged]
    [(4, ('lenient',))]
    """
    values, _, _ = score_matrix(x)
    if values.shape != effects.residuals.shape:
        raise ScoringInputError(
            f"x has shape {values.shape} but effects were fitted on {effects.residuals.shape}; "
            "fit additive_effects on this x first"
        )
    n_raters = values.shape[1]
    if rater_ids is None:
        name = Names(effects.rater_ids)
    else:
        name = Names.of(rater_ids, n_raters, "rater_ids", "raters (columns)")
    mismatch = np.isnan(values) != np.isnan(effects.residuals)
    if mismatch.any():
        u, r = first_cell(mismatch)
        raise ScoringInputError(
            f"unit {Names(effects.unit_ids)(u)}, rater {name(r)}: scored in one of x and effects but not in the "
            "other; fit additive_effects on this x first"
        )
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
                f"rater {name(r)}: {n} score{'s' if n != 1 else ''}, not enough data to judge "
                "(at least 2 are needed); no flag"
            )
            flags.append(RaterFlag(r, (), float(beta[r]), math.nan, math.nan, math.nan, n, text + "."))
            continue
        if not math.isfinite(beta[r]):
            text = f"rater {name(r)}: no flag ({n} scores); severity not estimable (see the fit's note)."
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
            text = f"rater {name(r)}: " + "; ".join(reasons) + f" ({summary}). Advisory only: no score has been changed."
        else:
            text = f"rater {name(r)}: no flag ({summary})"
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


def _fmt(value: float, spec: str) -> str:
    return format(value, spec) if math.isfinite(value) else "n/a"
