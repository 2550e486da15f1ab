"""Home, dashboard, language switch, health check."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import text

from forms.accounts import LanguageForm
from survey.access import authenticated, public
from survey.extensions import db
from survey.i18n import LANG_COOKIE, supported_locale
from survey.models import Role
from survey.sessions import cookie_secure
from survey.services import accounts, units
from survey.views.util import safe_next

bp = Blueprint("main", __name__)

ONE_YEAR = 365 * 24 * 3600


@bp.route("/")
@public
def index():
    return redirect(url_for("main.dashboard" if current_user.is_authenticated else "auth.login"))


@bp.route("/dashboard")
@authenticated
def dashboard():
    overview = None
    if current_user.role in (Role.ADMIN, Role.STAFF, Role.EVALUATOR):
        overview = units.organisation_overview()
    return render_template("dashboard.html", overview=overview, Role=Role)


@bp.route("/language", methods=["POST"])
@public
def set_language():
    form = LanguageForm()
    lang = supported_locale(form.lang.data) if form.validate_on_submit() else None
    if lang is None:
        abort(400)
    if current_user.is_authenticated:
        accounts.set_user_locale(user=current_user, locale=lang)
        db.session.commit()
    response = redirect(safe_next(form.next.data, url_for("main.index")))
    response.set_cookie(
        LANG_COOKIE,
        lang,
        max_age=ONE_YEAR,
        httponly=True,
        samesite="Lax",
        secure=cookie_secure(current_app),
    )
    return response


@bp.route("/healthz")
@public
def health():
    """For the reverse proxy and monitoring: the database answers and the schema is current."""
    db.session.execute(text("SELECT 1"))
    return jsonify(status="ok")
