"""Staff and administrator pages: the organisation and the user accounts."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from forms.accounts import ActionForm, CreateUserForm
from survey.access import allow
from survey.extensions import db
from survey.models import Role
from survey.services import accounts, units
from survey.services.errors import DomainError

bp = Blueprint("staff", __name__, url_prefix="/staff")


@bp.route("/units")
@allow(Role.ADMIN, Role.STAFF, Role.EVALUATOR)
def unit_overview():
    return render_template("staff/units.html", overview=units.organisation_overview())


@bp.route("/units/<int:unit_id>")
@allow(Role.ADMIN, Role.STAFF, Role.EVALUATOR)
def unit_detail(unit_id: int):
    unit = units.get_unit(unit_id=unit_id)
    if unit is None:
        abort(404)
    return render_template("staff/unit.html", unit=unit, children=units.units_under(parent_id=unit.id))


@bp.route("/users", methods=["GET", "POST"])
@allow(Role.ADMIN)
def users():
    form = CreateUserForm()
    if form.validate_on_submit():
        try:
            user = accounts.create_user(
                username=form.username.data,
                role=Role(form.role.data),
                password=form.password.data,
                display_name=form.display_name.data or None,
                by=current_user,
            )
        except DomainError as exc:
            db.session.rollback()
            form.username.errors.append(exc.message)
        else:
            db.session.commit()
            flash(_("User %(name)s created.", name=user.username), "success")
            return redirect(url_for("staff.users"))
    return render_template(
        "staff/users.html", form=form, users=accounts.list_users(), action_form=ActionForm()
    )


@bp.route("/users/<int:user_id>/enabled", methods=["POST"])
@allow(Role.ADMIN)
def toggle_user(user_id: int):
    user = accounts.get_user(user_id=user_id)
    if user is None:
        abort(404)
    if user.id == current_user.id:
        flash(_("You cannot disable your own account."), "error")
        return redirect(url_for("staff.users"))
    accounts.set_user_enabled(user=user, enabled=not user.enabled, by=current_user)
    db.session.commit()
    message = _("%(name)s can log in again.", name=user.username) if user.enabled else _(
        "%(name)s is disabled and logged out everywhere.", name=user.username
    )
    flash(message, "success")
    return redirect(url_for("staff.users"))
