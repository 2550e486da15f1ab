"""The unit report PDF: figures and names in Chinese, English wording, literal user text, fonts, fixed bytes."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from survey.reports.evaluation import (
    Method,
    Publication,
    RecusalCount,
    Spread,
    Statistic,
    spread,
)
from survey.reports.unit_report import (
    LABELS,
    AreaResult,
    CriterionResult,
    UnitReportData,
    build_unit_report,
)
from tests.survey.test_report_toolkit import fonts, page_count, pdf_text

MARKUP = "<b>x</b> & <font color=red>"
JINJA = "{{ 7*7 }}"
HEAD = "9f3c2a7e5b1d4c6f8a0b2d4e6f8a1c3e5b7d9f1a3c5e7b9d1f3a5c7e9b1d3f5a"

AREAS = (
    ("A01", "依法维权", (("A01.1", "签订集体合同和工资专项集体协议并报送备案", 3),
                        ("A01.2", "督促单位与职工依法签订劳动合同，签订率达到100%", 3),
                        ("A01.3", "建立劳动争议调解委员会（小组），调解制度健全，案件有台账", 2),
                        ("A01.4", "畅通职工诉求渠道，反映的问题有登记、有答复、有结果", 2))),
    ("A02", "自身建设", (("A02.1", "工会委员会、经费审查委员会、女职工委员会按期换届", 3),
                        ("A02.2", "职工入会率达到95%以上，会员信息动态更新率100%", 3),
                        ("A02.3", "工会工作制度健全并执行，有年度工作计划和半年总结", 2),
                        ("A02.4", "工会主席和工会干部参加上级工会组织的培训", 2))),
    ("A03", "宣传教育", (("A03.1", "设有工会宣传栏、网页或微信公众号等宣传阵地，每季度更新", 3),
                        ("A03.2", "组织职工学习政策法规、开展技能培训，每年不少于两次", 3),
                        ("A03.3", f"按要求向区总工会报送工作信息 {MARKUP}", 2),
                        ("A03.4", "开展职工文化体育活动，并参加区总工会组织的活动", 2))),
    ("A04", "安全生产", (("A04.1", "建立工会劳动保护监督检查委员会（小组）", 3),
                        ("A04.2", "开展安全生产隐患排查和“安康杯”竞赛活动", 3),
                        ("A04.3", "女职工特殊劳动保护专项集体合同签订并履行", 2),
                        ("A04.4", "职业病防治宣传和职工健康体检", 2))),
)
#: per criterion: the unit's points, the raters' points, the round's median and the standardised difference
POINTS = (2.5, 3.0, 1.5, 2.0, 2.0, 2.5, 2.0, 1.0, 3.0, 2.5, 1.0, 2.0, 2.5, 2.0, 2.0, 1.5)
MEDIANS = (2.0, 2.5, 1.5, 1.5, 2.5, 2.5, 1.5, 1.5, 2.0, 2.5, 1.5, 1.5, 2.5, 2.5, 1.5, 1.5)
RELATIVE = (1.12, 1.46, 0.0, 0.85, -1.37, 0.0, 0.71, -1.84, 2.05, 0.0, -0.92, 0.64, 0.0, -0.58, 0.77, 0.0)


def _criteria(areas=AREAS) -> tuple[CriterionResult, ...]:
    out = []
    for i, (area, _, criteria) in enumerate(a for a in areas):
        for j, (code, title, maximum) in enumerate(criteria):
            n = 4 * i + j
            p = min(maximum, POINTS[n % len(POINTS)])
            raters = [max(0.0, min(maximum, p + d)) for d in (-1.0, -0.5, 0.0, 0.0, 0.5, 0.5, 0.0, -0.5, 0.5)]
            out.append(CriterionResult(code, title, area, maximum, p, spread(raters), round_median=MEDIANS[n % 16],
                                       relative=RELATIVE[n % 16], method="median" if code == "A04.4" else ""))
    return tuple(out)


def report_data(areas=AREAS) -> UnitReportData:
    crits = _criteria(areas)
    area_results = []
    for code, title, _ in areas:
        mine = [c for c in crits if c.area == code]
        score = round(10 * sum(c.score for c in mine) / sum(c.max_points for c in mine), 2)
        area_results.append(AreaResult(code, title, 10, score, median=7.5, low=4.5, high=9.5))
    return UnitReportData(
        round_name="2014年开门打分", period="2014年", unit_name="什刹海街道第一联合工会",
        unit_name_en="Shichahai First Joint Union", unit_code="XC-SCH01", organisation="西城区总工会",
        generated_at="2014-06-20 16:30", total=82.4, total_low=79.1, total_high=85.6, rank=3, rank_low=2, rank_high=5,
        units_ranked=27, not_distinguishable=("德胜街道联合工会", f"金融街 {MARKUP} 工会"),
        areas=tuple(area_results), criteria=crits, raters=9,
        recusals=(RecusalCount("own_unit", 1), RecusalCount("same_sub_district", 2), RecusalCount("declared", 1)),
        reliability=(Statistic("ICC(2,1) 评审组 A", 0.612, 0.48, 0.73), Statistic("Krippendorff α（等距）", 0.587)),
        notes=("评分人效应为参考信息，未用于调整任何得分。", "评审组 A 中有 1 位评分人整体偏宽（+3.1 分）。"),
        comments=(f"台账齐全 {MARKUP}，建议加强宣传。", f"职工书屋开放时间短 {JINJA}", "<i>调解</i>案件记录清楚\n第二行"),
        method=Method("trimmed", 1, 3, "median", "rescale", 2000, 0.95, 20140601, notes=("名次：1 为最高分；并列取最小名次。",)),
        audit_head=HEAD, publication=Publication(2, "2014-06-21 09:00", note="更正 A02.3 的一张评分表", verify="/verify"),
    )


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_the_report_shows_names_figures_and_sections_in_chinese(tmp_path):
    pdf = build_unit_report(report_data())
    text = pdf_text(pdf, tmp_path)
    joined = flat(text)
    for expected in ("什刹海街道第一联合工会", "Shichahai First Joint Union", "XC-SCH01", "2014年开门打分", "西城区总工会",
                     "82.4（79.1–85.6） / 100", "第 3 名（2–5），共 27 个单位", "德胜街道联合工会",
                     "一、各领域得分", "二、相对强项与弱项", "三、各项指标得分", "四、评分人与回避", "五、信度与评分人效应",
                     "六、评语（匿名）", "七、方法说明", "八、版本与审计", "依法维权", "自身建设", "宣传教育", "安全生产",
                     "签订集体合同和工资专项集体协议并报送备案", "A04.3", "全轮中位数", "相对强项", "相对弱项",
                     "+2.05", "-1.84", "本单位", "同一街道", "本人声明的利益冲突", "ICC(2,1) 评审组 A", "0.612",
                     "0.480–0.730", "未用于调整任何得分", "截尾均值，两端各去掉 1 位评分人", "2,000", "20140601",
                     "第 2 版，发布于 2014-06-21 09:00", "更正 A02.3 的一张评分表", HEAD, "生成于 2014-06-20 16:30",
                     "* 该项有效评分人不足，按中位数计。", "4 张评分表"):
        assert expected in joined, expected
    assert "1/3" in text.replace(" ", "")  # "n / N" footer
    # a criterion row: code, title, max, score, raters' min–max and quartiles, SD, n, the round's median
    first, row = [line for line in text.splitlines() if line.strip().startswith("A01.1")]
    assert first.split() == ["A01.1", "签订集体合同和工资专项集体协议并报送备案", "2.5", "/", "3.0", "2.0", "+1.12"]  # a strength
    assert row.split() == ["A01.1", "签订集体合同和工资专项集体协议并报送备案", "3.0", "2.5", "1.5–3.0", "2.0–3.0",
                           "0.53", "9", "2.0"]


def test_area_scores_are_charted_against_the_round(tmp_path):
    text = flat(pdf_text(build_unit_report(report_data()), tmp_path, 1))
    # A01's subtotal 9.0 of 10 → 90.0 in the chart (share) and the table; median 7.5, range 4.5–9.5
    assert "90.0" in text and "9.0" in text and "90.0%" in text and "4.5–9.5" in text
    assert "本单位得分率" in text and "全轮范围" in text


def test_user_text_prints_literally(tmp_path):
    data = replace(report_data(), unit_name=f"什刹海 {MARKUP} {JINJA} 工会", round_name=f"2014年开门打分 {JINJA}")
    text = flat(pdf_text(build_unit_report(data), tmp_path))
    assert f"什刹海 {MARKUP} {JINJA} 工会" in text
    assert f"职工书屋开放时间短 {JINJA}" in text
    assert f"台账齐全 {MARKUP}，建议加强宣传。" in text
    assert "<i>调解</i>案件记录清楚" in text
    assert f"金融街 {MARKUP} 工会" in text
    assert f"按要求向区总工会报送工作信息 {MARKUP}" in text
    assert "49" not in text.replace("2014", "")  # nothing was rendered as a template


def test_the_english_variant(tmp_path):
    text = flat(pdf_text(build_unit_report(report_data(), "en"), tmp_path))
    for expected in ("Unit evaluation report", "Shichahai First Joint Union", "1. Area scores",
                     "3 (2–5) of 27 units", "82.4 (79.1–85.6) / 100", "Relative strengths", "Scores by criterion",
                     "own unit", "same sub-district", "declared conflict of interest", "trimmed mean, 1 rater(s) dropped",
                     "version 2, published 2014-06-21 09:00", "Generated 2014-06-20 16:30", "Audit chain head"):
        assert expected in text, expected
    assert "什刹海街道第一联合工会" in text  # the Chinese name follows the English one
    assert "各领域得分" not in text


def test_caller_labels_replace_the_defaults(tmp_path):
    labels = replace(LABELS["zh"], sec_method="七、计分方法")
    assert "七、计分方法" in pdf_text(build_unit_report(report_data(), labels), tmp_path)


def test_every_font_is_embedded(tmp_path):
    rows = fonts(build_unit_report(report_data()), tmp_path)
    assert rows and all(row["name"].endswith("WenQuanYiMicroHei") and row["emb"] == "yes" for row in rows), rows


def test_the_same_data_gives_the_same_bytes_even_in_another_process(tmp_path):
    pdf = build_unit_report(report_data())
    assert build_unit_report(report_data()) == pdf
    script = ("import sys; from tests.survey.test_unit_report import report_data; "
              "from survey.reports.unit_report import build_unit_report; "
              "sys.stdout.buffer.write(build_unit_report(report_data()))")
    other = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True,
                           cwd=Path(__file__).resolve().parents[2]).stdout
    assert other == pdf


def test_a_long_criteria_table_splits_across_pages_repeating_its_header(tmp_path):
    areas = tuple((f"B{a:02d}", f"第{a}领域工作", tuple((f"B{a:02d}.{c}", f"第{a}领域第{c}项考核指标：制度健全、台账完整、按期报送", 2)
                                                     for c in range(1, 7))) for a in range(1, 13))
    data = replace(report_data(areas), highlights=0)
    pdf = build_unit_report(data)
    pages = page_count(pdf, tmp_path)
    seen, spanned = [], []
    for page in range(1, pages + 1):
        text = pdf_text(pdf, tmp_path, page)
        codes = re.findall(r"^\s*(B\d\d\.\d)\s", text, re.MULTILINE)
        if codes:
            spanned.append(page)
            assert "编号" in text and "最低–最高" in text and "四分位" in text, page
        seen += codes
    assert len(spanned) >= 2
    assert seen == [f"B{a:02d}.{c}" for a in range(1, 13) for c in range(1, 7)]  # each row once, in order


def test_a_unit_without_total_intervals_or_extras_still_builds(tmp_path):
    data = replace(report_data(), total=None, total_low=None, total_high=None, rank=None, rank_low=None,
                   rank_high=None, total_note="本单位的评分表全部因回避被排除", recusals=(), reliability=(), notes=(),
                   comments=(), not_distinguishable=(), publication=None, audit_head=None,
                   method=Method(bootstrap=0))
    text = flat(pdf_text(build_unit_report(data), tmp_path))
    assert "本单位的评分表全部因回避被排除" in text
    assert "本单位没有评分人回避。" in text and "没有评语。" in text and "预览稿，尚未发布" in text
    assert "未做自助法重抽样" in text


@pytest.mark.parametrize("language", ["zh", "en"])
def test_an_empty_unit_report_builds(tmp_path, language):
    data = UnitReportData(round_name="空轮次", period="2014年", unit_name="空单位", unit_code="X", generated_at="—",
                          total=None, rank=None, units_ranked=0, areas=(), criteria=(), raters=0)
    assert "空单位" in pdf_text(build_unit_report(data, language), tmp_path)


def test_spread_of_raters_and_spread_with_one_value():
    assert spread([]) == Spread(0)
    one = spread([2.0])
    assert (one.n, one.minimum, one.median, one.q1, one.sd) == (1, 2.0, 2.0, None, None)
