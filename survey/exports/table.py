"""The rectangular table every export writes: one row per response, one column per variable.

Columns are five facts about the response (``response_id``, ``version``,
``submitted_on``, ``unit_code``, ``sub_district_code``) followed by the questionnaire's
codebook variables in reading order (``forms.questionnaire.codebook``): codes,
0/1 ticks, ranks and scale values as whole numbers, numbers as numbers, dates
as dates, texts as texts. Cells are built a chunk of the answer matrix at a
time, column by column with numpy, so writers stay in constant memory.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select

from forms.questionnaire.codebook import Codebook, Variable, VariableKind
from forms.questionnaire.spec import LocalizedText
from survey.extensions import db
from survey.models import OrgLevel, OrgUnit
from survey.services.answer_columns import AnswerMatrix

#: Text cells starting with one of these are read as formulas by spreadsheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str | None) -> str | None:
    """Prefix formula-looking text with a single quote so a spreadsheet shows it as text."""
    if value and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


@dataclass(frozen=True)
class Column:
    """One export column; ``cell`` is int, float, date or text; ``variable`` for answer columns."""

    name: str
    label: LocalizedText
    cell: str
    variable: Variable | None = None
    #: For the columns about the response: which fact (``response_id``, ``version``, ...).
    fact: str | None = None

    @property
    def numeric(self) -> bool:
        return self.cell in ("int", "float")


META_COLUMNS = tuple(
    Column(name, label, cell, fact=name)
    for name, label, cell in (
        ("response_id", LocalizedText("答卷编号", "Response number"), "int"),
        ("version", LocalizedText("问卷版本", "Questionnaire version"), "int"),
        ("submitted_on", LocalizedText("提交日期", "Day submitted"), "date"),
        ("unit_code", LocalizedText("所在单位代码", "Unit code"), "text"),
        ("sub_district_code", LocalizedText("所在街道代码", "Sub-district code"), "text"),
    )
)


def _cell_type(variable: Variable) -> str:
    if variable.kind is VariableKind.DATE:
        return "date"
    if not variable.numeric:
        return "text"
    if variable.kind is VariableKind.NUMBER and not variable.integer:
        return "float"
    return "int"


def export_columns(codebook: Codebook) -> list[Column]:
    taken = {v.name.casefold() for v in codebook.variables}
    meta = []
    for column in META_COLUMNS:  # a variable with the same name keeps it; the fact gets a suffix
        name = column.name
        while name.casefold() in taken:
            name += "_"
        taken.add(name.casefold())
        meta.append(Column(name, column.label, column.cell, fact=column.fact))
    return meta + [Column(v.name, v.label, _cell_type(v), v) for v in codebook.variables]


class UnitCodes:
    """Unit id -> (unit code, code of its sub-district federation)."""

    def __init__(self) -> None:
        rows = db.session.execute(select(OrgUnit.id, OrgUnit.code, OrgUnit.parent_id, OrgUnit.level)).all()
        parent = {uid: pid for uid, _code, pid, _level in rows}
        level = {uid: lvl for uid, _code, _pid, lvl in rows}
        self.code = {uid: code for uid, code, _pid, _level in rows}
        self.sub_district: dict[int, str | None] = {}
        for uid in self.code:
            node: int | None = uid
            while node is not None and level.get(node) is not OrgLevel.SUB_DISTRICT:
                node = parent.get(node)
            self.sub_district[uid] = self.code[node] if node is not None else None

    def longest(self) -> int:
        return max((len(c.encode("utf-8")) for c in self.code.values()), default=1)


def _ints(column: np.ndarray) -> list:
    missing = np.isnan(column)
    cells = np.where(missing, 0, column).astype(np.int64).astype(object)
    if missing.any():
        cells[missing] = None
    return cells.tolist()


def _floats(column: np.ndarray) -> list:
    cells = column.astype(object)
    missing = np.isnan(column)
    if missing.any():
        cells[missing] = None
    return cells.tolist()


def _dates(days: np.ndarray, as_text: bool) -> list:
    """Days since 1970 (float, nan = missing) or datetime64[D] as ISO text or ``date`` objects."""
    if days.dtype.kind == "f":
        missing = np.isnan(days)
        stamps = np.where(missing, 0, days).astype(np.int64).astype("datetime64[D]")
    else:
        missing = np.isnat(days)
        stamps = days.astype("datetime64[D]")
    cells = stamps.astype(str).astype(object) if as_text else stamps.astype(object)
    if missing.any():
        cells[missing] = None
    return cells.tolist()


def chunk_cells(
    chunk: AnswerMatrix,
    columns: list[Column],
    units: UnitCodes,
    *,
    dates_as_text: bool,
    text: Callable[[str | None], str | None] | None = None,
) -> list[list]:
    """The chunk's cells column by column (lists of Python values, ``None`` = empty).

    ``text`` transforms every text cell (e.g. :func:`neutralise`).
    """
    values, rows = chunk.values, chunk.rows
    unit_ids = rows.unit_id.tolist()
    texts = rows.texts or [None] * len(unit_ids)
    out: list[list] = []
    for column in columns:
        v = column.variable
        if v is None:
            if column.fact == "submitted_on":
                cells = _dates(rows.submitted_on, dates_as_text)
            elif column.fact == "response_id":
                cells = rows.response_id.tolist()
            elif column.fact == "version":
                cells = rows.version.tolist()
            elif column.fact == "unit_code":
                cells = [units.code.get(u) for u in unit_ids]
            else:
                cells = [units.sub_district.get(u) for u in unit_ids]
        elif v.slot is None:
            name = v.name
            cells = [t.get(name) if t else None for t in texts]
        elif column.cell == "date":
            cells = _dates(values[:, v.slot], dates_as_text)
        elif column.cell == "float":
            cells = _floats(values[:, v.slot])
        else:
            cells = _ints(values[:, v.slot])
        if text is not None and column.cell == "text":
            cells = [text(c) if c is not None else None for c in cells]
        out.append(cells)
    return out


def value_labels_text(variable: Variable | None, locale: str) -> str:
    """``1 = 男; 2 = 女`` for the codebook sheet."""
    if variable is None:
        return ""
    return "; ".join(f"{code} = {label.get(locale)}" for code, label in variable.value_labels)


def kind_name(column: Column) -> str:
    return column.variable.kind.value if column.variable is not None else "response"


def labels_by_name(columns: list[Column], locale: str) -> Mapping[str, str]:
    return {c.name: c.label.get(locale) for c in columns}
