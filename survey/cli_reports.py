"""``kaimen report``: reports as PDF files.

- ``kaimen report needs QUESTIONNAIRE_ID --out FILE.pdf [--language zh|en]``:
  the needs report of a questionnaire's submitted responses, with a progress
  bar (on standard error) over loading, analysing, each breakdown and laying
  out;
- ``kaimen report round ROUND_ID --out FILE.pdf`` and ``kaimen report unit
  ROUND_ID UNIT_CODE --out FILE.pdf``: previews of a round's evaluation
  reports from its current results (not published: ``kaimen publish`` makes
  the published ones).

Like ``kaimen export``, a file is written next to FILE under a temporary name
and renamed when complete, so a failed report never leaves half a file behind
(nor replaces an older one). Errors end with an ``Error:`` line and exit code 1.

A further report is one more command on :data:`report_group`, sharing
:func:`reserve`, :func:`write_pdf` and :func:`steps_bar`::

    @report_group.command("...")
    @with_appcontext
    def other_command(..., out: Path):
        check_database_ready()
        partial = reserve(out)                 # a bad path fails before the long work
        try:
            with steps_bar("Loading") as step:
                pdf = build(..., progress=step)  # progress(step_name, done, total)
            write_pdf(pdf, partial, out)
        finally:
            partial.unlink(missing_ok=True)
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import click
from flask.cli import with_appcontext

from survey.cli import check_database_ready
from survey.extensions import db

#: Languages a report may be written in.
LANGUAGES = ("zh", "en")
#: What the bar says while each step of the needs report runs (``build_for`` reports a step when it is done).
NEEDS_STEPS = {
    "load": "Analysing the responses",
    "analyse": "Breaking the results down by group",
    "breakdown": "Breaking the results down by group",
    "layout": "Laying out the PDF",
}
_NEEDS_LAST = "Laying out the PDF"


@click.group("report")
def report_group():
    """Write reports as PDF files."""


def _plural(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


# --------------------------------------------------------------------------- shared by the commands


def reserve(out: Path) -> Path:
    """Check that ``out`` can be written and create a temporary file next to it (returned).

    Called before the long work, so a bad path fails at once. The caller
    removes the temporary file unless :func:`write_pdf` has renamed it.
    """
    target = out.expanduser()
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise click.ClickException(f"cannot write {out}: the folder {folder} does not exist")
    if target.is_dir():
        raise click.ClickException(f"cannot write {out}: it is a folder")
    try:
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".part")
    except OSError as exc:
        raise click.ClickException(f"cannot write {out}: {exc.strerror or exc}") from None
    os.close(handle)
    return Path(temporary)


def write_pdf(pdf: bytes, partial: Path, out: Path) -> None:
    """Write ``pdf`` into the temporary file, then rename it to ``out`` (permissions as if created directly)."""
    try:
        partial.write_bytes(pdf)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(partial, 0o666 & ~umask)
        os.replace(partial, out.expanduser())
    except OSError as exc:
        raise click.ClickException(f"cannot write {out}: {exc.strerror or exc}") from None
    finally:
        partial.unlink(missing_ok=True)


@contextlib.contextmanager
def steps_bar(label: str, following: Mapping[str, str] | None = None,
              last: str | None = None) -> Iterator[Callable[[str, int, int], None]]:
    """A progress bar on standard error, driven by a builder's ``progress(step, done, total)`` calls.

    ``following``: per step reported done, what the bar says while the next
    work runs; ``last``: what it says once ``done`` reaches ``total`` - 1
    (the final step). Without a terminal, click prints each new label once.
    """
    with click.progressbar(length=1, label=label, file=sys.stderr, show_percent=False, show_eta=False,
                           show_pos=True) as bar:

        def step(name: str, done: int, total: int) -> None:
            bar.length = max(total, 1)
            if last is not None and done == total - 1:
                bar.label = last
            elif following:
                bar.label = following.get(name, bar.label)
            bar.update(max(done - bar.pos, 0))

        yield step


# --------------------------------------------------------------------------- kaimen report needs


def _questionnaire(questionnaire_id: int):
    from survey.services.questionnaires import get_questionnaire

    questionnaire = get_questionnaire(questionnaire_id=questionnaire_id)
    if questionnaire is None:
        raise click.ClickException(f"There is no questionnaire {questionnaire_id}; see: kaimen questionnaire list")
    return questionnaire


@report_group.command("needs")
@click.argument("questionnaire_id", metavar="QUESTIONNAIRE_ID", type=int)
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="PDF file to write (replaced if it exists).")
@click.option("--language", type=click.Choice(LANGUAGES), default="zh", show_default=True,
              help="Language of the report.")
@with_appcontext
def needs_command(questionnaire_id: int, out: Path, language: str):
    """Write the needs report of QUESTIONNAIRE_ID's submitted responses as a PDF."""
    from survey.services.answer_columns import count_rows
    from survey.services.errors import DomainError
    from survey.services.needs_report import build_for

    check_database_ready()
    questionnaire = _questionnaire(questionnaire_id)
    responses = count_rows(questionnaire)
    if responses == 0:
        raise click.ClickException(f"Questionnaire {questionnaire.id} has no submitted responses yet: there is "
                                   "nothing to report.")
    partial = reserve(out)
    try:
        with steps_bar(f"Loading {_plural(responses, 'response')}", NEEDS_STEPS, _NEEDS_LAST) as step:
            report = build_for(questionnaire=questionnaire, language=language, progress=step)
        write_pdf(report.pdf, partial, out)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    finally:
        partial.unlink(missing_ok=True)
        db.session.rollback()  # the report only read
    click.echo(f"Wrote the needs report of questionnaire {questionnaire.id} ({_plural(responses, 'response')}, "
               f"{len(report.pdf):,} bytes) to {out}.")


# --------------------------------------------------------------------------- kaimen report round / unit


def _preview(round_id: int):
    """The round and its results as a publication would freeze them now (nothing is stored)."""
    from survey.cli_publish import load_round
    from survey.services import publications
    from survey.services.errors import DomainError

    round = load_round(round_id)
    try:
        preview = publications.preview(round=round)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    finally:
        db.session.rollback()  # only read
    return round, preview


@report_group.command("round")
@click.argument("round_id", metavar="ROUND_ID", type=int)
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="PDF file to write (replaced if it exists).")
@click.option("--language", type=click.Choice(LANGUAGES), default="zh", show_default=True,
              help="Language of the report.")
@with_appcontext
def round_command(round_id: int, out: Path, language: str):
    """Write a preview of round ROUND_ID's report from its current results (not published)."""
    from survey.services import report_data

    check_database_ready()
    round, preview = _preview(round_id)
    partial = reserve(out)
    try:
        pdf = report_data.round_report(preview.snapshot, language)
        write_pdf(pdf, partial, out)
    finally:
        partial.unlink(missing_ok=True)
    click.echo(f"Wrote the report of round {round.id} ({round.name}; preview, not published; {len(pdf):,} bytes) "
               f"to {out}.")


@report_group.command("unit")
@click.argument("round_id", metavar="ROUND_ID", type=int)
@click.argument("unit", metavar="UNIT_ID")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="PDF file to write (replaced if it exists).")
@click.option("--language", type=click.Choice(LANGUAGES), default="zh", show_default=True,
              help="Language of the report.")
@with_appcontext
def unit_command(round_id: int, unit: str, out: Path, language: str):
    """Write a preview of the report on unit UNIT_ID (its id or its code, e.g. XC-D01) in round
    ROUND_ID (not published)."""
    from survey.models import OrgUnit
    from survey.services import report_data

    check_database_ready()
    round, preview = _preview(round_id)
    codes = [u["code"] for u in preview.snapshot["facts"]["units"]]
    found = db.session.get(OrgUnit, int(unit)) if unit.isdigit() else None
    unit_code = found.code if found is not None else unit
    if unit_code not in codes:
        raise click.ClickException(f"Unit {unit_code} is not evaluated in round {round.id}; its units are: "
                                   f"{', '.join(codes)}")
    partial = reserve(out)
    try:
        pdf = report_data.unit_report(preview.snapshot, unit_code, language)
        write_pdf(pdf, partial, out)
    except report_data.UnitWithoutResult as exc:  # evaluated, but no submitted scores yet
        raise click.ClickException(exc.message) from None
    finally:
        partial.unlink(missing_ok=True)
    click.echo(f"Wrote the report on unit {unit_code} in round {round.id} (preview, not published; "
               f"{len(pdf):,} bytes) to {out}.")
