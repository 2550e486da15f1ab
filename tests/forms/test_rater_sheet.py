"""Reading a rater list (CSV or .xlsx) without the database: columns, types, duplicates, errors by row."""

from __future__ import annotations

import io

import openpyxl
import pytest

from forms.rater_sheet import (
    MAX_BYTES,
    RaterRow,
    RaterSheetError,
    parse_rater_sheet,
    person_key,
    rater_type_value,
)


def _csv(text: str) -> bytes:
    return text.encode("utf-8")


def _xlsx(rows) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text, as a careful exporter writes it, never a formula
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _reasons(data: bytes, filename: str = "raters.csv") -> list[str]:
    with pytest.raises(RaterSheetError) as refused:
        parse_rater_sheet(data, filename)
    return refused.value.reasons


def test_english_columns_all_values():
    rows = parse_rater_sheet(_csv(
        "name,rater_type,home_unit,industry,panel,username\n"
        "王建国,worker_representative,xc-d01,commerce,P1,REP01\n"
        "李秀英,Union Chair,SCH-E1,,,\n"
    ), "raters.csv")
    assert rows == [
        RaterRow(2, "王建国", "worker_representative", "XC-D01", "commerce", "P1", "rep01"),
        RaterRow(3, "李秀英", "union_chair", "SCH-E1", None, None, None),
    ]


def test_chinese_columns_and_labels_with_a_bom_and_blank_lines():
    rows = parse_rater_sheet("\ufeff姓名,类型,单位编码,行业,小组,账号\n张三,职工代表,SCH-E1,,,\n\n李四,工会主席,SCH-E2,,,\n"
                             "王五,劳模,SCH-E3,,,\n赵六,其他,SCH-E4,,,\n钱七,劳动模范,SCH-C01,,,\n".encode("utf-8"),
                             "名单.csv")
    assert [(r.row, r.name, r.rater_type) for r in rows] == [
        (2, "张三", "worker_representative"), (4, "李四", "union_chair"), (5, "王五", "model_worker"),
        (6, "赵六", "other"), (7, "钱七", "model_worker"),
    ]


def test_xlsx_workbook_numbers_and_formula_looking_text_stay_text():
    data = _xlsx([["name", "rater_type", "home_unit", "panel"], ["=1+1", "other", "SCH-E1", 2]])
    rows = parse_rater_sheet(data, "raters.xlsx")
    assert rows == [RaterRow(2, "=1+1", "other", "SCH-E1", None, "2", None)]


def test_missing_columns_are_named():
    assert _reasons(_csv("name,unit\n张三,SCH-E1\n")) == [
        ("The first row must name the columns name, rater_type and home_unit (optional: industry, panel, "
         "username); missing: rater_type."),
    ]


def test_every_bad_row_is_reported_at_once():
    reasons = _reasons(_csv(
        "name,rater_type,home_unit,username\n"
        ",union_chair,SCH-E1,\n"  # 2: no name
        "张三,boss,SCH-E1,\n"  # 3: unknown type
        "李四,,,\n"  # 4: no type, no unit
        "王五,other,SCH-E2,a\n"  # fine
        "王 五,other,sch-e2,\n"  # 6: the same person (spaces and case ignored)
        "赵六,other,SCH-E3,A\n"  # 7: the same account
        + "钱" * 121 + ",other,SCH-E4,\n"  # 8: too long
    ))
    assert reasons == [
        "row 2: the name is empty",
        ("row 3: unknown rater type 'boss' (use worker_representative/职工代表, union_chair/工会主席, "
         "model_worker/劳模 or other/其他)"),
        "row 4: the rater type is empty",
        "row 4: the home unit is empty (give the unit code)",
        "row 6: 王 五 of sch-e2 is already on row 5",
        "row 7: the account a is already on row 5",
        "row 8: the name is longer than 120 characters",
    ]


@pytest.mark.parametrize(
    ("data", "filename", "reason"),
    [
        (b"name,rater_type,home_unit\n", "raters.csv", "The list has no rows."),
        (b"", "raters.csv", "The first row must name the columns"),
        ("姓名,类型,单位编码\n张三,职工代表,SCH-E1\n".encode("gb18030"), "raters.csv",
         "The file is neither UTF-8 CSV nor an .xlsx workbook."),
        (b"x" * (MAX_BYTES + 1), "raters.csv", f"The file is larger than {MAX_BYTES} bytes."),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "raters.xlsx", "old-style .xls file"),
        (b"PK\x03\x04 not really a zip", "raters.xlsx", "not a zip package"),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(data, filename, reason):
    assert reason in _reasons(data, filename)[0]


def test_too_many_rows_are_refused():
    body = "".join(f"人{i},other,SCH-E1\n" for i in range(2001))
    assert _reasons(_csv("name,rater_type,home_unit\n" + body)) == ["The list has more than 2000 rows."]


def test_rater_type_spellings_and_person_key():
    assert [rater_type_value(t) for t in ("worker-representative", " 职工代表 ", "MODEL_WORKER", "chair")] == [
        "worker_representative", "worker_representative", "model_worker", None]
    assert person_key(" 王 五 ", "sch-e2 ") == ("王五", "SCH-E2")
