"""Composite assessment: open-door total + target indicators + satisfaction surveys.

The 90% mutual-aid card application target is one of the 2015 service-system
targets (DOMAIN.md section 3). Expected values are computed by hand in comments.
"""

from __future__ import annotations

import pytest

from scoring.composite import (
    CompositeSpec,
    OpenDoorComponent,
    SurveyComponent,
    TargetIndicator,
    UnitComposite,
    check_weights,
    composite_score,
    round_composites,
)
from scoring.types import ScoringInputError

TOL = 1e-12


def test_composite_combines_components_with_their_contributions():
    # open door 82.5/100 * 60 = 49.5; card rate 0.81/0.90 = 90 -> 90 * 20/100 = 18;
    # satisfaction 0.75 share -> 75 * 20/100 = 15; composite 82.5
    res = composite_score(
        [
            OpenDoorComponent(total=82.5, weight=60),
            TargetIndicator("mutual_aid_card_rate", actual=0.81, target=0.90, weight=20),
            SurveyComponent("member_satisfaction", value=0.75, weight=20, scale="share"),
        ]
    )
    assert res.score == pytest.approx(82.5, abs=TOL)
    assert [c.code for c in res.components] == ["open_door", "mutual_aid_card_rate", "member_satisfaction"]
    assert [c.kind for c in res.components] == ["open_door", "target", "survey"]
    assert [c.score for c in res.components] == pytest.approx([82.5, 90.0, 75.0], abs=TOL)
    assert [c.contribution for c in res.components] == pytest.approx([49.5, 18.0, 15.0], abs=TOL)
    assert [c.weight for c in res.components] == [60.0, 20.0, 20.0]
    assert res.components[1].raw == 0.81
    assert res.components[1].rule == "linear from 0 (0) to target 0.9 (100), capped"


def test_target_indicator_is_capped_at_the_target():
    # 95% against a 90% target still scores 100
    assert TargetIndicator("rate", 0.95, 0.90, 10).score()[0] == 100.0


def test_target_indicator_with_floor_scores_linearly_from_floor():
    # floor 0.5 -> 0 points, target 0.9 -> 100: 0.7 is halfway = 50; below the floor 0
    assert TargetIndicator("rate", 0.7, 0.9, 10, floor=0.5).score()[0] == pytest.approx(50.0, abs=TOL)
    assert TargetIndicator("rate", 0.4, 0.9, 10, floor=0.5).score()[0] == 0.0


@pytest.mark.parametrize(("actual", "expected"), [(6.0, 50.0), (1.0, 100.0), (2.0, 100.0), (12.0, 0.0)])
def test_lower_is_better_indicator_runs_from_target_to_worst(actual, expected):
    # target 2 (100 points), worst 10 (0 points): 6 is halfway -> 50
    ind = TargetIndicator("backlog_days", actual, target=2.0, weight=10, direction="lower", worst=10.0)
    assert ind.score()[0] == pytest.approx(expected, abs=TOL)


def test_lower_is_better_indicator_without_worst_raises():
    with pytest.raises(ScoringInputError, match="indicator 'backlog': a 'lower is better' indicator needs a worst value"):
        TargetIndicator("backlog", 3.0, 2.0, 10, direction="lower").score()


def test_survey_percent_is_taken_as_is():
    res = composite_score([OpenDoorComponent(70.0, 50), SurveyComponent("satisfaction", 80.0, 50)])
    # 70 * 0.5 + 80 * 0.5 = 75
    assert res.score == pytest.approx(75.0, abs=TOL)


def test_weights_that_do_not_add_up_raise_listing_every_weight():
    with pytest.raises(ScoringInputError, match=r"component weights add up to 95, not 100 \(open_door=60, card=20, satisfaction=15\)"):
        composite_score([OpenDoorComponent(80.0, 60), TargetIndicator("card", 0.9, 0.9, 20), SurveyComponent("satisfaction", 70.0, 15)])


def test_custom_total_weight_is_respected():
    # weights add up to 1: composite on a 1-point scale; 0.5 * 0.8 + 0.5 * 1.0 = 0.9
    res = composite_score([OpenDoorComponent(80.0, 0.5), TargetIndicator("card", 0.9, 0.9, 0.5)], total_weight=1.0)
    assert res.score == pytest.approx(0.9, abs=TOL)


@pytest.mark.parametrize(
    ("components", "message"),
    [
        ([OpenDoorComponent(80.0, 100), SurveyComponent("s", 50.0, 0)], "component 's': weight is 0"),
        ([OpenDoorComponent(80.0, 50), SurveyComponent("open_door", 50.0, 50)], "component code 'open_door' appears twice"),
        ([OpenDoorComponent(101.0, 100)], "component 'open_door': total 101 lies outside 0..100"),
        ([SurveyComponent("s", 1.2, 100, scale="share")], "survey 's': share 1.2 lies outside 0..1"),
        ([SurveyComponent("s", 50.0, 100, scale="stars")], "survey 's': scale is 'stars'"),
        ([TargetIndicator("t", 0.5, 0.0, 100)], "indicator 't': target 0 must be above the floor 0"),
        ([TargetIndicator("t", float("nan"), 0.9, 100)], "indicator 't': actual is nan"),
        ([], "a composite needs at least one component"),
    ],
)
def test_bad_component_raises_naming_it(components, message):
    with pytest.raises(ScoringInputError) as info:
        composite_score(components)
    assert str(info.value).startswith(message)


def test_composite_to_dict_lists_every_component():
    res = composite_score([OpenDoorComponent(60.0, 70), TargetIndicator("card", 0.45, 0.9, 30)])
    d = res.to_dict()
    # 60 * 0.7 + 50 * 0.3 = 57
    assert d["score"] == pytest.approx(57.0, abs=TOL)
    assert d["components"][1] == {
        "code": "card",
        "kind": "target",
        "title": "",
        "raw": 0.45,
        "score": pytest.approx(50.0, abs=TOL),
        "weight": 30.0,
        "contribution": pytest.approx(15.0, abs=TOL),
        "rule": "linear from 0 (0) to target 0.9 (100), capped",
    }


def test_check_weights_reads_only_codes_and_weights():
    # an out-of-range total is the component's own business: check_weights accepts it
    assert check_weights([OpenDoorComponent(total=500.0, weight=70), SurveyComponent("s", 50.0, 30)]) == 100.0
    with pytest.raises(ScoringInputError, match=r"^component weights add up to 95, not 100 \(open_door=70, s=25\)$"):
        check_weights([OpenDoorComponent(total=50.0, weight=70), SurveyComponent("s", 50.0, 25)])


def _card_spec() -> CompositeSpec:
    card = TargetIndicator("card", 0.81, 0.90, 40)
    return CompositeSpec(60, (UnitComposite("u1", (card,)), UnitComposite("u2", (card,)), UnitComposite("u3", (card,))))


def test_round_composites_takes_the_open_door_total_from_the_round():
    # u1: 41.25 of a 50-point framework is 82.5 -> 82.5 * 0.6 = 49.5; card 0.81/0.90 = 90 -> 90 * 0.4 = 36
    res = round_composites(_card_spec(), {"u1": 41.25, "u2": 25.0, "u3": 50.0}, scale=50.0)

    assert [u.unit for u in res.units] == ["u1", "u2", "u3"]
    assert [u.result.score for u in res.units] == pytest.approx([85.5, 30.0 + 36.0, 60.0 + 36.0], abs=TOL)
    assert res.units[0].result.components[0].rule == "100 * total / 50"
    assert res.tables()["composite"][0] == {"unit": "u1", "score": pytest.approx(85.5, abs=TOL), "total_weight": 100.0, "note": ""}


def test_round_composites_without_a_total_gives_no_number_and_says_why():
    res = round_composites(_card_spec(), {"u1": float("nan"), "u2": 70.0}, notes={"u1": "no rater scored area(s) B"})

    assert [u.result is None for u in res.units] == [True, False, True]
    assert res.units[0].note == "no open-door total: no rater scored area(s) B; no composite"
    assert res.units[2].note == "no open-door total: the round has no score for this unit; no composite"
    assert res.to_dict()["units"][0] == {
        "unit": "u1",
        "score": None,
        "total_weight": 100.0,
        "components": [],
        "note": "no open-door total: no rater scored area(s) B; no composite",
    }
    assert [row["unit"] for row in res.tables()["composite_components"]] == ["u2", "u2"]


def test_round_composites_error_names_the_unit():
    spec = CompositeSpec(60, (UnitComposite("u1", (SurveyComponent("s", 50.0, 30),)),))
    with pytest.raises(ScoringInputError, match=r"^unit 'u1': component weights add up to 90, not 100"):
        round_composites(spec, {"u1": 70.0})
