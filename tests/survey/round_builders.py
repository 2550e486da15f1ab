"""Builders for the round tests: the seeds' units and representatives, a small framework, rounds.

The units and people follow the demo scenario (``survey.demo_data``) without loading all of it:
the district, its sub-districts, the nine directly affiliated unions, the representatives' home
units and Shichahai's enterprise and community unions.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from survey import demo_data
from survey.extensions import db
from survey.models import (
    Framework,
    FrameworkVersion,
    OrgLevel,
    OrgUnit,
    RaterType,
    RepresentativeProfile,
    Role,
    Round,
    UnitKind,
    User,
)
from survey.services import raters, rounds
from survey.services.demo import representative_home_codes

DIRECT_CODES = [code for code, *_ in demo_data.DIRECTLY_AFFILIATED]
SCH_ENTERPRISES = ["SCH-E1", "SCH-E2", "SCH-E3", "SCH-E4"]
_KIND_BY_SUFFIX = {"E": UnitKind.ENTERPRISE, "C": UnitKind.COMMUNITY_JOINT}
_INDUSTRY_BY_SUFFIX = {"E1": "commerce", "E2": "property services", "E3": "catering", "E4": "information technology"}


def unit(code: str) -> OrgUnit:
    return db.session.scalar(select(OrgUnit).where(OrgUnit.code == code))


def _add(code: str, **values) -> OrgUnit:
    found = unit(code)
    if found is None:
        found = OrgUnit(code=code, name_zh=values.pop("name_zh", code), **values)
        db.session.add(found)
        db.session.flush()
    return found


def grassroots(code: str, parent: OrgUnit, kind: UnitKind | None = None, industry: str | None = None) -> OrgUnit:
    suffix = code.rsplit("-", 1)[-1]
    return _add(
        code, level=OrgLevel.GRASSROOTS, parent=parent,
        kind=kind or _KIND_BY_SUFFIX.get(suffix[0], UnitKind.ENTERPRISE),
        industry=industry or _INDUSTRY_BY_SUFFIX.get(suffix, "community services"),
    )


def seed_world() -> dict[str, OrgUnit]:
    """The district, 15 sub-districts, the nine directly affiliated unions, the 27
    representatives' home units and Shichahai's E1-E4 and C01-C06."""
    district = _add(demo_data.DISTRICT[0], name_zh=demo_data.DISTRICT[1], level=OrgLevel.DISTRICT)
    units = {district.code: district}
    for code, name_zh, _en in demo_data.SUB_DISTRICTS:
        units[code] = _add(code, name_zh=name_zh, level=OrgLevel.SUB_DISTRICT, parent=district)
    for code, name_zh, _en, industry, _members in demo_data.DIRECTLY_AFFILIATED:
        units[code] = _add(code, name_zh=name_zh, level=OrgLevel.GRASSROOTS, parent=district,
                           kind=UnitKind.DIRECTLY_AFFILIATED, industry=industry)
    wanted = set(representative_home_codes()) | set(SCH_ENTERPRISES) | {f"SCH-C{n:02d}" for n in range(1, 7)}
    for code in sorted(wanted - set(units)):
        units[code] = grassroots(code, units[code.split("-")[0]])
    return units


def representatives(units: dict[str, OrgUnit]) -> list[User]:
    """rep01..rep27 with profiles, as the demo makes them (all worker representatives)."""
    users = []
    for n, home_code in enumerate(representative_home_codes(), start=1):
        username = f"rep{n:02d}"
        user = db.session.scalar(select(User).where(User.username == username))
        if user is None:
            home = units[home_code]
            name = demo_data.SURNAMES[(n * 7) % len(demo_data.SURNAMES)] + \
                demo_data.GIVEN_NAMES[(n - 1) % len(demo_data.GIVEN_NAMES)]
            user = User(username=username, role=Role.REPRESENTATIVE, display_name=name)
            user.profile = RepresentativeProfile(
                rater_type=RaterType.WORKER_REPRESENTATIVE, home_unit=home,
                sub_district=home.sub_district(), industry=home.industry,
            )
            db.session.add(user)
        users.append(user)
    db.session.flush()
    return users


def small_spec(weights=(50, 50)) -> dict:
    """Two areas of two criteria; each area's maxima add up to its weight."""
    areas = []
    for a, weight in enumerate(weights, start=1):
        half = weight / 2
        areas.append({
            "code": f"A{a:02d}", "title": {"zh": f"领域{a}", "en": f"Area {a}"}, "weight": weight,
            "criteria": [
                {"code": f"A{a:02d}.{c}", "title": {"zh": f"指标{a}.{c}", "en": f"Criterion {a}.{c}"},
                 "max_points": half, "step": 0.5,
                 "guidance": {"full": {"zh": "全部", "en": "all"}, "partial": {"zh": "部分", "en": "some"},
                              "none": {"zh": "没有", "en": "none"}}}
                for c in (1, 2)
            ],
        })
    return {"title": {"zh": "测试细则", "en": "Test rules"}, "total": 100, "areas": areas}


def framework_version(weights=(50, 50), code: str = "test-fw") -> FrameworkVersion:
    """A FrameworkVersion row stored as is (also when its weights do not add up)."""
    framework = db.session.scalar(select(Framework).where(Framework.code == code))
    if framework is None:
        framework = Framework(code=code, name=f"Framework {code}")
        db.session.add(framework)
    version = FrameworkVersion(number=len(framework.versions) + 1, spec=small_spec(weights))
    framework.versions.append(version)
    db.session.flush()
    return version


def june(day: int, hour: int = 9) -> datetime:
    """A time in June 2014, Beijing time, as stored (UTC)."""
    return datetime(2014, 6, day, hour, tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(UTC)


def seed_round(*, panel_spec=None, version: FrameworkVersion | None = None, scheduled: bool = True, **options) -> Round:
    """The seeds' round: the nine directly affiliated unions and the 27 representatives."""
    units = seed_world()
    users = representatives(units)
    round = rounds.create_round(
        name="2014年年中目标考核开门打分", period="2014年年中", framework_version=version or framework_version(),
        panel_spec=panel_spec or {"mode": "rotating", "n_panels": 4, "min_raters_per_unit": 5, "time_limit": 5},
        **options,
    )
    for code in DIRECT_CODES:
        rounds.add_round_unit(round=round, unit=units[code])
    raters.add_representatives(round=round, users=users)
    if scheduled:
        for n, session in enumerate(sorted(round.sessions, key=lambda s: s.unit.code)):
            rounds.schedule_session(session=session, starts_at=june(9 + n // 2, 9 if n % 2 == 0 else 14),
                                    place="三楼会议室")
    return round


#: (name, rater type, home unit) of a Shichahai-style pool of 14.
SCH_POOL = [
    ("赵一", "union_chair", "SCH-E1"), ("钱二", "union_chair", "SCH-E2"), ("孙三", "union_chair", "SCH-E3"),
    ("李四", "union_chair", "SCH-E4"), ("周五", "union_chair", "SCH-C01"),
    ("吴六", "worker_representative", "SCH-E1"), ("郑七", "worker_representative", "SCH-E3"),
    ("王八", "worker_representative", "SCH-C02"), ("冯九", "worker_representative", "SCH-C03"),
    ("陈十", "worker_representative", "SCH-C04"), ("褚十一", "worker_representative", "SCH-C05"),
    ("卫十二", "model_worker", "SCH-E2"), ("蒋十三", "model_worker", "SCH-E4"), ("沈十四", "model_worker", "SCH-C06"),
]

COMMITTEE_SPEC = {
    "mode": "committee",
    "committee_size": 9,
    "quotas": {"enterprise": {"union_chair": [2, 9], "model_worker": [1, 9]}},
    "time_limit": 5,
}


def pool_csv(rows) -> bytes:
    lines = ["name,rater_type,home_unit"] + [",".join(row) for row in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


def committee_round(*, pool=SCH_POOL, panel_spec=COMMITTEE_SPEC, **options) -> Round:
    """A Shichahai-style round: the four enterprise unions and a committee pool."""
    units = seed_world()
    round = rounds.create_round(
        name="什刹海会员民主评议", period="2014年年中", framework_version=framework_version(),
        panel_spec=panel_spec, **options,
    )
    for n, code in enumerate(SCH_ENTERPRISES):
        rounds.add_round_unit(round=round, unit=units[code])
    raters.import_raters(round=round, data=pool_csv(pool), filename="pool.csv")
    for n, session in enumerate(sorted(round.sessions, key=lambda s: s.unit.code)):
        rounds.schedule_session(session=session, starts_at=june(16 + n), place="什刹海街道总工会会议室")
    return round
