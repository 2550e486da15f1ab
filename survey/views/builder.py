"""Staff builder: create a questionnaire, edit its sections and questions, import and export it.

Every change is a pure edit of the newest spec (``forms.questionnaire.editing``)
stored by ``questionnaires.edit_questionnaire``: into the open draft, or into a
new draft version when the newest one is published, so the live version
never changes under respondents. A refused edit stores nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from forms.questionnaire import editing
from forms.questionnaire.checks import publish_problems
from forms.questionnaire.editing import EditError
from forms.questionnaire.spec import Questionnaire as Spec
from forms.questionnaire.spec import QuestionType, SpecError
from forms.questionnaire_builder import (
    DEMOGRAPHIC_LABELS,
    TYPE_LABELS,
    DetailsForm,
    ImportForm,
    NewQuestionnaireForm,
    QuestionForm,
    SectionForm,
)
from survey.access import allow
from survey.extensions import db
from survey.labels import QUESTIONNAIRE_KIND_LABELS
from survey.models import QuestionnaireKind, QuestionnaireStatus, Role
from survey.services import questionnaire_files, questionnaires
from survey.services.errors import DomainError

bp = Blueprint("builder", __name__, url_prefix="/staff/questionnaires")

STAFF = (Role.ADMIN, Role.STAFF)
EXPORT_FORMATS = ("json", "xlsform")


def _load(questionnaire_id: int):
    questionnaire = questionnaires.get_questionnaire(questionnaire_id=questionnaire_id)
    if questionnaire is None:
        abort(404)
    return questionnaire


def _spec(questionnaire) -> Spec:
    """The newest version's spec: what the builder shows and edits."""
    return questionnaires.spec_of(questionnaires.latest_version(questionnaire))


def _kind_choices() -> list[tuple[str, str]]:
    return [(kind.value, str(label)) for kind, label in QUESTIONNAIRE_KIND_LABELS.items()]


def _builder_url(questionnaire_id: int, anchor: str | None = None) -> str:
    return url_for(".edit", questionnaire_id=questionnaire_id, _anchor=anchor)


def _closed_redirect(questionnaire):
    """Edit pages of a closed questionnaire send back to the (read-only) builder page."""
    if questionnaire.status is QuestionnaireStatus.CLOSED:
        flash(_("A closed questionnaire cannot be edited."), "error")
        return redirect(_builder_url(questionnaire.id))
    return None


def _live_question_ids(questionnaire) -> frozenset[str]:
    live = questionnaires.live_version(questionnaire)
    return frozenset(q.id for q in questionnaires.spec_of(live).questions()) if live else frozenset()


def _change(questionnaire, transform: Callable[[Spec], Spec], done: str) -> str | None:
    """Apply ``transform`` to the newest spec and store it; the refusal message, or None when saved."""
    was_published = questionnaires.latest_version(questionnaire).frozen
    try:
        version = questionnaires.edit_questionnaire(questionnaire=questionnaire, spec=transform(_spec(questionnaire)))
    except (EditError, SpecError) as exc:
        db.session.rollback()
        return str(exc)
    except DomainError as exc:
        db.session.rollback()
        return exc.message
    db.session.commit()
    flash(done, "success")
    if was_published:
        flash(_("Your change made version %(n)d, a draft; version %(live)d stays live until you publish.",
                n=version.number, live=version.number - 1), "success")
    return None


def _action(questionnaire, transform: Callable[[Spec], Spec], done: str, anchor: str | None):
    """A button on the builder page: store the change or flash why not, then back to the page."""
    error = _change(questionnaire, transform, done)
    if error:
        flash(error, "error")
    return redirect(_builder_url(questionnaire.id, anchor))


def _step() -> int:
    step = request.form.get("step", type=int)
    if step not in (-1, 1):
        abort(400)
    return step


# --------------------------------------------------------------------------- new, import, export

@bp.route("/new", methods=["GET", "POST"])
@allow(*STAFF)
def new():
    form = NewQuestionnaireForm()
    form.kind.choices = _kind_choices()
    if form.validate_on_submit():
        questionnaire = questionnaires.create_questionnaire(
            spec=form.to_questionnaire(), kind=QuestionnaireKind(form.kind.data), created_by=current_user
        )
        db.session.commit()
        flash(_("Questionnaire created: add its questions."), "success")
        return redirect(_builder_url(questionnaire.id))
    status = 400 if form.is_submitted() else 200
    return render_template("staff/questionnaires/new.html", form=form), status


def _import_form(**kwargs) -> ImportForm:
    form = ImportForm(**kwargs)
    form.kind.choices = [("", _("As recorded in the file (else Other)"))] + _kind_choices()
    return form


@bp.route("/import", methods=["GET", "POST"])
@allow(*STAFF)
def import_file():
    """Upload a JSON export or an XLSForm workbook; show what was not imported, row by row."""
    form = _import_form()
    rejected = None
    if form.validate_on_submit():
        upload = form.file.data
        try:
            outcome = questionnaire_files.import_questionnaire(
                data=upload.read(),
                filename=upload.filename or "upload",
                kind=QuestionnaireKind(form.kind.data) if form.kind.data else None,
                created_by=current_user,
            )
        except DomainError as exc:
            db.session.rollback()
            rejected = exc
        else:
            db.session.commit()
            return render_template("staff/questionnaires/import.html", form=_import_form(formdata=None),
                                   outcome=outcome, rejected=None)
    status = 400 if form.is_submitted() else 200
    return render_template("staff/questionnaires/import.html", form=form, outcome=None, rejected=rejected), status


@bp.route("/<int:questionnaire_id>/export/<fmt>")
@allow(*STAFF)
def export(questionnaire_id: int, fmt: str):
    questionnaire = _load(questionnaire_id)
    if fmt not in EXPORT_FORMATS:
        abort(404)
    try:
        content, filename, mimetype = questionnaire_files.export_questionnaire(
            questionnaire=questionnaire, version=request.args.get("version", type=int), fmt=fmt
        )
    except questionnaire_files.VersionNotFound:
        abort(404)
    return Response(content, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


# --------------------------------------------------------------------------- the builder page

def _builder_page(questionnaire, *, section_form: SectionForm | None = None, status: int = 200):
    draft = questionnaires.latest_version(questionnaire)
    spec = questionnaires.spec_of(draft)
    problems = [] if draft.frozen else publish_problems(spec)
    by_question: dict[str, list] = defaultdict(list)
    by_section: dict[str, list] = defaultdict(list)
    general = []
    for problem in problems:
        if problem.question:
            by_question[problem.question].append(problem)
        elif problem.section:
            by_section[problem.section].append(problem)
        else:
            general.append(problem)
    if section_form is None:
        section_form = SectionForm(formdata=None)
        section_form.id.data = editing.suggest_section_id(spec)
    order = [q.id for q in spec.questions()]
    return render_template(
        "staff/questionnaires/builder.html",
        questionnaire=questionnaire,
        spec=spec,
        draft=draft,
        live=questionnaires.live_version(questionnaire),
        closed=questionnaire.status is QuestionnaireStatus.CLOSED,
        problems=problems,
        general_problems=general,
        section_problems=by_section,
        question_problems=by_question,
        first_question=order[0] if order else None,
        last_question=order[-1] if order else None,
        section_form=section_form,
        type_labels=TYPE_LABELS,
        demographic_labels=DEMOGRAPHIC_LABELS,
        question_types=list(QuestionType),
    ), status


@bp.route("/<int:questionnaire_id>/edit")
@allow(*STAFF)
def edit(questionnaire_id: int):
    return _builder_page(_load(questionnaire_id))


@bp.route("/<int:questionnaire_id>/settings", methods=["GET", "POST"])
@allow(*STAFF)
def settings(questionnaire_id: int):
    """Title, introduction, languages and anonymity of the questionnaire."""
    questionnaire = _load(questionnaire_id)
    if (closed := _closed_redirect(questionnaire)) is not None:
        return closed
    form = DetailsForm()
    status = 200
    if request.method == "GET":
        form.from_spec(_spec(questionnaire))
    elif form.validate_on_submit():
        changes = form.to_changes()
        error = _change(questionnaire, lambda s: editing.update_details(s, **changes), _("Settings saved."))
        if error is None:
            return redirect(_builder_url(questionnaire.id))
        form.form_errors.append(error)
        status = 400
    else:
        status = 400
    return render_template("staff/questionnaires/settings.html", questionnaire=questionnaire, form=form,
                           live=questionnaires.live_version(questionnaire)), status


# --------------------------------------------------------------------------- questions

def _question_page(questionnaire, form: QuestionForm, section, question=None, status: int = 200):
    problems = [] if questionnaires.latest_version(questionnaire).frozen else [
        p for p in publish_problems(_spec(questionnaire)) if question is not None and p.question == question.id
    ]
    return render_template(
        "staff/questionnaires/question_form.html",
        questionnaire=questionnaire,
        form=form,
        section=section,
        question=question,
        problems=problems,
    ), status


@bp.route("/<int:questionnaire_id>/sections/<section_id>/questions/new", methods=["GET", "POST"])
@allow(*STAFF)
def add_question(questionnaire_id: int, section_id: str):
    questionnaire = _load(questionnaire_id)
    spec = _spec(questionnaire)
    section = spec.section(section_id)
    if section is None:
        abort(404)
    if (closed := _closed_redirect(questionnaire)) is not None:
        return closed
    form = QuestionForm()
    if request.method == "GET":
        form.id.data = editing.suggest_question_id(spec)
        chosen = request.args.get("type")
        form.type.data = chosen if chosen in {t.value for t in QuestionType} else QuestionType.SINGLE_CHOICE.value
        return _question_page(questionnaire, form, section)
    if form.validate_on_submit():
        question = form.to_question()
        error = _change(questionnaire, lambda s: editing.add_question(s, section_id, question),
                        _("Question %(question)s added.", question=question.id))
        if error is None:
            return redirect(_builder_url(questionnaire.id, f"q-{question.id}"))
        form.form_errors.append(error)
    return _question_page(questionnaire, form, section, status=400)


@bp.route("/<int:questionnaire_id>/questions/<question_id>", methods=["GET", "POST"])
@allow(*STAFF)
def question(questionnaire_id: int, question_id: str):
    questionnaire = _load(questionnaire_id)
    spec = _spec(questionnaire)
    current = spec.question(question_id)
    if current is None:
        abort(404)
    if (closed := _closed_redirect(questionnaire)) is not None:
        return closed
    section = spec.section_of(question_id)
    form = QuestionForm()
    if request.method == "GET":
        return _question_page(questionnaire, form.from_question(current), section, current)
    if form.validate_on_submit():
        edited = form.to_question()
        keep = _live_question_ids(questionnaire)
        error = _change(questionnaire, lambda s: editing.update_question(s, question_id, edited, keep_ids=keep),
                        _("Question %(question)s saved.", question=edited.id))
        if error is None:
            return redirect(_builder_url(questionnaire.id, f"q-{edited.id}"))
        form.form_errors.append(error)
    return _question_page(questionnaire, form, section, current, status=400)


@bp.route("/<int:questionnaire_id>/questions/<question_id>/move", methods=["POST"])
@allow(*STAFF)
def move_question(questionnaire_id: int, question_id: str):
    questionnaire = _load(questionnaire_id)
    step = _step()
    done = (_("Question %(question)s moved up.", question=question_id) if step < 0
            else _("Question %(question)s moved down.", question=question_id))
    return _action(questionnaire, lambda s: editing.move_question(s, question_id, step), done, f"q-{question_id}")


@bp.route("/<int:questionnaire_id>/questions/<question_id>/duplicate", methods=["POST"])
@allow(*STAFF)
def duplicate_question(questionnaire_id: int, question_id: str):
    questionnaire = _load(questionnaire_id)
    copy = editing.copy_id(_spec(questionnaire), question_id)
    return _action(questionnaire, lambda s: editing.duplicate_question(s, question_id),
                   _("Question %(question)s copied as %(copy)s.", question=question_id, copy=copy), f"q-{copy}")


@bp.route("/<int:questionnaire_id>/questions/<question_id>/delete", methods=["POST"])
@allow(*STAFF)
def delete_question(questionnaire_id: int, question_id: str):
    questionnaire = _load(questionnaire_id)
    section = _spec(questionnaire).section_of(question_id)
    return _action(questionnaire, lambda s: editing.delete_question(s, question_id),
                   _("Question %(question)s deleted.", question=question_id),
                   f"s-{section.id}" if section else None)


# --------------------------------------------------------------------------- sections

@bp.route("/<int:questionnaire_id>/sections", methods=["POST"])
@allow(*STAFF)
def add_section(questionnaire_id: int):
    """Add an empty section at the end (the form is on the builder page)."""
    questionnaire = _load(questionnaire_id)
    form = SectionForm()
    if form.validate_on_submit():
        section = form.to_section()
        error = _change(questionnaire, lambda s: editing.add_section(s, section),
                        _("Section %(section)s added.", section=section.id))
        if error is None:
            return redirect(_builder_url(questionnaire.id, f"s-{section.id}"))
        form.form_errors.append(error)
    return _builder_page(questionnaire, section_form=form, status=400)


@bp.route("/<int:questionnaire_id>/sections/<section_id>", methods=["GET", "POST"])
@allow(*STAFF)
def section(questionnaire_id: int, section_id: str):
    questionnaire = _load(questionnaire_id)
    current = _spec(questionnaire).section(section_id)
    if current is None:
        abort(404)
    if (closed := _closed_redirect(questionnaire)) is not None:
        return closed
    form = SectionForm()
    status = 200
    if request.method == "GET":
        form.from_section(current)
    elif form.validate_on_submit():
        changes = form.to_changes()
        error = _change(questionnaire, lambda s: editing.update_section(s, section_id, **changes),
                        _("Section %(section)s saved.", section=changes["new_id"]))
        if error is None:
            return redirect(_builder_url(questionnaire.id, f"s-{changes['new_id']}"))
        form.form_errors.append(error)
        status = 400
    else:
        status = 400
    return render_template("staff/questionnaires/section_form.html", questionnaire=questionnaire, form=form,
                           section=current), status


@bp.route("/<int:questionnaire_id>/sections/<section_id>/move", methods=["POST"])
@allow(*STAFF)
def move_section(questionnaire_id: int, section_id: str):
    questionnaire = _load(questionnaire_id)
    step = _step()
    done = (_("Section %(section)s moved up.", section=section_id) if step < 0
            else _("Section %(section)s moved down.", section=section_id))
    return _action(questionnaire, lambda s: editing.move_section(s, section_id, step), done, f"s-{section_id}")


@bp.route("/<int:questionnaire_id>/sections/<section_id>/delete", methods=["POST"])
@allow(*STAFF)
def delete_section(questionnaire_id: int, section_id: str):
    questionnaire = _load(questionnaire_id)
    return _action(questionnaire, lambda s: editing.delete_section(s, section_id),
                   _("Section %(section)s deleted.", section=section_id), None)
