"""The needs report PDF: its sections and figures, suppressed cells, literal user text, fonts, fixed bytes."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from survey.reports.needs_report import (
    LABELS,
    AppendixQuestion,
    AppendixSection,
    Breakdown,
    BreakdownCell,
    ChartKind,
    Finding,
    FrequencyRow,
    Measure,
    NeedsReportData,
    ParticipationRow,
    QuestionResult,
    ScaleItem,
    Statistic,
    build_needs_report,
)
from tests.survey.test_report_toolkit import fonts, page_count, pdf_text

MARKUP = "<b>x</b> & <font color=red>"
JINJA = "{{ 7*7 }}"


def report_data(units: int = 6) -> NeedsReportData:
    """A small hand-made report: Chinese names, a suppressed cell, user text with markup."""
    services = (
        Finding("法律援助与维权咨询", 0.412, 0.391, 0.433, 824, tied_with_next=True),
        Finding("职业技能培训", 0.398, 0.377, 0.419, 796),
        Finding(f"困难帮扶 {MARKUP}", 0.251, 0.232, 0.270, 502),
    )
    needs = (
        Finding("工资收入偏低", 0.537, 0.515, 0.559, 1074),
        Finding("加班多、休息少", 0.305, 0.285, 0.325, 610),
    )
    questions = (
        QuestionResult(
            code="Q18", title="您希望工会为您提供哪些服务？（最多选5项）", kind="多选题", respondents=2000,
            rows=(
                FrequencyRow("法律援助与维权咨询", 824, 0.412, 0.391, 0.433),
                FrequencyRow("职业技能培训", 796, 0.398, 0.377, 0.419),
                FrequencyRow(f"困难帮扶 {MARKUP}", 502, 0.251, 0.232, 0.270),
                FrequencyRow("婚恋交友", None, None),  # suppressed: fewer than k chose it
                FrequencyRow("其他", None, None),  # and its complement
            ),
            other_texts=(f"希望组织亲子活动 {JINJA}", "<i>周末</i>\n开放职工书屋"),
        ),
        QuestionResult(
            code="Q10", title="您对工作中以下方面的满意程度如何？", kind="矩阵量表题", respondents=1980,
            chart=ChartKind.DISTRIBUTION,
            scale_points=("1 非常不满意", "2", "3 一般", "4", "5 非常满意"),
            scale_items=(
                ScaleItem("工资收入", 1980, (0.12, 0.21, 0.33, 0.22, 0.12), 2.99, 2.94, 3.04),
                ScaleItem("工作时间", 1975, (0.08, 0.17, 0.36, 0.26, 0.13), 3.19, 3.14, 3.24),
            ),
            statistics=(Statistic("Cronbach's α", 0.812, digits=3),),
        ),
        QuestionResult(
            code="Q20", title="请选出您最需要的三项服务，并按重要程度排序", kind="排序题", respondents=1890,
            share_heading="排第一的比例", extra_columns=("平均名次", "Borda 得分"),
            rows=(
                FrequencyRow("法律援助", 1200, 0.331, 0.310, 0.353, (Measure(1.82, 1.78, 1.86), Measure(0.51))),
                FrequencyRow("技能培训", 1100, 0.296, 0.276, 0.317, (Measure(1.95, 1.91, 1.99), Measure(0.47))),
            ),
        ),
        QuestionResult(code="Q21", title="您最希望参加哪方面的技能培训？", kind="填空题", respondents=640,
                       chart=ChartKind.NONE, note="共 640 条填写，详见导出数据。"),
    )
    breakdown = Breakdown(
        variable="年龄", question="Q18 您希望工会为您提供哪些服务？",
        groups=("35岁以下", "35–49岁", "50岁及以上", "不详"), group_sizes=(900, 800, 296, None),
        categories=("法律援助与维权咨询", "职业技能培训"),
        cells=(
            (BreakdownCell(405, 0.45, 2.9), BreakdownCell(320, 0.40, -0.6), BreakdownCell(99, 0.334, -2.7),
             BreakdownCell(None, None)),
            (BreakdownCell(396, 0.44, 2.1), BreakdownCell(312, 0.39, 0.1), BreakdownCell(88, 0.297, -3.5),
             BreakdownCell(None, None)),
        ),
        chi2=23.456, df=2, p=0.0000081, cramers_v=0.108,
    )
    participation = tuple(
        ParticipationRow(unit=f"什刹海街道第{n}工会联合会", sub_district="什刹海街道", members=120 + n,
                         responses=80 + n if n != 2 else None, rate=(80 + n) / (120 + n) if n != 2 else None,
                         target=0.6, reached=n != 2)
        for n in range(1, units + 1)
    ) + (ParticipationRow(f"西城区 {MARKUP} 联合工会", "德胜街道", 40, 30, 0.75, None, None),)
    return NeedsReportData(
        title="2024年职工需求调查分析报告", questionnaire="职工需求调查问卷（2024）", organisation="西城区总工会",
        period="2024年", fieldwork="2024-03-01 至 2024-03-31", sample_size=2000, response_rate=0.637,
        generated_at="2024-04-02 10:00", members=3140, filters=("街道：什刹海街道",),
        highlights=(f"半数以上的受访者认为工资收入偏低。{JINJA}",),
        top_needs=needs, top_services=services, questions=questions, breakdowns=(breakdown,),
        participation=participation,
        participation_total=ParticipationRow("合计", "", 3140, 2000, 0.637, None, None),
        appendix=(
            AppendixSection("工会服务", (
                AppendixQuestion("Q18", "您希望工会为您提供哪些服务？", "多选题",
                                 ("法律援助与维权咨询", "职业技能培训", f"困难帮扶 {MARKUP}"), "最多选5项"),
                AppendixQuestion("Q21", "您最希望参加哪方面的技能培训？", "填空题"),
            )),
        ),
    )


def flat(text: str) -> str:
    """pdftotext -layout output without line breaks and runs of spaces (a label may wrap in a table)."""
    return re.sub(r"\s+", " ", text)


def test_the_report_shows_sections_figures_and_labels_in_chinese(tmp_path):
    pdf = build_needs_report(report_data())
    text = pdf_text(pdf, tmp_path)
    for expected in ("2024年职工需求调查分析报告", "西城区总工会", "职工需求调查问卷（2024）", "2024-03-01 至 2024-03-31",
                     "一、调查方法", "二、主要发现", "三、各题结果", "四、分组差异", "五、参与情况", "附录：问卷",
                     "最突出的需求", "最希望获得的服务", "工资收入偏低", "53.7%", "51.5–55.9%", "41.2%", "39.1–43.3%",
                     "2,000", "63.7%", "3,140", "街道：什刹海街道", "Cronbach's α：0.812", "2.99 (2.94–3.04)",
                     "排第一", "1.82 (1.78–1.86)", "χ² = 23.46", "p < 0.001", "Cramér's V = 0.108",
                     "45.0% ↑", "29.7% ↓", "什刹海街道第1工会联合会", "共 640 条填写，详见导出数据。", "最多选5项",
                     "生成于 2024-04-02 10:00"):
        assert expected in text, expected
    assert "1/7" in text.replace(" ", "")  # page numbers "n / N"


def test_suppressed_figures_print_as_a_dash_with_the_footnote(tmp_path):
    text = pdf_text(build_needs_report(report_data()), tmp_path)
    chart_row, table_row = [line.split() for line in text.splitlines() if "婚恋交友" in line]
    assert chart_row == ["婚恋交友", "—"]  # no bar
    assert table_row == ["婚恋交友", "—", "—", "—"]  # count, share and interval
    assert "— 少于 5 位受访者，不予显示。" in text
    hidden = next(line for line in text.splitlines() if "什刹海街道第2工会联合会" in line)
    assert "82" not in hidden and "—" in hidden  # the unit's responses and rate are hidden
    data = replace(report_data(), min_respondents=10)
    assert "少于 10 位受访者" in pdf_text(build_needs_report(data), tmp_path)


def test_no_footnote_when_nothing_is_suppressed(tmp_path):
    data = report_data()
    q18 = data.questions[0]
    data = replace(
        data, questions=(replace(q18, rows=q18.rows[:3]),), breakdowns=(),
        participation=tuple(r for r in data.participation if r.responses is not None),
    )
    text = pdf_text(build_needs_report(data), tmp_path)
    assert "不予显示。" not in text  # the footnote; the method section still explains the rule
    assert "没有统计上显著的分组差异。" in text


def test_user_text_prints_literally(tmp_path):
    text = flat(pdf_text(build_needs_report(report_data()), tmp_path))
    assert text.count(MARKUP) >= 4  # key findings table, question table, participation, appendix
    assert f"希望组织亲子活动 {JINJA}" in text
    assert "<i>周末</i>" in text and "开放职工书屋" in text


def test_the_english_variant_uses_english_headings(tmp_path):
    text = pdf_text(build_needs_report(report_data(), "en"), tmp_path)
    for expected in ("1. Method", "2. Key findings", "3. Results by question", "4. Differences between groups",
                     "5. Participation", "Appendix: the questionnaire", "Most pressing needs",
                     "fewer than 5 respondents, not shown", "Generated 2024-04-02 10:00", "95% interval"):
        assert expected in text, expected
    assert "调查方法" not in text
    assert "工资收入偏低" in text  # data stays as given


def test_caller_labels_replace_the_defaults(tmp_path):
    labels = replace(LABELS["zh"], method="一、抽样与方法")
    assert "一、抽样与方法" in pdf_text(build_needs_report(report_data(), labels), tmp_path)


def test_every_font_is_embedded(tmp_path):
    rows = fonts(build_needs_report(report_data()), tmp_path)
    assert rows and all(row["name"].endswith("WenQuanYiMicroHei") and row["emb"] == "yes" for row in rows), rows


def test_the_same_data_gives_the_same_bytes_even_in_another_process(tmp_path):
    pdf = build_needs_report(report_data())
    assert build_needs_report(report_data()) == pdf
    script = ("import sys; from tests.survey.test_needs_report import report_data; "
              "from survey.reports.needs_report import build_needs_report; "
              "sys.stdout.buffer.write(build_needs_report(report_data()))")
    other = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True,
                           cwd=Path(__file__).resolve().parents[2]).stdout
    assert other == pdf


def test_a_long_participation_table_repeats_its_header_on_each_page(tmp_path):
    pdf = build_needs_report(report_data(units=150))
    pages = page_count(pdf, tmp_path)
    spanned = [p for p in range(1, pages + 1) if "什刹海街道第" in pdf_text(pdf, tmp_path, p)
               and "工会联合会" in pdf_text(pdf, tmp_path, p)]
    assert len(spanned) >= 3
    for page in spanned:
        text = pdf_text(pdf, tmp_path, page)
        assert "单位" in text and "答卷数" in text and "参与率" in text and "达标" in text, page
    whole = pdf_text(pdf, tmp_path)
    assert all(f"什刹海街道第{n}工会联合会" in whole for n in range(1, 151))


@pytest.mark.parametrize("language", ["zh", "en"])
def test_an_empty_report_still_builds(tmp_path, language):
    data = NeedsReportData(title="空报告", questionnaire="问卷", organisation="西城区总工会", period="2024年",
                           fieldwork="—", sample_size=0, response_rate=None, generated_at="2024-04-02 10:00")
    text = pdf_text(build_needs_report(data, language), tmp_path)
    assert "空报告" in text
