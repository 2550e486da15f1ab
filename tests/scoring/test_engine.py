"""run_round end to end: recusal, aggregation, rater model, reliability,
uncertainty and the serialised result."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pytest

from scoring.aggregate import robust_location, total_weights
from scoring.engine import TABLE_COLUMNS, complete_block, run_round
from scoring.raters import additive_effects
from scoring.recusal import RecusalRules, Relationship
from scoring.reliability import icc, kendall_w, krippendorff_alpha
from scoring.types import RaterInfo, Score, ScoringInputError, Settings, UnitInfo

from .conftest import make_round, one_area_framework, with_settings

TOL = 1e-9


def without_recused(rnd):
    return tuple(s for s in rnd.scores if rnd.raters[s.rater].home_unit != s.unit)


def strip(d: dict, *keys) -> dict:
    return {k: v for k, v in d.items() if k not in keys}


def test_run_round_seeds_round_has_every_unit_and_rater(seeds_round):
    res = run_round(**seeds_round.kwargs())
    assert res.units == tuple(f"u{i:02d}" for i in range(1, 10))
    assert res.raters == tuple(f"r{i:02d}" for i in range(1, 28))
    assert res.panels[:4] == ("P1", "P2", "P3", "P4")
    assert res.aggregate.totals.shape == (9,)
    assert np.isfinite(res.aggregate.totals).all()


def test_recusal_counts_rows_and_cards_per_reason(seeds_round):
    # raters r01-r04 belong to u01-u04: 4 cards of 40 criteria are forbidden
    res = run_round(**seeds_round.kwargs())
    assert (res.recusal.excluded_rows, res.recusal.excluded_cards) == (160, 4)
    assert [(c.code, c.rows, c.cards) for c in res.recusal.by_reason] == [("own_unit", 160, 4)]


def test_recusal_counts_a_pair_under_each_of_its_reasons(small_round):
    # r01 belongs to u01 (own unit) and declares a conflict with u01 and u02
    rules = RecusalRules(declared=frozenset({Relationship("r01", "u01"), Relationship("r01", "u02")}))
    res = run_round(**{**small_round.kwargs(), "rules": rules})
    got = {c.code: (c.rows, c.cards) for c in res.recusal.by_reason}
    assert got == {"own_unit": (4, 2), "declared": (4, 2)}  # 2 criteria per card
    assert (res.recusal.excluded_rows, res.recusal.excluded_cards) == (6, 3)


def test_recused_scores_leave_results_as_if_never_submitted(seeds_round):
    with_forbidden = run_round(**seeds_round.kwargs()).to_dict()
    clean = run_round(**{**seeds_round.kwargs(), "scores": without_recused(seeds_round)}).to_dict()
    assert strip(with_forbidden, "recusal") == strip(clean, "recusal")
    assert clean["recusal"]["excluded_rows"] == 0


def test_default_rules_forbid_own_unit(seeds_round):
    res = run_round(**{**seeds_round.kwargs(), "rules": None})
    assert res.recusal.excluded_cards == 4


def test_totals_equal_hand_aggregation_of_kept_scores(seeds_round):
    # u01 without r01 (own unit): 26 raters per criterion, trimmed mean k=1
    res = run_round(**seeds_round.kwargs())
    kept = [s for s in without_recused(seeds_round) if s.unit == "u01"]
    coef = total_weights(seeds_round.framework).coefficients
    expected = 0.0
    for c, crit in enumerate(seeds_round.framework.criteria()):
        pts = [s.points for s in kept if s.criterion == crit.code]
        assert len(pts) == 26
        expected += coef[c] * robust_location(pts, "trimmed", 1)[0]
    assert res.aggregate.totals[0] == pytest.approx(expected, abs=TOL)
    assert res.aggregate.n_raters[0].tolist() == [26] * 40


def test_unit_whose_every_card_is_recused_has_no_total_and_says_why(small_round):
    # u01 is scored only by r01, who belongs to u01
    scores = tuple(s for s in small_round.scores if s.unit != "u01" or s.rater == "r01")
    res = run_round(**{**small_round.kwargs(), "scores": scores})
    assert res.units[0] == "u01"
    assert math.isnan(res.aggregate.totals[0]) and math.isnan(res.ranks[0])
    row = res.to_dict()["unit_results"][0]
    assert (row["total"], row["rank"], row["note"]) == (None, None, "every scorecard for this unit was excluded by recusal")
    assert sorted(res.ranks[1:].tolist()) == [1.0, 2.0, 3.0]


def test_rater_model_names_units_and_raters_by_id(small_round):
    # u01 is scored only by r01, who belongs to u01: the rater model sees no card for u01
    scores = tuple(s for s in small_round.scores if s.unit != "u01" or s.rater == "r01")
    res = run_round(**{**small_round.kwargs(), "scores": scores})
    assert (res.effects.unit_ids, res.effects.rater_ids) == (res.units, res.raters)
    assert "units [u01] have no scores" in res.effects_note
    assert [row["explanation"].split(":")[0] for row in res.tables()["raters"]] == [f"rater {r}" for r in res.raters]


def test_round_with_one_rater_after_recusal_raises_naming_the_rater():
    fw = one_area_framework(10.0, 1)
    raters = {"r1": RaterInfo("r1"), "r2": RaterInfo("r2", home_unit="u1")}
    units = {"u1": UnitInfo("u1"), "u2": UnitInfo("u2")}
    scores = [Score("u1", "r1", "c1", 5.0), Score("u2", "r1", "c1", 6.0), Score("u1", "r2", "c1", 7.0)]
    with pytest.raises(ScoringInputError, match=r"the round has 1 rater\(s\) with scores after recusal \(r1\)"):
        run_round(fw, scores, raters, units, Settings())


def test_bad_score_row_raises_before_recusal_naming_the_row(seeds_round):
    # row 5 belongs to a forbidden pair (u01, r01): it must still be a valid row
    scores = list(seeds_round.scores)
    assert scores[5].unit == "u01" and scores[5].rater == "r01"
    scores[5] = replace(scores[5], points=99.0)
    with pytest.raises(ScoringInputError, match=r"^row 5: unit 'u01', rater 'r01', criterion 'self_building.2': points 99 are above the maximum 2"):
        run_round(**{**seeds_round.kwargs(), "scores": scores})


def test_unknown_rater_raises_naming_the_row(small_round):
    scores = list(small_round.scores) + [Score("u01", "ghost", "c1", 1.0)]
    with pytest.raises(ScoringInputError, match=rf"^row {len(scores) - 1}: .*rater 'ghost' is not in the rater list"):
        run_round(**{**small_round.kwargs(), "scores": scores})


def test_raters_and_units_as_sequences_give_the_same_result(small_round):
    a = run_round(**small_round.kwargs()).to_dict()
    b = run_round(**{**small_round.kwargs(), "raters": list(small_round.raters.values()), "units": tuple(small_round.units.values())}).to_dict()
    assert a == b


def test_duplicate_rater_in_sequence_raises(small_round):
    raters = list(small_round.raters.values())
    with pytest.raises(ScoringInputError, match="rater id 'r01' is listed twice"):
        run_round(**{**small_round.kwargs(), "raters": raters + raters[:1]})


def test_tied_totals_share_the_smallest_rank():
    fw = one_area_framework(10.0, 1)
    units = {u: UnitInfo(u) for u in ("a", "b", "c")}
    raters = {f"r{i}": RaterInfo(f"r{i}") for i in range(3)}
    points = {"a": 8.0, "b": 8.0, "c": 5.0}
    scores = [Score(u, r, "c1", p + 0.5 * i) for i, r in enumerate(raters) for u, p in points.items()]
    res = run_round(fw, scores, raters, units, Settings(bootstrap=20))
    assert res.ranks.tolist() == [1.0, 1.0, 3.0]


def test_small_panels_fall_back_and_report_every_cell(small_round):
    # u01 and u02 lose their own rater: 6 raters, k=1 leaves 4 < min_raters 5 -> median;
    # u03 and u04 keep 7 raters: 5 remain -> trimmed mean
    res = run_round(**with_settings(small_round, min_raters=5).kwargs())
    d = res.to_dict()
    cells = [(f["unit"], f["criterion"], f["n_raters"], f["applied"]) for f in d["aggregation"]["fallback_cells"]]
    assert cells == [("u01", "c1", 6, "median"), ("u01", "c2", 6, "median"), ("u02", "c1", 6, "median"), ("u02", "c2", 6, "median")]
    assert res.aggregate.applied.tolist() == [["median"] * 2] * 2 + [["trimmed"] * 2] * 2
    assert d["aggregation"]["rule"] == (
        "trimmed mean, 1 rater(s) at each end; median where fewer than 5 raters left after trimming; missing criteria: rescale"
    )


def test_lenient_rater_is_flagged_and_has_largest_severity(seeds_round):
    # r10 gives half a point more on every criterion (capped at the maximum)
    maxima = {c.code: c.max_points for c in seeds_round.framework.criteria()}
    scores = tuple(
        replace(s, points=min(maxima[s.criterion], s.points + 0.5)) if s.rater == "r10" and s.points is not None else s
        for s in seeds_round.scores
    )
    res = run_round(**{**seeds_round.kwargs(), "scores": scores})
    r10 = res.raters.index("r10")
    assert "lenient" in res.flags[r10].kinds
    assert int(np.nanargmax(res.effects.rater_effects)) == r10
    row = res.to_dict()["rater_results"][r10]
    assert row["explanation"].startswith("rater r10:")


def test_fair_scores_and_rater_effects_come_from_card_totals(seeds_round):
    res = run_round(**seeds_round.kwargs())
    fit = additive_effects(res.card_totals)
    assert res.effects.adjusted == pytest.approx(fit.adjusted, abs=TOL)
    assert [r["fair_score"] for r in res.to_dict()["unit_results"]] == pytest.approx(fit.adjusted.tolist(), abs=TOL)


def test_reliability_uses_complete_block_per_panel(seeds_round):
    # P1 = r01, r05, ..., r25; r01 may not score u01, so u01 leaves P1's block
    res = run_round(**seeds_round.kwargs())
    p1 = res.reliability.panels[0]
    assert p1.panel == "P1"
    assert p1.raters == ("r01", "r05", "r09", "r13", "r17", "r21", "r25")
    assert p1.units == tuple(f"u{i:02d}" for i in range(2, 10))
    cols = [res.raters.index(r) for r in p1.raters]
    block = res.card_totals[np.ix_(range(1, 9), cols)]
    assert p1.icc_average.value == pytest.approx(icc(block, "ICC2k").value, abs=TOL)
    assert p1.icc_single.ci == pytest.approx(icc(block, "ICC2").ci, abs=TOL)
    assert p1.kendall.value == pytest.approx(kendall_w(block.T).value, abs=TOL)
    assert res.reliability.alpha.value == pytest.approx(krippendorff_alpha(res.card_totals.T, "interval").value, abs=TOL)


def test_complete_block_drops_the_line_that_loses_fewest_values():
    nan = np.nan
    # column 2 misses two cells (loses 1 value if dropped); rows 0 and 1 would lose 2 each
    x = np.array([[1.0, 2.0, nan], [3.0, 4.0, nan], [5.0, 6.0, 7.0]])
    assert complete_block(x) == ([0, 1, 2], [0, 1])


def test_no_bootstrap_when_settings_say_zero(small_round):
    res = run_round(**with_settings(small_round, bootstrap=0).kwargs())
    assert res.uncertainty is None
    assert res.uncertainty_note == "settings.bootstrap is 0: no bootstrap was run"
    assert "outrank" not in res.tables()
    assert res.to_dict()["uncertainty"] is None


def test_to_dict_is_strict_json_and_tables_follow_columns(seeds_round):
    res = run_round(**seeds_round.kwargs())
    text = json.dumps(res.to_dict(), allow_nan=False)
    assert json.loads(text)["settings"]["method"] == "trimmed"
    tables = res.tables()
    assert set(tables) == set(TABLE_COLUMNS)
    for name, rows in tables.items():
        for row in rows:
            assert tuple(row) == TABLE_COLUMNS[name], name
    sizes = {name: len(rows) for name, rows in tables.items()}
    assert sizes["units"] == 9 and sizes["areas"] == 90 and sizes["criteria"] == 360
    assert sizes["rank_probabilities"] == 81 and sizes["outrank"] == 72 and sizes["cards"] == 9 * 27 - 4
    assert sizes["recusal"] == 1 and sizes["groups"] == 9


def test_bootstrap_probabilities_are_consistent(seeds_round):
    res = run_round(**seeds_round.kwargs())
    boot = res.uncertainty
    assert boot.rank_probabilities.sum(axis=1) == pytest.approx(np.ones(9), abs=TOL)
    off = ~np.eye(9, dtype=bool)
    assert (boot.outrank + boot.outrank.T)[off] == pytest.approx(np.ones(72), abs=TOL)
    assert (boot.ci_low <= res.aggregate.totals + TOL).all() and (res.aggregate.totals <= boot.ci_high + TOL).all()
    assert sorted(u for g in boot.groups for u in g) == list(res.units)


def test_missing_policy_is_echoed_with_card_notes():
    rnd = make_round(seed=5, n_units=3, n_raters=6, n_panels=2, missing_rate=0.05, settings=Settings(bootstrap=20, missing_policy="zero"))
    d = run_round(**rnd.kwargs()).to_dict()
    missing = d["aggregation"]["missing"]
    assert missing["policy"] == "zero"
    assert missing["n_changed"] == len(missing["cards"]) > 0
    assert {c["action"] for c in missing["cards"]} == {"zero"}
