"""``kaimen questionnaire``: import, export and list questionnaires from scripts.

Each command works in one transaction: it commits once when everything
succeeded and rolls back otherwise, so a refused file stores nothing. Errors
end with an ``Error:`` line (reasons, row by row, on the lines under it) and
exit code 1.
"""

from __future__ import annotations

import os
from pathlib import Path

import click
from flask.cli import with_appcontext

from survey.cli import check_database_ready
from survey.extensions import db
from survey.models import QuestionnaireKind

_FORMAT_NAMES = {"json": "Kaimen JSON", "xlsform": "XLSForm"}


def _refusal(summary: str, lines) -> click.ClickException:
    """One ``Error:`` line, then one indented line per reason."""
    return click.ClickException("\n".join([summary, *(f"  {line}" for line in lines)]))


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


@click.group("questionnaire")
def questionnaire_group():
    """Import, export and list questionnaires."""


@questionnaire_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--kind", type=click.Choice([k.value for k in QuestionnaireKind]), default=None,
              help="What the questionnaire is for (default: the kind in a Kaimen export, else other).")
@click.option("--publish", is_flag=True, help="Publish it after import; if publishing is blocked, nothing is stored.")
@with_appcontext
def import_command(file: Path, kind: str | None, publish: bool):
    """Import FILE (a Kaimen JSON export or an XLSForm .xlsx) as a new draft questionnaire."""
    from survey.services.errors import DomainError
    from survey.services.questionnaire_files import MAX_IMPORT_BYTES, ImportRejected, import_questionnaire
    from survey.services.questionnaires import PublishBlocked, publish_questionnaire

    check_database_ready()
    size = os.stat(file).st_size
    if size > MAX_IMPORT_BYTES:  # refused before a byte is read
        raise click.ClickException(f"{file.name} is {size} bytes; the limit is {MAX_IMPORT_BYTES} bytes.")
    with open(file, "rb") as handle:
        data = handle.read(MAX_IMPORT_BYTES + 1)
    try:
        outcome = import_questionnaire(data=data, filename=file.name,
                                       kind=QuestionnaireKind(kind) if kind else None)
        published = publish_questionnaire(questionnaire=outcome.questionnaire) if publish else None
        db.session.commit()
    except ImportRejected as exc:
        db.session.rollback()
        raise _refusal(exc.summary, exc.reasons) from None
    except PublishBlocked as exc:
        db.session.rollback()
        raise _refusal(f"{exc.message} Nothing was stored:", [str(p) for p in exc.problems]) from None
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    q, spec = outcome.questionnaire, outcome.spec
    questions = sum(len(s.questions) for s in spec.sections)
    click.echo(f"Imported questionnaire {q.id} from {file.name} ({_FORMAT_NAMES[outcome.source_format]}): "
               f"\"{spec.title.get()}\", kind {q.kind.value}, {_count(len(spec.sections), 'section')}, "
               f"{_count(questions, 'question')}.")
    click.echo(f"Published version {published.number}." if published else "It is a draft.")
    if outcome.report:
        click.echo(f"Not imported as written ({len(outcome.report)}):")
        for line in outcome.report:
            click.echo(f"  {line}")
    else:
        click.echo("Everything in the file was imported.")


@questionnaire_group.command("export")
@click.argument("questionnaire_id", metavar="ID", type=int)
@click.option("--format", "fmt", type=click.Choice(["json", "xlsform"]), default="json", show_default=True)
@click.option("--out", "out", type=click.Path(dir_okay=False, writable=True, path_type=Path), required=True,
              help="File to write (replaced if it exists).")
@click.option("--version", "version", type=click.IntRange(min=1), default=None,
              help="Version number to export (default: the newest).")
@with_appcontext
def export_command(questionnaire_id: int, fmt: str, out: Path, version: int | None):
    """Write questionnaire ID as Kaimen JSON (lossless) or an XLSForm workbook."""
    from survey.services.errors import DomainError
    from survey.services.questionnaire_files import export_questionnaire
    from survey.services.questionnaires import get_questionnaire

    check_database_ready()
    questionnaire = get_questionnaire(questionnaire_id=questionnaire_id)
    if questionnaire is None:
        raise click.ClickException(f"There is no questionnaire {questionnaire_id}; see: kaimen questionnaire list")
    try:
        content, _, _ = export_questionnaire(questionnaire=questionnaire, version=version, fmt=fmt)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    try:
        out.write_bytes(content)
    except OSError as exc:
        raise click.ClickException(f"cannot write {out}: {exc.strerror or exc}") from None
    click.echo(f"Wrote questionnaire {questionnaire.id} ({_FORMAT_NAMES[fmt]}, {len(content)} bytes) to {out}.")


@questionnaire_group.command("list")
@with_appcontext
def list_command():
    """One line per questionnaire: id, link name, status, kind, live version, submitted responses, title."""
    from survey.services.questionnaires import latest_version, list_questionnaires, live_version, spec_of

    check_database_ready()
    summaries = list_questionnaires()
    if not summaries:
        click.echo("No questionnaires.", err=True)
    for summary in summaries:
        q = summary.questionnaire
        live = live_version(q)
        title = q.title or spec_of(latest_version(q)).title.get()
        click.echo("\t".join([
            str(q.id), q.slug, q.status.value, q.kind.value, f"live v{live.number}" if live else "not live",
            f"{summary.submitted} submitted", title,
        ]))
