"""The builder's staff forms: textarea lines, condition text, and the question they make."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from forms.questionnaire.conditions import parse
from forms.questionnaire.spec import Demographic, MatrixRow, Option, Question
from forms.questionnaire.spec import LocalizedText as L
from forms.questionnaire.spec import QuestionType as T
from forms.questionnaire_builder import (
    LabelledLine,
    NewQuestionnaireForm,
    QuestionForm,
    SectionForm,
    format_labelled_lines,
    parse_labelled_lines,
)
from tests.forms.conftest import make_questionnaire


def post(app, form_class, data: dict):
    with app.test_request_context("/", method="POST", data=MultiDict(data)):
        form = form_class()
        ok = form.validate_on_submit()
        result = form.to_question() if ok and form_class is QuestionForm else None
        return ok, form, {k: [str(m) for m in v] for k, v in form.errors.items()}, result


def as_lines(errors) -> list[str]:
    return [str(e) for e in errors]


def test_parse_lines_reads_ids_labels_and_other():
    text = "legal | 法律援助 | Legal aid\n\n  training|技能培训  \nother* | 其他 | Other\n"
    items, errors = parse_labelled_lines(text)
    assert errors == []
    assert items == [
        LabelledLine(1, "legal", L("法律援助", "Legal aid")),
        LabelledLine(3, "training", L("技能培训", "")),
        LabelledLine(4, "other", L("其他", "Other"), is_other=True),
    ]


def test_parse_lines_errors_name_their_line():
    text = "a | 甲 | A\nb\n| 乙 | B\nc d | 丙\na | 重复\nx | 1 | 2 | 3\nr* | 行"
    items, errors = parse_labelled_lines(text, rows=True)
    assert [i.id for i in items] == ["a"]
    assert as_lines(errors) == [
        "line 2: a row needs an id and a Chinese label",
        "line 3: a row needs an id and a Chinese label",
        ("line 4: 'c d' is not a valid id: use 1-64 ASCII letters, digits, '_', '.' or '-', not starting with '.' "
         "or '-'"),
        "line 5: the id a is already used on line 1",
        "line 6: too many '|' separators; write: id | Chinese | English",
        'line 7: a matrix row cannot be "other, please specify"',
    ]
    _, option_errors = parse_labelled_lines("a | 甲\nb")
    assert as_lines(option_errors) == ["line 2: an option needs an id and a Chinese label"]


def test_lines_round_trip_with_bars_and_line_breaks_in_labels():
    options = (Option("a", L("甲|乙", "A|B")), Option("o", L("其他", ""), True))
    text = format_labelled_lines(options)
    assert text == "a | 甲\\|乙 | A\\|B\no* | 其他"
    items, errors = parse_labelled_lines(text)
    assert errors == []
    assert [(i.id, i.label, i.is_other) for i in items] == [(o.id, o.label, o.is_other) for o in options]
    assert format_labelled_lines((MatrixRow("r", L("第一\n行", "Row\none")),)) == "r | 第一 行 | Row one"


BASE = {"id": "q9", "title_zh": "您的需求", "title_en": "Your needs", "help_zh": "", "help_en": "",
        "demographic": "", "show_if": ""}


def test_choice_question_from_the_form(app):
    ok, _, errors, question = post(app, QuestionForm, {
        **BASE, "type": "multiple_choice", "required": "y", "shuffle": "y", "min_selections": "1",
        "max_selections": "2", "options": "legal | 法律援助 | Legal aid\ntraining | 技能培训 | Training\n"
                                          "other* | 其他 | Other",
        "show_if": "${age} >= 18 and selected(${gender}, 'f')", "number_min": "", "scale_min": "1",
    })
    assert (ok, errors) == (True, {})
    assert question == Question(
        "q9", T.MULTIPLE_CHOICE, L("您的需求", "Your needs"), required=True, shuffle=True, min_selections=1,
        max_selections=2, options=(Option("legal", L("法律援助", "Legal aid")), Option("training", L("技能培训", "Training")),
                                   Option("other", L("其他", "Other"), True)),
        show_if=parse("${age} >= 18 and selected(${gender}, 'f')"),
    )


def test_settings_of_other_types_are_not_kept(app):
    ok, _, _, question = post(app, QuestionForm, {
        **BASE, "type": "number", "options": "a | 甲", "number_min": "0", "number_max": "99.5",
        "number_kind": "decimal", "max_length": "10", "demographic": "age_band",
    })
    assert ok
    assert question == Question("q9", T.NUMBER, L("您的需求", "Your needs"), number_min=0, number_max=99.5,
                                integer=False, demographic=Demographic.AGE_BAND)


def test_matrix_and_rating_settings(app):
    ok, _, _, question = post(app, QuestionForm, {
        **BASE, "type": "matrix", "scale_min": "0", "scale_max": "10", "scale_min_label_zh": "很差",
        "scale_min_label_en": "Poor", "scale_max_label_zh": "很好", "scale_max_label_en": "Excellent",
        "rows": "space | 活动场地 | Space\nstaff | 工作人员 | Staff",
    })
    assert ok
    assert question == Question(
        "q9", T.MATRIX, L("您的需求", "Your needs"), scale_min=0, scale_max=10, scale_min_label=L("很差", "Poor"),
        scale_max_label=L("很好", "Excellent"),
        rows=(MatrixRow("space", L("活动场地", "Space")), MatrixRow("staff", L("工作人员", "Staff"))))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("${age} >= = 18", ("The condition does not parse at character 11 (near “= 18”): expected a question like "
                           "${q1}, a number or quoted text after '>=', found '='")),
        ("${age} >=", ("The condition does not parse at character 10 (at the end): expected a question like ${q1}, "
                      "a number or quoted text after '>=', found end of text")),
        ("${age} == 18", "The condition does not parse at character 8 (near “== 18”): '==' is not XLSForm; write '='"),
    ],
)
def test_condition_syntax_error_names_the_position(app, text, message):
    ok, _, errors, _ = post(app, QuestionForm, {**BASE, "type": "date", "show_if": text})
    assert (ok, errors) == (False, {"show_if": [message]})


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"id": "1q"}, {"id": [("Use 1-64 ASCII letters, digits or single underscores, starting with a letter, and "
                               "not a reserved name.")]}),
        ({"id": "submit"}, {"id": [("Use 1-64 ASCII letters, digits or single underscores, starting with a letter, "
                                   "and not a reserved name.")]}),
        ({"title_zh": "", "title_en": ""}, {"title_zh": ["Write the question in Chinese, English or both."]}),
        ({"type": "essay"}, {"type": ["Not a valid choice."]}),
        ({"type": "number", "number_min": "NaN"}, {"number_min": ["Enter a number."]}),
        ({"type": "ranking", "options": "a | 甲\nb | 乙\n三 | 丙"},
         {"options": [("line 3: '三' is not a valid id: use 1-64 ASCII letters, digits, '_', '.' or '-', not "
                      "starting with '.' or '-'")]}),
    ],
)
def test_question_form_refusals(app, data, expected):
    ok, _, errors, _ = post(app, QuestionForm, {**BASE, "type": "short_text", **data})
    assert (ok, errors) == (False, expected)


def test_from_question_fills_every_field_and_reads_back_equal(app):
    for original in make_questionnaire().questions():
        with app.test_request_context("/"):
            filled = QuestionForm(formdata=None).from_question(original)
            data = {name: f.data for name, f in filled._fields.items()}
        pairs = {k: ("y" if v is True else "" if v in (None, False) else str(v)) for k, v in data.items()}
        pairs = {k: v for k, v in pairs.items() if not (v == "" and k in ("required", "shuffle"))}
        ok, _, errors, question = post(app, QuestionForm, pairs)
        assert (ok, errors) == (True, {}), original.id
        assert question == original


def test_section_form(app):
    with app.test_request_context("/", method="POST", data={"id": "needs", "title_zh": "需求", "title_en": "Needs",
                                                            "description_zh": "", "description_en": "",
                                                            "show_if": "${age} >= 18"}):
        form = SectionForm()
        assert form.validate_on_submit()
        assert form.to_changes() == {"new_id": "needs", "title": L("需求", "Needs"), "description": L("", ""),
                                     "show_if": parse("${age} >= 18")}
    with app.test_request_context("/", method="POST", data={"id": "needs", "show_if": "selected(${q1})"}):
        form = SectionForm()
        assert not form.validate_on_submit()
        assert [str(e) for e in form.show_if.errors] == [
            ("The condition does not parse at character 15 (near “)”): expected ',' between the two arguments of "
            "selected(), found ')'")]


def test_new_questionnaire_form(app):
    data = {"title_zh": "会员评家", "title_en": "Members evaluate their home", "kind": "home_evaluation",
            "languages": "zh", "anonymous": "y", "section_title_zh": "基本情况", "section_title_en": ""}
    with app.test_request_context("/", method="POST", data=data):
        form = NewQuestionnaireForm()
        form.kind.choices = [("home_evaluation", "Home"), ("needs", "Needs")]
        assert form.validate_on_submit()
        spec = form.to_questionnaire()
    assert (spec.title, spec.anonymous, spec.languages) == (L("会员评家", "Members evaluate their home"), True, ("zh",))
    assert [(s.id, s.title, s.questions) for s in spec.sections] == [("s1", L("基本情况", ""), ())]
