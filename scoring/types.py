"""Engine input types: the criteria framework, the long table of scores, rater
and unit attributes, and the aggregation settings.

These are the contract between the web application (which converts ORM rows at
its boundary) and the engine, and between Kaimen and outside evaluators who
feed the engine from exported CSV/JSON. All are frozen: an engine run can never
change its inputs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum


class ScoringInputError(ValueError):
    """Input the engine refuses, with a message that names the offending row."""


class AggregationMethod(str, Enum):
    MEAN = "mean"
    MEDIAN = "median"
    TRIMMED = "trimmed"  #: drop the k highest and k lowest raters
    WINSORIZED = "winsorized"  #: clamp the k highest and k lowest to their neighbours


class MissingPolicy(str, Enum):
    RESCALE = "rescale"  #: area subtotal rescaled over the criteria that were scored
    ZERO = "zero"  #: a missing criterion counts as zero points
    DROP = "drop"  #: a scorecard with any missing criterion is left out entirely


class RaterType(str, Enum):
    WORKER_REPRESENTATIVE = "worker_representative"
    UNION_CHAIR = "union_chair"
    MODEL_WORKER = "model_worker"
    OTHER = "other"


@dataclass(frozen=True)
class Criterion:
    """One scored criterion; points run from 0 to ``max_points`` in ``step``."""

    code: str
    area: str
    max_points: float
    step: float = 0.5
    title: str = ""


@dataclass(frozen=True)
class Area:
    """An area of the framework; ``weight`` is its share of the 100-point total."""

    code: str
    weight: float
    criteria: tuple[Criterion, ...]
    title: str = ""


@dataclass(frozen=True)
class Framework:
    """Areas and criteria; weights must add up to ``total`` (100 by default)."""

    areas: tuple[Area, ...]
    total: float = 100.0

    def criteria(self) -> tuple[Criterion, ...]:
        return tuple(c for a in self.areas for c in a.criteria)

    def criterion(self, code: str) -> Criterion:
        for c in self.criteria():
            if c.code == code:
                return c
        raise ScoringInputError(f"unknown criterion {code!r}")

    def validate(self) -> None:
        """Raise :class:`ScoringInputError` naming the area that does not add up."""
        if not self.areas:
            raise ScoringInputError("framework has no areas")
        seen: set[str] = set()
        for area in self.areas:
            if not area.criteria:
                raise ScoringInputError(f"area {area.code!r} has no criteria")
            if not (area.weight > 0 and math.isfinite(area.weight)):
                raise ScoringInputError(f"area {area.code!r} has weight {area.weight!r}; it must be positive")
            for c in area.criteria:
                if c.code in seen:
                    raise ScoringInputError(f"criterion {c.code!r} appears twice")
                seen.add(c.code)
                if c.area != area.code:
                    raise ScoringInputError(f"criterion {c.code!r} says area {c.area!r} but sits in {area.code!r}")
                if not (c.max_points > 0 and c.step > 0):
                    raise ScoringInputError(f"criterion {c.code!r} needs a positive maximum and step")
                if not _is_multiple(c.max_points, c.step):
                    raise ScoringInputError(
                        f"criterion {c.code!r}: maximum {c.max_points} is not a multiple of step {c.step}"
                    )
        weights = sum(a.weight for a in self.areas)
        if not math.isclose(weights, self.total, abs_tol=1e-9):
            raise ScoringInputError(
                f"area weights add up to {weights:g}, not {self.total:g} "
                f"({', '.join(f'{a.code}={a.weight:g}' for a in self.areas)})"
            )


def _is_multiple(value: float, step: float) -> bool:
    ratio = value / step
    return math.isclose(ratio, round(ratio), abs_tol=1e-9)


@dataclass(frozen=True)
class Score:
    """One row of the long score table; ``points`` is None for "cannot judge"."""

    unit: str
    rater: str
    criterion: str
    points: float | None


@dataclass(frozen=True)
class RaterInfo:
    """What recusal rules and panel quotas need to know about a rater."""

    id: str
    rater_type: RaterType = RaterType.WORKER_REPRESENTATIVE
    home_unit: str | None = None
    sub_district: str | None = None
    industry: str | None = None
    panel: str | None = None


@dataclass(frozen=True)
class UnitInfo:
    """A unit under evaluation; ``parent`` is its federation in the hierarchy."""

    id: str
    kind: str = "directly_affiliated"
    parent: str | None = None
    sub_district: str | None = None
    industry: str | None = None
    children: tuple[str, ...] = ()


@dataclass(frozen=True)
class Settings:
    """How scores become results; every result echoes the rules it applied."""

    method: AggregationMethod = AggregationMethod.TRIMMED
    trim: int = 1  #: k raters dropped (or winsorised) at each end
    min_raters: int = 3  #: below this many raters after trimming, use ``fallback``
    fallback: AggregationMethod = AggregationMethod.MEDIAN
    missing_policy: MissingPolicy = MissingPolicy.RESCALE
    bootstrap: int = 2000
    seed: int = 20140601
    confidence: float = 0.95
    shrinkage: float = 0.0  #: ridge penalty on rater effects in the additive model
