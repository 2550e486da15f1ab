"""WTForms section forms built from a spec, used inside a Flask request."""

from __future__ import annotations

import dataclasses

import pytest
import wtforms
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

from forms.questionnaire.answers import initial_data, validate_answers
from forms.questionnaire.builder import build_section_form, ordered_options
from forms.questionnaire.ids import RESERVED_QUESTION_IDS
from forms.questionnaire.spec import Questionnaire, Section
from tests.forms.conftest import make_questionnaire

ADULT = {"gender": "f", "age": 30}


def post(app, form_class, pairs):
    with app.test_request_context("/", method="POST", data=MultiDict(pairs)):
        form = form_class()
        ok = form.validate_on_submit()
        return ok, form, {k: [str(m) for m in v] for k, v in form.errors.items()}


def test_fields_and_labels_follow_the_locale(app, questionnaire):
    with app.test_request_context():
        english = build_section_form(questionnaire, "needs", locale="en", previous_answers=ADULT)()
        chinese = build_section_form(questionnaire, "needs", locale="zh_CN", previous_answers=ADULT)()
        assert list(english._fields) == [
            "needs", "needs__other", "legal_detail", "satisfaction", "home__space", "home__staff", "priority__1",
            "priority__2", "name", "joined", "income"]
        assert english.needs.label.text == "Which services do you need"
        assert chinese.needs.label.text == "您需要哪些服务"
        assert [choice.label for choice in chinese.needs.choices] == ["选项legal", "选项training", "选项aid", "其他"]
        assert english.home__space.label.text == "Space"
        assert str(english.priority__2.label.text) == "Rank 2"
        assert str(english.needs__other.label.text) == "Please specify"
        assert [(c.value, c.label) for c in english.satisfaction.choices] == [
            ("1", "1"), ("2", "2"), ("3", "3"), ("4", "4"), ("5", "5")]


def test_missing_translation_falls_back_to_chinese(app, questionnaire):
    age = dataclasses.replace(questionnaire.question("age"), title=dataclasses.replace(
        questionnaire.question("age").title, en=""))
    survey = Questionnaire(questionnaire.title, (Section("s", questions=(age,)),))
    with app.test_request_context():
        assert build_section_form(survey, "s", locale="en")().age.label.text == "年龄"


def test_widgets_work_without_javascript(app, questionnaire):
    with app.test_request_context():
        form = build_section_form(questionnaire, "about", locale="en")()
        html = form.gender()
        assert 'type="radio"' in html and 'name="gender"' in html and "required" in html
        assert 'step="1"' in form.age() and 'inputmode="numeric"' in form.age() and 'min="16"' in form.age()
        page = build_section_form(questionnaire, "needs", locale="en", previous_answers=ADULT)()
        assert page.needs().count('type="checkbox"') == 4
        assert page.priority__1().startswith("<select")
        assert 'type="date"' in page.joined()
        assert 'maxlength="5"' in page.name()
        assert "<textarea" in page.legal_detail() and "required" not in page.legal_detail()


def test_shuffle_is_stable_for_a_seed_and_keeps_other_last(questionnaire):
    needs = dataclasses.replace(questionnaire.question("needs"), shuffle=True)
    orders = {tuple(o.id for o in ordered_options(needs, seed)) for seed in range(40)}
    assert len(orders) == 6  # all orders of the three regular options appear
    assert all(order[-1] == "more" for order in orders)
    assert ordered_options(needs, "resp-1") == ordered_options(needs, "resp-1")
    assert ordered_options(needs, None) == needs.options
    unshuffled = questionnaire.question("priority")
    assert ordered_options(unshuffled, 3) == unshuffled.options


def test_layout_tells_the_template_what_to_show(questionnaire):
    form_class = build_section_form(questionnaire, "needs", locale="en", previous_answers=ADULT)
    layout = {item.question.id: item for item in form_class.layout}
    assert layout["satisfaction"].shown is True
    assert layout["legal_detail"].shown is None  # depends on "needs" on the same page
    assert layout["legal_detail"].show_if == {"op": "selected", "question": "needs", "option": "legal"}
    assert layout["needs"].other_field == "needs__other"
    assert layout["home"].fields == ("home__space", "home__staff")
    assert layout["priority"].option_order == ("a", "b", "c", "d")


def test_valid_post_gives_canonical_answers(app, questionnaire):
    form_class = build_section_form(questionnaire, "needs", locale="en", previous_answers=ADULT)
    ok, form, errors = post(app, form_class, [
        ("needs", "aid"), ("needs", "legal"), ("legal_detail", "合同纠纷"), ("satisfaction", "4"),
        ("home__space", "5"), ("home__staff", "3"), ("priority__1", "d"), ("priority__2", "a"),
        ("joined", "2015-03-08"), ("income", "7.5"), ("submit", "Next")])
    assert (ok, errors) == (True, {})
    assert form.answers == {"needs": ["legal", "aid"], "legal_detail": "合同纠纷", "satisfaction": 4,
                            "home": {"space": 5, "staff": 3}, "priority": ["d", "a"], "joined": "2015-03-08",
                            "income": 7.5}


def test_invalid_post_puts_messages_beside_each_field(app, questionnaire):
    form_class = build_section_form(questionnaire, "needs", locale="en", previous_answers=ADULT)
    ok, form, errors = post(app, form_class, [
        ("needs", "more"), ("needs", "legal"), ("satisfaction", "9"), ("home__space", "5"),
        ("priority__1", "a"), ("priority__2", "a"), ("name", "张三李四王五"), ("joined", "08/03/2015")])
    assert ok is False
    # "needs" has an error, so it counts as unanswered and its follow-up legal_detail stays hidden
    assert errors == {
        "needs__other": ["Please specify."],
        "satisfaction": ["Choose a whole number from 1 to 5."],
        "home__staff": ["Please answer this row."],
        "priority__2": ["This option is already ranked higher."],
        "name": ["Use at most 5 characters."],
        "joined": ["Enter a date as YYYY-MM-DD."],
    }
    assert form.question_errors == {}


def test_required_ranking_reports_on_the_question(app, questionnaire):
    priority = dataclasses.replace(questionnaire.question("priority"), required=True)
    survey = Questionnaire(questionnaire.title, (Section("s", questions=(priority,)),))
    ok, form, errors = post(app, build_section_form(survey, "s"), [])
    assert (ok, errors) == (False, {})
    assert {k: [str(m) for m in v] for k, v in form.question_errors.items()} == {
        "priority": ["This question is required."]}


def test_hidden_question_input_is_dropped(app, questionnaire):
    form_class = build_section_form(questionnaire, "needs", previous_answers=ADULT)
    ok, form, errors = post(app, form_class, [("needs", "aid"), ("legal_detail", "typed earlier"),
                                              ("home__space", "1"), ("home__staff", "1")])
    assert (ok, errors) == (True, {})
    assert form.answers == {"needs": ["aid"], "home": {"space": 1, "staff": 1}}
    assert form.hidden_questions == ("legal_detail",)


def test_form_and_json_validation_agree(app, questionnaire):
    answers = {"needs": ["legal", {"option": "more", "other": ""}], "home": {"space": 2}, "priority": ["b"],
               "income": "abc", "satisfaction": 0}
    data = initial_data(questionnaire, "needs", answers)
    pairs = [(name, v) for name, value in data.items() for v in (value if isinstance(value, list) else [value])]
    _, form, form_errors = post(app, build_section_form(questionnaire, "needs", previous_answers=ADULT), pairs)
    with app.test_request_context():
        cleaned, json_errors = validate_answers(questionnaire, "needs", answers, ADULT)
    assert form_errors == json_errors
    assert form.answers == cleaned


def test_prefill_from_saved_answers(app, questionnaire):
    form_class = build_section_form(questionnaire, "needs", locale="en", previous_answers=ADULT)
    with app.test_request_context():
        form = form_class(data=initial_data(questionnaire, "needs", {"needs": ["aid"], "home": {"staff": 4},
                                                                     "priority": ["c", "b"]}))
        assert 'checked id="needs-2"' in form.needs()
        assert 'checked id="home__staff-3"' in form.home__staff()
        assert '<option selected value="c">' in form.priority__1()


def test_plain_wtforms_base_needs_no_flask_app(questionnaire):
    form_class = build_section_form(questionnaire, "about", base=wtforms.Form)
    form = form_class(formdata=MultiDict({"gender": "m", "age": "44"}))
    assert form.validate() is True
    assert form.answers == {"gender": "m", "age": 44}


def test_unknown_section_is_a_lookup_error(questionnaire):
    with pytest.raises(LookupError, match="the questionnaire has no section 'x'"):
        build_section_form(questionnaire, "x")


def test_reserved_ids_cover_every_public_name_of_a_built_form():
    form_class = build_section_form(make_questionnaire(), "about", base=FlaskForm)
    public = {name for name in dir(form_class) if not name.startswith("_")} - {"gender", "gender__other", "age"}
    assert public <= RESERVED_QUESTION_IDS | {"Meta"}
