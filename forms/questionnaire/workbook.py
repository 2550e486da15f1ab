"""Open an uploaded spreadsheet safely, or refuse it with reasons.

Uploads come from anyone with staff access, often forwarded by e-mail, so
the package is inspected by ``forms.uploads.check_workbook_package`` before
openpyxl parses a byte of XML: part count, declared unpacked sizes and
compression ratios are capped (zip bombs) before anything is inflated;
macro-bearing, ActiveX and externally linked workbooks are refused; any part
declaring a DOCTYPE or entities is refused (XXE, billion laughs). openpyxl
must also be using defusedxml, a second layer against the same attacks.
Sheets are then read streaming (``read_only``) with cached values only
(``data_only``: formulas are never evaluated) and capped rows and columns.
"""

from __future__ import annotations

import io
import os
from datetime import date, datetime, time

import openpyxl

from forms import uploads

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
DEFAULT_MAX_ROWS = 2000
DEFAULT_MAX_COLUMNS = 100
#: An xlsx unpacks to many times its size; more than this (or ``uploads.MAX_UNPACKED_BYTES``) is refused.
UNPACKED_FACTOR = 40


class WorkbookError(ValueError):
    """A workbook that is refused; ``reasons`` lists why, one line each."""

    def __init__(self, reasons: list[str] | tuple[str, ...]):
        self.reasons = tuple(reasons)
        super().__init__("the spreadsheet was not imported: " + "; ".join(self.reasons))


def read_source(source: bytes | str | os.PathLike, max_bytes: int) -> bytes:
    """The file's bytes, refusing anything over ``max_bytes`` before reading it."""
    if isinstance(source, (bytes, bytearray)):
        data = bytes(source)
    else:
        try:
            size = os.stat(source).st_size
        except OSError as exc:
            raise WorkbookError([f"the file cannot be read: {exc.strerror or exc}"]) from None
        if size > max_bytes:
            raise WorkbookError([f"the file is {size} bytes; the limit is {max_bytes} bytes"])
        with open(source, "rb") as handle:
            data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise WorkbookError([f"the file is {len(data)} bytes; the limit is {max_bytes} bytes"])
    return data


def check_package(data: bytes, max_bytes: int, filename: str | None = None) -> None:
    """Refuse what is not a plain .xlsx package (see the module docstring); ``filename`` as uploaded."""
    if not openpyxl.DEFUSEDXML:
        raise WorkbookError(["defusedxml is not installed, so spreadsheets cannot be read safely"])
    limit = min(max_bytes * UNPACKED_FACTOR, uploads.MAX_UNPACKED_BYTES)
    try:
        uploads.check_workbook_package(data, filename=filename, max_unpacked=limit)
    except uploads.UploadRefused as exc:
        raise WorkbookError(exc.reasons) from None


def open_workbook(data: bytes):
    """Load checked bytes with openpyxl, streaming and values only."""
    try:
        return openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    except Exception as exc:  # openpyxl raises many kinds on bad input; all mean "unreadable"
        raise WorkbookError([f"the workbook cannot be read: {type(exc).__name__}: {exc}"]) from None


def cell_text(value: object) -> str:
    """A cell as stripped text: whole numbers without '.0', booleans as true/false."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    return str(value).strip()


def read_sheet(sheet, max_rows: int, max_columns: int) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header texts and the non-empty data rows as (Excel row number, cell texts).

    Only the first ``max_columns + 1`` columns are read: a sheet may declare 16,384 columns
    and a million rows in a few bytes, and openpyxl pads every row to the declared width.
    A value in the column after the last allowed one refuses the sheet.
    """
    headers: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    for number, values in enumerate(sheet.iter_rows(values_only=True, max_col=max_columns + 1), start=1):
        texts = [cell_text(v) for v in values]
        while texts and texts[-1] == "":
            texts.pop()
        if len(texts) > max_columns:
            raise WorkbookError([f"sheet '{sheet.title}' row {number} has more than {max_columns} columns"])
        if headers is None:
            headers = texts
            continue
        if number > max_rows * 10:
            raise WorkbookError([f"sheet '{sheet.title}' has more than {max_rows * 10} rows"])
        if any(texts):
            rows.append((number, texts + [""] * (len(headers) - len(texts))))
            if len(rows) > max_rows:
                raise WorkbookError([f"sheet '{sheet.title}' has more than {max_rows} filled rows"])
    return headers or [], rows
