"""From a publication snapshot to the report builders' data (pure: no database, no clock).

The reports print the published figures only: everything comes from the snapshot's
``result.json`` (the engine's outputs), its ``scores.csv`` and ``config.json`` (the
inputs, for the spread of the raters' points and the raters' types), and its facts
(names, titles, panels, recusal counts, comments). The same snapshot therefore always
gives the same PDFs, and a rebuilt file has the published bytes.

Raters appear only under their pseudonyms; recusals only as counts by reason category;
comments without their authors, sorted.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import statistics
from collections import defaultdict
from types import SimpleNamespace

from flask_babel import gettext as _

from survey.reports import evaluation
from survey.reports.composite_report import (
    ComponentScore,
    CompositeReportData,
    CompositeUnit,
    build_composite_report,
)
from survey.reports.evaluation import (
    Publication,
    RecusalCount,
    Statistic,
    method_of,
    peer_position,
    rank_interval,
    spread,
)
from survey.reports.round_report import (
    FrameworkArea,
    FrameworkCriterion,
    PanelComposition,
    RankedUnit,
    RaterEffect,
    ReliabilityRow,
    RoundReportData,
    build_round_report,
)
from survey.reports.unit_report import AreaResult, CriterionResult, UnitReportData, build_unit_report
from survey.services.errors import DomainError
from survey.services.publication_files import PDF, BuiltFile, file_prefix, published_local

#: Sentences this module writes around the figures, in the report's language.
TEXT = {
    "zh": {
        "fair": "按评分人宽严程度校正后的参考分为 {fair}（单位+评分人加性模型；仅供参考，公布的总分不作调整）。",
        "flagged": "为本单位评分的 {n} 位评分人中，{k} 位在全轮被标记：{who}。",
        "no_flagged": "为本单位评分的 {n} 位评分人在全轮均未被标记为偏宽、偏严或不稳定。",
        "loo": "去掉任何一位评分人重新计算，任一单位的名次最多变化 {n} 位。",
        "alpha_missing": "全轮 Krippendorff α 未能计算：{reason}",
        "comment": "【{area}】{text}",
        "panel": "评审组 {panel}",
        "verify": "可在开门平台核验页面（{url}）上传本文件或粘贴其 SHA-256，查询它属于哪份报告、哪个版本。",
        "list_sep": "、",
    },
    "en": {
        "fair": ("Adjusted for the raters' leniency, the total would be {fair} (additive unit + rater model; advisory "
                 "only, the published total is not adjusted)."),
        "flagged": "Of the {n} raters who scored this unit, {k} are flagged in the round: {who}.",
        "no_flagged": "None of the {n} raters who scored this unit is flagged as lenient, severe or erratic.",
        "loo": "Leaving out any one rater changes a unit's rank by at most {n}.",
        "alpha_missing": "Krippendorff's alpha for the round could not be computed: {reason}",
        "comment": "[{area}] {text}",
        "panel": "panel {panel}",
        "verify": ("Upload this file or paste its SHA-256 on Kaimen's verification page ({url}) to see which report "
                   "and version it is."),
        "list_sep": "; ",
    },
}


class UnitWithoutResult(DomainError):
    """The unit is not evaluated in the round, or has no submitted scores yet: there is no report."""

    status_code = 404

    def __init__(self, unit: str):
        super().__init__(_("Unit %(unit)s has no results in this round: it is not evaluated in it or has no "
                           "submitted scores yet.", unit=unit))
        self.unit = unit


def _lang(language: str) -> str:
    return "en" if language.lower().startswith("en") else "zh"


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _num(value):
    return float(value) if _finite(value) else None


def _int(value):
    return int(round(value)) if _finite(value) else None


class _Snapshot:
    """The parsed pieces of a snapshot the mappings share."""

    def __init__(self, snapshot: dict, generated_at: str | None):
        self.raw = snapshot
        self.facts = snapshot["facts"]
        self.outputs = json.loads(snapshot["outputs"]["result.json"])
        self.config = json.loads(snapshot["inputs"]["config.json"])
        self.settings = SimpleNamespace(**self.outputs["settings"])
        self.units = {u["code"]: u for u in self.facts["units"]}
        self.results = {u["unit"]: u for u in self.outputs["unit_results"]}
        self.order = list(self.outputs["units"])
        self.areas = self.facts["framework"]["areas"]
        self.rater_types = {r["id"]: r.get("type") for r in self.config["raters"]}
        local = published_local(snapshot)
        self.generated_at = generated_at or (local.strftime("%Y-%m-%d %H:%M") if local else "")
        self.scores = self._points()
        self.by_unit_raters = self._raters_by_unit()

    def _points(self) -> dict[tuple[str, str], list[float | None]]:
        """(unit, criterion) -> the points of every rater whose card counted (after the missing policy)."""
        excluded = {(r["rater"], r["unit"]) for key in ("relationships", "declared")
                    for r in self.config.get("recusal", {}).get(key, [])}
        cards: dict[tuple[str, str], dict[str, float | None]] = defaultdict(dict)
        for row in csv.DictReader(io.StringIO(self.raw["inputs"]["scores.csv"])):
            if (row["rater"], row["unit"]) in excluded:
                continue
            points = row["points"].strip()
            cards[(row["unit"], row["rater"])][row["criterion"]] = float(points) if points else None
        policy = self.outputs["settings"]["missing_policy"]
        out: dict[tuple[str, str], list[float | None]] = defaultdict(list)
        for (unit, _rater), values in cards.items():
            if policy == "drop" and any(v is None for v in values.values()):
                continue
            for criterion, value in values.items():
                out[(unit, criterion)].append(0.0 if value is None and policy == "zero" else value)
        return out

    def _raters_by_unit(self) -> dict[str, set[str]]:
        cards = defaultdict(set)
        for row in csv.DictReader(io.StringIO(self.outputs_table("cards"))):
            cards[row["unit"]].add(row["rater"])
        return cards

    def outputs_table(self, name: str) -> str:
        return self.raw["outputs"]["tables"].get(name, "")

    def table(self, name: str) -> list[dict]:
        return list(csv.DictReader(io.StringIO(self.outputs_table(name))))

    def name(self, code: str, language: str) -> str:
        unit = self.units.get(code)
        if unit is None:
            return code
        return unit["name"]["en" if language == "en" else "zh"]

    def title(self, texts: dict, language: str) -> str:
        return texts.get(language) or texts.get("zh") or ""

    def method(self):
        return method_of(self.settings)

    def rank_bounds(self, code: str) -> tuple[int | None, int | None]:
        probabilities = self.results[code].get("rank_probabilities")
        if not probabilities:
            return None, None
        return rank_interval(probabilities, float(self.settings.confidence))

    def publication(self, language: str) -> Publication | None:
        version = self.raw.get("version")
        if not version:
            return None
        url = self.facts.get("verify_url") or "/verify"
        return Publication(version=version, published_at=self.generated_at, note=self.raw.get("note") or "",
                           verify=TEXT[language]["verify"].format(url=url))

    def audit_head(self) -> str:
        return self.raw.get("audit_head") or ""

    def flags(self) -> dict[str, list[str]]:
        return {row["rater"]: row["flags"].split() for row in self.table("raters")}


# --------------------------------------------------------------------------- unit report


def _reliability_statistics(s: _Snapshot, language: str, unit: str | None) -> tuple[Statistic, ...]:
    """Krippendorff's alpha for the round, then ICC and Kendall's W of the panels whose block holds ``unit``."""
    common = evaluation.common_labels(language)
    rel = s.outputs["reliability"]
    out = []
    alpha = rel.get("krippendorff_alpha")
    if alpha and _finite(alpha.get("value")):
        out.append(Statistic(f"{common.measures['krippendorff_alpha_interval']} · {common.all_raters}",
                             _num(alpha["value"]), note=alpha.get("reason") or ""))
    for panel in rel["panels"]:
        if unit is not None and unit not in panel["units"]:
            continue
        scope = TEXT[language]["panel"].format(panel=panel["panel"] or common.none)
        for code, value, ci in (("icc2", panel["icc2"], panel["icc2_ci"]), ("icc2k", panel["icc2k"], panel["icc2k_ci"]),
                                ("kendall_w", panel["kendall_w"], (None, None))):
            if _finite(value):
                low, high = (ci or (None, None))
                out.append(Statistic(f"{common.measures[code]} · {scope}", _num(value), _num(low), _num(high)))
    return tuple(out)


def _unit_notes(s: _Snapshot, language: str, code: str) -> tuple[str, ...]:
    text = TEXT[language]
    common = evaluation.common_labels(language)
    result = s.results[code]
    notes = []
    if _finite(result.get("fair_score")):
        notes.append(text["fair"].format(fair=evaluation.fmt(result["fair_score"])))
    flags = s.flags()
    raters = sorted(s.by_unit_raters.get(code, ()))
    flagged = [(r, flags.get(r, [])) for r in raters if flags.get(r)]
    if raters:
        if flagged:
            sep = "、" if language == "zh" else ", "
            who = text["list_sep"].join(
                f"{r}（{sep.join(evaluation.coded(common.flags, f) for f in fs)}）" if language == "zh"
                else f"{r} ({sep.join(evaluation.coded(common.flags, f) for f in fs)})" for r, fs in flagged)
            notes.append(text["flagged"].format(n=len(raters), k=len(flagged), who=who))
        else:
            notes.append(text["no_flagged"].format(n=len(raters)))
    alpha = s.outputs["reliability"].get("krippendorff_alpha")
    if not alpha or not _finite(alpha.get("value")):
        reason = s.outputs["reliability"].get("krippendorff_alpha_note") or common.none
        notes.append(text["alpha_missing"].format(reason=reason))
    return tuple(notes)


def unit_report_data(snapshot: dict, unit: str, language: str = "zh", generated_at: str | None = None,
                     *, _parsed: _Snapshot | None = None) -> UnitReportData:
    """The unit report of ``unit`` (a unit code of the snapshot)."""
    language = _lang(language)
    s = _parsed or _Snapshot(snapshot, generated_at)
    if unit not in s.results:
        raise UnitWithoutResult(unit)
    result = s.results[unit]
    facts = s.units.get(unit, {"name": {"zh": unit, "en": unit}, "recusals": {}, "comments": []})
    totals = [s.results[u]["total"] for u in s.order]
    areas = []
    for area in s.areas:
        column = [_num(s.results[u]["areas"].get(area["code"])) for u in s.order]
        known = [v for v in column if v is not None]
        areas.append(AreaResult(
            code=area["code"], title=s.title(area["title"], language), weight=float(area["weight"]),
            score=_num(result["areas"].get(area["code"])),
            median=statistics.median(known) if known else None,
            low=min(known) if known else None, high=max(known) if known else None))
    criteria = []
    for area in s.areas:
        for c in area["criteria"]:
            peers = [_num(s.results[u]["criteria"].get(c["code"])) for u in s.order]
            score = _num(result["criteria"].get(c["code"]))
            median, relative = peer_position(score, peers)
            applied = result["criteria_method"].get(c["code"]) or ""
            criteria.append(CriterionResult(
                code=c["code"], title=s.title(c["title"], language), area=area["code"],
                max_points=float(c["max_points"]), score=score, spread=spread(s.scores.get((unit, c["code"]), [])),
                method=applied if applied and applied != s.settings.method else "",
                round_median=median, relative=relative))
    group = result.get("group")
    groups = s.outputs.get("uncertainty") or {}
    peers = []
    if group is not None and groups.get("groups"):
        members = groups["groups"][group - 1]
        peers = [s.name(u, language) for u in members if u != unit]
    rank_low, rank_high = s.rank_bounds(unit)
    area_titles = {a["code"]: s.title(a["title"], language) for a in s.areas}
    comments = tuple(TEXT[language]["comment"].format(area=area_titles.get(c["area"], c["area"]), text=c["text"])
                     for c in facts["comments"])
    return UnitReportData(
        round_name=s.facts["round"]["name"], period=s.facts["round"]["period"],
        unit_name=facts["name"]["zh"],
        unit_name_en=facts["name"]["en"] if facts["name"]["en"] != facts["name"]["zh"] else "",
        unit_code=unit, generated_at=s.generated_at,
        total=_num(result["total"]), rank=_int(result["rank"]) if _finite(result["total"]) else None,
        units_ranked=sum(1 for t in totals if _finite(t)), areas=tuple(areas), criteria=tuple(criteria),
        raters=int(result["n_cards"]), total_low=_num(result["ci_low"]), total_high=_num(result["ci_high"]),
        total_max=float(s.outputs["framework"]["total"]), rank_low=rank_low, rank_high=rank_high,
        not_distinguishable=tuple(peers), organisation=s.facts.get("organisation", {}).get(language, ""),
        total_note=result.get("note") or "",
        recusals=tuple(RecusalCount(code, int(n)) for code, n in sorted(facts["recusals"].items())),
        reliability=_reliability_statistics(s, language, unit), notes=_unit_notes(s, language, unit),
        comments=comments, method=s.method(), audit_head=s.audit_head() or None,
        publication=s.publication(language),
    )


# --------------------------------------------------------------------------- round report


def _reliability_rows(s: _Snapshot, language: str) -> tuple[ReliabilityRow, ...]:
    rows = []
    for row in s.table("reliability"):
        if row["measure"] == "none":
            continue
        scope = row["scope"]
        if scope.startswith("panel "):
            scope = TEXT[language]["panel"].format(panel=scope[len("panel "):])
        value = lambda key: float(row[key]) if row.get(key) not in (None, "") else None  # noqa: E731
        rows.append(ReliabilityRow(scope=scope, measure=row["measure"], value=value("value"), low=value("ci_low"),
                                   high=value("ci_high"), n_raters=_int(value("n_raters")),
                                   n_units=_int(value("n_units")), note=row.get("note") or ""))
    return tuple(rows)


def round_report_data(snapshot: dict, language: str = "zh", generated_at: str | None = None,
                      *, _parsed: _Snapshot | None = None) -> RoundReportData:
    language = _lang(language)
    s = _parsed or _Snapshot(snapshot, generated_at)
    area_codes = [a["code"] for a in s.areas]
    units = []
    for code in s.order:
        r = s.results[code]
        low, high = s.rank_bounds(code)
        names = s.units.get(code, {}).get("name", {"zh": code, "en": code})
        units.append(RankedUnit(
            code=code, name=names["zh"], name_en=names["en"] if names["en"] != names["zh"] else "",
            total=_num(r["total"]), rank=_int(r["rank"]) if _finite(r["total"]) else None,
            total_low=_num(r["ci_low"]), total_high=_num(r["ci_high"]), rank_low=low, rank_high=high,
            group=r.get("group"), raters=int(r["n_cards"]),
            areas=tuple(_num(r["areas"].get(a)) for a in area_codes), note=r.get("note") or ""))
    framework = tuple(
        FrameworkArea(code=a["code"], title=s.title(a["title"], language), weight=float(a["weight"]),
                      criteria=tuple(
                          FrameworkCriterion(c["code"], s.title(c["title"], language), float(c["max_points"]))
                          for c in a["criteria"]))
        for a in s.areas)
    effects = []
    for row in s.table("raters"):
        value = lambda key: float(row[key]) if row.get(key) not in (None, "") else None  # noqa: E731
        effects.append(RaterEffect(
            pseudonym=row["rater"], panel=row["panel"] or None, units=int(row["n_units"]), effect=value("severity"),
            effect_se=value("severity_se"), flags=tuple(row["flags"].split()),
            rater_type=s.rater_types.get(row["rater"]), rank_change=value("loo_max_rank_change")))
    text = TEXT[language]
    rater_notes = []
    loo = s.outputs.get("leave_one_out") or {}
    if _finite(loo.get("largest_rank_change")):
        rater_notes.append(text["loo"].format(n=evaluation.fmt(loo["largest_rank_change"], 0)))
    reliability_notes = []
    alpha = s.outputs["reliability"].get("krippendorff_alpha")
    if not alpha or not _finite(alpha.get("value")):
        reliability_notes.append(text["alpha_missing"].format(
            reason=s.outputs["reliability"].get("krippendorff_alpha_note") or evaluation.common_labels(language).none))
    scored_by_panel: dict[str, set] = defaultdict(set)
    panel_of = {r["id"]: r.get("panel") or "" for r in s.config["raters"]}
    for row in s.table("cards"):
        scored_by_panel[panel_of.get(row["rater"], "")].add(row["unit"])
    panels = tuple(
        PanelComposition(panel=p["panel"], raters=tuple(sorted(p["by_type"].items())),
                         units=len(scored_by_panel.get(p["panel"], ())))
        for p in s.facts["pool"]["panels"])
    recusals: dict[str, int] = defaultdict(int)
    for unit in s.facts["units"]:
        for code, n in unit["recusals"].items():
            recusals[code] += int(n)
    return RoundReportData(
        round_name=s.facts["round"]["name"], period=s.facts["round"]["period"],
        organisation=s.facts.get("organisation", {}).get(language, ""), generated_at=s.generated_at,
        units=tuple(units), framework=framework, audit_head=s.audit_head(),
        raters=len(s.outputs["raters"]), scorecards=sum(int(s.results[u]["n_cards"]) for u in s.order),
        total_max=float(s.outputs["framework"]["total"]), reliability=_reliability_rows(s, language),
        reliability_notes=tuple(reliability_notes), rater_effects=tuple(effects), rater_notes=tuple(rater_notes),
        panels=panels, recusals=tuple(RecusalCount(code, n) for code, n in sorted(recusals.items())),
        method=s.method(), publication=s.publication(language),
    )


# --------------------------------------------------------------------------- files


def has_composite(snapshot: dict) -> bool:
    return bool(json.loads(snapshot["outputs"]["result.json"]).get("composite"))


def round_report(snapshot: dict, language: str = "zh", generated_at: str | None = None) -> bytes:
    return build_round_report(round_report_data(snapshot, language, generated_at), _lang(language))


def unit_report(snapshot: dict, unit: str, language: str = "zh", generated_at: str | None = None) -> bytes:
    return build_unit_report(unit_report_data(snapshot, unit, language, generated_at), _lang(language))


def composite_report_data(snapshot: dict, language: str = "zh", generated_at: str | None = None,
                          *, _parsed: _Snapshot | None = None) -> CompositeReportData:
    """The composite assessment: each unit's components (open door, targets, surveys), weights and result."""
    language = _lang(language)
    s = _parsed or _Snapshot(snapshot, generated_at)
    composite = s.outputs["composite"]
    specs = {u["unit"]: {c["code"]: c for c in (*u.get("targets", []), *u.get("surveys", []))}
             for u in s.config.get("composite", {}).get("units", [])}
    units = []
    for entry in composite["units"]:
        code = entry["unit"]
        names = s.units.get(code, {}).get("name", {"zh": code, "en": code})
        components = []
        for c in entry.get("components", []):
            spec = specs.get(code, {}).get(c["code"], {})
            extra = {}
            if c["kind"] == "open_door":
                extra = {"title": "", "scale": float(s.outputs["framework"]["total"])}
            elif c["kind"] == "target":
                extra = {"target": _num(spec.get("target")), "direction": spec.get("direction", "higher"),
                         "floor": float(spec.get("floor", 0.0)), "worst": _num(spec.get("worst"))}
            elif c["kind"] == "survey":
                extra = {"scale": spec.get("scale", "percent")}
            components.append(ComponentScore(
                code=c["code"], kind=c["kind"], title=extra.pop("title", c.get("title") or ""), raw=float(c["raw"]),
                score=float(c["score"]), weight=float(c["weight"]), contribution=float(c["contribution"]),
                rule=c.get("rule") or "", **extra))
        units.append(CompositeUnit(code=code, name=names["zh"],
                                   name_en=names["en"] if names["en"] != names["zh"] else "",
                                   score=_num(entry.get("score")), components=tuple(components),
                                   note=entry.get("note") or ""))
    return CompositeReportData(
        round_name=s.facts["round"]["name"], period=s.facts["round"]["period"],
        organisation=s.facts.get("organisation", {}).get(language, ""), generated_at=s.generated_at,
        open_door_weight=float(composite["open_door_weight"]), units=tuple(units),
        total_weight=float(composite["total_weight"]), method=s.method(), audit_head=s.audit_head() or None,
        publication=s.publication(language))


def composite_report(snapshot: dict, language: str = "zh", generated_at: str | None = None) -> bytes | None:
    """The composite report, or None when the round has no composite assessment."""
    if not has_composite(snapshot):
        return None
    return build_composite_report(composite_report_data(snapshot, language, generated_at), _lang(language))


def _safe(code: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", code).strip("._") or "unit"


def report_files(snapshot: dict, language: str = "zh") -> list[BuiltFile]:
    """The published PDFs: the round report, the composite report (when there is one), one per unit."""
    language = _lang(language)
    s = _Snapshot(snapshot, None)
    prefix = file_prefix(snapshot)
    files = [BuiltFile("round_report", f"{prefix}-round-report.pdf", PDF,
                       build_round_report(round_report_data(snapshot, language, _parsed=s), language))]
    composite = composite_report(snapshot, language)
    if composite is not None:
        files.append(BuiltFile("composite_report", f"{prefix}-composite-report.pdf", PDF, composite))
    for code in s.order:
        files.append(BuiltFile("unit_report", f"{prefix}-unit-{_safe(code)}.pdf", PDF,
                               build_unit_report(unit_report_data(snapshot, code, language, _parsed=s), language),
                               unit=code))
    return files
