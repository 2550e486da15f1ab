"""``kaimen audit verify`` and ``kaimen audit tail``: an intact chain is confirmed with its head;
a changed audit row, a removed entry or a changed score ends with exit code 1 and names it."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import delete, select, text, update

from survey.extensions import db
from survey.models import AuditEntry
from survey.services import audit
from survey.services import scorecards as sc
from tests.survey.scoring_builders import full_entries, open_round, open_session, seated
from tests.survey.test_audit import drop_append_only_triggers


def _run(app, *args):
    return app.test_cli_runner().invoke(args=["audit", *map(str, args)])


@pytest.fixture
def logged(app):
    """A scored session: opened, two scorecards submitted; returns ids for the tests."""
    with app.app_context():
        session = open_session(open_round())
        cards = [sc.submit_scorecard(rater=r, session=session, entries=full_entries(session))
                 for r in seated(session)[:2]]
        db.session.commit()
        entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        return {"cards": [c.id for c in cards], "unit": session.unit.code, "round": session.round_id,
                "entries": [e.id for e in entries], "head": audit.head()}


def test_verify_confirms_an_intact_chain_with_its_head(app, logged):
    result = _run(app, "verify")
    assert result.exit_code == 0, result.output
    assert result.output == f"audit chain OK: {len(logged['entries'])} entries, head {logged['head']}\n"


def test_verify_names_a_changed_audit_row_and_exits_1(app, logged):
    target = logged["entries"][1]
    with app.app_context():
        drop_append_only_triggers()
        db.session.execute(update(AuditEntry.__table__).where(AuditEntry.id == target)
                           .values(details={"receipt": "0" * 64}))
        db.session.commit()
    result = _run(app, "verify")
    assert result.exit_code == 1
    assert "audit chain OK" not in result.output
    assert re.search(rf"^Error: entry #{target}: its content was changed", result.output, re.MULTILINE), result.output


def test_verify_reports_a_removed_entry(app, logged):
    target = logged["entries"][1]
    with app.app_context():
        drop_append_only_triggers()
        db.session.execute(delete(AuditEntry).where(AuditEntry.id == target))
        db.session.commit()
    result = _run(app, "verify")
    assert result.exit_code == 1
    assert f"Error: entry #{target + 1}: entry #{target} is missing" in result.output


def test_verify_reports_a_score_changed_in_the_database(app, logged):
    card = logged["cards"][0]
    with app.app_context():
        db.session.execute(text("UPDATE score_entries SET points = 0 WHERE scorecard_id = :card"), {"card": card})
        db.session.commit()
    result = _run(app, "verify")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].startswith("audit chain OK: ")
    assert lines[1] == "Error: the database no longer matches the audit log:"
    assert lines[2].startswith(f"  scorecard #{card} (round {logged['round']}, unit {logged['unit']}, rater ")
    assert "changed after it was submitted" in lines[2]
    assert len(lines) == 3  # the other scorecard is fine


def test_tail_prints_the_latest_entries_oldest_first(app, logged):
    result = _run(app, "tail", "-n", 2)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 2
    first, last = logged["entries"][-2:]
    assert lines[0].startswith(f"#{first}  ") and lines[1].startswith(f"#{last}  ")
    assert "score.submit  scorecard" in lines[1] and '"receipt":"' in lines[1]
    assert re.search(r"#\d+  \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC  rater:\d+  score\.submit", lines[1])

    default = _run(app, "tail").output.splitlines()
    assert len(default) == min(20, logged["entries"][-1])
    opened = _run(app, "tail", "--action", "session.open").output.splitlines()
    assert len(opened) == 1 and "  session.open  session " in opened[0]
    assert _run(app, "tail", "--action", "nothing.like.this").output == "The audit log has no nothing.like.this entries.\n"
    assert _run(app, "tail", "-n", 0).exit_code == 2


def test_commands_that_change_data_are_recorded_as_the_command_line(app):
    with app.app_context():
        start = db.session.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1)) or 0
    created = app.test_cli_runner().invoke(
        args=["create-user", "--role", "staff", "--username", "liu", "--password-stdin"], input="a-long-password\n")
    assert created.exit_code == 0, created.output
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.id > start)).all()
        assert [(e.action, e.actor, e.details) for e in entries] == [
            ("user.create", "cli", {"username": "liu", "role": "staff"})]
    assert _run(app, "verify").exit_code == 0
