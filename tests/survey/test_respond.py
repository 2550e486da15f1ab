"""Answering a questionnaire through the respondent's pages (/q/...), with the test client."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime
from html import unescape

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from forms.questionnaire.spec import LocalizedText
from survey.extensions import db
from survey.models import Invite, QuestionnaireKind, Response, ResponseStatus
from survey.models.base import utcnow
from survey.services import invites, questionnaires
from tests.forms.conftest import make_questionnaire

SLUG = "needs-2016"


def _spec(**changes):
    spec = dataclasses.replace(
        make_questionnaire(),
        anonymous=True,
        description=LocalizedText("了解会员在工作和生活中的需求。", "What members need at work and at home."),
    )
    return dataclasses.replace(spec, **changes)


@pytest.fixture
def publish(app):
    """``publish(spec=None, slug=SLUG, **publish_kw)`` stores a published questionnaire; returns its id."""

    def make(spec=None, slug: str = SLUG, **publish_kw) -> int:
        with app.app_context():
            q = questionnaires.create_questionnaire(spec=spec or _spec(), kind=QuestionnaireKind.NEEDS, slug=slug)
            questionnaires.publish_questionnaire(questionnaire=q, **publish_kw)
            db.session.commit()
            return q.id

    return make


def _hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert match, f"no hidden field {name}"
    return match.group(1)


class Respondent:
    """One phone: a test client with its own cookie jar."""

    def __init__(self, client, slug: str = SLUG):
        self.client = client
        self.slug = slug
        self.landing = ""

    def open(self, query: str = ""):
        response = self.client.get(f"/q/{self.slug}{query}", follow_redirects=True)
        self.landing = response.get_data(as_text=True)
        return response

    @property
    def token(self) -> str:
        return _hidden(self.landing, "csrf_token")

    def start(self, client_id: str | None = None, **extra):
        if not self.landing:
            self.open()
        data = {"csrf_token": self.token, "client_id": client_id or _hidden(self.landing, "client_id"), **extra}
        return self.client.post(f"/q/{self.slug}/start", data=data)

    def page(self, section: str, query: str = ""):
        return self.client.get(f"/q/{self.slug}/s/{section}{query}")

    def post(self, section: str, nav: str = "next", data=None):
        form = MultiDict([("csrf_token", self.token), ("_nav", nav)])
        for key, value in (data or {}).items():
            for item in value if isinstance(value, list) else [value]:
                form.add(key, item)
        return self.client.post(f"/q/{self.slug}/s/{section}", data=form)

    def resume(self, code: str):
        if not self.landing:
            self.open()
        return self.client.post(f"/q/{self.slug}/resume", data={"csrf_token": self.token, "resume_code": code})


def _english(client):
    """Most tests compare messages word for word: in English, the catalog's source language.
    The Chinese pages are checked by the landing-page tests here and by the phone e2e tests."""
    client.set_cookie("kaimen_lang", "en")
    return client


@pytest.fixture
def phone(client):
    return Respondent(_english(client))


@pytest.fixture
def another_phone(app):
    return Respondent(_english(app.test_client()))


@pytest.fixture
def chinese_phone(client):
    return Respondent(client)


def _responses(app) -> list[Response]:
    with app.app_context():
        rows = db.session.scalars(select(Response).order_by(Response.id)).all()
        for row in rows:
            db.session.expunge(row)
        return rows


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Response.id)))


def _text(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


ABOUT = {"gender": "f", "age": "35"}
NEEDS_LEGAL = {"needs": "legal", "legal_detail": "欠薪", "home__space": "4", "home__staff": "5"}


# --------------------------------------------------------------------------- landing

def test_landing_page_is_in_chinese_with_the_anonymity_notice_and_a_start_form(app, publish, chinese_phone):
    phone = chinese_phone
    publish()
    response = phone.open()
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="zh-CN">' in page
    assert "<h1>职工需求问卷</h1>" in page
    assert "了解会员在工作和生活中的需求。" in page
    assert 'data-testid="anonymity"' in page
    assert f'action="/q/{SLUG}/start"' in page and f'action="/q/{SLUG}/resume"' in page
    client_id = _hidden(page, "client_id")
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", client_id)
    assert _hidden(phone.open().get_data(as_text=True), "client_id") != client_id  # fresh per page view
    assert _count(app) == 0  # looking is not starting


def test_landing_page_follows_the_language_choice(publish, phone):
    publish()
    page = phone.open().get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "<h1>Member needs survey</h1>" in page
    assert "Your answers are anonymous: no name, no address, only the day is kept." in page


def test_a_questionnaire_that_keeps_names_shows_no_anonymity_notice(publish, phone):
    publish(spec=_spec(anonymous=False))
    assert 'data-testid="anonymity"' not in phone.open().get_data(as_text=True)


def test_unknown_and_unpublished_questionnaires_are_not_found(app, phone):
    assert phone.client.get("/q/no-such-thing").status_code == 404
    with app.app_context():
        questionnaires.create_questionnaire(spec=_spec(), kind=QuestionnaireKind.NEEDS, slug="draft-only")
        db.session.commit()
    response = phone.client.get("/q/draft-only")
    assert response.status_code == 404
    assert '<html lang="en">' in response.get_data(as_text=True)


def test_closed_questionnaire_shows_a_409_page_everywhere(app, publish, phone):
    qid = publish()
    phone.start()
    phone.open()  # keep a token from a page that still had the forms
    with app.app_context():
        questionnaires.close_questionnaire(questionnaire=questionnaires.get_questionnaire(questionnaire_id=qid))
        db.session.commit()
    landing = phone.client.get(f"/q/{SLUG}")
    assert landing.status_code == 409
    page = landing.get_data(as_text=True)
    assert 'data-testid="not-open"' in page and "Member needs survey" in page
    assert "This questionnaire is closed and no longer accepts answers." in page
    assert phone.page("about").status_code == 409
    assert phone.post("about", data=ABOUT).status_code == 409
    assert phone.start().status_code == 409
    assert phone.resume("ABCD EFGH JKMN").status_code == 409
    assert _responses(app)[0].answers == {}  # nothing was saved by the refused page


def test_a_questionnaire_not_yet_open_says_when_it_opens_in_beijing_time(publish, phone):
    publish(opens_at=datetime(2099, 5, 1, 16, 30, tzinfo=UTC))
    response = phone.client.get(f"/q/{SLUG}")
    assert response.status_code == 409
    # 16:30 UTC is 00:30 the next day in Beijing.
    assert "This questionnaire opens on 5/2/99, 12:30 AM. Please come back then." in _text(response.get_data(as_text=True))


def test_a_questionnaire_not_yet_open_says_when_it_opens_in_chinese(publish, chinese_phone):
    publish(opens_at=datetime(2099, 5, 1, 16, 30, tzinfo=UTC))
    response = chinese_phone.client.get(f"/q/{SLUG}")
    assert "本问卷将于 2099/5/2 00:30 开放，届时欢迎填写。" in _text(response.get_data(as_text=True))


# --------------------------------------------------------------------------- starting

def test_starting_twice_with_the_same_client_id_keeps_one_response(app, publish, phone):
    publish()
    phone.open()
    client_id = _hidden(phone.landing, "client_id")
    first = phone.start(client_id)
    second = phone.start(client_id)  # a double tap, or a refresh of the POST
    assert first.status_code == second.status_code == 302
    assert first.location == second.location == f"/q/{SLUG}/s/about"
    rows = _responses(app)
    assert len(rows) == 1
    assert (rows[0].client_id, rows[0].status, rows[0].answers) == (client_id, ResponseStatus.IN_PROGRESS, {})


def test_a_malformed_client_id_is_refused_and_nothing_is_stored(app, publish, phone):
    publish()
    response = phone.start("short")
    assert response.status_code == 400
    assert _count(app) == 0


def test_posting_without_the_csrf_token_is_refused(app, publish, phone):
    publish()
    phone.open()
    response = phone.client.post(f"/q/{SLUG}/start", data={"client_id": _hidden(phone.landing, "client_id")})
    assert response.status_code == 400
    assert _count(app) == 0


def test_the_resume_code_is_shown_on_the_first_page_until_it_is_left(publish, phone):
    publish()
    phone.start()
    page = phone.page("about").get_data(as_text=True)
    code = re.search(r'data-testid="resume-code">([A-Z0-9 ]+)<', page).group(1)
    assert re.fullmatch(r"[A-Z2-9]{4} [A-Z2-9]{4} [A-Z2-9]{4}", code)
    assert re.search(r'data-testid="resume-code">', phone.page("about").get_data(as_text=True))  # a reload keeps it
    phone.post("about", data=ABOUT)
    assert 'data-testid="resume-code"' not in phone.page("about").get_data(as_text=True)
    assert 'data-testid="resume-code"' not in phone.page("needs").get_data(as_text=True)


def test_an_unknown_page_is_not_found(publish, phone):
    publish()
    phone.start()
    assert phone.page("no_such_page").status_code == 404


def test_a_page_without_a_started_response_sends_back_to_the_landing_page(publish, phone):
    publish()
    response = phone.page("about")
    assert (response.status_code, response.location) == (302, f"/q/{SLUG}")
    assert phone.client.get(f"/q/{SLUG}/done").location == f"/q/{SLUG}"


# --------------------------------------------------------------------------- invitations

def _issue_invite(app, qid: int) -> str:
    with app.app_context():
        q = questionnaires.get_questionnaire(questionnaire_id=qid)
        code = invites.create_invites(questionnaire=q, count=1)[0].code
        db.session.commit()
        return code


def _invite_used_on(app):
    with app.app_context():
        return db.session.scalar(select(Invite.used_on))


def test_an_invitation_link_prefills_the_code_and_leaves_the_address_bar(app, publish, phone):
    code = _issue_invite(app, publish())
    response = phone.client.get(f"/q/{SLUG}?code={code}")
    assert (response.status_code, response.location) == (302, f"/q/{SLUG}")  # the clean address
    page = phone.client.get(response.location).get_data(as_text=True)
    assert re.search(rf'id="invite_code" name="invite_code" value="{code}"', page)
    assert re.search(r'<details class="respond-more" open>\s*<summary>', page)
    assert _invite_used_on(app) is None  # a GET redeems nothing
    assert _count(app) == 0


def test_an_invitation_code_is_redeemed_once_and_a_second_use_is_refused(app, publish, phone, another_phone):
    code = _issue_invite(app, publish())
    phone.open(f"?code={code}")
    started = phone.start(with_invite="1", invite_code=code)
    assert (started.status_code, started.location) == (302, f"/q/{SLUG}/s/about")
    assert _invite_used_on(app) == utcnow().date()
    assert phone.page("about").status_code == 200  # the invitation became this phone's session
    [row] = _responses(app)
    assert row.invite_id is None  # anonymous: the response does not point at the invitation

    refused = another_phone.start(with_invite="1", invite_code=code)
    assert refused.status_code == 200
    page = refused.get_data(as_text=True)
    assert re.search(r'<ul class="errors" id="invite_code-errors"><li>This invitation code has already been used.</li>', page)
    assert 'aria-describedby="invite_code-errors"' in page
    assert _count(app) == 1


def test_a_double_tap_with_an_invitation_code_is_not_refused(app, publish, phone):
    code = _issue_invite(app, publish())
    phone.open()
    client_id = _hidden(phone.landing, "client_id")
    first = phone.start(client_id, with_invite="1", invite_code=code)
    second = phone.start(client_id, with_invite="1", invite_code=code)
    assert first.location == second.location == f"/q/{SLUG}/s/about"
    assert _count(app) == 1


def test_an_unknown_or_empty_invitation_code_is_refused_beside_the_field(app, publish, phone):
    publish()
    unknown = phone.start(with_invite="1", invite_code="0000-0000-0000-0000")
    assert "This invitation code is not valid for this questionnaire." in unknown.get_data(as_text=True)
    empty = phone.start(with_invite="1", invite_code="  ")
    assert "Enter your invitation code." in empty.get_data(as_text=True)
    assert _count(app) == 0


def test_a_questionnaire_that_keeps_names_links_the_response_to_its_invitation(app, publish, phone):
    code = _issue_invite(app, publish(spec=_spec(anonymous=False)))
    phone.start(with_invite="1", invite_code=code)
    [row] = _responses(app)
    assert row.invite_id is not None


# --------------------------------------------------------------------------- answering

def test_answering_page_by_page_through_the_shown_follow_up(app, publish, phone):
    publish()
    phone.start()
    first = phone.page("about")
    page = first.get_data(as_text=True)
    assert first.status_code == 200
    assert 'data-testid="progress">Page 1 of 2<' in page
    assert 'value="next"' in page and 'value="back"' not in page  # no way back from the first page
    saved = phone.post("about", data=ABOUT)
    assert (saved.status_code, saved.location) == (302, f"/q/{SLUG}/s/needs?saved=about")
    assert _responses(app)[0].answers == {"gender": "f", "age": 35}

    needs = phone.page("needs").get_data(as_text=True)
    assert 'data-testid="progress">Page 2 of 2<' in needs
    assert 'value="submit"' in needs and 'value="back"' in needs
    # The follow-up depends on a question of the same page: rendered, with its condition for respond.js.
    assert re.search(r'id="question-legal_detail"[^>]*data-show-if=\'\{"op": "selected", "option": "legal", '
                     r'"question": "needs"\}\'', needs)
    assert phone.post("needs", data=NEEDS_LEGAL).status_code == 302
    assert _responses(app)[0].answers == {
        "gender": "f", "age": 35, "needs": ["legal"], "legal_detail": "欠薪", "home": {"space": 4, "staff": 5},
    }


def test_an_answer_to_a_hidden_follow_up_is_dropped(app, publish, phone):
    publish()
    phone.start()
    phone.post("about", data=ABOUT)
    answers = {**NEEDS_LEGAL, "needs": "training", "legal_detail": "不该保存"}
    assert phone.post("needs", data=answers).status_code == 302
    stored = _responses(app)[0].answers
    assert "legal_detail" not in stored
    assert stored["needs"] == ["training"]


def test_a_page_hidden_by_earlier_answers_is_skipped(app, publish, phone):
    publish()
    phone.start()
    response = phone.post("about", data={"gender": "m", "age": "17"})  # page 2 is for members aged 18+
    assert response.location == f"/q/{SLUG}/s/about?saved=about"  # no next page: stay, and submit from here
    page = phone.page("about").get_data(as_text=True)
    assert "This is the last page. Check your answers and submit." in page
    assert 'data-testid="progress">Page 1 of 1<' in page and 'value="submit"' in page
    assert phone.page("needs").location == f"/q/{SLUG}/s/about"  # typing its address leads back
    done = phone.post("about", nav="submit", data={"gender": "m", "age": "17"})
    assert done.location == f"/q/{SLUG}/done"
    assert _responses(app)[0].status is ResponseStatus.SUBMITTED


def test_an_invalid_answer_is_shown_beside_its_field_and_nothing_is_stored(app, publish, phone):
    publish()
    phone.start()
    response = phone.post("about", data={"gender": "f", "age": "三十五"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert re.search(r'<input aria-describedby="age-errors" aria-invalid="true" id="age"', page)
    assert '<ul class="errors" id="age-errors"><li>Enter a whole number.</li></ul>' in page
    assert '<li><a href="#age">Age: Enter a whole number.</a></li>' in page  # the summary at the top
    assert re.search(r'id="gender-0" name="gender" required type="radio" value="m"', page)
    assert re.search(r'checked id="gender-1" name="gender" required type="radio" value="f"', page)  # kept as typed
    assert _responses(app)[0].answers == {}  # the valid gender was not stored either


def test_an_unknown_option_id_is_an_error(app, publish, phone):
    publish()
    phone.start()
    response = phone.post("about", data={"gender": "robot", "age": "30"})
    page = response.get_data(as_text=True)
    assert '<ul class="errors" id="gender-errors"><li>Question gender has no option &#39;robot&#39;.</li></ul>' in page
    assert '<a href="#gender-0">' in page
    assert _responses(app)[0].answers == {}


def test_typed_text_in_an_error_message_is_escaped(publish, phone):
    publish()
    phone.start()
    page = phone.post("about", data={"gender": "<b>x</b>", "age": "30"}).get_data(as_text=True)
    assert "no option &#39;&lt;b&gt;x&lt;/b&gt;&#39;." in page
    assert "<b>x</b>" not in page


def test_a_required_question_left_empty_is_reported_on_its_page(app, publish, phone):
    publish()
    phone.start()
    response = phone.post("about", data={"age": "30"})
    assert '<ul class="errors" id="gender-errors"><li>This question is required.</li></ul>' in response.get_data(
        as_text=True)
    assert _responses(app)[0].answers == {}


def test_back_saves_a_valid_page_and_leaves_an_invalid_one_unsaved(app, publish, phone):
    publish()
    phone.start()
    phone.post("about", data=ABOUT)
    back = phone.post("needs", nav="back", data={"needs": "aid", "home__space": "3", "home__staff": "3"})
    assert back.location == f"/q/{SLUG}/s/about?saved=needs"
    assert _responses(app)[0].answers["needs"] == ["aid"]
    invalid = phone.post("needs", nav="back", data={"needs": ["aid", "legal", "training"]})  # at most two
    assert invalid.location == f"/q/{SLUG}/s/about"
    assert _responses(app)[0].answers["needs"] == ["aid"]


def test_saved_answers_fill_the_page_again(publish, phone):
    publish()
    phone.start()
    phone.post("about", data=ABOUT)
    phone.post("needs", data={**NEEDS_LEGAL, "priority__1": "c", "priority__2": "a"})
    page = phone.page("needs").get_data(as_text=True)
    assert re.search(r'checked id="needs-0" name="needs" type="checkbox" value="legal"', page)
    assert re.search(r'<textarea[^>]*name="legal_detail">\s*欠薪</textarea>', page)
    assert re.search(r'checked id="home__space-3" name="home__space" required type="radio" value="4"', page)
    assert '<option selected value="c">' in page


def test_submitting_with_an_earlier_page_unanswered_returns_to_it_with_its_errors(app, publish, phone):
    spec = _spec()
    always_shown = dataclasses.replace(spec.sections[1], show_if=None)
    publish(spec=dataclasses.replace(spec, sections=(spec.sections[0], always_shown)))
    phone.start()
    response = phone.post("needs", nav="submit", data={"home__space": "4", "home__staff": "4"})
    assert response.location == f"/q/{SLUG}/s/about?check=1"
    page = phone.client.get(response.location).get_data(as_text=True)
    assert "Some answers are missing or invalid." in page
    assert '<ul class="errors" id="gender-errors"><li>This question is required.</li></ul>' in page
    assert _responses(app)[0].status is ResponseStatus.IN_PROGRESS


# --------------------------------------------------------------------------- resuming and submitting

def _resume_code(phone) -> str:
    page = phone.page("about").get_data(as_text=True)
    return re.search(r'data-testid="resume-code">([A-Z0-9 ]+)<', page).group(1)


def test_resuming_by_code_on_another_phone_continues_where_it_stopped(app, publish, phone, another_phone):
    publish()
    phone.start()
    code = _resume_code(phone)
    phone.post("about", data=ABOUT)

    resumed = another_phone.resume(code.lower().replace(" ", "-"))  # typed as people do
    assert (resumed.status_code, resumed.location) == (302, f"/q/{SLUG}/s/needs")
    about = another_phone.page("about").get_data(as_text=True)
    assert re.search(r'checked id="gender-1" name="gender" required type="radio" value="f"', about)
    assert re.search(r'id="age"[^>]*value="35"', about)
    assert another_phone.post("needs", data=NEEDS_LEGAL).status_code == 302
    assert _count(app) == 1
    assert _responses(app)[0].answers["legal_detail"] == "欠薪"


def test_a_wrong_resume_code_is_refused_beside_the_field(publish, phone):
    publish()
    response = phone.resume("AAAA BBBB CCCC")
    page = response.get_data(as_text=True)
    assert '<ul class="errors" id="resume_code-errors"><li>No unfinished response has this resume code.</li></ul>' in page
    assert 'value="AAAA BBBB CCCC"' in page
    assert "Enter your resume code." in phone.resume("").get_data(as_text=True)


def test_submitting_twice_keeps_one_response_and_shows_the_same_confirmation(app, publish, phone):
    publish()
    phone.start()
    phone.post("about", data=ABOUT)
    first = phone.post("needs", nav="submit", data=NEEDS_LEGAL)
    again = phone.post("needs", nav="submit", data=NEEDS_LEGAL)  # double tap, refresh or retry
    assert first.location == again.location == f"/q/{SLUG}/done"
    receipts = [phone.client.get(f"/q/{SLUG}/done").get_data(as_text=True) for _ in range(2)]
    references = [re.search(r'data-testid="reference">([0-9A-F]{4}-[0-9A-F]{4})<', r).group(1) for r in receipts]
    assert references[0] == references[1]
    assert f'data-testid="submitted-on">{utcnow().date().isoformat()}<' in receipts[0]
    [row] = _responses(app)
    assert row.status is ResponseStatus.SUBMITTED
    assert row.submitted_at is None and row.submitted_on == utcnow().date()  # anonymous: the day only
    assert phone.page("needs").location == f"/q/{SLUG}/done"  # no more changes
    landing = phone.open().get_data(as_text=True)
    assert 'data-testid="already-answered"' in landing and 'data-testid="start"' not in landing


def test_a_submitted_response_cannot_be_resumed(publish, phone, another_phone):
    publish()
    phone.start()
    code = _resume_code(phone)
    phone.post("about", data={"gender": "m", "age": "17"}, nav="submit")
    assert "No unfinished response has this resume code." in another_phone.resume(code).get_data(as_text=True)


def test_landing_page_offers_to_continue_a_started_response(publish, phone):
    publish()
    phone.start()
    phone.post("about", data=ABOUT)
    page = phone.open().get_data(as_text=True)
    assert f'href="/q/{SLUG}/s/needs">' in page
    assert 'data-testid="start"' not in page


def test_the_page_carries_what_the_browser_draft_needs(publish, phone):
    publish()
    phone.start()
    phone.post("about", data=ABOUT)
    page = phone.page("needs", "?saved=about").get_data(as_text=True)
    draft = re.search(r'data-draft-key="(kaimen:draft:needs-2016:[0-9a-f]{12}):needs"', page).group(1)
    assert f'data-saved-key="{draft}:about"' in page
    assert re.search(r'data-fingerprint="[0-9a-f]{16}"', page)
    about_before = re.search(r'data-fingerprint="([0-9a-f]{16})"', phone.page("about").get_data(as_text=True))
    phone.post("about", data={"gender": "m", "age": "40"})
    about_after = re.search(r'data-fingerprint="([0-9a-f]{16})"', phone.page("about").get_data(as_text=True))
    assert about_before.group(1) != about_after.group(1)  # the server's newer answers win over a stale draft
