"""The app refuses to serve on a schema behind the code, and on an unreachable database."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from survey import create_app
from survey.extensions import db


@pytest.fixture
def fresh_sqlite_app(tmp_path):
    return create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}", "INSTANCE_PATH": str(tmp_path)})


def test_app_refuses_to_serve_an_unmigrated_database(fresh_sqlite_app):
    response = fresh_sqlite_app.test_client().get("/login")
    assert response.status_code == 503
    assert "kaimen db upgrade" in response.get_data(as_text=True)


def test_app_serves_once_upgraded(fresh_sqlite_app):
    with fresh_sqlite_app.app_context():
        upgrade(directory=fresh_sqlite_app.extensions["migrate"].directory)
    assert fresh_sqlite_app.test_client().get("/login").status_code == 200


def test_app_refuses_a_schema_one_revision_behind(fresh_sqlite_app):
    directory = fresh_sqlite_app.extensions["migrate"].directory
    with fresh_sqlite_app.app_context():
        upgrade(directory=directory)
        downgrade(directory=directory, revision="-1")
    body = fresh_sqlite_app.test_client().get("/login").get_data(as_text=True)
    assert "数据库结构低于当前程序版本" in body and "kaimen db upgrade" in body


def test_serve_command_refuses_a_schema_behind(fresh_sqlite_app):
    result = fresh_sqlite_app.test_cli_runner().invoke(args=["serve", "--port", "1"])
    assert result.exit_code == 1
    assert "Run: kaimen db upgrade" in result.output


def test_unreachable_database_gets_a_clear_page_and_cli_error(tmp_path):
    app = create_app({"DATABASE_URL": "postgresql://kaimen@127.0.0.1:9/nowhere", "INSTANCE_PATH": str(tmp_path)})
    response = app.test_client().get("/login")
    assert response.status_code == 503
    assert "无法连接数据库" in response.get_data(as_text=True)
    result = app.test_cli_runner().invoke(args=["serve", "--port", "1"])
    assert result.exit_code == 1
    assert "Error: cannot connect to the database postgresql+psycopg://kaimen@127.0.0.1:9/nowhere" in result.output


def test_migrations_match_the_models(app):
    """Models and migrations never drift: autogenerate finds nothing to add."""
    with app.app_context():
        context = MigrationContext.configure(db.session.connection(), opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


def test_downgrade_to_base_and_upgrade_again(fresh_sqlite_app):
    directory = fresh_sqlite_app.extensions["migrate"].directory
    with fresh_sqlite_app.app_context():
        upgrade(directory=directory)
        downgrade(directory=directory, revision="base")
        upgrade(directory=directory)
    assert fresh_sqlite_app.test_client().get("/login").status_code == 200
