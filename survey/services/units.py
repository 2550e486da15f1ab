"""Read use cases over the organisation hierarchy."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from survey.extensions import db
from survey.models import OrgLevel, OrgUnit, RepresentativeProfile, UnitKind


@dataclass(frozen=True)
class SubDistrictSummary:
    unit: OrgUnit
    grassroots_units: int
    members: int
    employees: int

    @property
    def membership_rate(self) -> float | None:
        return self.members / self.employees if self.employees else None


@dataclass(frozen=True)
class OrganisationOverview:
    district: OrgUnit | None
    sub_districts: list[SubDistrictSummary]
    directly_affiliated: list[OrgUnit]
    units_by_kind: dict[UnitKind, int]
    representatives: int


def organisation_overview() -> OrganisationOverview:
    """The district at a glance: sub-districts with unit and member totals."""
    district = db.session.scalar(select(OrgUnit).where(OrgUnit.level == OrgLevel.DISTRICT).order_by(OrgUnit.id))
    child = aliased(OrgUnit)
    rows = db.session.execute(
        select(
            OrgUnit,
            func.count(child.id),
            func.coalesce(func.sum(child.member_count), 0),
            func.coalesce(func.sum(child.employee_count), 0),
        )
        .outerjoin(child, child.parent_id == OrgUnit.id)
        .where(OrgUnit.level == OrgLevel.SUB_DISTRICT)
        .group_by(OrgUnit.id)
        .order_by(OrgUnit.id)  # the order they were entered in: the seeds' list
    ).all()
    affiliated = db.session.scalars(
        select(OrgUnit).where(OrgUnit.kind == UnitKind.DIRECTLY_AFFILIATED).order_by(OrgUnit.code)
    ).all()
    by_kind = dict(
        db.session.execute(
            select(OrgUnit.kind, func.count()).where(OrgUnit.kind.is_not(None)).group_by(OrgUnit.kind)
        ).all()
    )
    reps = db.session.scalar(select(func.count()).select_from(RepresentativeProfile)) or 0
    return OrganisationOverview(
        district=district,
        sub_districts=[SubDistrictSummary(unit, n, int(m), int(e)) for unit, n, m, e in rows],
        directly_affiliated=list(affiliated),
        units_by_kind={UnitKind(k): n for k, n in by_kind.items()},
        representatives=reps,
    )


def units_under(*, parent_id: int) -> list[OrgUnit]:
    """Grassroots units of one federation, by code."""
    return list(db.session.scalars(select(OrgUnit).where(OrgUnit.parent_id == parent_id).order_by(OrgUnit.code)))


def get_unit(*, unit_id: int) -> OrgUnit | None:
    return db.session.get(OrgUnit, unit_id)


def get_unit_by_code(*, code: str) -> OrgUnit | None:
    return db.session.scalar(select(OrgUnit).where(OrgUnit.code == code))
