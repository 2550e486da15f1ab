"""Tables that wrap text, repeat their header row on every page they cross and use only the embedded font."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from reportlab.lib import colors
from reportlab.platypus import Flowable, LongTable, TableStyle

from survey.reports.fonts import CJK_FONT
from survey.reports.toolkit.document import FRAME_WIDTH
from survey.reports.toolkit.text import DASH, para

HEAD_BACKGROUND = colors.HexColor("#e4ebf2")
ZEBRA = colors.HexColor("#f6f8fa")
LINE = colors.HexColor("#c8c8c8")
DARK_LINE = colors.HexColor("#555555")


def widths(*weights: float, total: float = FRAME_WIDTH) -> tuple[float, ...]:
    """Column widths in points, proportional to ``weights`` and adding up to ``total``."""
    scale = total / sum(weights)
    return tuple(w * scale for w in weights)


def _cell(value, style: str):
    if value is None:
        return para(DASH, style)
    if isinstance(value, (Flowable, list)):
        return value
    return para(value, style)


def data_table(
    header: Sequence[object],
    rows: Sequence[Sequence[object]],
    col_widths: Sequence[float],
    *,
    numeric: Collection[int] = (),
    total_rows: int = 0,
    zebra: bool = True,
    extra_style: Sequence[tuple] = (),
) -> LongTable:
    """A table whose first row is its header, repeated at the top of every page the table runs onto.

    Text cells are user text: they are escaped and wrap (CJK line breaking). Columns in ``numeric``
    align right. The last ``total_rows`` rows are set off by a rule (totals).
    """
    head = [_cell(h, "cell_head_num" if i in numeric else "cell_head") for i, h in enumerate(header)]
    body = [[_cell(v, "cell_num" if i in numeric else "cell") for i, v in enumerate(row)] for row in rows]
    table = LongTable([head, *body], colWidths=list(col_widths), repeatRows=1, hAlign="LEFT")
    commands: list[tuple] = [
        ("FONTNAME", (0, 0), (-1, -1), CJK_FONT),  # else plain strings would use Helvetica, unembedded
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (-1, 0), HEAD_BACKGROUND),
        ("LINEABOVE", (0, 0), (-1, 0), 0.8, DARK_LINE),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, DARK_LINE),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, LINE),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
    ]
    if zebra and len(body) > 2:
        commands.append(("ROWBACKGROUNDS", (0, 1), (-1, -1 - total_rows), (colors.white, ZEBRA)))
    if total_rows and body:
        commands.append(("LINEABOVE", (0, -total_rows), (-1, -total_rows), 0.8, DARK_LINE))
    table.setStyle(TableStyle([*commands, *extra_style]))
    return table


def facts_table(pairs: Sequence[tuple[object, object]], col_widths: Sequence[float] | None = None) -> LongTable:
    """Two columns of label and value (cover page, method), without a header row."""
    col_widths = col_widths or widths(1, 3)
    rows = [[_cell(label, "cell"), _cell(value, "cell")] for label, value in pairs]
    table = LongTable(rows, colWidths=list(col_widths), hAlign="LEFT")
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), CJK_FONT),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, LINE),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("TEXTCOLOR", (0, 0), (0, -1), colors.HexColor("#555555")),
    ]))
    return table
