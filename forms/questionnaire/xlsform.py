"""Import an XLSForm workbook (KoboToolbox, ODK, SurveyCTO) into a Questionnaire.

The result carries a report with one line per thing Kaimen could not keep,
row by row (``survey row 7 (type 'geopoint', name 'loc'): Kaimen has no
location question; not imported``). A workbook that yields no questionnaire
at all raises :class:`XLSFormError` with every reason; nothing is returned
half-built. Decisions:

- Top-level groups become sections (pages); questions outside any group go
  to pages of their own (``page1``, ``page2``, ...). Nested groups are
  flattened into their section, their ``relevant`` joined to each inner
  question's condition with ``and``. Repeats are not imported.
- ``note`` rows become text: inside a group they are added to the section's
  description, outside any group to the questionnaire's description.
- ``relevant`` is parsed by ``conditions.parse``. Text it cannot parse, or a
  condition on a question that was not imported, is reported and the
  question is imported *without* the condition (shown to everyone) rather
  than lost.
- ``constraint`` becomes number bounds (``. >= 0 and . <= 120``), a text
  length (``string-length(.) <= 50``) or selection limits
  (``count-selected(.) <= 3``) when every part maps; otherwise it is reported
  and left out. ``required`` accepts yes/true/1/true() (any case).
- ``label``/``hint`` columns: ``label``, ``label::English (en)``,
  ``label:English``, ``label::中文`` …; only Chinese and English are kept. A
  plain ``label`` column is read in the settings' ``default_language`` when
  that is Chinese or English, else as Chinese if any plain text holds
  Chinese characters, else as English.
- ``range`` with whole-number ``start``/``end`` and ``step=1`` is a rating;
  ``text`` with appearance ``multiline`` is a long text; ``parameters``
  ``randomize=true`` shuffles options; ``or_other`` / ``or specify other``
  add an "other, please specify" option with id ``other``.
- Columns named ``kaimen_*`` carry what XLSForm cannot say (scale end labels,
  matrix groups, ranking top N, demographic tags, the other option); they are
  written by ``xlsform_export`` so that an export imports back unchanged.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from forms.questionnaire import conditions
from forms.questionnaire.conditions import And, Condition, ConditionError
from forms.questionnaire.ids import OPTION_ID_RULE, QUESTION_ID_RULE, is_option_id, is_question_id
from forms.questionnaire.spec import (
    LANGUAGES,
    Demographic,
    LocalizedText,
    MatrixRow,
    Option,
    Question,
    Questionnaire,
    QuestionType,
    Section,
    SpecError,
)
from forms.questionnaire.workbook import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_COLUMNS,
    DEFAULT_MAX_ROWS,
    WorkbookError,
    check_package,
    open_workbook,
    read_sheet,
    read_source,
)

#: Columns whose header may carry a language (``label::English (en)``).
LOCALIZED_COLUMNS = ("label", "hint", "kaimen_min_label", "kaimen_max_label", "kaimen_title")
_LANGUAGE_NAMES = {
    "zh": {"zh", "chinese", "中文", "汉语", "简体中文", "chinese (simplified)", "simplified chinese", "mandarin"},
    "en": {"en", "english", "eng"},
}
_CODE = re.compile(r"\(\s*([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)*\s*\)\s*$")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_YES = {"yes", "true", "1", "true()", "y"}
_NO = {"", "no", "false", "0", "false()", "n"}

_NOT_IMPORTED = {
    **dict.fromkeys(("geopoint", "geotrace", "geoshape", "start-geopoint"), "Kaimen has no location question"),
    **dict.fromkeys(("image", "photo", "audio", "video", "file", "background-audio", "background-video"),
                    "Kaimen has no file or media upload"),
    "barcode": "Kaimen has no barcode question",
    "calculate": "Kaimen has no calculated fields",
    "hidden": "Kaimen has no hidden fields",
    "acknowledge": "Kaimen has no acknowledge question",
    **dict.fromkeys(("time", "datetime"), "Kaimen has no time question"),
    **dict.fromkeys(("start", "end", "today", "deviceid", "subscriberid", "simserial", "phonenumber", "username",
                     "email", "audit"), "Kaimen collects no device or form metadata"),
    "trigger": "Kaimen has no trigger question",
    **dict.fromkeys(("xml-external", "csv-external"), "Kaimen has no external data"),
}
_IGNORED_REASONS = {
    "choice_filter": "Kaimen shows every option of the list",
    "appearance": "Kaimen chooses its own layout",
    "default": "Kaimen has no default answers",
    "calculation": "Kaimen has no calculated fields",
    "constraint_message": "Kaimen writes its own messages",
    "required_message": "Kaimen writes its own messages",
    "read_only": "Kaimen has no read-only questions",
    "trigger": "Kaimen has no triggers",
    "repeat_count": "Kaimen has no repeating groups",
}


class XLSFormError(WorkbookError):
    """An XLSForm that yields no questionnaire; ``reasons`` says why, row by row."""


@dataclass(frozen=True)
class XLSFormImport:
    """The imported questionnaire and what could not be kept, one line each."""

    questionnaire: Questionnaire
    report: tuple[str, ...]


def language_of(tag: str) -> str | None:
    """"zh" or "en" for a column language tag such as ``English (en)`` or ``中文``."""
    tag = tag.strip()
    match = _CODE.search(tag)
    if match:
        code = match.group(1).lower()
        return code if code in LANGUAGES else None
    lowered = tag.lower()
    return next((lang for lang, names in _LANGUAGE_NAMES.items() if lowered in names), None)


def _split_header(header: str) -> tuple[str, str | None]:
    """(base column, language tag or None) for ``label::English`` or ``label:English``."""
    lowered = header.strip().lower()
    for base in LOCALIZED_COLUMNS:
        for separator in ("::", ":"):
            if lowered.startswith(base + separator):
                return base, header.strip()[len(base) + len(separator):]
    return ("list_name" if lowered == "list name" else lowered), None


def _short(value: str, limit: int = 60) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


class _Sheet:
    """Rows of one sheet as dicts, with language-aware access and use tracking."""

    def __init__(self, name: str, headers: list[str], rows, default_language: Callable[[], str]):
        self.name = name
        self.headers = headers
        self.rows = rows
        self.default_language = default_language
        self.columns: dict[str, int] = {}
        self.localized: dict[str, list[tuple[str | None, int]]] = {}
        for index, header in enumerate(headers):
            if not header:
                continue
            base, tag = _split_header(header)
            if base in LOCALIZED_COLUMNS:
                self.localized.setdefault(base, []).append((tag, index))
            else:
                self.columns.setdefault(base, index)

    def has(self, column: str) -> bool:
        return column in self.columns

    def plain_texts(self) -> list[str]:
        """Every cell of a localized column without a language, for language guessing."""
        indexes = [i for entries in self.localized.values() for tag, i in entries if tag is None]
        return [cells[i] for _, cells in self.rows for i in indexes if i < len(cells)]


class _Row:
    def __init__(self, sheet: _Sheet, number: int, cells: list[str]):
        self.sheet = sheet
        self.number = number
        self.cells = cells
        self.used: set[int] = set()

    def get(self, column: str) -> str:
        index = self.sheet.columns.get(column)
        if index is None or index >= len(self.cells):
            return ""
        self.used.add(index)
        return self.cells[index]

    def text(self, base: str) -> LocalizedText:
        values = {"zh": "", "en": ""}
        for tag, index in self.sheet.localized.get(base, []):
            language = self.sheet.default_language() if tag is None else language_of(tag)
            if language is None or index >= len(self.cells):
                continue
            cell = self.cells[index]
            if cell and (not values[language] or tag is not None):
                values[language] = cell
                self.used.add(index)
            elif cell == "":
                self.used.add(index)
        return LocalizedText(**values)

    def leftovers(self) -> list[tuple[str, str]]:
        """(header, value) of filled cells nobody read, in column order."""
        return [(self.sheet.headers[i] if i < len(self.sheet.headers) else f"column {i + 1}", value)
                for i, value in enumerate(self.cells) if value and i not in self.used]


@dataclass
class _SectionDraft:
    id: str
    title: LocalizedText
    show_if: Condition | None
    describe: str
    description: dict = field(default_factory=lambda: {"zh": [], "en": []})
    questions: list = field(default_factory=list)
    implicit: bool = False
    closed: bool = False


@dataclass
class _Frame:
    """An open ``begin group`` / ``begin repeat``."""

    kind: str  # section, nested, repeat, matrix
    describe: str
    name: str
    condition: Condition | None = None
    matrix: dict | None = None


class _Importer:
    def __init__(self, workbook, filename: str | None, max_rows: int, max_columns: int):
        self.report: list[str] = []  # survey rows
        self.choices_report: list[str] = []
        self.settings_report: list[str] = []
        self.fatal: list[str] = []
        self.language = "en"
        sheets = {ws.title.strip().lower(): ws for ws in workbook.worksheets}
        if "survey" not in sheets:
            names = ", ".join(repr(ws.title) for ws in workbook.worksheets) or "none"
            raise XLSFormError([f"the workbook has no 'survey' sheet (its sheets: {names})"])
        self.survey = self._sheet("survey", sheets["survey"], max_rows, max_columns)
        self.choices = self._sheet("choices", sheets["choices"], max_rows, max_columns) if "choices" in sheets else None
        self.settings = (self._sheet("settings", sheets["settings"], max_rows, max_columns)
                         if "settings" in sheets else None)
        self.filename = filename
        self.sections: list[_SectionDraft] = []
        self.stack: list[_Frame] = []
        self.names: dict[str, int] = {}
        self.section_ids: set[str] = set()
        self.intro = {"zh": [], "en": []}
        self.lists: dict[str, list[Option]] = {}
        self.used_lists: set[str] = set()
        self.relevant_rows: dict[str, tuple[str, str]] = {}  # question id -> (describe, relevant text)

    def _sheet(self, name, ws, max_rows, max_columns) -> _Sheet:
        headers, rows = read_sheet(ws, max_rows, max_columns)
        return _Sheet(name, headers, rows, lambda: self.language)

    # ------------------------------------------------------------------ settings and language

    def read_settings(self) -> dict:
        result: dict = {}
        if self.settings is None or not self.settings.rows:
            return result
        number, cells = self.settings.rows[0]
        row = _Row(self.settings, number, cells)
        default = row.get("default_language")
        if default:
            language = language_of(default)
            if language is None:
                self.settings_report.append(f"settings default_language '{_short(default)}' is neither Chinese "
                                            "nor English; columns without a language are read by their content")
            else:
                result["language"] = language
        result["title"] = row.get("form_title")
        result["kaimen_title"] = row.text("kaimen_title")
        result["anonymous"] = row.get("kaimen_anonymous")
        result["languages"] = row.get("kaimen_languages")
        for header, value in row.leftovers():
            self.settings_report.append(f"settings {header} '{_short(value)}' ignored")
        for extra_number, _ in self.settings.rows[1:]:
            self.settings_report.append(f"settings row {extra_number} ignored: only the first settings row is read")
        return result

    def guess_language(self, settings: dict) -> None:
        if "language" in settings:
            self.language = settings["language"]
            return
        texts = self.survey.plain_texts() + (self.choices.plain_texts() if self.choices else [])
        self.language = "zh" if any(_CJK.search(text) for text in texts) else "en"

    # ------------------------------------------------------------------ choices

    def read_choices(self) -> None:
        if self.choices is None:
            return
        sheet = self.choices
        first_row: dict[tuple[str, str], int] = {}
        for number, cells in sheet.rows:
            row = _Row(sheet, number, cells)
            list_name, name = row.get("list_name"), row.get("name")
            describe = f"choices row {number} (list '{list_name}', name '{name}')"
            label = row.text("label")
            is_other = row.get("kaimen_other").lower()
            if not list_name or not name:
                self.choices_report.append(f"choices row {number}: no {'list name' if not list_name else 'name'}; "
                                   "not imported")
                continue
            if not is_option_id(name):
                self.choices_report.append(f"{describe}: name '{_short(name)}' is not usable as an option id "
                                   f"({OPTION_ID_RULE}); not imported")
                continue
            if (list_name, name) in first_row:
                self.choices_report.append(f"{describe}: the name already appears in list '{list_name}' at choices row "
                                   f"{first_row[list_name, name]}; not imported")
                continue
            first_row[list_name, name] = number
            if not label:
                label = LocalizedText(**{self.language: name})
                self.choices_report.append(f"{describe}: no label; the name is used as the label")
            self.lists.setdefault(list_name, []).append(Option(name, label, is_other in _YES))
            for header, value in row.leftovers():
                self.choices_report.append(f"{describe}: {header} '{_short(value)}' ignored")

    # ------------------------------------------------------------------ survey

    def current_section(self, describe: str) -> _SectionDraft:
        for frame in self.stack:
            if frame.kind == "section":
                return self.sections_by_id[frame.name]
        if not self.sections or not self.sections[-1].implicit or self.sections[-1].closed:
            self.add_section(_SectionDraft(self.new_section_id("page"), LocalizedText(), None, describe,
                                           implicit=True))
        return self.sections[-1]

    def new_section_id(self, stem: str) -> str:
        number = 1
        while f"{stem}{number}" in self.section_ids or f"{stem}{number}" in self.names:
            number += 1
        return f"{stem}{number}"

    def add_section(self, section: _SectionDraft) -> None:
        for previous in self.sections:
            previous.closed = True
        section.closed = False
        self.sections.append(section)
        self.section_ids.add(section.id)
        self.sections_by_id[section.id] = section

    def relevant(self, row: _Row, describe: str) -> Condition | None:
        text = row.get("relevant")
        if not text:
            return None
        try:
            return conditions.parse(text)
        except ConditionError as exc:
            self.report.append(f"{describe}: relevant '{_short(text)}' not understood ({exc}); imported without "
                               "the condition, so it is always shown")
            return None

    def inherited_conditions(self) -> list[Condition]:
        return [frame.condition for frame in self.stack if frame.kind == "nested" and frame.condition is not None]

    def run(self) -> None:
        self.sections_by_id: dict[str, _SectionDraft] = {}
        settings = self.read_settings()
        self.guess_language(settings)
        self.settings_values = settings
        if not self.survey.has("type"):
            raise XLSFormError(["the survey sheet has no 'type' column in its first row"])
        if not self.survey.has("name"):
            raise XLSFormError(["the survey sheet has no 'name' column in its first row"])
        self.read_choices()
        for number, cells in self.survey.rows:
            self.survey_row(_Row(self.survey, number, cells))
        for frame in reversed(self.stack):
            self.fatal.append(f"{frame.describe}: this group is never closed with 'end group'")

    def survey_row(self, row: _Row) -> None:
        kind = " ".join(row.get("type").split())
        name = row.get("name")
        describe = f"survey row {row.number} (type '{kind}'" + (f", name '{name}')" if name else ")")
        lowered = kind.lower()
        if any(frame.kind == "repeat" for frame in self.stack):
            self.inside_repeat(row, lowered, describe)
            return
        if not kind:
            self.report.append(f"survey row {row.number}: no type; not imported")
            return
        if lowered in ("begin group", "begin_group"):
            self.begin_group(row, name, describe)
        elif lowered in ("end group", "end_group"):
            self.end_group(row, describe)
        elif lowered in ("begin repeat", "begin_repeat"):
            self.report.append(f"{describe}: Kaimen has no repeating groups; not imported")
            self.stack.append(_Frame("repeat", describe, name))
        elif lowered in ("end repeat", "end_repeat"):
            self.fatal.append(f"{describe}: 'end repeat' without a matching 'begin repeat'")
        elif any(frame.kind == "matrix" for frame in self.stack):
            self.matrix_row(row, lowered, name, describe)
        elif lowered == "note":
            self.note(row, describe)
        else:
            question = self.question(row, kind, name, describe)
            if question is not None:
                self.current_section(describe).questions.append(question)
                self.names[question.id] = row.number
            self.report_leftovers(row, describe)

    def inside_repeat(self, row: _Row, lowered: str, describe: str) -> None:
        if lowered in ("begin repeat", "begin_repeat", "begin group", "begin_group"):
            self.stack.append(_Frame("repeat", describe, row.get("name")))
        elif lowered in ("end repeat", "end_repeat", "end group", "end_group"):
            self.stack.pop()
            return
        repeat = next(frame for frame in reversed(self.stack) if frame.kind == "repeat")
        if self.stack[-1] is not repeat or lowered not in ("begin repeat", "begin_repeat"):
            self.report.append(f"{describe}: inside repeat '{repeat.name}'; not imported")

    def report_leftovers(self, row: _Row, describe: str) -> None:
        for header, value in row.leftovers():
            reason = _IGNORED_REASONS.get(header.strip().lower())
            self.report.append(f"{describe}: {header} '{_short(value)}' ignored" + (f": {reason}" if reason else ""))

    def begin_group(self, row: _Row, name: str, describe: str) -> None:
        condition = self.relevant(row, describe)
        appearance = row.get("appearance")
        in_section = any(frame.kind == "section" for frame in self.stack)
        if row.get("kaimen_type").lower() == "matrix" and in_section:
            self.stack.append(_Frame("matrix", describe, name, condition, {"row": row, "rows": [], "scale": None}))
            return
        if in_section:
            section = self.current_section(describe)
            self.report.append(f"{describe}: group inside a group; its questions are kept in section "
                               f"'{section.id}'" + (" and its label is not shown" if row.text("label") else ""))
            row.text("label")
            row.text("hint")
            self.stack.append(_Frame("nested", describe, name, condition))
        else:
            if name and is_question_id(name) and name not in self.section_ids:
                section_id = name
            else:
                section_id = self.new_section_id("page")
                if name:
                    self.report.append(f"{describe}: name '{_short(name)}' is not usable as a section id "
                                       f"({QUESTION_ID_RULE}); the section is called '{section_id}'")
            section = _SectionDraft(section_id, row.text("label"), condition, describe)
            hint = row.text("hint")
            for language in LANGUAGES:
                if getattr(hint, language):
                    section.description[language].append(getattr(hint, language))
            self.add_section(section)
            self.stack.append(_Frame("section", describe, section_id, condition))
        if appearance and appearance.strip().lower() != "field-list":
            self.report.append(f"{describe}: appearance '{_short(appearance)}' ignored: Kaimen shows one "
                               "section per page")
        self.report_leftovers(row, describe)

    def end_group(self, row: _Row, describe: str) -> None:
        if not self.stack:
            self.fatal.append(f"{describe}: 'end group' without a matching 'begin group'")
            return
        frame = self.stack.pop()
        if frame.kind == "matrix":
            self.finish_matrix(frame)
        elif frame.kind == "section":
            self.sections_by_id[frame.name].closed = True

    def note(self, row: _Row, describe: str) -> None:
        text = row.text("label")
        in_section = any(frame.kind == "section" for frame in self.stack)
        target = self.current_section(describe).description if in_section else self.intro
        for language in LANGUAGES:
            if getattr(text, language):
                target[language].append(getattr(text, language))
        where = (f"the description of section '{self.current_section(describe).id}'" if in_section
                 else "the questionnaire's description")
        self.report.append(f"{describe}: note added to {where}")
        self.report_leftovers(row, describe)

    # ------------------------------------------------------------------ questions

    def check_name(self, name: str, describe: str) -> bool:
        if not name:
            self.report.append(f"{describe}: no name; not imported")
            return False
        if not is_question_id(name):
            self.report.append(f"{describe}: name '{_short(name)}' is not usable in Kaimen ({QUESTION_ID_RULE}); "
                               "not imported")
            return False
        if name in self.names:
            self.report.append(f"{describe}: name '{name}' is already used in survey row {self.names[name]}; "
                               "not imported")
            return False
        return True

    def question(self, row: _Row, kind: str, name: str, describe: str) -> Question | None:
        lowered = kind.lower()
        base = lowered.split()[0] if lowered.split() else ""
        if base in _NOT_IMPORTED or lowered in _NOT_IMPORTED:
            self.report.append(f"{describe}: {_NOT_IMPORTED.get(lowered) or _NOT_IMPORTED[base]}; not imported")
            self.mark_all_used(row)
            return None
        parsed = self.parse_type(kind, describe)
        if parsed is None:
            self.mark_all_used(row)
            return None
        if not self.check_name(name, describe):
            self.mark_all_used(row)
            return None
        qtype, settings = parsed
        title = row.text("label")
        if not title:
            title = LocalizedText(**{self.language: name})
            self.report.append(f"{describe}: no label; the name is used as the title")
        settings.update(id=name, type=qtype, title=title, help=row.text("hint"))
        settings["required"] = self.required(row, describe)
        own = self.relevant(row, describe)
        inherited = self.inherited_conditions() + ([own] if own is not None else [])
        settings["show_if"] = inherited[0] if len(inherited) == 1 else (And(tuple(inherited)) if inherited else None)
        if own is not None:
            self.relevant_rows[name] = (describe, row.get("relevant"))
        if qtype in (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE, QuestionType.RANKING):
            options = self.options(settings.pop("list"), settings.pop("or_other", False), describe)
            if options is None:
                return None
            settings["options"] = options
        try:
            self.apply_parameters(row, settings, describe)
        except _Skip as skip:
            self.report.append(str(skip))
            return None
        if qtype is QuestionType.SHORT_TEXT and row.get("appearance").strip().lower() == "multiline":
            settings["type"] = QuestionType.LONG_TEXT
        self.apply_constraint(row, settings, describe)
        self.apply_kaimen_columns(row, settings, describe)
        return Question(**settings)

    def mark_all_used(self, row: _Row) -> None:
        row.used.update(range(len(row.cells)))

    def parse_type(self, kind: str, describe: str) -> tuple[QuestionType, dict] | None:
        lowered = kind.lower()
        simple = {
            "integer": (QuestionType.NUMBER, {"integer": True}),
            "int": (QuestionType.NUMBER, {"integer": True}),
            "decimal": (QuestionType.NUMBER, {"integer": False}),
            "text": (QuestionType.SHORT_TEXT, {}),
            "string": (QuestionType.SHORT_TEXT, {}),
            "date": (QuestionType.DATE, {}),
            "range": (QuestionType.RATING, {"range": True}),
        }
        if lowered in simple:
            qtype, settings = simple[lowered]
            return qtype, dict(settings)
        if lowered == "phone number":
            self.report.append(f"{describe}: imported as a short text question (Kaimen does not check phone numbers)")
            return QuestionType.SHORT_TEXT, {}
        match = re.fullmatch(r"(select_one|select_multiple|rank)\s+(\S+)(\s+or_other)?", kind, re.IGNORECASE)
        if match is None:
            match = re.fullmatch(r"(select one|select all that apply|select multiple) from\s+(\S+)"
                                 r"(\s+or specify other)?", kind, re.IGNORECASE)
        if match is not None:
            word = match.group(1).lower()
            qtype = (QuestionType.SINGLE_CHOICE if word in ("select_one", "select one") else
                     QuestionType.RANKING if word == "rank" else QuestionType.MULTIPLE_CHOICE)
            if qtype is QuestionType.RANKING and match.group(3):
                self.report.append(f"{describe}: a ranking has no 'other' option; or_other ignored")
            return qtype, {"list": match.group(2), "or_other": bool(match.group(3)) and qtype is not
                           QuestionType.RANKING}
        if lowered.startswith(("select_one_from_file", "select_multiple_from_file")):
            self.report.append(f"{describe}: Kaimen cannot read choices from a file; not imported")
            return None
        self.report.append(f"{describe}: Kaimen does not know the type '{_short(kind)}'; not imported")
        return None

    def options(self, list_name: str, or_other: bool, describe: str) -> tuple[Option, ...] | None:
        options = self.lists.get(list_name)
        if not options:
            self.report.append(f"{describe}: the choices sheet has no list '{list_name}'; not imported")
            return None
        self.used_lists.add(list_name)
        options = list(options)
        if or_other:
            existing = next((i for i, o in enumerate(options) if o.id == "other"), None)
            if existing is not None:
                options[existing] = Option("other", options[existing].label, True)
            else:
                options.append(Option("other", LocalizedText("其他", "Other"), True))
        return tuple(options)

    def required(self, row: _Row, describe: str) -> bool:
        value = row.get("required")
        if value.strip().lower() in _YES:
            return True
        if value.strip().lower() not in _NO:
            self.report.append(f"{describe}: required '{_short(value)}' is not yes or no; the question is optional")
        return False

    def apply_parameters(self, row: _Row, settings: dict, describe: str) -> None:
        text = row.get("parameters")
        pairs = dict(re.findall(r"([A-Za-z_]+)\s*=\s*(\S+)", text)) if text else {}
        is_range = settings.pop("range", False)
        if is_range:
            try:
                start, end, step = (float(pairs.pop(key, default)) for key, default in
                                    (("start", "1"), ("end", "10"), ("step", "1")))
            except ValueError:
                start = end = step = 0.5
            if step != 1 or not start.is_integer() or not end.is_integer() or start >= end:
                raise _Skip(f"{describe}: a range from {_short(text or '1 to 10')} is not a whole-number scale "
                            "with step 1; not imported")
            settings.update(scale_min=int(start), scale_max=int(end))
        if "randomize" in pairs and settings["type"] in (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE,
                                                         QuestionType.RANKING):
            settings["shuffle"] = pairs.pop("randomize").lower() in _YES
        for key, value in pairs.items():
            self.report.append(f"{describe}: parameter {key}={_short(value)} ignored")

    def apply_constraint(self, row: _Row, settings: dict, describe: str) -> None:
        text = row.get("constraint")
        if not text:
            return
        mapped = _map_constraint(settings["type"], settings.get("integer", True), text)
        if mapped is None:
            self.report.append(f"{describe}: constraint '{_short(text)}' ignored: Kaimen cannot check it")
            return
        settings.update(mapped)

    def apply_kaimen_columns(self, row: _Row, settings: dict, describe: str) -> None:
        low, high = row.text("kaimen_min_label"), row.text("kaimen_max_label")
        if settings["type"] in (QuestionType.RATING, QuestionType.MATRIX):
            settings.update(scale_min_label=low, scale_max_label=high)
        top = row.get("kaimen_rank_top")
        if top and settings["type"] is QuestionType.RANKING:
            if top.isdigit():
                settings["rank_top"] = int(top)
            else:
                self.report.append(f"{describe}: kaimen_rank_top '{_short(top)}' is not a whole number; ignored")
        tag = row.get("kaimen_demographic")
        if tag:
            try:
                settings["demographic"] = Demographic(tag)
            except ValueError:
                self.report.append(f"{describe}: kaimen_demographic '{_short(tag)}' is unknown; ignored")

    # ------------------------------------------------------------------ matrix groups (Kaimen exports)

    def matrix_row(self, row: _Row, lowered: str, name: str, describe: str) -> None:
        frame = next(frame for frame in reversed(self.stack) if frame.kind == "matrix")
        if lowered != "range" or not name:
            self.report.append(f"{describe}: only named range rows make up a matrix; not imported")
            self.mark_all_used(row)
            return
        prefix = f"{frame.name}_"
        row_id = name[len(prefix):] if name.startswith(prefix) else name
        settings = {"type": QuestionType.RATING, "range": True}
        try:
            self.apply_parameters(row, settings, describe)
        except _Skip as skip:
            self.report.append(str(skip))
            return
        scale = (settings["scale_min"], settings["scale_max"])
        if frame.matrix["scale"] is None:
            frame.matrix["scale"] = scale
        if scale != frame.matrix["scale"] or not is_option_id(row_id):
            self.report.append(f"{describe}: the row does not fit the matrix (id or scale); not imported")
            return
        row.get("required")
        frame.matrix["rows"].append(MatrixRow(row_id, row.text("label")))
        self.report_leftovers(row, describe)

    def finish_matrix(self, frame: _Frame) -> None:
        row: _Row = frame.matrix["row"]
        describe = frame.describe
        if not self.check_name(frame.name, describe):
            return
        if not frame.matrix["rows"]:
            self.report.append(f"{describe}: the matrix has no rows; not imported")
            return
        low, high = frame.matrix["scale"]
        inherited = self.inherited_conditions() + ([frame.condition] if frame.condition is not None else [])
        settings = {
            "id": frame.name, "type": QuestionType.MATRIX, "title": row.text("label"), "help": row.text("hint"),
            "required": self.required(row, describe), "rows": tuple(frame.matrix["rows"]),
            "scale_min": low, "scale_max": high,
            "show_if": inherited[0] if len(inherited) == 1 else (And(tuple(inherited)) if inherited else None),
        }
        if frame.condition is not None:
            self.relevant_rows[frame.name] = (describe, row.get("relevant"))
        row.get("kaimen_type")
        row.get("appearance")  # field-list, as written by the export
        self.apply_kaimen_columns(row, settings, describe)
        self.current_section(describe).questions.append(Question(**settings))
        self.names[frame.name] = row.number
        self.report_leftovers(row, describe)

    # ------------------------------------------------------------------ result

    def build(self) -> Questionnaire:
        for list_name in self.lists:
            if list_name not in self.used_lists:
                self.choices_report.append(f"choices list '{list_name}' is not used by any question; ignored")
        sections = []
        seen: set[str] = set()
        for draft in self.sections:
            if not draft.questions:
                if not draft.implicit:
                    self.report.append(f"{draft.describe}: the group has no question Kaimen could import; "
                                       "no section made")
                elif any(draft.description.values()):
                    self.report.append(f"{draft.describe}: text outside groups with no question after it; dropped")
                continue
            questions = []
            for question in draft.questions:
                questions.append(self.checked_condition(question, seen))
                seen.add(question.id)
            section_condition = draft.show_if
            if section_condition is not None and not set(conditions.references(section_condition)) <= seen:
                missing = sorted(set(conditions.references(section_condition)) - seen)
                self.report.append(f"{draft.describe}: relevant refers to {', '.join(missing)}, which is not an "
                                   "earlier imported question; imported without the condition, so it is always "
                                   "shown")
                section_condition = None
            description = LocalizedText(**{lang: "\n\n".join(parts) for lang, parts in draft.description.items()})
            sections.append(Section(draft.id, draft.title, description, tuple(questions), section_condition))
        if not sections:
            raise XLSFormError(["no question could be imported", *self.full_report()])
        settings = self.settings_values
        title = settings.get("kaimen_title") or LocalizedText()
        if not title and settings.get("title"):
            title = LocalizedText(**{self.language: settings["title"]})
        if not title:
            stem = Path(self.filename).stem if self.filename else "XLSForm"
            title = LocalizedText(**{self.language: stem})
        languages = tuple(lang for lang in LANGUAGES
                          if any(getattr(q.title, lang) for s in sections for q in s.questions))
        if settings.get("languages"):
            wanted = tuple(settings["languages"].split())
            if wanted and set(wanted) <= set(LANGUAGES) and len(set(wanted)) == len(wanted):
                languages = wanted
            else:
                self.settings_report.append(f"settings kaimen_languages '{_short(settings['languages'])}' ignored")
        anonymous = (settings.get("anonymous") or "").strip().lower() in _YES
        intro = LocalizedText(**{lang: "\n\n".join(parts) for lang, parts in self.intro.items()})
        return Questionnaire(title=title, sections=tuple(sections), description=intro, anonymous=anonymous,
                             languages=languages or (self.language,))

    def full_report(self) -> tuple[str, ...]:
        """Survey lines in row order (stable), then choices, then settings."""
        def row_number(line: str) -> int:
            match = re.match(r"survey row (\d+)", line)
            return int(match.group(1)) if match else 0

        return (*sorted(self.report, key=row_number), *self.choices_report, *self.settings_report)

    def checked_condition(self, question: Question, seen: set[str]) -> Question:
        refs = set(conditions.references(question.show_if))
        if refs <= seen:
            return question
        missing = sorted(refs - seen)
        describe = self.relevant_rows.get(question.id, (f"question '{question.id}'", ""))[0]
        self.report.append(f"{describe}: relevant refers to {', '.join(missing)}, which is not an earlier imported "
                           "question; imported without the condition, so it is always shown")
        return dataclasses.replace(question, show_if=None)


class _Skip(Exception):
    """A row that cannot be imported; the message is its report line."""


_BOUND = re.compile(r"\.\s*(>=|<=|>|<)\s*(-?\d+(?:\.\d+)?)|(-?\d+(?:\.\d+)?)\s*(>=|<=|>|<)\s*\.")
_LENGTH = re.compile(r"string-length\(\s*\.\s*\)\s*(<=|<)\s*(\d+)")
_COUNT = re.compile(r"count-selected\(\s*\.\s*\)\s*(>=|<=|>|<|=)\s*(\d+)")
_FLIP = {">=": "<=", "<=": ">=", ">": "<", "<": ">"}


def _number(text: str) -> int | float:
    return float(text) if "." in text else int(text)


def _map_constraint(qtype: QuestionType, integer: bool, text: str) -> dict | None:
    """Settings equivalent to an XLSForm constraint, or None if any part has no equivalent."""
    if re.search(r"\bor\b", text):
        return None
    result: dict = {}
    for part in re.split(r"\s+and\s+", text.strip()):
        part = part.strip()
        if qtype is QuestionType.NUMBER and (match := _BOUND.fullmatch(part)):
            op, value = (match.group(1), match.group(2)) if match.group(1) else (_FLIP[match.group(4)],
                                                                                 match.group(3))
            bound = _number(value)
            if op in (">", "<"):
                if not integer or isinstance(bound, float):
                    return None
                bound = bound + 1 if op == ">" else bound - 1
            key = "number_min" if op in (">=", ">") else "number_max"
            if key in result:
                return None
            result[key] = bound
        elif qtype in (QuestionType.SHORT_TEXT, QuestionType.LONG_TEXT) and (match := _LENGTH.fullmatch(part)):
            if "max_length" in result:
                return None
            result["max_length"] = int(match.group(2)) - (1 if match.group(1) == "<" else 0)
        elif qtype is QuestionType.MULTIPLE_CHOICE and (match := _COUNT.fullmatch(part)):
            op, count = match.group(1), int(match.group(2))
            updates = {">=": {"min_selections": count}, ">": {"min_selections": count + 1},
                       "<=": {"max_selections": count}, "<": {"max_selections": count - 1},
                       "=": {"min_selections": count, "max_selections": count}}[op]
            if set(updates) & set(result):
                return None
            result.update(updates)
        else:
            return None
    return result


def import_xlsform(
    source: bytes | str | os.PathLike,
    *,
    filename: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_rows: int = DEFAULT_MAX_ROWS,
    max_columns: int = DEFAULT_MAX_COLUMNS,
) -> XLSFormImport:
    """Read an XLSForm (bytes or a path) into a questionnaire and a row-by-row report.

    Raises :class:`XLSFormError` when the file is refused (too large, not an
    .xlsx, macros, external links, no survey sheet, unbalanced groups, no
    importable question). ``filename`` names the form when it has no title.
    """
    if filename is None and not isinstance(source, (bytes, bytearray)):
        filename = os.fspath(source)
    try:
        data = read_source(source, max_bytes)
        check_package(data, max_bytes, filename)
        workbook = open_workbook(data)
        try:
            importer = _Importer(workbook, filename, max_rows, max_columns)
            importer.run()
        finally:
            workbook.close()
    except XLSFormError:
        raise
    except WorkbookError as exc:
        raise XLSFormError(exc.reasons) from None
    if importer.fatal:
        raise XLSFormError(importer.fatal)
    questionnaire = importer.build()
    try:
        # Defence in depth: what we built must survive our own JSON reader.
        Questionnaire.from_dict(questionnaire.to_dict())
    except SpecError as exc:
        raise XLSFormError([f"the imported questionnaire is not valid: {exc}"]) from None
    return XLSFormImport(questionnaire, importer.full_report())
