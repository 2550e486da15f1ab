"""Breakdowns of the needs analysis: every question crossed with one grouping variable.

The grouping variable is a demographic single-choice question, the
respondent's unit, or the unit's sub-district federation. Respondents who did
not answer the grouping question (or have no unit) form a last group, "not
stated", so that each table's column totals are exactly the question's
one-way counts and the two outputs share their margins.

- single choice: groups x options, chi-square test of independence with
  Cramér's V; adjusted standardised residuals mark the cells;
- multiple choice and ranking ("ranked it at all"): each option a groups x
  (chose, did not) table with its own chi-square test, Holm-adjusted across
  the options; the cells are the options' shares in each group;
- rating and matrix rows: groups x scale points, Kruskal-Wallis across the
  groups (epsilon-squared), cells marked by the chi-square residuals; the
  groups' means and medians;
- numbers: the groups' means and medians, Kruskal-Wallis.

Protection as described in :mod:`survey.services.needs_analysis` and
:mod:`survey.services.needs_analysis_protect`: tables start from the hidden
one-way cells and group sizes, a group's mean is hidden with any of its
cells, tests run on the pooled published table.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from flask_babel import gettext as _
from scipy import stats

from scoring.survey import (
    crosstab_test,
    holm_adjust,
    kruskal_from_counts,
    kruskal_test,
    wilson_interval,
)
from scoring.survey.proportions import _z
from survey.services.needs_analysis import BY_SUB_DISTRICT, BY_UNIT, OneWay, Plan, _none, answered_rows, chose_parts
from survey.services.needs_analysis_filters import UnitIndex
from survey.services.needs_analysis_model import (
    BreakdownAnalysis,
    BreakdownCell,
    GroupMean,
    GroupResult,
    QuestionBreakdown,
    TestResult,
)
from survey.services.needs_analysis_protect import complement, protect_table, published_table, suppress_two_columns

__all__ = ["breakdown_analysis"]


class _Groups:
    """Each view row's group index (the last group: not stated) and what is known about the groups."""

    def __init__(self, index: np.ndarray, keys: list[str], labels: list[str], preset_hidden: np.ndarray):
        self.index = index
        self.keys = keys
        self.labels = labels
        self.count = len(keys)
        self.sizes = np.bincount(index, minlength=self.count).astype(np.int64)
        self.preset = preset_hidden
        self.not_stated = self.count - 1

    def results(self, sizes: np.ndarray, hidden: np.ndarray) -> tuple[GroupResult, ...]:
        return tuple(GroupResult(self.keys[i], self.labels[i], None if hidden[i] else int(sizes[i]))
                     for i in range(self.count))


def _groups(key: str, plans: Sequence[Plan], one_ways: dict[str, OneWay], values: np.ndarray, unit_ids: np.ndarray,
            units: UnitIndex, unit_hidden: dict[int, bool], sd_hidden: dict[int, bool]) -> tuple[_Groups, Plan | None]:
    n = values.shape[0]
    if key == BY_UNIT:
        present = sorted({int(u) for u in np.unique(unit_ids) if u >= 0}, key=lambda u: units.units[u].code)
        lookup = {u: i for i, u in enumerate(present)}
        index = np.array([lookup.get(int(u), len(present)) for u in unit_ids], dtype=np.int64) if n else \
            np.empty(0, dtype=np.int64)
        keys = [units.units[u].code for u in present] + ["-"]
        labels = [units.units[u].name for u in present] + [_("No unit")]
        preset = np.array([unit_hidden.get(u, True) for u in present] + [unit_hidden.get(-2, False)], dtype=bool)
        return _Groups(index, keys, labels, preset), None
    if key == BY_SUB_DISTRICT:
        sd = units.sub_district_of(unit_ids)
        sd = np.where(unit_ids < 0, -2, sd)
        present = sorted({int(s) for s in np.unique(sd) if s >= 0}, key=lambda s: units.units[s].code)
        order = present + [-1, -2]
        lookup = {s: i for i, s in enumerate(order)}
        index = np.array([lookup[int(s)] for s in sd], dtype=np.int64) if n else np.empty(0, dtype=np.int64)
        keys = [units.units[s].code for s in present] + ["-", "--"]
        labels = [units.units[s].name for s in present] + [_("Not in a sub-district"), _("No unit")]
        preset = np.array([sd_hidden.get(s, True) for s in present] + [sd_hidden.get(-1, False),
                                                                     sd_hidden.get(-2, False)], dtype=bool)
        return _Groups(index, keys, labels, preset), None
    plan = [p for p in plans if p.question_id == key and p.main is not None][-1]
    one_way = one_ways[plan.code]
    column = values[:, plan.main.slot]
    position = np.full(max(one_way.codes) + 2, len(one_way.codes), dtype=np.int64)
    for pos, code_index in enumerate(one_way.codes):
        position[code_index] = pos
    codes = np.where(np.isnan(column), -1, column - 1).astype(np.int64)
    index = np.where(codes >= 0, position[np.clip(codes, 0, position.size - 1)], len(one_way.codes))
    keys = [str(i) for i in range(len(one_way.codes))] + ["-"]
    labels = list(one_way.labels) + [_("Not stated")]
    preset = np.concatenate([one_way.hidden, [False]])
    return _Groups(index, keys, labels, preset), plan


def _chi_square(table: np.ndarray, pooled_groups: list[str], pooled_categories: list[str], alpha: float,
                confidence: float, label: str | None = None) -> TestResult:
    name, effect_name = "chi-square", "Cramér's V"
    if table.shape[0] < 2 or table.shape[1] < 2:
        return TestResult(name, None, None, None, None, effect_name, int(table.sum()), False,
                          tuple(pooled_groups), tuple(pooled_categories),
                          reason=_("Too few groups or answers with figures to test."), label=label)
    res = crosstab_test(table, confidence)
    if res.reason:
        return TestResult(name, None, None, None, None, effect_name, int(res.n), False, tuple(pooled_groups),
                          tuple(pooled_categories), reason=_("Too few groups or answers with figures to test."),
                          label=label)
    return TestResult(name, _none(res.statistic), int(res.dof), _none(res.pvalue), _none(res.cramers_v), effect_name,
                      int(res.n), bool(res.pvalue < alpha), tuple(pooled_groups), tuple(pooled_categories),
                      label=label)


def _residuals(table: np.ndarray, confidence: float) -> np.ndarray:
    if table.shape[0] < 2 or table.shape[1] < 2 or table.sum() == 0:
        return np.full(table.shape, np.nan)
    return crosstab_test(table, confidence).adjusted_residuals


def _cells(counts: np.ndarray, bases: np.ndarray, hide_count: np.ndarray, hide_share: np.ndarray,
           residuals: np.ndarray, critical: float, confidence: float) -> tuple[tuple[BreakdownCell, ...], ...]:
    """``cells[category][group]`` from groups x categories arrays (bases: per group, or per cell)."""
    counts = np.asarray(counts, dtype=float)
    bases = np.broadcast_to(np.asarray(bases, dtype=float).reshape(counts.shape[0], -1), counts.shape)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = counts / bases
    safe = np.minimum(counts, bases)
    low, high = wilson_interval(safe, bases, confidence)
    out = []
    for j in range(counts.shape[1]):
        column = []
        for i in range(counts.shape[0]):
            hc, hs = bool(hide_count[i, j]), bool(hide_share[i, j]) or bases[i, j] <= 0
            if hc and hs:
                column.append(BreakdownCell(None, None))
                continue
            residual = None if hc or hs else _none(residuals[i, j])
            mark = 0
            if residual is not None:
                mark = 1 if residual > critical else (-1 if residual < -critical else 0)
            column.append(BreakdownCell(
                None if hc else int(counts[i, j]), None if hs else _none(shares[i, j]),
                None if hs else _none(low[i, j]), None if hs else _none(high[i, j]), residual, mark))
        out.append(tuple(column))
    return tuple(out)


def _pool_labels(groups: _Groups, published, categories: list[str]) -> tuple[list[str], list[str]]:
    return ([groups.labels[i] for i in published.pooled_rows], [categories[j] for j in published.pooled_columns])


def _withheld(plan: Plan, kind: str, title: str, groups: _Groups, categories: list[str], sizes: np.ndarray,
              critical: float, k: int) -> QuestionBreakdown:
    return QuestionBreakdown(
        question_id=plan.question_id, code=plan.code, title=title, kind=kind,
        groups=groups.results(sizes, groups.preset | True), categories=tuple(categories),
        cells=tuple(tuple(BreakdownCell(None, None) for _g in range(groups.count)) for _c in categories),
        test=None, critical=critical, withheld=True,
        note=_("Withheld: these groups are too small to show this question without revealing fewer than "
               "%(k)d respondents' answers.", k=k))


def _public_rows(group_n: np.ndarray, groups: _Groups) -> np.ndarray:
    """Row totals known from elsewhere: a group's n for this question equal to its size."""
    return group_n == groups.sizes


def _choice(plan: Plan, one_way: OneWay, groups: _Groups, values: np.ndarray, k: int, alpha: float,
            confidence: float, critical: float) -> QuestionBreakdown:
    column = values[:, plan.main.slot]
    answered = ~np.isnan(column)
    n_options = len(one_way.codes)
    position = np.zeros(max(one_way.codes) + 1, dtype=np.int64)
    for pos, code_index in enumerate(one_way.codes):
        position[code_index] = pos
    pos = position[(column[answered] - 1).astype(np.int64)]
    flat = groups.index[answered] * n_options + pos
    table = np.bincount(flat, minlength=groups.count * n_options).reshape(groups.count, n_options).astype(np.int64)
    group_n = table.sum(axis=1)
    categories = list(one_way.labels)
    title = f"{plan.code} {plan.title}"
    prot = protect_table(table, k, groups.preset, one_way.hidden, _public_rows(group_n, groups))
    if prot is None:
        return _withheld(plan, "choice", title, groups, categories, group_n, critical, k)
    residuals = _residuals(table, confidence)
    share_mask = prot.row_share_mask()
    cells = _cells(table, group_n, prot.cells, share_mask, residuals, critical, confidence)
    published = published_table(table, prot, drop_rows=(groups.not_stated,))
    pooled_groups, pooled_categories = _pool_labels(groups, published, categories)
    test = _chi_square(published.table, pooled_groups, pooled_categories, alpha, confidence)
    return QuestionBreakdown(plan.question_id, plan.code, title, "choice", groups.results(group_n, prot.row_totals),
                             tuple(categories), cells, test, critical=critical)


def _multiple(plan: Plan, one_way: OneWay, groups: _Groups, values: np.ndarray, k: int, alpha: float,
              confidence: float, critical: float) -> QuestionBreakdown:
    answered = answered_rows(plan, values)
    group_n = np.bincount(groups.index[answered], minlength=groups.count).astype(np.int64)
    everyone = bool(answered.all())
    tables = []
    for j in range(len(plan.items)):
        chose, offered = chose_parts(plan, values, j, answered)
        ticked = np.bincount(groups.index, weights=chose, minlength=groups.count).round().astype(np.int64)
        base = group_n if everyone and offered is answered else np.bincount(
            groups.index, weights=offered, minlength=groups.count).round().astype(np.int64)
        tables.append(np.column_stack([ticked, base - ticked]).astype(np.int64))
    categories = list(one_way.labels)
    title = f"{plan.code} {plan.title}"
    public = _public_rows(group_n, groups)
    hidden_rows = groups.preset.copy()
    protections = [suppress_two_columns(t, k, hidden_rows, bool(one_way.hidden[j])) for j, t in enumerate(tables)]
    for p in protections:  # options offered in different versions have different group n: hide the union
        hidden_rows |= p.row_totals
    if (hidden_rows & public & ~groups.preset).any():
        return _withheld(plan, "multiple", title, groups, categories, group_n, critical, k)
    cells_by_option, option_tests, raw_p = [], [], []
    for j, (table, prot) in enumerate(zip(tables, protections)):
        residuals = _residuals(table, confidence)
        column = _cells(table[:, :1], table.sum(axis=1), prot.cells[:, :1],
                        (prot.cells[:, 0] | prot.row_totals)[:, None], residuals[:, :1], critical, confidence)
        cells_by_option.append(column[0])
        published = published_table(table, prot, drop_rows=(groups.not_stated,))
        pooled_groups, _pooled = _pool_labels(groups, published, [categories[j], ""])
        test = _chi_square(published.table, pooled_groups, [], alpha, confidence, label=categories[j])
        option_tests.append(test)
        raw_p.append(np.nan if test.p is None else test.p)
    adjusted = holm_adjust(np.array(raw_p, dtype=float)) if option_tests else np.zeros(0)
    option_tests = [
        TestResult(t.name, t.statistic, t.df, _none(adjusted[j]), t.effect, t.effect_name, t.n,
                   bool(np.isfinite(adjusted[j]) and adjusted[j] < alpha), t.pooled_groups, t.pooled_categories,
                   t.reason, t.label)
        for j, t in enumerate(option_tests)]
    tested = [t for t in option_tests if t.p is not None]
    summary = min(tested, key=lambda t: t.p) if tested else (option_tests[0] if option_tests else None)
    note = _("Each option is tested on its own (chose it or not, by group), Holm-adjusted across the options; "
             "the test shown is the strongest option's.")
    return QuestionBreakdown(plan.question_id, plan.code, title, "multiple", groups.results(group_n, hidden_rows),
                             tuple(categories), tuple(cells_by_option), summary, tuple(option_tests),
                             critical=critical, note=note)


def _group_mean(counts: np.ndarray, points: np.ndarray, confidence: float) -> GroupMean:
    n = int(counts.sum())
    if n == 0:
        return GroupMean(None, None, None, None)
    mean = float(counts @ points / n)
    low = high = None
    if n >= 2:
        var = float(counts @ (points - mean) ** 2) / (n - 1)
        half = float(stats.t.ppf(0.5 + confidence / 2.0, n - 1)) * np.sqrt(var / n)
        low, high = max(mean - half, points[0]), min(mean + half, points[-1])
    cum = np.cumsum(counts)
    lower = points[np.searchsorted(cum, (n + 1) // 2)]
    upper = points[np.searchsorted(cum, n // 2 + 1)]
    median = float(lower if n % 2 else (lower + upper) / 2.0)
    return GroupMean(mean, _none(low), _none(high), median)


def _scale(plan: Plan, item: tuple[int, str, np.ndarray], points: np.ndarray, groups: _Groups, values: np.ndarray,
           k: int, alpha: float, confidence: float, critical: float) -> QuestionBreakdown:
    slot, label, hidden_points = item
    column = values[:, slot]
    answered = ~np.isnan(column)
    n_points = points.size
    pos = (column[answered] - points[0]).astype(np.int64)
    table = np.bincount(groups.index[answered] * n_points + pos,
                        minlength=groups.count * n_points).reshape(groups.count, n_points).astype(np.int64)
    group_n = table.sum(axis=1)
    categories = [f"{int(p)}" for p in points]
    title = f"{plan.code} {plan.title}" + (f": {label}" if label != plan.title else "")
    prot = protect_table(table, k, groups.preset, hidden_points, _public_rows(group_n, groups))
    if prot is None:
        return _withheld(plan, "scale", title, groups, categories, group_n, critical, k)
    residuals = _residuals(table, confidence)
    share_mask = prot.row_share_mask()
    cells = _cells(table, group_n, prot.cells, share_mask, residuals, critical, confidence)
    means = tuple(None if (prot.cells[i].any() or prot.row_totals[i]) else _group_mean(table[i], points, confidence)
                  for i in range(groups.count))
    published = published_table(table, prot, ordinal=True, drop_rows=(groups.not_stated,))
    pooled_groups, pooled_categories = _pool_labels(groups, published, categories)
    name, effect_name = "Kruskal-Wallis", "epsilon²"
    if published.table.shape[0] < 2:
        test = TestResult(name, None, None, None, None, effect_name, int(published.table.sum()), False,
                          tuple(pooled_groups), tuple(pooled_categories),
                          reason=_("Too few groups or answers with figures to test."))
    else:
        kw = kruskal_from_counts(published.table)
        if kw.reason:
            test = TestResult(name, None, None, None, None, effect_name, kw.n, False, tuple(pooled_groups),
                              tuple(pooled_categories), reason=_("Too few groups or answers with figures to test."))
        else:
            test = TestResult(name, _none(kw.statistic), kw.dof, _none(kw.pvalue), _none(kw.epsilon_squared),
                              effect_name, kw.n, bool(kw.pvalue < alpha), tuple(pooled_groups),
                              tuple(pooled_categories))
    return QuestionBreakdown(plan.question_id, plan.code, title, "scale", groups.results(group_n, prot.row_totals),
                             tuple(categories), cells, test, group_means=means, critical=critical)


def _number(plan: Plan, groups: _Groups, values: np.ndarray, k: int, alpha: float, confidence: float,
            critical: float) -> QuestionBreakdown:
    column = values[:, plan.main.slot]
    answered = ~np.isnan(column)
    x = column[answered]
    g = groups.index[answered]
    group_n = np.bincount(g, minlength=groups.count).astype(np.int64)
    hidden = complement(group_n, groups.preset | ((group_n > 0) & (group_n < k)), k)
    order = np.argsort(g, kind="stable")
    splits = np.split(x[order], np.cumsum(group_n)[:-1])
    means = []
    for i, values_i in enumerate(splits):
        if hidden[i] or values_i.size == 0:
            means.append(None)
            continue
        mean = float(values_i.mean())
        low = high = None
        if values_i.size >= 2:
            half = float(stats.t.ppf(0.5 + confidence / 2.0, values_i.size - 1)) * values_i.std(ddof=1) / \
                np.sqrt(values_i.size)
            low, high = mean - half, mean + half
        means.append(GroupMean(mean, _none(low), _none(high), float(np.median(values_i))))
    tested = {groups.labels[i]: splits[i] for i in range(groups.count)
              if not hidden[i] and i != groups.not_stated and splits[i].size}
    pooled = [i for i in range(groups.count) if hidden[i] and splits[i].size]
    if pooled:
        tested[_("Other groups")] = np.concatenate([splits[i] for i in pooled])
    name, effect_name = "Kruskal-Wallis", "epsilon²"
    pooled_labels = tuple(groups.labels[i] for i in pooled)
    labels = list(tested)
    if len(tested) >= 2 and plan.main.integer and x.size and float(x.max() - x.min()) <= 10_000:
        # Whole numbers: the groups x values table gives the same H (ties and all) without sorting a
        # million values.
        low = float(x.min())
        width = int(x.max() - low) + 1
        table = np.array([np.bincount((values_g - low).astype(np.int64), minlength=width) for values_g in
                          tested.values()])
        table = table[:, table.sum(axis=0) > 0]
        kw = kruskal_from_counts(table, labels)
    elif len(tested) >= 2:
        kw = kruskal_test(tested)
    if len(tested) < 2:
        test = TestResult(name, None, None, None, None, effect_name, int(x.size), False, pooled_labels,
                          reason=_("Too few groups or answers with figures to test."))
    else:
        if kw.reason:
            test = TestResult(name, None, None, None, None, effect_name, kw.n, False, pooled_labels,
                              reason=_("Too few groups or answers with figures to test."))
        else:
            test = TestResult(name, _none(kw.statistic), kw.dof, _none(kw.pvalue), _none(kw.epsilon_squared),
                              effect_name, kw.n, bool(kw.pvalue < alpha), pooled_labels)
    return QuestionBreakdown(plan.question_id, plan.code, f"{plan.code} {plan.title}", "number",
                             groups.results(group_n, hidden), (), (), test, group_means=tuple(means),
                             critical=critical)


def breakdown_analysis(*, key: str, label: str, plans: Sequence[Plan], one_ways: dict[str, OneWay],
                       values: np.ndarray, unit_ids: np.ndarray, units: UnitIndex, unit_hidden: dict[int, bool],
                       sd_hidden: dict[int, bool], k: int, k_enterprise: int, confidence: float,
                       locale: str, enterprise: bool = False) -> BreakdownAnalysis:
    """Every question of ``plans`` crossed with the grouping variable ``key`` (protected, tested).

    By unit, or by a question whose options are units (``enterprise``), the groups are single
    enterprises: the tables use ``k_enterprise``.
    """
    k_table = k_enterprise if key == BY_UNIT or enterprise else k
    groups, grouping_plan = _groups(key, plans, one_ways, values, unit_ids, units, unit_hidden, sd_hidden)
    alpha = 1.0 - confidence
    critical = _z(confidence)
    tables: list[QuestionBreakdown] = []
    for plan in plans:
        if grouping_plan is not None and plan is grouping_plan:
            continue
        one_way = one_ways[plan.code]
        if one_way.kind == "choice":
            tables.append(_choice(plan, one_way, groups, values, k_table, alpha, confidence, critical))
        elif one_way.kind == "multiple":
            tables.append(_multiple(plan, one_way, groups, values, k_table, alpha, confidence, critical))
        elif one_way.kind == "scale":
            for item in one_way.scale_items:
                tables.append(_scale(plan, item, one_way.points, groups, values, k_table, alpha, confidence,
                                     critical))
        elif one_way.kind == "number":
            tables.append(_number(plan, groups, values, k_table, alpha, confidence, critical))
    return BreakdownAnalysis(variable=key, label=label, k=k_table, groups=groups.results(groups.sizes, groups.preset),
                             tables=tuple(tables))

