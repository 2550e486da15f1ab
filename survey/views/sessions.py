"""Staff side of on-site scoring: a report session's control page and its projector screen.

Staff open a session when the chair's report ends and close it when scoring ends;
they reopen a submitted scorecard (with a reason, kept) and cut off a rater's phone
and join codes when a phone or sheet is lost. The projector screen polls
``live.json``; every poll reads the database, and neither carries a score.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from forms.accounts import ActionForm
from forms.session_forms import CloseSessionForm, ReopenScorecardForm
from survey.access import allow
from survey.extensions import db
from survey.labels import RATER_TYPE_LABELS, local_time
from survey.models import (
    RaterType,
    Role,
    ScorecardStatus,
    SessionStatus,
)
from survey.services import plans, rater_devices, rounds, scorecards, scoring_sessions
from survey.services.conflicts import unit_label
from survey.services.errors import DomainError
from survey.views.util import apply_change, flash_form_errors, refuse

bp = Blueprint("sessions", __name__, url_prefix="/staff/rounds")

STAFF = (Role.ADMIN, Role.STAFF)
#: How often the projector screen asks for news (milliseconds).
POLL_INTERVAL_MS = 3000


def _load(round_id: int, session_id: int):
    round = rounds.get_round(round_id=round_id)
    if round is None:
        abort(404)
    session = plans.get_session(round=round, session_id=session_id)
    if session is None:
        abort(404)
    return round, session


def _back(round, session):
    return redirect(url_for(".control", round_id=round.id, session_id=session.id))


def _type_label(value: str) -> str:
    return str(RATER_TYPE_LABELS[RaterType(value)])


# --------------------------------------------------------------------------- the control page


@bp.route("/<int:round_id>/sessions/<int:session_id>")
@allow(*STAFF)
def control(round_id: int, session_id: int):
    round, session = _load(round_id, session_id)
    status = scoring_sessions.live_status(session=session)
    cards = scoring_sessions.session_scorecards(session=session)
    by_rater = {card.rater_id: card for card in cards}
    rows = {row.rater_id: row for row in status.rows}
    drafts = sorted((c for c in cards if c.status is ScorecardStatus.DRAFT), key=lambda c: (c.rater.name, c.id))
    submitted = [card for card in cards if card.status is ScorecardStatus.SUBMITTED]
    reopen_forms = {card.id: ReopenScorecardForm(prefix=f"r{card.id}") for card in submitted}
    return render_template(
        "staff/rounds/session.html",
        round=round,
        session=session,
        unit=unit_label(session.unit),
        status=status,
        rows=status.rows,
        row_of=rows,
        by_rater=by_rater,
        submitted=submitted,
        drafts=drafts,
        type_label=_type_label,
        reopenings=scoring_sessions.session_reopenings(session=session),
        reopen_forms=reopen_forms,
        close_form=CloseSessionForm(),
        action_form=ActionForm(),
    )


@bp.route("/<int:round_id>/sessions/<int:session_id>/open", methods=["POST"])
@allow(*STAFF)
def open_session(round_id: int, session_id: int):
    """Open scoring (the chair's report has ended), or reopen a closed session."""
    round, session = _load(round_id, session_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    again = session.status is SessionStatus.CLOSED
    label = unit_label(session.unit)
    apply_change(
        lambda: scoring_sessions.open_session(session=session, by=current_user),
        _("Scoring of %(unit)s is open again: raters can change and submit their scorecards.", unit=label)
        if again else _("Scoring of %(unit)s is open: raters can score on their phones now.", unit=label),
    )
    return _back(round, session)


@bp.route("/<int:round_id>/sessions/<int:session_id>/close", methods=["POST"])
@allow(*STAFF)
def close_session(round_id: int, session_id: int):
    round, session = _load(round_id, session_id)
    form = CloseSessionForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _back(round, session)
    try:
        outcome = scoring_sessions.close_session(session=session, by=current_user)
    except DomainError as exc:
        refuse(exc)
        return _back(round, session)
    db.session.commit()
    flash(
        ngettext("Scoring of %(unit)s is closed: %(num)d scorecard submitted.",
                 "Scoring of %(unit)s is closed: %(num)d scorecards submitted.",
                 outcome.submitted, unit=unit_label(session.unit)),
        "success",
    )
    if outcome.unfinished:
        names = ", ".join(sorted(card.rater.name for card in outcome.unfinished))
        flash(
            ngettext("%(num)d unfinished draft is not counted: %(names)s.",
                     "%(num)d unfinished drafts are not counted: %(names)s.",
                     len(outcome.unfinished), names=names),
            "warning",
        )
    return _back(round, session)


@bp.route("/<int:round_id>/sessions/<int:session_id>/scorecards/<int:scorecard_id>/reopen", methods=["POST"])
@allow(*STAFF)
def reopen_scorecard(round_id: int, session_id: int, scorecard_id: int):
    round, session = _load(round_id, session_id)
    card = scoring_sessions.get_session_scorecard(session=session, scorecard_id=scorecard_id)
    if card is None:
        abort(404)
    form = ReopenScorecardForm(prefix=f"r{card.id}")
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _back(round, session)
    name = card.rater.name
    apply_change(
        lambda: scorecards.reopen_scorecard(scorecard=card, reason=form.reason.data, by=current_user),
        _("%(name)s's scorecard is open again; it counts once it is submitted again.", name=name),
    )
    return _back(round, session)


@bp.route("/<int:round_id>/sessions/<int:session_id>/raters/<int:rater_id>/revoke", methods=["POST"])
@allow(*STAFF)
def revoke_rater(round_id: int, session_id: int, rater_id: int):
    """A lost phone or sheet: the rater's phones and join codes for the whole round stop working."""
    round, session = _load(round_id, session_id)
    rater = plans.get_rater(round=round, rater_id=rater_id)
    if rater is None:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    name = rater.name
    apply_change(
        lambda: rater_devices.revoke_rater(round=round, rater=rater),
        _("%(name)s's phones and join codes no longer work. Issue a new code to let them join again.", name=name),
    )
    return _back(round, session)


# --------------------------------------------------------------------------- the projector screen


def _live_json(session) -> dict:
    """The service's payload (no scores) with what the screen shows in the viewer's language."""
    status = scoring_sessions.live_status(session=session)
    payload = scoring_sessions.live_payload(status)
    for row, data in zip(status.rows, payload["rows"], strict=True):
        data["rater_type_label"] = _type_label(row.rater_type)
        # The federation's time, whatever the projector's clock says.
        data["submitted_time"] = local_time(row.submitted_at)[-5:] if row.submitted_at else None
    payload["total"] = len(status.rows) - status.count("recused")
    return payload


@bp.route("/<int:round_id>/sessions/<int:session_id>/live")
@allow(*STAFF)
def live(round_id: int, session_id: int):
    round, session = _load(round_id, session_id)
    return render_template(
        "staff/rounds/live.html",
        round=round,
        session=session,
        unit=unit_label(session.unit),
        live=_live_json(session),
        poll_ms=POLL_INTERVAL_MS,
    )


@bp.route("/<int:round_id>/sessions/<int:session_id>/live.json")
@allow(*STAFF)
def live_json(round_id: int, session_id: int):
    _round, session = _load(round_id, session_id)
    response = jsonify(_live_json(session))
    response.headers["Cache-Control"] = "no-store"
    return response
