"""Checklist: ids guessed across raters, questionnaires and rounds.

The access tests check route x role; these check objects: a caller who may use a route asks
for someone else's object by changing an id (or a slug) in the address.

- a rater's phone on another rater's session, receipt and scorecard state, on its panel-mate's
  submitted scorecard, on another round's session, and counting session ids up from 1;
- staff have no per-user scope in Kaimen (a role decides what a user may open; checked below),
  so the guessing left is ids mixed across rounds: another round's session, scorecard, rater,
  conflict or published file under this round's address;
- an evaluator counting up round, publication and file ids, and questionnaire ids: only what is
  published or closed answers, and the same 404 as a missing id for everything else;
- a questionnaire's invitation code, resume code, client id, sections and questions tried under
  another questionnaire's address; a draft's and a closed questionnaire's address.

Every check asserts the status, that no other object's name, comment, receipt or figures are in
the answer, and that nothing was written (row counts of every table, and the objects aimed at).
"""

from __future__ import annotations

import hashlib
import re

from sqlalchemy import func, select

from forms.questionnaire.spec import Questionnaire as Spec
from survey.access import AUTHENTICATED, PUBLIC, declared_access
from survey.extensions import db
from survey.models import (
    AuditEntry,
    Conflict,
    Invite,
    JoinCode,
    PanelMember,
    Publication,
    PublishedFile,
    Questionnaire,
    QuestionnaireKind,
    RaterDevice,
    ReportSession,
    Response,
    Role,
    Round,
    RoundRater,
    Scorecard,
    User,
)
from survey.models.base import utcnow
from survey.services import (
    conflicts,
    invites,
    join_codes,
    responses,
    rounds,
    scoring_sessions,
)
from survey.services import questionnaires as qs
from survey.services import scorecards as sc
from survey.services.scorecards import CommentChange
from tests.conftest import csrf_token
from tests.security.crawl import (
    assert_handled,
    joined_phone,
    logged_in_client,
    table_counts,
)
from tests.security.crawl import module_app, module_shared, module_world  # noqa: F401  # app, shared, world
from tests.survey.round_builders import framework_version
from tests.survey.scoring_builders import full_entries, open_round

#: Texts that only their owner's objects carry: none may appear in anyone else's answer.
SECRET_Y = "Y-COMMENT-其他评分人的意见"
SECRET_Z = "Z-COMMENT-同组评分人的意见"
SECRET_B = "B-COMMENT-另一轮的意见"
SECRET_ANSWER = "Q1-ANSWER-第一份问卷的答案"
SECRET_FILE = b"P2-FILE-another round's report"


# --------------------------------------------------------------------------- the world


def tiny_spec(prefix: str) -> Spec:
    """One page, one required choice and one text: ids start with ``prefix``, so two
    questionnaires share no section or question id."""
    return Spec.from_dict({
        "title": {"zh": f"{prefix}问卷", "en": f"{prefix} survey"},
        "sections": [{"id": f"{prefix}_page", "title": {"zh": "问题", "en": "Questions"}, "questions": [
            {"id": f"{prefix}_choice", "type": "single_choice", "required": True,
             "title": {"zh": "选择", "en": "Choose"},
             "options": [{"id": "a", "label": {"zh": "甲", "en": "A"}}, {"id": "b", "label": {"zh": "乙", "en": "B"}}]},
            {"id": f"{prefix}_text", "type": "short_text", "title": {"zh": "意见", "en": "Comment"}},
        ]}],
    })


def _questionnaire(prefix: str, *, publish: bool = True):
    questionnaire = qs.create_questionnaire(spec=tiny_spec(prefix), kind=QuestionnaireKind.NEEDS, slug=f"{prefix}-slug")
    if publish:
        qs.publish_questionnaire(questionnaire=questionnaire)
    return questionnaire


def _publication(round: Round, version: int, files: dict[str, bytes]) -> Publication:
    """A publication row with its files (the publish service itself is tested elsewhere)."""
    publication = Publication(round_id=round.id, version=version, note=f"v{version}", snapshot={},
                              audit_head="0" * 64)
    for name, content in files.items():
        publication.files.append(PublishedFile(kind="round_report", filename=name, mimetype="application/pdf",
                                               sha256=hashlib.sha256(content).hexdigest(), size=len(content),
                                               content=content))
    db.session.add(publication)
    db.session.flush()
    return publication


def _open(session: ReportSession) -> dict[int, str]:
    rounds.schedule_session(session=session, starts_at=utcnow(), place="会议室")
    scoring_sessions.open_session(session=session)
    return {i.rater_id: i.code for i in join_codes.issue_join_codes(session=session)}


def _submit(rater: RoundRater, session: ReportSession, comment: str) -> str:
    card = sc.submit_scorecard(rater=rater, session=session, entries=full_entries(session),
                               comments=[CommentChange(sc.criteria_of(session)[0]["code"], comment, 1)])
    return card.receipt


def _members(session: ReportSession) -> list[RoundRater]:
    return sorted((m.rater for m in session.members), key=lambda r: r.id)


class World:
    """Round A (open): rater X's session S1, where panel-mate Z submitted, and session S2 of
    another panel, where Y submitted. Round B (open): one session where W submitted. Two
    published rounds with files; questionnaires open, closed and draft."""

    def __init__(self, app):
        with app.app_context():
            self._rounds()
            self._publications()
            self._questionnaires()
            db.session.commit()
        self.phone = joined_phone(app, self.x_code)
        self.evaluator = logged_in_client(app, "evaluator", "guess-evaluator")
        self.staff = logged_in_client(app, "staff", "guess-staff")

    def _rounds(self):
        round_a = open_round()
        sessions = sorted(round_a.sessions, key=lambda s: s.unit.code)
        s1 = sessions[0]
        x, z = _members(s1)[:2]
        s2 = next(s for s in sessions if x.id not in {m.rater_id for m in s.members}
                  and conflicts.explain_recusal(round=round_a, rater=x, unit=s.unit))
        y = _members(s2)[0]
        codes = _open(s1)
        _open(s2)
        self.z_receipt = _submit(z, s1, SECRET_Z)
        self.y_receipt = _submit(y, s2, SECRET_Y)
        round_b = open_round()
        b1 = min(round_b.sessions, key=lambda s: s.unit.code)
        _open(b1)
        w = _members(b1)[0]
        self.w_receipt = _submit(w, b1, SECRET_B)
        b_conflict = conflicts.record_conflict(round=round_b, rater=_members(b1)[1], unit=b1.unit, reason="B的亲属")
        self.round_a, self.round_b = round_a.id, round_b.id
        self.s1, self.s2, self.b1 = s1.id, s2.id, b1.id
        self.x, self.y, self.z, self.w = x.id, y.id, z.id, w.id
        self.y_name = y.name
        assert y.name not in (x.name, z.name)
        self.x_code = codes[x.id]
        self.b_card = db.session.scalar(select(Scorecard.id).where(Scorecard.rater_id == w.id))
        self.z_card = db.session.scalar(select(Scorecard.id).where(Scorecard.rater_id == z.id))
        self.b_conflict = b_conflict.id
        self.session_ids = sorted(s.id for s in [*round_a.sessions, *round_b.sessions])

    def _publications(self):
        p1 = rounds.create_round(name="已发布轮次甲", period="2015", framework_version=framework_version(code="guess-p1"))
        p2 = rounds.create_round(name="已发布轮次乙", period="2015", framework_version=framework_version(code="guess-p2"))
        v1 = _publication(p1, 1, {"p1-v1-a.pdf": b"P1 v1 a", "p1-v1-b.pdf": b"P1 v1 b"})
        v2 = _publication(p1, 2, {"p1-v2.pdf": b"P1 v2"})
        other = _publication(p2, 1, {"p2-secret.pdf": SECRET_FILE})
        self.published = {p1.id: {v1.id: [f.id for f in v1.files], v2.id: [f.id for f in v2.files]},
                          p2.id: {other.id: [f.id for f in other.files]}}
        self.p1, self.p2 = p1.id, p2.id
        self.p2_file = other.files[0].id

    def _questionnaires(self):
        one = _questionnaire("one")
        four = _questionnaire("four")
        closed = _questionnaire("closed")
        draft = _questionnaire("draft", publish=False)
        self.one_invites = [i.code for i in invites.create_invites(questionnaire=one, count=2)]
        self.closed_invites = [i.code for i in invites.create_invites(questionnaire=closed, count=1)]
        qs.close_questionnaire(questionnaire=closed)
        started = responses.start_response(questionnaire=one, client_id="guess-started-0123456789")
        self.one_resume = started.resume_code
        self.one_client = "guess-submitted-0123456789"
        responses.submit_whole_response(questionnaire=one, client_id=self.one_client,
                                        answers={"one_choice": "a", "one_text": SECRET_ANSWER})
        self.q_one, self.q_four, self.q_closed, self.q_draft = one.id, four.id, closed.id, draft.id
        self.questionnaire_ids = [one.id, four.id, closed.id, draft.id]
        self.slugs = {"one": one.slug, "four": four.slug, "closed": closed.slug, "draft": draft.slug}


def _counts(app) -> dict[str, int]:
    with app.app_context():
        return table_counts()


def _text(response) -> str:
    return response.get_data(as_text=True)


def _assert_no_secret(response, where: str, *secrets: str) -> None:
    body = response.get_data()
    for secret in secrets:
        assert secret.encode() not in body, f"{where} shows {secret[:20]!r}"


def _card_state(rater_id: int, session_id: int) -> dict:
    rater, session = db.session.get(RoundRater, rater_id), db.session.get(ReportSession, session_id)
    return sc.scorecard_state(sc.scorecard_for(rater=rater, session=session))


# --------------------------------------------------------------------------- raters


def test_a_phone_gets_nothing_of_another_raters_session(app, world):
    """X's phone on S2, where Y (another panel) submitted: refused by page, receipt and JSON,
    with nothing of Y's scorecard in any answer; writes are refused and store nothing."""
    phone = world.phone
    with app.app_context():
        y_state = _card_state(world.y, world.s2)
    before = _counts(app)
    secrets = (world.y_receipt, world.y_receipt[:8], SECRET_Y, world.y_name)
    for path in (f"/score/sessions/{world.s2}", f"/score/sessions/{world.s2}/receipt"):
        response = phone.get(path)
        assert_handled(response, path)
        assert response.status_code == 403, path
        _assert_no_secret(response, path, *secrets)
    state = phone.get(f"/api/score/sessions/{world.s2}")
    assert state.status_code == 403 and state.get_json()["code"] == "not_on_panel"
    _assert_no_secret(state, "state", *secrets)
    token = phone.get(f"/api/score/sessions/{world.s1}").get_json()["csrf_token"]
    entry = {"criterion": "A01.1", "points": 1, "cannot_judge": False, "version": 99}
    for action, body in (("changes", {"entries": [entry]}), ("submit", {"entries": [entry]}),
                         ("conflict", {"reason": "猜的"})):
        response = phone.post(f"/api/score/sessions/{world.s2}/{action}", json=body, headers={"X-CSRFToken": token})
        assert response.status_code == 403 and response.get_json()["code"] == "not_on_panel", action
        _assert_no_secret(response, action, *secrets)
    form = phone.post(f"/score/sessions/{world.s2}", data={"csrf_token": token, "_action": "save"})
    assert form.status_code == 403
    _assert_no_secret(form, "form", *secrets)
    assert _counts(app) == before
    with app.app_context():
        assert _card_state(world.y, world.s2) == y_state


def test_a_phone_sees_only_its_own_scorecard_where_a_panel_mate_submitted(app, world):
    """X and Z sit on S1; Z submitted. X's page, state and receipt address show X's own (empty)
    scorecard, never Z's receipt or comment."""
    phone = world.phone
    secrets = (world.z_receipt, world.z_receipt[:8], SECRET_Z)
    page = phone.get(f"/score/sessions/{world.s1}")
    assert page.status_code == 200
    _assert_no_secret(page, "page", *secrets)
    state = phone.get(f"/api/score/sessions/{world.s1}").get_json()
    assert state["scorecard"]["status"] == "none" and state["scorecard"]["receipt"] is None
    assert SECRET_Z not in str(state) and world.z_receipt not in str(state)
    receipt = phone.get(f"/score/sessions/{world.s1}/receipt")
    assert receipt.status_code == 302 and receipt.headers["Location"] == f"/score/sessions/{world.s1}"
    _assert_no_secret(receipt, "receipt", *secrets)


def test_a_phone_of_round_a_gets_nothing_of_round_b(app, world):
    phone = world.phone
    before = _counts(app)
    secrets = (world.w_receipt, world.w_receipt[:8], SECRET_B)
    for path in (f"/score/sessions/{world.b1}", f"/score/sessions/{world.b1}/receipt",
                 f"/api/score/sessions/{world.b1}"):
        response = phone.get(path)
        assert response.status_code == 403, path
        _assert_no_secret(response, path, *secrets)
    listing = phone.get("/score")
    _assert_no_secret(listing, "list", *secrets)
    assert f'data-testid="session-{world.b1}"' not in _text(listing)
    assert _counts(app) == before


def test_counting_session_ids_up_finds_only_the_phones_own_list(app, world):
    """Every id from 1 to beyond the last: 200 exactly for the sessions on the phone's list;
    every other id, known or not, gets the same refusal."""
    phone = world.phone
    listed = {int(n) for n in re.findall(r'data-testid="session-(\d+)"', _text(phone.get("/score")))}
    assert world.s1 in listed and world.s2 not in listed
    with app.app_context():
        last = db.session.scalar(select(func.max(ReportSession.id)))
    before = _counts(app)
    answered, refusals = set(), []
    for session_id in range(max(1, min(world.session_ids) - 3), last + 3):
        response = phone.get(f"/api/score/sessions/{session_id}")
        assert_handled(response, str(session_id))
        if response.status_code == 200:
            answered.add(session_id)
            assert response.get_json()["session"]["id"] == session_id
        else:
            assert response.status_code == 403, session_id
            refusals.append(response.get_json())
        _assert_no_secret(response, str(session_id), world.y_receipt, world.w_receipt, world.z_receipt,
                          SECRET_Y, SECRET_B, SECRET_Z)
    assert answered == listed
    assert all(r == refusals[0] for r in refusals)  # no difference between "not yours" and "no such session"
    assert _counts(app) == before


# --------------------------------------------------------------------------- staff: ids mixed across rounds


def test_staff_have_no_per_user_scope_so_a_role_decides(app):
    """Kaimen gives staff no scope of their own: no column on the account says which units or
    rounds a user may see, and every route declares roles only. So the role is the whole of it
    (the access tests check it route by route) and ids guessed by staff can only be mixed
    across rounds (below)."""
    assert {c.name for c in User.__table__.columns} == {
        "id", "username", "display_name", "password_hash", "role", "enabled", "locale", "created_at"}
    with app.app_context():
        for endpoint in app.view_functions:
            audience = declared_access(endpoint)
            assert audience in (PUBLIC, AUTHENTICATED) or (
                isinstance(audience, frozenset) and all(isinstance(role, Role) for role in audience)), endpoint


def test_another_rounds_objects_under_this_rounds_address_are_not_found(app, world):
    staff = world.staff
    a, b = world.round_a, world.round_b
    with app.app_context():
        b_rater = db.session.get(RoundRater, world.w)
        b_member = db.session.scalar(select(func.count()).select_from(PanelMember).where(
            PanelMember.rater_id == world.w))
        z_status = db.session.get(Scorecard, world.z_card).status
        revoked = _revoked()
    before = _counts(app)
    for path in (f"/staff/rounds/{a}/sessions/{world.b1}", f"/staff/rounds/{a}/sessions/{world.b1}/live",
                 f"/staff/rounds/{a}/sessions/{world.b1}/live.json",
                 f"/staff/rounds/{a}/publications/{_first_pub(world, world.p2)}/files/{world.p2_file}",
                 f"/staff/rounds/{world.p1}/publications/{_first_pub(world, world.p2)}/files/{world.p2_file}"):
        response = staff.get(path)
        assert_handled(response, path)
        assert response.status_code == 404, path
        _assert_no_secret(response, path, SECRET_B, world.w_receipt, SECRET_FILE.decode())
    token = csrf_token(staff, f"/staff/rounds/{a}/sessions/{world.s1}")
    posts = {
        f"/staff/rounds/{a}/sessions/{world.s1}/scorecards/{world.b_card}/reopen": {f"r{world.b_card}-reason": "猜"},
        f"/staff/rounds/{b}/sessions/{world.b1}/scorecards/{world.z_card}/reopen": {f"r{world.z_card}-reason": "猜"},
        f"/staff/rounds/{a}/sessions/{world.s1}/members/{world.w}/remove": {},
        f"/staff/rounds/{a}/sessions/{world.b1}/members/{world.w}/remove": {},
        f"/staff/rounds/{a}/sessions/{world.s1}/raters/{world.w}/revoke": {},
        f"/staff/rounds/{a}/raters/{world.w}/remove": {},
        f"/staff/rounds/{a}/conflicts/{world.b_conflict}/remove": {},
        f"/staff/rounds/{a}/sessions/{world.b1}/sheet": {},
        f"/staff/rounds/{a}/sessions/{world.b1}/close": {"confirm": "y"},
    }
    for path, data in posts.items():
        response = staff.post(path, data={"csrf_token": token, **data})
        assert_handled(response, path)
        assert response.status_code == 404, (path, response.status_code)
    assert _counts(app) == before
    with app.app_context():
        assert db.session.get(RoundRater, world.w).round_id == b_rater.round_id
        assert db.session.scalar(select(func.count()).select_from(PanelMember).where(
            PanelMember.rater_id == world.w)) == b_member
        assert db.session.get(Scorecard, world.z_card).status == z_status
        assert db.session.get(Scorecard, world.b_card).receipt == world.w_receipt
        assert db.session.get(Conflict, world.b_conflict) is not None
        assert _revoked() == revoked


def _revoked() -> tuple[int, int]:
    """How many phones and join codes are revoked."""
    return (db.session.scalar(select(func.count()).select_from(RaterDevice).where(RaterDevice.revoked_at.is_not(None))),
            db.session.scalar(select(func.count()).select_from(JoinCode).where(JoinCode.revoked_at.is_not(None))))


def _first_pub(world, round_id: int) -> int:
    return next(iter(world.published[round_id]))


# --------------------------------------------------------------------------- evaluators


def _audit_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AuditEntry))


def test_an_evaluator_counting_round_ids_up_sees_only_published_rounds(app, world):
    evaluator = world.evaluator
    with app.app_context():
        last = db.session.scalar(select(func.max(Round.id)))
        unpublished_names = [r.name for r in db.session.scalars(select(Round).where(Round.id.in_(
            [world.round_a, world.round_b])))]
    before = _counts(app)
    answered = set()
    for round_id in range(max(1, world.round_a - 2), last + 3):
        response = evaluator.get(f"/evaluator/rounds/{round_id}")
        assert_handled(response, str(round_id))
        assert response.status_code in (200, 404), round_id
        if response.status_code == 200:
            answered.add(round_id)
    assert answered == {world.p1, world.p2}
    index = _text(evaluator.get("/evaluator/"))
    for name in unpublished_names:
        assert name not in index
    for path in (f"/staff/rounds/{world.round_a}/results", f"/staff/rounds/{world.round_a}/publications",
                 f"/staff/rounds/{world.p1}/publications"):
        assert evaluator.get(path).status_code == 403, path
    assert _counts(app) == before


def test_counting_publication_and_file_ids_up_downloads_only_each_files_own_address(app, world):
    """Every (round, publication, file) triple up to beyond the last ids, by the evaluator portal
    and by the staff screen: a file comes only under its own round and publication, and each
    download is recorded; every other triple is a 404 that records nothing."""
    valid = {(r, p, f) for r, pubs in world.published.items() for p, files in pubs.items() for f in files}
    with app.app_context():
        last_round = db.session.scalar(select(func.max(Round.id)))
    pubs = {p for pubs in world.published.values() for p in pubs}
    files = {f for _r, _p, f in valid}
    round_ids = sorted({world.round_a, world.p1, world.p2, last_round + 1})
    for client, prefix in ((world.evaluator, "/evaluator/rounds"), (world.staff, "/staff/rounds")):
        audit = _audit_count(app)
        served = set()
        for round_id in round_ids:
            for pub_id in range(min(pubs) - 1, max(pubs) + 2):
                for file_id in range(min(files) - 1, max(files) + 2):
                    path = f"{prefix}/{round_id}/publications/{pub_id}/files/{file_id}"
                    response = client.get(path)
                    assert response.status_code in (200, 404), path
                    if response.status_code == 200:
                        served.add((round_id, pub_id, file_id))
                    else:
                        assert SECRET_FILE not in response.data and b".pdf" not in response.data
                        assert_handled(response, path)
        assert served == valid, prefix
        assert _audit_count(app) == audit + len(valid), prefix


def test_an_evaluator_counting_questionnaire_ids_up_sees_only_closed_ones(app, world):
    evaluator = world.evaluator
    with app.app_context():
        last = db.session.scalar(select(func.max(Questionnaire.id)))
    before = _counts(app)
    answered = set()
    for qid in range(min(world.questionnaire_ids) - 2, last + 3):
        detail = evaluator.get(f"/evaluator/questionnaires/{qid}")
        assert_handled(detail, str(qid))
        assert detail.status_code in (200, 404)
        if detail.status_code == 200:
            answered.add(qid)
            continue
        for path in (f"/evaluator/questionnaires/{qid}/responses.csv", f"/evaluator/questionnaires/{qid}/needs-report.pdf"):
            response = evaluator.get(path)
            assert response.status_code == 404, path
            _assert_no_secret(response, path, SECRET_ANSWER)
    assert answered == {world.q_closed}
    assert _counts(app) == before  # no download was recorded


# --------------------------------------------------------------------------- questionnaires


def _english(client):
    client.set_cookie("kaimen_lang", "en")
    return client


def _landing_client_id(client, slug: str) -> str:
    return re.search(r'name="client_id" value="([^"]+)"', _text(client.get(f"/q/{slug}"))).group(1)


def test_one_questionnaires_codes_open_nothing_in_another(app, world):
    """Questionnaire one's invitation and resume codes typed at questionnaire four's address."""
    four = world.slugs["four"]
    client = _english(app.test_client())
    before = _counts(app)
    token = csrf_token(client, f"/q/{four}")
    for code in world.one_invites:
        started = client.post(f"/q/{four}/start", data={"client_id": _landing_client_id(client, four),
                                                        "with_invite": "1", "invite_code": code, "csrf_token": token})
        assert started.status_code == 200
        assert "This invitation code is not valid for this questionnaire." in _text(started)
        linked = client.get(f"/q/{four}", query_string={"code": code})
        assert linked.status_code == 302
    resumed = client.post(f"/q/{four}/resume", data={"resume_code": world.one_resume, "csrf_token": token})
    assert resumed.status_code == 200 and "No unfinished response has this resume code." in _text(resumed)
    assert client.get(f"/q/{four}/s/four_page").status_code == 302  # nothing was bound
    api = client.post(f"/api/v1/questionnaires/{four}/responses",
                      headers={"X-CSRFToken": client.get(f"/api/v1/questionnaires/{four}").get_json()["csrf_token"]},
                      json={"client_id": "guess-api-0123456789", "answers": {"four_choice": "a"},
                            "invite_code": world.one_invites[0]})
    assert api.status_code == 403 and "invite_code" in api.get_json()["errors"]
    assert _counts(app) == before
    with app.app_context():
        assert db.session.scalars(select(Invite.used_on).where(Invite.questionnaire_id == world.q_one)).all() == \
            [None, None]


def test_a_respondent_of_one_questionnaire_gets_nothing_under_another_address(app, world):
    """A respondent of questionnaire one (resumed into its session) asks for questionnaire four's
    pages with one's section id, and four's done page: sent to four's landing page, nothing of
    one's answers shown."""
    one, four = world.slugs["one"], world.slugs["four"]
    client = _english(app.test_client())
    token = csrf_token(client, f"/q/{one}")
    assert client.post(f"/q/{one}/resume", data={"resume_code": world.one_resume,
                                                  "csrf_token": token}).status_code == 302
    assert client.get(f"/q/{one}/s/one_page").status_code == 200
    before = _counts(app)
    for path in (f"/q/{four}/s/one_page", f"/q/{four}/s/four_page", f"/q/{four}/done"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"] == f"/q/{four}", path
    posted = client.post(f"/q/{four}/s/four_page", data={"four_choice": "a", "csrf_token": token})
    assert posted.status_code == 302 and posted.headers["Location"] == f"/q/{four}"
    assert _counts(app) == before


def test_a_client_id_of_one_questionnaire_reveals_nothing_in_another(app, world):
    """The API's idempotency key is per questionnaire: one's submitted client id sent to four
    starts a new response there (not "already submitted"), and sent again to one with other
    answers is refused without showing the stored ones."""
    one, four = world.slugs["one"], world.slugs["four"]
    client = app.test_client()
    with app.app_context():
        stored = db.session.scalar(select(Response.answers).where(Response.client_id == world.one_client))
    token = client.get(f"/api/v1/questionnaires/{four}").get_json()["csrf_token"]
    other = client.post(f"/api/v1/questionnaires/{four}/responses", headers={"X-CSRFToken": token},
                        json={"client_id": world.one_client, "answers": {"four_choice": "b"}})
    assert other.status_code == 201 and other.get_json()["already_submitted"] is False
    _assert_no_secret(other, "four", SECRET_ANSWER)
    again = client.post(f"/api/v1/questionnaires/{one}/responses", headers={"X-CSRFToken": token},
                        json={"client_id": world.one_client, "answers": {"one_choice": "b"}})
    assert again.status_code == 409 and "client_id" in again.get_json()["errors"]
    _assert_no_secret(again, "one", SECRET_ANSWER)
    with app.app_context():
        assert db.session.scalar(select(Response.answers).where(
            Response.client_id == world.one_client, Response.questionnaire_id == world.q_one)) == stored


def test_staff_screens_do_not_mix_sections_and_questions_across_questionnaires(app, world):
    staff = world.staff
    for path in (f"/staff/questionnaires/{world.q_four}/preview/one_page",
                 f"/staff/questionnaires/{world.q_four}/questions/one_choice",
                 f"/staff/questionnaires/{world.q_four}/sections/one_page",
                 f"/staff/questionnaires/{world.q_four}/sections/one_page/questions/new"):
        response = staff.get(path)
        assert response.status_code == 404, path
    assert staff.get(f"/staff/questionnaires/{world.q_one}/preview/one_page").status_code == 200


def test_draft_and_closed_questionnaires_take_no_answers(app, world):
    draft, closed = world.slugs["draft"], world.slugs["closed"]
    client = _english(app.test_client())
    before = _counts(app)
    token = csrf_token(client, "/join")
    for path in (f"/q/{draft}", f"/q/{draft}/done", f"/q/{draft}/s/draft_page", f"/api/v1/questionnaires/{draft}"):
        response = client.get(path)
        assert response.status_code == 404, path
        _assert_no_secret(response, path, "draft问卷", "draft survey", "draft_choice")
    for path in (f"/q/{draft}/start", f"/api/v1/questionnaires/{draft}/responses"):
        response = client.post(path, data={"client_id": "guess-draft-0123456789", "csrf_token": token},
                               headers={"X-CSRFToken": token})
        assert response.status_code == 404, path
    landing = client.get(f"/q/{closed}")
    assert landing.status_code == 409 and "This questionnaire is closed" in _text(landing)
    started = client.post(f"/q/{closed}/start", data={"client_id": "guess-closed-0123456789", "with_invite": "1",
                                                      "invite_code": world.closed_invites[0], "csrf_token": token})
    assert started.status_code == 409
    api = client.post(f"/api/v1/questionnaires/{closed}/responses", headers={"X-CSRFToken": token},
                      json={"client_id": "guess-closed-0123456789", "answers": {"closed_choice": "a"}})
    assert api.status_code == 409
    assert _counts(app) == before
    with app.app_context():
        assert db.session.scalar(select(Invite.used_on).where(Invite.questionnaire_id == world.q_closed)) is None
