"""Hand-made data for the needs analysis tests: 100 respondents whose answers are known exactly.

Groups (gender x age band) and days are laid out so that the suppression and
the differencing guard have something to catch:

- gender: 55 male, 42 female, 3 "other" (a group under k = 5);
- age band: 30 young, 41 middle, 29 old; young and not male: 10 (8 female, 2 other);
- units: A (Shichahai) 50, B (Shichahai) 22, C (another sub-district) 8, D (a third) 20;
- days: 12 responses on each of days 1-4 and 6-9, 3 on day 5, 1 on day 10;
- housing and the 1-5 satisfaction rating are set per age band with every cell at least 5;
- 12 "other" needs texts (listed: k_text = 10) and 9 comments (withheld).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from forms.questionnaire.spec import Questionnaire
from survey import demo_data
from survey.extensions import db
from survey.models import QuestionnaireKind
from survey.services import questionnaires as qs
from survey.services.answer_columns import ImportRecord, bulk_import_responses
from tests.survey.round_builders import grassroots, seed_world

FIRST_DAY = date(2024, 3, 1)
GENDER_AGE = [("m", "young", 20), ("m", "mid", 20), ("m", "old", 15), ("f", "young", 8), ("f", "mid", 20),
              ("f", "old", 14), ("x", "young", 2), ("x", "mid", 1)]
#: housing per age band (own, rent, family), in order of the respondents of that band.
HOUSING = {"young": ("own",) * 6 + ("rent",) * 18 + ("family",) * 6,
           "mid": ("own",) * 20 + ("rent",) * 11 + ("family",) * 10,
           "old": ("own",) * 19 + ("rent",) * 5 + ("family",) * 5}
#: satisfaction 1..5 per age band.
SATISFACTION = {"young": (1,) * 6 + (2,) * 6 + (3,) * 6 + (4,) * 6 + (5,) * 6,
                "mid": (1,) * 5 + (2,) * 5 + (3,) * 10 + (4,) * 11 + (5,) * 10,
                "old": (1,) * 5 + (2,) * 6 + (3,) * 6 + (4,) * 6 + (5,) * 6}
DAY_COUNTS = {1: 12, 2: 12, 3: 12, 4: 12, 5: 3, 6: 12, 7: 12, 8: 12, 9: 12, 10: 1}
UNIT_COUNTS = {"A": 50, "B": 22, "C": 8, "D": 20}


def _t(zh: str, en: str) -> dict:
    return {"zh": zh, "en": en}


def _options(*ids: str, other: bool = False) -> list[dict]:
    out = [{"id": i, "label": _t(f"选项{i}", f"Option {i}")} for i in ids]
    if other:
        out.append({"id": "other", "label": _t("其他", "Other"), "is_other": True})
    return out


def analysis_spec() -> Questionnaire:
    rows = [{"id": r, "label": _t(f"方面{r}", f"Aspect {r}")} for r in ("r1", "r2", "r3")]
    return Questionnaire.from_dict({
        "title": _t("分析测试问卷", "Analysis test survey"),
        "sections": [
            {"id": "about", "title": _t("基本情况", "About you"), "questions": [
                {"id": "gender", "type": "single_choice", "demographic": "gender", "title": _t("性别", "Gender"),
                 "options": [{"id": "m", "label": _t("男", "Male")}, {"id": "f", "label": _t("女", "Female")},
                             {"id": "x", "label": _t("其他性别", "Another gender")}]},
                {"id": "age_band", "type": "single_choice", "demographic": "age_band", "title": _t("年龄", "Age"),
                 "options": [{"id": "young", "label": _t("青年", "Young")}, {"id": "mid", "label": _t("中年", "Middle")},
                             {"id": "old", "label": _t("老年", "Old")}]},
            ]},
            {"id": "main", "title": _t("需求", "Needs"), "questions": [
                {"id": "housing", "type": "single_choice", "title": _t("住房", "Housing"),
                 "options": _options("own", "rent", "family")},
                {"id": "needs", "type": "multiple_choice", "title": _t("您需要哪些服务", "Which services do you need"),
                 "options": _options("legal", "training", "aid", "none", other=True)},
                {"id": "top", "type": "ranking", "rank_top": 2, "title": _t("最重要的两项", "Your top two"),
                 "options": _options("a", "b", "c", "d")},
                {"id": "sat", "type": "rating", "scale_min": 1, "scale_max": 5, "title": _t("满意度", "Satisfaction"),
                 "scale_min_label": _t("很不满意", "Very dissatisfied"),
                 "scale_max_label": _t("很满意", "Very satisfied")},
                {"id": "imp", "type": "matrix", "title": _t("以下方面对您有多重要", "How important is each of these"),
                 "rows": rows},
                {"id": "perf", "type": "matrix", "title": _t("您对以下方面满意吗", "How satisfied are you with these"),
                 "rows": rows},
                {"id": "hours", "type": "number", "title": _t("加班小时", "Overtime hours"), "number_min": 0,
                 "number_max": 80},
                {"id": "comment", "type": "long_text", "title": _t("意见", "Comments")},
                {"id": "joined", "type": "date", "title": _t("入会日期", "Joined on")},
                {"id": "channel", "type": "multiple_choice", "title": _t("渠道", "Channels"),
                 "options": _options("web", "phone")},
            ]},
        ],
    })


@dataclass
class Respondent:
    gender: str
    age: str
    unit: str
    day: date
    answers: dict


def respondents(seed: int = 11) -> list[Respondent]:
    """The 100 respondents, in import order."""
    rng = random.Random(seed)
    people = [(g, a) for g, a, n in GENDER_AGE for _ in range(n)]
    rng.shuffle(people)
    units = [u for u, n in UNIT_COUNTS.items() for _ in range(n)]
    rng.shuffle(units)
    days = [FIRST_DAY + timedelta(days=d - 1) for d, n in DAY_COUNTS.items() for _ in range(n)]
    rng.shuffle(days)
    seen = {"young": 0, "mid": 0, "old": 0}
    out = []
    for i, ((gender, age), unit, day) in enumerate(zip(people, units, days, strict=True)):
        j = seen[age]
        seen[age] += 1
        if i % 10 == 0:
            needs = ["none"]
        else:
            needs = [o for o in ("legal", "training", "aid") if rng.random() < (0.7, 0.45, 0.2)[("legal", "training", "aid").index(o)]] or ["legal"]
        if i < 12:
            needs = needs + [{"option": "other", "other": f"需要{chr(0x4e00 + 7 * i)}" if i else "=cmd|' /C calc'!A0"}]
        top = rng.sample(["a", "a", "a", "b", "b", "c", "d"], 1)
        top += rng.sample([o for o in "abcd" if o != top[0]], 1)
        answers = {
            "gender": gender, "age_band": age, "housing": HOUSING[age][j],
            "needs": needs, "top": top, "sat": SATISFACTION[age][j],
            "imp": {"r1": rng.choice([4, 5, 5]), "r2": rng.choice([2, 3, 4]), "r3": rng.choice([3, 4, 5])},
            "perf": {"r1": rng.choice([2, 3, 3]), "r2": rng.choice([3, 4, 4]), "r3": rng.choice([4, 5, 5])},
            "hours": rng.choice([0, 0, 0, 2, 4, 6, 8, 10, 12, 15, 20]),
            "joined": (date(2010, 1, 1) + timedelta(days=rng.randrange(3000))).isoformat(),
            "channel": rng.sample(["web", "phone"], rng.choice([1, 2])),
        }
        if i % 11 == 3 and sum(1 for r in out if "comment" in r.answers) < 9:
            answers["comment"] = f"意见{i}"
        out.append(Respondent(gender, age, unit, day, answers))
    return out


def analysis_world():
    """Units A-D (with members) in three sub-districts; returns {"A": OrgUnit, ...} and the sub-districts."""
    units = seed_world()
    sds = [code for code, *_ in demo_data.SUB_DISTRICTS if code != "SCH"][:2]
    world = {"A": units["SCH-C01"], "B": units["SCH-C02"],
             "C": grassroots(f"{sds[0]}-E8", units[sds[0]]), "D": grassroots(f"{sds[1]}-E9", units[sds[1]])}
    for name, members in (("A", 200), ("B", 40), ("C", 30), ("D", 80)):
        world[name].member_count = members
    db.session.flush()
    return world, {"SCH": units["SCH"], "C": units[sds[0]], "D": units[sds[1]]}


def load_analysis_data(kind=QuestionnaireKind.NEEDS):
    """The questionnaire published with the 100 respondents imported; returns (questionnaire, people, units, sds)."""
    world, sds = analysis_world()
    questionnaire = qs.create_questionnaire(spec=analysis_spec(), kind=kind)
    qs.publish_questionnaire(questionnaire=questionnaire)
    people = respondents()
    bulk_import_responses(questionnaire, [ImportRecord(p.answers, unit_id=world[p.unit].id, submitted_on=p.day)
                                          for p in people])
    db.session.flush()
    return questionnaire, people, world, sds
