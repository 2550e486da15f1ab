"""``kaimen export responses`` and ``kaimen export rebuild-matrix``: files, messages, exit codes."""

from __future__ import annotations

import csv
import io
import json

import openpyxl
import pyreadstat
import pytest
from sqlalchemy import func, select

from survey.extensions import db
from survey.models import AnswerRow, QuestionnaireKind
from survey.services import questionnaires as qs
from survey.services.answer_columns import bulk_import_responses
from tests.forms.conftest import make_questionnaire

GOOD = {"gender": "f", "age": 30, "needs": ["aid"], "home": {"space": 2, "staff": 5}, "name": "=cmd|' /C calc'!A0"}


@pytest.fixture
def questionnaire_id(app):
    with app.app_context():
        q = qs.create_questionnaire(spec=make_questionnaire(), kind=QuestionnaireKind.NEEDS)
        qs.publish_questionnaire(questionnaire=q)
        bulk_import_responses(q, [GOOD, {**GOOD, "gender": "m", "age": 31, "name": "李明"}, {**GOOD, "age": 32}],
                              validate=False)  # the name is longer than the form allows
        db.session.commit()
        return q.id


def _run(app, *args):
    return app.test_cli_runner().invoke(args=["export", *map(str, args)])


@pytest.mark.parametrize("fmt, name", [("csv", "CSV"), ("xlsx", "XLSX"), ("sav", "SPSS"), ("json", "JSON")])
def test_each_format_is_written_with_a_progress_bar_and_a_summary(app, questionnaire_id, tmp_path, fmt, name):
    out = tmp_path / f"responses.{fmt}"
    result = _run(app, "responses", questionnaire_id, "--format", fmt, "--out", out)
    assert result.exit_code == 0, result.output
    assert result.stdout == (f"Wrote 3 responses of questionnaire {questionnaire_id} ({name}, "
                             f"{out.stat().st_size} bytes) to {out}.\n")
    assert "Exporting 3 responses" in result.stderr
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # no temporary file left behind
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
        assert [r["age"] for r in rows] == ["30", "31", "32"] and rows[1]["name"] == "李明"
        assert rows[0]["name"] == "'=cmd|' /C calc'!A0"
    elif fmt == "xlsx":
        sheet = openpyxl.load_workbook(out, read_only=True)
        assert sheet.sheetnames == ["responses", "codebook"]
    elif fmt == "sav":
        data, meta = pyreadstat.read_sav(str(out), output_format="dict")
        assert meta.number_rows == 3 and data["age"] == [30.0, 31.0, 32.0]
    else:
        assert [r["gender"] for r in json.loads(out.read_text(encoding="utf-8"))] == [2, 1, 2]


def test_english_labels(app, questionnaire_id, tmp_path):
    out = tmp_path / "en.sav"
    assert _run(app, "responses", questionnaire_id, "--format", "sav", "--out", out, "--language", "en").exit_code == 0
    _data, meta = pyreadstat.read_sav(str(out), output_format="dict")
    assert meta.column_names_to_labels["gender"] == "Gender"
    assert meta.variable_value_labels["gender"][2.0] == "Option f"


def test_an_existing_file_is_replaced_only_when_the_export_succeeds(app, questionnaire_id, tmp_path):
    out = tmp_path / "keep.csv"
    out.write_text("old")
    assert _run(app, "responses", 999_999, "--format", "csv", "--out", out).exit_code == 1
    assert out.read_text() == "old"
    assert _run(app, "responses", questionnaire_id, "--format", "csv", "--out", out).exit_code == 0
    assert out.read_bytes().startswith(b"\xef\xbb\xbfresponse_id")


def test_bad_ids_formats_and_paths_end_with_an_error_line(app, questionnaire_id, tmp_path):
    result = _run(app, "responses", 999_999, "--format", "csv", "--out", tmp_path / "x.csv")
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == (
        "Error: There is no questionnaire 999999; see: kaimen questionnaire list")
    result = _run(app, "responses", questionnaire_id, "--format", "pdf", "--out", tmp_path / "x.pdf")
    assert result.exit_code == 2 and "Error: Invalid value for '--format'" in result.output
    missing = tmp_path / "nowhere" / "x.csv"
    result = _run(app, "responses", questionnaire_id, "--format", "csv", "--out", missing)
    assert result.exit_code == 1
    assert f"Error: cannot write {missing}: the folder {missing.parent} does not exist" in result.output
    result = _run(app, "responses", questionnaire_id, "--format", "csv", "--out", tmp_path)
    assert result.exit_code == 2 and "Error: Invalid value for '--out'" in result.output
    assert "is a directory" in result.output
    result = _run(app, "responses", "abc", "--format", "csv", "--out", tmp_path / "x.csv")
    assert result.exit_code == 2 and "Error: Invalid value for 'QUESTIONNAIRE_ID'" in result.output
    assert list(tmp_path.iterdir()) == []


def test_rebuild_matrix_restores_the_rows(app, questionnaire_id):
    with app.app_context():
        db.session.execute(AnswerRow.__table__.delete())
        db.session.commit()
    result = _run(app, "rebuild-matrix", questionnaire_id)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Questionnaire {questionnaire_id}: 3 answer rows written.\n"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AnswerRow)) == 3
    everything = _run(app, "rebuild-matrix")
    assert everything.exit_code == 0 and f"Questionnaire {questionnaire_id}: 3 answer rows written." in everything.stdout
    result = _run(app, "rebuild-matrix", 999_999)
    assert result.exit_code == 1 and "Error: There is no questionnaire 999999" in result.output
