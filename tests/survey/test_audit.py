"""The audit log: a linear hash chain in one canonical form on SQLite and PostgreSQL, refused
UPDATE and DELETE, tampering named by verify (audit rows, score rows, removed entries), one chain
under concurrent writers, and an entry for every hooked event."""

from __future__ import annotations

import hashlib
import threading
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from survey.extensions import db
from survey.models import (
    GENESIS,
    AuditEntry,
    AuditHead,
    Publication,
    ReportSession,
    Role,
    Round,
    RoundRater,
    Scorecard,
    ScoreEntry,
    User,
)
from survey.services import accounts, audit, conflicts, scoring_sessions
from survey.services import scorecards as sc
from tests.conftest import csrf_token, fresh_postgres_database
from tests.survey.round_builders import seed_round
from tests.survey.scoring_builders import full_entries, open_round, open_session, seated


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app


def _entries(action: str | None = None, after: int = 0) -> list[AuditEntry]:
    db.session.expire_all()
    query = select(AuditEntry).where(AuditEntry.id > after).order_by(AuditEntry.id)
    if action:
        query = query.where(AuditEntry.action == action)
    return list(db.session.scalars(query))


def _last_id() -> int:
    return db.session.scalar(select(func.max(AuditEntry.id))) or 0


def drop_append_only_triggers() -> None:
    """What a malicious DBA would do first (rolled back with the test's transaction)."""
    if db.session.connection().dialect.name == "sqlite":
        db.session.execute(text("DROP TRIGGER audit_entries_no_update"))
        db.session.execute(text("DROP TRIGGER audit_entries_no_delete"))
    else:
        db.session.execute(text("DROP TRIGGER audit_entries_no_change ON audit_entries"))


def _three(now=None) -> list[AuditEntry]:
    return [audit.record("test.event", subject_type="thing", subject_id=n, actor_label="cli",
                         details={"n": n}, now=now) for n in range(3)]


# --------------------------------------------------------------------------- the chain


def test_appended_entries_form_a_linked_chain_and_verify_passes(ctx):
    start_head, start_id = audit.head(), _last_id()
    first, second, third = _three()
    assert [e.id for e in (first, second, third)] == [start_id + 1, start_id + 2, start_id + 3]
    assert first.prev_hash == start_head
    assert (second.prev_hash, third.prev_hash) == (first.entry_hash, second.entry_hash)
    assert audit.head() == third.entry_hash
    head_row = db.session.get(AuditHead, 1)
    assert (head_row.last_entry_id, head_row.last_hash) == (third.id, third.entry_hash)
    db.session.commit()

    check = audit.verify()
    assert check.ok and check.chain_ok, check.problems()
    assert check.checked == third.id and check.head == third.entry_hash
    assert check.first_broken is None and check.reason == ""


def test_an_entry_names_its_actor(ctx, make_user):
    user = db.session.get(User, make_user("staff", username="clerk"))
    by_user = audit.record("test.event", subject_type="thing", subject_id=1, actor=user)
    by_label = audit.record("test.event", subject_type="thing", subject_id=2, actor_label="rater:7")
    with audit.acting_as("cli"):
        by_context = audit.record("test.event", subject_type="thing", subject_id=3)
    nobody = audit.record("test.event", subject_type="thing", subject_id=4)
    assert (by_user.actor, by_user.actor_user_id) == ("clerk", user.id)
    assert (by_label.actor, by_label.actor_user_id) == ("rater:7", None)
    assert (by_context.actor, nobody.actor) == ("cli", "system")


CANONICAL = (
    '{"action":"test.event","actor":"rater:5","actor_user_id":null,"at":"2014-06-09T09:38:12.345678+00:00",'
    '"details":{"1":true,"big":100000000000000000000,"codes":["A01","A02"],"half":2.5,"n":3,'
    '"note":"隆盛泰 \\"quoted\\"","tiny":1.5e-07,"when":"2014-06-09T01:00:00.000000+00:00"},'
    '"id":ID,"kaimen_audit":1,"subject_id":"12","subject_type":"thing"}'
)
BEIJING = ZoneInfo("Asia/Shanghai")
AT = datetime(2014, 6, 9, 17, 38, 12, 345678, tzinfo=BEIJING)
DETAILS = {"note": '隆盛泰 "quoted"', "n": 3.0, "half": 2.5, "big": 1e20, "tiny": 1.5e-7, "codes": ("A01", "A02"),
           1: True, "when": datetime(2014, 6, 9, 9, 0, tzinfo=BEIJING)}


def test_the_canonical_form_is_sorted_compact_utf8_with_utc_microseconds():
    document = audit.entry_document(id=7, at=AT, actor_user_id=None, actor="rater:5", action="test.event",
                                    subject_type="thing", subject_id=12, details=DETAILS)
    assert document == CANONICAL.replace("ID", "7")
    assert audit.chain_hash(GENESIS, document) == hashlib.sha256((GENESIS + document).encode("utf-8")).hexdigest()
    with pytest.raises(ValueError):
        audit.canonical_json({"x": float("nan")})
    with pytest.raises(TypeError):
        audit.canonical_json({"x": object()})


def test_a_stored_entry_gives_the_same_canonical_form_after_the_round_trip(ctx, backend):
    """The same document on SQLite (JSON text) and PostgreSQL (JSONB, timestamptz)."""
    entry = audit.record("test.event", subject_type="thing", subject_id=12, actor_label="rater:5",
                         details=DETAILS, now=AT)
    entry_id, stored_hash = entry.id, entry.entry_hash
    db.session.commit()
    db.session.expunge_all()
    row = db.session.execute(select(AuditEntry).where(AuditEntry.id == entry_id)).scalar_one()
    assert row.at == AT and row.at.utcoffset() == timedelta(0)
    document = audit.entry_document(id=row.id, at=row.at, actor_user_id=row.actor_user_id, actor=row.actor,
                                    action=row.action, subject_type=row.subject_type, subject_id=row.subject_id,
                                    details=row.details)
    assert document == CANONICAL.replace("ID", str(entry_id))
    assert audit.hash_of(row) == stored_hash == audit.chain_hash(row.prev_hash, document)
    assert audit.verify().ok


def test_update_and_delete_on_the_log_are_refused_by_the_database(ctx):
    entry = _three()[1]
    db.session.commit()
    for statement in (text("UPDATE audit_entries SET actor = 'someone else' WHERE id = :id"),
                      text("DELETE FROM audit_entries WHERE id = :id")):
        with pytest.raises(DBAPIError, match="append-only"), db.session.begin_nested():
            db.session.execute(statement, {"id": entry.id})
    assert [e.actor for e in _entries(after=entry.id - 1)][:1] == ["cli"]
    assert audit.verify().ok


# --------------------------------------------------------------------------- tampering


def test_a_changed_audit_row_is_named(ctx):
    entries = _three()
    db.session.commit()
    drop_append_only_triggers()
    db.session.execute(update(AuditEntry.__table__).where(AuditEntry.id == entries[1].id)
                       .values(details={"n": 99}))
    db.session.expire_all()

    check = audit.verify()
    assert not check.ok and not check.chain_ok
    assert check.first_broken.id == entries[1].id and check.problem == "changed"
    assert "content was changed" in check.reason
    assert check.problems()[0].startswith(f"entry #{entries[1].id}: ")


def test_a_changed_time_or_actor_is_named(ctx):
    entries = _three(now=AT)
    db.session.commit()
    drop_append_only_triggers()
    db.session.execute(update(AuditEntry.__table__).where(AuditEntry.id == entries[0].id)
                       .values(at=AT + timedelta(microseconds=1)))
    db.session.execute(update(AuditEntry.__table__).where(AuditEntry.id == entries[2].id).values(actor="admin"))
    check = audit.verify()
    assert (check.first_broken.id, check.problem) == (entries[0].id, "changed")


def test_a_changed_and_rehashed_row_breaks_the_link_of_the_next(ctx):
    """Recomputing the changed entry's own hash does not help: the next entry still points to the old one."""
    entries = _three()
    db.session.commit()
    drop_append_only_triggers()
    forged = entries[1]
    new_hash = audit.chain_hash(forged.prev_hash, audit.entry_document(
        id=forged.id, at=forged.at, actor_user_id=None, actor=forged.actor, action=forged.action,
        subject_type=forged.subject_type, subject_id=forged.subject_id, details={"n": 99}))
    db.session.execute(update(AuditEntry.__table__).where(AuditEntry.id == forged.id)
                       .values(details={"n": 99}, entry_hash=new_hash))
    check = audit.verify()
    assert (check.first_broken.id, check.problem) == (entries[2].id, "link")
    assert f"#{forged.id}" in check.reason


def test_a_deleted_entry_is_reported_as_a_gap(ctx):
    entries = _three()
    db.session.commit()
    drop_append_only_triggers()
    db.session.execute(delete(AuditEntry).where(AuditEntry.id == entries[1].id))

    check = audit.verify()
    assert not check.ok
    assert (check.first_broken.id, check.problem) == (entries[2].id, "gap")
    assert f"entry #{entries[1].id} is missing" in check.reason


def test_a_deleted_last_entry_is_reported_against_the_head(ctx):
    entries = _three()
    db.session.commit()
    drop_append_only_triggers()
    db.session.execute(delete(AuditEntry).where(AuditEntry.id == entries[2].id))

    check = audit.verify()
    assert (check.first_broken.id, check.problem) == (entries[1].id, "head")
    assert f"the head names entry #{entries[2].id}" in check.reason


def test_an_entry_slipped_in_at_the_end_is_reported(ctx):
    entries = _three()
    db.session.commit()
    last = entries[-1]
    fields = {"id": last.id + 1, "at": last.at, "actor_user_id": None, "actor": "admin", "action": "test.event",
              "subject_type": "thing", "subject_id": "9", "details": {}}
    db.session.add(AuditEntry(**fields, prev_hash=last.entry_hash,
                              entry_hash=audit.chain_hash(last.entry_hash, audit.entry_document(**fields))))
    db.session.flush()
    check = audit.verify()
    assert (check.first_broken.id, check.problem) == (last.id + 1, "head")


@pytest.fixture
def submitted(ctx):
    """An open session with two submitted scorecards."""
    session = open_session(open_round())
    cards = [sc.submit_scorecard(rater=rater, session=session, entries=full_entries(session))
             for rater in seated(session)[:2]]
    db.session.commit()
    return session, cards


def test_a_score_changed_in_the_database_is_reported_with_its_scorecard(submitted):
    session, (card, _other) = submitted
    assert audit.verify().ok
    db.session.execute(text("UPDATE score_entries SET points = points + 1 WHERE scorecard_id = :card "
                            "AND criterion = :criterion"), {"card": card.id, "criterion": "A01.1"})
    db.session.expire_all()

    check = audit.verify()
    assert check.chain_ok and not check.ok
    assert [m.scorecard_id for m in check.scorecards] == [card.id]
    mismatch = check.scorecards[0]
    assert (mismatch.round_id, mismatch.unit, mismatch.rater_id) == (card.round_id, session.unit.code, card.rater_id)
    assert "changed after it was submitted" in mismatch.reason
    assert f"scorecard #{card.id} " in check.problems()[0]


def test_a_changed_stored_receipt_or_a_removed_scorecard_is_reported(submitted):
    _session, (card, other) = submitted
    db.session.execute(update(Scorecard.__table__).where(Scorecard.id == card.id).values(receipt="0" * 64))
    db.session.execute(delete(ScoreEntry).where(ScoreEntry.scorecard_id == other.id))
    db.session.execute(delete(Scorecard).where(Scorecard.id == other.id))
    db.session.expire_all()
    check = audit.verify()
    reasons = {m.scorecard_id: m.reason for m in check.scorecards}
    assert "stored receipt" in reasons[card.id]
    assert "removed from the database" in reasons[other.id]


def test_a_scorecard_submitted_behind_the_log_is_reported(submitted):
    session, _cards = submitted
    rater = seated(session)[2]
    sc.apply_changes(rater=rater, session=session, entries=full_entries(session))
    card = sc.scorecard_for(rater=rater, session=session)
    db.session.execute(update(Scorecard.__table__).where(Scorecard.id == card.id)
                       .values(status="submitted", receipt=sc.receipt_of(card)))
    db.session.expire_all()
    check = audit.verify()
    assert [m.scorecard_id for m in check.scorecards] == [card.id]
    assert "no submission of it is in the audit log" in check.scorecards[0].reason


def test_a_publication_whose_head_left_the_chain_is_reported(ctx):
    round = seed_round()
    _three()
    db.session.add(Publication(round_id=round.id, version=1, snapshot={}, audit_head=audit.head()))
    db.session.flush()
    assert audit.verify().ok
    db.session.add(Publication(round_id=round.id, version=2, snapshot={}, audit_head="ab" * 32))
    db.session.flush()
    check = audit.verify()
    assert check.chain_ok and not check.ok
    assert "no longer in the chain" in check.publications[0]


# --------------------------------------------------------------------------- concurrent writers


@pytest.fixture
def fresh_database(database_url, tmp_path):
    """A database of its own (the committed entries of this test cannot be rolled back or deleted)."""
    if make_url(database_url).get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'audit-concurrent.sqlite3'}"
        return
    with fresh_postgres_database("kaimen_audit") as url:
        yield url


def test_concurrent_writers_form_one_linear_chain(fresh_database, tmp_path):
    from flask_migrate import upgrade

    from survey import create_app

    app = create_app({"DATABASE_URL": fresh_database, "INSTANCE_PATH": str(tmp_path)})
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
    writers, per_writer = 6, 8
    barrier = threading.Barrier(writers, timeout=30)
    failures = []

    def write(n: int) -> None:
        barrier.wait()
        for i in range(per_writer):
            with app.app_context():
                try:
                    audit.record("test.event", subject_type="writer", subject_id=n, actor_label=f"writer:{n}",
                                 details={"i": i})
                    time.sleep(0.005)  # hold the head a moment: the others must wait, not fork
                    db.session.commit()
                except Exception as exc:  # noqa: BLE001 - any failure fails the test below
                    db.session.rollback()
                    failures.append(repr(exc))

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        with app.app_context():
            assert failures == []
            rows = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
            assert [r.id for r in rows] == list(range(1, writers * per_writer + 1))
            assert [r.prev_hash for r in rows] == [GENESIS] + [r.entry_hash for r in rows[:-1]]
            assert len({r.actor for r in rows}) == writers
            check = audit.verify()
            assert check.ok and check.checked == writers * per_writer, check.problems()
    finally:
        with app.app_context():
            db.engine.dispose()


# --------------------------------------------------------------------------- hooked events


def test_login_failed_login_and_logout_are_recorded(app, client, make_user, login):
    user_id = make_user("staff", username="ning")
    with app.app_context():
        start = _last_id()
    login("ning", "wrong-password-1")
    login("nobody", "typed-my-password-here")
    login("ning")
    client.post("/logout", data={"csrf_token": csrf_token(client, "/dashboard")})
    with app.app_context():
        entries = _entries(after=start)
        assert [e.action for e in entries] == ["login.failed", "login.failed", "login", "logout"]
        wrong, unknown, ok, out = entries
        assert (wrong.actor, wrong.subject_id, wrong.details["cause"]) == ("anonymous", str(user_id), "password")
        assert (unknown.subject_id, unknown.details["cause"]) == ("-", "unknown user")
        assert "typed-my-password-here" not in audit.canonical_json(unknown.details) + unknown.subject_id
        assert "nobody" not in audit.canonical_json(unknown.details)
        assert (ok.actor, ok.actor_user_id, ok.subject_id) == ("ning", user_id, str(user_id))
        assert ok.details["address"] == "127.0.0.1"
        assert (out.actor, out.actor_user_id) == ("ning", user_id)
        assert audit.verify().ok


def test_user_creation_role_changes_and_disabling_are_recorded(app, client, make_user, login):
    admin_id = make_user("admin", username="boss")
    login("boss")
    token = csrf_token(client, "/staff/users")
    with app.app_context():
        start = _last_id()
    client.post("/staff/users", data={"csrf_token": token, "username": "newbie", "role": "staff",
                                      "password": "a-long-password", "confirm": "a-long-password",
                                      "display_name": ""})
    with app.app_context():
        target = db.session.scalar(select(User).where(User.username == "newbie"))
        assert target is not None
        target_id = target.id
    client.post(f"/staff/users/{target_id}/enabled", data={"csrf_token": token})
    with app.app_context():
        accounts.set_user_role(user=db.session.get(User, target_id), role=Role.EVALUATOR,
                               by=db.session.get(User, admin_id))
        accounts.set_user_role(user=db.session.get(User, target_id), role=Role.EVALUATOR)  # no change, no entry
        db.session.commit()
        entries = _entries(after=start)
        assert [(e.action, e.actor, e.subject_id) for e in entries] == [
            ("user.create", "boss", str(target_id)),
            ("user.enabled", "boss", str(target_id)),
            ("user.role", "boss", str(target_id)),
        ]
        assert entries[0].details == {"username": "newbie", "role": "staff"}
        assert entries[1].details == {"username": "newbie", "enabled": False}
        assert entries[2].details == {"username": "newbie", "from": "staff", "to": "evaluator"}
        assert db.session.get(User, target_id).role is Role.EVALUATOR
        assert audit.verify().ok


def test_a_submission_is_recorded_once_and_a_reopening_with_its_reason(ctx, make_user):
    staff_id = make_user("staff", username="desk")
    session = open_session(open_round())
    rater = seated(session)[0]
    start = _last_id()
    card = sc.submit_scorecard(rater=rater, session=session, entries=full_entries(session))
    sc.submit_scorecard(rater=rater, session=session, entries=full_entries(session))  # a retry: no new entry
    staff = db.session.get(User, staff_id)
    start_reopen = _last_id()
    receipt = card.receipt
    sc.reopen_scorecard(scorecard=card, reason="typed 5 for 15", by=staff)
    submits = _entries("score.submit", after=start)
    assert len(submits) == 1
    entry = submits[0]
    assert (entry.subject_type, entry.subject_id, entry.actor) == ("scorecard", str(card.id), f"rater:{rater.id}")
    assert entry.details == {"round": session.round_id, "unit": session.unit.code, "rater": rater.id,
                             "session": session.id, "receipt": receipt}
    reopen = _entries(after=start_reopen)
    assert [(e.action, e.actor) for e in reopen] == [("score.reopen", "desk")]
    assert reopen[0].details == {"round": session.round_id, "unit": session.unit.code, "rater": rater.id,
                                 "reason": "typed 5 for 15", "previous_receipt": receipt}
    assert audit.verify().ok  # a reopened draft is not checked against its old receipt
    again = sc.submit_scorecard(rater=rater, session=session)
    assert _entries("score.submit", after=start)[-1].details["receipt"] == again.receipt
    assert audit.verify().ok


def test_refused_submissions_record_nothing(ctx):
    session = open_session(open_round())
    rater = seated(session)[0]
    start = _last_id()
    with pytest.raises(sc.Incomplete):
        sc.submit_scorecard(rater=rater, session=session, entries=full_entries(session)[:-1])
    db.session.rollback()
    assert _entries(after=start) == []


def test_recusals_are_recorded_without_their_free_text(ctx, make_user):
    staff_id = make_user("staff", username="desk")
    session = open_session(open_round())
    phone_rater, staff_rater = seated(session)[:2]
    sc.apply_changes(rater=phone_rater, session=session, entries=full_entries(session)[:1])
    start = _last_id()
    conflict = sc.declare_conflict(rater=phone_rater, session=session, reason="我的妻子王芳在该企业任职")
    sc.declare_conflict(rater=phone_rater, session=session, reason="again")  # kept once
    staff = db.session.get(User, staff_id)
    other_unit = sorted(session.round.sessions, key=lambda s: s.unit.code)[1].unit
    recorded = conflicts.record_conflict(round=session.round, rater=staff_rater, unit=other_unit,
                                         reason="前雇主：李明", recorded_by=staff)
    entries = _entries(after=start)
    assert [(e.action, e.actor, e.subject_type, e.subject_id) for e in entries] == [
        ("recusal.declared", f"rater:{phone_rater.id}", "conflict", str(conflict.id)),
        ("recusal.recorded", "desk", "conflict", str(recorded.id)),
    ]
    assert entries[0].details == {"round": session.round_id, "unit": session.unit.code, "rater": phone_rater.id,
                                  "kind": "declared", "seat_withdrawn": True, "draft_discarded": True}
    assert entries[1].details["kind"] == "relationship" and entries[1].details["unit"] == other_unit.code
    everything = audit.canonical_json([e.details for e in entries])
    assert "王芳" not in everything and "李明" not in everything
    assert audit.verify().ok


def test_removing_a_recorded_relationship_is_recorded(ctx, make_user):
    staff = db.session.get(User, make_user("staff", username="desk"))
    round = seed_round()
    rater = min(round.raters, key=lambda r: r.id)
    unit = max((ru.unit for ru in round.units), key=lambda u: u.code)
    record = conflicts.record_conflict(round=round, rater=rater, unit=unit, reason="误录", recorded_by=staff)
    conflict_id = record.id
    conflicts.remove_conflict(conflict=record, by=staff)
    entries = _entries("recusal.removed")
    assert (entries[-1].subject_id, entries[-1].actor, entries[-1].details["kind"]) == (
        str(conflict_id), "desk", "relationship")


def test_session_open_and_close_are_recorded_with_their_actor(app, client, make_user, login):
    make_user("staff", username="office")
    login("office")
    with app.app_context():
        round = open_round()
        session = min(round.sessions, key=lambda s: s.unit.code)
        db.session.commit()
        ids, code = (round.id, session.id), session.unit.code
        start = _last_id()
    control = f"/staff/rounds/{ids[0]}/sessions/{ids[1]}"
    token = csrf_token(client, control)
    client.post(control + "/open", data={"csrf_token": token})
    client.post(control + "/close", data={"csrf_token": token, "confirm": "y"})
    cli = app.test_cli_runner().invoke(args=["round", "session", "open", str(ids[0]), code])
    assert cli.exit_code == 0, cli.output
    with app.app_context():
        entries = _entries(after=start)
        assert [(e.action, e.actor, e.subject_id) for e in entries] == [
            ("session.open", "office", str(ids[1])),
            ("session.close", "office", str(ids[1])),
            ("session.open", "cli", str(ids[1])),
        ]
        assert entries[0].details == {"round": ids[0], "unit": code, "again": False}
        assert entries[1].details == {"round": ids[0], "unit": code, "submitted": 0, "unfinished": 0}
        assert entries[2].details["again"] is True
        assert audit.verify().ok


def test_a_session_opened_by_a_service_without_a_user_names_the_system(ctx):
    round = open_round()
    session = min(round.sessions, key=lambda s: s.unit.code)
    now = datetime(2026, 6, 1, 9, tzinfo=UTC)
    scoring_sessions.open_session(session=session, now=now)
    entry = _entries("session.open")[-1]
    assert (entry.actor, entry.at) == ("system", now)


def test_the_demo_history_is_in_the_log(ctx):
    from survey.services import rounds
    from tests.survey.round_builders import representatives, seed_world

    start = _last_id()
    representatives(seed_world())
    rounds.load_demo_round()
    round = db.session.scalar(select(Round).where(Round.name == rounds.DEMO_ROUND_NAME))
    entries = _entries(after=start)
    counts = {}
    for entry in entries:
        counts[entry.action] = counts.get(entry.action, 0) + 1
    cards = db.session.scalar(select(func.count()).select_from(Scorecard).where(Scorecard.round_id == round.id))
    sessions = len(round.sessions)
    assert counts == {"session.open": sessions, "session.close": sessions, "score.submit": cards,
                      "recusal.declared": 2}
    assert all(e.actor == "demo" for e in entries if e.action.startswith("session."))
    submitted = [e for e in entries if e.action == "score.submit"]
    raters = {r.id for r in db.session.scalars(select(RoundRater).where(RoundRater.round_id == round.id))}
    assert all(e.actor == f"rater:{e.details['rater']}" and e.details["rater"] in raters for e in submitted)
    june_2014 = (datetime(2014, 6, 1, tzinfo=UTC), datetime(2014, 7, 1, tzinfo=UTC))
    assert all(june_2014[0] <= e.at < june_2014[1] for e in entries)  # at their time in the story
    first_session = db.session.get(ReportSession, int(entries[0].subject_id))
    assert entries[0].at == first_session.opened_at
    check = audit.verify()
    assert check.ok, check.problems()
