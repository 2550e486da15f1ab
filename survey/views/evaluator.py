"""The evaluator portal: published rounds and closed questionnaires, and their downloads.

Third-party evaluators (and staff and admins, who see exactly what evaluators get)
list the published rounds and the closed questionnaires only. A round shows every
published version with its note and date and each file with its SHA-256; the
files are the report PDFs, the anonymised raw scores (raters pseudonymised per
round) and the reproducibility bundle. A questionnaire offers its responses
under small-cell protection (:mod:`survey.services.evaluator_exports`) and the
needs report PDF where it is installed.

Every download is recorded in the audit log (who, which file, its SHA-256) and
committed before the file is served. An id that is not for evaluators (a round
not published, a questionnaire not closed, a file of another publication) gets
the same 404 as one that does not exist.
"""

from __future__ import annotations

import hashlib
import io

from flask import Blueprint, Response, abort, render_template, request, send_file
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from survey.access import allow
from survey.hooks import writes_on_get
from survey.exports import FORMATS
from survey.extensions import db
from survey.i18n import select_locale
from survey.models import Role
from survey.services import evaluator_exports, evaluator_portal
from survey.services.errors import DomainError

bp = Blueprint("evaluator", __name__, url_prefix="/evaluator")

#: Evaluators, and the staff who publish for them (nothing here is more than staff already see).
AUDIENCE = (Role.EVALUATOR, Role.ADMIN, Role.STAFF)

FILE_KIND_LABELS = {
    "round_report": _l("Round report"),
    "composite_report": _l("Composite assessment report"),
    "raw_scores": _l("Anonymised raw scores"),
    "bundle": _l("Reproducibility bundle"),
}
EXPORT_LABELS = {
    "csv": _l("CSV (UTF-8, opens in Excel)"),
    "xlsx": _l("Excel workbook with codebook"),
    "sav": _l("SPSS data file"),
    "json": _l("JSON"),
}


def file_kind_label(kind: str) -> str:
    return str(FILE_KIND_LABELS.get(kind, kind))


def _user():
    return current_user._get_current_object()


def _locale() -> str:
    return select_locale()


def _language() -> str:
    return "en" if _locale().startswith("en") else "zh"


def _head_only(mimetype: str) -> Response | None:
    """A HEAD request serves no content, so it is answered without an audit entry."""
    if request.method == "HEAD":
        return Response(status=200, mimetype=mimetype, headers={"Cache-Control": "no-store"})
    return None


def serve_published_file(file, *, portal: str) -> Response:
    """Record the download, commit, then send the stored bytes."""
    if (head := _head_only(file.mimetype)) is not None:
        return head
    evaluator_portal.record_file_download(user=_user(), file=file, portal=portal)
    db.session.commit()
    response = send_file(io.BytesIO(file.content), mimetype=file.mimetype, as_attachment=True,
                         download_name=file.filename, max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/")
@allow(*AUDIENCE)
def index():
    return render_template(
        "evaluator/index.html",
        rounds=evaluator_portal.published_rounds(),
        questionnaires=evaluator_portal.closed_questionnaires(),
    )


@bp.route("/rounds/<int:round_id>")
@allow(*AUDIENCE)
def round_detail(round_id: int):
    round = evaluator_portal.published_round(round_id)
    if round is None:
        abort(404)
    versions = [(p, evaluator_portal.sorted_files(p)) for p in evaluator_portal.publications_of(round)]
    names = evaluator_portal.unit_names([f for _p, files in versions for f in files], _locale())
    return render_template("evaluator/round.html", round=round, versions=versions, unit_names=names,
                           file_kind_label=file_kind_label)


@bp.route("/rounds/<int:round_id>/publications/<int:publication_id>/files/<int:file_id>")
@writes_on_get
@allow(*AUDIENCE)
def download_file(round_id: int, publication_id: int, file_id: int):
    if evaluator_portal.published_round(round_id) is None:
        abort(404)
    file = evaluator_portal.published_file(round_id, publication_id, file_id)
    if file is None:
        abort(404)
    return serve_published_file(file, portal="evaluator")


@bp.route("/questionnaires/<int:questionnaire_id>")
@allow(*AUDIENCE)
def questionnaire_detail(questionnaire_id: int):
    questionnaire = evaluator_portal.closed_questionnaire(questionnaire_id)
    if questionnaire is None:
        abort(404)
    k, k_unit = evaluator_exports.thresholds()
    return render_template(
        "evaluator/questionnaire.html", questionnaire=questionnaire,
        responses=evaluator_portal.response_count(questionnaire), formats=EXPORT_LABELS, k=k, k_unit=k_unit,
        needs_report=evaluator_portal.needs_report_builder() is not None,
    )


@bp.route("/questionnaires/<int:questionnaire_id>/responses.<fmt>")
@writes_on_get
@allow(*AUDIENCE)
def export_responses(questionnaire_id: int, fmt: str):
    """The responses under small-cell protection; hashed before the audit entry, served after the commit."""
    questionnaire = evaluator_portal.closed_questionnaire(questionnaire_id)
    if questionnaire is None or fmt not in FORMATS:
        abort(404)
    if (head := _head_only(FORMATS[fmt][0])) is not None:
        return head
    try:
        export, protection = evaluator_exports.evaluator_export(questionnaire, fmt, language=_language())
        spooled = evaluator_exports.spool(export)
    except DomainError as exc:
        db.session.rollback()
        return Response(exc.message, status=400, mimetype="text/plain")
    try:
        evaluator_portal.record_download(
            user=_user(), subject_type="questionnaire", subject_id=questionnaire.id, filename=spooled.filename,
            sha256=spooled.sha256, size=spooled.size, format=fmt, rows=protection.rows, k=protection.k,
            k_unit=protection.k_unit, withheld_cells=protection.cells_withheld)
        db.session.commit()
    except BaseException:
        spooled.discard()
        raise
    return Response(spooled.stream(), mimetype=spooled.mimetype, headers={
        "Content-Disposition": f'attachment; filename="{spooled.filename}"',
        "Content-Length": str(spooled.size),
        "Cache-Control": "no-store",
    })


@bp.route("/questionnaires/<int:questionnaire_id>/needs-report.pdf")
@writes_on_get
@allow(*AUDIENCE)
def needs_report(questionnaire_id: int):
    questionnaire = evaluator_portal.closed_questionnaire(questionnaire_id)
    if questionnaire is None:
        abort(404)
    build = evaluator_portal.needs_report_builder()
    if build is None:
        abort(404)
    if (head := _head_only("application/pdf")) is not None:
        return head
    try:
        report = build(questionnaire=questionnaire, filters=None, language=_language())
    except DomainError as exc:
        db.session.rollback()
        return Response(exc.message, status=400, mimetype="text/plain")
    pdf = getattr(report, "pdf", report)
    filename = getattr(report, "filename", f"questionnaire-{questionnaire.id}-needs-report.pdf")
    evaluator_portal.record_download(
        user=_user(), subject_type="questionnaire", subject_id=questionnaire.id, filename=filename,
        sha256=hashlib.sha256(pdf).hexdigest(), size=len(pdf), format="needs_report")
    db.session.commit()
    response = send_file(io.BytesIO(pdf), mimetype="application/pdf", as_attachment=True, download_name=filename,
                         max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response
