"""The needs report of a questionnaire, end to end: responses stored through the real import path,
the analysis, the mapping onto the builder and the PDF read back with poppler (pdftotext, pdffonts,
pdftoppm). Expected figures are worked out here by hand (Wilson, t interval, chi-square with scipy)."""

from __future__ import annotations

import math
import re
import subprocess
from datetime import UTC, date, datetime, timedelta

import pytest
from PIL import Image
from scipy import stats

from forms.questionnaire.spec import (
    Demographic,
    LocalizedText,
    Option,
    Question,
    Questionnaire,
    QuestionType,
    Section,
)
from survey.extensions import db
from survey.models import OrgLevel, OrgUnit, QuestionnaireKind, UnitKind
from survey.services import questionnaires as qs
from survey.services.answer_columns import (
    ImportRecord,
    MatrixFilter,
    bulk_import_responses,
)
from survey.services.needs_analysis import FilterRefused, analyse
from survey.services.needs_report import NoResponses, build_for, report_data

L, T = LocalizedText, QuestionType
NOW = datetime(2024, 4, 2, 2, 0, tzinfo=UTC)  # 10:00 in Beijing
OLD = {5, 35, 50}  # the three respondents aged 55 or over: fewer than k = 5
COMMENTS = {1: "食堂饭菜太贵", 2: "希望增加夜班补贴", 3: "更衣室太小"}  # three writers: fewer than k_text = 10
OTHER = {40 + i: ("夜间托管服务" if i < 6 else "法律知识讲座") for i in range(10)}  # ten writers: listed


def _options(*triples) -> tuple[Option, ...]:
    return tuple(Option(oid, L(zh, en)) for oid, zh, en in triples)


SERVICES = (("legal", "法律援助", "Legal aid"), ("training", "技能培训", "Skills training"),
            ("childcare", "子女托管", "Childcare"))


def spec() -> Questionnaire:
    return Questionnaire(
        title=L("测试职工需求问卷", "Test member needs survey"),
        sections=(
            Section("about", L("基本情况", "About you"), questions=(
                Question("gender", T.SINGLE_CHOICE, L("您的性别", "Your gender"), required=True,
                         options=_options(("m", "男", "Male"), ("f", "女", "Female")), demographic=Demographic.GENDER),
                Question("age", T.SINGLE_CHOICE, L("您的年龄段", "Your age"), required=True,
                         options=_options(("young", "35岁以下", "Under 35"), ("middle", "35-44岁", "35 to 44"),
                                          ("senior", "45-54岁", "45 to 54"), ("old", "55岁及以上", "55 or older")),
                         demographic=Demographic.AGE_BAND),
            )),
            Section("services", L("工会服务", "Union services"), questions=(
                Question("needs", T.MULTIPLE_CHOICE, L("您需要哪些服务", "Which services do you need"),
                         required=True, min_selections=1, max_selections=3,
                         options=_options(*SERVICES) + (Option("other", L("其他服务", "Something else"), True),)),
                Question("satisfaction", T.RATING, L("您对工会的满意程度", "How satisfied are you with the union"),
                         required=True, scale_min=1, scale_max=5, scale_min_label=L("很不满意", "Very dissatisfied"),
                         scale_max_label=L("很满意", "Very satisfied")),
                Question("priority", T.RANKING, L("最需要的两项服务", "The two services you need most"),
                         required=True, rank_top=2, options=_options(*SERVICES)),
                Question("comment", T.LONG_TEXT, L("您的意见", "Your comments")),
            )),
        ),
    )


def answers(i: int) -> dict:
    """Respondent i of 60: 30 women (i < 30), then 30 men; 24 women and 6 men want childcare."""
    woman = i < 30
    childcare = i < 24 or 30 <= i < 36
    needs = []
    if i % 2 == 0:
        needs.append("legal")
    if childcare:
        needs.append("childcare")
    if not needs and i not in OTHER:
        needs.append("training")
    if i in OTHER:
        needs.append({"option": "other", "other": OTHER[i]})
    out = {
        "gender": "f" if woman else "m",
        "age": "old" if i in OLD else ("young", "middle", "senior")[i % 3],
        "needs": [n for n in needs if n == "legal"] + [n for n in needs if n == "training"]
        + [n for n in needs if n == "childcare"] + [n for n in needs if isinstance(n, dict)],
        "satisfaction": 1 + i % 5,
        "priority": (["childcare", "legal"], ["legal", "training"], ["training", "childcare"])[i // 20],
    }
    if i in COMMENTS:
        out["comment"] = COMMENTS[i]
    return out


def seed_needs_survey() -> int:
    """Units (a district, a sub-district, two unions with 100 and 50 members) and 60 imported responses."""
    district = OrgUnit(code="XC", name_zh="西城区总工会", name_en="Xicheng District Federation", level=OrgLevel.DISTRICT)
    sub = OrgUnit(code="SCH", name_zh="什刹海街道总工会", name_en="Shichahai Federation", level=OrgLevel.SUB_DISTRICT,
                  parent=district)
    first = OrgUnit(code="SCH-E1", name_zh="甲公司工会", name_en="Company A union", level=OrgLevel.GRASSROOTS,
                    parent=sub, kind=UnitKind.ENTERPRISE, member_count=100)
    second = OrgUnit(code="SCH-E2", name_zh="乙公司工会", name_en="Company B union", level=OrgLevel.GRASSROOTS,
                     parent=sub, kind=UnitKind.ENTERPRISE, member_count=50)
    db.session.add_all([district, sub, first, second])
    db.session.flush()
    questionnaire = qs.create_questionnaire(spec=spec(), kind=QuestionnaireKind.NEEDS)
    qs.publish_questionnaire(questionnaire=questionnaire)
    records = [ImportRecord(answers(i), unit_id=(first if i < 40 else second).id,
                            submitted_on=date(2024, 3, 1) + timedelta(days=i % 20)) for i in range(60)]
    bulk_import_responses(questionnaire, records)  # validated like submissions
    db.session.commit()
    return questionnaire.id


@pytest.fixture
def questionnaire_id(app):
    with app.app_context():
        return seed_needs_survey()


@pytest.fixture
def report(app, questionnaire_id):
    with app.app_context():
        return build_for(questionnaire=qs.get_questionnaire(questionnaire_id=questionnaire_id), now=NOW)


def pdf_text(pdf: bytes, tmp_path, name: str = "report.pdf", layout: bool = True) -> str:
    path = tmp_path / name
    path.write_bytes(pdf)
    args = ["pdftotext", *(["-layout"] if layout else []), str(path), "-"]
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def wilson(x: int, n: int) -> tuple[float, float]:
    z = stats.norm.ppf(0.975)
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def interval(low: float, high: float) -> str:
    return f"{low * 100:.1f}–{high * 100:.1f}%"


# --------------------------------------------------------------------------- the PDF's content


def test_the_report_shows_the_survey_its_figures_and_the_appendix_in_chinese(report, tmp_path):
    assert report.filename.endswith(".pdf") and report.pdf.startswith(b"%PDF-")
    text = pdf_text(report.pdf, tmp_path)
    one = flat(text)
    # Cover and method: title, questionnaire, district federation, days, sample, response rate, Beijing time.
    assert "2024年职工需求调查分析报告" in one
    assert "测试职工需求问卷" in one and "西城区总工会" in one
    assert "2024-03-01 至 2024-03-20" in one
    assert "有效问卷 60" in one and "会员人数 150" in one and "参与率 40.0%" in one
    assert "2024-04-02 10:00" in one
    # The question titles, in Chinese, each with its section.
    for title in ("您的性别", "您的年龄段", "您需要哪些服务", "您对工会的满意程度", "最需要的两项服务", "您的意见"):
        assert title in one
    # Key findings: childcare is chosen by 30 of 60, with the Wilson interval worked out by hand.
    shown = re.escape(interval(*wilson(30, 60)))
    top = one[one.index("最突出的需求"):one.index("最希望获得的服务 ")]
    assert re.search(rf"[12]≈? 子女托管 30 50\.0% {shown}", top), top
    assert re.search(rf"[12]≈? 法律援助 30 50\.0% {shown}", top)  # the even-numbered half: as many
    assert re.search(rf"3 技能培训 10 16\.7% {re.escape(interval(*wilson(10, 60)))}", top)
    # The rating: 12 respondents at each point; mean 3.00 with the t interval.
    ratings = [1 + i % 5 for i in range(60)]
    mean, sd = sum(ratings) / 60, stats.tstd(ratings)
    half = stats.t.ppf(0.975, 59) * sd / math.sqrt(60)
    assert f"{mean:.2f} ({mean - half:.2f}–{mean + half:.2f})" in one
    assert "1 很不满意" in one and "5 很满意" in one
    # The ranking: each service ranked first by 20 of 60.
    assert re.search(rf"子女托管 20 33\.3% {re.escape(interval(*wilson(20, 60)))} 1\.50", one)
    # "Other" texts (ten writers) listed, most frequent first; comments (three writers) withheld.
    assert one.index("夜间托管服务") < one.index("法律知识讲座")
    assert "Q6 · 问答题 · 答题人数 — 填写人数少于 10，不列出内容。" in one  # not even how many (3 < k) wrote
    assert not any(comment in one for comment in COMMENTS.values())
    # The participation table: both unions at 40%, their sub-district and the total.
    assert re.search(r"甲公司工会 什刹海街道总工会 100 40 40\.0%", one)
    assert re.search(r"乙公司工会 什刹海街道总工会 50 20 40\.0%", one)
    assert re.search(r"什刹海街道总工会 小计 150 60 40\.0%", one)
    assert re.search(r"合计 150 60 40\.0%", one)
    # The appendix: sections, questions, options and notes in Chinese.
    appendix = one[one.index("附录：问卷"):]
    assert "工会服务" in appendix and "您需要哪些服务（多选题）" in appendix
    assert "最多选3项" in appendix and "4. 其他服务" in appendix
    assert "1 = 很不满意 … 5 = 很满意" in appendix and "选出2项并按重要程度排序" in appendix


def test_a_significant_breakdown_shows_its_test_and_marked_cells(report, tmp_path):
    one = flat(pdf_text(report.pdf, tmp_path))
    # Childcare by gender: 24 of 30 women, 6 of 30 men; no continuity correction.
    chi2, p, dof, _expected = stats.chi2_contingency([[24, 6], [6, 24]], correction=False)
    v = math.sqrt(chi2 / 60)
    assert p < 0.001 / 4  # still below 0.001 after the Holm adjustment over the options
    section = one[one.index("四、分组差异"):one.index("五、参与情况")]
    assert "您需要哪些服务 × 您的性别" in section
    assert f"χ² = {chi2:.2f}，自由度 = {dof}，p < 0.001，Cramér's V = {v:.3f}" in section
    assert re.search(r"子女托管 20\.0% ↓ 80\.0% ↑", section)  # men, then women: the residuals mark both
    # Identical groups are not reported: satisfaction does not differ by gender.
    assert "您对工会的满意程度 × 您的性别" not in section


def test_a_significant_but_small_effect_is_left_out(app, questionnaire_id, tmp_path, monkeypatch):
    """With many responses tiny differences are significant; only effects of a set size are reported."""
    from survey.services import needs_report

    monkeypatch.setattr(needs_report, "MIN_CRAMERS_V", 0.7)  # above this data's V = 0.6
    with app.app_context():
        pdf = build_for(questionnaire=qs.get_questionnaire(questionnaire_id=questionnaire_id), now=NOW).pdf
    assert "您需要哪些服务 × 您的性别" not in flat(pdf_text(pdf, tmp_path))


def test_a_group_under_k_shows_no_figure_anywhere(app, questionnaire_id, report, tmp_path):
    text = pdf_text(report.pdf, tmp_path)
    results = text[text.index("三、各题结果"):text.index("附录：问卷")]
    rows = [line for line in results.splitlines() if "55岁及以上" in line]
    assert rows, "the age question lists the small group"
    for line in rows:
        assert "—" in line or "×" in line
        assert not re.search(r"\d", line.replace("55岁及以上", "")), line
    assert "— 少于 5 位受访者，不予显示。" in text
    with app.app_context():
        questionnaire = qs.get_questionnaire(questionnaire_id=questionnaire_id)
        data = report_data(questionnaire=questionnaire, analysis=analyse(questionnaire=questionnaire),
                           breakdowns=[("age", analyse(questionnaire=questionnaire, breakdown="age"))], now=NOW)
    age = next(q for q in data.questions if q.title == "您的年龄段")
    old = next(r for r in age.rows if r.label == "55岁及以上")
    assert (old.count, old.share, old.low, old.high) == (None, None, None, None)
    shown = [r.count for r in age.rows if r.count is not None]
    assert 60 - sum(shown) >= 5  # complementary suppression: the total minus the shown cells is not the 3
    for breakdown in data.breakdowns:
        if "55岁及以上" in breakdown.groups:
            g = breakdown.groups.index("55岁及以上")
            assert breakdown.group_sizes[g] is None
            assert all(row[g].count is None and row[g].share is None for row in breakdown.cells)


def test_every_font_is_embedded_and_chinese_renders(report, tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(report.pdf)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    rows = fonts.splitlines()[2:]
    assert rows and all(re.search(r"\byes\s+yes\s+yes\b", row) for row in rows), fonts
    assert all("WenQuanYi" in row for row in rows)
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(path), str(tmp_path / "cover")],
                   check=True)
    cover = Image.open(next(tmp_path.glob("cover*.png"))).convert("L")
    width, height = cover.size
    title_band = cover.crop((0, int(height * 0.25), width, int(height * 0.4)))
    dark = sum(title_band.histogram()[:128])
    assert dark > 500  # the title's Chinese glyphs are drawn, not empty boxes or blanks
    assert "2024年职工需求调查分析报告" in pdf_text(report.pdf, tmp_path, "again.pdf", layout=False)


def test_the_same_data_and_time_give_the_same_bytes(app, questionnaire_id, report):
    with app.app_context():
        questionnaire = qs.get_questionnaire(questionnaire_id=questionnaire_id)
        again = build_for(questionnaire=questionnaire, now=NOW)
        later = build_for(questionnaire=questionnaire, now=NOW + timedelta(hours=1))
    assert again.pdf == report.pdf
    assert later.pdf != report.pdf


def test_the_english_report_uses_english_labels_and_texts(app, questionnaire_id, tmp_path):
    with app.app_context():
        english = build_for(questionnaire=qs.get_questionnaire(questionnaire_id=questionnaire_id), language="en",
                            now=NOW)
    one = flat(pdf_text(english.pdf, tmp_path))
    assert english.filename.endswith("-en.pdf")
    assert "Members' needs survey report, 2024" in one and "Xicheng District Federation" in one
    assert "2024-03-01 to 2024-03-20" in one and "Key findings" in one
    assert "Which services do you need" in one and "Childcare" in one
    assert "Which services do you need by Your gender" in one
    assert "Appendix: the questionnaire" in one and "Choose up to 3" in one
    assert "Company A union" in one


def test_progress_is_reported_step_by_step(app, questionnaire_id):
    steps = []
    with app.app_context():
        build_for(questionnaire=qs.get_questionnaire(questionnaire_id=questionnaire_id), now=NOW,
                  progress=lambda step, done, total: steps.append((step, done, total)))
    names = [s for s, _d, _t in steps]
    assert names[0] == "load" and names[1] == "analyse" and names[-1] == "layout"
    assert set(names[2:-1]) == {"breakdown"} and len(names) == 3 + 3  # gender, age, the unit's sub-district
    assert [d for _s, d, _t in steps] == sorted(d for _s, d, _t in steps) and steps[-1][1] == steps[-1][2]


def test_nothing_to_report_without_responses(app):
    with app.app_context():
        questionnaire = qs.create_questionnaire(spec=spec(), kind=QuestionnaireKind.NEEDS)
        qs.publish_questionnaire(questionnaire=questionnaire)
        db.session.flush()
        with pytest.raises(NoResponses) as refused:
            build_for(questionnaire=questionnaire, now=NOW)
    assert "has no submitted responses yet" in refused.value.message


def test_a_filtered_report_says_so_and_a_refused_filter_says_why(app, questionnaire_id, tmp_path):
    with app.app_context():
        questionnaire = qs.get_questionnaire(questionnaire_id=questionnaire_id)
        women = build_for(questionnaire=questionnaire, filters=MatrixFilter(answers={"gender": ["f"]}), now=NOW)
        with pytest.raises(FilterRefused) as refused:
            build_for(questionnaire=questionnaire, filters=MatrixFilter(answers={"age": ["old"]}), now=NOW)
    one = flat(pdf_text(women.pdf, tmp_path))
    assert "有效问卷 30" in one and "筛选条件 您的性别：女" in one
    assert "keeps only 3 responses" in refused.value.message  # in the caller's language (English here)
