"""Staff screens for assessment rounds: set-up, rater pool, conflict matrix, panel plan."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from forms.accounts import ActionForm
from forms.rater_sheet import MAX_BYTES
from forms.round_forms import (
    AddMemberForm,
    AddUnitForm,
    ConflictForm,
    PickRatersForm,
    RaterImportForm,
    RoundForm,
    ScheduleForm,
    parse_quota_lines,
    quota_lines,
)
from survey.access import allow
from survey.extensions import db
from survey.models import Role
from survey.services import conflicts, join_codes, plans, raters, rounds
from survey.services.conflicts import unit_label
from survey.services.errors import DomainError
from survey.views.util import (
    apply_change,
    flash_form_errors,
    local_to_utc,
    public_base_url,
    refuse,
    utc_to_local,
)

bp = Blueprint("rounds", __name__, url_prefix="/staff/rounds")

STAFF = (Role.ADMIN, Role.STAFF)


def _load(round_id: int):
    round = rounds.get_round(round_id=round_id)
    if round is None:
        abort(404)
    return round


def _session(round, session_id: int):
    session = plans.get_session(round=round, session_id=session_id)
    if session is None:
        abort(404)
    return session


def _rater(round, rater_id: int):
    rater = plans.get_rater(round=round, rater_id=rater_id)
    if rater is None:
        abort(404)
    return rater


@bp.route("/")
@allow(*STAFF)
def index():
    return render_template("staff/rounds/index.html", rounds=rounds.list_rounds())


# --------------------------------------------------------------------------- the round and its settings


def _round_form(round=None) -> RoundForm:
    form = RoundForm()
    form.framework_version.choices = [
        (v.id, f"{v.framework.name} · v{v.number}" + (f" ({_('frozen')})" if v.frozen else ""))
        for v in rounds.framework_versions()
    ]
    if round is not None and request.method == "GET":
        spec = round.panel_spec or plans.DEFAULT_PANEL_SPEC
        settings = round.settings or {}
        form.name.data, form.period.data = round.name, round.period
        form.framework_version.data = round.framework_version_id
        form.recuse_same_sub_district.data = round.recuse_same_sub_district
        form.recuse_same_industry.data = round.recuse_same_industry
        for name in ("method", "trim", "min_raters", "fallback", "missing_policy"):
            if name in settings:
                getattr(form, name).data = settings[name]
        form.mode.data = spec.get("mode", "rotating")
        form.n_panels.data = spec.get("n_panels", form.n_panels.default)
        form.min_raters_per_unit.data = spec.get("min_raters_per_unit", form.min_raters_per_unit.default)
        form.committee_size.data = spec.get("committee_size", form.committee_size.default)
        form.quotas.data = quota_lines(spec.get("quotas") or spec.get("unit_quotas") or {})
        form.time_limit.data = spec.get("time_limit", form.time_limit.default)
    return form


def _form_values(form: RoundForm, round=None) -> dict:
    """The service's arguments from a valid form; panel settings the form does not show are kept."""
    old = dict(round.panel_spec or {}) if round is not None else {}
    mode = form.mode.data
    spec = {k: v for k, v in old.items() if k in plans.PANEL_KEYS[mode] and old.get("mode") == mode}
    spec["mode"] = mode
    quotas = parse_quota_lines(form.quotas.data or "", mode)
    if mode == "rotating":
        spec.update(
            n_panels=form.n_panels.data, min_raters_per_unit=form.min_raters_per_unit.data or 5, unit_quotas=quotas
        )
    else:
        spec.update(committee_size=form.committee_size.data, quotas=quotas)
    spec["time_limit"] = float(form.time_limit.data)
    settings = dict(round.settings or {}) if round is not None else {}
    settings.update(
        method=form.method.data,
        trim=form.trim.data,
        min_raters=form.min_raters.data,
        fallback=form.fallback.data,
        missing_policy=form.missing_policy.data,
    )
    version = rounds.get_framework_version(version_id=form.framework_version.data)
    return {
        "name": form.name.data,
        "period": form.period.data,
        "framework_version": version,
        "recuse_same_sub_district": form.recuse_same_sub_district.data,
        "recuse_same_industry": form.recuse_same_industry.data,
        "settings": settings,
        "panel_spec": spec,
    }


@bp.route("/new", methods=["GET", "POST"])
@allow(*STAFF)
def new():
    form = _round_form()
    if form.validate_on_submit():
        try:
            round = rounds.create_round(**_form_values(form))
        except DomainError as exc:
            db.session.rollback()
            form.form_errors.append(exc.message)
        else:
            db.session.commit()
            flash(_("Round %(name)s created.", name=round.name), "success")
            return redirect(url_for(".detail", round_id=round.id))
    return render_template("staff/rounds/form.html", form=form, round=None)


@bp.route("/<int:round_id>/edit", methods=["GET", "POST"])
@allow(*STAFF)
def edit(round_id: int):
    round = _load(round_id)
    form = _round_form(round)
    if form.validate_on_submit():
        try:
            rounds.update_round(round=round, **_form_values(form, round))
        except DomainError as exc:
            db.session.rollback()
            form.form_errors.append(exc.message)
        else:
            db.session.commit()
            flash(_("The round's settings are saved."), "success")
            return redirect(url_for(".detail", round_id=round.id))
    return render_template("staff/rounds/form.html", form=form, round=round)


@bp.route("/<int:round_id>")
@allow(*STAFF)
def detail(round_id: int):
    round = _load(round_id)
    sessions = sorted(round.sessions, key=lambda s: s.unit.code)
    schedule_forms = {}
    for session in sessions:
        form = ScheduleForm(prefix=f"s{session.id}")
        form.starts_at.data = utc_to_local(session.starts_at).replace(tzinfo=None) if session.starts_at else None
        form.place.data = session.place
        schedule_forms[session.id] = form
    return render_template(
        "staff/rounds/detail.html",
        round=round,
        sessions=sessions,
        raters=sorted(round.raters, key=lambda r: (r.panel or "", r.name)),
        unit_form=AddUnitForm(),
        schedule_forms=schedule_forms,
        action_form=ActionForm(),
        problems=rounds.opening_problems(round=round),
    )


@bp.route("/<int:round_id>/units", methods=["POST"])
@allow(*STAFF)
def add_unit(round_id: int):
    round = _load(round_id)
    form = AddUnitForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(url_for(".detail", round_id=round.id))
    unit = rounds.find_unit(code=form.unit_code.data)
    if unit is None:
        flash(_("There is no unit with the code %(code)s.", code=form.unit_code.data), "error")
        return redirect(url_for(".detail", round_id=round.id))
    apply_change(
        lambda: rounds.add_round_unit(round=round, unit=unit),
        _("%(unit)s is evaluated in this round.", unit=unit_label(unit)),
    )
    return redirect(url_for(".detail", round_id=round.id))


@bp.route("/<int:round_id>/units/<int:unit_id>/remove", methods=["POST"])
@allow(*STAFF)
def remove_unit(round_id: int, unit_id: int):
    round = _load(round_id)
    round_unit = next((ru for ru in round.units if ru.unit_id == unit_id), None)
    if round_unit is None:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    unit = round_unit.unit
    apply_change(
        lambda: rounds.remove_round_unit(round=round, unit=unit),
        _("%(unit)s is no longer evaluated in this round.", unit=unit_label(unit)),
    )
    return redirect(url_for(".detail", round_id=round.id))


@bp.route("/<int:round_id>/sessions/<int:session_id>/schedule", methods=["POST"])
@allow(*STAFF)
def schedule(round_id: int, session_id: int):
    round = _load(round_id)
    session = _session(round, session_id)
    form = ScheduleForm(prefix=f"s{session.id}")
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(url_for(".detail", round_id=round.id))
    apply_change(
        lambda: rounds.schedule_session(
            session=session, starts_at=local_to_utc(form.starts_at.data), place=form.place.data
        ),
        _("The session of %(unit)s is scheduled.", unit=unit_label(session.unit)),
    )
    return redirect(url_for(".detail", round_id=round.id))


@bp.route("/<int:round_id>/open", methods=["POST"])
@allow(*STAFF)
def open_round(round_id: int):
    round = _load(round_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    apply_change(lambda: rounds.open_round(round=round), _("The round is open; its criteria framework is frozen."))
    return redirect(url_for(".detail", round_id=round.id))


# --------------------------------------------------------------------------- the rater pool


def _pick_form(round) -> PickRatersForm:
    form = PickRatersForm()
    form.user_ids.choices = [
        (u.id, f"{u.display_name} ({u.username}) · {u.profile.home_unit.code if u.profile.home_unit else '-'}")
        for u in raters.candidate_representatives(round=round)
    ]
    return form


@bp.route("/<int:round_id>/raters/import", methods=["GET", "POST"])
@allow(*STAFF)
def import_raters(round_id: int):
    round = _load(round_id)
    form = RaterImportForm()
    reasons: list[str] = []
    status = 200
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read(MAX_BYTES + 1)
        try:
            outcome = raters.import_raters(round=round, data=data, filename=upload.filename or "")
        except raters.RaterImportRejected as exc:
            db.session.rollback()
            form.file.errors.append(exc.message)
            reasons, status = exc.reasons, 422
        except DomainError as exc:
            db.session.rollback()
            form.file.errors.append(exc.message)
            status = 422
        else:
            db.session.commit()
            flash(ngettext("%(num)d rater imported.", "%(num)d raters imported.", outcome.count), "success")
            return redirect(url_for(".detail", round_id=round.id))
    return render_template(
        "staff/rounds/import.html", round=round, form=form, reasons=reasons, pick_form=_pick_form(round)
    ), status


@bp.route("/<int:round_id>/raters/pick", methods=["POST"])
@allow(*STAFF)
def pick_raters(round_id: int):
    round = _load(round_id)
    form = _pick_form(round)
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(url_for(".import_raters", round_id=round.id))
    users = [u for u in raters.candidate_representatives(round=round) if u.id in set(form.user_ids.data)]
    try:
        added = raters.add_representatives(round=round, users=users)
    except DomainError as exc:
        refuse(exc)
        return redirect(url_for(".import_raters", round_id=round.id))
    db.session.commit()
    flash(
        ngettext("%(num)d representative added to the pool.", "%(num)d representatives added to the pool.", len(added)),
        "success",
    )
    return redirect(url_for(".detail", round_id=round.id))


@bp.route("/<int:round_id>/raters/<int:rater_id>/remove", methods=["POST"])
@allow(*STAFF)
def remove_rater(round_id: int, rater_id: int):
    round = _load(round_id)
    rater = _rater(round, rater_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    name = rater.name
    apply_change(lambda: raters.remove_rater(round=round, rater=rater), _("%(name)s is no longer in the pool.", name=name))
    return redirect(url_for(".detail", round_id=round.id))


# --------------------------------------------------------------------------- conflicts


def _conflict_form(round) -> ConflictForm:
    form = ConflictForm()
    form.rater_id.choices = [
        (r.id, r.name + (f" ({r.home_unit.code})" if r.home_unit else ""))
        for r in sorted(round.raters, key=lambda r: r.name)
    ]
    form.unit_id.choices = [
        (ru.unit.id, unit_label(ru.unit)) for ru in sorted(round.units, key=lambda ru: ru.unit.code)
    ]
    return form


@bp.route("/<int:round_id>/conflicts")
@allow(*STAFF)
def conflicts_matrix(round_id: int):
    round = _load(round_id)
    return render_template(
        "staff/rounds/conflicts.html",
        round=round,
        matrix=conflicts.conflict_matrix(round=round),
        records=conflicts.list_conflicts(round=round),
        form=_conflict_form(round),
        action_form=ActionForm(),
    )


@bp.route("/<int:round_id>/conflicts.csv")
@allow(*STAFF)
def conflicts_csv(round_id: int):
    round = _load(round_id)
    text = conflicts.matrix_csv(conflicts.conflict_matrix(round=round))
    return Response(
        "\ufeff" + text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="round-{round.id}-conflicts.csv"'},
    )


@bp.route("/<int:round_id>/conflicts", methods=["POST"])
@allow(*STAFF)
def record_conflict(round_id: int):
    round = _load(round_id)
    form = _conflict_form(round)
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(url_for(".conflicts_matrix", round_id=round.id))
    rater = _rater(round, form.rater_id.data)
    unit = next((ru.unit for ru in round.units if ru.unit_id == form.unit_id.data), None)
    if unit is None:
        abort(404)
    apply_change(
        lambda: conflicts.record_conflict(
            round=round, rater=rater, unit=unit, reason=form.reason.data, recorded_by=current_user
        ),
        _("Recorded: %(name)s may not score %(unit)s.", name=rater.name, unit=unit_label(unit)),
    )
    return redirect(url_for(".conflicts_matrix", round_id=round.id))


@bp.route("/<int:round_id>/conflicts/<int:conflict_id>/remove", methods=["POST"])
@allow(*STAFF)
def remove_conflict(round_id: int, conflict_id: int):
    round = _load(round_id)
    conflict = conflicts.get_conflict(round=round, conflict_id=conflict_id)
    if conflict is None:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    apply_change(lambda: conflicts.remove_conflict(conflict=conflict, by=current_user), _("The relationship is removed."))
    return redirect(url_for(".conflicts_matrix", round_id=round.id))


# --------------------------------------------------------------------------- the panel plan


def _plan_page(round, outcome=None, status: int = 200):
    session_plans = plans.session_plans(round=round)
    member_forms = {}
    candidates = {}
    for plan in session_plans:
        found = plans.seat_candidates(session=plan.session)
        candidates[plan.session.id] = found
        form = AddMemberForm(prefix=f"m{plan.session.id}")
        form.rater_id.choices = [(r.id, r.name) for r, verdict in found if verdict]
        member_forms[plan.session.id] = form
    return render_template(
        "staff/rounds/plan.html",
        round=round,
        plans=session_plans,
        member_forms=member_forms,
        candidates=candidates,
        action_form=ActionForm(),
        outcome=outcome,
        problems=plans.plan_problems(round=round) if round.units and round.raters else [],
        mode=plans.panel_mode(round),
    ), status


@bp.route("/<int:round_id>/plan")
@allow(*STAFF)
def plan(round_id: int):
    return _plan_page(_load(round_id))


@bp.route("/<int:round_id>/plan/solve", methods=["POST"])
@allow(*STAFF)
def solve(round_id: int):
    round = _load(round_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        outcome = plans.solve_plan(round=round)
    except DomainError as exc:
        refuse(exc)
        return redirect(url_for(".plan", round_id=round.id))
    if not outcome.solved:
        db.session.rollback()
        return _plan_page(round, outcome, 422)
    db.session.commit()
    flash(_("The plan is solved and stored: %(n)d seats.", n=outcome.stored), "success")
    return redirect(url_for(".plan", round_id=round.id))


@bp.route("/<int:round_id>/sessions/<int:session_id>/members", methods=["POST"])
@allow(*STAFF)
def add_member(round_id: int, session_id: int):
    round = _load(round_id)
    session = _session(round, session_id)
    form = AddMemberForm(prefix=f"m{session.id}")
    form.rater_id.choices = [(r.id, r.name) for r in round.raters]  # the service decides who may sit
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(url_for(".plan", round_id=round.id))
    rater = _rater(round, form.rater_id.data)
    apply_change(
        lambda: plans.add_panel_member(session=session, rater=rater),
        _("%(name)s is on the panel of %(unit)s.", name=rater.name, unit=unit_label(session.unit)),
    )
    return redirect(url_for(".plan", round_id=round.id))


@bp.route("/<int:round_id>/sessions/<int:session_id>/members/<int:rater_id>/remove", methods=["POST"])
@allow(*STAFF)
def remove_member(round_id: int, session_id: int, rater_id: int):
    round = _load(round_id)
    session = _session(round, session_id)
    rater = _rater(round, rater_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    apply_change(
        lambda: plans.remove_panel_member(session=session, rater=rater),
        _("%(name)s is off the panel of %(unit)s.", name=rater.name, unit=unit_label(session.unit)),
    )
    return redirect(url_for(".plan", round_id=round.id))


@bp.route("/<int:round_id>/sessions/<int:session_id>/sheet", methods=["POST"])
@allow(*STAFF)
def session_sheet(round_id: int, session_id: int):
    """POST only: printing issues fresh join codes and revokes the earlier unused ones."""
    round = _load(round_id)
    session = _session(round, session_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        sheet = join_codes.print_session_sheet(session=session, base_url=public_base_url())
    except DomainError as exc:
        refuse(exc)
        return redirect(url_for(".plan", round_id=round.id))
    db.session.commit()
    return Response(
        sheet.pdf,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{sheet.filename}"',
            "Cache-Control": "no-store",
        },
    )
