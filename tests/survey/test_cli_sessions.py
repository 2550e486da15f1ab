"""``kaimen round session open|close`` and ``kaimen round codes``: output, exit codes, nothing
changed on refusal."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from survey.extensions import db
from survey.models import JoinCode, ReportSession, SessionStatus
from survey.models.base import utcnow
from survey.services import join_codes, plans
from survey.services import scorecards as sc
from tests.survey.round_builders import seed_round
from tests.survey.scoring_builders import full_entries, open_round, open_session, seated


def _run(app, *args):
    return app.test_cli_runner().invoke(args=[*map(str, args)])


def _session(app, session_id) -> ReportSession:
    db.session.expire_all()
    return db.session.get(ReportSession, session_id)


def _codes(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(JoinCode))


@pytest.fixture
def scored(app):
    """An open round; its first session (by unit code) still scheduled."""
    with app.app_context():
        round = open_round()
        session = min(round.sessions, key=lambda s: s.unit.code)
        db.session.commit()
        return {"round": round.id, "session": session.id, "unit": session.unit.code,
                "label": f"{session.unit.code} {session.unit.name_zh}"}


def test_session_open_and_close_print_the_outcome(app, scored):
    opened = _run(app, "round", "session", "open", scored["round"], scored["unit"].lower())

    assert opened.exit_code == 0, opened.output
    assert opened.output == f"Scoring of {scored['label']} is open (round {scored['round']}).\n"
    with app.app_context():
        session = _session(app, scored["session"])
        assert session.status is SessionStatus.OPEN
        raters = seated(session)
        for rater in raters[:2]:
            sc.submit_scorecard(rater=rater, session=session, entries=full_entries(session))
        sc.apply_changes(rater=raters[2], session=session, entries=full_entries(session)[:1])
        sc.apply_changes(rater=raters[3], session=session, entries=full_entries(session)[:3])
        drafts = sorted([(raters[2].name, 1), (raters[3].name, 3)])
        db.session.commit()

    closed = _run(app, "round", "session", "close", scored["round"], scored["unit"])

    assert closed.exit_code == 0, closed.output
    assert closed.output.splitlines() == [
        f"Scoring of {scored['label']} is closed (round {scored['round']}): 2 scorecards submitted.",
        "2 unfinished drafts are not counted:",
        *[f"  {name} ({filled} of 4 criteria filled)" for name, filled in drafts],
    ]
    with app.app_context():
        assert _session(app, scored["session"]).status is SessionStatus.CLOSED

    reopened = _run(app, "round", "session", "open", scored["round"], scored["unit"])
    assert reopened.output == f"Scoring of {scored['label']} is open again (round {scored['round']}).\n"


def test_closing_with_no_drafts_says_so(app, scored):
    assert _run(app, "round", "session", "open", scored["round"], scored["unit"]).exit_code == 0

    closed = _run(app, "round", "session", "close", scored["round"], scored["unit"])

    assert closed.output.splitlines() == [
        f"Scoring of {scored['label']} is closed (round {scored['round']}): 0 scorecards submitted.",
        "No unfinished drafts.",
    ]


def test_session_commands_refuse_twice_and_change_nothing(app, scored):
    closed = _run(app, "round", "session", "close", scored["round"], scored["unit"])
    assert closed.exit_code == 1
    assert closed.output.startswith("Error: Scoring of ") and "is not open, so it cannot be closed." in closed.output
    with app.app_context():
        assert _session(app, scored["session"]).status is SessionStatus.SCHEDULED

    assert _run(app, "round", "session", "open", scored["round"], scored["unit"]).exit_code == 0
    with app.app_context():
        opened_at = _session(app, scored["session"]).opened_at
    again = _run(app, "round", "session", "open", scored["round"], scored["unit"])
    assert again.exit_code == 1
    assert again.output.startswith("Error: Scoring of ") and again.output.endswith("is already open.\n")
    with app.app_context():
        session = _session(app, scored["session"])
        assert (session.status, session.opened_at) == (SessionStatus.OPEN, opened_at)


@pytest.mark.parametrize("command", [("session", "open"), ("session", "close"), ("codes",)])
def test_bad_round_or_unit_is_an_error_line(app, scored, command):
    missing = _run(app, "round", *command, 999, scored["unit"], "--base-url", "https://k.example.org") \
        if command == ("codes",) else _run(app, "round", *command, 999, scored["unit"])
    assert (missing.exit_code, missing.output) == (1, "Error: There is no round 999.\n")

    extra = ["--base-url", "https://k.example.org"] if command == ("codes",) else []
    unknown = _run(app, "round", *command, scored["round"], "XX-9", *extra)
    assert unknown.exit_code == 1
    assert unknown.output == f"Error: Round {scored['round']} has no report session for the unit XX-9.\n"

    not_a_number = _run(app, "round", *command, "abc", scored["unit"], *extra)
    assert not_a_number.exit_code == 2 and "'abc' is not a valid integer" in not_a_number.output
    with app.app_context():
        assert _session(app, scored["session"]).status is SessionStatus.SCHEDULED
    assert _codes(app) == 0


def test_session_open_is_refused_while_the_round_is_set_up(app):
    with app.app_context():
        round = seed_round()
        plans.solve_plan(round=round)
        session = min(round.sessions, key=lambda s: s.unit.code)
        db.session.commit()
        round_id, session_id, code = round.id, session.id, session.unit.code

    refused = _run(app, "round", "session", "open", round_id, code)

    assert refused.exit_code == 1
    assert refused.output.startswith("Error: Open the round before opening the scoring of ")
    with app.app_context():
        assert _session(app, session_id).status is SessionStatus.SCHEDULED


# --------------------------------------------------------------------------- join codes by message


@pytest.fixture
def upcoming(app, scored):
    """The first session moved to tomorrow, so that its codes are still valid."""
    with app.app_context():
        session = _session(app, scored["session"])
        session.starts_at = utcnow() + timedelta(days=1)
        db.session.commit()
    return scored


def test_codes_prints_a_fresh_code_and_link_per_panel_member(app, upcoming):
    first = _run(app, "round", "codes", upcoming["round"], upcoming["unit"], "--base-url", "https://k.example.org/")
    second = _run(app, "round", "codes", upcoming["round"], upcoming["unit"], "--base-url", "https://k.example.org/")

    assert second.exit_code == 0, second.output
    head, *lines = second.output.splitlines()
    with app.app_context():
        members = sorted((m.rater.name, m.rater_id) for m in _session(app, upcoming["session"]).members)
    assert head.startswith(f"Round {upcoming['round']}, {upcoming['label']}: {len(members)} new join codes, "
                           "valid until ")
    assert head.endswith("(Asia/Shanghai). Earlier unused codes no longer work.")
    assert len(lines) == len(members)
    pattern = re.compile(r"^(.+)\t([0-9A-Z]{5}-[0-9A-Z]{5})\thttps://k\.example\.org/join\?code=\2$")
    found = [pattern.match(line) for line in lines]
    assert all(found), lines
    assert [m.group(1) for m in found] == [name for name, _id in members]
    with app.app_context():
        for match in found:
            assert join_codes.find_valid_join_code(code=match.group(2)) is not None
        for line in first.output.splitlines()[1:]:  # the first batch stopped working
            assert join_codes.find_valid_join_code(code=line.split("\t")[1]) is None
    assert _codes(app) == 2 * len(members)


def test_codes_take_the_base_url_from_the_configuration(app, upcoming, monkeypatch):
    monkeypatch.setitem(app.config, "BASE_URL", "http://10.0.0.5:8000")

    result = _run(app, "round", "codes", upcoming["round"], upcoming["unit"])

    assert result.exit_code == 0, result.output
    assert all("\thttp://10.0.0.5:8000/join?code=" in line for line in result.output.splitlines()[1:])


@pytest.mark.parametrize(("args", "message"), [
    ((), ("Error: give --base-url, the address phones open (e.g. https://kaimen.example.org), "
         "or set KAIMEN_BASE_URL.\n")),
    (("--base-url", "kaimen.example.org"),
     "Error: --base-url must be an http:// or https:// address, not kaimen.example.org.\n"),
    (("--base-url", "https://k.example.org/?x=1"),
     "Error: --base-url must be an http:// or https:// address, not https://k.example.org/?x=1.\n"),
])
def test_codes_need_a_usable_base_url(app, upcoming, args, message):
    result = _run(app, "round", "codes", upcoming["round"], upcoming["unit"], *args)

    assert (result.exit_code, result.output) == (1, message)
    assert _codes(app) == 0


def test_codes_are_refused_for_a_closed_or_past_session(app, scored):
    with app.app_context():
        open_session(_session(app, scored["session"]).round)
        db.session.commit()
    past = _run(app, "round", "codes", scored["round"], scored["unit"], "--base-url", "https://k.example.org")
    assert past.exit_code == 1 and "is over: its join codes would already have expired." in past.output

    assert _run(app, "round", "session", "close", scored["round"], scored["unit"]).exit_code == 0
    closed = _run(app, "round", "codes", scored["round"], scored["unit"], "--base-url", "https://k.example.org")
    assert closed.exit_code == 1
    assert "is closed: no join codes are issued for it." in closed.output
    assert _codes(app) == 0
