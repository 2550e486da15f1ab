"""The codebook: variable names, codes, labels and slots, stable across versions; and the packed row."""

from __future__ import annotations

import dataclasses
import math
import struct

import numpy as np
import pytest

from forms.questionnaire.codebook import (
    CodingError,
    VariableKind as K,
    build_codebook,
    day_number,
    from_day_number,
    merge_orders,
)
from forms.questionnaire.row_format import HEADER_DTYPE, HEADER_SIZE, MISSING, RowFormat
from forms.questionnaire.spec import LocalizedText as L, MatrixRow, Option, Question, Questionnaire, QuestionType as T, Section
from tests.forms.conftest import make_questionnaire, options


def _with_questions(spec: Questionnaire, section: int, questions) -> Questionnaire:
    sections = list(spec.sections)
    sections[section] = dataclasses.replace(sections[section], questions=tuple(questions))
    return dataclasses.replace(spec, sections=tuple(sections))


def _question(spec: Questionnaire, qid: str) -> Question:
    return spec.question(qid)


def test_every_question_type_becomes_the_documented_variables():
    cb = build_codebook([(1, make_questionnaire())])
    kinds = {v.name: (v.kind, v.numeric, v.question_id, v.option_id) for v in cb.variables}
    assert kinds == {
        "gender": (K.CODE, True, "gender", None),
        "gender_other_text": (K.OTHER_TEXT, False, "gender", "other"),
        "age": (K.NUMBER, True, "age", None),
        "needs_legal": (K.SELECTED, True, "needs", "legal"),
        "needs_training": (K.SELECTED, True, "needs", "training"),
        "needs_aid": (K.SELECTED, True, "needs", "aid"),
        "needs_more": (K.SELECTED, True, "needs", "more"),
        "needs_more_text": (K.OTHER_TEXT, False, "needs", "more"),
        "legal_detail": (K.TEXT, False, "legal_detail", None),
        "satisfaction": (K.SCALE, True, "satisfaction", None),
        "home_space": (K.SCALE, True, "home", "space"),
        "home_staff": (K.SCALE, True, "home", "staff"),
        "priority_a": (K.RANK, True, "priority", "a"),
        "priority_b": (K.RANK, True, "priority", "b"),
        "priority_c": (K.RANK, True, "priority", "c"),
        "priority_d": (K.RANK, True, "priority", "d"),
        "name": (K.TEXT, False, "name", None),
        "joined": (K.DATE, True, "joined", None),
        "income": (K.NUMBER, True, "income", None),
    }
    # reading order is the questionnaire's; slots number the numeric variables in that order here
    assert list(kinds) == list(cb.names)
    assert [v.name for v in cb.by_slot] == [v.name for v in cb.variables if v.numeric]
    assert cb.width == 15
    assert cb.versions == (1,)


def test_labels_value_labels_and_storage():
    cb = build_codebook([(1, make_questionnaire())])
    gender = cb.variable("gender")
    assert gender.label == L("性别", "Gender")
    assert gender.value_labels == ((1, L("选项m", "Option m")), (2, L("选项f", "Option f")), (3, L("其他", "Other")))
    assert gender.option_codes == (("m", 1), ("f", 2), ("other", 3))
    assert gender.value_label(2, "en") == "Option f" and gender.value_label(2, "zh") == "选项f"
    assert gender.demographic.value == "gender"
    assert cb.variable("needs_aid").label == L("您需要哪些服务：选项aid", "Which services do you need: Option aid")
    assert cb.variable("needs_aid").value_labels == ((0, L("未选", "Not selected")), (1, L("已选", "Selected")))
    assert cb.variable("priority_b").label.en == "Priorities: Option b (rank)"
    assert cb.variable("gender_other_text").label == L("性别：其他（文字）", "Gender: Other (text)")
    assert cb.variable("home_staff").label == L("职工之家：人员", "Workers' home: Staff")
    assert cb.variable("satisfaction").value_labels == ()  # no end labels in this spec
    assert cb.variable("age").integer and not cb.variable("income").integer
    assert [v.storage for v in cb.by_slot] == [
        "<u2", "<f8", "u1", "u1", "u1", "u1", "<i2", "<i2", "<i2", "<u2", "<u2", "<u2", "<u2", "<i4", "<f8"]
    assert all(v.storage is None and v.slot is None for v in cb.texts)


def test_rating_value_labels_come_from_the_scale_end_labels():
    spec = make_questionnaire()
    rated = dataclasses.replace(_question(spec, "satisfaction"), scale_min=0, scale_max=10,
                                scale_min_label=L("很差", "Poor"), scale_max_label=L("很好", "Excellent"))
    spec = _with_questions(spec, 1, [rated if q.id == "satisfaction" else q for q in spec.sections[1].questions])
    assert build_codebook([(1, spec)]).variable("satisfaction").value_labels == (
        (0, L("很差", "Poor")), (10, L("很好", "Excellent")))


def _version_two() -> Questionnaire:
    """v2: a new gender option in the middle, one needs option dropped and one added, a matrix row
    added, the rating's scale changed, the name question dropped, a new question at the end."""
    v1 = make_questionnaire()
    gender = dataclasses.replace(
        _question(v1, "gender"),
        options=(Option("m", L("男", "Male")), Option("x", L("不愿透露", "Prefer not to say")), Option("f", L("女", "Female")),
                 Option("other", L("其他", "Other"), True)))
    needs = dataclasses.replace(
        _question(v1, "needs"),
        options=options("legal", "aid", "childcare") + (Option("more", L("其他", "Other"), True),))
    home = dataclasses.replace(_question(v1, "home"), rows=(MatrixRow("space", L("场地", "Space")),
                                                             MatrixRow("hours", L("开放时间", "Opening hours")),
                                                             MatrixRow("staff", L("人员", "Staff"))))
    rating = dataclasses.replace(_question(v1, "satisfaction"), scale_min=1, scale_max=10)
    extra = Question("channel", T.SINGLE_CHOICE, L("渠道", "Channel"), options=options("app", "hotline"))
    replaced = {"needs": needs, "home": home, "satisfaction": rating}
    page2 = [replaced.get(q.id, q) for q in v1.sections[1].questions if q.id != "name"] + [extra]
    spec = _with_questions(v1, 1, page2)
    return _with_questions(spec, 0, [gender, _question(v1, "age")])


def test_a_later_version_only_appends_codes_and_slots():
    v1, v2 = make_questionnaire(), _version_two()
    old = build_codebook([(1, v1)])
    new = build_codebook([(2, v2), (1, v1)])  # order of the arguments does not matter
    assert new.versions == (1, 2)
    # every slot of version 1 keeps its variable, name and storage; new ones are appended
    assert [(v.name, v.storage) for v in new.by_slot[: old.width]] == [(v.name, v.storage) for v in old.by_slot]
    assert [v.name for v in new.by_slot[old.width:]] == [
        "needs_childcare", "satisfaction_v2", "home_hours", "channel"]
    # codes never change: the new option gets the next code, wherever it sits
    assert new.variable("gender").option_codes == (("m", 1), ("f", 2), ("other", 3), ("x", 4))
    assert new.code_of(2, "gender", "x") == 4 and new.code_of(1, "gender", "f") == new.code_of(2, "gender", "f") == 2
    assert new.variable("gender").value_label(2, "en") == "Female"  # newest label
    # the versions each variable appears in
    assert new.variable("needs_training").versions == (1,)
    assert new.variable("needs_childcare").versions == (2,)
    assert new.variable("needs_legal").versions == (1, 2)
    assert new.variable("name").versions == (1,)
    assert new.variable("satisfaction").versions == (1,) and new.variable("satisfaction_v2").versions == (2,)
    assert new.variable_for(2, "satisfaction").name == "satisfaction_v2"
    assert new.variable_for(1, "home", "space").name == "home_space"


def test_reading_order_follows_the_newest_version_and_keeps_dropped_items_near_their_neighbours():
    cb = build_codebook([(1, make_questionnaire()), (2, _version_two())])
    names = list(cb.names)
    assert names[:2] == ["gender", "gender_other_text"]
    assert names.index("needs_training") == names.index("needs_legal") + 1  # dropped, kept after its neighbour
    assert names.index("needs_childcare") == names.index("needs_aid") + 1
    assert names.index("home_hours") == names.index("home_space") + 1
    assert names.index("satisfaction_v2") == names.index("satisfaction") + 1
    assert names.index("name") == names.index("priority_d") + 1  # the dropped question stays where it was
    assert names[-1] == "channel"


def test_merge_orders():
    assert merge_orders([["a", "b", "c"], ["a", "c", "d"]]) == ["a", "b", "c", "d"]
    assert merge_orders([["a", "b", "c"], ["c", "b"]]) == ["a", "c", "b"]
    assert merge_orders([["x", "a"], ["a"], ["b", "a"]]) == ["x", "b", "a"]
    assert merge_orders([]) == []


def test_names_are_valid_unique_spss_names():
    spec = Questionnaire(title=L("t"), sections=(Section("s", questions=(
        Question("a", T.MULTIPLE_CHOICE, L("A"), options=options("b_c", "1-3", "x.y")),
        Question("a_b_c", T.RATING, L("B")),
        Question("A_1_3", T.NUMBER, L("C")),
        Question("to", T.NUMBER, L("D")),
        Question("q" * 64, T.MULTIPLE_CHOICE, L("E"), options=options("long", "longer")),
    )),))
    cb = build_codebook([(1, spec)])
    assert list(cb.names) == ["a_b_c", "a_1_3", "a_x_y", "a_b_c_2", "A_1_3_2", "to_",
                              "q" * 64, "q" * 62 + "_2"]
    assert len({n.casefold() for n in cb.names}) == len(cb.names)
    assert all(len(n) <= 64 and n[0].isalpha() for n in cb.names)


def test_a_changed_question_type_gets_new_variables():
    v1 = make_questionnaire()
    changed = dataclasses.replace(_question(v1, "age"), type=T.SINGLE_CHOICE, options=options("young", "old"))
    v2 = _with_questions(v1, 0, [_question(v1, "gender"), changed])
    cb = build_codebook([(1, v1), (2, v2)])
    assert cb.variable("age").kind is K.NUMBER and cb.variable("age_v2").kind is K.CODE
    assert [v.name for v in cb.question_variables("age")] == ["age", "age_v2"]


def test_encoding_each_answer_type():
    cb = build_codebook([(1, make_questionnaire())])
    slot = {v.name: v.slot for v in cb.numeric}
    values, texts = cb.encoder(1).encode({
        "gender": {"option": "other", "other": "非二元"},
        "age": 30,
        "needs": ["aid", {"option": "more", "other": "=SUM(A1)"}],
        "legal_detail": "合同纠纷",
        "satisfaction": 4,
        "home": {"staff": 2},
        "priority": ["c", "a"],
        "joined": "2016-05-01",
        "income": 30.5,
    })
    assert len(values) == cb.width
    got = {name: values[s] for name, s in slot.items()}
    assert got["gender"] == 3 and got["age"] == 30 and got["income"] == 30.5
    assert (got["needs_legal"], got["needs_training"], got["needs_aid"], got["needs_more"]) == (0, 0, 1, 1)
    assert got["satisfaction"] == 4 and got["home_staff"] == 2 and math.isnan(got["home_space"])
    assert (got["priority_c"], got["priority_a"]) == (1, 2)
    assert math.isnan(got["priority_b"]) and math.isnan(got["priority_d"])
    assert got["joined"] == day_number(from_day_number(got["joined"])) == (
        __import__("datetime").date(2016, 5, 1) - __import__("datetime").date(1970, 1, 1)).days
    assert texts == {"gender_other_text": "非二元", "needs_more_text": "=SUM(A1)", "legal_detail": "合同纠纷"}
    # nothing answered: everything missing, no texts
    empty, none = cb.encoder(1).encode({})
    assert all(math.isnan(x) for x in empty) and none == {}


def test_options_a_version_did_not_offer_stay_missing_rather_than_zero():
    cb = build_codebook([(1, make_questionnaire()), (2, _version_two())])
    values, _ = cb.encoder(2).encode({"needs": ["childcare"]})
    slot = {v.name: v.slot for v in cb.numeric}
    assert values[slot["needs_childcare"]] == 1 and values[slot["needs_legal"]] == 0
    assert math.isnan(values[slot["needs_training"]])  # not offered in version 2
    old, _ = cb.encoder(1).encode({"needs": ["training"]})
    assert old[slot["needs_training"]] == 1 and math.isnan(old[slot["needs_childcare"]])


@pytest.mark.parametrize("answers, message", [
    ({"gender": "nobody"}, "gender: 'nobody' is not an option"),
    ({"needs": "legal"}, "needs: 'legal' is not a list of options"),
    ({"needs": ["nope"]}, "needs: 'nope' is not an option"),
    ({"satisfaction": True}, "satisfaction: True is not a whole number from 1 to 5"),
    ({"satisfaction": 6}, "satisfaction: 6 is not a whole number"),
    ({"home": {"garden": 3}}, "home: 'garden' is not a row"),
    ({"priority": ["a", "a"]}, "priority: 'a' is not an option of this question ranked once"),
    ({"age": "thirty"}, "age: 'thirty' is not a number"),
    ({"age": float("nan")}, "age: nan is not a number"),
    ({"joined": "2016-13-01"}, "joined: '2016-13-01' is not a date"),
    ({"name": 5}, "name: 5 is not a text"),
    ({"unknown": 1}, "unknown: version 1 has no such question"),
    ({"gender": {"option": "m", "other": "x"}}, "is not an answer to an \"other"),
])
def test_answers_that_do_not_fit_are_refused(answers, message):
    cb = build_codebook([(1, make_questionnaire())])
    with pytest.raises(CodingError) as caught:
        cb.encoder(1).encode(answers)
    assert message in str(caught.value)


def test_unknown_version_and_duplicate_numbers():
    cb = build_codebook([(1, make_questionnaire())])
    with pytest.raises(CodingError):
        cb.encoder(2)
    with pytest.raises(ValueError):
        build_codebook([(1, make_questionnaire()), (1, make_questionnaire())])


# --------------------------------------------------------------------------- packed rows

def test_rows_pack_and_unpack_exactly_with_missing_values_and_their_header():
    fmt = RowFormat(["u1", "<u2", "<i2", "<i4", "<f8"])
    assert fmt.itemsize == HEADER_SIZE + 1 + 2 + 2 + 4 + 8 == 37
    rows = [[1, 65534, -32767, 20000, 0.1], [math.nan] * 5, [0, 1, 32767, -5, 1e15 + 0.5]]
    headers = [(7, 1, -1, 16800), (2**40, 3, 12, 0), (9, 2, 5, -3)]
    packed = fmt.pack(rows, headers)
    assert [len(p) for p in packed] == [37, 37, 37]
    assert packed[0][:HEADER_SIZE] == struct.pack("<qiii", 7, 1, -1, 16800)
    assert packed[1][HEADER_SIZE:-8] == bytes([MISSING["u1"]]) + b"\xff\xff" + b"\x00\x80" + b"\x00\x00\x00\x80"
    back, header = fmt.unpack(packed)
    assert np.array_equal(back, np.array(rows, dtype=float), equal_nan=True)
    assert [tuple(int(x) for x in h) for h in header.tolist()] == headers
    assert header.dtype == HEADER_DTYPE


def test_rows_of_older_narrower_codebooks_are_padded_with_missing():
    wide = RowFormat(["u1", "<u2", "<f8", "u1"])
    narrow = RowFormat(["u1", "<u2"])
    empty = RowFormat([])
    blobs = [narrow.pack_one([1, 7], (1, 1, -1, 0)), wide.pack_one([0, 3, 2.5, 1], (2, 2, 4, 1)),
             narrow.pack_one([math.nan, 2], (3, 1, -1, 2)), empty.pack_one([], (4, 0, -1, 3))]
    assert [wide.width_of(len(b)) for b in blobs] == [2, 4, 2, 0]
    out, header = wide.unpack(blobs)
    expected = np.array([[1, 7, np.nan, np.nan], [0, 3, 2.5, 1], [np.nan, 2, np.nan, np.nan], [np.nan] * 4])
    assert np.array_equal(out, expected, equal_nan=True)
    assert header["response_id"].tolist() == [1, 2, 3, 4] and header["unit_id"].tolist() == [-1, 4, -1, -1]
    with pytest.raises(ValueError):
        wide.width_of(HEADER_SIZE + 4)  # no prefix is 4 bytes long
    with pytest.raises(ValueError):
        wide.pack([[1, 2]], [(1, 1, 1, 1)])


def test_random_rows_round_trip():
    rng = np.random.default_rng(7)
    storage = ["u1", "<u2", "<i2", "<i4", "<f8"] * 6
    fmt = RowFormat(storage)
    limits = {"u1": (0, 254), "<u2": (0, 65534), "<i2": (-32767, 32767), "<i4": (-2**31 + 1, 2**31 - 1)}
    columns = [rng.normal(size=500) * 1e6 if code == "<f8" else rng.integers(*limits[code], size=500).astype(float)
               for code in storage]
    matrix = np.column_stack(columns)
    matrix[rng.random(matrix.shape) < 0.2] = np.nan
    headers = np.column_stack([np.arange(500), np.full(500, 3), rng.integers(-1, 99, 500), rng.integers(0, 20000, 500)])
    back, header = fmt.unpack(fmt.pack(matrix, headers))
    assert np.array_equal(back, matrix, equal_nan=True)
    assert np.array_equal(np.column_stack([header[name] for name in header.dtype.names]), headers)


def test_the_demo_survey_packs_into_about_a_hundred_bytes():
    from survey.demo_questionnaires import needs_questionnaire

    cb = build_codebook([(1, needs_questionnaire())])
    assert cb.width == 64
    assert RowFormat(cb.storage()).itemsize == 20 + 105
