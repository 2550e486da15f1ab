"""One assessment round, end to end: validation, recusal, aggregation, rater
effects, reliability, bootstrap uncertainty and leave-one-rater-out.

:func:`run_round` is the single entry point the web application, the command
line (``python -m scoring``) and outside evaluators use; its
:class:`RoundResult` carries every number with the rule that produced it.

Order of work (each step sees only what the previous one kept):

1. the framework, settings and every score row are validated (errors name
   the row); 2. recusal drops forbidden (rater, unit) pairs -- their rows never
   reach any aggregate; 3. the missing-criterion policy and the aggregation rule
   give criterion points, area subtotals and totals; 4. each rater's own card
   total feeds the additive rater model, rater flags and reliability; 5. the
   bootstrap and leave-one-rater-out rerun step 3 with other rater weights.

Analysed units are those named by at least one score row (before recusal);
a unit all of whose cards were recused keeps a ``nan`` total with a note.
Analysed raters are those with at least one card left after recusal. Units
and raters are ordered by id, criteria in framework order, so the result does
not depend on the order of the inputs.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, is_dataclass, replace
from enum import Enum

import numpy as np

from scoring.aggregate import (
    AggregateResult,
    ScoreArray,
    aggregate,
    card_totals,
    check_settings,
    score_array,
    sort_cells,
    total_weights,
)
from scoring.raters import AdditiveEffects, RaterFlag, additive_effects, rater_flags
from scoring.recusal import RecusalRules, filter_scores
from scoring.reliability import ICCResult, KendallWResult, KrippendorffResult, icc, kendall_w, krippendorff_alpha
from scoring.types import Framework, RaterInfo, Score, ScoringInputError, Settings, UnitInfo
from scoring.uncertainty import (
    RANK_RULE,
    BootstrapResult,
    LeaveOneOutResult,
    bootstrap,
    leave_one_rater_out,
    rank_totals,
    strata_of,
)

CARD_TOTAL_RULE = (
    "each rater's card total for a unit, on the framework's scale, after the missing policy; "
    "an area the card has no value in is left out and the remaining area weights rescaled "
    "(a percentage of the maximum the rater actually scored)"
)
PANEL_DESIGN_RULE = (
    "per panel, the complete block of its raters x the units all of them scored: starting from "
    "all units the panel's raters scored, repeatedly drop the unit or rater with a missing card "
    "whose removal discards the fewest scored cards (units first on ties); ICC(2,1) and ICC(2,k) "
    "(two-way random, absolute agreement; Shrout & Fleiss 1979) and Kendall's W on that block"
)

#: Columns of every table of :meth:`RoundResult.tables`, in order (CSV headers).
TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "units": ("unit", "rank", "total", "ci_low", "ci_high", "std_error", "group", "fair_score", "unit_effect", "unit_effect_se", "n_cards", "note"),
    "areas": ("unit", "area", "weight", "subtotal"),
    "criteria": ("unit", "criterion", "area", "points", "max_points", "n_raters", "method"),
    "fallbacks": ("unit", "criterion", "n_raters", "applied", "reason"),
    "missing": ("unit", "rater", "action", "missing", "detail"),
    "cards": ("unit", "rater", "card_total", "residual"),
    "raters": ("rater", "panel", "n_units", "severity", "severity_se", "flags", "robust_z", "panel_z", "mean_square", "loo_max_rank_change", "loo_unit", "explanation"),
    "reliability": ("scope", "measure", "value", "ci_low", "ci_high", "n_raters", "n_units", "statistic", "pvalue", "note"),
    "recusal": ("code", "rows", "cards"),
    "rank_probabilities": ("unit", "rank", "probability"),
    "outrank": ("unit_a", "unit_b", "probability"),
    "groups": ("group", "unit"),
}


# --------------------------------------------------------------------------- result types


@dataclass(frozen=True)
class ReasonCount:
    """Excluded score rows and cards (rater-unit pairs) for one recusal reason code."""

    code: str
    rows: int
    cards: int


@dataclass(frozen=True)
class RecusalSummary:
    """What recusal removed; a pair with two reasons counts under both codes."""

    rules: RecusalRules
    excluded_rows: int
    excluded_cards: int
    by_reason: tuple[ReasonCount, ...]


@dataclass(frozen=True, eq=False)
class PanelReliability:
    """Reliability of one panel on its complete block of raters x units."""

    panel: str | None
    raters: tuple[str, ...]  #: raters in the complete block
    units: tuple[str, ...]  #: units in the complete block
    icc_single: ICCResult | None  #: ICC(2,1)
    icc_average: ICCResult | None  #: ICC(2,k)
    kendall: KendallWResult | None
    note: str


@dataclass(frozen=True, eq=False)
class ReliabilityReport:
    """Krippendorff's alpha over all card totals and per-panel ICC and Kendall's W."""

    alpha: KrippendorffResult | None  #: interval level, raters x units card totals
    alpha_note: str
    panels: tuple[PanelReliability, ...]
    design_rule: str = PANEL_DESIGN_RULE


@dataclass(frozen=True, eq=False)
class RoundResult:
    """Everything :func:`run_round` computed, with the rules it applied.

    Arrays are indexed by ``units`` and ``raters`` (both sorted by id).
    ``to_dict()`` gives a JSON-ready dictionary (``nan`` -> ``None``) and
    ``tables()`` a name -> list of row dicts mapping for CSV export.
    """

    framework: Framework
    settings: Settings
    units: tuple[str, ...]
    raters: tuple[str, ...]
    panels: tuple[str | None, ...]  #: panel of each analysed rater
    units_without_scores: tuple[str, ...]  #: declared units no score row names
    raters_without_scores: tuple[str, ...]  #: declared raters with no card left after recusal
    recusal: RecusalSummary
    aggregate: AggregateResult
    ranks: np.ndarray  #: (U,) point ranks, 1 = highest, ties share the smallest rank
    card_totals: np.ndarray  #: (U, R) each rater's own total (see CARD_TOTAL_RULE)
    effects: AdditiveEffects | None
    effects_note: str
    flags: tuple[RaterFlag, ...]
    reliability: ReliabilityReport
    uncertainty: BootstrapResult | None
    uncertainty_note: str
    leave_one_out: LeaveOneOutResult
    card_total_rule: str = CARD_TOTAL_RULE

    @property
    def totals(self) -> np.ndarray:
        """Unit totals on the framework's scale (``aggregate.totals``)."""
        return self.aggregate.totals

    def to_dict(self) -> dict:
        """Every result as plain JSON types; ``nan`` becomes ``None``."""
        return _jsonable(_round_dict(self))

    def tables(self) -> dict[str, list[dict]]:
        """Name -> rows for CSV export, keys in :data:`TABLE_COLUMNS` order; ``nan`` becomes ``None``.

        ``rank_probabilities``, ``outrank`` and ``groups`` are absent when no
        bootstrap was run.
        """
        return {
            name: _jsonable([{col: row[col] for col in TABLE_COLUMNS[name]} for row in rows])
            for name, rows in _round_tables(self).items()
        }


# --------------------------------------------------------------------------- the round


def run_round(
    framework: Framework,
    scores: Sequence[Score],
    raters: Mapping[str, RaterInfo] | Iterable[RaterInfo],
    units: Mapping[str, UnitInfo] | Iterable[UnitInfo],
    settings: Settings,
    rules: RecusalRules | None = None,
) -> RoundResult:
    """Compute every result of an assessment round.

    Parameters
    ----------
    framework : Framework
        Areas (weights adding up to ``framework.total``) and criteria.
    scores : sequence of Score
        The long table; ``points=None`` is "cannot judge".
    raters, units : mapping by id, or iterable of RaterInfo / UnitInfo
        Every rater and unit the scores name (units also serve recusal's
        parent/child lookups). ``RaterInfo.panel`` is the bootstrap stratum.
    settings : Settings
    rules : RecusalRules, optional
        ``None`` means ``RecusalRules()``: own unit and parent/child units are
        forbidden, the other rules off.

    Returns
    -------
    RoundResult

    Raises
    ------
    ScoringInputError
        Bad settings or framework, a bad score row (the message names its
        0-based index), or fewer than two raters left after recusal (rater
        effects, reliability and the bootstrap need at least two).

    Notes
    -----
    Rater model: the units x raters matrix of card totals (see
    ``CARD_TOTAL_RULE``) is fitted with :func:`scoring.raters.additive_effects`
    (``settings.shrinkage``) and flagged with :func:`scoring.raters.rater_flags`
    by panel -- advisory only, no published total is adjusted.
    Reliability: Krippendorff's alpha (interval) on raters x units card totals;
    per panel ICC(2,1), ICC(2,k) and Kendall's W on its complete block (see
    ``PANEL_DESIGN_RULE``). Uncertainty: :func:`scoring.uncertainty.bootstrap`
    and :func:`scoring.uncertainty.leave_one_rater_out`.

    Examples
    --------
    r1 belongs to u1 and may not score it; u1 keeps 2 raters and u2 has 3,
    too few to trim one at each end, so both cells fall back to the median:

    >>> from scoring.types import Area, Criterion, Framework, RaterInfo, Score, Settings, UnitInfo
    >>> fw = Framework((Area("A", 100, (Criterion("A1", "A", 10, 1),)),))
    >>> raters = [RaterInfo("r1", home_unit="u1"), RaterInfo("r2"), RaterInfo("r3")]
    >>> units = [UnitInfo("u1"), UnitInfo("u2")]
    >>> points = {("u1", "r1"): 10, ("u1", "r2"): 8, ("u1", "r3"): 7,
    ...           ("u2", "r1"): 6, ("u2", "r2"): 5, ("u2", "r3"): 9}
    >>> scores = [Score(u, r, "A1", p) for (u, r), p in points.items()]
    >>> res = run_round(fw, scores, raters, units, Settings(bootstrap=200, seed=1))
    >>> res.totals.tolist(), res.ranks.tolist(), res.recusal.excluded_rows
    ([75.0, 60.0], [1.0, 2.0], 1)
    >>> [(f.unit, f.applied) for f in res.aggregate.fallbacks]
    [('u1', 'median'), ('u2', 'median')]
    """
    check_settings(settings)
    framework.validate()
    rater_map = _by_id(raters, RaterInfo, "rater")
    unit_map = _by_id(units, UnitInfo, "unit")
    rules = RecusalRules() if rules is None else rules
    rows = list(scores)

    rater_ids = tuple(sorted(rater_map))
    unit_ids = tuple(sorted(unit_map))
    full = score_array(framework, rows, raters=rater_ids, units=unit_ids)  # validates every row

    _, excluded = filter_scores(rows, rater_map, unit_map, rules)
    recusal = _recusal_summary(rules, excluded)
    has_card = full.has_card.copy()
    values = full.values.copy()
    r_pos = {r: i for i, r in enumerate(rater_ids)}
    u_pos = {u: i for i, u in enumerate(unit_ids)}
    for score, _ in excluded:
        has_card[u_pos[score.unit], r_pos[score.rater]] = False
        values[u_pos[score.unit], r_pos[score.rater], :] = np.nan

    named = full.has_card.any(axis=1)
    active = has_card.any(axis=0)
    if active.sum() < 2:
        left = [rater_ids[i] for i in np.flatnonzero(active)]
        raise ScoringInputError(
            f"the round has {len(left)} rater(s) with scores after recusal ({', '.join(left) or 'none'}); "
            "rater effects, reliability and the bootstrap need at least 2"
        )
    u_keep = np.flatnonzero(named)
    r_keep = np.flatnonzero(active)
    array = ScoreArray(
        units=tuple(unit_ids[i] for i in u_keep),
        raters=tuple(rater_ids[i] for i in r_keep),
        criteria=full.criteria,
        values=values[np.ix_(u_keep, r_keep)],
        has_card=has_card[np.ix_(u_keep, r_keep)],
    )
    panels = tuple(rater_map[r].panel for r in array.raters)

    agg = aggregate(framework, array, settings)
    recused_out = [u for u in range(len(array.units)) if not array.has_card[u].any()]
    if recused_out:
        notes = list(agg.total_notes)
        for u in recused_out:
            notes[u] = "every scorecard for this unit was excluded by recusal"
        agg = replace(agg, total_notes=tuple(notes))
    ranks = rank_totals(agg.totals)
    cards = card_totals(framework, agg.values)

    effects, effects_note, flags = _rater_model(cards, panels, settings.shrinkage, array.units, array.raters)
    reliability = _reliability(cards, panels, array.units, array.raters)

    cells = sort_cells(agg.values)
    tw = total_weights(framework)
    if settings.bootstrap > 0:
        uncertainty = bootstrap(cells, tw, panels, settings, array.units)
        uncertainty_note = ""
    else:
        uncertainty, uncertainty_note = None, "settings.bootstrap is 0: no bootstrap was run"
    loo = leave_one_rater_out(cells, tw, settings, array.units, array.raters)

    return RoundResult(
        framework=framework,
        settings=settings,
        units=array.units,
        raters=array.raters,
        panels=panels,
        units_without_scores=tuple(unit_ids[i] for i in np.flatnonzero(~named)),
        raters_without_scores=tuple(rater_ids[i] for i in np.flatnonzero(~active)),
        recusal=recusal,
        aggregate=agg,
        ranks=ranks,
        card_totals=cards,
        effects=effects,
        effects_note=effects_note,
        flags=flags,
        reliability=reliability,
        uncertainty=uncertainty,
        uncertainty_note=uncertainty_note,
        leave_one_out=loo,
    )


def _by_id(items, kind, what: str) -> dict:
    if isinstance(items, Mapping):
        out = dict(items)
        for key, item in out.items():
            if not isinstance(item, kind) or item.id != key:
                raise ScoringInputError(f"{what} mapping key {key!r} does not hold a {kind.__name__} with that id")
        return out
    out = {}
    for i, item in enumerate(items):
        if not isinstance(item, kind):
            raise ScoringInputError(f"{what} {i}: expected a {kind.__name__}, got {type(item).__name__}")
        if item.id in out:
            raise ScoringInputError(f"{what} id {item.id!r} is listed twice")
        out[item.id] = item
    return out


def _recusal_summary(rules: RecusalRules, excluded) -> RecusalSummary:
    rows: dict[str, int] = {}
    cards: dict[str, set] = {}
    pairs = set()
    for score, decision in excluded:
        pairs.add((score.unit, score.rater))
        for code in dict.fromkeys(reason.code.value for reason in decision.reasons):
            rows[code] = rows.get(code, 0) + 1
            cards.setdefault(code, set()).add((score.unit, score.rater))
    return RecusalSummary(
        rules=rules,
        excluded_rows=len(excluded),
        excluded_cards=len(pairs),
        by_reason=tuple(ReasonCount(code, rows[code], len(cards[code])) for code in sorted(rows)),
    )


def _rater_model(cards: np.ndarray, panels, shrinkage: float, units: Sequence[str], raters: Sequence[str]):
    """Additive rater effects and advisory flags; notes and explanations name units and raters by id."""
    try:
        effects = additive_effects(cards, shrinkage=shrinkage, unit_ids=units, rater_ids=raters)
    except ScoringInputError as exc:
        return None, f"rater effects not estimated: {exc}", ()
    flags = rater_flags(cards, effects, panels=list(panels))
    return effects, effects.note, flags


def _reliability(cards: np.ndarray, panels, units: Sequence[str], raters: Sequence[str]) -> ReliabilityReport:
    try:
        alpha = krippendorff_alpha(cards.T, "interval")
        alpha_note = alpha.reason or ""
    except ScoringInputError as exc:
        alpha, alpha_note = None, f"Krippendorff's alpha not computed: {exc}"
    results = []
    for label, cols in strata_of(panels):
        block_units, block_raters = complete_block(cards[:, cols])
        block = cards[np.ix_(block_units, [cols[j] for j in block_raters])]
        names_u = tuple(units[i] for i in block_units)
        names_r = tuple(raters[cols[j]] for j in block_raters)
        notes = []
        single = average = kendall = None
        if len(names_u) < 2 or len(names_r) < 2:
            notes.append(
                f"complete block has {len(names_r)} rater(s) x {len(names_u)} unit(s); ICC and Kendall's W need at least 2 x 2"
            )
        else:
            for label_kind in ("ICC2", "ICC2k"):
                try:
                    res = icc(block, label_kind)
                except ScoringInputError as exc:
                    notes.append(f"{label_kind}: {exc}")
                    continue
                if label_kind == "ICC2":
                    single = res
                else:
                    average = res
                if res.reason:
                    notes.append(f"{label_kind}: {res.reason}")
            try:
                kendall = kendall_w(block.T)
                if kendall.reason:
                    notes.append(f"Kendall's W: {kendall.reason}")
            except ScoringInputError as exc:
                notes.append(f"Kendall's W: {exc}")
        dropped_u = int((~np.isnan(cards[:, cols])).any(axis=1).sum()) - len(names_u)
        dropped_r = len(cols) - len(names_r)
        if dropped_u or dropped_r:
            notes.append(f"{dropped_u} unit(s) and {dropped_r} rater(s) left out to make the block complete")
        results.append(PanelReliability(label, names_r, names_u, single, average, kendall, "; ".join(notes)))
    return ReliabilityReport(alpha=alpha, alpha_note=alpha_note, panels=tuple(results))


def complete_block(x: np.ndarray) -> tuple[list[int], list[int]]:
    """Rows and columns of a complete (no ``nan``) sub-matrix, found greedily.

    Starts from the rows with any value; while a ``nan`` remains, drops the row
    or column containing a ``nan`` whose removal discards the fewest values
    (rows first on ties, then the lowest index).

    Examples
    --------
    >>> nan = float("nan")
    >>> complete_block(np.array([[1.0, 2.0, 3.0], [4.0, nan, 6.0], [7.0, 8.0, 9.0]]))
    ([0, 2], [0, 1, 2])
    """
    rows = [i for i in range(x.shape[0]) if not np.isnan(x[i]).all()]
    cols = [j for j in range(x.shape[1]) if not np.isnan(x[:, j]).all()]
    while rows and cols:
        sub = np.isnan(x[np.ix_(rows, cols)])
        if not sub.any():
            break
        row_missing = sub.sum(axis=1)
        col_missing = sub.sum(axis=0)
        row_cost = np.where(row_missing > 0, len(cols) - row_missing, np.iinfo(np.int64).max)
        col_cost = np.where(col_missing > 0, len(rows) - col_missing, np.iinfo(np.int64).max)
        i, j = int(np.argmin(row_cost)), int(np.argmin(col_cost))
        if row_cost[i] <= col_cost[j]:
            rows.pop(i)
        else:
            cols.pop(j)
    return rows, cols


# --------------------------------------------------------------------------- serialisation


def _jsonable(obj):
    """Plain JSON types: nan/inf -> None, numpy -> python, enums -> values, tuples -> lists."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        value = float(obj)
        return value if math.isfinite(value) else None
    if obj is None or isinstance(obj, str):
        return obj
    if is_dataclass(obj):
        return {f.name: _jsonable(getattr(obj, f.name)) for f in fields(obj)}
    if isinstance(obj, (set, frozenset)):
        return sorted((_jsonable(v) for v in obj), key=repr)
    raise TypeError(f"cannot serialise {type(obj).__name__}")


def _settings_dict(s: Settings) -> dict:
    return {f.name: getattr(s, f.name) for f in fields(s)}


def _framework_dict(fw: Framework) -> dict:
    return {
        "total": fw.total,
        "areas": [
            {
                "code": a.code,
                "title": a.title,
                "weight": a.weight,
                "criteria": [{"code": c.code, "title": c.title, "max_points": c.max_points, "step": c.step} for c in a.criteria],
            }
            for a in fw.areas
        ],
    }


def _rules_dict(rules: RecusalRules) -> dict:
    pairs = lambda records: sorted(({"rater": r.rater, "unit": r.unit, "reason": r.reason} for r in records), key=lambda d: (d["rater"], d["unit"], d["reason"]))  # noqa: E731
    return {
        "own_unit": rules.own_unit,
        "parent_child": rules.parent_child,
        "same_sub_district": rules.same_sub_district,
        "same_industry": rules.same_industry,
        "relationships": pairs(rules.relationships),
        "declared": pairs(rules.declared),
    }


def _ci(res) -> tuple:
    return (None, None) if res is None else res.ci


def _round_dict(res: RoundResult) -> dict:
    agg = res.aggregate
    boot = res.uncertainty
    loo = res.leave_one_out
    eff = res.effects
    group_of = _group_index(boot)
    rel = res.reliability
    return {
        "engine": {
            "card_total_rule": res.card_total_rule,
            "rank_rule": RANK_RULE,
        },
        "framework": _framework_dict(res.framework),
        "settings": _settings_dict(res.settings),
        "units": list(res.units),
        "raters": list(res.raters),
        "units_without_scores": list(res.units_without_scores),
        "raters_without_scores": list(res.raters_without_scores),
        "recusal": {
            "rules": _rules_dict(res.recusal.rules),
            "excluded_rows": res.recusal.excluded_rows,
            "excluded_cards": res.recusal.excluded_cards,
            "by_reason": {c.code: {"rows": c.rows, "cards": c.cards} for c in res.recusal.by_reason},
        },
        "aggregation": {
            "rule": agg.rule,
            "method": agg.method,
            "trim": agg.trim,
            "min_raters": agg.min_raters,
            "fallback": agg.fallback,
            "fallback_cells": [f.__dict__ for f in agg.fallbacks],
            "missing": {
                "policy": agg.missing.policy,
                "rule": agg.missing.rule,
                "n_cards": agg.missing.n_cards,
                "n_complete": agg.missing.n_complete,
                "n_changed": agg.missing.n_changed,
                "n_dropped": agg.missing.n_dropped,
                "cards": [n.__dict__ for n in agg.missing.notes],
            },
        },
        "unit_results": [_unit_result(res, u, group_of) for u in range(len(res.units))],
        "rater_results": [_rater_result(res, r) for r in range(len(res.raters))],
        "rater_model": None
        if eff is None
        else {
            "grand_mean": eff.grand_mean,
            "sigma": eff.sigma,
            "dof": eff.dof,
            "connected": eff.connected,
            "components": [[res.units[i] for i in comp] for comp in eff.components],
            "shrinkage": eff.shrinkage,
            "note": eff.note,
        },
        "rater_model_note": res.effects_note,
        "reliability": {
            "design_rule": rel.design_rule,
            "krippendorff_alpha": None
            if rel.alpha is None
            else {
                "level": rel.alpha.level,
                "value": rel.alpha.value,
                "n_units": rel.alpha.n_units,
                "n_values": rel.alpha.n_values,
                "reason": rel.alpha.reason,
            },
            "krippendorff_alpha_note": rel.alpha_note,
            "panels": [
                {
                    "panel": p.panel,
                    "raters": list(p.raters),
                    "units": list(p.units),
                    "icc2": None if p.icc_single is None else p.icc_single.value,
                    "icc2_ci": _ci(p.icc_single),
                    "icc2k": None if p.icc_average is None else p.icc_average.value,
                    "icc2k_ci": _ci(p.icc_average),
                    "kendall_w": None if p.kendall is None else p.kendall.value,
                    "kendall_chi2": None if p.kendall is None else p.kendall.statistic,
                    "kendall_dof": None if p.kendall is None else p.kendall.dof,
                    "kendall_pvalue": None if p.kendall is None else p.kendall.pvalue,
                    "note": p.note,
                }
                for p in rel.panels
            ],
        },
        "uncertainty": None
        if boot is None
        else {
            "replicates": boot.replicates,
            "seed": boot.seed,
            "confidence": boot.confidence,
            "strata": [{"panel": p, "raters": n} for p, n in boot.strata],
            "n_incomplete": boot.n_incomplete,
            "interval_rule": boot.interval_rule,
            "rank_rule": boot.rank_rule,
            "outrank_rule": boot.outrank_rule,
            "group_rule": boot.group_rule,
            "groups": [list(g) for g in boot.groups],
            "outrank": {a: dict(zip(res.units, boot.outrank[i])) for i, a in enumerate(res.units)},
        },
        "uncertainty_note": res.uncertainty_note,
        "leave_one_out": {
            "largest_rank_change": loo.largest_change,
            "rater": loo.largest_rater,
            "unit": loo.largest_unit,
            "notes": list(loo.notes),
        },
    }


def _unit_result(res: RoundResult, u: int, group_of: Mapping[str, int]) -> dict:
    """Everything about unit ``u``: a ``unit_results`` entry, and (its scalar columns) a ``units`` table row."""
    agg, boot, eff = res.aggregate, res.uncertainty, res.effects
    unit = res.units[u]
    return {
        "unit": unit,
        "total": agg.totals[u],
        "rank": res.ranks[u],
        "ci_low": boot.ci_low[u] if boot else None,
        "ci_high": boot.ci_high[u] if boot else None,
        "std_error": boot.std_error[u] if boot else None,
        "group": group_of.get(unit),
        "rank_probabilities": boot.rank_probabilities[u] if boot else None,
        "fair_score": eff.adjusted[u] if eff else None,
        "unit_effect": eff.unit_effects[u] if eff else None,
        "unit_effect_se": eff.unit_se[u] if eff else None,
        "mean_card_total": eff.raw_means[u] if eff else None,
        "n_cards": int(np.isfinite(res.card_totals[u]).sum()),
        "areas": dict(zip(agg.areas, agg.subtotals[u])),
        "criteria": dict(zip(agg.criteria, agg.points[u])),
        "criteria_n_raters": dict(zip(agg.criteria, agg.n_raters[u])),
        "criteria_method": dict(zip(agg.criteria, agg.applied[u])),
        "note": agg.total_notes[u],
    }


def _rater_result(res: RoundResult, r: int) -> dict:
    """Everything about rater ``r``: a ``rater_results`` entry and a ``raters`` table row (flags as a list)."""
    eff, loo = res.effects, res.leave_one_out
    flag = res.flags[r] if res.flags else None
    return {
        "rater": res.raters[r],
        "panel": res.panels[r],
        "n_units": int(np.isfinite(res.card_totals[:, r]).sum()),
        "severity": eff.rater_effects[r] if eff else None,
        "severity_se": eff.rater_se[r] if eff else None,
        "flags": list(flag.kinds) if flag else [],
        "robust_z": flag.robust_z if flag else None,
        "panel_z": flag.panel_z if flag else None,
        "mean_square": flag.mean_square if flag else None,
        "explanation": flag.explanation if flag else "",
        "loo_max_rank_change": loo.max_change[r],
        "loo_unit": loo.unit_of_max[r],
    }


def _group_index(boot: BootstrapResult | None) -> dict[str, int]:
    if boot is None:
        return {}
    return {unit: g + 1 for g, group in enumerate(boot.groups) for unit in group}


def _round_tables(res: RoundResult) -> dict[str, list[dict]]:
    agg = res.aggregate
    boot = res.uncertainty
    eff = res.effects
    group_of = _group_index(boot)
    fw_criteria = {c.code: c for c in res.framework.criteria()}
    weights = {a.code: a.weight for a in res.framework.areas}
    tables: dict[str, list[dict]] = {}
    tables["units"] = [_unit_result(res, u, group_of) for u in range(len(res.units))]  # tables() keeps its columns
    tables["areas"] = [
        {"unit": unit, "area": area, "weight": weights[area], "subtotal": agg.subtotals[u, a]}
        for u, unit in enumerate(res.units)
        for a, area in enumerate(agg.areas)
    ]
    tables["criteria"] = [
        {
            "unit": unit,
            "criterion": crit,
            "area": fw_criteria[crit].area,
            "points": agg.points[u, c],
            "max_points": fw_criteria[crit].max_points,
            "n_raters": agg.n_raters[u, c],
            "method": agg.applied[u, c],
        }
        for u, unit in enumerate(res.units)
        for c, crit in enumerate(agg.criteria)
    ]
    tables["fallbacks"] = [f.__dict__.copy() for f in agg.fallbacks]
    tables["missing"] = [
        {"unit": n.unit, "rater": n.rater, "action": n.action, "missing": " ".join(n.missing), "detail": n.detail}
        for n in agg.missing.notes
    ]
    tables["cards"] = [
        {
            "unit": unit,
            "rater": rater,
            "card_total": res.card_totals[u, r],
            "residual": eff.residuals[u, r] if eff else None,
        }
        for u, unit in enumerate(res.units)
        for r, rater in enumerate(res.raters)
        if np.isfinite(res.card_totals[u, r])
    ]
    tables["raters"] = [
        {**row, "flags": " ".join(row["flags"])} for row in (_rater_result(res, r) for r in range(len(res.raters)))
    ]
    rel_rows = []
    if res.reliability.alpha is not None:
        a = res.reliability.alpha
        rel_rows.append(_rel_row("all", "krippendorff_alpha_interval", a.value, (None, None), a.n_raters, a.n_units, None, None, a.reason or ""))
    for p in res.reliability.panels:
        scope = "panel " + ("(none)" if p.panel is None else str(p.panel))
        for name, r in (("icc2", p.icc_single), ("icc2k", p.icc_average)):
            if r is not None:
                rel_rows.append(_rel_row(scope, name, r.value, r.ci, r.n_raters, r.n_targets, r.f_statistic, r.pvalue, r.reason or ""))
        if p.kendall is not None:
            k = p.kendall
            rel_rows.append(_rel_row(scope, "kendall_w", k.value, (None, None), k.n_raters, k.n_objects, k.statistic, k.pvalue, k.reason or ""))
        if p.note and p.icc_single is None and p.kendall is None:
            rel_rows.append(_rel_row(scope, "none", None, (None, None), len(p.raters), len(p.units), None, None, p.note))
    tables["reliability"] = rel_rows
    tables["recusal"] = [c.__dict__.copy() for c in res.recusal.by_reason]
    if boot is not None:
        tables["rank_probabilities"] = [
            {"unit": unit, "rank": k + 1, "probability": boot.rank_probabilities[u, k]}
            for u, unit in enumerate(res.units)
            for k in range(len(res.units))
        ]
        tables["outrank"] = [
            {"unit_a": a, "unit_b": b, "probability": boot.outrank[i, j]}
            for i, a in enumerate(res.units)
            for j, b in enumerate(res.units)
            if i != j
        ]
        tables["groups"] = [{"group": g + 1, "unit": unit} for g, group in enumerate(boot.groups) for unit in group]
    return tables


def _rel_row(scope, measure, value, ci, n_raters, n_units, statistic, pvalue, note) -> dict:
    return {
        "scope": scope,
        "measure": measure,
        "value": value,
        "ci_low": ci[0],
        "ci_high": ci[1],
        "n_raters": n_raters,
        "n_units": n_units,
        "statistic": statistic,
        "pvalue": pvalue,
        "note": note,
    }
