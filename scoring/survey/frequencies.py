"""Frequency tables (single choice), cross-tables from answer codes, and
summaries of number questions."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from scoring._validate import as_numbers, check_confidence
from scoring.survey.proportions import _wilson, _z
from scoring.survey.scales import median_interval_ranks
from scoring.types import ScoringInputError

__all__ = ["FrequencyTable", "frequency_table", "cross_table", "NumberSummary", "number_summary"]


def _option_codes(codes, n_options: int, what: str) -> np.ndarray:
    """Option index per respondent, ``n_options`` for no answer (nan or -1), or an error naming the respondent."""
    arr = np.asarray(codes)
    if arr.ndim != 1:
        raise ScoringInputError(f"{what}: expected one answer code per respondent (1-D), got {arr.ndim}-D")
    if n_options < 1:
        raise ScoringInputError(f"{what}: need at least one option, got {n_options}")
    if np.issubdtype(arr.dtype, np.integer):
        missing = arr == -1
        valid = (arr >= 0) & (arr < n_options)
    else:
        arr = as_numbers(arr, what)
        missing = np.isnan(arr)
        valid = (arr >= 0) & (arr < n_options) & (arr == np.floor(arr))
    bad = ~valid & ~missing
    if bad.any():
        r = int(np.flatnonzero(bad)[0])
        raise ScoringInputError(
            f"{what}: respondent {r} has answer code {arr[r]}; codes are 0..{n_options - 1} (nan or -1 for no answer)"
        )
    return np.where(valid, arr, n_options).astype(np.intp)


# --------------------------------------------------------------------------- #
# single choice
# --------------------------------------------------------------------------- #


@dataclass(frozen=True, eq=False)
class FrequencyTable:
    """Counts and shares of a single-choice question, one entry per option."""

    counts: np.ndarray  #: respondents per option
    n: int  #: respondents who answered (the base of the shares)
    n_missing: int  #: respondents without an answer
    shares: np.ndarray  #: counts / n (sums to 1)
    shares_ci: tuple[np.ndarray, np.ndarray]  #: Wilson interval per option
    confidence: float


def frequency_table(codes, n_options: int, confidence: float = 0.95) -> FrequencyTable:
    """Counts, shares and Wilson intervals of a single-choice question.

    Parameters
    ----------
    codes : array_like, shape (n_respondents,)
        Option index (0 .. n_options - 1) chosen by each respondent; ``nan``
        (float arrays) or ``-1`` (integer arrays) for no answer.
    n_options : int
        Number of options, so options nobody chose still get a row.
    confidence : float, optional
        Level of the Wilson intervals, 0.95 by default.

    Returns
    -------
    FrequencyTable

    Notes
    -----
    Shares use the respondents who answered as base ("valid percent"); the
    unanswered are reported in ``n_missing``. Each share's interval is the
    Wilson score interval for counts[j] of n; the intervals are marginal
    (one option at a time), not simultaneous.

    Examples
    --------
    >>> res = frequency_table([0, 1, 1, 2, -1], 4)
    >>> res.counts.tolist(), res.n, res.n_missing, res.shares.tolist()
    ([1, 2, 1, 0], 4, 1, [0.25, 0.5, 0.25, 0.0])
    """
    confidence = check_confidence(confidence)
    n_options = int(n_options)
    idx = _option_codes(codes, n_options, "frequency_table")
    counts = np.bincount(idx, minlength=n_options + 1)
    n = int(counts[:-1].sum())
    counts = counts[:-1]
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = counts / n if n else np.full(n_options, np.nan)
    ci = _wilson(counts.astype(float), np.full(n_options, float(n)), _z(confidence))
    return FrequencyTable(
        counts=counts,
        n=n,
        n_missing=int(idx.size - n),
        shares=shares,
        shares_ci=ci,
        confidence=confidence,
    )


def cross_table(row_codes, column_codes, n_rows: int, n_columns: int) -> np.ndarray:
    """The n_rows x n_columns table of counts of two single-choice answers.

    Parameters
    ----------
    row_codes, column_codes : array_like, shape (n_respondents,)
        Codes as in :func:`frequency_table` (e.g. a demographic question
        and the question being broken down). Respondents without an answer
        to either are left out.
    n_rows, n_columns : int
        Number of options of each question.

    Returns
    -------
    numpy.ndarray of int64, shape (n_rows, n_columns)
        Ready for :func:`~scoring.survey.crosstab_test` and
        :func:`~scoring.survey.suppression.suppress_table`.

    Notes
    -----
    One ``bincount`` of row * n_columns + column: a million respondents take
    a few milliseconds.

    Examples
    --------
    >>> cross_table([0, 0, 1, 1, 1, -1], [1, 0, 1, 1, -1, 0], 2, 2).tolist()
    [[1, 1], [0, 2]]
    """
    rows = _option_codes(row_codes, int(n_rows), "cross_table rows")
    cols = _option_codes(column_codes, int(n_columns), "cross_table columns")
    if rows.size != cols.size:
        raise ScoringInputError(
            f"cross_table: {rows.size} row codes but {cols.size} column codes; give one of each per respondent"
        )
    keep = (rows < n_rows) & (cols < n_columns)
    flat = rows[keep] * int(n_columns) + cols[keep]
    return np.bincount(flat, minlength=int(n_rows) * int(n_columns)).reshape(int(n_rows), int(n_columns)).astype(np.int64)


# --------------------------------------------------------------------------- #
# number questions
# --------------------------------------------------------------------------- #


@dataclass(frozen=True, eq=False)
class NumberSummary:
    """Summary of a number question; ``nan`` where the sample is too small."""

    n: int
    n_missing: int
    confidence: float
    mean: float
    mean_ci: tuple[float, float]  #: t interval
    sd: float  #: ddof = 1
    minimum: float
    q1: float
    median: float
    q3: float
    maximum: float
    median_ci: tuple[float, float]  #: order-statistic interval (distribution-free)
    median_ci_coverage: float


def number_summary(values, confidence: float = 0.95) -> NumberSummary:
    """n, mean (t interval), sd, quartiles and median interval of a number question.

    Parameters
    ----------
    values : array_like, shape (n_respondents,)
        Answers; ``nan`` for no answer. Infinite values are refused.
    confidence : float, optional
        Level of the intervals, 0.95 by default.

    Returns
    -------
    NumberSummary

    Notes
    -----
    Quartiles interpolate linearly between order statistics
    (Hyndman & Fan type 7: ``numpy.quantile``'s default, R's default and
    Excel's QUARTILE.INC), so exported figures match what analysts get in
    those tools. The median interval is the distribution-free one of
    :func:`~scoring.survey.scales.median_interval_ranks`. All order
    statistics come from one ``numpy.partition`` (linear time), not a sort.

    References
    ----------
    Hyndman, R. J., & Fan, Y. (1996). Sample quantiles in statistical
    packages. The American Statistician, 50(4), 361-365.

    Examples
    --------
    >>> res = number_summary([3, 1, 4, 1, 5, 9, 2, 6, float("nan")])
    >>> res.n, res.n_missing, res.q1, res.median, res.q3
    (8, 1, 1.75, 3.5, 5.25)
    """
    confidence = check_confidence(confidence)
    arr = as_numbers(values, "number_summary")
    if arr.ndim != 1:
        raise ScoringInputError(f"number_summary: expected one answer per respondent (1-D), got {arr.ndim}-D")
    if np.isinf(arr).any():
        r = int(np.flatnonzero(np.isinf(arr))[0])
        raise ScoringInputError(f"number_summary: respondent {r} has an infinite value")
    missing = np.isnan(arr)
    x = arr[~missing]
    n = int(x.size)
    if n == 0:
        return NumberSummary(
            n=0, n_missing=int(missing.sum()), confidence=confidence, mean=np.nan, mean_ci=(np.nan, np.nan),
            sd=np.nan, minimum=np.nan, q1=np.nan, median=np.nan, q3=np.nan, maximum=np.nan,
            median_ci=(np.nan, np.nan), median_ci_coverage=np.nan,
        )
    # Positions (0-based) of the order statistics every figure needs.
    h = (n - 1) * np.array([0.25, 0.5, 0.75])
    below, above = np.floor(h).astype(np.intp), np.ceil(h).astype(np.intp)
    low_rank, high_rank, coverage = median_interval_ranks(n, confidence)
    wanted = {0, n - 1, *below.tolist(), *above.tolist()}
    if low_rank >= 1:
        wanted |= {low_rank - 1, high_rank - 1}
    part = np.partition(x, sorted(wanted))
    quartiles = part[below] + (h - below) * (part[above] - part[below])
    mean = float(x.mean())
    if n >= 2:
        sd = float(x.std(ddof=1))
        half = float(stats.t.ppf(0.5 + confidence / 2.0, n - 1)) * sd / np.sqrt(n)
    else:
        sd, half = np.nan, np.nan
    median_ci = (float(part[low_rank - 1]), float(part[high_rank - 1])) if low_rank >= 1 else (np.nan, np.nan)
    return NumberSummary(
        n=n,
        n_missing=int(missing.sum()),
        confidence=confidence,
        mean=mean,
        mean_ci=(mean - half, mean + half),
        sd=sd,
        minimum=float(part[0]),
        q1=float(quartiles[0]),
        median=float(quartiles[1]),
        q3=float(quartiles[2]),
        maximum=float(part[n - 1]),
        median_ci=median_ci,
        median_ci_coverage=coverage,
    )
