"""Open an uploaded spreadsheet safely, or refuse it with reasons.

Uploads come from anyone with staff access, often forwarded by e-mail, so
the package is inspected before openpyxl parses a byte of XML: size,
unpacked size and entry count are capped (zip bombs), macro-bearing and
externally linked workbooks are refused, and openpyxl must be using
defusedxml (no entity expansion or external entities). Sheets are then read
streaming (``read_only``) with cached values only (``data_only``: formulas
are never evaluated) and capped rows and columns.
"""

from __future__ import annotations

import io
import os
import zipfile
from datetime import date, datetime, time

import openpyxl

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
DEFAULT_MAX_ROWS = 2000
DEFAULT_MAX_COLUMNS = 100
#: An xlsx unpacks to many times its size; more than this is refused as a zip bomb.
UNPACKED_FACTOR = 40
MAX_ENTRIES = 500

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


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


def check_package(data: bytes, max_bytes: int) -> None:
    """Refuse what is not a plain .xlsx package (see the module docstring)."""
    if not openpyxl.DEFUSEDXML:
        raise WorkbookError(["defusedxml is not installed, so spreadsheets cannot be read safely"])
    if data.startswith(_OLE_MAGIC):
        raise WorkbookError(["this is an old-style .xls file or an encrypted workbook; save it as an .xlsx workbook"])
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise WorkbookError(["this is not an .xlsx workbook (it is not a zip package)"])
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            infos = package.infolist()
            names = [info.filename for info in infos]
            content_types = package.read("[Content_Types].xml") if "[Content_Types].xml" in names else b""
    except (zipfile.BadZipFile, OSError, RuntimeError, ValueError) as exc:
        raise WorkbookError([f"the workbook package is damaged: {exc}"]) from None
    reasons = []
    if len(infos) > MAX_ENTRIES:
        reasons.append(f"the package holds {len(infos)} parts; the limit is {MAX_ENTRIES}")
    unpacked = sum(info.file_size for info in infos)
    if unpacked > max_bytes * UNPACKED_FACTOR:
        reasons.append(f"the package unpacks to {unpacked} bytes; the limit is {max_bytes * UNPACKED_FACTOR} bytes")
    lowered = [name.lower() for name in names]
    if any(name.endswith("vbaproject.bin") for name in lowered) or b"macroenabled" in content_types.lower():
        reasons.append("the workbook contains macros (vbaProject.bin); save it as a plain .xlsx without macros")
    if any(name.startswith("xl/externallinks/") for name in lowered):
        reasons.append("the workbook links to other files (external links); remove the links and save again")
    if any(name.startswith(("xl/activex/", "xl/embeddings/")) for name in lowered):
        reasons.append("the workbook contains embedded objects or ActiveX controls; remove them and save again")
    if "xl/workbook.xml" not in lowered:
        reasons.append("the package has no workbook part (xl/workbook.xml); is it really an .xlsx file?")
    if reasons:
        raise WorkbookError(reasons)


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
    """Header texts and the non-empty data rows as (Excel row number, cell texts)."""
    headers: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
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
