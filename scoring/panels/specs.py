"""Settings of the two forming models, validated and frozen on construction."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from scoring.types import RaterType, ScoringInputError

__all__ = ["Quota", "CommitteeSpec", "RotatingPanelSpec"]

Quota = tuple[int, int]


@dataclass(frozen=True)
class CommitteeSpec:
    """Settings for :func:`~scoring.panels.form_committees`.

    ``committee_size`` fixes every committee's size; set it to None and use
    ``min_size``/``max_size`` for a range (``min_size`` is then the minimum
    number of raters per unit). ``quotas`` maps a unit kind to
    ``{rater_type: (min, max)}`` (rater types as :class:`RaterType` or their
    string values); kinds not listed have no make-up rule and
    rater types not listed for a kind are unrestricted. ``history`` holds
    ``(rater_id, unit_id)`` pairs from previous rounds (pairs naming raters or
    units not in this round are ignored); each repeated pair costs
    ``rotation_weight`` in the objective, one unit of load spread costs
    ``balance_weight``. ``balance_by_type`` balances load within each rater
    type (quotas usually make the types' loads differ on purpose);
    ``max_units_per_rater`` is a hard cap. ``time_limit`` is in seconds.
    """

    committee_size: int | None = 9
    min_size: int | None = None
    max_size: int | None = None
    quotas: Mapping[str, Mapping[RaterType, Quota]] = field(default_factory=dict)
    history: frozenset[tuple[str, str]] = frozenset()
    rotation_weight: float = 1.0
    balance_weight: float = 1.0
    balance_by_type: bool = True
    max_units_per_rater: int | None = None
    time_limit: float = 10.0

    def __post_init__(self) -> None:
        if self.committee_size is not None:
            if self.min_size is not None or self.max_size is not None:
                raise ScoringInputError("give committee_size or min_size/max_size, not both")
            _require_count(self.committee_size, "committee_size", minimum=1)
        else:
            _require_count(self.min_size if self.min_size is not None else 1, "min_size", minimum=1)
            if self.max_size is not None:
                _require_count(self.max_size, "max_size", minimum=1)
                if self.min_size is not None and self.max_size < self.min_size:
                    raise ScoringInputError(f"max_size {self.max_size} is below min_size {self.min_size}")
        if self.max_units_per_rater is not None:
            _require_count(self.max_units_per_rater, "max_units_per_rater", minimum=1)
        object.__setattr__(self, "quotas", _freeze_kind_quotas(self.quotas, "quotas", _freeze_range))
        object.__setattr__(self, "history", _freeze_history(self.history))
        _require_weight(self.rotation_weight, "rotation_weight")
        _require_weight(self.balance_weight, "balance_weight")
        _require_time_limit(self.time_limit)

    def size_range(self, n_raters: int) -> tuple[int, int]:
        """``(min, max)`` committee size; an open maximum is the number of raters."""
        if self.committee_size is not None:
            return self.committee_size, self.committee_size
        low = self.min_size if self.min_size is not None else 1
        return low, self.max_size if self.max_size is not None else max(n_raters, low)


@dataclass(frozen=True)
class RotatingPanelSpec:
    """Settings for :func:`~scoring.panels.form_rotating_panels`.

    Panel sizes default to as equal as possible (``floor(R/G)`` to
    ``ceil(R/G)``, at least 1), and so do units per panel (``floor(U/G)`` to
    ``ceil(U/G)``). ``panel_quotas`` maps a rater type to ``(min, max)``
    members of that type on every panel. ``min_raters_per_unit`` is the number
    of *eligible* (not recused) members the unit's panel must have; the default
    5 leaves 3 after a trimmed mean drops one rater at each end.
    ``unit_quotas`` maps a unit kind to ``{rater_type: min}`` eligible members
    of that type on the panel of each unit of that kind. ``coverage_weight``
    rewards raising the smallest number of eligible scorers of any unit;
    ``history`` and ``rotation_weight`` work as in :class:`CommitteeSpec`.
    """

    n_panels: int = 4
    min_panel_size: int | None = None
    max_panel_size: int | None = None
    min_units_per_panel: int | None = None
    max_units_per_panel: int | None = None
    panel_quotas: Mapping[RaterType, Quota] = field(default_factory=dict)
    unit_quotas: Mapping[str, Mapping[RaterType, int]] = field(default_factory=dict)
    min_raters_per_unit: int = 5
    history: frozenset[tuple[str, str]] = frozenset()
    rotation_weight: float = 1.0
    coverage_weight: float = 1.0
    time_limit: float = 10.0

    def __post_init__(self) -> None:
        _require_count(self.n_panels, "n_panels", minimum=1)
        for name in ("min_panel_size", "max_panel_size", "min_units_per_panel", "max_units_per_panel"):
            if getattr(self, name) is not None:
                _require_count(getattr(self, name), name, minimum=0)
        for low, high in (("min_panel_size", "max_panel_size"), ("min_units_per_panel", "max_units_per_panel")):
            lo, hi = getattr(self, low), getattr(self, high)
            if lo is not None and hi is not None and hi < lo:
                raise ScoringInputError(f"{high} {hi} is below {low} {lo}")
        _require_count(self.min_raters_per_unit, "min_raters_per_unit", minimum=0)
        object.__setattr__(self, "panel_quotas", _freeze_type_map(self.panel_quotas, "panel_quotas", _freeze_range))
        object.__setattr__(self, "unit_quotas", _freeze_kind_quotas(self.unit_quotas, "unit_quotas", _freeze_minimum))
        object.__setattr__(self, "history", _freeze_history(self.history))
        _require_weight(self.rotation_weight, "rotation_weight")
        _require_weight(self.coverage_weight, "coverage_weight")
        _require_time_limit(self.time_limit)

    def panel_size_range(self, n_raters: int) -> tuple[int, int]:
        low = self.min_panel_size if self.min_panel_size is not None else max(1, n_raters // self.n_panels)
        high = self.max_panel_size if self.max_panel_size is not None else max(low, -(-n_raters // self.n_panels))
        return low, high

    def units_per_panel_range(self, n_units: int) -> tuple[int, int]:
        low = self.min_units_per_panel if self.min_units_per_panel is not None else n_units // self.n_panels
        high = self.max_units_per_panel
        if high is None:
            high = max(low, -(-n_units // self.n_panels))
        return low, high


# --------------------------------------------------------------------------- spec validation


def _require_count(value: object, name: str, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ScoringInputError(f"{name} must be an integer of at least {minimum}, not {value!r}")


def _require_weight(value: float, name: str) -> None:
    if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
        raise ScoringInputError(f"{name} must be a finite number >= 0, not {value!r}")


def _require_time_limit(value: float) -> None:
    if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
        raise ScoringInputError(f"time_limit must be a positive number of seconds, not {value!r}")


def _rater_type(key: object, where: str) -> RaterType:
    try:
        return RaterType(key)
    except ValueError:
        raise ScoringInputError(f"{where}: unknown rater type {key!r}") from None


def _freeze_range(value: object, where: str) -> Quota:
    try:
        low, high = value  # type: ignore[misc]
    except (TypeError, ValueError):
        raise ScoringInputError(f"{where}: expected (min, max), got {value!r}") from None
    _require_count(low, f"{where} min", minimum=0)
    _require_count(high, f"{where} max", minimum=0)
    if high < low:
        raise ScoringInputError(f"{where}: max {high} is below min {low}")
    return int(low), int(high)


def _freeze_minimum(value: object, where: str) -> int:
    _require_count(value, f"{where} min", minimum=0)
    return int(value)  # type: ignore[arg-type]


def _freeze_type_map(mapping: Mapping, where: str, freeze_value: Callable) -> Mapping:
    frozen = {}
    for key, value in dict(mapping).items():
        rater_type = _rater_type(key, where)
        frozen[rater_type] = freeze_value(value, f"{where}[{rater_type.value}]")
    return MappingProxyType(frozen)


def _freeze_kind_quotas(mapping: Mapping, where: str, freeze_value: Callable) -> Mapping:
    return MappingProxyType(
        {kind: _freeze_type_map(per_type, f"{where}[{kind}]", freeze_value) for kind, per_type in dict(mapping).items()}
    )


def _freeze_history(history: Iterable[tuple[str, str]]) -> frozenset[tuple[str, str]]:
    pairs = []
    for pair in history:
        if not (isinstance(pair, tuple) and len(pair) == 2):
            raise ScoringInputError(f"history entries are (rater_id, unit_id) pairs, not {pair!r}")
        pairs.append((str(pair[0]), str(pair[1])))
    return frozenset(pairs)
