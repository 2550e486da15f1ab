"""Statistics for questionnaire results (the member-needs analysis).

Proportions with Wilson intervals, the chi-square test of a cross-table with
Cramér's V and Haberman's adjusted residuals, Kruskal-Wallis with an effect
size, ranking questions (mean rank, share ranked first, Borda score),
multiple-choice shares, importance-performance quadrants, and a priority
order that marks neighbours the data cannot tell apart.

Everything is vectorised over respondents, so an export of tens of thousands
of answers is summarised in milliseconds. Inputs are numpy arrays; results
are frozen dataclasses whose array fields follow the order of the input
(items, options, table rows and columns).

Import everything from here (``scoring.survey.wilson_interval``); the
modules below are how the code is organised, one kind of question each:

- :mod:`~scoring.survey.proportions` -- :func:`wilson_interval`,
  :func:`choice_shares` (a share and its interval; "tick all that apply");
- :mod:`~scoring.survey.significance` -- :func:`crosstab_test`,
  :func:`kruskal_test` (do groups answer differently?);
- :mod:`~scoring.survey.rankings` -- :func:`ranking_summary`,
  :func:`priority_order` ("rank your top N", and which items the data can order);
- :mod:`~scoring.survey.importance` -- :func:`importance_performance`.
"""

from scoring.survey.importance import ImportancePerformance, Quadrant, importance_performance
from scoring.survey.proportions import ChoiceShares, choice_shares, wilson_interval
from scoring.survey.rankings import PriorityOrder, RankingSummary, priority_order, ranking_summary
from scoring.survey.significance import CrosstabResult, KruskalResult, crosstab_test, kruskal_test

__all__ = [
    "wilson_interval",
    "CrosstabResult",
    "crosstab_test",
    "KruskalResult",
    "kruskal_test",
    "RankingSummary",
    "ranking_summary",
    "ChoiceShares",
    "choice_shares",
    "Quadrant",
    "ImportancePerformance",
    "importance_performance",
    "PriorityOrder",
    "priority_order",
]
