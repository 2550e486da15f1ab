"""Staff screens for the needs analysis of a questionnaire, and its downloads.

- ``analysis.page``: the analysis page (filters, needs priority, every
  question with its chart, a breakdown, participation, downloads);
- ``analysis.results_json`` / ``analysis.results_csv``: the page's figures
  (protected: suppressed figures are empty) as JSON or a long CSV table;
- ``analysis.export_responses``: the responses, one row each, as CSV, XLSX,
  SPSS .sav or JSON (``survey.exports``), streamed;
- ``analysis.needs_report_pdf``: the needs report PDF, built by
  ``survey.services.needs_report.build_for`` (404 until that exists).

Every route reads the same query string (the filter form's fields), so a
download holds exactly what the page shows.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect

from flask import Blueprint, Response, abort, current_app, render_template, request, stream_with_context
from flask_babel import get_locale
from flask_babel import gettext as _

from forms.analysis_forms import analysis_filter_form
from survey import charts_svg
from survey.access import allow
from survey.models import Role
from survey.services import questionnaires
from survey.services.answer_columns import FilterError, MatrixFilter
from survey.services.errors import DomainError
from survey.services.needs_analysis import FilterRefused, analyse_cached, page_choices
from survey.services.needs_analysis_export import analysis_csv, analysis_json

bp = Blueprint("analysis", __name__, url_prefix="/staff/questionnaires")

STAFF = (Role.ADMIN, Role.STAFF)
EXPORT_FORMATS = ("csv", "xlsx", "sav", "json")


def _load(questionnaire_id: int):
    questionnaire = questionnaires.get_questionnaire(questionnaire_id=questionnaire_id)
    if questionnaire is None:
        abort(404)
    return questionnaire


def _locale() -> str:
    return str(get_locale() or "zh_CN")


def _form(questionnaire):
    choices = page_choices(questionnaire=questionnaire, locale=_locale())
    form = analysis_filter_form(
        request.args, versions=choices.versions, units=choices.units, sub_districts=choices.sub_districts,
        demographics=choices.demographics, breakdowns=choices.breakdowns, need_questions=choices.need_questions)
    valid = form.validate()
    return form, valid


def _filters(form) -> MatrixFilter:
    return MatrixFilter(
        versions=tuple(form.versions.data or ()),
        date_from=form.date_from.data,
        date_to=form.date_to.data,
        unit_ids=(int(form.unit.data),) if form.unit.data else (),
        sub_district_ids=(int(form.sub_district.data),) if form.sub_district.data else (),
        answers=form.answer_filters(),
    )


def _analysis(questionnaire, form):
    return analyse_cached(questionnaire=questionnaire, filters=_filters(form), breakdown=form.by.data or None,
                          need_questions=form.need.data or None, locale=_locale())


@bp.route("/<int:questionnaire_id>/analysis")
@allow(*STAFF)
def page(questionnaire_id: int):
    questionnaire = _load(questionnaire_id)
    form, valid = _form(questionnaire)
    analysis, refusal = None, None
    if valid:
        try:
            analysis = _analysis(questionnaire, form)
        except (FilterRefused, FilterError, DomainError) as exc:
            refusal = exc.message
    if analysis is not None and not form.need.data:
        form.need.data = list(analysis.need_questions)
    query = request.query_string.decode("ascii", "replace")
    return render_template(
        "staff/questionnaires/analysis.html", questionnaire=questionnaire, form=form, analysis=analysis,
        refusal=refusal, charts=charts_svg, query=f"?{query}" if query else "", export_formats=EXPORT_FORMATS,
        report_available=_report_module() is not None,
    ), (200 if valid else 400)


def _results(questionnaire_id: int):
    questionnaire = _load(questionnaire_id)
    form, valid = _form(questionnaire)
    if not valid:
        messages = [str(e) for errors in form.errors.values() for e in errors]
        return None, Response(" ".join(messages), status=400, mimetype="text/plain")
    try:
        return _analysis(questionnaire, form), None
    except (FilterRefused, FilterError, DomainError) as exc:
        return None, Response(exc.message, status=400, mimetype="text/plain")


@bp.route("/<int:questionnaire_id>/analysis.json")
@allow(*STAFF)
def results_json(questionnaire_id: int):
    analysis, error = _results(questionnaire_id)
    if error is not None:
        return error
    return Response(analysis_json(analysis), mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="questionnaire-{questionnaire_id}-analysis.json"',
        "Cache-Control": "no-store"})


@bp.route("/<int:questionnaire_id>/analysis.csv")
@allow(*STAFF)
def results_csv(questionnaire_id: int):
    analysis, error = _results(questionnaire_id)
    if error is not None:
        return error
    return Response(analysis_csv(analysis), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="questionnaire-{questionnaire_id}-analysis.csv"',
        "Cache-Control": "no-store"})


@bp.route("/<int:questionnaire_id>/analysis/responses.<fmt>")
@allow(*STAFF)
def export_responses(questionnaire_id: int, fmt: str):
    """The responses in the page's filter, one row each (microdata for analysts: staff and admins only)."""
    from survey.exports import export_responses as make_export

    if fmt not in EXPORT_FORMATS:
        abort(404)
    questionnaire = _load(questionnaire_id)
    form, valid = _form(questionnaire)
    if not valid:
        return Response(" ".join(str(e) for errs in form.errors.values() for e in errs), status=400,
                        mimetype="text/plain")
    language = "en" if _locale().startswith("en") else "zh"
    try:
        export = make_export(questionnaire, fmt, filters=_filters(form), language=language)
    except DomainError as exc:
        return Response(exc.message, status=400, mimetype="text/plain")
    return Response(stream_with_context(export.chunks), mimetype=export.mimetype, headers={
        "Content-Disposition": f'attachment; filename="{export.filename}"', "Cache-Control": "no-store"})


def _report_module():
    try:
        if importlib.util.find_spec("survey.services.needs_report") is None:
            return None
    except (ImportError, ValueError):
        return None
    module = importlib.import_module("survey.services.needs_report")
    return module if hasattr(module, "build_for") else None


@bp.route("/<int:questionnaire_id>/analysis/report.pdf")
@allow(*STAFF)
def needs_report_pdf(questionnaire_id: int):
    questionnaire = _load(questionnaire_id)
    module = _report_module()
    if module is None:
        return Response(_("The needs report PDF is not available in this installation yet."), status=404,
                        mimetype="text/plain")
    form, valid = _form(questionnaire)
    if not valid:
        return Response(" ".join(str(e) for errs in form.errors.values() for e in errs), status=400,
                        mimetype="text/plain")
    kwargs = {"questionnaire": questionnaire, "filters": _filters(form)}
    if "language" in inspect.signature(module.build_for).parameters:
        kwargs["language"] = "en" if _locale().startswith("en") else "zh"
    try:
        report = module.build_for(**kwargs)
    except DomainError as exc:
        current_app.logger.info("needs report refused: %s", exc.message)
        return Response(exc.message, status=400, mimetype="text/plain")
    # build_for gives a ReportFile (filename, pdf, mimetype), or the PDF's bytes.
    pdf = getattr(report, "pdf", report)
    filename = getattr(report, "filename", f"questionnaire-{questionnaire_id}-needs-report.pdf")
    return Response(pdf, mimetype=getattr(report, "mimetype", "application/pdf"), headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})
