"""``kaimen publish ROUND_ID`` and ``kaimen bundle ROUND_ID --out FILE.zip``.

``publish`` freezes the round's current results as the next version (a note saying
what changed is required from version 2 on) and prints every stored file with its
SHA-256. ``bundle`` writes the latest publication's reproducibility bundle (or the
given ``--version``'s). Files are written under a temporary name and renamed when
complete, so a failure never leaves a partial file. Errors end with an ``Error:``
line and exit code 1; nothing is stored by a refused publication.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from survey.cli import check_database_ready
from survey.cli_reports import reserve, write_pdf
from survey.extensions import db


def load_round(round_id: int):
    from survey.services.rounds import get_round

    round = get_round(round_id=round_id)
    if round is None:
        raise click.ClickException(f"There is no round {round_id}.")
    return round


@click.command("publish")
@click.argument("round_id", metavar="ROUND_ID", type=int)
@click.option("--note", default="", help="What changed since the previous version (required from version 2 on).")
@with_appcontext
def publish_command(round_id: int, note: str):
    """Publish round ROUND_ID's current results as a frozen, numbered version."""
    from survey.services import publications
    from survey.services.errors import DomainError

    check_database_ready()
    round = load_round(round_id)
    try:
        publication = publications.publish(round=round, by=None, note=note)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(f"{exc.message} Nothing was published.") from None
    click.echo(f"Published round {round.id} ({round.name}) as version {publication.version} "
               f"with {len(publication.files)} files:")
    for file in publication.files:
        click.echo(f"  {file.sha256}  {file.filename} ({file.size} bytes)")
    click.echo(f"Audit chain head at publication: {publication.audit_head}")


@click.command("bundle")
@click.argument("round_id", metavar="ROUND_ID", type=int)
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Zip file to write (replaced if it exists).")
@click.option("--version", "version", type=click.IntRange(min=1), default=None,
              help="Which published version (default: the latest).")
@with_appcontext
def bundle_command(round_id: int, out: Path, version: int | None):
    """Write the reproducibility bundle of round ROUND_ID's latest publication to a zip file."""
    from survey.services import publications

    check_database_ready()
    round = load_round(round_id)
    versions = publications.publications_of(round)
    db.session.rollback()  # only read
    if not versions:
        raise click.ClickException(f"Round {round_id} has not been published yet; publish it first: "
                                   f"kaimen publish {round_id}")
    if version is None:
        publication = versions[0]
    else:
        publication = next((p for p in versions if p.version == version), None)
        if publication is None:
            raise click.ClickException(f"Round {round_id} has no version {version}; its latest is "
                                       f"{versions[0].version}.")
    file = publications.file_of_kind(publication, "bundle")
    write_pdf(file.content, reserve(out), out)  # the bundle is a zip, written the same way
    click.echo(f"Wrote the bundle of round {round_id}, version {publication.version} ({file.size} bytes, "
               f"SHA-256 {file.sha256}) to {out}.")


def register_publish_commands(app) -> None:
    """``kaimen publish``, ``kaimen bundle`` and the ``kaimen report`` group (survey/cli_reports.py)."""
    from survey.cli_reports import report_group

    app.cli.add_command(publish_command)
    app.cli.add_command(bundle_command)
    app.cli.add_command(report_group)
