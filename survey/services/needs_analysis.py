"""The needs analysis of a questionnaire: every question's figures, the needs priority, breakdowns, participation.

:func:`analyse` reads the questionnaire's packed answer rows in bulk
(``survey.services.answer_columns.load_matrix``: one numpy column per codebook
variable), applies the filters and the differencing guard
(:mod:`survey.services.needs_analysis_filters`), and computes with the pure
statistics of :mod:`scoring.survey`:

- per question: counts and shares with Wilson intervals (single choice;
  multiple choice as shares of respondents and of mentions); scale
  questions (rating, each matrix row) with mean, median and the
  distribution with intervals, and Cronbach's alpha of a matrix; rankings
  with mean rank, share ranked first and Borda score; numbers (mean,
  quartiles, bands) and dates (by year); free texts and "other" texts;
- the needs priority (:func:`default_need_questions` says which questions count
  unless staff choose);
- a breakdown by a demographic question, by unit or by sub-district
  (:mod:`survey.services.needs_analysis_breakdowns`);
- importance-performance where two matrix questions pair importance and
  satisfaction over the same rows;
- participation by unit and sub-district against members and targets
  (the units and the target rule of ``survey.services.distribution``: units
  with responses or a target; reached when responses >= ceil(rate x members)).

:func:`analyse_cached` is what the screens call: the same through a small
in-process cache (:mod:`survey.services.needs_analysis_cache`,
``ANALYSIS_CACHE_SECONDS``, ``ANALYSIS_CACHE_MB``). Above
``ANALYSIS_TEXTS_MAX_ROWS`` responses (200,000) the texts are not read
(:func:`read_texts`). Results are the frozen dataclasses of
:mod:`survey.services.needs_analysis_model`.

Small-cell protection
---------------------
Thresholds come from the app config (``SMALL_CELL_K``, ``SMALL_CELL_K_TEXT``,
``SMALL_CELL_K_ENTERPRISE``; defaults 5, 10, 10) unless passed. Policies:

1. A figure resting on 1 to k - 1 respondents is ``None``, with
   complementary suppression (``scoring.survey.suppression``) so totals minus
   shown figures cannot give it back; a question answered by fewer than k
   shows nothing but its question.
2. A question's one-way table and its breakdowns share their margins: the
   breakdown's table starts from the one-way table's hidden cells (column
   totals) and the hidden group sizes (row totals). The one-way tables never
   depend on which breakdown is asked, so two page views cannot be played
   against each other; a breakdown whose protection would need to hide a
   margin shown elsewhere is withheld whole.
3. Means, medians, standard deviations and top/bottom-2 shares of a scale
   item (or of a group in a breakdown) are hidden when any point of its
   distribution is hidden; ranking means and Borda scores likewise when any
   rank count of the item is. A mean shown is thus a function of counts
   shown and adds nothing an outsider could use against a hidden count.
4. Tests between groups are made on the table as published (hidden groups
   and answers pooled), and the needs priority publishes only its "not
   distinguishable" marks, not the pair tests' p values.
5. Free text (answers to text questions, "other" texts) is listed only when
   at least ``k_text`` respondents in the view wrote one, sorted, never per
   group. Number minima and maxima are shown only when at least k
   respondents gave that value. "No answer" counts are not protected: not
   answering says nothing about an answer.
6. A unit filter, a breakdown by unit and participation by unit are views of
   single enterprises and use ``k_enterprise``.
7. Filters: a filter that keeps 1 to k - 1 responses, or isolates that many
   by difference with the same filter minus some conditions, or whose date
   range could be moved to the next day with responses to add 1 to k - 1, is
   refused with a message (``FilterRefused``). Days are the grid; whole
   months are the safer habit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from flask import current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy import select

from forms.questionnaire.codebook import Codebook, Variable, VariableKind, from_day_number
from forms.questionnaire.spec import LocalizedText, Question, QuestionType
from scoring.survey import (
    K_DEFAULT,
    K_FREE_TEXT,
    K_PER_ENTERPRISE,
    choice_shares,
    frequency_table,
    importance_performance,
    needs_priority,
    number_summary,
    priority_order,
    ranking_summary,
    scale_reliability,
    scale_summary,
    suppress_frequencies,
    suppress_table,
    wilson_interval,
)
from survey.extensions import db
from survey.models import ParticipationTarget, Questionnaire
from survey.services.answer_columns import AnswerMatrix, MatrixFilter, load_matrix, questionnaire_codebook
from survey.services.needs_analysis_filters import FilterRefused, UnitIndex, apply_filters
from survey.services.needs_analysis_model import (
    ImportancePerformanceItem,
    ImportancePerformanceResult,
    NeedsAnalysis,
    NumberResult,
    OptionResult,
    OtherTexts,
    ParticipationResult,
    ParticipationRow,
    PriorityItem,
    PriorityRanking,
    QuestionAnalysis,
    RankingItem,
    ReliabilityItem,
    ReliabilityResult,
    ScaleItemResult,
    ScalePoint,
    Thresholds,
)
from survey.services.needs_analysis_protect import choice_mask, complement
from survey.services.questionnaires import spec_of

__all__ = [
    "FilterRefused",
    "MatrixFilter",
    "NeedsAnalysis",
    "analyse",
    "analyse_cached",
    "breakdown_choices",
    "load_answers",
    "need_question_choices",
    "page_choices",
    "thresholds",
]

#: Texts listed per question at most (the exports hold them all).
MAX_TEXTS = 1000
#: Above this many responses the analysis does not read the texts (``ANALYSIS_TEXTS_MAX_ROWS``).
TEXTS_MAX_ROWS = 200_000
#: Words in a matrix question's title that mark it as the importance half of an importance-performance pair.
IMPORTANCE_WORDS = ("重要", "important", "importance")
#: Options that mean "none of these": not a need, left out of the priority ranking.
NONE_OPTION_IDS = frozenset({"none", "nothing", "no_need", "none_of_these"})
#: Breakdown variables that are not questions.
BY_UNIT = "_unit"
BY_SUB_DISTRICT = "_sub_district"


def _none(x) -> float | None:
    """A float for the results, None for nan."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def _count(x) -> int | None:
    return None if x is None else int(x)


def thresholds(k: int | None = None, k_text: int | None = None, k_enterprise: int | None = None) -> tuple[int, int, int]:
    """(k, k_text, k_enterprise): the arguments, else the app config, else 5, 10 and 10."""
    config = current_app.config if has_app_context() else {}
    k = int(k if k is not None else config.get("SMALL_CELL_K", K_DEFAULT))
    k_text = int(k_text if k_text is not None else config.get("SMALL_CELL_K_TEXT", K_FREE_TEXT))
    k_enterprise = int(k_enterprise if k_enterprise is not None
                       else config.get("SMALL_CELL_K_ENTERPRISE", max(K_PER_ENTERPRISE, k)))
    if k < 1 or k_text < 1 or k_enterprise < 1:
        raise ValueError("small-cell thresholds must be whole numbers >= 1")
    return k, max(k_text, k), max(k_enterprise, k)


# --------------------------------------------------------------------------- questions as the codebook sees them


@dataclass
class Plan:
    """One question (one incarnation of a question id: a change of type or scale starts another)."""

    question_id: str
    question: Question
    code: str
    title: str
    section: str
    variables: list[Variable]
    main: Variable | None
    items: list[Variable]  #: per option (multiple choice, ranking) or row (matrix), in reading order
    other_texts: list[Variable]
    labels: dict[str, str]  #: option or row id -> label
    #: A demographic question whose options are units (the chair rating's "your union"): answers by
    #: unit are views of single enterprises (``k_enterprise``).
    enterprise: bool = False

    @property
    def type(self) -> QuestionType:
        return self.question.type

    def label(self, part_id: str | None) -> str:
        return self.labels.get(part_id or "", part_id or "")


def _clusters(variables: Sequence[Variable]) -> list[list[Variable]]:
    """A question id's variables split into incarnations: variables sharing a version belong together."""
    clusters: list[tuple[set[int], list[Variable]]] = []
    for v in variables:
        versions = set(v.versions)
        joined = [c for c in clusters if c[0] & versions]
        if not joined:
            clusters.append((versions, [v]))
            continue
        first = joined[0]
        first[0].update(versions)
        first[1].append(v)
        for other in joined[1:]:
            first[0].update(other[0])
            first[1].extend(other[1])
            clusters.remove(other)
    return [c[1] for c in clusters]


def plans_for(questionnaire: Questionnaire, codebook: Codebook, locale: str) -> list[Plan]:
    """The questions in reading order, each with its variables and labels in ``locale``."""
    specs = {v.number: spec_of(v) for v in questionnaire.versions if v.number in codebook.versions}
    labels: dict[tuple[str, str], LocalizedText] = {}
    for number in sorted(specs):
        for q in specs[number].questions():
            for part in (*q.options, *q.rows):
                labels[(q.id, part.id)] = part.label
    seen: list[str] = []
    for v in codebook.variables:
        if v.question_id not in seen:
            seen.append(v.question_id)
    plans: list[Plan] = []
    for qid in seen:
        for cluster in _clusters(codebook.question_variables(qid)):
            newest = max(n for v in cluster for n in v.versions)
            spec = specs[newest]
            question = spec.question(qid)
            section = spec.section_of(qid)
            main = next((v for v in cluster if v.option_id is None), None)
            items = [v for v in cluster if v.kind in (VariableKind.SELECTED, VariableKind.RANK)
                     or (v.kind is VariableKind.SCALE and v.option_id is not None)]
            others = [v for v in cluster if v.kind is VariableKind.OTHER_TEXT]
            part_labels = {pid: text.get(locale) for (q_id, pid), text in labels.items() if q_id == qid}
            plans.append(Plan(
                question_id=qid, question=question, code=f"Q{len(plans) + 1}", title=question.title.get(locale),
                section=section.title.get(locale) if section else "", variables=cluster, main=main, items=items,
                other_texts=others, labels=part_labels,
            ))
    return plans


# --------------------------------------------------------------------------- what breakdowns reuse


@dataclass
class OneWay:
    """How a question's one-way figures were protected, for its breakdowns to start from."""

    kind: str  #: "choice", "multiple", "scale", "number", "none"
    #: choice: per option (display order) the code index (code - 1) and whether hidden.
    codes: list[int] = field(default_factory=list)
    hidden: np.ndarray | None = None
    #: multiple / ranking (binary "chose it"): the item slots and whether each is hidden.
    slots: list[int] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    ranking: bool = False
    counts: np.ndarray | None = None  #: respondents who chose each option
    bases: np.ndarray | None = None  #: respondents offered each option (who answered the question)
    #: scale: per item (slot, label, hidden points).
    scale_items: list[tuple[int, str, np.ndarray]] = field(default_factory=list)
    points: np.ndarray | None = None


# --------------------------------------------------------------------------- per question


@dataclass
class _Context:
    values: np.ndarray  #: the view's matrix
    texts: dict[str, list[str]] | None  #: text variable -> the view's texts; None: texts were not read
    k: int
    k_text: int
    confidence: float
    locale: str
    k_enterprise: int = K_PER_ENTERPRISE


def _texts_by_variable(rows: list | None) -> dict[str, list[str]]:
    """{variable: [texts]} from the per-row text dicts, in one pass."""
    out: dict[str, list[str]] = {}
    for row in rows or ():
        if row:
            for name, text in row.items():
                out.setdefault(name, []).append(text)
    return out


def _texts_of(ctx: _Context, name: str) -> list[str]:
    return (ctx.texts or {}).get(name, [])


def _other_texts(plan: Plan, ctx: _Context) -> tuple[OtherTexts, ...]:
    out = []
    for v in plan.other_texts:
        texts = _texts_of(ctx, v.name)
        if not texts:
            continue
        shown = len(texts) >= ctx.k_text
        out.append(OtherTexts(v.option_id or "", plan.label(v.option_id), len(texts),
                              tuple(sorted(texts)[:MAX_TEXTS]) if shown else (), not shown))
    return tuple(out)


def _base(plan: Plan, ctx: _Context, respondents: int | None, suppressed: bool, **parts) -> QuestionAnalysis:
    if ctx.texts is None and plan.other_texts and "notes" not in parts:
        parts["notes"] = (_("The “other” texts of this question are in the response exports."),)
    return QuestionAnalysis(
        question_id=plan.question_id, variable=(plan.main or plan.variables[0]).name, code=plan.code,
        title=plan.title, type=plan.type, section=plan.section, respondents=respondents,
        demographic=plan.question.demographic, suppressed=suppressed, other_texts=_other_texts(plan, ctx), **parts)


def _option_order(plan: Plan) -> list[str]:
    codes = dict(plan.main.option_codes)
    order = [o.id for o in plan.question.options if o.id in codes]
    return order + [oid for oid in codes if oid not in order]


def _single(plan: Plan, ctx: _Context) -> tuple[QuestionAnalysis, OneWay]:
    codes = dict(plan.main.option_codes)
    order = _option_order(plan)
    n_codes = max(codes.values())
    table = frequency_table(ctx.values[:, plan.main.slot] - 1.0, n_codes, ctx.confidence)
    index = [codes[o] - 1 for o in order]
    counts = table.counts[index]
    supp = suppress_frequencies(counts, max(ctx.k, ctx.k_enterprise) if plan.enterprise else ctx.k)
    others = {o.id for o in plan.question.options if o.is_other}
    labels = {code: text.get(ctx.locale) for code, text in plan.main.value_labels}
    rows = []
    for j, oid in enumerate(order):
        hide = bool(supp.cells[j]) or table.n == 0
        c = index[j]
        rows.append(OptionResult(
            label=plan.labels.get(oid) or labels.get(codes[oid], oid),
            count=None if supp.cells[j] else int(counts[j]),
            share=None if hide else _none(table.shares[c]),
            low=None if hide else _none(table.shares_ci[0][c]), high=None if hide else _none(table.shares_ci[1][c]),
            option_id=oid, code=codes[oid], is_other=oid in others,
        ))
    respondents = None if supp.total else table.n
    result = _base(plan, ctx, respondents, supp.any, options=tuple(rows))
    return result, OneWay("choice", codes=index, hidden=supp.cells.copy(), labels=[r.label for r in rows])


def answered_rows(plan: Plan, values: np.ndarray) -> np.ndarray:
    """Rows that answered a question with several variables (any of them has a value)."""
    answered = np.zeros(values.shape[0], dtype=bool)
    for v in plan.items:
        answered |= ~np.isnan(values[:, v.slot])
    return answered


def chose_column(plan: Plan, values: np.ndarray, j: int, answered: np.ndarray | None = None) -> np.ndarray:
    """Option j of a multiple-choice or ranking question as 1 (chose / ranked it), 0, or nan (not asked)."""
    column = values[:, plan.items[j].slot]
    if plan.type is not QuestionType.RANKING:
        return column  # already 1, 0 or nan
    if answered is None:
        answered = answered_rows(plan, values)
    return np.where(answered, (~np.isnan(column)).astype(float), np.nan)


def chose_parts(plan: Plan, values: np.ndarray, j: int, answered: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(chose, offered) masks of option j: who chose it, and who was asked it."""
    column = values[:, plan.items[j].slot]
    if plan.type is QuestionType.RANKING:
        return ~np.isnan(column), answered
    return column == 1, ~np.isnan(column)


def _multiple(plan: Plan, ctx: _Context) -> tuple[QuestionAnalysis, OneWay]:
    values = ctx.values
    answered = answered_rows(plan, values)
    n = int(answered.sum())
    m = len(plan.items)
    parts = [chose_parts(plan, values, j, answered) for j in range(m)]
    counts = np.array([np.count_nonzero(c) for c, _o in parts], dtype=float)
    bases = np.array([np.count_nonzero(o) for _c, o in parts], dtype=float)
    hidden = choice_mask(counts, bases, ctx.k) if n >= ctx.k else np.ones(m, dtype=bool)
    if n and (bases == n).all():
        everyone = n == values.shape[0]
        ticks = np.empty((n, m), dtype=np.int8, order="F")
        for j, (chose, _offered) in enumerate(parts):
            ticks[:, j] = chose if everyone else chose[answered]
        shares = choice_shares(ticks, confidence=ctx.confidence)
        share, low, high = shares.respondent_share, *shares.respondent_share_ci
        mention, m_low, m_high = shares.mention_share, *(shares.mention_share_ci or (None, None))
    else:  # options added or dropped between versions: each option's base is who was offered it
        with np.errstate(invalid="ignore", divide="ignore"):
            share = counts / bases
            low, high = wilson_interval(counts, bases, ctx.confidence)
            mention = counts / counts.sum() if counts.sum() else np.full(counts.shape, np.nan)
        m_low = m_high = None
    others = {o.id for o in plan.question.options if o.is_other}
    rows = []
    for j, v in enumerate(plan.items):
        h = bool(hidden[j])
        rows.append(OptionResult(
            label=plan.label(v.option_id), count=None if h else int(counts[j]),
            share=None if h else _none(share[j]), low=None if h else _none(low[j]), high=None if h else _none(high[j]),
            option_id=v.option_id, is_other=v.option_id in others,
            mention_share=None if h else _none(mention[j]),
            mention_low=None if h or m_low is None else _none(m_low[j]),
            mention_high=None if h or m_high is None else _none(m_high[j]),
        ))
    result = _base(plan, ctx, n if n >= ctx.k or n == 0 else None, bool(hidden.any()), multiple=True,
                   options=tuple(rows))
    return result, OneWay("multiple", slots=[v.slot for v in plan.items], hidden=hidden,
                          labels=[r.label for r in rows], counts=counts, bases=bases)


def _ranking(plan: Plan, ctx: _Context) -> tuple[QuestionAnalysis, OneWay]:
    cols = ctx.values[:, [v.slot for v in plan.items]]
    answered = (~np.isnan(cols)).any(axis=1)
    n = int(answered.sum())
    m = len(plan.items)
    labels = [plan.label(v.option_id) for v in plan.items]
    top_n = min(plan.question.rank_top or m, m)
    if n == 0:
        items = tuple(RankingItem(v.option_id, labels[j], 0, 0, None, None, None, None, None, None, None, None, None,
                                  None) for j, v in enumerate(plan.items))
        result = _base(plan, ctx, 0, False, ranking=items, top_n=top_n)
        return result, OneWay("multiple", slots=[v.slot for v in plan.items], hidden=np.zeros(m, dtype=bool),
                              labels=labels, ranking=True, counts=np.zeros(m), bases=np.zeros(m))
    sub = cols if n == cols.shape[0] else cols[answered]
    top_n = max(top_n, int(np.nanmax(sub)))
    rs = ranking_summary(sub, top_n, ctx.confidence)
    table = np.column_stack([rs.rank_counts, n - rs.n_ranked]).astype(np.int64)
    if n < ctx.k:
        cells = np.ones(table.shape, dtype=bool)
    else:
        supp = suppress_table(table, ctx.k)
        cells = supp.cells | supp.row_totals[:, None]
    row_hidden = cells.any(axis=1)
    shown = np.flatnonzero(~row_hidden)
    order = priority_order(rs.borda[shown], *(b[shown] for b in rs.borda_ci)) if shown.size else None
    place = {}
    tied = {}
    if order is not None:
        for p, idx in enumerate(order.order):
            place[int(shown[idx])] = p + 1
            tied[int(shown[idx])] = bool(order.overlaps_next[p]) if p < len(order.overlaps_next) else False
    items = []
    for j in [int(shown[i]) for i in (order.order if order is not None else [])] + \
            [int(j) for j in np.flatnonzero(row_hidden)]:
        h = bool(row_hidden[j])
        first_hidden = bool(cells[j, 0])
        items.append(RankingItem(
            option_id=plan.items[j].option_id, label=labels[j],
            n_ranked=None if cells[j, -1] else int(rs.n_ranked[j]),
            first_count=None if first_hidden else int(rs.first_count[j]),
            first_share=None if first_hidden else _none(rs.first_share[j]),
            first_low=None if first_hidden else _none(rs.first_share_ci[0][j]),
            first_high=None if first_hidden else _none(rs.first_share_ci[1][j]),
            mean_rank=None if h else _none(rs.mean_rank[j]),
            mean_rank_low=None if h else _none(rs.mean_rank_ci[0][j]),
            mean_rank_high=None if h else _none(rs.mean_rank_ci[1][j]),
            borda=None if h else _none(rs.borda[j]), borda_low=None if h else _none(rs.borda_ci[0][j]),
            borda_high=None if h else _none(rs.borda_ci[1][j]),
            place=place.get(j), tied_with_next=tied.get(j, False),
            rank_counts=tuple(None if cells[j, r] else int(rs.rank_counts[j, r]) for r in range(top_n)),
        ))
    # As a "chose it" question (ranked at all) for the priority and breakdowns: hidden where its
    # unranked count is, or as a multiple choice would be.
    hidden = choice_mask(rs.n_ranked.astype(float), np.full(m, float(n)), ctx.k) | cells[:, -1]
    result = _base(plan, ctx, n if n >= ctx.k else None, bool(cells.any()), ranking=tuple(items), top_n=top_n)
    return result, OneWay("multiple", slots=[v.slot for v in plan.items], hidden=hidden, labels=labels, ranking=True,
                          counts=rs.n_ranked.astype(float), bases=np.full(m, float(n)))


def scale_point_labels(question: Question, locale: str) -> tuple[ScalePoint, ...]:
    points = range(question.scale_min, question.scale_max + 1)
    out = []
    for p in points:
        label = str(p)
        if p == question.scale_min and question.scale_min_label:
            label = f"{p} {question.scale_min_label.get(locale)}"
        elif p == question.scale_max and question.scale_max_label:
            label = f"{p} {question.scale_max_label.get(locale)}"
        out.append(ScalePoint(p, label))
    return tuple(out)


def scale_item(label: str, column: np.ndarray, points: np.ndarray, k: int, confidence: float,
               item_id: str | None = None) -> tuple[ScaleItemResult, np.ndarray]:
    """One scale item's protected summary, and which points are hidden."""
    summary = scale_summary(column, points, confidence)
    supp = suppress_frequencies(summary.counts, k)
    hidden = supp.cells
    any_hidden = bool(hidden.any()) or summary.n == 0
    h = [bool(x) for x in hidden]

    def keep(value):
        return None if any_hidden else _none(value)

    result = ScaleItemResult(
        label=label, respondents=None if supp.total else summary.n,
        counts=tuple(None if h[j] else int(summary.counts[j]) for j in range(points.size)),
        shares=tuple(None if h[j] or summary.n == 0 else _none(summary.shares[j]) for j in range(points.size)),
        lows=tuple(None if h[j] or summary.n == 0 else _none(summary.shares_ci[0][j]) for j in range(points.size)),
        highs=tuple(None if h[j] or summary.n == 0 else _none(summary.shares_ci[1][j]) for j in range(points.size)),
        mean=keep(summary.mean), mean_low=keep(summary.mean_ci[0]), mean_high=keep(summary.mean_ci[1]),
        sd=keep(summary.sd), median=keep(summary.median), median_low=keep(summary.median_ci[0]),
        median_high=keep(summary.median_ci[1]), top_share=keep(summary.top_share),
        top_low=keep(summary.top_share_ci[0]), top_high=keep(summary.top_share_ci[1]),
        bottom_share=keep(summary.bottom_share), bottom_low=keep(summary.bottom_share_ci[0]),
        bottom_high=keep(summary.bottom_share_ci[1]), item_id=item_id,
    )
    return result, hidden


def _scale(plan: Plan, ctx: _Context) -> tuple[QuestionAnalysis, OneWay]:
    q = plan.question
    points = np.arange(q.scale_min, q.scale_max + 1, dtype=float)
    variables = plan.items if plan.type is QuestionType.MATRIX else [plan.main]
    items, one_way = [], []
    for v in variables:
        label = plan.label(v.option_id) if v.option_id else plan.title
        item, hidden = scale_item(label, ctx.values[:, v.slot], points, ctx.k, ctx.confidence, v.option_id)
        items.append(item)
        one_way.append((v.slot, label, hidden))
    answered = np.zeros(ctx.values.shape[0], dtype=bool)
    for v in variables:
        answered |= ~np.isnan(ctx.values[:, v.slot])
    n = int(answered.sum())
    reliability = _reliability(plan, ctx) if plan.type is QuestionType.MATRIX and len(variables) >= 2 else None
    suppressed = any(i.respondents is None or any(c is None for c in i.counts) for i in items)
    result = _base(plan, ctx, n if n >= ctx.k or n == 0 else None, suppressed,
                   scale_points=scale_point_labels(q, ctx.locale), scale_items=tuple(items), reliability=reliability)
    return result, OneWay("scale", scale_items=one_way, points=points)


def _reliability(plan: Plan, ctx: _Context) -> ReliabilityResult:
    data = ctx.values[:, [v.slot for v in plan.items]]
    complete = ~np.isnan(data).any(axis=1)
    n_cases = int(complete.sum())
    n_items = len(plan.items)
    if n_cases < max(ctx.k, 3):
        return ReliabilityResult(None, None, None, None if 0 < n_cases < ctx.k else n_cases, n_items,
                                 reason=_("Too few complete answers for Cronbach's alpha."))
    rel = scale_reliability(data if n_cases == data.shape[0] else data[complete], ctx.confidence)
    items = tuple(ReliabilityItem(plan.label(v.option_id), _none(rel.alpha_if_deleted[j]),
                                  _none(rel.item_rest_correlation[j])) for j, v in enumerate(plan.items))
    return ReliabilityResult(_none(rel.alpha.value), _none(rel.alpha.ci[0]), _none(rel.alpha.ci[1]), n_cases,
                             n_items, items, reason=rel.alpha.reason)


def _nice_step(span: float) -> float:
    if span <= 0:
        return 1.0
    raw = span / 5.0
    magnitude = 10.0 ** math.floor(math.log10(raw))
    for factor in (1.0, 2.0, 2.5, 5.0, 10.0):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10.0 * magnitude


def _fmt(x: float) -> str:
    return f"{x:g}"


def number_bands(x: np.ndarray, integer: bool) -> tuple[list[str], np.ndarray]:
    """Labels and counts of about six bands covering the values (the top one open-ended)."""
    if x.size == 0:
        return [], np.zeros(0, dtype=np.int64)
    low = float(x.min())
    if integer and float(x.max()) - low <= 100_000:  # whole numbers: count each value once
        per_value = np.bincount((x - low).astype(np.int64))
        present = np.flatnonzero(per_value)
        if present.size <= 8:
            return [_fmt(low + v) for v in present], per_value[present].astype(np.int64)
        cum = np.cumsum(per_value)
        high = low + float(np.searchsorted(cum, 0.95 * x.size))
    else:
        distinct = np.unique(x)
        if integer and distinct.size <= 8:
            return [_fmt(v) for v in distinct], np.array([(x == v).sum() for v in distinct], dtype=np.int64)
        high = float(np.quantile(x, 0.95))
    step = _nice_step(high - low)
    if integer:
        step = max(1.0, math.ceil(step))
    start = math.floor(low / step) * step
    edges = [start]
    while edges[-1] + step <= high and len(edges) < 8:
        edges.append(edges[-1] + step)
    index = np.searchsorted(np.array(edges), x, side="right") - 1
    counts = np.bincount(np.clip(index, 0, len(edges) - 1), minlength=len(edges)).astype(np.int64)
    labels = []
    for i, e in enumerate(edges):
        if i == len(edges) - 1:
            labels.append(f"≥ {_fmt(e)}")
        elif integer:
            labels.append(_fmt(e) if step == 1 else f"{_fmt(e)}–{_fmt(edges[i + 1] - 1)}")
        else:
            labels.append(f"{_fmt(e)} – < {_fmt(edges[i + 1])}")
    return labels, counts


def _bands(labels: list[str], counts: np.ndarray, k: int, confidence: float) -> tuple[tuple[OptionResult, ...], bool]:
    n = int(counts.sum())
    if not labels:
        return (), False
    supp = suppress_frequencies(counts, k)
    low, high = wilson_interval(counts, np.full(counts.shape, float(n)), confidence) if n else (counts * np.nan,) * 2
    rows = tuple(
        OptionResult(label=label, count=None if supp.cells[j] else int(counts[j]),
                     share=None if supp.cells[j] or not n else counts[j] / n,
                     low=None if supp.cells[j] else _none(low[j]), high=None if supp.cells[j] else _none(high[j]))
        for j, label in enumerate(labels))
    return rows, supp.any


def _number(plan: Plan, ctx: _Context) -> tuple[QuestionAnalysis, OneWay]:
    column = ctx.values[:, plan.main.slot]
    x = column[~np.isnan(column)]
    n = int(x.size)
    if 0 < n < ctx.k:
        return _base(plan, ctx, None, True, number=NumberResult(None)), OneWay("number")
    s = number_summary(column, ctx.confidence)
    minimum = s.minimum if n and (x == s.minimum).sum() >= ctx.k else None
    maximum = s.maximum if n and (x == s.maximum).sum() >= ctx.k else None
    result = NumberResult(
        respondents=n, mean=_none(s.mean), mean_low=_none(s.mean_ci[0]), mean_high=_none(s.mean_ci[1]),
        sd=_none(s.sd), minimum=_none(minimum), q1=_none(s.q1), median=_none(s.median),
        median_low=_none(s.median_ci[0]), median_high=_none(s.median_ci[1]), q3=_none(s.q3), maximum=_none(maximum))
    labels, counts = number_bands(x, plan.main.integer)
    bands, hidden = _bands(labels, counts, ctx.k, ctx.confidence)
    return _base(plan, ctx, n, hidden or minimum is None or maximum is None, number=result, options=bands), \
        OneWay("number")


def _date(plan: Plan, ctx: _Context) -> tuple[QuestionAnalysis, OneWay]:
    column = ctx.values[:, plan.main.slot]
    x = column[~np.isnan(column)].astype(np.int64)
    n = int(x.size)
    if 0 < n < ctx.k:
        return _base(plan, ctx, None, True), OneWay("none")
    years = x.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    labels: list[str] = []
    counts = np.zeros(0, dtype=np.int64)
    if n:
        width = 1 if years.max() - years.min() < 12 else 10
        start = (int(years.min()) // width) * width
        index = (years - start) // width
        counts = np.bincount(index).astype(np.int64)
        labels = [str(start + i * width) if width == 1 else f"{start + i * width}–{start + i * width + width - 1}"
                  for i in range(counts.size)]
    bands, hidden = _bands(labels, counts, ctx.k, ctx.confidence)
    return _base(plan, ctx, n, hidden, options=bands), OneWay("none")


def _text(plan: Plan, ctx: _Context) -> tuple[QuestionAnalysis, OneWay]:
    if ctx.texts is None:
        return _base(plan, ctx, None, False, notes=(
            _("This questionnaire has too many responses to list its texts here: they are in the response "
              "exports."),)), OneWay("none")
    texts = _texts_of(ctx, plan.main.name) if plan.main else []
    shown = len(texts) >= ctx.k_text
    result = _base(plan, ctx, len(texts) if len(texts) >= ctx.k or not texts else None, not shown and bool(texts),
                   text_count=len(texts), texts=tuple(sorted(texts)[:MAX_TEXTS]) if shown else (),
                   texts_withheld=not shown and bool(texts))
    return result, OneWay("none")


_BY_TYPE = {
    QuestionType.SINGLE_CHOICE: _single,
    QuestionType.MULTIPLE_CHOICE: _multiple,
    QuestionType.RANKING: _ranking,
    QuestionType.RATING: _scale,
    QuestionType.MATRIX: _scale,
    QuestionType.NUMBER: _number,
    QuestionType.DATE: _date,
    QuestionType.SHORT_TEXT: _text,
    QuestionType.LONG_TEXT: _text,
}


# --------------------------------------------------------------------------- needs priority


def _unconditional(plan: Plan, spec_sections: dict[str, bool]) -> bool:
    return plan.question.show_if is None and not spec_sections.get(plan.question_id, False)


def need_question_choices(plans: Sequence[Plan]) -> list[Plan]:
    """Questions that can take part in the needs priority: multiple-choice and ranking questions that are not demographic."""
    return [p for p in plans if p.type in (QuestionType.MULTIPLE_CHOICE, QuestionType.RANKING)
            and p.question.demographic is None and p.items]


def default_need_questions(plans: Sequence[Plan], conditional: dict[str, bool]) -> list[str]:
    """The need questions when staff choose none.

    The spec has no "need" marker, so the rule reads the questionnaire's
    shape. Among the questions asked of everyone (no condition on them or
    their section) that are not demographic:

    - a multiple-choice question with a "none of these" option (id ``none``)
      is a checklist of problems or needs ("which of these apply to you");
    - a multiple-choice question whose options a ranking question ranks is
      the list of wanted services;
    - a ranking question counts unless its options are those of a chosen
      multiple-choice question (the same services would be ranked twice).

    Questions that are none of these ("how would you like to hear from us")
    stay out. When no question fits the rule, every such multiple-choice and
    ranking question counts. Staff can always choose the questions instead.
    """
    candidates = [p for p in need_question_choices(plans) if _unconditional(p, conditional)]
    multiple = [p for p in candidates if p.type is QuestionType.MULTIPLE_CHOICE]
    rankings = [p for p in candidates if p.type is QuestionType.RANKING]
    ranked_sets = [{v.option_id for v in p.items} for p in rankings]

    def options(p: Plan) -> set[str]:
        return {v.option_id for v in p.items}

    chosen_multiple = [p for p in multiple
                       if options(p) & NONE_OPTION_IDS or any(r <= options(p) for r in ranked_sets)]
    chosen_sets = [options(p) for p in chosen_multiple]
    chosen_rankings = [p for p in rankings if not any(options(p) <= s for s in chosen_sets)]
    chosen = {p.question_id for p in chosen_multiple + chosen_rankings}
    if not chosen:
        chosen = {p.question_id for p in candidates}
    return [p.question_id for p in candidates if p.question_id in chosen]


def _priority(plans: Sequence[Plan], one_ways: dict[str, OneWay], values: np.ndarray,
              answered: dict[str, np.ndarray], title: str, k: int, confidence: float) -> PriorityRanking | None:
    """One ranking of the need items of ``plans`` by the share of respondents choosing them.

    Counts, bases and hidden items come from the questions' one-way figures (so the ranking hides
    what they hide); the paired neighbour tests read each shown item's column of 1 / 0 / nan.
    ``answered``: per plan code, the rows that answered it.
    """
    meta = []
    for plan in plans:
        one_way = one_ways[plan.code]
        others = {o.id for o in plan.question.options if o.is_other}
        for j, v in enumerate(plan.items):
            if v.option_id in others or v.option_id in NONE_OPTION_IDS:
                continue
            meta.append((plan, j, v, bool(one_way.hidden[j]), one_way.counts[j], one_way.bases[j]))
    if not meta:
        return None
    n = np.array([b for *_r, b in meta])
    counts = np.array([c for *_r, c, _b in meta])
    hidden = np.array([h for _p, _j, _v, h, _c, _b in meta], dtype=bool) | (n == 0)
    shown = np.flatnonzero(~hidden)
    items: list[PriorityItem] = []
    method = _("McNemar mid-p tests of neighbours, Holm-adjusted")
    if shown.size:
        slots = [meta[idx][0].items[meta[idx][1]].slot for idx in shown]
        plain = all(meta[idx][0].type is QuestionType.MULTIPLE_CHOICE for idx in shown)
        if plain and values.flags.f_contiguous and slots == list(range(slots[0], slots[0] + len(slots))):
            scores = values[:, slots[0]:slots[0] + len(slots)]  # the ticks as stored: a view, no copy
        else:
            scores = np.empty((values.shape[0], shown.size), order="F")
            for c, idx in enumerate(shown):
                plan, j = meta[idx][0], meta[idx][1]
                scores[:, c] = chose_column(plan, values, j, answered.get(plan.code))
        result = needs_priority(scores, confidence, binary=True)
        tier_of_place = result.tier
        for place, idx in enumerate(result.order):
            j = int(shown[idx])
            plan, _j, v = meta[j][:3]
            low, high = result.ci[0][idx], result.ci[1][idx]
            items.append(PriorityItem(
                question_id=plan.question_id, option_id=v.option_id, label=plan.label(v.option_id),
                question=f"{plan.code} {plan.title}", count=int(counts[j]), n=int(n[j]), share=_none(result.estimate[idx]),
                low=_none(low), high=_none(high), place=place + 1, tier=int(tier_of_place[place]),
                tied_with_next=bool(result.not_distinguishable_next[place]) if place < len(result.order) - 1 else False,
            ))
    for j in np.flatnonzero(hidden):
        plan, _j, v = meta[j][:3]
        items.append(PriorityItem(
            question_id=plan.question_id, option_id=v.option_id, label=plan.label(v.option_id),
            question=f"{plan.code} {plan.title}", count=None, n=int(n[j]) if n[j] >= k or n[j] == 0 else None,
            share=None, low=None, high=None, place=None, tier=None))
    return PriorityRanking(title=title, question_ids=tuple(dict.fromkeys(p.question_id for p in plans)),
                           items=tuple(items), method=method, confidence=confidence)


# --------------------------------------------------------------------------- participation


def _participation(questionnaire: Questionnaire, unit_ids: np.ndarray, units: UnitIndex, k: int,
                   k_enterprise: int) -> tuple[ParticipationResult, dict[int, bool], dict[int, bool]]:
    """Responses by unit and sub-district against members and targets, protected.

    Units are protected within their sub-district (threshold
    ``k_enterprise``, against the sub-district's total); a sub-district whose
    units add up to 1 to ``k_enterprise`` - 1 hides its total too. Then the
    sub-district totals (threshold k, against the grand total, which is
    shown); a sub-district whose total is hidden hides all its units. Returns the result and, per unit id and per
    sub-district id, whether its count is hidden (the breakdowns' group sizes).
    """
    # The units listed are those with responses or a target, as on the monitor screen
    # (survey.services.distribution.participation), with the same target rule.
    targets = dict(db.session.execute(
        select(ParticipationTarget.unit_id, ParticipationTarget.rate)
        .where(ParticipationTarget.questionnaire_id == questionnaire.id)).all())
    ids, counts = np.unique(unit_ids, return_counts=True)
    by_unit = {int(i): int(c) for i, c in zip(ids, counts) if i >= 0}
    without_unit = int(counts[ids == -1].sum()) if ids.size else 0
    listed = sorted((set(by_unit) | set(targets)) & set(units.units), key=lambda u: units.units[u].code)
    groups: dict[int | None, list[int]] = {}
    for uid in listed:
        groups.setdefault(units.units[uid].sub_district_id, []).append(uid)
    sd_keys = sorted(groups, key=lambda s: (s is None, units.units[s].code if s is not None else ""))
    sd_counts = np.array([sum(by_unit.get(u, 0) for u in groups[s]) for s in sd_keys] + [without_unit], dtype=np.int64)
    unit_tables = {s: suppress_frequencies(np.array([by_unit.get(u, 0) for u in groups[s]], dtype=np.int64),
                                           k_enterprise) for s in sd_keys}
    # A sub-district whose units together have 1 to k_enterprise - 1 responses hides its total too:
    # it would give the hidden unit counts back. Then complements among the sub-districts.
    forced = np.array([unit_tables[s].total for s in sd_keys] + [False])
    sd_primary = ((sd_counts > 0) & (sd_counts < k)) | forced
    sd_cells = complement(sd_counts, sd_primary, k)
    sd_hidden = {s: bool(sd_cells[i]) for i, s in enumerate(sd_keys)}
    without_hidden = bool(sd_cells[-1])
    unit_hidden: dict[int, bool] = {}
    for s in sd_keys:
        members = groups[s]
        mask = np.ones(len(members), dtype=bool) if sd_hidden[s] else unit_tables[s].cells
        for u, h in zip(members, mask):
            unit_hidden[u] = bool(h)

    def row(name: str, sd_name: str, members: int | None, responses: int, hidden: bool, target: float | None,
            code: str, level: str) -> ParticipationRow:
        rate = responses / members if members and not hidden else None
        reached = None
        if target is not None and members and not hidden:
            reached = responses >= math.ceil(target * members - 1e-9)
        return ParticipationRow(unit=name, sub_district=sd_name, members=members or None,
                                responses=None if hidden else responses, rate=rate, target=target,
                                reached=reached, code=code, level=level)

    unit_rows = []
    for s in sd_keys:
        sd_name = units.units[s].name if s is not None else ""
        for u in groups[s]:
            info = units.units[u]
            unit_rows.append(row(info.name, sd_name, info.member_count, by_unit.get(u, 0), unit_hidden[u],
                                 targets.get(u), info.code, "unit"))
    sd_rows = []
    for i, s in enumerate(sd_keys):
        members = sum(units.units[u].member_count for u in groups[s])
        name = units.units[s].name if s is not None else _("Not in a sub-district")
        sd_rows.append(row(name, "", members, int(sd_counts[i]), sd_hidden[s], None,
                           units.units[s].code if s is not None else "", "sub_district"))
    total_members = sum(units.units[u].member_count for u in listed)
    total = row(_("Total"), "", total_members, int(unit_ids.size), False, None, "", "total")
    result = ParticipationResult(units=tuple(unit_rows), sub_districts=tuple(sd_rows), total=total,
                                 without_unit=None if without_hidden else without_unit)
    # For the breakdowns' group sizes: -1 = units in no sub-district, -2 = responses without a unit.
    unit_hidden[-2] = without_hidden
    sd_hidden_ids = {(-1 if s is None else s): h for s, h in sd_hidden.items()}
    sd_hidden_ids[-2] = without_hidden
    return result, unit_hidden, sd_hidden_ids


# --------------------------------------------------------------------------- importance-performance


def _importance_performance(plans: Sequence[Plan], results: dict[str, QuestionAnalysis],
                            locale: str) -> tuple[ImportancePerformanceResult, ...]:
    """Pairs of matrix questions over the same rows, one of them about importance (by its title)."""
    matrices = [p for p in plans if p.type is QuestionType.MATRIX and len(p.items) >= 2]
    out = []
    for imp in matrices:
        titles = f"{imp.question.title.zh} {imp.question.title.en}".lower()
        if not any(word in titles for word in IMPORTANCE_WORDS):
            continue
        rows = {v.option_id for v in imp.items}
        for perf in matrices:
            if perf is imp or len(rows & {v.option_id for v in perf.items}) < 2:
                continue
            perf_titles = f"{perf.question.title.zh} {perf.question.title.en}".lower()
            if any(word in perf_titles for word in IMPORTANCE_WORDS):
                continue
            imp_means = {i.item_id: i.mean for i in results[imp.code].scale_items}
            perf_means = {i.item_id: i.mean for i in results[perf.code].scale_items}
            common = [v.option_id for v in imp.items if v.option_id in perf_means]
            both = [r for r in common if imp_means.get(r) is not None and perf_means.get(r) is not None]
            if not both:
                continue
            ipa = importance_performance([imp_means[r] for r in both], [perf_means[r] for r in both])
            quadrant = dict(zip(both, ipa.quadrants))
            items = tuple(ImportancePerformanceItem(
                label=imp.label(r), importance=imp_means.get(r), performance=perf_means.get(r),
                gap=(perf_means[r] - imp_means[r]) if r in quadrant else None, quadrant=quadrant.get(r))
                for r in common)
            out.append(ImportancePerformanceResult(f"{imp.code} {imp.title}", f"{perf.code} {perf.title}",
                                                   _none(ipa.importance_cross), _none(ipa.performance_cross), items))
    return tuple(out)


# --------------------------------------------------------------------------- the analysis


def mark_enterprise_questions(plans: Sequence[Plan], units: UnitIndex) -> None:
    """Flag demographic single-choice questions whose options are (mostly) the codes of units."""
    codes = {info.code for info in units.units.values()}
    for plan in plans:
        if plan.question.demographic is None or plan.type is not QuestionType.SINGLE_CHOICE:
            continue
        ids = [o.id for o in plan.question.options if not o.is_other]
        plan.enterprise = len(ids) >= 2 and sum(i in codes for i in ids) * 2 >= len(ids)


def breakdown_choices(plans: Sequence[Plan]) -> list[tuple[str, str]]:
    """(key, label) of every variable a breakdown can use: demographic single-choice questions, unit, sub-district."""
    out = [(p.question_id, f"{p.code} {p.title}") for p in plans
           if p.question.demographic is not None and p.type is QuestionType.SINGLE_CHOICE and p.main is not None]
    return out + [(BY_SUB_DISTRICT, _("Sub-district of the unit")), (BY_UNIT, _("Unit"))]


@dataclass(frozen=True)
class PageChoices:
    """What the analysis page's filter form offers, as (value, label) pairs."""

    versions: tuple[int, ...]
    units: tuple[tuple[str, str], ...]
    sub_districts: tuple[tuple[str, str], ...]
    demographics: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...]
    breakdowns: tuple[tuple[str, str], ...]
    need_questions: tuple[tuple[str, str], ...]


def page_choices(*, questionnaire: Questionnaire, locale: str = "zh") -> PageChoices:
    """Versions with a codebook, units that have responses and their sub-districts, demographic questions
    with their options, breakdown variables and the questions that can make the needs priority."""
    from survey.models import AnswerRow

    codebook = questionnaire_codebook(questionnaire)
    plans = plans_for(questionnaire, codebook, locale)
    units = UnitIndex(locale)
    unit_ids = [u for u in db.session.scalars(
        select(AnswerRow.unit_id).where(AnswerRow.questionnaire_id == questionnaire.id).distinct())
        if u is not None and u in units.units]
    by_code = sorted(unit_ids, key=lambda u: units.units[u].code)
    sds = sorted({units.units[u].sub_district_id for u in unit_ids} - {None}, key=lambda s: units.units[s].code)
    demographics = []
    for plan in plans:
        if plan.question.demographic is None or plan.type is not QuestionType.SINGLE_CHOICE or plan.main is None:
            continue
        options = tuple((oid, plan.labels.get(oid, oid)) for oid in _option_order(plan))
        demographics.append((plan.question_id, f"{plan.code} {plan.title}", options))
    return PageChoices(
        versions=tuple(codebook.versions),
        units=tuple((str(u), f"{units.units[u].code} {units.units[u].name}") for u in by_code),
        sub_districts=tuple((str(s), units.units[s].name) for s in sds),
        demographics=tuple(demographics),
        breakdowns=tuple(breakdown_choices(plans)),
        need_questions=tuple((p.question_id, f"{p.code} {p.title}") for p in need_question_choices(plans)),
    )


def _conditional_questions(questionnaire: Questionnaire) -> dict[str, bool]:
    """Question id -> whether its section (in any version) is shown only on a condition."""
    out: dict[str, bool] = {}
    for version in questionnaire.versions:
        for section in spec_of(version).sections:
            for q in section.questions:
                out[q.id] = out.get(q.id, False) or section.show_if is not None
    return out


def read_texts(questionnaire: Questionnaire, codebook: Codebook) -> bool:
    """Whether the analysis reads the texts: the questionnaire has text variables and at most
    ``ANALYSIS_TEXTS_MAX_ROWS`` responses (app config, default 200,000).

    Texts are stored as JSON next to each packed row; reading a million of them costs more than all the
    numeric analysis. Above the limit, text questions show a note and the exports hold every text.
    """
    from survey.services.answer_columns import count_rows

    if all(v.numeric for v in codebook.variables):
        return False
    limit = int(current_app.config.get("ANALYSIS_TEXTS_MAX_ROWS", TEXTS_MAX_ROWS)) if has_app_context() \
        else TEXTS_MAX_ROWS
    return count_rows(questionnaire) <= limit


def load_answers(questionnaire: Questionnaire, codebook: Codebook | None = None) -> AnswerMatrix:
    """Every submitted response's answers (unfiltered), with texts when :func:`read_texts` says so."""
    codebook = codebook or questionnaire_codebook(questionnaire)
    return load_matrix(questionnaire, with_texts=read_texts(questionnaire, codebook))


def analyse(
    *,
    questionnaire: Questionnaire,
    filters: MatrixFilter | None = None,
    k: int | None = None,
    k_text: int | None = None,
    k_enterprise: int | None = None,
    breakdown: str | None = None,
    need_questions: Sequence[str] | None = None,
    locale: str = "zh",
    confidence: float = 0.95,
    matrix: AnswerMatrix | None = None,
) -> NeedsAnalysis:
    """The needs analysis of ``questionnaire``'s submitted responses (see the module notes).

    ``filters``: a :class:`MatrixFilter` (versions, days, units,
    sub-districts, answers). ``breakdown``: a demographic question's id,
    ``"_unit"`` or ``"_sub_district"`` (:func:`breakdown_choices`).
    ``need_questions``: the questions whose options make the priority
    ranking (default: :func:`default_need_questions`). ``matrix``: the
    questionnaire's unfiltered answers, if already loaded (with texts).

    Raises ``answer_columns.FilterError`` for a filter naming nothing in the
    questionnaire, :class:`FilterRefused` for one the small-cell rules
    refuse, and ``DomainError`` for an unknown breakdown variable or need
    question.
    """
    from survey.services.errors import DomainError
    from survey.services.needs_analysis_breakdowns import breakdown_analysis

    k, k_text, k_enterprise = thresholds(k, k_text, k_enterprise)
    codebook = questionnaire_codebook(questionnaire)
    plans = plans_for(questionnaire, codebook, locale)
    if matrix is None:
        matrix = load_answers(questionnaire, codebook)
    units = UnitIndex(locale)
    question_labels = {p.question_id: (p.title, dict(p.labels)) for p in plans}
    for p in plans:
        for v in p.variables:
            question_labels.setdefault(v.name, (f"{p.title}: {p.label(v.option_id)}" if v.option_id else p.title, {}))
    mark_enterprise_questions(plans, units)
    view = apply_filters(matrix, filters, units=units, question_labels=question_labels,
                         versions={v.number: v.id for v in questionnaire.versions}, k=k,
                         k_enterprise=k_enterprise, locale=locale,
                         enterprise_keys={p.question_id for p in plans if p.enterprise})
    k_view = k_enterprise if view.unit_filtered else k
    everything = bool(view.mask.all())
    values = matrix.values if everything else matrix.values[view.mask]
    texts = matrix.rows.texts
    if texts is not None and not everything:
        texts = [t for t, keep in zip(texts, view.mask.tolist()) if keep]
    unit_ids = matrix.rows.unit_id if everything else matrix.rows.unit_id[view.mask]
    days = matrix.rows.submitted_on if everything else matrix.rows.submitted_on[view.mask]
    version_numbers = matrix.rows.version if everything else matrix.rows.version[view.mask]
    n = int(values.shape[0])

    ctx = _Context(values=values, texts=None if texts is None else _texts_by_variable(texts), k=k_view, k_text=k_text, confidence=confidence, locale=locale)
    results: dict[str, QuestionAnalysis] = {}
    one_ways: dict[str, OneWay] = {}
    for plan in plans:
        result, one_way = _BY_TYPE[plan.type](plan, ctx)
        results[plan.code] = result
        one_ways[plan.code] = one_way

    conditional = _conditional_questions(questionnaire)
    choices = {p.question_id: p for p in need_question_choices(plans)}
    if need_questions is None:
        chosen_ids = default_need_questions(plans, conditional)
    else:
        unknown = [q for q in need_questions if q not in choices]
        if unknown:
            raise DomainError(_("%(question)s is not a multiple-choice or ranking question of this questionnaire.",
                                question=unknown[0]))
        chosen_ids = list(dict.fromkeys(need_questions))
    chosen = [p for p in plans if p.question_id in chosen_ids and p.question_id in choices]
    answered = {p.code: answered_rows(p, values) for p in need_question_choices(plans)
                if p.type is QuestionType.RANKING}
    priority = _priority(chosen, one_ways, values, answered, _("Needs and services, all need questions"), k_view,
                         confidence) if chosen else None
    priorities = tuple(r for r in (_priority([p], one_ways, values, answered, f"{p.code} {p.title}", k_view,
                                             confidence) for p in need_question_choices(plans)) if r is not None)

    participation, unit_hidden, sd_hidden = _participation(questionnaire, unit_ids, units, k_view, k_enterprise)

    breakdown_result = None
    if breakdown:
        allowed = dict(breakdown_choices(plans))
        if breakdown not in allowed:
            raise DomainError(_("Results cannot be broken down by %(name)s.", name=breakdown))
        breakdown_result = breakdown_analysis(
            key=breakdown, label=allowed[breakdown], plans=plans, one_ways=one_ways, values=values,
            unit_ids=unit_ids, units=units, unit_hidden=unit_hidden, sd_hidden=sd_hidden, k=k_view,
            k_enterprise=k_enterprise, confidence=confidence, locale=locale,
            enterprise=any(p.enterprise for p in plans if p.question_id == breakdown))

    day_values = days.astype(np.int64) if n else np.empty(0, dtype=np.int64)
    return NeedsAnalysis(
        questionnaire_id=questionnaire.id, title=questionnaire.title, locale=locale,
        thresholds=Thresholds(k, k_text, k_enterprise, k_view), confidence=confidence,
        n_total=len(matrix.rows), n=n,
        first_day=from_day_number(int(day_values.min())) if n else None,
        last_day=from_day_number(int(day_values.max())) if n else None,
        versions=tuple(int(v) for v in np.unique(version_numbers)), filters=view.described,
        questions=tuple(results[p.code] for p in plans), need_questions=tuple(p.question_id for p in chosen),
        priority=priority, priorities=priorities, participation=participation, breakdown=breakdown_result,
        importance_performance=_importance_performance(plans, results, locale),
    )


def analyse_cached(
    *,
    questionnaire: Questionnaire,
    filters: MatrixFilter | None = None,
    k: int | None = None,
    k_text: int | None = None,
    k_enterprise: int | None = None,
    breakdown: str | None = None,
    need_questions: Sequence[str] | None = None,
    locale: str = "zh",
    confidence: float = 0.95,
) -> NeedsAnalysis:
    """:func:`analyse` through the in-process cache of :mod:`survey.services.needs_analysis_cache`.

    The screens and their downloads use this: a page view, a changed filter
    and the download that follows read the answers once and share finished
    analyses. A new submission changes the cache key at once.
    """
    from survey.services import needs_analysis_cache as cache

    key_stamp = cache.stamp(questionnaire)
    thresholds_used = thresholds(k, k_text, k_enterprise)
    f = filters or MatrixFilter()
    filter_key = (tuple(f.versions), f.date_from, f.date_to, tuple(f.unit_ids), tuple(f.sub_district_ids),
                  tuple(sorted((str(name), tuple(map(str, values))) for name, values in f.answers.items())))
    key = (key_stamp, filter_key, breakdown, None if need_questions is None else tuple(need_questions), str(locale),
           thresholds_used, confidence)

    def load():
        return load_answers(questionnaire)

    def compute():
        matrix = cache.cached_matrix(questionnaire, key_stamp, load)
        return analyse(questionnaire=questionnaire, filters=filters, k=thresholds_used[0], k_text=thresholds_used[1],
                       k_enterprise=thresholds_used[2], breakdown=breakdown, need_questions=need_questions,
                       locale=locale, confidence=confidence, matrix=matrix)

    return cache.cached_result(key, compute)
