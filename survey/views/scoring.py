"""On-site scoring on the representative's phone: join with a code, score, submit, see the receipt.

A phone joins by exchanging the one-time join code printed on the session sheet
(``/join``; the QR code carries ``?code=``, which only fills in the form: link
previewers must not burn codes). The exchange sets the ``kaimen_rater`` cookie
(HttpOnly, SameSite=Lax), which binds the phone to that rater of that round
until the code would have expired or staff revoke it; there is no password.

The scoring page is a plain form (``POST /score/sessions/<id>`` submits the
whole scorecard) that ``score.js`` enhances: every change is kept in the phone's
localStorage and sent in batches to the JSON endpoints under ``/api/score``, with
a version per criterion and comment so that late or repeated sends are harmless.
A service worker (``/score/sw.js``, scope ``/score/``) keeps the page, its assets
and the session's JSON so that a reload without a connection still shows the
form. Every check (recusal, panel seat, session open, not yet submitted, bounds
and steps, versions) is the scorecards service's; refusals store nothing.
"""

from __future__ import annotations

import hashlib
import json

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError, generate_csrf

from forms.scorecard_form import (
    ConflictForm,
    build_scorecard_form,
    initial_data,
    number_text,
)
from forms.uploads import JSONTooDeep, load_json
from survey.access import public
from survey.errors import error_response
from survey.extensions import db
from survey.i18n import select_locale
from survey.labels import local_time
from survey.models import (
    RaterDevice,
    ReportSession,
    RoundRater,
    ScorecardStatus,
    SessionStatus,
)
from survey.services import conflicts, rater_devices, scorecards
from survey.services.errors import DomainError
from survey.sessions import cookie_secure
from survey.views.util import client_address

bp = Blueprint("scoring", __name__)

#: Longest join code accepted from a form or link (real ones are 11 characters).
MAX_CODE_LENGTH = 40
#: Largest JSON body: a whole scorecard with long comments is far smaller.
MAX_BODY_BYTES = 256 * 1024
#: Prefix of the phone's localStorage keys and Cache Storage names (score.js, score-sw.js).
DRAFT_PREFIX = "kaimen:score:"


class NotJoined(DomainError):
    status_code = 401
    code = "not_joined"


# --------------------------------------------------------------------------- who is this phone


def _token() -> str | None:
    return request.cookies.get(rater_devices.COOKIE_NAME)


def _device() -> RaterDevice | None:
    # Kept on the request (not on ``g``, which an outer app context shares between requests).
    if "kaimen.rater_device" not in request.environ:
        request.environ["kaimen.rater_device"] = rater_devices.device_for_token(_token())
    return request.environ["kaimen.rater_device"]


def _rater() -> RoundRater:
    device = _device()
    if device is None:
        raise NotJoined(_("This phone is not joined to a round: scan the QR code on your session sheet "
                          "or type the code printed under it."))
    return device.rater


def _rater_tag(rater: RoundRater) -> str:
    """Names this rater's drafts on the phone without putting anything secret in storage keys."""
    return hashlib.sha256(f"score:{rater.round_id}:{rater.id}".encode()).hexdigest()[:12]


def _draft_key(rater: RoundRater, session_id: int) -> str:
    return f"{DRAFT_PREFIX}{_rater_tag(rater)}:{session_id}"


def _state_of(rater: RoundRater, session: ReportSession):
    """(state, reasons, scorecard): state is scheduled, open, closed, submitted or recused."""
    verdict = conflicts.explain_recusal(round=session.round, rater=rater, unit=session.unit)
    if not verdict:
        return "recused", tuple(verdict.reasons), None
    card = scorecards.scorecard_for(rater=rater, session=session)
    if card is not None and card.status is ScorecardStatus.SUBMITTED:
        return "submitted", (), card
    return session.status.value, (), card


def _unit(session: ReportSession) -> str:
    return conflicts.unit_label(session.unit)


# --------------------------------------------------------------------------- HTML refusals


def _message_page(status: int, title: str, message: str, *, reasons=(), session_id: int | None = None):
    page = render_template("score/message.html", title=title, message=message, reasons=reasons,
                           session_id=session_id, status=status)
    return page, status


def _refused_page(exc: DomainError, session_id: int | None = None):
    db.session.rollback()
    if isinstance(exc, NotJoined):
        return _join_page(status=401, notice=exc.message)
    titles = {401: _("Not joined"), 403: _("You cannot score here"), 409: _("Not possible now")}
    reasons = getattr(exc, "reasons", ())
    return _message_page(exc.status_code, titles.get(exc.status_code, _("Not possible")), exc.message,
                         reasons=reasons, session_id=session_id)


def _recused_page(session: ReportSession, reasons):
    return _message_page(403, _("You do not score this unit"),
                         _("You are recused from scoring %(unit)s.", unit=_unit(session)),
                         reasons=reasons, session_id=None)


# --------------------------------------------------------------------------- joining


def _code_from(value: str | None) -> str:
    return (value or "").strip()[:MAX_CODE_LENGTH]


def _join_page(*, code: str = "", error: str | None = None, notice: str | None = None, status: int = 200,
               left: bool = False):
    device = _device()
    page = render_template("score/join.html", code=code, error=error, notice=notice, left=left,
                           joined_as=device.rater if device is not None else None)
    return page, status


@bp.route("/join", methods=["GET"])
@public
def join():
    # A GET only fills in the form: the code is exchanged by the POST the representative taps.
    return _join_page(code=_code_from(request.args.get("code")), left=request.args.get("left") == "1")


@bp.route("/join", methods=["POST"])
@public
def join_post():
    code = _code_from(request.form.get("code"))
    if not code:
        return _join_page(error=_("Type the code printed under your QR code, e.g. ABCDE-FGHJK."), status=400)
    try:
        joined = rater_devices.join_with_code(code=code, address=client_address(),
                                              user_agent=request.user_agent.string, settings=current_app.config)
    except rater_devices.JoinRefused as exc:
        db.session.commit()  # the failure is kept: the throttle counts it
        return _join_page(code=code, error=exc.message, status=400)
    except rater_devices.JoinThrottled as exc:
        db.session.rollback()
        page, status = _join_page(code=code, error=exc.message, status=429)
        response = make_response(page, status)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    db.session.commit()
    session.permanent = True  # the CSRF token survives closing the WeChat page for a while
    response = redirect(url_for(".my_sessions"))
    response.set_cookie(
        rater_devices.COOKIE_NAME, joined.token, expires=joined.expires_at, path="/",
        httponly=True, samesite="Lax", secure=cookie_secure(current_app),
    )
    return response


@bp.route("/score/leave", methods=["POST"])
@public
def leave():
    token = _token()
    if token:
        rater_devices.leave(token=token)
        db.session.commit()
    response = redirect(url_for(".join", left=1))
    response.delete_cookie(rater_devices.COOKIE_NAME, path="/", httponly=True, samesite="Lax",
                           secure=cookie_secure(current_app))
    return response


# --------------------------------------------------------------------------- my sessions


@bp.route("/score")
@public
def my_sessions():
    try:
        rater = _rater()
    except NotJoined as exc:
        return _refused_page(exc)
    items = scorecards.rater_sessions(rater=rater)
    # Drafts this phone may still hold for sessions that no longer take them.
    finished = [_draft_key(rater, item.session.id) for item in items if item.state in ("submitted", "recused")]
    return render_template("score/list.html", rater=rater, items=items, finished=finished,
                           rater_tag=_rater_tag(rater), unit_label=_unit, local_time=local_time)


# --------------------------------------------------------------------------- the scorecard


def _form_class(session: ReportSession):
    return build_scorecard_form(scorecards.criteria_of(session), locale=select_locale())


def _scorecard_page(rater, session, *, form=None, conflict_form=None, status: int = 200, message: str | None = None):
    state, reasons, card = _state_of(rater, session)
    if state == "recused":
        return _recused_page(session, reasons)
    server_state = scorecards.scorecard_state(card)
    form_class = _form_class(session)
    if form is None:
        form = form_class(formdata=None, data=initial_data(form_class.layout, server_state), meta={"csrf": False})
    editable = state == "open"
    totals = _totals(form_class.layout, server_state)
    reopened = card.reopenings[-1] if card is not None and card.status is ScorecardStatus.DRAFT \
        and card.reopenings else None
    errors = [(form[c.score].id, f"{c.code} {c.title}", error)
              for area in form.layout for c in area.criteria
              for error in list(form[c.score].errors) + list(form[c.cannot].errors)]
    errors += [(form[a.comment].id, a.title, error) for a in form.layout for error in form[a.comment].errors]
    error_areas = {area.code for area in form.layout for c in area.criteria
                   if form[c.score].errors or form[c.cannot].errors} | \
        {a.code for a in form.layout if form[a.comment].errors}
    page = render_template(
        "score/form.html",
        session=session, rater=rater, unit=_unit(session), state=state, editable=editable,
        form=form, layout=form.layout, server_state=server_state, totals=totals,
        total_max=number_text(sum(a.max_total for a in form.layout)),
        criteria_count=sum(len(a.criteria) for a in form.layout),
        errors=errors, open_areas=_open_areas(form.layout, server_state, error_areas),
        conflict_form=conflict_form or ConflictForm(meta={"csrf": False}, formdata=None),
        reopened=reopened, card=card, message=message,
        draft_key=_draft_key(rater, session.id), local_time=local_time,
    )
    return page, status


def _totals(layout, state: dict) -> dict:
    """Per area (and ``_all``): the points given so far and how many criteria are done."""
    entries = state.get("entries") or {}
    out = {}
    for area in layout:
        given = [entries[c.code] for c in area.criteria if c.code in entries]
        points = [e["points"] for e in given if e.get("points") is not None]
        done = sum(1 for e in given if e.get("points") is not None or e.get("cannot_judge"))
        out[area.code] = (number_text(round(sum(points), 6)), done)
    out["_all"] = (number_text(round(sum(float(v[0]) for v in out.values()), 6)),
                   sum(v[1] for v in out.values()))
    return out


def _open_areas(layout, state: dict, error_areas: set[str]) -> set[str]:
    """Areas shown unfolded: those with errors, else the first one not finished."""
    if error_areas:
        return error_areas
    entries = state.get("entries") or {}
    for area in layout:
        if any(c.code not in entries or (entries[c.code].get("points") is None
                                         and not entries[c.code].get("cannot_judge")) for c in area.criteria):
            return {area.code}
    return set()


def _load(session_id: int):
    """(rater, session) for this phone, or raises a refusal (401 not joined, 403 not on the panel)."""
    rater = _rater()
    return rater, scorecards.get_rater_session(rater=rater, session_id=session_id)


@bp.route("/score/sessions/<int:session_id>", methods=["GET"])
@public
def scorecard(session_id: int):
    try:
        rater, session_ = _load(session_id)
    except DomainError as exc:
        return _refused_page(exc)
    return _scorecard_page(rater, session_)


@bp.route("/score/sessions/<int:session_id>", methods=["POST"])
@public
def scorecard_post(session_id: int):
    """Without JavaScript: the whole scorecard at once ("submit"), or saved as a draft ("save")."""
    try:
        rater, session_ = _load(session_id)
    except DomainError as exc:
        return _refused_page(exc)
    state, reasons, card = _state_of(rater, session_)
    if state == "recused":
        return _recused_page(session_, reasons)
    if state == "submitted":
        return _message_page(409, _("Already submitted"), _(
            "Your scorecard for %(unit)s is submitted and locked; only staff can reopen it.", unit=_unit(session_)),
            session_id=session_.id)
    if session_.status is not SessionStatus.OPEN:
        return _not_open_page(session_)
    submitting = request.form.get("_action", "submit") != "save"
    form = _form_class(session_)()
    valid = form.validate()
    if submitting:
        valid = form.require_complete() and valid
    if not valid:
        return _scorecard_page(rater, session_, form=form, status=400,
                               message=_("Please check the marked scores."))
    try:
        entries, comments = scorecards.changes_from_json(form.changes(scorecards.scorecard_state(card)))
        if submitting:
            scorecards.submit_scorecard(rater=rater, session=session_, entries=entries, comments=comments)
        else:
            scorecards.apply_changes(rater=rater, session=session_, entries=entries, comments=comments)
    except (scorecards.InvalidScore, scorecards.Incomplete, scorecards.StaleChange) as exc:
        db.session.rollback()
        _mark(form, exc)
        return _scorecard_page(rater, session_, form=form, status=exc.status_code, message=exc.message)
    except DomainError as exc:
        return _refused_page(exc, session_.id)
    db.session.commit()
    if submitting:
        return redirect(url_for(".receipt", session_id=session_.id))
    flash(_("Your scores are saved. Submit them when every criterion is scored."), "success")
    return redirect(url_for(".scorecard", session_id=session_.id))


def _mark(form, exc: DomainError) -> None:
    """Put a service refusal on the field it names."""
    names = []
    if getattr(exc, "criterion", None):
        names.append("score__" + exc.criterion)
    if getattr(exc, "area", None):
        names.append("comment__" + exc.area)
    names += ["score__" + code for code in getattr(exc, "missing", [])]
    for name in names:
        if name in form:
            form[name].errors = list(form[name].errors) + [exc.message]


def _not_open_page(session: ReportSession):
    if session.status is SessionStatus.SCHEDULED:
        message = _("Scoring of %(unit)s has not started yet: staff open it when the chair's report ends.",
                    unit=_unit(session))
    else:
        message = _("Scoring of %(unit)s is closed: no more scores are accepted.", unit=_unit(session))
    return _message_page(409, _("Not possible now"), message, session_id=session.id)


@bp.route("/score/sessions/<int:session_id>/receipt")
@public
def receipt(session_id: int):
    try:
        rater, session_ = _load(session_id)
    except DomainError as exc:
        return _refused_page(exc)
    card = scorecards.scorecard_for(rater=rater, session=session_)
    if card is None or card.status is not ScorecardStatus.SUBMITTED:
        return redirect(url_for(".scorecard", session_id=session_.id))
    form_class = _form_class(session_)
    state = scorecards.scorecard_state(card)
    return render_template(
        "score/receipt.html", session=session_, unit=_unit(session_), card=card, layout=form_class.layout,
        state=state, totals=_totals(form_class.layout, state),
        total_max=number_text(sum(a.max_total for a in form_class.layout)),
        receipt_groups=[card.receipt[i:i + 8] for i in range(0, len(card.receipt), 8)],
        submitted_at=local_time(card.submitted_at), draft_key=_draft_key(rater, session_.id),
        number_text=number_text,
    )


@bp.route("/score/sessions/<int:session_id>/conflict", methods=["POST"])
@public
def conflict(session_id: int):
    try:
        rater, session_ = _load(session_id)
    except DomainError as exc:
        return _refused_page(exc)
    form = ConflictForm()
    if not form.validate():
        return _scorecard_page(rater, session_, conflict_form=form, status=400)
    try:
        scorecards.declare_conflict(rater=rater, session=session_, reason=form.reason.data)
    except DomainError as exc:
        return _refused_page(exc, session_.id)
    db.session.commit()
    flash(_("You have declared a conflict of interest: you do not score %(unit)s.", unit=_unit(session_)), "success")
    return redirect(url_for(".my_sessions"))


# --------------------------------------------------------------------------- service worker


@bp.route("/score/sw.js")
@public
def service_worker():
    """The service worker, served from its scope (``/score/``) with the asset list filled in."""
    path = current_app.static_folder + "/js/score-sw.js"
    with open(path, encoding="utf-8") as handle:
        source = handle.read()
    assets = [url_for("static", filename=name) for name in
              ("css/kaimen.css", "css/score.css", "js/kaimen.js", "js/score.js", "img/kaimen.svg")]
    source = source.replace("/*ASSETS*/[]", json.dumps(assets))
    response = make_response(source)
    response.mimetype = "text/javascript"
    response.headers["Cache-Control"] = "no-cache"
    return response


# --------------------------------------------------------------------------- JSON for score.js


def _json_refusal(exc: DomainError):
    db.session.rollback()
    body = scorecards.error_payload(exc)
    if not isinstance(exc, scorecards.ScoringRefused):
        body["code"] = getattr(exc, "code", "refused")
    response = jsonify(body)
    response.status_code = exc.status_code
    response.headers["Cache-Control"] = "no-store"
    return response


def _json_body():
    if request.content_length is None or request.content_length > MAX_BODY_BYTES:
        raise _BodyRefused(413, _("The request is too large."), "too_large")
    if not request.is_json:
        raise _BodyRefused(400, _("Send the changes as JSON."), "malformed")
    try:
        return load_json(request.get_data(cache=False, as_text=True))
    except JSONTooDeep as exc:
        raise _BodyRefused(400, _("The request is nested more than %(n)d levels deep.", n=exc.limit),
                           "malformed") from None
    except ValueError:
        raise _BodyRefused(400, _("The request is not valid JSON."), "malformed") from None


class _BodyRefused(DomainError):
    def __init__(self, status: int, message: str, code: str):
        super().__init__(message)
        self.status_code = status
        self.code = code


def _session_json(session: ReportSession, state: str) -> dict:
    return {"id": session.id, "status": session.status.value, "state": state, "unit": _unit(session)}


@bp.route("/api/score/sessions/<int:session_id>")
@public
def api_session(session_id: int):
    try:
        rater, session_ = _load(session_id)
    except DomainError as exc:
        return _json_refusal(exc)
    state, reasons, card = _state_of(rater, session_)
    response = jsonify(session=_session_json(session_, state), scorecard=scorecards.scorecard_state(card),
                       reasons=list(reasons), csrf_token=generate_csrf())
    response.headers["Cache-Control"] = "no-store"
    return response


def _write(session_id: int, submit: bool):
    try:
        rater, session_ = _load(session_id)
        body = _json_body()
        entries, comments = scorecards.changes_from_json(body)
        if submit:
            card = scorecards.submit_scorecard(rater=rater, session=session_, entries=entries, comments=comments)
        else:
            card = scorecards.apply_changes(rater=rater, session=session_, entries=entries, comments=comments)
    except DomainError as exc:
        return _json_refusal(exc)
    db.session.commit()
    out = {"scorecard": scorecards.scorecard_state(card)}
    if submit:
        out["receipt"] = card.receipt
        out["receipt_url"] = url_for(".receipt", session_id=session_.id)
    response = jsonify(out)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/api/score/sessions/<int:session_id>/changes", methods=["POST"])
@public
def api_changes(session_id: int):
    return _write(session_id, submit=False)


@bp.route("/api/score/sessions/<int:session_id>/submit", methods=["POST"])
@public
def api_submit(session_id: int):
    return _write(session_id, submit=True)


@bp.route("/api/score/sessions/<int:session_id>/conflict", methods=["POST"])
@public
def api_conflict(session_id: int):
    try:
        rater, session_ = _load(session_id)
        body = _json_body()
        reason = body.get("reason") if isinstance(body, dict) else None
        if not isinstance(reason, str) or not reason.strip():
            raise _BodyRefused(400, _("Give the reason, e.g. \"I used to work there\"."), "reason_required")
        scorecards.declare_conflict(rater=rater, session=session_, reason=reason.strip())
    except DomainError as exc:
        return _json_refusal(exc)
    db.session.commit()
    return jsonify(recused=True)


@bp.errorhandler(CSRFError)
def csrf_refused(_exc: CSRFError):
    """score.js tells an expired token from other refusals by its code, fetches a new one and retries."""
    message = _("The form has expired or is missing its security token. Reload the page and submit it again.")
    if request.path.startswith("/api/"):
        db.session.rollback()
        response = jsonify(error=message, code="csrf")
        response.status_code = 400
        return response
    return error_response(400, message)
