"""Login, language switch and user administration forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice
from wtforms import HiddenField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp

#: Roles offered when creating a user, as (value, label) pairs.
ROLE_CHOICES = [
    SelectChoice("staff", _l("Staff")),
    SelectChoice("representative", _l("Member representative")),
    SelectChoice("evaluator", _l("Third-party evaluator")),
    SelectChoice("admin", _l("Administrator")),
]


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=80)],
                           render_kw={"autocomplete": "username", "autocapitalize": "none"})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)],
                             render_kw={"autocomplete": "current-password"})
    next = HiddenField()
    submit = SubmitField(_l("Log in"))


class ActionForm(FlaskForm):
    """A bodiless POST (logout, enable/disable): only the CSRF token is checked."""


class LanguageForm(FlaskForm):
    lang = HiddenField(validators=[DataRequired()])
    next = HiddenField()


class CreateUserForm(FlaskForm):
    username = StringField(
        _l("Username"),
        validators=[DataRequired(), Length(max=80), Regexp(r"^[A-Za-z0-9_.@-]+$", message=_l("Use letters, digits and . _ @ - only."))],
        render_kw={"autocapitalize": "none"},
    )
    display_name = StringField(_l("Display name"), validators=[Optional(), Length(max=120)])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, validators=[DataRequired()])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(min=10, max=200)],
                             render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("Repeat password"), validators=[EqualTo("password", message=_l("The passwords differ."))],
                            render_kw={"autocomplete": "new-password"})
    submit = SubmitField(_l("Create user"))
