"""The needs report PDF of a questionnaire: the needs analysis laid out by the report builder.

:func:`build_for` reads the questionnaire's answers once, runs the needs
analysis (:func:`survey.services.needs_analysis.analyse`) with and without
each breakdown variable, maps the results onto
:class:`survey.reports.needs_report.NeedsReportData` and builds the PDF:

- cover: the report title, the questionnaire, the district federation (the
  organisation unit at district level), the fieldwork days (first and last
  day with responses in the view) and the time it was generated, in the
  federation's time zone (Beijing time);
- method: sample size, members, response rate (responses against the member
  counts of the units that answered or have a target), filters, versions;
- key findings: the top needs (the needs priority across the need
  questions) and the top services (the first ranking question, "ranked in
  the top N" shares), with intervals and the "not distinguishable" marks;
- one section per question, with its chart;
- the significant breakdowns (p < 0.05 and at least a small effect:
  Cramér's V of 0.1, or ε² of 0.01 for scales; with 20,000 responses nearly
  every difference is significant, and a report of trivial ones buries the
  few that matter): every non-demographic question crossed with each
  demographic question (and with the unit's sub-district when no question asks
  for it); cells marked by adjusted residuals;
- participation by unit, and the questionnaire (the version answered) as the
  appendix.

Every figure comes from the analysis, already protected: a suppressed figure
stays ``None`` and the builder prints the dash with its footnote. Wording is
Chinese by default and English with ``language="en"``: the builder's
:data:`~survey.reports.needs_report.LABELS`, the questionnaire's own zh/en
texts, and the few phrases of this module (:data:`WORDING`), chosen by the
report's language rather than the reader's locale (like the builder's). The
same data and ``now`` give the same bytes.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from forms.questionnaire.spec import Demographic, Question, QuestionType
from forms.questionnaire.spec import Questionnaire as Spec
from survey.extensions import db
from survey.models import OrgLevel, OrgUnit, Questionnaire
from survey.models.base import utcnow
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
    NeedsLabels,
    NeedsReportData,
    ParticipationRow,
    QuestionResult,
    ScaleItem,
    Statistic,
    build_needs_report,
)
from survey.services.answer_columns import (
    MatrixFilter,
    count_rows,
    load_matrix,
    questionnaire_codebook,
)
from survey.services.errors import DomainError
from survey.services.needs_analysis_model import (
    NeedsAnalysis,
    PriorityRanking,
    QuestionAnalysis,
    QuestionBreakdown,
)
from survey.services.needs_analysis_model import (
    ParticipationRow as AnalysisParticipationRow,
)
from survey.services.questionnaires import live_version, spec_of

__all__ = ["WORDING", "NoResponses", "ReportFile", "breakdown_variables", "build_for", "report_data", "report_labels"]

#: Needs and services listed among the key findings.
TOP_N = 10
#: "Other" answers printed per option (most frequent first); the exports hold them all.
MAX_OTHER_TEXTS = 20
TIME_FORMAT = "%Y-%m-%d %H:%M"
#: Breakdown variable: the sub-district federation of the respondent's unit (needs_analysis.BY_SUB_DISTRICT).
BY_SUB_DISTRICT = "_sub_district"
#: The progress steps :func:`build_for` reports, in order (``breakdown`` once per breakdown variable).
STEPS = ("load", "analyse", "breakdown", "layout")

#: The smallest effects a breakdown needs to be reported (Cohen's "small").
MIN_CRAMERS_V = 0.1
MIN_EPSILON_SQUARED = 0.01


class NoResponses(DomainError):
    """Nothing to report: no submitted responses (or none in the filtered view)."""


@dataclass(frozen=True)
class ReportFile:
    filename: str
    pdf: bytes
    mimetype: str = "application/pdf"


# --------------------------------------------------------------------------- wording


@dataclass(frozen=True)
class ReportWording:
    """This module's phrases in one language; ``{name}`` fields are filled with ``str.format``."""

    title: str  #: {period}, {report}
    title_no_period: str  #: {report}
    year: str  #: {year}
    years: str  #: {first}, {last}
    days: str  #: {first}, {last}
    kinds: dict
    share_of_respondents: str
    share_of_mentions: str
    ranked_first: str
    mean_rank: str
    borda: str
    mean: str
    median: str
    alpha: str
    texts_note: str  #: {n}
    texts_withheld: str  #: {k}
    other_withheld: str  #: {label}, {k}
    other_more: str
    no_unit: str
    sub_district: str
    choose_up_to: str  #: {n}
    choose_between: str  #: {low}, {high}
    choose_at_least: str  #: {n}
    rank_top: str  #: {n}
    rank_all: str
    scale: str  #: {low}, {low_label}, {high}, {high_label}
    number_range: str  #: {low}, {high}
    number_from: str  #: {low}
    number_to: str  #: {high}
    decimals: str
    versions: str  #: {versions}
    priority_method: str
    services_method: str  #: {question}, {n}
    top_need: str  #: {item}, {share}, {interval}
    top_first: str  #: {item}, {question}, {share}
    subtotal: str  #: {name}
    test_line: str  #: {chi2}, {df}, {p}, {v} as the builder's, with the test's symbols in {chi2} and {v}
    tie_note: str
    multiple_note: str
    scale_note: str
    pooled_note: str  #: {groups}
    list_separator: str
    label_join: str  #: between a label and its value ("年龄：35-44岁")


WORDING: dict[str, ReportWording] = {
    "zh": ReportWording(
        title="{period}{report}", title_no_period="{report}", year="{year}年", years="{first}—{last}年",
        days="{first} 至 {last}",
        kinds={
            QuestionType.SINGLE_CHOICE: "单选题", QuestionType.MULTIPLE_CHOICE: "多选题",
            QuestionType.RATING: "评分题", QuestionType.MATRIX: "矩阵量表题", QuestionType.RANKING: "排序题",
            QuestionType.NUMBER: "数值题", QuestionType.SHORT_TEXT: "填空题", QuestionType.LONG_TEXT: "问答题",
            QuestionType.DATE: "日期题",
        },
        share_of_respondents="选择比例", share_of_mentions="提及比例", ranked_first="排第一的比例",
        mean_rank="平均名次", borda="Borda 得分", mean="平均值", median="中位数", alpha="Cronbach's α",
        texts_note="共 {n} 条填写，全文见导出数据。",
        texts_withheld="填写人数少于 {k}，不列出内容。",
        other_withheld="“{label}”的填写人数少于 {k}，不列出内容。",
        other_more="其余填写内容见导出数据。",
        no_unit="无所属单位", sub_district="所在单位的街道",
        choose_up_to="最多选{n}项", choose_between="选{low}至{high}项", choose_at_least="至少选{n}项",
        rank_top="选出{n}项并按重要程度排序", rank_all="将全部选项按重要程度排序",
        scale="{low} = {low_label} … {high} = {high_label}", number_range="填写数值：{low} 至 {high}",
        number_from="填写数值：不小于 {low}", number_to="填写数值：不大于 {high}", decimals="可填小数",
        versions="本报告包含问卷第 {versions} 版的答卷；各版本中不变的题目合并统计。",
        priority_method=("需求排序按选择该项的受访者比例排列；相邻两项用配对检验（McNemar mid-p，Holm 校正）比较，"
                         "差异不显著的标 ≈。"),
        services_method="“最希望获得的服务”依据 {question}：比例为把该项排入前 {n} 位的受访者所占比例。",
        top_need="选择最多的一项是“{item}”：{share}的受访者选择了它（95% 置信区间 {interval}）。",
        top_first="{question}：排在第一位最多的是“{item}”（{share}的受访者）。",
        subtotal="{name} 小计",
        test_line="{chi2}，自由度 = {df}，{p}，{v}",
        tie_note="≈ 与下一项的差异在统计上不显著（配对检验，Holm 校正）",
        multiple_note="每个选项单独检验（选或未选 × 分组），并按 Holm 方法校正；上方为最显著选项的检验结果。",
        scale_note="Kruskal–Wallis 检验（效应量 ε²）；单元格标记来自卡方检验的调整后标准化残差。",
        pooled_note="检验时合并了数字不予显示的组：{groups}。", list_separator="、", label_join="：",
    ),
    "en": ReportWording(
        title="{report}, {period}", title_no_period="{report}", year="{year}", years="{first}–{last}",
        days="{first} to {last}",
        kinds={
            QuestionType.SINGLE_CHOICE: "Single choice", QuestionType.MULTIPLE_CHOICE: "Multiple choice",
            QuestionType.RATING: "Rating", QuestionType.MATRIX: "Matrix", QuestionType.RANKING: "Ranking",
            QuestionType.NUMBER: "Number", QuestionType.SHORT_TEXT: "Short text",
            QuestionType.LONG_TEXT: "Long text", QuestionType.DATE: "Date",
        },
        share_of_respondents="Share of respondents", share_of_mentions="Share of mentions",
        ranked_first="Ranked first", mean_rank="Mean rank", borda="Borda score", mean="Mean", median="Median",
        alpha="Cronbach's α",
        texts_note="{n} answers; the full texts are in the exports.",
        texts_withheld="Fewer than {k} respondents wrote an answer, so none are listed.",
        other_withheld="\u201c{label}\u201d: fewer than {k} respondents wrote one, so none are listed.",
        other_more="The other answers are in the exports.",
        no_unit="No unit", sub_district="Sub-district of the unit",
        choose_up_to="Choose up to {n}", choose_between="Choose {low} to {high}", choose_at_least="Choose at least {n}",
        rank_top="Choose {n} and rank them, most important first", rank_all="Rank all the options",
        scale="{low} = {low_label} … {high} = {high_label}", number_range="A number from {low} to {high}",
        number_from="A number of at least {low}", number_to="A number of at most {high}",
        decimals="decimals allowed",
        versions=("This report covers the responses to versions {versions} of the questionnaire; questions "
                  "the versions share are counted together."),
        priority_method=("Needs are ordered by the share of respondents choosing them; neighbours are compared "
                         "with a paired test (McNemar mid-p, Holm-adjusted) and marked ≈ where they are not "
                         "distinguishable."),
        services_method=("\u201cMost wanted services\u201d come from {question}: the share of respondents who "
                         "ranked each among their top {n}."),
        top_need="Chosen most often: \u201c{item}\u201d, by {share} of respondents (95% interval {interval}).",
        top_first="{question}: \u201c{item}\u201d is ranked first most often ({share} of respondents).",
        subtotal="{name}, subtotal",
        test_line="{chi2}, df = {df}, {p}, {v}",
        tie_note="≈ not distinguishable from the next item (paired test, Holm-adjusted)",
        multiple_note=("Each option is tested on its own (chose it or not, by group), Holm-adjusted across the "
                       "options; the test shown is the strongest option's."),
        scale_note=("Kruskal–Wallis test (effect size ε²); the cells are marked by the adjusted standardised "
                    "residuals of the chi-square test."),
        pooled_note="Pooled for the test (figures not shown): {groups}.", list_separator=", ", label_join=": ",
    ),
}


def _language(language: str) -> str:
    return "en" if (language or "").lower().startswith("en") else "zh"


class _Symbol(float):
    """A statistic that prints with its symbol: ``f"{_Symbol(12.3, 'H = '):.2f}"`` gives ``"H = 12.30"``.

    The builder formats a breakdown's ``chi2`` and ``cramers_v`` with ``:.2f`` and ``:.3f`` into one test
    line; with these, one line serves both the chi-square test (χ², Cramér's V) and Kruskal–Wallis (H, ε²).
    """

    def __new__(cls, value: float, symbol: str):
        made = super().__new__(cls, value)
        made.symbol = symbol
        return made

    def __format__(self, spec: str) -> str:
        return f"{self.symbol}{float(self).__format__(spec)}"


def report_labels(language: str) -> NeedsLabels:
    """The builder's labels, with this module's test line and tie note."""
    wording = WORDING[_language(language)]
    return dataclasses.replace(LABELS[_language(language)], test_line=wording.test_line, tie_note=wording.tie_note)


# --------------------------------------------------------------------------- small helpers


def _local(value: datetime) -> datetime:
    return value.astimezone(ZoneInfo(current_app.config.get("TIMEZONE", "Asia/Shanghai")))


def _organisation(english: bool) -> str:
    """The district federation's name (the first district-level unit), or ""."""
    unit = db.session.scalar(select(OrgUnit).where(OrgUnit.level == OrgLevel.DISTRICT).order_by(OrgUnit.id).limit(1))
    if unit is None:
        return ""
    return (unit.name_en or unit.name_zh) if english else unit.name_zh


def _period(first: date | None, last: date | None, wording: ReportWording) -> str:
    if first is None or last is None:
        return ""
    if first.year == last.year:
        return wording.year.format(year=first.year)
    return wording.years.format(first=first.year, last=last.year)


def _fieldwork(first: date | None, last: date | None, wording: ReportWording) -> str:
    if first is None or last is None:
        return ""
    if first == last:
        return first.isoformat()
    return wording.days.format(first=first.isoformat(), last=last.isoformat())


def _number_text(x: float) -> str:
    return f"{x:g}"


def _frequent(texts: Sequence[str], limit: int) -> tuple[tuple[str, ...], int]:
    """Distinct texts, most frequent first (then in order), at most ``limit``; and how many are left out."""
    counts = Counter(t.strip() for t in texts if t and t.strip())
    ordered = sorted(counts, key=lambda t: (-counts[t], t))
    shown = ordered[:limit]
    return tuple(shown), sum(counts[t] for t in ordered[limit:])


# --------------------------------------------------------------------------- questions


def _question(q: QuestionAnalysis, wording: ReportWording, k_text: int) -> QuestionResult:
    kind = wording.kinds.get(q.type, q.type.value)
    notes = list(q.notes)
    other_texts: list[str] = []
    for other in q.other_texts:
        if other.withheld:
            # No count: it may rest on fewer than k respondents (the option's own count may be hidden).
            notes.append(wording.other_withheld.format(label=other.label, k=k_text))
            continue
        shown, left = _frequent(other.texts, MAX_OTHER_TEXTS)
        prefix = f"{other.label}: " if len(q.other_texts) > 1 else ""
        other_texts += [prefix + t for t in shown]
        left += max(other.count - len(other.texts), 0)
        if left:
            notes.append(wording.other_more)
    common = {"code": q.code, "title": q.title, "kind": kind, "respondents": q.respondents,
              "other_texts": tuple(other_texts)}

    def finish(result: QuestionResult) -> QuestionResult:
        return dataclasses.replace(result, note=" ".join(notes) or None)

    if q.type is QuestionType.RANKING:
        rows = tuple(
            FrequencyRow(item.label, item.first_count, item.first_share, item.first_low, item.first_high, (
                Measure(item.mean_rank, item.mean_rank_low, item.mean_rank_high, 2),
                Measure(item.borda, item.borda_low, item.borda_high, 2),
            ))
            for item in q.ranking
        )
        return finish(QuestionResult(**common, rows=rows, share_heading=wording.ranked_first,
                                     extra_columns=(wording.mean_rank, wording.borda)))
    if q.type in (QuestionType.RATING, QuestionType.MATRIX):
        items = tuple(ScaleItem(i.label, i.respondents, i.shares, i.mean, i.mean_low, i.mean_high)
                      for i in q.scale_items)
        statistics: list[Statistic] = []
        if q.type is QuestionType.RATING and q.scale_items:
            item = q.scale_items[0]
            statistics.append(Statistic(wording.median, item.median, item.median_low, item.median_high, 1))
        if q.reliability is not None and q.reliability.alpha is not None:
            r = q.reliability
            statistics.append(Statistic(wording.alpha, r.alpha, r.low, r.high, 3))
        return finish(QuestionResult(**common, chart=ChartKind.DISTRIBUTION,
                                     scale_points=tuple(p.label for p in q.scale_points), scale_items=items,
                                     statistics=tuple(statistics)))
    if q.type in (QuestionType.SHORT_TEXT, QuestionType.LONG_TEXT):
        count = q.text_count or 0
        if q.texts_withheld:  # no count: it may rest on fewer than k respondents
            notes.insert(0, wording.texts_withheld.format(k=k_text))
        elif count:
            notes.insert(0, wording.texts_note.format(n=f"{count:,}"))
        return finish(QuestionResult(**common, chart=ChartKind.NONE))
    multiple = q.type is QuestionType.MULTIPLE_CHOICE
    rows = tuple(
        FrequencyRow(o.label, o.count, o.share, o.low, o.high,
                     (Measure(o.mention_share, o.mention_low, o.mention_high, 1, True),) if multiple else ())
        for o in q.options
    )
    statistics = []
    if q.number is not None:
        n = q.number
        statistics = [Statistic(wording.mean, n.mean, n.mean_low, n.mean_high, 1),
                      Statistic(wording.median, n.median, n.median_low, n.median_high, 1)]
    return finish(QuestionResult(
        **common, rows=rows, statistics=tuple(statistics),
        share_heading=wording.share_of_respondents if multiple else None,
        extra_columns=(wording.share_of_mentions,) if multiple else (),
    ))


# --------------------------------------------------------------------------- key findings


def _findings(ranking: PriorityRanking | None) -> tuple[Finding, ...]:
    """The top shown items; the last one's mark would point at an item the table leaves out, so it goes."""
    if ranking is None:
        return ()
    shown = [i for i in ranking.items if i.share is not None][:TOP_N]
    return tuple(
        Finding(i.label, i.share, i.low, i.high, i.count, i.tied_with_next and n < len(shown) - 1)
        for n, i in enumerate(shown)
    )


def _services(analysis: NeedsAnalysis) -> tuple[PriorityRanking | None, QuestionAnalysis | None]:
    """The first ranking question's own priority ("ranked in the top N"), the most wanted services."""
    for q in analysis.questions:
        if q.type is not QuestionType.RANKING:
            continue
        ranking = next((p for p in analysis.priorities if p.question_ids == (q.question_id,)), None)
        if ranking is not None:
            return ranking, q
    return None, None


def _highlights(analysis: NeedsAnalysis, wording: ReportWording, services: QuestionAnalysis | None,
                ) -> tuple[str, ...]:
    from survey.reports.toolkit import interval, percent

    lines = []
    top = next((i for i in (analysis.priority.items if analysis.priority else ()) if i.share is not None), None)
    if top is not None and top.low is not None and top.high is not None:
        lines.append(wording.top_need.format(item=top.label, share=percent(top.share),
                                             interval=interval(top.low, top.high)))
    if services is not None:
        first = max((i for i in services.ranking if i.first_share is not None), key=lambda i: i.first_share,
                    default=None)
        if first is not None:
            lines.append(wording.top_first.format(question=f"{services.code} {services.title}", item=first.label,
                                                  share=percent(first.first_share)))
    return tuple(lines)


# --------------------------------------------------------------------------- breakdowns


def breakdown_variables(analysis: NeedsAnalysis) -> list[str]:
    """The variables the report breaks down by: each demographic single-choice question, then the unit's
    sub-district when no question asks for the sub-district (by unit: the participation table instead)."""
    keys = [q.question_id for q in analysis.questions
            if q.demographic is not None and q.type is QuestionType.SINGLE_CHOICE]
    if not any(q.demographic is Demographic.SUB_DISTRICT for q in analysis.questions):
        keys.append(BY_SUB_DISTRICT)
    return list(dict.fromkeys(keys))


def _breakdown(table: QuestionBreakdown, variable: str, question: QuestionAnalysis | None,
               wording: ReportWording) -> Breakdown | None:
    """The builder's breakdown for a significant table with cells (numbers have only group means: left out)."""
    test = table.test
    if test is None or not table.significant or not table.categories or test.statistic is None \
            or test.p is None or test.df is None or test.effect is None:
        return None
    if test.effect < (MIN_EPSILON_SQUARED if table.kind == "scale" else MIN_CRAMERS_V):
        return None  # significant with this many responses, but too small to report
    keep = [g for g, group in enumerate(table.groups) if group.size != 0]
    categories = list(table.categories)
    if table.kind == "scale" and question is not None:
        labels = {str(p.value): p.label for p in question.scale_points}
        categories = [labels.get(c, c) for c in categories]
    cells = tuple(
        tuple(BreakdownCell(table.cells[c][g].count, table.cells[c][g].share, table.cells[c][g].residual)
              for g in keep)
        for c in range(len(categories))
    )
    if table.kind == "scale":
        statistic, effect = _Symbol(test.statistic, "H = "), _Symbol(test.effect, "ε² = ")
        notes = [wording.scale_note]
    else:
        statistic, effect = _Symbol(test.statistic, "χ² = "), _Symbol(test.effect, "Cramér's V = ")
        notes = [wording.multiple_note] if table.kind == "multiple" else []
    if test.pooled_groups:
        notes.append(wording.pooled_note.format(groups=wording.list_separator.join(test.pooled_groups)))
    if table.note and table.kind not in ("multiple", "scale"):
        notes.append(table.note)
    return Breakdown(
        variable=variable, question=table.title, groups=tuple(table.groups[g].label for g in keep),
        group_sizes=tuple(table.groups[g].size for g in keep), categories=tuple(categories), cells=cells,
        chi2=statistic, df=int(test.df), p=float(test.p), cramers_v=effect, critical=table.critical,
        note=" ".join(notes),
    )


# --------------------------------------------------------------------------- participation and appendix


def _participation_row(row: AnalysisParticipationRow, unit: str | None = None) -> ParticipationRow:
    return ParticipationRow(unit=row.unit if unit is None else unit, sub_district=row.sub_district,
                            members=row.members, responses=row.responses, rate=row.rate, target=row.target,
                            reached=row.reached)


def _participation(analysis: NeedsAnalysis, wording: ReportWording) -> tuple[ParticipationRow, ...]:
    """Each sub-district's units, then its subtotal; units in no sub-district; responses without a unit."""
    participation = analysis.participation
    units: dict[str, list[AnalysisParticipationRow]] = {}
    for row in participation.units:
        units.setdefault(row.sub_district, []).append(row)
    rows: list[ParticipationRow] = []
    for sub in participation.sub_districts:
        name = sub.unit if sub.code else ""
        rows += [_participation_row(r) for r in units.pop(name, [])]
        if sub.code:
            rows.append(_participation_row(sub, wording.subtotal.format(name=sub.unit)))
    for rest in units.values():  # not expected: every unit's sub-district has a row
        rows += [_participation_row(r) for r in rest]
    if participation.without_unit != 0:
        rows.append(ParticipationRow(wording.no_unit, "", None, participation.without_unit, None, None, None))
    return tuple(rows)


def _appendix_note(question: Question, wording: ReportWording, english: bool) -> str | None:
    t = question.type
    if t is QuestionType.MULTIPLE_CHOICE:
        low, high = question.min_selections, question.max_selections
        if low and high and low > 1:
            return wording.choose_between.format(low=low, high=high)
        if high:
            return wording.choose_up_to.format(n=high)
        if low and low > 1:
            return wording.choose_at_least.format(n=low)
        return None
    if t is QuestionType.RANKING:
        if question.rank_top and question.rank_top < len(question.options):
            return wording.rank_top.format(n=question.rank_top)
        return wording.rank_all
    if t in (QuestionType.RATING, QuestionType.MATRIX):
        locale = "en" if english else "zh"
        low_label, high_label = question.scale_min_label.get(locale), question.scale_max_label.get(locale)
        if low_label and high_label:
            return wording.scale.format(low=question.scale_min, high=question.scale_max, low_label=low_label,
                                        high_label=high_label)
        return f"{question.scale_min}–{question.scale_max}"
    if t is QuestionType.NUMBER:
        low, high = question.number_min, question.number_max
        text = None
        if low is not None and high is not None:
            text = wording.number_range.format(low=_number_text(low), high=_number_text(high))
        elif low is not None:
            text = wording.number_from.format(low=_number_text(low))
        elif high is not None:
            text = wording.number_to.format(high=_number_text(high))
        if not question.integer:
            text = wording.decimals if text is None else f"{text}{wording.label_join}{wording.decimals}"
        return text
    return None


def _appendix(spec: Spec, codes: dict[str, str], wording: ReportWording, english: bool
              ) -> tuple[AppendixSection, ...]:
    locale = "en" if english else "zh"
    sections = []
    number = 0
    for section in spec.sections:
        questions = []
        for question in section.questions:
            number += 1
            if question.type is QuestionType.MATRIX:
                options = tuple(r.label.get(locale) for r in question.rows)
            else:
                options = tuple(o.label.get(locale) for o in question.options)
            questions.append(AppendixQuestion(
                code=codes.get(question.id, f"Q{number}"), title=question.title.get(locale),
                kind=wording.kinds.get(question.type, question.type.value), options=options,
                note=_appendix_note(question, wording, english)))
        sections.append(AppendixSection(section.title.get(locale), tuple(questions)))
    return tuple(sections)


def _appendix_spec(questionnaire: Questionnaire, analysis: NeedsAnalysis) -> Spec | None:
    """The version the view answered (the newest of them), else the live one."""
    by_number = {v.number: v for v in questionnaire.versions}
    numbers = [n for n in analysis.versions if n in by_number]
    version = by_number[max(numbers)] if numbers else live_version(questionnaire)
    return spec_of(version) if version is not None else None


# --------------------------------------------------------------------------- the report


def report_data(
    *,
    questionnaire: Questionnaire,
    analysis: NeedsAnalysis,
    breakdowns: Sequence[tuple[str, NeedsAnalysis]] = (),
    language: str = "zh",
    now: datetime | None = None,
) -> NeedsReportData:
    """The builder's data from the analysis (and one analysis per breakdown variable: ``(key, analysis)``)."""
    lang = _language(language)
    english = lang == "en"
    wording = WORDING[lang]
    labels = LABELS[lang]
    now = now or utcnow()
    period = _period(analysis.first_day, analysis.last_day, wording)
    title = (wording.title.format(period=period, report=labels.report) if period
             else wording.title_no_period.format(report=labels.report))
    spec = _appendix_spec(questionnaire, analysis)
    questionnaire_title = spec.title.get(lang) if spec is not None and spec.title else questionnaire.title

    services_ranking, services_question = _services(analysis)
    method_notes = []
    if len(analysis.versions) > 1:
        method_notes.append(wording.versions.format(
            versions=wording.list_separator.join(str(v) for v in analysis.versions)))
    if analysis.priority is not None:
        method_notes.append(wording.priority_method)
    if services_ranking is not None:
        n_ranked = services_question.top_n or len(services_question.ranking)
        method_notes.append(wording.services_method.format(question=services_question.code, n=n_ranked))

    by_id = {q.question_id: q for q in analysis.questions}
    order = {q.question_id: n for n, q in enumerate(analysis.questions)}
    found: list[tuple[tuple[int, int, int], Breakdown]] = []
    for v, (key, result) in enumerate(breakdowns):
        if result.breakdown is None:
            continue
        variable = wording.sub_district if key == BY_SUB_DISTRICT else \
            (by_id[key].title if key in by_id else result.breakdown.label)
        seen: Counter = Counter()
        for table in result.breakdown.tables:
            part = seen[table.question_id]
            seen[table.question_id] += 1
            question = by_id.get(table.question_id)
            if question is None or question.demographic is not None:
                continue  # who answered (age by gender) describes the sample, not members' needs
            made = _breakdown(table, variable, question, wording)
            if made is not None:
                found.append(((order[table.question_id], part, v), made))
    # Question by question in the questionnaire's order (a matrix row by row), then by variable.
    ordered = [b for _place, b in sorted(found, key=lambda item: item[0])]

    participation = analysis.participation
    total = _participation_row(participation.total, labels.total)

    codes = {q.question_id: q.code for q in analysis.questions}
    return NeedsReportData(
        title=title,
        questionnaire=questionnaire_title,
        organisation=_organisation(english),
        period=period,
        fieldwork=_fieldwork(analysis.first_day, analysis.last_day, wording),
        sample_size=analysis.n,
        response_rate=participation.total.rate,
        generated_at=_local(now).strftime(TIME_FORMAT),
        min_respondents=analysis.thresholds.k_view,
        members=participation.total.members,
        filters=tuple(f"{f.label}{wording.label_join}{f.value}" for f in analysis.filters),
        method_notes=tuple(method_notes),
        highlights=_highlights(analysis, wording, services_question),
        top_needs=_findings(analysis.priority),
        top_services=_findings(services_ranking),
        questions=tuple(_question(q, wording, analysis.thresholds.k_text) for q in analysis.questions),
        breakdowns=tuple(ordered),
        participation=_participation(analysis, wording),
        participation_total=total,
        appendix=_appendix(spec, codes, wording, english) if spec is not None else (),
    )


def report_filename(questionnaire: Questionnaire, language: str = "zh") -> str:
    return f"needs-report-{questionnaire.id}{'-en' if _language(language) == 'en' else ''}.pdf"


def build_for(
    *,
    questionnaire: Questionnaire,
    filters: MatrixFilter | None = None,
    language: str = "zh",
    now: datetime | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> ReportFile:
    """The needs report of ``questionnaire``'s submitted responses (in the ``filters`` view) as a PDF.

    ``language``: "zh" (default) or "en". ``now``: the generated-at time (default: the clock); the same
    data and ``now`` give the same bytes. ``progress(step, done, total)`` is called after each step
    (:data:`STEPS`; "breakdown" once per breakdown variable). Raises :class:`NoResponses` when there is
    nothing to report, and the analysis' errors (``FilterError``, ``FilterRefused``) for a bad filter.
    """
    from survey.services.needs_analysis import analyse

    if count_rows(questionnaire) == 0:
        raise NoResponses(_("Questionnaire %(id)d has no submitted responses yet: there is nothing to report.",
                            id=questionnaire.id))
    lang = _language(language)
    now = now or utcnow()
    codebook = questionnaire_codebook(questionnaire)
    matrix = load_matrix(questionnaire, with_texts=any(not v.numeric for v in codebook.variables))
    done, total = 1, 3
    if progress:
        progress("load", done, total)
    report_locale = "en" if lang == "en" else "zh_CN"
    try:
        with force_locale(report_locale):  # the analysis' own words (group names, totals) in the report's language
            analysis = analyse(questionnaire=questionnaire, filters=filters, locale=lang, matrix=matrix)
    except DomainError:
        # A refused filter: say why in the caller's language, not the report's.
        analyse(questionnaire=questionnaire, filters=filters, locale=lang, matrix=matrix)
        raise
    if analysis.n == 0:
        raise NoResponses(_("No submitted responses match these filters: there is nothing to report."))
    keys = breakdown_variables(analysis)
    done, total = 2, 3 + len(keys)
    if progress:
        progress("analyse", done, total)
    broken_down = []
    with force_locale(report_locale):
        for key in keys:
            broken_down.append((key, analyse(questionnaire=questionnaire, filters=filters, locale=lang,
                                             matrix=matrix, breakdown=key)))
            done += 1
            if progress:
                progress("breakdown", done, total)
        data = report_data(questionnaire=questionnaire, analysis=analysis, breakdowns=broken_down, language=lang,
                           now=now)
    pdf = build_needs_report(data, report_labels(lang))
    if progress:
        progress("layout", total, total)
    return ReportFile(report_filename(questionnaire, lang), pdf)
