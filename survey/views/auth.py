"""Log in and out."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from forms.accounts import LoginForm
from survey.access import authenticated, public
from survey.extensions import db
from survey.services import accounts
from survey.services.errors import InvalidCredentials, LoginThrottled
from survey.views.util import client_address, safe_next

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    status = 200
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(
                username=form.username.data,
                password=form.password.data,
                address=client_address(),
                settings=current_app.config,
            )
        except InvalidCredentials as exc:
            db.session.commit()  # the failure is kept: the throttle counts it
            form.form_errors.append(exc.message)
        except LoginThrottled as exc:
            form.form_errors.append(exc.message)
            status = 429
        else:
            session.clear()  # a fresh session at login: nothing carries over from before
            accounts.start_login_session(
                user=user,
                user_agent=request.user_agent.string,
                hours=current_app.config["LOGIN_SESSION_HOURS"],
                address=client_address(),
            )
            login_user(user)
            session.permanent = True
            db.session.commit()
            return redirect(safe_next(form.next.data, url_for("main.dashboard")))
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@authenticated
def logout():
    # CSRFProtect has already checked the token of this POST.
    if current_user.login_key:
        accounts.end_login_session(key=current_user.login_key)
        db.session.commit()
    logout_user()
    session.clear()
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))
