"""A round's publication snapshot: the engine inputs exactly as ``python -m scoring`` reads
them, with raters pseudonymised, the outputs it computes, and the facts the reports print.

Everything a published file is built from lives in the snapshot, as JSON-safe values. The
engine inputs and outputs are kept as *text* (the scores CSV, the config JSON, the
``result.json`` the command line writes): a JSON column may reorder keys (PostgreSQL's
JSONB does), text never changes, so the bundle carries the very bytes that were computed.

Pseudonyms. Raters appear as ``R01``, ``R02``, ... numbered over the round's whole pool in
the order of a keyed hash (HMAC-SHA-256 with the application's secret key, over the round
and the pool entry's id): the numbering says nothing about names, import order or database
ids, is the same every time the round is published (while its pool stays the same), and
only the server can map a pseudonym back (:func:`pseudonyms`). The config gives each
pseudonym only its rater type and panel; home units, sub-districts and industries stay out
because they could point to a person. Recusal stays exact without them: the round's
recorded and declared conflicts appear with their category instead of the free-text
reason, and a submitted score that a rule on the withheld attributes forbids (which the
scoring service never accepts, but a rule may change after scoring) is listed as a
relationship naming that rule, so the engine drops the same rows.

The published figures are computed from these texts by the same parsing and the same
engine as ``python -m scoring`` (:func:`compute`), so the bundle recomputes them exactly.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
from collections import Counter
from dataclasses import dataclass, fields

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from scoring.composite import RoundComposite, round_composites
from scoring.engine import RoundResult, run_round
from scoring.io import config_from_dict, output_tables, parse_scores_csv, result_json, table_csv
from scoring.recusal import RecusalCode
from survey.extensions import db
from survey.models import Conflict, ConflictKind, OrgUnit, Round, RoundRater, Scorecard, ScorecardStatus
from survey.services import engine_inputs
from survey.services.frameworks import display_text

#: Version of the snapshot layout; a reader refuses layouts it does not know.
FORMAT = 1
SCORES_HEADER = ("unit", "rater", "criterion", "points")
LANGUAGES = ("zh", "en")


# --------------------------------------------------------------------------- pseudonyms


def pseudonyms(round: Round) -> dict[int, str]:
    """Pool entry id -> ``R01``.. for the round, in keyed-hash order (server-side only)."""
    key = str(current_app.config["SECRET_KEY"]).encode("utf-8")

    def order(rater: RoundRater) -> tuple[str, int]:
        message = f"kaimen/rater-pseudonym/{round.id}/{rater.id}".encode("ascii")
        return hmac.new(key, message, hashlib.sha256).hexdigest(), rater.id

    pool = sorted(round.raters, key=order)
    width = max(2, len(str(len(pool))))
    return {rater.id: f"R{n:0{width}d}" for n, rater in enumerate(pool, start=1)}


# --------------------------------------------------------------------------- engine inputs


def _points_text(points: float | None) -> str:
    """Points as the CSV carries them: empty for "cannot judge", ``12.5``, ``10``."""
    if points is None:
        return ""
    text = repr(float(points))
    return text[:-2] if text.endswith(".0") else text


def scores_csv(round: Round, names: dict[int, str]) -> str:
    """The long score CSV of every submitted scorecard, raters as pseudonyms.

    Rows are ordered by unit, pseudonym and the criterion's place in the framework.
    """
    order = {c["code"]: i for i, c in enumerate(
        c for area in round.framework_version.spec["areas"] for c in area["criteria"])}
    rows = []
    for score in engine_inputs.submitted_scores(round=round):
        rows.append((score.unit, names[int(score.rater)], order.get(score.criterion, len(order)),
                     score.criterion, _points_text(score.points)))
    rows.sort(key=lambda r: r[:4])
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(SCORES_HEADER)
    writer.writerows((unit, rater, criterion, points) for unit, rater, _, criterion, points in rows)
    return buffer.getvalue()


def _framework(spec: dict) -> dict:
    return {
        "total": spec.get("total", 100),
        "areas": [
            {
                "code": area["code"],
                "title": display_text(area.get("title")),
                "weight": area["weight"],
                "criteria": [
                    {"code": c["code"], "title": display_text(c.get("title")),
                     "max_points": c["max_points"], "step": c["step"]}
                    for c in area["criteria"]
                ],
            }
            for area in spec["areas"]
        ],
    }


def _settings(round: Round) -> dict:
    settings = engine_inputs.settings_of(round)
    out = {}
    for f in fields(settings):
        value = getattr(settings, f.name)
        out[f.name] = value.value if hasattr(value, "value") else value
    return out


#: Reason (in the config) of a score a rule on withheld rater attributes forbids.
_RULE_REASONS = {
    RecusalCode.OWN_UNIT: "rule: own unit",
    RecusalCode.PARENT_UNIT: "rule: parent unit",
    RecusalCode.CHILD_UNIT: "rule: child unit",
    RecusalCode.SAME_SUB_DISTRICT: "rule: same sub-district",
    RecusalCode.SAME_INDUSTRY: "rule: same industry",
}
#: Category (in place of the free-text reason) of a recorded or declared conflict.
CONFLICT_CATEGORY = {ConflictKind.RELATIONSHIP: "recorded relationship", ConflictKind.DECLARED: "declared by the rater"}


def _recusal(round: Round, names: dict[int, str], inputs: engine_inputs.RoundInputs, scored: set) -> dict:
    codes = {row.id: code for code, row in inputs.unit_rows.items()}
    records: dict[str, set] = {"relationships": set(), "declared": set()}
    for conflict in db.session.scalars(select(Conflict).where(Conflict.round_id == round.id)):
        unit = codes.get(conflict.unit_id)
        if unit is None or conflict.rater_id not in names:
            continue
        key = "declared" if conflict.kind is ConflictKind.DECLARED else "relationships"
        records[key].add((names[conflict.rater_id], unit, CONFLICT_CATEGORY[conflict.kind]))
    for rater_key, unit_code in sorted(scored):
        rater = inputs.rater_rows.get(rater_key)
        unit = inputs.unit_rows.get(unit_code)
        if rater is None or unit is None:
            continue
        decision = inputs.decide(rater, unit)
        for code in decision.codes:
            if code in _RULE_REASONS:
                records["relationships"].add((names[rater.id], unit_code, _RULE_REASONS[code]))
                break
    rules = inputs.rules
    return {
        "own_unit": rules.own_unit,
        "parent_child": rules.parent_child,
        "same_sub_district": rules.same_sub_district,
        "same_industry": rules.same_industry,
        **{key: [{"rater": r, "unit": u, "reason": why} for r, u, why in sorted(values)]
           for key, values in records.items()},
    }


def config(round: Round, names: dict[int, str]) -> dict:
    """The round's config in :mod:`scoring.io` form, raters as pseudonyms (see the module docstring)."""
    inputs = engine_inputs.round_inputs(round)
    raters = sorted(inputs.rater_rows.values(), key=lambda r: names[r.id])
    scored = {(s.rater, s.unit) for s in engine_inputs.submitted_scores(round=round)}
    document = {
        "framework": _framework(round.framework_version.spec),
        "settings": _settings(round),
        "raters": [
            {"id": names[r.id], "type": r.rater_type.value, **({"panel": r.panel} if r.panel else {})}
            for r in raters
        ],
        "units": [
            {"id": u.id, "kind": u.kind, "parent": u.parent, "sub_district": u.sub_district,
             "industry": u.industry, "children": list(u.children)}
            for u in inputs.units
        ],
        "recusal": _recusal(round, names, inputs, scored),
    }
    if round.composite:
        document["composite"] = round.composite
    return document


def config_text(document: dict) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


# --------------------------------------------------------------------------- computing


@dataclass(frozen=True)
class Computed:
    """What the engine made of a snapshot's inputs, as ``python -m scoring`` makes it."""

    result: RoundResult
    composite: RoundComposite | None
    #: ``result.json`` exactly as ``python -m scoring --out`` writes it.
    result_text: str
    #: ``NAME.csv`` texts exactly as ``python -m scoring --out`` writes them.
    tables: dict[str, str]

    @property
    def outputs(self) -> dict:
        return json.loads(self.result_text)


def compute(scores_text: str, config_json: str) -> Computed:
    """Parse the two input texts with :mod:`scoring.io` and run the engine, as the command line does.

    Raises :class:`scoring.types.ScoringInputError` (e.g. fewer than two raters with scores).
    """
    table = parse_scores_csv(scores_text, "scores.csv")
    cfg = config_from_dict(json.loads(config_json), "config.json")
    result = run_round(cfg.framework, table.scores, cfg.raters, cfg.units, cfg.settings, cfg.rules)
    composite = None
    if cfg.composite is not None:
        totals = dict(zip(result.units, result.totals.tolist()))
        notes = dict(zip(result.units, result.aggregate.total_notes))
        composite = round_composites(cfg.composite, totals, scale=result.framework.total, notes=notes)
    tables = {name: table_csv(rows, columns) for name, (columns, rows) in output_tables(result, composite).items()}
    return Computed(result, composite, result_json(result, composite) + "\n", tables)


# --------------------------------------------------------------------------- report facts


def _texts(value) -> dict[str, str]:
    value = value if isinstance(value, dict) else {}
    zh = (value.get("zh") or "").strip()
    en = (value.get("en") or "").strip()
    return {"zh": zh or en, "en": en or zh}


def _recusals_by_unit(round: Round, inputs: engine_inputs.RoundInputs) -> dict[str, dict[str, int]]:
    """Unit code -> reason code -> how many pool raters may not score it (a rater counts once per reason)."""
    out: dict[str, dict[str, int]] = {}
    for unit_code, unit in inputs.unit_rows.items():
        counts: Counter = Counter()
        for rater in inputs.rater_rows.values():
            for code in dict.fromkeys(inputs.decide(rater, unit).codes):
                counts[code.value] += 1
        out[unit_code] = dict(sorted(counts.items()))
    return out


def facts(round: Round, names: dict[int, str]) -> dict:
    """What the reports print besides the engine's figures: names, titles, panels, recusals, comments.

    No person's name, username or free-text conflict reason is included; comments keep
    their area and text only and are sorted, so their order says nothing about who wrote them.
    """
    inputs = engine_inputs.round_inputs(round)
    spec = round.framework_version.spec
    cards = list(db.session.scalars(
        select(Scorecard)
        .where(Scorecard.round_id == round.id, Scorecard.status == ScorecardStatus.SUBMITTED)
        .options(selectinload(Scorecard.comments), selectinload(Scorecard.unit))
    ))
    comments: dict[str, list] = {}
    submitted: Counter = Counter()
    for card in cards:
        submitted[card.unit.code] += 1
        for comment in card.comments:
            if comment.text and comment.text.strip():
                comments.setdefault(card.unit.code, []).append({"area": comment.area, "text": comment.text.strip()})
    sessions = {s.unit.code: s for s in round.sessions}
    recusals = _recusals_by_unit(round, inputs)
    units = []
    for code, unit in sorted(inputs.unit_rows.items()):
        session = sessions.get(code)
        units.append({
            "code": code,
            "name": {"zh": unit.name_zh, "en": unit.name_en or unit.name_zh},
            "seated": len(session.members) if session is not None else 0,
            "scorecards": submitted.get(code, 0),
            "recusals": recusals.get(code, {}),
            "comments": sorted(comments.get(code, []), key=lambda c: (c["area"], c["text"])),
        })
    panels: dict[str, Counter] = {}
    for rater in inputs.rater_rows.values():
        panels.setdefault(rater.panel or "", Counter())[rater.rater_type.value] += 1
    conflicts = Counter(c.kind.value for c in db.session.scalars(select(Conflict).where(Conflict.round_id == round.id)))
    district = db.session.scalar(select(OrgUnit).where(OrgUnit.parent_id.is_(None)).order_by(OrgUnit.id))
    base = (current_app.config.get("BASE_URL") or "").rstrip("/")
    return {
        "round": {"id": round.id, "name": round.name, "period": round.period},
        "organisation": {"zh": district.name_zh, "en": district.name_en or district.name_zh} if district else {},
        "verify_url": f"{base}/verify" if base else "/verify",
        "framework": {
            "title": _texts(spec.get("title")),
            "areas": [
                {"code": a["code"], "title": _texts(a.get("title")), "weight": a["weight"],
                 "criteria": [{"code": c["code"], "title": _texts(c.get("title")), "max_points": c["max_points"],
                               "step": c["step"]} for c in a["criteria"]]}
                for a in spec["areas"]
            ],
        },
        "units": units,
        "pool": {
            "size": len(inputs.rater_rows),
            "panels": [{"panel": label, "by_type": dict(sorted(counts.items()))}
                       for label, counts in sorted(panels.items())],
            "conflicts": dict(sorted(conflicts.items())),
        },
        "pseudonyms": {"count": len(names), "rule": "R01.. numbered over the round's pool in keyed-hash order"},
    }
