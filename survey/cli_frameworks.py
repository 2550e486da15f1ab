"""``kaimen framework``: import, export and list criteria frameworks from scripts.

Each command works in one transaction: it commits once when everything succeeded and
rolls back otherwise, so a refused spreadsheet stores nothing. Errors end with an
``Error:`` line (reasons, row by row, on the lines under it) and exit code 1.
"""

from __future__ import annotations

import os
from pathlib import Path

import click
from flask.cli import with_appcontext

from survey.cli import check_database_ready
from survey.extensions import db

_ACTIONS = {
    "created": "created it as version {n}",
    "new_version": "version {n} is new (the previous version is frozen)",
    "draft_replaced": "version {n}, the open draft, was replaced",
    "unchanged": "nothing changed: version {n} already has this content",
}


@click.group("framework")
def framework_group():
    """Import, export and list criteria frameworks."""


@framework_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--code", required=True, help="The framework's code; an existing code gets a new version.")
@click.option("--name", default=None, help="The framework's name (default: the title in the sheet).")
@with_appcontext
def import_command(file: Path, code: str, name: str | None):
    """Import FILE (.xlsx, sheets 'criteria' and 'framework') as framework CODE."""
    from forms.framework_sheet import MAX_BYTES
    from survey.services.errors import DomainError
    from survey.services.frameworks import FrameworkInvalid, SheetRejected, count_criteria, import_framework

    check_database_ready()
    size = os.stat(file).st_size
    if size > MAX_BYTES:  # refused before a byte is read
        raise click.ClickException(f"{file.name} is {size} bytes; the limit is {MAX_BYTES} bytes. Nothing was stored.")
    data = file.read_bytes()
    try:
        outcome = import_framework(data=data, code=code, name=name)
        db.session.commit()
    except (SheetRejected, FrameworkInvalid) as exc:
        db.session.rollback()
        raise click.ClickException("\n".join([exc.message, *(f"  {reason}" for reason in exc.reasons)])) from None
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    areas, criteria = count_criteria(outcome.version.spec)
    click.echo(f"Imported framework {outcome.framework.code} from {file.name}: "
               f"{_ACTIONS[outcome.action].format(n=outcome.version.number)}; {areas} areas, {criteria} criteria.")


@framework_group.command("export")
@click.argument("code")
@click.option("--version", "number", type=click.IntRange(min=1), default=None,
              help="Version number to export (default: the newest).")
@click.option("--out", type=click.Path(dir_okay=False, writable=True, path_type=Path), required=True,
              help="File to write (replaced if it exists).")
@with_appcontext
def export_command(code: str, number: int | None, out: Path):
    """Write framework CODE as an .xlsx workbook that imports back unchanged."""
    from survey.services.errors import DomainError
    from survey.services.frameworks import count_criteria, export_framework, get_framework, get_version

    check_database_ready()
    framework = get_framework(code=code)
    if framework is None:
        raise click.ClickException(f"There is no framework {code}; see: kaimen framework list")
    try:
        version = get_version(framework=framework, number=number)
        content, _ = export_framework(framework=framework, number=version.number)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    try:
        out.write_bytes(content)
    except OSError as exc:
        raise click.ClickException(f"cannot write {out}: {exc.strerror or exc}") from None
    areas, criteria = count_criteria(version.spec)
    click.echo(f"Wrote framework {code} version {version.number} ({areas} areas, {criteria} criteria, "
               f"{len(content)} bytes) to {out}.")


@framework_group.command("list")
@with_appcontext
def list_command():
    """One line per framework: code, newest version and its state, areas, criteria, problems, name."""
    from survey.services.frameworks import list_frameworks

    check_database_ready()
    summaries = list_frameworks()
    if not summaries:
        click.echo("No frameworks.", err=True)
    for s in summaries:
        state = "frozen" if s.latest.frozen else "draft"
        click.echo("\t".join([
            s.framework.code, f"v{s.latest.number} {state}", f"{s.areas} areas", f"{s.criteria} criteria",
            f"{s.problems} problems" if s.problems != 1 else "1 problem", s.framework.name,
        ]))
