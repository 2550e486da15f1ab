"""Staff forms around a questionnaire: publishing, invitations, participation targets."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, DecimalField, IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError


class PublishForm(FlaskForm):
    opens_at = DateTimeLocalField(_l("Opens at (optional)"), validators=[Optional()], format="%Y-%m-%dT%H:%M")
    closes_at = DateTimeLocalField(_l("Closes at (optional)"), validators=[Optional()], format="%Y-%m-%dT%H:%M")

    def validate_closes_at(self, field):
        if field.data and self.opens_at.data and field.data <= self.opens_at.data:
            raise ValidationError(_l("The closing time must be after the opening time."))


class InviteBatchForm(FlaskForm):
    count = IntegerField(_l("Number of codes"), validators=[DataRequired(), NumberRange(min=1, max=50_000)])
    unit_code = StringField(_l("Unit code (optional)"), validators=[Optional(), Length(max=40)])


class TargetForm(FlaskForm):
    unit_code = StringField(_l("Unit code"), validators=[DataRequired(), Length(max=40)])
    percent = DecimalField(_l("Target (percent of members)"), validators=[DataRequired(), NumberRange(min=1, max=100)], places=1)
