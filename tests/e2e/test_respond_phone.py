"""A respondent on a phone (390x844, Chinese), against ``kaimen serve --demo``, in Debian's chromium.

Answers through a same-page conditional question, leaves midway (a new browser context is a
new phone: no cookies, no local storage), resumes with the code shown on the first page,
submits and sees the confirmation; no console errors on the way.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "locale": "zh-CN", "has_touch": True, "is_mobile": True}
#: The demo scenario's member-needs questionnaire (survey/services/demo.py).
DEMO_NEEDS_SLUG = "xicheng-needs-2016"


@pytest.fixture(scope="module")
def live_instance(live_server, tmp_path_factory) -> Path:
    """The instance folder of the live server (tests/e2e/conftest.py makes one per session)."""
    folders = sorted(tmp_path_factory.getbasetemp().glob("live-instance*"), key=lambda p: p.stat().st_mtime)
    assert folders, "the live server's instance folder was not found"
    return folders[-1]


@pytest.fixture(scope="module")
def own_questionnaire(live_instance) -> str:
    """A published questionnaire written into the live server's database; returns its slug.

    Two pages: "about" (gender, age) and, for ages 18+, "needs", whose legal-aid detail is
    shown only when "legal" is ticked on the same page (tests/forms/conftest.py).
    """
    import dataclasses

    from survey import create_app
    from survey.extensions import db
    from survey.models import QuestionnaireKind
    from survey.services import questionnaires
    from tests.forms.conftest import make_questionnaire

    app = create_app({"INSTANCE_PATH": str(live_instance),
                      "DATABASE_URL": f"sqlite:///{live_instance / 'kaimen.sqlite3'}"})
    slug = f"e2e-{secrets.token_hex(4)}"
    with app.app_context():
        spec = dataclasses.replace(make_questionnaire(), anonymous=True)
        q = questionnaires.create_questionnaire(spec=spec, kind=QuestionnaireKind.NEEDS, slug=slug)
        questionnaires.publish_questionnaire(questionnaire=q)
        db.session.commit()
        db.engine.dispose()
    return slug


class Phone:
    """A browser context with the phone's viewport, collecting console errors and failed requests."""

    def __init__(self, browser):
        self.context = browser.new_context(**PHONE)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def close(self):
        self.context.close()

    def forward(self):
        """Tap "next" or "submit" and wait for the next page."""
        with self.page.expect_navigation():
            self.page.locator(".rq-forward").click()


@pytest.fixture
def phones(browser):
    opened: list[Phone] = []

    def open_phone() -> Phone:
        phone = Phone(browser)
        opened.append(phone)
        return phone

    yield open_phone
    for phone in opened:
        phone.close()


def _assert_phone_layout(page):
    """One column that fits the screen, and tap targets of at least 44px."""
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    for selector in (".rq-choice", ".rq-point span", ".rq-nav .button", ".rq select", ".rq input[type=number]"):
        for box in [item.bounding_box() for item in page.locator(selector).all() if item.is_visible()]:
            assert box["height"] >= 44, (selector, box)
            assert box["width"] >= 40, (selector, box)


def test_phone_answers_through_a_condition_leaves_resumes_and_submits(live_server, own_questionnaire, phones):
    landing = f"{live_server}/q/{own_questionnaire}"
    first = phones()
    page = first.page
    page.goto(landing)
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.locator("h1").inner_text() == "职工需求问卷"
    assert page.get_by_test_id("anonymity").is_visible()
    with page.expect_navigation():
        page.get_by_test_id("start").click()

    # Page 1: the resume code is shown once, to be written down.
    assert re.search(rf"/q/{own_questionnaire}/s/about$", page.url)
    code = page.get_by_test_id("resume-code").inner_text()
    assert re.fullmatch(r"[A-Z2-9]{4} [A-Z2-9]{4} [A-Z2-9]{4}", code)
    assert re.search(r"1\D+2", page.get_by_test_id("progress").inner_text())
    specify = page.locator("#question-gender .rq-other")
    assert specify.is_hidden()  # "please specify" appears with its option
    page.locator("label[for=gender-2]").click()
    assert specify.is_visible()
    page.locator("label[for=gender-1]").click()  # the whole row is the target
    assert specify.is_hidden()
    assert page.locator("#gender-1").is_checked()
    page.locator("#age").fill("35")
    _assert_phone_layout(page)
    first.forward()

    # Page 2: the legal-aid detail follows the "legal" box live, on the same page.
    assert re.search(r"/s/needs\?saved=about$", page.url)
    detail = page.locator("#question-legal_detail")
    assert detail.is_hidden()
    page.locator("label[for=needs-0]").click()
    assert detail.is_visible()
    page.locator("label[for=needs-0]").click()
    assert detail.is_hidden() and page.locator("#legal_detail").is_disabled()
    page.locator("label[for=needs-0]").click()
    page.locator("#legal_detail").fill("拖欠工资")
    # Checked in the browser before sending: the matrix rows are required.
    page.locator(".rq-forward").click()
    assert re.search(r"/s/needs\?saved=about$", page.url)  # nothing was sent
    assert page.locator("#js-error-home__space").is_visible()
    # Opening the page again (after a dropped connection, say) keeps what was typed but not sent.
    page.locator("label[for=home__space-3]").click()
    page.goto(page.url)
    assert page.locator("#needs-0").is_checked()
    assert page.locator("#home__space-3").is_checked()
    assert page.locator("#legal_detail").input_value() == "拖欠工资"
    assert detail.is_visible()
    assert page.locator("[data-restored-note]").is_visible()
    _assert_phone_layout(page)
    page.set_viewport_size({"width": 360, "height": 740})
    _assert_phone_layout(page)
    assert first.errors == []
    first.close()  # leave midway: page 2 was never sent

    # Another phone: nothing stored locally, only the resume code.
    second = phones()
    page = second.page
    page.goto(landing)
    page.get_by_test_id("resume-form").locator("xpath=..").locator("summary").click()  # "continue with a code"
    page.locator("#resume_code").fill(code.lower())
    with page.expect_navigation():
        page.get_by_test_id("resume-form").locator("button[type=submit]").click()
    assert re.search(r"/s/needs$", page.url)
    assert not page.locator("#needs-0").is_checked()  # the unsent page stayed on the first phone
    with page.expect_navigation():
        page.get_by_test_id("back").click()
    assert page.locator("#gender-1").is_checked() and page.locator("#age").input_value() == "35"
    second.forward()
    page.locator("label[for=needs-0]").click()
    page.locator("#legal_detail").fill("拖欠工资")
    page.get_by_test_id("submit").click()  # refused in the browser: that must not block the real send
    assert page.locator("#js-error-home__space").is_visible()
    page.locator("label[for=home__space-3]").click()
    page.locator("label[for=home__staff-4]").click()
    page.locator("label[for=satisfaction-4]").click()
    page.locator("#priority__1").select_option("c")
    page.locator("#priority__2").select_option("a")
    assert page.get_by_test_id("submit").is_visible()
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.get_by_test_id("submit").dblclick(no_wait_after=True)  # an impatient double tap
    page.wait_for_url(re.compile(rf"/q/{own_questionnaire}/done$"))
    assert len(posts) == 1
    reference = page.get_by_test_id("reference").inner_text()
    assert re.fullmatch(r"[0-9A-F]{4}-[0-9A-F]{4}", reference)
    page.reload()  # a refresh shows the same confirmation
    assert page.get_by_test_id("reference").inner_text() == reference
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('kaimen:draft:')).length") == 0
    page.go_back()
    assert page.get_by_test_id("reference").inner_text() == reference  # the form cannot be reached again
    assert second.errors == []


CONDITION_CASES = [
    ({"op": "eq", "question": "a", "value": "x"}, {"a": "x"}),
    ({"op": "ne", "question": "a", "value": "x"}, {}),
    ({"op": "not", "condition": {"op": "eq", "question": "a", "value": "x"}}, {}),
    ({"op": "gt", "question": "n", "value": 10}, {"n": 12}),
    ({"op": "gt", "question": "n", "value": 10}, {"n": "12"}),
    ({"op": "le", "question": "n", "value": 2}, {"n": 3}),
    ({"op": "eq", "question": "n", "value": "5"}, {"n": 5}),
    ({"op": "lt", "question": "d", "value": "2016-06-01"}, {"d": "2016-05-31"}),
    ({"op": "eq", "question": "t", "value": 3}, {"t": "three"}),
    ({"op": "in", "question": "a", "values": ["x", "y"]}, {"a": "y"}),
    ({"op": "in", "question": "a", "values": ["x", "y"]}, {"a": ["y"]}),
    ({"op": "selected", "question": "m", "option": "b"}, {"m": ["a", "b"]}),
    ({"op": "selected", "question": "m", "option": "b"}, {"m": []}),
    ({"op": "selected", "question": "s", "option": "other"}, {"s": {"option": "other", "other": "text"}}),
    ({"op": "eq", "question": "s", "value": "other"}, {"s": {"option": "other", "other": "text"}}),
    ({"op": "answered", "question": "x"}, {"x": {"r1": 3}}),
    ({"op": "answered", "question": "x"}, {"x": {}}),
    ({"op": "answered", "question": "constructor"}, {}),
    ({"op": "eq", "question": "x", "value": 4}, {"x": {"r1": 4}}),
    ({"op": "and", "conditions": [{"op": "answered", "question": "a"}, {"op": "ge", "question": "n", "value": 18}]},
     {"a": "x", "n": 18}),
    ({"op": "or", "conditions": [{"op": "answered", "question": "a"}, {"op": "lt", "question": "n", "value": 0}]},
     {"n": 5}),
]


def test_the_browser_evaluates_conditions_as_the_server_does(live_server, own_questionnaire, phones):
    from forms.questionnaire import conditions

    phone = phones()
    phone.page.goto(f"{live_server}/q/{own_questionnaire}")
    for data, answers in CONDITION_CASES:
        expected = conditions.evaluate(conditions.from_dict(data), answers)
        got = phone.page.evaluate("([c, a]) => window.KaimenConditions.evaluate(c, a)", [data, answers])
        assert got is expected, (data, answers)
    assert phone.errors == []


# --------------------------------------------------------------------------- the demo questionnaire

def _answer_page(page, overrides: dict) -> None:
    """Answer every question shown, in page order, with the first acceptable value.

    Questions are looked at one by one, so a follow-up that appears is answered too.
    """
    for box in page.locator(".rq[data-question]").all():
        if not box.is_visible():
            continue
        qid, kind = box.get_attribute("data-question"), box.get_attribute("data-type")
        if qid in overrides:
            overrides[qid](box)
        elif kind in ("single_choice", "multiple_choice"):
            other = box.get_attribute("data-other-option")
            wanted = int(box.get_attribute("data-min-selections") or 1)
            labels = [item for item in box.locator(".rq-choice").all()
                      if item.locator("input").get_attribute("value") != other]
            for label in labels[:wanted]:
                if not label.locator("input").is_checked():
                    label.click()
        elif kind == "rating":
            box.locator(".rq-point").last.click()
        elif kind == "matrix":
            for row in box.locator(".rq-row").all():
                row.locator(".rq-point").last.click()
        elif kind == "ranking":
            for position, select in enumerate(box.locator("select").all(), start=1):
                select.select_option(index=position)
        elif kind == "number":
            box.locator("input").fill(box.get_attribute("data-min") or "1")
        elif kind == "date":
            box.locator("input").fill("2016-05-01")
        else:
            box.locator("input, textarea").fill("无")


def test_phone_answers_the_demo_needs_questionnaire(live_server, phones):
    first = phones()
    page = first.page
    response = page.goto(f"{live_server}/q/{DEMO_NEEDS_SLUG}")
    assert response.status == 200  # `kaimen serve --demo` publishes the 2016 needs questionnaire
    assert page.locator("h1").inner_text() == "西城区职工需求调查问卷"
    with page.expect_navigation():
        page.get_by_test_id("start").click()
    code = page.get_by_test_id("resume-code").inner_text()
    _answer_page(page, {})
    first.forward()
    assert re.search(r"/s/work\?saved=profile$", page.url)

    # Through the conditional follow-up: more than 10 hours of overtime asks whether it is paid.
    paid = page.locator("#question-overtime_paid")
    page.locator("#overtime_hours").fill("5")
    assert paid.is_hidden()
    _answer_page(page, {"overtime_hours": lambda box: box.locator("input").fill("12")})
    assert paid.is_visible() and page.locator("#overtime_paid-0").is_checked()
    _assert_phone_layout(page)
    first.forward()
    assert re.search(r"/s/life\?saved=work$", page.url)
    assert first.errors == []
    first.close()

    second = phones()
    page = second.page
    page.goto(f"{live_server}/q/{DEMO_NEEDS_SLUG}")
    page.get_by_test_id("resume-form").locator("xpath=..").locator("summary").click()
    page.locator("#resume_code").fill(code)
    with page.expect_navigation():
        page.get_by_test_id("resume-form").locator("button[type=submit]").click()
    assert re.search(r"/s/life$", page.url)
    _answer_page(page, {})
    second.forward()
    assert re.search(r"/s/services\?saved=life$", page.url)
    _answer_page(page, {})
    assert page.get_by_test_id("submit").is_visible()
    second.forward()
    if "/done" not in page.url:
        pytest.fail("not submitted: " + page.get_by_test_id("error-summary").inner_text())
    assert re.fullmatch(r"[0-9A-F]{4}-[0-9A-F]{4}", page.get_by_test_id("reference").inner_text())
    assert second.errors == []
