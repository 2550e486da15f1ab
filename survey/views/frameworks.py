"""Staff screens for criteria frameworks: list, framework page, editor, spreadsheet upload and download.

Staff and administrators edit; third-party evaluators may read the list and the framework
pages and download the spreadsheet, because they analyse the results against these criteria.
Every change goes through one service call and one commit; a refused change rolls back and
stores nothing. Editing a frozen version makes a new draft version, which the page says.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from forms.framework_edit import AreaForm, CriterionForm, DetailsForm, ImportForm, NewFrameworkForm
from forms.framework_sheet import MAX_BYTES
from survey.access import allow
from survey.extensions import db
from survey.models import Role
from survey.services import frameworks
from survey.services.errors import Conflict, DomainError

bp = Blueprint("frameworks", __name__, url_prefix="/staff/frameworks")

STAFF = (Role.ADMIN, Role.STAFF)
READERS = (Role.ADMIN, Role.STAFF, Role.EVALUATOR)


def _load(framework_id: int):
    framework = frameworks.get_framework(framework_id=framework_id)
    if framework is None:
        abort(404)
    return framework


def _version(framework):
    try:
        return frameworks.get_version(framework=framework, number=request.args.get("version", type=int))
    except frameworks.NotFound:
        abort(404)


def _grouped(problems) -> tuple[dict, dict, list]:
    """Problems by criterion, by area (those not about one criterion), and the rest."""
    by_criterion, by_area, general = defaultdict(list), defaultdict(list), []
    for problem in problems:
        if problem.criterion:
            by_criterion[problem.criterion].append(problem)
        elif problem.area:
            by_area[problem.area].append(problem)
        else:
            general.append(problem)
    return by_criterion, by_area, general


# --------------------------------------------------------------------------- reading

@bp.route("/")
@allow(*READERS)
def index():
    return render_template("staff/frameworks/index.html", summaries=frameworks.list_frameworks())


@bp.route("/<int:framework_id>")
@allow(*READERS)
def detail(framework_id: int):
    """One version (the newest unless ``?version=N``), readable on a projector with ``?view=projector``."""
    framework = _load(framework_id)
    version = _version(framework)
    problems = frameworks.check_framework(version.spec)
    return render_template(
        "staff/frameworks/detail.html",
        framework=framework,
        version=version,
        latest=frameworks.latest_version(framework),
        spec=version.spec,
        size=frameworks.count_criteria(version.spec),
        problems=problems,
        projector=request.args.get("view") == "projector",
    )


@bp.route("/<int:framework_id>/export.xlsx")
@allow(*READERS)
def export(framework_id: int):
    framework = _load(framework_id)
    version = _version(framework)
    content, filename = frameworks.export_framework(framework=framework, number=version.number)
    return Response(content, mimetype=frameworks.XLSX_MIMETYPE,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


# --------------------------------------------------------------------------- creating

@bp.route("/new", methods=["GET", "POST"])
@allow(*STAFF)
def new():
    form = NewFrameworkForm()
    existing = frameworks.list_frameworks()
    form.source.choices = [("", _("The seeds' default framework (10 areas, 40 criteria)"))] + [
        (str(s.framework.id), _("%(code)s, version %(n)d: %(name)s", code=s.framework.code, n=s.latest.number,
                                name=s.framework.name))
        for s in existing
    ]
    if form.validate_on_submit():
        source = frameworks.get_framework(framework_id=int(form.source.data)) if form.source.data else None
        try:
            framework = frameworks.copy_framework(code=form.code.data.strip(), name=form.name.data, source=source)
        except frameworks.FrameworkInvalid as exc:
            db.session.rollback()
            form.source.errors.append(exc.message)
            form.source.errors.extend(exc.reasons)
        except DomainError as exc:
            db.session.rollback()
            form.code.errors.append(exc.message)
        else:
            db.session.commit()
            flash(_("Framework %(code)s created.", code=framework.code), "success")
            return redirect(url_for(".edit", framework_id=framework.id))
    status = 400 if form.is_submitted() else 200
    return render_template("staff/frameworks/new.html", form=form), status


@bp.route("/import", methods=["GET", "POST"])
@allow(*STAFF)
def import_file():
    """Upload a workbook as a new framework or a new version of one; every bad row is listed."""
    form = ImportForm()
    if request.method == "GET" and request.args.get("code"):
        form.code.data = request.args["code"]
    rejected = None
    if form.validate_on_submit():
        try:
            outcome = frameworks.import_framework(data=form.file.data.read(MAX_BYTES + 1),
                                                  code=form.code.data.strip(), name=form.name.data or None)
        except DomainError as exc:
            db.session.rollback()
            rejected = exc
        else:
            db.session.commit()
            messages = {
                "created": _("Framework %(code)s created from the spreadsheet.", code=outcome.framework.code),
                "new_version": _("The spreadsheet is version %(n)d, a draft; version %(old)d stays frozen.",
                                 n=outcome.version.number, old=outcome.version.number - 1),
                "draft_replaced": _("The spreadsheet replaced the draft, version %(n)d.", n=outcome.version.number),
                "unchanged": _("The spreadsheet is the same as version %(n)d: nothing changed.",
                               n=outcome.version.number),
            }
            flash(messages[outcome.action], "success")
            return redirect(url_for(".detail", framework_id=outcome.framework.id))
    status = 400 if form.is_submitted() else 200
    return render_template("staff/frameworks/import.html", form=form, rejected=rejected), status


# --------------------------------------------------------------------------- the editor

def _editor_url(framework_id: int, anchor: str | None = None) -> str:
    return url_for(".edit", framework_id=framework_id, _anchor=anchor)


def _store(framework, change: Callable[[], object], done: str) -> DomainError | None:
    """Run one editing service and commit, or roll back and return the refusal."""
    before = frameworks.latest_version(framework)
    was_frozen, number = before.frozen, before.number
    try:
        version = change()
    except DomainError as exc:
        db.session.rollback()
        return exc
    db.session.commit()
    flash(done, "success")
    if was_frozen and version.number != number:
        flash(_("Your change made version %(n)d, a draft; version %(old)d stays frozen for the rounds that use it.",
                n=version.number, old=number), "success")
    return None


def _form_refusal(form, error: DomainError) -> None:
    """A refusal shown on the form: a used code beside the code, anything else above the form."""
    if isinstance(error, Conflict):
        form.code.errors.append(error.message)
    else:
        form.form_errors.append(error.message)
        form.form_errors.extend(getattr(error, "reasons", []))


@bp.route("/<int:framework_id>/edit")
@allow(*STAFF)
def edit(framework_id: int):
    framework = _load(framework_id)
    version = frameworks.latest_version(framework)
    problems = frameworks.check_framework(version.spec)
    by_criterion, by_area, general = _grouped(problems)
    return render_template(
        "staff/frameworks/edit.html",
        framework=framework,
        version=version,
        spec=version.spec,
        problems=problems,
        criterion_problems=by_criterion,
        area_problems=by_area,
        general_problems=general,
    )


@bp.route("/<int:framework_id>/details", methods=["GET", "POST"])
@allow(*STAFF)
def details(framework_id: int):
    framework = _load(framework_id)
    spec = frameworks.latest_version(framework).spec
    title = spec.get("title") or {}
    form = DetailsForm(data={"name": framework.name, "title_zh": title.get("zh", ""), "title_en": title.get("en", "")})
    if form.validate_on_submit():
        error = _store(framework, lambda: frameworks.update_framework_details(
            framework=framework, name=form.name.data, title=form.title()), _("Name and title saved."))
        if error is None:
            return redirect(_editor_url(framework_id))
        form.form_errors.extend([error.message, *getattr(error, "reasons", [])])
    status = 400 if form.is_submitted() else 200
    return render_template("staff/frameworks/details.html", framework=framework, form=form), status


@bp.route("/<int:framework_id>/add-area", methods=["GET", "POST"])
@allow(*STAFF)
def add_area(framework_id: int):
    framework = _load(framework_id)
    form = AreaForm()
    if form.validate_on_submit():
        area = form.to_area()
        error = _store(framework, lambda: frameworks.add_area(framework=framework, area=area),
                       _("Area %(code)s added: now add its criteria.", code=area["code"]))
        if error is None:
            return redirect(_editor_url(framework_id, f"area-{area['code']}"))
        _form_refusal(form, error)
    status = 400 if form.is_submitted() else 200
    return render_template("staff/frameworks/area_form.html", framework=framework, form=form, area=None), status


def _area_or_404(framework, area_code: str) -> dict:
    for area in frameworks.latest_version(framework).spec["areas"]:
        if area["code"] == area_code:
            return area
    abort(404)


@bp.route("/<int:framework_id>/areas/<area_code>", methods=["GET", "POST"])
@allow(*STAFF)
def area(framework_id: int, area_code: str):
    framework = _load(framework_id)
    current = _area_or_404(framework, area_code)
    form = AreaForm(data=AreaForm.data_of(current))
    if form.validate_on_submit():
        values = form.to_area()
        error = _store(framework, lambda: frameworks.update_area(framework=framework, area_code=area_code,
                                                                 area=values),
                       _("Area %(code)s saved.", code=values["code"]))
        if error is None:
            return redirect(_editor_url(framework_id, f"area-{values['code']}"))
        _form_refusal(form, error)
    status = 400 if form.is_submitted() else 200
    return render_template("staff/frameworks/area_form.html", framework=framework, form=form,
                           area=current), status


@bp.route("/<int:framework_id>/areas/<area_code>/delete", methods=["POST"])
@allow(*STAFF)
def delete_area(framework_id: int, area_code: str):
    framework = _load(framework_id)
    if request.form.get("confirm") != "yes":
        flash(_("Tick the box beside the button to confirm deleting area %(code)s.", code=area_code), "error")
        return redirect(_editor_url(framework_id, f"area-{area_code}"))
    error = _store(framework, lambda: frameworks.delete_area(framework=framework, area_code=area_code),
                   _("Area %(code)s deleted with its criteria.", code=area_code))
    if error is not None:
        flash(error.message, "error")
    return redirect(_editor_url(framework_id))


@bp.route("/<int:framework_id>/areas/<area_code>/add-criterion", methods=["GET", "POST"])
@allow(*STAFF)
def add_criterion(framework_id: int, area_code: str):
    framework = _load(framework_id)
    current = _area_or_404(framework, area_code)
    form = CriterionForm()
    if form.validate_on_submit():
        values = form.to_criterion()
        error = _store(framework, lambda: frameworks.add_criterion(framework=framework, area_code=area_code,
                                                                   criterion=values),
                       _("Criterion %(code)s added.", code=values["code"]))
        if error is None:
            return redirect(_editor_url(framework_id, f"criterion-{values['code']}"))
        _form_refusal(form, error)
    status = 400 if form.is_submitted() else 200
    return render_template("staff/frameworks/criterion_form.html", framework=framework, form=form,
                           area=current, criterion=None), status


@bp.route("/<int:framework_id>/criteria/<criterion_code>", methods=["GET", "POST"])
@allow(*STAFF)
def criterion(framework_id: int, criterion_code: str):
    framework = _load(framework_id)
    found = next(((a, c) for a in frameworks.latest_version(framework).spec["areas"] for c in a["criteria"]
                  if c["code"] == criterion_code), None)
    if found is None:
        abort(404)
    current_area, current = found
    form = CriterionForm(data=CriterionForm.data_of(current))
    if form.validate_on_submit():
        values = form.to_criterion()
        error = _store(framework, lambda: frameworks.update_criterion(framework=framework,
                                                                      criterion_code=criterion_code,
                                                                      criterion=values),
                       _("Criterion %(code)s saved.", code=values["code"]))
        if error is None:
            return redirect(_editor_url(framework_id, f"criterion-{values['code']}"))
        _form_refusal(form, error)
    status = 400 if form.is_submitted() else 200
    return render_template("staff/frameworks/criterion_form.html", framework=framework, form=form,
                           area=current_area, criterion=current), status


@bp.route("/<int:framework_id>/criteria/<criterion_code>/delete", methods=["POST"])
@allow(*STAFF)
def delete_criterion(framework_id: int, criterion_code: str):
    framework = _load(framework_id)
    error = _store(framework, lambda: frameworks.delete_criterion(framework=framework, criterion_code=criterion_code),
                   _("Criterion %(code)s deleted.", code=criterion_code))
    if error is not None:
        flash(error.message, "error")
    return redirect(_editor_url(framework_id))
