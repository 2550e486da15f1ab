"""Kaimen web application: the app factory."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from survey import config as cfg
from survey.database import install_sqlite_pragmas, normalise_database_url

PACKAGE_DIR = Path(__file__).parent


def templates_dir() -> Path:
    """``survey/templates`` in a wheel; the project's top-level ``templates/`` in a checkout."""
    packaged = PACKAGE_DIR / "templates"
    return packaged if packaged.is_dir() else PACKAGE_DIR.parent / "templates"


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: defaults, then ``instance/config.py``, then ``KAIMEN_*``, then ``test_config``."""
    instance_path = Path((test_config or {}).get("INSTANCE_PATH") or cfg.instance_path_from_env(os.environ))
    instance_path.mkdir(parents=True, exist_ok=True)
    app = Flask(
        __name__,
        instance_path=str(instance_path),
        instance_relative_config=True,
        template_folder=str(templates_dir()),
    )
    app.config.from_mapping(cfg.DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    app.config.update(cfg.env_overrides(os.environ))
    if test_config:
        app.config.update(test_config)
    _finish_config(app, instance_path)

    _init_extensions(app)
    # Flask-Babel's lazy strings claim to be safe HTML; a message that quotes user input
    # (an id, an option) must be escaped like any other text.
    app.jinja_env.finalize = _escape_lazy_strings
    from forms.uploads import BoundedJSONProvider

    app.json = BoundedJSONProvider(app)  # request.get_json refuses nesting deeper than any Kaimen body
    from survey.views.util import IntegerConverter

    app.url_map.converters["int"] = IntegerConverter  # ids only up to MAX_ROW_ID; before any route is added
    _register_blueprints(app)
    _register_hooks(app)
    from survey.cli import register_commands

    register_commands(app)
    return app


def _escape_lazy_strings(value):
    from flask_babel import LazyString

    return str(value) if isinstance(value, LazyString) else value


def _finish_config(app: Flask, instance_path: Path) -> None:
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = cfg.load_or_create_secret_key(instance_path)
    url = app.config.get("DATABASE_URL") or cfg.default_database_url(instance_path)
    url = normalise_database_url(url)
    app.config["DATABASE_URL"] = url
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    from survey.database import engine_options

    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", engine_options(url, app.config["SQLITE_BUSY_TIMEOUT_MS"]))
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(PACKAGE_DIR / "translations")
    app.config["REMEMBER_COOKIE_DURATION"] = 0
    app.config["TRUSTED_HOSTS"] = cfg.name_list(app.config.get("TRUSTED_HOSTS"))
    if app.config["TRUSTED_HOSTS"] and "TRUSTED_HOSTS" not in Flask.default_config:
        raise RuntimeError("KAIMEN_TRUSTED_HOSTS needs Flask 3.1 or later; older versions would ignore it")
    from survey.sessions import KaimenSessionInterface

    app.session_interface = KaimenSessionInterface()
    if app.config.get("TRUSTED_PROXIES"):
        n = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_prefix=n)  # type: ignore[method-assign]


def _init_extensions(app: Flask) -> None:
    from survey.extensions import babel, csrf, db, login_manager, migrate
    from survey.i18n import babel_locale

    db.init_app(app)
    with app.app_context():
        install_sqlite_pragmas(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])
    migrate.init_app(app, db, directory=str(PACKAGE_DIR / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=babel_locale)
    login_manager.init_app(app)
    login_manager.session_protection = "basic"
    login_manager.login_view = "auth.login"

    @login_manager.user_loader
    def load_user(key: str):
        from sqlalchemy.exc import SQLAlchemyError

        from survey.services.accounts import user_for_session_key

        try:
            return user_for_session_key(key)
        except SQLAlchemyError:
            # Database down or schema behind: treat as anonymous so the error page can render.
            db.session.rollback()
            return None

    @login_manager.unauthorized_handler
    def unauthorized():
        from flask import abort

        abort(401)


def _register_blueprints(app: Flask) -> None:
    from survey.views import auth, main, staff

    app.register_blueprint(auth.bp)
    app.register_blueprint(main.bp)
    app.register_blueprint(staff.bp)
    from survey.views import respond

    app.register_blueprint(respond.bp)
    from survey.views import api

    app.register_blueprint(api.bp)
    from survey.views import questionnaires

    app.register_blueprint(questionnaires.bp)
    from survey.views import builder

    app.register_blueprint(builder.bp)
    from survey.views import frameworks

    app.register_blueprint(frameworks.bp)
    from survey.views import rounds

    app.register_blueprint(rounds.bp)
    from survey.views import scoring

    app.register_blueprint(scoring.bp)
    from survey.views import sessions

    app.register_blueprint(sessions.bp)
    from survey.views import analysis

    app.register_blueprint(analysis.bp)
    from survey.views import verify

    app.register_blueprint(verify.bp)
    from survey.views import evaluator, publishing

    app.register_blueprint(evaluator.bp)
    app.register_blueprint(publishing.bp)
    from survey.views import bench

    if bench.enabled(app.config):
        app.register_blueprint(bench.bp)


def _register_hooks(app: Flask) -> None:
    from survey import errors, hooks
    from survey.access import enforce_access
    from survey.security import add_security_headers

    app.before_request(hooks.mark_read_only_transaction)
    app.before_request(hooks.require_current_schema)
    app.before_request(hooks.refuse_nul_characters)
    app.before_request(hooks.refuse_json_outside_api)
    app.before_request(enforce_access)
    app.after_request(add_security_headers)
    app.teardown_request(hooks.end_transaction)
    app.context_processor(hooks.template_globals)
    errors.register(app)
