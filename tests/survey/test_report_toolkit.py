"""The shared report toolkit: escaped text, page template, tables across pages, charts, fonts, fixed bytes.

poppler-utils (pdftotext, pdffonts, pdftohtml) must be installed: these tests read the PDFs as a reader would.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from reportlab.graphics.shapes import Drawing, String
from reportlab.platypus import PageBreak

from survey.reports.toolkit import (
    DASH,
    Bar,
    DistributionRow,
    PageSpec,
    ScoreRow,
    Series,
    build_pdf,
    data_table,
    distribution_chart,
    facts_table,
    grouped_bar_chart,
    heading,
    interval,
    interval_bar_chart,
    markup,
    number,
    p_text,
    p_value,
    para,
    percent,
    radar_chart,
    scale_colours,
    score_chart,
    text,
    widths,
    wrap,
)

MARKUP = "<b>x</b> & <font color=red>"
SPEC = PageSpec(title="2024年职工需求调查分析报告", footer="生成于 2024-04-02 10:00")


def _write(pdf: bytes, tmp_path: Path) -> Path:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    return path


def pdf_text(pdf: bytes, tmp_path: Path, page: int | None = None) -> str:
    """What a reader extracts (pdftotext -layout), of one page or of all."""
    span = ["-f", str(page), "-l", str(page)] if page else []
    return subprocess.run(["pdftotext", "-layout", *span, str(_write(pdf, tmp_path)), "-"], check=True,
                          capture_output=True, text=True).stdout


def page_count(pdf: bytes, tmp_path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(_write(pdf, tmp_path))], check=True, capture_output=True, text=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE).group(1))


def fonts(pdf: bytes, tmp_path: Path) -> list[dict[str, str]]:
    """pdffonts' rows as dicts (name, emb, sub, uni); the type column may hold two words."""
    out = subprocess.run(["pdffonts", str(_write(pdf, tmp_path))], check=True, capture_output=True, text=True).stdout
    rows = []
    for line in out.splitlines()[2:]:
        cells = line.split()
        rows.append({"name": cells[0], "emb": cells[-5], "sub": cells[-4], "uni": cells[-3]})
    return rows


def _charts() -> list:
    return [
        interval_bar_chart([Bar("工资收入偏低", 0.537, 0.515, 0.559), Bar(MARKUP, 0.2, 0.18, 0.22),
                            Bar("婚恋交友", None)]),
        distribution_chart([DistributionRow("工资收入", (0.1, 0.2, 0.3, 0.25, 0.15)),
                            DistributionRow("工作时间", (0.05, None, 0.3, None, 0.2))],
                           ["1 非常不满意", "2", "3 一般", "4", "5 非常满意"], suppressed_label="少于5人，不显示"),
        grouped_bar_chart(["法律援助", "技能培训"], ["男", "女"], [[0.4, 0.5], [0.3, None]], marks=[[0, 1], [-1, 0]]),
        score_chart([ScoreRow("组织建设", 82.5, 78, 60, 95), ScoreRow("民主管理", None, 75, 55, 90)],
                    legend=("本单位", "全轮中位数", "全轮范围")),
        radar_chart(["组织建设", "民主管理", "维权服务", "经费管理"],
                    [Series("本单位", (82.5, 70, 88, None)), Series("全轮中位数", (78, 75, 80, 70))],
                    band=((60, 55, 62, 50), (95, 90, 97, 88)), band_label="全轮范围"),
    ]


# --- text ------------------------------------------------------------------------------------------


def test_text_escapes_markup_and_keeps_line_breaks_on_request():
    assert text(MARKUP) == "&lt;b&gt;x&lt;/b&gt; &amp; &lt;font color=red&gt;"
    assert text("&nbsp;") == "&amp;nbsp;"
    assert text(None) == ""
    assert text("一\n二") == "一\n二"
    assert text("一\r\n<二>", newlines=True) == "一<br/>&lt;二&gt;"


def test_numbers_format_with_the_dash_for_missing_figures():
    assert (percent(0.1234), percent(0.5, 0), percent(None), percent(float("nan"))) == ("12.3%", "50%", DASH, DASH)
    assert (number(12345), number(2.456, 2), number(None)) == ("12,345", "2.46", DASH)
    assert interval(0.1, 0.1456) == "10.0–14.6%"
    assert interval(2.5, 3.25, 2, as_percent=False) == "2.50–3.25"
    assert interval(None, 0.2) == DASH
    assert (p_value(0.0004), p_value(0.0312), p_value(None)) == ("< 0.001", "0.031", DASH)
    assert (p_text(0.0004), p_text(0.0312)) == ("p < 0.001", "p = 0.031")


def test_wrap_keeps_latin_words_whole_breaks_chinese_and_ends_a_cut_label_with_an_ellipsis():
    assert wrap("工资收入", 200) == ["工资收入"]
    lines = wrap("Legal advice and representation", 60)
    assert all(word in " ".join(lines).split() for word in ("Legal", "advice", "representation"))
    long = wrap("工会为职工提供法律援助与维权咨询服务" * 4, 60, max_lines=2)
    assert len(long) == 2 and long[1].endswith("…")
    assert "".join(long).startswith("工会为职工")


def test_user_text_in_paragraphs_tables_headings_and_charts_prints_literally(tmp_path):
    story = [heading(MARKUP), para(f"说明 {MARKUP} {{{{ 7*7 }}}}"), markup(f"<b>{text(MARKUP)}</b>"),
             data_table(["项目", "比例"], [[MARKUP, "12.0%"]], widths(3, 1), numeric={1}),
             facts_table([("单位", MARKUP)]), _charts()[0]]
    out = pdf_text(build_pdf(story, PageSpec(title=MARKUP, footer=MARKUP)), tmp_path)
    assert out.count(MARKUP) == 7  # heading, paragraph, markup, table, facts, chart, footer (no header on page 1)
    assert "{{ 7*7 }}" in out


# --- page template ------------------------------------------------------------------------------------


def test_pages_carry_the_title_in_the_header_but_the_cover_and_n_of_total_in_the_footer(tmp_path):
    pdf = build_pdf([para("封面"), PageBreak(), para("正文"), PageBreak(), para("附录")], SPEC)
    assert page_count(pdf, tmp_path) == 3
    first = pdf_text(pdf, tmp_path, 1)
    assert "2024年职工需求调查分析报告" not in first
    assert "生成于 2024-04-02 10:00" in first and "1/3" in first.replace(" ", "")
    for page in (2, 3):
        out = pdf_text(pdf, tmp_path, page)
        assert "2024年职工需求调查分析报告" in out and "生成于 2024-04-02 10:00" in out
        assert f"{page}/3" in out.replace(" ", "")


def test_headings_become_the_pdf_outline(tmp_path):
    story = [heading("一、调查方法"), para("正文"), PageBreak(), heading("二、主要发现"), heading("最突出的需求", "h2", 1)]
    path = _write(build_pdf(story, SPEC), tmp_path)
    xml = subprocess.run(["pdftohtml", "-xml", "-i", "-stdout", "-q", str(path)], check=True, capture_output=True,
                         text=True).stdout
    outline = xml[xml.index("<outline>"):]
    assert re.search(r'<item page="1">一、调查方法</item>', outline)
    assert re.search(r'<item page="2">二、主要发现</item>', outline)
    assert re.search(r'<outline>\s*<item page="2">最突出的需求</item>', outline[1:])


def test_a_long_table_splits_across_pages_repeating_its_header(tmp_path):
    rows = [[f"第{n:03d}号工会", number(100 + n), None] for n in range(1, 121)]
    pdf = build_pdf([data_table(["单位名称", "会员人数", "参与率"], rows, widths(3, 1, 1), numeric={1, 2})], SPEC)
    pages = page_count(pdf, tmp_path)
    assert pages >= 3
    seen = []
    for page in range(1, pages + 1):
        out = pdf_text(pdf, tmp_path, page)
        assert "单位名称" in out and "会员人数" in out and "参与率" in out, page
        seen += [int(n) for n in re.findall(r"第(\d{3})号工会", out)]
    assert seen == list(range(1, 121))  # each row once, in order, none cut in half
    assert pdf_text(pdf, tmp_path, 1).count(DASH) >= 10  # None prints as the dash


# --- charts -------------------------------------------------------------------------------------------


def test_charts_draw_their_labels_values_and_dashes_in_the_embedded_font():
    bars, distribution, grouped, scores, radar = _charts()
    strings = [s for s in bars.getContents() if isinstance(s, String)]
    assert {s.fontName for d in _charts() for s in d.getContents() if isinstance(s, String)} == {"WenQuanYiMicroHei"}
    shown = [s.text for s in strings]
    assert "53.7%" in shown and MARKUP in shown and DASH in shown
    assert "工资收入偏低" in shown
    assert "50%↑" in [s.text for s in grouped.getContents() if isinstance(s, String)]
    assert "少于5人，不显示" in [s.text for s in distribution.getContents() if isinstance(s, String)]
    assert "82.5" in [s.text for s in scores.getContents() if isinstance(s, String)]
    assert {"组织建设", "经费管理", "全轮范围"} <= {s.text for s in radar.getContents() if isinstance(s, String)}
    assert all(isinstance(d, Drawing) for d in _charts())


def test_a_radar_chart_needs_three_axes():
    with pytest.raises(ValueError, match="three axes"):
        radar_chart(["组织建设", "民主管理"], [Series("本单位", (80, 70))])


def test_a_grouped_bar_chart_refuses_more_groups_than_it_has_colours():
    groups = [f"街道{n}" for n in range(11)]
    with pytest.raises(ValueError, match="at most 10 groups"):
        grouped_bar_chart(["工资"], groups, [[0.1] * 11])


def test_scale_colours_run_from_red_through_grey_to_blue():
    low, mid, high = scale_colours(3)
    assert low.red > low.blue and high.blue > high.red
    assert abs(mid.red - mid.green) < 0.01 and abs(mid.green - mid.blue) < 0.01
    assert len(scale_colours(7, diverging=False)) == 7


def test_a_document_of_every_chart_uses_only_the_embedded_font_and_always_the_same_bytes(tmp_path):
    story = [heading("图表"), *_charts()]
    pdf = build_pdf(story, SPEC)
    rows = fonts(pdf, tmp_path)
    assert rows and all(r["name"].endswith("+WenQuanYiMicroHei") and r["emb"] == "yes" for r in rows), rows
    assert build_pdf([heading("图表"), *_charts()], SPEC) == pdf
    out = pdf_text(pdf, tmp_path)
    for expected in ("工资收入偏低", "53.7%", "1 非常不满意", "全轮中位数", "维权服务"):
        assert expected in out, expected
