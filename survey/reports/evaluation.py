"""What the three evaluation reports (unit, round, composite) share: data pieces, wording, sections.

The builders in :mod:`survey.reports.unit_report`, :mod:`survey.reports.round_report`
and :mod:`survey.reports.composite_report` are pure: frozen dataclasses in, PDF bytes
out, no database, request or clock. This module holds the pieces they have in
common -- the method (how scores became results), recusal counts by reason
category, summary statistics with intervals, the publication note and the audit
chain head -- their Chinese and English wording (:data:`COMMON`), and a few pure
helpers that turn engine arrays into report figures the same way everywhere
(:func:`spread`, :func:`peer_position`, :func:`rank_interval`, :func:`method_of`).

Codes (aggregation methods, missing policies, recusal reasons, rater types, rater
flags, reliability measures) are the engine's own values (``scoring.types``,
``scoring.recusal.RecusalCode``, ``scoring.raters.flags.FLAG_KINDS``,
``RoundResult.tables()["reliability"]["measure"]``); the wording translates them and
prints an unknown code as it is.
"""

from __future__ import annotations

import math
import numbers
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache

from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, KeepTogether, Paragraph, Spacer

from survey.reports.fonts import CJK_FONT
from survey.reports.toolkit import (
    DASH,
    data_table,
    facts_table,
    heading,
    number,
    para,
    report_styles,
    text,
    widths,
)

#: Label and value columns of the fact tables (method, version and audit).
FACT_WIDTHS = widths(0.8, 3.2)

# --- data pieces ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Method:
    """How scores became results; the fields of ``scoring.types.Settings`` (see :func:`method_of`).

    ``method`` and ``fallback`` are ``AggregationMethod`` values ("mean", "median", "trimmed",
    "winsorized"), ``missing_policy`` a ``MissingPolicy`` value ("rescale", "zero", "drop");
    ``bootstrap`` is the number of replicates (0: none, no intervals); ``notes`` are further
    lines printed as given (e.g. the rank rule).
    """

    method: str = "trimmed"
    trim: int = 1
    min_raters: int = 3
    fallback: str = "median"
    missing_policy: str = "rescale"
    bootstrap: int = 2000
    confidence: float = 0.95
    seed: int | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class RecusalCount:
    """Scorecards (rater-unit pairs) left out for one reason category; never names.

    ``code`` is a ``RecusalCode`` value ("own_unit", "parent_unit", "child_unit",
    "same_sub_district", "same_industry", "relationship", "declared") or "parent_child"
    for the two hierarchy codes together. ``rows``: the score rows, when known.
    """

    code: str
    cards: int
    rows: int | None = None


@dataclass(frozen=True)
class Statistic:
    """A named figure with its interval (ICC, Krippendorff's alpha, a rater-effect spread...)."""

    label: str
    value: float | None
    low: float | None = None
    high: float | None = None
    digits: int = 3
    note: str = ""


@dataclass(frozen=True)
class Publication:
    """Which published version this file belongs to; ``note`` says what a correction changed.

    A file cannot carry its own SHA-256: ``verify`` says where its hash can be checked
    (e.g. the verification page's address).
    """

    version: int
    published_at: str  #: formatted by the caller
    note: str = ""
    verify: str = ""


@dataclass(frozen=True)
class Spread:
    """How the raters' points on one criterion spread (what :func:`spread` returns)."""

    n: int = 0
    minimum: float | None = None
    q1: float | None = None
    median: float | None = None
    q3: float | None = None
    maximum: float | None = None
    sd: float | None = None


# --- pure helpers for whoever fills the data ------------------------------------------------------------


def _finite(value) -> bool:
    """A real number that is not NaN or infinite (numpy scalars included)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


#: Whether a figure can be shown (None, NaN and infinities cannot).
finite = _finite


def whole(value) -> str:
    """A rank or count as an integer (``3.0`` from an engine array prints ``3``); the dash when missing."""
    if not _finite(value):
        return DASH
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def spread(values: Sequence[float | None]) -> Spread:
    """Minimum, quartiles (inclusive method), maximum and sample SD of the finite ``values``.

    >>> s = spread([6, 7, 7.5, 8, 10, None])
    >>> s.n, s.minimum, s.q1, s.median, s.q3, s.maximum, round(s.sd, 3)
    (5, 6.0, 7.0, 7.5, 8.0, 10.0, 1.483)
    """
    xs = sorted(float(v) for v in values if _finite(v))
    if not xs:
        return Spread(0)
    if len(xs) == 1:
        return Spread(1, xs[0], None, xs[0], None, xs[0], None)
    q1, median, q3 = statistics.quantiles(xs, n=4, method="inclusive")
    return Spread(len(xs), xs[0], q1, median, q3, xs[-1], statistics.stdev(xs))


def peer_position(value: float | None, peers: Sequence[float | None]) -> tuple[float | None, float | None]:
    """The round's median of ``peers`` (every unit's points, this one included) and ``value``'s
    standardised difference from it: ``(value - median) / SD of peers`` (None when it cannot be computed).

    >>> peer_position(9, [5, 6, 7, 8, 9])
    (7.0, 1.2649110640673518)
    """
    xs = [float(v) for v in peers if _finite(v)]
    if not xs:
        return None, None
    median = statistics.median(xs)
    if not _finite(value) or len(xs) < 2:
        return median, None
    sd = statistics.stdev(xs)
    return median, (float(value) - median) / sd if sd > 0 else None


def rank_interval(probabilities: Sequence[float], confidence: float = 0.95) -> tuple[int | None, int | None]:
    """The central ``confidence`` interval of a unit's bootstrap rank distribution.

    ``probabilities[k]`` is P(rank = k + 1) (a row of ``BootstrapResult.rank_probabilities``).
    Low is the first rank where the cumulative probability exceeds (1 - c) / 2, high the
    first where it reaches 1 - (1 - c) / 2.

    >>> rank_interval([0.01, 0.6, 0.3, 0.09])
    (2, 4)
    """
    ps = [float(p) if _finite(p) else 0.0 for p in probabilities]
    if not ps or sum(ps) <= 0:
        return None, None
    tail = (1 - confidence) / 2
    low = high = None
    cumulative = 0.0
    for k, p in enumerate(ps, start=1):
        cumulative += p
        if low is None and cumulative > tail + 1e-12:
            low = k
        if high is None and cumulative >= 1 - tail - 1e-12:
            high = k
    return low, high if high is not None else len(ps)


def method_of(settings, notes: Sequence[str] = ()) -> Method:
    """A :class:`Method` from ``scoring.types.Settings`` (or anything with the same attributes)."""

    def code(value) -> str:
        return str(getattr(value, "value", value))

    return Method(
        method=code(settings.method), trim=int(settings.trim), min_raters=int(settings.min_raters),
        fallback=code(settings.fallback), missing_policy=code(settings.missing_policy),
        bootstrap=int(settings.bootstrap), confidence=float(settings.confidence), seed=int(settings.seed),
        notes=tuple(notes),
    )


# --- wording -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CommonLabels:
    """Wording every evaluation report shares; ``{name}`` parts are filled in with ``str.format``."""

    lang: str  #: "zh" or "en": which unit and round name comes first
    footer: str  #: {generated}
    footer_head: str  #: {generated}, {head}: the footer when an audit chain head is printed
    generated: str
    none: str
    total_of: str  #: {value}, {maximum}: "82.4 / 100"
    with_interval: str  #: {value}, {low}, {high}
    rank_of: str  #: {rank}, {n}
    rank_interval: str  #: {rank}, {low}, {high}, {n}
    # method
    aggregation: str
    aggregation_trimmed: str  #: {method}, {k}
    min_raters: str
    min_raters_text: str  #: {n}, {fallback}
    missing: str
    uncertainty: str
    bootstrap_text: str  #: {n}, {confidence}, {seed}
    bootstrap_no_seed: str  #: {n}, {confidence}
    no_bootstrap: str
    confidence: str
    methods: Mapping[str, str]
    missing_policies: Mapping[str, str]
    # recusal, raters
    recusal_reason: str
    recusal_cards: str
    recusal_rows: str
    recusal_note: str
    no_recusals: str
    reasons: Mapping[str, str]
    rater_types: Mapping[str, str]
    flags: Mapping[str, str]
    measures: Mapping[str, str]
    all_raters: str
    # statistics
    statistic: str
    value: str
    interval: str
    note: str
    # publication, audit
    version: str
    version_text: str  #: {version}, {published_at}
    correction: str
    verify: str
    not_published: str
    audit_head: str
    audit_text: str


COMMON: dict[str, CommonLabels] = {
    "zh": CommonLabels(
        lang="zh", footer="生成于 {generated}", footer_head="生成于 {generated} · 审计链头 {head}", generated="生成时间",
        none="无", total_of="{value} / {maximum}", with_interval="{value}（{low}–{high}）", rank_of="第 {rank} 名，共 {n} 个单位",
        rank_interval="第 {rank} 名（{low}–{high}），共 {n} 个单位",
        aggregation="汇总方法", aggregation_trimmed="{method}，两端各去掉 {k} 位评分人",
        min_raters="最少评分人数", min_raters_text="有效评分人少于 {n} 位时改用{fallback}", missing="缺项处理",
        uncertainty="不确定性",
        bootstrap_text="自助法（bootstrap）{n} 次重抽样，评分人在各评审组内有放回抽取；区间为 {confidence} 置信区间；随机种子 {seed}",
        bootstrap_no_seed="自助法（bootstrap）{n} 次重抽样，评分人在各评审组内有放回抽取；区间为 {confidence} 置信区间",
        no_bootstrap="未做自助法重抽样，不给出区间", confidence="置信水平",
        methods={"mean": "算术平均", "median": "中位数", "trimmed": "截尾均值", "winsorized": "缩尾均值"},
        missing_policies={"rescale": "按已评的指标折算领域得分", "zero": "未评的指标记 0 分",
                          "drop": "有未评指标的评分表整张不计"},
        recusal_reason="回避原因", recusal_cards="评分表数", recusal_rows="评分条数",
        recusal_note="回避的评分表（评分人×单位）不进入任何汇总；同一评分表有两个原因时分别计入。不列姓名。",
        no_recusals="本单位没有评分人回避。",
        reasons={"own_unit": "本单位", "parent_child": "上下级单位", "parent_unit": "上级单位", "child_unit": "下级单位",
                 "same_sub_district": "同一街道", "same_industry": "同一行业", "relationship": "登记的利害关系",
                 "declared": "本人声明的利益冲突"},
        rater_types={"worker_representative": "职工代表", "union_chair": "工会主席", "model_worker": "劳模",
                     "other": "其他"},
        flags={"lenient": "偏宽", "severe": "偏严", "erratic": "不稳定", "too_uniform": "区分度低", "off_panel": "偏离本组"},
        measures={"krippendorff_alpha_interval": "Krippendorff α（等距）", "krippendorff_alpha": "Krippendorff α",
                  "icc2": "ICC(2,1) 单个评分人", "icc2k": "ICC(2,k) 平均评分", "kendall_w": "Kendall W"},
        all_raters="全体评分人", statistic="指标", value="数值", interval="95% 区间", note="说明",
        version="版本", version_text="第 {version} 版，发布于 {published_at}", correction="更正说明", verify="核验",
        not_published="预览稿，尚未发布", audit_head="审计链头",
        audit_text="审计日志逐条以哈希相连，任何改动都会使其后的链头改变；本报告生成时的链头如下，可用 kaimen audit verify 核对。",
    ),
    "en": CommonLabels(
        lang="en", footer="Generated {generated}", footer_head="Generated {generated} · audit chain head {head}",
        generated="Generated", none="none", total_of="{value} / {maximum}", with_interval="{value} ({low}–{high})",
        rank_of="{rank} of {n} units", rank_interval="{rank} ({low}–{high}) of {n} units",
        aggregation="Aggregation", aggregation_trimmed="{method}, {k} rater(s) dropped at each end",
        min_raters="Minimum raters", min_raters_text="{fallback} where fewer than {n} raters remain",
        missing="Missing criteria", uncertainty="Uncertainty",
        bootstrap_text=("bootstrap with {n} replicates, raters resampled with replacement within each panel; "
                        "{confidence} intervals; seed {seed}"),
        bootstrap_no_seed=("bootstrap with {n} replicates, raters resampled with replacement within each panel; "
                           "{confidence} intervals"),
        no_bootstrap="no bootstrap was run; no intervals are given", confidence="Confidence",
        methods={"mean": "mean", "median": "median", "trimmed": "trimmed mean", "winsorized": "winsorised mean"},
        missing_policies={"rescale": "area subtotal rescaled over the criteria scored",
                          "zero": "a criterion not scored counts as zero",
                          "drop": "a scorecard with any criterion not scored is left out"},
        recusal_reason="Reason", recusal_cards="Scorecards", recusal_rows="Score rows",
        recusal_note=("Recused scorecards (rater × unit) enter no aggregate; a scorecard with two reasons counts "
                      "under both. No names are given."),
        no_recusals="No rater recused from this unit.",
        reasons={"own_unit": "own unit", "parent_child": "parent or child unit", "parent_unit": "parent unit",
                 "child_unit": "child unit", "same_sub_district": "same sub-district", "same_industry": "same industry",
                 "relationship": "recorded relationship", "declared": "declared conflict of interest"},
        rater_types={"worker_representative": "worker representative", "union_chair": "union chair",
                     "model_worker": "model worker", "other": "other"},
        flags={"lenient": "lenient", "severe": "severe", "erratic": "erratic", "too_uniform": "too uniform",
               "off_panel": "off panel"},
        measures={"krippendorff_alpha_interval": "Krippendorff's α (interval)", "krippendorff_alpha": "Krippendorff's α",
                  "icc2": "ICC(2,1) single rater", "icc2k": "ICC(2,k) average", "kendall_w": "Kendall's W"},
        all_raters="all raters", statistic="Measure", value="Value", interval="95% interval", note="Note",
        version="Version", version_text="version {version}, published {published_at}", correction="Correction",
        verify="Verification", not_published="preview, not published", audit_head="Audit chain head",
        audit_text=("Audit log entries are chained by hash, so any change alters every later head; this is the "
                    "head when the report was generated, to be checked with kaimen audit verify."),
    ),
}


def common_labels(language: str) -> CommonLabels:
    return COMMON["en" if language.lower().startswith("en") else "zh"]


# --- formatting ----------------------------------------------------------------------------------------


def fmt(value: float | None, digits: int = 1) -> str:
    """A figure with ``digits`` decimals; None or NaN → the dash."""
    return number(value, digits) if _finite(value) else DASH


def plain(value: float | None) -> str:
    """A raw input value with trailing zeros dropped (``0.810`` → ``0.81``, ``82.50`` → ``82.5``)."""
    if not _finite(value):
        return DASH
    out = f"{value:.3f}".rstrip("0").rstrip(".")
    return "0" if out == "-0" else out


def with_interval(labels: CommonLabels, value: float | None, low: float | None, high: float | None,
                  digits: int = 1) -> str:
    """``82.4（79.1–85.6）``; the bare value without an interval; the dash without a value."""
    if not _finite(value):
        return DASH
    if not (_finite(low) and _finite(high)):
        return fmt(value, digits)
    return labels.with_interval.format(value=fmt(value, digits), low=fmt(low, digits), high=fmt(high, digits))


def rank_text(labels: CommonLabels, rank: int | None, low: int | None, high: int | None, n: int | None) -> str:
    """``第 3 名（2–5），共 27 个单位``."""
    if not _finite(rank):
        return DASH
    rank, low, high = whole(rank), (whole(low) if _finite(low) else None), (whole(high) if _finite(high) else None)
    if n is None:
        return rank if low is None or high is None else f"{rank} ({low}–{high})"
    if low is None or high is None:
        return labels.rank_of.format(rank=rank, n=n)
    return labels.rank_interval.format(rank=rank, low=low, high=high, n=n)


def rank_cell(rank: int | None, low: int | None, high: int | None) -> str:
    """``3 (2–5)`` for a table cell."""
    if not _finite(rank):
        return DASH
    if not (_finite(low) and _finite(high)):
        return whole(rank)
    return f"{whole(rank)} ({whole(low)}–{whole(high)})"


def coded(mapping: Mapping[str, str], code: str | None) -> str:
    """The wording for an engine code, or the code itself when it has none."""
    if code is None:
        return DASH
    return mapping.get(code, code)


def primary_name(labels: CommonLabels, zh: str, en: str = "") -> tuple[str, str]:
    """(the name to lead with, the other one or ""): English first in the English report when there is one."""
    if labels.lang == "en" and en:
        return en, zh if zh != en else ""
    return zh or en, en if en and en != zh else ""


def area_name(code: str, title: str) -> str:
    """``A01  依法维权``; the code alone when the area has no title of its own."""
    return f"{code}  {title}" if title and title != code else code


def footer(labels: CommonLabels, generated_at: str, audit_head: str | None) -> str:
    if audit_head:
        return labels.footer_head.format(generated=generated_at, head=short_hash(audit_head))
    return labels.footer.format(generated=generated_at)


def short_hash(value: str) -> str:
    return value[:16] + "…" if len(value) > 16 else value


# --- sections ------------------------------------------------------------------------------------------


def method_facts(method: Method, labels: CommonLabels) -> list[tuple[str, str]]:
    name = coded(labels.methods, method.method)
    if method.method in ("trimmed", "winsorized"):
        name = labels.aggregation_trimmed.format(method=name, k=method.trim)
    facts = [
        (labels.aggregation, name),
        (labels.min_raters, labels.min_raters_text.format(n=method.min_raters,
                                                          fallback=coded(labels.methods, method.fallback))),
        (labels.missing, coded(labels.missing_policies, method.missing_policy)),
    ]
    confidence = f"{method.confidence * 100:g}%"
    if method.bootstrap > 0:
        if method.seed is None:
            boot = labels.bootstrap_no_seed.format(n=number(method.bootstrap), confidence=confidence)
        else:
            boot = labels.bootstrap_text.format(n=number(method.bootstrap), confidence=confidence, seed=method.seed)
    else:
        boot = labels.no_bootstrap
    facts.append((labels.uncertainty, boot))
    return facts


def method_section(title: str, method: Method, labels: CommonLabels, extra: Sequence[str] = ()) -> list:
    story = [heading(title), facts_table(method_facts(method, labels), FACT_WIDTHS)]
    lines = [*extra, *method.notes]
    if lines:
        story.append(Spacer(0, 2 * mm))
        story += [para(line, "small") for line in lines]
    return story


def recusal_table(counts: Sequence[RecusalCount], labels: CommonLabels) -> list:
    """The reason categories with their counts (rows column only when some count has rows)."""
    if not counts:
        return [para(labels.no_recusals)]
    show_rows = any(c.rows is not None for c in counts)
    header = [labels.recusal_reason, labels.recusal_cards, *([labels.recusal_rows] if show_rows else [])]
    rows = [[coded(labels.reasons, c.code), number(c.cards), *([number(c.rows)] if show_rows else [])]
            for c in counts]
    col = widths(3, 1, *((1,) if show_rows else ()), total=110 * mm)
    return [data_table(header, rows, col, numeric={1, 2}), para(labels.recusal_note, "footnote")]


def statistics_table(stats: Sequence[Statistic], labels: CommonLabels) -> list:
    if not stats:
        return []
    rows = [[s.label, fmt(s.value, s.digits),
             f"{fmt(s.low, s.digits)}–{fmt(s.high, s.digits)}" if _finite(s.low) and _finite(s.high) else "",
             s.note] for s in stats]
    return [data_table([labels.statistic, labels.value, labels.interval, labels.note], rows, widths(2.4, 0.8, 1.2, 3.6),
                       numeric={1})]


def audit_section(title: str, labels: CommonLabels, audit_head: str | None, publication: Publication | None,
                  generated_at: str) -> list:
    facts: list[tuple[str, str]] = []
    if publication is None:
        facts.append((labels.version, labels.not_published))
    else:
        facts.append((labels.version, labels.version_text.format(version=publication.version,
                                                                 published_at=publication.published_at)))
        if publication.note:
            facts.append((labels.correction, publication.note))
        if publication.verify:
            facts.append((labels.verify, publication.verify))
    facts.append((labels.generated, generated_at))
    if audit_head:
        facts.append((labels.audit_head, audit_head))
    story = [heading(title), facts_table(facts, FACT_WIDTHS)]
    if audit_head:
        story.append(para(labels.audit_text, "small"))
    return [KeepTogether(story)]


@cache
def _bullet_style() -> ParagraphStyle:
    # the bullet is drawn in its own font: Helvetica unless told, and that one would not be embedded
    return ParagraphStyle("evaluation_bullet", parent=report_styles()["bullet"], bulletFontName=CJK_FONT,
                          leftIndent=14, bulletIndent=3)


def loose_heading(value: str, space: float = 45 * mm) -> list:
    """A heading for a long table: a new page only when less than ``space`` is left, then heading and table
    flow on together (a heading kept with a table longer than the page would always start a new page)."""
    flowable = heading(value)
    flowable.keepWithNext = 0
    return [CondPageBreak(space), flowable]


def bullets(lines: Sequence[str]) -> list:
    """One bulleted paragraph per line of user text (escaped; its own line breaks kept, indented under the text)."""
    return [Paragraph(text(line, newlines=True), _bullet_style(), bulletText="•") for line in lines]


__all__ = [
    "COMMON", "FACT_WIDTHS", "CommonLabels", "Method", "Publication", "RecusalCount", "Spread", "Statistic", "area_name",
    "audit_section",
    "bullets", "coded", "common_labels", "finite", "fmt", "footer", "loose_heading", "method_facts", "method_of", "method_section",
    "peer_position", "plain", "primary_name", "rank_cell", "rank_interval", "rank_text", "recusal_table", "short_hash",
    "spread", "statistics_table", "whole", "with_interval",
]


def pick_labels(labels, table: dict):
    """The caller's own labels, or the table's ``"zh"``/``"en"`` entry for a language name."""
    if isinstance(labels, str):
        return table["en" if labels.lower().startswith("en") else "zh"]
    return labels
