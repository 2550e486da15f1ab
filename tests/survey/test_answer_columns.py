"""Packed answer rows: written on submission and by the bulk import, read back in bulk as numpy columns.

The loader is checked against a slow, independent decoding of ``Response.answers``
(the JSON the respondent submitted), on demo-like synthetic data and across
versions of different widths.
"""

from __future__ import annotations

import dataclasses
import json
import math
from datetime import date

import numpy as np
import pytest
from sqlalchemy import func, select

from forms.questionnaire.codebook import Codebook, VariableKind as K
from forms.questionnaire.spec import LocalizedText as L, Option, Question, QuestionType as T
from survey.demo_questionnaires import needs_questionnaire
from survey.demo_responses import demo_units, synthetic_responses
from survey.extensions import db
from survey.models import AnswerRow, QuestionnaireKind, Response, ResponseStatus
from survey.services import questionnaires as qs
from survey.services.answer_columns import (
    FilterError,
    ImportRecord,
    ImportRefused,
    MatrixFilter,
    bulk_import_responses,
    iter_matrix,
    load_matrix,
    questionnaire_codebook,
    rebuild_answer_rows,
    row_format,
)
from survey.services.responses import start_response, submit_response, submit_whole_response
from tests.forms.conftest import make_questionnaire
from tests.survey.round_builders import seed_world

# --------------------------------------------------------------------------- the slow reference


def _selected(answer) -> list[str]:
    items = answer if isinstance(answer, list) else [answer]
    return [item["option"] if isinstance(item, dict) else item for item in items]


def slow_value(variable, answers: dict, version: int) -> float:
    """What a variable should hold for one response, decoded by hand from its JSON answers."""
    if version not in variable.versions:
        return math.nan
    answer = answers.get(variable.question_id)
    if answer is None:
        return math.nan
    kind = variable.kind
    if kind is K.CODE:
        return float(dict(variable.option_codes)[_selected(answer)[0]])
    if kind is K.SELECTED:
        return 1.0 if variable.option_id in _selected(answer) else 0.0
    if kind is K.RANK:
        return float(answer.index(variable.option_id) + 1) if variable.option_id in answer else math.nan
    if kind is K.SCALE:
        value = answer.get(variable.option_id) if variable.option_id else answer
        return math.nan if value is None else float(value)
    if kind is K.NUMBER:
        return float(answer)
    if kind is K.DATE:
        return float((date.fromisoformat(answer) - date(1970, 1, 1)).days)
    raise AssertionError(kind)


def slow_matrix(codebook: Codebook, responses: list[Response]) -> np.ndarray:
    numbers = {}
    out = np.full((len(responses), codebook.width), np.nan)
    for i, response in enumerate(responses):
        number = numbers.setdefault(response.version_id, response.version.number)
        for variable in codebook.numeric:
            out[i, variable.slot] = slow_value(variable, response.answers, number)
    return out


def slow_texts(codebook: Codebook, response: Response) -> dict:
    texts = {}
    for variable in codebook.texts:
        answer = response.answers.get(variable.question_id)
        if answer is None:
            continue
        if variable.kind is K.TEXT:
            text = answer
        else:
            items = answer if isinstance(answer, list) else [answer]
            text = next((i.get("other") for i in items if isinstance(i, dict) and i["option"] == variable.option_id),
                        None)
        if text:
            texts[variable.name] = text
    return texts


def _submitted(questionnaire) -> list[Response]:
    return list(db.session.scalars(select(Response).where(
        Response.questionnaire_id == questionnaire.id, Response.status == ResponseStatus.SUBMITTED
    ).order_by(Response.id)))


# --------------------------------------------------------------------------- builders

def _publish(spec, kind=QuestionnaireKind.NEEDS):
    questionnaire = qs.create_questionnaire(spec=spec, kind=kind)
    qs.publish_questionnaire(questionnaire=questionnaire)
    return questionnaire


def _demo_like(n: int = 400, seed: int = 5):
    """The demo needs survey with ``n`` synthetic responses from seeded units, through the bulk import."""
    units = seed_world()
    sources = [u for u in demo_units() if u[0] in units]
    questionnaire = _publish(needs_questionnaire())
    records = [
        ImportRecord(answers=r.answers, unit_id=units[r.unit_code].id, submitted_on=r.submitted_on)
        for r in synthetic_responses(needs_questionnaire(), n, seed=seed, units=sources)
    ]
    bulk_import_responses(questionnaire, records, batch_size=150)
    db.session.flush()
    return questionnaire, units


HOME = {"space": 3, "staff": 4}
FULL = {
    "gender": {"option": "other", "other": "=1+2"}, "age": 30,
    "needs": ["legal", {"option": "more", "other": "夜间托管"}], "legal_detail": "合同纠纷",
    "satisfaction": 4, "home": {"space": 5, "staff": 3}, "priority": ["c", "a"], "name": "王", "joined": "2016-05-01",
    "income": 12.5,
}


# --------------------------------------------------------------------------- writing

def test_submitting_through_the_api_writes_the_packed_row_in_the_same_transaction(app):
    with app.app_context():
        questionnaire = _publish(make_questionnaire())
        receipt = submit_whole_response(questionnaire=questionnaire, client_id="c" * 20, answers=FULL)
        row = db.session.get(AnswerRow, receipt.response_id)
        response = db.session.get(Response, receipt.response_id)
        assert (row.questionnaire_id, row.version_id, row.unit_id, row.submitted_on) == (
            questionnaire.id, response.version_id, None, response.submitted_on)
        codebook = questionnaire_codebook(questionnaire)
        decoded, header = row_format(codebook).unpack([row.data])
        assert header.tolist() == [(response.id, response.version_id, -1,
                                    (response.submitted_on - date(1970, 1, 1)).days)]
        assert np.array_equal(decoded, slow_matrix(codebook, [response]), equal_nan=True)
        assert json.loads(row.texts) == slow_texts(codebook, response) == {
            "gender_other_text": "=1+2", "needs_more_text": "夜间托管", "legal_detail": "合同纠纷", "name": "王"}
        # a repeat of the same submission writes nothing new
        submit_whole_response(questionnaire=questionnaire, client_id="c" * 20, answers=FULL)
        assert db.session.scalar(select(func.count()).select_from(AnswerRow)) == 1


def test_submitting_page_by_page_writes_the_row_and_an_unfinished_response_has_none(app):
    with app.app_context():
        questionnaire = _publish(make_questionnaire())
        started = start_response(questionnaire=questionnaire, client_id="p" * 20)
        other = start_response(questionnaire=questionnaire, client_id="q" * 20)
        started.response.answers = {"gender": "f", "age": 17}  # the needs page is hidden under 18
        submit_response(response=started.response)
        assert db.session.get(AnswerRow, started.response.id) is not None
        assert db.session.get(AnswerRow, other.response.id) is None
        matrix = load_matrix(questionnaire)
        assert matrix.rows.response_id.tolist() == [started.response.id]
        assert matrix.column("gender").tolist() == [2.0] and matrix.column("age").tolist() == [17.0]
        assert np.isnan(matrix.column("needs_legal")).all()


def test_a_refused_submission_writes_no_row(app):
    from survey.services.responses import ResponseIncomplete

    with app.app_context():
        questionnaire = _publish(make_questionnaire())
        with pytest.raises(ResponseIncomplete):
            submit_whole_response(questionnaire=questionnaire, client_id="r" * 20, answers={"age": 30})
        assert db.session.scalar(select(func.count()).select_from(AnswerRow)) == 0


# --------------------------------------------------------------------------- reading

def test_the_loader_equals_a_slow_decoding_of_the_json_answers_on_demo_like_data(app):
    with app.app_context():
        questionnaire, _units = _demo_like()
        responses = _submitted(questionnaire)
        matrix = load_matrix(questionnaire, chunk_rows=64, with_texts=True)
        codebook = matrix.codebook
        assert matrix.values.shape == (400, codebook.width) == (400, 64)
        assert matrix.values.dtype == np.float64
        assert matrix.rows.response_id.tolist() == [r.id for r in responses]
        assert np.array_equal(matrix.values, slow_matrix(codebook, responses), equal_nan=True)
        assert matrix.rows.unit_id.tolist() == [r.unit_id for r in responses]
        assert matrix.rows.submitted_on.tolist() == [r.submitted_on for r in responses]
        assert matrix.rows.version.tolist() == [1] * 400
        assert matrix.rows.texts == [slow_texts(codebook, r) or None for r in responses]
        assert any(matrix.rows.texts)  # the synthetic data has some other texts and free texts
        # chunked reading gives the same rows
        chunks = list(iter_matrix(questionnaire, chunk_rows=150))
        assert [len(c.rows) for c in chunks] == [150, 150, 100]
        assert np.array_equal(np.concatenate([c.values for c in chunks]), matrix.values, equal_nan=True)


def test_filters_by_version_day_unit_sub_district_and_answers(app):
    with app.app_context():
        questionnaire, units = _demo_like(300, seed=11)
        everything = load_matrix(questionnaire)
        rows, cb = everything.rows, everything.codebook

        def ids(filters):
            return load_matrix(questionnaire, filters, chunk_rows=70).rows.response_id.tolist()

        def expect(mask):
            return rows.response_id[mask].tolist()

        days = np.unique(rows.submitted_on)
        start, end = days[3].astype(object), days[10].astype(object)
        assert ids(MatrixFilter(date_from=start, date_to=end)) == expect(
            (rows.submitted_on >= days[3]) & (rows.submitted_on <= days[10]))
        some = [units["SCH-E1"].id, units["XC-D01"].id]
        assert ids(MatrixFilter(unit_ids=tuple(some))) == expect(np.isin(rows.unit_id, some))
        sch = [u.id for u in units.values() if u.code == "SCH" or u.code.startswith("SCH-")]
        assert ids(MatrixFilter(sub_district_ids=(units["SCH"].id,))) == expect(np.isin(rows.unit_id, sch))
        assert len(expect(np.isin(rows.unit_id, sch))) > 0
        assert ids(MatrixFilter(versions=(1,))) == rows.response_id.tolist()
        female = cb.code_of(1, "gender", "female")
        gender = everything.column("gender")
        assert ids(MatrixFilter(answers={"gender": ["female"]})) == expect(gender == female)
        assert ids(MatrixFilter(answers={"gender": [female]})) == expect(gender == female)
        wants = (everything.column("needs_legal") == 1) | (everything.column("needs_hardship") == 1)
        assert ids(MatrixFilter(answers={"needs": ["legal", "hardship"]})) == expect(wants)
        ranked = ~np.isnan(everything.column("top_services_childcare"))
        assert ids(MatrixFilter(answers={"top_services": ["childcare"]})) == expect(ranked)
        happy = np.isin(everything.column("home_rating"), [4, 5])
        assert ids(MatrixFilter(answers={"home_rating": [4, 5]})) == expect(happy)
        wage = everything.column("work_satisfaction_wage") == 1
        assert ids(MatrixFilter(answers={"work_satisfaction_wage": [1]})) == expect(wage)
        combined = MatrixFilter(answers={"gender": ["female"], "needs": ["legal"]}, date_from=start)
        assert ids(combined) == expect((gender == female) & (everything.column("needs_legal") == 1)
                                       & (rows.submitted_on >= days[3]))
        assert 0 < len(ids(combined)) < 300


@pytest.mark.parametrize("filters, message", [
    (MatrixFilter(versions=(9,)), "no version 9"),
    (MatrixFilter(answers={"shoe_size": [1]}), "no question or variable shoe_size"),
    (MatrixFilter(answers={"gender": ["robot"]}), "has no option robot"),
    (MatrixFilter(answers={"training_topic": ["x"]}), "training_topic"),
    (MatrixFilter(answers={"needs": ["spa"]}), "has no option spa"),
])
def test_filters_that_name_nothing_are_refused_before_reading(app, filters, message):
    with app.app_context():
        questionnaire = _publish(needs_questionnaire())
        with pytest.raises(FilterError) as caught:
            load_matrix(questionnaire, filters)
        assert message in caught.value.message


def _edit_to_version_two(questionnaire):
    """v2: a new gender option, needs without 'training' and with 'childcare', a new question."""
    spec = qs.spec_of(questionnaire.versions[-1])
    about, needs_page = spec.sections
    gender = dataclasses.replace(spec.question("gender"), options=(
        Option("m", L("男", "Male")), Option("x", L("不透露", "Rather not say")), Option("f", L("女", "Female")),
        Option("other", L("其他", "Other"), True)))
    needs = dataclasses.replace(spec.question("needs"), options=(
        Option("legal", L("法律", "Legal")), Option("aid", L("帮扶", "Aid")), Option("childcare", L("托管", "Childcare")),
        Option("more", L("其他", "Other"), True)))
    extra = Question("channel", T.SINGLE_CHOICE, L("渠道", "Channel"),
                     options=(Option("app", L("手机", "App")), Option("hotline", L("热线", "Hotline"))))
    about = dataclasses.replace(about, questions=(gender, spec.question("age"), extra))
    needs_page = dataclasses.replace(needs_page, questions=tuple(
        needs if q.id == "needs" else q for q in needs_page.questions))
    qs.edit_questionnaire(questionnaire=questionnaire, spec=dataclasses.replace(spec, sections=(about, needs_page)))
    qs.publish_questionnaire(questionnaire=questionnaire)


def test_versions_of_different_widths_are_padded_and_keep_their_codes(app):
    with app.app_context():
        questionnaire = _publish(make_questionnaire())
        submit_whole_response(questionnaire=questionnaire, client_id="a" * 20, answers=FULL)
        bulk_import_responses(questionnaire, [{"gender": "f", "age": 40, "needs": ["aid"], "home": HOME}])
        narrow = db.session.scalar(select(AnswerRow).order_by(AnswerRow.response_id.desc()).limit(1)).data
        _edit_to_version_two(questionnaire)
        v2 = {"gender": "x", "age": 22, "channel": "hotline", "needs": ["childcare", "legal"], "legal_detail": "d",
              "home": HOME}
        submit_whole_response(questionnaire=questionnaire, client_id="b" * 20, answers=v2)
        bulk_import_responses(questionnaire, [{"gender": "f", "age": 50, "needs": ["aid"], "home": HOME}])
        wide = db.session.scalar(select(AnswerRow).order_by(AnswerRow.response_id.desc()).limit(1)).data
        assert len(wide) > len(narrow)  # the newer codebook has more slots

        matrix = load_matrix(questionnaire)
        codebook = matrix.codebook
        assert codebook.versions == (1, 2)
        responses = _submitted(questionnaire)
        assert np.array_equal(matrix.values, slow_matrix(codebook, responses), equal_nan=True)
        assert matrix.rows.version.tolist() == [1, 1, 2, 2]
        assert matrix.column("gender").tolist() == [3, 2, 4, 2]  # "f" is 2 in both versions, "x" is new: 4
        assert np.isnan(matrix.column("channel")[:2]).all() and matrix.column("channel")[2] == 2
        assert np.isnan(matrix.column("needs_childcare")[:2]).all()  # not offered in version 1
        assert np.isnan(matrix.column("needs_training")[2:]).all()  # no longer offered in version 2
        assert matrix.column("needs_training")[:2].tolist() == [0, 0]
        assert load_matrix(questionnaire, MatrixFilter(versions=(2,))).rows.version.tolist() == [2, 2]
        assert load_matrix(questionnaire, MatrixFilter(answers={"needs": ["childcare"]})).rows.version.tolist() == [2]


# --------------------------------------------------------------------------- bulk import and rebuild

def test_bulk_import_validates_and_refuses_all_or_nothing(app):
    with app.app_context():
        questionnaire = _publish(make_questionnaire())
        good = {"gender": "m", "age": 33, "needs": ["legal"], "legal_detail": "x", "home": {"space": 1, "staff": 2}}
        records = [good] * 7 + [{"gender": "m"}] + [good] * 3  # row 8 lacks the required age
        with pytest.raises(ImportRefused) as caught:
            bulk_import_responses(questionnaire, records, batch_size=3)
        assert caught.value.row == 8 and "age" in caught.value.errors
        assert "Row 8" in caught.value.message
        assert db.session.scalar(select(func.count()).select_from(Response)) == 0
        assert db.session.scalar(select(func.count()).select_from(AnswerRow)) == 0
        with pytest.raises(ImportRefused) as caught:
            bulk_import_responses(questionnaire, [ImportRecord(good, unit_id=987654)])
        assert "no unit 987654" in caught.value.message
        with pytest.raises(ImportRefused) as caught:  # unvalidated answers must still fit their questions
            bulk_import_responses(questionnaire, [good, {"gender": "robot"}], validate=False)
        assert caught.value.row == 2 and "robot" in caught.value.message
        assert db.session.scalar(select(func.count()).select_from(Response)) == 0
        summary = bulk_import_responses(questionnaire, [good] * 5, batch_size=2)
        assert (summary.imported, summary.version) == (5, 1)
        stored = _submitted(questionnaire)
        assert len(stored) == 5 and len({r.client_id for r in stored}) == 5
        assert all(r.status is ResponseStatus.SUBMITTED and r.submitted_on == r.started_on for r in stored)
        assert load_matrix(questionnaire).values.shape[0] == 5


def test_bulk_import_needs_a_published_version(app):
    with app.app_context():
        questionnaire = qs.create_questionnaire(spec=make_questionnaire(), kind=QuestionnaireKind.NEEDS)
        with pytest.raises(ImportRefused):
            bulk_import_responses(questionnaire, [{"gender": "m", "age": 30}])


def test_rebuild_rewrites_the_rows_from_the_json_answers(app):
    with app.app_context():
        questionnaire, _units = _demo_like(120, seed=3)
        before = db.session.execute(select(AnswerRow.response_id, AnswerRow.data, AnswerRow.texts)
                                    .order_by(AnswerRow.response_id)).all()
        db.session.execute(AnswerRow.__table__.delete())
        assert load_matrix(questionnaire).values.shape[0] == 0
        seen = []
        assert rebuild_answer_rows(questionnaire, progress=seen.append) == 120
        assert sum(seen) == 120
        after = db.session.execute(select(AnswerRow.response_id, AnswerRow.data, AnswerRow.texts)
                                   .order_by(AnswerRow.response_id)).all()
        assert after == before


def test_duplicate_submission_ids_refuse_the_whole_import(app):
    with app.app_context():
        questionnaire = _publish(make_questionnaire())
        good = {"gender": "m", "age": 33, "home": HOME}
        records = [ImportRecord(good, client_id="same-client-id-000001"), ImportRecord(good),
                   ImportRecord(good, client_id="same-client-id-000001")]
        with pytest.raises(ImportRefused) as caught:
            bulk_import_responses(questionnaire, records)
        assert "used twice or already exists" in caught.value.message
        assert db.session.scalar(select(func.count()).select_from(Response)) == 0
        assert db.session.scalar(select(func.count()).select_from(AnswerRow)) == 0
        bulk_import_responses(questionnaire, records[:2])  # the session is still usable
        assert len(_submitted(questionnaire)) == 2


def test_the_migration_backfills_the_same_rows_as_the_submission_path(app):
    import importlib.util
    from pathlib import Path

    migration = next((Path(__file__).parents[2] / "survey" / "migrations" / "versions").glob("*-80f01ca44d24_*.py"))
    spec = importlib.util.spec_from_file_location("answer_rows_migration", migration)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with app.app_context():
        questionnaire, _units = _demo_like(90, seed=8)
        submit_whole_response(questionnaire=questionnaire, client_id="m" * 20,
                              answers=_submitted(questionnaire)[0].answers)
        before = db.session.execute(select(AnswerRow.response_id, AnswerRow.version_id, AnswerRow.unit_id,
                                           AnswerRow.submitted_on, AnswerRow.data, AnswerRow.texts)
                                    .order_by(AnswerRow.response_id)).all()
        db.session.execute(AnswerRow.__table__.delete())
        module._backfill(db.session.connection())
        after = db.session.execute(select(AnswerRow.response_id, AnswerRow.version_id, AnswerRow.unit_id,
                                          AnswerRow.submitted_on, AnswerRow.data, AnswerRow.texts)
                                   .order_by(AnswerRow.response_id)).all()
        assert len(after) == 91 and after == before
