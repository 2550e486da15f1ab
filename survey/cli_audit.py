"""``kaimen audit verify`` and ``kaimen audit tail``: check the hash-chained audit log, read its end."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from survey.cli import check_database_ready


@click.group("audit")
def audit_group():
    """The append-only audit log: verify its hash chain, show its latest entries."""


@audit_group.command("verify")
@with_appcontext
def verify_command():
    """Check every entry's hash and link, the chain head, and every submitted scorecard against its
    recorded receipt; name the first broken entry and every changed scorecard (exit code 1)."""
    from survey.services import audit

    check_database_ready()
    check = audit.verify()
    if check.chain_ok:
        click.echo(f"audit chain OK: {check.checked} entries, head {check.head}")
    if check.ok:
        return
    problems = check.problems()
    if check.chain_ok:
        first, rest = "the database no longer matches the audit log:", problems
    else:
        first, rest = problems[0], problems[1:]
    raise click.ClickException("\n".join([first, *(f"  {line}" for line in rest)]))


@audit_group.command("tail")
@click.option("-n", "count", default=20, show_default=True, type=click.IntRange(1, 10_000),
              help="How many of the latest entries to show.")
@click.option("--action", default=None, help="Only entries of this action, e.g. score.submit.")
@with_appcontext
def tail_command(count: int, action: str | None):
    """Print the latest entries, oldest first: id, time (UTC), actor, action, subject, details."""
    from survey.services import audit

    check_database_ready()
    entries = audit.latest(count, action=action)
    if not entries:
        click.echo("The audit log has no entries." if not action else f"The audit log has no {action} entries.")
        return
    for entry in entries:
        click.echo(audit.describe(entry))
