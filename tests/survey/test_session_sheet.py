"""The printed session sheet: its text, embedded font, QR contents, page breaks and determinism."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.lib.units import mm

from survey.reports.session_sheet import (
    Bilingual,
    SheetData,
    SheetLabels,
    SheetMember,
    SheetRecused,
    build_session_sheet,
    qr_drawing,
)
from survey.services import join_codes
from tests.survey.test_join_codes import NOW, UNIT_NAME, seated_session

POPPLER = shutil.which("pdftotext") and shutil.which("pdffonts")
needs_poppler = pytest.mark.skipif(not POPPLER, reason="poppler-utils (pdftotext, pdffonts) is not installed")


def _label(zh: str, en: str | None = None) -> Bilingual:
    return Bilingual(zh, en or zh)


LABELS = SheetLabels(
    title=_label("现场评分会场单", "Session sheet for on-site scoring"),
    round=_label("轮次", "Round"), unit=_label("单位", "Unit"), time=_label("时间", "Time"),
    place=_label("地点", "Place"), no_time=_label("时间未定"), no_place=_label("地点未定"),
    instructions=_label("请用手机扫描二维码，或打开 https://kaimen.example/join 输入评分码。",
                        "Scan your QR code, or open https://kaimen.example/join and type your code."),
    number=_label("序号", "No."), name=_label("姓名", "Name"), rater_type=_label("评议人类型", "Rater type"),
    home_unit=_label("所在单位", "Home unit"), qr_code=_label("二维码", "QR code"),
    join_code=_label("评分码", "Join code"), recused_heading=_label("在本组中但不为该单位评分："),
    recused_note=_label("回避：不为本单位评分", "Recused: does not score this unit"),
    generated=_label("生成于 2014-06-10 09:00", "Generated at 2014-06-10 09:00"),
)


def _member(n: int) -> SheetMember:
    code = f"{n:05d}-ABCDE"
    return SheetMember(name=f"代表{n:02d}", rater_type="职工代表", home_unit="西城区某某公司工会",
                       home_unit_code=f"XC-{n:02d}", code=code, url=f"https://kaimen.example/join?code={code}")


def _data(members: int = 3, recused: int = 1) -> SheetData:
    return SheetData(
        round_name="2014年年中目标考核开门打分", period="2014年年中", unit_name="西城区总工会直属甲工会",
        unit_name_en="Direct union A", unit_code="XC-D01", starts_at="2014-06-16 09:00", place="三楼会议室",
        members=tuple(_member(n) for n in range(1, members + 1)),
        recused=tuple(SheetRecused(f"回避者{n}", "工会主席") for n in range(1, recused + 1)),
        labels=LABELS,
    )


def _text(pdf: bytes, tmp_path: Path, *pages: int) -> str:
    path = tmp_path / "sheet.pdf"
    path.write_bytes(pdf)
    span = ["-f", str(pages[0]), "-l", str(pages[-1])] if pages else []
    return subprocess.run(["pdftotext", "-layout", *span, str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


def _fonts(pdf: bytes, tmp_path: Path) -> list[list[str]]:
    path = tmp_path / "fonts.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout
    return [line.split() for line in out.splitlines()[2:]]


def test_qr_drawing_encodes_the_url_at_28_mm():
    url = "https://kaimen.example/join?code=ABCDE-FGHJK"
    drawing = qr_drawing(url)
    (widget,) = drawing.contents
    assert isinstance(widget, QrCodeWidget)
    assert widget.value == url
    assert (round(drawing.width / mm, 3), round(drawing.height / mm, 3)) == (28.0, 28.0)


def test_the_same_data_gives_the_same_bytes():
    assert build_session_sheet(_data()) == build_session_sheet(_data())


@needs_poppler
def test_sheet_shows_the_unit_session_members_codes_and_recused_members(tmp_path):
    text = _text(build_session_sheet(_data()), tmp_path)
    for expected in ("现场评分会场单", "Session sheet for on-site scoring", "2014年年中目标考核开门打分",
                     "西城区总工会直属甲工会", "XC-D01", "2014-06-16 09:00", "三楼会议室",
                     "https://kaimen.example/join", "职工代表", "回避者1", "回避：不为本单位评分"):
        assert expected in text, expected
    for member in _data().members:
        assert member.name in text
        assert member.code in text


@needs_poppler
def test_the_font_is_embedded_and_no_other_font_is_used(tmp_path):
    rows = _fonts(build_session_sheet(_data()), tmp_path)
    assert rows, "no fonts listed"
    assert all("WenQuanYi" in row[0] for row in rows), rows
    # columns: name, type (may be two words), encoding, emb, sub, uni, object ID
    assert all(row[-5] == "yes" for row in rows), rows


@needs_poppler
def test_a_long_panel_breaks_across_pages_repeating_the_table_header(tmp_path):
    pdf = build_session_sheet(_data(members=30, recused=2))
    whole = _text(pdf, tmp_path)
    total = whole.count("\f")  # pdftotext ends every page with a form feed
    assert total == 5
    for page in range(2, total + 1):
        text = _text(pdf, tmp_path, page)
        assert "姓名" in text and "评分码" in text, page  # the header row is repeated
        assert f"{page}/{total}" in text.replace(" ", "")
    assert [n for n in range(1, 31) if f"{n:05d}-ABCDE" in whole] == list(range(1, 31))
    assert "回避者2" in _text(pdf, tmp_path, total)


@needs_poppler
def test_printed_sheet_from_the_database_lists_the_panel_with_its_fresh_codes(app, tmp_path):
    with app.app_context():
        _round, session, _ = seated_session()
        sheet = join_codes.print_session_sheet(session=session, base_url="https://kaimen.example/", now=NOW)
        data = join_codes.sheet_data(session=session, issued=sheet.issued, base_url="https://kaimen.example/",
                                     now=NOW)

    assert sheet.filename == "session-sheet-SCH-E1.pdf"
    assert [(m.name, m.rater_type, m.home_unit_code) for m in data.members] == [
        ("卫十二", "劳模", "SCH-E2"), ("钱二", "工会主席", "SCH-E2"),
    ]
    assert [m.url for m in data.members] == [f"https://kaimen.example/join?code={i.code}" for i in sheet.issued]
    assert [qr_drawing(m.url).contents[0].value for m in data.members] == [m.url for m in data.members]
    assert [(r.name, r.rater_type) for r in data.recused] == [("吴六", "职工代表"), ("赵一", "工会主席")]
    assert (data.starts_at, data.place) == ("2014-06-16 09:00", "什刹海街道总工会会议室")

    text = _text(sheet.pdf, tmp_path)
    assert UNIT_NAME in text and "SCH-E1" in text
    for issued in sheet.issued:
        assert issued.name in text
        assert issued.code in text
    assert "吴六" in text and "赵一" in text
    assert "2014-06-18 00:00" in text  # the codes' expiry, Beijing time
    assert "https://kaimen.example/join" in text
    # Recused members: name and type only, neither the reasons nor their home unit (SCH-E1 appears once, in the header).
    assert "own unit" not in text.lower() and "recus" not in text.lower().replace("recused: does not score", "")
    assert text.count("SCH-E1") == 2  # the unit line and the footer
    assert all(row[-5] == "yes" and "WenQuanYi" in row[0] for row in _fonts(sheet.pdf, tmp_path))
