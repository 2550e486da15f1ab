"""Answer validation for every question type, through the JSON path and the raw form-data path."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from forms.questionnaire.answers import (
    answers_to_formdata,
    clean_section,
    field_names,
    initial_data,
    other_text,
    selected_options,
    validate_answers,
    validate_response,
)
from tests.forms.conftest import make_questionnaire

ADULT = {"gender": "f", "age": 30}
VALID_NEEDS = {"home": {"space": 4, "staff": 5}}


def needs(data, previous=ADULT):
    return validate_answers(make_questionnaire(), "needs", {**VALID_NEEDS, **data}, previous)


def about(data):
    return validate_answers(make_questionnaire(), "about", data)


def test_field_names_per_type(questionnaire):
    names = {q.id: field_names(q) for q in questionnaire.questions()}
    assert names["gender"] == ("gender", "gender__other")
    assert names["needs"] == ("needs", "needs__other")
    assert names["home"] == ("home__space", "home__staff")
    assert names["priority"] == ("priority__1", "priority__2")
    assert names["age"] == ("age",)


# --------------------------------------------------------------------------- single choice, required, other

def test_single_choice_valid_and_other():
    assert about({"gender": "m", "age": 40}) == ({"gender": "m", "age": 40}, {})
    assert about({"gender": {"option": "other", "other": "  非二元 "}, "age": 40}) == (
        {"gender": {"option": "other", "other": "非二元"}, "age": 40}, {})


@pytest.mark.parametrize(
    ("answer", "errors"),
    [
        (None, {"gender": ["This question is required."]}),
        ("", {"gender": ["This question is required."]}),
        ("x", {"gender": ["Question gender has no option 'x'."]}),
        ({"option": "other", "other": ""}, {"gender__other": ["Please specify."]}),
        ({"option": "other"}, {"gender__other": ["Please specify."]}),
        ({"option": "other", "other": "x" * 201}, {"gender__other": ["Use at most 200 characters."]}),
        (["m"], {"gender": ['Question gender expects an option id, or {"option": id, "other": text}.']}),
        ({"option": "m", "colour": "red"},
         {"gender": ['Question gender expects an option id, or {"option": id, "other": text}.']}),
        (True, {"gender": ['Question gender expects an option id, or {"option": id, "other": text}.']}),
    ],
)
def test_single_choice_invalid(answer, errors):
    assert about({"gender": answer, "age": 40}) == ({"age": 40}, errors)


def test_other_text_is_dropped_when_another_option_is_chosen():
    assert about({"gender": {"option": "m", "other": "ignored"}, "age": 40})[0]["gender"] == "m"


# --------------------------------------------------------------------------- number

@pytest.mark.parametrize(
    ("answer", "cleaned", "errors"),
    [
        (30, 30, {}),
        ("30", 30, {}),
        (" ３０ ", 30, {}),  # full-width digits from a phone keyboard
        (30.0, 30, {}),
        ("30.5", None, {"age": ["Enter a whole number."]}),
        ("thirty", None, {"age": ["Enter a whole number."]}),
        (15, None, {"age": ["Enter a number from 16 to 100."]}),
        (101, None, {"age": ["Enter a number from 16 to 100."]}),
        (None, None, {"age": ["This question is required."]}),
        (False, None, {"age": ["Question age expects a number."]}),
        ("9" * 16, None, {"age": ["Enter a smaller number."]}),
    ],
)
def test_whole_number(answer, cleaned, errors):
    result, found = about({"gender": "m", "age": answer})
    assert (result.get("age"), found) == (cleaned, errors)


@pytest.mark.parametrize(
    ("answer", "cleaned", "errors"),
    [
        ("12.25", 12.25, {}),
        (3, 3.0, {}),
        ("-.5", -0.5, {}),
        ("1e1", 10.0, {}),
        ("99.6", None, {"income": ["Enter a number no larger than 99.5."]}),
        ("1,5", None, {"income": ["Enter a number."]}),
        ("nan", None, {"income": ["Enter a number."]}),
    ],
)
def test_decimal_number(answer, cleaned, errors):
    result, found = needs({"income": answer})
    assert (result.get("income"), found) == (cleaned, errors)
    if cleaned is not None:
        assert type(result["income"]) is float


# --------------------------------------------------------------------------- multiple choice

@pytest.mark.parametrize(
    ("answer", "cleaned", "errors"),
    [
        (["aid", "training"], ["training", "aid"], {}),  # canonical order is the questionnaire's
        (["more"], None, {"needs__other": ["Please specify."]}),
        ([{"option": "more", "other": "托育"}], [{"option": "more", "other": "托育"}], {}),
        (["legal", "aid", "training"], None, {"needs": ["Choose at most 2 options."]}),
        (["zz"], None, {"needs": ["Question needs has no option 'zz'."]}),
        (["aid", "aid"], None, {"needs": ["Option 'aid' is chosen twice."]}),
        ("aid", None, {"needs": ["Question needs expects a list of option ids."]}),
        ([], None, {}),
    ],
)
def test_multiple_choice(answer, cleaned, errors):
    result, found = needs({"needs": answer})
    assert (result.get("needs"), found) == (cleaned, errors)


def test_multiple_choice_minimum(questionnaire):
    import dataclasses

    from forms.questionnaire.spec import Questionnaire, Section
    question = dataclasses.replace(questionnaire.question("needs"), min_selections=2, show_if=None)
    survey = Questionnaire(questionnaire.title, (Section("s", questions=(question,)),))
    assert validate_answers(survey, "s", {"needs": ["aid"]}) == ({}, {"needs": ["Choose at least 2 options."]})
    assert validate_answers(survey, "s", {}) == ({}, {})


# --------------------------------------------------------------------------- rating and matrix

@pytest.mark.parametrize(
    ("answer", "errors"),
    [
        (3, {}),
        ("5", {}),
        (0, {"satisfaction": ["Choose a whole number from 1 to 5."]}),
        ("4.5", {"satisfaction": ["Choose a whole number from 1 to 5."]}),
        ([3], {"satisfaction": ["Question satisfaction expects a whole number on its scale."]}),
    ],
)
def test_rating(answer, errors):
    assert needs({"satisfaction": answer})[1] == errors


@pytest.mark.parametrize(
    ("answer", "cleaned", "errors"),
    [
        ({"space": 1, "staff": "5"}, {"space": 1, "staff": 5}, {}),
        ({"space": 1}, None, {"home__staff": ["Please answer this row."]}),
        (None, None, {"home__space": ["Please answer this row."], "home__staff": ["Please answer this row."]}),
        ({"space": 6, "staff": 1}, None, {"home__space": ["Choose a whole number from 1 to 5."]}),
        ({"space": 1, "staff": 1, "light": 2}, None, {"home": ["Question home has no row 'light'."]}),
        ([1, 2], None, {"home": ["Question home expects an object mapping row ids to numbers on its scale."]}),
    ],
)
def test_matrix(answer, cleaned, errors):
    result, found = needs({"home": answer})
    assert (result.get("home"), found) == (cleaned, errors)


# --------------------------------------------------------------------------- ranking

@pytest.mark.parametrize(
    ("answer", "cleaned", "errors"),
    [
        (["c", "a"], ["c", "a"], {}),
        ([], None, {}),
        (["c"], None, {"priority__2": ["Choose an option for this rank."]}),
        (["c", "c"], None, {"priority__2": ["This option is already ranked higher."]}),
        (["c", "z"], None, {"priority__2": ["Question priority has no option 'z'."]}),
        (["a", "b", "c"], None, {"priority": ["Question priority ranks at most 2 options."]}),
        ("a", None, {"priority": ["Question priority expects a list of option ids, best first."]}),
    ],
)
def test_ranking(answer, cleaned, errors):
    result, found = needs({"priority": answer})
    assert (result.get("priority"), found) == (cleaned, errors)


def test_ranking_gap_in_raw_form_data(questionnaire):
    data = MultiDict({"home__space": "1", "home__staff": "1", "priority__2": "a"})
    result = clean_section(questionnaire, "needs", data, ADULT)
    assert {k: [str(m) for m in v] for k, v in result.errors.items()} == {
        "priority__1": ["Choose an option for this rank."]}


# --------------------------------------------------------------------------- text and date

@pytest.mark.parametrize(
    ("answer", "cleaned", "errors"),
    [
        (" 张三 ", "张三", {}),
        ("张\x00三", "张三", {}),  # a NUL byte would be refused by PostgreSQL
        ("张三李四王五", None, {"name": ["Use at most 5 characters."]}),
        ("   ", None, {}),
        (5, None, {"name": ["Question name expects text."]}),
    ],
)
def test_short_text(answer, cleaned, errors):
    result, found = needs({"name": answer})
    assert (result.get("name"), found) == (cleaned, errors)


def test_long_text_keeps_line_breaks_and_conditional_requirement():
    result, errors = needs({"needs": ["legal"], "legal_detail": "第一行\r\n第二行"})
    assert (result["legal_detail"], errors) == ("第一行\n第二行", {})
    assert needs({"needs": ["legal"]})[1] == {"legal_detail": ["This question is required."]}


@pytest.mark.parametrize(
    ("answer", "cleaned", "errors"),
    [
        ("2016-05-01", "2016-05-01", {}),
        ("2016-02-30", None, {"joined": ["Enter a date as YYYY-MM-DD."]}),
        ("1/5/2016", None, {"joined": ["Enter a date as YYYY-MM-DD."]}),
        ("2016-5-1", None, {"joined": ["Enter a date as YYYY-MM-DD."]}),
    ],
)
def test_date(answer, cleaned, errors):
    result, found = needs({"joined": answer})
    assert (result.get("joined"), found) == (cleaned, errors)


# --------------------------------------------------------------------------- hidden and unknown questions

def test_answer_to_a_hidden_question_is_an_error_for_json_clients():
    assert needs({"needs": ["aid"], "legal_detail": "x"}) == (
        {"needs": ["aid"], "home": {"space": 4, "staff": 5}},
        {"legal_detail": ["Question legal_detail is not shown after the earlier answers; leave it unanswered."]})


def test_answer_to_a_hidden_question_is_dropped_from_a_browser_form(questionnaire):
    data = MultiDict([("needs", "aid"), ("legal_detail", "typed before unticking"), ("home__space", "1"),
                      ("home__staff", "2")])
    result = clean_section(questionnaire, "needs", data, ADULT)
    assert (result.answers, result.errors, result.hidden) == (
        {"needs": ["aid"], "home": {"space": 1, "staff": 2}}, {}, ("legal_detail",))


def test_a_hidden_section_accepts_nothing():
    assert needs({}, previous={"gender": "m", "age": 16}) == (
        {}, {"home": ["Question home is not shown after the earlier answers; leave it unanswered."]})


def test_earlier_answers_of_hidden_questions_do_not_count():
    # age is the only thing that opens the page; a stray answer to a later page does not
    assert needs({}, previous={"gender": "m", "needs": ["legal"]})[1] == {
        "home": ["Question home is not shown after the earlier answers; leave it unanswered."]}


def test_unknown_question_ids_and_non_objects():
    assert about({"gender": "m", "age": 20, "shoe": 42}) == (
        {"gender": "m", "age": 20}, {"shoe": ["There is no question shoe in this section."]})
    assert about(["m"]) == ({}, {"answers": ["Answers must be a JSON object of question ids and answers."]})
    with pytest.raises(LookupError, match="the questionnaire has no section 'nope'"):
        validate_answers(make_questionnaire(), "nope", {})


def test_messages_follow_the_request_locale(app):
    with app.test_request_context():
        assert about({"age": 20})[1] == {"gender": ["This question is required."]}


def test_validate_response_walks_every_section():
    survey = make_questionnaire()
    cleaned, errors = validate_response(survey, {"gender": "m", "age": 40, "home": {"space": 1, "staff": 2},
                                                 "priority": ["a", "b"], "bogus": 1})
    assert cleaned == {"gender": "m", "age": 40, "home": {"space": 1, "staff": 2}, "priority": ["a", "b"]}
    assert errors == {"bogus": ["There is no question bogus in this questionnaire."]}
    assert validate_response(survey, {"gender": "m", "age": 17}) == ({"gender": "m", "age": 17}, {})
    assert validate_response(survey, {"gender": "m", "age": 18})[1] == {
        "home__space": ["Please answer this row."], "home__staff": ["Please answer this row."]}


# --------------------------------------------------------------------------- encoding helpers

def test_initial_data_round_trips_through_the_form_encoding(questionnaire):
    answers = {"needs": ["legal", {"option": "more", "other": "托育"}], "home": {"space": 3},
               "priority": ["b", "a"], "income": 2.5, "gender": "ignored: other page", "legal_detail": "合同"}
    assert initial_data(questionnaire, "needs", answers) == {
        "needs": ["legal", "more"], "needs__other": "托育", "legal_detail": "合同", "home__space": "3",
        "priority__1": "b", "priority__2": "a", "income": "2.5"}
    section = questionnaire.section("needs")
    formdata, errors = answers_to_formdata(section, {k: v for k, v in answers.items() if k != "gender"})
    assert errors == {}
    result = clean_section(questionnaire, "needs", formdata, ADULT)
    assert result.answers == {"needs": ["legal", {"option": "more", "other": "托育"}], "legal_detail": "合同",
                              "priority": ["b", "a"], "income": 2.5}
    assert {k: [str(m) for m in v] for k, v in result.errors.items()} == {
        "home__staff": ["Please answer this row."]}


def test_selected_options_and_other_text():
    assert selected_options(["a", {"option": "o", "other": "x"}]) == ("a", "o")
    assert selected_options({"option": "o", "other": "x"}) == ("o",)
    assert selected_options("a") == ("a",)
    assert selected_options(None) == ()
    assert other_text(["a", {"option": "o", "other": "x"}]) == "x"
    assert other_text("a") is None


def test_an_invalid_answer_does_not_make_its_follow_ups_look_hidden(questionnaire):
    """'thirty' is refused; the needs page depends on age, so its answers get no
    misleading "not shown" errors: only the real mistake is reported."""
    from forms.questionnaire.answers import validate_response

    cleaned, errors = validate_response(
        questionnaire,
        {"gender": "f", "age": "thirty", "needs": ["legal"], "legal_detail": "欠薪", "home": {"space": 3, "staff": 3}},
    )
    assert list(errors) == ["age"]
    assert cleaned == {"gender": "f"}
