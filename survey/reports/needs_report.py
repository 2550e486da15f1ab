"""The needs report PDF: what members need most and which services they want, from one questionnaire.

Plain data in, PDF bytes out: the analysis service computes every figure, applies
small-cell suppression and formats dates; nothing here touches the database, the
request or the clock. A suppressed figure arrives as None and prints as the dash,
with a footnote "fewer than k respondents" under the table that shows it. All text
from users (titles, labels, unit names, "other" answers) prints literally.

Layout: cover; method (sample, dates, response rate); key findings (top needs and
services with intervals); one section per question with its chart and table; the
significant breakdowns; participation by unit; the questionnaire as an appendix.
Headings come in Chinese (default) or English (:data:`LABELS`), or as the caller's
own :class:`NeedsLabels`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, KeepTogether, PageBreak, Spacer

from survey.reports.toolkit import (
    DASH,
    FRAME_WIDTH,
    Bar,
    DistributionRow,
    PageSpec,
    build_pdf,
    data_table,
    distribution_chart,
    facts_table,
    grouped_bar_chart,
    heading,
    interval,
    interval_bar_chart,
    number,
    p_text,
    para,
    percent,
    widths,
)

#: Breakdowns get a chart as well as the table when they are this small (beyond, the chart outgrows a page
#: and its bars get too thin to read; the table, with its marked cells, carries the finding alone).
CHART_MAX_GROUPS = 6
CHART_MAX_BARS = 30
#: Groups per breakdown table; wider breakdowns continue in a further table.
TABLE_MAX_GROUPS = 7
OVER = colors.HexColor("#d9e7f5")
UNDER = colors.HexColor("#f8ddd7")


# --- the data ----------------------------------------------------------------------------------------


class ChartKind(str, Enum):
    """Which chart a question gets."""

    BARS = "bars"  #: one bar per row with its interval (choices, rankings, banded numbers)
    DISTRIBUTION = "distribution"  #: stacked 100% bars of ``scale_items`` (ratings, matrices)
    NONE = "none"  #: table only (free text, dates)


@dataclass(frozen=True)
class Finding:
    """One need or service in the priority ranking; ``tied_with_next``: not distinguishable from the next one."""

    label: str
    share: float | None  #: 0..1
    low: float | None = None
    high: float | None = None
    count: int | None = None
    tied_with_next: bool = False


@dataclass(frozen=True)
class Measure:
    """A figure with its interval for an extra table column (mean rank, Borda score, ...).

    ``digits`` after the point; with ``percent`` the value is a share printed as a percentage.
    """

    value: float | None
    low: float | None = None
    high: float | None = None
    digits: int = 2
    percent: bool = False


@dataclass(frozen=True)
class Statistic:
    """A named summary figure printed under a question's table (mean, median, Cronbach's alpha, ...)."""

    label: str
    value: float | None
    low: float | None = None
    high: float | None = None
    digits: int = 2
    percent: bool = False


@dataclass(frozen=True)
class FrequencyRow:
    """One answer: how many chose it and their share (None: suppressed)."""

    label: str
    count: int | None
    share: float | None  #: 0..1
    low: float | None = None
    high: float | None = None
    extra: tuple[Measure, ...] = ()  #: one per ``QuestionResult.extra_columns``


@dataclass(frozen=True)
class ScaleItem:
    """One item of a scale question: the share at each scale point and the mean."""

    label: str
    respondents: int | None
    shares: tuple[float | None, ...]  #: one per ``QuestionResult.scale_points``
    mean: float | None = None
    mean_low: float | None = None
    mean_high: float | None = None


@dataclass(frozen=True)
class QuestionResult:
    """One question's section: its chart, its table(s) and its summary figures."""

    code: str  #: e.g. "Q11"
    title: str
    kind: str  #: the question type, already translated ("多选题")
    respondents: int | None  #: who answered it (the base of the shares)
    rows: tuple[FrequencyRow, ...] = ()
    chart: ChartKind = ChartKind.BARS
    share_heading: str | None = None  #: overrides the share column's heading ("首选比例", "share of mentions")
    extra_columns: tuple[str, ...] = ()
    scale_points: tuple[str, ...] = ()  #: e.g. ("1 非常不满意", "2", "3", "4", "5 非常满意")
    scale_items: tuple[ScaleItem, ...] = ()
    statistics: tuple[Statistic, ...] = ()
    other_texts: tuple[str, ...] = ()  #: "other, please specify" answers, already screened for k
    note: str | None = None


@dataclass(frozen=True)
class BreakdownCell:
    """One group's share for one answer, and the adjusted standardised residual (None: suppressed)."""

    count: int | None
    share: float | None  #: share within the group (column share)
    residual: float | None = None


@dataclass(frozen=True)
class Breakdown:
    """A question crossed with a grouping variable, with its chi-square test."""

    variable: str  #: e.g. "年龄" or "街道"
    question: str  #: e.g. "Q18 您希望工会为您提供哪些服务？"
    groups: tuple[str, ...]
    group_sizes: tuple[int | None, ...]
    categories: tuple[str, ...]
    cells: tuple[tuple[BreakdownCell, ...], ...]  #: ``cells[category][group]``
    chi2: float
    df: int
    p: float
    cramers_v: float
    critical: float = 1.96  #: |residual| above this marks a cell
    note: str | None = None


@dataclass(frozen=True)
class ParticipationRow:
    """A unit's responses against its members and target.

    ``responses`` None: suppressed (the dash, and the rate with it); ``members``, ``rate``,
    ``target`` or ``reached`` None otherwise: not known or no target (left blank).
    """

    unit: str
    sub_district: str
    members: int | None
    responses: int | None
    rate: float | None
    target: float | None  #: target rate, 0..1
    reached: bool | None


@dataclass(frozen=True)
class AppendixQuestion:
    code: str
    title: str
    kind: str
    options: tuple[str, ...] = ()  #: options, matrix statements or scale points, in order
    note: str | None = None  #: e.g. "最多选3项"; "1 = 非常不满意 … 5 = 非常满意"


@dataclass(frozen=True)
class AppendixSection:
    title: str
    questions: tuple[AppendixQuestion, ...]


@dataclass(frozen=True)
class NeedsReportData:
    title: str
    questionnaire: str
    organisation: str
    period: str  #: e.g. "2024年"
    fieldwork: str  #: first to last response, formatted, e.g. "2024-03-01 至 2024-03-31"
    sample_size: int
    response_rate: float | None  #: 0..1
    generated_at: str  #: formatted by the caller, e.g. "2024-04-02 10:00"
    min_respondents: int = 5  #: k: figures resting on fewer respondents are suppressed
    members: int | None = None  #: the population asked
    filters: tuple[str, ...] = ()  #: filters applied, described ("年龄：35岁以下")
    method_notes: tuple[str, ...] = ()
    highlights: tuple[str, ...] = ()  #: key sentences written by the caller
    top_needs: tuple[Finding, ...] = ()
    top_services: tuple[Finding, ...] = ()
    questions: tuple[QuestionResult, ...] = ()
    breakdowns: tuple[Breakdown, ...] = ()
    participation: tuple[ParticipationRow, ...] = ()
    participation_total: ParticipationRow | None = None
    appendix: tuple[AppendixSection, ...] = ()


@dataclass(frozen=True)
class NeedsLabels:
    """The report's fixed wording. ``{k}``, ``{n}`` and the like are filled in with ``str.format``."""

    report: str  #: a default title for callers that have none of their own
    organisation: str
    questionnaire: str
    period: str
    fieldwork: str
    sample: str
    members: str
    response_rate: str
    generated: str
    footer: str  #: "{generated}" is the generated-at text
    method: str
    filters: str
    method_text: str  #: {n}, {k}
    key_findings: str
    top_needs: str
    top_services: str
    rank: str
    item: str
    count: str
    share: str
    interval: str
    tie_note: str
    results: str
    question_meta: str  #: {code}, {kind}, {n}
    option: str
    respondents: str
    mean: str
    statistic: str  #: {label}, {value}
    other_texts: str
    breakdowns: str
    no_breakdowns: str
    breakdown_title: str  #: {question}, {variable}
    test_line: str  #: {chi2}, {df}, {p} ("p < 0.001"), {v}
    residual_note: str  #: {c}
    group_size: str
    participation: str
    unit: str
    sub_district: str
    responses: str
    rate: str
    target: str
    reached: str
    yes: str
    no: str
    total: str
    appendix: str
    appendix_question: str  #: {code}, {title}, {kind}
    suppressed: str  #: {k}
    suppressed_short: str  #: {k}, for chart legends


LABELS: dict[str, NeedsLabels] = {
    "zh": NeedsLabels(
        report="职工需求调查分析报告", organisation="组织单位", questionnaire="问卷", period="调查期间",
        fieldwork="调查日期", sample="有效问卷", members="会员人数", response_rate="参与率", generated="生成时间",
        footer="生成于 {generated}", method="一、调查方法", filters="筛选条件",
        method_text=(
            "本报告基于 {n} 份有效问卷。比例按答题人数计算，并给出 95% 置信区间（Wilson 方法）；"
            "多选题的比例为选择该项的受访者占答题人数的比例，各项之和可超过 100%。"
            "分组差异采用卡方独立性检验，以 Cramér's V 表示差异大小，并以调整后标准化残差标出差异集中的单元格。"
            "依据少于 {k} 位受访者的数字不予显示（以“—”表示），可据以推算的其他数字一并隐藏。"
        ),
        key_findings="二、主要发现", top_needs="最突出的需求", top_services="最希望获得的服务", rank="排序",
        item="项目", count="人数", share="比例", interval="95% 置信区间",
        tie_note="≈ 与下一项的差异在统计上不显著（置信区间重叠）", results="三、各题结果",
        question_meta="{code} · {kind} · 答题人数 {n}", option="选项", respondents="人数", mean="平均分",
        statistic="{label}：{value}",
        other_texts="“其他”填写内容", breakdowns="四、分组差异",
        no_breakdowns="没有统计上显著的分组差异。", breakdown_title="{question} × {variable}",
        test_line="χ² = {chi2}，自由度 = {df}，{p}，Cramér's V = {v}",
        residual_note="↑ / ↓：调整后标准化残差大于 {c} 或小于 -{c}，该组选择此项的比例明显高于或低于其他组。",
        group_size="人数 n", participation="五、参与情况", unit="单位", sub_district="街道", responses="答卷数",
        rate="参与率", target="目标", reached="达标", yes="是", no="否", total="合计", appendix="附录：问卷", appendix_question="{code}  {title}（{kind}）",
        suppressed="— 少于 {k} 位受访者，不予显示。", suppressed_short="少于 {k} 人，不显示",
    ),
    "en": NeedsLabels(
        report="Members' needs survey report", organisation="Organisation", questionnaire="Questionnaire",
        period="Period", fieldwork="Fieldwork", sample="Responses", members="Members",
        response_rate="Response rate", generated="Generated", footer="Generated {generated}", method="1. Method",
        filters="Filters",
        method_text=(
            "This report rests on {n} responses. Shares are of the respondents who answered the question, with "
            "95% confidence intervals (Wilson). For multiple choice a share is of respondents choosing the option, "
            "so shares may add up to more than 100%. Differences between groups are tested with the chi-square "
            "test of independence; Cramér's V gives their size and adjusted standardised residuals mark the cells "
            "that drive them. Figures resting on fewer than {k} respondents are not shown (a dash), nor are "
            "figures from which they could be worked out."
        ),
        key_findings="2. Key findings", top_needs="Most pressing needs", top_services="Most wanted services",
        rank="Rank", item="Item", count="Count", share="Share", interval="95% interval",
        tie_note="≈ not distinguishable from the next item (the intervals overlap)", results="3. Results by question",
        question_meta="{code} · {kind} · {n} respondents", option="Option", respondents="n", mean="Mean",
        statistic="{label}: {value}",
        other_texts="Answers to \u201cother\u201d", breakdowns="4. Differences between groups",
        no_breakdowns="No statistically significant differences between groups.",
        breakdown_title="{question} by {variable}", test_line="χ² = {chi2}, df = {df}, {p}, Cramér's V = {v}",
        residual_note=("↑ / ↓: adjusted standardised residual above {c} or below -{c}: the group chose this "
                       "answer markedly more or less often than the others."),
        group_size="n", participation="5. Participation", unit="Unit", sub_district="Sub-district",
        responses="Responses", rate="Rate", target="Target", reached="Reached", yes="yes", no="no", total="Total",
        appendix="Appendix: the questionnaire", appendix_question="{code}  {title} ({kind})", suppressed="— fewer than {k} respondents, not shown.",
        suppressed_short="fewer than {k}, not shown",
    ),
}


# --- building blocks ---------------------------------------------------------------------------------


def _measure(value: float | None, low: float | None, high: float | None, digits: int, as_percent: bool) -> str:
    if value is None:
        return DASH
    shown = percent(value, digits) if as_percent else number(value, digits)
    if low is None or high is None:
        return shown
    return f"{shown} ({interval(low, high, digits, as_percent=as_percent)})"


def _footnote(labels: NeedsLabels, k: int) -> list:
    return [para(labels.suppressed.format(k=k), "footnote")]


def _ci(share: float | None, low: float | None, high: float | None) -> str:
    """The interval column: the dash with the share suppressed, blank when no interval was computed."""
    if share is None:
        return DASH
    return interval(low, high) if low is not None and high is not None else ""


def _cover(data: NeedsReportData, labels: NeedsLabels) -> list:
    facts = [
        (labels.organisation, data.organisation),
        (labels.questionnaire, data.questionnaire),
        (labels.period, data.period),
        (labels.fieldwork, data.fieldwork),
        (labels.sample, number(data.sample_size)),
    ]
    if data.response_rate is not None:
        facts.append((labels.response_rate, percent(data.response_rate)))
    facts.append((labels.generated, data.generated_at))
    return [
        Spacer(0, 55 * mm),
        para(data.title, "cover_title"),
        para(data.organisation, "cover_subtitle"),
        Spacer(0, 18 * mm),
        facts_table(facts, widths(1, 3, total=120 * mm)),
        PageBreak(),
    ]


def _method(data: NeedsReportData, labels: NeedsLabels) -> list:
    facts = [(labels.sample, number(data.sample_size))]
    if data.members is not None:
        facts.append((labels.members, number(data.members)))
    if data.response_rate is not None:
        facts.append((labels.response_rate, percent(data.response_rate)))
    facts.append((labels.fieldwork, data.fieldwork))
    if data.filters:
        facts.append((labels.filters, "；".join(data.filters)))
    story = [heading(labels.method), facts_table(facts), Spacer(0, 4 * mm),
             para(labels.method_text.format(n=number(data.sample_size), k=data.min_respondents))]
    story += [para(note) for note in data.method_notes]
    return story


def _findings_block(title: str, findings: tuple[Finding, ...], labels: NeedsLabels, k: int) -> list:
    if not findings:
        return []
    chart = interval_bar_chart([Bar(f.label, f.share, f.low, f.high) for f in findings])
    rows = [
        [f"{n}{' ≈' if f.tied_with_next else ''}", f.label, number(f.count) if f.count is not None else "",
         percent(f.share), _ci(f.share, f.low, f.high)]
        for n, f in enumerate(findings, start=1)
    ]
    table = data_table([labels.rank, labels.item, labels.count, labels.share, labels.interval], rows,
                       widths(0.8, 4.2, 1.1, 1.1, 1.8), numeric={2, 3, 4})
    notes = []
    if any(f.tied_with_next for f in findings):
        notes.append(para(labels.tie_note, "footnote"))
    if any(f.share is None for f in findings):
        notes += _footnote(labels, k)
    return [KeepTogether([heading(title, "h2", 1), chart, Spacer(0, 2 * mm)]), table, *notes]


def _key_findings(data: NeedsReportData, labels: NeedsLabels) -> list:
    story = [CondPageBreak(90 * mm), heading(labels.key_findings)]
    story += [para(f"• {line}", "bullet") for line in data.highlights]
    story += _findings_block(labels.top_needs, data.top_needs, labels, data.min_respondents)
    story += _findings_block(labels.top_services, data.top_services, labels, data.min_respondents)
    return story


def _question(question: QuestionResult, labels: NeedsLabels, k: int) -> list:
    meta = labels.question_meta.format(code=question.code, kind=question.kind, n=number(question.respondents))
    head = [heading(f"{question.code}  {question.title}", "h2", 1), para(meta, "small"), Spacer(0, 2 * mm)]
    suppressed_label = labels.suppressed_short.format(k=k)
    chart = None
    if question.chart is ChartKind.BARS and question.rows:
        chart = interval_bar_chart([Bar(r.label, r.share, r.low, r.high) for r in question.rows])
    elif question.chart is ChartKind.DISTRIBUTION and question.scale_items:
        chart = distribution_chart([DistributionRow(i.label, i.shares) for i in question.scale_items],
                                   question.scale_points, suppressed_label=suppressed_label)
    story: list = []
    suppressed = False
    if question.rows:
        header = [labels.option, labels.count, question.share_heading or labels.share, labels.interval,
                  *question.extra_columns]
        rows = []
        for r in question.rows:
            extra = [_measure(m.value, m.low, m.high, m.digits, m.percent) for m in r.extra]
            rows.append([r.label, number(r.count), percent(r.share), _ci(r.share, r.low, r.high), *extra])
            suppressed |= r.count is None or r.share is None or any(m.value is None for m in r.extra)
        col_widths = widths(4, 1, 1, 1.8, *(2.2,) * len(question.extra_columns))
        story.append(data_table(header, rows, col_widths, numeric=set(range(1, len(header)))))
    if question.scale_items:
        header = [labels.item, labels.respondents, *question.scale_points, labels.mean]
        rows = []
        for item in question.scale_items:
            rows.append([item.label, number(item.respondents), *(percent(s, 0) for s in item.shares),
                         _measure(item.mean, item.mean_low, item.mean_high, 2, False)])
            suppressed |= item.respondents is None or item.mean is None or any(s is None for s in item.shares)
        points = len(question.scale_points)
        col_widths = widths(3.2, 0.9, *(max(0.55, 4.5 / max(points, 1)),) * points, 2.2)
        story += [Spacer(0, 2 * mm), data_table(header, rows, col_widths, numeric=set(range(1, len(header))))]
    if question.statistics:
        story.append(Spacer(0, 2 * mm))
    for statistic in question.statistics:
        value = _measure(statistic.value, statistic.low, statistic.high, statistic.digits, statistic.percent)
        suppressed |= statistic.value is None
        story.append(para(labels.statistic.format(label=statistic.label, value=value), "body"))
    if question.other_texts:
        story += [para(labels.other_texts, "h3")]
        story += [para(f"• {t}", "bullet", newlines=True) for t in question.other_texts]
    if question.note:
        story.append(para(question.note, "small"))
    if suppressed:
        story += _footnote(labels, k)
    first = [*head, *([chart, Spacer(0, 2 * mm)] if chart is not None else [])]
    if story and len(question.rows) + len(question.scale_items) <= 16:
        return [KeepTogether([*first, *story]), Spacer(0, 4 * mm)]
    return [KeepTogether(first), *story, Spacer(0, 4 * mm)]


def _mark(cell: BreakdownCell, critical: float) -> int:
    if cell.residual is None or cell.share is None:
        return 0
    return 1 if cell.residual > critical else (-1 if cell.residual < -critical else 0)


def _breakdown(breakdown: Breakdown, labels: NeedsLabels, k: int) -> list:
    title = labels.breakdown_title.format(question=breakdown.question, variable=breakdown.variable)
    test = labels.test_line.format(chi2=f"{breakdown.chi2:.2f}", df=breakdown.df, p=p_text(breakdown.p),
                                   v=f"{breakdown.cramers_v:.3f}")
    marks = [[_mark(c, breakdown.critical) for c in row] for row in breakdown.cells]
    head = [heading(title, "h2", 1), para(test, "small"),
            para(labels.residual_note.format(c=f"{breakdown.critical:.2f}"), "small"), Spacer(0, 2 * mm)]
    if len(breakdown.groups) <= CHART_MAX_GROUPS and len(breakdown.groups) * len(breakdown.categories) <= CHART_MAX_BARS:
        values = [[c.share for c in row] for row in breakdown.cells]
        head += [grouped_bar_chart(breakdown.categories, breakdown.groups, values, marks=marks), Spacer(0, 2 * mm)]
    tables: list = []
    parts = -(-len(breakdown.groups) // TABLE_MAX_GROUPS)
    size = -(-len(breakdown.groups) // parts)  # 15 groups: 5 + 5 + 5, not 7 + 7 + 1
    for start in range(0, len(breakdown.groups), size):
        span = range(start, min(start + size, len(breakdown.groups)))
        header = [labels.option, *(breakdown.groups[g] for g in span)]
        rows, style = [], []
        for c, category in enumerate(breakdown.categories):
            row = [category]
            for col, g in enumerate(span, start=1):
                cell, mark = breakdown.cells[c][g], marks[c][g]
                row.append(percent(cell.share) + {1: " ↑", -1: " ↓"}.get(mark, ""))
                if mark:
                    style.append(("BACKGROUND", (col, c + 1), (col, c + 1), OVER if mark > 0 else UNDER))
            rows.append(row)
        rows.append([labels.group_size, *(number(breakdown.group_sizes[g]) for g in span)])
        group_width = min(24 * mm, (FRAME_WIDTH - 50 * mm) / len(span))
        label_width = min(FRAME_WIDTH - group_width * len(span), 80 * mm)
        table = data_table(header, rows, (label_width, *(group_width,) * len(span)),
                           numeric=set(range(1, len(span) + 1)), total_rows=1, zebra=False, extra_style=style)
        tables += [table, Spacer(0, 2 * mm)]
    notes = []
    if any(c.share is None for row in breakdown.cells for c in row) or None in breakdown.group_sizes:
        notes += _footnote(labels, k)
    if breakdown.note:
        notes.append(para(breakdown.note, "small"))
    return [KeepTogether(head), *tables, *notes, Spacer(0, 5 * mm)]


def _participation(data: NeedsReportData, labels: NeedsLabels) -> list:
    def cells(row: ParticipationRow) -> list:
        hidden = row.responses is None
        rate = DASH if hidden else (percent(row.rate) if row.rate is not None else "")
        reached = "" if row.reached is None else (labels.yes if row.reached else labels.no)
        return [row.unit, row.sub_district, number(row.members) if row.members is not None else "",
                number(row.responses), rate, percent(row.target, 0) if row.target is not None else "", reached]

    rows = [cells(r) for r in data.participation]
    if data.participation_total is not None:
        rows.append(cells(data.participation_total))
    table = data_table(
        [labels.unit, labels.sub_district, labels.members, labels.responses, labels.rate, labels.target,
         labels.reached],
        rows, widths(4.2, 2, 1.3, 1.3, 1.2, 1, 0.9), numeric={2, 3, 4, 5},
        total_rows=1 if data.participation_total is not None else 0,
    )
    story = [heading(labels.participation), table]
    every = [*data.participation, *([data.participation_total] if data.participation_total else [])]
    if any(r.responses is None for r in every):
        story += _footnote(labels, data.min_respondents)
    return story


def _appendix(data: NeedsReportData, labels: NeedsLabels) -> list:
    story = [heading(labels.appendix)]
    for section in data.appendix:
        story.append(heading(section.title, "h2", 1))
        for question in section.questions:
            block = [para(labels.appendix_question.format(code=question.code, title=question.title,
                                                          kind=question.kind), "h3")]
            if question.note:
                block.append(para(question.note, "small"))
            block += [para(f"{n}. {option}", "bullet") for n, option in enumerate(question.options, start=1)]
            story.append(KeepTogether(block) if len(block) <= 14 else block[0])
            if len(block) > 14:
                story += block[1:]
    return story


# --- the report --------------------------------------------------------------------------------------


def build_needs_report(data: NeedsReportData, labels: NeedsLabels | str = "zh") -> bytes:
    """The needs report as PDF bytes (A4 portrait); ``labels`` is "zh", "en" or the caller's own wording.

    The same data and labels always give the same bytes.
    """
    if isinstance(labels, str):
        labels = LABELS["en" if labels.lower().startswith("en") else "zh"]
    k = data.min_respondents
    story = [*_cover(data, labels), *_method(data, labels), *_key_findings(data, labels)]
    if data.questions:
        story += [PageBreak(), heading(labels.results)]
        for question in data.questions:
            story += _question(question, labels, k)
    story += [PageBreak(), heading(labels.breakdowns)]
    if data.breakdowns:
        for breakdown in data.breakdowns:
            story += _breakdown(breakdown, labels, k)
    else:
        story.append(para(labels.no_breakdowns))
    if data.participation:
        story += [PageBreak(), *_participation(data, labels)]
    if data.appendix:
        story += [PageBreak(), *_appendix(data, labels)]
    spec = PageSpec(title=data.title, footer=labels.footer.format(generated=data.generated_at),
                    subject=data.questionnaire)
    return build_pdf(story, spec)
