"""Staff forms of the framework editor: a new framework, its title, an area, a criterion, an upload.

The forms refuse what cannot be stored: a malformed code, a title in neither language, a
number that is not a positive number, a maximum that is not a multiple of its step. Whether
the areas' numbers add up is not a form error: it takes several edits to move points between
criteria, so the draft is stored and ``check_framework`` lists what still does not add up on
the editor page, naming the area. Codes already in use are refused by the service, which
knows the whole framework.
"""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DecimalField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp, ValidationError

from forms.framework_sheet import CODE_RE, FRAMEWORK_CODE_RE, GUIDANCE_LEVELS, LANGUAGES, canonical_number

CODE_HELP = _l("Letters, digits, '.', '-' and '_', e.g. A01 or A01.1.")
_CODE = [
    DataRequired(),
    Regexp(CODE_RE.pattern + r"\Z", message=_l("Use letters, digits, '.', '-' and '_', at most 20 characters.")),
]


def _positive(form, field) -> None:
    """Greater than 0 and at most 100; a value that did not parse already has its error."""
    if field.data is None:
        return
    if field.data <= 0:
        raise ValidationError(_l("Enter a number greater than 0."))
    if field.data > 100:
        raise ValidationError(_l("Enter a number no greater than 100."))


def _number(value: Decimal) -> int | float:
    return canonical_number(float(value))


def _decimal(value: object) -> Decimal | None:
    """A stored number as the Decimal a form field shows (3, not 3.0)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Decimal(str(canonical_number(value)))
    return None


class _Titled(FlaskForm):
    title_zh = StringField(_l("Title (Chinese)"), validators=[Length(max=500)])
    title_en = StringField(_l("Title (English)"), validators=[Length(max=500)])

    def validate_title_zh(self, field) -> None:
        if not (field.data or "").strip() and not (self.title_en.data or "").strip():
            raise ValidationError(_l("Give a title in Chinese, in English, or both."))

    def title(self) -> dict[str, str]:
        return {"zh": (self.title_zh.data or "").strip(), "en": (self.title_en.data or "").strip()}


class NewFrameworkForm(FlaskForm):
    code = StringField(_l("Code"), validators=[
        DataRequired(),
        Regexp(FRAMEWORK_CODE_RE.pattern + r"\Z",
               message=_l("Use letters, digits, '.', '-' and '_', at most 40 characters.")),
    ])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    #: "" for the seeds' default framework, else the id of a framework whose newest version is copied.
    source = SelectField(_l("Start from"), choices=[], validate_choice=True)


class DetailsForm(_Titled):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])


class AreaForm(_Titled):
    code = StringField(_l("Area code"), validators=_CODE)
    weight = DecimalField(_l("Weight (points of the 100)"), places=None,
                          validators=[InputRequired(), _positive])

    def to_area(self) -> dict:
        return {"code": self.code.data.strip(), "title": self.title(), "weight": _number(self.weight.data)}

    @staticmethod
    def data_of(area: dict) -> dict:
        title = area.get("title") or {}
        return {"code": area.get("code"), "title_zh": title.get("zh", ""), "title_en": title.get("en", ""),
                "weight": _decimal(area.get("weight"))}


_GUIDANCE_LABELS = {
    ("full", "zh"): _l("Full points (Chinese)"),
    ("partial", "zh"): _l("Partial points (Chinese)"),
    ("none", "zh"): _l("No points (Chinese)"),
    ("full", "en"): _l("Full points (English)"),
    ("partial", "en"): _l("Partial points (English)"),
    ("none", "en"): _l("No points (English)"),
}


class CriterionForm(_Titled):
    code = StringField(_l("Criterion code"), validators=_CODE)
    max_points = DecimalField(_l("Maximum points"), places=None,
                              validators=[InputRequired(), _positive])
    step = DecimalField(_l("Step"), places=None, default=Decimal("0.5"),
                        validators=[InputRequired(), _positive])
    guidance_full_zh = TextAreaField(_GUIDANCE_LABELS["full", "zh"], validators=[Optional(), Length(max=2000)])
    guidance_partial_zh = TextAreaField(_GUIDANCE_LABELS["partial", "zh"], validators=[Optional(), Length(max=2000)])
    guidance_none_zh = TextAreaField(_GUIDANCE_LABELS["none", "zh"], validators=[Optional(), Length(max=2000)])
    guidance_full_en = TextAreaField(_GUIDANCE_LABELS["full", "en"], validators=[Optional(), Length(max=2000)])
    guidance_partial_en = TextAreaField(_GUIDANCE_LABELS["partial", "en"], validators=[Optional(), Length(max=2000)])
    guidance_none_en = TextAreaField(_GUIDANCE_LABELS["none", "en"], validators=[Optional(), Length(max=2000)])

    def validate_max_points(self, field) -> None:
        step = self.step.data
        if field.data is not None and step is not None and step > 0 and field.data % step != 0:
            raise ValidationError(_l("The maximum must be a multiple of the step (%(step)s).",
                                     step=_number(step)))

    def guidance_fields(self, language: str) -> list:
        return [getattr(self, f"guidance_{level}_{language}") for level in GUIDANCE_LEVELS]

    def to_criterion(self) -> dict:
        return {
            "code": self.code.data.strip(),
            "title": self.title(),
            "max_points": _number(self.max_points.data),
            "step": _number(self.step.data),
            "guidance": {level: {lang: (getattr(self, f"guidance_{level}_{lang}").data or "").strip()
                                 for lang in LANGUAGES} for level in GUIDANCE_LEVELS},
        }

    @staticmethod
    def data_of(criterion: dict) -> dict:
        title = criterion.get("title") or {}
        guidance = criterion.get("guidance") or {}
        data = {"code": criterion.get("code"), "title_zh": title.get("zh", ""), "title_en": title.get("en", ""),
                "max_points": _decimal(criterion.get("max_points")), "step": _decimal(criterion.get("step"))}
        for level in GUIDANCE_LEVELS:
            for lang in LANGUAGES:
                data[f"guidance_{level}_{lang}"] = (guidance.get(level) or {}).get(lang, "")
        return data


class ImportForm(FlaskForm):
    file = FileField(_l("Spreadsheet (.xlsx)"), validators=[FileRequired()])
    code = StringField(_l("Framework code"), validators=[
        DataRequired(),
        Regexp(FRAMEWORK_CODE_RE.pattern + r"\Z",
               message=_l("Use letters, digits, '.', '-' and '_', at most 40 characters.")),
    ])
    name = StringField(_l("Name (optional)"), validators=[Optional(), Length(max=200)])
