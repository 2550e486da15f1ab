"""The composite assessment report PDF: open-door scores combined with target indicators and satisfaction results.

When a round combines its open-door totals with target indicators and survey results
(``Round.composite``, :mod:`scoring.composite`), the federation sends this report upward:
each component with its weight and scoring rule, the final result per unit, and each
unit's components in detail. Plain data in, PDF bytes out (:func:`build_composite_report`):
nothing here touches the database, the request or the clock, and the same data gives
the same bytes. User text (names, titles, notes) prints literally.

Filling the data from ``scoring.composite.RoundComposite`` ``rc`` and its
``CompositeSpec`` ``spec`` (``Round.composite`` read by ``scoring.io``)::

    open_door_weight, total_weight    rc.open_door_weight, rc.total_weight
    units[i]                          CompositeUnit(code=rc.units[i].unit, name=<DB>,
                                      score=rc.units[i].result.score (None without a result),
                                      note=rc.units[i].note, components=...)
    components[j]                     ComponentScore(**ComponentResult.__dict__) -- code, kind, title, raw, score,
                                      weight, contribution, rule -- plus, from the spec's component with that code,
                                      target/direction/floor/worst (TargetIndicator) or scale (SurveyComponent;
                                      the framework total for the open-door component) so that the rule can be
                                      worded in the report's language. The engine's open-door title
                                      "open-door scoring" may be passed as "" to get the report's own wording.

Ranks are worked out here from the composite scores: 1 = highest, ties share the smallest rank.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, KeepTogether, Spacer

from survey.reports.evaluation import (
    FACT_WIDTHS,
    CommonLabels,
    Method,
    Publication,
    audit_section,
    bullets,
    common_labels,
    fmt,
    footer,
    method_facts,
    pick_labels,
    plain,
    primary_name,
)
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

#: Components shown as their own columns of the results table; with more, the table shows the composite only.
MAX_COLUMNS = 5
CHART_UNITS = 36

# --- the data ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ComponentScore:
    """One component of one unit's composite (``scoring.composite.ComponentResult`` and the rule's parameters)."""

    code: str
    kind: str  #: "open_door", "target" or "survey"
    title: str  #: "" gives the kind's name
    raw: float  #: the open-door total, the indicator's actual value or the survey value
    score: float  #: 0..100
    weight: float
    contribution: float  #: weight × score / 100
    target: float | None = None  #: target indicators
    direction: str = "higher"  #: target indicators: "higher" or "lower" is better
    floor: float = 0.0  #: "higher": where the score is 0
    worst: float | None = None  #: "lower": where the score is 0
    scale: float | str | None = None  #: open door: the total's scale (100); survey: "percent" or "share"
    rule: str = ""  #: the engine's rule in English, printed when the kind is unknown


@dataclass(frozen=True)
class CompositeUnit:
    code: str
    name: str
    score: float | None  #: None: no composite (``note`` says why)
    components: tuple[ComponentScore, ...] = ()
    name_en: str = ""
    note: str = ""


@dataclass(frozen=True)
class CompositeReportData:
    round_name: str
    period: str
    organisation: str
    generated_at: str  #: formatted by the caller
    open_door_weight: float
    units: tuple[CompositeUnit, ...]
    total_weight: float = 100.0
    round_name_en: str = ""
    recipients: tuple[str, ...] = ()  #: the authorities the report goes to
    notes: tuple[str, ...] = ()  #: printed as given under the method
    method: Method | None = None  #: how the open-door totals were aggregated, when given
    audit_head: str | None = None
    publication: Publication | None = None
    title: str = ""  #: overrides the report title


@dataclass(frozen=True)
class CompositeLabels:
    """The composite report's fixed wording; ``{name}`` parts are filled in with ``str.format``."""

    common: CommonLabels
    report: str
    period: str
    recipients: str
    units: str
    formula: str  #: {open_door}, {total}
    sec_components: str
    sec_results: str
    sec_units: str
    sec_method: str
    sec_audit: str
    component: str
    kind: str
    weight: str
    rule: str
    used_by: str
    kinds: dict[str, str]
    rule_open_door: str  #: {scale}
    rule_higher: str  #: {floor}, {target}
    rule_lower: str  #: {target}, {worst}
    rule_percent: str
    rule_share: str
    rule_target_generic: str
    rank: str
    unit: str
    composite: str
    weighted: str  #: {weight}
    no_result: str
    because: str  #: {note}
    unit_heading: str  #: {rank}, {name}, {code}
    unit_heading_unranked: str  #: {name}, {code}
    unit_score: str  #: {score}, {total}
    raw: str
    target: str
    score: str
    contribution: str
    total_row: str
    chart_note: str  #: {total}
    method_text: str
    open_door_method: str
    rank_note: str


LABELS: dict[str, CompositeLabels] = {
    "zh": CompositeLabels(
        common=common_labels("zh"), report="综合考核报告", period="考核期间", recipients="报送", units="参评单位",
        formula="开门打分权重 {open_door}，与目标指标、满意度结果合计 {total} 分", sec_components="一、考核构成与权重",
        sec_results="二、综合结果", sec_units="三、各单位明细", sec_method="四、计分方法", sec_audit="五、版本与审计",
        component="组成部分", kind="类型", weight="权重", rule="计分规则", used_by="单位数",
        kinds={"open_door": "开门打分", "target": "目标指标", "survey": "满意度调查"},
        rule_open_door="得分 = 100 × 开门打分总分 ÷ {scale}",
        rule_higher="实际值为 {floor} 时得 0 分，达到目标 {target} 得 100 分，其间按比例，封顶 100 分",
        rule_lower="实际值不高于目标 {target} 得 100 分，达到 {worst} 得 0 分，其间按比例",
        rule_percent="调查得分（0–100）直接计入", rule_share="得分 = 100 × 比例",
        rule_target_generic="按实际值与各单位目标值之比计分（封顶 100 分），见各单位明细", rank="名次", unit="单位",
        composite="综合得分", weighted="（{weight}）", no_result="无综合得分", because="：{note}", unit_heading="{rank}. {name}（{code}）",
        unit_heading_unranked="{name}（{code}）",
        unit_score="综合得分 {score} / {total}", raw="实际值", target="目标", score="得分（0–100）", contribution="计入分",
        total_row="合计", chart_note="条形为各单位的综合得分（满分 {total}）。",
        method_text="每个组成部分先按其规则折算为 0–100 分，计入分 = 权重 × 得分 ÷ 100；综合得分为各部分计入分之和，满分等于权重之和。",
        open_door_method="开门打分总分的计算",
        rank_note="名次按综合得分从高到低排列；得分相同者名次并列（取最小名次）。",
    ),
    "en": CompositeLabels(
        common=common_labels("en"), report="Composite assessment report", period="Period", recipients="Submitted to",
        units="Units assessed", formula="open-door scoring weighs {open_door}; with target indicators and survey "
        "results {total} points in all", sec_components="1. Components and weights", sec_results="2. Results",
        sec_units="3. Units in detail", sec_method="4. Method", sec_audit="5. Version and audit", component="Component",
        kind="Kind", weight="Weight", rule="Scoring rule", used_by="Units",
        kinds={"open_door": "open-door scoring", "target": "target indicator", "survey": "satisfaction survey"},
        rule_open_door="score = 100 × open-door total ÷ {scale}",
        rule_higher="0 at {floor}, 100 at the target {target} or above, linear between",
        rule_lower="100 at or below the target {target}, 0 at {worst} or above, linear between",
        rule_percent="survey score (0–100) as reported", rule_share="score = 100 × share",
        rule_target_generic="actual against each unit's own target (capped at 100); see the units in detail",
        rank="Rank", unit="Unit", composite="Composite", weighted="({weight})", no_result="no composite",
        because=": {note}",
        unit_heading="{rank}. {name} ({code})",
        unit_heading_unranked="{name} ({code})", unit_score="composite {score} / {total}", raw="Actual",
        target="Target", score="Score (0–100)", contribution="Points", total_row="Total",
        chart_note="Bars: each unit's composite score (out of {total}).",
        method_text=("Each component is first scored 0–100 by its rule; its points are weight × score ÷ 100, and the "
                     "composite is the sum of the points, out of the sum of the weights."),
        open_door_method="How the open-door totals were computed",
        rank_note="Ranked by composite score, highest first; equal scores share the better rank.",
    ),
}


# --- sections ----------------------------------------------------------------------------------------


def _w(value: float) -> str:
    return fmt(value, 0 if float(value).is_integer() else 1)


def _component_name(c: ComponentScore, labels: CompositeLabels) -> str:
    return c.title or labels.kinds.get(c.kind, c.code)


def _rule(c: ComponentScore, labels: CompositeLabels) -> str:
    if c.kind == "open_door":
        scale = c.scale if isinstance(c.scale, (int, float)) else 100.0
        return labels.rule_open_door.format(scale=plain(scale))
    if c.kind == "target" and c.target is not None:
        if c.direction == "lower" and c.worst is not None:
            return labels.rule_lower.format(target=plain(c.target), worst=plain(c.worst))
        if c.direction == "higher":
            return labels.rule_higher.format(floor=plain(c.floor), target=plain(c.target))
    if c.kind == "survey" and c.scale in ("percent", "share", None):
        return labels.rule_share if c.scale == "share" else labels.rule_percent
    return c.rule


def _ranked(units: Sequence[CompositeUnit]) -> list[tuple[int | None, CompositeUnit]]:
    """Highest composite first (ties in the given order), units without one last; ties share the smaller rank."""
    order = sorted(range(len(units)), key=lambda i: (units[i].score is None, -(units[i].score or 0.0), i))
    out: list[tuple[int | None, CompositeUnit]] = []
    for position, i in enumerate(order, start=1):
        unit = units[i]
        if unit.score is None:
            out.append((None, unit))
        elif out and out[-1][0] is not None and out[-1][1].score == unit.score:
            out.append((out[-1][0], unit))
        else:
            out.append((position, unit))
    return out


def _catalogue(units: Sequence[CompositeUnit]) -> list[tuple[ComponentScore, list[float], int]]:
    """Each component code once, in order of first appearance (open door first): an example, its weights, its units."""
    seen: dict[str, tuple[ComponentScore, list[float], int]] = {}
    for unit in units:
        for c in unit.components:
            example, weights, n = seen.get(c.code, (c, [], 0))
            seen[c.code] = (example, [*weights, c.weight], n + 1)
    items = list(seen.values())
    return sorted(items, key=lambda item: item[0].kind != "open_door")


def _name(unit: CompositeUnit, labels: CompositeLabels) -> str:
    return primary_name(labels.common, unit.name, unit.name_en)[0]


def _head(data: CompositeReportData, labels: CompositeLabels) -> list:
    c = labels.common
    name, other = primary_name(c, data.round_name, data.round_name_en)
    facts = [(labels.period, data.period)]
    if data.recipients:
        facts.append((labels.recipients, "；".join(data.recipients) if c.lang == "zh" else "; ".join(data.recipients)))
    facts += [
        (labels.units, number(len(data.units))),
        (labels.weight, labels.formula.format(open_door=_w(data.open_door_weight), total=_w(data.total_weight))),
    ]
    if data.publication is None:
        facts.append((c.version, c.not_published))
    else:
        facts.append((c.version, c.version_text.format(version=data.publication.version,
                                                       published_at=data.publication.published_at)))
    facts.append((c.generated, data.generated_at))
    story = [para(" · ".join(p for p in (data.organisation, data.title or labels.report) if p), "cover_subtitle"),
             para(name, "cover_title")]
    if other:
        story.append(para(other, "cover_subtitle"))
    return [*story, Spacer(0, 3 * mm), facts_table(facts, FACT_WIDTHS), Spacer(0, 6 * mm)]


def _components(data: CompositeReportData, labels: CompositeLabels) -> list:
    catalogue = _catalogue(data.units)
    if not catalogue:
        return []
    rows = []
    for example, weights, n in catalogue:
        low, high = min(weights), max(weights)
        weight = _w(low) if low == high else f"{_w(low)}–{_w(high)}"
        targets = {c.target for u in data.units for c in u.components if c.code == example.code}
        rule = labels.rule_target_generic if example.kind == "target" and len(targets) > 1 else _rule(example, labels)
        rows.append([_component_name(example, labels), labels.kinds.get(example.kind, example.kind), weight, rule,
                     number(n)])
    table = data_table([labels.component, labels.kind, labels.weight, labels.rule, labels.used_by], rows,
                       widths(2.6, 1.4, 0.8, 4.4, 0.8), numeric={2, 4})
    return [KeepTogether([heading(labels.sec_components), table]), Spacer(0, 5 * mm)]


def _results(data: CompositeReportData, labels: CompositeLabels) -> list:
    ranked = _ranked(data.units)
    if not ranked:
        return []
    total = _w(data.total_weight)
    story: list = [CondPageBreak(70 * mm), heading(labels.sec_results)]
    bars = [Bar(f"{rank if rank is not None else DASH}  {_name(u, labels)}", u.score) for rank, u in ranked]
    for start in range(0, len(bars), CHART_UNITS):
        story.append(interval_bar_chart(bars[start:start + CHART_UNITS], as_percent=False,
                                        scale_max=data.total_weight, label_share=0.34))
    story += [para(labels.chart_note.format(total=total), "footnote"), Spacer(0, 3 * mm)]
    catalogue = _catalogue(data.units)
    columns = catalogue if len(catalogue) <= MAX_COLUMNS else []
    def head(name: str, weight: str):  # the weight on a line of its own
        return para(f"{name}\n{labels.weighted.format(weight=weight)}", "cell_head_num", newlines=True)

    header = [labels.rank, labels.unit, *(head(_component_name(ex, labels), _w(max(ws))) for ex, ws, _ in columns),
              head(labels.composite, total)]
    rows = []
    for rank, u in ranked:
        points = {c.code: c.contribution for c in u.components}
        cells = [fmt(points[ex.code], 2) if ex.code in points else "" for ex, _, _ in columns]
        rows.append([str(rank) if rank is not None else DASH, [para(_name(u, labels), "cell"), *_why(u, labels)],
                     *cells, fmt(u.score, 2)])
    n = len(columns)
    rest = FRAME_WIDTH - 12 * mm
    col = min(24 * mm, (rest - 50 * mm) / (n + 1))
    table = data_table(header, rows, (12 * mm, rest - col * (n + 1), *(col,) * (n + 1)),
                       numeric={0, *range(2, n + 3)})
    return [*story, table, para(labels.rank_note, "footnote"), Spacer(0, 5 * mm)]


def _why(unit: CompositeUnit, labels: CompositeLabels) -> list:
    """Under a unit without a composite: that it has none, and why."""
    if unit.score is not None:
        return []
    why = labels.no_result + (labels.because.format(note=unit.note) if unit.note else "")
    return [para(why, "footnote")]


def _details(data: CompositeReportData, labels: CompositeLabels) -> list:
    ranked = _ranked(data.units)
    if not ranked:
        return []
    story: list = [CondPageBreak(70 * mm), heading(labels.sec_units)]
    total = _w(data.total_weight)
    for rank, u in ranked:
        if rank is None:
            title = labels.unit_heading_unranked.format(name=_name(u, labels), code=u.code)
        else:
            title = labels.unit_heading.format(rank=rank, name=_name(u, labels), code=u.code)
        if not u.components:
            story += [KeepTogether([heading(title, "h3", 1), *_why(u, labels)]), Spacer(0, 4 * mm)]
            continue
        rows = []
        for c in u.components:
            raw = fmt(c.raw) if c.kind == "open_door" else plain(c.raw)
            rows.append([_component_name(c, labels), raw, plain(c.target) if c.target is not None else "",
                         fmt(c.score), _w(c.weight), fmt(c.contribution, 2)])
        rows.append([labels.total_row, "", "", "", _w(sum(c.weight for c in u.components)), fmt(u.score, 2)])
        table = data_table([labels.component, labels.raw, labels.target, labels.score, labels.weight,
                            labels.contribution], rows, widths(3.6, 1.1, 1.1, 1.3, 0.9, 1.1),
                           numeric={1, 2, 3, 4, 5}, total_rows=1)
        block = [heading(title, "h3", 1), para(labels.unit_score.format(score=fmt(u.score, 2), total=total), "small"),
                 table]
        if u.note:
            block.append(para(u.note, "footnote"))
        block += _why(u, labels)
        story += [KeepTogether(block), Spacer(0, 4 * mm)]
    return story


def _method(data: CompositeReportData, labels: CompositeLabels) -> list:
    story: list = [heading(labels.sec_method), para(labels.method_text)]
    if data.method is not None:
        story += [para(labels.open_door_method, "h3"), facts_table(method_facts(data.method, labels.common), FACT_WIDTHS)]
    notes = [*data.notes, *(data.method.notes if data.method is not None else ())]
    if notes:
        story += [Spacer(0, 2 * mm), *bullets(notes)]
    return [KeepTogether(story), Spacer(0, 4 * mm)]


def build_composite_report(data: CompositeReportData, labels: CompositeLabels | str = "zh") -> bytes:
    """The composite assessment report as PDF bytes (A4 portrait); ``labels`` is "zh", "en" or the caller's own.

    The same data and labels always give the same bytes.
    """
    labels = pick_labels(labels, LABELS)
    c = labels.common
    story = [
        *_head(data, labels), *_components(data, labels), *_results(data, labels), *_details(data, labels),
        *_method(data, labels),
        *audit_section(labels.sec_audit, c, data.audit_head, data.publication, data.generated_at),
    ]
    name, _ = primary_name(c, data.round_name, data.round_name_en)
    title = " · ".join(p for p in (name, data.title or labels.report) if p)
    spec = PageSpec(title=title, footer=footer(c, data.generated_at, data.audit_head), subject=data.organisation)
    return build_pdf(story, spec)


__all__ = [
    "LABELS",
    "ComponentScore",
    "CompositeLabels",
    "CompositeReportData",
    "CompositeUnit",
    "build_composite_report",
]
