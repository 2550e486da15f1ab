"""Staff screens for publishing a round's results.

- ``publishing.preview``: the results a publication would freeze now (ranking with
  intervals, totals, reliability, rater flags with names, for staff only) and the
  publish form (a note is required from version 2 on);
- ``publishing.publish``: freeze and store a new version (one transaction);
- ``publishing.versions``: every version with its files and their SHA-256, links to the
  public verification page and to what evaluators see;
- ``publishing.download_file``: a published file (recorded in the audit log like every
  download).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from forms.publish_forms import PublishForm
from survey.access import allow
from survey.hooks import writes_on_get
from survey.extensions import db
from survey.i18n import select_locale
from survey.models import Role
from survey.services import evaluator_portal, publications, rounds
from survey.services.errors import DomainError
from survey.views.evaluator import file_kind_label, serve_published_file

bp = Blueprint("publishing", __name__, url_prefix="/staff/rounds")

STAFF = (Role.ADMIN, Role.STAFF)


def _load(round_id: int):
    round = rounds.get_round(round_id=round_id)
    if round is None:
        abort(404)
    return round


def _preview_page(round, form: PublishForm | None = None, status: int = 200):
    latest = publications.latest_publication(round)
    next_version = 1 if latest is None else latest.version + 1
    form = (form or PublishForm()).require_note(next_version > 1)
    preview, refusal = None, None
    try:
        preview = publications.preview(round=round)
    except DomainError as exc:
        refusal = exc.message
    locale = select_locale()
    return render_template(
        "staff/rounds/publish.html", round=round, preview=preview, refusal=refusal, form=form,
        rows=preview.rows(locale) if preview else [], outputs=preview.outputs if preview else {},
        unit_results={u["unit"]: u for u in preview.outputs["unit_results"]} if preview else {},
        latest=latest, next_version=next_version,
    ), status


@bp.route("/<int:round_id>/results")
@allow(*STAFF)
def preview(round_id: int):
    return _preview_page(_load(round_id))


@bp.route("/<int:round_id>/publish", methods=["POST"])
@allow(*STAFF)
def publish(round_id: int):
    round = _load(round_id)
    form = PublishForm()
    if not form.validate_on_submit():
        db.session.rollback()
        return _preview_page(round, form, 400)
    try:
        publication = publications.publish(round=round, by=current_user._get_current_object(), note=form.note.data or "")
    except DomainError as exc:
        db.session.rollback()
        form.note.errors = [*form.note.errors, exc.message]
        return _preview_page(round, form, exc.status_code)
    db.session.commit()
    flash(_("Version %(n)d of the results is published.", n=publication.version), "success")
    return redirect(url_for(".versions", round_id=round.id))


@bp.route("/<int:round_id>/publications")
@allow(*STAFF)
def versions(round_id: int):
    round = _load(round_id)
    versions = [(p, evaluator_portal.sorted_files(p)) for p in publications.publications_of(round)]
    names = evaluator_portal.unit_names([f for _p, files in versions for f in files], select_locale())
    return render_template("staff/rounds/publish_versions.html", round=round, versions=versions,
                           unit_names=names, file_kind_label=file_kind_label)


@bp.route("/<int:round_id>/publications/<int:publication_id>/files/<int:file_id>")
@writes_on_get
@allow(*STAFF)
def download_file(round_id: int, publication_id: int, file_id: int):
    file = evaluator_portal.published_file(round_id, publication_id, file_id)
    if file is None:
        abort(404)
    return serve_published_file(file, portal="staff")
