"""The analysis results (already protected) as JSON and as a long CSV table.

These are the aggregate figures of :func:`survey.services.needs_analysis.analyse`
with every suppressed figure empty: what the screen shows, in files. The
responses themselves (one row per response) are exported by
:mod:`survey.exports`.

The CSV has one row per figure: ``part`` (question, priority, breakdown,
participation), ``code`` and ``question``, ``item`` (option, row, rank or
unit), ``group`` (breakdowns), ``measure`` (count, share, mean, ...),
``value`` with ``low`` and ``high`` where there is an interval. UTF-8 with a
byte-order mark so Excel reads Chinese; text cells that start like a formula
are neutralised.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

from survey.exports.table import neutralise
from survey.services.needs_analysis_model import NeedsAnalysis, as_dict

__all__ = ["CSV_COLUMNS", "analysis_csv", "analysis_json"]

CSV_COLUMNS = ("part", "code", "question", "item", "group", "measure", "value", "low", "high")


def analysis_json(analysis: NeedsAnalysis) -> bytes:
    return json.dumps(as_dict(analysis), ensure_ascii=False, indent=1).encode("utf-8")


def _rows(a: NeedsAnalysis) -> Iterator[tuple]:
    yield ("view", "", "", "", "", "responses", a.n, None, None)
    yield ("view", "", "", "", "", "k", a.thresholds.k_view, None, None)
    for q in a.questions:
        yield ("question", q.code, q.title, "", "", "respondents", q.respondents, None, None)
        for o in q.options:
            yield ("question", q.code, q.title, o.label, "", "count", o.count, None, None)
            yield ("question", q.code, q.title, o.label, "", "share", o.share, o.low, o.high)
            if q.multiple:
                yield ("question", q.code, q.title, o.label, "", "share of mentions", o.mention_share, o.mention_low,
                       o.mention_high)
        for r in q.ranking:
            yield ("question", q.code, q.title, r.label, "", "ranked first", r.first_count, None, None)
            yield ("question", q.code, q.title, r.label, "", "share ranked first", r.first_share, r.first_low,
                   r.first_high)
            yield ("question", q.code, q.title, r.label, "", "mean rank", r.mean_rank, r.mean_rank_low,
                   r.mean_rank_high)
            yield ("question", q.code, q.title, r.label, "", "Borda score", r.borda, r.borda_low, r.borda_high)
        for item in q.scale_items:
            yield ("question", q.code, q.title, item.label, "", "respondents", item.respondents, None, None)
            for point, count, share, low, high in zip(q.scale_points, item.counts, item.shares, item.lows, item.highs):
                yield ("question", q.code, q.title, item.label, "", f"count {point.value}", count, None, None)
                yield ("question", q.code, q.title, item.label, "", f"share {point.value}", share, low, high)
            yield ("question", q.code, q.title, item.label, "", "mean", item.mean, item.mean_low, item.mean_high)
            yield ("question", q.code, q.title, item.label, "", "median", item.median, item.median_low,
                   item.median_high)
            yield ("question", q.code, q.title, item.label, "", "top-2 share", item.top_share, item.top_low,
                   item.top_high)
        if q.reliability is not None:
            yield ("question", q.code, q.title, "", "", "Cronbach's alpha", q.reliability.alpha, q.reliability.low,
                   q.reliability.high)
        if q.number is not None:
            nr = q.number
            yield ("question", q.code, q.title, "", "", "mean", nr.mean, nr.mean_low, nr.mean_high)
            yield ("question", q.code, q.title, "", "", "median", nr.median, nr.median_low, nr.median_high)
            for name, value in (("sd", nr.sd), ("minimum", nr.minimum), ("q1", nr.q1), ("q3", nr.q3),
                                ("maximum", nr.maximum)):
                yield ("question", q.code, q.title, "", "", name, value, None, None)
        for t in q.texts:
            yield ("question", q.code, q.title, "", "", "text", t, None, None)
        for other in q.other_texts:
            for t in other.texts:
                yield ("question", q.code, q.title, other.label, "", "other text", t, None, None)
    for ranking in ((a.priority,) if a.priority else ()) + a.priorities:
        for item in ranking.items:
            label = f"{item.label} ({item.question})"
            yield ("priority", "", ranking.title, label, "", "place", item.place, None, None)
            yield ("priority", "", ranking.title, label, "", "share", item.share, item.low, item.high)
            yield ("priority", "", ranking.title, label, "", "not distinguishable from next",
                   int(item.tied_with_next) if item.place is not None else None, None, None)
    if a.breakdown is not None:
        b = a.breakdown
        for t in b.tables:
            for g, group in enumerate(t.groups):
                yield ("breakdown", t.code, t.title, "", group.label, "respondents", group.size, None, None)
                for c, category in enumerate(t.categories):
                    cell = t.cells[c][g]
                    yield ("breakdown", t.code, t.title, category, group.label, "count", cell.count, None, None)
                    yield ("breakdown", t.code, t.title, category, group.label, "share", cell.share, cell.low,
                           cell.high)
                    yield ("breakdown", t.code, t.title, category, group.label, "adjusted residual", cell.residual,
                           None, None)
                if t.group_means and t.group_means[g] is not None:
                    m = t.group_means[g]
                    yield ("breakdown", t.code, t.title, "", group.label, "mean", m.mean, m.low, m.high)
                    yield ("breakdown", t.code, t.title, "", group.label, "median", m.median, None, None)
            if t.test is not None:
                yield ("breakdown", t.code, t.title, "", b.label, f"{t.test.name} statistic", t.test.statistic,
                       None, None)
                yield ("breakdown", t.code, t.title, "", b.label, "p", t.test.p, None, None)
                yield ("breakdown", t.code, t.title, "", b.label, t.test.effect_name, t.test.effect, None, None)
    p = a.participation
    for row in (*p.sub_districts, *p.units, p.total):
        name = f"{row.code} {row.unit}".strip()
        yield ("participation", "", row.level, name, row.sub_district, "responses", row.responses, None, None)
        yield ("participation", "", row.level, name, row.sub_district, "rate", row.rate, None, None)
        yield ("participation", "", row.level, name, row.sub_district, "members", row.members, None, None)


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(round(value, 6))
    if isinstance(value, str):
        return neutralise(value)
    return value


def analysis_csv(analysis: NeedsAnalysis) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in _rows(analysis):
        writer.writerow([_cell(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
