"""``kaimen questionnaire import|export|list``: output, exit codes, and nothing stored on refusal."""

from __future__ import annotations

import dataclasses
import io
import json
import zipfile

import pytest
from sqlalchemy import func, select

from forms.questionnaire.checks import publish_problems
from forms.questionnaire.spec import LocalizedText
from forms.questionnaire.spec import Questionnaire as Spec
from forms.questionnaire.xlsform import XLSFormError, import_xlsform
from forms.questionnaire.xlsform_export import export_xlsform
from survey.extensions import db
from survey.models import Questionnaire, QuestionnaireKind, QuestionnaireStatus
from survey.services import questionnaires
from survey.services.questionnaire_files import MAX_IMPORT_BYTES
from tests.forms.conftest import make_questionnaire

from tests.fixtures import XLSFORM_DIR

INTEROP = XLSFORM_DIR
INTEROP_FILES = sorted(INTEROP.glob("*.xlsx"))


def _run(app, *args: str):
    return app.test_cli_runner().invoke(args=["questionnaire", *map(str, args)])


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Questionnaire.id)))


def _newest() -> Questionnaire:
    return db.session.scalar(select(Questionnaire).order_by(Questionnaire.id.desc()).limit(1))


def _create(app, spec: Spec | None = None, kind=QuestionnaireKind.NEEDS, publish=False) -> int:
    with app.app_context():
        q = questionnaires.create_questionnaire(spec=spec or make_questionnaire(), kind=kind)
        if publish:
            questionnaires.publish_questionnaire(questionnaire=q)
        db.session.commit()
        return q.id


def test_json_export_then_import_gives_an_equal_spec(app, tmp_path):
    original = _create(app, kind=QuestionnaireKind.SATISFACTION)
    out = tmp_path / "needs.json"
    exported = _run(app, "export", original, "--format", "json", "--out", out)
    assert exported.exit_code == 0, exported.output
    assert exported.output == f"Wrote questionnaire {original} (Kaimen JSON, {out.stat().st_size} bytes) to {out}.\n"
    imported = _run(app, "import", out)
    assert imported.exit_code == 0, imported.output
    with app.app_context():
        copy = _newest()
        assert copy.id != original
        assert Spec.from_dict(copy.versions[0].spec) == make_questionnaire()
        assert (copy.kind, copy.status) == (QuestionnaireKind.SATISFACTION, QuestionnaireStatus.DRAFT)
        original_slug = db.session.get(Questionnaire, original).slug
    assert imported.output.splitlines() == [
        (f'Imported questionnaire {copy.id} from needs.json (Kaimen JSON): "职工需求问卷", kind satisfaction, '
         "2 sections, 10 questions."),
        "It is a draft.",
        "Not imported as written (1):",
        f"  slug '{original_slug}' is already used by another questionnaire; the import gets a new link",
    ]


def test_xlsform_export_writes_a_workbook_that_reads_back_equal(app, tmp_path):
    original = _create(app)
    out = tmp_path / "needs.xlsx"
    result = _run(app, "export", original, "--format", "xlsform", "--out", out)
    assert result.exit_code == 0, result.output
    assert import_xlsform(out).questionnaire == make_questionnaire()


def test_export_of_an_older_version(app, tmp_path):
    original = _create(app, publish=True)
    with app.app_context():
        q = db.session.get(Questionnaire, original)
        questionnaires.edit_questionnaire(questionnaire=q, spec=dataclasses.replace(make_questionnaire(), sections=()))
        db.session.commit()
    out = tmp_path / "v1.json"
    assert _run(app, "export", original, "--out", out, "--version", "1").exit_code == 0
    assert json.loads(out.read_text())["questionnaire_version"] == 1
    assert Spec.from_dict(json.loads(out.read_text())["spec"]) == make_questionnaire()
    missing = _run(app, "export", original, "--out", out, "--version", "3")
    assert missing.exit_code == 1
    assert missing.output == f"Error: Questionnaire {original} has no version 3 (it has versions 1 to 2).\n"


def test_export_of_an_unknown_id_is_an_error(app, tmp_path):
    out = tmp_path / "none.json"
    result = _run(app, "export", "999999", "--format", "json", "--out", out)
    assert result.exit_code == 1
    assert result.output == "Error: There is no questionnaire 999999; see: kaimen questionnaire list\n"
    assert not out.exists()


def test_list_prints_one_line_per_questionnaire_starting_with_its_id(app):
    first = _create(app, publish=True)
    second = _create(app, kind=QuestionnaireKind.OTHER)
    english = _create(app, spec=dataclasses.replace(make_questionnaire(), title=LocalizedText(en="Chair satisfaction")),
                      kind=QuestionnaireKind.SATISFACTION)
    result = _run(app, "list")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [int(line.split("\t")[0]) for line in lines] == [first, second, english]
    with app.app_context():
        slugs = {q.id: q.slug for q in db.session.scalars(select(Questionnaire))}
    assert lines == [
        f"{first}\t{slugs[first]}\tpublished\tneeds\tlive v1\t0 submitted\t职工需求问卷",
        f"{second}\t{slugs[second]}\tdraft\tother\tnot live\t0 submitted\t职工需求问卷",
        f"{english}\t{slugs[english]}\tdraft\tsatisfaction\tnot live\t0 submitted\tChair satisfaction",
    ]


def test_list_of_nothing_says_so(app):
    with app.app_context():
        assert db.session.scalar(select(func.count(Questionnaire.id))) == 0
    result = _run(app, "list")
    assert (result.exit_code, result.output) == (0, "No questionnaires.\n")


def test_the_shared_interop_folder_holds_forms():
    assert len(INTEROP_FILES) >= 7, INTEROP


@pytest.mark.parametrize("path", INTEROP_FILES, ids=lambda p: p.name)
def test_every_real_xlsform_imports_or_is_refused_row_by_row(app, path):
    before = _count(app)
    result = _run(app, "import", path, "--kind", "needs")
    try:
        expected = import_xlsform(path)
    except XLSFormError as refused:
        assert result.exit_code == 1, result.output
        assert result.output.splitlines() == [f"Error: The spreadsheet {path.name} was not imported:",
                                              *(f"  {reason}" for reason in refused.reasons)]
        assert _count(app) == before
        return
    assert result.exit_code == 0, result.output
    assert _count(app) == before + 1
    spec = expected.questionnaire
    questions = sum(len(s.questions) for s in spec.sections)
    with app.app_context():
        stored = _newest()
        assert Spec.from_dict(stored.versions[0].spec) == spec
        assert (stored.kind, stored.status) == (QuestionnaireKind.NEEDS, QuestionnaireStatus.DRAFT)
    sections = f"{len(spec.sections)} section{'' if len(spec.sections) == 1 else 's'}"
    asked = f"{questions} question{'' if questions == 1 else 's'}"
    report = ([f"Not imported as written ({len(expected.report)}):", *(f"  {line}" for line in expected.report)]
              if expected.report else ["Everything in the file was imported."])
    assert result.output.splitlines() == [
        (f'Imported questionnaire {stored.id} from {path.name} (XLSForm): "{spec.title.get()}", kind needs, '
         f"{sections}, {asked}."),
        "It is a draft.",
        *report,
    ]


def test_group_xlsx_reports_the_phone_number_row(app):
    """One known row, spelled out, so a change in the report's wording shows here too."""
    result = _run(app, "import", INTEROP / "group.xlsx")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-2:] == [
        "Not imported as written (1):",
        ("  survey row 4 (type 'phone number', name 'phone_number'): imported as a short text question "
         "(Kaimen does not check phone numbers)"),
    ]


def _duplicate_option_spec() -> bytes:
    data = make_questionnaire().to_dict()
    options = data["sections"][1]["questions"][0]["options"]
    options.append(dict(options[1]))
    return json.dumps(data).encode()


def _macro_workbook() -> bytes:
    buffer = io.BytesIO(export_xlsform(make_questionnaire()))
    with zipfile.ZipFile(buffer, "a") as package:
        package.writestr("xl/vbaProject.bin", b"\x00" * 64)
    return buffer.getvalue()


BAD_FILES = [
    pytest.param("broken.json", b'{"title": {"zh": "x"},\n "sections": [}\n',
                 ["Error: broken.json is not valid JSON: line 2, column 15: Expecting value."], id="invalid-json"),
    pytest.param("dup.json", _duplicate_option_spec(),
                 [("Error: The questionnaire in dup.json is not valid: at sections[1].questions[0].options: "
                  "option id 'training' appears twice.")], id="duplicate-option"),
    pytest.param("fake.xlsx", b"name,type\nage,integer\n",
                 ["Error: The spreadsheet fake.xlsx was not imported:",
                  "  this is not an .xlsx workbook (it is not a zip package)"], id="xlsx-not-zip"),
    pytest.param("macro.xlsm", _macro_workbook(),
                 ["Error: The spreadsheet macro.xlsm was not imported:",
                  "  the workbook contains macros (vbaProject.bin); save it as a plain .xlsx without macros"],
                 id="xlsm-macros"),
    pytest.param("empty.xlsx", b"", ["Error: empty.xlsx is empty."], id="empty"),
]


@pytest.mark.parametrize("name, content, lines", BAD_FILES)
def test_a_bad_file_is_refused_with_a_clear_message_and_nothing_stored(app, tmp_path, name, content, lines):
    _create(app)
    before = _count(app)
    path = tmp_path / name
    path.write_bytes(content)
    result = _run(app, "import", path)
    assert result.exit_code == 1
    assert result.output.splitlines() == lines
    assert _count(app) == before


def test_an_oversized_file_is_refused_before_it_is_read(app, tmp_path):
    path = tmp_path / "huge.xlsx"
    with open(path, "wb") as handle:
        handle.truncate(MAX_IMPORT_BYTES + 1)  # sparse: no need to write 5 MB
    result = _run(app, "import", path)
    assert result.exit_code == 1
    assert result.output == f"Error: huge.xlsx is {MAX_IMPORT_BYTES + 1} bytes; the limit is {MAX_IMPORT_BYTES} bytes.\n"
    assert _count(app) == 0


def test_publish_after_import(app, tmp_path):
    path = tmp_path / "needs.json"
    path.write_text(json.dumps(make_questionnaire().to_dict(), ensure_ascii=False), encoding="utf-8")
    result = _run(app, "import", path, "--kind", "needs", "--publish")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1:] == ["Published version 1.", "Everything in the file was imported."]
    with app.app_context():
        stored = _newest()
        assert stored.status is QuestionnaireStatus.PUBLISHED and stored.versions[0].frozen


def test_publish_blocked_lists_every_problem_and_stores_nothing(app, tmp_path):
    spec = make_questionnaire()
    broken = dataclasses.replace(spec, sections=spec.sections[1:])  # page "needs" reads ${age}, now missing
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(broken.to_dict(), ensure_ascii=False), encoding="utf-8")
    result = _run(app, "import", path, "--publish")
    assert result.exit_code == 1
    with app.app_context():
        problems = [str(p) for p in publish_problems(broken)]
    assert len(problems) == 1
    assert result.output.splitlines() == [
        "Error: The questionnaire has 1 problem that blocks publishing. Nothing was stored:",
        *(f"  {problem}" for problem in problems),
    ]
    assert _count(app) == 0
    # Without --publish the same file imports as a draft.
    assert _run(app, "import", path).exit_code == 0
    assert _count(app) == 1
