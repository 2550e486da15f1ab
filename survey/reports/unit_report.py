"""The unit report PDF: one union's result in an open-door scoring round, for the union and its evaluators.

Plain data in, PDF bytes out (:func:`build_unit_report`): the caller maps the engine's
:class:`scoring.engine.RoundResult` and the database's facts (names, recusal reasons,
comments, the audit chain head) onto :class:`UnitReportData`; nothing here touches the
database, the request or the clock, and the same data always gives the same bytes.
Every text from users (unit and round names, criterion titles, comments) prints
literally: ReportLab markup and template-looking text are never interpreted.

Layout (A4): the unit's name, total and rank with their intervals; area scores against
the round's median and range (chart and table); its strongest and weakest criteria
relative to the other units; every criterion with the unit's score and the spread of
the raters' points; raters and recusals by reason category (no names); reliability and
rater-effect notes; anonymised comments; the method; version and audit chain head.
Chinese wording by default, English with ``labels="en"`` (:data:`LABELS`).

Filling the data from a ``RoundResult`` ``res`` for unit index ``u`` (``d = res.to_dict()``)::

    total, total_low, total_high   d["unit_results"][u]["total"], ["ci_low"], ["ci_high"]
    rank                           int(d["unit_results"][u]["rank"]) (None when the total is None)
    rank_low, rank_high            evaluation.rank_interval(res.uncertainty.rank_probabilities[u],
                                   res.settings.confidence)
    units_ranked                   number of units with a finite total
    not_distinguishable            names of the other units of res.uncertainty.groups that hold this unit
    areas[a]                       AreaResult(code=res.aggregate.areas[a], weight=area.weight,
                                   score=res.aggregate.subtotals[u, a], median/low/high = median/min/max
                                   of res.aggregate.subtotals[:, a] over units with a finite value)
    criteria[c]                    CriterionResult(code=res.aggregate.criteria[c], max_points=criterion.max_points,
                                   score=res.aggregate.points[u, c], n via spread(res.aggregate.values[u, :, c]),
                                   method=res.aggregate.applied[u, c] when it differs from settings.method,
                                   round_median, relative = peer_position(points[u, c], points[:, c]))
    raters                         d["unit_results"][u]["n_cards"]
    recusals                       the unit's excluded pairs by reason (scoring.recusal.filter_scores or the DB)
    method                         evaluation.method_of(res.settings)
    total_note                     res.aggregate.total_notes[u]
"""

from __future__ import annotations

from dataclasses import dataclass, field

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Spacer

from survey.reports.evaluation import (
    FACT_WIDTHS,
    CommonLabels,
    Method,
    Publication,
    RecusalCount,
    Spread,
    Statistic,
    area_name,
    audit_section,
    bullets,
    coded,
    common_labels,
    fmt,
    footer,
    loose_heading,
    method_section,
    pick_labels,
    primary_name,
    rank_text,
    recusal_table,
    statistics_table,
    with_interval,
)
from survey.reports.toolkit import (
    DASH,
    PageSpec,
    ScoreRow,
    build_pdf,
    data_table,
    facts_table,
    heading,
    number,
    para,
    score_chart,
    widths,
)

AREA_ROW = colors.HexColor("#eef1f5")

# --- the data ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AreaResult:
    """One area: the unit's subtotal (out of the area's ``weight``) and the round's median and range."""

    code: str
    title: str
    weight: float  #: the area's points in the total (its maximum subtotal)
    score: float | None  #: the unit's subtotal, 0..weight
    median: float | None = None  #: the round's median subtotal
    low: float | None = None  #: the round's lowest subtotal
    high: float | None = None  #: the round's highest subtotal


@dataclass(frozen=True)
class CriterionResult:
    """One criterion: the unit's aggregated points, the spread of its raters' points, its place among peers."""

    code: str
    title: str
    area: str  #: the code of its :class:`AreaResult`
    max_points: float
    score: float | None  #: aggregated points (None: no value)
    spread: Spread = field(default_factory=Spread)  #: the raters' points after the missing policy (:func:`evaluation.spread`)
    method: str = ""  #: the method applied when it is not the configured one (a fallback), else ""
    round_median: float | None = None  #: median of every unit's points on this criterion
    relative: float | None = None  #: (score - round median) / SD across units (:func:`evaluation.peer_position`)


@dataclass(frozen=True)
class UnitReportData:
    round_name: str
    period: str  #: e.g. "2014年"
    unit_name: str  #: Chinese name
    unit_code: str
    generated_at: str  #: formatted by the caller
    total: float | None
    rank: int | None
    units_ranked: int  #: units with a total (the N of "rank r of N")
    areas: tuple[AreaResult, ...]
    criteria: tuple[CriterionResult, ...]
    raters: int  #: scorecards that entered the unit's result
    total_low: float | None = None
    total_high: float | None = None
    total_max: float = 100.0
    rank_low: int | None = None
    rank_high: int | None = None
    not_distinguishable: tuple[str, ...] = ()  #: the other units the bootstrap cannot order against this one
    unit_name_en: str = ""
    organisation: str = ""  #: e.g. "西城区总工会"
    total_note: str = ""  #: why there is no total
    recusals: tuple[RecusalCount, ...] = ()  #: this unit's recused scorecards by reason category
    reliability: tuple[Statistic, ...] = ()
    notes: tuple[str, ...] = ()  #: reliability and rater-effect notes, printed as given
    comments: tuple[str, ...] = ()  #: anonymised comments, printed literally
    method: Method = field(default_factory=Method)
    highlights: int = 3  #: how many strongest and weakest criteria to show
    audit_head: str | None = None
    publication: Publication | None = None
    title: str = ""  #: overrides the report title


@dataclass(frozen=True)
class UnitLabels:
    """The unit report's fixed wording; ``{name}`` parts are filled in with ``str.format``."""

    common: CommonLabels
    report: str
    code: str
    round: str
    total: str
    rank: str
    not_distinguishable: str
    raters: str
    recusals: str
    recusals_text: str  #: {n}
    interval_note: str  #: {confidence}
    sec_areas: str
    sec_strengths: str
    sec_criteria: str
    sec_raters: str
    sec_reliability: str
    sec_comments: str
    sec_method: str
    sec_audit: str
    area: str
    weight: str
    score: str
    share: str
    round_median: str
    round_range: str
    legend: tuple[str, str, str]
    chart_note: str
    strongest: str
    weakest: str
    none_stronger: str
    none_weaker: str
    criterion: str
    criterion_code: str
    max_points: str
    rater_range: str
    quartiles: str
    sd: str
    n: str
    relative: str
    relative_note: str
    fallback_note: str  #: {method}
    area_row: str  #: {area} (code and title), {weight}
    raters_text: str  #: {n}
    no_reliability: str
    no_comments: str
    comments_note: str
    method_extra: str


LABELS: dict[str, UnitLabels] = {
    "zh": UnitLabels(
        common=common_labels("zh"), report="单位评估报告", code="单位代码", round="评估轮次", total="总分", rank="排名",
        not_distinguishable="名次无法区分的单位", raters="有效评分表", recusals="回避", recusals_text="{n} 张评分表",
        interval_note="括号内为 {confidence} 置信区间（自助法）。", sec_areas="一、各领域得分", sec_strengths="二、相对强项与弱项",
        sec_criteria="三、各项指标得分", sec_raters="四、评分人与回避", sec_reliability="五、信度与评分人效应",
        sec_comments="六、评语（匿名）", sec_method="七、方法说明", sec_audit="八、版本与审计", area="领域", weight="分值",
        score="得分", share="得分率", round_median="全轮中位数", round_range="全轮范围",
        legend=("本单位得分率", "全轮中位数", "全轮范围"),
        chart_note="图中为各领域得分占该领域分值的百分比；红线为全轮各单位的中位数，浅色带为最低至最高。",
        strongest="相对强项", weakest="相对弱项", none_stronger="没有高于全轮中位数的指标。",
        none_weaker="没有低于全轮中位数的指标。", criterion="指标", criterion_code="编号", max_points="满分", rater_range="最低–最高",
        quartiles="四分位", sd="标准差", n="人数", relative="标准化差",
        relative_note="标准化差 =（本单位得分 − 全轮中位数）÷ 全轮各单位得分的标准差；正值表示高于同轮多数单位。",
        fallback_note="* 该项有效评分人不足，按{method}计。", area_row="{area}（{weight} 分）",
        raters_text="本单位共有 {n} 张有效评分表进入结果。", no_reliability="没有信度或评分人效应说明。",
        no_comments="没有评语。", comments_note="评语已去除评分人身份，按原文照录，不代表评估结论。",
        method_extra="指标得分为各评分人所给分数的汇总；领域得分按领域分值折算，总分为各领域得分之和。",
    ),
    "en": UnitLabels(
        common=common_labels("en"), report="Unit evaluation report", code="Unit code", round="Round", total="Total",
        rank="Rank", not_distinguishable="Not distinguishable from", raters="Scorecards counted",
        recusals="Recusals", recusals_text="{n} scorecard(s)",
        interval_note="Brackets: {confidence} confidence intervals (bootstrap).", sec_areas="1. Area scores",
        sec_strengths="2. Relative strengths and weaknesses", sec_criteria="3. Scores by criterion",
        sec_raters="4. Raters and recusals", sec_reliability="5. Reliability and rater effects",
        sec_comments="6. Comments (anonymised)", sec_method="7. Method", sec_audit="8. Version and audit",
        area="Area", weight="Points", score="Score", share="Share", round_median="Round median",
        round_range="Round range", legend=("this unit (share)", "round median", "round range"),
        chart_note=("Each area's score as a percentage of the area's points; the red mark is the median of all units "
                    "in the round, the pale band their lowest to highest."),
        strongest="Relative strengths", weakest="Relative weaknesses",
        none_stronger="No criterion above the round median.", none_weaker="No criterion below the round median.",
        criterion="Criterion", criterion_code="Code", max_points="Max", rater_range="Min–max", quartiles="Quartiles", sd="SD", n="n",
        relative="Std. diff.",
        relative_note=("Standardised difference = (unit's score − round median) ÷ SD of all units' scores; positive "
                       "means above most units of the round."),
        fallback_note="* Too few raters for this criterion: scored by the {method}.",
        area_row="{area} ({weight} points)", raters_text="{n} scorecards entered this unit's result.",
        no_reliability="No reliability or rater-effect notes.", no_comments="No comments.",
        comments_note="Comments are printed as written, without the raters' identities; they are not findings.",
        method_extra=("A criterion's score aggregates the raters' points; area scores are scaled to the area's "
                      "points and the total is their sum."),
    ),
}


# --- sections ----------------------------------------------------------------------------------------


def _pct(value: float | None, weight: float) -> float | None:
    if value is None or weight <= 0:
        return None
    return 100.0 * value / weight


def _summary(data: UnitReportData, labels: UnitLabels) -> list:
    c = labels.common
    name, other = primary_name(c, data.unit_name, data.unit_name_en)
    subtitle = " · ".join(part for part in (other, data.unit_code) if part)
    total = with_interval(c, data.total, data.total_low, data.total_high)
    if data.total is not None:
        total = f"{total} / {fmt(data.total_max, 0)}"
    elif data.total_note:
        total = f"{DASH}（{data.total_note}）" if c.lang == "zh" else f"{DASH} ({data.total_note})"
    facts = [
        (labels.round, " · ".join(p for p in (data.round_name, data.period) if p)),
        (labels.total, total),
        (labels.rank, rank_text(c, data.rank, data.rank_low, data.rank_high, data.units_ranked)),
    ]
    if data.not_distinguishable:
        facts.append((labels.not_distinguishable, "、".join(data.not_distinguishable) if c.lang == "zh"
                      else "; ".join(data.not_distinguishable)))
    facts.append((labels.raters, number(data.raters)))
    recused = sum(r.cards for r in data.recusals)
    facts.append((labels.recusals, labels.recusals_text.format(n=recused) if recused else c.none))
    story = [para(" · ".join(p for p in (data.organisation, data.title or labels.report) if p), "cover_subtitle"),
             para(name, "cover_title")]
    if subtitle:
        story.append(para(subtitle, "cover_subtitle"))
    story += [Spacer(0, 3 * mm), facts_table(facts, FACT_WIDTHS)]
    if data.total_low is not None or data.rank_low is not None:
        confidence = f"{data.method.confidence * 100:g}%"
        story.append(para(labels.interval_note.format(confidence=confidence), "footnote"))
    return [*story, Spacer(0, 6 * mm)]


def _areas(data: UnitReportData, labels: UnitLabels) -> list:
    if not data.areas:
        return []
    rows = [ScoreRow(a.title or a.code, _pct(a.score, a.weight), _pct(a.median, a.weight), _pct(a.low, a.weight),
                     _pct(a.high, a.weight)) for a in data.areas]
    chart = score_chart(rows, legend=labels.legend)
    table_rows = []
    for a in data.areas:
        span = f"{fmt(a.low)}–{fmt(a.high)}" if a.low is not None and a.high is not None else DASH
        share = _pct(a.score, a.weight)
        table_rows.append([a.title or a.code, fmt(a.weight, 0 if float(a.weight).is_integer() else 1), fmt(a.score),
                           f"{fmt(share)}%" if share is not None else DASH, fmt(a.median), span])
    table = data_table([labels.area, labels.weight, labels.score, labels.share, labels.round_median, labels.round_range],
                       table_rows, widths(3.6, 0.9, 1, 1, 1.3, 1.4), numeric={1, 2, 3, 4, 5})
    return [KeepTogether([heading(labels.sec_areas), chart, para(labels.chart_note, "footnote")]), Spacer(0, 3 * mm),
            table, Spacer(0, 4 * mm)]


def _highlights(data: UnitReportData, labels: UnitLabels) -> list:
    known = [(i, c) for i, c in enumerate(data.criteria) if c.relative is not None and c.score is not None]
    if not known or data.highlights <= 0:
        return []
    strong = sorted((x for x in known if x[1].relative > 0), key=lambda x: (-x[1].relative, x[0]))[:data.highlights]
    weak = sorted((x for x in known if x[1].relative < 0), key=lambda x: (x[1].relative, x[0]))[:data.highlights]
    header = [labels.criterion, labels.score, labels.round_median, labels.relative]

    def table(items):
        rows = [[f"{c.code}  {c.title}", f"{fmt(c.score)} / {fmt(c.max_points, 1)}", fmt(c.round_median),
                 f"{c.relative:+.2f}"] for _, c in items]
        return data_table(header, rows, widths(5.2, 1.2, 1.2, 1.1), numeric={1, 2, 3})

    story = [heading(labels.sec_strengths), para(labels.strongest, "h3")]
    story.append(table(strong) if strong else para(labels.none_stronger))
    story += [para(labels.weakest, "h3"), table(weak) if weak else para(labels.none_weaker),
              para(labels.relative_note, "footnote"), Spacer(0, 4 * mm)]
    return [KeepTogether(story[:4]), *story[4:]]


def _criteria(data: UnitReportData, labels: UnitLabels) -> list:
    if not data.criteria:
        return []
    areas = {a.code: a for a in data.areas}
    header = [labels.criterion_code, labels.criterion, labels.max_points, labels.score, labels.rater_range,
              labels.quartiles, labels.sd, labels.n, labels.round_median]
    rows: list[list] = []
    style: list[tuple] = []
    fallbacks: list[str] = []
    current = None
    for c in data.criteria:
        if c.area != current:
            current = c.area
            area = areas.get(c.area)
            title = area.title if area else ""
            weight = fmt(area.weight, 0 if float(area.weight).is_integer() else 1) if area else DASH
            rows.append([labels.area_row.format(area=area_name(c.area, title), weight=weight), *[""] * 8])
            r = len(rows)  # the table's row index (the header is row 0)
            style += [("SPAN", (0, r), (-1, r)), ("BACKGROUND", (0, r), (-1, r), AREA_ROW), ("NOSPLIT", (0, r), (-1, r + 1))]
        s = c.spread
        score = fmt(c.score)
        if c.method and c.score is not None:
            score += "*"
            if c.method not in fallbacks:
                fallbacks.append(c.method)
        rows.append([
            c.code, c.title, fmt(c.max_points, 1), score,
            f"{fmt(s.minimum)}–{fmt(s.maximum)}" if s.minimum is not None else DASH,
            f"{fmt(s.q1)}–{fmt(s.q3)}" if s.q1 is not None else DASH,
            fmt(s.sd, 2), number(s.n), fmt(c.round_median),
        ])
    table = data_table(header, rows, widths(1.15, 5.0, 0.85, 0.95, 1.35, 1.35, 0.95, 0.7, 1.45),
                       numeric={2, 3, 4, 5, 6, 7, 8}, zebra=False, extra_style=style)
    story = [*loose_heading(labels.sec_criteria), table]
    for method in fallbacks:
        story.append(para(labels.fallback_note.format(method=coded(labels.common.methods, method)), "footnote"))
    return [*story, Spacer(0, 4 * mm)]


def _raters(data: UnitReportData, labels: UnitLabels) -> list:
    return [KeepTogether([heading(labels.sec_raters), para(labels.raters_text.format(n=number(data.raters))),
                          *recusal_table(data.recusals, labels.common)]), Spacer(0, 4 * mm)]


def _reliability(data: UnitReportData, labels: UnitLabels) -> list:
    story = [heading(labels.sec_reliability), *statistics_table(data.reliability, labels.common)]
    if data.notes:
        story += [Spacer(0, 2 * mm), *bullets(data.notes)]
    if not data.reliability and not data.notes:
        story.append(para(labels.no_reliability))
    return [*story, Spacer(0, 4 * mm)]


def _comments(data: UnitReportData, labels: UnitLabels) -> list:
    story = [heading(labels.sec_comments)]
    if not data.comments:
        return [*story, para(labels.no_comments), Spacer(0, 4 * mm)]
    return [*story, para(labels.comments_note, "small"), Spacer(0, 1 * mm), *bullets(data.comments),
            Spacer(0, 4 * mm)]


def build_unit_report(data: UnitReportData, labels: UnitLabels | str = "zh") -> bytes:
    """The unit report as PDF bytes (A4 portrait); ``labels`` is "zh", "en" or the caller's own wording.

    The same data and labels always give the same bytes.
    """
    labels = pick_labels(labels, LABELS)
    c = labels.common
    name, _ = primary_name(c, data.unit_name, data.unit_name_en)
    story = [
        *_summary(data, labels), *_areas(data, labels), *_highlights(data, labels), *_criteria(data, labels),
        *_raters(data, labels), *_reliability(data, labels), *_comments(data, labels),
        *method_section(labels.sec_method, data.method, c, (labels.method_extra,)), Spacer(0, 4 * mm),
        *audit_section(labels.sec_audit, c, data.audit_head, data.publication, data.generated_at),
    ]
    title = " · ".join(p for p in (name, data.title or labels.report, data.round_name) if p)
    spec = PageSpec(title=title, footer=footer(c, data.generated_at, data.audit_head), subject=data.round_name)
    return build_pdf(story, spec)


__all__ = ["LABELS", "AreaResult", "CriterionResult", "UnitLabels", "UnitReportData", "build_unit_report"]
