"""A criteria framework as an .xlsx workbook, both ways, without the database.

The workbook has two sheets. ``criteria`` has one row per criterion, with its area's code,
titles and weight repeated on each row of the area (so the sheet can be sorted and filtered
freely); an area's cells may also be left empty on all but one of its rows, as merged cells
leave them, but two different values for one area are refused, naming the area and the rows.
A row that fills only the area's columns declares an area that has no criteria yet (a draft).
``framework`` has the title and the total under a header row.

Reading goes through ``forms.questionnaire.workbook`` (size caps, no macros or external
links, defusedxml, cached values only). Everything wrong is reported at once, row by row,
and nothing is returned: the caller stores nothing. Whether the numbers add up is not
checked here but by ``survey.services.frameworks.check_framework``, which names the area.

Writing puts text cells as text, never as formulas, and numbers as numbers. Export then
import gives back an equal spec.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from openpyxl import Workbook

from forms.questionnaire import workbook

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 1000
MAX_COLUMNS = 40

CRITERIA_SHEET = "criteria"
FRAMEWORK_SHEET = "framework"

AREA_COLUMNS = ("area_code", "area_title_zh", "area_title_en", "area_weight")
GUIDANCE_COLUMNS = tuple(
    f"guidance_{level}_{language}" for language in ("zh", "en") for level in ("full", "partial", "none")
)
CRITERION_COLUMNS = ("code", "title_zh", "title_en", "max_points", "step", *GUIDANCE_COLUMNS)
COLUMNS = AREA_COLUMNS + CRITERION_COLUMNS
#: Columns a sheet may leave out: their cells are then empty.
OPTIONAL_COLUMNS = frozenset({"area_title_en", "title_en", *GUIDANCE_COLUMNS})
NUMBER_COLUMNS = frozenset({"area_weight", "max_points", "step"})
FRAMEWORK_COLUMNS = ("title_zh", "title_en", "total")
GUIDANCE_LEVELS = ("full", "partial", "none")
LANGUAGES = ("zh", "en")

#: Area and criterion codes: short, stable, safe in URLs and file names ("A01", "A01.1").
CODE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,19}")
#: A framework's own code, used on the command line ("xicheng-2014").
FRAMEWORK_CODE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")


class FrameworkSheetError(ValueError):
    """A workbook that is refused; ``reasons`` lists every problem, one line each."""

    def __init__(self, reasons: list[str]):
        super().__init__("; ".join(reasons))
        self.reasons = list(reasons)


@dataclass(frozen=True)
class SheetResult:
    """The spec read from a workbook, with where each area and criterion came from."""

    spec: dict
    area_rows: dict[str, tuple[int, ...]]  #: area code -> its rows on the criteria sheet
    criterion_rows: dict[str, int]  #: criterion code -> its row on the criteria sheet


def canonical_number(value: float) -> int | float:
    """Whole numbers as int (10, not 10.0), so a spec compares equal after any round trip."""
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    value = float(value)
    return int(value) if value.is_integer() else value


def parse_number(text: str) -> int | float | None:
    """A finite number from a cell's text, or None when it is not one."""
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return canonical_number(value) if math.isfinite(value) else None


# --------------------------------------------------------------------------- reading

def read_framework_sheet(data: bytes, *, max_bytes: int = MAX_BYTES) -> SheetResult:
    """The framework in the workbook, or FrameworkSheetError naming every bad row."""
    if len(data) > max_bytes:
        raise FrameworkSheetError([str(_l("The file is larger than %(n)d bytes.", n=max_bytes))])
    try:
        workbook.check_package(data, max_bytes)
        book = workbook.open_workbook(data)
        sheets = {ws.title.strip().lower(): ws for ws in book.worksheets}
        missing = [name for name in (CRITERIA_SHEET, FRAMEWORK_SHEET) if name not in sheets]
        if missing:
            found = ", ".join(f"'{ws.title}'" for ws in book.worksheets) or "-"
            raise FrameworkSheetError([
                str(_l("the workbook has no '%(sheet)s' sheet (its sheets: %(found)s)", sheet=name, found=found))
                for name in missing
            ])
        criteria_table = workbook.read_sheet(sheets[CRITERIA_SHEET], MAX_ROWS, MAX_COLUMNS)
        framework_table = workbook.read_sheet(sheets[FRAMEWORK_SHEET], 10, MAX_COLUMNS)
    except workbook.WorkbookError as exc:
        raise FrameworkSheetError(list(exc.reasons)) from None
    reasons: list[str] = []
    header = _framework_header(*framework_table, reasons)
    areas, area_rows, criterion_rows = _criteria(*criteria_table, reasons)
    if reasons:
        raise FrameworkSheetError(reasons)
    spec = {"title": header["title"], "total": header["total"], "areas": areas}
    return SheetResult(spec, area_rows, criterion_rows)


def _columns(sheet: str, headers: list[str], rows, known: tuple[str, ...], optional: frozenset[str],
             reasons: list[str]) -> dict[str, int] | None:
    """Column name -> index, or None (with reasons) when the header row is not usable."""
    columns: dict[str, int] = {}
    bad = False
    for index, header in enumerate(headers):
        name = header.strip().lower()
        if not name:
            if any(index < len(cells) and cells[index] for _, cells in rows):
                reasons.append(str(_l("sheet '%(sheet)s': column %(n)d has values but no header", sheet=sheet,
                                      n=index + 1)))
                bad = True
            continue
        if name not in known:
            reasons.append(str(_l("sheet '%(sheet)s': unknown column '%(column)s'", sheet=sheet, column=header)))
            bad = True
        elif name in columns:
            reasons.append(str(_l("sheet '%(sheet)s': column '%(column)s' appears twice", sheet=sheet,
                                  column=name)))
            bad = True
        else:
            columns[name] = index
    for name in known:
        if name not in columns and name not in optional:
            reasons.append(str(_l("sheet '%(sheet)s': column '%(column)s' is missing", sheet=sheet, column=name)))
            bad = True
    return None if bad else columns


def _cell(cells: list[str], columns: dict[str, int], name: str) -> str:
    index = columns.get(name)
    return cells[index].strip() if index is not None and index < len(cells) else ""


def _framework_header(headers, rows, reasons: list[str]) -> dict:
    columns = _columns(FRAMEWORK_SHEET, headers, rows, FRAMEWORK_COLUMNS, frozenset({"title_zh", "title_en"}),
                       reasons)
    result = {"title": {"zh": "", "en": ""}, "total": None}
    if columns is None:
        return result
    if len(rows) != 1:
        reasons.append(str(_l("sheet '%(sheet)s' needs exactly one row under its headers; it has %(n)d",
                              sheet=FRAMEWORK_SHEET, n=len(rows))))
        return result
    number, cells = rows[0]
    result["title"] = {lang: _cell(cells, columns, f"title_{lang}") for lang in LANGUAGES}
    text = _cell(cells, columns, "total")
    if not text:
        reasons.append(str(_l("sheet '%(sheet)s' row %(row)d: total is empty", sheet=FRAMEWORK_SHEET, row=number)))
    elif (total := parse_number(text)) is None:
        reasons.append(str(_l("sheet '%(sheet)s' row %(row)d: total '%(value)s' is not a number",
                              sheet=FRAMEWORK_SHEET, row=number, value=text)))
    else:
        result["total"] = total
    return result


def _number_cell(number: int, column: str, text: str, reasons: list[str]) -> int | float | None:
    if not text:
        reasons.append(str(_l("row %(row)d: %(column)s is empty", row=number, column=column)))
        return None
    value = parse_number(text)
    if value is None:
        reasons.append(str(_l("row %(row)d: %(column)s '%(value)s' is not a number", row=number, column=column,
                              value=text)))
    return value


@dataclass
class _AreaDraft:
    code: str
    rows: list[int]
    values: dict[str, list[tuple[str, int]]]  #: area column -> (cell text, row) for filled cells
    criteria: list[dict]
    bad_weight: bool = False  #: a weight cell that is not a number (already reported)


def _criteria(headers, rows, reasons: list[str]):
    columns = _columns(CRITERIA_SHEET, headers, rows, COLUMNS, OPTIONAL_COLUMNS, reasons)
    if columns is None:
        return [], {}, {}
    if not rows:
        reasons.append(str(_l("sheet '%(sheet)s' has no rows under its headers", sheet=CRITERIA_SHEET)))
        return [], {}, {}
    drafts: dict[str, _AreaDraft] = {}
    criterion_rows: dict[str, int] = {}
    for number, cells in rows:
        get = {name: _cell(cells, columns, name) for name in COLUMNS}
        area_code = get["area_code"]
        if not area_code:
            reasons.append(str(_l("row %(row)d: area_code is empty", row=number)))
            continue
        draft = drafts.setdefault(area_code, _AreaDraft(area_code, [], {name: [] for name in AREA_COLUMNS[1:]}, []))
        draft.rows.append(number)
        for name in AREA_COLUMNS[1:]:
            if name == "area_weight" and get[name] and parse_number(get[name]) is None:
                draft.bad_weight = True
                reasons.append(str(_l("row %(row)d: %(column)s '%(value)s' is not a number", row=number,
                                      column=name, value=get[name])))
            elif get[name]:
                draft.values[name].append((get[name], number))
        if not any(get[name] for name in CRITERION_COLUMNS):
            continue  # the area's own row: an area without criteria yet
        code = get["code"]
        if not code:
            reasons.append(str(_l("row %(row)d: code is empty", row=number)))
        elif code in criterion_rows:
            reasons.append(str(_l("row %(row)d: code '%(code)s' is already used on row %(first)d", row=number,
                                  code=code, first=criterion_rows[code])))
        else:
            criterion_rows[code] = number
        maximum = _number_cell(number, "max_points", get["max_points"], reasons)
        step = _number_cell(number, "step", get["step"], reasons)
        draft.criteria.append({
            "code": code,
            "title": {lang: get[f"title_{lang}"] for lang in LANGUAGES},
            "max_points": maximum,
            "step": step,
            "guidance": {level: {lang: get[f"guidance_{level}_{lang}"] for lang in LANGUAGES}
                         for level in GUIDANCE_LEVELS},
        })
    areas = []
    for draft in drafts.values():
        weight = _area_value(draft, "area_weight", reasons, required=not draft.bad_weight)
        areas.append({
            "code": draft.code,
            "title": {lang: _area_value(draft, f"area_title_{lang}", reasons) or "" for lang in LANGUAGES},
            "weight": parse_number(weight) if weight else None,
            "criteria": draft.criteria,
        })
    return areas, {d.code: tuple(d.rows) for d in drafts.values()}, criterion_rows


def _rows_text(rows: list[int]) -> str:
    return (str(_l("row %(row)d", row=rows[0])) if len(rows) == 1
            else str(_l("rows %(rows)s", rows=", ".join(str(r) for r in rows))))


def _area_value(draft: _AreaDraft, column: str, reasons: list[str], required: bool = False) -> str | None:
    """The one value an area column has over the area's rows, or None with a reason."""
    filled = draft.values[column]
    if not filled:
        if required:
            reasons.append(str(_l("area %(area)s: %(column)s is empty (%(rows)s)", area=draft.code, column=column,
                                  rows=_rows_text(draft.rows))))
        return None
    groups: dict[object, tuple[str, list[int]]] = {}
    for text, row in filled:
        key = parse_number(text) if column in NUMBER_COLUMNS else text
        groups.setdefault(key, (text, []))[1].append(row)
    if len(groups) > 1:
        parts = "; ".join(f"{text if column in NUMBER_COLUMNS else repr(text)} on {_rows_text(rows)}"
                          for text, rows in groups.values())
        reasons.append(str(_l("area %(area)s: %(column)s differs between rows: %(parts)s", area=draft.code,
                              column=column, parts=parts)))
        return None
    return filled[0][0]


# --------------------------------------------------------------------------- writing

def _text_of(value: object) -> str:
    return value if isinstance(value, str) else ""


def _localized(value: object, language: str) -> str:
    return _text_of(value.get(language)) if isinstance(value, dict) else ""


def _number_of(value: object) -> int | float | str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return canonical_number(value)
    return "" if value is None else str(value)


def _criterion_cells(criterion: dict) -> dict[str, object]:
    guidance = criterion.get("guidance") if isinstance(criterion.get("guidance"), dict) else {}
    cells: dict[str, object] = {
        "code": _text_of(criterion.get("code")),
        "max_points": _number_of(criterion.get("max_points")),
        "step": _number_of(criterion.get("step")),
    }
    for lang in LANGUAGES:
        cells[f"title_{lang}"] = _localized(criterion.get("title"), lang)
        for level in GUIDANCE_LEVELS:
            cells[f"guidance_{level}_{lang}"] = _localized(guidance.get(level), lang)
    return cells


def _put(sheet, row: int, columns: tuple[str, ...], cells: dict[str, object]) -> None:
    for column, name in enumerate(columns, start=1):
        value = cells.get(name, "")
        if value == "" or value is None:
            continue
        cell = sheet.cell(row=row, column=column, value=value)
        if isinstance(value, str):
            cell.data_type = "s"  # text stays text: "=..." never becomes a formula


_WIDTHS = {"area_title_zh": 16, "area_title_en": 22, "title_zh": 40, "title_en": 40}


def write_framework_sheet(spec: dict) -> bytes:
    """The spec as .xlsx bytes: sheets ``criteria`` and ``framework``."""
    book = Workbook()
    criteria = book.active
    criteria.title = CRITERIA_SHEET
    criteria.append(list(COLUMNS))
    row = 1
    for area in spec.get("areas") or []:
        area_cells = {
            "area_code": _text_of(area.get("code")),
            "area_title_zh": _localized(area.get("title"), "zh"),
            "area_title_en": _localized(area.get("title"), "en"),
            "area_weight": _number_of(area.get("weight")),
        }
        for criterion in area.get("criteria") or [None]:  # an area without criteria gets its own row
            row += 1
            _put(criteria, row, COLUMNS, {**area_cells, **(_criterion_cells(criterion) if criterion else {})})
    for index, name in enumerate(COLUMNS, start=1):
        width = _WIDTHS.get(name, 30 if name.startswith("guidance") else 12)
        criteria.column_dimensions[criteria.cell(row=1, column=index).column_letter].width = width
    criteria.freeze_panes = "A2"
    framework = book.create_sheet(FRAMEWORK_SHEET)
    framework.append(list(FRAMEWORK_COLUMNS))
    _put(framework, 2, FRAMEWORK_COLUMNS, {
        "title_zh": _localized(spec.get("title"), "zh"),
        "title_en": _localized(spec.get("title"), "en"),
        "total": _number_of(spec.get("total")),
    })
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
