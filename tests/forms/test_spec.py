"""JSON round trip and the refusal of malformed questionnaire data."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings

from forms.questionnaire.spec import LocalizedText, Questionnaire, SpecError
from tests.forms.conftest import make_questionnaire
from tests.forms.strategies import questionnaires


@settings(max_examples=60, deadline=None)
@given(questionnaires())
def test_json_round_trip_is_lossless(questionnaire):
    data = questionnaire.to_dict()
    text = json.dumps(data, allow_nan=False)
    assert Questionnaire.from_dict(json.loads(text)) == questionnaire


def test_to_dict_leaves_out_defaults():
    data = make_questionnaire().to_dict()
    age = data["sections"][0]["questions"][1]
    assert age == {"id": "age", "type": "number", "title": {"zh": "年龄", "en": "Age"}, "required": True,
                   "number_min": 16, "number_max": 100}
    assert data["sections"][1]["show_if"] == {"op": "ge", "question": "age", "value": 18}
    assert data["format"] == "kaimen-questionnaire/1"


def test_from_dict_accepts_plain_text_titles_and_condition_text():
    q = Questionnaire.from_dict({"title": "问卷", "sections": [{"id": "s1", "questions": [
        {"id": "q1", "type": "short_text", "title": "姓名"},
        {"id": "q2", "type": "date", "title": "日期", "show_if": "${q1} != ''"}]}]})
    assert q.title == LocalizedText("问卷", "")
    assert q.question("q2").show_if.question == "q1"
    assert q.section_of("q2").id == "s1"


def _base(**question):
    return {"title": "t", "sections": [{"id": "s1", "questions": [
        {"id": "q0", "type": "short_text", "title": "x"},
        {"id": "q1", "type": "single_choice", "title": "x", **question}]}]}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "expected an object, got a list"),
        ({"sections": []}, "missing key 'title'"),
        ({"title": "t", "colour": "red"}, "unknown key 'colour'"),
        ({"title": "t", "format": "other/2"},
         "format: unsupported format 'other/2'; expected 'kaimen-questionnaire/1'"),
        ({"title": "t", "languages": ["fr"]}, "languages[0]: unknown language 'fr'; use zh or en"),
        ({"title": "t", "languages": ["zh", "zh"]},
         "languages: list each of 'zh' and 'en' at most once, and at least one of them"),
        ({"title": "t", "anonymous": "yes"}, "anonymous: expected true or false, got text"),
        (_base(options=[{"id": "a", "label": "A"}, {"id": "a", "label": "B"}]),
         "sections[0].questions[1].options: option id 'a' appears twice"),
        (_base(options=[{"id": "a b", "label": "A"}]),
         "sections[0].questions[1].options[0].id: option id 'a b' is not valid: use 1-64 ASCII letters, digits, "
         "'_', '.' or '-', not starting with '.' or '-'"),
        (_base(type="slider"), "sections[0].questions[1].type: unknown question type 'slider'; use one of "
                               "single_choice, multiple_choice, rating, matrix, ranking, number, short_text, "
                               "long_text, date"),
        (_base(requird=True), "sections[0].questions[1]: unknown key 'requird'"),
        (_base(required="yes"), "sections[0].questions[1].required: expected true or false, got text"),
        (_base(scale_min=1.5), "sections[0].questions[1].scale_min: expected a whole number, got a number"),
        (_base(number_min=True), "sections[0].questions[1].number_min: expected a number, got a boolean"),
        (_base(demographic="religion"), "sections[0].questions[1].demographic: unknown demographic tag "
                                        "'religion'; use one of sub_district, unit_kind, industry, age_band, "
                                        "gender, other"),
        (_base(title={"zh": "x", "fr": "y"}), "sections[0].questions[1].title: unknown key 'fr'"),
        (_base(show_if={"op": "eq", "question": "q0"}),
         "sections[0].questions[1].show_if: op 'eq' needs key 'value'"),
        (_base(show_if="${q0} = "),
         "sections[0].questions[1].show_if: character 9: expected a question like ${q1}, a number or quoted text "
         "after '=', found end of text"),
        (_base(id="q0"), "sections[0].questions[1].id: question id 'q0' is already used at sections[0].questions[0]"),
        (_base(id="q__1"), "sections[0].questions[1].id: question id 'q__1' is not valid: use 1-64 ASCII letters, "
                           "digits or single underscores, starting with a letter (and not a reserved name)"),
        (_base(id="data"), "sections[0].questions[1].id: question id 'data' is not valid: use 1-64 ASCII letters, "
                           "digits or single underscores, starting with a letter (and not a reserved name)"),
        ({"title": "t", "sections": [{"id": "s1"}, {"id": "s1"}]}, "sections[1].id: section id 's1' appears twice"),
        ({"title": "t", "sections": [{"id": "s1", "questions": {}}]},
         "sections[0].questions: expected a list, got an object"),
    ],
)
def test_from_dict_rejects_malformed_data_naming_the_path(data, message):
    with pytest.raises(SpecError) as caught:
        Questionnaire.from_dict(data)
    assert str(caught.value) == message


def test_localized_text_falls_back_to_the_other_language():
    assert LocalizedText("中文", "").get("en") == "中文"
    assert LocalizedText("", "English").get("zh_CN") == "English"
    assert LocalizedText("中文", "English").get("en") == "English"
    assert LocalizedText("中文", "English").get(None) == "中文"
