"""Statistics for questionnaire results (the member-needs analysis).

Proportions with Wilson intervals, frequency tables, scale and number
summaries (mean, median and distribution with intervals), the chi-square
test of a cross-table with Cramér's V and Haberman's adjusted residuals,
Kruskal-Wallis with an effect size, Cronbach's alpha of a block of items,
ranking questions (mean rank, share ranked first, Borda score),
multiple-choice shares of respondents and of mentions,
importance-performance quadrants, a needs priority ranking whose
neighbours are compared by paired tests, and small-cell protection.

Everything is vectorised over respondents, so an export of tens of thousands
of answers is summarised in milliseconds. Inputs are numpy arrays; results
are frozen dataclasses whose array fields follow the order of the input
(items, options, table rows and columns).

Import everything from here (``scoring.survey.wilson_interval``); the
modules below are how the code is organised, one kind of question each:

- :mod:`~scoring.survey.proportions` -- :func:`wilson_interval`,
  :func:`choice_shares` (a share and its interval; "tick all that apply");
- :mod:`~scoring.survey.frequencies` -- :func:`frequency_table`,
  :func:`cross_table`, :func:`number_summary` (single choice, two answers
  crossed, number questions);
- :mod:`~scoring.survey.scales` -- :func:`scale_summary`,
  :func:`matrix_summary`, :func:`median_interval_ranks`,
  :func:`scale_reliability` (rating and matrix questions, Cronbach's alpha);
- :mod:`~scoring.survey.significance` -- :func:`crosstab_test`,
  :func:`kruskal_test`, :func:`kruskal_from_counts` (do groups answer differently?);
- :mod:`~scoring.survey.rankings` -- :func:`ranking_summary`,
  :func:`priority_order` ("rank your top N", and which items the data can order);
- :mod:`~scoring.survey.priority` -- :func:`needs_priority`,
  :func:`borda_points`, :func:`mcnemar_midp`, :func:`paired_difference_interval`,
  :func:`holm_adjust` (one ranking of needs, neighbours tested in pairs);
- :mod:`~scoring.survey.importance` -- :func:`importance_performance`;
- :mod:`~scoring.survey.suppression` -- :func:`primary_mask`,
  :func:`suppress_frequencies`, :func:`suppress_choices`, :func:`suppress_table`,
  :func:`hidden_ranges`, :func:`differencing_safe`, :func:`condition_cells_safe`
  (small-cell protection: what no screen, PDF or export may show).
"""

from scoring.reliability import CronbachResult, cronbach_alpha
from scoring.survey.frequencies import (
    FrequencyTable,
    NumberSummary,
    cross_table,
    frequency_table,
    number_summary,
)
from scoring.survey.importance import (
    ImportancePerformance,
    Quadrant,
    importance_performance,
)
from scoring.survey.priority import (
    NeedsPriority,
    borda_points,
    holm_adjust,
    mcnemar_midp,
    needs_priority,
    paired_difference_interval,
)
from scoring.survey.proportions import ChoiceShares, choice_shares, wilson_interval
from scoring.survey.rankings import (
    PriorityOrder,
    RankingSummary,
    priority_order,
    ranking_summary,
)
from scoring.survey.scales import (
    ScaleReliability,
    ScaleSummary,
    matrix_summary,
    median_interval_ranks,
    scale_reliability,
    scale_summary,
)
from scoring.survey.significance import (
    CrosstabResult,
    KruskalResult,
    crosstab_test,
    kruskal_from_counts,
    kruskal_test,
)
from scoring.survey.suppression import (
    K_DEFAULT,
    K_FREE_TEXT,
    K_PER_ENTERPRISE,
    DifferencingCheck,
    FrequencySuppression,
    TableSuppression,
    condition_cells_safe,
    differencing_safe,
    hidden_ranges,
    primary_mask,
    suppress_choices,
    suppress_frequencies,
    suppress_table,
)

__all__ = [
    "wilson_interval",
    "ChoiceShares",
    "choice_shares",
    "FrequencyTable",
    "frequency_table",
    "cross_table",
    "NumberSummary",
    "number_summary",
    "ScaleSummary",
    "scale_summary",
    "matrix_summary",
    "median_interval_ranks",
    "ScaleReliability",
    "scale_reliability",
    "CronbachResult",
    "cronbach_alpha",
    "CrosstabResult",
    "crosstab_test",
    "KruskalResult",
    "kruskal_test",
    "kruskal_from_counts",
    "RankingSummary",
    "ranking_summary",
    "PriorityOrder",
    "priority_order",
    "NeedsPriority",
    "needs_priority",
    "borda_points",
    "mcnemar_midp",
    "paired_difference_interval",
    "holm_adjust",
    "Quadrant",
    "ImportancePerformance",
    "importance_performance",
    "K_DEFAULT",
    "K_FREE_TEXT",
    "K_PER_ENTERPRISE",
    "primary_mask",
    "FrequencySuppression",
    "suppress_frequencies",
    "suppress_choices",
    "TableSuppression",
    "suppress_table",
    "hidden_ranges",
    "DifferencingCheck",
    "differencing_safe",
    "condition_cells_safe",
]
