"""Alembic environment: migrate the database of the current Flask app."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app
from sqlalchemy.types import TypeDecorator

config = context.config
if config.config_file_name and not logging.getLogger().handlers:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
log = logging.getLogger("alembic.env")

database = current_app.extensions["migrate"].db
engine = database.engine
target_metadata = database.metadata


def _skip_empty_autogenerate(context_, revision, directives):
    """`kaimen db migrate` with no model change writes no empty revision."""
    if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        log.info("No changes in schema detected.")


def _render_item(type_, obj, autogen_context):
    """Write our TypeDecorators as their plain SQLAlchemy type: migrations stay self-contained."""
    if type_ == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl!r}"
    return False


def run_offline() -> None:
    context.configure(
        url=engine.url.render_as_string(hide_password=False),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    options = dict(current_app.extensions["migrate"].configure_args)
    options.setdefault("process_revision_directives", _skip_empty_autogenerate)
    options.setdefault("compare_type", True)
    options.setdefault("render_item", _render_item)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, **options)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
