"""``kaimen publish``, ``kaimen bundle``, ``kaimen report unit`` and ``kaimen report round``."""

from __future__ import annotations

import hashlib
import subprocess

import pytest
from sqlalchemy import select

from survey.extensions import db
from survey.models import OrgUnit, Publication
from survey.services import publications
from tests.survey.round_builders import seed_round
from tests.survey.test_publications import scored_round


@pytest.fixture
def round_id(app):
    with app.app_context():
        round = scored_round()
        db.session.commit()
        return round.id


def _run(app, *args):
    return app.test_cli_runner().invoke(args=[*map(str, args)])


def _pdf_text(path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_publish_prints_every_file_with_its_hash(app, round_id):
    result = _run(app, "publish", round_id)
    assert result.exit_code == 0, result.output
    with app.app_context():
        publication = db.session.scalar(select(Publication).where(Publication.round_id == round_id))
        assert publication.version == 1
        assert f"as version 1 with {len(publication.files)} files:" in result.stdout
        for file in publication.files:
            assert f"  {file.sha256}  {file.filename} ({file.size} bytes)" in result.stdout
        assert f"Audit chain head at publication: {publication.audit_head}" in result.stdout


def test_a_second_publication_needs_a_note_and_a_change(app, round_id):
    assert _run(app, "publish", round_id).exit_code == 0
    again = _run(app, "publish", round_id)
    assert again.exit_code == 1
    assert again.output.startswith("Error: Version 2 replaces version 1: say in the note what changed.")
    assert "Nothing was published." in again.output
    unchanged = _run(app, "publish", round_id, "--note", "no change")
    assert unchanged.exit_code == 1 and "Nothing changed since version 1" in unchanged.output
    with app.app_context():
        assert db.session.scalar(select(Publication.version).where(Publication.round_id == round_id)
                                 .order_by(Publication.version.desc())) == 1


def test_publish_refuses_unknown_and_unscored_rounds(app):
    assert _run(app, "publish", 999_999).output == "Error: There is no round 999999.\n"
    with app.app_context():
        empty = seed_round()
        db.session.commit()
        empty_id = empty.id
    result = _run(app, "publish", empty_id)
    assert result.exit_code == 1
    assert "no submitted scorecards yet" in result.output and "Nothing was published." in result.output


def test_bundle_writes_the_latest_publication_or_says_it_is_unpublished(app, round_id, tmp_path):
    out = tmp_path / "bundle.zip"
    early = _run(app, "bundle", round_id, "--out", out)
    assert early.exit_code == 1
    assert early.output == (f"Error: Round {round_id} has not been published yet; publish it first: "
                            f"kaimen publish {round_id}\n")
    assert list(tmp_path.iterdir()) == []

    assert _run(app, "publish", round_id).exit_code == 0
    result = _run(app, "bundle", round_id, "--out", out)
    assert result.exit_code == 0, result.output
    with app.app_context():
        publication = db.session.scalar(select(Publication).where(Publication.round_id == round_id))
        expected = publications.bundle(publication)
    assert out.read_bytes() == expected
    assert f"SHA-256 {hashlib.sha256(expected).hexdigest()}" in result.stdout
    assert [p.name for p in tmp_path.iterdir()] == ["bundle.zip"]  # no temporary file left

    missing = _run(app, "bundle", round_id, "--out", tmp_path / "v2.zip", "--version", 2)
    assert missing.exit_code == 1 and "has no version 2; its latest is 1" in missing.output
    assert not (tmp_path / "v2.zip").exists()


def test_bundle_into_a_missing_folder_fails_cleanly(app, round_id, tmp_path):
    assert _run(app, "publish", round_id).exit_code == 0
    result = _run(app, "bundle", round_id, "--out", tmp_path / "nowhere" / "b.zip")
    assert result.exit_code == 1 and "the folder" in result.output and "does not exist" in result.output


def test_report_round_and_unit_write_preview_pdfs(app, round_id, tmp_path):
    out = tmp_path / "round.pdf"
    result = _run(app, "report", "round", round_id, "--out", out)
    assert result.exit_code == 0, result.output
    assert "preview, not published" in result.stdout
    assert out.read_bytes().startswith(b"%PDF-")
    text = _pdf_text(out)
    assert "隆盛泰公司工会" in text and "尚未发布" in text

    unit = tmp_path / "unit.pdf"
    result = _run(app, "report", "unit", round_id, "XC-D01", "--out", unit, "--language", "en")
    assert result.exit_code == 0, result.output
    text = _pdf_text(unit)
    assert "XC-D01" in text and "not published" in text
    with app.app_context():
        assert db.session.scalar(select(Publication.id).where(Publication.round_id == round_id)) is None
        unit_id = db.session.scalar(select(OrgUnit.id).where(OrgUnit.code == "XC-D01"))
    by_id = tmp_path / "unit-by-id.pdf"  # UNIT_ID: the unit's id works as well as its code
    result = _run(app, "report", "unit", round_id, unit_id, "--out", by_id)
    assert result.exit_code == 0, result.output
    assert "XC-D01" in _pdf_text(by_id)


def test_report_errors_leave_no_file(app, round_id, tmp_path):
    out = tmp_path / "unit.pdf"
    result = _run(app, "report", "unit", round_id, "XC-ZZZ", "--out", out)
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: Unit XC-ZZZ is not evaluated in round {round_id}; its units are: XC-D01")
    assert _run(app, "report", "round", 999_999, "--out", out).output == "Error: There is no round 999999.\n"
    with app.app_context():
        empty = seed_round()
        db.session.commit()
        empty_id = empty.id
    unscored = _run(app, "report", "round", empty_id, "--out", out)
    assert unscored.exit_code == 1 and "no submitted scorecards yet" in unscored.output
    assert list(tmp_path.iterdir()) == []
    out.write_bytes(b"old")
    assert _run(app, "report", "round", empty_id, "--out", out).exit_code == 1
    assert out.read_bytes() == b"old"
