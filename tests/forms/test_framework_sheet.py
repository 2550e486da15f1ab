"""forms.framework_sheet: a framework as .xlsx both ways, every bad row named, round trips lossless."""

from __future__ import annotations

import copy
import io
import zipfile

import openpyxl
import pytest

from forms.framework_sheet import (
    COLUMNS,
    FrameworkSheetError,
    read_framework_sheet,
    write_framework_sheet,
)
from survey.default_framework import default_spec

# Rows of the default framework's criteria sheet: row 1 headers, rows 2-5 area A01, 6-9 A02, ...
MAX_POINTS = COLUMNS.index("max_points") + 1
AREA_WEIGHT = COLUMNS.index("area_weight") + 1
CODE = COLUMNS.index("code") + 1


def _edited(spec: dict | None = None, edit=None) -> bytes:
    """The exported workbook of ``spec`` (default framework), changed by ``edit(book)``."""
    data = write_framework_sheet(spec or default_spec())
    if edit is None:
        return data
    book = openpyxl.load_workbook(io.BytesIO(data))
    edit(book)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _reasons(data: bytes) -> list[str]:
    with pytest.raises(FrameworkSheetError) as caught:
        read_framework_sheet(data)
    return caught.value.reasons


def test_default_framework_round_trip_is_lossless():
    spec = default_spec()
    result = read_framework_sheet(write_framework_sheet(spec))
    assert result.spec == spec
    assert result.area_rows["A01"] == (2, 3, 4, 5)
    assert result.criterion_rows["A10.4"] == 41


def test_round_trip_keeps_formula_like_text_as_text_and_odd_numbers():
    spec = default_spec()
    first = spec["areas"][0]
    first["title"] = {"zh": "=SUM(A1:A3)", "en": "+1 and -1"}
    first["criteria"][0]["title"] = {"zh": "@cmd", "en": "-2 points"}
    first["criteria"][0]["guidance"]["none"] = {"zh": "", "en": "=HYPERLINK(\"http://x\")"}
    first["criteria"][0]["code"] = "1.10"  # a code that looks like a number stays text
    spec["areas"][1]["weight"] = 12.5
    spec["areas"][1]["criteria"][0]["step"] = 0.25
    spec["areas"].append({"code": "A11", "title": {"zh": "新方面", "en": ""}, "weight": 5, "criteria": []})
    data = write_framework_sheet(spec)
    assert read_framework_sheet(data).spec == spec
    sheet = openpyxl.load_workbook(io.BytesIO(data))["criteria"]
    assert sheet.cell(row=2, column=2).value == "=SUM(A1:A3)"
    assert sheet.cell(row=2, column=2).data_type == "s"
    assert sheet.cell(row=2, column=CODE).value == "1.10"
    assert sheet.cell(row=2, column=MAX_POINTS).value == 3  # numbers stay numbers for Excel


def test_non_number_is_named_by_row_and_column():
    data = _edited(edit=lambda book: book["criteria"].cell(row=7, column=MAX_POINTS, value="ten"))
    assert _reasons(data) == ["row 7: max_points 'ten' is not a number"]


def test_empty_maximum_is_named_by_row():
    def blank(book):
        book["criteria"].cell(row=3, column=MAX_POINTS).value = None

    data = _edited(edit=blank)
    assert _reasons(data) == ["row 3: max_points is empty"]


def test_missing_column_is_named():
    data = _edited(edit=lambda book: book["criteria"].delete_cols(MAX_POINTS))
    assert _reasons(data) == ["sheet 'criteria': column 'max_points' is missing"]


def test_unknown_column_is_refused():
    data = _edited(edit=lambda book: book["criteria"].cell(row=1, column=len(COLUMNS) + 1, value="notes"))
    assert _reasons(data) == ["sheet 'criteria': unknown column 'notes'"]


def test_optional_columns_may_be_left_out():
    def drop_english(book):
        sheet = book["criteria"]
        for name in reversed(COLUMNS):
            if name.endswith("_en"):
                sheet.delete_cols(COLUMNS.index(name) + 1)

    spec = read_framework_sheet(_edited(edit=drop_english)).spec
    assert spec["areas"][0]["title"] == {"zh": "依法维权", "en": ""}
    assert spec["areas"][0]["criteria"][0]["guidance"]["full"]["en"] == ""


def test_macro_workbook_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(write_framework_sheet(default_spec()))) as src, \
            zipfile.ZipFile(buffer, "w") as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename))
        dst.writestr("xl/vbaProject.bin", b"\x00macro")
    assert _reasons(buffer.getvalue()) == [
        "the workbook contains macros (vbaProject.bin); save it as a plain .xlsx without macros"
    ]


def test_conflicting_area_weights_name_the_area_and_rows():
    data = _edited(edit=lambda book: book["criteria"].cell(row=4, column=AREA_WEIGHT, value=12))
    assert _reasons(data) == ["area A01: area_weight differs between rows: 10 on rows 2, 3, 5; 12 on row 4"]


def test_area_cells_may_be_left_empty_after_the_first_row_as_merged_cells_leave_them():
    def blank(book):
        for row in (3, 4, 5):
            for column in range(2, AREA_WEIGHT + 1):
                book["criteria"].cell(row=row, column=column).value = None

    assert read_framework_sheet(_edited(edit=blank)).spec == default_spec()


def test_area_without_any_weight_is_named():
    def blank(book):
        for row in (2, 3, 4, 5):
            book["criteria"].cell(row=row, column=AREA_WEIGHT).value = None

    assert _reasons(_edited(edit=blank)) == ["area A01: area_weight is empty (rows 2, 3, 4, 5)"]


def test_conflicting_area_titles_name_the_area_and_rows():
    data = _edited(edit=lambda book: book["criteria"].cell(row=9, column=2, value="自身建设工作"))
    assert _reasons(data) == [
        "area A02: area_title_zh differs between rows: '自身建设' on rows 6, 7, 8; '自身建设工作' on row 9"
    ]


def test_duplicate_criterion_code_names_both_rows():
    data = _edited(edit=lambda book: book["criteria"].cell(row=6, column=CODE, value="A01.1"))
    assert _reasons(data) == ["row 6: code 'A01.1' is already used on row 2"]


def test_every_bad_row_is_reported_at_once():
    def break_several(book):
        sheet = book["criteria"]
        sheet.cell(row=2, column=1).value = None
        sheet.cell(row=10, column=MAX_POINTS, value="3分")
        sheet.cell(row=11, column=MAX_POINTS + 1, value="half")
        sheet.cell(row=12, column=CODE).value = None
        book["framework"].cell(row=2, column=3, value="一百")

    assert _reasons(_edited(edit=break_several)) == [
        "sheet 'framework' row 2: total '一百' is not a number",
        "row 2: area_code is empty",
        "row 10: max_points '3分' is not a number",
        "row 11: step 'half' is not a number",
        "row 12: code is empty",
    ]


def test_missing_sheets_are_named():
    def drop(book):
        del book["framework"]

    assert _reasons(_edited(edit=drop)) == ["the workbook has no 'framework' sheet (its sheets: 'criteria')"]


def test_framework_sheet_needs_exactly_one_row():
    data = _edited(edit=lambda book: book["framework"].append(["再来一行", "", 100]))
    assert _reasons(data) == ["sheet 'framework' needs exactly one row under its headers; it has 2"]


def test_a_file_that_is_not_a_workbook_is_refused():
    assert _reasons(b"area_code,code\nA01,A01.1\n") == ["this is not an .xlsx workbook (it is not a zip package)"]


def test_sheet_does_not_judge_the_sums_the_service_does():
    spec = copy.deepcopy(default_spec())
    spec["areas"][0]["weight"] = 15
    assert read_framework_sheet(write_framework_sheet(spec)).spec["areas"][0]["weight"] == 15
