"""The demo's 2014 open-door round, scored: every session opened, scored on the
representatives' phones and closed, through the same services the phones use.

The scores are synthetic but shaped like real ones. Each of the nine units has a
latent quality (a share of the maximum: Longshengtai clearly ahead, the Tianqiao
performing-arts company and the housing centre behind), with unit-by-area and
unit-by-criterion strengths shared by every rater; each representative has a
leniency offset (three lenient, three severe, the rest close to neutral) and
every score its own noise. Points are rounded to the criterion's step and kept
within [0, maximum]; about one entry in fifty is "cannot judge" and some area
comments are written. Two representatives declare a conflict when their session
opens (a relative works at the unit), which recuses them: they have no scorecard
for that unit. Every step is in the audit log, at its time in the story (phones as
``rater:<id>``, the sessions' opening and closing as ``demo``). Times follow the sessions' schedule in June 2014; the random
generator has a fixed seed, so every machine gets the same scores.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from sqlalchemy import select

from survey.extensions import db
from survey.models import Conflict, ConflictKind, ReportSession, Round, RoundRater
from survey.services import audit, rounds, scorecards, scoring_sessions

SEED = 20140609

#: Latent quality of each directly affiliated union: the share of the maximum an
#: average, neutral representative gives it.
UNIT_QUALITY = {
    "XC-D01": 0.88,  # 隆盛泰: the seeds' model enterprise union, clearly ahead
    "XC-D02": 0.72,
    "XC-D03": 0.79,
    "XC-D04": 0.63,  # weaker
    "XC-D05": 0.82,
    "XC-D06": 0.57,  # the weakest
    "XC-D07": 0.75,
    "XC-D08": 0.68,
    "XC-D09": 0.77,
}
#: Leniency offsets (share of the maximum) of the lenient and severe representatives.
LENIENT = {"rep04": 0.12, "rep11": 0.10, "rep19": 0.13}
SEVERE = {"rep08": -0.14, "rep15": -0.12, "rep23": -0.15}
#: Spread of the others' offsets, of the shared unit-by-area and unit-by-criterion
#: strengths, and of each score's own noise (all shares of the maximum).
NEUTRAL_SD, AREA_SD, CRITERION_SD, NOISE_SD = 0.03, 0.05, 0.04, 0.08
CANNOT_JUDGE_SHARE = 0.02
COMMENT_SHARE = 0.08

#: (unit code, representative, reason): the conflicts declared at the session's start.
DECLARED_CONFLICTS = (
    ("XC-D02", "rep14", "我的爱人在该单位工作，申请回避。"),
    ("XC-D08", "rep12", "本人曾在该单位任职，其工会主席是我的亲属，申请回避。"),
)

#: Area comments by how the representative scored the area.
COMMENTS = {
    "high": (
        "工作扎实，台账资料齐全，职工反映很好。",
        "做法有特色，值得在全区推广。",
        "制度健全，落实到位。",
        "职工参与度高，活动丰富多样。",
    ),
    "middle": (
        "总体不错，个别环节还可以再细化。",
        "有基础，但特色不够突出。",
        "建议加强日常记录，便于检查。",
    ),
    "low": (
        "材料不够完整，部分工作没有落实。",
        "职工对这方面意见较多，需要加强。",
        "制度有了，但执行不到位。",
        "与去年相比进步不明显。",
    ),
}

#: Minutes after a session's start: scoring opens when the chair's report ends,
#: representatives submit over the next half hour, and staff close it after that.
OPEN_AFTER, FIRST_SUBMIT, LAST_SUBMIT, CLOSE_AFTER = 30, 38, 70, 75


@dataclass(frozen=True)
class _Criterion:
    code: str
    area: str
    max_points: float
    step: float


def _criteria(round: Round) -> list[_Criterion]:
    return [
        _Criterion(c["code"], area["code"], float(c["max_points"]), float(c["step"]))
        for area in round.framework_version.spec["areas"]
        for c in area["criteria"]
    ]


def _username(rater: RoundRater) -> str | None:
    return rater.user.username if rater.user is not None else None


def leniency(raters: list[RoundRater], rng: np.random.Generator) -> dict[int, float]:
    """Each rater's offset: the named lenient and severe ones, the rest near neutral."""
    offsets = {}
    for rater in sorted(raters, key=lambda r: r.id):
        name = _username(rater)
        neutral = float(rng.normal(0, NEUTRAL_SD))  # drawn for everyone, so the stream stays fixed
        offsets[rater.id] = LENIENT.get(name, SEVERE.get(name, neutral))
    return offsets


def _points(share: float, criterion: _Criterion) -> float:
    steps = round(share * criterion.max_points / criterion.step)
    return float(min(max(steps * criterion.step, 0.0), criterion.max_points))


def _comment(rng: np.random.Generator, share: float) -> str:
    level = "high" if share >= 0.8 else "low" if share < 0.62 else "middle"
    options = COMMENTS[level]
    return options[int(rng.integers(len(options)))]


def load_demo_scores(round: Round) -> int:
    """Open the round, then open, score and close each session in time order.

    Returns the number of submitted scorecards. The round must be in set-up with
    a complete plan (as :func:`survey.services.rounds.load_demo_round` leaves it).
    """
    rng = np.random.default_rng(SEED)
    rounds.open_round(round=round)
    criteria = _criteria(round)
    areas = sorted({c.area for c in criteria})
    offsets = leniency(list(round.raters), rng)
    sessions = sorted(round.sessions, key=lambda s: (s.starts_at, s.unit.code))
    strengths = {}
    for session in sessions:
        code = session.unit.code
        base = UNIT_QUALITY.get(code, 0.75)
        area_effect = dict(zip(areas, rng.normal(0, AREA_SD, len(areas)), strict=True))
        strengths[code] = {c.code: base + area_effect[c.area] + float(rng.normal(0, CRITERION_SD)) for c in criteria}
    declared = {(code, name): reason for code, name, reason in DECLARED_CONFLICTS}
    submitted = 0
    with audit.acting_as("demo"):  # the phones' events name their rater; staff steps name the demo
        for session in sessions:
            submitted += _score_session(session, criteria, strengths[session.unit.code], offsets, declared, rng)
    return submitted


def _score_session(session: ReportSession, criteria, strength, offsets, declared, rng) -> int:
    start = session.starts_at
    scoring_sessions.open_session(session=session, now=start + timedelta(minutes=OPEN_AFTER))
    for member in sorted(session.members, key=lambda m: m.rater_id):
        reason = declared.get((session.unit.code, _username(member.rater)))
        if reason is not None:
            scorecards.declare_conflict(rater=member.rater, session=session, reason=reason,
                                        now=start + timedelta(minutes=OPEN_AFTER + 2))
    seated = sorted((m.rater for m in session.members), key=lambda r: r.id)
    minutes = sorted(rng.uniform(FIRST_SUBMIT, LAST_SUBMIT, len(seated)))
    order = rng.permutation(len(seated))
    for position, index in enumerate(order):
        rater = seated[index]
        entries, comments, by_area = [], [], {}
        for criterion in criteria:
            share = strength[criterion.code] + offsets[rater.id] + float(rng.normal(0, NOISE_SD))
            by_area.setdefault(criterion.area, []).append(share)
            if rng.random() < CANNOT_JUDGE_SHARE:
                entries.append(scorecards.EntryChange(criterion.code, None, True, 1))
            else:
                entries.append(scorecards.EntryChange(criterion.code, _points(share, criterion), False, 1))
        for area, shares in by_area.items():
            if rng.random() < COMMENT_SHARE:
                comments.append(scorecards.CommentChange(area, _comment(rng, float(np.mean(shares))), 1))
        scorecards.submit_scorecard(rater=rater, session=session, entries=entries, comments=comments,
                                    now=start + timedelta(minutes=float(minutes[position])))
    outcome = scoring_sessions.close_session(session=session, now=start + timedelta(minutes=CLOSE_AFTER))
    return outcome.submitted


def declared_conflicts(round: Round) -> list[Conflict]:
    """The conflicts representatives declared in the round (for tests and the demo's summary)."""
    return list(db.session.scalars(select(Conflict).where(
        Conflict.round_id == round.id, Conflict.kind == ConflictKind.DECLARED).order_by(Conflict.id)))
