"""Builder edits on a spec: each transformation, and each refusal with its message."""

from __future__ import annotations

import dataclasses

import pytest
from flask_babel.speaklater import LazyString

from forms.questionnaire import conditions, editing
from forms.questionnaire.conditions import parse
from forms.questionnaire.editing import EditError
from forms.questionnaire.spec import LocalizedText as L
from forms.questionnaire.spec import Option, Question, Questionnaire, Section
from forms.questionnaire.spec import QuestionType as T
from tests.forms.conftest import make_questionnaire


def layout(questionnaire: Questionnaire) -> list[tuple[str, list[str]]]:
    return [(s.id, [q.id for q in s.questions]) for s in questionnaire.sections]


def refusal(call, *args, **kwargs) -> str:
    with pytest.raises(EditError) as caught:
        call(*args, **kwargs)
    return str(caught.value)


def text_question(qid: str, **kwargs) -> Question:
    return Question(qid, T.SHORT_TEXT, L(f"题{qid}", f"Question {qid}"), **kwargs)


ORIGINAL = [
    ("about", ["gender", "age"]),
    ("needs", ["needs", "legal_detail", "satisfaction", "home", "priority", "name", "joined", "income"]),
]


@pytest.fixture
def survey() -> Questionnaire:
    questionnaire = make_questionnaire()
    assert layout(questionnaire) == ORIGINAL
    return questionnaire


# --------------------------------------------------------------------------- the questionnaire itself

def test_update_details_changes_only_what_is_given(survey):
    edited = editing.update_details(survey, title=L("职工需求调查（2016）", "Member needs survey (2016)"),
                                    description=L("感谢参与", "Thank you"), languages=("zh",), anonymous=True)
    assert edited == dataclasses.replace(survey, title=L("职工需求调查（2016）", "Member needs survey (2016)"),
                                         description=L("感谢参与", "Thank you"), languages=("zh",), anonymous=True)
    assert editing.update_details(survey) == survey


def test_update_details_refuses_an_unknown_language(survey):
    assert refusal(editing.update_details, survey, languages=("fr",)) == (
        "This change cannot be stored: languages[0]: unknown language 'fr'; use zh or en")


# --------------------------------------------------------------------------- sections

def test_add_section_at_the_end_and_after_another(survey):
    at_end = editing.add_section(survey, Section("work", L("工作", "Work")))
    assert layout(at_end) == ORIGINAL + [("work", [])]
    after_about = editing.add_section(survey, Section("work", L("工作", "Work")), after="about")
    assert [s.id for s in after_about.sections] == ["about", "work", "needs"]
    assert layout(survey) == ORIGINAL  # the input is untouched


@pytest.mark.parametrize(
    ("section_id", "message"),
    [
        ("needs", "The id needs is already used by another section."),
        ("2nd", ("'2nd' is not a valid id: use 1-64 ASCII letters, digits or single underscores, starting with a "
                "letter.")),
        ("a__b", ("'a__b' is not a valid id: use 1-64 ASCII letters, digits or single underscores, starting with a "
                 "letter.")),
    ],
)
def test_add_section_refuses_a_bad_id(survey, section_id, message):
    assert refusal(editing.add_section, survey, Section(section_id)) == message


def test_add_section_after_an_unknown_section_is_refused(survey):
    assert refusal(editing.add_section, survey, Section("work"), after="nope") == "There is no section nope."


def test_update_section_changes_texts_condition_and_id(survey):
    edited = editing.update_section(
        survey, "needs", new_id="services", title=L("服务需求", "Services"), description=L("请选择", "Choose"),
        show_if=parse("${age} >= 16"),
    )
    section = edited.sections[1]
    assert (section.id, section.title, section.description) == ("services", L("服务需求", "Services"),
                                                                 L("请选择", "Choose"))
    assert section.show_if == parse("${age} >= 16")
    assert [q.id for q in section.questions] == ORIGINAL[1][1]


def test_update_section_keeps_what_is_not_given(survey):
    edited = editing.update_section(survey, "needs", title=L("需求（修订）", "Needs (revised)"))
    assert edited.sections[1] == dataclasses.replace(survey.sections[1], title=L("需求（修订）", "Needs (revised)"))


def test_update_section_can_remove_the_condition(survey):
    assert editing.update_section(survey, "needs", show_if=None).sections[1].show_if is None


def test_update_section_refuses_an_id_another_section_has(survey):
    assert refusal(editing.update_section, survey, "needs", new_id="about") == (
        "The id about is already used by another section.")


def test_update_unknown_section_is_refused(survey):
    assert refusal(editing.update_section, survey, "nope", title=L("x")) == "There is no section nope."


def test_move_section_both_ways_and_at_the_ends(survey):
    assert [s.id for s in editing.move_section(survey, "needs", -1).sections] == ["needs", "about"]
    assert [s.id for s in editing.move_section(survey, "about", +1).sections] == ["needs", "about"]
    assert refusal(editing.move_section, survey, "about", -1) == "Section about is already the first section."
    assert refusal(editing.move_section, survey, "needs", +1) == "Section needs is already the last section."
    assert refusal(editing.move_section, survey, "about", 2) == "Move by one place: up (-1) or down (+1)."


def test_delete_section_removes_it_with_its_questions(survey):
    extra = editing.add_section(survey, Section("extra", questions=(text_question("remark"),)))
    assert layout(editing.delete_section(extra, "extra")) == ORIGINAL


def test_delete_section_ignores_conditions_inside_it(survey):
    # legal_detail reads needs and the section's own condition reads age: both go or stay with it.
    assert layout(editing.delete_section(survey, "needs")) == ORIGINAL[:1]


def test_delete_the_last_section_is_refused():
    single = Questionnaire(L("问卷", "Survey"), (Section("only"),))
    assert refusal(editing.delete_section, single, "only") == (
        "A questionnaire needs at least one section; only is the only one.")


def test_delete_section_whose_questions_a_condition_reads_is_refused(survey):
    assert refusal(editing.delete_section, survey, "about") == (
        "Section about cannot be deleted: the condition of section needs reads its questions. "
        "Change that condition first.")


# --------------------------------------------------------------------------- questions

def test_add_question_at_the_end_and_after_another(survey):
    at_end = editing.add_question(survey, "about", text_question("phone"))
    assert layout(at_end)[0] == ("about", ["gender", "age", "phone"])
    after_gender = editing.add_question(survey, "about", text_question("phone"), after="gender")
    assert layout(after_gender)[0] == ("about", ["gender", "phone", "age"])
    assert after_gender.question("phone") == text_question("phone")


@pytest.mark.parametrize(
    ("question", "after", "message"),
    [
        (text_question("age"), None, "The id age is already used by another question."),
        (text_question("data"), None, ("'data' is not a valid id: use 1-64 ASCII letters, digits or single "
                                      "underscores, starting with a letter.")),
        (text_question("phone"), "needs", "Section about has no question needs."),
    ],
)
def test_add_question_refusals(survey, question, after, message):
    assert refusal(editing.add_question, survey, "about", question, after=after) == message


def test_add_question_to_an_unknown_section_is_refused(survey):
    assert refusal(editing.add_question, survey, "nope", text_question("phone")) == "There is no section nope."


def test_add_question_that_cannot_be_stored_is_refused(survey):
    broken = Question("pick", T.SINGLE_CHOICE, L("选", "Pick"), options=(Option("a b", L("甲", "A")),))
    assert refusal(editing.add_question, survey, "about", broken) == (
        "This change cannot be stored: sections[0].questions[2].options[0].id: option id 'a b' is not valid: use "
        "1-64 ASCII letters, digits, '_', '.' or '-', not starting with '.' or '-'")


def test_update_question_in_place(survey):
    reworded = dataclasses.replace(survey.question("age"), title=L("您的年龄", "Your age"), number_max=70)
    edited = editing.update_question(survey, "age", reworded)
    assert layout(edited) == ORIGINAL
    assert edited.question("age") == reworded


def test_update_question_may_rename_a_question_nothing_reads(survey):
    renamed = dataclasses.replace(survey.question("name"), id="full_name")
    edited = editing.update_question(survey, "name", renamed)
    assert layout(edited)[1][1][5] == "full_name" and edited.question("name") is None


def test_update_question_refuses_to_rename_a_question_a_condition_reads(survey):
    renamed = dataclasses.replace(survey.question("age"), id="age_years")
    assert refusal(editing.update_question, survey, "age", renamed) == (
        "The id of question age cannot change: the condition of section needs reads it. Change that condition first.")
    needs = dataclasses.replace(survey.question("needs"), id="services")
    assert refusal(editing.update_question, survey, "needs", needs) == (
        "The id of question needs cannot change: the condition of question legal_detail reads it. "
        "Change that condition first.")


def test_update_question_names_every_condition_that_reads_it(survey):
    follow_up = text_question("why", show_if=parse("${needs} != ''"))
    survey = editing.add_question(survey, "needs", follow_up)
    renamed = dataclasses.replace(survey.question("needs"), id="services")
    assert refusal(editing.update_question, survey, "needs", renamed) == (
        "The id of question needs cannot change: the condition of question legal_detail, question why reads it. "
        "Change that condition first.")


def test_update_question_refuses_a_taken_id(survey):
    clash = dataclasses.replace(survey.question("name"), id="income")
    assert refusal(editing.update_question, survey, "name", clash) == (
        "The id income is already used by another question.")


def test_update_question_keeps_the_ids_of_the_live_version(survey):
    renamed = dataclasses.replace(survey.question("name"), id="full_name")
    assert refusal(editing.update_question, survey, "name", renamed, keep_ids=frozenset({"name"})) == (
        "Question name is in the published version: its id must stay the same so its answers can be compared "
        "across versions.")


def test_update_unknown_question_is_refused(survey):
    assert refusal(editing.update_question, survey, "nope", text_question("nope")) == "There is no question nope."


def test_move_question_within_a_section(survey):
    assert layout(editing.move_question(survey, "age", -1))[0] == ("about", ["age", "gender"])
    assert layout(editing.move_question(survey, "needs", +1))[1][1][:2] == ["legal_detail", "needs"]


def test_move_question_across_a_section_boundary(survey):
    up = editing.move_question(survey, "needs", -1)
    assert layout(up) == [("about", ["gender", "age", "needs"]), ("needs", ORIGINAL[1][1][1:])]
    down = editing.move_question(survey, "age", +1)
    assert layout(down) == [("about", ["gender"]), ("needs", ["age"] + ORIGINAL[1][1])]


def test_move_question_into_an_empty_section(survey):
    with_empty = editing.add_section(survey, Section("extra"))
    assert layout(editing.move_question(with_empty, "income", +1))[1:] == [
        ("needs", ORIGINAL[1][1][:-1]), ("extra", ["income"])]


def test_move_question_at_the_ends_is_refused(survey):
    assert refusal(editing.move_question, survey, "gender", -1) == "Question gender is already the first question."
    assert refusal(editing.move_question, survey, "income", +1) == "Question income is already the last question."
    assert refusal(editing.move_question, survey, "age", 0) == "Move by one place: up (-1) or down (+1)."


def test_duplicate_question_inserts_a_copy_after_it(survey):
    copied = editing.duplicate_question(survey, "legal_detail")
    assert layout(copied)[1][1][:3] == ["needs", "legal_detail", "legal_detail_copy"]
    copy = copied.question("legal_detail_copy")
    assert copy == dataclasses.replace(survey.question("legal_detail"), id="legal_detail_copy")
    assert copy.show_if == parse("selected(${needs}, 'legal')")
    assert "legal_detail_copy" not in conditions.references(copy.show_if)


def test_duplicate_question_numbers_further_copies(survey):
    once = editing.duplicate_question(survey, "age")
    twice = editing.duplicate_question(once, "age")
    copy_of_copy = editing.duplicate_question(twice, "age_copy")
    assert layout(copy_of_copy)[0] == ("about", ["gender", "age", "age_copy2", "age_copy", "age_copy3"])


def test_copy_id_stays_a_valid_id():
    long_id = "q" + "x" * 63
    survey = Questionnaire(L("问卷", "Survey"), (Section("s", questions=(text_question(long_id),)),))
    copied = editing.duplicate_question(survey, long_id)
    assert [q.id for q in copied.questions()] == [long_id, "q" + "x" * 58 + "_copy"]


def test_delete_question(survey):
    assert layout(editing.delete_question(survey, "income"))[1][1] == ORIGINAL[1][1][:-1]


def test_delete_question_a_condition_reads_is_refused_naming_it(survey):
    assert refusal(editing.delete_question, survey, "needs") == (
        "Question needs cannot be deleted: the condition of question legal_detail reads it. "
        "Change that condition first.")
    assert refusal(editing.delete_question, survey, "age") == (
        "Question age cannot be deleted: the condition of section needs reads it. Change that condition first.")


def test_delete_question_that_only_reads_itself(survey):
    looping = editing.add_question(survey, "about", text_question("loop", show_if=parse("${loop} = 'x'")))
    assert layout(editing.delete_question(looping, "loop")) == ORIGINAL


def test_delete_unknown_question_is_refused(survey):
    assert refusal(editing.delete_question, survey, "nope") == "There is no question nope."


# --------------------------------------------------------------------------- suggestions

def test_suggested_ids_are_free():
    survey = Questionnaire(L("问卷"), (Section("s1", questions=(text_question("q1"), text_question("q3"))),
                                       Section("s3")))
    assert editing.suggest_question_id(survey) == "q4"
    assert editing.suggest_section_id(survey) == "s4"
    assert editing.suggest_question_id(Questionnaire(L("问卷"), (Section("s1"),))) == "q1"


def test_edits_keep_the_spec_readable(survey):
    edited = editing.duplicate_question(editing.move_question(survey, "needs", -1), "gender")
    assert Questionnaire.from_dict(edited.to_dict()) == edited


def test_messages_are_translated_when_shown(survey):
    with pytest.raises(EditError) as caught:
        editing.delete_question(survey, "nope")
    assert isinstance(caught.value.message, LazyString)
