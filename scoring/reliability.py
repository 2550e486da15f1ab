"""Reliability of ratings: intraclass correlations, Krippendorff's alpha,
Kendall's W and Cronbach's alpha.

Every function takes a plain numpy array, validates it with
:class:`~scoring.types.ScoringInputError` (the message names the offending
row, rater, unit or item) and returns a frozen result. Where a coefficient is
undefined for the data (no variance at all, every rating tied) the result
holds ``nan`` and says why in ``reason``; it never returns a silently wrong
number.

Orientation of the input differs by coefficient, following the literature
each one comes from:

- :func:`icc`: targets (units rated) x raters, complete;
- :func:`krippendorff_alpha`: raters (observers) x units, ``nan`` = missing;
- :func:`kendall_w`: raters x objects ranked, complete;
- :func:`cronbach_alpha`: cases (respondents) x items, listwise deletion.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial

import numpy as np
from scipy import sparse, stats

from scoring._validate import as_matrix, check_confidence, first_cell
from scoring.types import ScoringInputError

__all__ = [
    "ICC_KINDS",
    "ICCResult",
    "KrippendorffResult",
    "KendallWResult",
    "CronbachResult",
    "icc",
    "krippendorff_alpha",
    "kendall_w",
    "cronbach_alpha",
]

#: The six Shrout & Fleiss (1979) forms, in their order.
ICC_KINDS: tuple[str, ...] = ("ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k", "ICC3k")

_KRIPPENDORFF_LEVELS = ("nominal", "ordinal", "interval", "ratio")


# --------------------------------------------------------------------------- #
# helpers
# --------------------------------------------------------------------------- #


def _complete_matrix(x, what: str, rows: str, cols: str) -> np.ndarray:
    """A complete (no ``nan``) matrix of at least 2 ``rows`` x 2 ``cols``, or an error naming the cell."""
    arr = as_matrix(x, what, rows, cols)
    if np.isnan(arr).any():
        r, c = first_cell(np.isnan(arr))
        raise ScoringInputError(
            f"{what}: missing value (nan) at {rows[:-1]} {r}, {cols[:-1]} {c}; "
            f"this coefficient needs a complete {rows} x {cols} matrix"
        )
    n_rows, n_cols = arr.shape
    if n_rows < 2:
        raise ScoringInputError(f"{what}: need at least 2 {rows} (rows), got {n_rows}")
    if n_cols < 2:
        raise ScoringInputError(f"{what}: need at least 2 {cols} (columns), got {n_cols}")
    return arr


# --------------------------------------------------------------------------- #
# intraclass correlation
# --------------------------------------------------------------------------- #


@dataclass(frozen=True)
class ICCResult:
    """One Shrout & Fleiss intraclass correlation with its F test and interval.

    ``ci`` is ``(nan, nan)`` and ``reason`` says why when the interval is
    undefined (e.g. a zero residual mean square).
    """

    kind: str  #: canonical name, one of :data:`ICC_KINDS`
    value: float
    ci: tuple[float, float]
    confidence: float
    f_statistic: float
    df1: float
    df2: float
    pvalue: float
    n_targets: int
    n_raters: int
    reason: str | None = None


_ICC_PLAIN = re.compile(r"^ICC([123])(K?)$")  # ICC2, ICC2K
_ICC_PAREN = re.compile(r"^ICC\(([123]),(1|K|\d+)\)$")  # ICC(2,1), ICC(2,K), ICC(2,4)


def _icc_kind(kind: str, k: int) -> str:
    """Map ``ICC2``, ``icc2k``, ``ICC(2,1)``, ``ICC(2,k)`` or ``ICC(2,4)`` (k=4) to a canonical name."""
    if not isinstance(kind, str):
        raise ScoringInputError(f"ICC kind must be a string such as 'ICC2', got {kind!r}")
    text = kind.strip().upper().replace(" ", "")
    plain = _ICC_PLAIN.match(text)
    if plain:
        return f"ICC{plain.group(1)}" + ("k" if plain.group(2) else "")
    match = _ICC_PAREN.match(text)
    if match:
        model, count = match.group(1), match.group(2)
        if count == "1":
            return f"ICC{model}"
        if count == "K" or int(count) == k:
            return f"ICC{model}k"
        raise ScoringInputError(
            f"ICC kind {kind!r} asks for the mean of {count} raters but the matrix has {k} raters"
        )
    raise ScoringInputError(f"unknown ICC kind {kind!r}; use one of {', '.join(ICC_KINDS)} or 'ICC(2,1)' style")


def icc(x, kind: str, confidence: float = 0.95) -> ICCResult:
    """Intraclass correlation in one of the six Shrout & Fleiss (1979) forms.

    Parameters
    ----------
    x : array_like, shape (n_targets, k_raters)
        Complete ratings: every rater rates every target. ``nan`` is refused.
    kind : str
        ``ICC1``, ``ICC2``, ``ICC3`` (single rating) or ``ICC1k``, ``ICC2k``,
        ``ICC3k`` (mean of the k ratings). ``ICC(2,1)``, ``ICC(2,k)`` and
        ``ICC(2,4)`` (when k = 4) are accepted as aliases.
    confidence : float, optional
        Level of the two-sided interval, 0.95 by default.

    Returns
    -------
    ICCResult
        ``value``, ``ci`` (low, high), the F test (``f_statistic``, ``df1``,
        ``df2``, ``pvalue``), ``n_targets`` and ``n_raters``.

    Notes
    -----
    From the two-way ANOVA of the n x k table: between-targets mean square
    BMS, within-target MS WMS (one-way), between-raters MS JMS and residual
    MS EMS.

    - ICC1  = (BMS - WMS) / (BMS + (k-1) WMS); F = BMS/WMS on n-1, n(k-1) df
    - ICC2  = (BMS - EMS) / (BMS + (k-1) EMS + k (JMS - EMS)/n);
      F = BMS/EMS on n-1, (n-1)(k-1) df
    - ICC3  = (BMS - EMS) / (BMS + (k-1) EMS); F as ICC2
    - ICC1k = (BMS - WMS) / BMS; ICC2k = (BMS - EMS) / (BMS + (JMS - EMS)/n);
      ICC3k = (BMS - EMS) / BMS; F tests as for the single-rating forms.

    A zero or negative denominator (too little variance between targets)
    gives ``nan`` with a reason.

    Intervals are the F-based ones of Shrout & Fleiss (1979) and McGraw &
    Wong (1996, Table 7). With F_L = F / F(1-a/2; df1, df2) and
    F_U = F * F(1-a/2; df2, df1): ICC1/ICC3 run from (F_L - 1)/(F_L + k - 1)
    to (F_U - 1)/(F_U + k - 1); ICC1k/ICC3k from 1 - 1/F_L to 1 - 1/F_U.
    ICC2 uses the Satterthwaite approximation: with rho the estimate and
    F_J = JMS/EMS,

        v = (k-1)(n-1) [k rho F_J + n(1 + (k-1) rho) - k rho]^2
            / [(n-1) k^2 rho^2 F_J^2 + (n(1 + (k-1) rho) - k rho)^2],

    F* = F(1-a/2; n-1, v), F** = F(1-a/2; v, n-1),

        low  = n (BMS - F* EMS) / (F* (k JMS + (kn - k - n) EMS) + n BMS)
        high = n (F** BMS - EMS) / (k JMS + (kn - k - n) EMS + n F** BMS),

    and ICC2k takes the Spearman-Brown step-up k L / (1 + (k-1) L) of those
    bounds, which is algebraically McGraw & Wong's ICC(A,k) interval.

    References
    ----------
    Shrout, P. E., & Fleiss, J. L. (1979). Intraclass correlations: uses in
    assessing rater reliability. Psychological Bulletin, 86(2), 420-428.
    McGraw, K. O., & Wong, S. P. (1996). Forming inferences about some
    intraclass correlation coefficients. Psychological Methods, 1(1), 30-46
    (correction: 1(4), 390).

    Examples
    --------
    Shrout & Fleiss (1979), Table 2: six targets, four judges.

    >>> x = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8],
    ...      [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]
    >>> round(icc(x, "ICC3").value, 2)
    0.71
    >>> [round(b, 3) for b in icc(x, "ICC(2,1)").ci]
    [0.019, 0.761]
    """
    arr = _complete_matrix(x, "icc", "targets", "raters")
    n, k = arr.shape
    canonical = _icc_kind(kind, k)
    confidence = check_confidence(confidence)
    tail = (1.0 - confidence) / 2.0

    grand = arr.mean()
    row_means = arr.mean(axis=1)
    col_means = arr.mean(axis=0)
    ss_total = float(((arr - grand) ** 2).sum())
    ss_rows = float(k * ((row_means - grand) ** 2).sum())
    ss_cols = float(n * ((col_means - grand) ** 2).sum())
    ss_within = max(ss_total - ss_rows, 0.0)
    ss_error = max(ss_total - ss_rows - ss_cols, 0.0)
    bms = ss_rows / (n - 1)
    wms = ss_within / (n * (k - 1))
    jms = ss_cols / (k - 1)
    ems = ss_error / ((n - 1) * (k - 1))
    # Rounding can leave a residual of ~1e-15 where the exact value is zero.
    scale = max(abs(grand), float(np.abs(arr).max()), 1.0) ** 2
    if wms <= 1e-13 * scale:
        wms = 0.0
    if ems <= 1e-13 * scale:
        ems = 0.0
    if bms <= 1e-13 * scale:
        bms = 0.0

    model = canonical[3]
    average = canonical.endswith("k")
    if model == "1":
        error_ms, df1, df2 = wms, n - 1, n * (k - 1)
    else:
        error_ms, df1, df2 = ems, n - 1, (n - 1) * (k - 1)

    def result(value, ci, f_stat, pvalue, reason=None):
        return ICCResult(
            kind=canonical,
            value=float(value),
            ci=(float(ci[0]), float(ci[1])),
            confidence=confidence,
            f_statistic=float(f_stat),
            df1=float(df1),
            df2=float(df2),
            pvalue=float(pvalue),
            n_targets=n,
            n_raters=k,
            reason=reason,
        )

    nan2 = (np.nan, np.nan)
    if bms == 0.0 and error_ms == 0.0:
        return result(np.nan, nan2, np.nan, np.nan, "all ratings are identical: no variance to apportion")

    if model == "1":
        numerator = bms - wms
        denominator = bms if average else bms + (k - 1) * wms
    elif model == "2":
        numerator = bms - ems
        denominator = bms + (jms - ems) / n if average else bms + (k - 1) * ems + k * (jms - ems) / n
    else:
        numerator = bms - ems
        denominator = bms if average else bms + (k - 1) * ems
    if denominator <= 1e-13 * scale:
        # e.g. every target has the same mean (BMS = 0) for the k-rating forms
        return result(
            np.nan,
            nan2,
            np.nan,
            np.nan,
            f"the {canonical} denominator is zero or negative (too little variance between targets); "
            "the coefficient is undefined",
        )
    value = numerator / denominator

    if error_ms == 0.0:
        # Perfect consistency (or agreement): F is infinite and the F-based
        # interval degenerates. Say so rather than print (1, 1).
        return result(
            value,
            nan2,
            np.inf,
            0.0,
            "residual mean square is zero (ratings perfectly consistent); the F-based interval is undefined",
        )
    f_stat = bms / error_ms
    pvalue = stats.f.sf(f_stat, df1, df2)

    # Degenerate data (huge F, tiny v) can overflow to inf/nan: caught just below.
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if model in ("1", "3"):
            f_low = f_stat / stats.f.ppf(1.0 - tail, df1, df2)
            f_high = f_stat * stats.f.ppf(1.0 - tail, df2, df1)
            if average:
                ci = (1.0 - 1.0 / np.float64(f_low), 1.0 - 1.0 / np.float64(f_high))
            else:
                ci = ((f_low - 1.0) / (f_low + k - 1.0), (f_high - 1.0) / (f_high + k - 1.0))
        else:
            # ICC2 / ICC2k: Satterthwaite degrees of freedom from the single-rating estimate.
            rho = (bms - ems) / (bms + (k - 1) * ems + k * (jms - ems) / n)
            f_j = jms / ems
            core = n * (1.0 + (k - 1) * rho) - k * rho
            v_num = (k - 1) * (n - 1) * (k * rho * f_j + core) ** 2
            v_den = (n - 1) * k**2 * rho**2 * f_j**2 + core**2
            v = np.float64(v_num) / np.float64(v_den)
            f_star = stats.f.ppf(1.0 - tail, n - 1, v)
            f_2star = stats.f.ppf(1.0 - tail, v, n - 1)
            mix = k * jms + (k * n - k - n) * ems
            low = n * (bms - f_star * ems) / (f_star * mix + n * bms)
            high = n * (f_2star * bms - ems) / (mix + n * f_2star * bms)
            if average:
                low, high = (k * b / (1.0 + (k - 1) * b) for b in (low, high))
            ci = (low, high)
    if not (np.isfinite(ci[0]) or ci[0] == -np.inf) or np.isnan(ci[1]):
        return result(value, nan2, f_stat, pvalue, "the F-based interval is undefined for these data")
    return result(value, ci, f_stat, pvalue)


# --------------------------------------------------------------------------- #
# Krippendorff's alpha
# --------------------------------------------------------------------------- #


@dataclass(frozen=True)
class KrippendorffResult:
    """Krippendorff's alpha = 1 - D_o / D_e at one level of measurement."""

    value: float
    level: str
    n_units: int  #: units with at least two values (pairable)
    n_values: int  #: pairable values, n in Krippendorff's notation
    observed_disagreement: float  #: D_o
    expected_disagreement: float  #: D_e
    n_raters: int
    reason: str | None = None


def _ratio_expected_sum(values: np.ndarray, counts: np.ndarray, block: int = 1024) -> float:
    """sum_c sum_k n_c n_k ((c - k)/(c + k))^2 over distinct values, in row blocks."""
    total = 0.0
    for start in range(0, values.size, block):
        v = values[start : start + block, None]
        s = v + values[None, :]
        with np.errstate(invalid="ignore", divide="ignore"):
            d2 = np.where(s == 0, 0.0, ((v - values[None, :]) / s) ** 2)
        total += float(counts[start : start + block] @ d2 @ counts)
    return total


def krippendorff_alpha(x, level: str = "interval") -> KrippendorffResult:
    """Krippendorff's alpha for any number of raters, with missing data.

    Parameters
    ----------
    x : array_like, shape (n_raters, n_units)
        Values given by each rater (row) to each unit (column); ``nan`` where
        a rater did not rate a unit. Nominal categories are numeric codes.
    level : {"nominal", "ordinal", "interval", "ratio"}
        Level of measurement, which fixes the difference function delta^2.

    Returns
    -------
    KrippendorffResult
        ``value``, ``level``, ``n_units`` and ``n_values`` (pairable only),
        ``observed_disagreement`` (D_o) and ``expected_disagreement`` (D_e).

    Notes
    -----
    Units with fewer than two values cannot be paired and are dropped. From
    the coincidence matrix o_ck = sum_u (number of c-k pairs in unit u) /
    (m_u - 1), with marginals n_c and n = sum n_c,

        D_o = (1/n) sum_c sum_k o_ck delta^2_ck
        D_e = 1/(n (n-1)) sum_c sum_k n_c n_k delta^2_ck
        alpha = 1 - D_o / D_e.

    delta^2 is 1 for c != k (nominal); (c - k)^2 (interval);
    ((c - k)/(c + k))^2 (ratio; values must be >= 0); and for ordinal
    (sum_{g=c}^{k} n_g - (n_c + n_k)/2)^2, which equals the interval
    difference of the "mid-rank" scores n_<c + n_c/2, and is computed so.
    When every pairable value is the same, D_e = 0 and alpha is undefined
    (``nan`` with a reason).

    References
    ----------
    Krippendorff, K. (2011). Computing Krippendorff's alpha-reliability.
    Annenberg School for Communication, University of Pennsylvania,
    https://repository.upenn.edu/asc_papers/43.
    Hayes, A. F., & Krippendorff, K. (2007). Answering the call for a
    standard reliability measure for coding data. Communication Methods and
    Measures, 1(1), 77-89.

    Examples
    --------
    Krippendorff (2011), section C: four observers, twelve units, missing data.

    >>> nan = float("nan")
    >>> x = [[1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
    ...      [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
    ...      [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
    ...      [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan]]
    >>> round(krippendorff_alpha(x, "nominal").value, 3)
    0.743
    """
    if level not in _KRIPPENDORFF_LEVELS:
        raise ScoringInputError(f"unknown level {level!r}; use one of {', '.join(_KRIPPENDORFF_LEVELS)}")
    arr = as_matrix(x, "krippendorff_alpha", "raters", "units")
    n_raters, n_units_all = arr.shape
    if n_raters < 2:
        raise ScoringInputError(
            f"krippendorff_alpha: need at least 2 raters (rows), got {n_raters}; "
            "agreement cannot be measured with one rater"
        )
    present = ~np.isnan(arr)
    m_u = present.sum(axis=0)
    pairable = m_u >= 2
    if not pairable.any():
        raise ScoringInputError("krippendorff_alpha: no unit has values from two or more raters")
    if level == "ratio" and (arr[present] < 0).any():
        r, c = first_cell(present & (np.nan_to_num(arr, nan=0.0) < 0))
        raise ScoringInputError(
            f"krippendorff_alpha: ratio level needs non-negative values; rater {r}, unit {c} has {arr[r, c]:g}"
        )

    sub = arr[:, pairable]
    sub_present = present[:, pairable]
    m = m_u[pairable].astype(float)
    rater_idx, unit_idx = np.nonzero(sub_present)
    vals = sub[rater_idx, unit_idx]
    distinct, code = np.unique(vals, return_inverse=True)
    counts = np.bincount(code, minlength=distinct.size).astype(float)  # n_c
    n = float(vals.size)

    # Coincidence matrix o = N' diag(1/(m_u - 1)) N - diag(n_c); only its
    # off-diagonal cells matter because delta^2_cc = 0.
    unit_value = sparse.csr_matrix(
        (np.ones(vals.size), (unit_idx, code)), shape=(sub.shape[1], distinct.size)
    )
    weighted = sparse.diags(1.0 / (m - 1.0)) @ unit_value
    coincidence = (unit_value.T @ weighted).tocoo()
    c_idx, k_idx, o_ck = coincidence.row, coincidence.col, coincidence.data

    if level == "nominal":
        d2_pairs = (c_idx != k_idx).astype(float)
        expected_sum = n * n - float(counts @ counts)
    elif level in ("interval", "ordinal"):
        if level == "interval":
            scores = distinct
        else:
            scores = np.cumsum(counts) - counts / 2.0  # mid-rank of each value
        d2_pairs = (scores[c_idx] - scores[k_idx]) ** 2
        centred = scores - float(counts @ scores) / n
        expected_sum = 2.0 * n * float(counts @ centred**2)
    else:  # ratio
        s = distinct[c_idx] + distinct[k_idx]
        with np.errstate(invalid="ignore", divide="ignore"):
            d2_pairs = np.where(s == 0, 0.0, ((distinct[c_idx] - distinct[k_idx]) / s) ** 2)
        expected_sum = _ratio_expected_sum(distinct, counts)

    d_o = float(o_ck @ d2_pairs) / n
    d_e = expected_sum / (n * (n - 1.0))
    result = partial(
        KrippendorffResult,
        level=level,
        n_units=int(pairable.sum()),
        n_values=int(n),
        observed_disagreement=d_o,
        expected_disagreement=d_e,
        n_raters=n_raters,
    )
    if distinct.size < 2:
        return result(
            value=np.nan,
            reason="every pairable value is the same: expected disagreement is zero and alpha is undefined",
        )
    return result(value=1.0 - d_o / d_e)


# --------------------------------------------------------------------------- #
# Kendall's W
# --------------------------------------------------------------------------- #


@dataclass(frozen=True, eq=False)
class KendallWResult:
    """Kendall's coefficient of concordance, tie-corrected, with its chi-square test."""

    value: float  #: tie-corrected W
    statistic: float  #: chi-square = m (n - 1) W
    dof: int  #: n - 1
    pvalue: float
    n_raters: int  #: m
    n_objects: int  #: n
    rank_sums: np.ndarray  #: R_j, one per object
    tie_correction: float  #: sum over raters of sum (t^3 - t)
    reason: str | None = None


def _tie_sums(sorted_rows: np.ndarray) -> np.ndarray:
    """Per row, sum of (t^3 - t) over groups of t tied values (rows already sorted)."""
    m, n = sorted_rows.shape
    starts = np.ones((m, n), dtype=bool)
    starts[:, 1:] = sorted_rows[:, 1:] != sorted_rows[:, :-1]
    run_id = np.cumsum(starts.ravel()) - 1
    lengths = np.bincount(run_id).astype(float)
    row_of_run = np.repeat(np.arange(m), starts.sum(axis=1))
    return np.bincount(row_of_run, weights=lengths**3 - lengths, minlength=m)


def kendall_w(x) -> KendallWResult:
    """Kendall's coefficient of concordance W, corrected for ties.

    Parameters
    ----------
    x : array_like, shape (m_raters, n_objects)
        Scores or ranks; each rater's row is ranked (1 = smallest, ties get
        their average rank). Complete: ``nan`` is refused.

    Returns
    -------
    KendallWResult
        ``value`` (tie-corrected W), ``statistic`` (chi-square), ``dof``,
        ``pvalue``, ``n_raters``, ``n_objects``, ``rank_sums`` and
        ``tie_correction``.

    Notes
    -----
    With rank sums R_j, S = sum_j (R_j - m (n + 1)/2)^2 and, for each rater,
    T_i = sum (t^3 - t) over its groups of t tied values,

        W = 12 S / (m^2 (n^3 - n) - m sum_i T_i),

    chi-square = m (n - 1) W on n - 1 degrees of freedom (large-sample
    test; identical to Friedman's tie-corrected statistic). If every rater
    ties every object the denominator is zero and W is ``nan`` with a reason.

    References
    ----------
    Kendall, M. G., & Babington Smith, B. (1939). The problem of m rankings.
    Annals of Mathematical Statistics, 10(3), 275-287.
    Siegel, S., & Castellan, N. J. (1988). Nonparametric Statistics for the
    Behavioral Sciences (2nd ed.), section 9.4. McGraw-Hill.
    Legendre, P. (2005). Species associations: the Kendall coefficient of
    concordance revisited. JABES, 10(2), 226-245.

    Examples
    --------
    >>> x = [[1, 6, 3, 2, 5, 4], [1, 5, 6, 2, 4, 3], [2, 3, 6, 5, 4, 1]]
    >>> round(kendall_w(x).value, 3)
    0.568
    """
    arr = _complete_matrix(x, "kendall_w", "raters", "objects")
    m, n = arr.shape
    ranks = stats.rankdata(arr, axis=1)
    rank_sums = ranks.sum(axis=0)
    s = float(((rank_sums - m * (n + 1) / 2.0) ** 2).sum())
    ties = float(_tie_sums(np.sort(arr, axis=1)).sum())
    denominator = m**2 * (n**3 - n) - m * ties
    dof = n - 1
    result = partial(KendallWResult, dof=dof, n_raters=m, n_objects=n, rank_sums=rank_sums, tie_correction=ties)
    if denominator <= 0:
        return result(
            value=np.nan,
            statistic=np.nan,
            pvalue=np.nan,
            reason="every rater gave all objects the same score: W is undefined",
        )
    w = 12.0 * s / denominator
    chi2 = m * (n - 1) * w
    return result(value=w, statistic=chi2, pvalue=float(stats.chi2.sf(chi2, dof)))


# --------------------------------------------------------------------------- #
# Cronbach's alpha
# --------------------------------------------------------------------------- #


@dataclass(frozen=True)
class CronbachResult:
    """Cronbach's alpha with Feldt's F-based interval; cases with nan dropped listwise."""

    value: float
    ci: tuple[float, float]
    confidence: float
    n_cases: int  #: cases used (complete rows)
    n_items: int
    n_dropped: int  #: rows left out because they had a missing item
    reason: str | None = None


def cronbach_alpha(x, confidence: float = 0.95) -> CronbachResult:
    """Cronbach's coefficient alpha with Feldt's confidence interval.

    Parameters
    ----------
    x : array_like, shape (n_cases, k_items)
        Item scores. Rows with any ``nan`` are dropped (listwise deletion);
        the result says how many were used and dropped.
    confidence : float, optional
        Level of the two-sided interval, 0.95 by default.

    Returns
    -------
    CronbachResult
        ``value``, ``ci`` (low, high), ``n_cases``, ``n_items``, ``n_dropped``.

    Notes
    -----
    alpha = k/(k-1) * (1 - sum_i s_i^2 / s_total^2), with sample variances
    (ddof = 1) of each item and of the case totals. It equals ICC(3,k) of
    the same matrix (McGraw & Wong, 1996). Feldt's interval, with
    df1 = n - 1 and df2 = (n - 1)(k - 1):

        low  = 1 - (1 - alpha) F(1 - a/2; df1, df2)
        high = 1 - (1 - alpha) F(a/2; df1, df2).

    A zero variance of the totals leaves alpha undefined (``nan``, reason).

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of
    tests. Psychometrika, 16(3), 297-334.
    Feldt, L. S., Woodruff, D. J., & Salih, F. A. (1987). Statistical
    inference for coefficient alpha. Applied Psychological Measurement,
    11(1), 93-103 (formulas 6 and 7).

    Examples
    --------
    >>> x = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8],
    ...      [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]
    >>> round(cronbach_alpha(x).value, 2)
    0.91
    """
    arr = as_matrix(x, "cronbach_alpha", "cases", "items")
    confidence = check_confidence(confidence)
    n_all, k = arr.shape
    if k < 2:
        raise ScoringInputError(f"cronbach_alpha: need at least 2 items (columns), got {k}")
    complete = ~np.isnan(arr).any(axis=1)
    used = arr[complete]
    n = used.shape[0]
    dropped = n_all - n
    if n < 2:
        raise ScoringInputError(
            f"cronbach_alpha: need at least 2 complete cases, got {n} "
            f"({dropped} of {n_all} rows have a missing item)"
        )
    item_var = used.var(axis=0, ddof=1)
    total_var = float(used.sum(axis=1).var(ddof=1))
    result = partial(CronbachResult, confidence=confidence, n_cases=n, n_items=k, n_dropped=dropped)
    if total_var <= 1e-13 * max(1.0, float(item_var.sum())):
        return result(value=np.nan, ci=(np.nan, np.nan), reason="the case totals have zero variance: alpha is undefined")
    alpha = k / (k - 1.0) * (1.0 - float(item_var.sum()) / total_var)
    tail = (1.0 - confidence) / 2.0
    df1, df2 = n - 1, (n - 1) * (k - 1)
    low = 1.0 - (1.0 - alpha) * stats.f.ppf(1.0 - tail, df1, df2)
    high = 1.0 - (1.0 - alpha) * stats.f.ppf(tail, df1, df2)
    return result(value=alpha, ci=(float(low), float(high)))
