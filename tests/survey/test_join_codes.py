"""Join codes for on-site scoring: issuing, reissuing, revoking, finding; the session sheet screen."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from survey.extensions import db
from survey.models import JoinCode, ReportSession, Role, RoundStatus, SessionStatus
from survey.models.base import utcnow
from survey.services import plans, rounds
from survey.services.invites import random_code
from survey.services.join_codes import (
    JOIN_PATH,
    SheetRefused,
    find_valid_join_code,
    issue_join_codes,
    join_url,
    revoke_join_codes,
)
from tests.conftest import csrf_token
from tests.survey.round_builders import committee_round, june

CODE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$")
UNIT_NAME = "什刹海甲公司工会"
#: Printed on 10 June 2014; SCH-E1 reports on 16 June 2014 at 09:00 Beijing time.
NOW = june(10)
#: The end of 17 June in Beijing: the end of the session's day plus one day.
EXPIRES = datetime(2014, 6, 17, 16, 0, tzinfo=UTC)


def seated_session():
    """The Shichahai round's SCH-E1 session heard by group 一组: 钱二 and 卫十二 seated,
    赵一 and 吴六 (both from SCH-E1) in the group but recused."""
    round = committee_round()
    session = next(s for s in round.sessions if s.unit.code == "SCH-E1")
    session.unit.name_zh = UNIT_NAME
    by_name = {r.name: r for r in round.raters}
    for name in ("赵一", "钱二", "吴六", "卫十二"):
        by_name[name].panel = "一组"
    for name in ("钱二", "卫十二"):
        plans.add_panel_member(session=session, rater=by_name[name])
    db.session.flush()
    return round, session, by_name


def _codes(round) -> list[JoinCode]:
    return list(db.session.scalars(select(JoinCode).where(JoinCode.round_id == round.id).order_by(JoinCode.id)))


# --------------------------------------------------------------------------- the service


def test_random_code_is_crockford_base32_in_groups():
    code = random_code(10, 5)
    assert CODE.match(code)
    assert len({random_code(10, 5) for _ in range(50)}) == 50


def test_each_member_gets_a_ten_character_code_stored_only_as_its_hash(app):
    with app.app_context():
        round, session, by_name = seated_session()
        issued = issue_join_codes(session=session, now=NOW)

        assert [(i.name, i.rater_type) for i in issued] == [("卫十二", "model_worker"), ("钱二", "union_chair")]
        assert [i.rater_id for i in issued] == [by_name["卫十二"].id, by_name["钱二"].id]
        assert all(CODE.match(i.code) for i in issued)
        rows = _codes(round)
        assert [(r.rater_id, r.created_at, r.expires_at, r.used_at, r.revoked_at) for r in rows] == [
            (i.rater_id, NOW, EXPIRES, None, None) for i in issued
        ]
        assert [r.code_hash for r in rows] == [
            hashlib.sha256(i.code.replace("-", "").encode()).hexdigest() for i in issued
        ]
        stored = [str(value) for r in rows for value in vars(r).values()]
        assert not any(i.code in value or i.code.replace("-", "") in value for i in issued for value in stored)


def test_a_session_without_a_time_gets_codes_for_fourteen_days(app):
    with app.app_context():
        round, session, _ = seated_session()
        rounds.schedule_session(session=session, starts_at=None, place=None)
        issue_join_codes(session=session, now=NOW)
        assert {r.expires_at for r in _codes(round)} == {NOW + timedelta(days=14)}


def test_reprinting_revokes_earlier_unused_codes_but_keeps_used_ones(app):
    with app.app_context():
        round, session, by_name = seated_session()
        first = {i.name: i.code for i in issue_join_codes(session=session, now=NOW)}
        used = find_valid_join_code(code=first["钱二"], now=NOW)
        used.used_at = NOW  # 钱二's phone has joined (the on-site flow's job)
        later = NOW + timedelta(hours=1)
        second = {i.name: i.code for i in issue_join_codes(session=session, now=later)}

        rows = {(r.rater_id, r.used_at, r.revoked_at) for r in _codes(round)}
        assert rows == {
            (by_name["钱二"].id, NOW, None),  # used: its phone stays bound
            (by_name["卫十二"].id, None, later),  # unused: revoked by the reprint
            (by_name["钱二"].id, None, None),
            (by_name["卫十二"].id, None, None),
        }
        assert find_valid_join_code(code=first["卫十二"], now=later) is None
        assert find_valid_join_code(code=second["卫十二"], now=later).rater_id == by_name["卫十二"].id
        assert set(second.values()).isdisjoint(first.values())


def test_find_valid_join_code_accepts_codes_as_people_type_them(app):
    with app.app_context():
        _round, session, by_name = seated_session()
        code = issue_join_codes(session=session, now=NOW)[0].code
        row = find_valid_join_code(code=code, now=NOW)
        assert row.rater_id == by_name["卫十二"].id
        typed = " ".join(code.lower().replace("-", ""))
        assert find_valid_join_code(code=typed, now=NOW) is row
        with_letters = code.replace("0", "O").replace("1", "l")
        assert find_valid_join_code(code=with_letters, now=NOW) is row


def test_unknown_expired_revoked_used_and_malformed_codes_are_not_found(app):
    with app.app_context():
        round, session, by_name = seated_session()
        codes = {i.name: i.code for i in issue_join_codes(session=session, now=NOW)}
        valid = codes["卫十二"]
        assert find_valid_join_code(code=valid, now=EXPIRES - timedelta(seconds=1)) is not None
        assert find_valid_join_code(code=valid, now=EXPIRES) is None  # expired
        unknown = next(c for c in (random_code(10, 5) for _ in range(5)) if c not in codes.values())
        assert find_valid_join_code(code=unknown, now=NOW) is None
        for malformed in ("", "ABCDE", valid + "0", valid[:-1] + "U", valid.replace("-", "!")[:-1]):
            assert find_valid_join_code(code=malformed, now=NOW) is None, malformed

        find_valid_join_code(code=codes["钱二"], now=NOW).used_at = NOW
        assert find_valid_join_code(code=codes["钱二"], now=NOW) is None  # one-time

        assert revoke_join_codes(round=round, rater=by_name["卫十二"], now=NOW) == 1
        assert find_valid_join_code(code=valid, now=NOW) is None  # revoked


def test_staff_revoke_every_code_of_one_rater_only(app):
    with app.app_context():
        round, session, by_name = seated_session()
        issue_join_codes(session=session, now=NOW)
        issue_join_codes(session=session, now=NOW + timedelta(minutes=5))
        _codes(round)[2].used_at = NOW  # a used code is revoked too: the phone is unbound
        later = NOW + timedelta(hours=2)

        assert revoke_join_codes(round=round, rater=by_name["卫十二"], now=later) == 1
        assert revoke_join_codes(round=round, rater=by_name["钱二"], now=later) == 1
        assert revoke_join_codes(round=round, rater=by_name["钱二"], now=later) == 0
        assert [r.revoked_at for r in _codes(round)] == [NOW + timedelta(minutes=5)] * 2 + [later, later]


def test_an_empty_panel_is_refused_and_nothing_is_issued(app):
    with app.app_context():
        round = committee_round()
        session = next(s for s in round.sessions if s.unit.code == "SCH-E2")
        with pytest.raises(SheetRefused) as refused:
            issue_join_codes(session=session, now=NOW)
        assert refused.value.message == (
            "The panel of SCH-E2 (SCH-E2) is empty: seat its raters before printing the session sheet."
        )
        assert _codes(round) == []


@pytest.mark.parametrize("what", ["past", "closed session", "closed round"])
def test_over_or_closed_sessions_are_refused_and_nothing_is_issued(app, what):
    with app.app_context():
        round, session, _ = seated_session()
        now = NOW
        if what == "past":
            now = EXPIRES
        elif what == "closed session":
            session.status = SessionStatus.CLOSED
        else:
            round.status = RoundStatus.CLOSED
        with pytest.raises(SheetRefused) as refused:
            issue_join_codes(session=session, now=now)
        expected = {
            "past": f"The session of {UNIT_NAME} (SCH-E1) is over: its join codes would already have expired. "
                    "Schedule it again to print a sheet.",
        }.get(what, f"The session of {UNIT_NAME} (SCH-E1) is closed: no join codes are issued for it.")
        assert refused.value.message == expected
        assert _codes(round) == []


def test_join_url_is_the_contract_with_the_on_site_scoring_route():
    assert JOIN_PATH == "/join"
    assert join_url("ABCDE-FGHJK", "https://kaimen.example/") == "https://kaimen.example/join?code=ABCDE-FGHJK"
    assert join_url("ABCDE-FGHJK", "http://10.0.0.5:8000/kaimen") == "http://10.0.0.5:8000/kaimen/join?code=ABCDE-FGHJK"


# --------------------------------------------------------------------------- the screen


def _future_session(app) -> tuple[int, int, int]:
    """(round id, seated session id, empty session id), the seated session three days ahead."""
    with app.app_context():
        round, session, _ = seated_session()
        rounds.schedule_session(session=session, starts_at=utcnow() + timedelta(days=3), place="三楼会议室")
        empty = next(s for s in round.sessions if s.unit.code == "SCH-E2")
        db.session.commit()
        return round.id, session.id, empty.id


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(JoinCode.id)))


def _as(role, make_user, login, client):
    make_user(role, username="office")
    login("office")
    client.set_cookie("kaimen_lang", "en")


def test_staff_print_the_sheet_as_a_pdf_attachment_and_codes_are_issued(app, client, make_user, login):
    round_id, session_id, _empty = _future_session(app)
    _as("staff", make_user, login, client)
    plan_page = client.get(f"/staff/rounds/{round_id}/plan").get_data(as_text=True)
    assert plan_page.count("Print the session sheet (PDF)") == 1  # only the seated session offers it
    assert f'action="/staff/rounds/{round_id}/sessions/{session_id}/sheet"' in plan_page
    token = csrf_token(client, f"/staff/rounds/{round_id}/plan")

    response = client.post(f"/staff/rounds/{round_id}/sessions/{session_id}/sheet", data={"csrf_token": token})

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename="session-sheet-SCH-E1.pdf"'
    assert response.headers["Cache-Control"] == "no-store"
    assert response.data.startswith(b"%PDF-")
    assert _count(app) == 2


def test_the_sheet_cannot_be_fetched_by_get(app, client, make_user, login):
    round_id, session_id, _empty = _future_session(app)
    _as("staff", make_user, login, client)
    assert client.get(f"/staff/rounds/{round_id}/sessions/{session_id}/sheet").status_code == 405
    assert _count(app) == 0


def test_printing_needs_the_csrf_token(app, client, make_user, login):
    round_id, session_id, _empty = _future_session(app)
    _as("staff", make_user, login, client)
    assert client.post(f"/staff/rounds/{round_id}/sessions/{session_id}/sheet", data={}).status_code == 400
    assert _count(app) == 0


def test_a_representative_may_not_print_the_sheet(app, client, make_user, login):
    round_id, session_id, _empty = _future_session(app)
    _as(Role.REPRESENTATIVE, make_user, login, client)
    token = csrf_token(client, "/")
    response = client.post(f"/staff/rounds/{round_id}/sessions/{session_id}/sheet", data={"csrf_token": token})
    assert response.status_code == 403
    assert _count(app) == 0


def test_a_session_without_a_panel_is_refused_with_a_message(app, client, make_user, login):
    round_id, _session_id, empty_id = _future_session(app)
    _as("staff", make_user, login, client)
    token = csrf_token(client, f"/staff/rounds/{round_id}/plan")
    response = client.post(f"/staff/rounds/{round_id}/sessions/{empty_id}/sheet", data={"csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/staff/rounds/{round_id}/plan")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The panel of SCH-E2 (SCH-E2) is empty: seat its raters before printing the session sheet." in page
    assert _count(app) == 0


def test_a_session_of_another_round_is_not_found(app, client, make_user, login):
    round_id, session_id, _empty = _future_session(app)
    with app.app_context():
        other = committee_round().id
        db.session.commit()
    _as("staff", make_user, login, client)
    token = csrf_token(client, f"/staff/rounds/{round_id}/plan")
    assert client.post(f"/staff/rounds/{other}/sessions/{session_id}/sheet",
                       data={"csrf_token": token}).status_code == 404
    assert _count(app) == 0
    with app.app_context():
        assert db.session.get(ReportSession, session_id).round_id == round_id
