"""Show-if conditions: XLSForm text parser, JSON form, evaluation rules."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from forms.questionnaire.conditions import (
    And,
    Answered,
    Compare,
    ConditionError,
    ConditionSyntaxError,
    In,
    Not,
    Or,
    Selected,
    evaluate,
    from_dict,
    parse,
    references,
    to_dict,
    to_xlsform_text,
)
from tests.forms.strategies import condition_trees


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("${q3} = 'yes'", Compare("q3", "eq", "yes")),
        ('${q3}="yes"', Compare("q3", "eq", "yes")),
        ("${age} >= 30", Compare("age", "ge", 30)),
        ("${age} < -2.5", Compare("age", "lt", -2.5)),
        ("30 <= ${age}", Compare("age", "ge", 30)),
        ("'a' != ${q}", Compare("q", "ne", "a")),
        ("${q} != ''", Answered("q")),
        ("${q} = ''", Not(Answered("q"))),
        ("selected(${q4}, 'a')", Selected("q4", "a")),
        ("selected(${q4}, 2)", Selected("q4", "2")),
        ("selected('a b', ${q4})", In("q4", ("a", "b"))),
        ("not(${q} = 1)", Not(Compare("q", "eq", 1))),
        ("${a} = 1 and ${b} = 2 and ${c} = 3",
         And((Compare("a", "eq", 1), Compare("b", "eq", 2), Compare("c", "eq", 3)))),
        # "and" binds tighter than "or"
        ("${a} = 1 or ${b} = 2 and ${c} = 3",
         Or((Compare("a", "eq", 1), And((Compare("b", "eq", 2), Compare("c", "eq", 3)))))),
        ("(${a} = 1 or ${b} = 2) and ${c} = 3",
         And((Or((Compare("a", "eq", 1), Compare("b", "eq", 2))), Compare("c", "eq", 3)))),
        ("((${a} = 1))", Compare("a", "eq", 1)),
        ("${q3} = 'yes' and ${age} >= 30", And((Compare("q3", "eq", "yes"), Compare("age", "ge", 30)))),
    ],
)
def test_parse_builds_the_expected_tree(text, tree):
    assert parse(text) == tree


@pytest.mark.parametrize(
    ("text", "position", "message"),
    [
        ("", 0, "character 1: the condition is empty"),
        ("${q3} = ", 8, "character 9: expected a question like ${q1}, a number or quoted text after '=', "
                        "found end of text"),
        ("${q3} = 'yes", 8, "character 9: text starting with ' is never closed"),
        ("${q3 = 'yes'", 0, "character 1: '${' is never closed with '}'"),
        ("${q-3} = 1", 0, "character 1: ${q-3} does not name a question (1-64 ASCII letters, digits or single "
                          "underscores, starting with a letter)"),
        ("${a} == 1", 5, "character 6: '==' is not XLSForm; write '='"),
        ("${a} = 1 and", 12, "character 13: expected a question like ${q1}, a number or quoted text, "
                             "found end of text"),
        ("(${a} = 1", 9, "character 10: expected ')', found end of text"),
        ("${a} = 1)", 8, "character 9: expected 'and', 'or' or the end, found ')'"),
        ("${a} = ${b}", 0, "character 1: comparing two questions with each other is not supported"),
        ("1 = 2", 0, "character 1: a comparison needs a question like ${q1} on one side"),
        ("${a}", 4, "character 5: expected a comparison (=, !=, <, <=, >, >=) after ${a}, found end of text"),
        ("today() > 3", 0, "character 1: 'today' is not supported in Kaimen conditions"),
        ("${a} = 1 AND ${b} = 2", 9, "character 10: expected 'and', 'or' or the end, found 'AND'"),
        ("${a} > ''", 7, "character 8: '>' cannot compare with empty text"),
        ("${a} = 1 # x", 9, "character 10: unexpected character '#'"),
        ("selected(${a})", 13, "character 14: expected ',' between the two arguments of selected(), found ')'"),
        ("selected('', ${a})", 9, "character 10: selected() needs at least one word in its list"),
        ("not ${a} = 1", 4, "character 5: expected '(' after 'not', found ${a}"),
        ("${q} = 'it' or", 14, "character 15: expected a question like ${q1}, a number or quoted text, "
                               "found end of text"),
    ],
)
def test_parse_reports_the_position_of_bad_syntax(text, position, message):
    with pytest.raises(ConditionSyntaxError) as caught:
        parse(text)
    assert caught.value.position == position
    assert str(caught.value) == message


def test_parse_refuses_deep_nesting_and_long_text():
    with pytest.raises(ConditionSyntaxError, match="nested more than 40 levels deep"):
        parse("(" * 60 + "${a} = 1" + ")" * 60)
    with pytest.raises(ConditionSyntaxError, match="longer than 4000 characters"):
        parse("${a} = 1 or " * 400 + "${a} = 2")


@settings(max_examples=150, deadline=None)
@given(condition_trees)
def test_xlsform_text_and_json_round_trip(tree):
    assert parse(to_xlsform_text(tree)) == tree
    assert from_dict(to_dict(tree)) == tree


def test_to_xlsform_text_writes_standard_xlsform():
    tree = And((Or((Selected("q4", "a"), In("q5", ("x", "y")))), Not(Answered("q1")), Compare("n", "ge", 1.5),
                Compare("t", "eq", "it's")))
    assert to_xlsform_text(tree) == (
        "(selected(${q4}, 'a') or selected('x y', ${q5})) and not(${q1} != '') and ${n} >= 1.5 and ${t} = \"it's\"")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"op": "like", "question": "q"}, "condition: unknown op 'like'; use one of in, selected, answered, not, "
                                          "and, or, eq, ne, lt, le, gt, ge"),
        ({"op": "eq", "question": "q", "value": 1, "extra": 2}, "condition: unknown key 'extra' for op 'eq'"),
        ({"op": "eq", "question": "q", "value": True}, "condition: comparison value True must be text or a number"),
        ({"op": "eq", "question": "q", "value": ""},
         "condition: comparison value is empty; use 'answered' to test whether a question was answered"),
        ({"op": "and", "conditions": [{"op": "answered", "question": "q"}]},
         "condition: 'and' needs a tuple of at least two conditions"),
        ({"op": "not", "condition": {"op": "answered", "question": "9q"}},
         "condition.condition: question reference '9q' is not a question id (1-64 ASCII letters, digits or "
         "single underscores, starting with a letter)"),
        ({"op": "or", "conditions": [{"op": "answered", "question": "a"}, 3]},
         "condition.conditions[1]: expected an object with an 'op', got int"),
        ({"op": "in", "question": "q", "values": ["a b"]}, "condition: 'in' value 'a b' must be non-empty text "
                                                           "without spaces"),
        ({"op": "in", "question": "q", "values": "a"}, "condition: 'in' needs a list of values"),
    ],
)
def test_from_dict_rejects_malformed_conditions(data, message):
    with pytest.raises(ConditionError) as caught:
        from_dict(data)
    assert str(caught.value) == message


def test_evaluate_comparisons_on_answered_questions():
    answers = {"q3": "yes", "age": 35, "when": "2016-05-01", "code": "01"}
    assert evaluate(parse("${q3} = 'yes' and ${age} >= 30"), answers) is True
    assert evaluate(parse("${q3} = 'yes' and ${age} >= 40"), answers) is False
    assert evaluate(parse("${age} = '35'"), answers) is True  # numeric text compares as a number
    assert evaluate(parse("${code} = 1"), answers) is True  # "01" is the number 1
    assert evaluate(parse("${q3} > 3"), answers) is False  # "yes" is not a number
    assert evaluate(parse("${when} >= '2016-01-01' and ${when} < '2017-01-01'"), answers) is True
    assert evaluate(parse("selected('no yes', ${q3})"), answers) is True


def test_unanswered_questions_make_every_comparison_false():
    for missing in ({}, {"q": None}, {"q": ""}, {"q": []}, {"q": {}}):
        assert evaluate(parse("${q} = 'a'"), missing) is False
        assert evaluate(parse("${q} != 'a'"), missing) is False
        assert evaluate(parse("${q} < 3"), missing) is False
        assert evaluate(parse("selected(${q}, 'a')"), missing) is False
        assert evaluate(parse("selected('a b', ${q})"), missing) is False
        assert evaluate(Answered("q"), missing) is False
        assert evaluate(parse("not(${q} = 'a')"), missing) is True


def test_evaluate_choice_answers():
    assert evaluate(Selected("m", "b"), {"m": ["a", "b"]}) is True
    assert evaluate(Selected("m", "other"), {"m": ["a", {"option": "other", "other": "x"}]}) is True
    assert evaluate(Selected("m", "c"), {"m": ["a", "b"]}) is False
    assert evaluate(Compare("m", "eq", "a"), {"m": ["a"]}) is False  # use selected() on a list
    assert evaluate(Compare("s", "eq", "other"), {"s": {"option": "other", "other": "x"}}) is True
    assert evaluate(Selected("s", "a"), {"s": "a"}) is True
    assert evaluate(Answered("grid"), {"grid": {"r1": 3}}) is True
    assert evaluate(Compare("grid", "eq", 3), {"grid": {"r1": 3}}) is False
    assert evaluate(None, {}) is True


def test_references_lists_each_question_once_in_order():
    assert references(parse("${b} = 1 or (${a} = 2 and not(${b} = 3))")) == ("b", "a")
    assert references(None) == ()
