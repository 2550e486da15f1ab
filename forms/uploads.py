"""Hostile uploads are refused here, before a parser or the database sees a byte of them.

Every file and body Kaimen reads from outside passes one of these checks first:
spreadsheets (framework, XLSForm, invite and rater lists, from the staff screens and the
``kaimen`` command), JSON (questionnaire imports, the response API, the scoring phones'
API, composite inputs, and Flask's own ``request.get_json`` through
:class:`BoundedJSONProvider`) and CSV lists. The checks look at sizes, counts and bytes and
never build a tree, so their own memory stays at a few chunks whatever a file claims to be.

Spreadsheets (.xlsx, a zip package). Python's ``zipfile`` never inflates a member beyond
the size the central directory declares for it, so the directory is checked *before*
anything is decompressed: the number of parts, the declared unpacked size of each part and
of the whole package, and each part's compression ratio (a zip bomb packs gigabytes of
zeros into kilobytes). Names and content types that mean macros (``vbaProject.bin``,
``macroEnabled`` workbooks, .xlsm/.xltm/.xlam), ActiveX controls, embedded objects or
links to other files are refused. Then every part is inflated in bounded chunks and its
bytes searched for ``<!DOCTYPE`` and ``<!ENTITY`` (also UTF-16 encoded): a spreadsheet
never needs a document type, and every XML entity attack (external entities reading
local files, billion laughs) needs one. Only then may openpyxl open the bytes; it also
parses through defusedxml when that is installed, a second, independent layer.

JSON. ``json.loads`` recurses once per nesting level; 100,000 ``[`` raise RecursionError,
and a few hundred levels can still exhaust code that walks the result. Nesting is counted
with a regular expression before parsing and refused beyond :data:`MAX_JSON_DEPTH` (a
Kaimen export nests 9 levels).

CSV. Rows are read one at a time with caps on lines, filled rows and columns, so a file
of two million empty lines or one giant line is refused without building a table of it.

Messages are translatable and say what to do; every refusal lists all its reasons.
"""

from __future__ import annotations

import csv
import io
import json
import re
import struct
import zipfile
import zlib
from pathlib import PurePath, PureWindowsPath

from flask.json.provider import DefaultJSONProvider
from flask_babel import lazy_gettext as _l

#: More parts than this is not a spreadsheet anyone typed.
MAX_PARTS = 500
#: Bytes of the zip directory; ``zipfile`` builds an object per entry before anyone can count them.
MAX_DIRECTORY_BYTES = MAX_PARTS * 1024
#: Declared unpacked size of the whole package. Worksheets are streamed, but openpyxl reads
#: the shared strings, styles and workbook parts whole, so the total is kept modest.
MAX_UNPACKED_BYTES = 64 * 1024 * 1024
#: Declared unpacked size of any one part (a 50,000-row list is about 5 MB of sheet XML).
MAX_PART_BYTES = 16 * 1024 * 1024
#: A part that unpacks to more than this many times its packed size is a zip bomb...
MAX_RATIO = 100
#: ...when it is larger than this unpacked (small parts of repeated XML compress very well).
RATIO_FLOOR_BYTES = 1024 * 1024
#: Parts are inflated and searched this many bytes at a time.
SCAN_CHUNK_BYTES = 64 * 1024

#: Deepest JSON nesting accepted anywhere.
MAX_JSON_DEPTH = 64

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
#: The zip's end-of-central-directory record: signature, disks, entries (twice), directory size and offset,
#: comment length. ZIP64 archives put 0xFFFF/0xFFFFFFFF here; none of that size is accepted.
_END_RECORD = struct.Struct("<4s4H2LH")
_END_SIGNATURE = b"PK\x05\x06"
_MACRO_SUFFIXES = (".xlsm", ".xltm", ".xlam")
#: Markup that declares a document type or entities, lower-cased, as ASCII/UTF-8 and UTF-16.
_DTD_MARKERS = tuple(marker.encode(encoding) for marker in ("<!doctype", "<!entity")
                     for encoding in ("ascii", "utf-16-le", "utf-16-be"))
_OVERLAP = max(len(marker) for marker in _DTD_MARKERS) - 1
#: Content types (lower-cased) of macro-bearing workbooks and of ActiveX controls.
_MACRO_CONTENT = (b"macroenabled", b"vbaproject")
_ACTIVEX_CONTENT = b"activex"
#: A JSON string with its escapes. It always matches from its quote: an unterminated string runs to
#: the end of the text (json.loads stops there too), so removing strings takes one linear pass.
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\(?:.|\Z)[^"\\]*)*(?:"|\Z)', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


class UploadRefused(ValueError):
    """An upload that is refused whole; ``reasons`` says why, one line each."""

    def __init__(self, reasons: list[str] | tuple[str, ...]):
        self.reasons = tuple(str(reason) for reason in reasons)
        super().__init__("; ".join(self.reasons))


# --------------------------------------------------------------------------- spreadsheets

def check_workbook_package(data: bytes, *, filename: str | None = None,
                           max_unpacked: int = MAX_UNPACKED_BYTES) -> None:
    """Refuse anything but a plain .xlsx package, without inflating more than one chunk at a time.

    Raises :class:`UploadRefused`. ``filename`` (as the browser or the command line gave it)
    adds the macro-enabled file types to what is refused.
    """
    if data.startswith(_OLE_MAGIC):
        raise UploadRefused([_l("this is an old-style .xls file or an encrypted workbook; save it as an .xlsx "
                                "workbook")])
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise UploadRefused([_l("this is not an .xlsx workbook (it is not a zip package)")])
    directory = _directory_size(data)
    if directory is None:
        raise UploadRefused([_l("the package uses ZIP64 sizes, which no spreadsheet of this size needs")])
    if directory > MAX_DIRECTORY_BYTES:
        raise UploadRefused([_l("the package directory is %(size)d bytes; the limit is %(limit)d bytes",
                                size=directory, limit=MAX_DIRECTORY_BYTES)])
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            infos = package.infolist()
            _check_directory(infos, filename, max_unpacked)
            _scan_parts(package, infos)
    except UploadRefused:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, EOFError, OSError,
            ValueError, zlib.error) as exc:
        raise UploadRefused([_l("the workbook package is damaged: %(error)s", error=str(exc))]) from None


def _directory_size(data: bytes) -> int | None:
    """The central directory's declared size (what ``zipfile`` will parse), from the end record;
    None when the record defers to ZIP64 sizes (only needed past 65,535 parts or 4 GB)."""
    start = data.rfind(_END_SIGNATURE, max(0, len(data) - _END_RECORD.size - 0xFFFF))
    if start < 0 or start + _END_RECORD.size > len(data):
        return 0  # zipfile finds no directory either and says so
    _sig, _disk, _cd_disk, _here, entries, size, offset, _comment = _END_RECORD.unpack_from(data, start)
    if entries == 0xFFFF or size == 0xFFFFFFFF or offset == 0xFFFFFFFF:
        return None
    return size


def _check_directory(infos: list[zipfile.ZipInfo], filename: str | None, max_unpacked: int) -> None:
    """What the central directory alone tells: counts, declared sizes, ratios and part names."""
    reasons: list = []
    if len(infos) > MAX_PARTS:
        reasons.append(_l("the package holds %(n)d parts; the limit is %(limit)d", n=len(infos), limit=MAX_PARTS))
    unpacked = sum(info.file_size for info in infos)
    if unpacked > max_unpacked:
        reasons.append(_l("the package unpacks to %(size)d bytes; the limit is %(limit)d bytes", size=unpacked,
                          limit=max_unpacked))
    for info in infos:
        if info.file_size > MAX_PART_BYTES:
            reasons.append(_l("the part %(part)s unpacks to %(size)d bytes; the limit is %(limit)d bytes",
                              part=info.filename[:100], size=info.file_size, limit=MAX_PART_BYTES))
        elif info.file_size > RATIO_FLOOR_BYTES and info.file_size > MAX_RATIO * info.compress_size:
            reasons.append(_l("the part %(part)s unpacks to %(ratio)d times its packed size (a zip bomb); the "
                              "limit is %(limit)d", part=info.filename[:100],
                              ratio=info.file_size // max(info.compress_size, 1), limit=MAX_RATIO))
        if info.flag_bits & 0x1:
            reasons.append(_l("the part %(part)s is encrypted; save the workbook without a password",
                              part=info.filename[:100]))
    names = [info.filename.lower() for info in infos]
    if any(name.endswith("vbaproject.bin") for name in names):
        reasons.append(_MACROS)
    elif filename and _suffix(filename) in _MACRO_SUFFIXES:
        reasons.append(_MACRO_ENABLED)
    if any(name.startswith("xl/externallinks/") for name in names):
        reasons.append(_l("the workbook links to other files (external links); remove the links and save again"))
    if any(name.startswith(("xl/activex/", "xl/embeddings/")) for name in names):
        reasons.append(_EMBEDDED)
    if "xl/workbook.xml" not in names:
        reasons.append(_l("the package has no workbook part (xl/workbook.xml); is it really an .xlsx file?"))
    if reasons:
        raise UploadRefused(_unique(reasons))


def _scan_parts(package: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> None:
    """Inflate each part chunk by chunk; refuse DTDs anywhere and macro or ActiveX content types."""
    reasons: list = []
    for info in infos:
        if info.is_dir():
            continue
        content_types = info.filename == "[Content_Types].xml"
        tail = b""
        with package.open(info) as part:
            while chunk := part.read(SCAN_CHUNK_BYTES):
                window = (tail + chunk).lower()
                if any(marker in window for marker in _DTD_MARKERS):
                    reasons.append(_l("the part %(part)s declares a document type or entities (<!DOCTYPE or "
                                      "<!ENTITY>), which a spreadsheet never needs; it is refused as unsafe",
                                      part=info.filename[:100]))
                    break
                if content_types and any(marker in window for marker in _MACRO_CONTENT):
                    reasons.append(_MACRO_ENABLED)
                if content_types and _ACTIVEX_CONTENT in window:
                    reasons.append(_EMBEDDED)
                tail = window[-_OVERLAP:]
    if reasons:
        raise UploadRefused(_unique(reasons))


_MACROS = _l("the workbook contains macros (vbaProject.bin); save it as a plain .xlsx without macros")
_MACRO_ENABLED = _l("the workbook is macro-enabled (.xlsm, .xltm or .xlam); save it as a plain .xlsx without "
                    "macros")
_EMBEDDED = _l("the workbook contains embedded objects or ActiveX controls; remove them and save again")


def _suffix(filename: str) -> str:
    return PurePath(PureWindowsPath(filename).name).suffix.lower()


def _unique(reasons: list) -> list[str]:
    """Each reason once, in order (a macro workbook shows macros in its names and content types)."""
    return list(dict.fromkeys(str(reason) for reason in reasons))


# --------------------------------------------------------------------------- JSON

class JSONTooDeep(ValueError):
    """JSON nested deeper than allowed; a ``ValueError``, as every other unreadable JSON."""

    def __init__(self, limit: int):
        self.limit = limit
        super().__init__(str(_l("the JSON is nested more than %(n)d levels deep", n=limit)))


def check_json_depth(text: str, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Raise :class:`JSONTooDeep` when brackets outside strings nest deeper than ``max_depth``."""
    if text.count("[") + text.count("{") <= max_depth:
        return  # cannot be deeper: most bodies stop here
    depth = 0
    for bracket in _NOT_BRACKET.sub("", _JSON_STRING.sub("", text)):
        if bracket in "[{":
            depth += 1
            if depth > max_depth:
                raise JSONTooDeep(max_depth)
        else:
            depth -= 1  # below zero only in invalid JSON, which json.loads refuses at that bracket


def load_json(data: str | bytes | bytearray, *, max_depth: int = MAX_JSON_DEPTH, **kwargs) -> object:
    """``json.loads`` that refuses deep nesting with :class:`JSONTooDeep` instead of recursing.

    Bytes are decoded as ``json.loads`` decodes them (UTF-8, -16 or -32); keyword arguments
    go to ``json.loads``. Every failure is a ``ValueError`` (``JSONDecodeError``,
    ``UnicodeDecodeError`` or :class:`JSONTooDeep`).
    """
    if isinstance(data, (bytes, bytearray)):
        data = bytes(data).decode(json.detect_encoding(data), "surrogatepass")
    check_json_depth(data, max_depth)
    try:
        return json.loads(data, **kwargs)
    except RecursionError:  # a hook or a tighter recursion limit; the count above should prevent it
        raise JSONTooDeep(max_depth) from None


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON with the depth guard, so ``request.get_json()`` answers 400, not RecursionError.

    Flask-WTF reads a JSON body through ``request.get_json`` when a form is posted as JSON;
    Flask turns the ``ValueError`` raised here into a 400 Bad Request. Install with
    ``app.json = BoundedJSONProvider(app)``.
    """

    max_depth = MAX_JSON_DEPTH

    def loads(self, s: str | bytes, **kwargs) -> object:
        return load_json(s, max_depth=self.max_depth, **kwargs)


# --------------------------------------------------------------------------- CSV

def read_csv_table(text: str, *, max_rows: int, max_columns: int,
                   max_records: int | None = None) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header cells and the non-empty data rows as (row number, stripped cells), as a sheet reads.

    Rows are numbered as a spreadsheet program shows the file. Read record by record: more
    than ``max_records`` rows (default ten times ``max_rows``, empty ones included),
    ``max_rows`` filled rows or ``max_columns`` filled columns, or a row the csv module
    cannot read (a cell beyond its field limit), refuse the whole file.
    """
    max_records = max_records if max_records is not None else max_rows * 10
    reader = csv.reader(io.StringIO(text))
    headers: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    try:
        for number, record in enumerate(reader, start=1):
            if number > max_records:
                raise UploadRefused([_l("The file has more than %(n)d lines.", n=max_records)])
            width = len(record)
            while width and not record[width - 1].strip():
                width -= 1
            if width > max_columns:
                raise UploadRefused([_l("row %(row)d has more than %(n)d columns", row=number, n=max_columns)])
            cells = [cell.strip() for cell in record[:width]]
            if headers is None:
                headers = cells
            elif cells:
                rows.append((number, cells))
                if len(rows) > max_rows:
                    raise UploadRefused([_l("The list has more than %(n)d rows.", n=max_rows)])
    except csv.Error as exc:
        raise UploadRefused([_l("The CSV file cannot be read at line %(line)d: %(error)s", line=reader.line_num,
                                error=str(exc))]) from None
    return headers or [], rows
