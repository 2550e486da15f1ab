"""``kaimen report needs``: the PDF, the progress lines, ``Error:`` lines, exit codes, no file left behind."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from survey.extensions import db
from survey.models import QuestionnaireKind
from survey.services import questionnaires as qs
from tests.survey.test_needs_report_service import seed_needs_survey, spec


@pytest.fixture
def questionnaire_id(app):
    with app.app_context():
        return seed_needs_survey()


@pytest.fixture
def empty_id(app):
    with app.app_context():
        questionnaire = qs.create_questionnaire(spec=spec(), kind=QuestionnaireKind.NEEDS)
        qs.publish_questionnaire(questionnaire=questionnaire)
        db.session.commit()
        return questionnaire.id


def _run(app, *args):
    return app.test_cli_runner().invoke(args=["report", *map(str, args)])


def _text(path) -> str:
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return re.sub(r"\s+", " ", out)


def test_the_needs_report_is_written_with_a_progress_bar_and_a_summary(app, questionnaire_id, tmp_path):
    out = tmp_path / "needs.pdf"
    result = _run(app, "needs", questionnaire_id, "--out", out)
    assert result.exit_code == 0, result.output
    assert result.stdout == (f"Wrote the needs report of questionnaire {questionnaire_id} (60 responses, "
                             f"{out.stat().st_size:,} bytes) to {out}.\n")
    for step in ("Loading 60 responses", "Analysing the responses", "Breaking the results down by group",
                 "Laying out the PDF"):
        assert step in result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["needs.pdf"]  # no temporary file left behind
    assert out.read_bytes().startswith(b"%PDF-")
    text = _text(out)
    assert "测试职工需求问卷" in text and "二、主要发现" in text and "您需要哪些服务" in text


def test_english(app, questionnaire_id, tmp_path):
    out = tmp_path / "needs-en.pdf"
    result = _run(app, "needs", questionnaire_id, "--out", out, "--language", "en")
    assert result.exit_code == 0, result.output
    text = _text(out)
    assert "Key findings" in text and "Which services do you need" in text


def test_a_bad_id_ends_with_an_error_line_and_leaves_no_file(app, questionnaire_id, tmp_path):
    out = tmp_path / "needs.pdf"
    result = _run(app, "needs", 999_999, "--out", out)
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == (
        "Error: There is no questionnaire 999999; see: kaimen questionnaire list")
    result = _run(app, "needs", "abc", "--out", out)
    assert result.exit_code == 2 and "Error: Invalid value for 'QUESTIONNAIRE_ID'" in result.output
    result = _run(app, "needs", questionnaire_id, "--out", out, "--language", "fr")
    assert result.exit_code == 2 and "Error: Invalid value for '--language'" in result.output
    assert list(tmp_path.iterdir()) == []


def test_a_questionnaire_without_responses_is_refused(app, empty_id, tmp_path):
    out = tmp_path / "needs.pdf"
    out.write_bytes(b"old")
    result = _run(app, "needs", empty_id, "--out", out)
    assert result.exit_code == 1
    assert result.output == (f"Error: Questionnaire {empty_id} has no submitted responses yet: there is nothing to "
                             "report.\n")
    assert out.read_bytes() == b"old"  # an older file is not replaced
    assert [p.name for p in tmp_path.iterdir()] == ["needs.pdf"]


def test_unwritable_paths_end_with_an_error_line(app, questionnaire_id, tmp_path):
    missing = tmp_path / "nowhere" / "needs.pdf"
    result = _run(app, "needs", questionnaire_id, "--out", missing)
    assert result.exit_code == 1
    assert result.output == f"Error: cannot write {missing}: the folder {missing.parent} does not exist\n"
    result = _run(app, "needs", questionnaire_id, "--out", tmp_path)
    assert result.exit_code == 2 and "Error: Invalid value for '--out'" in result.output
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        target = locked / "needs.pdf"
        if _writable(locked):  # root may write anywhere; nobody may create files in /proc
            target = Path("/proc/kaimen-needs.pdf")
            if not Path("/proc").is_dir():
                pytest.skip("no folder this user cannot write to")
        result = _run(app, "needs", questionnaire_id, "--out", target)
        assert result.exit_code == 1
        assert result.output.startswith(f"Error: cannot write {target}: ")
        assert list(locked.iterdir()) == [] and not target.exists()
    finally:
        locked.chmod(0o700)


def _writable(folder) -> bool:
    try:
        (folder / ".probe").write_bytes(b"")
    except OSError:
        return False
    (folder / ".probe").unlink()
    return True


def test_the_report_group_lists_its_commands(app):
    result = _run(app, "--help")
    assert result.exit_code == 0 and "needs" in result.output
