"""Staff forms of the questionnaire builder: a question, a section, the questionnaire, an upload.

A question's options and a matrix's rows are edited as plain text, one per
line, ``id | 中文 | English``; a ``*`` after an option id marks "other,
please specify" (``other* | 其他 | Other``), and ``\\|`` writes a literal bar
inside a label. Conditions are written in XLSForm syntax
(``${age} >= 18 and selected(${needs}, 'legal')``) and parsed by
``forms.questionnaire.conditions.parse``; never evaluated as code.

These forms refuse only what cannot be stored (malformed ids, repeated
option ids, a line without a label, a condition that does not parse).
Everything else that blocks publishing — too few options, a bad scale, a
condition reading a later question — is found by
``checks.publish_problems`` and shown beside the question on the builder
page, so each rule is written once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DecimalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from forms.questionnaire import conditions
from forms.questionnaire.conditions import Condition, ConditionError, ConditionSyntaxError
from forms.questionnaire.ids import OPTION_ID_RULE, QUESTION_ID_RULE, is_option_id, is_question_id
from forms.questionnaire.spec import (
    CHOICE_TYPES,
    SCALE_TYPES,
    TEXT_TYPES,
    Demographic,
    LocalizedText,
    MatrixRow,
    Option,
    Question,
    Questionnaire,
    QuestionType,
    Section,
)

TYPE_LABELS = {
    QuestionType.SINGLE_CHOICE: _l("Single choice"),
    QuestionType.MULTIPLE_CHOICE: _l("Multiple choice"),
    QuestionType.RATING: _l("Rating scale"),
    QuestionType.MATRIX: _l("Matrix (rows on one scale)"),
    QuestionType.RANKING: _l("Ranking"),
    QuestionType.NUMBER: _l("Number"),
    QuestionType.SHORT_TEXT: _l("Short text"),
    QuestionType.LONG_TEXT: _l("Long text"),
    QuestionType.DATE: _l("Date"),
}

DEMOGRAPHIC_LABELS = {
    Demographic.SUB_DISTRICT: _l("Sub-district"),
    Demographic.UNIT_KIND: _l("Unit kind"),
    Demographic.INDUSTRY: _l("Industry"),
    Demographic.AGE_BAND: _l("Age band"),
    Demographic.GENDER: _l("Gender"),
    Demographic.OTHER: _l("Other demographic"),
}

TYPE_CHOICES = [SelectChoice(t.value, label) for t, label in TYPE_LABELS.items()]
DEMOGRAPHIC_CHOICES = [SelectChoice("", _l("Not demographic"))] + [
    SelectChoice(d.value, label) for d, label in DEMOGRAPHIC_LABELS.items()
]
LANGUAGE_CHOICES = [
    SelectChoice("zh en", _l("Chinese and English")),
    SelectChoice("zh", _l("Chinese only")),
    SelectChoice("en", _l("English only")),
]

_BAR = re.compile(r"(?<!\\)\|")
_LIMIT = NumberRange(min=-1000, max=1000)


def _strip(value):
    return value.strip() if isinstance(value, str) else value


# --------------------------------------------------------------------------- labelled lines

@dataclass(frozen=True)
class LabelledLine:
    """One parsed line of an options or rows textarea."""

    line: int
    id: str
    label: LocalizedText
    is_other: bool = False


def parse_labelled_lines(text: str | None, *, rows: bool = False) -> tuple[list[LabelledLine], list]:
    """Lines ``id | 中文 | English`` into items, and errors that name their line (1-based, blank lines count).

    ``rows`` reads matrix rows, which cannot be "other, please specify".
    """
    items: list[LabelledLine] = []
    errors: list = []
    first_line: dict[str, int] = {}
    for number, raw in enumerate((text or "").splitlines(), start=1):
        if not raw.strip():
            continue
        parts = [part.strip().replace("\\|", "|") for part in _BAR.split(raw)]
        if len(parts) > 3:
            errors.append(_l("line %(n)d: too many '|' separators; write: id | Chinese | English", n=number))
            continue
        item_id, zh, en = (parts + ["", ""])[:3]
        is_other = item_id.endswith("*")
        if is_other:
            item_id = item_id[:-1].rstrip()
        if not item_id or not zh:
            errors.append(_l("line %(n)d: a row needs an id and a Chinese label", n=number) if rows
                          else _l("line %(n)d: an option needs an id and a Chinese label", n=number))
            continue
        if not is_option_id(item_id):
            errors.append(_l("line %(n)d: '%(id)s' is not a valid id: use %(rule)s", n=number, id=item_id,
                             rule=OPTION_ID_RULE))
            continue
        if item_id in first_line:
            errors.append(_l("line %(n)d: the id %(id)s is already used on line %(first)d", n=number, id=item_id,
                             first=first_line[item_id]))
            continue
        if is_other and rows:
            errors.append(_l("line %(n)d: a matrix row cannot be \"other, please specify\"", n=number))
            continue
        first_line[item_id] = number
        items.append(LabelledLine(number, item_id, LocalizedText(zh, en), is_other))
    return items, errors


def _escape(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def format_labelled_lines(items) -> str:
    """Options or rows as textarea lines; :func:`parse_labelled_lines` reads them back.

    Line breaks inside a label become spaces (a label is one line here).
    """
    lines = []
    for item in items:
        head = item.id + ("*" if getattr(item, "is_other", False) else "")
        parts = [head, _escape(item.label.zh)]
        if item.label.en.strip():
            parts.append(_escape(item.label.en))
        lines.append(" | ".join(parts))
    return "\n".join(lines)


def parse_condition_field(field) -> Condition | None:
    """The condition written in ``field`` (None when empty), or None with the error appended to the field."""
    text = (field.data or "").strip()
    if not text:
        return None
    try:
        return conditions.parse(text)
    except ConditionSyntaxError as exc:
        near = exc.text[exc.position:exc.position + 20]
        if near:
            message = _l("The condition does not parse at character %(position)d (near “%(near)s”): %(reason)s",
                         position=exc.position + 1, near=near, reason=exc.reason)
        else:
            message = _l("The condition does not parse at character %(position)d (at the end): %(reason)s",
                         position=exc.position + 1, reason=exc.reason)
        field.errors.append(message)
    except ConditionError as exc:
        field.errors.append(_l("The condition cannot be used: %(reason)s", reason=str(exc)))
    return None


def _condition_text(condition: Condition | None) -> str:
    return conditions.to_xlsform_text(condition) if condition is not None else ""


def _number(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _text(field) -> str:
    return (field.data or "").strip()


def _validate_id(field) -> None:
    if not is_question_id(field.data):
        raise ValidationError(_l("Use %(rule)s, and not a reserved name.", rule=QUESTION_ID_RULE))


def _validate_finite(field) -> None:
    if field.data is not None and not field.data.is_finite():
        raise ValidationError(_l("Enter a number."))


_CONDITION_HELP = _l("Leave empty to always show. XLSForm syntax, e.g. ${age} >= 18 and selected(${needs}, 'legal')")


# --------------------------------------------------------------------------- question

@dataclass(frozen=True)
class FieldGroup:
    """Settings that apply to some question types; the template shows the current type's groups first."""

    key: str
    legend: object
    types: frozenset
    fields: tuple[str, ...]


class QuestionForm(FlaskForm):
    id = StringField(_l("Question id"), filters=[_strip], validators=[DataRequired(), Length(max=64)],
                     render_kw={"autocapitalize": "none", "spellcheck": "false"})
    type = SelectField(_l("Question type"), choices=TYPE_CHOICES, validators=[DataRequired()])
    title_zh = TextAreaField(_l("Question (Chinese)"), filters=[_strip], validators=[Length(max=1000)],
                             render_kw={"rows": 2})
    title_en = TextAreaField(_l("Question (English)"), filters=[_strip], validators=[Length(max=1000)],
                             render_kw={"rows": 2})
    help_zh = TextAreaField(_l("Help text (Chinese)"), filters=[_strip], validators=[Length(max=4000)],
                            render_kw={"rows": 2})
    help_en = TextAreaField(_l("Help text (English)"), filters=[_strip], validators=[Length(max=4000)],
                            render_kw={"rows": 2})
    required = BooleanField(_l("An answer is required"))
    demographic = SelectField(_l("Demographic tag (results can be broken down by it)"), choices=DEMOGRAPHIC_CHOICES,
                              default="")
    show_if = TextAreaField(_l("Show only when"), filters=[_strip], validators=[Length(max=4000)],
                            render_kw={"rows": 2, "autocapitalize": "none", "spellcheck": "false"})

    options = TextAreaField(_l("Options, one per line: id | Chinese | English"), validators=[Length(max=50_000)],
                            render_kw={"rows": 8, "autocapitalize": "none", "spellcheck": "false"})
    shuffle = BooleanField(_l("Shuffle the options for each respondent (\"other\" stays last)"))
    min_selections = IntegerField(_l("At least this many selections"), validators=[Optional(), NumberRange(min=1)])
    max_selections = IntegerField(_l("At most this many selections"), validators=[Optional(), NumberRange(min=1)])
    rank_top = IntegerField(_l("Rank the top (empty: all options)"), validators=[Optional(), NumberRange(min=1)])
    scale_min = IntegerField(_l("Scale from"), default=1, validators=[Optional(), _LIMIT])
    scale_max = IntegerField(_l("Scale to"), default=5, validators=[Optional(), _LIMIT])
    scale_min_label_zh = StringField(_l("Label of the lowest point (Chinese)"), filters=[_strip],
                                     validators=[Length(max=200)])
    scale_min_label_en = StringField(_l("Label of the lowest point (English)"), filters=[_strip],
                                     validators=[Length(max=200)])
    scale_max_label_zh = StringField(_l("Label of the highest point (Chinese)"), filters=[_strip],
                                     validators=[Length(max=200)])
    scale_max_label_en = StringField(_l("Label of the highest point (English)"), filters=[_strip],
                                     validators=[Length(max=200)])
    rows = TextAreaField(_l("Matrix rows, one per line: id | Chinese | English"), validators=[Length(max=50_000)],
                         render_kw={"rows": 6, "autocapitalize": "none", "spellcheck": "false"})
    number_min = DecimalField(_l("Smallest number allowed"), places=None, validators=[Optional()])
    number_max = DecimalField(_l("Largest number allowed"), places=None, validators=[Optional()])
    number_kind = SelectField(_l("Numbers"), choices=[SelectChoice("integer", _l("Whole numbers only")),
                                                       SelectChoice("decimal", _l("Decimals allowed"))],
                              default="integer")
    max_length = IntegerField(_l("Longest answer, in characters (empty: the built-in limit)"),
                              validators=[Optional(), NumberRange(min=1)])

    GROUPS = (
        FieldGroup("choices", _l("Options"), frozenset(CHOICE_TYPES), ("options", "shuffle")),
        FieldGroup("selections", _l("Number of selections"), frozenset({QuestionType.MULTIPLE_CHOICE}),
                   ("min_selections", "max_selections")),
        FieldGroup("ranking", _l("Ranking"), frozenset({QuestionType.RANKING}), ("rank_top",)),
        FieldGroup("scale", _l("Scale"), frozenset(SCALE_TYPES),
                   ("scale_min", "scale_max", "scale_min_label_zh", "scale_min_label_en", "scale_max_label_zh",
                    "scale_max_label_en")),
        FieldGroup("rows", _l("Matrix rows"), frozenset({QuestionType.MATRIX}), ("rows",)),
        FieldGroup("number", _l("Number"), frozenset({QuestionType.NUMBER}),
                   ("number_min", "number_max", "number_kind")),
        FieldGroup("text", _l("Text length"), frozenset(TEXT_TYPES), ("max_length",)),
    )

    HELP: ClassVar[dict[str, object]] = {
        "id": _l("Conditions refer to the question by this id, as ${id}. Letters, digits and _."),
        "options": _l("Mark \"other, please specify\" with * after the id, e.g. other* | 其他 | Other."),
        "rows": _l("Each row is answered on the scale above."),
        "show_if": _CONDITION_HELP,
    }

    _options: tuple[Option, ...] = ()
    _rows: tuple[MatrixRow, ...] = ()
    _condition: Condition | None = None

    @property
    def question_type(self) -> QuestionType | None:
        try:
            return QuestionType(self.type.data)
        except ValueError:
            return None

    def groups(self) -> tuple[list[FieldGroup], list[FieldGroup]]:
        """(groups for the chosen type, the other groups) for the template."""
        current = self.question_type
        return ([g for g in self.GROUPS if current in g.types], [g for g in self.GROUPS if current not in g.types])

    def group_has_errors(self, group: FieldGroup) -> bool:
        return any(self[name].errors for name in group.fields)

    def validate_id(self, field) -> None:
        _validate_id(field)

    def validate_title_zh(self, field) -> None:
        if not field.data and not self.title_en.data:
            raise ValidationError(_l("Write the question in Chinese, English or both."))

    def validate_number_min(self, field) -> None:
        _validate_finite(field)

    def validate_number_max(self, field) -> None:
        _validate_finite(field)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        question_type = self.question_type
        if question_type in CHOICE_TYPES:
            items, errors = parse_labelled_lines(self.options.data)
            self.options.errors = list(self.options.errors) + errors
            self._options = tuple(Option(i.id, i.label, i.is_other) for i in items)
        if question_type is QuestionType.MATRIX:
            items, errors = parse_labelled_lines(self.rows.data, rows=True)
            self.rows.errors = list(self.rows.errors) + errors
            self._rows = tuple(MatrixRow(i.id, i.label) for i in items)
        self._condition = parse_condition_field(self.show_if)
        return valid and not (self.options.errors or self.rows.errors or self.show_if.errors)

    def from_question(self, question: Question) -> QuestionForm:
        """Fill the fields from a question (for a GET of the edit page)."""
        q = question
        self.id.data = q.id
        self.type.data = q.type.value
        self.title_zh.data, self.title_en.data = q.title.zh, q.title.en
        self.help_zh.data, self.help_en.data = q.help.zh, q.help.en
        self.required.data = q.required
        self.demographic.data = q.demographic.value if q.demographic else ""
        self.show_if.data = _condition_text(q.show_if)
        self.options.data = format_labelled_lines(q.options)
        self.shuffle.data = q.shuffle
        self.min_selections.data, self.max_selections.data = q.min_selections, q.max_selections
        self.rank_top.data = q.rank_top
        self.scale_min.data, self.scale_max.data = q.scale_min, q.scale_max
        self.scale_min_label_zh.data, self.scale_min_label_en.data = q.scale_min_label.zh, q.scale_min_label.en
        self.scale_max_label_zh.data, self.scale_max_label_en.data = q.scale_max_label.zh, q.scale_max_label.en
        self.rows.data = format_labelled_lines(q.rows)
        self.number_min.data = None if q.number_min is None else Decimal(str(q.number_min))
        self.number_max.data = None if q.number_max is None else Decimal(str(q.number_max))
        self.number_kind.data = "integer" if q.integer else "decimal"
        self.max_length.data = q.max_length
        return self

    def to_question(self) -> Question | None:
        """The question the fields describe, after :meth:`validate`; None (with field errors) when invalid.

        Settings that do not apply to the chosen type are not kept.
        """
        question_type = self.question_type
        if question_type is None or self.errors:
            return None
        kwargs: dict = {
            "id": self.id.data,
            "type": question_type,
            "title": LocalizedText(_text(self.title_zh), _text(self.title_en)),
            "help": LocalizedText(_text(self.help_zh), _text(self.help_en)),
            "required": bool(self.required.data),
            "demographic": Demographic(self.demographic.data) if self.demographic.data else None,
            "show_if": self._condition,
        }
        if question_type in CHOICE_TYPES:
            kwargs.update(options=self._options, shuffle=bool(self.shuffle.data))
        if question_type is QuestionType.MULTIPLE_CHOICE:
            kwargs.update(min_selections=self.min_selections.data, max_selections=self.max_selections.data)
        if question_type is QuestionType.RANKING:
            kwargs.update(rank_top=self.rank_top.data)
        if question_type in SCALE_TYPES:
            kwargs.update(
                scale_min=1 if self.scale_min.data is None else self.scale_min.data,
                scale_max=5 if self.scale_max.data is None else self.scale_max.data,
                scale_min_label=LocalizedText(_text(self.scale_min_label_zh), _text(self.scale_min_label_en)),
                scale_max_label=LocalizedText(_text(self.scale_max_label_zh), _text(self.scale_max_label_en)),
            )
        if question_type is QuestionType.MATRIX:
            kwargs.update(rows=self._rows)
        if question_type is QuestionType.NUMBER:
            kwargs.update(number_min=_number(self.number_min.data), number_max=_number(self.number_max.data),
                          integer=self.number_kind.data != "decimal")
        if question_type in TEXT_TYPES:
            kwargs.update(max_length=self.max_length.data)
        return Question(**kwargs)


# --------------------------------------------------------------------------- section

class SectionForm(FlaskForm):
    id = StringField(_l("Section id"), filters=[_strip], validators=[DataRequired(), Length(max=64)],
                     render_kw={"autocapitalize": "none", "spellcheck": "false"})
    title_zh = StringField(_l("Title (Chinese)"), filters=[_strip], validators=[Length(max=300)])
    title_en = StringField(_l("Title (English)"), filters=[_strip], validators=[Length(max=300)])
    description_zh = TextAreaField(_l("Introduction (Chinese)"), filters=[_strip], validators=[Length(max=4000)],
                                   render_kw={"rows": 3})
    description_en = TextAreaField(_l("Introduction (English)"), filters=[_strip], validators=[Length(max=4000)],
                                   render_kw={"rows": 3})
    show_if = TextAreaField(_l("Show this page only when"), filters=[_strip], validators=[Length(max=4000)],
                            render_kw={"rows": 2, "autocapitalize": "none", "spellcheck": "false"})

    HELP: ClassVar[dict[str, object]] = {"show_if": _CONDITION_HELP}

    _condition: Condition | None = None

    def validate_id(self, field) -> None:
        _validate_id(field)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        self._condition = parse_condition_field(self.show_if)
        return valid and not self.show_if.errors

    def from_section(self, section: Section) -> SectionForm:
        """Fill the fields from a section (for a GET of the edit page)."""
        self.id.data = section.id
        self.title_zh.data, self.title_en.data = section.title.zh, section.title.en
        self.description_zh.data, self.description_en.data = section.description.zh, section.description.en
        self.show_if.data = _condition_text(section.show_if)
        return self

    def to_changes(self) -> dict:
        """Keyword arguments for ``editing.update_section``, after :meth:`validate`."""
        return {
            "new_id": self.id.data,
            "title": LocalizedText(_text(self.title_zh), _text(self.title_en)),
            "description": LocalizedText(_text(self.description_zh), _text(self.description_en)),
            "show_if": self._condition,
        }

    def to_section(self) -> Section:
        """A new, empty section, after :meth:`validate`."""
        changes = self.to_changes()
        return Section(changes["new_id"], changes["title"], changes["description"], show_if=changes["show_if"])


# --------------------------------------------------------------------------- new questionnaire, upload

class NewQuestionnaireForm(FlaskForm):
    """A blank questionnaire with one section. ``kind.choices`` is set by the view (kinds live in the models)."""

    title_zh = StringField(_l("Title (Chinese)"), filters=[_strip], validators=[DataRequired(), Length(max=300)])
    title_en = StringField(_l("Title (English)"), filters=[_strip], validators=[Length(max=300)])
    kind = SelectField(_l("Kind"), validators=[DataRequired()])
    languages = SelectField(_l("Languages of the questionnaire"), choices=LANGUAGE_CHOICES, default="zh en")
    anonymous = BooleanField(_l("Anonymous: responses keep no link to a person"), default=True)
    section_title_zh = StringField(_l("Title of the first page (Chinese)"), filters=[_strip],
                                   validators=[DataRequired(), Length(max=300)])
    section_title_en = StringField(_l("Title of the first page (English)"), filters=[_strip],
                                   validators=[Length(max=300)])

    def to_questionnaire(self) -> Questionnaire:
        """The blank questionnaire, after validation."""
        return Questionnaire(
            title=LocalizedText(_text(self.title_zh), _text(self.title_en)),
            sections=(Section("s1", LocalizedText(_text(self.section_title_zh), _text(self.section_title_en))),),
            anonymous=bool(self.anonymous.data),
            languages=tuple(self.languages.data.split()),
        )


class DetailsForm(FlaskForm):
    """The questionnaire's own title, introduction, languages and anonymity."""

    title_zh = StringField(_l("Title (Chinese)"), filters=[_strip], validators=[DataRequired(), Length(max=300)])
    title_en = StringField(_l("Title (English)"), filters=[_strip], validators=[Length(max=300)])
    description_zh = TextAreaField(_l("Introduction (Chinese)"), filters=[_strip], validators=[Length(max=4000)],
                                   render_kw={"rows": 4})
    description_en = TextAreaField(_l("Introduction (English)"), filters=[_strip], validators=[Length(max=4000)],
                                   render_kw={"rows": 4})
    languages = SelectField(_l("Languages of the questionnaire"), choices=LANGUAGE_CHOICES, default="zh en")
    anonymous = BooleanField(_l("Anonymous: responses keep no link to a person"))

    def from_spec(self, questionnaire: Questionnaire) -> DetailsForm:
        """Fill the fields from a questionnaire (for a GET of the page)."""
        self.title_zh.data, self.title_en.data = questionnaire.title.zh, questionnaire.title.en
        self.description_zh.data = questionnaire.description.zh
        self.description_en.data = questionnaire.description.en
        languages = " ".join(questionnaire.languages)
        self.languages.data = languages if languages in {c.value for c in LANGUAGE_CHOICES} else "zh en"
        self.anonymous.data = questionnaire.anonymous
        return self

    def to_changes(self) -> dict:
        """Keyword arguments for ``editing.update_details``, after validation."""
        return {
            "title": LocalizedText(_text(self.title_zh), _text(self.title_en)),
            "description": LocalizedText(_text(self.description_zh), _text(self.description_en)),
            "languages": tuple(self.languages.data.split()),
            "anonymous": bool(self.anonymous.data),
        }


class ImportForm(FlaskForm):
    """An uploaded JSON export or XLSForm workbook. ``kind.choices`` is set by the view."""

    file = FileField(_l("File (.json or .xlsx)"), validators=[FileRequired(_l("Choose a file to upload."))])
    kind = SelectField(_l("Kind"))
