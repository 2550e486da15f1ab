"""The results of the needs analysis (:func:`survey.services.needs_analysis.analyse`), as plain data.

Everything here is already protected: a figure resting on fewer than k
respondents, or one from which such a figure could be worked out, is ``None``
(the screen prints a dash, the PDF the dash with a footnote, JSON ``null``).
Shares are 0..1; every ``low``/``high`` pair is a 95% interval (Wilson for
shares, t for means, order statistics for medians, normal for Borda scores)
and is ``None`` whenever its estimate is. Labels are already in the language
asked for. No numpy types and no ``nan`` appear: floats are Python floats or
``None``, so :func:`as_dict` gives JSON-ready data.

How these map onto ``survey.reports.needs_report.NeedsReportData``:

=========================================  ===================================================
report                                     analysis
=========================================  ===================================================
``sample_size``, ``min_respondents``       ``n``, ``thresholds.k``
``fieldwork``                              ``first_day``, ``last_day``
``filters``                                ``filters`` (``f"{label}：{value}"``)
``top_needs`` / ``top_services``           ``priority.items`` / ``priorities[i].items``
                                           (``PriorityItem`` -> ``Finding``: label, share, low,
                                           high, count, tied_with_next)
``QuestionResult.rows``                    ``QuestionAnalysis.options`` (``OptionResult`` ->
                                           ``FrequencyRow``) or ``.ranking`` (``RankingItem``:
                                           share = first share, extras mean rank and Borda)
``QuestionResult.scale_items``             ``QuestionAnalysis.scale_items`` (shares per point,
                                           ``scale_points`` labels, mean with its interval)
``QuestionResult.statistics``              ``number``, ``reliability`` (alpha), scale medians
``QuestionResult.other_texts``             ``other_texts[*].texts`` and ``texts``
``Breakdown``                              ``breakdown.tables[i]`` (``QuestionBreakdown``:
                                           groups, categories, ``cells[category][group]``,
                                           ``test``); report those with ``significant``
``ParticipationRow``                       ``participation.units`` / ``.sub_districts`` /
                                           ``.total``
=========================================  ===================================================
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from datetime import date
from enum import Enum

from forms.questionnaire.spec import Demographic, QuestionType
from scoring.survey import Quadrant

__all__ = [
    "AppliedFilter",
    "BreakdownAnalysis",
    "BreakdownCell",
    "GroupMean",
    "GroupResult",
    "ImportancePerformanceItem",
    "ImportancePerformanceResult",
    "NeedsAnalysis",
    "NumberResult",
    "OptionResult",
    "OtherTexts",
    "ParticipationResult",
    "ParticipationRow",
    "PriorityItem",
    "PriorityRanking",
    "QuestionAnalysis",
    "QuestionBreakdown",
    "RankingItem",
    "ReliabilityItem",
    "ReliabilityResult",
    "ScaleItemResult",
    "ScalePoint",
    "TestResult",
    "Thresholds",
    "as_dict",
]


@dataclass(frozen=True)
class Thresholds:
    """The small-cell thresholds in force.

    ``k``: any figure; ``k_text``: free-text answers are listed only from this
    many; ``k_enterprise``: views of one enterprise (a unit filter, a breakdown
    or participation by unit). ``k_view`` is what this view's one-way figures
    and filters use (``k_enterprise`` when a unit is filtered on).
    """

    k: int
    k_text: int
    k_enterprise: int
    k_view: int


@dataclass(frozen=True)
class AppliedFilter:
    """One filter condition, described: ``label`` ("Gender") and ``value`` ("Female, Male")."""

    label: str
    value: str


# --------------------------------------------------------------------------- per question


@dataclass(frozen=True)
class OptionResult:
    """One answer of a choice question (or one band of a number or date question).

    ``share`` is of the respondents who answered the question: it adds up to 1
    for single choice and to more than 1 for multiple choice, whose
    ``mention_share`` (of all ticks) adds up to 1.
    """

    label: str
    count: int | None
    share: float | None
    low: float | None = None
    high: float | None = None
    option_id: str | None = None
    code: int | None = None  #: the codebook code (single choice), as in the exports
    is_other: bool = False
    mention_share: float | None = None
    mention_low: float | None = None
    mention_high: float | None = None


@dataclass(frozen=True)
class RankingItem:
    """One option of a ranking question, best first by Borda score (suppressed items last)."""

    option_id: str
    label: str
    n_ranked: int | None  #: respondents who put it in their top N
    first_count: int | None
    first_share: float | None  #: of respondents who answered the question
    first_low: float | None
    first_high: float | None
    mean_rank: float | None  #: among those who ranked it
    mean_rank_low: float | None
    mean_rank_high: float | None
    borda: float | None  #: mean points N + 1 - rank (0 unranked) over respondents
    borda_low: float | None
    borda_high: float | None
    place: int | None  #: 1 = top by Borda; None when suppressed
    tied_with_next: bool = False  #: Borda intervals overlap with the next item's
    rank_counts: tuple[int | None, ...] = ()  #: respondents giving rank 1, 2, ..., N


@dataclass(frozen=True)
class ScalePoint:
    value: int
    label: str  #: e.g. "1 非常不满意", "2"


@dataclass(frozen=True)
class ScaleItemResult:
    """A rating question, or one row of a matrix: distribution over the points, mean and median.

    Policy: when any point of the distribution is hidden, the mean, median,
    standard deviation and top/bottom-box shares are hidden too (with the
    other points they would give the hidden ones back).
    """

    label: str
    respondents: int | None
    counts: tuple[int | None, ...]
    shares: tuple[float | None, ...]
    lows: tuple[float | None, ...]
    highs: tuple[float | None, ...]
    mean: float | None = None
    mean_low: float | None = None
    mean_high: float | None = None
    sd: float | None = None
    median: float | None = None
    median_low: float | None = None
    median_high: float | None = None
    top_share: float | None = None  #: the two highest points
    top_low: float | None = None
    top_high: float | None = None
    bottom_share: float | None = None  #: the two lowest points
    bottom_low: float | None = None
    bottom_high: float | None = None
    item_id: str | None = None  #: matrix row id


@dataclass(frozen=True)
class NumberResult:
    """A number question. ``minimum``/``maximum`` are shown only when at least k respondents gave that value."""

    respondents: int | None
    mean: float | None = None
    mean_low: float | None = None
    mean_high: float | None = None
    sd: float | None = None
    minimum: float | None = None
    q1: float | None = None
    median: float | None = None
    median_low: float | None = None
    median_high: float | None = None
    q3: float | None = None
    maximum: float | None = None


@dataclass(frozen=True)
class ReliabilityItem:
    label: str
    alpha_if_deleted: float | None
    item_rest_correlation: float | None


@dataclass(frozen=True)
class ReliabilityResult:
    """Cronbach's alpha of a matrix question's rows (complete answers only), with Feldt's interval."""

    alpha: float | None
    low: float | None
    high: float | None
    n_cases: int | None
    n_items: int
    items: tuple[ReliabilityItem, ...] = ()
    reason: str | None = None


@dataclass(frozen=True)
class OtherTexts:
    """What respondents wrote for an "other, please specify" option (listed only from ``k_text`` writers)."""

    option_id: str
    label: str
    count: int
    texts: tuple[str, ...]  #: sorted; empty when ``withheld``
    withheld: bool


@dataclass(frozen=True)
class QuestionAnalysis:
    """One question's results. Which parts are filled depends on ``type``:

    - single and multiple choice: ``options`` (``multiple`` for the latter);
    - ranking: ``ranking``;
    - rating and matrix: ``scale_points`` and ``scale_items`` (one per matrix
      row), and for a matrix ``reliability``;
    - number: ``number`` and ``options`` (bands); date: ``options`` (years);
    - short and long text: ``texts`` (and ``text_count``).
    """

    question_id: str
    variable: str  #: the codebook name of the question (or its first variable)
    code: str  #: "Q12": place in the questionnaire
    title: str
    type: QuestionType
    section: str
    respondents: int | None  #: answered it (the base of the shares)
    demographic: Demographic | None = None
    multiple: bool = False
    options: tuple[OptionResult, ...] = ()
    ranking: tuple[RankingItem, ...] = ()
    top_n: int | None = None
    scale_points: tuple[ScalePoint, ...] = ()
    scale_items: tuple[ScaleItemResult, ...] = ()
    number: NumberResult | None = None
    reliability: ReliabilityResult | None = None
    text_count: int | None = None
    texts: tuple[str, ...] = ()
    texts_withheld: bool = False
    other_texts: tuple[OtherTexts, ...] = ()
    suppressed: bool = False  #: some figure is hidden
    notes: tuple[str, ...] = ()


# --------------------------------------------------------------------------- needs priority


@dataclass(frozen=True)
class PriorityItem:
    """One need or service: the share of respondents choosing it (``Finding`` in the report)."""

    question_id: str
    option_id: str
    label: str
    question: str  #: the question's code and title
    count: int | None
    n: int | None  #: respondents asked (the base)
    share: float | None
    low: float | None
    high: float | None
    place: int | None  #: 1 = top; None for suppressed items, which come last
    tier: int | None  #: places joined by "not distinguishable" share a tier
    tied_with_next: bool = False  #: not distinguishable from the next item (paired test)


@dataclass(frozen=True)
class PriorityRanking:
    """Need items ranked by the share of respondents choosing them.

    Neighbours are compared on the respondents asked both (McNemar mid-p,
    Holm-adjusted): ``tied_with_next`` marks pairs the data cannot tell
    apart. Only the marks are published, not the pair tests' p values (they
    rest on the respondents who chose one item but not the other, often few).
    """

    title: str
    question_ids: tuple[str, ...]
    items: tuple[PriorityItem, ...]
    method: str
    confidence: float


# --------------------------------------------------------------------------- breakdowns


@dataclass(frozen=True)
class GroupResult:
    key: str
    label: str
    size: int | None  #: respondents in the group (for a question: who answered it)


@dataclass(frozen=True)
class BreakdownCell:
    """One group's figure for one answer (``Breakdown.cells`` in the report).

    ``share`` is within the group; ``residual`` is the adjusted standardised
    residual and ``mark`` +1 / -1 where it lies beyond the critical value (the
    cells that drive a difference), 0 otherwise.
    """

    count: int | None
    share: float | None
    low: float | None = None
    high: float | None = None
    residual: float | None = None
    mark: int = 0


@dataclass(frozen=True)
class GroupMean:
    """A scale or number's mean and median in one group (None: hidden)."""

    mean: float | None
    low: float | None
    high: float | None
    median: float | None


@dataclass(frozen=True)
class TestResult:
    """A test of difference between groups, made on the table as published.

    Groups and answers with hidden figures are pooled (``pooled_groups``,
    ``pooled_categories``) so that every count the test uses can be worked out
    from the figures shown: the statistic reveals nothing they do not.
    """

    name: str  #: "chi-square" or "Kruskal-Wallis"
    statistic: float | None
    df: int | None
    p: float | None
    effect: float | None  #: Cramér's V or epsilon-squared
    effect_name: str
    n: int | None
    significant: bool
    pooled_groups: tuple[str, ...] = ()
    pooled_categories: tuple[str, ...] = ()
    reason: str | None = None  #: why there is no test
    label: str | None = None  #: for per-option tests: the option


@dataclass(frozen=True)
class QuestionBreakdown:
    """A question crossed with the breakdown variable (``Breakdown`` in the report).

    ``categories`` are the answers (options, or scale points); ``cells`` are
    ``cells[category][group]``. Multiple choice and ranking questions are
    tested option by option (``option_tests``, each a 2 x groups table of
    chose / did not choose, Holm-adjusted); ``test`` is then the strongest
    option's. Scales are tested with Kruskal-Wallis and their cells marked by
    the chi-square residuals; numbers with Kruskal-Wallis only.
    """

    question_id: str
    code: str
    title: str
    kind: str  #: "choice", "multiple", "scale" or "number"
    groups: tuple[GroupResult, ...]
    categories: tuple[str, ...]
    cells: tuple[tuple[BreakdownCell, ...], ...]
    test: TestResult | None
    option_tests: tuple[TestResult, ...] = ()
    group_means: tuple[GroupMean | None, ...] = ()
    critical: float = 1.959963984540054
    withheld: bool = False  #: every cell hidden: showing it would reveal small groups
    note: str | None = None

    @property
    def significant(self) -> bool:
        return self.test is not None and self.test.significant


@dataclass(frozen=True)
class BreakdownAnalysis:
    variable: str  #: a question id, "_unit" or "_sub_district"
    label: str
    k: int  #: threshold of these tables
    groups: tuple[GroupResult, ...]
    tables: tuple[QuestionBreakdown, ...]

    @property
    def significant(self) -> tuple[QuestionBreakdown, ...]:
        return tuple(t for t in self.tables if t.significant)


# --------------------------------------------------------------------------- importance-performance


@dataclass(frozen=True)
class ImportancePerformanceItem:
    label: str
    importance: float | None
    performance: float | None
    gap: float | None
    quadrant: Quadrant | None


@dataclass(frozen=True)
class ImportancePerformanceResult:
    importance_question: str
    performance_question: str
    importance_cross: float | None
    performance_cross: float | None
    items: tuple[ImportancePerformanceItem, ...]


# --------------------------------------------------------------------------- participation


@dataclass(frozen=True)
class ParticipationRow:
    """``ParticipationRow`` of the report; ``responses`` None: suppressed (and the rate and reached with it)."""

    unit: str
    sub_district: str
    members: int | None
    responses: int | None
    rate: float | None
    target: float | None
    reached: bool | None
    code: str = ""
    level: str = "unit"  #: "unit", "sub_district" or "total"


@dataclass(frozen=True)
class ParticipationResult:
    units: tuple[ParticipationRow, ...]
    sub_districts: tuple[ParticipationRow, ...]
    total: ParticipationRow
    without_unit: int | None


# --------------------------------------------------------------------------- the whole


@dataclass(frozen=True)
class NeedsAnalysis:
    questionnaire_id: int
    title: str
    locale: str
    thresholds: Thresholds
    confidence: float
    n_total: int  #: submitted responses (no filter)
    n: int  #: responses in this view
    first_day: date | None
    last_day: date | None
    versions: tuple[int, ...]  #: versions answered in this view
    filters: tuple[AppliedFilter, ...]
    questions: tuple[QuestionAnalysis, ...]
    need_questions: tuple[str, ...]  #: the questions whose options make the priority ranking
    priority: PriorityRanking | None  #: one ranking across every need item
    priorities: tuple[PriorityRanking, ...]  #: one ranking per need question
    participation: ParticipationResult
    breakdown: BreakdownAnalysis | None = None
    importance_performance: tuple[ImportancePerformanceResult, ...] = ()
    notes: tuple[str, ...] = field(default=())

    def question(self, question_id: str) -> QuestionAnalysis | None:
        return next((q for q in self.questions if q.question_id == question_id), None)


def _plain(value):
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return as_dict(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def as_dict(analysis) -> dict:
    """The analysis (or any of its parts) as JSON-ready data: enums as their values, dates as ISO text."""
    out = {f.name: _plain(getattr(analysis, f.name)) for f in dataclasses.fields(analysis)}
    if isinstance(analysis, QuestionBreakdown):
        out["significant"] = analysis.significant
    return out
