"""Tests for scoring.recusal: each rule alone, combinations, missing attributes,
recorded and declared conflicts, and the matrix/filter built on the one predicate."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.recusal import (
    RecusalCode,
    RecusalDecision,
    RecusalRules,
    Relationship,
    check,
    eligibility_matrix,
    filter_scores,
)
from scoring.types import RaterInfo, Score, ScoringInputError, UnitInfo

NONE_ON = RecusalRules(own_unit=False, parent_child=False)


# --- each rule alone -------------------------------------------------------------


def test_check_own_unit_forbids_scoring_own_enterprise():
    rater = RaterInfo("r1", home_unit="u1")

    decision = check(rater, UnitInfo("u1"), RecusalRules())

    assert decision.allowed is False
    assert decision.codes == (RecusalCode.OWN_UNIT,)
    assert decision.reasons[0].detail == "rater r1 belongs to unit u1 and may not score it"
    assert not decision


def test_check_own_unit_allows_other_unit():
    decision = check(RaterInfo("r1", home_unit="u1"), UnitInfo("u2"), RecusalRules())

    assert decision == RecusalDecision(allowed=True, reasons=())
    assert decision


def test_check_own_unit_rule_switched_off_allows_own_unit():
    decision = check(RaterInfo("r1", home_unit="u1"), UnitInfo("u1"), NONE_ON)

    assert decision.allowed is True


def test_check_parent_unit_from_evaluated_units_parent():
    rater = RaterInfo("r1", home_unit="fed")
    unit = UnitInfo("u1", parent="fed")

    decision = check(rater, unit, RecusalRules(own_unit=False))

    assert decision.codes == (RecusalCode.PARENT_UNIT,)
    assert decision.reasons[0].detail == "rater r1's home unit fed is the parent of unit u1"


def test_check_parent_unit_from_home_units_children_via_lookup():
    rater = RaterInfo("r1", home_unit="fed")
    unit = UnitInfo("u1")  # the unit does not record its parent; the federation records its child
    lookup = {"fed": UnitInfo("fed", children=("u1", "u2"))}

    without_lookup = check(rater, unit, RecusalRules())
    with_lookup = check(rater, unit, RecusalRules(), lookup)

    assert without_lookup.allowed is True
    assert with_lookup.codes == (RecusalCode.PARENT_UNIT,)


def test_check_child_unit_from_evaluated_units_children():
    rater = RaterInfo("r1", home_unit="shop")
    unit = UnitInfo("fed", children=("shop",))

    decision = check(rater, unit, RecusalRules())

    assert decision.codes == (RecusalCode.CHILD_UNIT,)
    assert decision.reasons[0].detail == "rater r1's home unit shop is a child of unit fed"


def test_check_child_unit_from_home_units_parent_via_lookup():
    rater = RaterInfo("r1", home_unit="shop")
    lookup = {"shop": UnitInfo("shop", parent="fed")}

    decision = check(rater, UnitInfo("fed"), RecusalRules(), lookup)

    assert decision.codes == (RecusalCode.CHILD_UNIT,)


def test_check_parent_child_switched_off_allows():
    rater = RaterInfo("r1", home_unit="fed")

    decision = check(rater, UnitInfo("u1", parent="fed"), RecusalRules(parent_child=False))

    assert decision.allowed is True


def test_check_grandparent_is_not_parent():
    rater = RaterInfo("r1", home_unit="district")
    lookup = {"fed": UnitInfo("fed", parent="district")}

    decision = check(rater, UnitInfo("u1", parent="fed"), RecusalRules(), lookup)

    assert decision.allowed is True


def test_check_same_sub_district_only_when_enabled():
    rater = RaterInfo("r1", sub_district="Shichahai")
    unit = UnitInfo("u1", sub_district="Shichahai")

    default = check(rater, unit, RecusalRules())
    enabled = check(rater, unit, RecusalRules(same_sub_district=True))

    assert default.allowed is True
    assert enabled.codes == (RecusalCode.SAME_SUB_DISTRICT,)
    assert enabled.reasons[0].detail == "rater r1 and unit u1 are both in sub-district Shichahai"


def test_check_same_sub_district_none_never_matches():
    rules = RecusalRules(same_sub_district=True, same_industry=True)
    rater = RaterInfo("r1", sub_district=None, industry=None)
    unit = UnitInfo("u1", sub_district=None, industry=None)

    decision = check(rater, unit, rules)

    assert decision.allowed is True


def test_check_same_industry_only_when_enabled():
    rater = RaterInfo("r1", industry="catering")
    unit = UnitInfo("u1", industry="catering")

    assert check(rater, unit, RecusalRules()).allowed is True
    assert check(rater, unit, RecusalRules(same_industry=True)).codes == (RecusalCode.SAME_INDUSTRY,)


def test_check_different_industry_allows():
    rules = RecusalRules(same_industry=True)

    decision = check(RaterInfo("r1", industry="catering"), UnitInfo("u1", industry="finance"), rules)

    assert decision.allowed is True


def test_check_recorded_relationship_forbids_that_pair_only():
    rules = RecusalRules(relationships=frozenset({Relationship("r1", "u1", "former employee")}))

    forbidden = check(RaterInfo("r1"), UnitInfo("u1"), rules)
    other_unit = check(RaterInfo("r1"), UnitInfo("u2"), rules)
    other_rater = check(RaterInfo("r2"), UnitInfo("u1"), rules)

    assert forbidden.codes == (RecusalCode.RELATIONSHIP,)
    assert forbidden.reasons[0].detail == "rater r1 has a recorded relationship with unit u1 (former employee)"
    assert other_unit.allowed is True
    assert other_rater.allowed is True


def test_check_declared_conflict_forbids():
    rules = RecusalRules(declared=[Relationship("r2", "u3", "relative of the chair")])

    decision = check(RaterInfo("r2"), UnitInfo("u3"), rules)

    assert decision.codes == (RecusalCode.DECLARED,)
    assert decision.reasons[0].detail == "rater r2 declared a conflict with unit u3 (relative of the chair)"
    assert isinstance(rules.declared, frozenset)


def test_check_declared_without_reason_text():
    rules = RecusalRules(declared=frozenset({Relationship("r2", "u3")}))

    decision = check(RaterInfo("r2"), UnitInfo("u3"), rules)

    assert decision.reasons[0].detail == "rater r2 declared a conflict with unit u3"


def test_rules_reject_non_relationship_records():
    with pytest.raises(ScoringInputError, match="RecusalRules.relationships holds"):
        RecusalRules(relationships=frozenset({("r1", "u1")}))


# --- combinations ---------------------------------------------------------------


def test_check_returns_every_applicable_reason_in_order():
    rules = RecusalRules(
        same_sub_district=True,
        same_industry=True,
        relationships=frozenset({Relationship("r1", "u1", "former employee"), Relationship("r1", "u1", "auditor")}),
        declared=frozenset({Relationship("r1", "u1", "friend of the chair")}),
    )
    rater = RaterInfo("r1", home_unit="u1", sub_district="Xinjiekou", industry="retail")
    unit = UnitInfo("u1", sub_district="Xinjiekou", industry="retail")

    decision = check(rater, unit, rules)

    assert decision.allowed is False
    assert decision.codes == (
        RecusalCode.OWN_UNIT,
        RecusalCode.SAME_SUB_DISTRICT,
        RecusalCode.SAME_INDUSTRY,
        RecusalCode.RELATIONSHIP,
        RecusalCode.RELATIONSHIP,
        RecusalCode.DECLARED,
    )
    # two records for one pair are reported in a fixed (sorted) order
    assert [r.detail for r in decision.reasons if r.code is RecusalCode.RELATIONSHIP] == [
        "rater r1 has a recorded relationship with unit u1 (auditor)",
        "rater r1 has a recorded relationship with unit u1 (former employee)",
    ]


def test_check_parent_and_sub_district_together():
    rules = RecusalRules(same_sub_district=True)
    rater = RaterInfo("r1", home_unit="fed", sub_district="Desheng")
    unit = UnitInfo("u1", parent="fed", sub_district="Desheng")

    decision = check(rater, unit, rules)

    assert decision.codes == (RecusalCode.PARENT_UNIT, RecusalCode.SAME_SUB_DISTRICT)


def test_recusal_code_compares_equal_to_its_string():
    assert RecusalCode.OWN_UNIT == "own_unit"
    assert {c.value for c in RecusalCode} == {
        "own_unit",
        "parent_unit",
        "child_unit",
        "same_sub_district",
        "same_industry",
        "relationship",
        "declared",
    }


# --- eligibility matrix ---------------------------------------------------------


def test_eligibility_matrix_marks_own_units_false():
    raters = [RaterInfo("r1", home_unit="u1"), RaterInfo("r2", home_unit="u2"), RaterInfo("r3")]
    units = [UnitInfo("u1"), UnitInfo("u2")]

    matrix = eligibility_matrix(raters, units, RecusalRules())

    assert matrix.dtype == bool
    np.testing.assert_array_equal(matrix, [[False, True], [True, False], [True, True]])


def test_eligibility_matrix_default_lookup_is_the_evaluated_units():
    # u2 records u1 as its child; r1 works at u2, so r1 may not score u1
    raters = [RaterInfo("r1", home_unit="u2")]
    units = [UnitInfo("u1"), UnitInfo("u2", children=("u1",))]

    matrix = eligibility_matrix(raters, units, RecusalRules())

    np.testing.assert_array_equal(matrix, [[False, False]])


def test_eligibility_matrix_empty_raters_has_zero_rows():
    matrix = eligibility_matrix([], [UnitInfo("u1")], RecusalRules())

    assert matrix.shape == (0, 1)


def test_eligibility_matrix_duplicate_rater_id_raises():
    with pytest.raises(ScoringInputError, match="rater id 'r1' appears twice"):
        eligibility_matrix([RaterInfo("r1"), RaterInfo("r1")], [UnitInfo("u1")], RecusalRules())


_ids = st.sampled_from(["u0", "u1", "u2", "u3", None])
_places = st.sampled_from(["A", "B", None])


@st.composite
def _scenario(draw):
    n_units = draw(st.integers(1, 4))
    units = [
        UnitInfo(
            f"u{j}",
            parent=draw(_ids),
            sub_district=draw(_places),
            industry=draw(_places),
            children=tuple(draw(st.lists(st.sampled_from(["u0", "u1", "u2", "u3"]), max_size=2, unique=True))),
        )
        for j in range(n_units)
    ]
    n_raters = draw(st.integers(0, 5))
    raters = [
        RaterInfo(f"r{i}", home_unit=draw(_ids), sub_district=draw(_places), industry=draw(_places))
        for i in range(n_raters)
    ]
    pairs = st.builds(
        Relationship, st.sampled_from(["r0", "r1", "r2"]), st.sampled_from(["u0", "u1"]), st.sampled_from(["", "x"])
    )
    rules = RecusalRules(
        own_unit=draw(st.booleans()),
        parent_child=draw(st.booleans()),
        same_sub_district=draw(st.booleans()),
        same_industry=draw(st.booleans()),
        relationships=frozenset(draw(st.lists(pairs, max_size=3))),
        declared=frozenset(draw(st.lists(pairs, max_size=3))),
    )
    return raters, units, rules


@settings(max_examples=50, deadline=None)
@given(_scenario())
def test_eligibility_matrix_equals_check_cellwise(scenario):
    raters, units, rules = scenario
    lookup = {u.id: u for u in units}

    matrix = eligibility_matrix(raters, units, rules)

    assert matrix.shape == (len(raters), len(units))
    for i, rater in enumerate(raters):
        for j, unit in enumerate(units):
            decision = check(rater, unit, rules, lookup)
            assert matrix[i, j] == decision.allowed
            assert decision.allowed == (len(decision.reasons) == 0)


# --- filter_scores ----------------------------------------------------------------


def _table():
    raters = {"r1": RaterInfo("r1", home_unit="u1"), "r2": RaterInfo("r2", home_unit="u2")}
    units = {"u1": UnitInfo("u1"), "u2": UnitInfo("u2")}
    scores = [
        Score("u1", "r1", "c1", 3.0),
        Score("u1", "r2", "c1", 4.0),
        Score("u2", "r1", "c1", 2.5),
        Score("u2", "r2", "c1", 5.0),
        Score("u1", "r1", "c2", None),
    ]
    return scores, raters, units


def test_filter_scores_drops_own_unit_scores_in_order():
    scores, raters, units = _table()

    kept, excluded = filter_scores(scores, raters, units, RecusalRules())

    assert kept == (scores[1], scores[2])
    assert [row for row, _ in excluded] == [scores[0], scores[3], scores[4]]
    assert all(decision.codes == (RecusalCode.OWN_UNIT,) for _, decision in excluded)


def test_filter_scores_with_rules_off_keeps_everything():
    scores, raters, units = _table()

    kept, excluded = filter_scores(iter(scores), raters, units, NONE_ON)

    assert kept == tuple(scores)
    assert excluded == ()


def test_filter_scores_unknown_rater_names_the_row():
    scores, raters, units = _table()
    scores.append(Score("u2", "r9", "c7", 1.0))

    with pytest.raises(ScoringInputError) as info:
        filter_scores(scores, raters, units, RecusalRules())

    assert str(info.value) == "score row 5 (unit 'u2', rater 'r9', criterion 'c7'): unknown rater 'r9'"


def test_filter_scores_unknown_unit_names_the_row():
    scores, raters, units = _table()
    scores.insert(0, Score("u8", "r1", "c1", 1.0))

    with pytest.raises(ScoringInputError) as info:
        filter_scores(scores, raters, units, RecusalRules())

    assert str(info.value) == "score row 0 (unit 'u8', rater 'r1', criterion 'c1'): unknown unit 'u8'"


def test_filter_scores_mapping_key_mismatch_raises():
    scores, raters, units = _table()
    raters["r3"] = RaterInfo("r4")

    with pytest.raises(ScoringInputError, match="rater mapping key 'r3' holds rater 'r4'"):
        filter_scores(scores, raters, units, RecusalRules())


def test_filter_scores_uses_units_as_home_unit_lookup():
    raters = {"r1": RaterInfo("r1", home_unit="fed")}
    units = {"fed": UnitInfo("fed", children=("u1",)), "u1": UnitInfo("u1")}

    kept, excluded = filter_scores([Score("u1", "r1", "c1", 2.0)], raters, units, RecusalRules())

    assert kept == ()
    assert excluded[0][1].codes == (RecusalCode.PARENT_UNIT,)
