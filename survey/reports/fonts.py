"""The Chinese font every report uses, registered once, and paragraph styles for it.

WenQuanYi Micro Hei (Apache-2.0, licence beside the file) is shipped as a GBK
subset (every character of GB 2312 and GBK, so rarer name characters such as 喆, 镕
and 堃 print too); ReportLab embeds only the glyphs a document uses, so PDFs stay small and
print the same on any machine (no font is left to the reader's viewer). The font
has no bold or italic face: the family maps every variant to the one face so that
``<b>`` in a paragraph does not fail; emphasis comes from size instead.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

#: The name reports pass to ReportLab (fontName=...).
CJK_FONT = "WenQuanYiMicroHei"
#: The shipped TrueType file (``pdffonts`` shows it as WenQuanYi..., embedded as a subset).
CJK_FONT_FILE = Path(__file__).with_name("fonts") / "wqy-microhei-gbk.ttf"

GREY = colors.HexColor("#555555")


@cache
def register_fonts() -> str:
    """Register the font and its family with ReportLab once per process; returns its name."""
    pdfmetrics.registerFont(TTFont(CJK_FONT, str(CJK_FONT_FILE)))
    pdfmetrics.registerFontFamily(CJK_FONT, normal=CJK_FONT, bold=CJK_FONT, italic=CJK_FONT, boldItalic=CJK_FONT)
    return CJK_FONT


@cache
def styles() -> dict[str, ParagraphStyle]:
    """Paragraph styles for mixed Chinese and Latin text (CJK line breaking)."""
    font = register_fonts()

    def style(name: str, size: float, leading: float, **extra) -> ParagraphStyle:
        return ParagraphStyle(name, fontName=font, fontSize=size, leading=leading, wordWrap="CJK", **extra)

    return {
        "title": style("title", 17, 22, spaceAfter=2),
        "subtitle": style("subtitle", 10, 13, textColor=GREY, spaceAfter=6),
        "heading": style("heading", 12, 16, spaceBefore=8, spaceAfter=4),
        "body": style("body", 10, 14),
        "body_en": style("body_en", 8.5, 11.5, textColor=GREY),
        "cell": style("cell", 10, 13),
        "name": style("name", 12.5, 16),
        "cell_small": style("cell_small", 8, 10.5, textColor=GREY),
        "code": style("code", 15, 19),
        "footer": style("footer", 7.5, 9, textColor=GREY),
    }
