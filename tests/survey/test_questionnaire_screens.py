"""Staff screens: list, publish checklist, preview, QR codes, invitations, targets, monitor."""

from __future__ import annotations

import csv
import dataclasses
import io

import pytest
from sqlalchemy import func, select

from survey.extensions import db
from survey.models import Invite, OrgLevel, OrgUnit, ParticipationTarget, QuestionnaireKind, QuestionnaireStatus
from survey.services import invites, questionnaires, responses
from tests.conftest import csrf_token
from tests.forms.conftest import make_questionnaire


@pytest.fixture
def staff_client(client, make_user, login):
    make_user("staff", username="organiser")
    login("organiser")
    return client


def _create(app, *, publish: bool = False, spec=None) -> int:
    with app.app_context():
        q = questionnaires.create_questionnaire(
            spec=spec or dataclasses.replace(make_questionnaire(), anonymous=True), kind=QuestionnaireKind.NEEDS
        )
        if publish:
            questionnaires.publish_questionnaire(questionnaire=q)
        db.session.commit()
        return q.id


def _unit(app, code: str = "XC-D01", members: int = 10) -> None:
    with app.app_context():
        district = OrgUnit(code="XC", name_zh="西城区总工会", level=OrgLevel.DISTRICT)
        db.session.add(district)
        db.session.flush()
        from survey.models import UnitKind

        db.session.add(OrgUnit(code=code, name_zh="隆盛泰公司工会", level=OrgLevel.GRASSROOTS,
                               kind=UnitKind.DIRECTLY_AFFILIATED, parent_id=district.id, member_count=members))
        db.session.commit()


def test_list_shows_questionnaires(app, staff_client):
    qid = _create(app)
    body = staff_client.get("/staff/questionnaires/").get_data(as_text=True)
    assert f"/staff/questionnaires/{qid}" in body and "职工需求问卷" in body and "草稿" in body


def test_checklist_lists_every_problem_and_offers_no_publish_button(app, staff_client):
    spec = make_questionnaire()
    broken = dataclasses.replace(spec, sections=spec.sections[1:])
    qid = _create(app, spec=broken)
    body = staff_client.get(f"/staff/questionnaires/{qid}").get_data(as_text=True)
    assert "个问题导致无法发布" in body and "sections[0]" in body
    assert f"/staff/questionnaires/{qid}/publish" not in body


def test_publish_through_the_page(app, staff_client):
    qid = _create(app)
    token = csrf_token(staff_client, f"/staff/questionnaires/{qid}")
    response = staff_client.post(f"/staff/questionnaires/{qid}/publish", data={"csrf_token": token})
    assert response.status_code == 302
    with app.app_context():
        q = questionnaires.get_questionnaire(questionnaire_id=qid)
        assert q.status is QuestionnaireStatus.PUBLISHED and q.versions[0].frozen


def test_publish_with_closing_before_opening_is_refused(app, staff_client):
    qid = _create(app)
    token = csrf_token(staff_client, f"/staff/questionnaires/{qid}")
    staff_client.post(
        f"/staff/questionnaires/{qid}/publish",
        data={"csrf_token": token, "opens_at": "2026-12-02T09:00", "closes_at": "2026-12-01T09:00"},
    )
    body = staff_client.get(f"/staff/questionnaires/{qid}").get_data(as_text=True)
    assert "截止时间必须晚于开始时间" in body
    with app.app_context():
        assert questionnaires.get_questionnaire(questionnaire_id=qid).status is QuestionnaireStatus.DRAFT


def test_publish_times_are_read_in_beijing_time(app, staff_client):
    qid = _create(app)
    token = csrf_token(staff_client, f"/staff/questionnaires/{qid}")
    staff_client.post(f"/staff/questionnaires/{qid}/publish", data={"csrf_token": token, "opens_at": "2026-12-01T09:00"})
    with app.app_context():
        opens = questionnaires.get_questionnaire(questionnaire_id=qid).opens_at
        assert (opens.hour, opens.day) == (1, 1)  # 09:00 in Beijing is 01:00 UTC


def test_preview_renders_each_page_without_a_submit(app, staff_client):
    qid = _create(app)
    first = staff_client.get(f"/staff/questionnaires/{qid}/preview").get_data(as_text=True)
    assert "基本情况" in first and 'name="gender"' in first and 'type="submit"' not in first.split("<main")[1].split("</main>")[0].replace('type="submit" class="link-button"', "")
    second = staff_client.get(f"/staff/questionnaires/{qid}/preview/needs").get_data(as_text=True)
    assert "显示条件：" in second and "${age} &gt;= 18" in second
    assert staff_client.get(f"/staff/questionnaires/{qid}/preview/nope").status_code == 404


def test_qr_codes_come_as_png_and_svg(app, staff_client):
    qid = _create(app, publish=True)
    png = staff_client.get(f"/staff/questionnaires/{qid}/qr.png")
    svg = staff_client.get(f"/staff/questionnaires/{qid}/qr.svg")
    assert png.mimetype == "image/png" and png.data.startswith(b"\x89PNG")
    assert svg.mimetype == "image/svg+xml" and b"<svg" in svg.data
    assert staff_client.get(f"/staff/questionnaires/{qid}/qr.gif").status_code == 404


def test_invites_are_issued_as_a_csv_once(app, staff_client):
    qid = _create(app, publish=True)
    _unit(app)
    token = csrf_token(staff_client, f"/staff/questionnaires/{qid}/distribution")
    response = staff_client.post(
        f"/staff/questionnaires/{qid}/invites", data={"csrf_token": token, "count": "3", "unit_code": "XC-D01"}
    )
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 3 and {r["unit"] for r in rows} == {"XC-D01"}
    assert all(r["link"].endswith(f"?code={r['code']}") for r in rows)
    with app.app_context():
        q = questionnaires.get_questionnaire(questionnaire_id=qid)
        assert invites.invite_counts(questionnaire=q) == (3, 0)
        stored = db.session.scalars(select(Invite.code_hash)).all()
        assert {invites.code_hash(r["code"]) for r in rows} == set(stored)


def test_invites_for_an_unknown_unit_are_refused(app, staff_client):
    qid = _create(app, publish=True)
    token = csrf_token(staff_client, f"/staff/questionnaires/{qid}/distribution")
    response = staff_client.post(
        f"/staff/questionnaires/{qid}/invites", data={"csrf_token": token, "count": "3", "unit_code": "NOPE"}
    )
    assert response.status_code == 302
    assert "没有编码为 NOPE 的单位" in staff_client.get(response.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Invite)) == 0


def test_monitor_counts_responses_against_the_unit_target(app, staff_client):
    qid = _create(app, publish=True)
    _unit(app, members=4)
    token = csrf_token(staff_client, f"/staff/questionnaires/{qid}/monitor")
    staff_client.post(f"/staff/questionnaires/{qid}/targets", data={"csrf_token": token, "unit_code": "XC-D01", "percent": "60"})
    with app.app_context():
        q = questionnaires.get_questionnaire(questionnaire_id=qid)
        unit = db.session.scalar(select(OrgUnit).where(OrgUnit.code == "XC-D01"))
        assert db.session.scalar(select(ParticipationTarget.rate)) == 0.6
        for n, code in enumerate(invites.create_invites(questionnaire=q, count=2, unit=unit)):
            invite = invites.redeem_invite(questionnaire=q, code=code.code)
            responses.submit_whole_response(
                questionnaire=q, client_id=f"monitor-client-{n:08d}", invite=invite,
                answers={"gender": "m", "age": 40, "home": {"space": 3, "staff": 4}},
            )
        db.session.commit()
    body = staff_client.get(f"/staff/questionnaires/{qid}/monitor").get_data(as_text=True)
    # 2 of 4 members = 50%; the 60% target needs 3.
    assert "50.0%" in body and "60% (3)" in body and "尚未达标" in body


def test_representatives_cannot_reach_staff_screens(app, client, make_user, login):
    qid = _create(app)
    make_user("representative", username="rep")
    login("rep")
    assert client.get(f"/staff/questionnaires/{qid}").status_code == 403


def _upload(staff_client, qid: int, data: bytes, filename: str):
    token = csrf_token(staff_client, f"/staff/questionnaires/{qid}/distribution")
    return staff_client.post(
        f"/staff/questionnaires/{qid}/invites/upload",
        data={"csrf_token": token, "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def test_invites_from_an_uploaded_csv_list(app, staff_client):
    qid = _create(app, publish=True)
    _unit(app)
    listing = "\ufefflabel,unit\n一车间,XC-D01\n二车间,\n".encode("utf-8")
    response = _upload(staff_client, qid, listing, "list.csv")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert [(r["label"], r["unit"]) for r in rows] == [("一车间", "XC-D01"), ("二车间", "")]
    with app.app_context():
        assert sorted(db.session.scalars(select(Invite.label))) == ["一车间", "二车间"]


def test_invites_from_an_xlsx_list(app, staff_client):
    import openpyxl

    qid = _create(app, publish=True)
    book = openpyxl.Workbook()
    book.active.append(["姓名", "单位编码"])
    book.active.append(["王建国", None])
    out = io.BytesIO()
    book.save(out)
    response = _upload(staff_client, qid, out.getvalue(), "list.xlsx")
    assert response.mimetype == "text/csv"
    with app.app_context():
        assert db.session.scalars(select(Invite.label)).all() == ["王建国"]


def test_a_list_with_bad_rows_issues_nothing_and_names_the_rows(app, staff_client):
    qid = _create(app, publish=True)
    _unit(app)
    listing = "label,unit\n一车间,XC-D01\n,XC-D01\n三车间,NOPE\n".encode("utf-8")
    response = _upload(staff_client, qid, listing, "list.csv")
    page = staff_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "第3行：label 为空" in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Invite)) == 0
    response = _upload(staff_client, qid, "label,unit\n三车间,NOPE\n".encode(), "list.csv")
    page = staff_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "NOPE" in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Invite)) == 0


def test_a_macro_workbook_list_is_refused(app, staff_client):
    import zipfile

    qid = _create(app, publish=True)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr("xl/workbook.xml", "<workbook/>")
        package.writestr("xl/vbaProject.bin", b"\x00macro")
    response = _upload(staff_client, qid, out.getvalue(), "list.xlsm")
    page = staff_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "vbaProject.bin" in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Invite)) == 0
