"""The scorecard form built from a framework's areas: bounds and steps per criterion, "cannot
judge", area comments, what is missing, and the changes (with versions) it hands the service."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from forms.scorecard_form import (
    COMMENT_LIMIT,
    ConflictForm,
    build_scorecard_form,
    initial_data,
    number_text,
    parse_points,
    quick_values,
    scorecard_layout,
)
from survey.default_framework import default_spec


def area(code, criteria, title=None):
    return {"code": code, "title": title or {"zh": f"领域{code}", "en": f"Area {code}"},
            "weight": sum(c["max_points"] for c in criteria), "criteria": criteria}


def criterion(code, max_points, step=0.5, guidance=True, title=None):
    spec = {"code": code, "title": title or {"zh": f"指标{code}", "en": f"Criterion {code}"},
            "max_points": max_points, "step": step}
    if guidance:
        spec["guidance"] = {"full": {"zh": "全部做到", "en": "all done"}, "partial": {"zh": "部分", "en": "some"},
                            "none": {"zh": "没有", "en": ""}}
    return spec


AREAS = [
    area("A1", [criterion("A1.1", 3), criterion("A1.2", 2, guidance=False)]),
    area("A2", [criterion("A2.1", 5, step=1), criterion("A2.2", 0.75, step=0.25)]),
]


def posted(app, data, areas=AREAS, locale="zh_CN"):
    """The form as a POST with ``data`` would build it (CSRF is off in this app)."""
    form_class = build_scorecard_form(areas, locale=locale)
    with app.test_request_context("/", method="POST", data=MultiDict(data)):
        form = form_class()
        valid = form.validate()
    return form, valid


FULL = {"score__A1.1": "2.5", "score__A1.2": "0", "score__A2.1": "5", "score__A2.2": "0.75"}


# --------------------------------------------------------------------------- layout


def test_layout_follows_the_framework_in_the_pages_language():
    zh = scorecard_layout(AREAS, locale="zh_CN")
    assert [a.code for a in zh] == ["A1", "A2"]
    assert [c.code for a in zh for c in a.criteria] == ["A1.1", "A1.2", "A2.1", "A2.2"]
    first = zh[0].criteria[0]
    assert (first.title, first.max_text, first.step_text) == ("指标A1.1", "3", "0.5")
    assert first.guidance == (("full", "全部做到"), ("partial", "部分"), ("none", "没有"))
    assert (first.score, first.cannot, zh[0].comment) == ("score__A1.1", "cannot__A1.1", "comment__A1")
    assert zh[0].criteria[1].guidance == ()
    assert zh[1].max_text == "5.75"
    en = scorecard_layout(AREAS, locale="en")
    assert en[0].title == "Area A1"
    # A missing English text falls back to the Chinese one, and the other way round.
    assert en[0].criteria[0].guidance[2] == ("none", "没有")
    only_en = scorecard_layout([area("B", [criterion("B.1", 1, title={"en": "Only English"})])], locale="zh_CN")
    assert only_en[0].criteria[0].title == "Only English"


def test_the_default_framework_gives_forty_criteria_with_quick_values():
    layout = scorecard_layout(default_spec()["areas"], locale="zh_CN")
    criteria = [c for a in layout for c in a.criteria]
    assert len(layout) == 10 and len(criteria) == 40
    assert all(a.max_text == "10" for a in layout)
    assert {c.quick for c in criteria} == {("0", "0.5", "1", "1.5", "2", "2.5", "3"), ("0", "0.5", "1", "1.5", "2")}
    assert all(len(c.guidance) == 3 for c in criteria)


def test_quick_values_only_when_few():
    assert quick_values(2, 0.5) == ["0", "0.5", "1", "1.5", "2"]
    assert quick_values(0.75, 0.25) == ["0", "0.25", "0.5", "0.75"]
    assert quick_values(10, 1) == [str(n) for n in range(11)]
    assert quick_values(25, 0.5) == []  # 51 values: typing is quicker


def test_numbers_are_written_as_people_write_them():
    assert [number_text(v) for v in (3.0, 2.5, 0.25, 0, None, Decimal("1.50"), 10)] == \
        ["3", "2.5", "0.25", "0", "", "1.5", "10"]


# --------------------------------------------------------------------------- what a phone sends


@pytest.mark.parametrize("raw, value", [
    ("2.5", Decimal("2.5")), ("2,5", Decimal("2.5")), ("２.５", Decimal("2.5")), (" 3 ", Decimal(3)),
    ("", None), ("   ", None), (".5", Decimal("0.5")), ("+1", Decimal(1)),
])
def test_points_accept_what_phone_keyboards_type(raw, value):
    assert parse_points(raw) == value


@pytest.mark.parametrize("raw", ["abc", "1e2", "nan", "inf", "2.5.1", "1/2", "二", "9" * 30, "1_0"])
def test_points_refuse_anything_else(raw):
    with pytest.raises(ValueError):
        parse_points(raw)


def test_a_full_scorecard_is_valid_and_nothing_is_missing(app):
    form, valid = posted(app, {**FULL, "comment__A2": "  很好\r\n继续  "})
    assert valid, form.errors
    assert form.missing() == []
    assert form.require_complete()
    layout = form.layout
    assert [form.entry(c) for a in layout for c in a.criteria] == [(2.5, False), (0.0, False), (5.0, False),
                                                                   (0.75, False)]
    assert form.comment(layout[1]) == "很好\n继续"
    assert form.comment(layout[0]) == ""


@pytest.mark.parametrize("code, raw, words", [
    ("A1.1", "3.5", "A1.1: give from 0 to 3 points in steps of 0.5."),
    ("A1.1", "-0.5", "A1.1: give from 0 to 3 points in steps of 0.5."),
    ("A1.1", "1.2", "A1.1: give from 0 to 3 points in steps of 0.5."),
    ("A2.1", "2.5", "A2.1: give from 0 to 5 points in steps of 1."),
    ("A2.2", "0.3", "A2.2: give from 0 to 0.75 points in steps of 0.25."),
    ("A1.2", "two", "A1.2: enter a number, e.g. 2.5."),
])
def test_out_of_bounds_off_step_and_non_numbers_name_the_criterion(app, code, raw, words):
    form, valid = posted(app, {**FULL, f"score__{code}": raw}, locale="en")
    assert not valid
    assert form.errors == {f"score__{code}": [words]}
    assert form[f"score__{code}"]._value() == raw  # shown again as typed


def test_cannot_judge_wins_over_a_number_typed_beside_it(app):
    form, valid = posted(app, {**FULL, "cannot__A1.1": "y", "score__A1.2": "", "cannot__A1.2": "y"})
    assert valid and form.missing() == []
    first, second = form.layout[0].criteria
    assert form.entry(first) == (None, True) and form.entry(second) == (None, True)


def test_missing_criteria_are_listed_and_marked(app):
    form, valid = posted(app, {"score__A1.1": "1", "score__A2.1": "x"}, locale="en")
    assert not valid  # "x" is not a number
    assert form.missing() == ["A1.2", "A2.1", "A2.2"]
    assert not form.require_complete()
    assert form.errors["score__A1.2"] == ['A1.2: give a score or tick "cannot judge".']
    assert form.errors["score__A2.1"] == ["A2.1: enter a number, e.g. 2.5."]  # one message, not two
    assert "score__A1.1" not in form.errors


def test_comments_have_a_length_limit(app):
    form, valid = posted(app, {**FULL, "comment__A1": "长" * (COMMENT_LIMIT + 1)}, locale="en")
    assert not valid and form.errors == {"comment__A1": ["At most 2000 characters."]}


# --------------------------------------------------------------------------- changes for the service


def test_changes_number_each_edit_one_above_the_servers_version(app):
    state = {
        "entries": {
            "A1.1": {"points": 2.5, "cannot_judge": False, "version": 4},  # unchanged: not sent
            "A1.2": {"points": 1.0, "cannot_judge": False, "version": 2},  # now "cannot judge"
            "A2.1": {"points": 3.0, "cannot_judge": False, "version": 7},  # cleared
        },
        "comments": {"A1": {"text": "旧意见", "version": 3}, "A2": {"text": "不变", "version": 1}},
    }
    form, valid = posted(app, {"score__A1.1": "2.5", "cannot__A1.2": "y", "score__A2.1": "", "score__A2.2": "0.5",
                               "comment__A1": "", "comment__A2": "不变"})
    assert valid
    assert form.changes(state) == {
        "entries": [
            {"criterion": "A1.2", "points": None, "cannot_judge": True, "version": 3},
            {"criterion": "A2.1", "points": None, "cannot_judge": False, "version": 8},
            {"criterion": "A2.2", "points": 0.5, "cannot_judge": False, "version": 1},
        ],
        "comments": [{"area": "A1", "text": "", "version": 4}],
    }
    empty = {"entries": {}, "comments": {}}
    nothing, _valid = posted(app, {})
    assert nothing.changes(empty) == {"entries": [], "comments": []}


def test_initial_data_shows_what_the_server_holds(app):
    state = {"entries": {"A1.1": {"points": 3.0, "cannot_judge": False, "version": 1},
                         "A1.2": {"points": None, "cannot_judge": True, "version": 2}},
             "comments": {"A2": {"text": "有记录", "version": 1}}}
    form_class = build_scorecard_form(AREAS, locale="zh_CN")
    with app.test_request_context("/"):
        form = form_class(data=initial_data(form_class.layout, state))
        assert form["score__A1.1"]._value() == "3"
        assert form["score__A1.2"]._value() == "" and form["cannot__A1.2"].data is True
        assert form["score__A2.1"]._value() == ""
        assert form["comment__A2"].data == "有记录"
        assert form.changes(state) == {"entries": [], "comments": []}  # nothing edited, nothing sent


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(step=st.sampled_from(["0.1", "0.25", "0.5", "1", "2"]), steps=st.integers(1, 40), n=st.integers(0, 40))
def test_exactly_the_multiples_of_the_step_up_to_the_maximum_are_accepted(app, step, steps, n):
    # (The app only provides a request context; nothing in it changes between examples.)
    size = Decimal(step)
    maximum = size * steps
    areas = [area("X", [criterion("X.1", float(maximum), step=float(size), guidance=False)])]
    on_step, valid = posted(app, {"score__X.1": str(size * n)}, areas)
    assert valid is (n <= steps), on_step.errors
    _half, valid = posted(app, {"score__X.1": str(size * n + size / 2)}, areas)
    assert not valid


# --------------------------------------------------------------------------- declaring a conflict


def test_a_conflict_needs_a_reason_and_a_confirmation(app):
    with app.test_request_context("/", method="POST", data={"reason": "  ", "confirm": "y"}):
        form = ConflictForm()
        assert not form.validate() and list(form.errors) == ["reason"]
    with app.test_request_context("/", method="POST", data={"reason": "我在那里工作过"}):
        form = ConflictForm()
        assert not form.validate() and list(form.errors) == ["confirm"]
    with app.test_request_context("/", method="POST", data={"reason": " 我在那里工作过\r\n ", "confirm": "y"}):
        form = ConflictForm()
        assert form.validate() and form.reason.data == "我在那里工作过"
    with app.test_request_context("/", method="POST", data={"reason": "x" * 1001, "confirm": "y"}):
        assert not ConflictForm().validate()
