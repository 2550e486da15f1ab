"""The ``kaimen`` command: Flask's CLI with Kaimen's own commands added.

``kaimen db upgrade`` comes from Flask-Migrate; ``serve``, ``create-user`` and
``demo`` are defined here. Errors end with one ``Error:`` line and exit code 1.
"""

from __future__ import annotations

import sys

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from survey.extensions import db
from survey.models import Role


def _create_app():
    from survey import create_app

    return create_app()


def main() -> None:
    cli = FlaskGroup(create_app=_create_app, add_version_option=True, load_dotenv=False,
                     help="Kaimen (开门): democratic assessment of trade unions.")
    cli(prog_name="kaimen")


def _safe_url() -> str:
    return make_url(current_app.config["SQLALCHEMY_DATABASE_URI"]).render_as_string(hide_password=True)


def check_database_ready() -> None:
    """Refuse to continue on an unreachable database or a schema behind the code."""
    from survey.schema import schema_status

    try:
        status = schema_status(db.session.connection())
    except OperationalError as exc:
        raise click.ClickException(f"cannot connect to the database {_safe_url()}: {str(exc.orig).strip()}") from None
    if not status.up_to_date:
        raise click.ClickException(
            f"the database schema is at {status.current or 'an empty database'}, this version of Kaimen "
            f"needs {status.head}. Run: kaimen db upgrade"
        )


def upgrade_database() -> None:
    from flask_migrate import upgrade

    try:
        upgrade(directory=current_app.extensions["migrate"].directory)
    except OperationalError as exc:
        raise click.ClickException(f"cannot connect to the database {_safe_url()}: {str(exc.orig).strip()}") from None


def register_commands(app: Flask) -> None:
    app.cli.add_command(serve_command)
    app.cli.add_command(create_user_command)
    app.cli.add_command(demo_command)
    from survey.cli_questionnaires import questionnaire_group

    app.cli.add_command(questionnaire_group)
    from survey.cli_frameworks import framework_group

    app.cli.add_command(framework_group)
    from survey.cli_rounds import raters_group, round_group

    app.cli.add_command(round_group)
    app.cli.add_command(raters_group)
    from survey.cli_exports import export_group

    app.cli.add_command(export_group)
    from survey.cli_audit import audit_group

    app.cli.add_command(audit_group)
    from survey.cli_publish import register_publish_commands

    register_publish_commands(app)


@click.command("create-user")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True, help="The account's role.")
@click.option("--username", required=True)
@click.option("--name", "display_name", default=None, help="Display name (defaults to the username).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--generate-password", is_flag=True, help="Generate a password and print it.")
@with_appcontext
def create_user_command(role: str, username: str, display_name: str | None, password_stdin: bool, generate_password: bool):
    """Create a user; the password comes from a prompt, standard input, or is generated."""
    from survey.services import accounts, audit
    from survey.services.errors import DomainError

    check_database_ready()
    if password_stdin and generate_password:
        raise click.UsageError("choose one of --password-stdin and --generate-password")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif generate_password:
        password = accounts.generate_password()
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        with audit.acting_as("cli"):
            user = accounts.create_user(username=username, role=Role(role), password=password,
                                        display_name=display_name)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    click.echo(f"Created {user.role.value} {user.username}.")
    if generate_password:
        click.echo(f"Password: {password}")


@click.command("demo")
@with_appcontext
def demo_command():
    """Load the seeds' demo scenario (Xicheng District, 2014) into an upgraded database."""
    from survey.services import demo

    check_database_ready()
    summary = demo.load_demo_scenario()
    db.session.commit()
    click.echo(summary.describe())


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64))
@click.option("--demo", "with_demo", is_flag=True, help="Upgrade the database and load the demo scenario first.")
@with_appcontext
def serve_command(host: str, port: int, threads: int, with_demo: bool):
    """Serve Kaimen with waitress, a production WSGI server."""
    from waitress import serve

    from survey.services import demo

    if with_demo:
        upgrade_database()
        summary = demo.load_demo_scenario()
        db.session.commit()
    check_database_ready()
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/"  # nosec B104  # prints a URL; binds nothing
    click.echo(f"Kaimen is serving at {url}  (database: {_safe_url()})")
    if with_demo:
        click.echo(summary.describe())
    db.session.remove()
    serve(current_app._get_current_object(), host=host, port=port, threads=threads, ident="kaimen")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
