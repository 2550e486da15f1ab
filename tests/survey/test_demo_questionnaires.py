"""The demo scenario's questionnaires and their synthetic responses (no database needed)."""

from __future__ import annotations

import time
from collections import Counter
from datetime import date

import numpy as np
import pytest
from scipy.stats import chi2_contingency, kruskal

from forms.questionnaire.answers import validate_response
from forms.questionnaire.checks import drop_hidden, publish_problems, visible_questions
from forms.questionnaire.spec import Demographic, Questionnaire, QuestionType
from survey.demo_data import SUB_DISTRICTS
from survey.demo_questionnaires import chair_satisfaction_questionnaire, needs_questionnaire
from survey.demo_responses import PERIOD, SyntheticResponse, demo_units, synthetic_responses
from tests.forms.conftest import make_questionnaire

N = 20_000
ASPECTS = ("work", "life", "services")


@pytest.fixture(scope="module")
def needs() -> Questionnaire:
    return needs_questionnaire()


@pytest.fixture(scope="module")
def units():
    return demo_units()


@pytest.fixture(scope="module")
def responses(needs, units) -> list[SyntheticResponse]:
    return list(synthetic_responses(needs, N, seed=2016, units=units))


def _industry(answers: dict) -> str:
    value = answers["industry"]
    return value if isinstance(value, str) else value["option"]


def _table(groups, outcome) -> np.ndarray:
    """2 x 2 counts: rows are the two groups of answers, columns outcome true / false."""
    return np.array([[sum(map(outcome, g)), sum(not outcome(a) for a in g)] for g in groups])


# --------------------------------------------------------------------------- the questionnaires

@pytest.mark.parametrize("build", [needs_questionnaire, chair_satisfaction_questionnaire])
def test_both_questionnaires_are_ready_to_publish_and_round_trip(build):
    questionnaire = build()
    assert [str(p) for p in publish_problems(questionnaire)] == []
    assert questionnaire.anonymous
    assert Questionnaire.from_dict(questionnaire.to_dict()) == questionnaire


def test_needs_questionnaire_has_25_questions_6_demographic_and_19_in_three_aspects(needs):
    # How they are counted: the 25 include the six demographic questions of the opening page.
    assert needs.title.zh == "西城区职工需求调查问卷"
    assert [s.id for s in needs.sections] == ["profile", *ASPECTS]
    assert len(list(needs.questions())) == 25
    profile = needs.section("profile").questions
    assert [q.demographic for q in profile] == [Demographic.SUB_DISTRICT, Demographic.UNIT_KIND, Demographic.INDUSTRY,
                                                Demographic.AGE_BAND, Demographic.GENDER, Demographic.OTHER]
    assert [len(needs.section(s).questions) for s in ASPECTS] == [5, 6, 8]
    assert all(q.demographic is None for s in ASPECTS for q in needs.section(s).questions)
    assert [o.id for o in needs.question("sub_district").options] == [code for code, _zh, _en in SUB_DISTRICTS]
    for question in needs.questions():
        assert question.title.zh and question.title.en


def test_needs_questionnaire_uses_every_question_type_and_its_settings(needs):
    assert {q.type for q in needs.questions()} == set(QuestionType)
    needs_q, ranking = needs.question("needs"), needs.question("top_services")
    assert needs_q.max_selections == 5 and needs_q.other_option is not None
    assert ranking.rank_top == 3 and [o.id for o in ranking.options] == [o.id for o in needs_q.options[:-1]]
    assert (needs.question("overtime_hours").number_min, needs.question("overtime_hours").number_max) == (0, 80)
    home = needs.question("home_rating")
    assert (home.scale_min, home.scale_max) == (1, 5) and home.scale_min_label and home.scale_max_label
    assert len(needs.question("work_satisfaction").rows) == 6
    channels = {o.id for o in needs.question("channels").options}
    assert {"internet_plus", "wechat"} <= channels


def test_needs_questionnaire_follow_ups_are_shown_only_when_their_condition_holds(needs):
    conditional = [q.id for q in needs.questions() if q.show_if is not None]
    assert conditional == ["overtime_paid", "hardship_kind", "training_topic", "home_why"]

    def shown(answers):
        return set(visible_questions(needs, answers).questions)

    assert "overtime_paid" in shown({"overtime_hours": 11})
    assert "overtime_paid" not in shown({"overtime_hours": 10}) | shown({})
    assert {"hardship_kind", "training_topic"} <= shown({"needs": ["training", "hardship"]})
    assert not {"hardship_kind", "training_topic"} & shown({"needs": ["legal"]})
    assert "home_why" in shown({"home_rating": 2})
    assert "home_why" not in shown({"home_rating": 3}) | shown({})


def test_chair_satisfaction_questionnaire_is_short_ratings_a_unit_and_a_comment():
    chair = chair_satisfaction_questionnaire()
    kinds = Counter(q.type for q in chair.questions())
    assert kinds[QuestionType.RATING] + kinds[QuestionType.MATRIX] == 8
    assert kinds[QuestionType.LONG_TEXT] == 1
    assert [o.id for o in chair.question("unit").options] == ["SCH-E1", "SCH-E2", "SCH-E3", "SCH-E4", "other"]
    assert (chair.question("support").scale_min, chair.question("support").scale_max) == (0, 10)


# --------------------------------------------------------------------------- synthetic responses

def test_twenty_thousand_responses_take_seconds(needs, units):
    started = time.perf_counter()
    count = sum(1 for _ in synthetic_responses(needs, N, units=units))
    elapsed = time.perf_counter() - started
    assert count == N
    assert elapsed < 5.0, f"{N} responses took {elapsed:.1f} s"


def test_a_sample_of_responses_validates_unchanged(needs, responses):
    for response in responses[::40]:  # 500 responses
        cleaned, errors = validate_response(needs, response.answers)
        assert errors == {}, (response, errors)
        assert cleaned == response.answers


def test_responses_are_deterministic_for_a_seed(needs, units):
    first = list(synthetic_responses(needs, 300, seed=7, units=units))
    assert first == list(synthetic_responses(needs, 300, seed=7, units=units))
    assert first != list(synthetic_responses(needs, 300, seed=8, units=units))


def test_responses_carry_a_unit_and_a_day_in_the_survey_period(responses, units):
    codes = {u[0] for u in units}
    assert all(r.unit_code in codes for r in responses)
    assert all(PERIOD[0] <= r.submitted_on <= PERIOD[1] for r in responses)
    assert PERIOD == (date(2016, 3, 1), date(2016, 4, 30))
    days = Counter(r.submitted_on.weekday() for r in responses)
    assert days[2] > 2 * days[6]  # fewer answers on Sundays


def test_no_answer_to_a_hidden_question_and_shown_follow_ups_answered(needs, responses):
    for response in responses:
        answers = response.answers
        assert drop_hidden(needs, answers) == answers
        assert ("overtime_paid" in answers) == (answers["overtime_hours"] > 10)  # required when shown
        assert ("hardship_kind" in answers) == ("hardship" in answers["needs"])
        assert "training_topic" not in answers or "training" in answers["needs"]
        assert "home_why" not in answers or answers["home_rating"] <= 2
    answered = Counter(qid for r in responses for qid in r.answers)
    assert 0 < answered["training_topic"] < sum("training" in r.answers["needs"] for r in responses)
    assert answered["home_why"] > 1000
    for optional in ("tenure", "rights_problems", "health_checkup", "home_rating", "joined_on"):
        assert 0.5 * N < answered[optional] < N  # sometimes skipped


def test_other_texts_and_comments_come_from_small_lists(responses):
    needs_other = Counter(a["other"] for r in responses for a in r.answers["needs"] if isinstance(a, dict))
    assert 100 < sum(needs_other.values()) < 1000 and len(needs_other) <= 6
    comments = Counter(r.answers["home_why"] for r in responses if "home_why" in r.answers)
    assert 3 <= len(comments) <= 10


def test_demographic_answers_agree_with_the_unit(responses, units):
    unit = {u[0]: u for u in units}
    placed = [r for r in responses if unit[r.unit_code][1] is not None]
    same_sub_district = sum(r.answers["sub_district"] == unit[r.unit_code][1] for r in placed) / len(placed)
    same_industry = sum(_industry(r.answers) == unit[r.unit_code][2].replace(" ", "_") for r in responses) / N
    same_kind = sum(r.answers["unit_kind"] == unit[r.unit_code][3] for r in responses) / N
    assert 0.9 < same_sub_district < 0.98
    assert 0.93 < same_industry < 0.99
    assert 0.85 < same_kind < 0.95


def test_catering_works_more_overtime_than_finance_and_ranks_legal_aid_higher(responses):
    answers = [r.answers for r in responses]
    catering = [a for a in answers if _industry(a) == "catering"]
    finance = [a for a in answers if _industry(a) == "finance"]
    assert len(catering) > 1000 and len(finance) > 300

    def long_hours(a):
        return a["overtime_hours"] > 10

    table = _table([catering, finance], long_hours)
    shares = table[:, 0] / table.sum(axis=1)
    assert shares[0] > 0.45 and shares[1] < 0.25
    assert chi2_contingency(table).pvalue < 1e-20

    low_paid = [a for a in answers if _industry(a) in ("catering", "property_services")]
    rest = [a for a in answers if _industry(a) not in ("catering", "property_services")]
    table = _table([low_paid, rest], lambda a: "legal" in a["top_services"])
    shares = table[:, 0] / table.sum(axis=1)
    assert shares[0] > shares[1] + 0.2
    assert chi2_contingency(table).pvalue < 1e-20


def test_financial_street_ranks_training_and_childcare_higher(responses):
    answers = [r.answers for r in responses]
    jrj = [a for a in answers if a["sub_district"] == "JRJ"]
    rest = [a for a in answers if a["sub_district"] != "JRJ"]
    for service in ("training", "childcare"):
        table = _table([jrj, rest], lambda a, s=service: s in a["top_services"])
        shares = table[:, 0] / table.sum(axis=1)
        assert shares[0] > shares[1] + 0.1, service
        assert chi2_contingency(table).pvalue < 1e-10, service


def test_older_members_rank_health_checks_and_eldercare_higher(responses):
    bands = ("under25", "25-34", "35-44", "45-54", "55plus")
    for service in ("health_check", "eldercare"):
        shares = []
        for band in bands:
            group = [r.answers for r in responses if r.answers["age_band"] == band]
            shares.append(sum(service in a["top_services"] for a in group) / len(group))
        assert shares == sorted(shares), (service, shares)
        assert shares[-1] > shares[0] + 0.3, (service, shares)


def test_workers_home_ratings_differ_by_unit_and_are_highest_in_shichahai(responses):
    by_unit: dict[str, list[int]] = {}
    for r in responses:
        if "home_rating" in r.answers:
            by_unit.setdefault(r.unit_code, []).append(r.answers["home_rating"])
    big = [ratings for ratings in by_unit.values() if len(ratings) >= 50]
    assert kruskal(*big).pvalue < 1e-10
    ratings = [(r.answers["sub_district"] == "SCH", r.answers["home_rating"]) for r in responses
               if "home_rating" in r.answers]
    shichahai = np.mean([v for in_sch, v in ratings if in_sch])
    elsewhere = np.mean([v for in_sch, v in ratings if not in_sch])
    assert shichahai > elsewhere + 0.25


def test_chair_satisfaction_responses_validate_correlate_and_differ_by_chair(units):
    chair = chair_satisfaction_questionnaire()
    shichahai = [u for u in units if u[0].startswith("SCH-E")]
    responses = list(synthetic_responses(chair, 2000, seed=2016, units=shichahai))
    for response in responses[::10]:
        cleaned, errors = validate_response(chair, response.answers)
        assert errors == {} and cleaned == response.answers
    assert all(r.answers["unit"] == r.unit_code for r in responses)
    overall = np.array([r.answers["overall"] for r in responses])
    support = np.array([r.answers["support"] for r in responses])
    assert np.corrcoef(overall, support)[0, 1] > 0.4
    by_unit = [overall[[r.unit_code == code for r in responses]] for code, *_ in shichahai]
    assert kruskal(*by_unit).pvalue < 1e-6
    assert 0 < sum("comment" in r.answers for r in responses) < 1000


def test_any_questionnaire_gets_valid_generic_answers(units):
    other = make_questionnaire()  # a page shown only to adults, decimals, a required hidden follow-up
    responses = list(synthetic_responses(other, 400, seed=1, units=units))
    assert any("needs" in r.answers for r in responses) and any("needs" not in r.answers for r in responses)
    for response in responses:
        cleaned, errors = validate_response(other, response.answers)
        assert errors == {} and cleaned == response.answers


def test_bad_arguments_are_refused(needs, units):
    with pytest.raises(ValueError, match="at least one unit"):
        next(synthetic_responses(needs, 5, units=[]))
    with pytest.raises(ValueError, match="weights"):
        next(synthetic_responses(needs, 5, units=units[:2], weights=[1.0]))
    assert list(synthetic_responses(needs, 0, units=units)) == []
