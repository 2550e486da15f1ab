"""Proportions: Wilson intervals for a share and the shares of a multiple-choice question."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from scoring._validate import as_numbers, check_confidence, first_cell
from scoring.types import ScoringInputError

__all__ = ["wilson_interval", "ChoiceShares", "choice_shares"]


def _z(confidence: float) -> float:
    """Two-sided normal quantile: 1.96 for 0.95."""
    return float(stats.norm.ppf(0.5 + confidence / 2.0))


# --------------------------------------------------------------------------- #
# Wilson interval
# --------------------------------------------------------------------------- #


def _wilson(k: np.ndarray, n: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Wilson bounds for already validated arrays; nan where n == 0."""
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        z2 = z * z
        denom = 1.0 + z2 / n
        centre = (p + z2 / (2.0 * n)) / denom
        half = z * np.sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n)) / denom
        low = np.clip(centre - half, 0.0, 1.0)
        high = np.clip(centre + half, 0.0, 1.0)
    # Exact ends: no successes cannot have a positive lower bound, and so on.
    low = np.where(k == 0, 0.0, low)
    high = np.where(k == n, 1.0, high)
    empty = n == 0
    return np.where(empty, np.nan, low), np.where(empty, np.nan, high)


def wilson_interval(k, n, confidence: float = 0.95):
    """Wilson score interval for a binomial proportion k/n (no continuity correction).

    Parameters
    ----------
    k, n : int or array_like
        Successes and trials; arrays broadcast against each other. Counts may
        be non-integer (weighted), but 0 <= k <= n must hold.
    confidence : float, optional
        Two-sided level, 0.95 by default.

    Returns
    -------
    (low, high)
        Floats for scalar input, arrays otherwise. ``(nan, nan)`` where n = 0.

    Notes
    -----
    With p = k/n and z the 1 - (1 - confidence)/2 normal quantile,

        (p + z^2/(2n) +/- z sqrt(p(1-p)/n + z^2/(4n^2))) / (1 + z^2/n).

    Unlike the Wald interval it never leaves [0, 1] and behaves well for
    p near 0 or 1 (Newcombe 1998, method 3).

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and
    statistical inference. JASA, 22(158), 209-212.
    Newcombe, R. G. (1998). Two-sided confidence intervals for the single
    proportion: comparison of seven methods. Statistics in Medicine, 17(8),
    857-872.

    Examples
    --------
    >>> [round(b, 4) for b in wilson_interval(81, 263)]
    [0.2553, 0.3662]
    """
    z = _z(check_confidence(confidence))
    k_arr = as_numbers(k, "wilson_interval k")
    n_arr = as_numbers(n, "wilson_interval n")
    try:
        k_b, n_b = np.broadcast_arrays(k_arr, n_arr)
    except ValueError:
        raise ScoringInputError(
            f"wilson_interval: k has shape {k_arr.shape} and n has shape {n_arr.shape}; they do not broadcast"
        ) from None
    bad = ~np.isfinite(k_b) | ~np.isfinite(n_b) | (n_b < 0) | (k_b < 0) | (k_b > n_b)
    if bad.any():
        where = first_cell(bad) if k_b.ndim else ()
        kv, nv = k_b[where], n_b[where]
        at = f" at index {where}" if k_b.ndim else ""
        raise ScoringInputError(
            f"wilson_interval: need 0 <= k <= n with finite counts; got k={kv:g}, n={nv:g}{at}"
        )
    low, high = _wilson(k_b, n_b, z)
    if k_b.ndim == 0:
        return float(low), float(high)
    return low, high


# --------------------------------------------------------------------------- #
# multiple choice
# --------------------------------------------------------------------------- #


@dataclass(frozen=True, eq=False)
class ChoiceShares:
    """Shares of a multiple-choice ("tick all that apply") question, per option."""

    counts: np.ndarray  #: respondents who chose the option
    n_respondents: int
    n_mentions: float  #: all choices made; the base of mention shares
    respondent_share: np.ndarray  #: counts / n_respondents (sums to more than 1)
    respondent_share_ci: tuple[np.ndarray, np.ndarray]  #: Wilson interval
    mention_share: np.ndarray  #: counts / n_mentions (sums to 1)
    confidence: float
    #: Interval of the mention share (ratio estimator, linearised variance);
    #: ``nan`` when only counts were given: it needs each respondent's ticks.
    mention_share_ci: tuple[np.ndarray, np.ndarray] | None = None


def choice_shares(selected, n_respondents: int | None = None, confidence: float = 0.95) -> ChoiceShares:
    """Respondent shares and mention shares of a multiple-choice question.

    Parameters
    ----------
    selected : array_like
        Either a respondents x options matrix of 0/1 (or bool), or a 1-D
        array of counts per option.
    n_respondents : int, optional
        Base of the respondent shares: required with counts; with a matrix it
        defaults to the number of rows (pass it when the matrix lists only
        respondents who ticked something but the base is everyone asked).
    confidence : float, optional
        Level of the Wilson intervals, 0.95 by default.

    Returns
    -------
    ChoiceShares
        ``respondent_share`` (with Wilson ``respondent_share_ci``) answers
        "what share of members want X"; ``mention_share`` (with
        ``mention_share_ci``) answers "what share of all choices went to X".

    Notes
    -----
    respondent share = count / n_respondents, with the Wilson interval (each
    respondent either ticked the option or did not: a binomial count).

    mention share p_j = Y_j / M, with Y_j the ticks of option j and M all
    ticks. Mentions by one respondent are not independent (M is itself
    random), so a binomial interval on M trials would be too narrow. The
    interval treats p_j as a ratio of two means over respondents (a cluster
    of ticks per respondent) and uses the linearised (delta-method)
    variance of a ratio estimator,

        var(p_j) = n / (n - 1) * sum_i (y_ij - p_j m_i)^2 / M^2,

    with m_i the ticks of respondent i, then p_j +/- z sqrt(var), cut to
    [0, 1]. When every respondent ticks exactly one option it reduces to
    the Wald interval with p(1 - p)/(n - 1). It needs the respondents x
    options matrix; from counts alone it is ``nan``.

    References
    ----------
    Cochran, W. G. (1977). Sampling Techniques (3rd ed.), section 6.4
    (variance of the ratio estimate). Wiley.

    Examples
    --------
    >>> res = choice_shares([[1, 0, 1], [1, 1, 0], [0, 0, 0], [1, 0, 0]])
    >>> res.respondent_share.tolist(), res.mention_share.tolist()
    ([0.75, 0.25, 0.25], [0.6, 0.2, 0.2])
    """
    confidence = check_confidence(confidence)
    raw = np.asarray(selected)
    whole = raw.dtype == bool or np.issubdtype(raw.dtype, np.integer)
    if raw.ndim == 2 and whole:
        # 0/1 or bool matrices (how answers are loaded in bulk) are checked on the
        # integers, which is much cheaper than comparing a float copy twice.
        if raw.size and (raw.min() < 0 or raw.max() > 1):
            r, j = first_cell((raw != 0) & (raw != 1))
            raise ScoringInputError(f"choice_shares: respondent {r}, option {j} is {raw[r, j]}; use 0/1")
        arr = raw.astype(float)
    else:
        arr = as_numbers(selected, "choice_shares")
    if arr.ndim == 2:
        if not whole:
            bad = (arr != 0.0) & (arr != 1.0)  # nan included
            if bad.any():
                r, j = first_cell(bad)
                raise ScoringInputError(f"choice_shares: respondent {r}, option {j} is {arr[r, j]:g}; use 0/1")
        counts = np.ones(arr.shape[0]) @ arr  # column sums through BLAS: several times faster than sum(axis=0)
        base = arr.shape[0] if n_respondents is None else int(n_respondents)
    elif arr.ndim == 1:
        bad = ~np.isfinite(arr) | (arr < 0)
        if bad.any():
            j = int(np.flatnonzero(bad)[0])
            raise ScoringInputError(f"choice_shares: option {j} has count {arr[j]:g}; counts must be >= 0")
        if n_respondents is None:
            raise ScoringInputError("choice_shares: counts per option need n_respondents, the base of the shares")
        counts = arr
        base = int(n_respondents)
    else:
        raise ScoringInputError(
            f"choice_shares: expected counts (1-D) or respondents x options (2-D), got {arr.ndim}-D"
        )
    if base < 0:
        raise ScoringInputError(f"choice_shares: n_respondents must be >= 0, got {base}")
    over = counts > base
    if over.any():
        j = int(np.flatnonzero(over)[0])
        raise ScoringInputError(
            f"choice_shares: option {j} was chosen {counts[j]:g} times by only {base} respondents"
        )
    mentions = float(counts.sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        respondent_share = counts / base if base else np.full(counts.shape, np.nan)
        mention_share = counts / mentions if mentions else np.full(counts.shape, np.nan)
    z = _z(confidence)
    ci = _wilson(counts, np.full(counts.shape, float(base)), z)
    if arr.ndim == 2 and base >= 2 and mentions > 0:
        n = base  # respondents outside the matrix ticked nothing: they add to n, not to the sums
        ticks = arr @ np.ones(arr.shape[1])  # m_i
        # sum_i (y_ij - p_j m_i)^2 expanded, so the big matrix is read once (y^2 = y).
        cross = ticks @ arr
        resid = counts - 2.0 * mention_share * cross + mention_share**2 * float(ticks @ ticks)
        se = np.sqrt(np.maximum(resid, 0.0) * n / (n - 1.0)) / mentions
        mention_ci = (np.clip(mention_share - z * se, 0.0, 1.0), np.clip(mention_share + z * se, 0.0, 1.0))
    else:
        mention_ci = (np.full(counts.shape, np.nan), np.full(counts.shape, np.nan))
    return ChoiceShares(
        counts=counts,
        n_respondents=base,
        n_mentions=mentions,
        respondent_share=respondent_share,
        respondent_share_ci=ci,
        mention_share=mention_share,
        confidence=confidence,
        mention_share_ci=mention_ci,
    )
