"""Staff screens for questionnaires: list, checklist and publishing, preview, distribution, monitor."""

from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from forms.questionnaire.builder import build_section_form
from forms.questionnaire.checks import publish_problems
from forms.invite_list import MAX_BYTES, InviteListError, InviteListForm, parse_invite_list
from forms.questionnaire_admin import InviteBatchForm, PublishForm, TargetForm
from survey.access import allow
from survey.extensions import db
from survey.models import Role
from survey.services import distribution, invites, questionnaires, units
from survey.services.errors import DomainError
from survey.views.util import flash_form_errors, local_to_utc, public_url

bp = Blueprint("questionnaires", __name__, url_prefix="/staff/questionnaires")

STAFF = (Role.ADMIN, Role.STAFF)


def _load(questionnaire_id: int):
    questionnaire = questionnaires.get_questionnaire(questionnaire_id=questionnaire_id)
    if questionnaire is None:
        abort(404)
    return questionnaire


@bp.route("/")
@allow(*STAFF)
def index():
    return render_template("staff/questionnaires/index.html", summaries=questionnaires.list_questionnaires())


@bp.route("/<int:questionnaire_id>")
@allow(*STAFF)
def detail(questionnaire_id: int):
    questionnaire = _load(questionnaire_id)
    draft = questionnaires.latest_version(questionnaire)
    problems = [] if draft.frozen else publish_problems(questionnaires.spec_of(draft))
    return render_template(
        "staff/questionnaires/detail.html",
        questionnaire=questionnaire,
        draft=draft,
        live=questionnaires.live_version(questionnaire),
        spec=questionnaires.spec_of(draft),
        problems=problems,
        publish_form=PublishForm(),
        is_open=questionnaires.is_open(questionnaire),
    )


@bp.route("/<int:questionnaire_id>/publish", methods=["POST"])
@allow(*STAFF)
def publish(questionnaire_id: int):
    questionnaire = _load(questionnaire_id)
    form = PublishForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(url_for(".detail", questionnaire_id=questionnaire.id))
    try:
        version = questionnaires.publish_questionnaire(
            questionnaire=questionnaire,
            opens_at=local_to_utc(form.opens_at.data),
            closes_at=local_to_utc(form.closes_at.data),
        )
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(_("Version %(n)d is published.", n=version.number), "success")
    return redirect(url_for(".detail", questionnaire_id=questionnaire_id))


@bp.route("/<int:questionnaire_id>/close", methods=["POST"])
@allow(*STAFF)
def close(questionnaire_id: int):
    questionnaire = _load(questionnaire_id)
    try:
        questionnaires.close_questionnaire(questionnaire=questionnaire)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(_("The questionnaire is closed: no more answers are accepted."), "success")
    return redirect(url_for(".detail", questionnaire_id=questionnaire_id))


@bp.route("/<int:questionnaire_id>/preview")
@bp.route("/<int:questionnaire_id>/preview/<section_id>")
@allow(*STAFF)
def preview(questionnaire_id: int, section_id: str | None = None):
    """The newest version as a respondent sees it; nothing can be submitted."""
    questionnaire = _load(questionnaire_id)
    spec = questionnaires.spec_of(questionnaires.latest_version(questionnaire))
    section = spec.section(section_id) if section_id else spec.sections[0]
    if section is None:
        abort(404)
    from survey.i18n import select_locale

    form_class = build_section_form(spec, section.id, locale=select_locale())
    ids = [s.id for s in spec.sections]
    position = ids.index(section.id)
    return render_template(
        "staff/questionnaires/preview.html",
        questionnaire=questionnaire,
        spec=spec,
        section=section,
        form=form_class(meta={"csrf": False}),
        previous_id=ids[position - 1] if position else None,
        next_id=ids[position + 1] if position + 1 < len(ids) else None,
        position=position,
    )


@bp.route("/<int:questionnaire_id>/distribution")
@allow(*STAFF)
def distribute(questionnaire_id: int):
    questionnaire = _load(questionnaire_id)
    issued, used = invites.invite_counts(questionnaire=questionnaire)
    return render_template(
        "staff/questionnaires/distribution.html",
        questionnaire=questionnaire,
        public_url=_public_url(questionnaire),
        issued=issued,
        used=used,
        invite_form=InviteBatchForm(),
        list_form=InviteListForm(),
        target_form=TargetForm(),
    )


def _public_url(questionnaire) -> str:
    return public_url("respond.landing", slug=questionnaire.slug)


@bp.route("/<int:questionnaire_id>/qr.<fmt>")
@allow(*STAFF)
def qr(questionnaire_id: int, fmt: str):
    questionnaire = _load(questionnaire_id)
    if fmt not in distribution.QR_FORMATS:
        abort(404)
    image = distribution.qr_code(url=_public_url(questionnaire), fmt=fmt)
    return Response(
        image,
        mimetype=distribution.QR_FORMATS[fmt],
        headers={"Content-Disposition": f'attachment; filename="questionnaire-{questionnaire.slug}.{fmt}"'},
    )


@bp.route("/<int:questionnaire_id>/invites", methods=["POST"])
@allow(*STAFF)
def create_invites(questionnaire_id: int):
    """Issue a batch of codes, optionally for one unit."""
    questionnaire = _load(questionnaire_id)
    form = InviteBatchForm()
    unit = None
    if form.validate_on_submit() and form.unit_code.data:
        unit = units.get_unit_by_code(code=form.unit_code.data.strip())
        if unit is None:
            form.unit_code.errors.append(_("There is no unit with the code %(code)s.", code=form.unit_code.data))
    if form.errors:
        flash_form_errors(form)
        return redirect(url_for(".distribute", questionnaire_id=questionnaire_id))
    issued = invites.create_invites(questionnaire=questionnaire, count=form.count.data, unit=unit)
    db.session.commit()
    return _codes_csv(questionnaire, issued)


@bp.route("/<int:questionnaire_id>/invites/upload", methods=["POST"])
@allow(*STAFF)
def upload_invites(questionnaire_id: int):
    """One code per row of an uploaded list; any bad row refuses the whole list."""
    questionnaire = _load(questionnaire_id)
    form = InviteListForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(url_for(".distribute", questionnaire_id=questionnaire_id))
    try:
        rows = parse_invite_list(form.file.data.read(MAX_BYTES + 1), form.file.data.filename or "")
        issued = invites.create_invites_from_list(questionnaire=questionnaire, rows=rows)
    except (InviteListError, invites.InviteListRefused) as exc:
        db.session.rollback()
        flash(_("The list was not used; nothing was issued:"), "error")
        for reason in exc.reasons:
            flash(reason, "error")
        return redirect(url_for(".distribute", questionnaire_id=questionnaire_id))
    db.session.commit()
    return _codes_csv(questionnaire, issued)


def _codes_csv(questionnaire, issued) -> Response:
    """Codes are handed over once, as a CSV with their links: they are never shown again."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["code", "link", "label", "unit"])
    base = _public_url(questionnaire)
    for item in issued:
        writer.writerow([item.code, f"{base}?code={item.code}", item.label or "", item.unit_code or ""])
    return Response(
        "\ufeff" + out.getvalue(),  # BOM: Excel opens UTF-8 CSV correctly
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="invites-{questionnaire.slug}.csv"'},
    )


@bp.route("/<int:questionnaire_id>/targets", methods=["POST"])
@allow(*STAFF)
def set_target(questionnaire_id: int):
    questionnaire = _load(questionnaire_id)
    form = TargetForm()
    if form.validate_on_submit():
        unit = units.get_unit_by_code(code=form.unit_code.data.strip())
        if unit is None:
            flash(_("There is no unit with the code %(code)s.", code=form.unit_code.data), "error")
        else:
            distribution.set_participation_target(questionnaire=questionnaire, unit=unit, rate=float(form.percent.data) / 100)
            db.session.commit()
            flash(_("Target saved."), "success")
    else:
        flash_form_errors(form)
    return redirect(url_for(".monitor", questionnaire_id=questionnaire_id))


@bp.route("/<int:questionnaire_id>/monitor")
@allow(*STAFF)
def monitor(questionnaire_id: int):
    questionnaire = _load(questionnaire_id)
    return render_template(
        "staff/questionnaires/monitor.html",
        questionnaire=questionnaire,
        participation=distribution.participation(questionnaire=questionnaire),
        target_form=TargetForm(),
    )
