"""Error pages: the user's language, a clear message, never a stack trace."""

from __future__ import annotations

import pytest

from survey import create_app
from survey.access import public
from survey.services.errors import Conflict


def test_404_page_is_chinese_by_default(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert "页面不存在" in body and '<html lang="zh-CN">' in body


def test_404_page_follows_the_language_cookie(client):
    client.set_cookie("kaimen_lang", "en")
    body = client.get("/no-such-page").get_data(as_text=True)
    assert "Page not found" in body and '<html lang="en">' in body


def test_api_callers_get_json_errors(client):
    response = client.get("/no-such-page", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.get_json() == {"error": 404, "message": "该地址没有对应的页面。"}


@pytest.fixture
def failing_app(tmp_path, database_url):
    """A separate app with routes that fail, so the shared route table stays exact."""
    app = create_app({"DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path), "CHECK_SCHEMA": False})

    @app.route("/boom")
    @public
    def boom():
        raise RuntimeError("secret internal detail")

    @app.route("/conflict")
    @public
    def conflict():
        raise Conflict("已有人修改了这条记录。")

    @app.route("/undeclared")
    def undeclared():
        return "should never be served"

    return app


def test_500_page_shows_no_stack_trace(failing_app):
    response = failing_app.test_client().get("/boom")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "服务器出错" in body
    assert "secret internal detail" not in body and "Traceback" not in body


def test_domain_conflict_is_409_with_its_message(failing_app):
    response = failing_app.test_client().get("/conflict")
    assert response.status_code == 409
    assert "已有人修改了这条记录。" in response.get_data(as_text=True)


def test_route_without_declared_audience_is_refused(failing_app):
    response = failing_app.test_client().get("/undeclared")
    assert response.status_code == 403
    assert "should never be served" not in response.get_data(as_text=True)
