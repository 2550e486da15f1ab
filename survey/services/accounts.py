"""Accounts: create users, check passwords with throttling, open and end login sessions."""

from __future__ import annotations

import hashlib
import math
import secrets
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import delete, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from survey.extensions import db
from survey.models import LoginAttempt, LoginSession, Role, User
from survey.models.base import utcnow
from survey.services import audit
from survey.services.errors import Conflict, InvalidCredentials, LoginThrottled

#: scrypt (werkzeug's default KDF): memory-hard and slow by design.
PASSWORD_METHOD = "scrypt"  # nosec B105  # a hash method's name
MIN_PASSWORD_LENGTH = 10

#: Checked against when the username is unknown, so both failures cost the same time.
_DUMMY_HASH = generate_password_hash("kaimen-no-such-user", method=PASSWORD_METHOD)


def normalise_username(username: str) -> str:
    return username.strip().lower()


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=PASSWORD_METHOD)


def generate_password() -> str:
    """A random password that is easy to read aloud and type on a phone."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(4))


def create_user(*, username: str, role: Role, password: str, display_name: str | None = None,
                by: User | None = None) -> User:
    """Add a user; refuses a taken name or a short password. ``by``: the administrator (for the audit log)."""
    name = normalise_username(username)
    if not name or len(name) > 80 or any(ch.isspace() for ch in name):
        raise Conflict(_("A username needs 1 to 80 characters and no spaces."))
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Conflict(_("The password must have at least %(n)d characters.", n=MIN_PASSWORD_LENGTH))
    if db.session.scalar(select(User.id).where(User.username == name)) is not None:
        raise Conflict(_("The username %(name)s is already taken.", name=name))
    user = User(username=name, role=role, display_name=display_name or name, password_hash=hash_password(password))
    db.session.add(user)
    db.session.flush()
    audit.record(audit.USER_CREATE, subject_type="user", subject_id=user.id, actor=by,
                 details={"username": user.username, "role": user.role.value})
    return user


def set_user_role(*, user: User, role: Role, by: User | None = None) -> None:
    """Give an account another role; the change is in the audit log."""
    if user.role is role:
        return
    previous = user.role
    user.role = role
    db.session.flush()
    audit.record(audit.USER_ROLE, subject_type="user", subject_id=user.id, actor=by,
                 details={"username": user.username, "from": previous.value, "to": role.value})


def authenticate(*, username: str, password: str, address: str, settings: dict) -> User:
    """Return the user for correct credentials; unknown user and wrong password look alike.

    Failures are stored, and once too many have piled up for the name (or the
    address) within the window, every attempt is refused with the same
    throttling message whether the name exists or not.
    """
    name = normalise_username(username)[:80]
    now = utcnow()
    window = timedelta(minutes=settings["LOGIN_FAILURE_WINDOW_MINUTES"])
    retry = _throttle_retry_seconds(name, address, now, window, settings)
    if retry:
        raise LoginThrottled(
            _("Too many failed logins. Try again in %(minutes)d minutes.", minutes=math.ceil(retry / 60)),
            retry,
        )
    user = db.session.scalar(select(User).where(User.username == name))
    valid = check_password_hash(user.password_hash if user and user.password_hash else _DUMMY_HASH, password)
    if not valid or user is None or not user.enabled:
        db.session.add(LoginAttempt(username=name, address=address[:64], attempted_at=now))
        db.session.flush()
        # The typed name is not logged (it may be a password typed in the wrong field): a known account's id is.
        audit.record(audit.LOGIN_FAILED, subject_type="user", subject_id=user.id if user else "-",
                     actor_label="anonymous", now=now,
                     details={"address": address[:64],
                              "cause": "unknown user" if user is None else "disabled" if valid else "password"})
        raise InvalidCredentials(_("Wrong username or password."))
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.username == name))
    return user


def _throttle_retry_seconds(name: str, address: str, now: datetime, window: timedelta, settings: dict) -> int:
    since = now - window
    by_name = db.session.execute(
        select(func.count(), func.min(LoginAttempt.attempted_at)).where(
            LoginAttempt.username == name, LoginAttempt.attempted_at >= since
        )
    ).one()
    by_address = db.session.execute(
        select(func.count(), func.min(LoginAttempt.attempted_at)).where(
            LoginAttempt.address == address[:64], LoginAttempt.attempted_at >= since
        )
    ).one()
    for (count, first), limit in ((by_name, settings["LOGIN_MAX_FAILURES"]), (by_address, settings["LOGIN_MAX_FAILURES_PER_IP"])):
        if count >= limit:
            return max(1, int((first + window - now).total_seconds()))
    return 0


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("ascii", "replace")).hexdigest()


def start_login_session(*, user: User, user_agent: str | None, hours: int, address: str | None = None) -> str:
    """Open a server-side session and return the token the cookie will carry (a login in the audit log)."""
    key = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(
        LoginSession(
            key_hash=_key_hash(key),
            user_id=user.id,
            created_at=now,
            expires_at=now + timedelta(hours=hours),
            user_agent=(user_agent or "")[:255] or None,
        )
    )
    db.session.flush()
    user.login_key = key
    audit.record(audit.LOGIN, subject_type="user", subject_id=user.id, actor=user, now=now,
                 details={"address": address[:64]} if address else None)
    return key


def user_for_session_key(key: str) -> User | None:
    """The enabled user of a live session, or None (ended, expired, disabled, unknown)."""
    row = db.session.scalar(select(LoginSession).where(LoginSession.key_hash == _key_hash(key)))
    if row is None or row.ended_at is not None or row.expires_at <= utcnow() or not row.user.enabled:
        return None
    row.user.login_key = key
    return row.user


def end_login_session(*, key: str) -> None:
    """Logout: the session can never be used again, on any server."""
    row = db.session.scalar(select(LoginSession).where(LoginSession.key_hash == _key_hash(key)))
    if row is not None and row.ended_at is None:
        row.ended_at = utcnow()
        db.session.flush()
        audit.record(audit.LOGOUT, subject_type="user", subject_id=row.user_id, actor=row.user, now=row.ended_at)


def set_user_enabled(*, user: User, enabled: bool, by: User | None = None) -> None:
    """Disable or re-enable an account; a disabled user's open sessions stop working at once."""
    if user.enabled != enabled:
        audit.record(audit.USER_ENABLED, subject_type="user", subject_id=user.id, actor=by,
                     details={"username": user.username, "enabled": enabled})
    user.enabled = enabled
    if not enabled:
        for row in db.session.scalars(
            select(LoginSession).where(LoginSession.user_id == user.id, LoginSession.ended_at.is_(None))
        ):
            row.ended_at = utcnow()
    db.session.flush()


def set_user_locale(*, user: User, locale: str) -> None:
    user.locale = locale
    db.session.flush()


def list_users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.role, User.username)))


def get_user(*, user_id: int) -> User | None:
    return db.session.get(User, user_id)
