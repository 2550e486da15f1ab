"""Comparing two versions of a questionnaire question by question."""

from __future__ import annotations

import dataclasses

from forms.questionnaire.conditions import parse
from forms.questionnaire.spec import LocalizedText as L
from forms.questionnaire.spec import MatrixRow, Option, QuestionType, Section
from forms.questionnaire.versions import ChangeKind, QuestionChange, compare_versions
from tests.forms.conftest import make_questionnaire


def edit(questionnaire, qid, **changes):
    sections = tuple(
        dataclasses.replace(s, questions=tuple(dataclasses.replace(q, **changes) if q.id == qid else q
                                               for q in s.questions))
        for s in questionnaire.sections)
    return dataclasses.replace(questionnaire, sections=sections)


def test_identical_versions():
    result = compare_versions(make_questionnaire(), make_questionnaire())
    assert result.identical
    assert result.removed == ()
    assert result.change("age") == QuestionChange("age", ChangeKind.UNCHANGED)


def test_wording_and_validation_changes_are_reworded_and_comparable():
    old = make_questionnaire()
    new = edit(old, "age", title=L("您的年龄", "Your age"), number_max=90, required=False)
    new = edit(new, "gender", options=tuple(reversed(old.question("gender").options)))
    new = edit(new, "home", rows=(MatrixRow("space", L("活动场地", "Activity space")), old.question("home").rows[1]))
    new = edit(new, "needs", show_if=parse("${age} > 20"))
    result = compare_versions(old, new)
    assert result.change("age") == QuestionChange("age", ChangeKind.REWORDED,
                                                  ("title", "required", "number bounds"))
    assert result.change("gender") == QuestionChange("gender", ChangeKind.REWORDED, ("option labels", "option order"))
    assert result.change("home").differences == ("row labels",)
    assert result.change("needs").differences == ("condition",)
    assert set(result.comparable()) == {q.id for q in new.questions()}
    assert not result.identical


def test_type_options_rows_scale_and_ranks_are_incompatible_changes():
    old = make_questionnaire()
    new = edit(old, "gender", options=old.question("gender").options + (Option("x", L("未说明", "Unsaid")),))
    new = edit(new, "satisfaction", scale_max=7)
    new = edit(new, "name", type=QuestionType.LONG_TEXT)
    new = edit(new, "home", rows=old.question("home").rows[:1])
    new = edit(new, "priority", rank_top=3)
    new = edit(new, "income", integer=True, number_max=None)
    result = compare_versions(old, new)
    assert result.change("gender") == QuestionChange("gender", ChangeKind.CHANGED, ("options",))
    assert result.change("satisfaction").differences == ("scale",)
    assert result.change("name").differences == ("type",)
    assert result.change("home").differences == ("rows",)
    assert result.change("priority").differences == ("ranks",)
    assert result.change("income").differences == ("whole numbers",)
    assert "gender" not in result.comparable()


def test_marking_an_option_as_other_is_incompatible():
    old = make_questionnaire()
    gender = old.question("gender")
    new = edit(old, "gender", options=(Option("m", gender.options[0].label, True),) + gender.options[1:2]
               + (Option("other", gender.options[2].label),))
    assert compare_versions(old, new).change("gender").differences == ("other option",)


def test_added_moved_and_removed_questions():
    old = make_questionnaire()
    age = old.question("age")
    about = dataclasses.replace(old.sections[0], questions=old.sections[0].questions[:1])
    needs = dataclasses.replace(old.sections[1], questions=(age,) + old.sections[1].questions[1:])
    extra = Section("extra", questions=(dataclasses.replace(age, id="seniority"),))
    new = dataclasses.replace(old, sections=(about, needs, extra))
    result = compare_versions(old, new)
    assert result.change("age") == QuestionChange("age", ChangeKind.REWORDED, ("section",))
    assert result.change("seniority") == QuestionChange("seniority", ChangeKind.ADDED)
    assert result.removed == ("needs",)
    assert [c.question for c in result.changes] == ["gender", "age", "legal_detail", "satisfaction", "home",
                                                    "priority", "name", "joined", "income", "seniority"]
