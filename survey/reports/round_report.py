"""The round report PDF: every unit's result in one open-door scoring round, how sure it is, and how it was made.

Plain data in, PDF bytes out (:func:`build_round_report`): the caller maps the engine's
:class:`scoring.engine.RoundResult` and the database's facts (names, panels, the audit
chain head) onto :class:`RoundReportData`; nothing here touches the database, the
request or the clock, and the same data always gives the same bytes. User text (unit,
round, area and criterion names, notes) prints literally.

Layout (A4): cover with the round's figures, version and the current audit chain head
(also in every page's footer); the ranking with intervals, neighbours the bootstrap
cannot order marked ≈, groups shaded together; area subtotals across units;
reliability; rater effects under pseudonyms (R01, ...); panel composition and recusal
counts; the framework; the method; version and audit.

Filling the data from a ``RoundResult`` ``res`` (``d = res.to_dict()``, ``t = res.tables()``)::

    units[u]            RankedUnit(code=res.units[u], name=<DB>, total=t["units"][u]["total"],
                        rank=t["units"][u]["rank"], total_low/high=["ci_low"]/["ci_high"],
                        rank_low/high=evaluation.rank_interval(res.uncertainty.rank_probabilities[u], confidence),
                        group=t["units"][u]["group"], raters=t["units"][u]["n_cards"],
                        areas=tuple(res.aggregate.subtotals[u]), note=t["units"][u]["note"])
    framework           d["framework"]["areas"] → FrameworkArea(code, title, weight,
                        criteria=(FrameworkCriterion(code, title, max_points), ...))
    reliability         t["reliability"] rows → ReliabilityRow(scope, measure, value, ci_low, ci_high,
                        n_raters, n_units, note) (scope "all" prints as "all raters")
    rater_effects       t["raters"] rows → RaterEffect(pseudonym, panel, rater_type=<DB>, units=n_units,
                        effect=severity, effect_se=severity_se, flags=tuple(flags.split()),
                        rank_change=loo_max_rank_change); never the ids or the English explanation
                        (it names the rater)
    panels              count RaterInfo.rater_type per RaterInfo.panel (d["uncertainty"]["strata"] gives the sizes)
    recusals            t["recusal"] rows → RecusalCount(code, cards, rows)
    method              evaluation.method_of(res.settings, notes=(<rank rule>, ...))
    notes               d["rater_model_note"], d["reliability"]["krippendorff_alpha_note"], d["leave_one_out"]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import CondPageBreak, KeepTogether, PageBreak, Spacer

from survey.reports.evaluation import (
    FACT_WIDTHS,
    CommonLabels,
    Method,
    Publication,
    RecusalCount,
    area_name,
    audit_section,
    bullets,
    coded,
    common_labels,
    finite,
    fmt,
    footer,
    loose_heading,
    method_section,
    pick_labels,
    primary_name,
    recusal_table,
    whole,
)
from survey.reports.fonts import CJK_FONT
from survey.reports.toolkit import (
    DASH,
    FRAME_WIDTH,
    Bar,
    PageSpec,
    build_pdf,
    data_table,
    facts_table,
    heading,
    interval_bar_chart,
    number,
    para,
    widths,
)

#: Units per ranking chart (a chart is one drawing and cannot split across pages).
CHART_UNITS = 36
#: Area columns per table of the area section; more areas continue in a further table.
AREA_COLUMNS = 6
GROUP_SHADE = colors.HexColor("#eef3f8")
AREA_ROW = colors.HexColor("#eef1f5")
RATER_TYPES = ("worker_representative", "union_chair", "model_worker", "other")

# --- the data ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RankedUnit:
    """One unit's total and rank with their intervals, its inseparable group and its area subtotals."""

    code: str
    name: str
    total: float | None
    rank: int | None
    total_low: float | None = None
    total_high: float | None = None
    rank_low: int | None = None
    rank_high: int | None = None
    group: int | None = None  #: units sharing a group number cannot be ordered by the bootstrap
    raters: int | None = None  #: scorecards that entered the result
    areas: tuple[float | None, ...] = ()  #: subtotals in the order of ``RoundReportData.framework``
    name_en: str = ""
    note: str = ""  #: why there is no total


@dataclass(frozen=True)
class FrameworkCriterion:
    code: str
    title: str
    max_points: float


@dataclass(frozen=True)
class FrameworkArea:
    code: str
    title: str
    weight: float  #: the area's points in the total
    criteria: tuple[FrameworkCriterion, ...] = ()


@dataclass(frozen=True)
class ReliabilityRow:
    """One reliability figure; ``measure`` an engine code ("icc2", "icc2k", "kendall_w",
    "krippendorff_alpha_interval") or a name; ``scope`` "all" or a panel or area name."""

    scope: str
    measure: str
    value: float | None
    low: float | None = None
    high: float | None = None
    n_raters: int | None = None
    n_units: int | None = None
    note: str = ""


@dataclass(frozen=True)
class RaterEffect:
    """One rater under a pseudonym: leniency (+) or severity (-) from the additive model, and flags."""

    pseudonym: str  #: e.g. "R07"; never a name or a database id
    panel: str | None
    units: int  #: units the rater scored
    effect: float | None  #: points above (+, lenient) or below (-, severe) the average rater
    effect_se: float | None = None
    flags: tuple[str, ...] = ()  #: codes of scoring.raters.flags.FLAG_KINDS
    rater_type: str | None = None  #: a RaterType value
    rank_change: float | None = None  #: largest rank change when this rater is left out


@dataclass(frozen=True)
class PanelComposition:
    """A panel's raters by type (RaterType values) and how many units it scored."""

    panel: str
    raters: tuple[tuple[str, int], ...]
    units: int | None = None


@dataclass(frozen=True)
class RoundReportData:
    round_name: str
    period: str
    organisation: str
    generated_at: str  #: formatted by the caller
    units: tuple[RankedUnit, ...]
    framework: tuple[FrameworkArea, ...]
    audit_head: str  #: the current audit chain head, printed on the cover, in the audit section and every footer
    round_name_en: str = ""
    raters: int | None = None  #: raters whose scores entered
    scorecards: int | None = None
    total_max: float = 100.0
    reliability: tuple[ReliabilityRow, ...] = ()
    reliability_notes: tuple[str, ...] = ()
    rater_effects: tuple[RaterEffect, ...] = ()
    rater_notes: tuple[str, ...] = ()
    panels: tuple[PanelComposition, ...] = ()
    recusals: tuple[RecusalCount, ...] = ()
    method: Method = field(default_factory=Method)
    publication: Publication | None = None
    title: str = ""  #: overrides the report title


@dataclass(frozen=True)
class RoundLabels:
    """The round report's fixed wording; ``{name}`` parts are filled in with ``str.format``."""

    common: CommonLabels
    report: str
    units: str
    raters: str
    scorecards: str
    period: str
    sec_ranking: str
    sec_areas: str
    sec_reliability: str
    sec_raters: str
    sec_panels: str
    sec_framework: str
    sec_method: str
    sec_audit: str
    rank: str
    unit: str
    code: str
    total: str
    interval: str  #: {confidence}
    rank_interval: str
    group: str
    cards: str
    tie_note: str  #: {confidence}
    no_interval: str
    total_row: str
    scope: str
    measure: str
    value: str
    n_raters: str
    n_units: str
    note: str
    no_reliability: str
    pseudonym: str
    panel: str
    rater_type: str
    effect: str
    flags: str
    rank_change: str
    effect_note: str
    no_raters: str
    no_panel: str
    panel_total: str
    panel_units: str
    recusal_heading: str
    criterion: str
    max_points: str
    weight: str
    in_total: str
    area_row: str  #: {area} (code and title), {weight}
    framework_note: str
    method_extra: str


LABELS: dict[str, RoundLabels] = {
    "zh": RoundLabels(
        common=common_labels("zh"), report="评估轮次总报告", units="参评单位", raters="评分人", scorecards="有效评分表",
        period="评估期间", sec_ranking="一、排名", sec_areas="二、各领域得分", sec_reliability="三、信度",
        sec_raters="四、评分人效应（匿名）", sec_panels="五、评审组构成与回避", sec_framework="六、考核框架",
        sec_method="七、方法说明", sec_audit="八、版本与审计", rank="名次", unit="单位", code="代码", total="总分",
        interval="{confidence} 区间", rank_interval="名次区间", group="组", cards="评分表",
        tie_note="≈ 与下一名无法区分：自助法中两者先后不能以 {confidence} 的把握确定；同一底色的单位属同一组。",
        no_interval="未做自助法重抽样，没有区间和分组。", total_row="总分", scope="范围", measure="指标", value="数值",
        n_raters="评分人", n_units="单位", note="说明", no_reliability="没有可计算的信度指标。", pseudonym="评分人",
        panel="评审组", rater_type="类型", effect="宽严效应（±标准误）", flags="标记", rank_change="去掉后名次变化",
        effect_note="宽严效应：与评审组平均评分人相比多给（+，偏宽）或少给（−，偏严）的分数，由单位+评分人加性模型估计；仅供参考，未用于调整任何得分。去掉后名次变化：去掉该评分人重新计算时，任一单位名次的最大变化。评分人以本轮化名列出。",
        no_raters="没有评分人效应结果。", no_panel="（未分组）", panel_total="合计", panel_units="评审单位数",
        recusal_heading="回避", criterion="指标", max_points="满分", weight="分值", in_total="折合总分",
        area_row="{area}（{weight} 分）",
        framework_note="折合总分 = 该指标满分 ÷ 本领域各指标满分之和 × 领域分值；各领域分值之和为总分满分。",
        method_extra="指标得分为各评分人所给分数的汇总；领域得分按领域分值折算，总分为各领域得分之和。",
    ),
    "en": RoundLabels(
        common=common_labels("en"), report="Round report", units="Units evaluated", raters="Raters",
        scorecards="Scorecards counted", period="Period", sec_ranking="1. Ranking", sec_areas="2. Area scores",
        sec_reliability="3. Reliability", sec_raters="4. Rater effects (pseudonymised)",
        sec_panels="5. Panels and recusals", sec_framework="6. Framework", sec_method="7. Method",
        sec_audit="8. Version and audit", rank="Rank", unit="Unit", code="Code", total="Total",
        interval="{confidence} interval", rank_interval="Rank interval", group="Group", cards="Cards",
        tie_note=("≈ not distinguishable from the next unit: the bootstrap cannot order the two with {confidence} "
                  "confidence; units on the same shade form one group."),
        no_interval="No bootstrap was run: no intervals and no groups.", total_row="Total", scope="Scope",
        measure="Measure", value="Value", n_raters="Raters", n_units="Units", note="Note",
        no_reliability="No reliability figure could be computed.", pseudonym="Rater", panel="Panel",
        rater_type="Type", effect="Effect (± SE)", flags="Flags", rank_change="Rank change without",
        effect_note=("Effect: points given above (+, lenient) or below (−, severe) the panel's average rater, from the "
                     "additive unit + rater model; advisory only, no score is adjusted. Rank change without: the largest "
                     "change in any unit's rank when the results are recomputed without this rater. Raters appear "
                     "under this round's pseudonyms."),
        no_raters="No rater-effect results.", no_panel="(no panel)", panel_total="Total", panel_units="Units scored",
        recusal_heading="Recusals", criterion="Criterion", max_points="Max", weight="Points", in_total="In total",
        area_row="{area} ({weight} points)",
        framework_note=("In total = the criterion's maximum ÷ the sum of its area's maxima × the area's points; the "
                        "areas' points add up to the total."),
        method_extra=("A criterion's score aggregates the raters' points; area scores are scaled to the area's points "
                      "and the total is their sum."),
    ),
}


# --- sections ----------------------------------------------------------------------------------------


def _digits(value: float) -> int:
    return 0 if float(value).is_integer() else 1


def _ordered(units: Sequence[RankedUnit]) -> list[RankedUnit]:
    """By rank (units without one last), ties in the given order."""
    order = sorted(range(len(units)), key=lambda i: (not finite(units[i].rank),
                                                     units[i].rank if finite(units[i].rank) else 0, i))
    return [units[i] for i in order]


def _name(unit: RankedUnit, labels: RoundLabels) -> str:
    return primary_name(labels.common, unit.name, unit.name_en)[0]


def _confidence(data: RoundReportData) -> str:
    return f"{data.method.confidence * 100:g}%"


def _cover(data: RoundReportData, labels: RoundLabels) -> list:
    c = labels.common
    name, other = primary_name(c, data.round_name, data.round_name_en)
    facts = [(labels.period, data.period), (labels.units, number(len(data.units)))]
    if data.raters is not None:
        facts.append((labels.raters, number(data.raters)))
    if data.scorecards is not None:
        facts.append((labels.scorecards, number(data.scorecards)))
    if data.publication is None:
        facts.append((c.version, c.not_published))
    else:
        facts.append((c.version, c.version_text.format(version=data.publication.version,
                                                       published_at=data.publication.published_at)))
    facts += [(c.generated, data.generated_at), (c.audit_head, data.audit_head or DASH)]
    story = [Spacer(0, 50 * mm), para(data.organisation, "cover_subtitle"), para(name, "cover_title")]
    if other:
        story.append(para(other, "cover_subtitle"))
    story += [para(data.title or labels.report, "cover_subtitle"), Spacer(0, 16 * mm),
              facts_table(facts, FACT_WIDTHS), PageBreak()]
    return story


def _ranking(data: RoundReportData, labels: RoundLabels) -> list:
    units = _ordered(data.units)
    story: list = [heading(labels.sec_ranking)]
    has_interval = any(u.total_low is not None for u in units)
    bars = [Bar(f"{whole(u.rank)}  {_name(u, labels)}", u.total, u.total_low, u.total_high)
            for u in units]
    for start in range(0, len(bars), CHART_UNITS):
        story += [interval_bar_chart(bars[start:start + CHART_UNITS], as_percent=False, scale_max=data.total_max,
                                     label_share=0.34), Spacer(0, 3 * mm)]
    header = [labels.rank, labels.unit, labels.code, labels.total,
              labels.interval.format(confidence=_confidence(data)), labels.rank_interval, labels.group, labels.cards]
    rows, style = [], []
    shade = False
    for i, u in enumerate(units):
        following = units[i + 1] if i + 1 < len(units) else None
        tied = u.group is not None and following is not None and following.group == u.group
        if i and u.group != units[i - 1].group:
            shade = not shade
        if shade:
            style.append(("BACKGROUND", (0, i + 1), (-1, i + 1), GROUP_SHADE))
        name = _name(u, labels) + (f"（{u.note}）" if u.note and labels.common.lang == "zh" else
                                    f" ({u.note})" if u.note else "")
        rank = whole(u.rank) + (" ≈" if tied else "")
        interval = (f"{fmt(u.total_low)}–{fmt(u.total_high)}" if u.total_low is not None and u.total_high is not None
                    else "")
        ranks = f"{whole(u.rank_low)}–{whole(u.rank_high)}" if u.rank_low is not None and u.rank_high is not None else ""
        rows.append([rank, name, u.code, fmt(u.total), interval, ranks, whole(u.group) if u.group else "",
                     number(u.raters) if u.raters is not None else ""])
    table = data_table(header, rows, widths(0.9, 4.1, 1.4, 0.9, 1.4, 1.4, 0.8, 0.8), numeric={0, 3, 4, 5, 6, 7},
                       zebra=False, extra_style=style)
    story += [table, para(labels.tie_note.format(confidence=_confidence(data)) if has_interval else labels.no_interval,
                          "footnote")]
    return story


def _areas(data: RoundReportData, labels: RoundLabels) -> list:
    areas = data.framework
    if not areas or not data.units:
        return []
    units = _ordered(data.units)
    story: list = [*loose_heading(labels.sec_areas)]
    parts = -(-len(areas) // AREA_COLUMNS)
    size = -(-len(areas) // parts)  # 10 areas: 5 + 5, not 6 + 4
    for start in range(0, len(areas), size):
        span = range(start, min(start + size, len(areas)))
        last = span.stop == len(areas)
        header = [labels.unit, *(f"{areas[a].title or areas[a].code}（{fmt(areas[a].weight, _digits(areas[a].weight))}）"
                                 if labels.common.lang == "zh" else
                                 f"{areas[a].title or areas[a].code} ({fmt(areas[a].weight, _digits(areas[a].weight))})"
                                 for a in span)]
        if last:
            header.append(f"{labels.total_row}（{fmt(data.total_max, 0)}）" if labels.common.lang == "zh"
                          else f"{labels.total_row} ({fmt(data.total_max, 0)})")
        rows = []
        for u in units:
            cells = [fmt(u.areas[a]) if a < len(u.areas) else DASH for a in span]
            rows.append([_name(u, labels), *cells, *([fmt(u.total)] if last else [])])
        columns = len(header) - 1
        col = min(22 * mm, (FRAME_WIDTH - 48 * mm) / columns)
        table = data_table(header, rows, (FRAME_WIDTH - col * columns, *(col,) * columns),
                           numeric=set(range(1, columns + 1)))
        story += [CondPageBreak(40 * mm), table, Spacer(0, 4 * mm)]
    return story


def _reliability(data: RoundReportData, labels: RoundLabels) -> list:
    c = labels.common
    story: list = [CondPageBreak(50 * mm), heading(labels.sec_reliability)]
    if data.reliability:
        rows = []
        for r in data.reliability:
            interval = f"{fmt(r.low, 3)}–{fmt(r.high, 3)}" if r.low is not None and r.high is not None else ""
            rows.append([c.all_raters if r.scope == "all" else r.scope, coded(c.measures, r.measure), fmt(r.value, 3),
                         interval, number(r.n_raters) if r.n_raters is not None else "",
                         number(r.n_units) if r.n_units is not None else "", r.note])
        story.append(data_table(
            [labels.scope, labels.measure, labels.value, labels.interval.format(confidence=_confidence(data)),
             labels.n_raters, labels.n_units, labels.note],
            rows, widths(1.5, 2.8, 0.8, 1.3, 0.8, 0.7, 2.6), numeric={2, 3, 4, 5}))
    else:
        story.append(para(labels.no_reliability))
    if data.reliability_notes:
        story += [Spacer(0, 2 * mm), *bullets(data.reliability_notes)]
    return [*story, Spacer(0, 4 * mm)]


def _raters(data: RoundReportData, labels: RoundLabels) -> list:
    c = labels.common
    story: list = [CondPageBreak(50 * mm), heading(labels.sec_raters)]
    if data.rater_effects:
        rows = []
        for r in data.rater_effects:
            effect = DASH if r.effect is None else f"{r.effect:+.2f}"
            if r.effect is not None and r.effect_se is not None:
                effect += f" ± {r.effect_se:.2f}"
            flags = "、".join(coded(c.flags, f) for f in r.flags) if c.lang == "zh" else \
                ", ".join(coded(c.flags, f) for f in r.flags)
            rows.append([r.pseudonym, r.panel if r.panel is not None else labels.no_panel,
                         coded(c.rater_types, r.rater_type) if r.rater_type else "", number(r.units), effect, flags,
                         fmt(r.rank_change, 0) if r.rank_change is not None else ""])
        story.append(data_table(
            [labels.pseudonym, labels.panel, labels.rater_type, labels.n_units, labels.effect, labels.flags,
             labels.rank_change],
            rows, widths(0.8, 1.3, 2.1, 0.7, 1.7, 1.5, 1.2), numeric={3, 4, 6}))
        story.append(para(labels.effect_note, "footnote"))
    else:
        story.append(para(labels.no_raters))
    if data.rater_notes:
        story += [Spacer(0, 2 * mm), *bullets(data.rater_notes)]
    return [*story, Spacer(0, 4 * mm)]


def _panels(data: RoundReportData, labels: RoundLabels) -> list:
    c = labels.common
    story: list = [CondPageBreak(50 * mm), heading(labels.sec_panels)]
    if data.panels:
        kinds = [k for k in RATER_TYPES if any(t == k for p in data.panels for t, _ in p.raters)]
        kinds += sorted({t for p in data.panels for t, _ in p.raters} - set(kinds))
        show_units = any(p.units is not None for p in data.panels)
        header = [labels.panel, *(coded(c.rater_types, k) for k in kinds), labels.panel_total,
                  *([labels.panel_units] if show_units else [])]
        rows = []
        totals = [0] * len(kinds)
        for p in data.panels:
            counts = dict(p.raters)
            for i, k in enumerate(kinds):
                totals[i] += counts.get(k, 0)
            rows.append([p.panel or labels.no_panel, *(number(counts.get(k, 0)) for k in kinds),
                         number(sum(counts.values())), *([number(p.units) if p.units is not None else ""]
                                                          if show_units else [])])
        rows.append([labels.panel_total, *(number(t) for t in totals), number(sum(totals)),
                     *([""] if show_units else [])])
        # each count column as wide as its heading on one line (long English words are not broken), within limits
        cols = [min(36 * mm, max(16 * mm, stringWidth(h, CJK_FONT, 8.5) + 10)) for h in header[1:]]
        table = data_table(header, rows, (FRAME_WIDTH - sum(cols), *cols), numeric=set(range(1, len(cols) + 1)),
                           total_rows=1)
        story.append(table)
    story += [Spacer(0, 3 * mm), KeepTogether([para(labels.recusal_heading, "h3"), *recusal_table(data.recusals, c)])]
    return [*story, Spacer(0, 4 * mm)]


def _framework(data: RoundReportData, labels: RoundLabels) -> list:
    if not data.framework:
        return []
    header = [labels.code, labels.criterion, labels.max_points, labels.in_total]
    rows, style = [], []
    for area in data.framework:
        rows.append([labels.area_row.format(area=area_name(area.code, area.title),
                                            weight=fmt(area.weight, _digits(area.weight))), "", "", ""])
        r = len(rows)
        style += [("SPAN", (0, r), (-1, r)), ("BACKGROUND", (0, r), (-1, r), AREA_ROW),
                  ("NOSPLIT", (0, r), (-1, r + 1))]
        maxima = sum(c.max_points for c in area.criteria)
        for crit in area.criteria:
            share = area.weight * crit.max_points / maxima if maxima > 0 else None
            rows.append([crit.code, crit.title, fmt(crit.max_points, 1), fmt(share, 2)])
    table = data_table(header, rows, widths(1.2, 7, 0.9, 1.1), numeric={2, 3}, zebra=False, extra_style=style)
    return [*loose_heading(labels.sec_framework), table, para(labels.framework_note, "footnote"),
            Spacer(0, 4 * mm)]


def build_round_report(data: RoundReportData, labels: RoundLabels | str = "zh") -> bytes:
    """The round report as PDF bytes (A4 portrait); ``labels`` is "zh", "en" or the caller's own wording.

    The same data and labels always give the same bytes.
    """
    labels = pick_labels(labels, LABELS)
    c = labels.common
    story = [
        *_cover(data, labels), *_ranking(data, labels), *_areas(data, labels), *_reliability(data, labels),
        *_raters(data, labels), *_panels(data, labels), *_framework(data, labels),
        CondPageBreak(60 * mm), *method_section(labels.sec_method, data.method, c, (labels.method_extra,)),
        Spacer(0, 4 * mm), *audit_section(labels.sec_audit, c, data.audit_head, data.publication, data.generated_at),
    ]
    name, _ = primary_name(c, data.round_name, data.round_name_en)
    title = " · ".join(p for p in (name, data.title or labels.report) if p)
    spec = PageSpec(title=title, footer=footer(c, data.generated_at, data.audit_head), subject=data.organisation)
    return build_pdf(story, spec)


__all__ = [
    "LABELS", "FrameworkArea", "FrameworkCriterion", "PanelComposition", "RankedUnit", "RaterEffect",
    "ReliabilityRow", "RoundLabels", "RoundReportData", "build_round_report",
]
