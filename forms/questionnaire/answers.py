"""Answer validation, shared by the HTML forms and the JSON API.

One function, :func:`clean_section`, holds every rule. It reads raw form
data — lists of strings keyed by field name, exactly what a browser posts —
so the WTForms form built by ``builder.py`` and the JSON API (which first
turns canonical answers into the same field data) validate identically.

Field names (plain HTML, no JavaScript needed):

==================  ==========================================================
``q``               single choice (radio), multiple choice (checkboxes, one
                    value per ticked box), rating, number, text and date
``q__other``        the "please specify" text of a choice's other option
``q__<row id>``     one radio group per matrix row
``q__1`` … ``q__N`` ranking: one select per rank position, best first
==================  ==========================================================

Canonical answers (JSON-able, what is stored):

- single choice: ``"a"``, or ``{"option": "other", "other": "text"}``
- multiple choice: ``["a", "c"]`` in the questionnaire's option order; the
  other option appears as ``{"option": "other", "other": "text"}``
- rating: ``4``; matrix: ``{"r1": 4, "r2": 5}`` (answered rows only)
- ranking: ``["c", "a", "b"]``, best first
- number: ``30`` (whole-number questions) or ``30.5`` (decimal questions
  always give a float); short and long text: ``"text"``; date: ``"2016-05-01"``

A question left empty has no answer (its id is absent from the result).
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from forms.questionnaire import conditions
from forms.questionnaire.checks import TEXT_LIMITS, drop_hidden
from forms.questionnaire.ids import FIELD_SEPARATOR
from forms.questionnaire.spec import Question, Questionnaire, QuestionType, Section

#: Longest "please specify" text.
OTHER_TEXT_LIMIT = 200
#: Key of errors that concern the answers as a whole rather than one question.
FORM_ERROR_KEY = "answers"
#: Whole-number answers stay below this so JavaScript clients read them exactly.
INTEGER_LIMIT = 10**15

REQUIRED = _l("This question is required.")
SPECIFY = _l("Please specify.")
ROW_REQUIRED = _l("Please answer this row.")
RANK_EMPTY = _l("Choose an option for this rank.")
RANK_REPEATED = _l("This option is already ranked higher.")
CHOOSE_ONE = _l("Choose only one answer.")
WHOLE_NUMBER = _l("Enter a whole number.")
NUMBER = _l("Enter a number.")
NUMBER_TOO_LARGE = _l("Enter a smaller number.")
DATE = _l("Enter a date as YYYY-MM-DD.")


def other_field(question_id: str) -> str:
    return f"{question_id}{FIELD_SEPARATOR}other"


def row_field(question_id: str, row_id: str) -> str:
    return f"{question_id}{FIELD_SEPARATOR}{row_id}"


def rank_field(question_id: str, position: int) -> str:
    """Field of rank ``position`` (1 = best)."""
    return f"{question_id}{FIELD_SEPARATOR}{position}"


def rank_count(question: Question) -> int:
    """How many positions a ranking question asks for."""
    count = len(question.options)
    return count if question.rank_top is None else max(0, min(question.rank_top, count))


def field_names(question: Question) -> tuple[str, ...]:
    """Every form field of a question, in display order."""
    if question.type is QuestionType.MATRIX:
        return tuple(row_field(question.id, row.id) for row in question.rows)
    if question.type is QuestionType.RANKING:
        return tuple(rank_field(question.id, i) for i in range(1, rank_count(question) + 1))
    if question.type in (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE) and question.other_option:
        return (question.id, other_field(question.id))
    return (question.id,)


def selected_options(answer: object) -> tuple[str, ...]:
    """Option ids of a single, multiple choice or ranking answer (for analysis)."""
    if answer is None:
        return ()
    items = answer if isinstance(answer, list) else [answer]
    return tuple(item["option"] if isinstance(item, Mapping) else item for item in items)


def other_text(answer: object) -> str | None:
    """The "please specify" text of a choice answer, if any."""
    items = answer if isinstance(answer, list) else [answer]
    for item in items:
        if isinstance(item, Mapping) and "other" in item:
            return item["other"]
    return None


@dataclass(frozen=True)
class SectionResult:
    """Cleaned answers of the shown questions, and errors by field name."""

    answers: dict
    errors: dict
    hidden: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.errors


def _getlist(formdata, name: str) -> list[str]:
    if hasattr(formdata, "getlist"):
        return list(formdata.getlist(name))
    value = formdata.get(name)
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _clean_text(value: str) -> str:
    """Strip the ends, unify line ends and drop control characters a database would refuse."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(ch for ch in value if ch in "\n\t" or (ch >= " " and ch != "\x7f")).strip()


def _number_text(value: float | int) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class _Cleaner:
    """Cleans one question's raw data, collecting errors by field name."""

    def __init__(self, question: Question, formdata):
        self.q = question
        self.formdata = formdata
        self.errors: dict[str, list] = {}

    def error(self, field: str, message) -> None:
        self.errors.setdefault(field, []).append(message)

    def values(self, field: str) -> list[str]:
        return [v for v in (_clean_text(str(x)) for x in _getlist(self.formdata, field)) if v != ""]

    def one(self, field: str) -> str | None:
        values = self.values(field)
        if len(values) > 1:
            self.error(field, CHOOSE_ONE)
            return None
        return values[0] if values else None

    def missing(self, field: str) -> None:
        if self.q.required:
            self.error(field, REQUIRED)

    def unknown_option(self, field: str, option: str) -> None:
        self.error(field, _l("Question %(question)s has no option '%(option)s'.", question=self.q.id, option=option))

    def other(self, option_id: str) -> dict | None:
        field = other_field(self.q.id)
        text = " ".join(self.values(field))
        if not text:
            self.error(field, SPECIFY)
            return None
        if len(text) > OTHER_TEXT_LIMIT:
            self.error(field, _l("Use at most %(n)d characters.", n=OTHER_TEXT_LIMIT))
            return None
        return {"option": option_id, "other": text}

    def clean(self):
        return getattr(self, f"clean_{self.q.type.value}")()

    def clean_single_choice(self):
        value = self.one(self.q.id)
        if value is None:
            if not self.errors:
                self.missing(self.q.id)
            return None
        option = self.q.option(value)
        if option is None:
            self.unknown_option(self.q.id, value)
            return None
        return self.other(option.id) if option.is_other else option.id

    def clean_multiple_choice(self):
        chosen = self.values(self.q.id)
        if not chosen:
            self.missing(self.q.id)
            return None
        for value in dict.fromkeys(chosen):
            if self.q.option(value) is None:
                self.unknown_option(self.q.id, value)
            elif chosen.count(value) > 1:
                self.error(self.q.id, _l("Option '%(option)s' is chosen twice.", option=value))
        if self.errors:
            return None
        low, high = self.q.min_selections, self.q.max_selections
        if low is not None and len(chosen) < low:
            self.error(self.q.id, _l("Choose at least %(n)d options.", n=low))
        if high is not None and len(chosen) > high:
            self.error(self.q.id, _l("Choose at most %(n)d options.", n=high))
        result = []
        for option in self.q.options:
            if option.id in chosen:
                result.append(self.other(option.id) if option.is_other else option.id)
        return None if self.errors else result

    def scale_value(self, field: str, value: str) -> int | None:
        low, high = self.q.scale_min, self.q.scale_max
        if re.fullmatch(r"[+-]?\d{1,6}", value) and low <= int(value) <= high:
            return int(value)
        self.error(field, _l("Choose a whole number from %(min)d to %(max)d.", min=low, max=high))
        return None

    def clean_rating(self):
        value = self.one(self.q.id)
        if value is None:
            if not self.errors:
                self.missing(self.q.id)
            return None
        return self.scale_value(self.q.id, unicodedata.normalize("NFKC", value))

    def clean_matrix(self):
        result = {}
        for row in self.q.rows:
            field = row_field(self.q.id, row.id)
            value = self.one(field)
            if value is None:
                if self.q.required and field not in self.errors:
                    self.error(field, ROW_REQUIRED)
                continue
            number = self.scale_value(field, unicodedata.normalize("NFKC", value))
            if number is not None:
                result[row.id] = number
        return result if result and not self.errors else None

    def clean_ranking(self):
        count = rank_count(self.q)
        fields = [rank_field(self.q.id, i) for i in range(1, count + 1)]
        picked = [self.one(field) for field in fields]
        if self.errors:
            return None
        if all(value is None for value in picked):
            if self.q.required:
                self.error(self.q.id, REQUIRED)
            return None
        seen: set[str] = set()
        for field, value in zip(fields, picked):
            if value is None:
                self.error(field, RANK_EMPTY)
            elif self.q.option(value) is None:
                self.unknown_option(field, value)
            elif value in seen:
                self.error(field, RANK_REPEATED)
            else:
                seen.add(value)
        return None if self.errors else picked

    def clean_number(self):
        raw = self.one(self.q.id)
        if raw is None:
            if not self.errors:
                self.missing(self.q.id)
            return None
        text = unicodedata.normalize("NFKC", raw).replace(" ", "")
        value: int | float
        if self.q.integer:
            if not re.fullmatch(r"[+-]?\d{1,30}", text):
                self.error(self.q.id, WHOLE_NUMBER)
                return None
            value = int(text)
            if abs(value) >= INTEGER_LIMIT:
                self.error(self.q.id, NUMBER_TOO_LARGE)
                return None
        else:
            if len(text) > 40 or not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d{1,3})?", text):
                self.error(self.q.id, NUMBER)
                return None
            value = float(text)
            if abs(value) >= INTEGER_LIMIT:
                self.error(self.q.id, NUMBER_TOO_LARGE)
                return None
        low, high = self.q.number_min, self.q.number_max
        if low is not None and high is not None and not low <= value <= high:
            self.error(self.q.id, _l("Enter a number from %(min)s to %(max)s.", min=_number_text(low),
                                     max=_number_text(high)))
        elif low is not None and value < low:
            self.error(self.q.id, _l("Enter a number no smaller than %(min)s.", min=_number_text(low)))
        elif high is not None and value > high:
            self.error(self.q.id, _l("Enter a number no larger than %(max)s.", max=_number_text(high)))
        return None if self.errors else value

    def clean_text(self):
        values = self.values(self.q.id)
        if not values:
            self.missing(self.q.id)
            return None
        if len(values) > 1:
            self.error(self.q.id, CHOOSE_ONE)
            return None
        limit = TEXT_LIMITS[self.q.type]
        if self.q.max_length is not None:
            limit = min(limit, self.q.max_length)
        if len(values[0]) > limit:
            self.error(self.q.id, _l("Use at most %(n)d characters.", n=limit))
            return None
        return values[0]

    clean_short_text = clean_text
    clean_long_text = clean_text

    def clean_date(self):
        raw = self.one(self.q.id)
        if raw is None:
            if not self.errors:
                self.missing(self.q.id)
            return None
        text = unicodedata.normalize("NFKC", raw)
        try:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
                raise ValueError(text)
            return date.fromisoformat(text).isoformat()
        except ValueError:
            self.error(self.q.id, DATE)
            return None


def _section(questionnaire: Questionnaire, section_id: str) -> tuple[int, Section]:
    for index, section in enumerate(questionnaire.sections):
        if section.id == section_id:
            return index, section
    raise LookupError(f"the questionnaire has no section {section_id!r}")


def earlier_answers(questionnaire: Questionnaire, section_id: str, answers: Mapping[str, object]) -> dict:
    """The answers of shown questions in the sections before ``section_id``."""
    index, _ = _section(questionnaire, section_id)
    return drop_hidden(dataclasses.replace(questionnaire, sections=questionnaire.sections[:index]), answers)


def _has_input(question: Question, formdata) -> bool:
    return any(_clean_text(str(v)) for name in field_names(question) for v in _getlist(formdata, name))


def clean_section(
    questionnaire: Questionnaire,
    section_id: str,
    formdata,
    previous_answers: Mapping[str, object] | None = None,
    *,
    reject_hidden: bool = False,
    failed: Collection[str] = (),
) -> SectionResult:
    """Validate one page of raw field data (see the module docstring).

    ``previous_answers`` are the answers so far; only those of shown questions
    in earlier sections count. A question hidden by its condition (evaluated
    on earlier answers and on this page's answers above it) is not validated
    and its input is dropped — or, with ``reject_hidden`` (the JSON API),
    reported as an error. Messages are lazy strings. ``failed`` names earlier
    questions whose answers had errors: a question hidden only because one of
    those counts as unanswered gets no "not shown" error (it would mislead).
    """
    _, section = _section(questionnaire, section_id)
    known = earlier_answers(questionnaire, section_id, previous_answers or {})
    section_shown = conditions.evaluate(section.show_if, known)
    answers: dict[str, object] = {}
    errors: dict[str, list] = {}
    hidden: list[str] = []
    failed_here = set(failed)
    for question in section.questions:
        if not section_shown or not conditions.evaluate(question.show_if, {**known, **answers}):
            hidden.append(question.id)
            reads = set(conditions.references(section.show_if)) | set(conditions.references(question.show_if))
            if reject_hidden and _has_input(question, formdata) and not reads & failed_here:
                errors.setdefault(question.id, []).append(
                    _l("Question %(question)s is not shown after the earlier answers; leave it unanswered.",
                       question=question.id))
            continue
        cleaner = _Cleaner(question, formdata)
        value = cleaner.clean()
        for field, messages in cleaner.errors.items():
            errors.setdefault(field, []).extend(messages)
        if cleaner.errors:
            failed_here.add(question.id)
        if value is not None and not cleaner.errors:
            answers[question.id] = value
    return SectionResult(answers, errors, tuple(hidden))


# --------------------------------------------------------------------------- canonical -> field data

class _ShapeError(Exception):
    def __init__(self, message):
        self.message = message


def _scalar_text(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise TypeError(value)
    return _number_text(value) if isinstance(value, (int, float)) else value


def _encode(question: Question, value: object) -> list[tuple[str, str]]:
    """Field data for one canonical answer; raises _ShapeError on a wrong shape."""
    qid, kind = question.id, question.type
    if value is None:
        return []
    try:
        if kind is QuestionType.SINGLE_CHOICE:
            if isinstance(value, Mapping):
                return _encode_other(question, value)
            return [(qid, _scalar_text(value))]
        if kind is QuestionType.MULTIPLE_CHOICE:
            if not isinstance(value, list):
                raise TypeError(value)
            pairs: list[tuple[str, str]] = []
            for item in value:
                if isinstance(item, Mapping):
                    pairs.extend(_encode_other(question, item))
                else:
                    pairs.append((qid, _scalar_text(item)))
            return pairs
        if kind is QuestionType.MATRIX:
            if not isinstance(value, Mapping):
                raise TypeError(value)
            rows = {row.id for row in question.rows}
            for row in value:
                if row not in rows:
                    raise _ShapeError(_l("Question %(question)s has no row '%(row)s'.", question=qid, row=row))
            return [(row_field(qid, row), _scalar_text(item)) for row, item in value.items() if item is not None]
        if kind is QuestionType.RANKING:
            if not isinstance(value, list):
                raise TypeError(value)
            if len(value) > rank_count(question):
                raise _ShapeError(_l("Question %(question)s ranks at most %(n)d options.", question=qid,
                                     n=rank_count(question)))
            return [(rank_field(qid, i), _scalar_text(item)) for i, item in enumerate(value, 1)]
        if kind in (QuestionType.RATING, QuestionType.NUMBER):
            return [(qid, _scalar_text(value))]
        if not isinstance(value, str):
            raise TypeError(value)
        return [(qid, value)]
    except TypeError:
        raise _ShapeError(_l("Question %(question)s expects %(shape)s.", question=qid, shape=_SHAPES[kind])) from None


def _encode_other(question: Question, value: Mapping) -> list[tuple[str, str]]:
    if set(value) - {"option", "other"} or "option" not in value or not isinstance(value.get("other", ""), str):
        raise TypeError(value)
    pairs = [(question.id, _scalar_text(value["option"]))]
    if value.get("other"):
        pairs.append((other_field(question.id), value["other"]))
    return pairs


_SHAPES = {
    QuestionType.SINGLE_CHOICE: _l("an option id, or {\"option\": id, \"other\": text}"),
    QuestionType.MULTIPLE_CHOICE: _l("a list of option ids"),
    QuestionType.RATING: _l("a whole number on its scale"),
    QuestionType.MATRIX: _l("an object mapping row ids to numbers on its scale"),
    QuestionType.RANKING: _l("a list of option ids, best first"),
    QuestionType.NUMBER: _l("a number"),
    QuestionType.SHORT_TEXT: _l("text"),
    QuestionType.LONG_TEXT: _l("text"),
    QuestionType.DATE: _l("a date as text, YYYY-MM-DD"),
}


def answers_to_formdata(section: Section, answers: Mapping[str, object]) -> tuple[MultiDict, dict[str, list]]:
    """Field data for the canonical answers of one section, and shape errors by question id.

    Ids that are not questions of the section are reported as errors.
    """
    formdata: MultiDict = MultiDict()
    errors: dict[str, list] = {}
    by_id = {q.id: q for q in section.questions}
    for key, value in answers.items():
        question = by_id.get(key)
        if question is None:
            errors.setdefault(str(key), []).append(
                _l("There is no question %(question)s in this section.", question=key))
            continue
        try:
            for field, text in _encode(question, value):
                formdata.add(field, text)
        except _ShapeError as exc:
            errors.setdefault(key, []).append(exc.message)
    return formdata, errors


def initial_data(questionnaire: Questionnaire, section_id: str, answers: Mapping[str, object]) -> dict:
    """``data=`` for a section form, from saved canonical answers (resume, back button).

    Answers of the wrong shape are skipped: the form then shows those fields empty.
    """
    _, section = _section(questionnaire, section_id)
    data: dict[str, object] = {}
    for question in section.questions:
        try:
            pairs = _encode(question, answers.get(question.id))
        except _ShapeError:
            continue
        for field, text in pairs:
            if question.type is QuestionType.MULTIPLE_CHOICE and field == question.id:
                data.setdefault(field, []).append(text)
            else:
                data[field] = text
    return data


def _as_text(errors: Mapping[str, list]) -> dict[str, list[str]]:
    return {key: [str(message) for message in messages] for key, messages in errors.items()}


def validate_answers(
    questionnaire: Questionnaire,
    section_id: str,
    data: object,
    previous_answers: Mapping[str, object] | None = None,
    *,
    failed: Collection[str] = (),
) -> tuple[dict, dict[str, list[str]]]:
    """Validate one section's canonical answers from a JSON client.

    Returns ``(cleaned, errors)``; errors are keyed by field name (or question
    id, or :data:`FORM_ERROR_KEY`) and translated into the current locale.
    Store nothing unless ``errors`` is empty. Unlike the HTML form, an answer
    to a hidden question or to an unknown question id is an error.
    """
    _, section = _section(questionnaire, section_id)
    if not isinstance(data, Mapping):
        return {}, {FORM_ERROR_KEY: [str(_l("Answers must be a JSON object of question ids and answers."))]}
    formdata, shape_errors = answers_to_formdata(section, data)
    failed = set(failed) | {key.split("__")[0] for key in shape_errors}
    result = clean_section(questionnaire, section_id, formdata, previous_answers, reject_hidden=True, failed=failed)
    errors = dict(result.errors)
    by_id = {q.id: q for q in section.questions}
    for key, messages in shape_errors.items():
        # A badly shaped answer reached the cleaner as nothing: its "required" errors would mislead.
        if key in by_id:
            for field in (key, *field_names(by_id[key])):
                errors.pop(field, None)
        errors[key] = messages
    return result.answers, _as_text(errors)


def validate_response(questionnaire: Questionnaire, data: object) -> tuple[dict, dict[str, list[str]]]:
    """Validate a whole response (every section in order) from a JSON client.

    Returns ``(cleaned, errors)``; ``cleaned`` holds the answers of shown
    questions only, and required questions of every shown section must be
    answered.
    """
    if not isinstance(data, Mapping):
        return {}, {FORM_ERROR_KEY: [str(_l("Answers must be a JSON object of question ids and answers."))]}
    known = {q.id for q in questionnaire.questions()}
    errors: dict[str, list[str]] = {
        str(key): [str(_l("There is no question %(question)s in this questionnaire.", question=key))]
        for key in data if key not in known
    }
    cleaned: dict[str, object] = {}
    failed: set[str] = set()
    for section in questionnaire.sections:
        part = {q.id: data[q.id] for q in section.questions if q.id in data}
        answers, section_errors = validate_answers(questionnaire, section.id, part, cleaned, failed=failed)
        cleaned.update(answers)
        errors.update(section_errors)
        failed |= {key.split("__")[0] for key in section_errors}
    return cleaned, errors
