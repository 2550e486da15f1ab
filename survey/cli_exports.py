"""``kaimen export``: response exports, and rebuilding the packed answer rows.

``kaimen export responses ID --format csv|xlsx|sav|json --out FILE`` writes
one row per response with a progress bar (on standard error). The file is
written next to FILE under a temporary name and renamed when complete, so a
failed export never leaves half a file behind (nor replaces an older one).

``kaimen export rebuild-matrix [ID]`` rewrites the packed answer rows that
analysis and exports read, from the responses' JSON answers: for data that
was loaded around the normal submission path. Errors end with an ``Error:``
line and exit code 1.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import click
from flask.cli import with_appcontext

from survey.cli import check_database_ready
from survey.extensions import db

_FORMAT_NAMES = {"csv": "CSV", "xlsx": "XLSX", "sav": "SPSS", "json": "JSON"}


@click.group("export")
def export_group():
    """Export responses for analysis."""


def _questionnaire(questionnaire_id: int):
    from survey.services.questionnaires import get_questionnaire

    questionnaire = get_questionnaire(questionnaire_id=questionnaire_id)
    if questionnaire is None:
        raise click.ClickException(f"There is no questionnaire {questionnaire_id}; see: kaimen questionnaire list")
    return questionnaire


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


@export_group.command("responses")
@click.argument("questionnaire_id", metavar="QUESTIONNAIRE_ID", type=int)
@click.option("--format", "fmt", type=click.Choice(list(_FORMAT_NAMES)), required=True,
              help="csv (UTF-8 with BOM), xlsx (with a codebook sheet), sav (SPSS) or json.")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="File to write (replaced if it exists).")
@click.option("--language", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
              help="Language of the labels (codebook sheet, SPSS variable and value labels).")
@with_appcontext
def responses_command(questionnaire_id: int, fmt: str, out: Path, language: str):
    """Write every submitted response of QUESTIONNAIRE_ID, one row each."""
    from survey.exports import write_responses
    from survey.services.answer_columns import count_rows
    from survey.services.errors import DomainError

    check_database_ready()
    questionnaire = _questionnaire(questionnaire_id)
    target = out.expanduser()
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise click.ClickException(f"cannot write {out}: the folder {folder} does not exist")
    try:
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".part")
    except OSError as exc:
        raise click.ClickException(f"cannot write {out}: {exc.strerror or exc}") from None
    os.close(handle)
    partial = Path(temporary)
    total = count_rows(questionnaire)
    try:
        with click.progressbar(length=total, label=f"Exporting {_plural(total, 'response')}",
                               file=sys.stderr, show_pos=True) as bar:
            size = write_responses(questionnaire, fmt, partial, language=language, progress=bar.update)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(partial, 0o666 & ~umask)  # as if created directly, not private like a temporary file
        os.replace(partial, target)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    except OSError as exc:
        raise click.ClickException(f"cannot write {out}: {exc.strerror or exc}") from None
    finally:
        partial.unlink(missing_ok=True)
        db.session.rollback()  # the export only read
    click.echo(f"Wrote {_plural(total, 'response')} of questionnaire {questionnaire.id} "
               f"({_FORMAT_NAMES[fmt]}, {size} bytes) to {out}.")


@export_group.command("rebuild-matrix")
@click.argument("questionnaire_id", metavar="[QUESTIONNAIRE_ID]", type=int, required=False)
@with_appcontext
def rebuild_command(questionnaire_id: int | None):
    """Rewrite the packed answer rows of one questionnaire (or of all) from the stored answers."""
    from sqlalchemy import func, select

    from survey.models import Questionnaire, Response, ResponseStatus
    from survey.services.answer_columns import rebuild_answer_rows
    from survey.services.errors import DomainError

    check_database_ready()
    if questionnaire_id is not None:
        questionnaires = [_questionnaire(questionnaire_id)]
    else:
        questionnaires = list(db.session.scalars(select(Questionnaire).order_by(Questionnaire.id)))
    for questionnaire in questionnaires:
        total = db.session.scalar(select(func.count(Response.id)).where(
            Response.questionnaire_id == questionnaire.id, Response.status == ResponseStatus.SUBMITTED))
        try:
            with click.progressbar(length=total, label=f"Questionnaire {questionnaire.id}",
                                   file=sys.stderr, show_pos=True) as bar:
                written = rebuild_answer_rows(questionnaire, progress=bar.update)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            raise click.ClickException(f"questionnaire {questionnaire.id}: {exc.message} Nothing was changed "
                                       "for this questionnaire.") from None
        click.echo(f"Questionnaire {questionnaire.id}: {_plural(written, 'answer row')} written.")
