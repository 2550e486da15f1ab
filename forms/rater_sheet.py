"""Read an uploaded rater list: one row per person in a round's rater pool.

Database-free: this module checks what the file alone can tell (columns,
empty cells, rater types, lengths, the same person twice in the file) and
reports every bad row at once; unit codes, accounts and people already in the
pool are checked by ``survey.services.raters``. Accepts CSV (UTF-8, with or
without Excel's BOM) or an .xlsx workbook opened through the safe path of
``forms.questionnaire.workbook``. Columns are found by their header, in
English or Chinese:

=============  ==========================================  ========
column         also accepted                               required
=============  ==========================================  ========
name           姓名                                         yes
rater_type     type, 类型, 评议人类型, 身份                  yes
home_unit      unit, unit_code, 单位编码, 所在单位, 单位      yes
industry       行业                                         no
panel          group, 小组, 组别                            no
username       account, 账号, 用户名                        no
=============  ==========================================  ========

``rater_type`` takes the values ``worker_representative``, ``union_chair``,
``model_worker`` and ``other``, their Chinese names (职工代表, 工会主席, 劳模,
其他) or the English words ("union chair").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from forms import uploads
from forms.questionnaire import workbook

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 2000
MAX_COLUMNS = 30

#: Canonical column name -> header texts accepted for it (compared lower-case, trimmed).
COLUMNS = {
    "name": {"name", "姓名"},
    "rater_type": {"rater_type", "rater type", "type", "类型", "评议人类型", "身份"},
    "home_unit": {"home_unit", "home unit", "unit", "unit_code", "单位编码", "所在单位", "单位"},
    "industry": {"industry", "行业"},
    "panel": {"panel", "group", "小组", "组别"},
    "username": {"username", "account", "账号", "用户名"},
}
REQUIRED = ("name", "rater_type", "home_unit")

#: The rater types (values of ``survey.models.RaterType``) with every spelling accepted.
RATER_TYPES = {
    "worker_representative": {"worker_representative", "worker representative", "职工代表"},
    "union_chair": {"union_chair", "union chair", "工会主席"},
    "model_worker": {"model_worker", "model worker", "劳模", "劳动模范"},
    "other": {"other", "其他"},
}
_TYPE_BY_SPELLING = {spelling: value for value, spellings in RATER_TYPES.items() for spelling in spellings}

#: Longest accepted text per column (the database's column widths).
MAX_LENGTHS = {"name": 120, "home_unit": 40, "industry": 80, "panel": 40, "username": 80}


class RaterSheetError(ValueError):
    """The list is refused; ``reasons`` says why, row by row."""

    def __init__(self, reasons: list[str]):
        super().__init__("; ".join(reasons))
        self.reasons = reasons


@dataclass(frozen=True)
class RaterRow:
    row: int  #: the spreadsheet's row number, for messages
    name: str
    rater_type: str  #: one of the keys of RATER_TYPES
    home_unit: str  #: a unit code, as written
    industry: str | None = None
    panel: str | None = None
    username: str | None = None  #: lower-case


def rater_type_value(text: str) -> str | None:
    """The rater type a cell names, or None when it names none."""
    key = re.sub(r"[\s_\-]+", " ", text.strip().lower())
    return _TYPE_BY_SPELLING.get(key) or _TYPE_BY_SPELLING.get(key.replace(" ", "_"))


def person_key(name: str, home_unit: str) -> tuple[str, str]:
    """Who counts as the same person: the same name (spaces ignored) in the same home unit."""
    return re.sub(r"\s+", "", name), home_unit.strip().upper()


def parse_rater_sheet(data: bytes, filename: str) -> list[RaterRow]:
    """The rows of the list, or RaterSheetError naming every bad row."""
    headers, rows = _read_table(data, filename)
    columns = _find_columns(headers)
    result: list[RaterRow] = []
    reasons: list[str] = []
    people: dict[tuple[str, str], int] = {}
    usernames: dict[str, int] = {}
    for number, cells in rows:
        values = {name: (cells[i].strip() if i < len(cells) else "") for name, i in columns.items()}
        problems = _row_problems(values)
        type_value = rater_type_value(values["rater_type"]) if values["rater_type"] else None
        if values["rater_type"] and type_value is None:
            problems.append(
                str(_l("unknown rater type '%(value)s' (use worker_representative/职工代表, union_chair/工会主席, "
                       "model_worker/劳模 or other/其他)", value=values["rater_type"]))
            )
        if not problems:
            key = person_key(values["name"], values["home_unit"])
            if key in people:
                problems.append(str(_l("%(name)s of %(unit)s is already on row %(row)d",
                                       name=values["name"], unit=values["home_unit"], row=people[key])))
            else:
                people[key] = number
            username = values.get("username", "").lower()
            if username:
                if username in usernames:
                    problems.append(str(_l("the account %(username)s is already on row %(row)d",
                                           username=username, row=usernames[username])))
                else:
                    usernames[username] = number
        if problems:
            reasons.extend(str(_l("row %(row)d: %(problem)s", row=number, problem=p)) for p in problems)
            continue
        result.append(RaterRow(
            row=number,
            name=values["name"],
            rater_type=type_value,
            home_unit=values["home_unit"].upper(),
            industry=values.get("industry") or None,
            panel=values.get("panel") or None,
            username=values.get("username", "").lower() or None,
        ))
    if reasons:
        raise RaterSheetError(reasons)
    if not result:
        raise RaterSheetError([str(_l("The list has no rows."))])
    return result


def _row_problems(values: dict[str, str]) -> list[str]:
    problems = []
    if not values["name"]:
        problems.append(str(_l("the name is empty")))
    if not values["rater_type"]:
        problems.append(str(_l("the rater type is empty")))
    if not values["home_unit"]:
        problems.append(str(_l("the home unit is empty (give the unit code)")))
    for column, limit in MAX_LENGTHS.items():
        if len(values.get(column, "")) > limit:
            problems.append(str(_l("the %(column)s is longer than %(n)d characters", column=column, n=limit)))
    return problems


def _find_columns(headers: list[str]) -> dict[str, int]:
    lowered = [h.strip().lower() for h in headers]
    columns: dict[str, int] = {}
    for name, spellings in COLUMNS.items():
        found = next((i for i, h in enumerate(lowered) if h in spellings), None)
        if found is not None:
            columns[name] = found
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        raise RaterSheetError([
            str(_l("The first row must name the columns name, rater_type and home_unit (optional: industry, panel, "
                   "username); missing: %(missing)s.", missing=", ".join(missing)))
        ])
    return columns


def _read_table(data: bytes, filename: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    if len(data) > MAX_BYTES:
        raise RaterSheetError([str(_l("The file is larger than %(n)d bytes.", n=MAX_BYTES))])
    if filename.lower().endswith(".xlsx") or data.startswith(b"PK"):
        try:
            workbook.check_package(data, MAX_BYTES, filename)
            book = workbook.open_workbook(data)
            return workbook.read_sheet(book.worksheets[0], MAX_ROWS, MAX_COLUMNS)
        except workbook.WorkbookError as exc:
            raise RaterSheetError(list(exc.reasons)) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RaterSheetError([str(_l("The file is neither UTF-8 CSV nor an .xlsx workbook."))]) from None
    try:
        return uploads.read_csv_table(text, max_rows=MAX_ROWS, max_columns=MAX_COLUMNS)
    except uploads.UploadRefused as exc:
        raise RaterSheetError(list(exc.reasons)) from None
