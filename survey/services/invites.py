"""One-time invitation codes for a questionnaire.

A code carries 160 random bits, written in Crockford base32 (no I, L, O, U) in
groups of four so it can be read aloud or typed from a printed slip. Only its
SHA-256 is stored. Redeeming is a single conditional UPDATE, so two phones
racing with the same code cannot both win.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from survey.extensions import db
from survey.models import Invite, OrgUnit, Questionnaire
from survey.models.base import utcnow
from survey.services.errors import Conflict, DomainError

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32
CODE_BYTES = 20  # 160 bits
MAX_BATCH = 50_000


class InviteRefused(DomainError):
    status_code = 403


def _encode(raw: bytes) -> str:
    number = int.from_bytes(raw, "big")
    chars = []
    for _position in range(len(raw) * 8 // 5):
        number, digit = divmod(number, 32)
        chars.append(ALPHABET[digit])
    code = "".join(reversed(chars))
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def normalise_code(code: str) -> str:
    """Accept what people type: any case, spaces or dashes, O for 0 and I/L for 1."""
    cleaned = "".join(ch for ch in code.upper() if ch.isalnum())
    return cleaned.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))


def code_hash(code: str) -> str:
    return hashlib.sha256(normalise_code(code).encode("ascii", "replace")).hexdigest()


def new_code() -> str:
    return _encode(secrets.token_bytes(CODE_BYTES))


def random_code(length: int, group: int) -> str:
    """``length`` random Crockford base32 characters (5 bits each), a dash every ``group``.

    For shorter codes than invitations carry, e.g. the session sheet's join codes.
    """
    code = "".join(secrets.choice(ALPHABET) for _position in range(length))
    return "-".join(code[i : i + group] for i in range(0, length, group))


@dataclass(frozen=True)
class IssuedInvite:
    code: str  #: shown once; only its hash is stored
    label: str | None
    unit_code: str | None


def create_invites(
    *, questionnaire: Questionnaire, count: int = 0, unit: OrgUnit | None = None, labels: Iterable[str | None] = ()
) -> list[IssuedInvite]:
    """Issue ``count`` unlabelled codes, or one code per label, bound to ``unit`` when given."""
    labels = list(labels) or [None] * count
    return _issue(questionnaire, [(label, unit) for label in labels])


def _issue(questionnaire: Questionnaire, entries: list[tuple[str | None, OrgUnit | None]]) -> list[IssuedInvite]:
    if not 1 <= len(entries) <= MAX_BATCH:
        raise Conflict(_("Issue between 1 and %(n)d invitation codes at a time.", n=MAX_BATCH))
    issued = []
    for label, unit in entries:
        code = new_code()
        db.session.add(
            Invite(questionnaire_id=questionnaire.id, code_hash=code_hash(code), unit_id=unit.id if unit else None,
                   label=(label or None) and label[:200])
        )
        issued.append(IssuedInvite(code=code, label=label, unit_code=unit.code if unit else None))
    db.session.flush()
    return issued


def redeem_invite(*, questionnaire: Questionnaire, code: str, today: date | None = None) -> Invite:
    """Use a code once. The same answer for unknown and used codes would hide
    nothing useful here, so the messages say which it is."""
    digest = code_hash(code)
    invite = db.session.scalar(
        select(Invite).where(Invite.code_hash == digest, Invite.questionnaire_id == questionnaire.id)
    )
    if invite is None or invite.revoked_at is not None:
        raise InviteRefused(_("This invitation code is not valid for this questionnaire."))
    claimed = db.session.execute(
        update(Invite)
        .where(Invite.id == invite.id, Invite.used_on.is_(None))
        .values(used_on=today or utcnow().date())
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise InviteRefused(_("This invitation code has already been used."))
    db.session.refresh(invite)
    return invite


def revoke_invite(*, invite: Invite) -> None:
    invite.revoked_at = utcnow()
    db.session.flush()


def invite_counts(*, questionnaire: Questionnaire) -> tuple[int, int]:
    """(issued, used) codes of a questionnaire."""
    issued, used = db.session.execute(
        select(func.count(Invite.id), func.count(Invite.used_on)).where(Invite.questionnaire_id == questionnaire.id)
    ).one()
    return issued, used


def create_invites_from_list(*, questionnaire: Questionnaire, rows) -> list[IssuedInvite]:
    """One code per listed invitee, bound to the unit the row names; refused whole on any bad row."""
    codes = {row.unit_code for row in rows if row.unit_code}
    found = {u.code: u for u in db.session.scalars(select(OrgUnit).where(OrgUnit.code.in_(codes)))} if codes else {}
    unknown = [
        _("row %(row)d: there is no unit with the code %(code)s", row=row.row, code=row.unit_code)
        for row in rows
        if row.unit_code and row.unit_code not in found
    ]
    if unknown:
        raise InviteListRefused(unknown)
    return _issue(questionnaire, [(row.label, found.get(row.unit_code)) for row in rows])


class InviteListRefused(DomainError):
    def __init__(self, reasons: list[str]):
        super().__init__("; ".join(reasons))
        self.reasons = reasons
