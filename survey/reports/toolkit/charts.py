"""Charts drawn with reportlab.graphics in the embedded font: each function returns one ``Drawing`` flowable.

Labels here are raw text: graphics strings are drawn as they are and never parsed
as markup, so nothing is escaped. A value of None is a suppressed figure (fewer than
k respondents): no bar is drawn and the dash stands where its number would be.

- :func:`interval_bar_chart`: horizontal bars with 95% interval whiskers (shares, scores).
- :func:`distribution_chart`: 100% stacked bars for scale questions (one row per item).
- :func:`grouped_bar_chart`: bars per category for each group of a breakdown.
- :func:`score_chart`: a unit's score per area against the round's median and range.
- :func:`radar_chart`: the same on a spider web (three areas or more).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.graphics.shapes import Drawing, Line, Polygon, Rect, String
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth

from survey.reports.fonts import CJK_FONT, register_fonts
from survey.reports.toolkit.document import FRAME_WIDTH, fit
from survey.reports.toolkit.text import DASH

TEXT = colors.HexColor("#333333")
MUTED = colors.HexColor("#777777")
GRID = colors.HexColor("#e2e2e2")
AXIS = colors.HexColor("#999999")
BAR = colors.HexColor("#4e79a7")
WHISKER = colors.HexColor("#222222")
RANGE = colors.HexColor("#d5dde6")
MEDIAN = colors.HexColor("#d1495b")
SUPPRESSED = colors.HexColor("#eeeeee")
#: Qualitative colours for groups and series (Tableau 10).
PALETTE = tuple(colors.HexColor(c) for c in (
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
))

LABEL_SIZE = 7.5
VALUE_SIZE = 7
TICK_SIZE = 6.5
_LEADING = 1.2
_AXIS_ROOM = 14


@dataclass(frozen=True)
class Bar:
    """One bar: an estimate and its interval (None: suppressed, or no interval)."""

    label: str
    value: float | None
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class DistributionRow:
    """One item of a scale: the share answering each scale point (None: suppressed)."""

    label: str
    shares: tuple[float | None, ...]


@dataclass(frozen=True)
class ScoreRow:
    """One area of a unit report: the unit's score, and the round's median and range (None: not shown)."""

    label: str
    value: float | None
    median: float | None = None
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class Series:
    """One line on a radar chart."""

    label: str
    values: tuple[float | None, ...]


# --- shared pieces -----------------------------------------------------------------------------------


def _drawing(width: float, height: float) -> Drawing:
    register_fonts()
    # without initialFontName the renderer selects Helvetica, which would be the one font not embedded
    return Drawing(width, height, initialFontName=CJK_FONT, initialFontSize=LABEL_SIZE)


def _string(x: float, y: float, value: str, size: float = LABEL_SIZE, anchor: str = "start",
            color=TEXT) -> String:
    return String(x, y, value, fontName=CJK_FONT, fontSize=size, textAnchor=anchor, fillColor=color)


_TOKEN = re.compile(r"[0-9A-Za-z\u00c0-\u024f'’.,:;!?%/+\-_()\[\]]+|\s+|.", re.DOTALL)


def wrap(value: str, width: float, size: float = LABEL_SIZE, max_lines: int = 2) -> list[str]:
    """``value`` broken into at most ``max_lines`` lines of ``width`` points (Latin words kept whole
    where they fit, Chinese broken between characters); the last line ends in an ellipsis if cut."""
    register_fonts()
    tokens: list[str] = []
    for token in _TOKEN.findall(" ".join(value.split())):
        tokens.extend(list(token) if stringWidth(token, CJK_FONT, size) > width else [token])
    lines: list[str] = []
    line = ""
    for token in tokens:
        if token.isspace() and not line:
            continue
        if not line or stringWidth(line + token, CJK_FONT, size) <= width:
            line += token
        else:
            lines.append(line.rstrip())
            line = "" if token.isspace() else token
    if line.strip():
        lines.append(line.rstrip())
    if len(lines) > max_lines:
        last = lines[max_lines - 1]
        while last and stringWidth(last + "…", CJK_FONT, size) > width:
            last = last[:-1]
        lines = [*lines[: max_lines - 1], last.rstrip() + "…"]
    return lines or [""]


def _label_block(drawing: Drawing, x: float, y_mid: float, lines: list[str], size: float = LABEL_SIZE,
                 anchor: str = "end", color=TEXT) -> None:
    """Lines of text centred vertically on ``y_mid``."""
    leading = size * _LEADING
    top = y_mid + (len(lines) - 1) * leading / 2 - size * 0.35
    for i, line in enumerate(lines):
        drawing.add(_string(x, top - i * leading, line, size, anchor, color))


def _nice_step(span: float, max_ticks: int = 6) -> float:
    raw = span / max_ticks
    magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def _scale_max(values: Sequence[float | None], as_percent: bool, limit: float | None) -> float:
    if limit is not None:
        return limit
    top = max((v for v in values if v is not None), default=0.0)
    if as_percent:
        return min(1.0, max(0.1, math.ceil(top * 10 + 1e-9) / 10))
    if top <= 0:
        return 1.0
    step = _nice_step(top)
    return math.ceil(top / step - 1e-9) * step


def _format(value: float, as_percent: bool, digits: int) -> str:
    return f"{value * 100:.{digits}f}%" if as_percent else f"{value:.{digits}f}"


def _axis(drawing: Drawing, x0: float, x1: float, y_bottom: float, y_top: float, scale_max: float,
          as_percent: bool, scale_min: float = 0.0) -> None:
    """Vertical grid lines with tick labels below the plot."""
    span = scale_max - scale_min
    step = _nice_step(span, 5)
    tick = scale_min
    while tick <= scale_max + 1e-9:
        x = x0 + (tick - scale_min) / span * (x1 - x0)
        drawing.add(Line(x, y_bottom, x, y_top, strokeColor=GRID, strokeWidth=0.5))
        label = f"{round(tick * 100, 6):g}%" if as_percent else f"{round(tick, 6):g}"
        drawing.add(_string(x, y_bottom - TICK_SIZE - 3, label, TICK_SIZE, "middle", MUTED))
        tick += step
    drawing.add(Line(x0, y_bottom, x0, y_top, strokeColor=AXIS, strokeWidth=0.6))


def _legend(entries: Sequence[tuple[object, str]], width: float, x0: float = 0.0) -> tuple[list, float]:
    """Swatches with labels, wrapped onto as many lines as needed; returns (shapes, height) with y from 0 up."""
    size, swatch, gap = LABEL_SIZE, 7, 10
    rows: list[list[tuple[object, str, float]]] = [[]]
    used = 0.0
    for colour, label in entries:
        label = fit(label, width / 2, size)
        w = swatch + 3 + stringWidth(label, CJK_FONT, size)
        if rows[-1] and used + w > width - x0:
            rows.append([])
            used = 0.0
        rows[-1].append((colour, label, w))
        used += w + gap
    line_height = size * 1.6
    height = len(rows) * line_height
    shapes: list = []
    for i, row in enumerate(rows):
        y = height - (i + 1) * line_height + 2
        x = x0
        for colour, label, w in row:
            shapes.append(Rect(x, y, swatch, swatch, fillColor=colour, strokeColor=None))
            shapes.append(_string(x + swatch + 3, y + 0.5, label, size))
            x += w + gap
    return shapes, height


def _text_colour(colour) -> object:
    luminance = 0.299 * colour.red + 0.587 * colour.green + 0.114 * colour.blue
    return colors.black if luminance > 0.6 else colors.white


def _blend(a, b, t: float):
    return colors.Color(a.red + (b.red - a.red) * t, a.green + (b.green - a.green) * t,
                        a.blue + (b.blue - a.blue) * t)


def scale_colours(n: int, diverging: bool = True) -> tuple:
    """``n`` colours for the points of a scale, low to high: red through grey to blue, or light to dark blue."""
    if n <= 0:
        return ()
    if n == 1:
        return (BAR,)
    low, mid, high = colors.HexColor("#c9503f"), colors.HexColor("#d4d4d4"), colors.HexColor("#2f6ca3")
    if not diverging:
        low, high = colors.HexColor("#c6dbef"), colors.HexColor("#08519c")
        return tuple(_blend(low, high, i / (n - 1)) for i in range(n))
    out = []
    for i in range(n):
        t = i / (n - 1)
        out.append(_blend(low, mid, t * 2) if t <= 0.5 else _blend(mid, high, (t - 0.5) * 2))
    return tuple(out)


def _label_width(labels: Sequence[str], width: float, share: float) -> float:
    """The label column: as wide as the longest label, at least 12% and at most ``share`` of ``width``."""
    longest = max((stringWidth(" ".join(label.split()), CJK_FONT, LABEL_SIZE) for label in labels), default=0.0)
    return max(width * 0.12, min(width * share, longest + 2))


def _row_heights(labels: Sequence[str], label_width: float, minimum: float) -> list[tuple[list[str], float]]:
    out = []
    for label in labels:
        lines = wrap(label, label_width)
        out.append((lines, max(minimum, len(lines) * LABEL_SIZE * _LEADING + 4)))
    return out


# --- charts --------------------------------------------------------------------------------------------


def interval_bar_chart(
    bars: Sequence[Bar],
    *,
    width: float = FRAME_WIDTH,
    as_percent: bool = True,
    digits: int = 1,
    scale_max: float | None = None,
    label_share: float = 0.4,
    colour=BAR,
) -> Drawing:
    """Horizontal bars, one per item, each with its interval as a whisker and its value at the end."""
    label_width = _label_width([b.label for b in bars], width, label_share)
    x0 = label_width + 6
    x1 = width - 34
    top_value = _scale_max([max(b.value or 0, b.high or 0) for b in bars], as_percent, scale_max)
    rows = _row_heights([b.label for b in bars], label_width, 15)
    height = sum(h for _, h in rows) + _AXIS_ROOM + 4
    drawing = _drawing(width, height)
    y_bottom = _AXIS_ROOM
    _axis(drawing, x0, x1, y_bottom, height - 2, top_value, as_percent)

    def x(value: float) -> float:
        return x0 + max(0.0, min(value, top_value)) / top_value * (x1 - x0)

    y = height - 2
    for bar, (lines, row_height) in zip(bars, rows):
        mid = y - row_height / 2
        _label_block(drawing, label_width, mid, lines)
        if bar.value is None:
            drawing.add(_string(x0 + 3, mid - VALUE_SIZE * 0.35, DASH, VALUE_SIZE, color=MUTED))
        else:
            bar_height = min(9.0, row_height - 5)
            drawing.add(Rect(x0, mid - bar_height / 2, x(bar.value) - x0, bar_height, fillColor=colour,
                             strokeColor=None))
            end = x(bar.value)
            if bar.low is not None and bar.high is not None:
                lo, hi = x(bar.low), x(bar.high)
                drawing.add(Line(lo, mid, hi, mid, strokeColor=WHISKER, strokeWidth=0.8))
                for cap in (lo, hi):
                    drawing.add(Line(cap, mid - 2.5, cap, mid + 2.5, strokeColor=WHISKER, strokeWidth=0.8))
                end = max(end, hi)
            drawing.add(_string(end + 3, mid - VALUE_SIZE * 0.35, _format(bar.value, as_percent, digits),
                                VALUE_SIZE))
        y -= row_height
    return drawing


def distribution_chart(
    rows: Sequence[DistributionRow],
    categories: Sequence[str],
    *,
    width: float = FRAME_WIDTH,
    diverging: bool = True,
    suppressed_label: str | None = None,
    label_share: float = 0.30,
) -> Drawing:
    """One 100% bar per item split by scale point, with a legend of the scale's points.

    Suppressed shares (None) are not placed at their point: the shares shown keep their
    colours and order, and what is left of the bar is drawn pale at its end.
    """
    palette = scale_colours(len(categories), diverging)
    label_width = _label_width([r.label for r in rows], width, label_share)
    x0 = label_width + 6
    x1 = width - 4
    entries = list(zip(palette, categories))
    if suppressed_label and any(s is None for row in rows for s in row.shares):
        entries.append((SUPPRESSED, suppressed_label))
    legend, legend_height = _legend(entries, width - x0)
    layout = _row_heights([r.label for r in rows], label_width, 16)
    height = sum(h for _, h in layout) + legend_height + 8
    drawing = _drawing(width, height)
    for shape in legend:
        shape.x += x0
        shape.y += 0
        drawing.add(shape)
    y = height - 2
    for row, (lines, row_height) in zip(rows, layout):
        mid = y - row_height / 2
        _label_block(drawing, label_width, mid, lines)
        bar_height = min(11.0, row_height - 4)
        left = x0
        shown = [(palette[i], s) for i, s in enumerate(row.shares) if s is not None]
        if not shown:
            drawing.add(_string(x0 + 3, mid - VALUE_SIZE * 0.35, DASH, VALUE_SIZE, color=MUTED))
        total = sum(s for _, s in shown)
        for colour, share in shown:
            w = share * (x1 - x0)
            drawing.add(Rect(left, mid - bar_height / 2, w, bar_height, fillColor=colour, strokeColor=colors.white,
                             strokeWidth=0.3))
            label = f"{share * 100:.0f}%"
            if w >= stringWidth(label, CJK_FONT, VALUE_SIZE) + 3:
                drawing.add(_string(left + w / 2, mid - VALUE_SIZE * 0.35, label, VALUE_SIZE, "middle",
                                    _text_colour(colour)))
            left += w
        if shown and any(s is None for s in row.shares) and total < 1:
            drawing.add(Rect(left, mid - bar_height / 2, (1 - total) * (x1 - x0), bar_height, fillColor=SUPPRESSED,
                             strokeColor=None))
        y -= row_height
    return drawing


def grouped_bar_chart(
    categories: Sequence[str],
    groups: Sequence[str],
    values: Sequence[Sequence[float | None]],
    *,
    width: float = FRAME_WIDTH,
    as_percent: bool = True,
    digits: int = 0,
    marks: Sequence[Sequence[int]] | None = None,
    scale_max: float | None = None,
    label_share: float = 0.28,
) -> Drawing:
    """For each category (answer), one bar per group; ``values[category][group]``.

    ``marks[category][group]`` of +1 or -1 puts ↑ or ↓ after the bar (e.g. an adjusted
    residual beyond ±1.96). Groups take the colours of :data:`PALETTE` in order, shown in a legend;
    more groups than colours would be ambiguous, so they are refused (show those as a table).
    """
    if len(groups) > len(PALETTE):
        raise ValueError(f"a grouped bar chart shows at most {len(PALETTE)} groups; use a table for more")
    palette = [PALETTE[i % len(PALETTE)] for i in range(len(groups))]
    label_width = _label_width(categories, width, label_share)
    x0 = label_width + 6
    x1 = width - 34
    flat = [v for row in values for v in row]
    top_value = _scale_max(flat, as_percent, scale_max)
    bar_height = max(2.5, min(8.0, 36.0 / max(1, len(groups))))
    show_values = bar_height >= 6
    legend, legend_height = _legend(list(zip(palette, groups)), width - x0)
    layout = []
    for category in categories:
        lines = wrap(category, label_width)
        layout.append((lines, max(len(groups) * bar_height + 6, len(lines) * LABEL_SIZE * _LEADING + 4)))
    plot_height = sum(h for _, h in layout)
    height = plot_height + _AXIS_ROOM + legend_height + 8
    drawing = _drawing(width, height)
    y_bottom = legend_height + 6 + _AXIS_ROOM
    _axis(drawing, x0, x1, y_bottom, height - 2, top_value, as_percent)
    for shape in legend:
        shape.x += x0
        drawing.add(shape)

    def x(value: float) -> float:
        return x0 + max(0.0, min(value, top_value)) / top_value * (x1 - x0)

    y = height - 2
    for c, (lines, row_height) in enumerate(layout):
        mid = y - row_height / 2
        _label_block(drawing, label_width, mid, lines)
        bar_top = mid + len(groups) * bar_height / 2
        for g, value in enumerate(values[c]):
            b = bar_top - (g + 1) * bar_height
            mark = marks[c][g] if marks else 0
            if value is None:
                if show_values:
                    drawing.add(_string(x0 + 2, b + 1, DASH, VALUE_SIZE - 1, color=MUTED))
                continue
            drawing.add(Rect(x0, b + 0.4, x(value) - x0, bar_height - 0.8, fillColor=palette[g], strokeColor=None))
            note = (_format(value, as_percent, digits) if show_values else "") + {1: "↑", -1: "↓"}.get(mark, "")
            if note:
                size = min(VALUE_SIZE, bar_height + 0.5)
                drawing.add(_string(x(value) + 2, b + (bar_height - size) / 2 + 0.8, note, size))
        y -= row_height
    return drawing


def score_chart(
    rows: Sequence[ScoreRow],
    *,
    width: float = FRAME_WIDTH,
    scale: tuple[float, float] = (0.0, 100.0),
    digits: int = 1,
    legend: tuple[str, str, str] | None = None,
    label_share: float = 0.30,
) -> Drawing:
    """Each area's score as a bar over the round's range (pale band) with the median as a red tick.

    ``legend`` names the three marks, e.g. ("本单位", "全轮中位数", "全轮范围").
    """
    lo_scale, hi_scale = scale
    label_width = _label_width([r.label for r in rows], width, label_share)
    x0 = label_width + 6
    x1 = width - 30
    entries = []
    if legend:
        entries = [(BAR, legend[0]), (MEDIAN, legend[1]), (RANGE, legend[2])]
    shapes, legend_height = _legend(entries, width - x0) if entries else ([], 0.0)
    layout = _row_heights([r.label for r in rows], label_width, 17)
    height = sum(h for _, h in layout) + _AXIS_ROOM + legend_height + 8
    drawing = _drawing(width, height)
    y_bottom = legend_height + 6 + _AXIS_ROOM
    _axis(drawing, x0, x1, y_bottom, height - 2, hi_scale, False, lo_scale)
    for shape in shapes:
        shape.x += x0
        drawing.add(shape)

    def x(value: float) -> float:
        return x0 + (max(lo_scale, min(value, hi_scale)) - lo_scale) / (hi_scale - lo_scale) * (x1 - x0)

    y = height - 2
    for row, (lines, row_height) in zip(rows, layout):
        mid = y - row_height / 2
        _label_block(drawing, label_width, mid, lines)
        if row.low is not None and row.high is not None:
            drawing.add(Rect(x(row.low), mid - 6, x(row.high) - x(row.low), 12, fillColor=RANGE, strokeColor=None))
        if row.value is None:
            drawing.add(_string(x0 + 3, mid - VALUE_SIZE * 0.35, DASH, VALUE_SIZE, color=MUTED))
        else:
            drawing.add(Rect(x0, mid - 3.5, x(row.value) - x0, 7, fillColor=BAR, strokeColor=None))
        if row.median is not None:
            drawing.add(Line(x(row.median), mid - 7, x(row.median), mid + 7, strokeColor=MEDIAN, strokeWidth=1.6))
        if row.value is not None:
            end = max(x(row.value), x(row.high) if row.high is not None else x0)
            drawing.add(_string(end + 3, mid - VALUE_SIZE * 0.35, f"{row.value:.{digits}f}", VALUE_SIZE))
        y -= row_height
    return drawing


def radar_chart(
    axes: Sequence[str],
    series: Sequence[Series],
    *,
    size: float = 95 * 2.834645669,
    width: float = FRAME_WIDTH,
    scale: tuple[float, float] = (0.0, 100.0),
    band: tuple[Sequence[float | None], Sequence[float | None]] | None = None,
    band_label: str | None = None,
    rings: int = 5,
) -> Drawing:
    """A spider chart: one spoke per area, one closed line per series (first series solid blue,
    the next in red, then the palette); ``band`` (lows, highs) draws each spoke's range as a pale
    stroke. Needs three areas or more (use :func:`score_chart` otherwise)."""
    if len(axes) < 3:
        raise ValueError("a radar chart needs at least three axes; use score_chart for fewer")
    lo_scale, hi_scale = scale
    series_colours = [BAR, MEDIAN, *PALETTE[1:]]
    entries = [(series_colours[i % len(series_colours)], s.label) for i, s in enumerate(series)]
    if band is not None and band_label:
        entries.append((RANGE, band_label))
    legend, legend_height = _legend(entries, width)
    height = size + legend_height + 8
    drawing = _drawing(width, height)
    cx, cy = width / 2, legend_height + 6 + size / 2
    radius = size / 2 - 2 * LABEL_SIZE * _LEADING - 4
    n = len(axes)
    angles = [math.pi / 2 - 2 * math.pi * i / n for i in range(n)]

    def point(i: int, value: float) -> tuple[float, float]:
        r = (max(lo_scale, min(value, hi_scale)) - lo_scale) / (hi_scale - lo_scale) * radius
        return cx + r * math.cos(angles[i]), cy + r * math.sin(angles[i])

    for ring in range(1, rings + 1):
        value = lo_scale + (hi_scale - lo_scale) * ring / rings
        points = [c for i in range(n) for c in point(i, value)]
        drawing.add(Polygon(points, fillColor=None, strokeColor=GRID, strokeWidth=0.5))
        drawing.add(_string(cx + 2, point(0, value)[1] - TICK_SIZE - 1, f"{round(value, 6):g}", TICK_SIZE,
                            color=MUTED))
    for i, label in enumerate(axes):
        ex, ey = point(i, hi_scale)
        drawing.add(Line(cx, cy, ex, ey, strokeColor=AXIS, strokeWidth=0.5))
        cos = math.cos(angles[i])
        anchor = "middle" if abs(cos) < 0.3 else ("start" if cos > 0 else "end")
        lines = wrap(label, width / 2 - radius - 12 if anchor != "middle" else 120)
        lx, ly = cx + (radius + 6) * cos, cy + (radius + 6) * math.sin(angles[i])
        if anchor == "middle":  # above the top spoke, below the bottom one
            ly += (len(lines) * LABEL_SIZE * _LEADING / 2 + 2) * (1 if math.sin(angles[i]) > 0 else -1)
        _label_block(drawing, lx, ly, lines, anchor=anchor)
    if band is not None:
        for i, (low, high) in enumerate(zip(*band)):
            if low is not None and high is not None:
                drawing.add(Line(*point(i, low), *point(i, high), strokeColor=RANGE, strokeWidth=6,
                                 strokeLineCap=1))
    for k, line in enumerate(series):
        colour = series_colours[k % len(series_colours)]
        known = [(i, v) for i, v in enumerate(line.values) if v is not None]
        if len(known) == n:
            points = [c for i, v in known for c in point(i, v)]
            drawing.add(Polygon(points, fillColor=None, strokeColor=colour, strokeWidth=1.4,
                                strokeDashArray=[3, 2] if k else None))
        for i, v in known:  # with a gap the dots still show the areas that are known
            px, py = point(i, v)
            drawing.add(Rect(px - 1.8, py - 1.8, 3.6, 3.6, fillColor=colour, strokeColor=None))
    offset = max(0.0, (width - _legend_width(entries)) / 2)  # centred when it fits on one line
    for shape in legend:
        shape.x += offset
        drawing.add(shape)
    return drawing


def _legend_width(entries: Sequence[tuple[object, str]]) -> float:
    return sum(7 + 3 + stringWidth(label, CJK_FONT, LABEL_SIZE) + 10 for _, label in entries) - 10
