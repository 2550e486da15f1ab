"""The printable session sheet: a report session's panel with each member's join code and QR code.

Plain data in, PDF bytes out: the service gathers the rows, issues the codes and
translates the wording; nothing here touches the database or the request. The
sheet is Chinese first, each fixed text followed by its English line when the two
differ. The same :class:`SheetData` always gives the same bytes (ReportLab's
invariant mode fixes the creation date and document id), so tests can compare.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from xml.sax.saxutils import escape  # nosec B406  # escapes markup; parses no XML

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from survey.reports.fonts import CJK_FONT, register_fonts, styles

QR_SIZE = 28 * mm
MARGIN = 15 * mm
#: Column widths: no., name, rater type, home unit, QR code, typed code (180 mm in all).
COLUMNS = (12 * mm, 30 * mm, 24 * mm, 39 * mm, 32 * mm, 43 * mm)
LINE = colors.HexColor("#999999")
#: Tables select Helvetica for their cells unless told otherwise; it would be the one unembedded font.
_FONT = ("FONTNAME", (0, 0), (-1, -1), CJK_FONT)


@dataclass(frozen=True)
class Bilingual:
    """A fixed text in Chinese and in English (the same string when not yet translated)."""

    zh: str
    en: str


@dataclass(frozen=True)
class SheetLabels:
    """The sheet's fixed wording, already translated by the caller."""

    title: Bilingual
    round: Bilingual
    unit: Bilingual
    time: Bilingual
    place: Bilingual
    no_time: Bilingual
    no_place: Bilingual
    instructions: Bilingual
    number: Bilingual
    name: Bilingual
    rater_type: Bilingual
    home_unit: Bilingual
    qr_code: Bilingual
    join_code: Bilingual
    recused_heading: Bilingual
    recused_note: Bilingual
    generated: Bilingual


@dataclass(frozen=True)
class SheetMember:
    """A seated rater: the code is printed once here and stored only as a hash."""

    name: str
    rater_type: str  #: label, in Chinese
    home_unit: str
    home_unit_code: str
    code: str  #: XXXXX-XXXXX
    url: str  #: what the QR code encodes


@dataclass(frozen=True)
class SheetRecused:
    """A group member who sits in but does not score this unit.

    Neither the reasons nor the home unit are printed: a recorded relationship is nobody's business.
    """

    name: str
    rater_type: str


@dataclass(frozen=True)
class SheetData:
    round_name: str
    period: str
    unit_name: str
    unit_name_en: str | None
    unit_code: str
    starts_at: str | None  #: already formatted, Beijing time
    place: str | None
    members: tuple[SheetMember, ...]
    recused: tuple[SheetRecused, ...]
    labels: SheetLabels


def qr_drawing(url: str, size: float = QR_SIZE) -> Drawing:
    """A square drawing holding one QR code of ``url`` (error correction M, quiet zone kept)."""
    widget = QrCodeWidget(value=url, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0],
                      initialFontName=register_fonts())  # else the renderer selects Helvetica, unembedded
    drawing.add(widget)
    return drawing


def _para(text: str, style: str) -> Paragraph:
    return Paragraph(escape(text), styles()[style])


def _both(text: Bilingual, zh_style: str = "cell", en_style: str = "cell_small") -> list[Paragraph]:
    """The Chinese line, then the English one when it says something else."""
    out = [_para(text.zh, zh_style)]
    if text.en and text.en != text.zh:
        out.append(_para(text.en, en_style))
    return out


def _header(data: SheetData) -> list:
    labels = data.labels
    unit = data.unit_name + (f" / {data.unit_name_en}" if data.unit_name_en else "")

    def row(label: Bilingual, value: str | None, missing: Bilingual | None = None):
        return [_both(label), _para(value or (missing.zh if missing else ""), "body")]

    facts = Table(
        [
            row(labels.round, f"{data.round_name} · {data.period}"),
            row(labels.unit, f"{unit}（{data.unit_code}）"),
            row(labels.time, data.starts_at, labels.no_time),
            row(labels.place, data.place, labels.no_place),
        ],
        colWidths=(32 * mm, 148 * mm),
    )
    facts.setStyle(TableStyle([
        _FONT,
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, LINE),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]))
    instructions = Table([[_both(labels.instructions, "body", "body_en")]], colWidths=(180 * mm,))
    instructions.setStyle(TableStyle([
        _FONT,
        ("BOX", (0, 0), (-1, -1), 0.75, colors.black),
        ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#f3f3f3")),
        ("LEFTPADDING", (0, 0), (-1, -1), 6),
        ("RIGHTPADDING", (0, 0), (-1, -1), 6),
        ("TOPPADDING", (0, 0), (-1, -1), 5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
    ]))
    return [*_both(labels.title, "title", "subtitle"), facts, Spacer(0, 5 * mm), instructions, Spacer(0, 5 * mm)]


def _members_table(data: SheetData) -> Table:
    labels = data.labels
    head = [_both(label) for label in (labels.number, labels.name, labels.rater_type, labels.home_unit,
                                       labels.qr_code, labels.join_code)]
    rows = [head]
    for n, member in enumerate(data.members, start=1):
        rows.append([
            _para(str(n), "cell"),
            _para(member.name, "name"),
            _para(member.rater_type, "cell"),
            [_para(member.home_unit, "cell")]
            + ([_para(member.home_unit_code, "cell_small")] if member.home_unit_code != member.home_unit else []),
            qr_drawing(member.url),
            _para(member.code, "code"),
        ])
    table = Table(rows, colWidths=COLUMNS, repeatRows=1)
    table.setStyle(TableStyle([
        _FONT,
        ("GRID", (0, 0), (-1, -1), 0.5, LINE),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (4, 1), (4, -1), "CENTER"),
        ("TOPPADDING", (4, 1), (4, -1), 2),
        ("BOTTOMPADDING", (4, 1), (4, -1), 2),
    ]))
    return table


def _recused_block(data: SheetData) -> list:
    labels = data.labels
    rows = [[_para(r.name, "cell"), _para(r.rater_type, "cell"), _both(labels.recused_note)] for r in data.recused]
    table = Table(rows, colWidths=(42 * mm, 24 * mm, 114 * mm))
    table.setStyle(TableStyle([
        _FONT,
        ("GRID", (0, 0), (-1, -1), 0.5, LINE),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]))
    return [KeepTogether([*_both(labels.recused_heading, "heading", "body_en"), Spacer(0, 2 * mm), table])]


def _numbered_canvas(footer: str):
    """A canvas that writes "footer · page n / total" on every page once the total is known."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []

        def showPage(self):
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                self.setFont(register_fonts(), 7.5)
                self.setFillColor(colors.HexColor("#555555"))
                self.drawString(MARGIN, 9 * mm, footer)
                self.drawRightString(A4[0] - MARGIN, 9 * mm, f"{number} / {total}")
                super().showPage()
            super().save()

    return NumberedCanvas


def build_session_sheet(data: SheetData) -> bytes:
    """The session sheet as PDF bytes (A4 portrait)."""
    register_fonts()
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN, bottomMargin=18 * mm,
        title=f"{data.labels.title.zh} · {data.unit_code}", author="Kaimen", creator="Kaimen", subject=data.round_name,
        invariant=1, initialFontName=CJK_FONT, initialFontSize=10,
    )
    story = [*_header(data), _members_table(data)]
    if data.recused:
        story += [Spacer(0, 6 * mm), *_recused_block(data)]
    generated = data.labels.generated
    footer = generated.zh if generated.en == generated.zh else f"{generated.zh} · {generated.en}"
    document.build(story, canvasmaker=_numbered_canvas(f"{data.unit_code} · {footer}"))
    return buffer.getvalue()
