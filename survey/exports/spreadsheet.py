"""XLSX export: the responses and a codebook sheet, with openpyxl's write-only mode.

Write-only worksheets stream rows to temporary files inside openpyxl, so the
workbook never holds more than the chunk being appended.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from survey.exports.table import Column, kind_name, neutralise, value_labels_text

#: Rows an Excel worksheet holds, the header included.
EXCEL_MAX_ROWS = 1_048_576

_CODEBOOK_HEADER = ("variable", "label_zh", "label_en", "question", "kind", "type", "option_or_row",
                    "value_labels_zh", "value_labels_en", "versions")


def _clean(value):
    """Strings without the control characters an XLSX file cannot hold."""
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def write_xlsx(job, path: Path) -> None:
    workbook = Workbook(write_only=True)
    sheet, sheets, used = None, 0, EXCEL_MAX_ROWS
    text_positions = [i for i, c in enumerate(job.columns) if c.cell == "text"]
    for rows in job.cells(dates_as_text=False, spreadsheet=True):
        for row in rows:
            if used >= EXCEL_MAX_ROWS:
                sheets += 1
                sheet = workbook.create_sheet("responses" if sheets == 1 else f"responses ({sheets})")
                sheet.append(job.names)
                used = 1
            if text_positions:
                row = list(row)
                for i in text_positions:
                    if row[i] is not None:
                        row[i] = _clean(row[i])
            sheet.append(row)
            used += 1
    if sheet is None:  # no responses: the header alone
        workbook.create_sheet("responses").append(job.names)
    codebook = workbook.create_sheet("codebook")
    codebook.append(_CODEBOOK_HEADER)
    for column in job.columns:
        codebook.append(_codebook_row(column))
    workbook.save(path)


def _codebook_row(column: Column) -> tuple:
    """Labels come from the questionnaire's authors: neutralised like answers."""
    v = column.variable
    row = (
        column.name,
        _clean(column.label.get("zh")),
        _clean(column.label.get("en")),
        v.question_id if v else "",
        kind_name(column),
        "numeric" if column.numeric else ("date" if column.cell == "date" else "text"),
        (v.option_id or "") if v else "",
        _clean(value_labels_text(v, "zh")),
        _clean(value_labels_text(v, "en")),
        ", ".join(str(n) for n in v.versions) if v else "",
    )
    return tuple(neutralise(cell) for cell in row)
