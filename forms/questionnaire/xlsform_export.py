"""Export a questionnaire as an XLSForm workbook that ODK/KoboToolbox can read
and that ``xlsform.import_xlsform`` reads back equal.

Plain XLSForm carries what it can: sections as ``begin group`` (field-list),
choices as ``select_one``/``select_multiple``/``rank`` lists (one list per
question, named after it), ratings as ``range``, numbers as
``integer``/``decimal``, long text as ``text`` with appearance
``multiline``, conditions as ``relevant``, bounds and limits as
``constraint``, shuffling as ``randomize=true``. A section's description and
the questionnaire's description are ``note`` rows.

What XLSForm cannot say goes into ``kaimen_*`` columns, which other tools
ignore: scale end labels, ranking top N, demographic tags, the "other"
option, and matrix questions (a field-list group marked
``kaimen_type=matrix`` whose rows are ``range`` questions named
``<question>_<row>``). Settings that do not apply to a question's type are
not exported.
"""

from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import Workbook

from forms.questionnaire import conditions
from forms.questionnaire.spec import LocalizedText, Question, Questionnaire, QuestionType

_LANGUAGE_TAGS = {"zh": "Chinese (zh)", "en": "English (en)"}
SURVEY_COLUMNS = (
    "type", "name", "label::Chinese (zh)", "label::English (en)", "hint::Chinese (zh)", "hint::English (en)",
    "required", "relevant", "constraint", "appearance", "parameters", "kaimen_type",
    "kaimen_min_label::Chinese (zh)", "kaimen_min_label::English (en)",
    "kaimen_max_label::Chinese (zh)", "kaimen_max_label::English (en)",
    "kaimen_rank_top", "kaimen_demographic",
)
CHOICES_COLUMNS = ("list_name", "name", "label::Chinese (zh)", "label::English (en)", "kaimen_other")
SETTINGS_COLUMNS = ("form_title", "default_language", "kaimen_title::Chinese (zh)", "kaimen_title::English (en)",
                    "kaimen_languages", "kaimen_anonymous")


def _number(value: int | float) -> str:
    if isinstance(value, int):
        return str(value)
    text = format(Decimal(repr(value)), "f")
    return text if "." in text else text + ".0"


def _texts(prefix: str, text: LocalizedText) -> dict[str, str]:
    return {f"{prefix}::{tag}": getattr(text, lang) for lang, tag in _LANGUAGE_TAGS.items()}


class _Names:
    """Unique XLSForm names for notes, which Kaimen itself does not name."""

    def __init__(self, questionnaire: Questionnaire):
        self.used = {q.id for q in questionnaire.questions()} | {s.id for s in questionnaire.sections}

    def new(self, stem: str) -> str:
        name, number = stem, 1
        while name in self.used:
            number += 1
            name = f"{stem}_{number}"
        self.used.add(name)
        return name


def _constraint(q: Question) -> str:
    parts = []
    if q.type is QuestionType.NUMBER:
        if q.number_min is not None:
            parts.append(f". >= {_number(q.number_min)}")
        if q.number_max is not None:
            parts.append(f". <= {_number(q.number_max)}")
    elif q.type in (QuestionType.SHORT_TEXT, QuestionType.LONG_TEXT) and q.max_length is not None:
        parts.append(f"string-length(.) <= {q.max_length}")
    elif q.type is QuestionType.MULTIPLE_CHOICE:
        if q.min_selections is not None:
            parts.append(f"count-selected(.) >= {q.min_selections}")
        if q.max_selections is not None:
            parts.append(f"count-selected(.) <= {q.max_selections}")
    return " and ".join(parts)


def _question_rows(q: Question) -> list[dict[str, str]]:
    row: dict[str, str] = {
        "name": q.id,
        **_texts("label", q.title),
        **_texts("hint", q.help),
        "required": "yes" if q.required else "",
        "relevant": conditions.to_xlsform_text(q.show_if) if q.show_if is not None else "",
        "constraint": _constraint(q),
        "kaimen_demographic": q.demographic.value if q.demographic else "",
    }
    scale = f"start={q.scale_min} end={q.scale_max} step=1"
    if q.type in (QuestionType.RATING, QuestionType.MATRIX):
        row.update(_texts("kaimen_min_label", q.scale_min_label))
        row.update(_texts("kaimen_max_label", q.scale_max_label))
    if q.shuffle and q.type in (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE, QuestionType.RANKING):
        row["parameters"] = "randomize=true"
    kind = q.type
    if kind is QuestionType.SINGLE_CHOICE:
        row["type"] = f"select_one {q.id}"
    elif kind is QuestionType.MULTIPLE_CHOICE:
        row["type"] = f"select_multiple {q.id}"
    elif kind is QuestionType.RANKING:
        row["type"] = f"rank {q.id}"
        row["kaimen_rank_top"] = "" if q.rank_top is None else str(q.rank_top)
    elif kind is QuestionType.RATING:
        row.update(type="range", parameters=scale)
    elif kind is QuestionType.NUMBER:
        row["type"] = "integer" if q.integer else "decimal"
    elif kind in (QuestionType.SHORT_TEXT, QuestionType.LONG_TEXT):
        row["type"] = "text"
        row["appearance"] = "multiline" if kind is QuestionType.LONG_TEXT else ""
    elif kind is QuestionType.DATE:
        row["type"] = "date"
    elif kind is QuestionType.MATRIX:
        row.update(type="begin group", appearance="field-list", kaimen_type="matrix")
        rows = [row]
        for matrix_row in q.rows:
            rows.append({"type": "range", "name": f"{q.id}_{matrix_row.id}", **_texts("label", matrix_row.label),
                         "required": row["required"], "parameters": scale})
        rows.append({"type": "end group"})
        return rows
    return [row]


def _sheet(workbook: Workbook, title: str, columns: tuple[str, ...], rows: list[dict[str, str]]) -> None:
    sheet = workbook.create_sheet(title)
    sheet.append(list(columns))
    for number, row in enumerate(rows, start=2):
        for column, name in enumerate(columns, start=1):
            value = row.get(name, "")
            if value:
                cell = sheet.cell(row=number, column=column, value=value)
                # Text starting with "=" must stay text, never become a formula.
                cell.data_type = "s"


def export_xlsform(questionnaire: Questionnaire) -> bytes:
    """The questionnaire as .xlsx bytes (sheets ``survey``, ``choices``, ``settings``)."""
    names = _Names(questionnaire)
    survey: list[dict[str, str]] = []
    choices: list[dict[str, str]] = []
    if questionnaire.description:
        survey.append({"type": "note", "name": names.new("description"), **_texts("label", questionnaire.description)})
    for section in questionnaire.sections:
        survey.append({
            "type": "begin group", "name": section.id, **_texts("label", section.title), "appearance": "field-list",
            "relevant": conditions.to_xlsform_text(section.show_if) if section.show_if is not None else "",
        })
        if section.description:
            survey.append({"type": "note", "name": names.new(f"{section.id}_description"),
                           **_texts("label", section.description)})
        for question in section.questions:
            survey.extend(_question_rows(question))
            if question.type in (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE, QuestionType.RANKING):
                for option in question.options:
                    choices.append({"list_name": question.id, "name": option.id, **_texts("label", option.label),
                                    "kaimen_other": "yes" if option.is_other else ""})
        survey.append({"type": "end group"})
    settings = {
        "form_title": questionnaire.title.get("zh" if "zh" in questionnaire.languages else "en"),
        "default_language": _LANGUAGE_TAGS["zh" if "zh" in questionnaire.languages else "en"],
        **_texts("kaimen_title", questionnaire.title),
        "kaimen_languages": " ".join(questionnaire.languages),
        "kaimen_anonymous": "yes" if questionnaire.anonymous else "no",
    }
    workbook = Workbook()
    workbook.remove(workbook.active)
    _sheet(workbook, "survey", SURVEY_COLUMNS, survey)
    _sheet(workbook, "choices", CHOICES_COLUMNS, choices)
    _sheet(workbook, "settings", SETTINGS_COLUMNS, [settings])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
