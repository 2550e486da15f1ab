"""The A4 page template every report shares: header, footer with "n / N", outline, fixed bytes.

:func:`build_pdf` lays out a story on A4 portrait pages. Each page but the cover
carries the report title in its header; each page carries the caller's footer text
(for example "Generated 2024-05-01 10:00", formatted by the caller: nothing here reads
the clock) and its page number out of the total. Headings made with :func:`heading`
become entries of the PDF outline (the viewer's bookmark pane). ReportLab's invariant
mode fixes the creation date and the document id, so the same story gives the same
bytes, in this process or another.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate

from survey.reports.fonts import CJK_FONT, register_fonts
from survey.reports.toolkit.text import GREY, report_styles, text

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_X = 18 * mm
MARGIN_TOP = 22 * mm
MARGIN_BOTTOM = 20 * mm
#: The width flowables may use (174 mm).
FRAME_WIDTH = PAGE_WIDTH - 2 * MARGIN_X
#: The height of one page's frame (255 mm).
FRAME_HEIGHT = PAGE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
#: platypus frames pad their content by 6 pt; the margins make room so content lines up with header and footer
_PAD = 6
RULE = colors.HexColor("#b0b0b0")
_HEADER_SIZE = 8
_FOOTER_SIZE = 7.5


@dataclass(frozen=True)
class PageSpec:
    """What every page shows besides the story, and the document's metadata (all raw text)."""

    title: str  #: the report title, in the header of every page but the first
    footer: str  #: left of the page number, e.g. the generated-at text
    subject: str = ""
    author: str = "Kaimen"
    header_on_first_page: bool = False


class _Heading(Paragraph):
    """A paragraph that also becomes an outline entry."""

    def __init__(self, markup: str, style, outline: tuple[str, int]):
        super().__init__(markup, style)
        self.outline = outline


def heading(value: str, style: str = "h1", level: int = 0) -> Paragraph:
    """A heading of (escaped) text that also appears in the PDF outline at ``level`` (0, 1, ...)."""
    return _Heading(text(value), report_styles()[style], (value, level))


def fit(value: str, width: float, size: float, font: str = CJK_FONT) -> str:
    """``value`` cut with an ellipsis so that it fits ``width`` points at ``size``."""
    register_fonts()
    if stringWidth(value, font, size) <= width:
        return value
    while value and stringWidth(value + "…", font, size) > width:
        value = value[:-1]
    return value + "…"


def _canvas_class(spec: PageSpec):
    """A canvas that keeps pages back until the total is known, then draws header and footer on each."""

    class ReportCanvas(Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []
            self._marks: list[list[tuple]] = [[]]  # bookmarks and outline entries, per page

        def bookmarkPage(self, key, **kwargs):
            self._marks[-1].append(("bookmark", key, kwargs))

        def addOutlineEntry(self, title, key, level=0, closed=None):
            self._marks[-1].append(("outline", (title, key, level, closed), {}))

        def showPage(self):
            self._pages.append(dict(self.__dict__))
            self._marks.append([])
            self._startPage()

        def save(self):
            total = len(self._pages)
            marks = self._marks
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                self._decorate(number, total)
                for kind, args, kwargs in marks[number - 1]:
                    if kind == "bookmark":
                        Canvas.bookmarkPage(self, args, **kwargs)
                    else:
                        Canvas.addOutlineEntry(self, *args)
                Canvas.showPage(self)
            if any(kind == "outline" for page in marks for kind, _, _ in page):
                self.showOutline()
            Canvas.save(self)

        def _decorate(self, number: int, total: int) -> None:
            self.saveState()
            self.setFont(CJK_FONT, _HEADER_SIZE)
            self.setFillColor(GREY)
            self.setStrokeColor(RULE)
            self.setLineWidth(0.5)
            top = PAGE_HEIGHT - 13 * mm
            if number > 1 or spec.header_on_first_page:
                self.drawString(MARGIN_X, top, fit(spec.title, FRAME_WIDTH, _HEADER_SIZE))
                self.line(MARGIN_X, top - 2.5 * mm, PAGE_WIDTH - MARGIN_X, top - 2.5 * mm)
            page = f"{number} / {total}"
            self.setFont(CJK_FONT, _FOOTER_SIZE)
            room = FRAME_WIDTH - stringWidth(page, CJK_FONT, _FOOTER_SIZE) - 6 * mm
            self.line(MARGIN_X, 14 * mm, PAGE_WIDTH - MARGIN_X, 14 * mm)
            self.drawString(MARGIN_X, 10 * mm, fit(spec.footer, room, _FOOTER_SIZE))
            self.drawRightString(PAGE_WIDTH - MARGIN_X, 10 * mm, page)
            self.restoreState()

    return ReportCanvas


class _Document(SimpleDocTemplate):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._outline_count = 0

    def afterFlowable(self, flowable):
        outline = getattr(flowable, "outline", None)
        if outline is None:
            return
        title, level = outline
        self._outline_count += 1
        key = f"outline-{self._outline_count}"
        self.canv.bookmarkPage(key)
        self.canv.addOutlineEntry(title, key, level=level, closed=level > 0)


def build_pdf(story: list, spec: PageSpec) -> bytes:
    """Lay ``story`` (flowables) out on A4 pages and return the PDF's bytes; the same story gives the same bytes."""
    register_fonts()
    buffer = io.BytesIO()
    document = _Document(
        buffer, pagesize=A4, leftMargin=MARGIN_X - _PAD, rightMargin=MARGIN_X - _PAD, topMargin=MARGIN_TOP - _PAD,
        bottomMargin=MARGIN_BOTTOM - _PAD, title=spec.title, author=spec.author, creator="Kaimen", producer="Kaimen",
        subject=spec.subject, invariant=1, initialFontName=CJK_FONT, initialFontSize=9.5,
    )
    document.build(story, canvasmaker=_canvas_class(spec))
    return buffer.getvalue()
