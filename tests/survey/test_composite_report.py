"""The composite assessment report PDF: components and weights, results per unit, units in detail; figures taken
from scoring.composite so the report's field names follow the engine; literal user text, fonts, fixed bytes."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from scoring.composite import (
    CompositeSpec,
    SurveyComponent,
    TargetIndicator,
    UnitComposite,
    round_composites,
)
from survey.reports.composite_report import (
    LABELS,
    ComponentScore,
    CompositeReportData,
    CompositeUnit,
    build_composite_report,
)
from survey.reports.evaluation import Method, Publication
from tests.survey.test_report_toolkit import fonts, page_count, pdf_text
from tests.survey.test_round_report import NAMES, squash, squashed
from tests.survey.test_unit_report import HEAD, JINJA, MARKUP

TOTALS = (88.4, 86.3, 84.6, 83.3, 81.2, 79.5)


def _spec(n: int) -> CompositeSpec:
    units = []
    for i in range(n):
        units.append(UnitComposite(f"XC-{i + 1:03d}", (
            TargetIndicator("mutual_aid_card_rate", actual=round(0.95 - 0.03 * (i % 6), 2), target=0.90, weight=15,
                            title="职工互助保障卡办理率"),
            TargetIndicator("complaint_backlog", actual=2 + i % 4, target=2, weight=5, direction="lower", worst=10,
                            title="积压未办结诉求件数"),
            SurveyComponent("member_satisfaction", value=round(0.92 - 0.02 * (i % 5), 2), weight=20, scale="share",
                            title=f"会员满意度调查 {MARKUP}" if i == 0 else "会员满意度调查"),
        )))
    return CompositeSpec(open_door_weight=60, units=tuple(units))


def report_data(n: int = len(TOTALS)) -> CompositeReportData:
    spec = _spec(n)
    totals = {f"XC-{i + 1:03d}": TOTALS[i % len(TOTALS)] - 0.1 * (i // len(TOTALS)) for i in range(n)}
    totals["XC-003"] = float("nan")  # no open-door total: no composite
    result = round_composites(spec, totals)
    parameters = {c.code: c for entry in spec.units for c in entry.components}
    units = []
    for i, unit in enumerate(result.units):
        components = ()
        if unit.result is not None:
            entry = spec.units[i]
            by_code = {c.code: c for c in entry.components}
            rows = []
            for r in unit.result.components:
                extra = {}
                source = by_code.get(r.code)
                if isinstance(source, TargetIndicator):
                    extra = {"target": source.target, "direction": source.direction, "floor": source.floor,
                             "worst": source.worst}
                elif isinstance(source, SurveyComponent):
                    extra = {"scale": source.scale}
                else:
                    extra = {"scale": 100.0}
                fields = dict(r.__dict__, title="" if r.kind == "open_door" else r.title)
                rows.append(ComponentScore(**fields, **extra))
            components = tuple(rows)
        name = NAMES[i] if i < len(NAMES) else f"第{i + 1:03d}号基层工会联合会"
        units.append(CompositeUnit(unit.unit, name, unit.result.score if unit.result else None, components,
                                   note="" if unit.result else "本单位的评分表全部因回避被排除，没有开门打分总分"))
    assert parameters  # the spec was read
    return CompositeReportData(
        round_name="2014年开门打分", period="2014年", organisation="西城区总工会", generated_at="2014-06-25 10:00",
        open_door_weight=result.open_door_weight, total_weight=result.total_weight, units=tuple(units),
        recipients=("北京市总工会", "中共西城区委组织部"), notes=(f"目标值依据 2014 年服务体系建设目标 {JINJA}",),
        method=Method(seed=20140601), audit_head=HEAD, publication=Publication(1, "2014-06-25 09:00"),
    )


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_the_report_shows_components_weights_and_results_in_chinese(tmp_path):
    pdf = build_composite_report(report_data())
    text = flat(pdf_text(pdf, tmp_path))
    for expected in ("综合考核报告", "2014年开门打分", "西城区总工会", "北京市总工会；中共西城区委组织部",
                     "一、考核构成与权重", "二、综合结果", "三、各单位明细", "四、计分方法", "五、版本与审计",
                     "开门打分", "职工互助保障卡办理率", "积压未办结诉求件数", "目标指标", "满意度调查",
                     "得分 = 100 × 开门打分总分 ÷ 100", "实际值为 0 时得 0 分，达到目标 0.9 得 100 分",
                     "实际值不高于目标 2 得 100 分，达到 10 得 0 分", "得分 = 100 × 比例", *NAMES[:6],
                     "开门打分权重 60，与目标指标、满意度结果合计 100 分", "综合得分",
                     "无综合得分：本单位的评分表全部因回避被排除，没有开门打分总分",
                     "第 1 版，发布于 2014-06-25 09:00", HEAD, "生成于 2014-06-25 10:00"):
        assert expected in text, expected
    # unit 1: 88.4 × 0.6 = 53.04; card rate 0.95 ≥ 0.90 → 100 × 15% = 15; backlog 2 → 5; share 0.92 → 18.4
    assert "53.04" in text and "15.00" in text and "18.40" in text and "91.44" in text
    assert "1/" in text.replace(" ", "")


def test_units_are_ranked_by_composite_and_a_unit_without_one_comes_last_with_its_reason(tmp_path):
    pdf = build_composite_report(report_data())
    text = pdf_text(pdf, tmp_path)
    rows = [line.split() for line in text.splitlines()
            if line.split() and line.split()[0] in {"1", "2", "3", "4", "5", "—"} and "工会" in line]
    table = text[text.index("名次"):]  # the results table, after the chart
    rows = [line.split() for line in table.splitlines() if len(line.split()) >= 2 and line.split()[1] in NAMES]
    ranking = rows[:6]
    assert [r[0] for r in ranking] == ["1", "2", "3", "4", "5", "—"]
    assert ranking[0][1:] == [NAMES[0], "53.04", "15.00", "5.00", "18.40", "91.44"]
    assert ranking[-1] == ["—", NAMES[2], "—"]
    assert squashed(pdf, tmp_path).count("无综合得分：本单位的评分表全部因回避被排除") == 2  # results and details


def test_user_text_prints_literally(tmp_path):
    data = replace(report_data(), round_name=f"2014年 {MARKUP} {JINJA}")
    data = replace(data, units=(replace(data.units[0], name=f"什刹海 {MARKUP} {JINJA} 工会"), *data.units[1:]))
    pdf = build_composite_report(data)
    text = flat(pdf_text(pdf, tmp_path))
    assert f"2014年 {MARKUP} {JINJA}" in text
    assert f"目标值依据 2014 年服务体系建设目标 {JINJA}" in text
    whole = squashed(pdf, tmp_path)
    assert whole.count(squash(f"什刹海 {MARKUP} {JINJA} 工会")) >= 3  # chart, results, details
    assert squash(f"会员满意度调查 {MARKUP}") in whole


def test_the_english_variant(tmp_path):
    text = flat(pdf_text(build_composite_report(report_data(), "en"), tmp_path))
    for expected in ("Composite assessment report", "1. Components and weights", "2. Results", "3. Units in detail",
                     "open-door scoring", "target indicator", "score = 100 × share", "Submitted to",
                     "version 1, published 2014-06-25 09:00", "Generated 2014-06-25 10:00"):
        assert expected in text, expected
    assert "职工互助保障卡办理率" in text and "考核构成" not in text


def test_caller_labels_replace_the_defaults(tmp_path):
    labels = replace(LABELS["zh"], sec_results="二、综合得分排名")
    assert "二、综合得分排名" in pdf_text(build_composite_report(report_data(), labels), tmp_path)


def test_every_font_is_embedded(tmp_path):
    rows = fonts(build_composite_report(report_data()), tmp_path)
    assert rows and all(row["name"].endswith("WenQuanYiMicroHei") and row["emb"] == "yes" for row in rows), rows


def test_the_same_data_gives_the_same_bytes_even_in_another_process(tmp_path):
    pdf = build_composite_report(report_data())
    assert build_composite_report(report_data()) == pdf
    script = ("import sys; from tests.survey.test_composite_report import report_data; "
              "from survey.reports.composite_report import build_composite_report; "
              "sys.stdout.buffer.write(build_composite_report(report_data()))")
    other = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True,
                           cwd=Path(__file__).resolve().parents[2]).stdout
    assert other == pdf


def test_many_units_split_the_results_table_with_its_header(tmp_path):
    pdf = build_composite_report(report_data(60))
    pages = page_count(pdf, tmp_path)
    seen = []
    for page in range(1, pages + 1):
        text = pdf_text(pdf, tmp_path, page)
        if "综合得分" in text and "（100）" in text and re.search(r"第0\d\d号", text):
            seen.append(page)
            assert "名次" in text and "单位" in text, page
    assert len(seen) >= 2


def test_ties_share_the_better_rank():
    from survey.reports.composite_report import _ranked
    units = [CompositeUnit("a", "甲", 80.0), CompositeUnit("b", "乙", 90.0), CompositeUnit("c", "丙", 80.0),
             CompositeUnit("d", "丁", None), CompositeUnit("e", "戊", 70.0)]
    assert [(rank, u.code) for rank, u in _ranked(units)] == [(1, "b"), (2, "a"), (2, "c"), (4, "e"), (None, "d")]


@pytest.mark.parametrize("language", ["zh", "en"])
def test_an_empty_composite_report_builds(tmp_path, language):
    data = CompositeReportData(round_name="空轮次", period="2014年", organisation="西城区总工会", generated_at="—",
                               open_door_weight=60, units=())
    assert "空轮次" in pdf_text(build_composite_report(data, language), tmp_path)
