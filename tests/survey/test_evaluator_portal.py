"""The evaluator portal: what evaluators may reach, what they download, and that every download is audited.

- access: evaluators never reach staff screens, unpublished rounds, open or draft questionnaires,
  nor a file through another publication's address; a guessed id gets the same 404 as a missing one;
- every download is in the audit log with the evaluator's name and the file's SHA-256, which is the
  hash shown next to the file and the hash of the bytes received;
- the anonymised raw scores name no rater;
- the survey export for evaluators holds no value and no combination of key values resting on fewer
  than k respondents (the policy of ``survey.services.evaluator_exports``).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections import Counter
from datetime import date

import numpy as np
import openpyxl
import pyreadstat
import pytest
from sqlalchemy import func, select

from forms.questionnaire.spec import (
    Demographic,
    Option,
    Question,
    Questionnaire,
    Section,
)
from forms.questionnaire.spec import LocalizedText as L
from forms.questionnaire.spec import QuestionType as T
from survey.extensions import db
from survey.models import (
    AuditEntry,
    OrgLevel,
    OrgUnit,
    Publication,
    PublishedFile,
    QuestionnaireKind,
    UnitKind,
    User,
)
from survey.services import demo_scores, plans, publications, rounds
from survey.services import questionnaires as qs
from survey.services.answer_columns import ImportRecord, bulk_import_responses
from survey.services.evaluator_exports import evaluator_export, protect
from tests.conftest import csrf_token
from tests.survey.round_builders import framework_version, seed_round

K, K_UNIT = 5, 10
KEYS = ("unit_code", "sub_district_code", "gender", "age_band")


# --------------------------------------------------------------------------- builders


def _user_named(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def _bare_round(name: str, code: str):
    return rounds.create_round(name=name, period="2015", framework_version=framework_version(code=code))


def _fake_publication(round, version: int, files: dict[str, bytes], note: str = "") -> Publication:
    """A publication row with the given files (the publish service itself is tested elsewhere)."""
    publication = Publication(round_id=round.id, version=version, note=note, snapshot={}, audit_head="0" * 64)
    for name, content in files.items():
        publication.files.append(PublishedFile(
            kind="round_report" if name.endswith(".pdf") else "raw_scores", filename=name,
            mimetype="application/pdf" if name.endswith(".pdf") else "text/csv",
            sha256=hashlib.sha256(content).hexdigest(), size=len(content), content=content))
    db.session.add(publication)
    db.session.flush()
    return publication


def _spec() -> Questionnaire:
    def options(*ids):
        return tuple(Option(i, L(f"选项{i}", f"Option {i}")) for i in ids)

    return Questionnaire(
        title=L("职工需求问卷（评估）", "Member needs (evaluation)"),
        sections=(Section("s", L("问题", "Questions"), questions=(
            Question("gender", T.SINGLE_CHOICE, L("性别", "Gender"), required=True, options=options("m", "f", "x"),
                     demographic=Demographic.GENDER),
            Question("age_band", T.SINGLE_CHOICE, L("年龄段", "Age band"), required=True,
                     options=options("a1", "a2", "a3", "a4", "a5"), demographic=Demographic.AGE_BAND),
            Question("satisfaction", T.RATING, L("满意度", "Satisfaction"), required=True, scale_min=1, scale_max=5),
            Question("needs", T.MULTIPLE_CHOICE, L("需求", "Needs"), options=options("legal", "training", "aid", "rare")),
            Question("priority", T.RANKING, L("排序", "Priorities"), options=options("a", "b", "c", "d"), rank_top=2),
            Question("years", T.NUMBER, L("会龄", "Years a member"), number_min=0, number_max=60),
            Question("comment", T.SHORT_TEXT, L("意见", "Comment"), max_length=50),
        )),),
        anonymous=True,
    )


#: Responses per unit code (None: no unit): some units too small to be shown.
UNIT_SIZES = {"EV-U1": 90, "EV-U2": 12, "EV-U3": 4, "EV-U4": 2, "EV-U5": 11, None: 6}


def _units() -> dict[str, OrgUnit]:
    district = OrgUnit(code="EV", name_zh="评估区总工会", level=OrgLevel.DISTRICT)
    s1 = OrgUnit(code="EV-S1", name_zh="一街道", level=OrgLevel.SUB_DISTRICT, parent=district)
    s2 = OrgUnit(code="EV-S2", name_zh="二街道", level=OrgLevel.SUB_DISTRICT, parent=district)
    units = {}
    for code in ("EV-U1", "EV-U2", "EV-U3"):
        units[code] = OrgUnit(code=code, name_zh=code, level=OrgLevel.GRASSROOTS, parent=s1, kind=UnitKind.ENTERPRISE)
    for code in ("EV-U4", "EV-U5"):
        units[code] = OrgUnit(code=code, name_zh=code, level=OrgLevel.GRASSROOTS, parent=s2, kind=UnitKind.ENTERPRISE)
    db.session.add_all([district, s1, s2, *units.values()])
    db.session.flush()
    return units


def _records(units) -> list[ImportRecord]:
    rng = np.random.default_rng(8)
    records, i = [], 0
    for code, size in UNIT_SIZES.items():
        for _ in range(size):
            answers = {
                "gender": "x" if i in (3, 40) else ("m" if rng.random() < 0.5 else "f"),
                "age_band": "a5" if i in (7, 20, 50) else f"a{1 + int(rng.integers(0, 4))}",
                "satisfaction": 1 if i in (11, 12) else int(rng.integers(2, 6)),
                "needs": ["rare"] if i in (5, 6) else [str(rng.choice(["legal", "training", "aid"]))],
                "priority": [str(x) for x in rng.choice(["a", "b", "c", "d"], size=2, replace=False)],
                "years": int(rng.integers(0, 40)),
                "comment": f"我是{i}号，张三",
            }
            records.append(ImportRecord(answers, unit_id=units[code].id if code else None,
                                        submitted_on=date(2015, 3, 1 + i % 28)))
            i += 1
    return records


def _closed_questionnaire() -> int:
    units = _units()
    questionnaire = qs.create_questionnaire(spec=_spec(), kind=QuestionnaireKind.NEEDS)
    qs.publish_questionnaire(questionnaire=questionnaire)
    bulk_import_responses(questionnaire, _records(units))
    qs.close_questionnaire(questionnaire=questionnaire)
    return questionnaire.id


@pytest.fixture
def world(app, make_user):
    """Users; a published round with two versions, an unpublished round; closed, open and draft questionnaires."""
    make_user("evaluator", "eva", display_name="Eva Evaluator")
    make_user("staff", "stan")
    make_user("representative", "rita")
    with app.app_context():
        published = _bare_round("已发布的考核", "fw-pub")
        v1 = _fake_publication(published, 1, {"round-v1.pdf": b"%PDF-1.4 first", "scores-v1.csv": b"unit,rater\nA,R01\n"})
        v2 = _fake_publication(published, 2, {"round-v2.pdf": b"%PDF-1.4 second"}, note="更正一张评分表")
        hidden = _bare_round("未发布的考核", "fw-hidden")
        closed = _closed_questionnaire()
        live = qs.create_questionnaire(spec=_spec(), kind=QuestionnaireKind.NEEDS)
        qs.publish_questionnaire(questionnaire=live)
        draft = qs.create_questionnaire(spec=_spec(), kind=QuestionnaireKind.SATISFACTION)
        db.session.commit()
        return {
            "round": published.id, "v1": v1.id, "v2": v2.id,
            "v1_files": {f.filename: f.id for f in v1.files}, "v2_files": {f.filename: f.id for f in v2.files},
            "hidden_round": hidden.id, "closed": closed, "open": live.id, "draft": draft.id,
        }


def _as(client, login, username):
    client.set_cookie("kaimen_lang", "en")
    assert login(username).status_code == 302


def _downloads(app) -> list[AuditEntry]:
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "download").order_by(AuditEntry.id))
        return [e for e in entries]


def _csv(data: bytes) -> list[dict]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


# --------------------------------------------------------------------------- access


STAFF_SCREENS = [
    "/staff/rounds/", "/staff/rounds/{round}", "/staff/rounds/{round}/results", "/staff/rounds/{round}/publications",
    "/staff/rounds/{round}/publications/{v1}/files/{v1_file}", "/staff/rounds/{round}/conflicts",
    "/staff/questionnaires/", "/staff/questionnaires/{closed}", "/staff/questionnaires/{closed}/analysis",
    "/staff/questionnaires/{closed}/analysis/responses.csv", "/staff/users",
]


def _fill(path: str, world) -> str:
    return path.format(v1_file=next(iter(world["v1_files"].values())), **world)


def test_an_evaluator_cannot_reach_staff_screens(client, login, world):
    _as(client, login, "eva")
    for path in STAFF_SCREENS:
        assert client.get(_fill(path, world)).status_code == 403, path
    token = csrf_token(client, "/evaluator/")
    response = client.post(f"/staff/rounds/{world['round']}/publish", data={"csrf_token": token, "note": "x"})
    assert response.status_code == 403


def test_representatives_and_strangers_cannot_use_the_portal(client, login, world):
    paths = ["/evaluator/", f"/evaluator/rounds/{world['round']}", f"/evaluator/questionnaires/{world['closed']}",
             f"/evaluator/questionnaires/{world['closed']}/responses.csv",
             f"/evaluator/rounds/{world['round']}/publications/{world['v2']}/files/{world['v2_files']['round-v2.pdf']}"]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.location, path
    _as(client, login, "rita")
    for path in paths:
        assert client.get(path).status_code == 403, path


def test_the_portal_lists_published_rounds_and_closed_questionnaires_only(app, client, login, world):
    _as(client, login, "eva")
    page = client.get("/evaluator/").get_data(as_text=True)
    assert "已发布的考核" in page and "未发布的考核" not in page
    assert f"/evaluator/questionnaires/{world['closed']}\"" in page
    assert f"/evaluator/questionnaires/{world['open']}\"" not in page
    assert f"/evaluator/questionnaires/{world['draft']}\"" not in page


def _page_for_comparison(response, path: str) -> str:
    """The page with its own path and the per-request CSRF token (it carries a timestamp) masked."""
    text = response.get_data(as_text=True).replace(path, "PATH")
    return re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token" value="TOKEN"', text)


def test_guessed_ids_get_the_same_404_as_missing_ones(client, login, world):
    _as(client, login, "eva")
    v1_file = world["v1_files"]["round-v1.pdf"]
    missing = client.get("/evaluator/rounds/999999")
    assert missing.status_code == 404
    expected = _page_for_comparison(missing, "/evaluator/rounds/999999")
    assert "TOKEN" in expected
    refused = [
        f"/evaluator/rounds/{world['hidden_round']}",
        f"/evaluator/questionnaires/{world['open']}",
        f"/evaluator/questionnaires/{world['draft']}",
        "/evaluator/questionnaires/999999",
        f"/evaluator/questionnaires/{world['open']}/responses.csv",
        f"/evaluator/questionnaires/{world['draft']}/responses.sav",
        f"/evaluator/questionnaires/{world['open']}/needs-report.pdf",
        f"/evaluator/questionnaires/{world['closed']}/responses.exe",
        # a file of version 1 through version 2's address, through an unpublished round, or made up
        f"/evaluator/rounds/{world['round']}/publications/{world['v2']}/files/{v1_file}",
        f"/evaluator/rounds/{world['hidden_round']}/publications/{world['v1']}/files/{v1_file}",
        f"/evaluator/rounds/{world['round']}/publications/999999/files/{v1_file}",
        f"/evaluator/rounds/{world['round']}/publications/{world['v1']}/files/999999",
    ]
    for path in refused:
        response = client.get(path)
        assert response.status_code == 404, path
        assert _page_for_comparison(response, path) == expected, path  # nothing to tell them apart


def test_a_publication_of_another_round_is_not_reachable_through_this_one(app, client, login, world):
    with app.app_context():
        other = _bare_round("另一轮", "fw-other")
        theirs = _fake_publication(other, 1, {"other.pdf": b"%PDF-1.4 other"})
        db.session.commit()
        other_id, their_pub, their_file = other.id, theirs.id, theirs.files[0].id
    _as(client, login, "eva")
    assert client.get(f"/evaluator/rounds/{world['round']}/publications/{their_pub}/files/{their_file}").status_code == 404
    assert client.get(f"/evaluator/rounds/{other_id}/publications/{their_pub}/files/{their_file}").status_code == 200
    assert client.get(f"/evaluator/rounds/{other_id}/publications/{world['v1']}/files/"
                      f"{world['v1_files']['round-v1.pdf']}").status_code == 404


def test_refused_and_missing_downloads_leave_no_audit_entry(app, client, login, world):
    _as(client, login, "eva")
    client.get(f"/evaluator/rounds/{world['round']}/publications/{world['v2']}/files/{world['v1_files']['round-v1.pdf']}")
    client.get(f"/evaluator/questionnaires/{world['open']}/responses.csv")
    assert _downloads(app) == []


# --------------------------------------------------------------------------- published files


def _shown_hashes(page: str) -> dict[str, str]:
    """File name -> SHA-256 as the page shows them side by side."""
    rows = re.findall(r'class="help file-name">([^<]+)</span>.*?data-testid="sha256">([0-9a-f]{64})<', page, re.DOTALL)
    return dict(rows)


def test_the_round_page_shows_every_version_with_its_note_and_each_file_with_its_hash(client, login, world):
    _as(client, login, "eva")
    page = client.get(f"/evaluator/rounds/{world['round']}").get_data(as_text=True)
    assert "Version 2" in page and "Version 1" in page and "更正一张评分表" in page
    assert page.index("Version 2") < page.index("Version 1")  # newest first
    shown = _shown_hashes(page)
    assert set(shown) == {"round-v1.pdf", "scores-v1.csv", "round-v2.pdf"}
    assert shown["round-v2.pdf"] == hashlib.sha256(b"%PDF-1.4 second").hexdigest()
    assert 'href="/verify"' in page


def test_every_download_is_audited_with_the_evaluators_name_and_the_hash_shown(app, client, login, world):
    _as(client, login, "eva")
    page = client.get(f"/evaluator/rounds/{world['round']}").get_data(as_text=True)
    shown = _shown_hashes(page)
    links = re.findall(r'href="(/evaluator/rounds/\d+/publications/\d+/files/\d+)"', page)
    assert len(links) == 3
    received = {}
    for link in links:
        response = client.get(link)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-store"
        name = re.search(r'filename="?([^";]+)', response.headers["Content-Disposition"]).group(1)
        received[name] = hashlib.sha256(response.get_data()).hexdigest()
    assert received == shown  # the bytes received hash to what the page shows
    entries = _downloads(app)
    assert len(entries) == 3
    with app.app_context():
        eva = _user_named("eva")
        for entry in entries:
            assert entry.actor == "eva" and entry.actor_user_id == eva.id
            assert entry.subject_type == "published_file"
            assert shown[entry.details["filename"]] == entry.details["sha256"]
            assert entry.details["round"] == world["round"]
    client.get(links[0])
    assert len(_downloads(app)) == 4  # downloading again is recorded again


def test_staff_see_the_portal_and_their_downloads_are_audited_too(app, client, login, world):
    _as(client, login, "stan")
    assert client.get("/evaluator/").status_code == 200
    file_id = world["v2_files"]["round-v2.pdf"]
    response = client.get(f"/staff/rounds/{world['round']}/publications/{world['v2']}/files/{file_id}")
    assert response.status_code == 200 and response.get_data() == b"%PDF-1.4 second"
    [entry] = _downloads(app)
    assert entry.actor == "stan" and entry.details["portal"] == "staff"


def test_published_raw_scores_name_no_rater_and_match_their_hash(app, client, login, make_user):
    """A round really scored and published: its anonymised scores, downloaded by an evaluator."""
    make_user("evaluator", "eva")
    with app.app_context():
        round = seed_round()
        assert plans.solve_plan(round=round).solved
        demo_scores.load_demo_scores(round)
        publication = publications.publish(round=round, by=None)
        db.session.commit()
        people = set()
        for rater in round.raters:
            people.add(rater.name)
            if rater.user is not None:
                people.update({rater.user.username, rater.user.display_name})
        people.update(reason for _code, _user, reason in demo_scores.DECLARED_CONFLICTS)
        files = {f.kind: (f.id, f.sha256) for f in publication.files}
        round_id, publication_id = round.id, publication.id
    _as(client, login, "eva")
    page = client.get(f"/evaluator/rounds/{round_id}").get_data(as_text=True)
    for kind in ("raw_scores", "bundle"):
        file_id, sha256 = files[kind]
        assert sha256 in page
        data = client.get(f"/evaluator/rounds/{round_id}/publications/{publication_id}/files/{file_id}").get_data()
        assert hashlib.sha256(data).hexdigest() == sha256
        if kind == "raw_scores":
            text = data.decode("utf-8-sig")
            raters = {row["rater"] for row in csv.DictReader(io.StringIO(text))}
            assert raters and all(re.fullmatch(r"R\d{2}", r) for r in raters)
            assert not [p for p in people if p and p in text]
    assert [e.details["sha256"] for e in _downloads(app)] == [files["raw_scores"][1], files["bundle"][1]]


# --------------------------------------------------------------------------- survey exports


def _assert_protected(rows: list[dict], k: int = K, k_unit: int = K_UNIT) -> None:
    """No value, and no combination of key values, rests on fewer than k respondents."""
    assert rows
    columns = list(rows[0])
    for column in columns:
        if column == "case":
            continue
        counts = Counter(row[column] for row in rows if row[column] not in ("", None))
        need = k_unit if column == "unit_code" else k
        assert all(n >= need for n in counts.values()), (column, counts)
    classes = Counter(tuple(row[c] or "" for c in KEYS) for row in rows)
    for combination, n in classes.items():
        if not any(combination):
            continue  # every key withheld: the row shows nothing to match on
        assert n >= (k_unit if combination[0] else k), (combination, n)


def test_the_evaluator_export_protects_small_cells(app, client, login, world):
    _as(client, login, "eva")
    response = client.get(f"/evaluator/questionnaires/{world['closed']}/responses.csv")
    assert response.status_code == 200
    rows = _csv(response.get_data())
    total = sum(UNIT_SIZES.values())
    assert len(rows) == total
    assert sorted(int(r["case"]) for r in rows) == list(range(1, total + 1))
    columns = set(rows[0])
    # nothing that identifies a response: no response id, day, version or free text
    assert not columns & {"response_id", "submitted_on", "version", "comment"}
    assert not any("张三" in value for row in rows for value in row.values())
    _assert_protected(rows)
    # the rare answers are gone: the third gender, the oldest band, the lowest satisfaction, the rare need
    assert not [r for r in rows if r["gender"] == "3" or r["age_band"] == "5" or r["satisfaction"] == "1"]
    assert not [r for r in rows if r["needs_rare"] == "1"]
    # units with fewer than k_unit respondents are never shown, the big one mostly is
    units = Counter(r["unit_code"] for r in rows)
    assert not set(units) & {"EV-U3", "EV-U4"}
    assert units["EV-U1"] >= K_UNIT
    # and the common answers survive
    assert sum(1 for r in rows if r["gender"] in ("1", "2")) > total * 0.7
    assert sum(1 for r in rows if r["satisfaction"]) > total * 0.7


def test_the_export_download_is_audited_with_the_hash_of_the_bytes_served(app, client, login, world):
    _as(client, login, "eva")
    data = client.get(f"/evaluator/questionnaires/{world['closed']}/responses.csv").get_data()
    [entry] = _downloads(app)
    assert entry.actor == "eva" and entry.subject_type == "questionnaire"
    assert entry.subject_id == str(world["closed"])
    assert entry.details["sha256"] == hashlib.sha256(data).hexdigest()
    assert entry.details["filename"] == f"questionnaire-{world['closed']}-responses-protected.csv"
    assert entry.details["k"] == K and entry.details["withheld_cells"] > 0


@pytest.mark.parametrize("fmt", ["json", "xlsx", "sav"])
def test_every_format_holds_the_same_protected_rows(app, client, login, world, tmp_path, fmt):
    _as(client, login, "eva")
    reference = _csv(client.get(f"/evaluator/questionnaires/{world['closed']}/responses.csv").get_data())
    response = client.get(f"/evaluator/questionnaires/{world['closed']}/responses.{fmt}")
    assert response.status_code == 200
    data = response.get_data()
    if fmt == "json":
        rows = json.loads(data)
    elif fmt == "xlsx":
        sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True)["responses"]
        values = list(sheet.iter_rows(values_only=True))
        rows = [dict(zip(values[0], row)) for row in values[1:]]
    else:
        path = tmp_path / "export.sav"
        path.write_bytes(data)
        frame, _meta = pyreadstat.read_sav(str(path))
        rows = frame.to_dict("records")

    def plain(value):
        if value is None or value == "" or (isinstance(value, float) and np.isnan(value)):
            return ""
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)

    assert [{c: plain(r.get(c)) for c in reference[0]} for r in rows] == reference  # read-only XLSX rows stop at the last value
    assert [e.details["format"] for e in _downloads(app)] == ["csv", fmt]


def test_the_export_is_the_same_file_every_time(app, world):
    with app.app_context():
        questionnaire = qs.get_questionnaire(questionnaire_id=world["closed"])
        first = b"".join(evaluator_export(questionnaire, "csv")[0].chunks)
        second = b"".join(evaluator_export(questionnaire, "csv")[0].chunks)
        assert first == second
        protection = protect(questionnaire).protection
        assert protection.keys == KEYS and protection.dropped == ("comment",)
        assert all(n >= K or name in protection.whole for name, n in protection.withheld.items()
                   if name not in KEYS)  # answers withheld never stand alone


def test_the_questionnaire_page_explains_the_protection_and_offers_every_format(client, login, world):
    _as(client, login, "eva")
    page = client.get(f"/evaluator/questionnaires/{world['closed']}").get_data(as_text=True)
    for fmt in ("csv", "xlsx", "sav", "json"):
        assert f"/evaluator/questionnaires/{world['closed']}/responses.{fmt}" in page
    assert "at least 5 respondents" in page and "(10 when the unit is shown)" in page


def test_a_questionnaire_without_responses_exports_a_header(app, client, login, world):
    with app.app_context():
        empty = qs.create_questionnaire(spec=_spec(), kind=QuestionnaireKind.NEEDS)
        qs.publish_questionnaire(questionnaire=empty)
        qs.close_questionnaire(questionnaire=empty)
        db.session.commit()
        empty_id = empty.id
    _as(client, login, "eva")
    for fmt in ("csv", "sav", "xlsx", "json"):
        assert client.get(f"/evaluator/questionnaires/{empty_id}/responses.{fmt}").status_code == 200, fmt
    data = client.get(f"/evaluator/questionnaires/{empty_id}/responses.csv").get_data()
    assert data.decode("utf-8-sig").startswith("case,unit_code,sub_district_code,gender,age_band")
    with app.app_context():
        assert db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "download")) == 5


def test_the_needs_report_is_downloaded_and_audited(app, client, login, world):
    from survey.services import evaluator_portal

    with app.app_context():
        if evaluator_portal.needs_report_builder() is None:
            pytest.skip("the needs report builder is not installed")
    _as(client, login, "eva")
    page = client.get(f"/evaluator/questionnaires/{world['closed']}").get_data(as_text=True)
    link = f"/evaluator/questionnaires/{world['closed']}/needs-report.pdf"
    assert link in page
    response = client.get(link)
    assert response.status_code == 200 and response.get_data().startswith(b"%PDF")
    [entry] = _downloads(app)
    assert entry.actor == "eva" and entry.details["sha256"] == hashlib.sha256(response.get_data()).hexdigest()


def test_a_head_request_serves_nothing_and_records_nothing(app, client, login, world):
    _as(client, login, "eva")
    file_id = world["v2_files"]["round-v2.pdf"]
    assert client.head(f"/evaluator/rounds/{world['round']}/publications/{world['v2']}/files/{file_id}").status_code == 200
    assert client.head(f"/evaluator/questionnaires/{world['closed']}/responses.csv").status_code == 200
    assert client.head(f"/evaluator/rounds/{world['hidden_round']}").status_code == 404
    assert _downloads(app) == []


def test_the_pages_render_in_chinese(client, login, world):
    login("eva")
    for path in ("/evaluator/", f"/evaluator/rounds/{world['round']}", f"/evaluator/questionnaires/{world['closed']}"):
        response = client.get(path)
        assert response.status_code == 200 and 'lang="zh-CN"' in response.get_data(as_text=True), path
