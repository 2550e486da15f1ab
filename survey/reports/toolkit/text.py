"""Paragraph styles, escaping of user text, and number formatting shared by every report.

User text (titles, unit names, option labels, comments) goes through :func:`text`
or :func:`para` before it reaches a ReportLab ``Paragraph``: ``&``, ``<`` and ``>``
are escaped, so markup typed by a user prints literally and is never interpreted.
Text drawn directly on a canvas or in a chart (``drawString``, graphics ``String``)
is never parsed as markup and must *not* be escaped; the chart and page helpers take
raw strings.
"""

from __future__ import annotations

import math
from functools import cache
from xml.sax.saxutils import escape  # nosec B406  # escapes markup; parses no XML

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Paragraph

from survey.reports.fonts import register_fonts

#: What a suppressed figure (fewer than k respondents) prints as.
DASH = "—"
INK = colors.HexColor("#222222")
GREY = colors.HexColor("#555555")
ACCENT = colors.HexColor("#1f4e79")


def text(value: object, *, newlines: bool = False) -> str:
    """``value`` as Paragraph markup that prints literally: ``& < >`` escaped.

    With ``newlines`` a line break in the text stays a line break (free-text comments).
    """
    out = escape("" if value is None else str(value))
    if newlines:
        out = "<br/>".join(out.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    return out


def para(value: object, style: str | ParagraphStyle = "body", *, newlines: bool = False) -> Paragraph:
    """A paragraph of user (or translated) text, escaped; ``style`` names one of :func:`report_styles`."""
    return Paragraph(text(value, newlines=newlines), report_styles()[style] if isinstance(style, str) else style)


def markup(fragment: str, style: str | ParagraphStyle = "body") -> Paragraph:
    """A paragraph of markup the code wrote itself; every user part must already have gone through :func:`text`."""
    return Paragraph(fragment, report_styles()[style] if isinstance(style, str) else style)


@cache
def report_styles() -> dict[str, ParagraphStyle]:
    """Styles for the embedded Chinese font; CJK line breaking keeps Latin words whole."""
    font = register_fonts()

    def style(name: str, size: float, leading: float, **extra) -> ParagraphStyle:
        extra.setdefault("textColor", INK)
        return ParagraphStyle(name, fontName=font, fontSize=size, leading=leading, wordWrap="CJK", **extra)

    return {
        "cover_title": style("cover_title", 24, 32, textColor=ACCENT, spaceAfter=10),
        "cover_subtitle": style("cover_subtitle", 13, 18, textColor=GREY, spaceAfter=4),
        "cover_fact": style("cover_fact", 11, 16),
        "h1": style("h1", 15, 20, textColor=ACCENT, spaceBefore=4, spaceAfter=8, keepWithNext=1),
        "h2": style("h2", 12, 16, spaceBefore=10, spaceAfter=4, keepWithNext=1),
        "h3": style("h3", 10.5, 14, spaceBefore=6, spaceAfter=3, keepWithNext=1),
        "body": style("body", 9.5, 14, spaceAfter=4),
        "bullet": style("bullet", 9.5, 14, leftIndent=12, bulletIndent=2, spaceAfter=2),
        "small": style("small", 8, 11, textColor=GREY),
        "cell": style("cell", 8.5, 11),
        "cell_num": style("cell_num", 8.5, 11, alignment=TA_RIGHT),
        "cell_center": style("cell_center", 8.5, 11, alignment=TA_CENTER),
        "cell_head": style("cell_head", 8.5, 11, textColor=colors.black),
        "cell_head_num": style("cell_head_num", 8.5, 11, textColor=colors.black, alignment=TA_RIGHT),
        "footnote": style("footnote", 7.5, 10, textColor=GREY, spaceBefore=2),
    }


def _finite(value: float | None) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def number(value: float | None, digits: int = 0) -> str:
    """``1234.5`` → ``"1,234.5"`` (with ``digits``); None or NaN → the dash."""
    if not _finite(value):
        return DASH
    return f"{value:,.{digits}f}"


def percent(share: float | None, digits: int = 1) -> str:
    """A share in 0..1 as ``"12.3%"``; None → the dash."""
    if not _finite(share):
        return DASH
    return f"{share * 100:.{digits}f}%"


def interval(low: float | None, high: float | None, digits: int = 1, *, as_percent: bool = True) -> str:
    """``"10.2–14.8%"`` (or plain numbers); the dash when either end is missing."""
    if not (_finite(low) and _finite(high)):
        return DASH
    if as_percent:
        return f"{low * 100:.{digits}f}–{high * 100:.{digits}f}%"
    return f"{low:.{digits}f}–{high:.{digits}f}"


def p_value(p: float | None) -> str:
    """``"< 0.001"`` below a thousandth, else three decimals."""
    if not _finite(p):
        return DASH
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def p_text(p: float | None) -> str:
    """``"p < 0.001"`` or ``"p = 0.031"``."""
    shown = p_value(p)
    return f"p {shown}" if shown.startswith("<") else f"p = {shown}"
