"""Login, throttling, session renewal, logout and disabled users."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from survey.extensions import db
from survey.models import LoginAttempt, User
from tests.conftest import csrf_token


def _without_tokens(html: str) -> str:
    return re.sub(r'value="[^"]*"', 'value=""', html)


def test_login_with_correct_password_reaches_dashboard(client, make_user, login):
    make_user("staff", username="wang")
    response = login("wang")
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"
    assert client.get("/dashboard").status_code == 200


def test_login_username_is_case_insensitive(client, make_user, login):
    make_user("staff", username="wang")
    assert login("  WANG ").headers["Location"] == "/dashboard"


def test_password_is_stored_with_scrypt(app, make_user):
    user_id = make_user("staff", username="li")
    with app.app_context():
        stored = db.session.get(User, user_id).password_hash
    assert stored.startswith("scrypt:")
    assert "correct-horse-9" not in stored


def test_unknown_user_and_wrong_password_get_the_same_answer(client, make_user, login):
    make_user("staff", username="zhao")
    wrong_password = login("zhao", "not-the-password")
    unknown_user = login("nobody-here", "not-the-password")
    assert wrong_password.status_code == unknown_user.status_code == 200
    assert "用户名或密码错误" in wrong_password.get_data(as_text=True)
    # Same page apart from the echoed username and the per-request tokens.
    assert _without_tokens(wrong_password.get_data(as_text=True)) == _without_tokens(
        unknown_user.get_data(as_text=True)
    )


def test_failed_login_is_recorded_and_success_clears_it(app, client, make_user, login):
    make_user("staff", username="sun")
    login("sun", "wrong-password-1")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LoginAttempt).where(LoginAttempt.username == "sun")) == 1
    login("sun")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LoginAttempt).where(LoginAttempt.username == "sun")) == 0


def test_login_is_throttled_after_repeated_failures_for_known_and_unknown_users(app, client, make_user, login):
    make_user("staff", username="zhou")
    limit = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(limit):
        assert login("zhou", "bad-password").status_code == 200
        assert login("ghost", "bad-password").status_code == 200
    known = login("zhou")  # even the right password is refused while throttled
    unknown = login("ghost", "bad-password")
    assert known.status_code == unknown.status_code == 429
    assert "登录失败次数过多" in known.get_data(as_text=True)
    assert _without_tokens(known.get_data(as_text=True)) == _without_tokens(unknown.get_data(as_text=True))
    assert client.get("/dashboard").status_code == 302  # not logged in


def test_login_renews_the_session(client, make_user, login):
    make_user("staff", username="wu")
    client.get("/login")
    with client.session_transaction() as before:
        before["planted"] = "by-an-attacker"
    login("wu")
    with client.session_transaction() as after:
        assert "planted" not in after
        assert after["_user_id"]


def test_logout_ends_the_session_even_for_a_copied_cookie(client, make_user, login):
    make_user("staff", username="xu")
    login("xu")
    with client.session_transaction() as sess:
        stolen = dict(sess)
    token = csrf_token(client, "/dashboard")
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 302
    assert client.get("/dashboard").headers["Location"].startswith("/login")
    with client.session_transaction() as sess:  # replay the cookie from before logout
        sess.update(stolen)
    assert client.get("/dashboard").headers["Location"].startswith("/login")


def test_disabled_user_is_cut_off_at_once(app, client, make_user, login):
    user_id = make_user("staff", username="gao")
    login("gao")
    assert client.get("/dashboard").status_code == 200
    with app.app_context():
        from survey.services.accounts import set_user_enabled

        set_user_enabled(user=db.session.get(User, user_id), enabled=False)
        db.session.commit()
    assert client.get("/dashboard").headers["Location"].startswith("/login")
    assert login("gao").status_code == 200  # and cannot log in again
    assert client.get("/dashboard").status_code == 302


def test_admin_disables_a_user_through_the_page(app, client, make_user, login):
    make_user("admin", username="boss")
    target = make_user("staff", username="he")
    login("boss")
    token = csrf_token(client, "/staff/users")
    response = client.post(f"/staff/users/{target}/enabled", data={"csrf_token": token})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(User, target).enabled is False


def test_login_ignores_an_offsite_next_url(client, make_user):
    make_user("staff", username="lin")
    token = csrf_token(client)
    response = client.post(
        "/login", data={"username": "lin", "password": "correct-horse-9", "csrf_token": token, "next": "//evil.example/x"}
    )
    assert response.headers["Location"] == "/dashboard"


def test_login_follows_a_local_next_url(client, make_user):
    make_user("staff", username="ma")
    token = csrf_token(client)
    response = client.post(
        "/login", data={"username": "ma", "password": "correct-horse-9", "csrf_token": token, "next": "/staff/units"}
    )
    assert response.headers["Location"] == "/staff/units"
