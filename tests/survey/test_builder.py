"""The staff builder through the test client: create, add every question type, edit, reorder, refuse, version."""

from __future__ import annotations

import dataclasses
import html
import io
import json
import re

import pytest
from sqlalchemy import func, select

from forms.questionnaire.checks import publish_problems
from forms.questionnaire.conditions import parse
from forms.questionnaire.spec import Demographic, MatrixRow, Option, Question, Section
from forms.questionnaire.spec import LocalizedText as L
from forms.questionnaire.spec import QuestionType as T
from survey.extensions import db
from survey.models import Questionnaire, QuestionnaireKind, QuestionnaireVersion, User
from survey.services import questionnaires
from tests.conftest import csrf_token
from tests.forms.conftest import make_questionnaire

BASE = "/staff/questionnaires"
from tests.fixtures import XLSFORM_DIR

INTEROP = XLSFORM_DIR


@pytest.fixture
def staff(client, make_user, login):
    """A staff member's client; English pages, so messages read as in the code."""
    make_user("staff", username="builder", locale="en")
    login("builder")
    return client


@pytest.fixture
def token(staff) -> str:
    return csrf_token(staff, f"{BASE}/new")


def _create(app, spec=None, *, publish: bool = False, close: bool = False) -> int:
    with app.app_context():
        q = questionnaires.create_questionnaire(spec=spec or make_questionnaire(), kind=QuestionnaireKind.NEEDS)
        if publish or close:
            questionnaires.publish_questionnaire(questionnaire=q)
        if close:
            questionnaires.close_questionnaire(questionnaire=q)
        db.session.commit()
        return q.id


def _versions(app, qid: int) -> list[tuple[int, bool, dict]]:
    with app.app_context():
        q = questionnaires.get_questionnaire(questionnaire_id=qid)
        return [(v.number, v.frozen, v.spec) for v in q.versions]


def _spec(app, qid: int):
    with app.app_context():
        questionnaire = questionnaires.get_questionnaire(questionnaire_id=qid)
        return questionnaires.spec_of(questionnaires.latest_version(questionnaire))


def _layout(app, qid: int) -> list[tuple[str, list[str]]]:
    return [(s.id, [q.id for q in s.questions]) for s in _spec(app, qid).sections]


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _follow(client, response) -> str:
    assert response.status_code == 302, response.status_code
    return _text(client.get(response.headers["Location"]))


def _question_block(page: str, question_id: str) -> str:
    match = re.search(rf'<li id="q-{question_id}" class="question">(.*?)</li>\s*(?:<li id="q-|</ol>)', page, re.DOTALL)
    assert match, f"question {question_id} is not on the page"
    return match.group(1)


QUESTION_FIELDS = {"title_zh": "", "title_en": "", "help_zh": "", "help_en": "", "demographic": "", "show_if": "",
                   "options": "", "rows": "", "number_min": "", "number_max": "", "number_kind": "integer",
                   "min_selections": "", "max_selections": "", "rank_top": "", "scale_min": "1", "scale_max": "5",
                   "max_length": ""}


def _question_data(token: str, **fields) -> dict:
    return {"csrf_token": token, **QUESTION_FIELDS, **fields}


# --------------------------------------------------------------------------- creating a questionnaire

def test_create_a_blank_questionnaire(app, staff, token):
    assert "Title of the first page (Chinese)" in _text(staff.get(f"{BASE}/new"))
    response = staff.post(f"{BASE}/new", data={
        "csrf_token": token, "title_zh": "2016年职工需求调查", "title_en": "2016 member needs survey", "kind": "needs",
        "languages": "zh en", "anonymous": "y", "section_title_zh": "基本情况", "section_title_en": "About you",
    })
    qid = int(re.fullmatch(rf"{BASE}/(\d+)/edit", response.headers["Location"]).group(1))
    page = _follow(staff, response)
    assert "Questionnaire created: add its questions." in page
    assert "You are editing version 1, a draft. Nothing is published yet." in page
    assert "Page 1: About you" in page and "Section s1 has no questions." in page
    with app.app_context():
        q = questionnaires.get_questionnaire(questionnaire_id=qid)
        creator = db.session.get(User, q.created_by_id)
        assert (q.title, q.kind, q.anonymous, creator.username) == (
            "2016年职工需求调查", QuestionnaireKind.NEEDS, True, "builder")
    spec = _spec(app, qid)
    assert spec.title == L("2016年职工需求调查", "2016 member needs survey")
    assert spec.sections == (Section("s1", L("基本情况", "About you")),)


def test_new_questionnaire_without_a_title_stores_nothing(app, staff, token):
    response = staff.post(f"{BASE}/new", data={"csrf_token": token, "title_zh": "", "kind": "needs",
                                               "languages": "zh en", "section_title_zh": "基本情况"})
    assert response.status_code == 400 and "This field is required." in _text(response)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Questionnaire)) == 0


# --------------------------------------------------------------------------- adding every type of question

#: (form fields, the question they must store) for each type, with the seeds' kind of content.
EVERY_TYPE = [
    ({"id": "sub_district", "type": "single_choice", "title_zh": "您所在的街道", "title_en": "Your sub-district",
          "required": "y", "demographic": "sub_district",
          "options": "xichang | 西长安街 | Xichangan Street\nshichahai | 什刹海 | Shichahai\nother* | 其他 | Other"},
     Question("sub_district", T.SINGLE_CHOICE, L("您所在的街道", "Your sub-district"), required=True,
              demographic=Demographic.SUB_DISTRICT,
              options=(Option("xichang", L("西长安街", "Xichangan Street")), Option("shichahai", L("什刹海", "Shichahai")),
                       Option("other", L("其他", "Other"), True)))),
    ({"id": "age", "type": "number", "title_zh": "您的年龄", "title_en": "Your age", "required": "y", "number_min": "16",
          "number_max": "70", "help_zh": "周岁", "help_en": "Years"},
     Question("age", T.NUMBER, L("您的年龄", "Your age"), help=L("周岁", "Years"), required=True, number_min=16,
              number_max=70)),
    ({"id": "needs", "type": "multiple_choice", "title_zh": "您最需要哪些服务", "title_en": "Which services do you need most",
          "options": "legal | 法律援助 | Legal aid\ntraining | 技能培训 | Skills training\naid | 困难帮扶 | Hardship aid",
          "min_selections": "1", "max_selections": "2", "shuffle": "y", "show_if": "${age} >= 18"},
     Question("needs", T.MULTIPLE_CHOICE, L("您最需要哪些服务", "Which services do you need most"), shuffle=True,
              options=(Option("legal", L("法律援助", "Legal aid")), Option("training", L("技能培训", "Skills training")),
                       Option("aid", L("困难帮扶", "Hardship aid"))),
              min_selections=1, max_selections=2, show_if=parse("${age} >= 18"))),
    ({"id": "legal_detail", "type": "long_text", "title_zh": "请说明您的法律问题", "title_en": "Describe your legal problem",
          "max_length": "500", "show_if": "${age} >= 18 and selected(${needs}, 'legal')"},
     Question("legal_detail", T.LONG_TEXT, L("请说明您的法律问题", "Describe your legal problem"), max_length=500,
              show_if=parse("${age} >= 18 and selected(${needs}, 'legal')"))),
    ({"id": "satisfaction", "type": "rating", "title_zh": "您对工会主席的满意度", "title_en": "Your satisfaction with the chair",
          "scale_min": "0", "scale_max": "10", "scale_min_label_zh": "很不满意", "scale_min_label_en": "Very dissatisfied",
          "scale_max_label_zh": "非常满意", "scale_max_label_en": "Very satisfied"},
     Question("satisfaction", T.RATING, L("您对工会主席的满意度", "Your satisfaction with the chair"), scale_min=0,
              scale_max=10, scale_min_label=L("很不满意", "Very dissatisfied"),
              scale_max_label=L("非常满意", "Very satisfied"))),
    ({"id": "home", "type": "matrix", "title_zh": "请评价职工之家", "title_en": "Rate the workers' home", "required": "y",
          "rows": "space | 活动场地 | Activity space\nstaff | 工作人员 | Staff\nservice | 服务项目 | Services"},
     Question("home", T.MATRIX, L("请评价职工之家", "Rate the workers' home"), required=True,
              rows=(MatrixRow("space", L("活动场地", "Activity space")), MatrixRow("staff", L("工作人员", "Staff")),
                    MatrixRow("service", L("服务项目", "Services"))))),
    ({"id": "priorities", "type": "ranking", "title_zh": "请为以下工作排序", "title_en": "Rank these areas of work",
          "options": "rights | 依法维权 | Rights protection\nsafety | 安全生产 | Work safety\nwarmth | 温暖工程 | Warmth project",
          "rank_top": "2"},
     Question("priorities", T.RANKING, L("请为以下工作排序", "Rank these areas of work"), rank_top=2,
              options=(Option("rights", L("依法维权", "Rights protection")), Option("safety", L("安全生产", "Work safety")),
                       Option("warmth", L("温暖工程", "Warmth project"))))),
    ({"id": "unit_name", "type": "short_text", "title_zh": "您所在的单位", "title_en": "Your workplace", "max_length": "100"},
     Question("unit_name", T.SHORT_TEXT, L("您所在的单位", "Your workplace"), max_length=100)),
    ({"id": "joined", "type": "date", "title_zh": "入会日期", "title_en": "Date you joined the union"},
     Question("joined", T.DATE, L("入会日期", "Date you joined the union"))),
]


def test_add_a_question_of_each_type_and_see_them_on_the_builder(app, staff, token):
    qid = _create(app, dataclasses.replace(make_questionnaire(), sections=(Section("s1", L("基本情况", "About you")),)))
    for fields, expected in EVERY_TYPE:
        form_page = staff.get(f"{BASE}/{qid}/sections/s1/questions/new?type={fields['type']}")
        assert f'<option selected value="{fields["type"]}">' in form_page.get_data(as_text=True)
        response = staff.post(f"{BASE}/{qid}/sections/s1/questions/new", data=_question_data(token, **fields))
        assert response.status_code == 302, _text(response)
        assert response.headers["Location"] == f"{BASE}/{qid}/edit#q-{expected.id}"
    spec = _spec(app, qid)
    assert list(spec.questions()) == [expected for _, expected in EVERY_TYPE]
    assert publish_problems(spec) == []  # built from the screens alone, ready to publish
    page = _text(staff.get(f"{BASE}/{qid}/edit"))
    assert "No problems found: this version can be published." in page
    for _, expected in EVERY_TYPE:
        assert expected.title.en in _question_block(page, expected.id)
    assert "Shown only when: ${age} >= 18 and selected(${needs}, 'legal')" in _question_block(page, "legal_detail")
    assert "Scale 0 to 10 (Very dissatisfied … Very satisfied)" in _question_block(page, "satisfaction")
    assert "(other, please specify)" in _question_block(page, "sub_district")
    assert len(_versions(app, qid)) == 1  # every edit went into the one draft


def test_edit_a_question(app, staff, token):
    qid = _create(app)
    form_page = _text(staff.get(f"{BASE}/{qid}/questions/needs"))
    assert "legal | 选项legal | Option legal\ntraining | 选项training | Option training" in form_page
    assert "more* | 其他 | Other" in form_page
    response = staff.post(f"{BASE}/{qid}/questions/needs", data=_question_data(
        token, id="needs", type="multiple_choice", title_zh="您需要哪些服务（可多选）", title_en="Which services do you need",
        options="legal | 法律援助 | Legal aid\naid | 困难帮扶 | Hardship aid\nmore* | 其他 | Other",
        max_selections="2", show_if=""))
    assert "Question needs saved." in _follow(staff, response)
    assert _spec(app, qid).question("needs") == Question(
        "needs", T.MULTIPLE_CHOICE, L("您需要哪些服务（可多选）", "Which services do you need"), max_selections=2,
        options=(Option("legal", L("法律援助", "Legal aid")), Option("aid", L("困难帮扶", "Hardship aid")),
                 Option("more", L("其他", "Other"), True)))


def test_move_duplicate_and_delete_questions(app, staff, token):
    qid = _create(app)
    page = _follow(staff, staff.post(f"{BASE}/{qid}/questions/needs/move", data={"csrf_token": token, "step": "-1"}))
    assert "Question needs moved up." in page
    assert _layout(app, qid)[0] == ("about", ["gender", "age", "needs"])
    staff.post(f"{BASE}/{qid}/questions/needs/move", data={"csrf_token": token, "step": "1"})
    assert _layout(app, qid)[1][1][:2] == ["needs", "legal_detail"]

    response = staff.post(f"{BASE}/{qid}/questions/income/duplicate", data={"csrf_token": token})
    assert response.headers["Location"] == f"{BASE}/{qid}/edit#q-income_copy"
    assert "Question income copied as income_copy." in _follow(staff, response)
    assert _spec(app, qid).question("income_copy") == dataclasses.replace(
        _spec(app, qid).question("income"), id="income_copy")

    page = _follow(staff, staff.post(f"{BASE}/{qid}/questions/income/delete", data={"csrf_token": token}))
    assert "Question income deleted." in page
    assert _layout(app, qid)[1][1][-2:] == ["joined", "income_copy"]


def test_move_past_the_last_question_is_refused(app, staff, token):
    qid = _create(app)
    page = _follow(staff, staff.post(f"{BASE}/{qid}/questions/income/move", data={"csrf_token": token, "step": "1"}))
    assert "Question income is already the last question." in page
    assert staff.post(f"{BASE}/{qid}/questions/income/move", data={"csrf_token": token, "step": "3"}).status_code == 400


def test_changes_need_a_csrf_token(app, staff):
    qid = _create(app)
    assert staff.post(f"{BASE}/{qid}/questions/income/delete").status_code == 400
    assert _spec(app, qid) == make_questionnaire()


# --------------------------------------------------------------------------- bad input stores nothing

def test_condition_syntax_error_shows_its_position_and_stores_nothing(app, staff, token):
    qid = _create(app)
    before = _versions(app, qid)
    response = staff.post(f"{BASE}/{qid}/sections/needs/questions/new", data=_question_data(
        token, id="legal_followup", type="short_text", title_zh="法律问题", title_en="Legal problem",
        show_if="selected(${needs} 'legal')"))
    assert response.status_code == 400
    assert ("The condition does not parse at character 19 (near “'legal')”): expected ',' between the two arguments "
            "of selected(), found 'legal'") in _text(response)
    assert _versions(app, qid) == before


def test_options_textarea_errors_name_the_line(app, staff, token):
    qid = _create(app)
    before = _versions(app, qid)
    response = staff.post(f"{BASE}/{qid}/questions/gender", data=_question_data(
        token, id="gender", type="single_choice", title_zh="性别", title_en="Gender",
        options="m | 男 | Male\nf | 女 | Female\n| 其他 | Other\nm | 男性"))
    assert response.status_code == 400
    page = _text(response)
    assert "line 3: an option needs an id and a Chinese label" in page
    assert "line 4: the id m is already used on line 1" in page
    assert _versions(app, qid) == before


def test_deleting_a_question_another_depends_on_is_refused_naming_it(app, staff, token):
    qid = _create(app)
    page = _follow(staff, staff.post(f"{BASE}/{qid}/questions/needs/delete", data={"csrf_token": token}))
    assert ("Question needs cannot be deleted: the condition of question legal_detail reads it. "
            "Change that condition first.") in page
    page = _follow(staff, staff.post(f"{BASE}/{qid}/questions/age/delete", data={"csrf_token": token}))
    assert "Question age cannot be deleted: the condition of section needs reads it." in page
    assert _spec(app, qid) == make_questionnaire()


def test_renaming_a_question_a_condition_reads_is_refused(app, staff, token):
    qid = _create(app)
    response = staff.post(f"{BASE}/{qid}/questions/age", data=_question_data(
        token, id="age_years", type="number", title_zh="年龄", title_en="Age", number_min="16", number_max="100"))
    assert response.status_code == 400
    assert ("The id of question age cannot change: the condition of section needs reads it. "
            "Change that condition first.") in _text(response)
    assert _spec(app, qid) == make_questionnaire()


def test_publish_problems_are_shown_beside_their_question(app, staff, token):
    qid = _create(app)
    staff.post(f"{BASE}/{qid}/sections/needs/questions/new", data=_question_data(
        token, id="pick", type="single_choice", title_zh="只有一个选项", options="only | 唯一",
        show_if="${later} = 1"))
    page = _text(staff.get(f"{BASE}/{qid}/edit"))
    assert "4 problems block publishing; each is shown beside the question or section it concerns." in page
    block = _question_block(page, "pick")
    assert "Question pick needs at least two options." in block
    assert "Question pick has no English text." in block
    assert "The condition of question pick refers to later, which does not exist." in block
    assert "needs at least two options" not in _question_block(page, "income")
    assert "Question pick has no English text." in _text(staff.get(f"{BASE}/{qid}/questions/pick"))


# --------------------------------------------------------------------------- sections

def test_add_edit_move_and_delete_sections(app, staff, token):
    qid = _create(app)
    response = staff.post(f"{BASE}/{qid}/sections", data={"csrf_token": token, "id": "work", "title_zh": "工作情况",
                                                          "title_en": "Your work"})
    assert response.headers["Location"] == f"{BASE}/{qid}/edit#s-work"
    assert [s.id for s in _spec(app, qid).sections] == ["about", "needs", "work"]

    assert "${age} >= 18</textarea>" in _text(staff.get(f"{BASE}/{qid}/sections/needs"))
    response = staff.post(f"{BASE}/{qid}/sections/work", data={
        "csrf_token": token, "id": "job", "title_zh": "工作", "title_en": "Work", "description_zh": "关于您的工作",
        "description_en": "About your job", "show_if": "${age} >= 16"})
    assert "Section job saved." in _follow(staff, response)
    assert _spec(app, qid).sections[2] == Section("job", L("工作", "Work"), L("关于您的工作", "About your job"),
                                                  show_if=parse("${age} >= 16"))

    staff.post(f"{BASE}/{qid}/sections/job/move", data={"csrf_token": token, "step": "-1"})
    assert [s.id for s in _spec(app, qid).sections] == ["about", "job", "needs"]
    page = _follow(staff, staff.post(f"{BASE}/{qid}/sections/job/delete", data={"csrf_token": token}))
    assert "Section job deleted." in page
    assert [s.id for s in _spec(app, qid).sections] == ["about", "needs"]


def test_section_form_errors_store_nothing(app, staff, token):
    qid = _create(app)
    response = staff.post(f"{BASE}/{qid}/sections", data={"csrf_token": token, "id": "needs", "title_zh": "重复"})
    assert response.status_code == 400
    assert "The id needs is already used by another section." in _text(response)
    response = staff.post(f"{BASE}/{qid}/sections/needs", data={"csrf_token": token, "id": "needs",
                                                                "show_if": "${age} >>= 18"})
    assert response.status_code == 400
    assert ("The condition does not parse at character 9 (near “>= 18”): expected a question like ${q1}, a number "
            "or quoted text after '>', found '>='") in _text(response)
    assert _spec(app, qid) == make_questionnaire()


def test_deleting_the_only_section_is_refused(app, staff, token):
    spec = dataclasses.replace(make_questionnaire(), sections=(Section("s1", L("页", "Page")),))
    qid = _create(app, spec)
    page = _follow(staff, staff.post(f"{BASE}/{qid}/sections/s1/delete", data={"csrf_token": token}))
    assert "A questionnaire needs at least one section; s1 is the only one." in page
    assert _spec(app, qid) == spec


# --------------------------------------------------------------------------- versions and life cycle

def test_editing_a_published_questionnaire_makes_version_2_and_leaves_version_1_live(app, staff, token):
    qid = _create(app, publish=True)
    assert ("Version 1 is live. Your first change makes version 2, a draft; version 1 stays live until you publish."
            in _text(staff.get(f"{BASE}/{qid}/edit")))
    response = staff.post(f"{BASE}/{qid}/questions/name", data=_question_data(
        token, id="name", type="short_text", title_zh="您的姓名（选填）", title_en="Your name (optional)", max_length="5"))
    page = _follow(staff, response)
    assert "Your change made version 2, a draft; version 1 stays live until you publish." in page
    assert "You are editing version 2, a draft; version 1 stays live until you publish." in page
    staff.post(f"{BASE}/{qid}/questions/joined/move", data={"csrf_token": token, "step": "-1"})
    versions = _versions(app, qid)
    assert [(number, frozen) for number, frozen, _ in versions] == [(1, True), (2, False)]
    assert versions[0][2] == make_questionnaire().to_dict()  # version 1 did not change
    with app.app_context():
        assert questionnaires.live_version(questionnaires.get_questionnaire(questionnaire_id=qid)).number == 1
    assert _spec(app, qid).question("name").title == L("您的姓名（选填）", "Your name (optional)")
    assert _layout(app, qid)[1][1][-3:] == ["joined", "name", "income"]


def test_a_published_question_keeps_its_id(app, staff, token):
    qid = _create(app, publish=True)
    response = staff.post(f"{BASE}/{qid}/questions/name", data=_question_data(
        token, id="full_name", type="short_text", title_zh="姓名", title_en="Name"))
    assert response.status_code == 400
    assert "Question name is in the published version: its id must stay the same" in _text(response)
    assert len(_versions(app, qid)) == 1


def test_a_closed_questionnaire_cannot_be_edited(app, staff, token):
    qid = _create(app, close=True)
    page = _text(staff.get(f"{BASE}/{qid}/edit"))
    assert "This questionnaire is closed: it can no longer be edited." in page
    assert f"{BASE}/{qid}/questions/age/move" not in page
    assert "A closed questionnaire cannot be edited." in _follow(staff, staff.get(f"{BASE}/{qid}/questions/age"))
    page = _follow(staff, staff.post(f"{BASE}/{qid}/questions/age/move", data={"csrf_token": token, "step": "-1"}))
    assert "A closed questionnaire cannot be edited." in page
    assert len(_versions(app, qid)) == 1 and _spec(app, qid) == make_questionnaire()


def test_unknown_questions_and_sections_are_404(app, staff, token):
    qid = _create(app)
    assert staff.get(f"{BASE}/{qid}/questions/nope").status_code == 404
    assert staff.get(f"{BASE}/{qid}/sections/nope").status_code == 404
    assert staff.get(f"{BASE}/{qid}/sections/nope/questions/new").status_code == 404
    assert staff.get(f"{BASE}/999999/edit").status_code == 404


def test_change_the_title_and_introduction(app, staff, token):
    qid = _create(app)
    assert 'value="职工需求问卷"' in _text(staff.get(f"{BASE}/{qid}/settings"))
    response = staff.post(f"{BASE}/{qid}/settings", data={
        "csrf_token": token, "title_zh": "2016年职工需求调查", "title_en": "2016 member needs survey",
        "description_zh": "本问卷约需10分钟。", "description_en": "About ten minutes.", "languages": "zh en"})
    assert "Settings saved." in _follow(staff, response)
    spec = _spec(app, qid)
    assert (spec.title, spec.description, spec.anonymous) == (
        L("2016年职工需求调查", "2016 member needs survey"), L("本问卷约需10分钟。", "About ten minutes."), False)
    with app.app_context():
        assert questionnaires.get_questionnaire(questionnaire_id=qid).title == "2016年职工需求调查"


def test_anonymity_cannot_change_once_live(app, staff, token):
    qid = _create(app, publish=True)
    response = staff.post(f"{BASE}/{qid}/settings", data={
        "csrf_token": token, "title_zh": "职工需求问卷", "title_en": "Member needs survey", "languages": "zh en",
        "anonymous": "y"})
    assert response.status_code == 400
    assert "Anonymity cannot change once responses may have been collected." in _text(response)
    assert len(_versions(app, qid)) == 1


# --------------------------------------------------------------------------- import and export

def test_export_links_give_json_and_xlsform(app, staff):
    qid = _create(app)
    page = _text(staff.get(f"{BASE}/{qid}/edit"))
    assert f"{BASE}/{qid}/export/json" in page and f"{BASE}/{qid}/export/xlsform" in page
    exported = staff.get(f"{BASE}/{qid}/export/json")
    assert exported.mimetype == "application/json"
    assert exported.headers["Content-Disposition"] == f'attachment; filename="questionnaire-{qid}-v1.json"'
    assert json.loads(exported.data)["spec"] == make_questionnaire().to_dict()
    workbook = staff.get(f"{BASE}/{qid}/export/xlsform")
    assert workbook.data.startswith(b"PK\x03\x04")
    assert staff.get(f"{BASE}/{qid}/export/csv").status_code == 404
    assert staff.get(f"{BASE}/{qid}/export/json?version=7").status_code == 404


def test_import_an_export_and_open_it_in_the_builder(app, staff, token):
    qid = _create(app)
    exported = staff.get(f"{BASE}/{qid}/export/json").data
    response = staff.post(f"{BASE}/import", data={"csrf_token": token, "kind": "satisfaction",
                                                  "file": (io.BytesIO(exported), "needs.json")},
                          content_type="multipart/form-data")
    page = _text(response)
    assert response.status_code == 200 and "Imported as a draft" in page
    with app.app_context():
        newest = db.session.scalar(select(Questionnaire).order_by(Questionnaire.id.desc()))
        assert (newest.id != qid, newest.kind) == (True, QuestionnaireKind.SATISFACTION)
        new_id = newest.id
    assert f"{BASE}/{new_id}/edit" in page
    assert _spec(app, new_id) == make_questionnaire()


def test_import_a_kobotoolbox_workbook_shows_what_was_not_imported(app, staff, token):
    workbook = (INTEROP / "group.xlsx").read_bytes()
    response = staff.post(f"{BASE}/import", data={"csrf_token": token, "kind": "needs",
                                                  "file": (io.BytesIO(workbook), "group.xlsx")},
                          content_type="multipart/form-data")
    page = _text(response)
    assert response.status_code == 200 and "1 thing could not be imported as it was:" in page
    assert ("survey row 4 (type 'phone number', name 'phone_number'): imported as a short text question "
            "(Kaimen does not check phone numbers)") in page


def test_import_of_invalid_json_is_refused_and_stores_nothing(app, staff, token):
    response = staff.post(f"{BASE}/import", data={"csrf_token": token, "kind": "",
                                                  "file": (io.BytesIO(b'{"title": '), "broken.json")},
                          content_type="multipart/form-data")
    assert response.status_code == 400
    assert "broken.json is not valid JSON: line 1, column 11" in _text(response)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(QuestionnaireVersion)) == 0


# --------------------------------------------------------------------------- access

def test_representatives_get_403(app, client, make_user, login):
    qid = _create(app)
    make_user("representative", username="rep01")
    login("rep01")
    assert client.get(f"{BASE}/new").status_code == 403
    assert client.get(f"{BASE}/{qid}/edit").status_code == 403
    assert client.get(f"{BASE}/{qid}/questions/age").status_code == 403
    token = csrf_token(client, "/")
    assert client.post(f"{BASE}/{qid}/questions/income/delete", data={"csrf_token": token}).status_code == 403
    assert _spec(app, qid) == make_questionnaire()


def test_anonymous_visitors_are_sent_to_log_in(app, client):
    qid = _create(app)
    response = client.get(f"{BASE}/{qid}/edit")
    assert (response.status_code, response.headers["Location"]) == (302, f"/login?next={BASE}/{qid}/edit")
    token = csrf_token(client, "/login")
    assert client.post(f"{BASE}/{qid}/questions/income/delete", data={"csrf_token": token}).status_code == 401
    assert _spec(app, qid) == make_questionnaire()
