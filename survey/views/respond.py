"""Answering a questionnaire, phone first: landing, start or resume, one page per section, submit once.

What the browser's (signed) session holds, per questionnaire id:

- ``respond.<id>.client``: the response's client id. Starting (with or without
  an invitation code) or resuming puts it there; it is how a used invitation
  "is exchanged for a session", and how a refresh finds the same response.
- ``respond.<id>.resume``: the resume code, kept only until the respondent
  leaves the first page, so a dropped first page load does not lose it.
- ``respond.<id>.invite``: a code that arrived in a link (``?code=``), moved
  out of the address bar; it only fills in the invitation form. Redeeming
  happens on POST.

GET never writes to the database. "Back" saves the page when it is valid and
otherwise goes back saving nothing (the browser's draft, when JavaScript is
on, still holds what was typed).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_datetime
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from forms.questionnaire import conditions
from forms.questionnaire.answers import earlier_answers, initial_data
from forms.questionnaire.builder import build_section_form
from forms.questionnaire.spec import SCALE_TYPES, QuestionType
from survey.access import public
from survey.extensions import db
from survey.i18n import select_locale
from survey.models import Questionnaire, QuestionnaireStatus, Response, ResponseStatus
from survey.models.base import utcnow
from survey.services.errors import DomainError
from survey.services.invites import InviteRefused
from survey.services.questionnaires import (
    get_questionnaire,
    is_open,
    live_version,
    spec_of,
)
from survey.services.responses import (
    ResponseIncomplete,
    check_client_id,
    neighbour_section,
    new_client_id,
    resume_response,
    save_section,
    sections_shown,
    find_response,
    start_with_invite_code,
    submit_response,
)

bp = Blueprint("respond", __name__, url_prefix="/q")

#: Longest invitation or resume code accepted from a form or link (real ones are far shorter).
MAX_CODE_LENGTH = 80
#: Name of the navigation buttons; question ids start with a letter, so it cannot clash.
NAV = "_nav"


# --------------------------------------------------------------------------- session and lookups

def _key(questionnaire: Questionnaire, what: str) -> str:
    return f"respond.{questionnaire.id}.{what}"


def _load(slug: str) -> Questionnaire:
    """The questionnaire behind a public link; 404 for unknown slugs and never-published drafts."""
    questionnaire = get_questionnaire(slug=slug)
    if questionnaire is None or live_version(questionnaire) is None:
        abort(404)
    return questionnaire


def _session_response(questionnaire: Questionnaire) -> Response | None:
    client_id = session.get(_key(questionnaire, "client"))
    return find_response(questionnaire=questionnaire, client_id=client_id) if client_id else None


def _remember(questionnaire: Questionnaire, response: Response) -> None:
    session[_key(questionnaire, "client")] = response.client_id
    session.permanent = True  # survives closing the WeChat page for a while; the resume code does the rest


def _not_open(questionnaire: Questionnaire):
    """A clear page, status 409, saying whether the questionnaire is closed or not yet open."""
    now = utcnow()
    if questionnaire.status is QuestionnaireStatus.PUBLISHED and questionnaire.opens_at and now < questionnaire.opens_at:
        message = _("This questionnaire opens on %(when)s. Please come back then.",
                    when=_local_time(questionnaire.opens_at))
    else:
        message = _("This questionnaire is closed and no longer accepts answers. Thank you for your interest.")
    spec = spec_of(live_version(questionnaire))
    page = render_template("respond/closed.html", title=spec.title.get(select_locale()), message=message)
    return page, 409


def _local_time(value: datetime) -> str:
    zone = ZoneInfo(current_app.config.get("TIMEZONE", "Asia/Shanghai"))
    return format_datetime(value.astimezone(zone), "short", rebase=False)


def _code_field(name: str) -> str:
    return request.form.get(name, "").strip()[:MAX_CODE_LENGTH]


# --------------------------------------------------------------------------- landing, start, resume

@bp.route("/<slug>")
@public
def landing(slug: str):
    questionnaire = _load(slug)
    if "code" in request.args:
        # Keep the code out of the address bar, the history and any later Referer: move it
        # into the session and show the clean address. Nothing is redeemed by a GET.
        code = request.args.get("code", "").strip()[:MAX_CODE_LENGTH]
        if code:
            session[_key(questionnaire, "invite")] = code
        return redirect(url_for(".landing", slug=slug))
    if not is_open(questionnaire):
        return _not_open(questionnaire)
    return _landing_page(questionnaire)


def _landing_page(questionnaire: Questionnaire, *, errors: dict | None = None, invite_code: str | None = None,
                  resume_code: str = ""):
    spec = spec_of(live_version(questionnaire))
    locale = select_locale()
    existing = _session_response(questionnaire)
    if invite_code is None:
        invite_code = session.get(_key(questionnaire, "invite"), "")
    return render_template(
        "respond/landing.html",
        questionnaire=questionnaire,
        title=spec.title.get(locale),
        description=spec.description.get(locale),
        question_count=sum(1 for _question in spec.questions()),
        existing=existing,
        continue_url=_continue_url(questionnaire, existing) if existing else None,
        client_id=new_client_id(),  # a double tap or refresh of "start" posts this same id again
        invite_code=invite_code,
        resume_code=resume_code,
        errors=errors or {},
    )


def _continue_url(questionnaire: Questionnaire, response: Response) -> str:
    if response.status is ResponseStatus.SUBMITTED:
        return url_for(".done", slug=questionnaire.slug)
    return url_for(".section", slug=questionnaire.slug, section_id=_resume_section(response))


def _resume_section(response: Response) -> str:
    """Where the respondent stopped, or the first page they are shown if that page is gone."""
    spec = spec_of(response.version)
    shown = sections_shown(spec, response.answers)
    if response.current_section in shown:
        return response.current_section
    return shown[0] if shown else spec.sections[0].id


@bp.route("/<slug>/start", methods=["POST"])
@public
def start(slug: str):
    questionnaire = _load(slug)
    if not is_open(questionnaire):
        return _not_open(questionnaire)
    client_id = check_client_id(request.form.get("client_id", ""))
    with_invite = request.form.get("with_invite") == "1"
    code = _code_field("invite_code")
    if with_invite and not code:
        return _landing_page(questionnaire, errors={"invite": _("Enter your invitation code.")}, invite_code="")
    try:
        started = start_with_invite_code(
            questionnaire=questionnaire, client_id=client_id, invite_code=code if with_invite else None
        )
    except InviteRefused as exc:
        db.session.rollback()
        return _landing_page(questionnaire, errors={"invite": exc.message}, invite_code=code)
    db.session.commit()
    _remember(questionnaire, started.response)
    session.pop(_key(questionnaire, "invite"), None)
    if started.resume_code:
        session[_key(questionnaire, "resume")] = started.resume_code
    return redirect(_continue_url(questionnaire, started.response))


@bp.route("/<slug>/resume", methods=["POST"])
@public
def resume(slug: str):
    questionnaire = _load(slug)
    if not is_open(questionnaire):
        return _not_open(questionnaire)
    typed = _code_field("resume_code")
    if not typed:
        return _landing_page(questionnaire, errors={"resume": _("Enter your resume code.")})
    try:
        # People copy the code with the spaces it is shown with, or with dashes.
        response = resume_response(questionnaire=questionnaire, code=typed.replace("-", " "))
    except DomainError as exc:
        return _landing_page(questionnaire, errors={"resume": exc.message}, resume_code=typed)
    _remember(questionnaire, response)
    return redirect(_continue_url(questionnaire, response))


# --------------------------------------------------------------------------- one page per section

@bp.route("/<slug>/s/<section_id>", methods=["GET", "POST"])
@public
def section(slug: str, section_id: str):
    questionnaire = _load(slug)
    response = _session_response(questionnaire)
    if response is None:
        flash(_("Start the questionnaire, or continue with your resume code."), "error")
        return redirect(url_for(".landing", slug=slug))
    if response.status is ResponseStatus.SUBMITTED:
        return redirect(url_for(".done", slug=slug))  # a repeated submit shows the same confirmation
    if not is_open(questionnaire):
        return _not_open(questionnaire)
    spec = spec_of(response.version)
    if spec.section(section_id) is None:
        abort(404)
    if section_id not in sections_shown(spec, response.answers):
        return redirect(url_for(".section", slug=slug, section_id=_resume_section(response)))
    form_class = build_section_form(
        spec, section_id, locale=select_locale(), seed=response.id, previous_answers=response.answers
    )
    if request.method == "POST":
        return _post_section(questionnaire, response, spec, section_id, form_class)
    saved = initial_data(spec, section_id, response.answers)
    if request.args.get("check") == "1":
        # After a refused submission: show the saved answers of this page with their errors.
        formdata = MultiDict()
        for name, value in saved.items():
            for item in value if isinstance(value, list) else [value]:
                formdata.add(name, item)
        form = form_class(formdata=formdata, meta={"csrf": False})
        form.validate()
    else:
        form = form_class(data=saved)
    return _section_page(questionnaire, response, spec, section_id, form)


def _post_section(questionnaire, response, spec, section_id, form_class):
    nav = request.form.get(NAV, "next")
    form = form_class()
    slug = questionnaire.slug
    if not form.validate():
        if nav == "back":
            back = neighbour_section(spec, response.answers, section_id, -1)
            return redirect(url_for(".section", slug=slug, section_id=back) if back else url_for(".landing", slug=slug))
        return _section_page(questionnaire, response, spec, section_id, form)
    save_section(response=response, section_id=section_id, formdata=request.form)
    db.session.commit()
    session.pop(_key(questionnaire, "resume"), None)  # shown on the first page until it is left
    answers = response.answers
    if nav == "back":
        back = neighbour_section(spec, answers, section_id, -1)
        if back is None:
            return redirect(url_for(".landing", slug=slug))
        return redirect(url_for(".section", slug=slug, section_id=back, saved=section_id))
    following = neighbour_section(spec, answers, section_id, 1)
    if following is not None:
        if nav == "submit":
            flash(_("Your answers open one more page. Please answer it too."), "info")
        return redirect(url_for(".section", slug=slug, section_id=following, saved=section_id))
    if nav != "submit":
        flash(_("This is the last page. Check your answers and submit."), "info")
        return redirect(url_for(".section", slug=slug, section_id=section_id, saved=section_id))
    try:
        submit_response(response=response)
    except ResponseIncomplete as exc:
        flash(exc.message, "error")
        target = exc.section or _resume_section(response)
        return redirect(url_for(".section", slug=slug, section_id=target, check=1))
    db.session.commit()
    return redirect(url_for(".done", slug=slug))


def _page_fingerprint(spec, section_id: str, answers: dict) -> str:
    """Changes whenever the server's saved answers of this page change (the browser draft compares it)."""
    page = {q.id: answers[q.id] for q in spec.section(section_id).questions if q.id in answers}
    return hashlib.sha256(json.dumps(page, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


def _response_tag(response: Response) -> str:
    """Names this response's browser drafts without putting the bearer client id in storage keys."""
    return hashlib.sha256(("draft:" + response.client_id).encode()).hexdigest()[:12]


def _planned_sections(spec, answers: dict, section_id: str, *, just_saved: bool) -> list[str]:
    """The pages a respondent on ``section_id`` can expect, for the progress bar and the last button.

    Earlier pages count when shown. A later page counts when its condition holds now, or when it
    reads a question that is not decided yet: one on a later page, or one of this page without a
    saved answer (unless this page was just saved and nothing followed it). Undecided pages get
    "Next" rather than a "Submit" that would surprise; the server decides after saving.
    """
    order = [s.id for s in spec.sections]
    here = order.index(section_id)
    shown = set(sections_shown(spec, answers))
    undecided = {q.id for s in spec.sections[here + 1:] for q in s.questions}
    if not just_saved:
        undecided |= {q.id for q in spec.sections[here].questions if q.id not in answers}
    planned = []
    for index, item in enumerate(spec.sections):
        reads_undecided = index > here and bool(undecided & set(conditions.references(item.show_if)))
        if index == here or item.id in shown or reads_undecided:
            planned.append(item.id)
    return planned


def _section_page(questionnaire, response, spec, section_id, form):
    locale = select_locale()
    planned = _planned_sections(spec, response.answers, section_id,
                                just_saved=request.args.get("saved") == section_id)
    section = spec.section(section_id)
    position = planned.index(section_id) + 1
    layout = [item for item in form.layout if item.shown is not False]
    # Earlier answers that same-page conditions read, for respond.js to evaluate them live.
    known = earlier_answers(spec, section_id, response.answers)
    wanted = {ref for item in layout if item.shown is None for ref in conditions.references(item.question.show_if)}
    return render_template(
        "respond/section.html",
        questionnaire=questionnaire,
        title=spec.title.get(locale),
        section=section,
        section_title=section.title.get(locale),
        section_description=section.description.get(locale),
        form=form,
        layout=layout,
        summary=_error_summary(form, layout),
        field_attrs=lambda item, name: _field_attrs(form, item, name),
        position=position,
        total=len(planned),
        has_back=neighbour_section(spec, response.answers, section_id, -1) is not None,
        is_last=position == len(planned),
        resume_code=_grouped(session.get(_key(questionnaire, "resume"))) if position == 1 else None,
        known={qid: value for qid, value in known.items() if qid in wanted},
        fingerprint=_page_fingerprint(spec, section_id, response.answers),
        draft_key=f"kaimen:draft:{questionnaire.slug}:{_response_tag(response)}:{section_id}",
        saved_key=(f"kaimen:draft:{questionnaire.slug}:{_response_tag(response)}:{request.args['saved']}"
                   if request.args.get("saved") else ""),
        ordinal=_ordinal,
    )


def _grouped(code: str | None) -> str | None:
    return " ".join(code[i:i + 4] for i in range(0, len(code), 4)) if code else None


def _ordinal(n: int) -> str:
    """Label of a rank position: "1st", "2nd"... in English; 第1位... in Chinese."""
    if select_locale().startswith("en"):
        suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
        return f"{n}{suffix}"
    return _("No. %(n)d", n=n)


def _first_input_id(form, name: str) -> str:
    field = form[name]
    return f"{field.id}-0" if field.type in ("RadioField", "SelectMultipleField") else field.id


def _error_summary(form, layout) -> list[tuple[str, str]]:
    """(anchor, text) for every error on the page, in page order, for the summary at the top."""
    items = []
    for item in layout:
        qid = item.question.id
        for message in form.question_errors.get(qid, []):
            items.append((_first_input_id(form, item.fields[0]), f"{item.title}: {message}"))
        for name in item.fields:
            field = form[name]
            label = item.title if name == qid else f"{item.title} — {field.label.text}"
            for message in field.errors:
                items.append((_first_input_id(form, name), f"{label}: {message}"))
    return items


def _field_attrs(form, item, name: str) -> dict:
    """aria attributes of one field's input(s): help, the field's errors and the question's errors."""
    question = item.question
    qid = question.id
    described = []
    if item.help:
        described.append(f"help-{qid}")
    if name == qid and question.type is QuestionType.MULTIPLE_CHOICE and (
        question.min_selections or question.max_selections
    ):
        described.append(f"hint-{qid}")
    if question.type in SCALE_TYPES and (item.scale_min_label or item.scale_max_label):
        described.append(f"ends-{qid}")
    if form.question_errors.get(qid):
        described.append(f"{qid}-qerrors")
    if form[name].errors:
        described.append(f"{name}-errors")
    attrs = {}
    if described:
        attrs["aria_describedby"] = " ".join(described)
    if form[name].errors or form.question_errors.get(qid):
        attrs["aria_invalid"] = "true"
    return attrs


# --------------------------------------------------------------------------- confirmation

@bp.route("/<slug>/done")
@public
def done(slug: str):
    questionnaire = _load(slug)
    response = _session_response(questionnaire)
    if response is None:
        return redirect(url_for(".landing", slug=slug))
    if response.status is not ResponseStatus.SUBMITTED:
        return redirect(_continue_url(questionnaire, response))
    spec = spec_of(response.version)
    return render_template(
        "respond/done.html",
        questionnaire=questionnaire,
        title=spec.title.get(select_locale()),
        reference=receipt_reference(response.client_id),
        submitted_on=response.submitted_on,
        drafts_prefix=f"kaimen:draft:{questionnaire.slug}:{_response_tag(response)}:",
    )


def receipt_reference(client_id: str) -> str:
    """A short reference for the receipt: the same for every repeat, meaningless to anyone else."""
    digest = hashlib.sha256(("receipt:" + client_id).encode()).hexdigest()[:8].upper()
    return f"{digest[:4]}-{digest[4:]}"
