"""Shared fixtures for the scoring-engine tests: small hand-made frameworks and
a generator of rounds shaped like the 2014 open-door scoring (DOMAIN.md
section 2): 10 areas x 4 criteria, 27 worker representatives in 4 panels,
9 directly affiliated unions.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pytest

from scoring.recusal import RecusalRules
from scoring.types import Area, Criterion, Framework, RaterInfo, Score, Settings, UnitInfo

#: Criterion maxima inside every area; they add up to 10 = the area's weight,
#: so one point on any criterion is exactly one point of the 100-point total.
AREA_MAXIMA = (2.0, 2.0, 3.0, 3.0)
AREA_CODES = (
    "rights",  # 依法维权 lawful rights protection
    "self_building",  # 自身建设
    "publicity",  # 宣传教育
    "safety",  # 安全生产
    "democratic_mgmt",  # 民主管理
    "model_workers",  # 劳模工作
    "warmth",  # 温暖工程
    "mutual_insurance",  # 职工互助保险办理
    "union_fees",  # 工会经费收取及审查
    "service_stations",  # the unnamed tenth area: a plausible stand-in
)


def make_framework(n_areas: int = 10, maxima: tuple[float, ...] = AREA_MAXIMA, step: float = 0.5) -> Framework:
    """n_areas areas of weight 100/n_areas; criteria maxima ``maxima`` in every area."""
    weight = 100.0 / n_areas
    areas = []
    for a in range(n_areas):
        code = AREA_CODES[a] if a < len(AREA_CODES) else f"area{a + 1}"
        crits = tuple(Criterion(f"{code}.{i + 1}", code, m, step) for i, m in enumerate(maxima))
        areas.append(Area(code, weight, crits))
    return Framework(tuple(areas))


def one_area_framework(max_points: float = 10.0, n_criteria: int = 1, step: float = 0.5) -> Framework:
    """A single area of weight 100 whose criteria all have the same maximum."""
    crits = tuple(Criterion(f"c{i + 1}", "A", max_points, step) for i in range(n_criteria))
    return Framework((Area("A", 100.0, crits),))


@dataclass(frozen=True)
class Round:
    """Inputs of one round, ready for ``run_round(**round.kwargs())``."""

    framework: Framework
    scores: tuple[Score, ...]
    raters: dict
    units: dict
    settings: Settings
    rules: RecusalRules = field(default_factory=RecusalRules)

    def kwargs(self) -> dict:
        return dict(
            framework=self.framework,
            scores=self.scores,
            raters=self.raters,
            units=self.units,
            settings=self.settings,
            rules=self.rules,
        )


def make_round(
    seed: int = 0,
    n_units: int = 9,
    n_raters: int = 27,
    n_panels: int = 4,
    framework: Framework | None = None,
    missing_rate: float = 0.0,
    own_unit_raters: int = 4,
    include_recused: bool = True,
    settings: Settings | None = None,
) -> Round:
    """A seeds-shaped round: every rater scores every unit (Beijing 2014 design).

    Unit quality is drawn from U(0.45, 0.9) of each maximum, rater severity
    from N(0, 0.06), noise N(0, 0.08); points are rounded to the step and
    clipped to [0, max]. The first ``own_unit_raters`` raters belong to units
    u01, u02, ...: recusal (own unit) forbids those pairs. With
    ``include_recused`` their scores are in the table anyway (a side door
    recusal must close). ``missing_rate`` blanks that share of the rows
    ("cannot judge").
    """
    rng = np.random.default_rng(seed)
    fw = framework or make_framework()
    units = {
        f"u{i + 1:02d}": UnitInfo(f"u{i + 1:02d}", sub_district=f"sd{i % 3}", industry=f"ind{i % 4}")
        for i in range(n_units)
    }
    unit_ids = list(units)
    raters = {}
    for r in range(n_raters):
        rid = f"r{r + 1:02d}"
        home = unit_ids[r] if r < own_unit_raters and r < n_units else f"other{r}"
        raters[rid] = RaterInfo(rid, home_unit=home, panel=f"P{r % n_panels + 1}", sub_district=f"sd{r % 5}")
    quality = rng.uniform(0.45, 0.9, n_units)
    severity = rng.normal(0, 0.06, n_raters)
    scores = []
    for u, uid in enumerate(unit_ids):
        for r, rid in enumerate(raters):
            if not include_recused and raters[rid].home_unit == uid:
                continue
            for c in fw.criteria():
                share = quality[u] + severity[r] + rng.normal(0, 0.08)
                points = float(np.clip(np.round(share * c.max_points / c.step) * c.step, 0, c.max_points))
                blank = missing_rate > 0 and rng.random() < missing_rate
                scores.append(Score(uid, rid, c.code, None if blank else points))
    return Round(fw, tuple(scores), raters, units, settings or Settings(bootstrap=200, seed=7))


@pytest.fixture
def seeds_round() -> Round:
    """The 27 x 9 x 40 round with 200 bootstrap replicates (fast enough for tests)."""
    return make_round()


@pytest.fixture
def small_round() -> Round:
    """A 7-rater, 4-unit, one-area round for quick engine tests."""
    return make_round(seed=3, n_units=4, n_raters=7, n_panels=2, framework=one_area_framework(10.0, 2), own_unit_raters=2)


def with_settings(rnd: Round, **changes) -> Round:
    """The same round under other settings."""
    return replace(rnd, settings=replace(rnd.settings, **changes))
