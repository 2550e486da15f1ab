"""CSRF, security headers, cookies and request size limits."""

from __future__ import annotations

from sqlalchemy import func, select

from survey.extensions import db
from survey.models import User
from tests.conftest import csrf_token


def _user_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


def test_post_without_csrf_token_is_refused_and_changes_nothing(app, client, make_user, login):
    make_user("admin", username="root1")
    login("root1")
    before = _user_count(app)
    response = client.post(
        "/staff/users",
        data={"username": "sneaky", "role": "admin", "password": "0123456789ab", "confirm": "0123456789ab"},
    )
    assert response.status_code == 400
    assert "安全令牌" in response.get_data(as_text=True)
    assert _user_count(app) == before


def test_login_without_csrf_token_is_refused(client, make_user):
    make_user("staff", username="nocsrf")
    response = client.post("/login", data={"username": "nocsrf", "password": "correct-horse-9"})
    assert response.status_code == 400
    assert client.get("/dashboard").status_code == 302


def test_csrf_token_from_another_session_is_refused(app, client, make_user, login):
    make_user("admin", username="root2")
    other = app.test_client()
    foreign_token = csrf_token(other)
    login("root2")
    before = _user_count(app)
    response = client.post(
        "/staff/users",
        data={"username": "x1", "role": "staff", "password": "0123456789ab", "confirm": "0123456789ab", "csrf_token": foreign_token},
    )
    assert response.status_code == 400
    assert _user_count(app) == before


def test_admin_creates_a_user_with_the_form(app, client, make_user, login):
    make_user("admin", username="root3")
    login("root3")
    token = csrf_token(client, "/staff/users")
    response = client.post(
        "/staff/users",
        data={"username": "newstaff", "role": "staff", "password": "0123456789ab", "confirm": "0123456789ab", "csrf_token": token},
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(User.role).where(User.username == "newstaff")).value == "staff"


def test_create_user_form_errors_are_shown_and_nothing_is_stored(app, client, make_user, login):
    make_user("admin", username="root4")
    login("root4")
    before = _user_count(app)
    token = csrf_token(client, "/staff/users")
    response = client.post(
        "/staff/users",
        data={"username": "root4", "role": "staff", "password": "0123456789ab", "confirm": "0123456789ab", "csrf_token": token},
    )
    assert response.status_code == 200
    assert "用户名 root4 已被使用" in response.get_data(as_text=True)
    response = client.post(
        "/staff/users",
        data={"username": "fresh", "role": "staff", "password": "short", "confirm": "other", "csrf_token": token},
    )
    body = response.get_data(as_text=True)
    assert "两次输入的密码不一致" in body
    assert _user_count(app) == before


def test_pages_carry_security_headers(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"


def test_pages_have_no_inline_script_or_style(client, make_user, login):
    make_user("admin", username="root5")
    login("root5")
    for path in ("/login", "/dashboard", "/staff/users", "/staff/units"):
        body = client.get(path, follow_redirects=True).get_data(as_text=True)
        assert "<script>" not in body and " style=" not in body and "<style" not in body, path
        assert "http://" not in body.replace("http://www.w3.org", "") and "https://" not in body, path


def test_session_cookie_is_httponly_samesite_and_secure_over_https(client, make_user):
    make_user("staff", username="cookie")
    page = client.get("/login", base_url="https://localhost")
    cookie = page.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    plain = client.get("/login", base_url="http://localhost").headers["Set-Cookie"]
    assert "HttpOnly" in plain and "Secure" not in plain


def test_oversized_request_gets_413_with_a_message(app, client):
    limit = app.config["MAX_CONTENT_LENGTH"]
    response = client.post("/login", data={"username": "x" * (limit + 1), "password": "y"})
    assert response.status_code == 413
    assert "超过了服务器允许的大小" in response.get_data(as_text=True)


def test_get_on_a_post_only_route_is_405(client):
    response = client.get("/logout")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]


def test_translated_messages_quoting_user_input_are_escaped(app):
    """Lazy strings present themselves as safe HTML; the app escapes them anyway."""
    from flask import render_template_string
    from flask_babel import lazy_gettext

    with app.test_request_context():
        message = lazy_gettext("Question %(question)s is not shown after the earlier answers; leave it unanswered.",
                               question="<img src=x onerror=alert(1)>")
        html = render_template_string("<p>{{ message }}</p>", message=message)
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
