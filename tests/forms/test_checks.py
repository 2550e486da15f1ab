"""Publish checks (one test per problem code) and visibility of questions."""

from __future__ import annotations

import dataclasses

import pytest

from forms.questionnaire.checks import drop_hidden, publish_problems, visible_questions
from forms.questionnaire.conditions import parse
from forms.questionnaire.spec import LocalizedText as L
from forms.questionnaire.spec import MatrixRow, Option, Question, Questionnaire, Section
from forms.questionnaire.spec import QuestionType as T
from tests.forms.conftest import make_questionnaire, options


def problems(questionnaire):
    return [(p.path, p.code, str(p.message)) for p in publish_problems(questionnaire)]


def one_page(*questions, **kwargs):
    return Questionnaire(L("问卷", "Survey"), (Section("s1", questions=questions),), **kwargs)


def q(qid="q1", kind=T.SHORT_TEXT, **kwargs):
    return Question(qid, kind, L(f"题{qid}", f"Question {qid}"), **kwargs)


def test_the_sample_questionnaire_is_ready_to_publish(questionnaire):
    assert publish_problems(questionnaire) == []


def test_problem_carries_section_and_question():
    [problem] = publish_problems(one_page(q(kind=T.SINGLE_CHOICE, options=options("a"))))
    assert (problem.section, problem.question) == ("s1", "q1")
    assert str(problem) == "sections[0].questions[0].options: Question q1 needs at least two options."


@pytest.mark.parametrize(
    ("questionnaire", "expected"),
    [
        (Questionnaire(L("问卷", "Survey")), [("sections", "no_questions", "The questionnaire has no questions.")]),
        (one_page(q(), languages=("fr",)),
         [("languages", "bad_languages", "Choose Chinese, English or both as the questionnaire's languages.")]),
        (one_page(Question("q1", T.DATE, L("日期", ""))),
         [("sections[0].questions[0].title", "missing_text", "Question q1 has no English text.")]),
        (one_page(Question("q1", T.DATE, L("日期", "")), languages=("zh",)), []),
        (Questionnaire(L("问卷", "Survey"), (Section("s1", questions=(q(),)), Section("s2"))),
         [("sections[1].questions", "empty_section", "Section s2 has no questions.")]),
        (one_page(q("q1"), q("q1")),
         [("sections[0].questions[1].id", "duplicate_id", "Question id 'q1' is used twice.")]),
        (one_page(q("1q")), [("sections[0].questions[0].id", "invalid_id", "Question id '1q' is not valid.")]),
        (one_page(q(kind=T.MULTIPLE_CHOICE, options=(Option("a", L("甲", "A")), Option("a", L("乙", "B"))))),
         [("sections[0].questions[0].options[1].id", "duplicate_id", "Question q1: option id 'a' is used twice.")]),
        (one_page(q(kind=T.RANKING, options=options("a"))),
         [("sections[0].questions[0].options", "too_few_options", "Question q1 needs at least two options.")]),
        (one_page(q(kind=T.RANKING, options=options("a") + (Option("o", L("其他", "Other"), True),))),
         [("sections[0].questions[0].options[1].is_other", "misplaced_other",
           'Question q1: a ranking cannot have an "other, please specify" option.')]),
        (one_page(q(kind=T.SINGLE_CHOICE, options=options("a") + (Option("o", L("其他", "Other"), True),
                                                                  Option("p", L("其他", "Other"), True)))),
         [("sections[0].questions[0].options[2].is_other", "misplaced_other",
           'Question q1 has more than one "other, please specify" option.')]),
        (one_page(q(kind=T.MULTIPLE_CHOICE, options=options("a", "b"), min_selections=2, max_selections=1)),
         [("sections[0].questions[0].max_selections", "bad_selection_limits",
           "Question q1: the number of selections must lie between 1 and the number of options, minimum no more "
           "than maximum.")]),
        (one_page(q(kind=T.MULTIPLE_CHOICE, options=options("a", "b"), max_selections=3)),
         [("sections[0].questions[0].max_selections", "bad_selection_limits",
           "Question q1: the number of selections must lie between 1 and the number of options, minimum no more "
           "than maximum.")]),
        (one_page(q(kind=T.RATING, scale_min=5, scale_max=5)),
         [("sections[0].questions[0].scale_max", "bad_scale", "Question q1: the scale must have from 2 to 101 "
                                                              "points.")]),
        (one_page(q(kind=T.MATRIX)), [("sections[0].questions[0].rows", "no_rows", "Matrix question q1 has no "
                                                                                   "rows.")]),
        (one_page(q(kind=T.MATRIX, rows=(MatrixRow("r", L("行", "")),)), languages=("zh", "en")),
         [("sections[0].questions[0].rows[0].label", "missing_text", "Row r of question q1 has no English text.")]),
        (one_page(q(kind=T.RANKING, options=options("a", "b"), rank_top=3)),
         [("sections[0].questions[0].rank_top", "bad_rank_top",
           "Question q1: the number of options to rank must be between 1 and 2.")]),
        (one_page(q(kind=T.NUMBER, number_min=10, number_max=1)),
         [("sections[0].questions[0].number_max", "bad_number_bounds",
           "Question q1: the minimum is larger than the maximum.")]),
        (one_page(q(kind=T.NUMBER, number_min=0.5)),
         [("sections[0].questions[0].number_min", "bad_number_bounds",
           "Question q1 asks for a whole number but has a fractional bound.")]),
        (one_page(q(kind=T.SHORT_TEXT, max_length=501)),
         [("sections[0].questions[0].max_length", "bad_max_length",
           "Question q1: the maximum length must be between 1 and 500 characters.")]),
        (one_page(q("q1", show_if=parse("${nope} = 1"))),
         [("sections[0].questions[0].show_if", "unknown_question",
           "The condition of question q1 refers to nope, which does not exist.")]),
        (one_page(q("q1", show_if=parse("${q2} = 'x'")), q("q2")),
         [("sections[0].questions[0].show_if", "forward_reference",
           "The condition of question q1 refers to q2: a question's condition may only refer to earlier "
           "questions.")]),
        (one_page(q("q1", kind=T.SINGLE_CHOICE, options=options("a", "b")),
                  q("q2", show_if=parse("${q1} = 'c' or selected(${q1}, 'd') or selected('a e', ${q1})"))),
         [("sections[0].questions[1].show_if", "unknown_option", "Question q1 has no option 'c'."),
          ("sections[0].questions[1].show_if", "unknown_option", "Question q1 has no option 'd'."),
          ("sections[0].questions[1].show_if", "unknown_option", "Question q1 has no option 'e'.")]),
        (one_page(q("q1", kind=T.MULTIPLE_CHOICE, options=options("a", "b")), q("q2", show_if=parse("${q1} = 'a'")),
                  q("q3", kind=T.NUMBER), q("q4", show_if=parse("selected(${q3}, '1')"))),
         [("sections[0].questions[1].show_if", "bad_operator",
           "'=' cannot be used on question q1; use selected() or answered."),
          ("sections[0].questions[3].show_if", "bad_operator",
           "selected() needs a choice question, and q3 is not one.")]),
        (one_page(q("q1", kind=T.NUMBER), q("q2", kind=T.DATE),
                  q("q3", show_if=parse("${q1} > 'many' or ${q2} < '2016' or ${q2} < '2016-01-01'"))),
         [("sections[0].questions[2].show_if", "bad_value", "Question q1 is never answered with 'many'."),
          ("sections[0].questions[2].show_if", "bad_value", "Question q2 is never answered with '2016'.")]),
    ],
)
def test_publish_problems(questionnaire, expected):
    assert problems(questionnaire) == expected


def test_a_section_condition_may_not_read_its_own_questions():
    page = Section("s1", questions=(q("q1"),), show_if=parse("${q1} = 'x'"))
    assert problems(Questionnaire(L("问卷", "Survey"), (page,))) == [
        ("sections[0].show_if", "forward_reference",
         "The condition of section s1 refers to q1: a section's condition may only refer to questions of earlier "
         "sections."),
        ("sections[0].show_if", "condition_cycle", "Conditions depend on each other in a cycle: s1 -> q1 -> s1."),
    ]


def test_a_cycle_between_questions_is_reported():
    survey = one_page(q("q1", show_if=parse("${q2} = 'x'")), q("q2", show_if=parse("${q1} = 'x'")))
    assert [p for p in problems(survey) if p[1] == "condition_cycle"] == [
        ("sections[0].questions[0].show_if", "condition_cycle",
         "Conditions depend on each other in a cycle: q1 -> q2 -> q1.")]


def test_messages_are_translated_lazily(app):
    survey = one_page(q(kind=T.MATRIX))
    [problem] = publish_problems(survey)
    with app.test_request_context():
        assert str(problem.message) == "Matrix question q1 has no rows."


# --------------------------------------------------------------------------- visibility

def test_visible_questions_shown_path():
    survey = make_questionnaire()
    shown = visible_questions(survey, {"gender": "f", "age": 30, "needs": ["legal"]})
    assert shown.sections == ("about", "needs")
    assert shown.questions == ("gender", "age", "needs", "legal_detail", "satisfaction", "home", "priority", "name",
                               "joined", "income")
    assert shown.shows("legal_detail")


def test_visible_questions_hidden_path():
    survey = make_questionnaire()
    assert visible_questions(survey, {"age": 30, "needs": ["aid"]}).shows("legal_detail") is False
    young = visible_questions(survey, {"age": 16, "needs": ["legal"]})
    assert young.sections == ("about",)
    assert young.questions == ("gender", "age")


def test_a_hidden_answer_does_not_switch_on_later_questions():
    survey = one_page(q("q1"), q("q2", show_if=parse("${q1} = 'x'")), q("q3", show_if=parse("${q2} = 'y'")))
    assert visible_questions(survey, {"q1": "no", "q2": "y"}).questions == ("q1",)


def test_drop_hidden_removes_answers_to_hidden_and_unknown_questions():
    survey = make_questionnaire()
    answers = {"gender": "m", "age": 16, "needs": ["legal"], "legal_detail": "x", "stray": 1}
    assert drop_hidden(survey, answers) == {"gender": "m", "age": 16}
    adult = dict(answers, age=40, needs=["aid"])
    assert drop_hidden(survey, adult) == {"gender": "m", "age": 40, "needs": ["aid"]}
    assert drop_hidden(dataclasses.replace(survey), {}) == {}
