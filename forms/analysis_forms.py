"""The filter form of the analysis page: read from the query string (GET), no database access.

The view passes the choices (versions, units, sub-districts, the demographic
questions with their options, breakdown variables, need questions); the form
class is built per questionnaire because each demographic question gets a
field of its own, named ``a_<question id>``.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

#: Prefix of the per-question answer filter fields.
ANSWER_PREFIX = "a_"


class CheckboxList(SelectMultipleField):
    """Several choices as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class AnalysisFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form: it changes nothing

    versions = CheckboxList(_l("Versions"), coerce=int, validators=[Optional()])
    date_from = DateField(_l("Submitted from"), validators=[Optional()])
    date_to = DateField(_l("Submitted until"), validators=[Optional()])
    unit = SelectField(_l("Unit"), coerce=str, validators=[Optional()])
    sub_district = SelectField(_l("Sub-district"), coerce=str, validators=[Optional()])
    by = SelectField(_l("Break down by"), coerce=str, validators=[Optional()])
    need = CheckboxList(_l("Need questions in the priority ranking"), coerce=str, validators=[Optional()])

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The last day comes before the first day."))

    def answer_fields(self):
        """The per-question answer filter fields, in questionnaire order."""
        return [f for f in self if f.name.startswith(ANSWER_PREFIX)]

    def answer_filters(self) -> dict[str, list[str]]:
        """Question id -> chosen option ids, for the questions with a choice."""
        return {f.name[len(ANSWER_PREFIX):]: list(f.data) for f in self.answer_fields() if f.data}


def analysis_filter_form(
    formdata,
    *,
    versions: Sequence[int],
    units: Sequence[tuple[str, str]],
    sub_districts: Sequence[tuple[str, str]],
    demographics: Sequence[tuple[str, str, Sequence[tuple[str, str]]]],
    breakdowns: Sequence[tuple[str, str]],
    need_questions: Sequence[tuple[str, str]],
) -> AnalysisFilterForm:
    """The form for one questionnaire, bound to ``formdata`` (the request's query string).

    ``units``/``sub_districts``: (id as text, label); ``demographics``:
    (question id, title, [(option id, label)]); ``breakdowns`` and
    ``need_questions``: (key, label).
    """

    class Form(AnalysisFilterForm):
        pass

    for question_id, title, options in demographics:
        setattr(Form, f"{ANSWER_PREFIX}{question_id}",
                CheckboxList(title, choices=_choices(options), coerce=str, validators=[Optional()]))
    form = Form(formdata=formdata)
    form.versions.choices = [SelectChoice(v, str(v)) for v in versions]
    form.unit.choices = [SelectChoice("", _l("All units"))] + _choices(units)
    form.sub_district.choices = [SelectChoice("", _l("All sub-districts"))] + _choices(sub_districts)
    form.by.choices = [SelectChoice("", _l("No breakdown"))] + _choices(breakdowns)
    form.need.choices = _choices(need_questions)
    return form


def _choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]
