"""The needs analysis service: figures against independent computations, filters, small-cell protection.

The data (``tests/survey/analysis_builders.py``) is 100 hand-laid respondents
stored through the bulk import (and, in one test, through the submission
path). Expected values are computed here from the respondents' answers with
plain Python and scipy's own functions, never with the code under test.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections import Counter
from datetime import timedelta

import numpy as np
import pytest
from scipy import stats

from scoring.survey import hidden_ranges
from survey.services.answer_columns import MatrixFilter
from survey.services.errors import DomainError
from survey.services.needs_analysis import FilterRefused, analyse
from survey.services.needs_analysis_model import as_dict
from survey.services.needs_analysis_protect import suppress_two_columns
from tests.survey.analysis_builders import FIRST_DAY, load_analysis_data


def wilson(k: int, n: int) -> tuple[float, float]:
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    return ci.low, ci.high


@pytest.fixture
def data(app):
    # English messages: the assertions below read them.
    with app.app_context(), app.test_request_context(headers={"Cookie": "kaimen_lang=en"}):
        yield load_analysis_data()


def run(questionnaire, **kwargs):
    return analyse(questionnaire=questionnaire, locale="en", **kwargs)


# --------------------------------------------------------------------------- per question


def test_single_choice_counts_shares_and_wilson_intervals(data):
    questionnaire, people, _w, _s = data
    result = run(questionnaire).question("age_band")
    counts = Counter(p.age for p in people)
    assert result.respondents == 100
    for option in result.options:
        k = counts[option.option_id]
        assert option.count == k
        assert option.share == pytest.approx(k / 100)
        assert (option.low, option.high) == pytest.approx(wilson(k, 100))
    assert [o.code for o in result.options] == [1, 2, 3]


def test_multiple_choice_shares_of_respondents_and_of_mentions(data):
    questionnaire, people, _w, _s = data
    result = run(questionnaire).question("needs")
    ticks = Counter()
    for p in people:
        for item in p.answers["needs"]:
            ticks[item["option"] if isinstance(item, dict) else item] += 1
    mentions = sum(ticks.values())
    assert result.multiple and result.respondents == 100
    by_id = {o.option_id: o for o in result.options}
    for option_id, k in ticks.items():
        option = by_id[option_id]
        assert option.count == k
        assert option.share == pytest.approx(k / 100)
        assert (option.low, option.high) == pytest.approx(wilson(k, 100))
        assert option.mention_share == pytest.approx(k / mentions)
    assert sum(o.mention_share for o in result.options) == pytest.approx(1.0)
    assert by_id["other"].is_other


def test_ranking_mean_rank_share_first_and_borda(data):
    questionnaire, people, _w, _s = data
    result = run(questionnaire).question("top")
    assert result.top_n == 2
    for item in result.ranking:
        ranks = [p.answers["top"].index(item.option_id) + 1 for p in people if item.option_id in p.answers["top"]]
        firsts = sum(1 for p in people if p.answers["top"][0] == item.option_id)
        borda = sum(3 - r for r in ranks) / 100
        assert item.n_ranked == len(ranks)
        assert item.first_count == firsts
        assert item.first_share == pytest.approx(firsts / 100)
        assert (item.first_low, item.first_high) == pytest.approx(wilson(firsts, 100))
        assert item.mean_rank == pytest.approx(np.mean(ranks))
        half = stats.t.ppf(0.975, len(ranks) - 1) * np.std(ranks, ddof=1) / math.sqrt(len(ranks))
        assert (item.mean_rank_low, item.mean_rank_high) == pytest.approx((np.mean(ranks) - half, np.mean(ranks) + half))
        points = [3 - (p.answers["top"].index(item.option_id) + 1) if item.option_id in p.answers["top"] else 0
                  for p in people]
        assert item.borda == pytest.approx(borda) == pytest.approx(np.mean(points))
        borda_half = 1.959963984540054 * np.std(points, ddof=1) / 10
        assert (item.borda_low, item.borda_high) == pytest.approx((borda - borda_half, borda + borda_half))
    places = [i.place for i in result.ranking]
    assert places == sorted(places) and places[0] == 1
    assert [i.borda for i in result.ranking] == sorted((i.borda for i in result.ranking), reverse=True)


def test_rating_mean_median_and_distribution(data):
    questionnaire, people, _w, _s = data
    result = run(questionnaire).question("sat")
    item = result.scale_items[0]
    values = np.array([p.answers["sat"] for p in people], dtype=float)
    counts = [int((values == v).sum()) for v in range(1, 6)]
    assert [p.label for p in result.scale_points] == ["1 Very dissatisfied", "2", "3", "4", "5 Very satisfied"]
    assert list(item.counts) == counts and item.respondents == 100
    for j, k in enumerate(counts):
        assert item.shares[j] == pytest.approx(k / 100)
        assert (item.lows[j], item.highs[j]) == pytest.approx(wilson(k, 100))
    assert item.mean == pytest.approx(values.mean())
    low, high = stats.t.interval(0.95, 99, loc=values.mean(), scale=stats.sem(values))
    assert (item.mean_low, item.mean_high) == pytest.approx((low, high))
    assert item.median == np.median(values)
    ci = stats.quantile_test(values, p=0.5, q=np.median(values)).confidence_interval(0.95)
    assert (item.median_low, item.median_high) == (ci.low, ci.high)
    assert item.top_share == pytest.approx((values >= 4).mean())


def test_matrix_rows_and_cronbach_alpha(data):
    questionnaire, people, _w, _s = data
    result = run(questionnaire).question("imp")
    x = np.array([[p.answers["imp"][r] for r in ("r1", "r2", "r3")] for p in people], dtype=float)
    assert [i.item_id for i in result.scale_items] == ["r1", "r2", "r3"]
    for j, item in enumerate(result.scale_items):
        if item.mean is not None:
            assert item.mean == pytest.approx(x[:, j].mean())
    k = x.shape[1]
    alpha = k / (k - 1) * (1 - x.var(axis=0, ddof=1).sum() / x.sum(axis=1).var(ddof=1))
    assert result.reliability.alpha == pytest.approx(alpha)
    assert result.reliability.n_cases == 100 and result.reliability.n_items == 3


def test_number_summary_hides_extremes_held_by_fewer_than_k(data):
    questionnaire, people, _w, _s = data
    result = run(questionnaire).question("hours")
    hours = np.array([p.answers["hours"] for p in people], dtype=float)
    number = result.number
    assert number.respondents == 100
    assert number.mean == pytest.approx(hours.mean())
    assert (number.q1, number.median, number.q3) == pytest.approx(tuple(np.quantile(hours, [0.25, 0.5, 0.75])))
    assert number.minimum == 0  # many answered 0
    expected_max = hours.max() if (hours == hours.max()).sum() >= 5 else None
    assert number.maximum == expected_max
    assert sum(o.count for o in result.options if o.count is not None) <= 100


def test_free_text_is_listed_only_from_k_text_writers(data):
    questionnaire, people, _w, _s = data
    analysis = run(questionnaire)
    needs = analysis.question("needs")
    (other,) = needs.other_texts
    written = sorted(item["other"] for p in people for item in p.answers["needs"] if isinstance(item, dict))
    assert other.count == 12 and not other.withheld and list(other.texts) == written
    comments = analysis.question("comment")
    assert comments.text_count == 9 and comments.texts == () and comments.texts_withheld
    assert run(questionnaire, k_text=13).question("needs").other_texts[0].texts == ()


def test_importance_performance_pairs_the_matrices_over_the_same_rows(data):
    questionnaire, people, _w, _s = data
    (ipa,) = run(questionnaire).importance_performance
    imp = {r: np.mean([p.answers["imp"][r] for p in people]) for r in ("r1", "r2", "r3")}
    perf = {r: np.mean([p.answers["perf"][r] for p in people]) for r in ("r1", "r2", "r3")}
    shown = [i for i in ipa.items if i.importance is not None and i.performance is not None]
    i_cross = np.mean([imp[r] for r in ("r1", "r2", "r3") if any(i.label.endswith(r) for i in shown)])
    for item in shown:
        row = item.label.rsplit(" ", 1)[-1]
        assert item.importance == pytest.approx(imp[row]) and item.performance == pytest.approx(perf[row])
        high_i = imp[row] >= ipa.importance_cross
        high_p = perf[row] >= ipa.performance_cross
        expected = {(True, False): "concentrate here", (True, True): "keep up the good work",
                    (False, False): "low priority", (False, True): "possible overkill"}[(high_i, high_p)]
        assert item.quadrant.value == expected
    assert ipa.importance_cross == pytest.approx(i_cross)


# --------------------------------------------------------------------------- needs priority


def test_needs_priority_ranks_the_need_items_with_intervals(data):
    questionnaire, people, _w, _s = data
    analysis = run(questionnaire)
    # The rule: "needs" has a "none of these" option; "top" ranks other options; "channel" is neither.
    assert analysis.need_questions == ("needs", "top")
    items = analysis.priority.items
    assert {(i.question_id, i.option_id) for i in items} == {
        ("needs", "legal"), ("needs", "training"), ("needs", "aid"), ("top", "a"), ("top", "b"), ("top", "c"),
        ("top", "d")}  # "none" and "other" are not needs
    for item in items:
        if item.question_id == "needs":
            k = sum(1 for p in people if item.option_id in p.answers["needs"])
        else:
            k = sum(1 for p in people if item.option_id in p.answers["top"])
        assert (item.count, item.n) == (k, 100)
        assert item.share == pytest.approx(k / 100)
        assert (item.low, item.high) == pytest.approx(wilson(k, 100))
    shares = [i.share for i in items]
    assert shares == sorted(shares, reverse=True)
    assert [i.place for i in items] == list(range(1, len(items) + 1))
    # Neighbours: McNemar mid-p on the discordant pairs, Holm-adjusted (checked by hand here).
    chose = np.array([[i.option_id in (p.answers["needs"] if i.question_id == "needs" else p.answers["top"])
                       for i in items] for p in people])
    raw = []
    for a, b in zip(range(len(items) - 1), range(1, len(items))):
        only_a = int((chose[:, a] & ~chose[:, b]).sum())
        only_b = int((~chose[:, a] & chose[:, b]).sum())
        m = only_a + only_b
        if m == 0:
            raw.append(1.0)
            continue
        small = min(only_a, only_b)
        raw.append(min(1.0, 2 * stats.binom.cdf(small, m, 0.5) - stats.binom.pmf(small, m, 0.5)))
    order = np.argsort(raw)
    adjusted = np.empty(len(raw))
    running = 0.0
    for rank, idx in enumerate(order):
        running = max(running, min(1.0, (len(raw) - rank) * raw[idx]))
        adjusted[idx] = running
    assert [i.tied_with_next for i in items[:-1]] == [bool(p >= 0.05) for p in adjusted]
    assert not items[-1].tied_with_next
    # Per question, and chosen by staff.
    assert [r.question_ids for r in analysis.priorities] == [("needs",), ("top",), ("channel",)]
    chosen = run(questionnaire, need_questions=["channel"]).priority
    assert chosen.question_ids == ("channel",)
    with pytest.raises(DomainError):
        run(questionnaire, need_questions=["housing"])


# --------------------------------------------------------------------------- breakdowns


def test_breakdown_of_a_single_choice_matches_scipy(data):
    questionnaire, people, _w, _s = data
    breakdown = run(questionnaire, breakdown="age_band").breakdown
    table = next(t for t in breakdown.tables if t.question_id == "housing")
    observed = np.array([[sum(1 for p in people if p.age == age and p.answers["housing"] == h)
                          for h in ("own", "rent", "family")] for age in ("young", "mid", "old")])
    chi2, p, dof, expected = stats.chi2_contingency(observed, correction=False)
    assert table.test.name == "chi-square" and not table.test.pooled_groups
    assert table.test.statistic == pytest.approx(chi2)
    assert table.test.p == pytest.approx(p)
    assert table.test.df == dof
    assert table.test.effect == pytest.approx(math.sqrt(chi2 / (observed.sum() * 2)))
    assert table.significant == (p < 0.05)
    n = observed.sum()
    rows, cols = observed.sum(axis=1), observed.sum(axis=0)
    for g in range(3):
        assert table.groups[g].size == rows[g]
        for c in range(3):
            cell = table.cells[c][g]
            residual = (observed[g, c] - expected[g, c]) / math.sqrt(
                expected[g, c] * (1 - rows[g] / n) * (1 - cols[c] / n))
            assert cell.count == observed[g, c]
            assert cell.share == pytest.approx(observed[g, c] / rows[g])
            assert cell.residual == pytest.approx(residual)
            assert cell.mark == (1 if residual > 1.96 else -1 if residual < -1.96 else 0)
    assert table.groups[3].label == "Not stated" and table.groups[3].size == 0


def test_breakdown_of_a_rating_uses_kruskal_wallis_like_scipy(data):
    questionnaire, people, _w, _s = data
    breakdown = run(questionnaire, breakdown="age_band").breakdown
    table = next(t for t in breakdown.tables if t.question_id == "sat")
    groups = [[p.answers["sat"] for p in people if p.age == age] for age in ("young", "mid", "old")]
    h, p = stats.kruskal(*groups)
    assert table.test.name == "Kruskal-Wallis"
    assert table.test.statistic == pytest.approx(h)
    assert table.test.p == pytest.approx(p)
    assert table.test.effect == pytest.approx(h / (100 - 1))
    for g, values in enumerate(groups):
        assert table.group_means[g].mean == pytest.approx(np.mean(values))
        assert table.group_means[g].median == np.median(values)


def test_breakdown_of_a_number_uses_kruskal_wallis_like_scipy(data):
    questionnaire, people, _w, _s = data
    table = next(t for t in run(questionnaire, breakdown="age_band").breakdown.tables if t.question_id == "hours")
    groups = [[p.answers["hours"] for p in people if p.age == age] for age in ("young", "mid", "old")]
    h, p = stats.kruskal(*groups)
    assert table.kind == "number" and table.test.statistic == pytest.approx(h) and table.test.p == pytest.approx(p)
    for g, values in enumerate(groups):
        assert table.group_means[g].mean == pytest.approx(np.mean(values))
        assert table.group_means[g].median == np.median(values)


def test_breakdown_of_a_multiple_choice_tests_each_option(data):
    questionnaire, people, _w, _s = data
    table = next(t for t in run(questionnaire, breakdown="age_band").breakdown.tables if t.question_id == "channel")
    assert table.kind == "multiple" and len(table.option_tests) == 2
    raw = []
    for j, option in enumerate(("web", "phone")):
        observed = np.array([[sum(1 for p in people if p.age == age and option in p.answers["channel"]),
                              sum(1 for p in people if p.age == age and option not in p.answers["channel"])]
                             for age in ("young", "mid", "old")])
        chi2, p, _dof, _e = stats.chi2_contingency(observed, correction=False)
        raw.append(p)
        assert table.option_tests[j].statistic == pytest.approx(chi2)
        for g in range(3):
            assert table.cells[j][g].count == observed[g, 0]
    holm = sorted(raw)
    assert min(t.p for t in table.option_tests) == pytest.approx(min(1.0, 2 * holm[0]))


def _true_table(people, question, options, groups, key):
    return np.array([[sum(1 for p in people if key(p) == g and p.answers[question] == o) for o in options]
                     for g in groups])


def test_a_group_under_k_shows_no_figure_and_nothing_recovers_it(data):
    questionnaire, people, _w, _s = data
    analysis = run(questionnaire, breakdown="gender")
    # One-way: "another gender" (3) is hidden, and with it the smallest other group so that the total
    # minus the shown count is not 3.
    gender = analysis.question("gender")
    assert [o.count for o in gender.options] == [55, None, None]
    assert all(o.share is None and o.low is None for o in gender.options[1:])
    breakdown = analysis.breakdown
    x = next(i for i, g in enumerate(breakdown.groups) if g.label == "Another gender")
    assert breakdown.groups[x].size is None
    for table in breakdown.tables:
        assert table.groups[x].size is None
        for row in table.cells:
            assert row[x].count is None and row[x].share is None and row[x].residual is None
        if table.group_means:
            assert table.group_means[x] is None
    # Audit: what an outsider can deduce from every shown figure of the housing table (cells, group
    # sizes, the one-way counts) leaves each hidden entry at least two possible values.
    housing = next(t for t in breakdown.tables if t.question_id == "housing")
    true = _true_table(people, "housing", ("own", "rent", "family"), ("m", "f", "x"), lambda p: p.gender)
    mask = np.zeros((4, 4), dtype=bool)
    for g in range(3):
        mask[g, 3] = housing.groups[g].size is None
        for c in range(3):
            mask[g, c] = housing.cells[c][g].count is None
    one_way = analysis.question("housing")
    mask[3, :3] = [o.count is None for o in one_way.options]
    low, high = hidden_ranges(true, mask)
    assert mask[2].all()  # the small group's whole row
    for i, j in np.argwhere(mask):
        assert low[i, j] < high[i, j], (i, j)
    # The same for each option of a multiple choice (chose it / did not, by group).
    needs = next(t for t in breakdown.tables if t.question_id == "needs")
    for c, option in enumerate(("legal", "training", "aid", "none")):
        ticked = [sum(1 for p in people if p.gender == g and option in p.answers["needs"]) for g in "mfx"]
        sizes = [sum(1 for p in people if p.gender == g) for g in "mfx"]
        true = np.array([[t, s - t] for t, s in zip(ticked, sizes)])
        option_mask = np.zeros((4, 3), dtype=bool)
        for g in range(3):
            option_mask[g, :2] = needs.cells[c][g].count is None
            option_mask[g, 2] = needs.groups[g].size is None
        option_mask[3, :2] = analysis.question("needs").options[c].count is None
        low, high = hidden_ranges(true, option_mask)
        for i, j in np.argwhere(option_mask):
            if true[i].sum() and true[:, min(j, 1)].sum():
                assert low[i, j] < high[i, j], (option, i, j)
    # Tests run on the published table: the hidden groups pooled.
    sat = next(t for t in breakdown.tables if t.question_id == "sat")
    assert "Another gender" in sat.test.pooled_groups or sat.test.statistic is None


def test_two_column_protection_survives_the_exact_audit():
    rng = np.random.default_rng(3)
    for _ in range(60):
        groups = int(rng.integers(2, 12))
        sizes = rng.integers(0, 40, groups)
        ticked = np.array([rng.integers(0, s + 1) for s in sizes])
        table = np.column_stack([ticked, sizes - ticked])
        column_hidden = bool(0 < ticked.sum() < 5 or 0 < (sizes - ticked).sum() < 5)
        preset = rng.random(groups) < 0.1
        supp = suppress_two_columns(table, 5, preset, column_hidden)
        mask = supp.augmented
        mask[-1, :2] |= column_hidden
        if not mask[:-1, :-1].any():
            continue
        low, high = hidden_ranges(table, mask)
        for i, j in np.argwhere(mask[:-1, :-1]):
            if table[i].sum() and table[:, j].sum() and table.sum(axis=0).min() > 0:
                assert low[i, j] < high[i, j], (table.tolist(), i, j)
        for i in range(groups):  # a group of 1..4 shows nothing
            if 0 < sizes[i] < 5:
                assert supp.cells[i].all() and supp.row_totals[i]


def test_small_groups_stay_hidden_in_json_and_csv(app, data, make_user, login, client):
    questionnaire, _people, _w, _s = data
    from survey.extensions import db

    base = f"/staff/questionnaires/{questionnaire.id}"
    db.session.commit()
    make_user("staff", username="analyst")
    client.set_cookie("kaimen_lang", "en")
    login("analyst")
    payload = json.loads(client.get(f"{base}/analysis.json?by=gender").data)
    groups = payload["breakdown"]["groups"]
    x = next(i for i, g in enumerate(groups) if g["label"] == "Another gender")
    for table in payload["breakdown"]["tables"]:
        assert table["groups"][x]["size"] is None
        assert all(row[x]["count"] is None and row[x]["share"] is None for row in table["cells"])
    text = client.get(f"{base}/analysis.csv?by=gender").data.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    small = [r for r in rows if r["part"] == "breakdown" and r["group"] == "Another gender"]
    assert small and all(r["value"] == "" for r in small)
    assert not any(r["value"].startswith("=") for r in rows)  # the formula-looking "other" text is neutralised
    page = client.get(f"{base}/analysis?by=gender").get_data(as_text=True)
    for segment in page.split('<th scope="row">Another gender</th>')[1:]:
        row = segment.split("</tr>", 1)[0]
        assert "%" not in row and all(ch not in row for ch in "0123456789"), row


# --------------------------------------------------------------------------- filters and the guard


def test_filters_by_answer_day_unit_and_version(data):
    questionnaire, people, world, sds = data
    f = run(questionnaire, filters=MatrixFilter(answers={"gender": ["f"]}))
    assert f.n == 42 and f.filters[0].label == "Gender" and f.filters[0].value == "Female"
    day3 = FIRST_DAY + timedelta(days=2)
    early = run(questionnaire, filters=MatrixFilter(date_to=day3))
    assert early.n == 36 and early.last_day == day3
    unit = run(questionnaire, filters=MatrixFilter(unit_ids=(world["A"].id,)))
    assert unit.n == 50 and unit.thresholds.k_view == 10
    sd = run(questionnaire, filters=MatrixFilter(sub_district_ids=(sds["SCH"].id,)))
    assert sd.n == 72
    expected = Counter(p.answers["housing"] for p in people if p.unit in "AB")
    assert {o.option_id: o.count for o in sd.question("housing").options} == dict(expected)
    assert run(questionnaire, filters=MatrixFilter(versions=(1,))).n == 100


def test_the_differencing_guard_refuses_and_says_why(data):
    questionnaire, _people, world, _s = data
    # Young and male or female: compared with "young" alone it leaves out the 2 young "another gender".
    with pytest.raises(FilterRefused) as refused:
        run(questionnaire, filters=MatrixFilter(answers={"age_band": ["young"], "gender": ["m", "f"]}))
    assert "single out 1 respondents" in refused.value.message and "at least 5" in refused.value.message
    with pytest.raises(FilterRefused) as refused:
        run(questionnaire, filters=MatrixFilter(answers={"gender": ["x"]}))
    assert "only 3 responses" in refused.value.message
    # Days 1-4: fine alone, but the next day with responses (day 5) adds only 3.
    with pytest.raises(FilterRefused) as refused:
        run(questionnaire, filters=MatrixFilter(date_from=FIRST_DAY, date_to=FIRST_DAY + timedelta(days=3),
                                                answers={"housing": ["own", "rent", "family"]}))
    assert "date range" in refused.value.message and "only 3" in refused.value.message
    assert run(questionnaire, filters=MatrixFilter(date_to=FIRST_DAY + timedelta(days=4))).n == 51
    # A unit is a per-enterprise view: k = 10.
    with pytest.raises(FilterRefused) as refused:
        run(questionnaire, filters=MatrixFilter(unit_ids=(world["C"].id,)))
    assert "only 8 responses" in refused.value.message and "at least 10" in refused.value.message


def test_configured_thresholds_apply(app, data):
    questionnaire, _people, _w, _s = data
    app.config["SMALL_CELL_K"] = 60
    try:
        analysis = run(questionnaire)
    finally:
        app.config.pop("SMALL_CELL_K")
    assert analysis.thresholds.k == 60 and analysis.thresholds.k_enterprise == 60
    assert analysis.question("age_band").options[0].count is None  # 30 < 60


# --------------------------------------------------------------------------- participation


def test_participation_by_unit_and_sub_district(data):
    questionnaire, _people, world, _s = data
    participation = run(questionnaire).participation
    by_code = {r.code: r for r in participation.units}
    a, b = by_code[world["A"].code], by_code[world["B"].code]
    assert (a.responses, a.members, a.rate) == (50, 200, 0.25)
    assert (b.responses, b.rate) == (22, 22 / 40)
    # C has 8 (< 10 for a unit): hidden, and its sub-district's total with it (it is C's count), and one
    # more sub-district so that the total minus the shown ones does not give 8.
    assert by_code[world["C"].code].responses is None and by_code[world["C"].code].rate is None
    sds = {r.code: r for r in participation.sub_districts}
    assert sds["SCH"].responses == 72
    hidden = [r for r in participation.sub_districts if r.responses is None]
    assert len(hidden) == 2 and by_code[world["D"].code].responses is None
    assert participation.total.responses == 100 and participation.total.members == 350


def test_breakdowns_by_unit_and_sub_district_share_the_participation_protection(data):
    questionnaire, _people, world, _s = data
    by_unit = run(questionnaire, breakdown="_unit").breakdown
    assert by_unit.k == 10
    sizes = {g.key: g.size for g in by_unit.groups}
    assert sizes[world["A"].code] == 50 and sizes[world["C"].code] is None and sizes[world["D"].code] is None
    for table in by_unit.tables:
        for g, group in enumerate(table.groups):
            if group.key == world["C"].code:
                assert all(row[g].count is None for row in table.cells)
    by_sd = run(questionnaire, breakdown="_sub_district").breakdown
    assert {g.key: g.size for g in by_sd.groups}["SCH"] == 72


# --------------------------------------------------------------------------- storage paths and output


def test_responses_submitted_through_the_real_path_are_analysed(app):
    from survey.models import QuestionnaireKind
    from survey.services import questionnaires as qs
    from survey.services.responses import submit_whole_response
    from tests.survey.analysis_builders import analysis_spec, respondents

    with app.app_context(), app.test_request_context():
        questionnaire = qs.create_questionnaire(spec=analysis_spec(), kind=QuestionnaireKind.NEEDS)
        qs.publish_questionnaire(questionnaire=questionnaire)
        people = respondents()[:12]
        for i, p in enumerate(people):
            submit_whole_response(questionnaire=questionnaire, client_id=f"client-{i:04d}-abcdefgh", answers=p.answers)
        analysis = run(questionnaire)
        assert analysis.n == 12
        counts = Counter(p.answers["housing"] for p in people)
        shown = {o.option_id: o.count for o in analysis.question("housing").options}
        for option, count in shown.items():
            assert count is None or count == counts[option]
        assert analysis.question("sat").scale_items[0].respondents == 12


def test_the_result_is_plain_json(data):
    questionnaire, _people, _w, _s = data
    payload = as_dict(run(questionnaire, breakdown="age_band"))
    text = json.dumps(payload, allow_nan=False, ensure_ascii=False)
    assert json.loads(text)["n"] == 100
    assert payload["breakdown"]["tables"][0]["significant"] in (True, False)


def test_unknown_breakdown_variables_are_refused(data):
    questionnaire, _people, _w, _s = data
    with pytest.raises(DomainError):
        run(questionnaire, breakdown="housing")  # not a demographic question


def test_a_question_whose_options_are_units_is_a_per_enterprise_view(app):
    from survey.demo_questionnaires import chair_satisfaction_questionnaire
    from survey.demo_responses import demo_units, synthetic_responses
    from survey.models import QuestionnaireKind
    from survey.services import questionnaires as qs
    from survey.services.answer_columns import ImportRecord, bulk_import_responses
    from tests.survey.round_builders import seed_world

    with app.app_context(), app.test_request_context():
        units = seed_world()
        sources = [u for u in demo_units() if u[0].startswith("SCH-E") and u[0] in units]
        questionnaire = qs.create_questionnaire(spec=chair_satisfaction_questionnaire(),
                                                kind=QuestionnaireKind.SATISFACTION)
        qs.publish_questionnaire(questionnaire=questionnaire)
        records = [ImportRecord(r.answers, unit_id=units[r.unit_code].id, submitted_on=r.submitted_on)
                   for r in synthetic_responses(chair_satisfaction_questionnaire(), 120, seed=4, units=sources)]
        bulk_import_responses(questionnaire, records, validate=False)
        analysis = run(questionnaire, breakdown="unit")
        assert analysis.breakdown.k == 10
        counts = Counter(r.answers["unit"] if isinstance(r.answers["unit"], str) else r.answers["unit"]["option"]
                         for r in records)
        for option in analysis.question("unit").options:
            if 0 < counts[option.option_id] < 10:
                assert option.count is None  # a union with fewer than 10 raters shows no count
            if option.count is not None:
                assert option.count == counts[option.option_id] and option.count not in range(1, 10)
        busiest = max((o for o in analysis.question("unit").options if o.count), key=lambda o: o.count)
        filtered = run(questionnaire, filters=MatrixFilter(answers={"unit": [busiest.option_id]}))
        assert filtered.thresholds.k_view == 10
