"""Response exports opened with real readers: csv, openpyxl, pyreadstat and json."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime

import openpyxl
import pyreadstat
import pytest

from forms.questionnaire.spec import LocalizedText as L
from survey.exports import ExportError, export_responses, write_responses
from survey.exports.table import neutralise
from survey.extensions import db
from survey.models import OrgLevel, OrgUnit, QuestionnaireKind, UnitKind
from survey.services import questionnaires as qs
from survey.services.answer_columns import FilterError, ImportRecord, MatrixFilter, bulk_import_responses
from tests.forms.conftest import make_questionnaire

HOME = {"space": 3, "staff": 4}
LONG = "职工之家需要更多的活动空间和开放时间，" * 25  # 475 characters, 1425 bytes: an SPSS "very long string"
FORMULAS = ["=1+2", "+8613800000000", "-5", "@SUM(A1)", "\tindented", "\rreturn"]
META = ["response_id", "version", "submitted_on", "unit_code", "sub_district_code"]


def _units():
    district = OrgUnit(code="XC", name_zh="西城区总工会", level=OrgLevel.DISTRICT)
    sub = OrgUnit(code="SCH", name_zh="什刹海街道总工会", level=OrgLevel.SUB_DISTRICT, parent=district)
    shop = OrgUnit(code="SCH-E1", name_zh="什刹海商场工会", level=OrgLevel.GRASSROOTS, parent=sub,
                   kind=UnitKind.ENTERPRISE, industry="commerce")
    db.session.add_all([district, sub, shop])
    db.session.flush()
    return shop


def _answers(i: int) -> dict:
    answers = {"gender": ["m", "f"][i % 2], "age": 20 + i, "needs": ["aid"], "home": HOME, "satisfaction": 1 + i % 5,
               "joined": f"2015-0{1 + i % 9}-1{i % 10}", "income": 10.25 + i}
    if i % 3 == 0:
        answers["needs"] = ["legal", {"option": "more", "other": "夜间托管服务"}]
        answers["legal_detail"] = "劳动合同纠纷"
    if i % 4 == 0:
        answers["priority"] = ["b", "d"]
    return answers


@pytest.fixture
def filled(app):
    """A questionnaire with 10 ordinary responses, one with formula-looking texts, one with a long text."""
    with app.app_context():
        shop = _units()
        questionnaire = qs.create_questionnaire(spec=make_questionnaire(), kind=QuestionnaireKind.NEEDS)
        qs.publish_questionnaire(questionnaire=questionnaire)
        records = [ImportRecord(_answers(i), unit_id=shop.id if i % 2 else None, submitted_on=date(2016, 3, 1 + i))
                   for i in range(10)]
        bulk_import_responses(questionnaire, records)
        tricky = {"gender": {"option": "other", "other": FORMULAS[0]}, "age": 40, "home": HOME,
                  "needs": [{"option": "more", "other": FORMULAS[1]}], "name": FORMULAS[2],
                  "legal_detail": FORMULAS[3]}
        bulk_import_responses(questionnaire, [ImportRecord(tricky, submitted_on=date(2016, 4, 1))], validate=False)
        more = {"gender": "m", "age": 41, "home": HOME, "needs": ["legal"], "legal_detail": LONG, "name": FORMULAS[4],
                "priority": ["a"]}
        bulk_import_responses(questionnaire, [ImportRecord(more, submitted_on=date(2016, 4, 2))], validate=False)
        extra = {"gender": "f", "age": 42, "home": HOME, "needs": ["aid"], "name": FORMULAS[5]}
        bulk_import_responses(questionnaire, [ImportRecord(extra, submitted_on=date(2016, 4, 3))], validate=False)
        db.session.commit()
        return questionnaire.id


def _questionnaire(qid):
    return qs.get_questionnaire(questionnaire_id=qid)


def _content(export) -> bytes:
    return b"".join(export.chunks)


def _csv_rows(app, qid, **kw) -> list[dict]:
    with app.app_context():
        data = _content(export_responses(_questionnaire(qid), "csv", **kw))
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_csv_has_a_bom_one_row_per_response_and_numbers_as_numbers(app, filled):
    with app.app_context():
        export = export_responses(_questionnaire(filled), "csv")
        assert export.filename == f"questionnaire-{filled}-responses.csv"
        assert export.mimetype == "text/csv; charset=utf-8" and export.rows == 13
    rows = _csv_rows(app, filled)
    assert len(rows) == 13
    assert list(rows[0])[:6] == META + ["gender"]
    assert "needs_legal" in rows[0] and "priority_b" in rows[0] and "needs_more_text" in rows[0]
    first = rows[0]
    assert (first["version"], first["submitted_on"], first["unit_code"], first["sub_district_code"]) == (
        "1", "2016-03-01", "", "")
    assert (rows[1]["unit_code"], rows[1]["sub_district_code"]) == ("SCH-E1", "SCH")
    assert (first["gender"], first["age"], first["income"], first["satisfaction"]) == ("1", "20", "10.25", "1")
    assert (first["needs_legal"], first["needs_aid"], first["needs_more"], first["needs_more_text"]) == (
        "1", "0", "1", "夜间托管服务")
    assert (first["priority_b"], first["priority_d"], first["priority_a"]) == ("1", "2", "")
    assert first["joined"] == "2015-01-10" and first["legal_detail"] == "劳动合同纠纷"
    assert (rows[1]["needs_legal"], rows[1]["priority_b"], rows[1]["legal_detail"]) == ("0", "", "")


def test_formula_looking_text_is_neutralised_in_csv_while_numbers_stay_numbers(app, filled):
    rows = _csv_rows(app, filled)
    tricky, more, extra = rows[10], rows[11], rows[12]
    assert tricky["gender_other_text"] == "'=1+2"
    assert tricky["needs_more_text"] == "'+8613800000000"
    assert tricky["name"] == "'-5"
    assert tricky["legal_detail"] == "'@SUM(A1)"
    assert more["name"] == "'\tindented" and extra["name"] == "'\rreturn"
    assert more["legal_detail"] == LONG
    assert tricky["age"] == "40" and tricky["gender"] == "3"  # numbers are not touched
    assert neutralise("plain") == "plain" and neutralise("") == "" and neutralise(None) is None


def test_xlsx_has_typed_cells_neutralised_text_and_a_codebook_sheet(app, filled, tmp_path):
    path = tmp_path / "out.xlsx"
    with app.app_context():
        write_responses(_questionnaire(filled), "xlsx", path, language="en")
    workbook = openpyxl.load_workbook(path, read_only=True)
    assert workbook.sheetnames == ["responses", "codebook"]
    rows = list(workbook["responses"].iter_rows(values_only=True))
    header, data = rows[0], rows[1:]
    assert len(data) == 13
    record = dict(zip(header, data[0]))
    assert record["gender"] == 1 and isinstance(record["gender"], int)
    assert record["age"] == 20 and record["income"] == 10.25 and record["needs_legal"] == 1
    assert record["submitted_on"] == datetime(2016, 3, 1) and record["joined"] == datetime(2015, 1, 10)
    assert record["needs_more_text"] == "夜间托管服务" and record["priority_a"] is None
    tricky = dict(zip(header, data[10]))
    assert tricky["gender_other_text"] == "'=1+2" and tricky["name"] == "'-5" and tricky["age"] == 40
    assert dict(zip(header, data[11]))["legal_detail"] == LONG
    codebook = list(workbook["codebook"].iter_rows(values_only=True))
    assert codebook[0][:6] == ("variable", "label_zh", "label_en", "question", "kind", "type")
    entries = {row[0]: row for row in codebook[1:]}
    assert list(entries) == list(header)
    assert entries["gender"][1:6] == ("性别", "Gender", "gender", "code", "numeric")
    assert entries["gender"][7] == "1 = 选项m; 2 = 选项f; 3 = 其他"
    assert entries["gender"][8] == "1 = Option m; 2 = Option f; 3 = Other"
    assert entries["needs_aid"][6] == "aid" and entries["needs_aid"][9] == "1"
    assert entries["legal_detail"][5] == "text" and entries["joined"][5] == "date"
    assert entries["response_id"][4] == "response"


def test_sav_keeps_variable_labels_value_labels_types_and_chinese(app, filled, tmp_path):
    path = tmp_path / "out.sav"
    with app.app_context():
        write_responses(_questionnaire(filled), "sav", path, chunk_rows=4)  # four chunks glued together
    data, meta = pyreadstat.read_sav(str(path), output_format="dict")
    assert meta.number_rows == 13
    assert meta.column_names[:6] == META + ["gender"]
    assert meta.column_names_to_labels["gender"] == "性别"
    assert meta.column_names_to_labels["needs_aid"] == "您需要哪些服务：选项aid"
    assert meta.column_names_to_labels["submitted_on"] == "提交日期"
    assert meta.variable_value_labels["gender"] == {1.0: "选项m", 2.0: "选项f", 3.0: "其他"}
    assert meta.variable_value_labels["needs_aid"] == {0.0: "未选", 1.0: "已选"}
    assert meta.variable_measure["gender"] == "nominal" and meta.variable_measure["income"] == "scale"
    assert meta.variable_measure["priority_a"] == "ordinal"
    assert meta.file_label == "职工需求问卷"
    assert data["gender"][:3] == [1.0, 2.0, 1.0] and data["age"][:2] == [20.0, 21.0]
    assert data["income"][0] == 10.25
    assert data["priority_a"][0] is None or data["priority_a"][0] != data["priority_a"][0]  # system-missing
    assert data["submitted_on"][0] == date(2016, 3, 1) and data["joined"][0] == date(2015, 1, 10)
    assert data["needs_more_text"][0] == "夜间托管服务"
    assert data["legal_detail"][11] == LONG  # a very long string survives the chunking
    assert data["gender_other_text"][10] == "=1+2"  # SPSS runs no formulas: texts stay as answered
    assert data["unit_code"][:2] == ["", "SCH-E1"]
    # the same file in one chunk
    single = tmp_path / "single.sav"
    with app.app_context():
        write_responses(_questionnaire(filled), "sav", single)
    again, _meta = pyreadstat.read_sav(str(single), output_format="dict")
    assert json.dumps(again, default=str) == json.dumps(data, default=str)
    # byte for byte what pyreadstat writes in one go, but for the creation date and time in the header
    glued, whole = path.read_bytes(), single.read_bytes()
    assert glued[:92] + glued[109:] == whole[:92] + whole[109:]


def test_json_is_an_array_of_typed_objects(app, filled):
    with app.app_context():
        export = export_responses(_questionnaire(filled), "json", chunk_rows=5)
        pieces = list(export.chunks)
    assert len(pieces) > 3  # streamed, not built in one piece
    rows = json.loads(b"".join(pieces))
    assert len(rows) == 13 and list(rows[0])[:6] == META + ["gender"]
    assert rows[0]["gender"] == 1 and rows[0]["income"] == 10.25 and rows[0]["priority_a"] is None
    assert rows[0]["submitted_on"] == "2016-03-01" and rows[0]["needs_more_text"] == "夜间托管服务"
    assert rows[10]["gender_other_text"] == "=1+2"


def test_exports_follow_the_filters_and_an_empty_questionnaire_gives_headers_only(app, filled, tmp_path):
    with app.app_context():
        only = MatrixFilter(answers={"gender": ["f"]}, date_to=date(2016, 3, 31))
        rows = json.loads(_content(export_responses(_questionnaire(filled), "json", filters=only)))
        assert [r["gender"] for r in rows] == [2] * 5
        with pytest.raises(FilterError):
            export_responses(_questionnaire(filled), "csv", filters=MatrixFilter(answers={"nope": [1]}))
        empty = qs.create_questionnaire(spec=make_questionnaire(), kind=QuestionnaireKind.NEEDS)
        qs.publish_questionnaire(questionnaire=empty)
        text = _content(export_responses(empty, "csv")).decode("utf-8-sig")
        assert text.splitlines()[0].startswith("response_id,version") and len(text.splitlines()) == 1
        assert json.loads(_content(export_responses(empty, "json"))) == []
        write_responses(empty, "sav", tmp_path / "empty.sav")
        write_responses(empty, "xlsx", tmp_path / "empty.xlsx")
    data, meta = pyreadstat.read_sav(str(tmp_path / "empty.sav"), output_format="dict")
    assert meta.number_rows == 0 and "gender" in meta.column_names
    sheet = openpyxl.load_workbook(tmp_path / "empty.xlsx", read_only=True)["responses"]
    assert len(list(sheet.iter_rows(values_only=True))) == 1


def test_unknown_formats_and_languages_are_refused(app, filled):
    with app.app_context():
        with pytest.raises(ExportError):
            export_responses(_questionnaire(filled), "pdf")
        with pytest.raises(ExportError):
            export_responses(_questionnaire(filled), "csv", language="fr")


def test_codes_stay_the_same_across_versions_in_the_export(app, filled):
    import dataclasses

    from forms.questionnaire.spec import Option

    with app.app_context():
        questionnaire = _questionnaire(filled)
        spec = qs.spec_of(questionnaire.versions[-1])
        gender = dataclasses.replace(spec.question("gender"), options=(
            Option("f", L("女", "Female")), Option("x", L("不透露", "Rather not say")), Option("m", L("男", "Male"))))
        about = dataclasses.replace(spec.sections[0], questions=(gender, spec.question("age")))
        qs.edit_questionnaire(questionnaire=questionnaire, spec=dataclasses.replace(
            spec, sections=(about, spec.sections[1])))
        qs.publish_questionnaire(questionnaire=questionnaire)
        bulk_import_responses(questionnaire, [{"gender": "x", "age": 30, "home": HOME},
                                              {"gender": "m", "age": 31, "home": HOME}])
        rows = json.loads(_content(export_responses(questionnaire, "json")))
    assert [r["version"] for r in rows[-3:]] == [1, 2, 2]
    assert [r["gender"] for r in rows[-2:]] == [4, 1]  # "m" keeps code 1, the new option gets 4
    assert rows[0]["gender"] == 1
