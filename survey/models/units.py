"""Organisation units: district federation > sub-district federation > grassroots unit."""

from __future__ import annotations

import enum

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.extensions import db
from survey.models.base import str_enum


class OrgLevel(str, enum.Enum):
    DISTRICT = "district"  #: 区总工会
    SUB_DISTRICT = "sub_district"  #: 街道总工会
    GRASSROOTS = "grassroots"  #: 基层工会


class UnitKind(str, enum.Enum):
    """Kinds of grassroots unit named in the seeds."""

    ENTERPRISE = "enterprise"  #: independent enterprise union
    COMMUNITY_JOINT = "community_joint"  #: 社区联合工会
    INDUSTRY_JOINT = "industry_joint"  #: e.g. the wedding-trade union on Xidan street
    BUREAU = "bureau"  #: 委办局 union
    DIRECTLY_AFFILIATED = "directly_affiliated"  #: 直属基层工会


class OrgUnit(db.Model):
    __tablename__ = "org_units"
    __table_args__ = (
        CheckConstraint("member_count >= 0", name="member_count_nonnegative"),
        CheckConstraint("employee_count >= 0", name="employee_count_nonnegative"),
        CheckConstraint(
            "(level = 'district' AND parent_id IS NULL) OR (level <> 'district' AND parent_id IS NOT NULL)",
            name="only_district_is_root",
        ),
        CheckConstraint(
            "(level = 'grassroots') = (kind IS NOT NULL)", name="kind_only_for_grassroots"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stable short code used in imports and exports (e.g. ``XC-SCH-007``).
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    level: Mapped[OrgLevel] = mapped_column(str_enum(OrgLevel, 20))
    kind: Mapped[UnitKind | None] = mapped_column(str_enum(UnitKind, 30))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id", ondelete="RESTRICT"), index=True)
    industry: Mapped[str | None] = mapped_column(String(80))
    #: Union members on the unit's roll.
    member_count: Mapped[int] = mapped_column(Integer, default=0)
    #: Employees of the unit (the membership rate's denominator).
    employee_count: Mapped[int] = mapped_column(Integer, default=0)

    parent: Mapped[OrgUnit | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[OrgUnit]] = relationship(back_populates="parent")

    def name(self, locale: str) -> str:
        return self.name_en if locale.startswith("en") and self.name_en else self.name_zh

    def sub_district(self) -> OrgUnit | None:
        """The sub-district federation this unit belongs to (itself if it is one)."""
        node: OrgUnit | None = self
        while node is not None and node.level is not OrgLevel.SUB_DISTRICT:
            node = node.parent
        return node

    def __repr__(self) -> str:
        return f"<OrgUnit {self.code} {self.level.value}>"
