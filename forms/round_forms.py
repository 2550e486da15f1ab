"""Staff forms of round set-up: the round, its units and sessions, the rater pool,
conflicts and manual panel changes.

The panel quotas are edited as plain text, one rule per line,
``<unit kind> <rater type> <min> [<max>]`` (``enterprise union_chair 2``);
:func:`parse_quota_lines` turns them into the round's ``panel_spec`` shape and
:func:`quota_lines` writes them back. Everything that needs the database (unit
codes, which raters may score which unit, whether a plan exists) is checked by
the services, not here.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    DecimalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

#: Unit kinds and rater types a quota line may name (values of the survey enums).
UNIT_KINDS = ("enterprise", "community_joint", "industry_joint", "bureau", "directly_affiliated")
RATER_TYPES = ("worker_representative", "union_chair", "model_worker", "other")

MODE_CHOICES = [
    SelectChoice("rotating", _l("Rotating panels: the raters split into groups, each unit heard by one group (2014)")),
    SelectChoice("committee", _l("Committees: a committee per unit, its make-up set by the unit's kind (Shichahai)")),
]
METHOD_CHOICES = [
    SelectChoice("trimmed", _l("Trimmed mean (drop the highest and lowest)")),
    SelectChoice("mean", _l("Mean")),
    SelectChoice("median", _l("Median")),
    SelectChoice("winsorized", _l("Winsorised mean")),
]
FALLBACK_CHOICES = [SelectChoice("median", _l("Median")), SelectChoice("mean", _l("Mean"))]
MISSING_CHOICES = [
    SelectChoice("rescale", _l("Rescale the area over the criteria scored")),
    SelectChoice("zero", _l("Count a missing criterion as zero")),
    SelectChoice("drop", _l("Leave out a scorecard with any missing criterion")),
]


def parse_quota_lines(text: str, mode: str) -> dict:
    """Quota lines as ``{kind: {rater_type: [min, max]}}`` (committees) or
    ``{kind: {rater_type: min}}`` (rotating panels); ValueError names the bad line."""
    quotas: dict[str, dict] = {}
    for number, line in enumerate((text or "").splitlines(), start=1):
        words = line.replace(",", " ").split()
        if not words:
            continue
        if len(words) not in (3, 4):
            raise ValueError(str(_l("line %(n)d: write <unit kind> <rater type> <min> [<max>]", n=number)))
        kind, rater_type, *counts = words
        if kind not in UNIT_KINDS:
            raise ValueError(str(_l("line %(n)d: unknown unit kind '%(kind)s' (use %(kinds)s)",
                                    n=number, kind=kind, kinds=", ".join(UNIT_KINDS))))
        if rater_type not in RATER_TYPES:
            raise ValueError(str(_l("line %(n)d: unknown rater type '%(type)s' (use %(types)s)",
                                    n=number, type=rater_type, types=", ".join(RATER_TYPES))))
        if not all(c.isdigit() for c in counts):
            raise ValueError(str(_l("line %(n)d: the minimum and maximum are whole numbers", n=number)))
        numbers = [int(c) for c in counts]
        if len(numbers) == 2 and numbers[1] < numbers[0]:
            raise ValueError(str(_l("line %(n)d: the maximum is below the minimum", n=number)))
        if mode == "rotating" and len(numbers) == 2:
            raise ValueError(str(_l("line %(n)d: rotating panels take a minimum only", n=number)))
        if rater_type in quotas.get(kind, {}):
            raise ValueError(str(_l("line %(n)d: %(kind)s %(type)s is given twice", n=number, kind=kind,
                                    type=rater_type)))
        quotas.setdefault(kind, {})[rater_type] = numbers[0] if len(numbers) == 1 else numbers
    return quotas


def quota_lines(quotas: dict) -> str:
    """The inverse of :func:`parse_quota_lines`, for the edit form."""
    lines = []
    for kind, per_type in (quotas or {}).items():
        for rater_type, value in per_type.items():
            counts = value if isinstance(value, (list, tuple)) else [value]
            lines.append(" ".join([kind, rater_type, *(str(c) for c in counts)]))
    return "\n".join(lines)


class RoundForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    period = StringField(_l("Period"), validators=[DataRequired(), Length(max=80)],
                         description=_l("For example 2014年年中 (2014 mid-year)."))
    framework_version = SelectField(_l("Criteria framework"), coerce=int, validators=[DataRequired()])
    recuse_same_sub_district = BooleanField(_l("Raters may not score units in their own sub-district"))
    recuse_same_industry = BooleanField(_l("Raters may not score units in their own industry"))
    # aggregation settings (scoring.types.Settings)
    method = SelectField(_l("Aggregation"), choices=METHOD_CHOICES, default="trimmed")
    trim = IntegerField(_l("Raters dropped at each end"), default=1, validators=[NumberRange(min=0, max=10)])
    min_raters = IntegerField(_l("Fewest raters left after trimming"), default=3,
                              validators=[NumberRange(min=1, max=100)])
    fallback = SelectField(_l("With fewer raters, use"), choices=FALLBACK_CHOICES, default="median")
    missing_policy = SelectField(_l("Criteria not scored"), choices=MISSING_CHOICES, default="rescale")
    # panel forming
    mode = SelectField(_l("Panels"), choices=MODE_CHOICES, default="rotating")
    n_panels = IntegerField(_l("Number of groups (rotating panels)"), default=4,
                            validators=[Optional(), NumberRange(min=1, max=50)])
    min_raters_per_unit = IntegerField(_l("Eligible raters each unit needs at least (rotating panels)"), default=5,
                                       validators=[Optional(), NumberRange(min=1, max=500)])
    committee_size = IntegerField(_l("Committee size (committees)"), default=9,
                                  validators=[Optional(), NumberRange(min=1, max=500)])
    quotas = TextAreaField(
        _l("Make-up by unit kind"),
        validators=[Optional(), Length(max=4000)],
        description=_l("One rule per line: unit kind, rater type, minimum and (committees only) maximum, e.g. "
                       "“enterprise union_chair 2 9” and “enterprise model_worker 1”."),
    )
    time_limit = DecimalField(_l("Solver time limit (seconds)"), default=10, places=1,
                              validators=[DataRequired(), NumberRange(min=1, max=600)])

    def validate_quotas(self, field):
        try:
            parse_quota_lines(field.data or "", self.mode.data)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None

    def validate_n_panels(self, field):
        if self.mode.data == "rotating" and not field.data:
            raise ValidationError(_l("Rotating panels need a number of groups."))

    def validate_committee_size(self, field):
        if self.mode.data == "committee" and not field.data:
            raise ValidationError(_l("Committees need a size."))


class AddUnitForm(FlaskForm):
    unit_code = StringField(_l("Unit code"), validators=[DataRequired(), Length(max=40)],
                            description=_l("A grassroots unit, e.g. XC-D01."))


class ScheduleForm(FlaskForm):
    starts_at = DateTimeLocalField(_l("Time"), validators=[Optional()], format="%Y-%m-%dT%H:%M")
    place = StringField(_l("Place"), validators=[Optional(), Length(max=200)])


class RaterImportForm(FlaskForm):
    file = FileField(_l("Rater list (CSV or .xlsx)"), validators=[FileRequired()])


class PickRatersForm(FlaskForm):
    """Representatives to add to the pool; the view sets the choices."""

    user_ids = SelectMultipleField(_l("Representatives"), coerce=int, validators=[DataRequired()],
                                   widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())


class ConflictForm(FlaskForm):
    """A relationship staff record; the view sets the choices."""

    rater_id = SelectField(_l("Rater"), coerce=int, validators=[DataRequired()])
    unit_id = SelectField(_l("Unit"), coerce=int, validators=[DataRequired()])
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=1000)],
                           description=_l("For example: worked there until 2013; the chair is a relative."))


class AddMemberForm(FlaskForm):
    """A rater seated by hand; the view sets the choices."""

    rater_id = SelectField(_l("Rater"), coerce=int, validators=[DataRequired()])
