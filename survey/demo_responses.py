"""Synthetic responses for the demo: the 2016 needs survey's 20,000 answers, in seconds.

``synthetic_responses(questionnaire, n, seed=..., units=...)`` draws ``n``
respondents from the given units and answers ``questionnaire`` for each of
them in the canonical answer encoding of ``forms.questionnaire.answers``.
Everything is drawn column by column with numpy from one seeded generator, so
the same arguments give the same responses (with the same numpy version).

How a respondent is drawn
-------------------------
A unit is chosen (weighted by its kind, ``KIND_WEIGHTS``, or by ``weights``),
and the respondent takes the unit's sub-district, industry and kind;
district-level units without a sub-district get one at random. Latent traits follow from those:
age band and gender from the industry; contract, overtime, pay and safety
from an employment profile of the industry (precarious: catering, wedding
services; outsourced: property services, sanitation; professional: finance;
public: culture, health, education, public administration and every bureau
union; private: the rest); housing, commute, care burdens, household finances
and life pressure from age, industry, unit kind and sub-district.

Needs follow a random-utility model: each of the ten union services gets a
utility per respondent — a base level, plus effects of industry, sub-district,
age band and the respondent's own situation, plus Gumbel noise — and the
respondent ticks their k best services (k from 1 to 5) and ranks the three
best (with a little extra noise). Built-in structure:

- catering and property-services members work more overtime (40-50% above 10
  hours a week, against about one in six in finance), are paid for it less
  often, meet more rights problems and rank legal aid higher;
- Financial Street (JRJ) members — and finance and IT members anywhere — rank
  skills training, childcare and counselling higher; southern sub-districts
  (Dashilan, Tianqiao, Niujie, Baizhifang, Guang'anmenwai) rank hardship aid
  and eldercare a little higher;
- older age bands rank health checks and eldercare higher, the young rank
  social events and training higher; care for children or elderly relatives
  raises childcare and eldercare, household hardship raises hardship aid;
- ratings of the workers' home vary by unit (a random unit effect), and
  Shichahai's are higher (its members evaluated their homes);
- demographic answers agree with the unit: the sub-district answer matches the
  unit's about 94% of the time, the industry about 96%, the unit kind about 89%
  (some members confuse the kinds of union; a few write in "other").

Follow-ups are answered only when shown: every answers dict goes through
``forms.questionnaire.checks.drop_hidden``. Optional questions are sometimes
skipped; "other, please specify" and free-text answers come from small lists
of plausible texts. Questions the model does not know (another
questionnaire, or an edited one whose options changed) get plausible generic
answers of their type: scales driven by a per-respondent and per-unit level of
satisfaction (so the chair satisfaction questionnaire gets correlated ratings
that differ by unit), choices uniform, numbers within bounds; a choice whose
options are the units', sub-districts', industries' or unit kinds' codes is
answered from the respondent's unit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from scipy.special import ndtr

from forms.questionnaire.checks import drop_hidden
from forms.questionnaire.spec import Question, Questionnaire, QuestionType
from survey import demo_data
from survey.demo_questionnaires import (
    AGE_BAND_OPTIONS,
    INDUSTRY_OPTIONS,
    SERVICE_OPTIONS,
    UNIT_KIND_OPTIONS,
)

#: Days on which the synthetic responses were submitted (inclusive).
PERIOD = (date(2016, 3, 1), date(2016, 4, 30))

#: A unit respondents come from: (unit code, sub-district code or None, industry, kind).
Unit = tuple[str, "str | None", str, str]

SUB_DISTRICTS = tuple(code for code, _zh, _en in demo_data.SUB_DISTRICTS)
INDUSTRIES = tuple(oid for oid, _zh, _en in INDUSTRY_OPTIONS) + ("other",)
KINDS = tuple(oid for oid, _zh, _en in UNIT_KIND_OPTIONS) + ("other",)
AGE_BANDS = tuple(oid for oid, _zh, _en in AGE_BAND_OPTIONS)
SERVICES = tuple(oid for oid, _zh, _en in SERVICE_OPTIONS)

#: Relative number of respondents per unit of each kind when no weights are given.
KIND_WEIGHTS = {"community_joint": 0.5, "enterprise": 1.6, "industry_joint": 6.0, "bureau": 5.0,
                "directly_affiliated": 3.0}


@dataclass(frozen=True)
class SyntheticResponse:
    """One synthetic submission; ``answers`` is in the canonical encoding."""

    unit_code: str
    submitted_on: date
    answers: dict = field(hash=False)


def demo_units() -> list[Unit]:
    """Every grassroots unit of ``survey.demo_data`` as a respondent source.

    Two district-level units are placed where their names put them (the
    Tianqiao performing-arts company, Financial Street property management);
    the other bureau and directly affiliated unions have no sub-district.
    """
    units: list[Unit] = []
    for sd, _zh, _en in demo_data.SUB_DISTRICTS:
        units += [(f"{sd}-C{i:02d}", sd, "community services", "community_joint")
                  for i in range(1, demo_data.COMMUNITIES_PER_SUB_DISTRICT + 1)]
        units += [(f"{sd}-{suffix}", sd, industry, "enterprise")
                  for suffix, _pz, _pe, industry in demo_data.ENTERPRISE_TEMPLATES]
    units += [(code, sd, industry, "industry_joint")
              for sd, code, _zh, _en, industry in demo_data.INDUSTRY_JOINT_UNIONS]
    units += [(code, None, industry, "bureau") for code, _zh, _en, industry in demo_data.BUREAU_UNIONS]
    placed = {"XC-D06": "TQA", "XC-D09": "JRJ"}
    units += [(code, placed.get(code), industry, "directly_affiliated")
              for code, _zh, _en, industry, _members in demo_data.DIRECTLY_AFFILIATED]
    return units


# --------------------------------------------------------------------------- model tables

#: industry -> (youth, share female, share with no overtime, mean overtime when some, pay level, profile)
INDUSTRY_TRAITS = {
    "commerce": (0.3, 0.58, 0.30, 10, 0.0, "private"),
    "catering": (0.6, 0.52, 0.15, 16, -0.5, "precarious"),
    "property_services": (0.0, 0.42, 0.20, 14, -0.4, "outsourced"),
    "information_technology": (0.7, 0.35, 0.25, 12, 0.4, "private"),
    "finance": (0.4, 0.55, 0.40, 8, 0.6, "professional"),
    "wedding_services": (0.5, 0.60, 0.20, 15, -0.1, "precarious"),
    "culture": (-0.1, 0.55, 0.45, 7, 0.0, "public"),
    "health": (-0.1, 0.72, 0.35, 9, 0.2, "public"),
    "education": (-0.2, 0.74, 0.40, 6, 0.2, "public"),
    "sanitation": (-0.6, 0.30, 0.35, 9, -0.5, "outsourced"),
    "community_services": (-0.4, 0.70, 0.55, 5, -0.3, "private"),
    "public_administration": (-0.5, 0.45, 0.60, 5, 0.2, "public"),
    "other": (0.0, 0.50, 0.40, 8, 0.0, "private"),
}
PROFILES = ("precarious", "outsourced", "private", "professional", "public")

CONTRACTS = ("open_ended", "fixed_term", "dispatch", "civil_service", "none", "unsure")
CONTRACT_BY_PROFILE = {
    "precarious": (0.08, 0.50, 0.12, 0.00, 0.20, 0.10),
    "outsourced": (0.15, 0.48, 0.22, 0.00, 0.08, 0.07),
    "private": (0.22, 0.58, 0.06, 0.00, 0.08, 0.06),
    "professional": (0.40, 0.50, 0.07, 0.00, 0.01, 0.02),
    "public": (0.28, 0.15, 0.10, 0.45, 0.00, 0.02),
}
OVERTIME_PAY = ("paid", "time_off", "partly", "unpaid")
OVERTIME_PAY_BY_PROFILE = {
    "precarious": (0.25, 0.12, 0.30, 0.33),
    "outsourced": (0.30, 0.15, 0.30, 0.25),
    "private": (0.40, 0.25, 0.20, 0.15),
    "professional": (0.45, 0.30, 0.15, 0.10),
    "public": (0.25, 0.55, 0.10, 0.10),
}
AGE_BASE = np.array([0.14, 0.32, 0.26, 0.19, 0.09])
AGE_TILT = np.array([0.9, 0.45, 0.0, -0.45, -0.9])
AGE_YEARS = ((18, 24), (25, 34), (35, 44), (45, 54), (55, 62))
TENURES = ("lt1", "1-3", "3-5", "5-10", "10plus")
TENURE_BY_AGE = np.array([
    [0.40, 0.45, 0.13, 0.02, 0.00],
    [0.18, 0.32, 0.25, 0.20, 0.05],
    [0.08, 0.17, 0.20, 0.27, 0.28],
    [0.05, 0.10, 0.13, 0.22, 0.50],
    [0.04, 0.07, 0.10, 0.19, 0.60],
])
HOUSING = ("own", "family", "rent", "dorm", "other")
HOUSING_BY_AGE = np.array([
    [0.05, 0.36, 0.40, 0.17, 0.02],
    [0.22, 0.25, 0.40, 0.10, 0.03],
    [0.56, 0.10, 0.27, 0.05, 0.02],
    [0.75, 0.08, 0.13, 0.03, 0.01],
    [0.82, 0.09, 0.06, 0.02, 0.01],
])
COMMUTES = ("lt30", "30-60", "60-90", "gt90")
COMMUTE_BY_HOUSING = np.array([
    [0.25, 0.42, 0.23, 0.10],
    [0.30, 0.40, 0.20, 0.10],
    [0.35, 0.40, 0.18, 0.07],
    [0.75, 0.20, 0.04, 0.01],
    [0.30, 0.40, 0.20, 0.10],
])
CARE = ("preschool_child", "school_child", "elderly", "ill")
CARE_BY_AGE = np.array([  # probability of each care burden, rows: age bands
    [0.02, 0.01, 0.04, 0.03],
    [0.28, 0.07, 0.10, 0.04],
    [0.18, 0.42, 0.28, 0.06],
    [0.02, 0.18, 0.42, 0.09],
    [0.01, 0.02, 0.30, 0.12],
])
CHECKUPS = ("within1", "1-2", "over2", "never")
CHECKUP_BY_PROFILE = {
    "precarious": (0.28, 0.25, 0.20, 0.27),
    "outsourced": (0.38, 0.25, 0.17, 0.20),
    "private": (0.50, 0.25, 0.13, 0.12),
    "professional": (0.85, 0.10, 0.04, 0.01),
    "public": (0.82, 0.12, 0.04, 0.02),
}
FINANCES = ("difficult", "tight", "balanced", "comfortable")
FINANCE_CUTS = (-1.9, -0.7, 0.9)
#: Sub-district effects on household finances (the rest: 0).
SUB_DISTRICT_WEALTH = {"JRJ": 0.3, "XCJ": 0.2, "DZL": -0.15, "TQA": -0.15, "TRT": -0.1, "NJI": -0.15,
                       "BZF": -0.15, "GAW": -0.1, "CSH": -0.1}

SERVICE_BASE = {"legal": 0.1, "training": 0.6, "hardship": -0.3, "health_check": 0.9, "childcare": -0.1,
                "eldercare": -0.2, "culture": 0.6, "social": -0.3, "insurance": 0.3, "counselling": -0.5}
INDUSTRY_SERVICES = {
    "catering": {"legal": 1.0, "hardship": 0.5, "training": 0.2, "health_check": -0.1},
    "property_services": {"legal": 0.9, "hardship": 0.4},
    "sanitation": {"hardship": 0.7, "health_check": 0.4, "legal": 0.4, "culture": -0.2},
    "wedding_services": {"legal": 0.5, "social": 0.3},
    "commerce": {"legal": 0.2, "training": 0.1},
    "finance": {"training": 0.5, "counselling": 0.6, "childcare": 0.4, "legal": -0.5, "hardship": -0.9},
    "information_technology": {"training": 0.7, "counselling": 0.5, "social": 0.3, "hardship": -0.5},
    "health": {"counselling": 0.3, "childcare": 0.2, "legal": -0.2},
    "education": {"counselling": 0.3, "childcare": 0.3, "legal": -0.3},
    "culture": {"culture": 0.3, "training": 0.1},
    "public_administration": {"culture": 0.3, "legal": -0.4, "hardship": -0.3},
    "community_services": {"eldercare": 0.3, "hardship": 0.2},
}
SUB_DISTRICT_SERVICES = {
    "JRJ": {"training": 0.6, "childcare": 0.7, "counselling": 0.3, "hardship": -0.3},
    "XCJ": {"training": 0.3, "childcare": 0.3},
    "SCH": {"culture": 0.3},
    "DZL": {"hardship": 0.3, "legal": 0.2},
    "TQA": {"hardship": 0.3, "culture": 0.2},
    "NJI": {"eldercare": 0.3, "hardship": 0.2},
    "BZF": {"eldercare": 0.3, "hardship": 0.2},
    "GAW": {"eldercare": 0.2, "legal": 0.2},
    "DSH": {"social": 0.2},
    "ZLL": {"health_check": 0.2},
}
AGE_SERVICES = {  # under 25, 25-34, 35-44, 45-54, 55+
    "health_check": (-0.5, -0.2, 0.1, 0.6, 0.9),
    "eldercare": (-0.7, -0.3, 0.2, 0.8, 1.0),
    "social": (1.3, 0.6, -0.5, -1.0, -1.3),
    "training": (0.6, 0.4, 0.0, -0.5, -1.0),
    "childcare": (-0.9, 0.4, 0.5, -0.5, -0.9),
    "culture": (0.2, 0.0, 0.0, 0.1, 0.4),
}
NEEDS_COUNT = (0.08, 0.20, 0.34, 0.20, 0.18)  # ticking 1..5 services

HARDSHIPS = ("illness", "low_income", "housing", "schooling", "jobless", "accident", "other")
CHANNELS = ("internet_plus", "wechat", "app", "station", "union_officer", "hotline", "print")
CHANNEL_BASE = np.array([0.4, 1.0, 0.1, 0.0, 0.6, -0.6, -0.8])
CHANNEL_BY_AGE = np.array([  # rows: age bands; columns: CHANNELS
    [0.3, 0.6, 0.5, -0.3, -0.3, 0.0, -0.5],
    [0.3, 0.5, 0.3, -0.2, -0.2, 0.0, -0.4],
    [0.1, 0.2, 0.0, 0.0, 0.0, 0.0, 0.0],
    [-0.2, -0.2, -0.5, 0.3, 0.3, 0.1, 0.3],
    [-0.5, -0.6, -0.9, 0.5, 0.6, 0.2, 0.7],
])
CHANNEL_COUNT = (0.22, 0.40, 0.38)

#: Probability of skipping an optional question (by id; others: GENERIC_SKIP).
SKIP = {"tenure": 0.04, "rights_problems": 0.06, "health_checkup": 0.03, "training_topic": 0.45,
        "home_rating": 0.07, "home_why": 0.35, "joined_on": 0.25, "comment": 0.7}
GENERIC_SKIP = 0.08
LONG_TEXT_SKIP = 0.7

OTHER_TEXTS = {
    "unit_kind": ("楼宇工会", "非公企业联合工会", "不清楚"),
    "industry": ("物流快递", "家政服务", "美容美发", "汽车维修", "建筑装修"),
    "rights_problems": ("被要求无偿值班", "调岗降薪", "试用期过长"),
    "housing": ("单位周转房", "公租房", "借住朋友家"),
    "needs": ("子女入学政策咨询", "解决停车难", "职工食堂和午休场所", "异地就医结算咨询", "居住证办理咨询"),
    "hardship_kind": ("老人住院护理费用高", "房贷压力大", "家中老人无人照顾"),
}
GENERIC_OTHER_TEXTS = ("说不清", "其他情况")
TRAINING_TOPICS = {
    "finance": ("金融风险管理", "英语口语", "证券从业资格考试辅导", "数据分析"),
    "information_technology": ("Python编程", "项目管理", "云计算运维", "数据分析"),
    "catering": ("中式烹调师等级证", "西点烘焙", "食品安全知识", "服务礼仪"),
    "property_services": ("电工上岗证", "消防设施操作", "电梯安全管理", "物业管理师"),
    "sanitation": ("机动车驾驶", "安全生产知识", "垃圾分类知识"),
    "other": ("计算机办公软件", "普通话与沟通技巧", "职业资格考试辅导", "摄影", "英语", "育儿知识"),
}
HOME_COMMENTS = (
    "职工之家活动场地太小，设施也比较陈旧。",
    "平时基本不开放，活动很少。",
    "开放时间都在上班时间，下班后用不上。",
    "不知道单位有职工之家，希望多宣传。",
    "图书和健身器材很久没有更新，希望增加适合年轻人的活动。",
    "活动形式单一，希望多听取职工的意见。",
    "希望增加母婴室和午休的地方。",
    "工会干部都是兼职，平时找不到人。",
)
GENERIC_COMMENTS = (
    "主席工作认真负责，希望继续保持。",
    "希望多到一线听听职工的想法。",
    "经费使用情况应该定期公开。",
    "活动组织得很好，希望多一些可以带孩子参加的活动。",
    "工资集体协商时希望工会更有力度。",
    "换届选举要更公开一些。",
    "暂无意见。",
)
GENERIC_SHORT_TEXTS = ("无", "暂无", "希望多组织活动", "不清楚")


class _NoFit(Exception):
    """The question is not the one a model was written for: answer it generically."""


# --------------------------------------------------------------------------- sampling helpers

def _draw(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One category index per row of ``probs`` (rows need not sum to 1)."""
    cum = np.cumsum(probs, axis=1)
    u = rng.random(len(probs))[:, None] * cum[:, -1:]
    return np.minimum((u >= cum).sum(axis=1), probs.shape[1] - 1)


def _top_k(utility: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Boolean mask of each row's ``k`` largest utilities."""
    order = np.argsort(-utility, axis=1, kind="stable")
    ranks = np.empty_like(order)
    rows = np.arange(len(utility))[:, None]
    ranks[rows, order] = np.arange(utility.shape[1])[None, :]
    return ranks < np.asarray(k)[:, None]


def _cap(rng: np.random.Generator, mask: np.ndarray, limit: int) -> np.ndarray:
    """Keep at most ``limit`` ticks per row, chosen at random."""
    if limit >= mask.shape[1]:
        return mask
    priority = np.where(mask, rng.random(mask.shape), -1.0)
    return mask & _top_k(priority, np.full(len(mask), limit))


def _gumbel(rng: np.random.Generator, shape) -> np.ndarray:
    return rng.gumbel(size=shape)


def _effects(table: dict, keys: Sequence[str], columns: Sequence[str]) -> np.ndarray:
    """(len(keys), len(columns)) array of ``table[key][column]``, 0 where absent."""
    return np.array([[table.get(key, {}).get(col, 0.0) for col in columns] for key in keys])


# --------------------------------------------------------------------------- the population

class _Population:
    """Latent traits of ``n`` respondents, all drawn up front in a fixed order."""

    def __init__(self, rng: np.random.Generator, n: int, units: Sequence[Unit],
                 weights: Sequence[float] | None, period: tuple[date, date]):
        self.rng = rng
        self.n = n
        self.units = units
        self.unit_codes = [u[0] for u in units]
        unit_sd = np.array([SUB_DISTRICTS.index(u[1]) if u[1] in SUB_DISTRICTS else -1 for u in units])
        unit_ind = np.array([INDUSTRIES.index(_industry_id(u[2])) if _industry_id(u[2]) in INDUSTRIES
                             else len(INDUSTRIES) - 1 for u in units])
        unit_kind = np.array([KINDS.index(u[3]) if u[3] in KINDS else len(KINDS) - 1 for u in units])
        if weights is None:
            w = np.array([KIND_WEIGHTS.get(u[3], 1.0) for u in units])
        else:
            w = np.asarray(weights, dtype=float)
            if w.shape != (len(units),) or (w < 0).any() or w.sum() <= 0:
                raise ValueError("weights must be one non-negative number per unit, not all zero")
        self.unit = rng.choice(len(units), size=n, p=w / w.sum())

        # Where they work and what the unit is.
        sd = unit_sd[self.unit]
        self.sd = np.where(sd >= 0, sd, rng.integers(0, len(SUB_DISTRICTS), n))
        self.ind = unit_ind[self.unit]
        self.kind = unit_kind[self.unit]
        self.unit_job = rng.normal(0.0, 0.35, len(units))[self.unit]
        self.unit_home = rng.normal(0.0, 0.6, len(units))[self.unit]
        self.unit_mood = rng.normal(0.0, 0.5, len(units))[self.unit]
        self.mood = 0.8 * rng.standard_normal(n) + self.unit_mood  # satisfaction behind generic ratings
        self.submitted = _submission_days(rng, n, period)

        traits = [INDUSTRY_TRAITS[i] for i in INDUSTRIES]
        youth = np.array([t[0] for t in traits])[self.ind]
        female = np.array([t[1] for t in traits])[self.ind]
        no_overtime = np.array([t[2] for t in traits])[self.ind]
        overtime_mean = np.array([t[3] for t in traits])[self.ind]
        self.pay = np.array([t[4] for t in traits])[self.ind]
        profile = np.array([PROFILES.index(t[5]) for t in traits])[self.ind]
        self.profile = np.where(self.kind == KINDS.index("bureau"), PROFILES.index("public"), profile)
        sd_codes = np.array(SUB_DISTRICTS)[self.sd]

        # Demographics.
        youth = youth - 0.2 * (self.kind == KINDS.index("bureau"))
        self.age = _draw(rng, AGE_BASE[None, :] * np.exp(youth[:, None] * AGE_TILT[None, :]))
        self.female = rng.random(n) < female
        self.tenure = _draw(rng, TENURE_BY_AGE[self.age])

        # Work.
        self.contract = _draw(rng, np.array([CONTRACT_BY_PROFILE[p] for p in PROFILES])[self.profile])
        age_factor = np.array([1.15, 1.1, 1.0, 0.85, 0.7])[self.age]
        works_overtime = rng.random(n) >= no_overtime - 0.05 * (self.age <= 1)
        hours = rng.gamma(2.0, overtime_mean * age_factor / 2.0)
        hours = np.where(rng.random(n) < 0.4, np.round(hours / 5.0) * 5.0, np.round(hours))  # heaping on 5s
        self.overtime = np.where(works_overtime, np.clip(hours, 1, 80), 0).astype(int)
        pay_probs = np.array([OVERTIME_PAY_BY_PROFILE[p] for p in PROFILES])[self.profile]
        pay_probs = np.where((self.contract == CONTRACTS.index("none"))[:, None],
                             np.array([0.10, 0.10, 0.30, 0.50]), pay_probs)
        self.overtime_pay = _draw(rng, pay_probs)
        self.job = 0.8 * rng.standard_normal(n) + self.unit_job
        self.rights = self._rights_problems()

        # Life.
        housing = HOUSING_BY_AGE[self.age].copy()
        low_paid = np.isin(self.profile, [PROFILES.index("precarious"), PROFILES.index("outsourced")])
        housing[low_paid, 3] *= 3.0
        housing[low_paid, 0] *= 0.7
        self.housing = _draw(rng, housing)
        commute = COMMUTE_BY_HOUSING[self.housing].copy()
        local = self.kind == KINDS.index("community_joint")
        offices = np.isin(sd_codes, ["JRJ", "XCJ"]) & ~local
        commute[local] = 0.5 * commute[local] + 0.5 * np.array([0.60, 0.30, 0.08, 0.02])
        commute[offices] = 0.6 * commute[offices] + 0.4 * np.array([0.08, 0.35, 0.37, 0.20])
        self.commute = _draw(rng, commute)
        care = rng.random((n, len(CARE))) < CARE_BY_AGE[self.age]
        self.care = _cap(rng, care, 3)
        checkup = np.array([CHECKUP_BY_PROFILE[p] for p in PROFILES])[self.profile]
        older = self.age >= 3
        checkup[older] = 0.7 * checkup[older] + 0.3 * np.array([0.80, 0.12, 0.05, 0.03])
        self.checkup = _draw(rng, checkup)
        wealth = np.array([SUB_DISTRICT_WEALTH.get(code, 0.0) for code in SUB_DISTRICTS])[self.sd]
        finance = (self.pay + wealth + 0.25 * (self.housing == 0) - 0.3 * self.care[:, 3]
                   - 0.15 * self.care.sum(axis=1) + rng.standard_normal(n))
        self.finance = np.searchsorted(np.array(FINANCE_CUTS), finance)
        pressure = (2.6 + 0.35 * (self.finance == 1) + 0.9 * (self.finance == 0) - 0.3 * (self.finance == 3)
                    + 0.2 * self.care.sum(axis=1) + 0.025 * self.overtime + 0.2 * (self.commute == 3)
                    + rng.normal(0.0, 0.7, n))
        self.pressure = np.clip(np.round(pressure), 1, 5).astype(int)

        # Union services.
        self.utility = self._service_utilities(sd_codes)
        count = _draw(rng, np.tile(np.array(NEEDS_COUNT), (n, 1))) + 1
        self.needs_other = rng.random(n) < 0.025
        count = np.where(self.needs_other & (count == 5), 4, count)
        self.needs = _top_k(self.utility, count)
        self.ranked = np.argsort(-(self.utility + 0.35 * _gumbel(rng, self.utility.shape)), axis=1,
                                 kind="stable")[:, :3]
        self.hardship = self._hardship_kind()
        home = (0.35 + self.unit_home + 0.5 * (sd_codes == "SCH") + 0.35 * self.job
                + np.array([0.0, -0.15, -0.1, 0.2, 0.2, 0.0])[self.kind] + rng.normal(0.0, 0.8, n))
        self.home = np.searchsorted(np.array([-1.5, -0.6, 0.4, 1.4]), home) + 1
        self.channels = self._channels()
        self.joined = self._joined_on()

    def _rights_problems(self) -> np.ndarray:
        """Columns: arrears, unpaid overtime, no contract, insurance, safety, leave, other."""
        rng, n = self.rng, self.n
        precarious = self.profile == PROFILES.index("precarious")
        low_paid = precarious | (self.profile == PROFILES.index("outsourced"))
        no_contract = self.contract == CONTRACTS.index("none")
        dispatch = self.contract == CONTRACTS.index("dispatch")
        long_hours = self.overtime > 10
        risky = np.isin(np.array(INDUSTRIES)[self.ind], ["sanitation", "property_services", "catering"])
        probs = np.column_stack([
            0.03 + 0.05 * low_paid + 0.05 * no_contract,
            0.02 + long_hours * (0.65 * (self.overtime_pay == 3) + 0.15 * (self.overtime_pay == 2)),
            0.01 + 0.55 * no_contract + 0.12 * dispatch,
            0.03 + 0.35 * no_contract + 0.06 * precarious + 0.05 * dispatch,
            0.03 + 0.10 * risky,
            0.06 + 0.15 * precarious + 0.12 * (self.overtime > 15),
            np.full(n, 0.012),
        ])
        return _cap(rng, rng.random(probs.shape) < probs, 3)

    def _service_utilities(self, sd_codes: np.ndarray) -> np.ndarray:
        rng, n = self.rng, self.n
        col = {s: i for i, s in enumerate(SERVICES)}
        u = np.tile(np.array([SERVICE_BASE[s] for s in SERVICES]), (n, 1))
        u += _effects(INDUSTRY_SERVICES, INDUSTRIES, SERVICES)[self.ind]
        u += _effects(SUB_DISTRICT_SERVICES, SUB_DISTRICTS, SERVICES)[self.sd]
        u += np.array([AGE_SERVICES.get(s, (0.0,) * 5) for s in SERVICES]).T[self.age]
        children = self.care[:, 0] | self.care[:, 1]
        u[:, col["childcare"]] += 1.2 * children
        u[:, col["eldercare"]] += 1.2 * self.care[:, 2]
        u[:, col["hardship"]] += 0.6 * self.care[:, 3] + 0.6 * (self.finance == 1) + 1.6 * (self.finance == 0)
        u[:, col["health_check"]] += 0.3 * self.care[:, 3] + 0.4 * (self.checkup >= 2)
        u[:, col["insurance"]] += 0.3 * (self.finance == 1) + 0.5 * (self.finance == 0)
        u[:, col["legal"]] += 0.3 * (self.overtime > 10) + 0.7 * self.rights[:, :6].any(axis=1)
        u[:, col["counselling"]] += 0.5 * (self.pressure >= 4)
        return u + _gumbel(rng, u.shape)

    def _hardship_kind(self) -> np.ndarray:
        rng, n = self.rng, self.n
        older, young = self.age >= 3, self.age <= 1
        renting = np.isin(self.housing, [2, 3])
        logits = np.column_stack([
            0.3 + 0.9 * self.care[:, 3] + 0.3 * older,
            0.5 + 0.8 * (self.finance == 0) + 0.3 * (self.profile == PROFILES.index("precarious")),
            -0.2 + 0.6 * renting + 0.3 * young,
            -0.3 + 0.8 * self.care[:, 1],
            -0.8 + 0.2 * older,
            np.full(n, -1.8),
            np.full(n, -2.6),
        ])
        return np.argmax(logits + _gumbel(rng, logits.shape), axis=1)

    def _channels(self) -> np.ndarray:
        rng, n = self.rng, self.n
        u = np.tile(CHANNEL_BASE, (n, 1)) + CHANNEL_BY_AGE[self.age]
        u[:, CHANNELS.index("station")] += 0.8 * (self.kind == KINDS.index("community_joint"))
        u[:, CHANNELS.index("hotline")] += 0.5 * self.needs[:, SERVICES.index("legal")]
        office = np.isin(np.array(INDUSTRIES)[self.ind], ["finance", "information_technology"])
        u[:, CHANNELS.index("app")] += 0.3 * office
        u[:, CHANNELS.index("internet_plus")] += 0.2 * office
        count = _draw(rng, np.tile(np.array(CHANNEL_COUNT), (n, 1))) + 1
        return _top_k(u + _gumbel(rng, u.shape), count)

    def _joined_on(self) -> np.ndarray:
        """Ordinal day of joining the union, before the submission day."""
        rng, n = self.rng, self.n
        low = np.array([a for a, _ in AGE_YEARS])[self.age]
        high = np.array([b for _, b in AGE_YEARS])[self.age]
        age = low + rng.random(n) * (high + 1 - low)
        years = np.maximum(0.1, rng.random(n) ** 0.7 * (age - 18.0))
        self.joined_roughly = rng.random(n) < 0.3  # remembered only to the month: answered as the 1st
        return self.submitted - np.round(years * 365.25).astype(int)

    # Answers the demographic questions from the unit, with a little noise.
    def noisy(self, truth: np.ndarray, size: int, keep: float) -> np.ndarray:
        flip = self.rng.random(self.n) >= keep
        shift = self.rng.integers(1, size, self.n)
        return np.where(flip, (truth + shift) % size, truth)


def _industry_id(industry: str) -> str:
    return (industry or "").strip().lower().replace(" ", "_").replace("-", "_")


def _submission_days(rng: np.random.Generator, n: int, period: tuple[date, date]) -> np.ndarray:
    """Ordinal submission days: weekdays busier, a launch week, a mid-campaign reminder, a last push."""
    first, last = period
    days = np.arange(first.toordinal(), last.toordinal() + 1)
    weekday = np.array([date.fromordinal(int(d)).weekday() for d in days])
    weight = np.where(weekday >= 5, 0.35, 1.0)
    since = days - days[0]
    span = max(1, len(days) - 1)
    weight = weight * (1.0 + 0.8 * (since < 7) + 0.6 * (np.abs(since - 0.68 * span) < 3) + 0.4 * (since > span - 5))
    return rng.choice(days, size=n, p=weight / weight.sum())


# --------------------------------------------------------------------------- encoding columns

def _option_ids(question: Question, wanted: Sequence[str]) -> None:
    ids = {o.id for o in question.options}
    if not set(wanted) <= ids:
        raise _NoFit


def _single(question: Question, ids: Sequence[str], index: np.ndarray) -> list:
    _option_ids(question, ids)
    return [ids[i] for i in index.tolist()]


def _other_answer(question: Question, values: list, mask: np.ndarray, texts: Sequence[str], rng) -> list:
    """Replace the answers at ``mask`` by the question's "other" option with a text."""
    other = question.other_option
    if other is None:
        return values
    picks = rng.integers(0, len(texts), len(values))
    for i in np.flatnonzero(mask).tolist():
        values[i] = {"option": other.id, "other": texts[picks[i]]}
    return values


def _multiple(question: Question, ids: Sequence[str], mask: np.ndarray, other: np.ndarray | None = None,
              texts: Sequence[str] = (), rng=None) -> list:
    """Lists of ticked ids in the question's option order; ``other`` rows add "other"."""
    _option_ids(question, ids)
    order = {o.id: i for i, o in enumerate(question.options)}
    columns = sorted(range(len(ids)), key=lambda j: order[ids[j]])
    mask = mask[:, columns]
    ordered = [ids[j] for j in columns]
    limit = question.max_selections or len(question.options)
    bits = mask.astype(np.int64) @ (1 << np.arange(len(ordered), dtype=np.int64))
    cache: dict[int, tuple] = {}
    other_option = question.other_option
    picks = rng.integers(0, len(texts), len(mask)) if (other is not None and texts) else None
    values = []
    for i, key in enumerate(bits.tolist()):
        chosen = cache.get(key)
        if chosen is None:
            chosen = cache[key] = tuple(ordered[j] for j in range(len(ordered)) if key >> j & 1)
        answer = list(chosen)
        if other is not None and other_option is not None and other[i] and len(answer) < limit:
            answer.append({"option": other_option.id, "other": texts[picks[i]]})
        values.append(answer[:limit] if answer else None)
    return values


def _skip(question: Question, values: list, rng: np.random.Generator, rate: float | None = None) -> list:
    """Leave some answers of an optional question empty."""
    if question.required:
        return values
    if rate is None:
        rate = SKIP.get(question.id, LONG_TEXT_SKIP if question.type is QuestionType.LONG_TEXT else GENERIC_SKIP)
    skipped = rng.random(len(values)) < rate
    return [None if s else v for v, s in zip(values, skipped.tolist(), strict=True)]


def _scale(question: Question, values: np.ndarray, low: int = 1, high: int = 5) -> list:
    if (question.scale_min, question.scale_max) != (low, high):
        raise _NoFit
    return np.clip(values, low, high).astype(int).tolist()


def _texts(rng: np.random.Generator, choices: Sequence[str], n: int, limit: int | None) -> list:
    picks = rng.integers(0, len(choices), n).tolist()
    return [choices[i][:limit] if limit else choices[i] for i in picks]


# --------------------------------------------------------------------------- models of the needs questions

Model = Callable[[Question, _Population], list]


def _m_sub_district(q, p):
    return _single(q, SUB_DISTRICTS, p.noisy(p.sd, len(SUB_DISTRICTS), 0.94))


def _m_unit_kind(q, p):
    known = len(KINDS) - 1
    kind = np.where(p.kind < known, p.noisy(p.kind, known, 0.91), 0)
    values = _single(q, KINDS[:known], kind)
    return _other_answer(q, values, (p.kind == known) | (p.rng.random(p.n) < 0.015), OTHER_TEXTS["unit_kind"], p.rng)


def _m_industry(q, p):
    known = len(INDUSTRIES) - 1
    answer = np.where(p.ind < known, p.noisy(p.ind, known, 0.97), 0)
    values = _single(q, INDUSTRIES[:known], answer)
    return _other_answer(q, values, (p.ind == known) | (p.rng.random(p.n) < 0.01), OTHER_TEXTS["industry"], p.rng)


def _m_age_band(q, p):
    return _single(q, AGE_BANDS, p.age)


def _m_gender(q, p):
    return _single(q, ("male", "female"), p.female.astype(int))


def _m_tenure(q, p):
    return _skip(q, _single(q, TENURES, p.tenure), p.rng)


def _m_contract(q, p):
    return _single(q, CONTRACTS, p.contract)


def _m_overtime_hours(q, p):
    if q.type is not QuestionType.NUMBER or not q.integer:
        raise _NoFit
    low = 0 if q.number_min is None else q.number_min
    high = 80 if q.number_max is None else q.number_max
    return np.clip(p.overtime, low, high).astype(int).tolist()


def _m_overtime_paid(q, p):
    return _single(q, OVERTIME_PAY, p.overtime_pay)


def _m_work_satisfaction(q, p):
    rng, n = p.rng, p.n
    ind = np.array(INDUSTRIES)[p.ind]
    precarious = p.profile == PROFILES.index("precarious")
    public = p.profile == PROFILES.index("public")
    no_contract = p.contract == CONTRACTS.index("none")
    training = np.select([np.isin(ind, ["finance", "information_technology"]), public,
                          np.isin(ind, ["catering", "property_services", "sanitation"])], [0.2, 0.1, -0.35], 0.0)
    rows = {
        "wage": p.pay - 0.2,
        "on_time": 0.6 - 0.4 * precarious - 0.5 * no_contract,
        "hours": 0.3 - 0.05 * (p.overtime - 6),
        "safety": 0.4 - 0.4 * np.isin(ind, ["sanitation", "property_services", "catering"]),
        "training": training - 0.1,
        "insurance": 0.3 - 1.0 * no_contract - 0.3 * (p.contract == CONTRACTS.index("dispatch")) + 0.3 * public,
    }
    known = {r.id for r in q.rows}
    if not known <= set(rows) or (q.scale_min, q.scale_max) != (1, 5):
        raise _NoFit
    cuts = np.array([-1.7, -0.8, 0.2, 1.2])
    columns = {r.id: (np.searchsorted(cuts, p.job + rows[r.id] + rng.normal(0.0, 0.65, n)) + 1).tolist()
               for r in q.rows}
    return [{row: columns[row][i] for row in columns} for i in range(n)]


def _m_rights_problems(q, p):
    ids = ("arrears", "unpaid_overtime", "no_contract", "insurance", "safety", "leave")
    mask = p.rights[:, :6]
    none = ~mask.any(axis=1) & ~p.rights[:, 6]
    values = _multiple(q, ids + ("none",), np.column_stack([mask, none]), p.rights[:, 6],
                       OTHER_TEXTS["rights_problems"], p.rng)
    return _skip(q, values, p.rng)


def _m_housing(q, p):
    values = _single(q, HOUSING[:4], np.minimum(p.housing, 3))
    return _other_answer(q, values, p.housing == 4, OTHER_TEXTS["housing"], p.rng)


def _m_commute(q, p):
    return _single(q, COMMUTES, p.commute)


def _m_care_burden(q, p):
    return _multiple(q, CARE + ("none",), np.column_stack([p.care, ~p.care.any(axis=1)]))


def _m_health_checkup(q, p):
    return _skip(q, _single(q, CHECKUPS, p.checkup), p.rng)


def _m_family_finance(q, p):
    return _single(q, FINANCES, p.finance)


def _m_life_pressure(q, p):
    return _scale(q, p.pressure)


def _m_needs(q, p):
    return _multiple(q, SERVICES, p.needs, p.needs_other, OTHER_TEXTS["needs"], p.rng)


def _m_hardship_kind(q, p):
    values = _single(q, HARDSHIPS[:-1], np.minimum(p.hardship, len(HARDSHIPS) - 2))
    return _other_answer(q, values, p.hardship == len(HARDSHIPS) - 1, OTHER_TEXTS["hardship_kind"], p.rng)


def _m_training_topic(q, p):
    general = (p.rng.random(p.n) < 0.3).tolist()  # many want general skills whatever their trade
    picks = p.rng.random(p.n).tolist()
    values = []
    for industry, wants_general, pick in zip(np.array(INDUSTRIES)[p.ind].tolist(), general, picks, strict=True):
        topics = TRAINING_TOPICS["other"] if wants_general else TRAINING_TOPICS.get(industry, TRAINING_TOPICS["other"])
        text = topics[int(pick * len(topics))]
        values.append(text[: q.max_length] if q.max_length else text)
    return _skip(q, values, p.rng)


def _m_top_services(q, p):
    _option_ids(q, SERVICES)
    if q.rank_top != 3:
        raise _NoFit
    ids = np.array(SERVICES, dtype=object)[p.ranked]
    return ids.tolist()


def _m_home_rating(q, p):
    values = _scale(q, p.home)
    rate = np.where(p.kind == KINDS.index("community_joint"), 0.12, SKIP["home_rating"])
    skipped = (p.rng.random(p.n) < rate).tolist()
    return values if q.required else [None if s else v for v, s in zip(values, skipped, strict=True)]


def _m_home_why(q, p):
    return _skip(q, _texts(p.rng, HOME_COMMENTS, p.n, q.max_length), p.rng)


def _m_channels(q, p):
    return _multiple(q, CHANNELS, p.channels)


def _m_joined_on(q, p):
    if q.type is not QuestionType.DATE:
        raise _NoFit
    values = []
    for day, roughly in zip(p.joined.tolist(), p.joined_roughly.tolist(), strict=True):
        when = date.fromordinal(day)
        values.append((when.replace(day=1) if roughly else when).isoformat())
    return _skip(q, values, p.rng)


#: Question id -> (question type it was written for, model).
NEEDS_MODELS: dict[str, tuple[QuestionType, Model]] = {
    "sub_district": (QuestionType.SINGLE_CHOICE, _m_sub_district),
    "unit_kind": (QuestionType.SINGLE_CHOICE, _m_unit_kind),
    "industry": (QuestionType.SINGLE_CHOICE, _m_industry),
    "age_band": (QuestionType.SINGLE_CHOICE, _m_age_band),
    "gender": (QuestionType.SINGLE_CHOICE, _m_gender),
    "tenure": (QuestionType.SINGLE_CHOICE, _m_tenure),
    "contract": (QuestionType.SINGLE_CHOICE, _m_contract),
    "overtime_hours": (QuestionType.NUMBER, _m_overtime_hours),
    "overtime_paid": (QuestionType.SINGLE_CHOICE, _m_overtime_paid),
    "work_satisfaction": (QuestionType.MATRIX, _m_work_satisfaction),
    "rights_problems": (QuestionType.MULTIPLE_CHOICE, _m_rights_problems),
    "housing": (QuestionType.SINGLE_CHOICE, _m_housing),
    "commute": (QuestionType.SINGLE_CHOICE, _m_commute),
    "care_burden": (QuestionType.MULTIPLE_CHOICE, _m_care_burden),
    "health_checkup": (QuestionType.SINGLE_CHOICE, _m_health_checkup),
    "family_finance": (QuestionType.SINGLE_CHOICE, _m_family_finance),
    "life_pressure": (QuestionType.RATING, _m_life_pressure),
    "needs": (QuestionType.MULTIPLE_CHOICE, _m_needs),
    "hardship_kind": (QuestionType.SINGLE_CHOICE, _m_hardship_kind),
    "training_topic": (QuestionType.SHORT_TEXT, _m_training_topic),
    "top_services": (QuestionType.RANKING, _m_top_services),
    "home_rating": (QuestionType.RATING, _m_home_rating),
    "home_why": (QuestionType.LONG_TEXT, _m_home_why),
    "channels": (QuestionType.MULTIPLE_CHOICE, _m_channels),
    "joined_on": (QuestionType.DATE, _m_joined_on),
}


# --------------------------------------------------------------------------- generic answers

def _generic(question: Question, p: _Population) -> list:
    """Plausible answers of the question's type for a question no model knows."""
    rng, n, kind = p.rng, p.n, question.type
    if kind is QuestionType.SINGLE_CHOICE:
        values = _from_unit(question, p)
        if values is None:
            plain = [o.id for o in question.options if not o.is_other]
            if question.id == "compared" and {"better", "same", "worse", "unsure"} <= set(plain):
                mood = p.mood + rng.normal(0.0, 0.4, n)
                index = np.select([mood > 0.3, mood < -0.9, rng.random(n) < 0.15], [0, 2, 3], 1)
                values = [("better", "same", "worse", "unsure")[i] for i in index.tolist()]
            else:
                values = [plain[i] for i in rng.integers(0, len(plain), n).tolist()] if plain else [None] * n
            values = _other_answer(question, values, rng.random(n) < 0.02, GENERIC_OTHER_TEXTS, rng)
    elif kind is QuestionType.MULTIPLE_CHOICE:
        plain = tuple(o.id for o in question.options if not o.is_other)
        mask = rng.random((n, len(plain))) < 0.3
        low = max(1, question.min_selections or 1)
        extra = _top_k(rng.random((n, len(plain))), np.full(n, min(low, len(plain))))
        mask = np.where((mask.sum(axis=1) < low)[:, None], mask | extra, mask)
        mask = _cap(rng, mask, question.max_selections or len(plain))
        values = _multiple(question, plain, mask, rng.random(n) < 0.02, GENERIC_OTHER_TEXTS, rng)
    elif kind in (QuestionType.RATING, QuestionType.MATRIX):
        values = _generic_scale(question, p)
    elif kind is QuestionType.RANKING:
        ids = np.array([o.id for o in question.options], dtype=object)
        top = min(question.rank_top or len(ids), len(ids))
        values = ids[np.argsort(rng.random((n, len(ids))), axis=1)[:, :top]].tolist()
    elif kind is QuestionType.NUMBER:
        low = 0 if question.number_min is None else question.number_min
        high = low + 100 if question.number_max is None else question.number_max
        draws = low + rng.random(n) * (high - low)
        values = (np.clip(np.round(draws), low, high).astype(int).tolist() if question.integer
                  else np.clip(np.round(draws, 1), low, high).tolist())
    elif kind in (QuestionType.SHORT_TEXT, QuestionType.LONG_TEXT):
        choices = GENERIC_COMMENTS if kind is QuestionType.LONG_TEXT else GENERIC_SHORT_TEXTS
        values = _texts(rng, choices, n, question.max_length)
    else:  # date: within the last ten years before submitting
        back = rng.integers(0, 3653, n)
        values = [date.fromordinal(int(d)).isoformat() for d in (p.submitted - back).tolist()]
    return _skip(question, values, rng)


def _from_unit(question: Question, p: _Population) -> list | None:
    """Answers of a choice whose options are unit, sub-district, industry or unit-kind codes."""
    ids = {o.id for o in question.options}
    if ids & set(p.unit_codes):
        other = question.other_option
        values = []
        for code in (p.unit_codes[u] for u in p.unit.tolist()):
            if code in ids:
                values.append(code)
            elif other is not None:
                values.append({"option": other.id, "other": code})
            else:
                return None
        return values
    for model, codes in ((_m_sub_district, SUB_DISTRICTS), (_m_industry, INDUSTRIES[:-1]),
                         (_m_unit_kind, KINDS[:-1])):
        if set(codes) <= ids:
            try:
                return model(question, p)
            except _NoFit:
                return None
    return None


def _generic_scale(question: Question, p: _Population) -> list:
    """Scale answers from a respondent's level of satisfaction, their unit's, and noise."""
    rng, n = p.rng, p.n
    low, high = question.scale_min, question.scale_max
    points = high - low + 1

    def column() -> list:
        level = ndtr(0.45 + p.mood + rng.normal(0.0, 0.6, n))  # leans satisfied, as such ratings do
        return (low + np.minimum(np.floor(level * points), points - 1)).astype(int).tolist()

    if question.type is QuestionType.RATING:
        return column()
    columns = {row.id: column() for row in question.rows}
    return [{row: columns[row][i] for row in columns} for i in range(n)]


# --------------------------------------------------------------------------- entry point

def synthetic_responses(
    questionnaire: Questionnaire,
    n: int,
    *,
    seed: int = 2016,
    units: Sequence[Unit],
    weights: Sequence[float] | None = None,
    period: tuple[date, date] = PERIOD,
) -> Iterator[SyntheticResponse]:
    """``n`` synthetic responses to ``questionnaire`` from respondents of ``units``.

    ``units`` holds (unit code, sub-district code or None, industry, kind)
    tuples, e.g. :func:`demo_units`; ``weights`` (one per unit) sets how many
    respondents come from each, by default a weight per unit kind. Answers are
    canonical and pass ``answers.validate_response``; answers to questions
    hidden by their conditions are left out. Deterministic for a seed.
    """
    if n < 0:
        raise ValueError("n must not be negative")
    units = list(units)
    if not units:
        raise ValueError("synthetic responses need at least one unit")
    rng = np.random.default_rng(seed)
    people = _Population(rng, n, units, weights, period)
    columns: list[tuple[str, list]] = []
    for question in questionnaire.questions():
        model = NEEDS_MODELS.get(question.id)
        values = None
        if model is not None and model[0] is question.type:
            try:
                values = model[1](question, people)
            except _NoFit:
                values = None
        if values is None:
            values = _generic(question, people)
        columns.append((question.id, values))
    days = {d: date.fromordinal(d) for d in np.unique(people.submitted).tolist()}
    codes = people.unit_codes
    for i, (unit, day) in enumerate(zip(people.unit.tolist(), people.submitted.tolist(), strict=True)):
        answers = {qid: values[i] for qid, values in columns if values[i] is not None}
        yield SyntheticResponse(codes[unit], days[day], drop_hidden(questionnaire, answers))


__all__ = ["PERIOD", "SyntheticResponse", "Unit", "demo_units", "synthetic_responses"]
