"""Phones bound to raters: a join code is exchanged once for a device token.

The representative scans the QR code on the session sheet (or types the code);
the code is marked used with a conditional UPDATE, so two phones racing with one
code cannot both win, and the phone receives a random token that its cookie
carries. Only the token's SHA-256 is stored. The binding lasts until the code
would have expired, or until staff revoke it (a lost phone or sheet). Wrong codes
are counted per address in the login-attempt table, so guessing is throttled on
every app server alike.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from survey.extensions import db
from survey.models import (
    JoinCode,
    LoginAttempt,
    RaterDevice,
    Round,
    RoundRater,
    RoundStatus,
)
from survey.models.base import utcnow
from survey.services import join_codes
from survey.services.errors import DomainError

COOKIE_NAME = "kaimen_rater"
#: Failed exchanges are stored under this name (no username can contain "#").
_ATTEMPT_NAME = "#join"


class JoinRefused(DomainError):
    status_code = 400


class JoinThrottled(DomainError):
    status_code = 429

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Joined:
    device: RaterDevice
    token: str  #: goes into the phone's cookie; never stored
    expires_at: datetime


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def _retry_after(address: str, now: datetime, settings: Mapping) -> int:
    window = timedelta(minutes=settings["LOGIN_FAILURE_WINDOW_MINUTES"])
    count, first = db.session.execute(
        select(func.count(), func.min(LoginAttempt.attempted_at)).where(
            LoginAttempt.username == _ATTEMPT_NAME,
            LoginAttempt.address == address[:64],
            LoginAttempt.attempted_at >= now - window,
        )
    ).one()
    if count >= settings["JOIN_MAX_FAILURES_PER_IP"]:
        return max(1, int((first + window - now).total_seconds()))
    return 0


def join_with_code(
    *, code: str, address: str, user_agent: str | None, settings: Mapping, now: datetime | None = None
) -> Joined:
    """Exchange a join code for a device token; the code never works again."""
    now = now or utcnow()
    retry = _retry_after(address, now, settings)
    if retry:
        raise JoinThrottled(
            _("Too many wrong codes from this network. Try again in %(minutes)d minutes.",
              minutes=math.ceil(retry / 60)),
            retry,
        )
    found = join_codes.find_valid_join_code(code=code, now=now)
    if found is not None and db.session.get(Round, found.round_id).status is not RoundStatus.OPEN:
        found = None  # codes of a round in set-up or closed are refused like unknown ones
    won = found is not None and db.session.execute(
        update(JoinCode)
        .where(JoinCode.id == found.id, JoinCode.used_at.is_(None), JoinCode.revoked_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    if not won:
        db.session.add(LoginAttempt(username=_ATTEMPT_NAME, address=address[:64], attempted_at=now))
        db.session.flush()
        raise JoinRefused(_("This code does not work: it may be mistyped, already used, revoked or expired. "
                            "Ask the staff at the session for a new one."))
    token = secrets.token_urlsafe(32)
    device = RaterDevice(
        round_id=found.round_id, rater_id=found.rater_id, join_code_id=found.id, token_hash=_token_hash(token),
        user_agent=(user_agent or "")[:200] or None, created_at=now, expires_at=found.expires_at,
    )
    db.session.add(device)
    db.session.flush()
    return Joined(device, token, found.expires_at)


def device_for_token(token: str | None, now: datetime | None = None) -> RaterDevice | None:
    """The live binding behind a cookie: unrevoked, unexpired, in a round that is still open."""
    if not token or len(token) > 100:
        return None
    device = db.session.scalar(select(RaterDevice).where(RaterDevice.token_hash == _token_hash(token)))
    if device is None or device.revoked_at is not None or device.expires_at <= (now or utcnow()):
        return None
    if db.session.get(Round, device.round_id).status is not RoundStatus.OPEN:
        return None
    return device


def leave(*, token: str, now: datetime | None = None) -> None:
    """The phone signs out: its token stops working everywhere."""
    device = db.session.scalar(select(RaterDevice).where(RaterDevice.token_hash == _token_hash(token or "")))
    if device is not None and device.revoked_at is None:
        device.revoked_at = now or utcnow()
        db.session.flush()


def revoke_rater(*, round: Round, rater: RoundRater, now: datetime | None = None) -> int:
    """Staff cut a rater off (a lost phone or sheet): their codes and bound phones stop working.

    Returns how many codes and phones were revoked."""
    now = now or utcnow()
    codes = join_codes.revoke_join_codes(round=round, rater=rater, now=now)
    devices = list(db.session.scalars(select(RaterDevice).where(
        RaterDevice.round_id == round.id, RaterDevice.rater_id == rater.id, RaterDevice.revoked_at.is_(None))))
    for device in devices:
        device.revoked_at = now
    db.session.flush()
    return codes + len(devices)
