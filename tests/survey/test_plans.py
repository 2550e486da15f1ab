"""Panel plans: solving and storing, explanations, manual changes, rotation, and properties."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from scoring.panels import (
    CommitteeSpec,
    ConstraintFamily,
    PanelInfeasible,
    RotatingPanelSpec,
    form_committees,
    form_rotating_panels,
)
from scoring.recusal import RecusalRules, check
from survey.extensions import db
from survey.models import (
    ConflictKind,
    PanelMember,
    RaterType,
    RoundStatus,
    SessionStatus,
)
from survey.services import conflicts, engine_inputs, plans, raters, rounds
from survey.services.errors import DomainError
from tests.survey.round_builders import (
    COMMITTEE_SPEC,
    DIRECT_CODES,
    committee_round,
    framework_version,
    grassroots,
    pool_csv,
    seed_round,
    seed_world,
    unit,
)


def _seats(round) -> list[PanelMember]:
    return list(db.session.scalars(
        select(PanelMember).join(PanelMember.session).where(PanelMember.session.has(round_id=round.id))
    ))


def _assert_every_seat_allowed(round) -> None:
    """Check the stored rows themselves with scoring.recusal.check."""
    inputs = engine_inputs.round_inputs(round)
    for seat in _seats(round):
        info = inputs.lookup[seat.session.unit.code]
        decision = check(inputs.rater(seat.rater), info, inputs.rules, inputs.lookup)
        assert decision.allowed, (seat.rater.name, seat.session.unit.code, decision.codes)


# --------------------------------------------------------------------------- the seeds' round


def test_seed_round_solves_fast_into_four_groups_and_stores_only_allowed_seats(app):
    with app.app_context():
        round = seed_round()
        started = time.perf_counter()
        outcome = plans.solve_plan(round=round)
        elapsed = time.perf_counter() - started

        assert outcome.solved and outcome.mode == "rotating"
        assert elapsed < 2.0
        assert outcome.explanations() == []
        _assert_every_seat_allowed(round)
        assert outcome.stored == len(_seats(round))
        assert sorted(Counter(r.panel for r in round.raters).values()) == [6, 7, 7, 7]
        assert sorted(Counter(r.panel for r in round.raters)) == ["P1", "P2", "P3", "P4"]
        plans_by_unit = {p.session.unit.code: p for p in plans.session_plans(round=round)}
        assert sorted(plans_by_unit) == DIRECT_CODES
        for code, plan in plans_by_unit.items():
            group = [r for r in round.raters if r.panel == plan.panel]
            # every group member sits on the unit's panel or is recused from it, with the reason
            assert len(plan.members) + len(plan.recused) == len(group)
            assert len(plan.members) >= 5
            assert {m.source for m in plan.members} == {"solver"}
            for rater, verdict in plan.recused:
                assert verdict.codes == ("own_unit",) and rater.home_unit.code == code
        assert plans.plan_problems(round=round) == []


def test_seed_round_with_sub_district_and_industry_rules_still_obeys_every_rule(app):
    with app.app_context():
        round = seed_round(recuse_same_sub_district=True, recuse_same_industry=True,
                           panel_spec={"mode": "rotating", "n_panels": 4, "min_raters_per_unit": 4, "time_limit": 5})
        outcome = plans.solve_plan(round=round)

        assert outcome.solved
        _assert_every_seat_allowed(round)
        same_industry = [p for p in plans.session_plans(round=round) for _r, v in p.recused if "same_industry" in v.codes]
        assert same_industry  # the industry rule takes effect (XC-D01 and the E1 homes are both commerce)
        assert plans.plan_problems(round=round) == []


def test_resolving_replaces_the_whole_plan_including_manual_changes(app):
    with app.app_context():
        round = seed_round()
        plans.solve_plan(round=round)
        session = round.sessions[0]
        outsider = next(r for r in round.raters if r.panel != next(iter(session.members)).rater.panel
                        and conflicts.explain_recusal(round=round, rater=r, unit=session.unit))
        plans.add_panel_member(session=session, rater=outsider)
        assert "manual" in {m.source for m in session.members}

        outcome = plans.solve_plan(round=round)

        assert outcome.solved
        assert {m.source for m in _seats(round)} == {"solver"}
        assert len(_seats(round)) == outcome.stored


# --------------------------------------------------------------------------- the Shichahai committee


def test_shichahai_committee_of_nine_meets_quotas_and_nobody_scores_their_own_enterprise(app):
    with app.app_context():
        round = committee_round()
        started = time.perf_counter()
        outcome = plans.solve_plan(round=round)

        assert outcome.solved and outcome.mode == "committee"
        assert time.perf_counter() - started < 2.0
        _assert_every_seat_allowed(round)
        for session in round.sessions:
            members = [m.rater for m in session.members]
            types = Counter(r.rater_type for r in members)
            assert len(members) == 9
            assert types[RaterType.UNION_CHAIR] >= 2 and types[RaterType.MODEL_WORKER] >= 1
            assert session.unit.code not in {r.home_unit.code for r in members}
        loads = Counter(m.rater_id for m in _seats(round))
        assert sum(loads.values()) == 36
        assert plans.plan_problems(round=round) == []


def test_infeasible_quota_is_explained_by_unit_and_nothing_is_stored(app):
    with app.app_context():
        spec = {**COMMITTEE_SPEC, "quotas": {"enterprise": {"union_chair": [2, 9], "model_worker": [3, 9]}}}
        round = committee_round(panel_spec=spec)

        outcome = plans.solve_plan(round=round)

        assert not outcome.solved and outcome.stored == 0
        assert outcome.infeasible.constraints == (ConstraintFamily.COMPOSITION_QUOTA,) * 2
        assert outcome.explanations() == [
            ("unit SCH-E2 (kind enterprise) needs 3 model_worker raters but only 2 model_worker raters are "
             "eligible after recusal"),
            ("unit SCH-E4 (kind enterprise) needs 3 model_worker raters but only 2 model_worker raters are "
             "eligible after recusal"),
        ]
        assert _seats(round) == []


def test_infeasible_solve_keeps_the_earlier_plan(app):
    with app.app_context():
        round = committee_round()
        plans.solve_plan(round=round)
        before = sorted((m.session_id, m.rater_id) for m in _seats(round))
        round.panel_spec = {**COMMITTEE_SPEC, "committee_size": 13}  # 12 may score each unit

        outcome = plans.solve_plan(round=round)

        assert not outcome.solved
        assert {e.constraint for e in outcome.infeasible.explanations} == {ConstraintFamily.COMMITTEE_SIZE}
        assert sorted((m.session_id, m.rater_id) for m in _seats(round)) == before


def test_solving_needs_a_round_in_setup_with_units_and_raters(app):
    with app.app_context():
        seed_world()
        empty = rounds.create_round(name="空", period="2014", framework_version=framework_version())
        with pytest.raises(DomainError, match="no raters yet"):
            plans.solve_plan(round=empty)
        round = committee_round()
        round.status = RoundStatus.OPEN
        with pytest.raises(DomainError, match="The round is open"):
            plans.solve_plan(round=round)


# --------------------------------------------------------------------------- manual changes


def test_manual_seat_that_breaks_recusal_is_refused_with_the_reasons_and_nothing_is_stored(app):
    with app.app_context():
        round = committee_round()
        plans.solve_plan(round=round)
        session = next(s for s in round.sessions if s.unit.code == "SCH-E1")
        chair = next(r for r in round.raters if r.name == "赵一")  # chair of SCH-E1
        conflicts.record_conflict(round=round, rater=next(r for r in round.raters if r.name == "沈十四"),
                                  unit=session.unit, reason="曾在该企业工作")
        before = len(_seats(round))

        with pytest.raises(plans.RecusalViolation) as refused:
            plans.add_panel_member(session=session, rater=chair)

        assert refused.value.reasons == ("赵一 belongs to SCH-E1 (SCH-E1) (own unit)",)
        assert refused.value.message == "赵一 may not score SCH-E1 (SCH-E1): 赵一 belongs to SCH-E1 (SCH-E1) (own unit)."
        with pytest.raises(plans.RecusalViolation, match="recorded relationship: 曾在该企业工作"):
            plans.add_panel_member(session=session, rater=next(r for r in round.raters if r.name == "沈十四"))
        assert len(_seats(round)) == before
        _assert_every_seat_allowed(round)


def test_manual_add_and_remove_and_what_the_plan_check_then_says(app):
    with app.app_context():
        round = committee_round()
        plans.solve_plan(round=round)
        session = next(s for s in round.sessions if s.unit.code == "SCH-E3")
        seated = {m.rater_id for m in session.members}
        extra = next(r for r in round.raters if r.id not in seated and conflicts.explain_recusal(
            round=round, rater=r, unit=session.unit))

        member = plans.add_panel_member(session=session, rater=extra)

        assert member.source == "manual"
        with pytest.raises(DomainError, match="already on this panel"):
            plans.add_panel_member(session=session, rater=extra)
        assert plans.plan_problems(round=round) == [
            "SCH-E3 (SCH-E3): the committee has 10 members; it needs 9."
        ]
        chairs = [m.rater for m in session.members if m.rater.rater_type is RaterType.UNION_CHAIR]
        for rater in chairs:
            plans.remove_panel_member(session=session, rater=rater)
        plans.remove_panel_member(session=session, rater=extra)
        problems = plans.plan_problems(round=round)
        assert problems[0] == f"SCH-E3 (SCH-E3): the committee has {9 - len(chairs)} members; it needs 9."
        assert problems[1] == "SCH-E3 (SCH-E3): 0 of the committee are Union chair; the quota is 2 to 9."
        with pytest.raises(DomainError, match="is not on this panel"):
            plans.remove_panel_member(session=session, rater=extra)


def test_manual_change_refused_once_the_session_has_started(app):
    with app.app_context():
        round = committee_round()
        plans.solve_plan(round=round)
        session = round.sessions[0]
        session.status = SessionStatus.OPEN
        member = session.members[0]
        with pytest.raises(DomainError, match="The session has started"):
            plans.remove_panel_member(session=session, rater=member.rater)


# --------------------------------------------------------------------------- rotation


def test_rotation_history_follows_people_across_rounds_by_account_or_name_and_home(app):
    with app.app_context():
        first = committee_round()
        plans.solve_plan(round=first)
        second = committee_round()
        earlier = {(m.rater.name, m.session.unit.code) for m in _seats(first)}

        history = plans.rotation_history(second)

        names = {str(r.id): r.name for r in second.raters}
        assert {(names[r], u) for r, u in history} == earlier
        assert plans.rotation_history(first) == frozenset()


def test_rotation_moves_a_committee_away_from_last_rounds_pairs(app):
    with app.app_context():
        # 4 units, committees of 5 from a pool of 11 eligible: the solver can avoid a pair
        spec = {"mode": "committee", "committee_size": 5, "time_limit": 5, "rotation_weight": 10}
        first = committee_round(panel_spec=spec)
        plans.solve_plan(round=first)
        second = committee_round(panel_spec=spec)

        outcome = plans.solve_plan(round=second)

        assert outcome.solved
        assert len(outcome.result.repeats) < len(_seats(first))


# --------------------------------------------------------------------------- properties


UNIT_CODES = ["SCH-E1", "SCH-E2", "SCH-E3", "SCH-C01", "SCH-C02"]
HOMES = UNIT_CODES + ["SCH-C03", "SCH", "XJK-E1"]
TYPES = ["union_chair", "worker_representative", "model_worker"]


@st.composite
def _instances(draw):
    units = draw(st.lists(st.sampled_from(UNIT_CODES), min_size=1, max_size=3, unique=True))
    pool = [
        (f"人{i}", draw(st.sampled_from(TYPES)), draw(st.sampled_from(HOMES)))
        for i in range(draw(st.integers(2, 8)))
    ]
    if draw(st.booleans()):
        quotas = {"enterprise": {"union_chair": [draw(st.integers(0, 2)), 9]}}
        if draw(st.booleans()):
            quotas["community_joint"] = {"model_worker": [draw(st.integers(0, 1)), 9]}
        panel_spec = {"mode": "committee", "committee_size": draw(st.integers(1, 4)), "quotas": quotas}
    else:
        panel_spec = {"mode": "rotating", "n_panels": draw(st.integers(1, 2)),
                      "min_raters_per_unit": draw(st.integers(1, 3)),
                      "unit_quotas": {"enterprise": {"union_chair": draw(st.integers(0, 1))}}}
    relationships = draw(st.lists(st.tuples(st.integers(0, 7), st.sampled_from(UNIT_CODES)), max_size=3))
    declared = draw(st.lists(st.tuples(st.integers(0, 7), st.sampled_from(UNIT_CODES)), max_size=2))
    return {
        "units": units, "pool": pool, "panel_spec": {**panel_spec, "time_limit": 2},
        "same_sub_district": draw(st.booleans()), "same_industry": draw(st.booleans()),
        "relationships": relationships, "declared": declared,
    }


def _build_instance(case):
    seed_world()
    grassroots("SCH-C03", unit("SCH"))
    grassroots("XJK-E1", unit("XJK"))
    round = rounds.create_round(
        name="随机", period="测试", framework_version=framework_version(),
        recuse_same_sub_district=case["same_sub_district"], recuse_same_industry=case["same_industry"],
        panel_spec=case["panel_spec"],
    )
    for code in case["units"]:
        rounds.add_round_unit(round=round, unit=unit(code))
    raters.import_raters(round=round, data=pool_csv(case["pool"]), filename="pool.csv")
    pool = sorted(round.raters, key=lambda r: int(r.name[1:]))
    for kind, pairs in ((ConflictKind.RELATIONSHIP, case["relationships"]), (ConflictKind.DECLARED, case["declared"])):
        for index, code in pairs:
            if index < len(pool) and code in case["units"]:
                if kind is ConflictKind.RELATIONSHIP:
                    try:
                        conflicts.record_conflict(round=round, rater=pool[index], unit=unit(code), reason="亲属")
                    except DomainError:
                        pass  # the same pair drawn twice
                else:
                    conflicts.declare_conflict(round, pool[index], unit(code), "本人申报")
    return round


def _relaxed_committees(inputs, spec: CommitteeSpec, families: set[ConstraintFamily]):
    """The same committee instance without the named constraint families: (units, rules, spec)."""
    units, rules = inputs.units, inputs.rules
    if ConstraintFamily.RECUSAL in families:
        rules = RecusalRules(own_unit=False, parent_child=False)
    if ConstraintFamily.COMPOSITION_QUOTA in families:
        spec = replace(spec, quotas={})
    if ConstraintFamily.COMMITTEE_SIZE in families:
        # without a size rule a committee may have any size, even none: units nobody may
        # score get an empty committee, the others at least one member
        spec = replace(spec, committee_size=None, min_size=1, max_size=None)
        units = tuple(u for u in units if any(check(r, u, rules, inputs.lookup) for r in inputs.raters))
    return units, rules, spec


def _relaxed_panels(inputs, spec: RotatingPanelSpec, families: set[ConstraintFamily]):
    """The same rotating-panel instance without the named constraint families."""
    rules = inputs.rules
    if ConstraintFamily.RECUSAL in families:
        rules = RecusalRules(own_unit=False, parent_child=False)
    relaxations = {
        ConstraintFamily.PANEL_SIZE: {"min_panel_size": 0, "max_panel_size": len(inputs.raters)},
        ConstraintFamily.UNITS_PER_PANEL: {"min_units_per_panel": 0, "max_units_per_panel": len(inputs.units)},
        ConstraintFamily.PANEL_QUOTA: {"panel_quotas": {}},
        ConstraintFamily.MIN_RATERS_PER_UNIT: {"min_raters_per_unit": 0},
        ConstraintFamily.UNIT_QUOTA: {"unit_quotas": {}},
    }
    for family in families & set(relaxations):
        spec = replace(spec, **relaxations[family])
    return inputs.units, rules, spec


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=_instances())
# One unit short of both committee members and union chairs: both constraints must be named.
@example(case={"units": ["SCH-E1"], "pool": [("人0", "union_chair", "SCH-E1"), ("人1", "union_chair", "SCH-E2")],
               "panel_spec": {"mode": "committee", "committee_size": 2, "time_limit": 2,
                              "quotas": {"enterprise": {"union_chair": [2, 9]}}},
               "same_sub_district": False, "same_industry": False, "relationships": [], "declared": []})
def test_property_no_stored_plan_has_a_recused_pair_and_named_constraints_really_bind(app, case):
    with app.app_context():
        savepoint = db.session.begin_nested()
        try:
            round = _build_instance(case)
            outcome = plans.solve_plan(round=round, time_limit=2)
            if outcome.solved:
                _assert_every_seat_allowed(round)
                assert outcome.stored == len(_seats(round))
                assert plans.plan_problems(round=round) == []
                return
            # infeasible: nothing stored, and the same instance without what was named is feasible
            assert _seats(round) == []
            assert outcome.infeasible is not None, outcome.explanations()  # not a time-out
            families = {e.constraint for e in outcome.infeasible.explanations}
            inputs = engine_inputs.round_inputs(round)
            spec = plans.engine_spec(round.panel_spec, time_limit=2)
            committee = outcome.mode == "committee"
            relax, form = (_relaxed_committees, form_committees) if committee else (_relaxed_panels, form_rotating_panels)
            units, rules, relaxed = relax(inputs, spec, families)
            if not units:
                return  # every unit was left without a committee: trivially feasible
            try:
                result = form(inputs.raters, units, rules, relaxed, inputs.lookup)
            except PanelInfeasible as still:
                pytest.fail(f"named {sorted(f.value for f in families)} ({outcome.explanations()}), "
                            f"but without them the solver still says: {still}")
            assert result.has_solution, (families, outcome.explanations())
        finally:
            savepoint.rollback()
