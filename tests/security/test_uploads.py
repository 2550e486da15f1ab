"""Checklist: hostile uploads are refused with a reason, store nothing, and stay within a memory bound.

Every hostile file is built here: zip bombs (a 200 MB shared-string table or content-types part
packed into 200 KB, a part that declares 2 GB, a 12 MB part packed a thousand times), a flood
of directory entries, XXE reading
a local file (UTF-8 and UTF-16), billion laughs, macro and ActiveX workbooks, JSON nested
100,000 deep, CSV with millions of lines or one giant line, and 17 MB bodies. Each goes through
the real route as the role that may use it (or the real ``kaimen`` command) and must come back
with the documented status and message, leave the row counts as they were, and allocate less
than :data:`MEMORY_BOUND` above what was allocated before the request (``tracemalloc``, which
sees what zlib and expat allocate too). The bound is a correctness bound, not a timing: without
the checks, the bomb alone inflates 200 MB.
"""

from __future__ import annotations

import html
import io
import struct
import tracemalloc
import zipfile
from contextlib import contextmanager
from functools import cache

import pytest
from flask import g, request
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from forms.uploads import (
    MAX_DIRECTORY_BYTES,
    MAX_JSON_DEPTH,
    MAX_PART_BYTES,
    MAX_PARTS,
    MAX_RATIO,
    MAX_UNPACKED_BYTES,
    BoundedJSONProvider,
    check_workbook_package,
)
from survey.extensions import db
from survey.models import (
    AuditEntry,
    Framework,
    Invite,
    Questionnaire,
    QuestionnaireKind,
    Response,
    Round,
    RoundRater,
)
from tests.conftest import csrf_token
from tests.forms.conftest import make_questionnaire

MEMORY_BOUND = 64 * 1024 * 1024
MIB = 1024 * 1024

# --------------------------------------------------------------------------- measuring


@contextmanager
def peak_memory():
    """``result["peak"]``: bytes allocated at the block's peak above what was allocated before it."""
    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    result: dict[str, int] = {}
    try:
        yield result
    finally:
        result["peak"] = tracemalloc.get_traced_memory()[1] - before
        if started:
            tracemalloc.stop()


def assert_within_bound(measured: dict[str, int]) -> None:
    assert measured["peak"] < MEMORY_BOUND, f"peak {measured['peak'] / MIB:.1f} MB above the baseline"


# --------------------------------------------------------------------------- building workbooks

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
WORKBOOK_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
MACRO_WORKBOOK_TYPE = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def shared_strings(*items: str, doctype: str = "") -> str:
    """A shared-string table whose items are raw XML (so they may reference entities)."""
    body = "".join(f"<si><t>{item}</t></si>" for item in items)
    return f'{XML_HEAD}{doctype}<sst xmlns="{MAIN}" count="{len(items)}" uniqueCount="{len(items)}">{body}</sst>'


def xlsx_parts(*, strings: str | bytes | None = None, sheet: bytes | None = None,
               extra: dict[str, bytes] | None = None, workbook_type: str = WORKBOOK_TYPE,
               overrides: str = "") -> dict[str, bytes]:
    """The parts of a workbook as Excel writes one: one sheet whose first column reads ``label``
    then ``一车间``, both from the shared-string table (``strings`` replaces it)."""
    if strings is None:
        strings = shared_strings("label", "一车间")
    if sheet is None:
        sheet = (f'{XML_HEAD}<worksheet xmlns="{MAIN}"><dimension ref="A1:A2"/><sheetData>'
                 '<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="s"><v>1</v></c></row>'
                 '</sheetData></worksheet>').encode()
    return {
        "[Content_Types].xml": (CONTENT_TYPES_HEAD + f'<Override PartName="/xl/workbook.xml" '
                                f'ContentType="{workbook_type}"/>{overrides}</Types>').encode(),
        "_rels/.rels": (f'{XML_HEAD}<Relationships xmlns="{RELS}"><Relationship Id="rId1" '
                        f'Type="{DOC_RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>').encode(),
        "xl/workbook.xml": (f'{XML_HEAD}<workbook xmlns="{MAIN}" xmlns:r="{DOC_RELS}"><sheets>'
                            '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>').encode(),
        "xl/_rels/workbook.xml.rels": (
            f'{XML_HEAD}<Relationships xmlns="{RELS}">'
            f'<Relationship Id="rId1" Type="{DOC_RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{DOC_RELS}/sharedStrings" Target="sharedStrings.xml"/>'
            '</Relationships>').encode(),
        "xl/worksheets/sheet1.xml": sheet,
        "xl/sharedStrings.xml": strings.encode() if isinstance(strings, str) else strings,
        **(extra or {}),
    }


CONTENT_TYPES_HEAD = (
    f'{XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
)


def xlsx(**kwargs) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for name, content in xlsx_parts(**kwargs).items():
            package.writestr(name, content)
    return out.getvalue()


def inflating_to(name: str, size: int, head: str, tail: str) -> bytes:
    """The clean workbook whose part ``name`` is ``head``, XML whitespace and ``tail``, ``size`` bytes
    in all, deflated; written in chunks, so the part never exists in the test's memory either."""
    parts = xlsx_parts()
    parts.pop(name, None)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for part_name, content in parts.items():
            package.writestr(part_name, content)
        info = zipfile.ZipInfo(name)
        info.compress_type = zipfile.ZIP_DEFLATED
        with package.open(info, "w") as part:
            part.write(head.encode())
            chunk = b" " * MIB
            remaining = size - len(head) - len(tail)
            while remaining > 0:
                part.write(chunk[:remaining])
                remaining -= len(chunk)
            part.write(tail.encode())
    return out.getvalue()


def _strings_of(size: int) -> bytes:
    head = f'{XML_HEAD}<sst xmlns="{MAIN}" count="2" uniqueCount="2"><si><t>label</t></si><si><t>一车间</t></si>'
    return inflating_to("xl/sharedStrings.xml", size, head, "</sst>")


@cache
def zip_bomb() -> bytes:
    """A shared-string table of 200 MB (which openpyxl reads whole) packed into about 200 KB."""
    return _strings_of(200_000_000)


@cache
def content_types_bomb() -> bytes:
    """The content-types part, read before anything else, at 200 MB."""
    return inflating_to("[Content_Types].xml", 200_000_000, CONTENT_TYPES_HEAD, "</Types>")


@cache
def ratio_bomb() -> bytes:
    """A 12 MB shared-string table (under the per-part cap) packed about a thousand times."""
    return _strings_of(12 * MIB)


@cache
def declared_bomb() -> bytes:
    """A real small sheet whose directory entry declares 2 GB unpacked."""
    data = bytearray(xlsx())
    name = b"xl/worksheets/sheet1.xml"
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        name_length = struct.unpack_from("<H", data, at + 28)[0]
        if bytes(data[at + 46:at + 46 + name_length]) == name:
            struct.pack_into("<L", data, at + 24, 2 ** 31)
            return bytes(data)
        at = data.find(b"PK\x01\x02", at + 4)
    raise AssertionError("no directory entry for the sheet")


@cache
def many_parts() -> bytes:
    extra = {f"xl/media/p{i}.xml": b"" for i in range(MAX_PARTS)}
    return xlsx(extra=extra)


@cache
def directory_flood() -> bytes:
    """12,000 empty entries: a directory of some 670 KB that zipfile would turn into objects."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as package:
        for i in range(12_000):
            package.writestr(f"{i:010d}", b"")
    return out.getvalue()


def xxe(secret_path) -> bytes:
    doctype = f'<!DOCTYPE sst [<!ENTITY xxe SYSTEM "file://{secret_path}">]>'
    return xlsx(strings=shared_strings("label", "&xxe;", doctype=doctype))


def xxe_utf16(secret_path) -> bytes:
    doctype = f'<!DOCTYPE sst [<!ENTITY xxe SYSTEM "file://{secret_path}">]>'
    text = shared_strings("label", "&xxe;", doctype=doctype).replace('encoding="UTF-8"', 'encoding="UTF-16"')
    return xlsx(strings=text.encode("utf-16"))


def billion_laughs() -> bytes:
    entities = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10))
    return xlsx(strings=shared_strings("label", "&lol9;", doctype=f"<!DOCTYPE sst [{entities}]>"))


def macro_workbook() -> bytes:
    """What Excel saves as .xlsm: a VBA project and the macro-enabled workbook type."""
    return xlsx(workbook_type=MACRO_WORKBOOK_TYPE, extra={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0VBA" * 16},
                overrides='<Override PartName="/xl/vbaProject.bin" ContentType="application/vnd.ms-office.vbaProject"/>')


def macro_type_only() -> bytes:
    return xlsx(workbook_type=MACRO_WORKBOOK_TYPE)


def activex_workbook() -> bytes:
    return xlsx(extra={"xl/ctrl/control1.xml": b"<ax:ocx xmlns:ax='urn:x'/>"},
                overrides='<Override PartName="/xl/ctrl/control1.xml" ContentType="application/vnd.ms-office.activeX+xml"/>')


def _sizes(data: bytes) -> tuple[int, list[zipfile.ZipInfo]]:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        infos = package.infolist()
    return sum(i.file_size for i in infos), infos


MACROS = "the workbook contains macros (vbaProject.bin); save it as a plain .xlsx without macros"
MACRO_ENABLED = "the workbook is macro-enabled (.xlsm, .xltm or .xlam); save it as a plain .xlsx without macros"
EMBEDDED = "the workbook contains embedded objects or ActiveX controls; remove them and save again"


def dtd_reason(part: str = "xl/sharedStrings.xml") -> str:
    return (f"the part {part} declares a document type or entities (<!DOCTYPE or <!ENTITY>), which a spreadsheet "
            "never needs; it is refused as unsafe")


def bomb_reasons(data: bytes, limit: int = MAX_UNPACKED_BYTES) -> list[str]:
    total, infos = _sizes(data)
    big = [i for i in infos if i.file_size > MAX_PART_BYTES]
    return [f"the package unpacks to {total} bytes; the limit is {limit} bytes"] + [
        f"the part {i.filename} unpacks to {i.file_size} bytes; the limit is {MAX_PART_BYTES} bytes" for i in big]


def flood_reasons(data: bytes) -> list[str]:
    """The directory size as the zip's end record (the last 22 bytes, no comment) declares it."""
    size = struct.unpack_from("<L", data, len(data) - 22 + 12)[0]
    assert size > MAX_DIRECTORY_BYTES
    return [f"the package directory is {size} bytes; the limit is {MAX_DIRECTORY_BYTES} bytes"]


def ratio_reasons(data: bytes) -> list[str]:
    [part] = [i for i in _sizes(data)[1] if i.filename == "xl/sharedStrings.xml"]
    ratio = part.file_size // part.compress_size
    assert ratio > MAX_RATIO
    return [(f"the part xl/sharedStrings.xml unpacks to {ratio} times its packed size (a zip bomb); "
             f"the limit is {MAX_RATIO}")]


SECRET = "KAIMEN-XXE-MARKER-7f3a9c"

#: (id, builder taking the secret file's path, reasons) of every hostile workbook.
HOSTILE = [
    ("zip-bomb-200mb", lambda _s: zip_bomb(), bomb_reasons),
    ("content-types-bomb", lambda _s: content_types_bomb(), bomb_reasons),
    ("declared-2gb", lambda _s: declared_bomb(), bomb_reasons),
    ("ratio-bomb", lambda _s: ratio_bomb(), ratio_reasons),
    ("too-many-parts", lambda _s: many_parts(),
     lambda d: [f"the package holds {MAX_PARTS + 6} parts; the limit is {MAX_PARTS}"]),
    ("directory-flood", lambda _s: directory_flood(), flood_reasons),
    ("xxe", xxe, lambda d: [dtd_reason()]),
    ("xxe-utf16", xxe_utf16, lambda d: [dtd_reason()]),
    ("billion-laughs", lambda _s: billion_laughs(), lambda d: [dtd_reason()]),
    ("macros", lambda _s: macro_workbook(), lambda d: [MACROS]),
    ("macro-content-type", lambda _s: macro_type_only(), lambda d: [MACRO_ENABLED]),
    ("activex", lambda _s: activex_workbook(), lambda d: [EMBEDDED]),
]


@pytest.fixture
def secret(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_text(SECRET, encoding="utf-8")
    return path


@pytest.fixture(params=HOSTILE, ids=[case[0] for case in HOSTILE])
def hostile(request, secret):
    """(workbook bytes, the reasons it must be refused with)."""
    _id, build, reasons = request.param
    data = build(secret)
    return data, reasons(data)


def assert_reasons(text: str, reasons: list[str]) -> None:
    text = html.unescape(text)
    for reason in reasons:
        assert reason in text, reason
    assert SECRET not in text


# --------------------------------------------------------------------------- the guard itself


def test_the_clean_workbook_passes_the_guard_and_openpyxl_reads_it():
    """The builder makes a real workbook: without the hostile part, it is read as written."""
    from forms.invite_list import parse_invite_list

    check_workbook_package(xlsx())
    assert [(r.row, r.label) for r in parse_invite_list(xlsx(), "list.xlsx")] == [(2, "一车间")]


def test_a_macro_enabled_file_name_is_refused_even_without_macros():
    from forms.uploads import UploadRefused

    with pytest.raises(UploadRefused) as refused:
        check_workbook_package(xlsx(), filename=r"C:\Users\x\list.XLSM")
    assert refused.value.reasons == (MACRO_ENABLED,)


def test_a_dtd_split_across_two_scan_chunks_is_found():
    from forms.uploads import SCAN_CHUNK_BYTES, UploadRefused

    padding = " " * (SCAN_CHUNK_BYTES - len(XML_HEAD) - 4)
    strings = XML_HEAD + padding + '<!DOCTYPE sst [<!ENTITY a "b">]>' + shared_strings("label")[len(XML_HEAD):]
    with pytest.raises(UploadRefused) as refused:
        check_workbook_package(xlsx(strings=strings))
    assert refused.value.reasons == (dtd_reason(),)


# --------------------------------------------------------------------------- the routes

@pytest.fixture
def staff(client, make_user, login):
    make_user("staff", username="uploader")
    login("uploader")
    client.set_cookie("kaimen_lang", "en")
    return client


def _questionnaire(app, publish: bool = True) -> tuple[int, str]:
    from survey.services import questionnaires

    with app.app_context():
        q = questionnaires.create_questionnaire(spec=make_questionnaire(), kind=QuestionnaireKind.NEEDS)
        if publish:
            questionnaires.publish_questionnaire(questionnaire=q)
        db.session.commit()
        return q.id, q.slug


def _round(app) -> int:
    from survey.services import rounds
    from tests.survey.round_builders import (
        COMMITTEE_SPEC,
        SCH_ENTERPRISES,
        framework_version,
        seed_world,
    )

    with app.app_context():
        units = seed_world()
        round = rounds.create_round(name="上传测试", period="2014年年中", framework_version=framework_version(),
                                    panel_spec=COMMITTEE_SPEC)
        for code in SCH_ENTERPRISES:
            rounds.add_round_unit(round=round, unit=units[code])
        db.session.commit()
        return round.id


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _multipart(fields: dict, name: str, data: bytes) -> tuple[bytes, str]:
    """The request body, encoded before the measurement starts (the test client would copy it inside)."""
    upload = FileStorage(io.BytesIO(data), filename=name, content_type="application/octet-stream")
    boundary, body = encode_multipart({**fields, "file": upload})
    return body, f"multipart/form-data; boundary={boundary}"


class Route:
    """One upload screen: where it posts, what it stores, and how it shows a refusal."""

    def __init__(self, app, client, kind: str):
        self.app, self.client, self.kind = app, client, kind
        if kind == "invites":
            qid, _slug = _questionnaire(app)
            self.url, self.form, self.model = f"/staff/questionnaires/{qid}/invites/upload", {}, Invite
            self.page = f"/staff/questionnaires/{qid}/distribution"
            self.status, self.summary = 302, "The list was not used; nothing was issued:"
        elif kind == "raters":
            round_id = _round(app)
            self.url, self.form, self.model = f"/staff/rounds/{round_id}/raters/import", {}, RoundRater
            self.page = self.url
            self.status, self.summary = 422, "The rater list was not imported; nothing was stored."
        elif kind == "framework":
            self.url, self.form, self.model = "/staff/frameworks/import", {"code": "hostile"}, Framework
            self.page = self.url
            self.status, self.summary = 400, "The spreadsheet was not imported; nothing was stored."
        else:
            self.url, self.form, self.model = "/staff/questionnaires/import", {"kind": ""}, Questionnaire
            self.page = self.url
            self.status, self.summary = 400, "The spreadsheet list.xlsx was not imported:"

    def post(self, data: bytes, name: str = "list.xlsx"):
        """(response, the text that shows the refusal, peak memory) of one upload."""
        fields = {"csrf_token": csrf_token(self.client, self.page), **self.form}
        body, content_type = _multipart(fields, name, data)
        with peak_memory() as measured:
            response = self.client.post(self.url, data=body, content_type=content_type)
        shown = response.get_data(as_text=True)
        if response.status_code == 302 and self.kind == "invites":  # refusals are flashed on the next page
            shown = self.client.get(response.headers["Location"]).get_data(as_text=True)
        return response, shown, measured


ROUTES = ["invites", "raters", "framework", "questionnaire"]


@pytest.mark.parametrize("kind", ROUTES)
def test_a_hostile_workbook_is_refused_with_its_reasons_and_nothing_is_stored(app, staff, kind, hostile):
    data, reasons = hostile
    route = Route(app, staff, kind)
    before = _count(app, route.model)
    response, shown, measured = route.post(data)
    assert response.status_code == route.status
    assert route.summary in html.unescape(shown)
    assert_reasons(shown, reasons)
    assert _count(app, route.model) == before
    assert_within_bound(measured)


def test_the_clean_workbook_is_accepted_through_the_same_route(app, staff):
    """Control: the refusals above come from the hostile parts, not from the hand-made package."""
    route = Route(app, staff, "invites")
    response, _shown, _measured = route.post(xlsx())
    assert response.status_code == 200 and response.mimetype == "text/csv"
    with app.app_context():
        assert db.session.scalars(select(Invite.label)).all() == ["一车间"]


def test_without_the_guard_defusedxml_would_still_refuse_the_xxe(secret):
    """The second layer alone: openpyxl, handed the bytes unchecked, parses through defusedxml."""
    import openpyxl

    common = pytest.importorskip("defusedxml.common")
    with pytest.raises(ValueError) as refused:
        openpyxl.load_workbook(io.BytesIO(xxe(secret)), read_only=True, data_only=True)
    assert isinstance(refused.value.__cause__, common.EntitiesForbidden)
    assert SECRET not in str(refused.value)


# --------------------------------------------------------------------------- CSV lists

CSV_CASES = [
    # (id, body, reason for invites, reason for raters)
    ("one-15mb-line", lambda: b"label\n" + b"x" * (15 * MIB),
     "The file is larger than 2097152 bytes.", "The file is larger than 2097152 bytes."),
    ("one-huge-cell", lambda: b"label\n" + b"x" * (2 * MIB - 100),
     "The CSV file cannot be read at line 2: field larger than field limit (131072)",
     "The CSV file cannot be read at line 2: field larger than field limit (131072)"),
    ("two-million-empty-lines", lambda: b"label\n" + b"\n" * 2_000_000,
     "The file has more than 500000 lines.", "The file has more than 20000 lines."),
    ("a-million-columns", lambda: b"label\n" + b"a," * 1_000_000,
     "row 2 has more than 20 columns", "row 2 has more than 30 columns"),
]


@pytest.mark.parametrize("kind", ["invites", "raters"])
@pytest.mark.parametrize("case", CSV_CASES, ids=[c[0] for c in CSV_CASES])
def test_absurd_csv_lists_are_refused_without_building_them(app, staff, kind, case):
    _id, build, invite_reason, rater_reason = case
    route = Route(app, staff, kind)
    before = _count(app, route.model)
    response, shown, measured = route.post(build(), name="list.csv")
    assert response.status_code == route.status
    assert (invite_reason if kind == "invites" else rater_reason) in html.unescape(shown)
    assert _count(app, route.model) == before
    assert_within_bound(measured)


# --------------------------------------------------------------------------- 17 MB bodies

OVERSIZED = 17 * MIB
TOO_LARGE = "The upload or form is larger than the server accepts."


@pytest.mark.parametrize("kind", ROUTES + ["verify"])
def test_a_17_mb_upload_is_413_with_the_friendly_page(app, staff, kind):
    if kind == "verify":
        url, model, page = "/verify", AuditEntry, "/verify"  # it stores nothing; nor may it log
    else:
        route = Route(app, staff, kind)
        url, model, page = route.url, route.model, route.page
    before = _count(app, model)
    body, content_type = _multipart({"csrf_token": csrf_token(staff, page)}, "big.xlsx", b"\0" * OVERSIZED)
    with peak_memory() as measured:
        response = staff.post(url, data=body, content_type=content_type)
    assert response.status_code == 413
    text = response.get_data(as_text=True)
    assert "Request too large" in text and TOO_LARGE in text
    assert _count(app, model) == before
    assert_within_bound(measured)


# --------------------------------------------------------------------------- JSON

DEEP = "[" * 100_000


def _api_token(client, slug: str) -> str:
    response = client.get(f"/api/v1/questionnaires/{slug}?lang=en")
    assert response.status_code == 200
    return response.get_json()["csrf_token"]


@pytest.mark.parametrize("body", [
    DEEP,
    '{"client_id": "api-client-0123456789", "answers": {"gender": ' + "[" * 70 + "]" * 70 + "}}",
    "[" * 70 + '"' + '\\"' * 200_000,  # a string that never ends: the count must not rescan it per quote
], ids=["100000-deep", "70-deep-inside-answers", "70-deep-then-endless-escaped-quotes"])
def test_the_response_api_refuses_deep_json_with_400(app, client, body):
    _qid, slug = _questionnaire(app)
    token = _api_token(client, slug)
    with peak_memory() as measured:
        response = client.post(f"/api/v1/questionnaires/{slug}/responses?lang=en", data=body,
                               content_type="application/json", headers={"X-CSRFToken": token})
    assert (response.status_code, response.get_json()) == (
        400, {"error": 400, "message": f"The body is nested more than {MAX_JSON_DEPTH} levels deep."})
    assert _count(app, Response) == 0
    assert_within_bound(measured)


def test_brackets_inside_strings_are_text_not_nesting(app, staff):
    """Control: a title full of brackets (far more than the depth limit) imports as written."""
    import json

    spec = make_questionnaire().to_dict()
    spec["title"]["en"] = "[{" * 100
    route = Route(app, staff, "questionnaire")
    response, shown, _measured = route.post(json.dumps(spec).encode(), name="brackets.json")
    assert response.status_code == 200, html.unescape(shown)[-2000:]
    with app.app_context():
        stored = db.session.scalars(select(Questionnaire)).all()
        assert [q.versions[0].spec["title"]["en"] for q in stored] == ["[{" * 100]


def test_the_response_api_refuses_17_mb_with_413(app, client):
    client.set_cookie("kaimen_lang", "en")
    _qid, slug = _questionnaire(app)
    token = _api_token(client, slug)
    body = b'{"client_id": "api-client-0123456789", "answers": {"legal_detail": "' + b"x" * OVERSIZED + b'"}}'
    with peak_memory() as measured:
        response = client.post(f"/api/v1/questionnaires/{slug}/responses", data=body,
                               content_type="application/json", headers={"X-CSRFToken": token})
    assert response.status_code == 413
    assert response.get_json() == {"error": 413, "message": TOO_LARGE}
    assert _count(app, Response) == 0
    assert_within_bound(measured)


def test_a_deep_json_questionnaire_import_is_refused(app, staff):
    route = Route(app, staff, "questionnaire")
    before = _count(app, Questionnaire)
    response, shown, measured = route.post(DEEP.encode(), name="deep.json")
    assert response.status_code == 400
    assert (f"deep.json is nested more than {MAX_JSON_DEPTH} levels deep; a Kaimen export nests far less."
            in html.unescape(shown))
    assert _count(app, Questionnaire) == before
    assert_within_bound(measured)


@pytest.fixture
def seated_phone(app):
    """A phone joined as a seated rater of an open session, with its API token (one app context,
    as Flask-WTF keeps a request's token on ``g``)."""
    from survey.models.base import utcnow
    from survey.services import join_codes, rounds, scoring_sessions
    from survey.services import scorecards as sc
    from tests.survey.scoring_builders import open_round

    with app.app_context():
        round = open_round()
        session = min(round.sessions, key=lambda s: s.unit.code)
        rounds.schedule_session(session=session, starts_at=utcnow(), place="三楼会议室")
        scoring_sessions.open_session(session=session)
        issued = join_codes.issue_join_codes(session=session)
        db.session.commit()
        phone = app.test_client()
        phone.set_cookie("kaimen_lang", "en")
        g.pop("csrf_token", None)
        joined = phone.post("/join", data={"code": issued[0].code, "csrf_token": csrf_token(phone, "/join")})
        assert joined.status_code == 302
        g.pop("csrf_token", None)
        token = phone.get(f"/api/score/sessions/{session.id}").get_json()["csrf_token"]
        yield phone, session.id, token, lambda: sc.scorecard_state(
            sc.scorecard_for(rater=db.session.get(RoundRater, issued[0].rater_id), session=session))


def test_the_scoring_api_refuses_deep_json_with_400(app, seated_phone):
    phone, session_id, token, state = seated_phone
    before = state()
    with peak_memory() as measured:
        response = phone.post(f"/api/score/sessions/{session_id}/changes", data=DEEP,
                              content_type="application/json", headers={"X-CSRFToken": token})
    assert response.status_code == 400
    assert response.get_json() == {"error": f"The request is nested more than {MAX_JSON_DEPTH} levels deep.",
                                   "code": "malformed"}
    db.session.expire_all()
    assert state() == before
    assert_within_bound(measured)


def _post_json_to_the_login_form(client, body: str):
    token = csrf_token(client, "/login")
    return client.post("/login", data=body, content_type="application/json", headers={"X-CSRFToken": token})


@pytest.mark.parametrize("body", [DEEP, "5", "[[1, 2, 3]]", '{"username": {"a": 1}, "password": ["x"]}'],
                         ids=["deep", "number", "nested-list", "nested-fields"])
def test_a_form_route_refuses_json_with_415_before_any_form_reads_it(app, client, body):
    """Flask-WTF would read a JSON body as the form's data; a flat but wrong one used to answer 500."""
    from survey.models import LoginAttempt

    before = _count(app, LoginAttempt)
    client.set_cookie("kaimen_lang", "en")
    with peak_memory() as measured:
        response = _post_json_to_the_login_form(client, body)
    assert response.status_code == 415
    assert "This page takes form data, not JSON." in response.get_data(as_text=True)
    assert _count(app, LoginAttempt) == before
    assert_within_bound(measured)


def test_the_app_parses_request_json_through_the_bounded_provider(app):
    """Any ``request.get_json`` (an /api/ view, an extension) refuses deep nesting with a 400."""
    from werkzeug.exceptions import BadRequest

    assert isinstance(app.json, BoundedJSONProvider)
    with app.test_request_context("/api/v1/anything", method="POST", data=DEEP, content_type="application/json"):
        with pytest.raises(BadRequest):
            request.get_json()
    with app.test_request_context("/api/v1/anything", method="POST", data='{"a": [1]}',
                                  content_type="application/json"):
        assert request.get_json() == {"a": [1]}


# --------------------------------------------------------------------------- the kaimen command

def _cli(app, *args):
    with peak_memory() as measured:
        result = app.test_cli_runner().invoke(args=[str(a) for a in args])
    return result, measured


def _write(tmp_path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


CLI_WORKBOOKS = [case for case in HOSTILE if case[0] in ("zip-bomb-200mb", "xxe", "billion-laughs", "macros")]


@pytest.mark.parametrize("case", CLI_WORKBOOKS, ids=[c[0] for c in CLI_WORKBOOKS])
def test_the_questionnaire_import_command_refuses_hostile_workbooks(app, tmp_path, secret, case):
    _id, build, reasons = case
    data = build(secret)
    before = _count(app, Questionnaire)
    result, measured = _cli(app, "questionnaire", "import", _write(tmp_path, "form.xlsx", data))
    assert result.exit_code == 1
    assert result.output.splitlines() == ["Error: The spreadsheet form.xlsx was not imported:",
                                          *(f"  {r}" for r in reasons(data))]
    assert SECRET not in result.output
    assert _count(app, Questionnaire) == before
    assert_within_bound(measured)


def test_the_questionnaire_import_command_refuses_deep_json(app, tmp_path):
    result, measured = _cli(app, "questionnaire", "import", _write(tmp_path, "deep.json", DEEP.encode()))
    assert result.exit_code == 1
    assert result.output == (f"Error: deep.json is nested more than {MAX_JSON_DEPTH} levels deep; "
                             "a Kaimen export nests far less.\n")
    assert _count(app, Questionnaire) == 0
    assert_within_bound(measured)


@pytest.mark.parametrize("case", CLI_WORKBOOKS, ids=[c[0] for c in CLI_WORKBOOKS])
def test_the_framework_import_command_refuses_hostile_workbooks(app, tmp_path, secret, case):
    _id, build, reasons = case
    data = build(secret)
    before = _count(app, Framework)
    result, measured = _cli(app, "framework", "import", _write(tmp_path, "fw.xlsx", data), "--code", "hostile")
    assert result.exit_code == 1
    assert result.output.splitlines() == ["Error: The spreadsheet was not imported; nothing was stored.",
                                          *(f"  {r}" for r in reasons(data))]
    assert SECRET not in result.output
    assert _count(app, Framework) == before
    assert_within_bound(measured)


@pytest.mark.parametrize("case", CLI_WORKBOOKS, ids=[c[0] for c in CLI_WORKBOOKS])
def test_the_raters_import_command_refuses_hostile_workbooks(app, tmp_path, secret, case):
    _id, build, reasons = case
    data = build(secret)
    round_id = _round(app)
    result, measured = _cli(app, "raters", "import", round_id, _write(tmp_path, "raters.xlsx", data))
    assert result.exit_code == 1
    assert result.output.splitlines() == ["Error: The rater list was not imported; nothing was stored.",
                                          *(f"  {r}" for r in reasons(data))]
    assert SECRET not in result.output
    assert _count(app, RoundRater) == 0
    assert_within_bound(measured)


def test_the_raters_import_command_refuses_two_million_empty_lines(app, tmp_path):
    round_id = _round(app)
    path = _write(tmp_path, "raters.csv", b"name,rater_type,home_unit\n" + b"\n" * 2_000_000)
    result, measured = _cli(app, "raters", "import", round_id, path)
    assert result.exit_code == 1
    assert result.output.splitlines() == ["Error: The rater list was not imported; nothing was stored.",
                                          "  The file has more than 20000 lines."]
    assert _count(app, RoundRater) == 0
    assert_within_bound(measured)


def test_the_composite_command_refuses_deep_json(app, tmp_path):
    round_id = _round(app)
    result, measured = _cli(app, "round", "composite", round_id, _write(tmp_path, "deep.json", DEEP.encode()))
    assert result.exit_code == 1
    assert result.output == (f"Error: deep.json: invalid JSON: the JSON is nested more than {MAX_JSON_DEPTH} "
                             "levels deep.\n")
    with app.app_context():
        assert db.session.get(Round, round_id).composite is None
    assert_within_bound(measured)
