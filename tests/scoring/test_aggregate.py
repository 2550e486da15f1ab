"""Aggregation: exact behaviour on hand-computed examples, missing-criterion
policies, fallbacks and the errors bad score rows raise.

Every expected number below is worked out by hand in the comment next to it.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from scoring.aggregate import (
    ScoreRowError,
    aggregate,
    aggregate_cells,
    apply_missing_policy,
    card_totals,
    check_settings,
    robust_location,
    score_array,
    sort_cells,
    total_weights,
)
from scoring.types import (
    AggregationMethod,
    Area,
    Criterion,
    Framework,
    MissingPolicy,
    Score,
    ScoringInputError,
    Settings,
)

from .conftest import make_framework, one_area_framework

TOL = 1e-12


def one_cell(points, **settings):
    """Aggregate one criterion (max 10, weight 100) scored by one rater per value."""
    fw = one_area_framework(10.0, 1)
    rows = [Score("u", f"r{i}", "c1", p) for i, p in enumerate(points)]
    return aggregate(fw, score_array(fw, rows), Settings(**settings))


def two_area_framework() -> Framework:
    # area A: weight 60, maxima 4 + 6 = 10; area B: weight 40, maximum 10
    return Framework(
        (
            Area("A", 60.0, (Criterion("A1", "A", 4.0, 1.0), Criterion("A2", "A", 6.0, 1.0))),
            Area("B", 40.0, (Criterion("B1", "B", 10.0, 1.0),)),
        )
    )


def three_cards(a2_of_r1=None, a1_of_r1=2.0):
    # r1: A1=2, A2=cannot judge, B1=5; r2: 4, 6, 10; r3: 0, 3, 5
    return [
        Score("u", "r1", "A1", a1_of_r1),
        Score("u", "r1", "A2", a2_of_r1),
        Score("u", "r1", "B1", 5.0),
        Score("u", "r2", "A1", 4.0),
        Score("u", "r2", "A2", 6.0),
        Score("u", "r2", "B1", 10.0),
        Score("u", "r3", "A1", 0.0),
        Score("u", "r3", "A2", 3.0),
        Score("u", "r3", "B1", 5.0),
    ]


MEAN_ALL = dict(method=AggregationMethod.MEAN, min_raters=1)


# --------------------------------------------------------------------------- methods


def test_trimmed_mean_k1_five_raters_drops_lowest_and_highest():
    # sorted 1 7 8 9 10; dropping 1 and 10 leaves 7 8 9, mean 8; total = 100 * 8/10
    res = one_cell([10, 1, 8, 7, 9], trim=1)
    assert res.points[0, 0] == pytest.approx(8.0, abs=TOL)
    assert res.totals[0] == pytest.approx(80.0, abs=TOL)
    assert res.applied[0, 0] == "trimmed"
    assert res.n_raters[0, 0] == 5
    assert res.fallbacks == ()


def test_trimmed_mean_k1_differs_from_scipy_trim_mean_on_small_panel():
    # scipy trims floor(0.1 * 5) = 0 values, i.e. returns the plain mean 7.0
    x = [10, 1, 8, 7, 9]
    res = one_cell(x, trim=1)
    assert stats.trim_mean(x, 0.1) == pytest.approx(7.0, abs=TOL)
    assert res.points[0, 0] == pytest.approx(8.0, abs=TOL)


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        ("mean", 6.0),  # (2+4+5+9+10)/5 = 30/5
        ("median", 5.0),  # middle of 2 4 5 9 10
        ("trimmed", 6.0),  # (4+5+9)/3 = 18/3
        ("winsorized", 6.2),  # 2->4, 10->9: (4+4+5+9+9)/5 = 31/5
    ],
)
def test_each_method_on_five_raters_matches_hand_value(method, expected):
    res = one_cell([9, 2, 10, 5, 4], method=method, trim=1)
    assert res.points[0, 0] == pytest.approx(expected, abs=TOL)
    assert res.applied[0, 0] == method


def test_winsorized_k2_on_seven_raters_clamps_two_at_each_end():
    # sorted 0 1 4 5 6 9 10; k=2 -> 4 4 4 5 6 6 6, sum 35, mean 5
    res = one_cell([5, 0, 10, 4, 9, 1, 6], method="winsorized", trim=2)
    assert res.points[0, 0] == pytest.approx(5.0, abs=TOL)


def test_trimmed_falls_back_to_median_when_two_raters_remain_and_records_it():
    # 4 raters, k=1 -> 2 remain < min_raters 3 -> median of 6 9 10 10 = (9+10)/2
    res = one_cell([10, 6, 10, 9], trim=1, min_raters=3)
    assert res.points[0, 0] == pytest.approx(9.5, abs=TOL)
    assert res.applied[0, 0] == "median"
    assert len(res.fallbacks) == 1
    note = res.fallbacks[0]
    assert (note.unit, note.criterion, note.n_raters, note.applied) == ("u", "c1", 4, "median")
    assert note.reason == "4 raters leave 2 after trimming 1 at each end; fewer than 3"
    assert "median where fewer than 3 raters left after trimming" in res.rule


def test_fallback_mean_is_used_when_declared():
    # 3 raters, k=1 -> 1 remains; fallback mean of 2 6 10 = 6
    res = one_cell([2, 6, 10], trim=1, fallback="mean")
    assert res.points[0, 0] == pytest.approx(6.0, abs=TOL)
    assert res.applied[0, 0] == "mean"


def test_cell_without_raters_is_nan_and_says_why():
    fw = one_area_framework(10.0, 2)
    rows = [Score("u1", "r1", "c1", 5), Score("u1", "r1", "c2", None), Score("u2", "r1", "c1", 3), Score("u2", "r1", "c2", 4)]
    res = aggregate(fw, score_array(fw, rows), Settings(missing_policy="drop"))
    assert math.isnan(res.totals[0])
    assert res.applied[0, 0] == "none"
    assert res.total_notes[0] == "no usable scorecard for this unit (after recusal and the missing policy)"
    assert res.totals[1] == pytest.approx(35.0, abs=TOL)  # median of one rater: (3+4)/20 * 100


def test_robust_location_reference_matches_hand_values():
    assert robust_location([1, 7, 8, 9, 10], "trimmed", 1) == (8.0, "trimmed", "")
    assert robust_location([np.nan, 3.0], "mean", 0, 1) == (3.0, "mean", "")
    value, applied, reason = robust_location([], "trimmed")
    assert math.isnan(value) and applied == "none" and reason == "no rater scored this cell"


# --------------------------------------------------------------------------- kernel


def test_kernel_with_weights_equals_reference_on_expanded_multiset():
    # weights 2, 0, 1, 3 on values 1, 4, 6, 10 -> multiset 1 1 6 10 10 10
    values = np.array([1.0, 4.0, 6.0, 10.0]).reshape(1, 4, 1)
    cells = sort_cells(values)
    w = np.array([[2, 0, 1, 3]])
    out, applied, n = aggregate_cells(cells, w, "trimmed", 1, 3, "median")
    # drop one 1 and one 10: 1 6 10 10 -> 27/4
    assert out[0, 0, 0] == pytest.approx(6.75, abs=TOL)
    assert n[0, 0, 0] == 6
    out, _, _ = aggregate_cells(cells, w, "median", 0, 1, "median")
    assert out[0, 0, 0] == pytest.approx(8.0, abs=TOL)  # (6 + 10)/2
    out, _, _ = aggregate_cells(cells, w, "winsorized", 2, 1, "median")
    # k=2: 1 1 6 10 10 10 -> 6 6 6 10 10 10, mean 8
    assert out[0, 0, 0] == pytest.approx(8.0, abs=TOL)


def test_kernel_refuses_weights_for_another_rater_count():
    cells = sort_cells(np.ones((1, 3, 1)))
    with pytest.raises(ScoringInputError, match="weights have 2 raters but the cells were built for 3"):
        aggregate_cells(cells, np.ones((1, 2), dtype=int), "mean", 0, 1, "median")


# --------------------------------------------------------------------------- missing policy


def test_missing_policy_rescale_fills_with_raters_own_area_share():
    # r1's A2 = 6 * 2/4 = 3. Means: A1 (2+4+0)/3 = 2, A2 (3+6+3)/3 = 4, B1 20/3.
    # A = 60 * 6/10 = 36; B = 40 * (20/3)/10 = 80/3; total = 188/3
    fw = two_area_framework()
    res = aggregate(fw, score_array(fw, three_cards()), Settings(**MEAN_ALL, missing_policy="rescale"))
    assert res.values[0, 0].tolist() == [2.0, 3.0, 5.0]
    assert res.subtotals[0].tolist() == pytest.approx([36.0, 80.0 / 3], abs=1e-12)
    assert res.totals[0] == pytest.approx(188.0 / 3, abs=1e-12)
    assert res.missing.policy is MissingPolicy.RESCALE
    assert (res.missing.n_cards, res.missing.n_complete, res.missing.n_changed, res.missing.n_dropped) == (3, 2, 1, 0)
    note = res.missing.notes[0]
    assert (note.unit, note.rater, note.missing, note.action) == ("u", "r1", ("A2",), "rescaled")


def test_missing_policy_zero_counts_missing_as_zero():
    # A2 = (0+6+3)/3 = 3; A = 60 * 5/10 = 30; B = 80/3; total = 170/3
    fw = two_area_framework()
    res = aggregate(fw, score_array(fw, three_cards()), Settings(**MEAN_ALL, missing_policy="zero"))
    assert res.points[0].tolist() == pytest.approx([2.0, 3.0, 20.0 / 3], abs=1e-12)
    assert res.totals[0] == pytest.approx(170.0 / 3, abs=1e-12)
    assert res.missing.notes[0].action == "zero"
    assert res.missing.rule.startswith("zero:")


def test_missing_policy_drop_leaves_whole_card_out():
    # r1 dropped: A1 = 2, A2 = 4.5, B1 = 7.5; A = 60 * 6.5/10 = 39; B = 30; total 69
    fw = two_area_framework()
    res = aggregate(fw, score_array(fw, three_cards()), Settings(**MEAN_ALL, missing_policy="drop"))
    assert res.points[0].tolist() == pytest.approx([2.0, 4.5, 7.5], abs=1e-12)
    assert res.n_raters[0].tolist() == [2, 2, 2]
    assert res.totals[0] == pytest.approx(69.0, abs=1e-12)
    assert (res.missing.n_changed, res.missing.n_dropped) == (1, 1)
    assert res.missing.notes[0].action == "dropped"


def test_missing_policy_rescale_with_unscored_area_leaves_card_out_of_that_area():
    # r1 scores nothing in A: A cells from r2, r3 only: A1 = 2, A2 = 4.5 -> A = 39;
    # B keeps r1: 20/3 -> 80/3; total = 39 + 80/3
    fw = two_area_framework()
    rows = three_cards(a2_of_r1=None, a1_of_r1=None)
    res = aggregate(fw, score_array(fw, rows), Settings(**MEAN_ALL, missing_policy="rescale"))
    assert res.n_raters[0].tolist() == [2, 2, 3]
    assert res.totals[0] == pytest.approx(39.0 + 80.0 / 3, abs=1e-12)
    assert res.missing.notes[0].action == "area_unscored"
    assert "nothing scored in area(s) A" in res.missing.notes[0].detail


def test_apply_missing_policy_rejects_unknown_policy():
    fw = two_area_framework()
    with pytest.raises(ScoringInputError, match="settings.missing_policy is 'guess'"):
        apply_missing_policy(score_array(fw, three_cards()), fw, "guess")


# --------------------------------------------------------------------------- totals


def test_total_weights_put_weighted_total_on_100_point_scale():
    # A: 60 / (4 + 6) = 6 per point; B: 40 / 10 = 4 per point
    tw = total_weights(two_area_framework())
    assert tw.coefficients.tolist() == [6.0, 6.0, 4.0]
    full_marks = np.array([[4.0, 6.0, 10.0]])
    assert tw.totals(full_marks).tolist() == [100.0]
    assert tw.subtotals(np.array([[4.0, np.nan, 10.0]])).tolist()[0][1] == 40.0
    assert math.isnan(tw.subtotals(np.array([[4.0, np.nan, 10.0]]))[0, 0])


def test_seeds_framework_maps_points_one_to_one():
    tw = total_weights(make_framework())
    assert tw.coefficients.tolist() == [1.0] * 40


def test_card_totals_rescale_over_scored_areas():
    # card 1: A 6/10 of 60 = 36, B 5/10 of 40 = 20 -> 56; card 2 has only B: 100 * 0.5 = 50
    values = np.array([[[2.0, 4.0, 5.0], [np.nan, np.nan, 5.0]]])
    assert card_totals(two_area_framework(), values).tolist() == [[56.0, 50.0]]


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (Score("u1", "r2", "c1", 10.5), "row 1: unit 'u1', rater 'r2', criterion 'c1': points 10.5 are above the maximum 10"),
        (Score("u1", "r2", "c1", -1.0), "row 1: unit 'u1', rater 'r2', criterion 'c1': points -1 are below 0"),
        (Score("u1", "r2", "c1", 2.25), "row 1: unit 'u1', rater 'r2', criterion 'c1': points 2.25 are not a multiple of the step 0.5"),
        (Score("u1", "r2", "c9", 2.0), "row 1: unit 'u1', rater 'r2', criterion 'c9': criterion 'c9' is not in the framework"),
        (Score("u1", "r2", "c1", "7"), "row 1: unit 'u1', rater 'r2', criterion 'c1': points '7' are not a number"),
        (Score("u1", "r2", "c1", float("nan")), "row 1: unit 'u1', rater 'r2', criterion 'c1': points nan are not finite"),
    ],
)
def test_bad_score_row_raises_naming_row_and_values(row, message):
    fw = one_area_framework(10.0, 1)
    rows = [Score("u1", "r1", "c1", 5.0), row]
    with pytest.raises(ScoreRowError) as info:
        score_array(fw, rows)
    assert str(info.value).startswith(message)
    assert info.value.row == 1


def test_unknown_unit_or_rater_raises_when_lists_are_given():
    fw = one_area_framework(10.0, 1)
    rows = [Score("u1", "r1", "c1", 5.0), Score("u1", "r1", "c1", 5.0)]
    with pytest.raises(ScoreRowError, match="row 0: unit 'u1', rater 'r1', criterion 'c1': unit 'u1' is not in the unit list"):
        score_array(fw, rows, units=["u2"])
    with pytest.raises(ScoreRowError, match="row 0: .*rater 'r1' is not in the rater list"):
        score_array(fw, rows, raters=["r2"])


def test_duplicate_row_raises_naming_both_rows():
    fw = one_area_framework(10.0, 1)
    rows = [Score("u1", "r1", "c1", 5.0), Score("u2", "r1", "c1", 5.0), Score("u1", "r1", "c1", 6.0)]
    with pytest.raises(ScoreRowError, match=r"^row 2: unit 'u1', rater 'r1', criterion 'c1': duplicates row 0"):
        score_array(fw, rows)


def test_framework_that_does_not_add_up_raises_naming_weights():
    fw = Framework((Area("A", 60.0, (Criterion("A1", "A", 4.0),)), Area("B", 30.0, (Criterion("B1", "B", 4.0),))))
    with pytest.raises(ScoringInputError, match=r"area weights add up to 90, not 100 \(A=60, B=30\)"):
        score_array(fw, [])


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (Settings(trim=-1), "settings.trim is -1"),
        (Settings(fallback=AggregationMethod.TRIMMED), "settings.fallback is 'trimmed'; a fallback must be 'mean' or 'median'"),
        (Settings(min_raters=0), "settings.min_raters is 0"),
        (Settings(method="mode"), "settings.method is 'mode'; choose one of mean, median, trimmed, winsorized"),
        (Settings(confidence=1.0), "settings.confidence is 1.0"),
        (Settings(bootstrap=2.5), "settings.bootstrap is 2.5"),
    ],
)
def test_bad_settings_raise_naming_the_setting(settings, message):
    with pytest.raises(ScoringInputError) as info:
        check_settings(settings)
    assert str(info.value).startswith(message)


def test_score_array_marks_card_even_when_every_row_is_cannot_judge():
    fw = one_area_framework(10.0, 2)
    arr = score_array(fw, [Score("u1", "r1", "c1", None), Score("u1", "r1", "c2", None), Score("u1", "r2", "c1", 4.0)])
    assert arr.has_card.tolist() == [[True, True]]
    assert np.isnan(arr.values[0, 0]).all()
    values, report = apply_missing_policy(arr, fw, "zero")
    assert values[0, 0].tolist() == [0.0, 0.0]
    assert report.n_changed == 2
