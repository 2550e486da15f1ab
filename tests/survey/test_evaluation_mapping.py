"""The report data can be filled from a real scoring.engine.RoundResult as the builders' docstrings say, and the
helpers in survey.reports.evaluation turn engine arrays into report figures."""

from __future__ import annotations

import math
import re

import numpy as np

from scoring.engine import run_round
from scoring.types import (
    Area,
    Criterion,
    Framework,
    RaterInfo,
    RaterType,
    Score,
    Settings,
    UnitInfo,
)
from survey.reports.evaluation import (
    Method,
    RecusalCount,
    method_of,
    peer_position,
    rank_interval,
    spread,
)
from survey.reports.round_report import (
    FrameworkArea,
    FrameworkCriterion,
    RankedUnit,
    RaterEffect,
    ReliabilityRow,
    RoundReportData,
    build_round_report,
)
from survey.reports.unit_report import (
    AreaResult,
    CriterionResult,
    UnitReportData,
    build_unit_report,
)
from tests.survey.test_report_toolkit import pdf_text

UNIT_NAMES = {"u1": "什刹海街道第一联合工会", "u2": "德胜街道联合工会", "u3": "金融街街道总工会", "u4": "月坛街道联合工会",
              "u5": "展览路街道联合工会"}
FRAMEWORK = Framework((
    Area("A01", 60, (Criterion("A01.1", "A01", 3, 0.5, "签订集体合同并报送备案"),
                     Criterion("A01.2", "A01", 3, 0.5, "劳动合同签订率达到100%"))),
    Area("A02", 40, (Criterion("A02.1", "A02", 2, 0.5, "按期换届"), Criterion("A02.2", "A02", 2, 0.5, "职工入会率达到95%"))),
))


def round_result():
    raters = [RaterInfo(f"r{i}", RaterType.UNION_CHAIR if i % 3 == 0 else RaterType.WORKER_REPRESENTATIVE,
                        home_unit="u1" if i == 1 else None, panel="A" if i <= 3 else "B") for i in range(1, 7)]
    units = [UnitInfo(u) for u in UNIT_NAMES]
    scores = []
    for u, unit in enumerate(UNIT_NAMES):
        for r in range(1, 7):
            for c, crit in enumerate(FRAMEWORK.criteria()):
                points = max(0.0, min(crit.max_points, crit.max_points - 0.5 * ((u + r + c) % 4) - 0.5 * (u // 2)))
                scores.append(Score(unit, f"r{r}", crit.code, points))
    return run_round(FRAMEWORK, scores, raters, units, Settings(bootstrap=300, seed=7))


def unit_data(res, u: int) -> UnitReportData:
    """The mapping of the unit report's docstring, written out."""
    d = res.to_dict()
    row = d["unit_results"][u]
    agg = res.aggregate
    finite = [float(t) for t in agg.totals if math.isfinite(t)]
    low, high = rank_interval(res.uncertainty.rank_probabilities[u], res.settings.confidence)
    group = next(g for g in res.uncertainty.groups if res.units[u] in g)
    areas = []
    for a, area in enumerate(res.framework.areas):
        column = [float(x) for x in agg.subtotals[:, a] if math.isfinite(x)]
        areas.append(AreaResult(area.code, area.title or area.code, area.weight, float(agg.subtotals[u, a]),
                                float(np.median(column)), min(column), max(column)))
    criteria = []
    for c, crit in enumerate(res.framework.criteria()):
        median, relative = peer_position(agg.points[u, c], agg.points[:, c])
        applied = str(agg.applied[u, c])
        criteria.append(CriterionResult(crit.code, crit.title, crit.area, crit.max_points, float(agg.points[u, c]),
                                        spread(agg.values[u, :, c]),
                                        applied if applied != agg.method.value else "", median, relative))
    return UnitReportData(
        round_name="2014年开门打分", period="2014年", unit_name=UNIT_NAMES[res.units[u]], unit_code=res.units[u],
        generated_at="2014-06-20 16:30", total=row["total"], total_low=row["ci_low"], total_high=row["ci_high"],
        rank=int(row["rank"]), rank_low=low, rank_high=high, units_ranked=len(finite),
        not_distinguishable=tuple(UNIT_NAMES[x] for x in group if x != res.units[u]),
        areas=tuple(areas), criteria=tuple(criteria), raters=row["n_cards"],
        recusals=tuple(RecusalCount(c.code, c.cards, c.rows) for c in res.recusal.by_reason) if u == 0 else (),
        method=method_of(res.settings), total_note=res.aggregate.total_notes[u],
    )


def round_data(res) -> RoundReportData:
    t = res.tables()
    confidence = res.settings.confidence
    units = []
    for u, row in enumerate(t["units"]):
        low, high = rank_interval(res.uncertainty.rank_probabilities[u], confidence)
        units.append(RankedUnit(row["unit"], UNIT_NAMES[row["unit"]], row["total"], int(row["rank"]), row["ci_low"],
                                row["ci_high"], low, high, row["group"], row["n_cards"],
                                tuple(float(x) for x in res.aggregate.subtotals[u]), note=row["note"]))
    framework = tuple(FrameworkArea(a["code"], a["title"] or a["code"], a["weight"],
                                    tuple(FrameworkCriterion(c["code"], c["title"], c["max_points"])
                                          for c in a["criteria"]))
                      for a in res.to_dict()["framework"]["areas"])
    reliability = tuple(ReliabilityRow(r["scope"], r["measure"], r["value"], r["ci_low"], r["ci_high"],
                                       r["n_raters"], r["n_units"], r["note"]) for r in t["reliability"])
    pseudonyms = {rater: f"R{i:02d}" for i, rater in enumerate(res.raters, start=1)}
    effects = tuple(RaterEffect(pseudonyms[r["rater"]], r["panel"], r["n_units"], r["severity"], r["severity_se"],
                                tuple(r["flags"].split()), None, r["loo_max_rank_change"]) for r in t["raters"])
    return RoundReportData(
        round_name="2014年开门打分", period="2014年", organisation="西城区总工会", generated_at="2014-06-20 16:30",
        units=tuple(units), framework=framework, audit_head="ab" * 32, raters=len(res.raters),
        reliability=reliability, rater_effects=effects,
        recusals=tuple(RecusalCount(r["code"], r["cards"], r["rows"]) for r in t["recusal"]),
        method=method_of(res.settings),
    )


def test_a_unit_report_filled_from_a_round_result_shows_the_engine_figures(tmp_path):
    res = round_result()
    data = unit_data(res, 0)
    text = re.sub(r"\s+", " ", pdf_text(build_unit_report(data), tmp_path))
    assert f"{data.total:.1f}（{data.total_low:.1f}–{data.total_high:.1f}）" in text
    assert f"第 {data.rank} 名（{data.rank_low}–{data.rank_high}），共 5 个单位" in text
    assert "签订集体合同并报送备案" in text
    assert re.search(r"本单位 1 4 ", text)  # r1 belongs to u1: one own-unit recusal (a card of four rows)
    assert data.raters == 5


def test_a_round_report_filled_from_a_round_result_shows_every_unit_and_no_rater_id(tmp_path):
    res = round_result()
    text = pdf_text(build_round_report(round_data(res)), tmp_path)
    flat = re.sub(r"\s+", " ", text)
    for u, unit in enumerate(res.units):
        assert UNIT_NAMES[unit] in flat
        assert f"{res.totals[u]:.1f}" in flat
    assert "R01" in text and "R06" in text
    assert not re.search(r"\br[1-6]\b", text)  # engine ids never printed
    assert "Krippendorff α（等距）" in flat and "ICC(2,1) 单个评分人" in flat


def test_rank_interval_peer_position_and_method_of():
    assert rank_interval([1.0, 0, 0]) == (1, 1)
    assert rank_interval([0.5, 0.5]) == (1, 2)
    assert rank_interval([]) == (None, None)
    assert peer_position(None, [1, 2, 3]) == (2.0, None)
    assert peer_position(2, [2, 2, 2]) == (2.0, None)  # no spread across units: no standardised difference
    assert peer_position(1, [float("nan")]) == (None, None)
    method = method_of(Settings(bootstrap=500, seed=3))
    assert method == Method("trimmed", 1, 3, "median", "rescale", 500, 0.95, 3)


def test_the_docstring_examples_of_the_evaluation_helpers_hold():
    import doctest

    from survey.reports import evaluation

    result = doctest.testmod(evaluation, report=False)
    assert result.attempted >= 4 and result.failed == 0
