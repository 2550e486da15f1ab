"""Tests for scoring.panels: both forming models on the seeds' scenarios, every
constraint checked on the output, rotation, and named infeasibilities.

The scenarios follow /work/shared/DOMAIN.md section 2: 27 worker
representatives in four groups heard nine directly affiliated unions (2014), and
Shichahai's nine-person committee whose make-up depends on the enterprise.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import OptimizeResult

from scoring.panels import (
    CommitteeSpec,
    ConstraintFamily,
    PanelInfeasible,
    RotatingPanelSpec,
    SolveStatus,
    form_committees,
    form_rotating_panels,
)
from scoring.panels._diagnose import diagnose
from scoring.panels._model import Inputs, Problem, status_of
from scoring.recusal import RecusalRules, Relationship, check
from scoring.types import RaterInfo, RaterType, ScoringInputError, UnitInfo

REP = RaterType.WORKER_REPRESENTATIVE
CHAIR = RaterType.UNION_CHAIR
MODEL = RaterType.MODEL_WORKER


# --- fixtures ---------------------------------------------------------------------------


def _seed_units() -> list[UnitInfo]:
    sub_districts = ["Xinjiekou", "Desheng", "Shichahai"]
    return [UnitInfo(f"U{j}", sub_district=sub_districts[j % 3]) for j in range(1, 10)]


def _seed_raters() -> list[RaterInfo]:
    """27 representatives: 15 worker representatives, 8 union chairs, 4 model workers.

    The chairs and the first nine representatives come from the evaluated unions,
    so own-unit recusal bites on every unit."""
    sub_districts = ["Xinjiekou", "Desheng", "Shichahai"]
    raters = []
    for i in range(15):
        home = f"U{i + 1}" if i < 9 else None
        raters.append(RaterInfo(f"W{i + 1:02d}", REP, home_unit=home, sub_district=sub_districts[i % 3]))
    for i in range(8):
        raters.append(RaterInfo(f"C{i + 1}", CHAIR, home_unit=f"U{i + 1}", sub_district=sub_districts[i % 3]))
    for i in range(4):
        raters.append(RaterInfo(f"M{i + 1}", MODEL, sub_district=sub_districts[i % 3]))
    return raters


def _type_of(raters):
    return {r.id: r.rater_type for r in raters}


# --- rotating panels: the 2014 scenario ---------------------------------------------------------


def _assert_rotating_solution(result, raters, units, rules, spec):
    """Check every constraint of form_rotating_panels on its output, independently of the model."""
    by_rater = {r.id: r for r in raters}
    by_unit = {u.id: u for u in units}
    types = _type_of(raters)
    low, high = spec.panel_size_range(len(raters))
    units_low, units_high = spec.units_per_panel_range(len(units))

    assert len(result.panels) == spec.n_panels
    members = [m for p in result.panels for m in p.members]
    assert sorted(members) == sorted(by_rater)  # every rater on exactly one panel
    heard = [u for p in result.panels for u in p.units]
    assert sorted(heard) == sorted(by_unit)  # every unit heard by exactly one panel
    for panel in result.panels:
        assert low <= len(panel.members) <= high
        assert units_low <= len(panel.units) <= units_high
        for rater_type, (q_low, q_high) in spec.panel_quotas.items():
            assert q_low <= sum(types[m] is rater_type for m in panel.members) <= q_high

    recused_pairs = set()
    for assignment in result.assignments:
        panel = next(p for p in result.panels if assignment.unit in p.units)
        unit = by_unit[assignment.unit]
        assert assignment.panel == panel.name
        assert assignment.members == panel.members
        allowed = {m for m in panel.members if check(by_rater[m], unit, rules, by_unit).allowed}
        assert set(assignment.scorers) == allowed
        assert set(assignment.recused) == set(panel.members) - allowed
        assert len(assignment.scorers) >= spec.min_raters_per_unit
        assert all(by_rater[s].home_unit != unit.id for s in assignment.scorers)  # nobody scores their own unit
        for rater_type, q in spec.unit_quotas.get(unit.kind, {}).items():
            assert sum(types[s] is rater_type for s in assignment.scorers) >= q
        recused_pairs |= {(m, unit.id) for m in assignment.recused}
    assert set(result.recused) == recused_pairs
    for rater in raters:
        expected_load = sum(rater.id in a.scorers for a in result.assignments)
        assert result.load[rater.id] == expected_load


def test_rotating_panels_seed_round_satisfies_every_constraint():
    raters, units = _seed_raters(), _seed_units()
    rules = RecusalRules()
    spec = RotatingPanelSpec(
        n_panels=4, panel_quotas={CHAIR: (2, 2), MODEL: (1, 1)}, min_raters_per_unit=5, time_limit=5
    )

    result = form_rotating_panels(raters, units, rules, spec)

    assert result.status is SolveStatus.OPTIMAL
    assert result.has_solution
    assert result.mode == "rotating_panels"
    _assert_rotating_solution(result, raters, units, rules, spec)
    assert sorted(len(p.members) for p in result.panels) == [6, 7, 7, 7]  # 27 = 6 + 7 + 7 + 7
    assert sorted(len(p.units) for p in result.panels) == [2, 2, 2, 3]  # 9 = 2 + 2 + 2 + 3
    assert result.solve_seconds < 5


def test_rotating_panels_seed_round_with_sub_district_rule_and_unit_quotas():
    raters, units = _seed_raters(), _seed_units()
    rules = RecusalRules(same_sub_district=True)
    units = [UnitInfo(u.id, kind="enterprise" if u.id in ("U1", "U2") else u.kind, sub_district=u.sub_district)
             for u in units]
    spec = RotatingPanelSpec(
        n_panels=4,
        panel_quotas={CHAIR: (2, 2), MODEL: (1, 1)},
        unit_quotas={"enterprise": {CHAIR: 1}},
        min_raters_per_unit=3,
        time_limit=5,
    )

    result = form_rotating_panels(raters, units, rules, spec)

    assert result.has_solution
    _assert_rotating_solution(result, raters, units, rules, spec)
    assert len(result.recused) > 0  # the sub-district rule recuses some panel members


def test_rotating_panels_coverage_gives_every_unit_its_whole_panel_when_possible():
    # 8 raters from outside the evaluated units: nobody is recused, so the
    # smallest panel (4) is the best possible minimum of scorers.
    raters = [RaterInfo(f"R{i}") for i in range(8)]
    units = [UnitInfo(f"U{j}") for j in range(4)]
    spec = RotatingPanelSpec(n_panels=2, min_raters_per_unit=2)

    result = form_rotating_panels(raters, units, RecusalRules(), spec)

    assert result.objective == pytest.approx(-4.0, abs=1e-6)  # -coverage_weight * 4
    assert result.recused == ()
    assert all(len(a.scorers) == 4 for a in result.assignments)


def test_rotating_panels_rotation_moves_past_pairs_apart():
    raters = [RaterInfo(f"R{i}") for i in range(4)]
    units = [UnitInfo("U0"), UnitInfo("U1")]
    first_history = frozenset({("R0", "U0"), ("R1", "U0")})
    second_history = frozenset({("R2", "U0"), ("R3", "U0")})

    first = form_rotating_panels(
        raters, units, RecusalRules(), RotatingPanelSpec(n_panels=2, min_raters_per_unit=1, history=first_history)
    )
    second = form_rotating_panels(
        raters, units, RecusalRules(), RotatingPanelSpec(n_panels=2, min_raters_per_unit=1, history=second_history)
    )

    assert first.for_unit("U0").members == ("R2", "R3")
    assert second.for_unit("U0").members == ("R0", "R1")
    assert first.repeats == () and second.repeats == ()


def test_rotating_panels_reports_unavoidable_repeats():
    # one panel of everyone: the history pair must meet again
    raters = [RaterInfo(f"R{i}") for i in range(3)]
    spec = RotatingPanelSpec(n_panels=1, min_raters_per_unit=1, history=frozenset({("R1", "U0"), ("R9", "U0")}))

    result = form_rotating_panels(raters, [UnitInfo("U0")], RecusalRules(), spec)

    assert result.repeats == (("R1", "U0"),)  # the unknown rater R9 is ignored
    assert result.objective == pytest.approx(1.0 - 3.0, abs=1e-6)  # one repeat, minus coverage 3


# --- committees: the Shichahai scenario -------------------------------------------------------

SHICHAHAI_QUOTAS = {
    "enterprise": {CHAIR: (3, 4), MODEL: (1, 2), REP: (3, 5)},
    "community_joint": {CHAIR: (1, 2), MODEL: (1, 1), REP: (5, 7)},
}


def _shichahai():
    kinds = ["enterprise"] * 5 + ["community_joint"] * 4
    units = [UnitInfo(f"U{j + 1}", kind=kinds[j]) for j in range(9)]
    raters = (
        [RaterInfo(f"W{i + 1:02d}", REP) for i in range(12)]
        + [RaterInfo(f"C{i + 1}", CHAIR, home_unit=f"U{i + 1}") for i in range(9)]
        + [RaterInfo(f"M{i + 1}", MODEL) for i in range(4)]
    )
    return raters, units


def _assert_committee_solution(result, raters, units, rules, spec):
    by_rater = {r.id: r for r in raters}
    by_unit = {u.id: u for u in units}
    low, high = spec.size_range(len(raters))
    types = _type_of(raters)
    assert [a.unit for a in result.assignments] == [u.id for u in units]
    for assignment in result.assignments:
        unit = by_unit[assignment.unit]
        assert low <= len(assignment.members) <= high
        assert len(set(assignment.members)) == len(assignment.members)
        assert assignment.scorers == assignment.members and assignment.recused == ()
        for member in assignment.members:
            assert check(by_rater[member], unit, rules, by_unit).allowed
            assert by_rater[member].home_unit != unit.id
        for rater_type, (q_low, q_high) in spec.quotas.get(unit.kind, {}).items():
            assert q_low <= sum(types[m] is rater_type for m in assignment.members) <= q_high
    for rater in raters:
        load = sum(rater.id in a.members for a in result.assignments)
        assert result.load[rater.id] == load
        if spec.max_units_per_rater is not None:
            assert load <= spec.max_units_per_rater
    assert result.recused == ()


def test_committees_shichahai_nine_person_quotas_by_kind():
    raters, units = _shichahai()
    rules = RecusalRules()
    spec = CommitteeSpec(committee_size=9, quotas=SHICHAHAI_QUOTAS, time_limit=5)

    result = form_committees(raters, units, rules, spec)

    assert result.status is SolveStatus.OPTIMAL
    assert result.mode == "committees"
    _assert_committee_solution(result, raters, units, rules, spec)
    # Least possible load spread, summed over rater types: 81 seats; the 4 model
    # workers can take 12 (spread 0; their quotas allow 9..14), the 9 chairs 27
    # (spread 0; 19..28 allowed), leaving 42 for 12 representatives, which
    # cannot be split evenly (spread 1). Any other split costs at least 1 too.
    assert result.objective == pytest.approx(1.0, abs=1e-6)
    rep_loads = sorted(result.load[r.id] for r in raters if r.rater_type is REP)
    assert rep_loads == [3] * 6 + [4] * 6


def test_committees_rotation_avoids_last_rounds_pairs():
    raters, units = _shichahai()
    rules = RecusalRules()
    first = form_committees(raters, units, rules, CommitteeSpec(quotas=SHICHAHAI_QUOTAS))
    history = frozenset((m, a.unit) for a in first.assignments for m in a.members)

    second = form_committees(raters, units, rules, CommitteeSpec(quotas=SHICHAHAI_QUOTAS, history=history))

    assert second.repeats == ()
    for before, after in zip(first.assignments, second.assignments):
        assert set(before.members).isdisjoint(after.members)
    _assert_committee_solution(second, raters, units, rules, CommitteeSpec(quotas=SHICHAHAI_QUOTAS))


def test_committees_rotation_penalty_changes_the_committee():
    raters = [RaterInfo("A"), RaterInfo("B"), RaterInfo("C")]
    units = [UnitInfo("U1")]

    served_ab = form_committees(
        raters, units, RecusalRules(), CommitteeSpec(committee_size=2, history=frozenset({("A", "U1"), ("B", "U1")}))
    )
    served_bc = form_committees(
        raters, units, RecusalRules(), CommitteeSpec(committee_size=2, history=frozenset({("B", "U1"), ("C", "U1")}))
    )

    assert "C" in served_ab.for_unit("U1").members and len(served_ab.repeats) == 1
    assert "A" in served_bc.for_unit("U1").members and len(served_bc.repeats) == 1


def test_committees_size_range_and_cap():
    raters = [RaterInfo(f"R{i}", home_unit=f"U{i}") for i in range(6)]
    units = [UnitInfo(f"U{j}") for j in range(4)]
    rules = RecusalRules()
    spec = CommitteeSpec(committee_size=None, min_size=3, max_size=4, max_units_per_rater=2)

    result = form_committees(raters, units, rules, spec)

    assert result.has_solution
    _assert_committee_solution(result, raters, units, rules, spec)


def test_committees_never_seat_a_recused_rater():
    raters, units = _shichahai()
    rules = RecusalRules(declared=frozenset({Relationship("W01", "U1", "relative of the chair")}))

    result = form_committees(raters, units, rules, CommitteeSpec(quotas=SHICHAHAI_QUOTAS))

    assert "W01" not in result.for_unit("U1").members
    assert "C1" not in result.for_unit("U1").members


def test_committees_rotation_never_overrides_recusal():
    # Seating A would avoid a repeat, but A belongs to U1: the committee must be
    # B and C, and both repeats are reported.
    raters = [RaterInfo("A", home_unit="U1"), RaterInfo("B"), RaterInfo("C")]
    spec = CommitteeSpec(committee_size=2, history=frozenset({("B", "U1"), ("C", "U1")}))

    result = form_committees(raters, [UnitInfo("U1")], RecusalRules(), spec)

    assert result.for_unit("U1").members == ("B", "C")
    assert result.repeats == (("B", "U1"), ("C", "U1"))


# --- infeasibility: pre-checks name the constraint ----------------------------------------------


def test_rotating_too_few_raters_for_panel_minimum():
    spec = RotatingPanelSpec(n_panels=4, min_panel_size=8, min_raters_per_unit=3)

    with pytest.raises(PanelInfeasible) as info:
        form_rotating_panels(_seed_raters(), _seed_units(), RecusalRules(), spec)

    assert info.value.constraints == (ConstraintFamily.PANEL_SIZE,)
    assert str(info.value) == "27 raters cannot fill 4 panels of at least 8"
    assert info.value.explanations[0].stage == "pre-check"
    assert isinstance(info.value, ScoringInputError)


def test_rotating_panel_quota_needs_more_model_workers_than_exist():
    spec = RotatingPanelSpec(n_panels=4, panel_quotas={MODEL: (2, 2)}, min_raters_per_unit=3)

    with pytest.raises(PanelInfeasible) as info:
        form_rotating_panels(_seed_raters(), _seed_units(), RecusalRules(), spec)

    assert info.value.constraints == (ConstraintFamily.PANEL_QUOTA,)
    assert str(info.value) == "4 panels need at least 2 model_worker raters each (8 in all) but there are only 4"


def test_rotating_unit_with_too_few_eligible_raters_is_named():
    raters = [RaterInfo(f"R{i}", sub_district="Desheng" if i < 5 else "Xinjiekou") for i in range(8)]
    units = [UnitInfo("U1", sub_district="Xinjiekou"), UnitInfo("U2", sub_district="Desheng")]
    spec = RotatingPanelSpec(n_panels=2, min_raters_per_unit=4)

    with pytest.raises(PanelInfeasible) as info:
        form_rotating_panels(raters, units, RecusalRules(same_sub_district=True), spec)

    assert info.value.constraints == (ConstraintFamily.MIN_RATERS_PER_UNIT,)
    assert info.value.explanations[0].units == ("U2",)
    assert str(info.value) == (
        "unit U2 (kind directly_affiliated) needs 4 eligible raters on its panel "
        "but only 3 raters are eligible after recusal"
    )


def test_committee_quota_short_of_eligible_union_chairs():
    units = [UnitInfo(f"U{j}", kind="enterprise" if j == 7 else "community_joint") for j in range(1, 10)]
    raters = [RaterInfo("C1", CHAIR, home_unit="U7"), RaterInfo("C2", CHAIR), RaterInfo("C3", CHAIR)]
    raters += [RaterInfo(f"W{i}", REP) for i in range(10)]
    spec = CommitteeSpec(committee_size=9, quotas={"enterprise": {CHAIR: (3, 4)}})

    with pytest.raises(PanelInfeasible) as info:
        form_committees(raters, units, RecusalRules(), spec)

    assert info.value.constraints == (ConstraintFamily.COMPOSITION_QUOTA,)
    assert info.value.explanations[0].units == ("U7",)
    assert str(info.value) == (
        "unit U7 (kind enterprise) needs 3 union_chair raters but only 2 union_chair raters are eligible after recusal"
    )


def test_committee_larger_than_eligible_raters():
    raters = [RaterInfo(f"R{i}", home_unit="U1" if i == 0 else None) for i in range(9)]

    with pytest.raises(PanelInfeasible) as info:
        form_committees(raters, [UnitInfo("U1"), UnitInfo("U2")], RecusalRules(), CommitteeSpec(committee_size=9))

    assert info.value.constraints == (ConstraintFamily.COMMITTEE_SIZE,)
    assert str(info.value) == (
        "unit U1 (kind directly_affiliated) needs a committee of at least 9 "
        "but only 8 raters are eligible after recusal"
    )


def test_committee_quota_minimums_exceed_size():
    raters, units = _shichahai()
    quotas = {"enterprise": {CHAIR: (4, 4), MODEL: (2, 2), REP: (4, 5)}}

    with pytest.raises(PanelInfeasible) as info:
        form_committees(raters, units, RecusalRules(), CommitteeSpec(committee_size=9, quotas=quotas))

    assert info.value.constraints == (ConstraintFamily.COMPOSITION_QUOTA,)
    assert info.value.explanations[0].units == ("U1", "U2", "U3", "U4", "U5")
    assert "need at least 10 committee members by quota" in str(info.value)


def test_committee_quota_maximums_cannot_fill_size():
    raters = [RaterInfo(f"W{i}", REP) for i in range(5)] + [RaterInfo(f"C{i}", CHAIR) for i in range(5)]
    quotas = {"directly_affiliated": {REP: (0, 2), CHAIR: (0, 2)}}

    with pytest.raises(PanelInfeasible) as info:
        form_committees(raters, [UnitInfo("U1")], RecusalRules(), CommitteeSpec(committee_size=5, quotas=quotas))

    assert info.value.constraints == (ConstraintFamily.COMPOSITION_QUOTA,)
    assert "quota maximums seat at most 4 eligible raters" in str(info.value)


def test_committee_cap_too_tight_for_total_seats():
    raters = [RaterInfo(f"R{i}") for i in range(6)]
    units = [UnitInfo(f"U{j}") for j in range(3)]
    spec = CommitteeSpec(committee_size=5, max_units_per_rater=2)

    with pytest.raises(PanelInfeasible) as info:
        form_committees(raters, units, RecusalRules(), spec)

    assert info.value.constraints == (ConstraintFamily.MAX_UNITS_PER_RATER,)
    assert str(info.value) == (
        "the 3 committees need at least 15 seats but with at most 2 units per rater the 6 raters can fill only 12"
    )


# --- infeasibility found by the MILP, explained by relaxation ---------------------------------------


def test_committee_milp_infeasibility_names_quota_cap_and_recusal():
    # Chairs A and B declared conflicts with U2 and U3, so only chair C can sit
    # there, but C may sit on one committee only. Every count-based pre-check
    # passes (3 chair seats needed, 3 available); only the joint model fails.
    conflicts = frozenset(Relationship(c, u) for c in ("A", "B") for u in ("U2", "U3"))
    raters = [RaterInfo(c, CHAIR) for c in ("A", "B", "C")] + [RaterInfo(f"W{i}", REP) for i in range(6)]
    units = [UnitInfo(f"U{j}") for j in (1, 2, 3)]
    spec = CommitteeSpec(
        committee_size=2, quotas={"directly_affiliated": {CHAIR: (1, 1)}}, max_units_per_rater=1
    )

    with pytest.raises(PanelInfeasible) as info:
        form_committees(raters, units, RecusalRules(declared=conflicts), spec)

    explanations = info.value.explanations
    assert [e.constraint for e in explanations] == [
        ConstraintFamily.COMPOSITION_QUOTA,
        ConstraintFamily.MAX_UNITS_PER_RATER,
        ConstraintFamily.RECUSAL,
    ]
    assert all(e.stage == "relaxation" for e in explanations)
    assert explanations[0].units == ("U2", "U3")
    assert explanations[2].units == ("U2", "U3")
    assert explanations[0].message == (
        "no assignment meets every constraint; dropping the composition quotas would make one possible "
        "(relaxing it for unit U2 or U3 alone is enough)"
    )


def test_rotating_milp_infeasibility_names_units_per_panel_and_min_raters():
    # Both units may only be scored by R1..R4; two panels of four cannot each
    # hold three of them, but one panel hearing both units could.
    conflicts = frozenset(Relationship(f"R{i}", u) for i in range(5, 9) for u in ("U1", "U2"))
    raters = [RaterInfo(f"R{i}") for i in range(1, 9)]
    units = [UnitInfo("U1"), UnitInfo("U2")]
    spec = RotatingPanelSpec(n_panels=2, min_raters_per_unit=3)

    with pytest.raises(PanelInfeasible) as info:
        form_rotating_panels(raters, units, RecusalRules(declared=conflicts), spec)

    assert info.value.constraints == (
        ConstraintFamily.UNITS_PER_PANEL,
        ConstraintFamily.MIN_RATERS_PER_UNIT,
        ConstraintFamily.RECUSAL,
    )
    assert info.value.explanations[1].units == ("U1", "U2")


def test_diagnose_without_a_single_culprit_says_several_families_conflict():
    # An untagged contradiction (x >= 1 and x <= 0) that no family relaxation removes.
    def build(eligible):
        problem = Problem()
        x = problem.add_variables((1,), upper=1.0, integer=True)
        problem.add_row(x, 1.0, 1, 1)
        problem.add_row(x, 1.0, 0, 0)
        problem.add_row(x, 1.0, 0, 1, ConstraintFamily.PANEL_SIZE)
        return problem

    raters, units = [RaterInfo("R1")], [UnitInfo("U1")]
    inputs = Inputs.build(raters, units, RecusalRules(), None)

    found = diagnose(build, inputs, [(ConstraintFamily.PANEL_SIZE, False), (ConstraintFamily.RECUSAL, True)], 5.0)

    assert [e.constraint for e in found] == [ConstraintFamily.PANEL_SIZE]
    assert found[0].message == (
        "no assignment meets every constraint, and no single family of constraints explains it: at least two of "
        "the panel sizes, recusal (never relaxed; named because it is what makes the rest impossible) conflict"
    )


# --- time limit and solver status ------------------------------------------------------------------


def test_status_of_maps_milp_codes():
    assert status_of(OptimizeResult(status=0, x=np.zeros(1))) is SolveStatus.OPTIMAL
    assert status_of(OptimizeResult(status=1, x=np.zeros(1))) is SolveStatus.TIME_LIMIT_FEASIBLE
    assert status_of(OptimizeResult(status=1, x=None)) is SolveStatus.TIME_LIMIT_NO_SOLUTION
    assert status_of(OptimizeResult(status=2, x=None)) is SolveStatus.INFEASIBLE
    assert status_of(OptimizeResult(status=4, x=None)) is SolveStatus.SOLVER_ERROR


def test_rotating_time_limit_without_solution_says_so():
    # 120 raters, 40 units, 8 panels with tight quotas: no assignment can be
    # found in a microsecond, so the result must say time ran out, with no assignment.
    raters = [
        RaterInfo(f"R{i}", (REP, CHAIR, MODEL)[i % 3], home_unit=f"U{i % 40}", sub_district=f"S{(i * 7) % 5}")
        for i in range(120)
    ]
    units = [UnitInfo(f"U{j}", sub_district=f"S{j % 5}") for j in range(40)]
    spec = RotatingPanelSpec(
        n_panels=8, panel_quotas={CHAIR: (5, 5), MODEL: (5, 5)}, min_raters_per_unit=12, time_limit=1e-6
    )

    result = form_rotating_panels(raters, units, RecusalRules(same_sub_district=True), spec)

    assert result.status is SolveStatus.TIME_LIMIT_NO_SOLUTION
    assert not result.has_solution
    assert result.assignments == () and result.objective is None
    assert result.message.startswith("time limit reached before any assignment was found")


# --- input validation -----------------------------------------------------------------------


def test_committee_spec_rejects_size_and_range_together():
    with pytest.raises(ScoringInputError, match="give committee_size or min_size/max_size, not both"):
        CommitteeSpec(committee_size=9, min_size=7)


def test_committee_spec_rejects_unknown_rater_type_in_quotas():
    with pytest.raises(ScoringInputError, match=r"quotas\[enterprise\]: unknown rater type 'chairman'"):
        CommitteeSpec(quotas={"enterprise": {"chairman": (1, 2)}})


def test_committee_spec_rejects_inverted_quota():
    with pytest.raises(ScoringInputError, match=r"quotas\[enterprise\]\[union_chair\]: max 1 is below min 2"):
        CommitteeSpec(quotas={"enterprise": {"union_chair": (2, 1)}})


def test_rotating_spec_rejects_zero_panels():
    with pytest.raises(ScoringInputError, match="n_panels must be an integer of at least 1, not 0"):
        RotatingPanelSpec(n_panels=0)


def test_spec_rejects_non_positive_time_limit():
    with pytest.raises(ScoringInputError, match="time_limit must be a positive number"):
        RotatingPanelSpec(time_limit=0)


def test_forming_without_units_raises():
    with pytest.raises(ScoringInputError, match="no units to assign"):
        form_committees([RaterInfo("R1")], [], RecusalRules(), CommitteeSpec(committee_size=1))


def test_forming_without_raters_raises():
    with pytest.raises(ScoringInputError, match="no raters to form panels from"):
        form_rotating_panels([], [UnitInfo("U1")], RecusalRules(), RotatingPanelSpec())


def test_forming_with_duplicate_rater_ids_raises():
    with pytest.raises(ScoringInputError, match="rater id 'R1' appears twice"):
        form_committees(
            [RaterInfo("R1"), RaterInfo("R1")], [UnitInfo("U1")], RecusalRules(), CommitteeSpec(committee_size=1)
        )


# --- property: a returned committee assignment always satisfies every hard constraint ---------


@st.composite
def _small_committee_case(draw):
    n_units = draw(st.integers(1, 3))
    units = [UnitInfo(f"U{j}", kind=draw(st.sampled_from(["enterprise", "community_joint"]))) for j in range(n_units)]
    n_raters = draw(st.integers(1, 7))
    raters = [
        RaterInfo(
            f"R{i}",
            draw(st.sampled_from([REP, CHAIR, MODEL])),
            home_unit=draw(st.sampled_from([None] + [u.id for u in units])),
        )
        for i in range(n_raters)
    ]
    size = draw(st.integers(1, 4))
    quotas = {"enterprise": {CHAIR: (draw(st.integers(0, 1)), 2)}}
    cap = draw(st.sampled_from([None, 1, 2]))
    return raters, units, CommitteeSpec(committee_size=size, quotas=quotas, max_units_per_rater=cap, time_limit=2)


@settings(max_examples=25, deadline=None)
@given(_small_committee_case())
def test_committees_property_solution_satisfies_constraints_or_infeasibility_is_named(case):
    raters, units, spec = case
    rules = RecusalRules()

    try:
        result = form_committees(raters, units, rules, spec)
    except PanelInfeasible as error:
        assert error.explanations and all(e.message for e in error.explanations)
        return

    assert result.has_solution
    _assert_committee_solution(result, raters, units, rules, spec)
