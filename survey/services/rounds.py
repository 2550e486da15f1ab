"""Assessment rounds: set-up (units, sessions, settings) and opening.

A round names a framework version, the units evaluated (one report session
each), a rater pool (``survey.services.raters``), the recusal options, the
aggregation settings the engine will use and the panel settings
(``survey.services.plans``). It opens only when everything needed for scoring
is there: units, raters, a valid framework, and a complete plan that every
recusal rule and quota allows; opening freezes the framework version.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import Enum

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from scoring.types import AggregationMethod, MissingPolicy, Settings
from survey.extensions import db
from survey.models import (
    Framework,
    FrameworkVersion,
    OrgLevel,
    OrgUnit,
    ReportSession,
    Round,
    RoundStatus,
    RoundUnit,
    SessionStatus,
)
from survey.services import plans
from survey.services.conflicts import unit_label
from survey.services.errors import Conflict as AlreadyExists
from survey.services.errors import DomainError


class RoundNotReady(DomainError):
    """Opening refused; ``problems`` lists every reason."""

    status_code = 409

    def __init__(self, problems: list[str]):
        super().__init__(ngettext("The round cannot open: %(num)d problem.",
                                  "The round cannot open: %(num)d problems.", len(problems)))
        self.problems = problems


# --------------------------------------------------------------------------- aggregation settings

_SETTINGS_FIELDS = {f.name: f for f in dataclasses.fields(Settings)}
_ENUMS = {"method": AggregationMethod, "fallback": AggregationMethod, "missing_policy": MissingPolicy}
#: Integer settings and their smallest allowed value.
_INTEGERS = {"trim": 0, "min_raters": 1, "bootstrap": 0, "seed": 0}


def check_settings(settings: Mapping | None) -> dict:
    """Aggregation settings as stored JSON, each a field of ``scoring.types.Settings``."""
    cleaned: dict = {}
    problems: list[str] = []
    for name, value in (settings or {}).items():
        if name not in _SETTINGS_FIELDS:
            problems.append(_("unknown setting %(name)s (the settings are %(names)s)",
                              name=name, names=", ".join(_SETTINGS_FIELDS)))
        elif name in _ENUMS:
            choices = [m.value for m in _ENUMS[name]]
            raw = value.value if isinstance(value, Enum) else value
            if raw not in choices:
                problems.append(_("%(name)s must be one of %(choices)s, not %(value)s",
                                  name=name, choices=", ".join(choices), value=raw))
            else:
                cleaned[name] = raw
        elif name in _INTEGERS:
            if isinstance(value, bool) or not isinstance(value, int) or value < _INTEGERS[name]:
                problems.append(_("%(name)s must be a whole number of at least %(min)d, not %(value)s",
                                  name=name, min=_INTEGERS[name], value=value))
            else:
                cleaned[name] = value
        elif name == "confidence":
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
                problems.append(_("confidence must be between 0 and 1, not %(value)s", value=value))
            else:
                cleaned[name] = float(value)
        elif name == "shrinkage":
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not (math.isfinite(value) and value >= 0):
                problems.append(_("shrinkage must be a number of at least 0, not %(value)s", value=value))
            else:
                cleaned[name] = float(value)
    if problems:
        raise DomainError(_("The aggregation settings are not valid: %(problems)s.", problems="; ".join(problems)))
    return cleaned


# --------------------------------------------------------------------------- the round


def _clean_text(value: str | None, limit: int, what: str) -> str:
    text = (value or "").strip()
    if not text:
        raise DomainError(_("The %(what)s is empty.", what=what))
    if len(text) > limit:
        raise DomainError(_("The %(what)s is longer than %(n)d characters.", what=what, n=limit))
    return text


def create_round(
    *,
    name: str,
    period: str,
    framework_version: FrameworkVersion,
    recuse_same_sub_district: bool = False,
    recuse_same_industry: bool = False,
    settings: Mapping | None = None,
    panel_spec: Mapping | None = None,
) -> Round:
    """A new round in set-up, with its settings checked."""
    if framework_version is None:
        raise DomainError(_("Choose the criteria framework the round scores against."))
    round = Round(
        name=_clean_text(name, 200, _("name")),
        period=_clean_text(period, 80, _("period")),
        framework_version=framework_version,
        recuse_same_sub_district=bool(recuse_same_sub_district),
        recuse_same_industry=bool(recuse_same_industry),
        settings=check_settings(settings),
        panel_spec=plans.check_panel_spec(panel_spec),
    )
    db.session.add(round)
    db.session.flush()
    return round


def update_round(
    *,
    round: Round,
    name: str,
    period: str,
    framework_version: FrameworkVersion,
    recuse_same_sub_district: bool,
    recuse_same_industry: bool,
    settings: Mapping | None,
    panel_spec: Mapping | None,
) -> Round:
    """Change a round's settings while it is being set up."""
    _require_setup(round)
    if framework_version is None:
        raise DomainError(_("Choose the criteria framework the round scores against."))
    cleaned = (
        _clean_text(name, 200, _("name")),
        _clean_text(period, 80, _("period")),
        check_settings(settings),
        plans.check_panel_spec(panel_spec),
    )
    round.name, round.period, round.settings, round.panel_spec = cleaned
    round.framework_version = framework_version
    round.recuse_same_sub_district = bool(recuse_same_sub_district)
    round.recuse_same_industry = bool(recuse_same_industry)
    db.session.flush()
    return round


def _require_setup(round: Round) -> None:
    if round.status is not RoundStatus.SETUP:
        raise DomainError(_("The round is open: its units, raters and settings can no longer change."))


def list_rounds() -> list[Round]:
    return list(db.session.scalars(select(Round).order_by(Round.created_at.desc(), Round.id.desc())))


def get_round(*, round_id: int) -> Round | None:
    return db.session.get(Round, round_id)


def framework_versions() -> list[FrameworkVersion]:
    """Versions a round may use, newest framework first."""
    return list(db.session.scalars(
        select(FrameworkVersion).join(Framework).order_by(Framework.code, FrameworkVersion.number.desc())
    ))


def get_framework_version(*, version_id: int) -> FrameworkVersion | None:
    return db.session.get(FrameworkVersion, version_id)


# --------------------------------------------------------------------------- units and sessions


def add_round_unit(*, round: Round, unit: OrgUnit) -> RoundUnit:
    """Evaluate a grassroots unit in the round; it gets its report session."""
    _require_setup(round)
    if unit.level is not OrgLevel.GRASSROOTS:
        raise DomainError(_("%(unit)s is a federation, not a grassroots unit: only grassroots units are evaluated.",
                            unit=unit_label(unit)))
    if any(ru.unit_id == unit.id for ru in round.units):
        raise AlreadyExists(_("%(unit)s is already evaluated in this round.", unit=unit_label(unit)))
    round_unit = RoundUnit(round=round, unit=unit)
    db.session.add(round_unit)
    if not any(s.unit_id == unit.id for s in round.sessions):
        db.session.add(ReportSession(round=round, unit=unit))
    db.session.flush()
    return round_unit


def remove_round_unit(*, round: Round, unit: OrgUnit) -> None:
    """Stop evaluating a unit; its session and panel go with it."""
    _require_setup(round)
    round_unit = next((ru for ru in round.units if ru.unit_id == unit.id), None)
    if round_unit is None:
        raise DomainError(_("%(unit)s is not evaluated in this round.", unit=unit_label(unit)))
    round.units.remove(round_unit)
    for session in [s for s in round.sessions if s.unit_id == unit.id]:
        round.sessions.remove(session)
    db.session.flush()


def schedule_session(*, session: ReportSession, starts_at: datetime | None, place: str | None) -> ReportSession:
    """Set when and where a unit's chair reports."""
    if session.status is not SessionStatus.SCHEDULED:
        raise DomainError(_("The session has started: its time and place can no longer change."))
    if starts_at is not None and starts_at.tzinfo is None:
        raise ValueError("schedule_session needs an aware datetime")
    place = (place or "").strip() or None
    if place is not None and len(place) > 200:
        raise DomainError(_("The place is longer than %(n)d characters.", n=200))
    session.starts_at = starts_at
    session.place = place
    db.session.flush()
    return session


def find_unit(*, code: str) -> OrgUnit | None:
    return db.session.scalar(select(OrgUnit).where(OrgUnit.code == (code or "").strip().upper()))


# --------------------------------------------------------------------------- opening


def framework_problems(version: FrameworkVersion) -> list[str]:
    """Why a framework version cannot be scored against (empty when it can): the checks
    that freezing it would apply, each naming its area."""
    from survey.services import frameworks

    return [
        _("The criteria framework cannot be used: %(reason)s", reason=str(problem))
        for problem in frameworks.check_framework(version.spec)
    ]


def opening_problems(*, round: Round) -> list[str]:
    """Everything that keeps the round from opening (empty when it may open)."""
    if round.status is not RoundStatus.SETUP:
        return [_("The round is already open.") if round.status is RoundStatus.OPEN else _("The round is closed.")]
    problems = []
    if not round.units:
        problems.append(_("No units are evaluated yet."))
    if not round.raters:
        problems.append(_("The rater pool is empty."))
    problems += framework_problems(round.framework_version)
    try:
        check_settings(round.settings)
    except DomainError as exc:
        problems.append(exc.message)
    for session in sorted(round.sessions, key=lambda s: s.unit.code):
        if session.starts_at is None:
            problems.append(_("%(unit)s: the report session has no time yet.", unit=unit_label(session.unit)))
    if round.units and round.raters:
        problems += plans.plan_problems(round=round)
    return problems


def open_round(*, round: Round) -> Round:
    """Open the round for scoring and freeze its framework version."""
    problems = opening_problems(round=round)
    if problems:
        raise RoundNotReady(problems)
    from survey.services import frameworks

    frameworks.freeze_version(version=round.framework_version)
    round.status = RoundStatus.OPEN
    db.session.flush()
    return round


# --------------------------------------------------------------------------- demo

#: The seeds' 2014 round: 27 representatives in four groups heard the nine directly affiliated unions.
DEMO_ROUND_NAME = "2014年年中目标考核开门打分"
DEMO_PERIOD = "2014年年中"
DEMO_PLACE = "西城区总工会三楼会议室"
#: Shichahai's nine-person members' democratic evaluation committee over its enterprise unions.
DEMO_COMMITTEE_NAME = "什刹海街道会员民主评议委员会考评（2014年）"
DEMO_COMMITTEE_PLACE = "什刹海街道总工会会议室"
DEMO_COMMITTEE_UNITS = ("SCH-E1", "SCH-E2", "SCH-E3", "SCH-E4")
#: (rater type, home unit) of the Shichahai pool: chairs of its enterprise unions and a
#: community union, worker representatives and model workers, all at home in Shichahai.
DEMO_COMMITTEE_POOL = (
    ("union_chair", "SCH-E1"), ("union_chair", "SCH-E2"), ("union_chair", "SCH-E3"),
    ("union_chair", "SCH-E4"), ("union_chair", "SCH-C01"),
    ("worker_representative", "SCH-E1"), ("worker_representative", "SCH-E3"),
    ("worker_representative", "SCH-C02"), ("worker_representative", "SCH-C03"),
    ("worker_representative", "SCH-C04"), ("worker_representative", "SCH-C05"),
    ("model_worker", "SCH-E2"), ("model_worker", "SCH-E4"), ("model_worker", "SCH-C06"),
)
#: Enterprise unions need at least two union chairs and one model worker on their committee.
DEMO_COMMITTEE_SPEC = {
    "mode": "committee",
    "committee_size": 9,
    "quotas": {"enterprise": {"union_chair": [2, 9], "model_worker": [1, 9]},
               "community_joint": {"worker_representative": [3, 9]}},
    "time_limit": 10.0,
}


def load_demo_round() -> list[Round]:
    """The demo's 2014 mid-year round, solved, opened and scored (``demo_scores``), and the
    Shichahai committee round, solved and still in set-up; the rounds already present are
    left alone. Needs the demo scenario's units and representatives."""
    from survey.services import frameworks

    version = frameworks.load_default_framework()
    created = []
    if db.session.scalar(select(Round.id).where(Round.name == DEMO_ROUND_NAME)) is None:
        created.append(_demo_open_door_round(version))
    if db.session.scalar(select(Round.id).where(Round.name == DEMO_COMMITTEE_NAME)) is None:
        created.append(_demo_committee_round(version))
    return created


def _demo_units(codes) -> list[OrgUnit]:
    units = {u.code: u for u in db.session.scalars(select(OrgUnit).where(OrgUnit.code.in_(codes)))}
    missing = [code for code in codes if code not in units]
    if missing:
        raise DomainError(_("Load the demo scenario first: the units %(codes)s are missing.", codes=", ".join(missing)))
    return [units[code] for code in codes]


def _demo_sessions(round: Round, place: str, first_day: int) -> None:
    """Two report sessions a day in June 2014, 09:00 and 14:30 local time, in unit-code order."""
    from zoneinfo import ZoneInfo

    from flask import current_app

    zone = ZoneInfo(current_app.config.get("TIMEZONE", "Asia/Shanghai"))
    for n, session in enumerate(sorted(round.sessions, key=lambda s: s.unit.code)):
        hour, minute = (9, 0) if n % 2 == 0 else (14, 30)
        local = datetime(2014, 6, first_day + n // 2, hour, minute, tzinfo=zone)
        schedule_session(session=session, starts_at=local.astimezone(UTC), place=place)


def _demo_open_door_round(version: FrameworkVersion) -> Round:
    from survey import demo_data
    from survey.models import User
    from survey.services import raters

    units = _demo_units([code for code, *_ in demo_data.DIRECTLY_AFFILIATED])
    usernames = [f"rep{n:02d}" for n in range(1, demo_data.REPRESENTATIVE_COUNT + 1)]
    users = {u.username: u for u in db.session.scalars(select(User).where(User.username.in_(usernames)))}
    missing = [name for name in usernames if name not in users or users[name].profile is None]
    if missing:
        raise DomainError(_("Load the demo scenario first: the representatives %(names)s are missing.",
                            names=", ".join(missing)))
    round = create_round(
        name=DEMO_ROUND_NAME, period=DEMO_PERIOD, framework_version=version,
        settings={"method": "trimmed", "trim": 1, "min_raters": 3},
        panel_spec={"mode": "rotating", "n_panels": demo_data.PANEL_COUNT, "min_raters_per_unit": 5,
                    "time_limit": 10.0},
    )
    for unit in units:
        add_round_unit(round=round, unit=unit)
    raters.add_representatives(round=round, users=[users[name] for name in usernames])
    _demo_sessions(round, DEMO_PLACE, first_day=9)
    _demo_solve(round)
    from survey.services.demo_scores import load_demo_scores

    load_demo_scores(round)  # opened, scored on the phones and closed, session by session
    return round


def _demo_committee_round(version: FrameworkVersion) -> Round:
    import csv
    import io

    from survey import demo_data
    from survey.services import raters

    units = _demo_units(list(DEMO_COMMITTEE_UNITS))
    homes = {u.code: u for u in _demo_units(sorted({home for _type, home in DEMO_COMMITTEE_POOL}))}
    round = create_round(
        name=DEMO_COMMITTEE_NAME, period=DEMO_PERIOD, framework_version=version,
        settings={"method": "trimmed", "trim": 1, "min_raters": 3}, panel_spec=DEMO_COMMITTEE_SPEC,
    )
    for unit in units:
        add_round_unit(round=round, unit=unit)
    # The pool goes through the same import as a staff member's spreadsheet.
    sheet = io.StringIO()
    writer = csv.writer(sheet)
    writer.writerow(["name", "rater_type", "home_unit", "industry"])
    for n, (rater_type, home) in enumerate(DEMO_COMMITTEE_POOL):
        # names that none of the 27 district representatives has
        name = demo_data.SURNAMES[(n + 9) % len(demo_data.SURNAMES)] + \
            demo_data.GIVEN_NAMES[(n * 2 + 9) % len(demo_data.GIVEN_NAMES)]
        writer.writerow([name, rater_type, home, homes[home].industry or ""])
    raters.import_raters(round=round, data=sheet.getvalue().encode("utf-8"), filename="shichahai-pool.csv")
    _demo_sessions(round, DEMO_COMMITTEE_PLACE, first_day=16)
    _demo_solve(round)
    return round


def _demo_solve(round: Round) -> None:
    outcome = plans.solve_plan(round=round)
    if not outcome.solved:  # the demo data is made to be feasible; say so loudly if it stops being
        raise RuntimeError(f"demo round {round.name}: no plan: {'; '.join(outcome.explanations())}")
