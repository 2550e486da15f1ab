"""``kaimen round plan|conflicts|codes|composite``, ``kaimen round session open|close`` and ``kaimen raters import``.

Each command works in one transaction: it commits once when everything
succeeded and rolls back otherwise, so a refused file or an infeasible plan
stores nothing. Errors end with an ``Error:`` line (reasons on the indented
lines under it) and exit code 1.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from survey.cli import check_database_ready
from survey.extensions import db


def _refusal(summary: str, lines) -> click.ClickException:
    return click.ClickException("\n".join([summary, *(f"  {line}" for line in lines)]))


def _load_round(round_id: int):
    from survey.services.rounds import get_round

    round = get_round(round_id=round_id)
    if round is None:
        raise click.ClickException(f"There is no round {round_id}.")
    return round


@click.group("round")
def round_group():
    """Assessment rounds: panel plans, the conflict matrix, scoring sessions and composite inputs."""


@round_group.command("plan")
@click.argument("round_id", metavar="ROUND_ID", type=int)
@click.option("--time-limit", type=click.FloatRange(min=0.1, max=600), default=None,
              help="Seconds the solver may take (default: the round's panel settings, else 10).")
@with_appcontext
def plan_command(round_id: int, time_limit: float | None):
    """Form the panels of round ROUND_ID, store them and print them session by session."""
    from survey.labels import local_time
    from survey.services import plans
    from survey.services.errors import DomainError

    check_database_ready()
    round = _load_round(round_id)
    try:
        outcome = plans.solve_plan(round=round, time_limit=time_limit)
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    if not outcome.solved:
        db.session.rollback()
        raise _refusal(f"No plan for round {round_id}; nothing was stored:", outcome.explanations())
    db.session.commit()
    result = outcome.result
    click.echo(f"Round {round.id} \"{round.name}\": {outcome.mode} plan, {result.status.value} in "
               f"{result.solve_seconds:.2f} s; {outcome.stored} seats stored.")
    for plan in plans.session_plans(round=round):
        session = plan.session
        when = local_time(session.starts_at) or "no time"
        group = f" panel {plan.panel}" if plan.panel else ""
        click.echo(f"{session.unit.code} {session.unit.name_zh} | {when} | {session.place or 'no place'} |"
                   f"{group} {len(plan.members)} raters:")
        for member in plan.members:
            rater = member.rater
            home = rater.home_unit.code if rater.home_unit else "-"
            click.echo(f"  {rater.name} ({rater.rater_type.value}, {home})")
        for rater, verdict in plan.recused:
            click.echo(f"  not scoring: {rater.name} ({', '.join(verdict.codes)})")
    if result.repeats:
        click.echo(f"Repeated from earlier rounds: {len(result.repeats)} rater-unit pairs.")


@round_group.command("conflicts")
@click.argument("round_id", metavar="ROUND_ID", type=int)
@click.option("--out", type=click.Path(dir_okay=False, writable=True, path_type=Path), default=None,
              help="File to write (default: standard output).")
@with_appcontext
def conflicts_command(round_id: int, out: Path | None):
    """Write the conflict matrix of round ROUND_ID as CSV: one row per rater and unit."""
    from survey.services.conflicts import conflict_matrix, matrix_csv

    check_database_ready()
    matrix = conflict_matrix(round=_load_round(round_id))
    text = matrix_csv(matrix)
    if out is None:
        sys.stdout.write(text)
        return
    try:
        out.write_text(text, encoding="utf-8-sig")  # with a BOM so Excel reads the Chinese names
    except OSError as exc:
        raise click.ClickException(f"cannot write {out}: {exc.strerror or exc}") from None
    recused = len(matrix.recused())
    click.echo(f"Wrote {len(matrix.raters)} raters x {len(matrix.units)} units ({recused} recused pairs) to {out}.")


#: A composite inputs file is read whole; a real one is a few kilobytes.
COMPOSITE_MAX_BYTES = 2_000_000
#: Keys of a whole ``python -m scoring`` config that a composite object never has.
_CONFIG_KEYS = {"framework", "settings", "raters", "recusal"}


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a number JSON allows")


def _composite_from_file(file: Path) -> dict:
    """The composite object in FILE: the object itself, or a whole config's "composite" section."""
    import json

    from forms.uploads import load_json

    size = os.stat(file).st_size
    if size > COMPOSITE_MAX_BYTES:
        raise click.ClickException(f"{file.name} is {size} bytes; the limit is {COMPOSITE_MAX_BYTES} bytes.")
    try:
        text = file.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise click.ClickException(f"{file.name} is not UTF-8 text.") from None
    try:
        data = load_json(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise click.ClickException(
            f"{file.name}: line {exc.lineno} column {exc.colno}: invalid JSON: {exc.msg}.") from None
    except ValueError as exc:
        raise click.ClickException(f"{file.name}: invalid JSON: {exc}.") from None
    if isinstance(data, dict) and "composite" in data:
        if data["composite"] is None:
            raise click.ClickException(
                f"{file.name}: \"composite\" is null; to remove the round's composite inputs use --clear.")
        return data["composite"]
    if isinstance(data, dict) and _CONFIG_KEYS & set(data):
        raise click.ClickException(f"{file.name} is a scoring config without a \"composite\" section.")
    return data


@round_group.command("composite")
@click.argument("round_id", metavar="ROUND_ID", type=int)
@click.argument("file", metavar="[FILE.json]", required=False,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--clear", is_flag=True, help="Remove the round's composite inputs.")
@with_appcontext
def composite_command(round_id: int, file: Path | None, clear: bool):
    """Set the composite inputs of round ROUND_ID from FILE.json, or remove them with --clear.

    FILE.json holds the "composite" object of the python -m scoring config (open-door
    weight, and per unit code its target indicators and survey results), or a whole such
    config with a "composite" key. The inputs are checked as python -m scoring checks
    them, and every unit must be evaluated in the round; a refused file stores nothing."""
    from survey.services.composites import CompositeRejected, set_composite
    from survey.services.errors import DomainError

    if clear and file is not None:
        raise click.ClickException("give either FILE.json or --clear, not both.")
    if not clear and file is None:
        raise click.ClickException("give FILE.json with the composite inputs, or --clear to remove them.")
    data = None if clear else _composite_from_file(file)
    check_database_ready()
    round = _load_round(round_id)
    had = round.composite is not None
    try:
        set_composite(round=round, data=data)
        db.session.commit()
    except CompositeRejected as exc:
        db.session.rollback()
        noun = "problem" if len(exc.problems) == 1 else "problems"
        raise _refusal(f"The composite inputs of round {round_id} were not stored ({len(exc.problems)} {noun}):",
                       exc.problems) from None
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    if clear:
        click.echo(f"Round {round.id} \"{round.name}\": composite inputs removed." if had else
                   f"Round {round.id} \"{round.name}\" had no composite inputs; nothing changed.")
        return
    units = [entry["unit"] for entry in data["units"]]
    total = data.get("total_weight", 100)
    click.echo(f"Round {round.id} \"{round.name}\": composite inputs {'replaced' if had else 'stored'} for "
               f"{len(units)} {'unit' if len(units) == 1 else 'units'} ({', '.join(units)}); "
               f"open-door weight {data['open_door_weight']:g} of {total:g}.")


@click.group("raters")
def raters_group():
    """A round's rater pool."""


@raters_group.command("import")
@click.argument("round_id", metavar="ROUND_ID", type=int)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_command(round_id: int, file: Path):
    """Add the people listed in FILE (CSV or .xlsx) to the pool of round ROUND_ID."""
    from forms.rater_sheet import MAX_BYTES
    from survey.services.errors import DomainError
    from survey.services.raters import RaterImportRejected, import_raters

    check_database_ready()
    round = _load_round(round_id)
    size = os.stat(file).st_size
    if size > MAX_BYTES:
        raise click.ClickException(f"{file.name} is {size} bytes; the limit is {MAX_BYTES} bytes.")
    data = file.read_bytes()
    try:
        outcome = import_raters(round=round, data=data, filename=file.name)
        db.session.commit()
    except RaterImportRejected as exc:
        db.session.rollback()
        raise _refusal(exc.message, exc.reasons) from None
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    click.echo(f"Imported {outcome.count} raters into round {round.id}; the pool has {len(round.raters)}.")


# --------------------------------------------------------------------------- on-site scoring


def _load_session(round, unit_code: str):
    """The round's report session for the unit with this code (any case)."""
    wanted = (unit_code or "").strip().upper()
    session = next((s for s in round.sessions if s.unit.code.upper() == wanted), None)
    if session is None:
        raise click.ClickException(f"Round {round.id} has no report session for the unit {unit_code}.")
    return session


def _session_name(session) -> str:
    return f"{session.unit.code} {session.unit.name_zh}"


@round_group.group("session")
def session_group():
    """Open and close scoring of a unit's report session."""


@session_group.command("open")
@click.argument("round_id", metavar="ROUND_ID", type=int)
@click.argument("unit_code", metavar="UNIT_CODE")
@with_appcontext
def session_open_command(round_id: int, unit_code: str):
    """Open scoring of UNIT_CODE's session in round ROUND_ID (the chair's report has ended);
    a closed session opens again."""
    from survey.services.audit import acting_as
    from survey.services.errors import DomainError
    from survey.services.scoring_sessions import open_session

    check_database_ready()
    session = _load_session(_load_round(round_id), unit_code)
    again = session.status.value == "closed"
    try:
        with acting_as("cli"):
            open_session(session=session)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    click.echo(f"Scoring of {_session_name(session)} is open{' again' if again else ''} (round {round_id}).")


def _filled(card) -> int:
    return sum(1 for e in card.entries if e.cannot_judge or e.points is not None)


@session_group.command("close")
@click.argument("round_id", metavar="ROUND_ID", type=int)
@click.argument("unit_code", metavar="UNIT_CODE")
@with_appcontext
def session_close_command(round_id: int, unit_code: str):
    """Close scoring of UNIT_CODE's session in round ROUND_ID: every scorecard is locked and
    unfinished drafts are not counted."""
    from survey.services.audit import acting_as
    from survey.services.errors import DomainError
    from survey.services.scorecards import rules_of
    from survey.services.scoring_sessions import close_session

    check_database_ready()
    session = _load_session(_load_round(round_id), unit_code)
    try:
        with acting_as("cli"):
            outcome = close_session(session=session)
        drafts = sorted((card.rater.name, _filled(card)) for card in outcome.unfinished)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    total = len(rules_of(session).criteria)
    noun = "scorecard" if outcome.submitted == 1 else "scorecards"
    click.echo(f"Scoring of {_session_name(session)} is closed (round {round_id}): "
               f"{outcome.submitted} {noun} submitted.")
    if drafts:
        noun = "draft is" if len(drafts) == 1 else "drafts are"
        click.echo(f"{len(drafts)} unfinished {noun} not counted:")
        for name, filled in drafts:
            click.echo(f"  {name} ({filled} of {total} criteria filled)")
    else:
        click.echo("No unfinished drafts.")


@round_group.command("codes")
@click.argument("round_id", metavar="ROUND_ID", type=int)
@click.argument("unit_code", metavar="UNIT_CODE")
@click.option("--base-url", default=None, metavar="URL",
              help="The address phones open, e.g. https://kaimen.example.org (default: KAIMEN_BASE_URL).")
@with_appcontext
def codes_command(round_id: int, unit_code: str, base_url: str | None):
    """Issue fresh join codes for the panel of UNIT_CODE's session in round ROUND_ID and print
    each rater's code and join link, to send by message instead of a printed sheet.

    Codes issued earlier and not yet used (on a printed sheet, too) stop working."""
    from urllib.parse import urlsplit

    from flask import current_app

    from survey.labels import local_time
    from survey.models.base import utcnow
    from survey.services.errors import DomainError
    from survey.services.join_codes import code_expiry, issue_join_codes, join_url

    base_url = (base_url or current_app.config.get("BASE_URL") or "").strip()
    parts = urlsplit(base_url)
    if not base_url:
        raise click.ClickException("give --base-url, the address phones open (e.g. https://kaimen.example.org), "
                                   "or set KAIMEN_BASE_URL.")
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise click.ClickException(f"--base-url must be an http:// or https:// address, not {base_url}.")
    check_database_ready()
    session = _load_session(_load_round(round_id), unit_code)
    now = utcnow()
    try:
        issued = issue_join_codes(session=session, now=now)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    click.echo(f"Round {round_id}, {_session_name(session)}: {len(issued)} new join codes, valid until "
               f"{local_time(code_expiry(session, now))} ({current_app.config['TIMEZONE']}). "
               "Earlier unused codes no longer work.")
    for entry in issued:
        click.echo(f"{entry.name}\t{entry.code}\t{join_url(entry.code, base_url)}")
