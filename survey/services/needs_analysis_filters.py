"""Filters of the needs analysis and the guard against isolating a few respondents by difference.

The analysis reads every submitted response once (``load_matrix`` without a
filter) and applies the filter here, in numpy: each condition of a
:class:`~survey.services.answer_columns.MatrixFilter` (versions, first day,
last day, units, sub-districts, each answer condition) becomes one boolean
column over all responses. That is what the differencing guard needs:

- :func:`scoring.survey.condition_cells_safe` checks every cell of the
  partition the conditions make (each condition true or false), which covers
  this filter against itself with any conditions dropped or negated, and any
  combination of such views by adding and subtracting;
- the date range is a range, not a yes/no condition: two ranges that differ
  by a few days isolate the responses of those days. For each end of the
  range the nearest day beyond it that has responses (among those meeting the
  other conditions) must add 0 or at least k respondents
  (:func:`scoring.survey.differencing_safe`); then any two ranges differ by 0
  or at least k respondents, since the days between their ends include such
  a nearest day.

A refused filter raises :class:`FilterRefused` with a message saying why.
Answer filters use the semantics of ``MatrixFilter`` (single choice: chose
one of the options; multiple choice: ticked one; ranking: ranked one; a
variable name with numbers: one of the values).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
from flask_babel import gettext as _
from sqlalchemy import select

from forms.questionnaire.codebook import Codebook, VariableKind, day_number
from scoring.survey import condition_cells_safe, differencing_safe
from survey.extensions import db
from survey.models import OrgLevel, OrgUnit
from survey.services.answer_columns import AnswerMatrix, FilterError, MatrixFilter
from survey.services.errors import DomainError
from survey.services.needs_analysis_model import AppliedFilter

__all__ = ["FilterRefused", "UnitIndex", "View", "apply_filters"]


class FilterRefused(DomainError):
    """A filter whose figures would rest on fewer than k respondents, directly or by difference."""


@dataclass(frozen=True)
class UnitInfo:
    id: int
    code: str
    name: str
    level: OrgLevel
    member_count: int
    sub_district_id: int | None  #: the sub-district federation at or above the unit


class UnitIndex:
    """Every organisation unit, with its sub-district: read once per analysis (a few hundred rows)."""

    def __init__(self, locale: str):
        rows = db.session.execute(
            select(OrgUnit.id, OrgUnit.code, OrgUnit.name_zh, OrgUnit.name_en, OrgUnit.level, OrgUnit.parent_id,
                   OrgUnit.member_count)).all()
        parent = {r.id: r.parent_id for r in rows}
        level = {r.id: r.level for r in rows}
        english = locale.lower().startswith("en")

        def sub_district(unit_id: int | None) -> int | None:
            seen = 0
            while unit_id is not None and seen < 50:
                if level.get(unit_id) is OrgLevel.SUB_DISTRICT:
                    return unit_id
                unit_id = parent.get(unit_id)
                seen += 1
            return None

        self.units = {
            r.id: UnitInfo(r.id, r.code, (r.name_en if english and r.name_en else r.name_zh), r.level,
                           int(r.member_count or 0), sub_district(r.id))
            for r in rows
        }
        self.children: dict[int, list[int]] = {}
        for uid, pid in parent.items():
            if pid is not None:
                self.children.setdefault(pid, []).append(uid)

    def below(self, ids: Collection[int]) -> set[int]:
        """The units at or below ``ids``."""
        found: set[int] = set()
        frontier = set(ids)
        while frontier:
            found |= frontier
            frontier = {c for u in frontier for c in self.children.get(u, ())} - found
        return found

    def sub_district_of(self, unit_ids: np.ndarray) -> np.ndarray:
        """Per response, the id of its unit's sub-district federation (-1: none)."""
        if unit_ids.size == 0:
            return unit_ids.copy()
        top = int(max(unit_ids.max(), max(self.units, default=0))) + 1
        lookup = np.full(top + 1, -1, dtype=np.int64)
        for uid, info in self.units.items():
            lookup[uid] = -1 if info.sub_district_id is None else info.sub_district_id
        safe = np.where(unit_ids >= 0, unit_ids, top)
        return lookup[safe]


@dataclass(frozen=True)
class View:
    """The filtered responses: a mask over all of them, and the filter described."""

    mask: np.ndarray
    described: tuple[AppliedFilter, ...]
    unit_filtered: bool


def _answer_mask(codebook: Codebook, values: np.ndarray, key: str, wanted: Collection[object]) -> np.ndarray:
    """Rows meeting one answer condition (``MatrixFilter.answers`` semantics)."""
    wanted = list(wanted)
    options = [w for w in wanted if isinstance(w, str)]
    numbers = [float(w) for w in wanted if isinstance(w, (int, float)) and not isinstance(w, bool)]
    if key in codebook:
        variables = [codebook.variable(key)]
        whole = True
    else:
        variables = [v for v in codebook.question_variables(key) if v.numeric]
        whole = False
    if not variables:
        raise FilterError(_("The questionnaire has no question or variable %(name)s to filter on.", name=key))
    mask = np.zeros(values.shape[0], dtype=bool)
    matched = False
    for v in variables:
        if v.slot is None:
            raise FilterError(_("%(name)s is a text; filter on a question with options or numbers.", name=key))
        column = values[:, v.slot]
        if v.kind is VariableKind.CODE:
            codes = dict(v.option_codes)
            unknown = [o for o in options if o not in codes]
            if unknown and len(variables) == 1:
                raise FilterError(_("Question %(question)s has no option %(option)s.", question=v.question_id,
                                    option=unknown[0]))
            targets = [codes[o] for o in options if o in codes] + numbers
            mask |= np.isin(column, np.array(targets, dtype=float))
            matched = True
        elif v.kind in (VariableKind.SELECTED, VariableKind.RANK) and not whole:
            if v.option_id in options:
                mask |= (column == 1) if v.kind is VariableKind.SELECTED else ~np.isnan(column)
                matched = True
        else:
            if options:
                raise FilterError(_("Filter %(name)s on numbers, not option ids.", name=key))
            mask |= np.isin(column, np.array(numbers, dtype=float))
            matched = True
    if not matched:
        missing = next((w for w in wanted), "")
        raise FilterError(_("Question %(question)s has no option %(option)s.", question=key, option=str(missing)))
    return mask


def _label_of(codebook: Codebook, labels: dict, key: str, wanted: Collection[object], locale: str) -> AppliedFilter:
    """``(question title, chosen option labels)`` for an answer condition."""
    title, option_labels = labels.get(key, (key, {}))
    shown = [option_labels.get(w, str(w)) if isinstance(w, str) else f"{w:g}" if isinstance(w, float) else str(w)
             for w in wanted]
    return AppliedFilter(title, "、".join(shown) if locale.startswith("zh") else ", ".join(shown))


def apply_filters(
    matrix: AnswerMatrix,
    filters: MatrixFilter | None,
    *,
    units: UnitIndex,
    question_labels: dict,
    versions: dict[int, int],
    k: int,
    k_enterprise: int,
    locale: str,
    enterprise_keys: Collection[str] = (),
) -> View:
    """The responses a filter keeps, after the differencing guard; raises :class:`FilterRefused`.

    ``versions``: version number -> id of the questionnaire's versions;
    ``question_labels``: key -> (title, {option id: label}) for describing
    answer conditions. A filter on units, or on a question in
    ``enterprise_keys`` (its options are units), is a view of single
    enterprises and uses ``k_enterprise``.
    """
    f = filters or MatrixFilter()
    rows = matrix.rows
    n_all = len(rows)
    conditions: list[np.ndarray] = []
    described: list[AppliedFilter] = []
    join = "、" if locale.startswith("zh") else ", "

    if f.versions:
        unknown = sorted(set(f.versions) - set(versions))
        if unknown:
            raise FilterError(_("The questionnaire has no version %(n)d.", n=unknown[0]))
        conditions.append(np.isin(rows.version, np.array(sorted(f.versions), dtype=rows.version.dtype)))
        described.append(AppliedFilter(_("Version"), join.join(str(v) for v in sorted(f.versions))))
    day = rows.submitted_on.astype(np.int64) if n_all else np.empty(0, dtype=np.int64)
    date_from = date_to = None
    if f.date_from is not None:
        date_from = day_number(f.date_from)
        conditions.append(day >= date_from)
    if f.date_to is not None:
        date_to = day_number(f.date_to)
        conditions.append(day <= date_to)
    if f.date_from is not None or f.date_to is not None:
        if f.date_from is not None and f.date_to is not None and f.date_to < f.date_from:
            raise FilterError(_("The last day comes before the first day."))
        shown = f"{f.date_from.isoformat() if f.date_from else '…'} – {f.date_to.isoformat() if f.date_to else '…'}"
        described.append(AppliedFilter(_("Submitted"), shown))
    unit_filtered = bool(f.unit_ids)
    if f.unit_ids:
        missing = [u for u in f.unit_ids if u not in units.units]
        if missing:
            raise FilterError(_("There is no unit %(unit)d.", unit=missing[0]))
        conditions.append(np.isin(rows.unit_id, np.array(sorted(f.unit_ids), dtype=np.int64)))
        described.append(AppliedFilter(_("Unit"), join.join(units.units[u].name for u in f.unit_ids)))
    if f.sub_district_ids:
        missing = [u for u in f.sub_district_ids if u not in units.units]
        if missing:
            raise FilterError(_("There is no unit %(unit)d.", unit=missing[0]))
        below = units.below(f.sub_district_ids)
        conditions.append(np.isin(rows.unit_id, np.array(sorted(below), dtype=np.int64)))
        described.append(AppliedFilter(_("Sub-district"), join.join(units.units[u].name for u in f.sub_district_ids)))
    for key, wanted in f.answers.items():
        if not wanted:
            continue
        unit_filtered = unit_filtered or key in enterprise_keys
        conditions.append(_answer_mask(matrix.codebook, matrix.values, key, wanted))
        described.append(_label_of(matrix.codebook, question_labels, key, wanted, locale))

    k_view = k_enterprise if unit_filtered else k
    if not conditions:
        return View(np.ones(n_all, dtype=bool), (), False)
    stacked = np.column_stack(conditions)
    mask = stacked.all(axis=1)
    n = int(mask.sum())
    check = condition_cells_safe(stacked, k_view)
    if not check.safe:
        if 0 < n < k_view:
            raise FilterRefused(_("This filter keeps only %(n)d responses; figures need at least %(k)d "
                                  "respondents. Widen the filter.", n=n, k=k_view))
        smallest = min(int(((stacked == np.array(p)).all(axis=1)).sum()) for p in check.too_small)
        raise FilterRefused(_(
            "This filter cannot be shown: compared with the same filter without some of its conditions, it "
            "would single out %(n)d respondents, and figures need at least %(k)d. Widen the filter or remove "
            "a condition.", n=smallest, k=k_view))
    if date_from is not None or date_to is not None:
        # Among the responses meeting every other condition: the nearest non-empty day beyond each end.
        others = np.ones(n_all, dtype=bool)
        for i, column in enumerate(conditions):
            if not _is_date_condition(i, f):
                others &= column
        days = day[others]
        neighbours = []
        if date_from is not None:
            before = days[days < date_from]
            if before.size:
                neighbours.append(n + int((before == before.max()).sum()))
        if date_to is not None:
            after = days[days > date_to]
            if after.size:
                neighbours.append(n + int((after == after.min()).sum()))
        if neighbours:
            verdict = differencing_safe(n, neighbours, k_view)
            if not verdict.safe:
                gap = min(abs(m - n) for m in neighbours if 0 < abs(m - n) < k_view)
                raise FilterRefused(_(
                    "This date range cannot be shown: moving its first or last day to the next day with "
                    "responses would add only %(n)d respondents, and figures need at least %(k)d. Choose "
                    "whole months or a wider range.", n=gap, k=k_view))
    return View(mask, tuple(described), unit_filtered)


def _is_date_condition(index: int, f: MatrixFilter) -> bool:
    """Whether condition ``index`` (in the order :func:`apply_filters` builds them) is a date bound."""
    first = 1 if f.versions else 0
    count = (f.date_from is not None) + (f.date_to is not None)
    return first <= index < first + count
