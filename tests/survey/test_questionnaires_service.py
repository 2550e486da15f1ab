"""Questionnaire life cycle and answering, through the services."""

from __future__ import annotations

import dataclasses
import threading
from datetime import timedelta

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from forms.questionnaire.spec import LocalizedText
from survey import create_app
from survey.extensions import db
from survey.models import QuestionnaireKind, QuestionnaireStatus, Response, ResponseStatus
from survey.models.base import utcnow
from survey.services import invites, questionnaires, responses
from survey.services.errors import Conflict
from tests.forms.conftest import make_questionnaire

CLIENT = "client-0123456789abcdef"


def _published(anonymous: bool = True):
    spec = dataclasses.replace(make_questionnaire(), anonymous=anonymous)
    q = questionnaires.create_questionnaire(spec=spec, kind=QuestionnaireKind.NEEDS)
    questionnaires.publish_questionnaire(questionnaire=q)
    return q


ABOUT_ADULT = MultiDict({"gender": "f", "age": "35"})
NEEDS_PAGE = MultiDict(
    [("needs", "legal"), ("legal_detail", "欠薪"), ("home__space", "4"), ("home__staff", "5")]
)


def test_publishing_freezes_a_version_and_editing_makes_the_next_one(app):
    with app.app_context():
        q = _published()
        assert q.status is QuestionnaireStatus.PUBLISHED and q.versions[0].frozen
        spec = dataclasses.replace(make_questionnaire(), anonymous=True)
        reworded = dataclasses.replace(spec, title=LocalizedText("职工需求问卷（修订）", "Member needs survey (revised)"))
        version = questionnaires.edit_questionnaire(questionnaire=q, spec=reworded)
        assert (version.number, version.frozen) == (2, False)
        assert questionnaires.live_version(q).number == 1  # respondents still get version 1
        assert q.versions[0].spec == spec.to_dict()  # the frozen version did not change
        questionnaires.publish_questionnaire(questionnaire=q)
        assert questionnaires.live_version(q).number == 2
        assert q.versions[1].changes["from_version"] == 1
        assert q.versions[1].changes["questions"]["age"]["kind"] == "unchanged"


def test_published_specs_are_parsed_once_and_drafts_every_time(app):
    with app.app_context():
        q = _published()
        db.session.flush()
        published = q.versions[0]
        assert questionnaires.spec_of(published) is questionnaires.spec_of(published)  # parsed once
        spec = dataclasses.replace(make_questionnaire(), anonymous=True)
        draft = questionnaires.edit_questionnaire(questionnaire=q, spec=spec)
        first = questionnaires.spec_of(draft)
        reworded = dataclasses.replace(spec, title=LocalizedText("改过的标题", "Changed title"))
        questionnaires.edit_questionnaire(questionnaire=q, spec=reworded)
        assert first.title.zh != "改过的标题" and questionnaires.spec_of(draft).title.zh == "改过的标题"


def test_publishing_a_draft_with_problems_lists_them_and_stays_draft(app):
    with app.app_context():
        spec = make_questionnaire()
        broken = dataclasses.replace(spec, sections=spec.sections[1:])  # page 2's condition reads a missing question
        q = questionnaires.create_questionnaire(spec=broken, kind=QuestionnaireKind.NEEDS)
        with pytest.raises(questionnaires.PublishBlocked) as refused:
            questionnaires.publish_questionnaire(questionnaire=q)
        assert {p.code for p in refused.value.problems} == {"unknown_question"}
        assert q.status is QuestionnaireStatus.DRAFT and not q.versions[0].frozen


def test_a_response_keeps_the_version_it_answered(app):
    with app.app_context():
        q = _published()
        started = responses.start_response(questionnaire=q, client_id=CLIENT)
        questionnaires.edit_questionnaire(questionnaire=q, spec=dataclasses.replace(make_questionnaire(), anonymous=True))
        questionnaires.publish_questionnaire(questionnaire=q)
        assert started.response.version.number == 1


def test_start_is_idempotent_per_client_id(app):
    with app.app_context():
        q = _published()
        first = responses.start_response(questionnaire=q, client_id=CLIENT)
        again = responses.start_response(questionnaire=q, client_id=CLIENT)
        assert first.created and not again.created and again.response.id == first.response.id
        assert first.resume_code and again.resume_code is None


def test_bad_client_ids_are_refused(app):
    with app.app_context():
        q = _published()
        for bad in ("short", "x" * 65, "has spaces in it here", "<script>alert(1)</script>"):
            with pytest.raises(Exception, match="submission id"):
                responses.start_response(questionnaire=q, client_id=bad)


def test_page_with_errors_stores_nothing(app):
    with app.app_context():
        q = _published()
        response = responses.start_response(questionnaire=q, client_id=CLIENT).response
        result = responses.save_section(response=response, section_id="about", formdata=MultiDict({"gender": "zz", "age": "200"}))
        assert set(result.errors) == {"gender", "age"}
        assert response.answers == {} and response.current_section == "about"


def test_answers_to_hidden_questions_are_never_stored(app):
    with app.app_context():
        q = _published()
        response = responses.start_response(questionnaire=q, client_id=CLIENT).response
        responses.save_section(response=response, section_id="about", formdata=ABOUT_ADULT)
        responses.save_section(response=response, section_id="needs", formdata=NEEDS_PAGE)
        assert response.answers["legal_detail"] == "欠薪"
        # Going back and becoming a minor hides the whole needs page: its answers go.
        responses.save_section(response=response, section_id="about", formdata=MultiDict({"gender": "f", "age": "17"}))
        assert response.answers == {"gender": "f", "age": 17}
        # A follow-up answered while its trigger is not selected is dropped.
        responses.save_section(response=response, section_id="about", formdata=ABOUT_ADULT)
        page = MultiDict([("needs", "aid"), ("legal_detail", "should vanish"), ("home__space", "3"), ("home__staff", "3")])
        responses.save_section(response=response, section_id="needs", formdata=page)
        assert "legal_detail" not in response.answers


def test_submit_checks_every_page_then_locks_and_repeats_the_receipt(app):
    with app.app_context():
        q = _published()
        response = responses.start_response(questionnaire=q, client_id=CLIENT).response
        responses.save_section(response=response, section_id="about", formdata=ABOUT_ADULT)
        with pytest.raises(responses.ResponseIncomplete) as incomplete:
            responses.submit_response(response=response)
        assert incomplete.value.section == "needs"
        assert set(incomplete.value.errors) == {"home__space", "home__staff"}
        responses.save_section(response=response, section_id="needs", formdata=NEEDS_PAGE)
        receipt = responses.submit_response(response=response)
        again = responses.submit_response(response=response)
        assert (receipt.already_submitted, again.already_submitted) == (False, True)
        assert again.response_id == receipt.response_id
        assert response.resume_key_hash is None
        with pytest.raises(Conflict):
            responses.save_section(response=response, section_id="about", formdata=ABOUT_ADULT)


def test_anonymous_response_has_no_linkable_field(app):
    with app.app_context():
        q = _published()
        assert q.anonymous
        (issued,) = invites.create_invites(questionnaire=q, count=1)
        invite = invites.redeem_invite(questionnaire=q, code=issued.code)
        response = responses.start_response(questionnaire=q, client_id=CLIENT, invite=invite).response
        responses.save_section(response=response, section_id="about", formdata=ABOUT_ADULT)
        responses.save_section(response=response, section_id="needs", formdata=NEEDS_PAGE)
        responses.submit_response(response=response)
        db.session.commit()
        row = db.session.execute(select(Response.__table__).where(Response.id == response.id)).mappings().one()
        assert row["invite_id"] is None and row["submitted_at"] is None and row["resume_key_hash"] is None
        assert row["submitted_on"] == utcnow().date() and row["started_on"] == utcnow().date()
        assert set(row.keys()) == {
            "id", "questionnaire_id", "version_id", "client_id", "status", "answers", "current_section",
            "unit_id", "resume_key_hash", "started_on", "submitted_on", "submitted_at", "invite_id",
        }


def test_named_questionnaire_keeps_the_invite_and_the_time(app):
    with app.app_context():
        spec = dataclasses.replace(make_questionnaire(), anonymous=False)
        q = questionnaires.create_questionnaire(spec=spec, kind=QuestionnaireKind.SATISFACTION)
        questionnaires.publish_questionnaire(questionnaire=q)
        (issued,) = invites.create_invites(questionnaire=q, count=1)
        invite = invites.redeem_invite(questionnaire=q, code=issued.code)
        receipt = responses.submit_whole_response(
            questionnaire=q, client_id=CLIENT, invite=invite,
            answers={"gender": "m", "age": 40, "home": {"space": 3, "staff": 4}},
        )
        response = db.session.get(Response, receipt.response_id)
        assert response.invite_id == invite.id and response.submitted_at is not None


def test_closed_or_not_yet_open_questionnaires_refuse_answers(app):
    with app.app_context():
        q = questionnaires.create_questionnaire(spec=make_questionnaire(), kind=QuestionnaireKind.NEEDS)
        questionnaires.publish_questionnaire(questionnaire=q, opens_at=utcnow() + timedelta(days=1))
        with pytest.raises(responses.QuestionnaireNotOpen):
            responses.start_response(questionnaire=q, client_id=CLIENT)
        q.opens_at = None
        response = responses.start_response(questionnaire=q, client_id=CLIENT).response
        questionnaires.close_questionnaire(questionnaire=q)
        with pytest.raises(responses.QuestionnaireNotOpen):
            responses.save_section(response=response, section_id="about", formdata=ABOUT_ADULT)


def test_whole_response_sent_twice_is_stored_once(app):
    with app.app_context():
        q = _published()
        answers = {"gender": "f", "age": 30, "needs": ["aid"], "home": {"space": 2, "staff": 2}}
        first = responses.submit_whole_response(questionnaire=q, client_id=CLIENT, answers=answers)
        second = responses.submit_whole_response(questionnaire=q, client_id=CLIENT, answers=answers)
        assert second.already_submitted and second.response_id == first.response_id
        assert db.session.scalar(select(func.count()).select_from(Response)) == 1
        with pytest.raises(Conflict, match="different response"):
            responses.submit_whole_response(questionnaire=q, client_id=CLIENT, answers={**answers, "age": 31})


def test_whole_response_with_bad_answers_is_refused_and_not_stored(app):
    with app.app_context():
        q = _published()
        bad = {"gender": "nonexistent-option", "age": 30, "legal_detail": "hidden", "home": {"space": 2, "staff": 2}}
        with pytest.raises(responses.ResponseIncomplete) as refused:
            responses.submit_whole_response(questionnaire=q, client_id=CLIENT, answers=bad)
        assert set(refused.value.errors) >= {"gender", "legal_detail"}
        assert db.session.scalar(select(func.count()).select_from(Response)) == 0


def test_resume_code_finds_the_unfinished_response(app):
    with app.app_context():
        q = _published()
        started = responses.start_response(questionnaire=q, client_id=CLIENT)
        code = started.resume_code
        assert responses.resume_response(questionnaire=q, code=code.lower()).id == started.response.id
        with pytest.raises(Exception, match="resume code"):
            responses.resume_response(questionnaire=q, code="AAAAAAAAAAAA")


def test_concurrent_identical_submissions_store_one_response(tmp_path, database_url):
    """Eight threads send the same whole response at once, each on its own connection."""
    if database_url.startswith("sqlite"):
        database_url = f"sqlite:///{tmp_path / 'concurrent.sqlite3'}"
    app = create_app({"DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path)})
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        q = questionnaires.create_questionnaire(spec=make_questionnaire(), kind=QuestionnaireKind.NEEDS)
        questionnaires.publish_questionnaire(questionnaire=q)
        db.session.commit()
        qid = q.id
    answers = {"gender": "m", "age": 50, "home": {"space": 5, "staff": 5}}
    barrier = threading.Barrier(8, timeout=30)
    receipts, failures = [], []

    def send():
        barrier.wait()
        with app.app_context():
            try:
                questionnaire = questionnaires.get_questionnaire(questionnaire_id=qid)
                receipts.append(responses.submit_whole_response(questionnaire=questionnaire, client_id=CLIENT, answers=answers))
                db.session.commit()
            except Exception as exc:  # noqa: BLE001 - any failure is a test failure below
                db.session.rollback()
                failures.append(repr(exc))

    threads = [threading.Thread(target=send) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with app.app_context():
        stored = db.session.scalars(select(Response).where(Response.questionnaire_id == qid)).all()
        assert failures == []
        assert len(stored) == 1 and stored[0].status is ResponseStatus.SUBMITTED
        assert {r.response_id for r in receipts} == {stored[0].id}
        assert sorted(r.already_submitted for r in receipts) == [False] + [True] * 7
        db.session.execute(db.delete(Response).where(Response.questionnaire_id == qid))
        from survey.models import Questionnaire

        db.session.execute(db.delete(Questionnaire).where(Questionnaire.id == qid))
        db.session.commit()
        db.engine.dispose()
