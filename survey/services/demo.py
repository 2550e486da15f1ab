"""Load the seeds' demo scenario; safe to run again (existing rows are kept)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from survey import demo_data as data
from survey.extensions import db
from survey.models import (
    OrgLevel,
    OrgUnit,
    Questionnaire,
    QuestionnaireKind,
    RaterType,
    RepresentativeProfile,
    Role,
    UnitKind,
    User,
)
from survey.services.accounts import hash_password
from survey.services.distribution import set_participation_target
from survey.services.questionnaires import (
    close_questionnaire,
    create_questionnaire,
    publish_questionnaire,
)
from survey.services.questionnaires import spec_of as _spec_of


@dataclass
class DemoSummary:
    created_units: int = 0
    created_users: int = 0
    created_questionnaires: int = 0
    created_responses: int = 0
    created_rounds: int = 0
    created_publications: int = 0
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # (role, username, password)

    def describe(self) -> str:
        state = (
            f"Demo scenario loaded: {self.created_units} units, {self.created_users} accounts, "
            f"{self.created_questionnaires} questionnaires, {self.created_responses} responses, "
            f"{self.created_rounds} assessment rounds and {self.created_publications} "
            f"{'publication' if self.created_publications == 1 else 'publications'} created."
            if self.created_units or self.created_users or self.created_questionnaires or self.created_rounds
            or self.created_publications
            else "Demo scenario already present: nothing to add."
        )
        lines = [state, "Demo logins (role  username  password):"]
        lines += [f"  {role:<15} {user:<12} {password}" for role, user, password in self.logins]
        return "\n".join(lines)


def load_demo_scenario() -> DemoSummary:
    """Create the district, its 15 sub-districts, their units, the nine directly
    affiliated unions, 27 representatives and the staff/evaluator accounts."""
    summary = DemoSummary()
    rng = random.Random(2014)  # nosec B311  # same demo everywhere; no secret
    units = _load_units(rng, summary)
    _load_accounts(summary)
    _load_representatives(units, summary)
    _load_questionnaires(units, summary)
    db.session.flush()
    _load_rounds(summary)
    return summary


def _get_or_add_unit(summary: DemoSummary, code: str, **values) -> OrgUnit:
    unit = db.session.scalar(select(OrgUnit).where(OrgUnit.code == code))
    if unit is None:
        unit = OrgUnit(code=code, **values)
        db.session.add(unit)
        summary.created_units += 1
    return unit


def _members(rng: random.Random, low: int, high: int) -> tuple[int, int]:
    """(members, employees) with a membership rate near the seeds' 96.65% (2014)."""
    employees = rng.randint(low, high)
    members = min(employees, round(employees * rng.uniform(0.94, 0.99)))
    return members, employees


def _load_units(rng: random.Random, summary: DemoSummary) -> dict[str, OrgUnit]:
    code, name_zh, name_en = data.DISTRICT
    district = _get_or_add_unit(summary, code, name_zh=name_zh, name_en=name_en, level=OrgLevel.DISTRICT)
    units: dict[str, OrgUnit] = {code: district}
    for sd_code, sd_zh, sd_en in data.SUB_DISTRICTS:
        sd = _get_or_add_unit(summary, sd_code, name_zh=sd_zh, name_en=sd_en, level=OrgLevel.SUB_DISTRICT, parent=district)
        units[sd_code] = sd
        short_zh, short_en = sd_zh.removesuffix("街道总工会"), sd_en.removesuffix(" Sub-district Federation")
        for n in range(1, data.COMMUNITIES_PER_SUB_DISTRICT + 1):
            members, employees = _members(rng, 40, 400)
            ucode = f"{sd_code}-C{n:02d}"
            units[ucode] = _get_or_add_unit(
                summary, ucode, name_zh=f"{short_zh}第{n}社区联合工会", name_en=f"{short_en} Community {n} Joint Union",
                level=OrgLevel.GRASSROOTS, kind=UnitKind.COMMUNITY_JOINT, parent=sd, industry="community services",
                member_count=members, employee_count=employees,
            )
        for suffix, pattern_zh, pattern_en, industry in data.ENTERPRISE_TEMPLATES:
            members, employees = _members(rng, 30, 900)
            ucode = f"{sd_code}-{suffix}"
            units[ucode] = _get_or_add_unit(
                summary, ucode, name_zh=pattern_zh.format(sd=short_zh), name_en=pattern_en.format(sd_en=short_en),
                level=OrgLevel.GRASSROOTS, kind=UnitKind.ENTERPRISE, parent=sd, industry=industry,
                member_count=members, employee_count=employees,
            )
    for sd_code, ucode, name_zh, name_en, industry in data.INDUSTRY_JOINT_UNIONS:
        members, employees = _members(rng, 60, 600)
        units[ucode] = _get_or_add_unit(
            summary, ucode, name_zh=name_zh, name_en=name_en, level=OrgLevel.GRASSROOTS, kind=UnitKind.INDUSTRY_JOINT,
            parent=units[sd_code], industry=industry, member_count=members, employee_count=employees,
        )
    for ucode, name_zh, name_en, industry in data.BUREAU_UNIONS:
        members, employees = _members(rng, 300, 3000)
        units[ucode] = _get_or_add_unit(
            summary, ucode, name_zh=name_zh, name_en=name_en, level=OrgLevel.GRASSROOTS, kind=UnitKind.BUREAU,
            parent=district, industry=industry, member_count=members, employee_count=employees,
        )
    for ucode, name_zh, name_en, industry, members in data.DIRECTLY_AFFILIATED:
        units[ucode] = _get_or_add_unit(
            summary, ucode, name_zh=name_zh, name_en=name_en, level=OrgLevel.GRASSROOTS,
            kind=UnitKind.DIRECTLY_AFFILIATED, parent=district, industry=industry,
            member_count=members, employee_count=round(members / 0.9665),
        )
    db.session.flush()
    return units


def _get_or_add_user(summary: DemoSummary, username: str, role: Role, display_name: str, password: str) -> User:
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        user = User(username=username, role=role, display_name=display_name, password_hash=hash_password(password))
        db.session.add(user)
        summary.created_users += 1
    return user


def _load_accounts(summary: DemoSummary) -> None:
    for username, role, display_name, password in data.DEMO_ACCOUNTS:
        _get_or_add_user(summary, username, Role(role), display_name, password)
        summary.logins.append((role, username, password))


def representative_home_codes() -> list[str]:
    """Home units of the 27 representatives: one from each directly affiliated
    union (so the recusal rule bites), the rest from sub-district units."""
    codes = [code for code, *_ in data.DIRECTLY_AFFILIATED]
    sub_codes = [sd for sd, *_ in data.SUB_DISTRICTS]
    suffixes = ["E1", "C03", "E2", "C07", "E3", "E4"]
    i = 0
    while len(codes) < data.REPRESENTATIVE_COUNT:
        codes.append(f"{sub_codes[i % len(sub_codes)]}-{suffixes[i % len(suffixes)]}")
        i += 1
    return codes


def _load_representatives(units: dict[str, OrgUnit], summary: DemoSummary) -> None:
    # One password hash for all demo representatives: scrypt is slow by design.
    password_hash = hash_password(data.REPRESENTATIVE_PASSWORD)
    sub_codes = [sd for sd, *_ in data.SUB_DISTRICTS]
    for n, home_code in enumerate(representative_home_codes(), start=1):
        username = f"rep{n:02d}"
        if db.session.scalar(select(User.id).where(User.username == username)) is not None:
            continue
        name = data.SURNAMES[(n * 7) % len(data.SURNAMES)] + data.GIVEN_NAMES[(n - 1) % len(data.GIVEN_NAMES)]
        home = units[home_code]
        sub_district = home.parent if home.parent and home.parent.level is OrgLevel.SUB_DISTRICT else units[sub_codes[(n - 1) % len(sub_codes)]]
        user = User(username=username, role=Role.REPRESENTATIVE, display_name=name, password_hash=password_hash)
        user.profile = RepresentativeProfile(
            rater_type=RaterType.WORKER_REPRESENTATIVE, home_unit=home, sub_district=sub_district, industry=home.industry
        )
        db.session.add(user)
        summary.created_users += 1
    summary.logins.append(("representative", "rep01 … rep27", data.REPRESENTATIVE_PASSWORD))


#: Public link names of the demo questionnaires.
NEEDS_SLUG = "xicheng-needs-2016"
CHAIR_SLUG = "shichahai-chair-2016"
#: The seeds' member-needs survey had 20,000 responses.
NEEDS_RESPONSES = 20_000
#: Shichahai's members' evaluation reached over 60% of the members of its enterprise unions.
CHAIR_RESPONSE_SHARE = 0.64
#: The chair rating closed the day after its last answers (survey.demo_responses.PERIOD ends
#: on 30 April 2016): 2016-05-01 00:00 Beijing time.
CHAIR_CLOSED_AT = datetime(2016, 5, 1, tzinfo=ZoneInfo("Asia/Shanghai"))


def _load_questionnaires(units: dict[str, OrgUnit], summary: DemoSummary) -> None:
    """The 2016 needs survey (published, 20,000 responses) and Shichahai's chair rating."""
    from survey.demo_questionnaires import (
        chair_satisfaction_questionnaire,
        needs_questionnaire,
    )
    from survey.demo_responses import demo_units

    all_units = demo_units()
    chair_units = [u for u in all_units if u[0].startswith("SCH-E")]
    plans = [
        (NEEDS_SLUG, needs_questionnaire(), QuestionnaireKind.NEEDS, NEEDS_RESPONSES, all_units),
        (CHAIR_SLUG, chair_satisfaction_questionnaire(), QuestionnaireKind.SATISFACTION,
         round(CHAIR_RESPONSE_SHARE * sum(units[code].member_count for code, *_ in chair_units)), chair_units),
    ]
    for slug, spec, kind, n, respondent_units in plans:
        if db.session.scalar(select(Questionnaire.id).where(Questionnaire.slug == slug)) is not None:
            continue
        questionnaire = create_questionnaire(spec=spec, kind=kind, slug=slug)
        # the chair rating's closing time is in the story; closing keeps it (the earlier of it and now)
        publish_questionnaire(questionnaire=questionnaire,
                              closes_at=CHAIR_CLOSED_AT if kind is QuestionnaireKind.SATISFACTION else None)
        summary.created_questionnaires += 1
        summary.created_responses += _insert_synthetic_responses(questionnaire, n, respondent_units, units)
        if kind is QuestionnaireKind.SATISFACTION:
            for code, *_rest in respondent_units:  # the Shichahai target: over 60% of members
                set_participation_target(questionnaire=questionnaire, unit=units[code], rate=0.6)
            # The rating is over: closed once its answers are in, so evaluators have a closed
            # questionnaire to look at (the needs survey stays open to answer on a phone).
            close_questionnaire(questionnaire=questionnaire)


def _insert_synthetic_responses(questionnaire: Questionnaire, n: int, respondent_units, units) -> int:
    """Bulk insert (responses and their packed answer rows), not 20,000 ORM objects."""
    from survey.demo_responses import synthetic_responses
    from survey.services.answer_columns import ImportRecord, bulk_import_responses

    records = (
        ImportRecord(answers=r.answers, unit_id=units[r.unit_code].id, submitted_on=r.submitted_on,
                     client_id=f"demo-{questionnaire.slug}-{i:06d}")
        for i, r in enumerate(
            synthetic_responses(
                _spec_of(questionnaire.versions[-1]), n, units=respondent_units,
                weights=[units[code].member_count for code, *_ in respondent_units],  # bigger unions answer more
            )
        )
    )
    # The synthetic answers are canonical (they pass validate_response): no need to validate them again.
    return bulk_import_responses(questionnaire, records, version=questionnaire.versions[-1], validate=False).imported


def _load_rounds(summary: DemoSummary) -> None:
    """The 2014 mid-year open-door round and a Shichahai-style committee round, with solved plans;
    the open-door round, scored, gets its composite inputs and is published as version 1."""
    from survey.services.demo_publication import ADMIN_USERNAME, publish_demo_round
    from survey.services.rounds import DEMO_ROUND_NAME, load_demo_round

    created = load_demo_round()
    summary.created_rounds += len(created)
    admin = db.session.scalar(select(User).where(User.username == ADMIN_USERNAME))
    for round in created:  # a round that was already there is left as it is
        if round.name == DEMO_ROUND_NAME:
            publish_demo_round(round, by=admin)
            summary.created_publications += 1
