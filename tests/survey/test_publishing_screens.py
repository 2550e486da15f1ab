"""Staff publication screens: the results preview, publishing, corrections with a note, who may use them."""

from __future__ import annotations

import hashlib
import re

import pytest
from sqlalchemy import func, select

from survey.extensions import db
from survey.models import AuditEntry, Publication, Scorecard
from survey.services import demo_scores, plans, rounds, scorecards, scoring_sessions
from tests.conftest import csrf_token
from tests.survey.round_builders import framework_version, seed_round


def _scored_round() -> int:
    round = seed_round()
    assert plans.solve_plan(round=round).solved
    demo_scores.load_demo_scores(round)
    db.session.commit()
    return round.id


@pytest.fixture
def scored(app, make_user):
    make_user("staff", "stan")
    make_user("evaluator", "eva")
    make_user("representative", "rita")
    with app.app_context():
        return _scored_round()


def _as(client, login, username):
    client.set_cookie("kaimen_lang", "en")
    assert login(username).status_code == 302


def _publications(app, round_id) -> list[tuple[int, str]]:
    with app.app_context():
        return [(p.version, p.note) for p in db.session.scalars(
            select(Publication).where(Publication.round_id == round_id).order_by(Publication.version))]


def _publish(client, round_id, note=""):
    token = csrf_token(client, f"/staff/rounds/{round_id}/results")
    return client.post(f"/staff/rounds/{round_id}/publish", data={"csrf_token": token, "note": note})


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def _correct_one_scorecard(round_id: int) -> None:
    """What staff do after a scoring mistake: open the session again, reopen the card, resubmit, close."""
    round = rounds.get_round(round_id=round_id)
    session = min(round.sessions, key=lambda s: s.unit.code)
    scoring_sessions.open_session(session=session)
    card = db.session.scalars(select(Scorecard).where(Scorecard.session_id == session.id).order_by(Scorecard.id)).first()
    scorecards.reopen_scorecard(scorecard=card, reason="录入错误", by=None)
    entries = [scorecards.EntryChange(e.criterion, 20.0, False, 2) for e in card.entries]
    scorecards.submit_scorecard(rater=card.rater, session=session, entries=entries)
    scoring_sessions.close_session(session=session)
    db.session.commit()


def test_the_preview_shows_ranking_intervals_totals_and_reliability_and_stores_nothing(app, client, login, scored):
    _as(client, login, "stan")
    response = client.get(f"/staff/rounds/{scored}/results")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    text = _text(response)
    assert 'data-testid="preview-ranking"' in page
    ranking = page.split('data-testid="preview-ranking"')[1].split("<tbody>")[1].split("</tbody>")[0]
    rows = re.findall(r"<tr>(.*?)</tr>", ranking, re.DOTALL)
    assert len(rows) == 9
    first = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", rows[0]))
    assert re.search(r"^ ?1 .*XC-D\d\d \d+\.\d \[\d+\.\d, \d+\.\d\]", first), first
    assert "隆盛泰公司工会" in ranking  # units by name
    assert "Krippendorff's alpha" in text and re.search(r'data-testid="alpha">0\.\d{3}<', page)
    assert "ICC(2,1)" in text and "P1" in text
    assert "Publish version 1" in text
    assert _publications(app, scored) == []


def test_publishing_freezes_version_1_and_lists_its_files_with_their_hashes(app, client, login, scored):
    _as(client, login, "stan")
    response = _publish(client, scored)
    assert response.status_code == 302 and response.location.endswith(f"/staff/rounds/{scored}/publications")
    assert _publications(app, scored) == [(1, "")]
    page = client.get(response.location).get_data(as_text=True)
    assert "Version 1 of the results is published." in page
    with app.app_context():
        publication = db.session.scalar(select(Publication).where(Publication.round_id == scored))
        assert publication.published_by_id is not None
        files = [(f.filename, f.sha256, f.content) for f in publication.files]
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "publication"))
        assert entry.actor == "stan"
    assert files
    for filename, sha256, content in files:
        assert filename in page and sha256 in page
        assert hashlib.sha256(content).hexdigest() == sha256
    assert 'href="/verify"' in page
    assert f'href="/evaluator/rounds/{scored}"' in page
    # the round's overview links the screens
    overview = client.get(f"/staff/rounds/{scored}").get_data(as_text=True)
    assert f"/staff/rounds/{scored}/results" in overview and f"/staff/rounds/{scored}/publications" in overview


def test_a_correction_needs_a_note_and_gets_a_new_version(app, client, login, scored):
    _as(client, login, "stan")
    assert _publish(client, scored).status_code == 302
    with app.app_context():
        _correct_one_scorecard(scored)
    preview = _text(client.get(f"/staff/rounds/{scored}/results"))
    assert "Published so far: version 1." in preview and "Publish version 2" in preview
    refused = _publish(client, scored, note="   ")
    assert refused.status_code == 409
    assert "Version 2 replaces version 1: say in the note what changed." in _text(refused)
    assert _publications(app, scored) == [(1, "")]
    published = _publish(client, scored, note="更正：XC-D01 的一张评分表录入有误，已重新提交。")
    assert published.status_code == 302
    assert _publications(app, scored) == [(1, ""), (2, "更正：XC-D01 的一张评分表录入有误，已重新提交。")]
    page = client.get(f"/staff/rounds/{scored}/publications").get_data(as_text=True)
    assert page.index("Version 2") < page.index("Version 1") and "已重新提交" in page


def test_publishing_again_without_changes_is_refused(app, client, login, scored):
    _as(client, login, "stan")
    assert _publish(client, scored).status_code == 302
    refused = _publish(client, scored, note="nothing really")
    assert refused.status_code == 409 and "Nothing changed since version 1" in _text(refused)
    assert _publications(app, scored) == [(1, "")]


def test_a_note_that_is_too_long_or_a_missing_token_changes_nothing(app, client, login, scored):
    _as(client, login, "stan")
    too_long = _publish(client, scored, note="x" * 2001)
    assert too_long.status_code == 400 and "2000" in _text(too_long)
    no_token = client.post(f"/staff/rounds/{scored}/publish", data={"note": ""})
    assert no_token.status_code == 400
    assert _publications(app, scored) == []


def test_a_round_without_scores_says_why_it_cannot_be_published(app, client, login, make_user):
    make_user("staff", "stan")
    with app.app_context():
        empty = rounds.create_round(name="空的一轮", period="2015", framework_version=framework_version(code="fw-empty"))
        db.session.commit()
        empty_id = empty.id
    _as(client, login, "stan")
    page = client.get(f"/staff/rounds/{empty_id}/results")
    assert page.status_code == 200
    assert "no submitted scorecards yet" in _text(page)
    assert re.search(r'<button type="submit" class="button primary" disabled>', page.get_data(as_text=True))
    refused = _publish(client, empty_id)
    assert refused.status_code == 409 and "no submitted scorecards yet" in _text(refused)
    assert _publications(app, empty_id) == []
    assert client.get("/staff/rounds/999999/results").status_code == 404


@pytest.mark.parametrize("username", ["eva", "rita"])
def test_representatives_and_evaluators_get_403(app, client, login, scored, username):
    with app.app_context():
        from survey.services import publications

        publication = publications.publish(round=rounds.get_round(round_id=scored), by=None)
        db.session.commit()
        pid, fid = publication.id, publication.files[0].id
    _as(client, login, username)
    for path in (f"/staff/rounds/{scored}/results", f"/staff/rounds/{scored}/publications",
                 f"/staff/rounds/{scored}/publications/{pid}/files/{fid}"):
        assert client.get(path).status_code == 403, path
    token = csrf_token(client, "/dashboard")
    assert client.post(f"/staff/rounds/{scored}/publish", data={"csrf_token": token, "note": "x"}).status_code == 403
    assert _publications(app, scored) == [(1, "")]
    with app.app_context():
        assert db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "download")) == 0
