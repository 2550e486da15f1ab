"""Charts for the analysis screens as inline SVG, drawn on the server.

No JavaScript and no external library: each function returns the markup of
one ``<svg>`` element (``markupsafe.Markup``) with every label escaped. Sizes
are SVG attributes and colours come from CSS classes
(``survey/static/css/analysis.css``), so the page needs no inline style and
keeps its Content-Security-Policy.

A value of ``None`` is a suppressed figure: no bar is drawn and a dash
stands where its number would be.

- :func:`interval_bars`: one horizontal bar per row with its 95% interval
  as a whisker (shares, Borda scores, means);
- :func:`stacked_distribution`: 100% stacked bars, one per scale item, one
  segment per scale point.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence

from markupsafe import Markup, escape

from survey.reports.toolkit.charts import Bar, DistributionRow

__all__ = ["BarRow", "DistributionRow", "interval_bars", "label_width", "stacked_distribution"]

DASH = "—"
WIDTH = 640
ROW = 22
LABEL_ROOM = 220
VALUE_ROOM = 64
FONT = 12


#: The PDF charts' data types serve the screen charts too.
BarRow = Bar


def label_width(text: str) -> float:
    """Rough width of ``text`` in ems: wide (CJK) characters count 1, others about half."""
    return sum(1.0 if unicodedata.east_asian_width(ch) in ("W", "F") else 0.55 for ch in text)


def _fit(text: str, room_px: float) -> str:
    """``text`` cut with an ellipsis to fit ``room_px`` at the chart's font size."""
    limit = room_px / FONT
    if label_width(text) <= limit:
        return text
    out = ""
    for ch in text:
        if label_width(out + ch + "…") > limit:
            break
        out += ch
    return out + "…"


def _num(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".") if math.isfinite(x) else "0"


def _value_text(value: float | None, percent: bool, digits: int) -> str:
    if value is None:
        return DASH
    return f"{value * 100:.{digits}f}%" if percent else f"{value:.{digits}f}"


def _nice_axis(largest: float) -> float:
    """The axis end for four grid steps of a round size (1, 1.5, 2, 2.5, 3, 4, 5 or 7.5 times a power of ten)."""
    raw = largest / 4
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 1.5, 2, 2.5, 3, 4, 5, 7.5, 10) if m * power >= raw * (1 - 1e-9))
    return 4 * step


def interval_bars(rows: Sequence[BarRow], *, title: str, percent: bool = True, maximum: float | None = None,
                  digits: int = 1) -> Markup:
    """Horizontal bars with interval whiskers; ``maximum`` is the axis end (1 for shares by default)."""
    if maximum is None:
        candidates = [r.high if r.high is not None else r.value for r in rows if r.value is not None]
        largest = max([c for c in candidates if c is not None] or [0.0])
        maximum = min(1.0, _nice_axis(max(largest, 0.1))) if percent else _nice_axis(largest or 1.0)
    maximum = maximum or 1.0
    plot = WIDTH - LABEL_ROOM - VALUE_ROOM
    height = ROW * len(rows) + 24
    out = [(f'<svg class="chart chart-bars" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
            f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'),
           f"<title>{escape(title)}</title>"]
    # Grid at quarters of the axis.
    for q in range(5):
        x = LABEL_ROOM + plot * q / 4
        out.append(f'<line class="chart-grid" x1="{_num(x)}" y1="0" x2="{_num(x)}" y2="{ROW * len(rows)}"/>')
        tick = _value_text(maximum * q / 4, percent, 0)
        out.append(f'<text class="chart-tick" x="{_num(x)}" y="{ROW * len(rows) + 16}" '
                   f'text-anchor="middle">{escape(tick)}</text>')
    for i, row in enumerate(rows):
        y = i * ROW
        label = _fit(row.label, LABEL_ROOM - 8)
        out.append(f'<text class="chart-label" x="{LABEL_ROOM - 6}" y="{y + ROW * 0.68:.1f}" text-anchor="end">'
                   f"<title>{escape(row.label)}</title>{escape(label)}</text>")
        if row.value is None:
            out.append(f'<rect class="chart-suppressed" x="{LABEL_ROOM}" y="{y + 4}" width="{plot}" '
                       f'height="{ROW - 8}"/>')
        else:
            w = max(0.0, min(1.0, row.value / maximum)) * plot
            out.append(f'<rect class="chart-bar" x="{LABEL_ROOM}" y="{y + 4}" width="{_num(w)}" height="{ROW - 8}"/>')
            if row.low is not None and row.high is not None:
                x1 = LABEL_ROOM + max(0.0, min(1.0, row.low / maximum)) * plot
                x2 = LABEL_ROOM + max(0.0, min(1.0, row.high / maximum)) * plot
                mid = y + ROW / 2
                out.append(f'<line class="chart-whisker" x1="{_num(x1)}" y1="{mid}" x2="{_num(x2)}" y2="{mid}"/>')
                for x in (x1, x2):
                    out.append(f'<line class="chart-whisker" x1="{_num(x)}" y1="{mid - 4}" x2="{_num(x)}" '
                               f'y2="{mid + 4}"/>')
        value = _value_text(row.value, percent, digits)
        out.append(f'<text class="chart-value" x="{WIDTH - 4}" y="{y + ROW * 0.68:.1f}" text-anchor="end">'
                   f"{escape(value)}</text>")
    out.append("</svg>")
    return Markup("".join(out))  # nosec B704  # texts escaped above


def stacked_distribution(rows: Sequence[DistributionRow], points: Sequence[str], *, title: str,
                         suppressed_label: str) -> Markup:
    """100% stacked bars (one per item) with a legend of the scale points; a row with any hidden share is grey."""
    plot = WIDTH - LABEL_ROOM - 8
    legend_rows = 1 + (len(points) - 1) // 4 if points else 0
    height = ROW * len(rows) + 18 * legend_rows + 8
    out = [(f'<svg class="chart chart-stacked" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
            f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'),
           f"<title>{escape(title)}</title>"]
    n_points = max(len(points), 1)
    for i, row in enumerate(rows):
        y = i * ROW
        out.append(f'<text class="chart-label" x="{LABEL_ROOM - 6}" y="{y + ROW * 0.68:.1f}" text-anchor="end">'
                   f"<title>{escape(row.label)}</title>{escape(_fit(row.label, LABEL_ROOM - 8))}</text>")
        if not row.shares or any(s is None for s in row.shares):
            out.append(f'<rect class="chart-suppressed" x="{LABEL_ROOM}" y="{y + 3}" width="{plot}" '
                       f'height="{ROW - 6}"><title>{escape(suppressed_label)}</title></rect>')
            continue
        x = float(LABEL_ROOM)
        for j, share in enumerate(row.shares):
            w = max(0.0, share) * plot
            scheme = round(j * 10 / (n_points - 1)) if n_points > 1 else 5
            tip = f"{points[j] if j < len(points) else j}: {share * 100:.1f}%"
            out.append(f'<rect class="seg seg-{scheme}" x="{_num(x)}" y="{y + 3}" width="{_num(w)}" '
                       f'height="{ROW - 6}"><title>{escape(tip)}</title></rect>')
            if w >= 30:
                out.append(f'<text class="seg-text" x="{_num(x + w / 2)}" y="{y + ROW * 0.68:.1f}" '
                           f'text-anchor="middle">{share * 100:.0f}%</text>')
            x += w
    base = ROW * len(rows) + 6
    for j, point in enumerate(points):
        col, line = j % 4, j // 4
        x = LABEL_ROOM + col * (plot / 4)
        y = base + line * 18
        scheme = round(j * 10 / (n_points - 1)) if n_points > 1 else 5
        out.append(f'<rect class="seg seg-{scheme}" x="{_num(x)}" y="{y}" width="12" height="12"/>')
        out.append(f'<text class="chart-tick" x="{_num(x + 16)}" y="{y + 10}">'
                   f"{escape(_fit(point, plot / 4 - 20))}</text>")
    out.append("</svg>")
    return Markup("".join(out))  # nosec B704  # texts escaped above


# --------------------------------------------------------------------------- the analysis page's charts


def question_chart(question, *, suppressed_label: str) -> Markup | None:
    """The chart of one ``QuestionAnalysis``: bars for choices, bands and rankings, stacks for scales."""
    title = f"{question.code} {question.title}"
    if question.scale_items:
        rows = [DistributionRow(i.label, tuple(i.shares)) for i in question.scale_items]
        return stacked_distribution(rows, [p.label for p in question.scale_points], title=title,
                                    suppressed_label=suppressed_label)
    if question.ranking:
        rows = [BarRow(r.label, r.borda, r.borda_low, r.borda_high) for r in question.ranking]
        return interval_bars(rows, title=title, percent=False, maximum=float(question.top_n or 1), digits=2)
    if question.options:
        rows = [BarRow(o.label, o.share, o.low, o.high) for o in question.options]
        return interval_bars(rows, title=title)
    return None


def priority_chart(ranking) -> Markup:
    """Bars with intervals of a ``PriorityRanking``, in its order."""
    rows = [BarRow(i.label, i.share, i.low, i.high) for i in ranking.items]
    return interval_bars(rows, title=ranking.title)


__all__ += ["priority_chart", "question_chart"]
