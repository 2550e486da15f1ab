"""The aggregation settings: checked before any score is touched."""

from __future__ import annotations

import math

import numpy as np

from scoring.types import AggregationMethod, MissingPolicy, ScoringInputError, Settings

__all__ = ["check_settings"]


def check_settings(settings: Settings) -> None:
    """Raise :class:`ScoringInputError` naming the first setting that cannot work.

    Parameters
    ----------
    settings : Settings
        The aggregation, bootstrap and shrinkage settings of a round.

    Examples
    --------
    >>> check_settings(Settings(trim=-1))
    Traceback (most recent call last):
    ...
    scoring.types.ScoringInputError: settings.trim is -1; it must be a whole number >= 0
    """
    parse_method(settings.method, "settings.method")
    fallback = parse_method(settings.fallback, "settings.fallback")
    parse_policy(settings.missing_policy)
    if not _is_whole(settings.trim) or settings.trim < 0:
        raise ScoringInputError(f"settings.trim is {settings.trim!r}; it must be a whole number >= 0")
    if not _is_whole(settings.min_raters) or settings.min_raters < 1:
        raise ScoringInputError(f"settings.min_raters is {settings.min_raters!r}; it must be a whole number >= 1")
    if fallback not in (AggregationMethod.MEAN, AggregationMethod.MEDIAN):
        raise ScoringInputError(
            f"settings.fallback is {fallback.value!r}; a fallback must be 'mean' or 'median' "
            "(it is used when too few raters remain to trim)"
        )
    if not _is_whole(settings.bootstrap) or settings.bootstrap < 0:
        raise ScoringInputError(f"settings.bootstrap is {settings.bootstrap!r}; it must be a whole number >= 0")
    if not _is_whole(settings.seed):
        raise ScoringInputError(f"settings.seed is {settings.seed!r}; it must be a whole number")
    if not (isinstance(settings.confidence, (int, float)) and 0 < settings.confidence < 1):
        raise ScoringInputError(f"settings.confidence is {settings.confidence!r}; it must lie strictly between 0 and 1")
    if not (isinstance(settings.shrinkage, (int, float)) and settings.shrinkage >= 0 and math.isfinite(settings.shrinkage)):
        raise ScoringInputError(f"settings.shrinkage is {settings.shrinkage!r}; it must be a finite number >= 0")


def _is_whole(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def parse_method(value: object, name: str) -> AggregationMethod:
    """``value`` as an :class:`AggregationMethod`, or an error naming the setting ``name``."""
    try:
        return AggregationMethod(value)
    except ValueError:
        options = ", ".join(m.value for m in AggregationMethod)
        raise ScoringInputError(f"{name} is {value!r}; choose one of {options}") from None


def parse_policy(value: object) -> MissingPolicy:
    """``value`` as a :class:`MissingPolicy`, or an error naming ``settings.missing_policy``."""
    try:
        return MissingPolicy(value)
    except ValueError:
        options = ", ".join(p.value for p in MissingPolicy)
        raise ScoringInputError(f"settings.missing_policy is {value!r}; choose one of {options}") from None
