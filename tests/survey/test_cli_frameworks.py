"""``kaimen framework import|export|list``: output, exit codes, and nothing stored on refusal."""

from __future__ import annotations

import io

import openpyxl
from sqlalchemy import func, select

from forms.framework_sheet import COLUMNS, read_framework_sheet, write_framework_sheet
from survey.default_framework import default_spec
from survey.extensions import db
from survey.models import Framework, FrameworkVersion
from survey.services import frameworks


def _run(app, *args):
    return app.test_cli_runner().invoke(args=["framework", *map(str, args)])


def _counts(app) -> tuple[int, int]:
    with app.app_context():
        return (db.session.scalar(select(func.count(Framework.id))),
                db.session.scalar(select(func.count(FrameworkVersion.id))))


def _write(path, spec=None, edit=None):
    data = write_framework_sheet(spec or default_spec())
    if edit is not None:
        book = openpyxl.load_workbook(io.BytesIO(data))
        edit(book["criteria"])
        out = io.BytesIO()
        book.save(out)
        data = out.getvalue()
    path.write_bytes(data)
    return path


def test_import_creates_then_adds_a_version_after_freezing(app, tmp_path):
    sheet = _write(tmp_path / "xicheng.xlsx")
    result = _run(app, "import", sheet, "--code", "xicheng-2014", "--name", "2014 细则")
    assert result.exit_code == 0, result.output
    assert result.output == ("Imported framework xicheng-2014 from xicheng.xlsx: created it as version 1; "
                             "10 areas, 40 criteria.\n")
    again = _run(app, "import", sheet, "--code", "xicheng-2014")
    assert again.output == ("Imported framework xicheng-2014 from xicheng.xlsx: nothing changed: version 1 "
                            "already has this content; 10 areas, 40 criteria.\n")
    with app.app_context():
        framework = frameworks.get_framework(code="xicheng-2014")
        assert framework.name == "2014 细则"
        frameworks.freeze_version(version=framework.versions[0])
        db.session.commit()
    spec = default_spec()
    spec["areas"][0]["criteria"][0]["title"]["en"] = "Collective contract"
    changed = _run(app, "import", _write(tmp_path / "v2.xlsx", spec), "--code", "xicheng-2014")
    assert changed.exit_code == 0, changed.output
    assert "version 2 is new (the previous version is frozen)" in changed.output
    assert _counts(app) == (1, 2)


def test_import_of_a_bad_sheet_prints_every_row_and_stores_nothing(app, tmp_path):
    def broken(sheet):
        sheet.cell(row=7, column=COLUMNS.index("max_points") + 1, value="ten")
        sheet.cell(row=4, column=COLUMNS.index("area_weight") + 1, value=12)

    result = _run(app, "import", _write(tmp_path / "bad.xlsx", edit=broken), "--code", "bad")
    assert result.exit_code == 1
    assert result.output == (
        "Error: The spreadsheet was not imported; nothing was stored.\n"
        "  row 7: max_points 'ten' is not a number\n"
        "  area A01: area_weight differs between rows: 10 on rows 2, 3, 5; 12 on row 4\n"
    )
    assert _counts(app) == (0, 0)


def test_import_of_a_framework_that_does_not_add_up_prints_its_problems_and_stores_nothing(app, tmp_path):
    spec = default_spec()
    spec["areas"][2]["criteria"][1]["max_points"] = 4
    result = _run(app, "import", _write(tmp_path / "sums.xlsx", spec), "--code", "sums")
    assert result.exit_code == 1
    assert result.output == (
        "Error: The framework has 1 problem; nothing was stored.\n"
        "  rows 10-13: Area A03 (宣传教育): its criteria's maxima add up to 11, not to its weight 10.\n"
    )
    assert _counts(app) == (0, 0)


def test_import_of_a_criterion_without_a_maximum_stores_nothing(app, tmp_path):
    def no_max(sheet):
        sheet.cell(row=2, column=COLUMNS.index("max_points") + 1).value = None

    result = _run(app, "import", _write(tmp_path / "nomax.xlsx", edit=no_max), "--code", "nomax")
    assert result.exit_code == 1
    assert result.output.splitlines()[1:] == ["  row 2: max_points is empty"]
    assert _counts(app) == (0, 0)


def test_import_of_a_file_that_is_not_a_workbook(app, tmp_path):
    path = tmp_path / "criteria.csv"
    path.write_text("area_code,code\nA01,A01.1\n", encoding="utf-8")
    result = _run(app, "import", path, "--code", "csv")
    assert result.exit_code == 1
    assert result.output.splitlines()[1:] == ["  this is not an .xlsx workbook (it is not a zip package)"]


def test_import_with_a_bad_code_is_refused(app, tmp_path):
    result = _run(app, "import", _write(tmp_path / "ok.xlsx"), "--code", "has space")
    assert result.exit_code == 1
    assert result.output.startswith("Error: The code 'has space' is not valid;")
    assert _counts(app) == (0, 0)


def test_export_writes_a_version_that_imports_back_unchanged(app, tmp_path):
    with app.app_context():
        version = frameworks.load_default_framework()
        frameworks.freeze_version(version=version)
        spec = default_spec()
        spec["areas"][9]["title"]["en"] = "The workers' home"
        frameworks.edit_framework(framework=version.framework, spec=spec)
        db.session.commit()
    out = tmp_path / "v1.xlsx"
    result = _run(app, "export", "xicheng-2014", "--version", "1", "--out", out)
    assert result.exit_code == 0, result.output
    assert result.output == (f"Wrote framework xicheng-2014 version 1 (10 areas, 40 criteria, "
                             f"{out.stat().st_size} bytes) to {out}.\n")
    assert read_framework_sheet(out.read_bytes()).spec == default_spec()
    newest = _run(app, "export", "xicheng-2014", "--out", tmp_path / "v2.xlsx")
    assert "version 2" in newest.output
    assert read_framework_sheet((tmp_path / "v2.xlsx").read_bytes()).spec == spec


def test_export_of_an_unknown_framework_or_version(app, tmp_path):
    result = _run(app, "export", "nothing", "--out", tmp_path / "x.xlsx")
    assert result.exit_code == 1
    assert result.output == "Error: There is no framework nothing; see: kaimen framework list\n"
    with app.app_context():
        frameworks.load_default_framework()
        db.session.commit()
    result = _run(app, "export", "xicheng-2014", "--version", "4", "--out", tmp_path / "x.xlsx")
    assert result.exit_code == 1
    assert result.output == "Error: Framework xicheng-2014 has no version 4.\n"
    assert not (tmp_path / "x.xlsx").exists()


def test_list_prints_one_line_per_framework(app):
    empty = _run(app, "list")
    assert empty.exit_code == 0 and empty.output == "No frameworks.\n"
    with app.app_context():
        version = frameworks.load_default_framework()
        frameworks.freeze_version(version=version)
        spec = default_spec()
        spec["areas"][0]["criteria"].pop()
        frameworks.create_framework(code="a-draft", name="草稿", spec=default_spec())
        frameworks.edit_framework(framework=frameworks.get_framework(code="a-draft"), spec=spec)
        db.session.commit()
    result = _run(app, "list")
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "a-draft\tv1 draft\t10 areas\t39 criteria\t1 problem\t草稿",
        "xicheng-2014\tv1 frozen\t10 areas\t40 criteria\t0 problems\t西城区总工会直属基层工会目标管理考核细则（2014年）",
    ]
