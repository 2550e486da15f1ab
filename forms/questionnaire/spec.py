"""A questionnaire as frozen data, and its lossless JSON form.

The web application converts its rows to these classes at its boundary; the
form builder, publish checks, version comparison and XLSForm exchange all
work on them and never see the database.

Ids are the identity of a question across versions: a new version keeps the
ids of the questions it carries over, so answers stay comparable. The
dataclasses accept anything (a draft may be half-finished); ``from_dict``
refuses data that is not a questionnaire at all (wrong types, unknown keys,
repeated ids) and ``checks.publish_problems`` lists what blocks publishing.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import Enum

from forms.questionnaire import conditions
from forms.questionnaire.conditions import Condition, ConditionError
from forms.questionnaire.ids import OPTION_ID_RULE, QUESTION_ID_RULE, is_option_id, is_question_id

#: Version of the JSON layout written by :meth:`Questionnaire.to_dict`.
FORMAT = "kaimen-questionnaire/1"
#: Languages a questionnaire's texts may be written in.
LANGUAGES = ("zh", "en")


class SpecError(ValueError):
    """Malformed questionnaire data; the message starts with the path to it."""

    def __init__(self, path: str, message: str):
        self.path = path
        self.reason = message
        super().__init__(f"{path}: {message}" if path else message)


class QuestionType(str, Enum):
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    RATING = "rating"
    MATRIX = "matrix"
    RANKING = "ranking"
    NUMBER = "number"
    SHORT_TEXT = "short_text"
    LONG_TEXT = "long_text"
    DATE = "date"


#: Types whose answers are option ids.
CHOICE_TYPES = frozenset({QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE, QuestionType.RANKING})
#: Types answered on the integer scale ``scale_min``..``scale_max``.
SCALE_TYPES = frozenset({QuestionType.RATING, QuestionType.MATRIX})
TEXT_TYPES = frozenset({QuestionType.SHORT_TEXT, QuestionType.LONG_TEXT})


class Demographic(str, Enum):
    """What a demographic question describes, so results can be broken down by it."""

    SUB_DISTRICT = "sub_district"
    UNIT_KIND = "unit_kind"
    INDUSTRY = "industry"
    AGE_BAND = "age_band"
    GENDER = "gender"
    OTHER = "other"


@dataclass(frozen=True)
class LocalizedText:
    """One text in Chinese and English; either may be empty."""

    zh: str = ""
    en: str = ""

    def get(self, locale: str | None = "zh_CN") -> str:
        """The text for ``locale`` ("zh_CN", "en", ...), else the other language."""
        if locale and locale.lower().startswith("en"):
            return self.en or self.zh
        return self.zh or self.en

    def __bool__(self) -> bool:
        return bool(self.zh.strip() or self.en.strip())

    def to_dict(self) -> dict:
        return {"zh": self.zh, "en": self.en}


@dataclass(frozen=True)
class Option:
    """A choice; ``is_other`` marks "other, please specify" (asks for a text)."""

    id: str
    label: LocalizedText
    is_other: bool = False


@dataclass(frozen=True)
class MatrixRow:
    """One statement of a matrix question, answered on the question's scale."""

    id: str
    label: LocalizedText


@dataclass(frozen=True)
class Question:
    """One question. Settings that do not apply to its type are ignored.

    - choices (single, multiple, ranking): ``options``, ``shuffle``
    - multiple choice: ``min_selections``/``max_selections`` (None: no limit)
    - rating and matrix: integer scale ``scale_min``..``scale_max`` with end labels;
      matrix: ``rows``
    - ranking: ``rank_top`` options to rank (None: all)
    - number: ``number_min``/``number_max``, ``integer`` (False: decimals allowed)
    - short and long text: ``max_length`` (None: the built-in limit)
    """

    id: str
    type: QuestionType
    title: LocalizedText
    help: LocalizedText = LocalizedText()
    required: bool = False
    options: tuple[Option, ...] = ()
    shuffle: bool = False
    min_selections: int | None = None
    max_selections: int | None = None
    scale_min: int = 1
    scale_max: int = 5
    scale_min_label: LocalizedText = LocalizedText()
    scale_max_label: LocalizedText = LocalizedText()
    rows: tuple[MatrixRow, ...] = ()
    rank_top: int | None = None
    number_min: int | float | None = None
    number_max: int | float | None = None
    integer: bool = True
    max_length: int | None = None
    demographic: Demographic | None = None
    show_if: Condition | None = None

    def option(self, option_id: str) -> Option | None:
        return next((o for o in self.options if o.id == option_id), None)

    @property
    def other_option(self) -> Option | None:
        return next((o for o in self.options if o.is_other), None)

    def to_dict(self) -> dict:
        data: dict = {"id": self.id, "type": self.type.value, "title": self.title.to_dict()}
        for name, default in _QUESTION_DEFAULTS.items():
            value = getattr(self, name)
            if value == default and type(value) is type(default):
                continue
            if isinstance(value, LocalizedText):
                value = value.to_dict()
            elif name == "options":
                value = [_option_to_dict(o) for o in value]
            elif name == "rows":
                value = [{"id": r.id, "label": r.label.to_dict()} for r in value]
            elif name == "demographic":
                value = value.value
            elif name == "show_if":
                value = conditions.to_dict(value)
            data[name] = value
        return data


def _option_to_dict(option: Option) -> dict:
    data = {"id": option.id, "label": option.label.to_dict()}
    if option.is_other:
        data["is_other"] = True
    return data


_QUESTION_DEFAULTS = {
    "help": LocalizedText(),
    "required": False,
    "options": (),
    "shuffle": False,
    "min_selections": None,
    "max_selections": None,
    "scale_min": 1,
    "scale_max": 5,
    "scale_min_label": LocalizedText(),
    "scale_max_label": LocalizedText(),
    "rows": (),
    "rank_top": None,
    "number_min": None,
    "number_max": None,
    "integer": True,
    "max_length": None,
    "demographic": None,
    "show_if": None,
}


@dataclass(frozen=True)
class Section:
    """A page of questions, shown only when ``show_if`` holds."""

    id: str
    title: LocalizedText = LocalizedText()
    description: LocalizedText = LocalizedText()
    questions: tuple[Question, ...] = ()
    show_if: Condition | None = None

    def to_dict(self) -> dict:
        data: dict = {"id": self.id, "title": self.title.to_dict()}
        if self.description != LocalizedText():  # keep even blank text: the round trip is lossless
            data["description"] = self.description.to_dict()
        data["questions"] = [q.to_dict() for q in self.questions]
        if self.show_if is not None:
            data["show_if"] = conditions.to_dict(self.show_if)
        return data


@dataclass(frozen=True)
class Questionnaire:
    """Ordered sections of questions. ``anonymous`` responses keep no link to a person."""

    title: LocalizedText
    sections: tuple[Section, ...] = ()
    description: LocalizedText = LocalizedText()
    anonymous: bool = False
    languages: tuple[str, ...] = LANGUAGES

    def questions(self) -> Iterator[Question]:
        """All questions in answering order: section order, then question order."""
        for section in self.sections:
            yield from section.questions

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions() if q.id == question_id), None)

    def section(self, section_id: str) -> Section | None:
        return next((s for s in self.sections if s.id == section_id), None)

    def section_of(self, question_id: str) -> Section | None:
        return next((s for s in self.sections if any(q.id == question_id for q in s.questions)), None)

    def to_dict(self) -> dict:
        """JSON-ready data; ``Questionnaire.from_dict`` reads it back equal."""
        return {
            "format": FORMAT,
            "title": self.title.to_dict(),
            "description": self.description.to_dict(),
            "anonymous": self.anonymous,
            "languages": list(self.languages),
            "sections": [s.to_dict() for s in self.sections],
        }

    @classmethod
    def from_dict(cls, data: object) -> Questionnaire:
        """Read :meth:`to_dict` output (or hand-written JSON); raise :class:`SpecError`."""
        return _read_questionnaire(data)


# --------------------------------------------------------------------------- reading

def _object(data: object, path: str, required: set[str], optional: set[str]) -> Mapping:
    if not isinstance(data, Mapping):
        raise SpecError(path, f"expected an object, got {_kind(data)}")
    for key in data:
        if key not in required and key not in optional:
            raise SpecError(path, f"unknown key {key!r}")
    for key in sorted(required):
        if key not in data:
            raise SpecError(path, f"missing key {key!r}")
    return data


def _kind(value: object) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", str: "text", int: "a number", float: "a number", list: "a list",
            dict: "an object"}.get(type(value), type(value).__name__)


def _text(value: object, path: str) -> str:
    if not isinstance(value, str):
        raise SpecError(path, f"expected text, got {_kind(value)}")
    return value


def _bool(value: object, path: str) -> bool:
    if not isinstance(value, bool):
        raise SpecError(path, f"expected true or false, got {_kind(value)}")
    return value


def _int_or_none(value: object, path: str) -> int | None:
    if value is None:
        return None
    return _int(value, path)


def _int(value: object, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError(path, f"expected a whole number, got {_kind(value)}")
    return value


def _number_or_none(value: object, path: str) -> int | float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SpecError(path, f"expected a number, got {_kind(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise SpecError(path, "expected a finite number")
    return value


def _list(value: object, path: str) -> list:
    if not isinstance(value, list):
        raise SpecError(path, f"expected a list, got {_kind(value)}")
    return value


def _localized(value: object, path: str) -> LocalizedText:
    if isinstance(value, str):
        return LocalizedText(zh=value)
    data = _object(value, path, set(), {"zh", "en"})
    return LocalizedText(zh=_text(data.get("zh", ""), f"{path}.zh"), en=_text(data.get("en", ""), f"{path}.en"))


def _question_id(value: object, path: str, what: str) -> str:
    if not is_question_id(value):
        raise SpecError(path, f"{what} {value!r} is not valid: use {QUESTION_ID_RULE} (and not a reserved name)")
    return value


def _option_id(value: object, path: str, what: str) -> str:
    if not is_option_id(value):
        raise SpecError(path, f"{what} {value!r} is not valid: use {OPTION_ID_RULE}")
    return value


def _condition(value: object, path: str) -> Condition | None:
    if value is None:
        return None
    try:
        return conditions.from_dict(value, path)
    except ConditionError as exc:
        message = str(exc)
        prefix = f"{path}: "
        raise SpecError(path, message[len(prefix):] if message.startswith(prefix) else message) from None


def _enum(enum: type[Enum], value: object, path: str, what: str):
    try:
        return enum(value)
    except ValueError:
        names = ", ".join(member.value for member in enum)
        raise SpecError(path, f"unknown {what} {value!r}; use one of {names}") from None


def _read_options(value: object, path: str) -> tuple[Option, ...]:
    seen: set[str] = set()
    options = []
    for i, item in enumerate(_list(value, path)):
        item_path = f"{path}[{i}]"
        data = _object(item, item_path, {"id", "label"}, {"is_other"})
        option_id = _option_id(data["id"], f"{item_path}.id", "option id")
        if option_id in seen:
            raise SpecError(path, f"option id {option_id!r} appears twice")
        seen.add(option_id)
        options.append(Option(option_id, _localized(data["label"], f"{item_path}.label"),
                              _bool(data.get("is_other", False), f"{item_path}.is_other")))
    return tuple(options)


def _read_rows(value: object, path: str) -> tuple[MatrixRow, ...]:
    seen: set[str] = set()
    rows = []
    for i, item in enumerate(_list(value, path)):
        item_path = f"{path}[{i}]"
        data = _object(item, item_path, {"id", "label"}, set())
        row_id = _option_id(data["id"], f"{item_path}.id", "row id")
        if row_id in seen:
            raise SpecError(path, f"row id {row_id!r} appears twice")
        seen.add(row_id)
        rows.append(MatrixRow(row_id, _localized(data["label"], f"{item_path}.label")))
    return tuple(rows)


def _read_question(value: object, path: str) -> Question:
    data = _object(value, path, {"id", "type", "title"}, set(_QUESTION_DEFAULTS))
    kwargs: dict = {
        "id": _question_id(data["id"], f"{path}.id", "question id"),
        "type": _enum(QuestionType, data["type"], f"{path}.type", "question type"),
        "title": _localized(data["title"], f"{path}.title"),
    }
    for name in data:
        if name in kwargs:
            continue
        item, item_path = data[name], f"{path}.{name}"
        if name in ("help", "scale_min_label", "scale_max_label"):
            kwargs[name] = _localized(item, item_path)
        elif name in ("required", "shuffle", "integer"):
            kwargs[name] = _bool(item, item_path)
        elif name in ("min_selections", "max_selections", "rank_top", "max_length"):
            kwargs[name] = _int_or_none(item, item_path)
        elif name in ("scale_min", "scale_max"):
            kwargs[name] = _int(item, item_path)
        elif name in ("number_min", "number_max"):
            kwargs[name] = _number_or_none(item, item_path)
        elif name == "options":
            kwargs[name] = _read_options(item, item_path)
        elif name == "rows":
            kwargs[name] = _read_rows(item, item_path)
        elif name == "demographic":
            kwargs[name] = None if item is None else _enum(Demographic, item, item_path, "demographic tag")
        elif name == "show_if":
            kwargs[name] = _condition(item, item_path)
    return Question(**kwargs)


def _read_section(value: object, path: str, seen_questions: dict[str, str]) -> Section:
    data = _object(value, path, {"id"}, {"title", "description", "questions", "show_if"})
    questions = []
    for i, item in enumerate(_list(data.get("questions", []), f"{path}.questions")):
        question = _read_question(item, f"{path}.questions[{i}]")
        if question.id in seen_questions:
            raise SpecError(f"{path}.questions[{i}].id",
                            f"question id {question.id!r} is already used at {seen_questions[question.id]}")
        seen_questions[question.id] = f"{path}.questions[{i}]"
        questions.append(question)
    return Section(
        id=_question_id(data["id"], f"{path}.id", "section id"),
        title=_localized(data.get("title", ""), f"{path}.title"),
        description=_localized(data.get("description", ""), f"{path}.description"),
        questions=tuple(questions),
        show_if=_condition(data.get("show_if"), f"{path}.show_if"),
    )


def _read_questionnaire(value: object) -> Questionnaire:
    data = _object(value, "", {"title"}, {"format", "description", "anonymous", "languages", "sections"})
    if "format" in data and data["format"] != FORMAT:
        raise SpecError("format", f"unsupported format {data['format']!r}; expected {FORMAT!r}")
    languages = _list(data.get("languages", list(LANGUAGES)), "languages")
    for i, language in enumerate(languages):
        if language not in LANGUAGES:
            raise SpecError(f"languages[{i}]", f"unknown language {language!r}; use {' or '.join(LANGUAGES)}")
    if not languages or len(set(languages)) != len(languages):
        raise SpecError("languages", "list each of 'zh' and 'en' at most once, and at least one of them")
    sections = []
    seen_sections: set[str] = set()
    seen_questions: dict[str, str] = {}
    for i, item in enumerate(_list(data.get("sections", []), "sections")):
        section = _read_section(item, f"sections[{i}]", seen_questions)
        if section.id in seen_sections:
            raise SpecError(f"sections[{i}].id", f"section id {section.id!r} appears twice")
        seen_sections.add(section.id)
        sections.append(section)
    return Questionnaire(
        title=_localized(data["title"], "title"),
        description=_localized(data.get("description", ""), "description"),
        anonymous=_bool(data.get("anonymous", False), "anonymous"),
        languages=tuple(languages),
        sections=tuple(sections),
    )
