"""A round's rater pool: picked from existing representatives or imported from a list.

A pool entry copies what recusal rules and quotas need (rater type, home unit,
sub-district, industry) at the time it joins, so a later change of someone's
profile does not silently change a round already planned. Imports are all or
nothing: any bad row refuses the whole file and nothing is stored.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from forms.rater_sheet import RaterRow, RaterSheetError, parse_rater_sheet, person_key
from survey.extensions import db
from survey.models import (
    OrgUnit,
    RaterType,
    RepresentativeProfile,
    Round,
    RoundRater,
    RoundStatus,
    User,
)
from survey.services.errors import DomainError


class RaterImportRejected(DomainError):
    """The list was refused; ``reasons`` names every bad row."""

    def __init__(self, reasons: list[str]):
        super().__init__(_("The rater list was not imported; nothing was stored."))
        self.reasons = reasons


@dataclass(frozen=True)
class ImportOutcome:
    raters: list[RoundRater]

    @property
    def count(self) -> int:
        return len(self.raters)


def _require_setup(round: Round) -> None:
    if round.status is not RoundStatus.SETUP:
        raise DomainError(_("The round is open: its rater pool can no longer change."))


def _pool_keys(round: Round) -> tuple[dict[tuple[str, str], RoundRater], dict[int, RoundRater]]:
    people = {person_key(r.name, r.home_unit.code if r.home_unit else ""): r for r in round.raters}
    users = {r.user_id: r for r in round.raters if r.user_id is not None}
    return people, users


def candidate_representatives(*, round: Round) -> list[User]:
    """Representatives with a profile who are not yet in the pool."""
    in_pool = {r.user_id for r in round.raters if r.user_id is not None}
    users = db.session.scalars(
        select(User).join(RepresentativeProfile, RepresentativeProfile.user_id == User.id)
        .where(User.enabled.is_(True)).order_by(User.username)
    )
    return [u for u in users if u.id not in in_pool]


def add_representatives(*, round: Round, users: Iterable[User]) -> list[RoundRater]:
    """Put representatives in the pool with the type, home unit, sub-district and industry of their profile."""
    _require_setup(round)
    users = list(users)
    people, in_pool = _pool_keys(round)
    problems, added = [], []
    for user in users:
        profile = user.profile
        if profile is None:
            problems.append(_("%(name)s has no representative profile.", name=user.display_name))
            continue
        key = person_key(user.display_name, profile.home_unit.code if profile.home_unit else "")
        if user.id in in_pool or key in people:
            problems.append(_("%(name)s is already in the pool.", name=user.display_name))
            continue
        rater = RoundRater(
            user=user,
            name=user.display_name,
            rater_type=profile.rater_type,
            home_unit=profile.home_unit,
            sub_district=profile.sub_district or (profile.home_unit.sub_district() if profile.home_unit else None),
            industry=profile.industry,
        )
        people[key] = rater
        in_pool[user.id] = rater
        added.append(rater)
    if problems:
        raise DomainError(" ".join(problems))
    for rater in added:
        round.raters.append(rater)
    db.session.flush()
    return added


def import_raters(*, round: Round, data: bytes, filename: str) -> ImportOutcome:
    """Add everyone on an uploaded list to the pool, or nobody (errors by row)."""
    _require_setup(round)
    try:
        rows = parse_rater_sheet(data, filename)
    except RaterSheetError as exc:
        raise RaterImportRejected(exc.reasons) from None
    units = {
        u.code: u
        for u in db.session.scalars(select(OrgUnit).where(OrgUnit.code.in_({r.home_unit for r in rows})))
    }
    wanted_users = {r.username for r in rows if r.username}
    users = {
        u.username: u for u in db.session.scalars(select(User).where(User.username.in_(wanted_users)))
    } if wanted_users else {}
    people, in_pool = _pool_keys(round)
    reasons: list[str] = []
    raters: list[RoundRater] = []
    for row in rows:
        problems = _row_problems(row, units, users, people, in_pool)
        if problems:
            reasons.extend(_("row %(row)d: %(problem)s", row=row.row, problem=p) for p in problems)
            continue
        home = units[row.home_unit]
        raters.append(RoundRater(
            user=users.get(row.username) if row.username else None,
            name=row.name,
            rater_type=RaterType(row.rater_type),
            home_unit=home,
            sub_district=home.sub_district(),
            industry=row.industry or home.industry,
            panel=row.panel,
        ))
    if reasons:
        raise RaterImportRejected(reasons)
    for rater in raters:
        round.raters.append(rater)
    db.session.flush()
    return ImportOutcome(raters)


def _row_problems(row: RaterRow, units, users, people, in_pool) -> list[str]:
    problems = []
    if row.home_unit not in units:
        problems.append(_("unknown unit code %(code)s", code=row.home_unit))
    existing = people.get(person_key(row.name, row.home_unit))
    if existing is not None:
        problems.append(_("%(name)s of %(unit)s is already in the pool", name=row.name, unit=row.home_unit))
    if row.username:
        user = users.get(row.username)
        if user is None:
            problems.append(_("there is no account %(username)s", username=row.username))
        elif user.id in in_pool and in_pool[user.id] is not existing:
            problems.append(_("the account %(username)s is already in the pool (as %(name)s)",
                              username=row.username, name=in_pool[user.id].name))
    return problems


def remove_rater(*, round: Round, rater: RoundRater) -> None:
    """Take someone out of the pool, with their seats and conflicts."""
    _require_setup(round)
    if rater.round_id != round.id:
        raise DomainError(_("%(name)s is not in this round's rater pool.", name=rater.name))
    from survey.models import Conflict

    for session in round.sessions:
        for member in [m for m in session.members if m.rater_id == rater.id]:
            session.members.remove(member)
    for conflict in db.session.scalars(select(Conflict).where(Conflict.rater_id == rater.id)):
        db.session.delete(conflict)
    round.raters.remove(rater)
    db.session.flush()
