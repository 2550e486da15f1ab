"""A round's composite inputs: the target indicators and satisfaction results that the
composite assessment combines with the open-door totals.

``Round.composite`` holds the ``composite`` object of the ``python -m scoring`` config
(:mod:`scoring.io`): the open-door weight, the total weight and, per unit, its target
indicators and survey results. A publication copies it into the snapshot's config, so the
published composite report and the reproducibility bundle use exactly what is stored here.

:func:`set_composite` checks the object with the parser ``python -m scoring`` itself uses
for that section (:func:`scoring.io.parse_composite`), so anything stored here is read the same
way when the bundle is recomputed, and checks that every unit it names is evaluated in the
round (by unit code). It refuses with every problem found and stores nothing; ``None``
clears the inputs. The inputs may change until the round is closed, also after a
publication: published versions keep their own copy, and the next version carries the new
inputs (with a note saying what changed).

Services flush; the caller commits.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from flask_babel import gettext as _
from flask_babel import ngettext

# the parser of the config's "composite" section, as python -m scoring uses it
from scoring.io import parse_composite as _parse_section
from scoring.types import ScoringInputError, UnitInfo
from survey.extensions import db
from survey.models import Round, RoundStatus
from survey.services.errors import DomainError

_ENTRIES = "composite.units"


class CompositeRejected(DomainError):
    """The composite inputs were refused; ``problems`` lists every reason. Nothing was stored."""

    def __init__(self, problems: list[str]):
        super().__init__(ngettext(
            "The composite inputs were not stored: %(num)d problem: %(problems)s",
            "The composite inputs were not stored: %(num)d problems: %(problems)s",
            len(problems), problems="; ".join(problems)))
        self.problems = problems


def _parse(value, units: dict[str, UnitInfo]) -> str | None:
    """The parser's message for ``value``, or None when it accepts it."""
    try:
        _parse_section(value, units)
    except ScoringInputError as exc:
        return str(exc)
    return None


def _renumber(message: str, index: int) -> str:
    """A message about the single entry ``composite.units[0]`` made to name entry ``index``."""
    prefix = f"{_ENTRIES}[0]"
    return f"{_ENTRIES}[{index}]{message[len(prefix):]}" if message.startswith(prefix) else message


def composite_problems(data, unit_codes: Iterable[str]) -> list[str]:
    """Every reason why ``data`` cannot be a round's composite inputs (empty when it can).

    ``unit_codes`` are the codes of the units evaluated in the round. The parser of
    :mod:`scoring.io` stops at the first problem, so it is run on the section without its
    entries, then on each entry alone (its messages keep the entry's index), and last on
    the whole; an entry naming a unit listed before, or one the round does not evaluate, is
    reported here, entry by entry.
    """
    codes = set(unit_codes)
    if not isinstance(data, dict):
        return [_parse(data, {}) or "composite: expected an object"]
    try:
        json.dumps(data, allow_nan=False)
    except (TypeError, ValueError):
        return [_("composite: holds a value that is not plain JSON (for example NaN or Infinity)")]
    entries = data.get("units")
    named: dict[int, str] = {}
    if isinstance(entries, list):
        for index, entry in enumerate(entries):
            if isinstance(entry, dict) and isinstance(entry.get("unit"), str) and entry["unit"].strip():
                named[index] = entry["unit"]
    # The parser is told of every unit named, so that it goes on past them; which of them the
    # round does not evaluate is reported below.
    known = {code: UnitInfo(code) for code in codes | set(named.values())}
    problems: list[str] = []
    if isinstance(entries, list):
        head = _parse({**data, "units": []}, known)
        if head is not None:
            problems.append(head)
        elif not entries:
            problems.append(_("%(where)s: lists no unit", where=_ENTRIES))
        else:
            first: dict[str, int] = {}
            for index, entry in enumerate(entries):
                problem = _parse({**data, "units": [entry]}, known)
                if problem is not None:
                    problems.append(_renumber(problem, index))
                code = named.get(index)
                if code is None:
                    continue
                if code in first:
                    problems.append(_("%(where)s[%(index)d].unit: %(code)s is already listed at %(where)s[%(first)d]",
                                      where=_ENTRIES, index=index, code=code, first=first[code]))
                else:
                    first[code] = index
                if code not in codes:
                    problems.append(_("%(where)s[%(index)d].unit: %(code)s is not evaluated in this round "
                                      "(its units: %(codes)s)", where=_ENTRIES, index=index, code=code,
                                      codes=", ".join(sorted(codes)) or _("none")))
    if not problems:
        whole = _parse(data, known)  # the section as python -m scoring reads it
        if whole is not None:
            problems.append(whole)
    return problems


def set_composite(*, round: Round, data: dict | None) -> Round:
    """Store ``data`` as the round's composite inputs, or clear them with ``None``.

    Raises
    ------
    DomainError
        The round is closed.
    CompositeRejected
        ``data`` is not a valid ``composite`` object of the :mod:`scoring.io` config, or
        names a unit that the round does not evaluate; ``problems`` lists every reason and
        the stored inputs are unchanged.
    """
    if round.status is RoundStatus.CLOSED:
        raise DomainError(_("The round is closed: its composite inputs can no longer change."))
    if data is None:
        round.composite = None
        db.session.flush()
        return round
    problems = composite_problems(data, (ru.unit.code for ru in round.units))
    if problems:
        raise CompositeRejected(problems)
    round.composite = json.loads(json.dumps(data, allow_nan=False))  # a plain copy, as the JSON column keeps it
    db.session.flush()
    return round


def composite_units(round: Round) -> list[str]:
    """Codes of the units the round's composite inputs list, in their order (empty without inputs)."""
    return [entry["unit"] for entry in (round.composite or {}).get("units", [])]
