"""The report toolkit every PDF shares: A4 page template, styles, escaped text, tables and charts.

Builders take plain data (no database, no request) and return bytes::

    story = [heading("方法"), para(user_text), data_table(...), interval_bar_chart(bars)]
    pdf = build_pdf(story, PageSpec(title="…", footer="生成于 2024-05-01 10:00"))

Every font is the embedded Chinese font (survey/reports/fonts.py); the same story gives
the same bytes. User text reaches paragraphs only through :func:`text`/:func:`para`
(markup prints literally); table cells given as strings are escaped for you.
"""

from survey.reports.toolkit.charts import (
    Bar,
    DistributionRow,
    ScoreRow,
    Series,
    distribution_chart,
    grouped_bar_chart,
    interval_bar_chart,
    radar_chart,
    scale_colours,
    score_chart,
    wrap,
)
from survey.reports.toolkit.document import (
    FRAME_HEIGHT,
    FRAME_WIDTH,
    PageSpec,
    build_pdf,
    fit,
    heading,
)
from survey.reports.toolkit.tables import data_table, facts_table, widths
from survey.reports.toolkit.text import (
    DASH,
    interval,
    markup,
    number,
    p_text,
    p_value,
    para,
    percent,
    report_styles,
    text,
)

__all__ = [
    "DASH", "FRAME_HEIGHT", "FRAME_WIDTH", "Bar", "DistributionRow", "PageSpec", "ScoreRow", "Series",
    "build_pdf", "data_table", "distribution_chart", "facts_table", "fit", "grouped_bar_chart", "heading",
    "interval", "interval_bar_chart", "markup", "number", "p_text", "p_value", "para", "percent", "radar_chart",
    "report_styles", "scale_colours", "score_chart", "text", "widths", "wrap",
]
