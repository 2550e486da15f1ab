"""Conflicts of interest: recorded relationships, declared conflicts, and the
"may score / recused because ..." answer for every rater and unit of a round.

The answer is always :func:`scoring.recusal.check` on the inputs that
:mod:`survey.services.engine_inputs` builds; this module only records the
conflicts the rules read and words the engine's reason codes for people.
Writing a conflict also withdraws the rater's seat on that unit's panel, so a
stored plan never holds a pair the rules forbid.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from scoring.recusal import RecusalCode, RecusalDecision
from survey.extensions import db
from survey.i18n import select_locale
from survey.models import (
    Conflict,
    ConflictKind,
    OrgUnit,
    Round,
    RoundRater,
    RoundStatus,
    User,
)
from survey.models.base import utcnow
from survey.services import audit, engine_inputs
from survey.services.errors import Conflict as AlreadyExists
from survey.services.errors import DomainError

MAX_REASON = 1000


@dataclass(frozen=True)
class Verdict:
    """One rater and one unit: ``allowed``, and if not, the reason codes and their wording."""

    allowed: bool
    codes: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return self.allowed


@dataclass(frozen=True)
class ConflictMatrix:
    """Raters (rows) by units (columns) with a verdict in every cell."""

    round: Round
    raters: list[RoundRater]
    units: list[OrgUnit]
    cells: Mapping[tuple[int, int], Verdict]  #: (rater id, unit id) -> verdict

    def cell(self, rater: RoundRater, unit: OrgUnit) -> Verdict:
        return self.cells[(rater.id, unit.id)]

    def recused(self) -> list[tuple[RoundRater, OrgUnit, Verdict]]:
        """Every forbidden pair, rater by rater."""
        return [(r, u, self.cell(r, u)) for r in self.raters for u in self.units if not self.cell(r, u)]

    def rows(self) -> Iterable[tuple[RoundRater, OrgUnit, Verdict]]:
        for rater in self.raters:
            for unit in self.units:
                yield rater, unit, self.cell(rater, unit)


def unit_label(unit: OrgUnit) -> str:
    return f"{unit.name(select_locale())} ({unit.code})"


class _Wording:
    """Words the engine's reason codes, with the round's conflict records at hand."""

    def __init__(self, round: Round):
        self.records: dict[tuple[int, int, ConflictKind], Conflict] = {
            (c.rater_id, c.unit_id, c.kind): c
            for c in db.session.scalars(select(Conflict).where(Conflict.round_id == round.id))
        }
        self._by_code: dict[str, OrgUnit | None] = {}

    def _unit(self, code: str | None) -> str:
        if code is None:
            return "?"
        if code not in self._by_code:
            self._by_code[code] = db.session.scalar(select(OrgUnit).where(OrgUnit.code == code))
        found = self._by_code[code]
        return unit_label(found) if found is not None else code

    def verdict(self, decision: RecusalDecision, rater: RoundRater, unit: OrgUnit, info) -> Verdict:
        if decision.allowed:
            return Verdict(True)
        texts = []
        home = self._unit(info.home_unit)
        for code in decision.codes:
            if code is RecusalCode.OWN_UNIT:
                texts.append(_("%(rater)s belongs to %(unit)s (own unit)", rater=rater.name, unit=unit_label(unit)))
            elif code is RecusalCode.PARENT_UNIT:
                texts.append(_("%(rater)s's home unit %(home)s is directly above %(unit)s",
                               rater=rater.name, home=home, unit=unit_label(unit)))
            elif code is RecusalCode.CHILD_UNIT:
                texts.append(_("%(rater)s's home unit %(home)s is directly under %(unit)s",
                               rater=rater.name, home=home, unit=unit_label(unit)))
            elif code is RecusalCode.SAME_SUB_DISTRICT:
                texts.append(_("%(rater)s and %(unit)s are both in %(sub_district)s (a rule of this round)",
                               rater=rater.name, unit=unit_label(unit), sub_district=self._unit(info.sub_district)))
            elif code is RecusalCode.SAME_INDUSTRY:
                texts.append(_("%(rater)s and %(unit)s are both in the industry %(industry)s (a rule of this round)",
                               rater=rater.name, unit=unit_label(unit), industry=info.industry))
            elif code is RecusalCode.RELATIONSHIP:
                record = self.records.get((rater.id, unit.id, ConflictKind.RELATIONSHIP))
                texts.append(_("recorded relationship: %(reason)s", reason=record.reason if record else ""))
            elif code is RecusalCode.DECLARED:
                record = self.records.get((rater.id, unit.id, ConflictKind.DECLARED))
                reason = record.reason if record and record.reason else _("no reason given")
                texts.append(_("%(rater)s declared a conflict: %(reason)s", rater=rater.name, reason=reason))
        return Verdict(False, tuple(c.value for c in decision.codes), tuple(texts))


def explain_recusal(*, round: Round, rater: RoundRater, unit: OrgUnit) -> Verdict:
    """May this rater score this unit, and if not, why (for a seat, a score, a screen)."""
    inputs = engine_inputs.build_inputs(round, [rater], [unit])
    return _Wording(round).verdict(inputs.decide(rater, unit), rater, unit, inputs.rater(rater))


def conflict_matrix(*, round: Round) -> ConflictMatrix:
    """Every rater against every evaluated unit, with all reasons (the recusal screen and CSV)."""
    inputs = engine_inputs.round_inputs(round)
    wording = _Wording(round)
    raters = sorted(round.raters, key=lambda r: (r.panel or "", r.name, r.id))
    units = sorted((ru.unit for ru in round.units), key=lambda u: u.code)
    cells = {
        (rater.id, unit.id): wording.verdict(inputs.decide(rater, unit), rater, unit, inputs.rater(rater))
        for rater in raters
        for unit in units
    }
    return ConflictMatrix(round, raters, units, cells)


#: First characters that make a spreadsheet read a CSV cell as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str) -> str:
    """A text cell that stays text in Excel (an apostrophe before a would-be formula)."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def matrix_csv(matrix: ConflictMatrix) -> str:
    """One row per rater and unit: rater, unit, allowed, reason codes, reasons."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["rater_id", "rater", "home_unit", "unit", "allowed", "reason_codes", "reasons"])
    for rater, unit, verdict in matrix.rows():
        writer.writerow([
            rater.id,
            _cell(rater.name),
            rater.home_unit.code if rater.home_unit else "",
            unit.code,
            "yes" if verdict.allowed else "no",
            " ".join(verdict.codes),
            _cell("; ".join(verdict.reasons)),
        ])
    return out.getvalue()


def _require_member_and_unit(round: Round, rater: RoundRater, unit: OrgUnit) -> None:
    if rater.round_id != round.id:
        raise DomainError(_("%(name)s is not in this round's rater pool.", name=rater.name))
    if unit.id not in {ru.unit_id for ru in round.units}:
        raise DomainError(_("%(unit)s is not evaluated in this round.", unit=unit_label(unit)))


def _withdraw_seat(round: Round, rater: RoundRater, unit: OrgUnit) -> bool:
    """Remove the rater from the unit's panel, if seated there; True when a seat went."""
    for session in round.sessions:
        if session.unit_id != unit.id:
            continue
        seat = next((m for m in session.members if m.rater_id == rater.id), None)
        if seat is not None:
            session.members.remove(seat)  # delete-orphan: the row goes at the flush
            return True
    return False


def record_conflict(
    *, round: Round, rater: RoundRater, unit: OrgUnit, reason: str, recorded_by: User | None = None
) -> Conflict:
    """Staff record that a rater may not score a unit (a former employer, a relative)."""
    if round.status is RoundStatus.CLOSED:
        raise DomainError(_("The round is closed."))
    _require_member_and_unit(round, rater, unit)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for the conflict."))
    if len(reason) > MAX_REASON:
        raise DomainError(_("The reason is longer than %(n)d characters.", n=MAX_REASON))
    if _existing(round, rater, unit, ConflictKind.RELATIONSHIP) is not None:
        raise AlreadyExists(_("A relationship between %(name)s and %(unit)s is already recorded.",
                              name=rater.name, unit=unit_label(unit)))
    conflict = Conflict(round_id=round.id, rater_id=rater.id, unit_id=unit.id, kind=ConflictKind.RELATIONSHIP,
                        reason=reason, created_by_id=recorded_by.id if recorded_by else None)
    db.session.add(conflict)
    seat = _withdraw_seat(round, rater, unit)
    db.session.flush()
    _record(audit.RECUSAL_RECORDED, conflict, unit, actor=recorded_by, seat_withdrawn=seat)
    return conflict


def _record(action: str, conflict: Conflict, unit: OrgUnit, *, actor: User | None = None,
            actor_label: str | None = None, now: datetime | None = None, **extra) -> None:
    """A recusal in the audit log: the round, unit, rater and kind; never the free-text reason."""
    audit.record(action, subject_type="conflict", subject_id=conflict.id, actor=actor, actor_label=actor_label,
                 now=now, details={"round": conflict.round_id, "unit": unit.code, "rater": conflict.rater_id,
                                   "kind": conflict.kind.value, **extra})


def declare_conflict(round: Round, rater: RoundRater, unit: OrgUnit, reason: str = "", *,
                     declared_by: User | None = None, now: datetime | None = None,
                     draft_discarded: bool = False) -> Conflict:
    """A rater says "I have a conflict" with a unit; declaring twice keeps the first declaration.

    The audit log names ``declared_by`` when staff enter it, else the rater's phone.
    """
    if round.status is RoundStatus.CLOSED:
        raise DomainError(_("The round is closed."))
    _require_member_and_unit(round, rater, unit)
    reason = (reason or "").strip()[:MAX_REASON]
    existing = _existing(round, rater, unit, ConflictKind.DECLARED)
    if existing is not None:
        return existing
    conflict = Conflict(round_id=round.id, rater_id=rater.id, unit_id=unit.id, kind=ConflictKind.DECLARED,
                        reason=reason, created_by_id=declared_by.id if declared_by else None,
                        created_at=now or utcnow())
    db.session.add(conflict)
    seat = _withdraw_seat(round, rater, unit)
    db.session.flush()
    _record(audit.RECUSAL_DECLARED, conflict, unit, actor=declared_by,
            actor_label=None if declared_by else audit.rater_label(rater), now=conflict.created_at,
            seat_withdrawn=seat, draft_discarded=draft_discarded)
    return conflict


def remove_conflict(*, conflict: Conflict, by: User | None = None) -> None:
    """Staff withdraw a relationship entered by mistake; declared conflicts stay."""
    if conflict.kind is not ConflictKind.RELATIONSHIP:
        raise DomainError(_("A conflict the rater declared cannot be removed."))
    round = db.session.get(Round, conflict.round_id)
    if round.status is not RoundStatus.SETUP:
        raise DomainError(_("The round is open: its conflicts can no longer be removed."))
    _record(audit.RECUSAL_REMOVED, conflict, db.session.get(OrgUnit, conflict.unit_id), actor=by)
    db.session.delete(conflict)
    db.session.flush()


def list_conflicts(*, round: Round) -> list[Conflict]:
    return list(db.session.scalars(
        select(Conflict).where(Conflict.round_id == round.id).order_by(Conflict.created_at, Conflict.id)
    ))


def get_conflict(*, round: Round, conflict_id: int) -> Conflict | None:
    conflict = db.session.get(Conflict, conflict_id)
    return conflict if conflict is not None and conflict.round_id == round.id else None


def _existing(round: Round, rater: RoundRater, unit: OrgUnit, kind: ConflictKind) -> Conflict | None:
    return db.session.scalar(select(Conflict).where(
        Conflict.round_id == round.id, Conflict.rater_id == rater.id, Conflict.unit_id == unit.id,
        Conflict.kind == kind,
    ))
