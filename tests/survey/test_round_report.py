"""The round report PDF: ranking with intervals and ties, areas, reliability, pseudonymised raters, panels,
the framework, the method and the audit chain head; literal user text, fonts, fixed bytes."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from survey.reports.evaluation import Method, Publication, RecusalCount
from survey.reports.round_report import (
    LABELS,
    FrameworkArea,
    FrameworkCriterion,
    PanelComposition,
    RankedUnit,
    RaterEffect,
    ReliabilityRow,
    RoundReportData,
    build_round_report,
)
from tests.survey.test_report_toolkit import fonts, page_count, pdf_text
from tests.survey.test_unit_report import AREAS, HEAD, JINJA, MARKUP

NAMES = ("什刹海街道第一联合工会", "德胜街道联合工会", "金融街街道总工会", "月坛街道联合工会", "展览路街道联合工会",
         "新街口街道联合工会", "西长安街街道联合工会", "广安门内街道联合工会", "牛街街道联合工会", "白纸坊街道联合工会",
         "椿树街道联合工会", "陶然亭街道联合工会", "天桥街道联合工会", "大栅栏街道联合工会", "广安门外街道联合工会")
#: groups: 1 and 2 cannot be told apart, nor 4, 5 and 6
GROUPS = (1, 1, 2, 3, 3, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)


def framework(areas=AREAS) -> tuple[FrameworkArea, ...]:
    return tuple(FrameworkArea(code, title, 10, tuple(FrameworkCriterion(c, t, m) for c, t, m in crits))
                 for code, title, crits in areas)


def units(n: int = len(NAMES), areas: int = len(AREAS)) -> tuple[RankedUnit, ...]:
    out = []
    for i in range(n):
        total = round(88.4 - min(1.7, 50 / n) * i - (0.4 if i % 3 else 0), 1)
        name = NAMES[i] if i < len(NAMES) else f"第{i + 1:03d}号基层工会联合会"
        out.append(RankedUnit(
            code=f"XC-{i + 1:03d}", name=name, total=total, rank=i + 1, total_low=round(total - 3.1, 1),
            total_high=round(total + 2.9, 1), rank_low=max(1, i - 1), rank_high=min(n, i + 3),
            group=GROUPS[i] if i < len(GROUPS) else 13 + i, raters=9 - i % 2,
            areas=tuple(round(total / 10 - 0.3 * (a % 3) + 0.2, 1) for a in range(areas)),
        ))
    # listed out of order on purpose: the report sorts by rank
    return tuple(reversed(out))


def report_data(n_units: int = len(NAMES), areas=AREAS) -> RoundReportData:
    return RoundReportData(
        round_name="2014年开门打分", period="2014年6月", organisation="西城区总工会", generated_at="2014-06-20 16:30",
        units=units(n_units, len(areas)), framework=framework(areas), audit_head=HEAD, raters=27, scorecards=121,
        reliability=(
            ReliabilityRow("all", "krippendorff_alpha_interval", 0.587, n_raters=27, n_units=15),
            ReliabilityRow("评审组 A", "icc2", 0.612, 0.48, 0.73, 9, 5),
            ReliabilityRow("评审组 A", "icc2k", 0.934, 0.871, 0.962, 9, 5),
            ReliabilityRow("评审组 B", "kendall_w", 0.701, None, None, 9, 5, "χ² = 25.2，p = 0.001"),
        ),
        reliability_notes=("评审组 C 有 1 个单位被剔除以构成完整区组。",),
        rater_effects=(
            RaterEffect("R01", "评审组 A", 5, 3.12, 0.84, ("lenient",), "worker_representative", 1),
            RaterEffect("R02", "评审组 A", 5, -0.41, 0.80, (), "union_chair", 0),
            RaterEffect("R03", "评审组 B", 5, -2.95, 0.81, ("severe", "erratic"), "model_worker", 2),
            RaterEffect("R04", None, 4, None, None, (), "other", None),
        ),
        rater_notes=(f"加性模型残差标准差 2.3 分 {JINJA}",),
        panels=(
            PanelComposition("评审组 A", (("worker_representative", 6), ("union_chair", 2), ("model_worker", 1)), 5),
            PanelComposition("评审组 B", (("worker_representative", 5), ("union_chair", 3), ("model_worker", 1)), 5),
            PanelComposition(f"评审组 {MARKUP}", (("worker_representative", 7), ("other", 2)), 5),
        ),
        recusals=(RecusalCount("own_unit", 9, 144), RecusalCount("parent_child", 2, 32),
                  RecusalCount("same_sub_district", 4, 64), RecusalCount("relationship", 1, 16),
                  RecusalCount("declared", 2, 32)),
        method=Method("trimmed", 1, 3, "median", "rescale", 2000, 0.95, 20140601,
                      notes=("名次：1 为最高分；并列取最小名次。",)),
        publication=Publication(1, "2014-06-21 09:00"),
    )


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def squashed(pdf: bytes, tmp_path: Path) -> str:
    """The text in reading order (pdftotext without -layout) with every space and line break taken out,
    so that a name wrapped inside a table cell reads as one string."""
    path = tmp_path / "squashed.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout
    return re.sub(r"\s+", "", out)


def squash(value: str) -> str:
    return re.sub(r"\s+", "", value)


def test_the_report_shows_ranking_areas_reliability_raters_panels_framework_in_chinese(tmp_path):
    pdf = build_round_report(report_data())
    text = pdf_text(pdf, tmp_path)
    joined = flat(text)
    for expected in ("2014年开门打分", "西城区总工会", "评估轮次总报告", "一、排名", "二、各领域得分", "三、信度",
                     "四、评分人效应（匿名）", "五、评审组构成与回避", "六、考核框架", "七、方法说明", "八、版本与审计",
                     *NAMES, "88.4", "85.3–91.3", "依法维权（10）", "总分（100）", "Krippendorff α（等距）",
                     "ICC(2,1) 单个评分人", "0.612", "0.480–0.730", "0.934", "Kendall W", "χ² = 25.2，p = 0.001",
                     "全体评分人", "R01", "R03", "+3.12 ± 0.84", "-2.95 ± 0.81", "偏宽", "偏严、不稳定", "工会主席", "劳模",
                     "职工代表", "本单位", "上下级单位", "登记的利害关系", "本人声明的利益冲突",
                     "签订集体合同和工资专项集体协议并报送备案", "开展安全生产隐患排查和“安康杯”竞赛活动", "A04 安全生产（10 分）",
                     "截尾均值，两端各去掉 1 位评分人", "第 1 版，发布于 2014-06-21 09:00", "生成于 2014-06-20 16:30"):
        assert expected in joined, expected
    assert "1/" in text.replace(" ", "")


def test_ranking_lists_units_by_rank_and_marks_neighbours_the_bootstrap_cannot_order(tmp_path):
    text = pdf_text(build_round_report(report_data()), tmp_path)
    rows = {}
    for line in text.splitlines():
        cells = line.split()
        if len(cells) >= 4 and cells[-1].isdigit() and any(n in line for n in NAMES) and "XC-" in line:
            rows[next(n for n in NAMES if n in line)] = cells
    order = [name for name in rows]
    assert order == list(NAMES)  # sorted by rank although listed in reverse
    assert rows[NAMES[0]][:2] == ["1", "≈"]  # 1 and 2 share a group
    assert rows[NAMES[1]][0] == "2" and rows[NAMES[1]][1] != "≈"
    assert rows[NAMES[3]][1] == "≈" and rows[NAMES[4]][1] == "≈" and rows[NAMES[5]][1] != "≈"
    assert "XC-001" in " ".join(rows[NAMES[0]]) and "85.3–91.3" in rows[NAMES[0]] and "1–3" in rows[NAMES[0]]
    assert "≈ 与下一名无法区分" in text


def test_the_audit_chain_head_is_printed_on_the_cover_in_the_audit_section_and_every_footer(tmp_path):
    pdf = build_round_report(report_data())
    assert HEAD in pdf_text(pdf, tmp_path, 1)
    pages = page_count(pdf, tmp_path)
    assert HEAD in pdf_text(pdf, tmp_path, pages)
    for page in range(1, pages + 1):
        assert f"审计链头 {HEAD[:16]}…" in pdf_text(pdf, tmp_path, page), page


def test_raters_appear_only_under_pseudonyms(tmp_path):
    text = pdf_text(build_round_report(report_data()), tmp_path)
    assert re.findall(r"\bR0\d\b", text) == ["R01", "R02", "R03", "R04"]
    assert "rater 1" not in text.lower()


def test_user_text_prints_literally(tmp_path):
    data = replace(report_data(), round_name=f"2014年开门打分 {MARKUP} {JINJA}",
                   units=(replace(report_data().units[-1], name=f"什刹海 {MARKUP} {JINJA} 工会"),
                          *report_data().units[:-1]))
    pdf = build_round_report(data)
    text = flat(pdf_text(pdf, tmp_path))
    assert f"2014年开门打分 {MARKUP} {JINJA}" in text
    assert f"加性模型残差标准差 2.3 分 {JINJA}" in text
    assert " 49 " not in text
    whole = squashed(pdf, tmp_path)
    assert whole.count(squash(f"什刹海 {MARKUP} {JINJA} 工会")) == 3  # chart, ranking table, area table
    assert squash(f"评审组 {MARKUP}") in whole


def test_the_english_variant(tmp_path):
    text = flat(pdf_text(build_round_report(report_data(), "en"), tmp_path))
    for expected in ("Round report", "1. Ranking", "2. Area scores", "3. Reliability", "4. Rater effects (pseudonymised)",
                     "5. Panels and recusals", "6. Framework", "7. Method", "8. Version and audit",
                     "95% interval", "Rank interval", "Krippendorff's α (interval)", "all raters", "lenient",
                     "severe, erratic", "union chair", "own unit", "parent or child unit",
                     "version 1, published 2014-06-21 09:00", "Audit chain head", HEAD, "not distinguishable"):
        assert expected in text, expected
    assert "什刹海街道第一联合工会" in text
    assert "一、排名" not in text


def test_caller_labels_replace_the_defaults(tmp_path):
    labels = replace(LABELS["zh"], sec_ranking="一、总分排名")
    assert "一、总分排名" in pdf_text(build_round_report(report_data(), labels), tmp_path)


def test_every_font_is_embedded(tmp_path):
    rows = fonts(build_round_report(report_data()), tmp_path)
    assert rows and all(row["name"].endswith("WenQuanYiMicroHei") and row["emb"] == "yes" for row in rows), rows


def test_the_same_data_gives_the_same_bytes_even_in_another_process(tmp_path):
    pdf = build_round_report(report_data())
    assert build_round_report(report_data()) == pdf
    script = ("import sys; from tests.survey.test_round_report import report_data; "
              "from survey.reports.round_report import build_round_report; "
              "sys.stdout.buffer.write(build_round_report(report_data()))")
    other = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True,
                           cwd=Path(__file__).resolve().parents[2]).stdout
    assert other == pdf


def test_many_units_and_a_long_framework_split_with_repeated_headers(tmp_path):
    areas = tuple((f"B{a:02d}", f"第{a}领域", tuple((f"B{a:02d}.{c}", f"第{a}领域第{c}项考核指标", 2) for c in range(1, 6)))
                  for a in range(1, 11))
    pdf = build_round_report(report_data(n_units=80, areas=areas))
    pages = page_count(pdf, tmp_path)
    ranking_pages, framework_pages, seen = [], [], []
    for page in range(2, pages + 1):
        text = pdf_text(pdf, tmp_path, page)
        if re.search(r"XC-0\d\d", text):
            ranking_pages.append(page)
            assert "名次" in text and "名次区间" in text, page
        codes = re.findall(r"^\s*(B\d\d\.\d)\s", text, re.MULTILINE)
        if codes:
            framework_pages.append(page)
            assert "满分" in text and "折合总分" in text, page
        seen += codes
    assert len(ranking_pages) >= 2 and len(framework_pages) >= 2
    assert seen == [f"B{a:02d}.{c}" for a in range(1, 11) for c in range(1, 6)]
    whole = flat(pdf_text(pdf, tmp_path))
    assert whole.count("第1领域（10）") == 2 and whole.count("第6领域（10）") == 2  # ten areas: 5 + 5, split by units
    assert all(f"第{i:03d}号基层工会联合会" in whole for i in range(16, 81))


def test_a_round_without_bootstrap_or_extras_still_builds(tmp_path):
    data = replace(report_data(), units=tuple(replace(u, total_low=None, total_high=None, rank_low=None,
                                                      rank_high=None, group=None) for u in report_data().units),
                   reliability=(), rater_effects=(), panels=(), recusals=(), reliability_notes=(), rater_notes=(),
                   publication=None, method=Method(bootstrap=0))
    text = flat(pdf_text(build_round_report(data), tmp_path))
    assert "未做自助法重抽样，没有区间和分组。" in text and "≈" not in text
    assert "没有可计算的信度指标。" in text and "预览稿，尚未发布" in text


def test_ranks_straight_from_engine_arrays_print_as_integers_and_a_unit_without_a_total_comes_last(tmp_path):
    first, second = units(2)[::-1]
    data = replace(report_data(), units=(
        replace(first, total=float("nan"), rank=float("nan"), total_low=None, total_high=None, rank_low=None,
                rank_high=None, group=None, note="本单位的评分表全部因回避被排除"),
        replace(second, rank=1.0, rank_low=1.0, rank_high=1.0, group=1),
    ))
    text = pdf_text(build_round_report(data), tmp_path)
    rows = [line.split() for line in text.splitlines() if "XC-00" in line]
    assert rows[0][:2] == ["1", NAMES[1]] and "1–1" in rows[0] and "1.0" not in rows[0][:1]
    assert rows[1][0] == "—" and rows[1][1].startswith(NAMES[0])


@pytest.mark.parametrize("language", ["zh", "en"])
def test_an_empty_round_report_builds(tmp_path, language):
    data = RoundReportData(round_name="空轮次", period="2014年", organisation="西城区总工会", generated_at="—", units=(),
                           framework=(), audit_head="")
    assert "空轮次" in pdf_text(build_round_report(data, language), tmp_path)
