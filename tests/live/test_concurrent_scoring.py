"""27 phones join and submit at the same moment against a real ``kaimen serve``.

The seeds' round (nine units, 27 representatives in four rotating groups) with every
session open at once. Each representative's phone is a thread with its own cookie jar:
it opens the join page, and when all are ready they exchange their codes together, read
their session's JSON (the CSRF token) and submit all 40 criteria together; then they all
send the same submission again (a retry after a lost answer). Every request must succeed
(SQLite must not answer "database is locked"), every scorecard must be stored once, with
its 40 entries, submitted, and with the receipt the phone was given.
"""

from __future__ import annotations

import json
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import timedelta
from http.cookiejar import CookieJar

import pytest
from sqlalchemy import func, select

pytestmark = pytest.mark.live

PHONES = 27
REQUEST_TIMEOUT = 45
CSRF_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


@dataclass
class Phone:
    rater_id: int
    code: str
    session_id: int
    body: dict
    responses: list[tuple[str, int, str]] = field(default_factory=list)  #: (step, status, body)
    receipts: list[str] = field(default_factory=list)
    error: str | None = None


def _prepare(app) -> tuple[int, list[Phone]]:
    """The round, its plan, every session open and a join code for each of the 27 (in the test process)."""
    from survey.extensions import db
    from survey.models.base import utcnow
    from survey.services import (
        frameworks,
        join_codes,
        plans,
        rounds,
        scorecards,
        scoring_sessions,
    )
    from tests.survey.round_builders import seed_round

    with app.app_context():
        round = seed_round(version=frameworks.load_default_framework(), scheduled=False)
        now = utcnow()
        sessions = sorted(round.sessions, key=lambda s: s.unit.code)
        for n, session in enumerate(sessions):  # this morning: the join codes are valid until tomorrow night
            rounds.schedule_session(session=session, starts_at=now - timedelta(minutes=60 - n), place="三楼会议室")
        outcome = plans.solve_plan(round=round)
        assert outcome.solved, outcome.explanations()
        rounds.open_round(round=round)
        codes: dict[int, str] = {}
        seat: dict[int, int] = {}
        for session in sessions:
            scoring_sessions.open_session(session=session, now=now)
            for issued in join_codes.issue_join_codes(session=session, now=now):
                codes[issued.rater_id] = issued.code  # a later sheet replaces the rater's earlier code
                seat.setdefault(issued.rater_id, session.id)
        assert len(codes) == PHONES, "every representative sits on at least one panel"
        criteria = [(rule.code, rule.max_points, rule.step)
                    for rule in scorecards.rules_of(sessions[0]).criteria.values()]
        assert len(criteria) == 40
        phones = []
        for rater_id in sorted(codes):
            entries = []
            for n, (code, max_points, step) in enumerate(criteria):
                if (rater_id + n) % 17 == 0:
                    entries.append({"criterion": code, "points": None, "cannot_judge": True, "version": 1})
                else:
                    points = ((rater_id * 3 + n) % int(max_points / step + 1)) * step
                    entries.append({"criterion": code, "points": points, "cannot_judge": False, "version": 1})
            comments = [{"area": "A01", "text": f"第{rater_id}号代表：台账齐全，职工满意。", "version": 1}]
            phones.append(Phone(rater_id, codes[rater_id], seat[rater_id], {"entries": entries, "comments": comments}))
        round_id = round.id
        db.session.commit()
        db.session.remove()
    return round_id, phones


def _send(opener, request) -> tuple[int, str, str]:
    """(status, final URL, body); HTTP errors are answers too."""
    try:
        with opener.open(request, timeout=REQUEST_TIMEOUT) as response:
            return response.status, response.url, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, request.full_url, exc.read().decode("utf-8", "replace")


def _phone(base: str, phone: Phone, join_together: threading.Barrier, submit_together: threading.Barrier) -> None:
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    opener.addheaders = [("User-Agent", "kaimen-live-test phone")]
    try:
        status, _url, page = _send(opener, urllib.request.Request(base + "/join?code=" + phone.code))
        phone.responses.append(("join page", status, page))
        match = CSRF_FIELD.search(page)
        assert match, "no CSRF token on the join page"
        form = urllib.parse.urlencode({"code": phone.code, "csrf_token": match.group(1) or match.group(2)})

        join_together.wait()
        status, url, page = _send(opener, urllib.request.Request(base + "/join", data=form.encode(), method="POST"))
        phone.responses.append(("join", status, page))
        assert status == 200, f"the join was answered {status}"
        assert url.endswith("/score"), f"the join did not lead to /score but to {url}"

        api = f"{base}/api/score/sessions/{phone.session_id}"
        status, _url, text = _send(opener, urllib.request.Request(api))
        phone.responses.append(("session JSON", status, text))
        token = json.loads(text)["csrf_token"]
        headers = {"Content-Type": "application/json", "X-CSRFToken": token}
        payload = json.dumps(phone.body).encode("utf-8")

        for step in ("submit", "submit again"):
            submit_together.wait()
            status, _url, text = _send(
                opener, urllib.request.Request(api + "/submit", data=payload, headers=headers, method="POST"))
            phone.responses.append((step, status, text))
            assert status == 200, f"{step} was answered {status}"
            phone.receipts.append(json.loads(text)["receipt"])
    except Exception as exc:  # noqa: BLE001 - reported by the test, with the phone it happened on
        phone.error = f"{type(exc).__name__}: {exc}"
        join_together.abort()
        submit_together.abort()


def test_27_phones_join_and_submit_at_the_same_moment(live):
    from survey.extensions import db
    from survey.models import RaterDevice, Scorecard, ScorecardStatus
    from survey.services import scorecards

    round_id, phones = _prepare(live.app)
    join_together, submit_together = threading.Barrier(PHONES), threading.Barrier(PHONES)
    threads = [threading.Thread(target=_phone, args=(live.url, phone, join_together, submit_together))
               for phone in phones]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=3 * REQUEST_TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "a phone is still waiting for an answer"

    # a phone that fails breaks the barriers so the others stop waiting: report the real failures
    errors = [f"rater {p.rater_id}: {p.error}" for p in phones if p.error and "BrokenBarrier" not in p.error]
    failed = [f"rater {p.rater_id} {step}: {status} {text[:300]}"
              for p in phones for step, status, text in p.responses if status != 200]
    assert not errors and not failed, "\n".join(errors + failed) + "\n" + live.log_text()[-3000:]
    assert not any(p.error for p in phones)
    assert all(len(p.responses) == 5 for p in phones)
    locked = [p.rater_id for p in phones for _s, _st, text in p.responses if "database is locked" in text]
    assert not locked and "database is locked" not in live.log_text()
    assert "Traceback" not in live.log_text(), live.log_text()[-3000:]

    with live.app.app_context():
        cards = list(db.session.scalars(select(Scorecard).where(Scorecard.round_id == round_id)))
        assert sorted(c.rater_id for c in cards) == sorted(p.rater_id for p in phones)  # each stored once
        by_rater = {c.rater_id: c for c in cards}
        for phone in phones:
            card = by_rater[phone.rater_id]
            assert card.session_id == phone.session_id and card.status is ScorecardStatus.SUBMITTED
            assert len(card.entries) == 40 and len(card.comments) == 1
            stored = {e.criterion: (e.points, e.cannot_judge) for e in card.entries}
            assert stored == {e["criterion"]: (e["points"], e["cannot_judge"]) for e in phone.body["entries"]}
            # the receipt the phone got, both times, is the hash of what is stored
            assert phone.receipts == [card.receipt, card.receipt] and card.receipt == scorecards.receipt_of(card)
        devices = db.session.scalar(select(func.count()).select_from(RaterDevice)
                                    .where(RaterDevice.round_id == round_id))
        assert devices == PHONES
        db.session.remove()
