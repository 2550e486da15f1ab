"""Read an uploaded list of invitees: one row per invitation, a label and an optional unit code.

Accepts CSV (UTF-8, with or without Excel's BOM) or an .xlsx workbook opened
through the same safe path as questionnaire imports. Columns are found by
their header: ``label`` (or 标签/姓名/部门) and ``unit`` (or unit_code/单位编码).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired

from forms import uploads
from forms.questionnaire import workbook

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 50_000
MAX_COLUMNS = 20
LABEL_HEADERS = {"label", "标签", "姓名", "部门", "name"}
UNIT_HEADERS = {"unit", "unit_code", "单位编码", "单位"}


class InviteListError(ValueError):
    def __init__(self, reasons: list[str]):
        super().__init__("; ".join(reasons))
        self.reasons = reasons


@dataclass(frozen=True)
class InviteRow:
    row: int  #: the spreadsheet's row number, for messages
    label: str
    unit_code: str | None


class InviteListForm(FlaskForm):
    file = FileField(_l("List of invitees (CSV or .xlsx)"), validators=[FileRequired()])


def parse_invite_list(data: bytes, filename: str) -> list[InviteRow]:
    """Rows of the list, or InviteListError naming every bad row."""
    if len(data) > MAX_BYTES:
        raise InviteListError([str(_l("The file is larger than %(n)d bytes.", n=MAX_BYTES))])
    if filename.lower().endswith(".xlsx") or data.startswith(b"PK"):
        try:
            workbook.check_package(data, MAX_BYTES, filename)
            book = workbook.open_workbook(data)
            headers, rows = workbook.read_sheet(book.worksheets[0], MAX_ROWS, MAX_COLUMNS)
        except workbook.WorkbookError as exc:
            raise InviteListError(list(exc.reasons)) from None
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InviteListError([str(_l("The file is neither UTF-8 CSV nor an .xlsx workbook."))]) from None
        try:
            headers, rows = uploads.read_csv_table(text, max_rows=MAX_ROWS, max_columns=MAX_COLUMNS)
        except uploads.UploadRefused as exc:
            raise InviteListError(list(exc.reasons)) from None
    lowered = [h.strip().lower() for h in headers]
    label_col = next((i for i, h in enumerate(lowered) if h in LABEL_HEADERS), None)
    unit_col = next((i for i, h in enumerate(lowered) if h in UNIT_HEADERS), None)
    if label_col is None:
        raise InviteListError([str(_l("The first row needs a 'label' column (and optionally a 'unit' column)."))])
    result, reasons = [], []
    for number, cells in rows:
        label = cells[label_col].strip() if label_col < len(cells) else ""
        unit = cells[unit_col].strip() if unit_col is not None and unit_col < len(cells) else ""
        if not label:
            reasons.append(str(_l("row %(row)d: the label is empty", row=number)))
        elif len(label) > 200:
            reasons.append(str(_l("row %(row)d: the label is longer than 200 characters", row=number)))
        else:
            result.append(InviteRow(number, label, unit or None))
    if reasons:
        raise InviteListError(reasons)
    if not result:
        raise InviteListError([str(_l("The list has no rows."))])
    return result
