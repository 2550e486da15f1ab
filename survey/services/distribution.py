"""Getting a questionnaire to members: public link, QR code, participation against targets."""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from datetime import date

import segno
from flask_babel import gettext as _
from sqlalchemy import func, select

from survey.extensions import db
from survey.models import OrgUnit, ParticipationTarget, Questionnaire, Response
from survey.services.errors import Conflict

QR_FORMATS = {"png": "image/png", "svg": "image/svg+xml"}


def qr_code(*, url: str, fmt: str, scale: int = 8) -> bytes:
    """A QR code for the public link, error correction M (survives a printed sheet's wear)."""
    if fmt not in QR_FORMATS:
        raise Conflict(_("QR codes come as PNG or SVG."))
    out = io.BytesIO()
    segno.make_qr(url, error="m").save(out, kind=fmt, scale=scale, border=4)
    return out.getvalue()


def set_participation_target(*, questionnaire: Questionnaire, unit: OrgUnit, rate: float) -> ParticipationTarget:
    """E.g. 0.6: 60% of the unit's members should answer."""
    if not 0 < rate <= 1:
        raise Conflict(_("A participation target is a share between 0 and 100%."))
    target = db.session.scalar(
        select(ParticipationTarget).where(
            ParticipationTarget.questionnaire_id == questionnaire.id, ParticipationTarget.unit_id == unit.id
        )
    )
    if target is None:
        target = ParticipationTarget(questionnaire_id=questionnaire.id, unit_id=unit.id, rate=rate)
        db.session.add(target)
    else:
        target.rate = rate
    db.session.flush()
    return target


@dataclass(frozen=True)
class UnitParticipation:
    unit: OrgUnit
    submitted: int
    target_rate: float | None

    @property
    def rate(self) -> float | None:
        return self.submitted / self.unit.member_count if self.unit.member_count else None

    @property
    def target_count(self) -> int | None:
        if self.target_rate is None:
            return None
        return math.ceil(self.target_rate * self.unit.member_count - 1e-9)

    @property
    def reached(self) -> bool | None:
        return None if self.target_count is None else self.submitted >= self.target_count


@dataclass(frozen=True)
class Participation:
    submitted: int
    in_progress: int
    by_day: list[tuple[date, int]]
    by_unit: list[UnitParticipation]
    without_unit: int


def participation(*, questionnaire: Questionnaire) -> Participation:
    """Live counts: submitted and unfinished responses, per day and per unit against targets."""
    base = select(func.count()).select_from(Response).where(Response.questionnaire_id == questionnaire.id)
    submitted = db.session.scalar(base.where(Response.submitted_on.is_not(None))) or 0
    in_progress = db.session.scalar(base.where(Response.submitted_on.is_(None))) or 0
    by_day = db.session.execute(
        select(Response.submitted_on, func.count())
        .where(Response.questionnaire_id == questionnaire.id, Response.submitted_on.is_not(None))
        .group_by(Response.submitted_on)
        .order_by(Response.submitted_on)
    ).all()
    counts = dict(
        db.session.execute(
            select(Response.unit_id, func.count())
            .where(Response.questionnaire_id == questionnaire.id, Response.submitted_on.is_not(None))
            .group_by(Response.unit_id)
        ).all()
    )
    targets = dict(
        db.session.execute(
            select(ParticipationTarget.unit_id, ParticipationTarget.rate).where(
                ParticipationTarget.questionnaire_id == questionnaire.id
            )
        ).all()
    )
    unit_ids = (set(counts) - {None}) | set(targets)
    units = db.session.scalars(select(OrgUnit).where(OrgUnit.id.in_(unit_ids)).order_by(OrgUnit.code)).all() if unit_ids else []
    return Participation(
        submitted=submitted,
        in_progress=in_progress,
        by_day=[(day, n) for day, n in by_day],
        by_unit=[UnitParticipation(u, counts.get(u.id, 0), targets.get(u.id)) for u in units],
        without_unit=counts.get(None, 0),
    )
