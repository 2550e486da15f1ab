"""Join codes for on-site scoring, and the printed session sheet that carries them.

A representative joins a report session on their phone by scanning the QR code
next to their name on the session sheet, or by typing the short code under it; no
password on the phone. A code is 10 Crockford base32 characters (50 random bits,
printed ``XXXXX-XXXXX``), personal to one rater of one round, and stored only as
its SHA-256. It expires at the end of the day after the session (Beijing time),
or 14 days after printing when the session has no time yet. Printing a sheet again
issues fresh codes and revokes the earlier unused ones, so a lost sheet is dealt
with by printing a new one; staff can also revoke a rater's codes outright.

Contract for the on-site scoring issue: the QR code encodes
``{base_url}{JOIN_PATH}?code={code}`` (see :func:`join_url`), so that issue adds a
public route at ``/join`` which accepts ``code`` from the query string or a typed
form, looks it up with :func:`find_valid_join_code` and marks it used with a
conditional UPDATE (``used_at IS NULL``) so two phones cannot both win. 50 bits
cannot be guessed online, provided that route is rate-limited like the login.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from survey.extensions import db
from survey.labels import RATER_TYPE_LABELS
from survey.models import (
    JoinCode,
    ReportSession,
    Round,
    RoundRater,
    RoundStatus,
    SessionStatus,
)
from survey.models.base import utcnow
from survey.reports.session_sheet import (
    Bilingual,
    SheetData,
    SheetLabels,
    SheetMember,
    SheetRecused,
    build_session_sheet,
)
from survey.services import plans
from survey.services.conflicts import unit_label
from survey.services.errors import DomainError
from survey.services.invites import ALPHABET, code_hash, normalise_code, random_code

#: The on-site scoring issue serves the join page here; the QR code links to it.
JOIN_PATH = "/join"
CODE_LENGTH = 10  # 50 bits
CODE_GROUP = 5
#: How long a code lives when its session has no time yet.
UNSCHEDULED_VALIDITY = timedelta(days=14)
TIME_FORMAT = "%Y-%m-%d %H:%M"


class SheetRefused(DomainError):
    status_code = 409


@dataclass(frozen=True)
class IssuedJoinCode:
    rater_id: int
    name: str
    rater_type: str  #: scoring.types.RaterType value
    code: str  #: XXXXX-XXXXX, shown once; only its hash is stored


@dataclass(frozen=True)
class SessionSheet:
    filename: str
    pdf: bytes
    issued: list[IssuedJoinCode]


def join_url(code: str, base_url: str) -> str:
    """The link a QR code encodes: ``{base_url}/join?code=XXXXX-XXXXX``."""
    return f"{base_url.rstrip('/')}{JOIN_PATH}?code={code}"


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def code_expiry(session: ReportSession, now: datetime) -> datetime:
    """The end of the day after the session's day (local time), or 14 days from ``now``."""
    if session.starts_at is None:
        return now + UNSCHEDULED_VALIDITY
    day = session.starts_at.astimezone(_zone()).date()
    return datetime.combine(day + timedelta(days=2), time(), tzinfo=_zone()).astimezone(UTC)


def issue_join_codes(*, session: ReportSession, now: datetime | None = None) -> list[IssuedJoinCode]:
    """A fresh code for every member of the session's panel; their earlier unused codes stop working."""
    now = now or utcnow()
    round = session.round
    unit = unit_label(session.unit)
    if round.status is RoundStatus.CLOSED or session.status is SessionStatus.CLOSED:
        raise SheetRefused(_("The session of %(unit)s is closed: no join codes are issued for it.", unit=unit))
    members = sorted(session.members, key=lambda m: (m.rater.name, m.rater_id))
    if not members:
        raise SheetRefused(_("The panel of %(unit)s is empty: seat its raters before printing the session sheet.",
                             unit=unit))
    expires_at = code_expiry(session, now)
    if expires_at <= now:
        raise SheetRefused(_("The session of %(unit)s is over: its join codes would already have expired. "
                             "Schedule it again to print a sheet.", unit=unit))
    _revoke(round.id, [m.rater_id for m in members], now, unused_only=True)
    issued = []
    for member in members:
        code = random_code(CODE_LENGTH, CODE_GROUP)
        db.session.add(JoinCode(round_id=round.id, rater_id=member.rater_id, code_hash=code_hash(code),
                                created_at=now, expires_at=expires_at))
        issued.append(IssuedJoinCode(member.rater_id, member.rater.name, member.rater.rater_type.value, code))
    db.session.flush()
    return issued


def revoke_join_codes(*, round: Round, rater: RoundRater, now: datetime | None = None) -> int:
    """Staff withdraw a rater's codes for the round (a lost sheet, a phone to unbind); returns how many."""
    return _revoke(round.id, [rater.id], now or utcnow(), unused_only=False)


def _revoke(round_id: int, rater_ids: list[int], now: datetime, *, unused_only: bool) -> int:
    query = select(JoinCode).where(
        JoinCode.round_id == round_id, JoinCode.rater_id.in_(rater_ids), JoinCode.revoked_at.is_(None)
    )
    if unused_only:
        query = query.where(JoinCode.used_at.is_(None))
    codes = list(db.session.scalars(query))
    for join_code in codes:
        join_code.revoked_at = now
    db.session.flush()
    return len(codes)


def find_valid_join_code(*, code: str, now: datetime | None = None) -> JoinCode | None:
    """The code's row if it may still be exchanged: known, unused, not revoked, not expired."""
    cleaned = normalise_code(code or "")
    if len(cleaned) != CODE_LENGTH or any(ch not in ALPHABET for ch in cleaned):
        return None
    return db.session.scalar(
        select(JoinCode).where(
            JoinCode.code_hash == code_hash(cleaned),
            JoinCode.revoked_at.is_(None),
            JoinCode.used_at.is_(None),
            JoinCode.expires_at > (now or utcnow()),
        )
    )


# --------------------------------------------------------------------------- the printed sheet


def _bilingual(message) -> Bilingual:
    """``message`` (a callable returning a translated string) in Chinese and in English."""
    with force_locale("zh_CN"):
        zh = str(message())
    with force_locale("en"):
        en = str(message())
    return Bilingual(zh, en)


def _local(value: datetime) -> str:
    return value.astimezone(_zone()).strftime(TIME_FORMAT)


def _labels(join_page: str, expires: str, generated: str) -> SheetLabels:
    return SheetLabels(
        title=_bilingual(lambda: _("Session sheet for on-site scoring")),
        round=_bilingual(lambda: _("Round")),
        unit=_bilingual(lambda: _("Unit")),
        time=_bilingual(lambda: _("Time")),
        place=_bilingual(lambda: _("Place")),
        no_time=_bilingual(lambda: _("no time yet")),
        no_place=_bilingual(lambda: _("no place yet")),
        instructions=_bilingual(lambda: _(
            "Scan your QR code with your phone's camera or WeChat, or open %(url)s and type your code. "
            "The code is personal and works once; it expires at %(expires)s (Beijing time).",
            url=join_page, expires=expires)),
        number=_bilingual(lambda: _("No.")),
        name=_bilingual(lambda: _("Name")),
        rater_type=_bilingual(lambda: _("Rater type")),
        home_unit=_bilingual(lambda: _("Home unit")),
        qr_code=_bilingual(lambda: _("QR code")),
        join_code=_bilingual(lambda: _("Join code")),
        recused_heading=_bilingual(lambda: _("In the group but not scoring this unit:")),
        recused_note=_bilingual(lambda: _("Recused: does not score this unit")),
        generated=_bilingual(lambda: _("Generated at %(time)s (Beijing time)", time=generated)),
    )


def _type_label(rater: RoundRater) -> str:
    with force_locale("zh_CN"):
        return str(RATER_TYPE_LABELS[rater.rater_type])


def sheet_data(
    *, session: ReportSession, issued: list[IssuedJoinCode], base_url: str, now: datetime
) -> SheetData:
    """The builder's input: the session, its panel with the codes just issued, recused group members."""
    raters = {m.rater_id: m.rater for m in session.members}
    plan = next(p for p in plans.session_plans(round=session.round) if p.session.id == session.id)
    expires = code_expiry(session, now)
    members = tuple(
        SheetMember(
            name=entry.name,
            rater_type=_type_label(raters[entry.rater_id]),
            home_unit=raters[entry.rater_id].home_unit.name_zh if raters[entry.rater_id].home_unit else "",
            home_unit_code=raters[entry.rater_id].home_unit.code if raters[entry.rater_id].home_unit else "",
            code=entry.code,
            url=join_url(entry.code, base_url),
        )
        for entry in issued
    )
    recused = tuple(
        SheetRecused(rater.name, _type_label(rater))
        for rater, _verdict in sorted(plan.recused, key=lambda pair: (pair[0].name, pair[0].id))
    )
    return SheetData(
        round_name=session.round.name,
        period=session.round.period,
        unit_name=session.unit.name_zh,
        unit_name_en=session.unit.name_en,
        unit_code=session.unit.code,
        starts_at=_local(session.starts_at) if session.starts_at else None,
        place=session.place,
        members=members,
        recused=recused,
        labels=_labels(f"{base_url.rstrip('/')}{JOIN_PATH}", _local(expires), _local(now)),
    )


def sheet_filename(session: ReportSession) -> str:
    safe = re.sub(r"[^A-Za-z0-9_-]+", "_", session.unit.code).strip("_") or str(session.id)
    return f"session-sheet-{safe}.pdf"


def print_session_sheet(*, session: ReportSession, base_url: str, now: datetime | None = None) -> SessionSheet:
    """Issue the panel's join codes and lay them out on the sheet staff print for the session."""
    now = now or utcnow()
    issued = issue_join_codes(session=session, now=now)
    pdf = build_session_sheet(sheet_data(session=session, issued=issued, base_url=base_url, now=now))
    return SessionSheet(sheet_filename(session), pdf, issued)
