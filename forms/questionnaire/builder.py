"""Build a WTForms form class for one section (page) of a questionnaire.

The fields only render and carry what the browser posted; the rules live in
``answers.clean_section``, which the form's ``validate`` calls, so the HTML
form and the JSON API can never disagree. Field names are listed in
``answers``' module docstring; every field works without JavaScript (radio
groups, checkboxes, one select per rank position).

After a successful ``validate()`` the form carries ``answers`` (canonical
values of the shown questions), ``hidden_questions`` and
``question_errors`` (errors that belong to a question rather than one of its
fields, e.g. an unanswered required ranking).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import CheckboxInput, DateInput, ListWidget, NumberInput

from forms.questionnaire import conditions
from forms.questionnaire.answers import (
    OTHER_TEXT_LIMIT,
    clean_section,
    earlier_answers,
    field_names,
    other_field,
    rank_count,
    rank_field,
    row_field,
)
from forms.questionnaire.checks import TEXT_LIMITS
from forms.questionnaire.spec import Option, Question, Questionnaire, QuestionType


@dataclass(frozen=True)
class QuestionLayout:
    """What a template needs to lay out one question around its fields.

    ``shown`` is True when the question is shown whatever is answered on this
    page, False when earlier pages' answers hide it (leave it out), and None
    when its condition reads a question on this same page (render it; a
    script may hide it; the server drops its answer if it turns out hidden).
    """

    question: Question
    title: str
    help: str
    fields: tuple[str, ...]
    other_field: str | None
    option_order: tuple[str, ...]
    scale_min_label: str
    scale_max_label: str
    shown: bool | None
    show_if: dict | None


def ordered_options(question: Question, seed: object | None) -> tuple[Option, ...]:
    """Options in display order: shuffled by ``seed`` when the question asks for it.

    The same seed (e.g. the response's id) always gives the same order, so a
    respondent sees a stable page on reload. "Other" options stay last.
    """
    if not question.shuffle or seed is None:
        return question.options
    regular = [o for o in question.options if not o.is_other]
    random.Random(f"{seed}/{question.id}").shuffle(regular)  # nosec B311  # display order, not a secret
    return tuple(regular) + tuple(o for o in question.options if o.is_other)


def _required_kw(question: Question, shown: bool | None) -> dict:
    # The browser may enforce "required" only where the question cannot be hidden on this page.
    return {"required": True} if question.required and shown else {}


def _fields_for(question: Question, locale: str, seed: object | None, shown: bool | None) -> dict:
    title = question.title.get(locale)
    options = ordered_options(question, seed)
    choices = [SelectChoice(o.id, o.label.get(locale)) for o in options]
    required = _required_kw(question, shown)
    kind = question.type
    fields: dict = {}
    if kind is QuestionType.SINGLE_CHOICE:
        fields[question.id] = RadioField(title, choices=choices, validate_choice=False, render_kw=required)
    elif kind is QuestionType.MULTIPLE_CHOICE:
        fields[question.id] = SelectMultipleField(
            title, choices=choices, validate_choice=False, widget=ListWidget(prefix_label=False),
            option_widget=CheckboxInput())
    elif kind is QuestionType.RATING:
        scale = [SelectChoice(str(v), str(v)) for v in range(question.scale_min, question.scale_max + 1)]
        fields[question.id] = RadioField(title, choices=scale, validate_choice=False, render_kw=required)
    elif kind is QuestionType.MATRIX:
        scale = [SelectChoice(str(v), str(v)) for v in range(question.scale_min, question.scale_max + 1)]
        for row in question.rows:
            fields[row_field(question.id, row.id)] = RadioField(
                row.label.get(locale), choices=scale, validate_choice=False, render_kw=required)
    elif kind is QuestionType.RANKING:
        blank = [SelectChoice("", "—")]
        for position in range(1, rank_count(question) + 1):
            fields[rank_field(question.id, position)] = SelectField(
                _l("Rank %(n)d", n=position), choices=blank + choices, validate_choice=False, render_kw=required)
    elif kind is QuestionType.NUMBER:
        step = "1" if question.integer else "any"
        widget = NumberInput(step=step, min=question.number_min, max=question.number_max)
        render = {"inputmode": "numeric" if question.integer else "decimal", **required}
        fields[question.id] = StringField(title, widget=widget, render_kw=render)
    elif kind in (QuestionType.SHORT_TEXT, QuestionType.LONG_TEXT):
        limit = min(TEXT_LIMITS[kind], question.max_length or TEXT_LIMITS[kind])
        field_class = StringField if kind is QuestionType.SHORT_TEXT else TextAreaField
        fields[question.id] = field_class(title, render_kw={"maxlength": limit, **required})
    elif kind is QuestionType.DATE:
        fields[question.id] = StringField(title, widget=DateInput(), render_kw=required)
    if question.type in (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE) and question.other_option:
        fields[other_field(question.id)] = StringField(_l("Please specify"),
                                                       render_kw={"maxlength": OTHER_TEXT_LIMIT})
    return fields


def _shown(question: Question, page_ids: set[str], known: Mapping[str, object]) -> bool | None:
    if question.show_if is None:
        return True
    if page_ids & set(conditions.references(question.show_if)):
        return None
    return conditions.evaluate(question.show_if, known)


class _SectionFormMixin:
    """The ``validate`` of every built section form."""

    answers: dict
    hidden_questions: tuple
    question_errors: dict

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        formdata = MultiDict()
        for name, field in self._fields.items():
            for value in field.raw_data or ():
                formdata.add(name, value)
        result = clean_section(self.questionnaire, self.section.id, formdata, self.previous_answers)
        self.answers = result.answers
        self.hidden_questions = result.hidden
        self.question_errors = {}
        for key, messages in result.errors.items():
            field = self._fields.get(key)
            if field is None:
                self.question_errors[key] = list(messages)
            else:
                field.errors = list(field.errors) + list(messages)
        return ok and result.ok


def build_section_form(
    questionnaire: Questionnaire,
    section_id: str,
    *,
    locale: str = "zh_CN",
    seed: object | None = None,
    previous_answers: Mapping[str, object] | None = None,
    base: type = FlaskForm,
) -> type:
    """A form class for section ``section_id``: one field (or a few) per question.

    Labels are in ``locale`` ("zh_CN" or "en"; a missing translation falls back
    to the other language). ``seed`` fixes the order of shuffled options;
    ``previous_answers`` are the answers of earlier pages, used for conditions.
    ``base`` is ``FlaskForm`` (CSRF, needs a Flask app) or ``wtforms.Form``.
    """
    section = questionnaire.section(section_id)
    if section is None:
        raise LookupError(f"the questionnaire has no section {section_id!r}")
    previous = dict(previous_answers or {})
    known = earlier_answers(questionnaire, section_id, previous)
    page_ids = {q.id for q in section.questions}
    attrs: dict = {}
    layout = []
    for question in section.questions:
        shown = _shown(question, page_ids, known)
        attrs.update(_fields_for(question, locale, seed, shown))
        has_other = question.type in (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE) and bool(
            question.other_option)
        layout.append(QuestionLayout(
            question=question,
            title=question.title.get(locale),
            help=question.help.get(locale),
            fields=field_names(question),
            other_field=other_field(question.id) if has_other else None,
            option_order=tuple(o.id for o in ordered_options(question, seed)),
            scale_min_label=question.scale_min_label.get(locale),
            scale_max_label=question.scale_max_label.get(locale),
            shown=shown,
            show_if=None if question.show_if is None else conditions.to_dict(question.show_if),
        ))
    attrs.update(
        questionnaire=questionnaire,
        section=section,
        previous_answers=previous,
        layout=tuple(layout),
        answers={},
        hidden_questions=(),
        question_errors={},
    )
    return type(f"Section_{section.id}_Form", (_SectionFormMixin, base), attrs)
