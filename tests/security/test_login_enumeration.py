"""Checklist: nothing a stranger can send tells them which accounts or codes exist.

``tests/survey/test_auth.py`` already checks that an unknown user and a wrong password show
the same page once every form value is blanked, and that the throttle answers known and
unknown names alike. This module makes those answers strict (the whole response, headers
included, byte for byte apart from the CSRF token and the typed name, which the attacker
knows anyway), adds the cases around them (a disabled account with its right password, the
per-address throttle), measures that both failures cost the same time (both go through one
scrypt hash), and covers the other doors that answer to a guess: scoring join codes,
questionnaire invitation codes, and the user list.
"""

from __future__ import annotations

import random
import re
import statistics
import time

import pytest
from flask import g
from sqlalchemy import func, select

from survey.extensions import db
from survey.models import LoginAttempt, Role, User
from survey.services import accounts
from tests.conftest import csrf_token

#: Same length as KNOWN, so Content-Length may be compared as is.
KNOWN, UNKNOWN = "zhao07", "qian07"
WRONG = "not-the-password-1"


def token_of(response) -> str:
    match = re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', response.get_data(as_text=True))
    assert match, "no CSRF token on the page"
    return match.group(1)


def fingerprint(response, *typed: str) -> tuple:
    """Everything an attacker sees, with the per-session token and the typed values masked.

    The session cookie's value is masked too (it carries the CSRF token); its attributes stay."""
    body = response.get_data(as_text=True).replace(token_of(response), "CSRF")
    for index, value in enumerate(typed):
        body = body.replace(f'value="{value}"', f'value="TYPED{index}"')
    headers = []
    for name, value in sorted(response.headers.items()):
        if name == "Set-Cookie":
            cookie_name, _sep, rest = value.partition("=")
            value = cookie_name + "=VALUE;" + rest.partition(";")[2]
        headers.append((name, value))
    return response.status_code, tuple(headers), body


def post_login(client, username: str, password: str, token: str, **kwargs):
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token}, **kwargs)


def first_attempt(app, username: str, password: str, address: str = "127.0.0.1"):
    """A login from a fresh browser: compared answers start from the same session state (the
    first POST of a session also marks it not fresh, which sets the cookie once)."""
    client = app.test_client()
    page = client.get("/login", environ_base={"REMOTE_ADDR": address})
    return post_login(client, username, password, token_of(page), environ_base={"REMOTE_ADDR": address})


@pytest.fixture
def known(make_user):
    return make_user("staff", username=KNOWN)


# --------------------------------------------------------------------------- the login form


def test_unknown_user_and_wrong_password_get_byte_identical_answers(app, known):
    wrong_password = first_attempt(app, KNOWN, WRONG)
    unknown_user = first_attempt(app, UNKNOWN, WRONG)
    assert wrong_password.status_code == 200
    assert "用户名或密码错误" in wrong_password.get_data(as_text=True)
    assert fingerprint(wrong_password, KNOWN) == fingerprint(unknown_user, UNKNOWN)


def test_a_disabled_account_with_its_right_password_answers_like_an_unknown_name(app, known):
    with app.app_context():
        accounts.set_user_enabled(user=db.session.get(User, known), enabled=False)
        db.session.commit()
    disabled = first_attempt(app, KNOWN, "correct-horse-9")
    unknown_user = first_attempt(app, UNKNOWN, "correct-horse-9")
    assert disabled.status_code == 200
    assert fingerprint(disabled, KNOWN) == fingerprint(unknown_user, UNKNOWN)
    assert "Location" not in disabled.headers


def test_the_throttle_answers_known_and_unknown_names_identically(app, client, known):
    """Reached by name (from two addresses, so the address limit plays no part)."""
    limit = app.config["LOGIN_MAX_FAILURES"]
    token = csrf_token(client)
    for _ in range(limit):
        post_login(client, KNOWN, WRONG, token, environ_base={"REMOTE_ADDR": "198.51.100.1"})
        post_login(client, UNKNOWN, WRONG, token, environ_base={"REMOTE_ADDR": "198.51.100.2"})
    known_throttled = first_attempt(app, KNOWN, "correct-horse-9", "198.51.100.1")
    unknown_throttled = first_attempt(app, UNKNOWN, WRONG, "198.51.100.2")
    assert known_throttled.status_code == 429
    assert "登录失败次数过多" in known_throttled.get_data(as_text=True)
    assert fingerprint(known_throttled, KNOWN) == fingerprint(unknown_throttled, UNKNOWN)
    assert "Location" not in known_throttled.headers  # the right password did not log in


def test_the_address_throttle_says_the_same_for_known_and_unknown_names(app, client, known, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_MAX_FAILURES_PER_IP", 3)
    token = csrf_token(client)
    for index in range(3):  # three different made-up names: only the address limit is reached
        assert post_login(client, f"guess{index}", WRONG, token).status_code == 200
    known_throttled = first_attempt(app, KNOWN, "correct-horse-9")
    unknown_throttled = first_attempt(app, UNKNOWN, WRONG)
    assert known_throttled.status_code == 429
    assert fingerprint(known_throttled, KNOWN) == fingerprint(unknown_throttled, UNKNOWN)


def test_the_unknown_name_is_checked_against_a_hash_of_the_same_cost(app, known):
    """Deterministic half of the timing check: the stand-in hash uses the real hashes' method
    and parameters (``scrypt:N:r:p``), so the work is the same by construction."""
    with app.app_context():
        stored = db.session.get(User, known).password_hash
    assert stored.split("$")[0] == accounts._DUMMY_HASH.split("$")[0]
    assert stored.startswith("scrypt:")


def test_timing_does_not_tell_an_unknown_name_from_a_wrong_password(app, client, known, monkeypatch):
    """The one timing assertion of the suite: medians of 30 interleaved attempts each.

    Both answers cost one scrypt check (tens of milliseconds), which dwarfs everything else;
    a shortcut for unknown names would make them many times faster. Medians and a 0.5–2.0
    band keep a loaded two-core machine from failing the test by chance."""
    monkeypatch.setitem(app.config, "LOGIN_MAX_FAILURES", 10_000)
    monkeypatch.setitem(app.config, "LOGIN_MAX_FAILURES_PER_IP", 10_000)
    token = csrf_token(client)
    order = [KNOWN, UNKNOWN] * 30
    random.Random(9).shuffle(order)  # interleaved, in no fixed rhythm
    post_login(client, KNOWN, WRONG, token)  # warm-up: first-request costs fall on neither side
    post_login(client, UNKNOWN, WRONG, token)
    times: dict[str, list[float]] = {KNOWN: [], UNKNOWN: []}
    for name in order:
        started = time.perf_counter()
        response = post_login(client, name, WRONG, token)
        times[name].append(time.perf_counter() - started)
        assert response.status_code == 200
    ratio = statistics.median(times[UNKNOWN]) / statistics.median(times[KNOWN])
    assert 0.5 <= ratio <= 2.0, (ratio, statistics.median(times[KNOWN]), statistics.median(times[UNKNOWN]))
    with app.app_context():  # every attempt was really a failure that the throttle counted
        counted = db.session.scalar(select(func.count()).select_from(LoginAttempt)
                                    .where(LoginAttempt.username.in_([KNOWN, UNKNOWN])))
    assert counted == 62


def test_there_is_no_password_reset_to_probe(app):
    """No route answers "is there an account with this name or address?": administrators set
    passwords. A reset page added later must give one answer for every name (see above)."""
    words = ("reset", "forgot", "recover", "password")
    assert [r.rule for r in app.url_map.iter_rules() if any(w in r.rule.lower() for w in words)] == []


# --------------------------------------------------------------------------- the user list


@pytest.mark.parametrize("role", ["staff", "evaluator", "representative"])
def test_only_administrators_see_or_probe_usernames(app, client, make_user, login, role):
    make_user("admin", username="hidden-admin-name")
    make_user(role, username=f"probe-{role}")
    login(f"probe-{role}")
    listing = client.get("/staff/users")
    assert listing.status_code == 403
    assert "hidden-admin-name" not in listing.get_data(as_text=True)
    # Creating a user with a taken name would say "already taken": refused before the form is read.
    token = csrf_token(client, "/dashboard")
    attempt = client.post("/staff/users", data={"username": "hidden-admin-name", "role": "staff",
                                                "password": "0123456789ab", "confirm": "0123456789ab",
                                                "csrf_token": token})
    assert attempt.status_code == 403
    assert "hidden-admin-name" not in attempt.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)
                                 .where(User.username == "hidden-admin-name", User.role == Role.ADMIN)) == 1


# --------------------------------------------------------------------------- scoring join codes


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app


def _join(client, code: str):
    g.pop("csrf_token", None)  # Flask-WTF keeps a token on g, which the test's app context shares
    token = csrf_token(client, "/join")
    return client.post("/join", data={"code": code, "csrf_token": token})


def test_unknown_used_expired_revoked_and_closed_round_join_codes_get_one_answer(ctx):
    """``tests/survey/test_scoring_views.py`` checks the message; here the whole answer."""
    from datetime import timedelta

    from survey.models import JoinCode, RoundRater, RoundStatus
    from survey.models.base import utcnow
    from survey.services import join_codes
    from survey.services.invites import code_hash
    from tests.survey.test_scoring_views import joinable

    world = joinable()
    raters = world["raters"]
    codes = [world["codes"][r] for r in raters]
    assert len(codes) >= 4

    def row(code):
        return db.session.scalar(select(JoinCode).where(JoinCode.code_hash == code_hash(code)))

    assert _join(ctx.test_client(), codes[0]).status_code == 302  # used
    row(codes[1]).expires_at = utcnow() - timedelta(minutes=1)  # expired
    rater = db.session.get(RoundRater, raters[2])
    join_codes.revoke_join_codes(round=rater.round, rater=rater)  # revoked
    db.session.commit()
    cases = {"unknown": "ZZZZZ-ZZZZZ", "used": codes[0], "expired": codes[1], "revoked": codes[2]}
    answers = {name: _join(ctx.test_client(), code) for name, code in cases.items()}
    rater.round.status = RoundStatus.CLOSED  # a live code of a round that no longer takes scores
    db.session.commit()
    answers["round closed"] = _join(ctx.test_client(), codes[3])
    reference = fingerprint(answers["unknown"], cases["unknown"])
    assert reference[0] == 400
    for name, response in answers.items():
        typed = cases.get(name, codes[3])
        assert fingerprint(response, typed) == reference, name


# --------------------------------------------------------------------------- invitation codes


def test_invitation_codes_of_another_questionnaire_or_revoked_answer_like_unknown_ones(ctx):
    """An invitation code carries 160 random bits (see test_code_entropy), so nobody reaches
    "already used" without holding the code; what a guess can reach must all look alike:
    an unknown code, a revoked one, and a real code of another questionnaire."""
    from tests.survey.test_api import VALID, _issue_invites, _publish, _submit, _token

    _publish(ctx, slug="needs-a")
    _publish(ctx, slug="needs-b")
    other = _issue_invites(ctx, "needs-b")[0]
    revoked = _issue_invites(ctx, "needs-a")[0]
    from survey.models import Invite
    from survey.services import invites

    invites.revoke_invite(invite=db.session.scalar(select(Invite).where(
        Invite.code_hash == invites.code_hash(revoked))))
    db.session.commit()
    client = ctx.test_client()
    g.pop("csrf_token", None)
    token = _token(client, "needs-a")
    answers = {}
    for name, code in {"unknown": invites.new_code(), "revoked": revoked, "other questionnaire": other}.items():
        body = {"client_id": f"enum-{name.replace(' ', '-')}-0123456789", "answers": VALID, "invite_code": code}
        response = _submit(client, token, body, slug="needs-a")
        answers[name] = (response.status_code, response.get_json())
    assert answers["unknown"][0] == 403
    assert answers["unknown"][1]["message"] == "This invitation code is not valid for this questionnaire."
    assert answers["revoked"] == answers["other questionnaire"] == answers["unknown"]
