"""Criteria frameworks: the default, the checks (each naming its area), versions, spreadsheets, screens."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest
from sqlalchemy import func, select

from forms.framework_sheet import COLUMNS, read_framework_sheet, write_framework_sheet
from scoring.types import Framework as EngineFramework
from survey.default_framework import DEFAULT_CODE, default_spec
from survey.extensions import db
from survey.models import Framework, FrameworkVersion
from survey.services import frameworks
from survey.services.errors import Conflict, DomainError
from tests.conftest import csrf_token

NAMED_AREAS = ["依法维权", "自身建设", "宣传教育", "安全生产", "民主管理", "劳模工作", "温暖工程", "职工互助保险办理",
               "工会经费收取及审查"]


def _messages(spec) -> list[str]:
    return [str(p) for p in frameworks.check_framework(spec)]


def _counts() -> tuple[int, int]:
    return (db.session.scalar(select(func.count(Framework.id))),
            db.session.scalar(select(func.count(FrameworkVersion.id))))


# --------------------------------------------------------------------------- the default framework

def test_default_framework_passes_every_check_with_ten_areas_of_four_criteria():
    spec = default_spec()
    assert frameworks.check_framework(spec) == []
    assert [len(a["criteria"]) for a in spec["areas"]] == [4] * 10
    assert frameworks.count_criteria(spec) == (10, 40)
    assert [a["title"]["zh"] for a in spec["areas"]] == NAMED_AREAS + ["职工之家建设"]
    assert {a["weight"] for a in spec["areas"]} == {10}
    for area in spec["areas"]:
        assert [c["max_points"] for c in area["criteria"]] == [3, 3, 2, 2]
        for criterion in area["criteria"]:
            assert criterion["step"] == 0.5
            texts = [criterion["title"], area["title"], *criterion["guidance"].values()]
            assert all(text["zh"].strip() and text["en"].strip() for text in texts), criterion["code"]


def test_default_framework_converts_to_a_valid_engine_framework():
    engine = frameworks.to_engine(default_spec())
    assert isinstance(engine, EngineFramework)
    engine.validate()
    assert engine.total == 100.0 and len(engine.criteria()) == 40
    assert engine.criterion("A01.1").area == "A01" and engine.criterion("A01.1").max_points == 3.0
    assert engine.areas[0].title == "依法维权"


def test_default_spec_is_a_fresh_copy_each_time():
    spec = default_spec()
    spec["areas"].clear()
    assert len(default_spec()["areas"]) == 10


# --------------------------------------------------------------------------- checks: each message exact

def test_area_weight_that_does_not_add_up_names_the_area():
    spec = default_spec()
    spec["areas"][0]["weight"] = 15
    assert _messages(spec) == [
        "Area A01 (依法维权): its criteria's maxima add up to 10, not to its weight 15.",
        ("The area weights add up to 105, not 100: A01 15, A02 10, A03 10, A04 10, A05 10, A06 10, A07 10, A08 10, "
        "A09 10, A10 10."),
    ]


def test_area_whose_maxima_do_not_add_up_names_the_area():
    spec = default_spec()
    spec["areas"][3]["criteria"][0]["max_points"] = 4
    assert _messages(spec) == ["Area A04 (安全生产): its criteria's maxima add up to 11, not to its weight 10."]


def test_criterion_without_a_maximum():
    spec = default_spec()
    del spec["areas"][1]["criteria"][2]["max_points"]
    assert _messages(spec) == ["Area A02 (自身建设), criterion A02.3 has no maximum."]


def test_maximum_off_the_step():
    spec = default_spec()
    spec["areas"][0]["criteria"][0]["step"] = 2
    assert _messages(spec) == ["Area A01 (依法维权), criterion A01.1: the maximum 3 is not a multiple of the step 2."]


def test_non_positive_step_and_maximum():
    spec = default_spec()
    spec["areas"][0]["criteria"][0]["step"] = 0
    spec["areas"][0]["criteria"][1]["max_points"] = "three"
    assert _messages(spec) == [
        "Area A01 (依法维权), criterion A01.1: the step must be a positive number, not 0.",
        "Area A01 (依法维权), criterion A01.2: the maximum must be a positive number, not 'three'.",
    ]


def test_duplicate_codes():
    spec = default_spec()
    spec["areas"][1]["criteria"][0]["code"] = "A01.1"
    spec["areas"][2]["code"] = "A01"
    assert _messages(spec) == [
        "Area code A01 is used more than once.",
        "Criterion code A01.1 is used more than once (areas: A01, A02).",
    ]


def test_empty_titles_and_a_wrong_total():
    spec = default_spec()
    spec["title"] = {"zh": " ", "en": ""}
    spec["total"] = 90
    spec["areas"][0]["title"] = {"zh": "", "en": ""}
    spec["areas"][0]["criteria"][3]["title"] = {"zh": "", "en": ""}
    assert _messages(spec) == [
        "The framework has no title.",
        "The total must be 100 points, not 90.",
        "Area A01 has no title.",
        "Area A01, criterion A01.4 has no title.",
    ]


def test_one_language_is_enough_for_a_title():
    spec = default_spec()
    spec["areas"][0]["title"] = {"zh": "", "en": "Rights"}
    spec["areas"][1]["criteria"][0]["title"] = {"zh": "只有中文", "en": ""}
    assert _messages(spec) == []


def test_empty_and_malformed_frameworks():
    assert _messages([]) == ["The framework is not a JSON object."]
    spec = default_spec()
    spec["areas"] = []
    assert _messages(spec) == ["The framework has no areas."]
    spec = default_spec()
    spec["areas"][9]["criteria"] = []
    spec["areas"][8]["code"] = "A 09"
    assert _messages(spec) == [
        ("Area A 09 (工会经费收取及审查): the code 'A 09' is not valid; use letters, digits, '.', '-' and '_', "
        "at most 20 characters."),
        "Area A10 (职工之家建设) has no criteria.",
    ]


def test_to_engine_refuses_a_malformed_spec_with_the_engines_error():
    from scoring.types import ScoringInputError

    with pytest.raises(ScoringInputError, match="cannot be converted"):
        frameworks.to_engine({"areas": [{"code": "A01"}]})


# --------------------------------------------------------------------------- versions

def test_create_refuses_an_invalid_framework_and_stores_nothing(app):
    spec = default_spec()
    spec["areas"][0]["weight"] = 15
    with app.app_context():
        with pytest.raises(frameworks.FrameworkInvalid) as caught:
            frameworks.create_framework(code="bad", name="Bad", spec=spec)
        assert caught.value.reasons[0] == "Area A01 (依法维权): its criteria's maxima add up to 10, not to its weight 15."
        assert _counts() == (0, 0)


def test_create_refuses_a_used_or_malformed_code(app):
    with app.app_context():
        frameworks.create_framework(code="xicheng-2015", name="2015", spec=default_spec())
        with pytest.raises(Conflict, match="already a framework with the code xicheng-2015"):
            frameworks.create_framework(code="xicheng-2015", name="again", spec=default_spec())
        with pytest.raises(DomainError, match="is not valid"):
            frameworks.create_framework(code="has space", name="x", spec=default_spec())
        assert _counts() == (1, 1)


def test_editing_a_draft_rewrites_it_and_editing_a_frozen_version_makes_version_2(app):
    with app.app_context():
        framework = frameworks.create_framework(code="fw", name="FW", spec=default_spec())
        spec = default_spec()
        spec["areas"][0]["title"]["en"] = "Rights"
        version = frameworks.edit_framework(framework=framework, spec=spec)
        assert version.number == 1 and len(framework.versions) == 1
        frameworks.freeze_version(version=version)
        spec["areas"][0]["title"]["en"] = "Rights at work"
        version2 = frameworks.edit_framework(framework=framework, spec=spec)
        db.session.commit()
        assert [v.number for v in framework.versions] == [1, 2]
        assert version2.number == 2 and not version2.frozen
        assert framework.versions[0].spec["areas"][0]["title"]["en"] == "Rights"
        assert version2.spec["areas"][0]["title"]["en"] == "Rights at work"


def test_an_edit_that_changes_nothing_makes_no_version(app):
    with app.app_context():
        framework = frameworks.create_framework(code="fw", name="FW", spec=default_spec())
        frameworks.freeze_version(version=framework.versions[0])
        assert frameworks.edit_framework(framework=framework, spec=default_spec()).number == 1
        assert len(framework.versions) == 1


def test_a_draft_may_be_incomplete_but_not_malformed(app):
    with app.app_context():
        framework = frameworks.create_framework(code="fw", name="FW", spec=default_spec())
        spec = default_spec()
        spec["areas"][0]["criteria"][0]["max_points"] = 4  # mid-edit: A01 adds up to 11 for now
        frameworks.edit_framework(framework=framework, spec=spec)
        assert framework.versions[0].spec["areas"][0]["criteria"][0]["max_points"] == 4
        broken = default_spec()
        del broken["areas"][0]["criteria"][0]["max_points"]
        with pytest.raises(frameworks.FrameworkInvalid) as caught:
            frameworks.edit_framework(framework=framework, spec=broken)
        assert caught.value.reasons == ["Area A01 (依法维权), criterion A01.1 has no maximum."]
        assert framework.versions[0].spec["areas"][0]["criteria"][0]["max_points"] == 4


def test_freezing_refuses_problems_and_is_idempotent(app):
    with app.app_context():
        framework = frameworks.create_framework(code="fw", name="FW", spec=default_spec())
        spec = default_spec()
        spec["areas"][0]["criteria"].pop()
        version = frameworks.edit_framework(framework=framework, spec=spec)
        with pytest.raises(frameworks.FrameworkInvalid):
            frameworks.freeze_version(version=version)
        assert version.frozen_at is None
        frameworks.edit_framework(framework=framework, spec=default_spec())
        frozen_at = frameworks.freeze_version(version=version).frozen_at
        assert frozen_at is not None
        assert frameworks.freeze_version(version=version).frozen_at == frozen_at


def test_editor_services_change_one_thing_each(app):
    with app.app_context():
        framework = frameworks.create_framework(code="fw", name="FW", spec=default_spec())
        frameworks.freeze_version(version=framework.versions[0])
        frameworks.update_area(framework=framework, area_code="A01",
                               area={"code": "R", "title": {"zh": "维权", "en": "Rights"}, "weight": 10})
        frameworks.delete_criterion(framework=framework, criterion_code="A01.4")
        frameworks.add_criterion(framework=framework, area_code="R", criterion={
            "code": "R.9", "title": {"zh": "新", "en": "New"}, "max_points": 2, "step": 1,
            "guidance": {"full": {"zh": "好", "en": "good"}}})
        frameworks.add_area(framework=framework, area={"code": "A11", "title": {"zh": "新方面", "en": ""},
                                                       "weight": 5})
        latest = frameworks.latest_version(framework)
        assert latest.number == 2  # all four edits went into one new draft
        assert [a["code"] for a in latest.spec["areas"]][:2] == ["R", "A02"]
        assert [c["code"] for c in latest.spec["areas"][0]["criteria"]] == ["A01.1", "A01.2", "A01.3", "R.9"]
        assert latest.spec["areas"][0]["criteria"][3]["guidance"]["none"] == {"zh": "", "en": ""}
        assert _messages(latest.spec) == [
            "Area A11 (新方面) has no criteria.",
            ("The area weights add up to 105, not 100: R 10, A02 10, A03 10, A04 10, A05 10, A06 10, A07 10, A08 10, "
            "A09 10, A10 10, A11 5."),
        ]
        frameworks.delete_area(framework=framework, area_code="A11")
        assert _messages(frameworks.latest_version(framework).spec) == []
        assert framework.versions[0].spec == default_spec()


def test_editor_services_refuse_used_codes_and_unknown_ones(app):
    with app.app_context():
        framework = frameworks.create_framework(code="fw", name="FW", spec=default_spec())
        with pytest.raises(Conflict, match="The area code A02 is already used."):
            frameworks.update_area(framework=framework, area_code="A01",
                                   area={"code": "A02", "title": {"zh": "x", "en": ""}, "weight": 10})
        with pytest.raises(Conflict, match="The criterion code A02.1 is already used."):
            frameworks.add_criterion(framework=framework, area_code="A01", criterion={
                "code": "A02.1", "title": {"zh": "x", "en": ""}, "max_points": 1, "step": 1, "guidance": {}})
        with pytest.raises(frameworks.NotFound, match="There is no area A99 in this framework."):
            frameworks.delete_area(framework=framework, area_code="A99")
        db.session.rollback()
        assert frameworks.latest_version(framework).spec == default_spec()


def test_load_default_framework_is_idempotent(app):
    with app.app_context():
        first = frameworks.load_default_framework()
        again = frameworks.load_default_framework()
        assert first.id == again.id and first.number == 1
        assert first.framework.code == DEFAULT_CODE == "xicheng-2014"
        assert first.spec == default_spec()
        assert _counts() == (1, 1)


def test_list_frameworks_counts_versions_criteria_and_problems(app):
    with app.app_context():
        framework = frameworks.create_framework(code="b-fw", name="B", spec=default_spec())
        frameworks.freeze_version(version=framework.versions[0])
        spec = default_spec()
        spec["areas"][0]["criteria"].pop()
        frameworks.edit_framework(framework=framework, spec=spec)
        frameworks.load_default_framework()
        rows = [(s.framework.code, s.versions, s.latest.number, s.areas, s.criteria, s.problems)
                for s in frameworks.list_frameworks()]
        assert rows == [("b-fw", 2, 2, 10, 39, 1), ("xicheng-2014", 1, 1, 10, 40, 0)]


# --------------------------------------------------------------------------- spreadsheets through the service

def _sheet(spec=None, edit=None) -> bytes:
    data = write_framework_sheet(spec or default_spec())
    if edit is None:
        return data
    book = openpyxl.load_workbook(io.BytesIO(data))
    edit(book["criteria"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_import_creates_then_versions_then_leaves_unchanged(app):
    with app.app_context():
        outcome = frameworks.import_framework(data=_sheet(), code="imp")
        assert (outcome.action, outcome.version.number) == ("created", 1)
        assert outcome.framework.name == default_spec()["title"]["zh"]
        assert frameworks.import_framework(data=_sheet(), code="imp").action == "unchanged"
        frameworks.freeze_version(version=outcome.version)
        spec = default_spec()
        spec["areas"][0]["criteria"][0]["title"]["en"] = "Collective contract"
        second = frameworks.import_framework(data=_sheet(spec), code="imp", name="Renamed")
        assert (second.action, second.version.number, second.framework.name) == ("new_version", 2, "Renamed")
        spec["areas"][0]["criteria"][0]["title"]["en"] = "Collective contract, filed"
        third = frameworks.import_framework(data=_sheet(spec), code="imp")
        assert (third.action, third.version.number) == ("draft_replaced", 2)
        assert third.version.spec == spec


def test_import_of_a_framework_that_does_not_add_up_names_the_rows_and_stores_nothing(app):
    def heavier(sheet):
        for row in (2, 3, 4, 5):
            sheet.cell(row=row, column=COLUMNS.index("area_weight") + 1, value=15)

    with app.app_context():
        with pytest.raises(frameworks.FrameworkInvalid) as caught:
            frameworks.import_framework(data=_sheet(edit=heavier), code="imp")
        assert caught.value.reasons == [
            "rows 2-5: Area A01 (依法维权): its criteria's maxima add up to 10, not to its weight 15.",
            ("The area weights add up to 105, not 100: A01 15, A02 10, A03 10, A04 10, A05 10, A06 10, A07 10, "
            "A08 10, A09 10, A10 10."),
        ]
        assert _counts() == (0, 0)


def test_import_of_an_off_step_criterion_names_its_row(app):
    def off_step(sheet):
        sheet.cell(row=8, column=COLUMNS.index("step") + 1, value=2)  # A02.3, max 2: fine
        sheet.cell(row=9, column=COLUMNS.index("step") + 1, value=1.5)  # A02.4, max 2: off the step

    with app.app_context():
        with pytest.raises(frameworks.FrameworkInvalid) as caught:
            frameworks.import_framework(data=_sheet(edit=off_step), code="imp")
        assert caught.value.reasons == [
            "row 9: Area A02 (自身建设), criterion A02.4: the maximum 2 is not a multiple of the step 1.5."
        ]
        assert _counts() == (0, 0)


def test_import_of_a_bad_sheet_stores_nothing_even_for_an_existing_framework(app):
    with app.app_context():
        framework = frameworks.create_framework(code="imp", name="I", spec=default_spec())
        data = _sheet(edit=lambda s: s.cell(row=7, column=COLUMNS.index("max_points") + 1, value="ten"))
        with pytest.raises(frameworks.SheetRejected) as caught:
            frameworks.import_framework(data=data, code="imp")
        assert caught.value.reasons == ["row 7: max_points 'ten' is not a number"]
        assert caught.value.message == "The spreadsheet was not imported; nothing was stored."
        assert len(framework.versions) == 1 and framework.versions[0].spec == default_spec()


def test_export_names_the_file_and_round_trips(app):
    with app.app_context():
        framework = frameworks.create_framework(code="exp", name="E", spec=default_spec())
        content, filename = frameworks.export_framework(framework=framework)
        assert filename == "framework-exp-v1.xlsx"
        assert read_framework_sheet(content).spec == framework.versions[0].spec
        with pytest.raises(frameworks.NotFound, match="Framework exp has no version 3."):
            frameworks.export_framework(framework=framework, number=3)


# --------------------------------------------------------------------------- screens

@pytest.fixture
def staff_client(client, make_user, login):
    make_user("staff", username="organiser", locale="en")
    login("organiser")
    return client


def _create(app, *, frozen: bool = False) -> int:
    with app.app_context():
        framework = frameworks.create_framework(code="fw", name="考核细则", spec=default_spec())
        if frozen:
            frameworks.freeze_version(version=framework.versions[0])
        db.session.commit()
        return framework.id


def _latest(app, framework_id: int) -> tuple[int, dict]:
    with app.app_context():
        version = frameworks.latest_version(frameworks.get_framework(framework_id=framework_id))
        return version.number, version.spec


def _criterion_form(**changes) -> dict:
    base = {"code": "A01.1", "title_zh": "签订集体合同", "title_en": "Collective contract", "max_points": "3",
            "step": "0.5", "guidance_full_zh": "已签订并备案", "guidance_partial_zh": "", "guidance_none_zh": "",
            "guidance_full_en": "Signed and filed", "guidance_partial_en": "", "guidance_none_en": ""}
    return {**base, **changes}


def test_list_and_framework_page_show_areas_criteria_and_guidance(app, staff_client):
    fid = _create(app)
    listing = staff_client.get("/staff/frameworks/").get_data(as_text=True)
    assert f"/staff/frameworks/{fid}" in listing and "考核细则" in listing
    page = staff_client.get(f"/staff/frameworks/{fid}")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "10 areas, 40 criteria, 100 points in total." in body
    assert body.count('class="criterion"') == 40
    assert "Collective contract and wage agreement signed and filed" in body
    assert "max 3, step 0.5" in body and "Full points" in body
    projector = staff_client.get(f"/staff/frameworks/{fid}?view=projector").get_data(as_text=True)
    assert '<body class="projector">' in projector and "css/frameworks.css" in projector
    assert staff_client.get(f"/staff/frameworks/{fid}?version=9").status_code == 404


def test_editor_lists_problems_and_the_version_notice(app, staff_client):
    fid = _create(app)
    body = staff_client.get(f"/staff/frameworks/{fid}/edit").get_data(as_text=True)
    assert "You are editing version 1, a draft." in body and 'data-testid="no-problems"' in body
    token = csrf_token(staff_client, f"/staff/frameworks/{fid}/criteria/A01.1")
    staff_client.post(f"/staff/frameworks/{fid}/criteria/A01.1", data={**_criterion_form(max_points="4"),
                                                                       "csrf_token": token})
    body = staff_client.get(f"/staff/frameworks/{fid}/edit").get_data(as_text=True)
    assert "Area A01 (依法维权): its criteria&#39;s maxima add up to 11, not to its weight 10." in body
    assert "The area weights add up" not in body


def test_editing_a_criterion_saves_it(app, staff_client):
    fid = _create(app)
    token = csrf_token(staff_client, f"/staff/frameworks/{fid}/criteria/A01.1")
    response = staff_client.post(f"/staff/frameworks/{fid}/criteria/A01.1",
                                 data={**_criterion_form(), "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"].endswith("#criterion-A01.1")
    number, spec = _latest(app, fid)
    criterion = spec["areas"][0]["criteria"][0]
    assert number == 1
    assert criterion["title"] == {"zh": "签订集体合同", "en": "Collective contract"}
    assert criterion["guidance"]["full"] == {"zh": "已签订并备案", "en": "Signed and filed"}
    assert criterion["guidance"]["none"] == {"zh": "", "en": ""}


def test_editing_a_frozen_version_makes_version_2_and_says_so(app, staff_client):
    fid = _create(app, frozen=True)
    body = staff_client.get(f"/staff/frameworks/{fid}/edit").get_data(as_text=True)
    assert "Version 1 is frozen: a round uses it, so it never changes. Your first change makes version 2" in body
    token = csrf_token(staff_client, f"/staff/frameworks/{fid}/areas/A01")
    response = staff_client.post(f"/staff/frameworks/{fid}/areas/A01", follow_redirects=True, data={
        "code": "A01", "title_zh": "依法维权", "title_en": "Rights", "weight": "10", "csrf_token": token})
    assert "Your change made version 2, a draft; version 1 stays frozen for the rounds that use it." in \
        response.get_data(as_text=True)
    number, spec = _latest(app, fid)
    assert number == 2 and spec["areas"][0]["title"]["en"] == "Rights"
    with app.app_context():
        assert frameworks.get_framework(framework_id=fid).versions[0].spec == default_spec()


@pytest.mark.parametrize(("changes", "message"), [
    ({"max_points": "2.75"}, "The maximum must be a multiple of the step (0.5)."),
    ({"max_points": ""}, "This field is required."),
    ({"step": "0"}, "Enter a number greater than 0."),
    ({"max_points": "ten"}, "Not a valid decimal value."),
    ({"title_zh": "", "title_en": ""}, "Give a title in Chinese, in English, or both."),
    ({"code": "A01 1"}, "Use letters, digits, &#39;.&#39;, &#39;-&#39; and &#39;_&#39;, at most 20 characters."),
    ({"code": "A02.1"}, "The criterion code A02.1 is already used."),
])
def test_a_refused_criterion_edit_stores_nothing(app, staff_client, changes, message):
    fid = _create(app)
    token = csrf_token(staff_client, f"/staff/frameworks/{fid}/criteria/A01.1")
    response = staff_client.post(f"/staff/frameworks/{fid}/criteria/A01.1",
                                 data={**_criterion_form(**changes), "csrf_token": token})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _latest(app, fid) == (1, default_spec())


def test_add_and_delete_areas_and_criteria(app, staff_client):
    fid = _create(app)
    token = csrf_token(staff_client, f"/staff/frameworks/{fid}/add-area")
    response = staff_client.post(f"/staff/frameworks/{fid}/add-area", data={
        "code": "A11", "title_zh": "服务阵地", "title_en": "", "weight": "5", "csrf_token": token})
    assert response.status_code == 302
    response = staff_client.post(f"/staff/frameworks/{fid}/areas/A11/add-criterion",
                                 data={**_criterion_form(code="A11.1", max_points="5"), "csrf_token": token})
    assert response.status_code == 302
    _, spec = _latest(app, fid)
    assert spec["areas"][10]["criteria"][0]["code"] == "A11.1"
    body = staff_client.get(f"/staff/frameworks/{fid}/edit").get_data(as_text=True)
    assert "The area weights add up to 105, not 100:" in body
    staff_client.post(f"/staff/frameworks/{fid}/criteria/A11.1/delete", data={"csrf_token": token})
    assert _latest(app, fid)[1]["areas"][10]["criteria"] == []
    # deleting an area needs the confirmation box
    staff_client.post(f"/staff/frameworks/{fid}/areas/A11/delete", data={"csrf_token": token})
    assert len(_latest(app, fid)[1]["areas"]) == 11
    staff_client.post(f"/staff/frameworks/{fid}/areas/A11/delete", data={"csrf_token": token, "confirm": "yes"})
    assert _latest(app, fid) == (1, default_spec())


def test_titles_in_problem_messages_are_escaped(app, staff_client):
    fid = _create(app)
    token = csrf_token(staff_client, f"/staff/frameworks/{fid}/add-area")
    staff_client.post(f"/staff/frameworks/{fid}/add-area", data={
        "code": "A11", "title_zh": "<b>x</b>", "title_en": "", "weight": "5", "csrf_token": token})
    body = staff_client.get(f"/staff/frameworks/{fid}/edit").get_data(as_text=True)
    assert "Area A11 (&lt;b&gt;x&lt;/b&gt;) has no criteria." in body
    assert "<b>x</b>" not in body


def test_post_without_csrf_token_is_refused(app, staff_client):
    fid = _create(app)
    response = staff_client.post(f"/staff/frameworks/{fid}/criteria/A01.4/delete")
    assert response.status_code == 400
    assert len(_latest(app, fid)[1]["areas"][0]["criteria"]) == 4


def test_new_framework_from_the_default_or_a_copy(app, staff_client):
    fid = _create(app)
    token = csrf_token(staff_client, "/staff/frameworks/new")
    response = staff_client.post("/staff/frameworks/new", data={
        "code": "xicheng-2015", "name": "2015", "source": "", "csrf_token": token})
    assert response.status_code == 302
    response = staff_client.post("/staff/frameworks/new", data={
        "code": "copy", "name": "Copy", "source": str(fid), "csrf_token": token})
    assert response.status_code == 302
    response = staff_client.post("/staff/frameworks/new", data={
        "code": "copy", "name": "Again", "source": "", "csrf_token": token})
    assert response.status_code == 400
    assert "There is already a framework with the code copy." in response.get_data(as_text=True)
    with app.app_context():
        assert [f.code for f in db.session.scalars(select(Framework).order_by(Framework.code))] == [
            "copy", "fw", "xicheng-2015"]


def test_upload_and_download_the_spreadsheet(app, staff_client):
    token = csrf_token(staff_client, "/staff/frameworks/import")
    response = staff_client.post("/staff/frameworks/import", content_type="multipart/form-data", data={
        "file": (io.BytesIO(_sheet()), "framework.xlsx"), "code": "up", "name": "", "csrf_token": token})
    assert response.status_code == 302
    with app.app_context():
        framework = frameworks.get_framework(code="up")
        fid = framework.id
        assert framework.versions[0].spec == default_spec()
    download = staff_client.get(f"/staff/frameworks/{fid}/export.xlsx")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"] == 'attachment; filename="framework-up-v1.xlsx"'
    assert read_framework_sheet(download.data).spec == default_spec()


def test_a_refused_upload_lists_every_row_and_stores_nothing(app, staff_client):
    def conflicting(sheet):
        sheet.cell(row=4, column=COLUMNS.index("area_weight") + 1, value=12)
        sheet.cell(row=7, column=COLUMNS.index("max_points") + 1, value="ten")

    token = csrf_token(staff_client, "/staff/frameworks/import")
    response = staff_client.post("/staff/frameworks/import", content_type="multipart/form-data", data={
        "file": (io.BytesIO(_sheet(edit=conflicting)), "framework.xlsx"), "code": "up", "csrf_token": token})
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "The spreadsheet was not imported; nothing was stored." in body
    assert "row 7: max_points &#39;ten&#39; is not a number" in body
    assert "area A01: area_weight differs between rows: 10 on rows 2, 3, 5; 12 on row 4" in body
    with app.app_context():
        assert _counts() == (0, 0)


def test_evaluators_read_but_do_not_edit_and_representatives_are_refused(app, client, make_user, login):
    fid = _create(app)
    make_user("evaluator", username="centre", locale="en")
    login("centre")
    body = client.get(f"/staff/frameworks/{fid}").get_data(as_text=True)
    assert "Collective contract and wage agreement signed and filed" in body
    assert f"/staff/frameworks/{fid}/edit" not in body
    assert client.get(f"/staff/frameworks/{fid}/export.xlsx").status_code == 200
    assert client.get(f"/staff/frameworks/{fid}/edit").status_code == 403
    assert client.get("/staff/frameworks/new").status_code == 403
    token = csrf_token(client, "/staff/frameworks/")
    client.post("/logout", data={"csrf_token": token})
    make_user("representative", username="rep01")
    login("rep01")
    for path in ("/staff/frameworks/", f"/staff/frameworks/{fid}", f"/staff/frameworks/{fid}/export.xlsx",
                 f"/staff/frameworks/{fid}/edit"):
        assert client.get(path).status_code == 403, path


def test_staff_see_the_frameworks_link_in_the_menu(app, staff_client):
    body = staff_client.get("/staff/frameworks/").get_data(as_text=True)
    assert re.search(r'<a href="/staff/frameworks/" aria-current="page">Frameworks</a>', body)
