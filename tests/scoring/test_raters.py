"""Tests for scoring.raters: the additive rater x unit model and rater flags."""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from scoring.raters import AdditiveEffects, additive_effects, rater_flags
from scoring.types import ScoringInputError

NAN = np.nan

# Montgomery, D. C. (2013), Design and Analysis of Experiments, 8th ed., Wiley,
# section 4.4, Example 4.5: reaction time of a chemical process for 4
# catalysts (treatments) run in 4 batches of raw material (blocks) that hold
# only 3 runs each -- a BIBD with a = b = 4, k = r = 3, lambda = 2 (data in
# Table 4.22). Here treatments are units (rows) and blocks are raters (columns).
CATALYST = np.array(
    [
        [73.0, 74.0, NAN, 71.0],
        [NAN, 75.0, 67.0, 72.0],
        [73.0, 75.0, 68.0, NAN],
        [75.0, NAN, 72.0, 75.0],
    ]
)
BIBD_A, BIBD_K, BIBD_LAMBDA = 4, 3, 2


def _cyclic_design(n: int, per_unit: int) -> np.ndarray:
    """Boolean mask: unit u is scored by raters u, u+1, ..., u+per_unit-1 (mod n)."""
    mask = np.zeros((n, n), dtype=bool)
    for u in range(n):
        mask[u, [(u + j) % n for j in range(per_unit)]] = True
    return mask


def _round(rng, n_units=30, n_raters=12, noise=1.0, spread=2.0):
    """Complete round: unit levels, raters that differ modestly, normal noise."""
    severity = np.linspace(-spread, spread, n_raters)
    x = 60.0 + rng.normal(0, 5, (n_units, 1)) + severity + rng.normal(0, noise, (n_units, n_raters))
    return x


# ----------------------------------------------------------------------------
# published reference: Montgomery's BIBD


def test_additive_effects_bibd_treatment_effects_match_montgomery():
    # Montgomery 2013, Example 4.5: tau_i = k Q_i / (lambda a) = -9/8, -7/8, -4/8, 20/8.
    fit = additive_effects(CATALYST)

    assert fit.unit_effects == pytest.approx([-9 / 8, -7 / 8, -4 / 8, 20 / 8], abs=1e-10)


def test_additive_effects_bibd_adjusted_means_match_montgomery():
    # mu = y../N = 870/12 = 72.5 (Montgomery 2013, Example 4.5); adjusted
    # treatment means mu + tau_i = 71.375, 71.625, 72.0, 75.0.
    fit = additive_effects(CATALYST)

    assert fit.grand_mean == pytest.approx(72.5, abs=1e-10)
    assert fit.adjusted == pytest.approx([71.375, 71.625, 72.0, 75.0], abs=1e-10)
    assert fit.raw_means == pytest.approx([218 / 3, 214 / 3, 216 / 3, 222 / 3], abs=1e-10)


def test_additive_effects_bibd_effects_agree_with_textbook_formula_from_the_data():
    # Independent check of the published values: Q_i = y_i. - (1/k) sum_j n_ij y_.j,
    # tau_i = k Q_i / (lambda a) (Montgomery 2013, eqs. in section 4.4.1).
    present = ~np.isnan(CATALYST)
    block_totals = np.nansum(CATALYST, axis=0)
    q = np.nansum(CATALYST, axis=1) - (present * block_totals).sum(axis=1) / BIBD_K
    fit = additive_effects(CATALYST)

    assert fit.unit_effects == pytest.approx(BIBD_K * q / (BIBD_LAMBDA * BIBD_A), abs=1e-10)


def test_additive_effects_bibd_block_effects_match_montgomery():
    # Montgomery 2013, section 4.4 (block effects adjusted for treatments):
    # beta_j = r Q'_j / (lambda b) = 7/8, 24/8, -31/8, 0.
    fit = additive_effects(CATALYST)

    assert fit.rater_effects == pytest.approx([7 / 8, 24 / 8, -31 / 8, 0.0], abs=1e-10)


def test_additive_effects_bibd_error_mean_square_matches_montgomery():
    # Montgomery 2013, ANOVA of Example 4.5 (Table 4.23): SS_E = 3.25 on 5 df, MS_E = 0.65.
    fit = additive_effects(CATALYST)

    assert fit.dof == 5
    assert np.nansum(fit.residuals**2) == pytest.approx(3.25, abs=1e-10)
    assert fit.sigma**2 == pytest.approx(0.65, abs=1e-10)


def test_additive_effects_bibd_standard_errors_follow_from_montgomery_variance():
    # In a BIBD Cov(tau) = (k sigma^2 / (lambda a)) (I - J/a), so that
    # Var(tau_i - tau_j) = 2 k sigma^2 / (lambda a) (Montgomery 2013, section 4.4.1);
    # hence SE(tau_i) = sqrt((a-1)/a * k MS_E / (lambda a)) = sqrt(0.1828125).
    # The design is symmetric (a = b, k = r), so the block effects share it.
    fit = additive_effects(CATALYST)
    expected = np.sqrt((BIBD_A - 1) / BIBD_A * BIBD_K * 0.65 / (BIBD_LAMBDA * BIBD_A))

    assert fit.unit_se == pytest.approx(np.full(4, expected), abs=1e-10)
    assert fit.rater_se == pytest.approx(np.full(4, expected), abs=1e-10)


# ----------------------------------------------------------------------------
# complete designs, noise-free recovery, independent dense reference


def test_additive_effects_complete_design_adjusted_equals_raw_means():
    x = _round(np.random.default_rng(11), n_units=7, n_raters=5)

    fit = additive_effects(x)

    assert fit.adjusted == pytest.approx(x.mean(axis=1), abs=1e-9)
    assert fit.raw_means == pytest.approx(x.mean(axis=1), abs=1e-9)


def test_additive_effects_complete_design_rater_effects_are_column_means_minus_grand_mean():
    x = _round(np.random.default_rng(12), n_units=7, n_raters=5)

    fit = additive_effects(x)

    assert fit.grand_mean == pytest.approx(x.mean(), abs=1e-9)
    assert fit.rater_effects == pytest.approx(x.mean(axis=0) - x.mean(), abs=1e-9)
    assert fit.unit_effects == pytest.approx(x.mean(axis=1) - x.mean(), abs=1e-9)


def test_additive_effects_lenient_rater_recovered_exactly_without_noise():
    # 8 units, 8 raters, each unit scored by 3 raters in a cyclic (connected) design.
    unit_true = np.array([10.0, -4.0, 3.0, 0.0, -7.0, 5.0, 1.0, -8.0])
    rater_true = np.zeros(8)
    rater_true[2] = 5.0
    x = np.where(_cyclic_design(8, 3), 70.0 + unit_true[:, None] + rater_true[None, :], NAN)

    fit = additive_effects(x)

    assert fit.connected is True
    assert fit.rater_effects == pytest.approx(rater_true - rater_true.mean(), abs=1e-9)
    assert fit.unit_effects == pytest.approx(unit_true - unit_true.mean(), abs=1e-9)
    # fair scores are unbiased up to the common constant (the average severity) ...
    assert fit.adjusted - unit_true == pytest.approx(np.full(8, 70.0 + rater_true.mean()), abs=1e-9)
    # ... while the raw means of the three units rater 2 scored are 5/3 too high
    bias = fit.raw_means - (70.0 + unit_true)
    assert bias == pytest.approx([5 / 3, 5 / 3, 5 / 3, 0, 0, 0, 0, 0], abs=1e-9)
    assert fit.sigma == 0.0


def _dense_reference(x: np.ndarray, lam: float):
    """Textbook least squares on the full dummy-coded design (no absorption):
    beta = Z g with Z a sum-to-zero basis, ridge lam * |beta|^2."""
    n_units, n_raters = x.shape
    rows, cols = np.nonzero(~np.isnan(x))
    y = x[rows, cols]
    design = np.zeros((y.size, n_units + n_raters))
    design[np.arange(y.size), rows] = 1.0
    design[np.arange(y.size), n_units + cols] = 1.0
    basis = np.zeros((n_units + n_raters, n_units + n_raters - 1))
    basis[:n_units, :n_units] = np.eye(n_units)
    basis[n_units:, n_units:] = np.vstack([np.eye(n_raters - 1), -np.ones((1, n_raters - 1))])
    reduced = design @ basis
    penalty = np.zeros((basis.shape[1],) * 2)
    penalty[n_units:, n_units:] = lam * basis[n_units:, n_units:].T @ basis[n_units:, n_units:]
    inverse = np.linalg.inv(reduced.T @ reduced + penalty)
    theta = basis @ inverse @ reduced.T @ y
    cov = basis @ inverse @ reduced.T @ reduced @ inverse @ basis.T
    hat = reduced @ inverse @ reduced.T
    centre = np.eye(n_units) - 1.0 / n_units
    residual = y - design @ theta
    dof = y.size - np.trace(hat)
    sigma2 = residual @ residual / dof
    return {
        "adjusted": theta[:n_units],
        "rater_effects": theta[n_units:],
        "unit_se": np.sqrt(sigma2 * np.diag(centre @ cov[:n_units, :n_units] @ centre)),
        "rater_se": np.sqrt(sigma2 * np.diag(cov[n_units:, n_units:])),
        "leverage": np.diag(hat),
        "dof": dof,
    }


@pytest.mark.parametrize("shape", [(6, 9), (9, 6)])  # both absorption paths
@pytest.mark.parametrize("lam", [0.0, 2.5])
def test_additive_effects_matches_dense_least_squares(shape, lam):
    rng = np.random.default_rng(5)
    x = rng.normal(50, 5, shape)
    x[rng.random(shape) < 0.4] = NAN
    x[np.arange(min(shape)), np.arange(min(shape))] = 50.0  # keep every unit and rater scored
    x[np.arange(min(shape) - 1), np.arange(1, min(shape))] = 51.0  # and the design connected
    rows, cols = np.nonzero(~np.isnan(x))

    fit = additive_effects(x, shrinkage=lam)
    ref = _dense_reference(x, lam)

    assert fit.connected is True
    assert fit.adjusted == pytest.approx(ref["adjusted"], abs=1e-9)
    assert fit.rater_effects == pytest.approx(ref["rater_effects"], abs=1e-9)
    assert fit.unit_se == pytest.approx(ref["unit_se"], abs=1e-9)
    assert fit.rater_se == pytest.approx(ref["rater_se"], abs=1e-9)
    assert fit.leverage[rows, cols] == pytest.approx(ref["leverage"], abs=1e-9)
    assert fit.dof == pytest.approx(ref["dof"], abs=1e-9)


# ----------------------------------------------------------------------------
# connectedness and missing data


def test_additive_effects_disconnected_design_reports_two_components():
    # units 0-1 met raters 0-1, units 2-3 met raters 2-3: no chain links them
    x = np.array(
        [
            [60.0, 62.0, NAN, NAN],
            [50.0, 53.0, NAN, NAN],
            [NAN, NAN, 80.0, 70.0],
            [NAN, NAN, 75.0, 66.0],
        ]
    )

    fit = additive_effects(x)

    assert fit.connected is False
    assert [c.tolist() for c in fit.components] == [[0, 1], [2, 3]]
    assert [c.tolist() for c in fit.rater_components] == [[0, 1], [2, 3]]
    assert np.isnan(fit.grand_mean)
    assert fit.component_means == pytest.approx([56.25, 72.75], abs=1e-12)
    # sums to zero within each component
    assert fit.unit_effects == pytest.approx([4.75, -4.75, 2.25, -2.25], abs=1e-12)
    assert fit.rater_effects == pytest.approx([-1.25, 1.25, 4.75, -4.75], abs=1e-12)
    assert "not connected" in fit.note and "2 separate groups" in fit.note


def test_additive_effects_unscored_unit_and_rater_are_nan_with_reason():
    x = np.array(
        [
            [60.0, 62.0, NAN],
            [NAN, NAN, NAN],
            [50.0, 53.0, NAN],
        ]
    )

    fit = additive_effects(x)

    assert np.isnan(fit.unit_effects[1]) and np.isnan(fit.adjusted[1]) and np.isnan(fit.raw_means[1])
    assert np.isnan(fit.rater_effects[2]) and np.isnan(fit.rater_se[2])
    assert fit.connected is True
    assert [c.tolist() for c in fit.components] == [[0, 2]]
    assert "units [1] have no scores" in fit.note
    assert "raters [2] scored nothing" in fit.note


def test_additive_effects_lone_rater_component_has_nan_severity_and_note():
    x = np.array(
        [
            [60.0, 62.0, NAN],
            [50.0, 53.0, NAN],
            [NAN, NAN, 70.0],
            [NAN, NAN, 65.0],
        ]
    )

    fit = additive_effects(x)

    assert np.isnan(fit.rater_effects[2])
    assert fit.adjusted[2:] == pytest.approx([70.0, 65.0], abs=1e-12)
    assert "rater 2 is the only rater of their group" in fit.note


def test_additive_effects_exact_fit_has_nan_sigma():
    # 3 scores, 2 units + 2 raters - 1 = 3 parameters: every score fitted exactly
    x = np.array([[60.0, NAN], [50.0, 53.0]])

    fit = additive_effects(x)

    assert fit.dof == 0
    assert np.isnan(fit.sigma)
    assert np.isnan(fit.rater_se).all()
    assert "no residual degrees of freedom" in fit.note


# ----------------------------------------------------------------------------
# bad input


def test_additive_effects_one_rater_raises_naming_the_problem():
    with pytest.raises(ScoringInputError, match="one rater cannot separate rater and unit effects"):
        additive_effects(np.array([[60.0], [70.0], [65.0]]))


def test_additive_effects_only_one_rater_with_scores_raises():
    x = np.array([[60.0, NAN], [70.0, NAN]])

    with pytest.raises(ScoringInputError, match=r"one rater cannot separate .*only rater 0 of 2"):
        additive_effects(x)


@pytest.mark.parametrize(
    ("x", "message"),
    [
        (np.empty((0, 3)), "empty"),
        (np.full((3, 3), NAN), "no scores"),
        (np.array([60.0, 70.0]), "2-D"),
        (np.array([[60.0, np.inf], [70.0, 65.0]]), r"unit 0, rater 1: score inf"),
        ([["a", "b"], ["c", "d"]], "numeric"),
    ],
)
def test_additive_effects_bad_input_raises(x, message):
    with pytest.raises(ScoringInputError, match=message):
        additive_effects(x)


@pytest.mark.parametrize("shrinkage", [-1.0, np.nan, np.inf, "much"])
def test_additive_effects_bad_shrinkage_raises(shrinkage):
    with pytest.raises(ScoringInputError, match="shrinkage"):
        additive_effects(CATALYST, shrinkage=shrinkage)


def test_additive_effects_result_is_frozen():
    fit = additive_effects(CATALYST)

    with pytest.raises(dataclasses.FrozenInstanceError):
        fit.sigma = 1.0  # type: ignore[misc]
    with pytest.raises(ValueError):
        fit.rater_effects[0] = 0.0
    assert isinstance(fit, AdditiveEffects)


# ----------------------------------------------------------------------------
# shrinkage


def test_additive_effects_shrinkage_complete_design_scales_by_n_over_n_plus_lambda():
    # complete design: C = n_u I - (n_u / n_r) J, so beta(lam) = beta(0) * n_u / (n_u + lam)
    x = _round(np.random.default_rng(21), n_units=6, n_raters=4)
    plain = additive_effects(x).rater_effects

    shrunk = additive_effects(x, shrinkage=3.0).rater_effects

    assert shrunk == pytest.approx(plain * 6 / (6 + 3.0), abs=1e-10)


def test_additive_effects_shrinkage_pulls_towards_zero_monotonically():
    rng = np.random.default_rng(22)
    mask = _cyclic_design(10, 4)
    x = np.where(mask, 60 + rng.normal(0, 5, (10, 1)) + np.linspace(-6, 6, 10) + rng.normal(0, 1, (10, 10)), NAN)
    lambdas = [0.0, 0.5, 1.0, 2.0, 5.0, 20.0, 100.0]

    effects = np.array([additive_effects(x, shrinkage=lam).rater_effects for lam in lambdas])

    norms = np.linalg.norm(effects, axis=1)
    assert np.all(np.diff(norms) < 0)
    assert np.all(np.diff(np.abs(effects), axis=0) <= 1e-12)
    assert effects.sum(axis=1) == pytest.approx(np.zeros(len(lambdas)), abs=1e-9)


def test_additive_effects_shrinkage_pulls_raters_with_few_scores_harder():
    # raters 0 and 1 are both 4 points lenient; rater 0 scored 2 units, rater 1 all 12
    unit_true = np.linspace(-10, 10, 12)
    x = np.full((12, 5), NAN)
    x[:, 1:] = 60 + unit_true[:, None] + np.array([4.0, 0.0, -1.0, -1.0])
    x[[0, 5], 0] = 60 + unit_true[[0, 5]] + 4.0

    plain = additive_effects(x).rater_effects
    shrunk = additive_effects(x, shrinkage=4.0).rater_effects

    kept = shrunk / plain
    assert kept[0] < kept[1] < 1.0


# ----------------------------------------------------------------------------
# properties


@st.composite
def score_matrices(draw):
    n_units = draw(st.integers(2, 6))
    n_raters = draw(st.integers(2, 6))
    halves = draw(
        st.lists(
            st.one_of(st.none(), st.integers(0, 200)),
            min_size=n_units * n_raters,
            max_size=n_units * n_raters,
        )
    )
    x = np.array([NAN if h is None else h / 2 for h in halves]).reshape(n_units, n_raters)
    assume((np.sum(~np.isnan(x), axis=0) > 0).sum() >= 2)
    return x


def _assert_same(a, b):
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-8, equal_nan=True)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(x=score_matrices(), data=st.data(), lam=st.sampled_from([0.0, 1.5]))
def test_additive_effects_permuting_rows_and_columns_permutes_outputs(x, data, lam):
    rows = np.array(data.draw(st.permutations(range(x.shape[0]))))
    cols = np.array(data.draw(st.permutations(range(x.shape[1]))))

    fit = additive_effects(x, shrinkage=lam)
    perm = additive_effects(x[rows][:, cols], shrinkage=lam)

    for name in ("unit_effects", "adjusted", "raw_means", "unit_se"):
        _assert_same(getattr(perm, name), getattr(fit, name)[rows])
    for name in ("rater_effects", "rater_se"):
        _assert_same(getattr(perm, name), getattr(fit, name)[cols])
    _assert_same(perm.residuals, fit.residuals[rows][:, cols])
    _assert_same(perm.sigma, fit.sigma)
    assert {frozenset(rows[c].tolist()) for c in perm.components} == {frozenset(c.tolist()) for c in fit.components}
    assert perm.connected == fit.connected


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(x=score_matrices(), shift=st.integers(-400, 400).map(lambda k: k / 4), lam=st.sampled_from([0.0, 1.5]))
def test_additive_effects_adding_a_constant_shifts_only_the_level(x, shift, lam):
    fit = additive_effects(x, shrinkage=lam)
    moved = additive_effects(x + shift, shrinkage=lam)

    _assert_same(moved.grand_mean, fit.grand_mean + shift)
    _assert_same(moved.component_means, fit.component_means + shift)
    _assert_same(moved.adjusted, fit.adjusted + shift)
    _assert_same(moved.raw_means, fit.raw_means + shift)
    for name in ("unit_effects", "rater_effects", "unit_se", "rater_se", "residuals"):
        _assert_same(getattr(moved, name), getattr(fit, name))
    _assert_same(moved.sigma, fit.sigma)


# ----------------------------------------------------------------------------
# performance


def test_additive_effects_large_round_is_fast():
    # 200 units x 500 raters, 20 raters per unit (4,000 scores), as in the large benchmark round
    rng = np.random.default_rng(31)
    x = np.full((200, 500), NAN)
    for u in range(200):
        x[u, rng.choice(500, 20, replace=False)] = rng.normal(60, 5) + rng.normal(0, 3, 20)

    timings = []
    for _ in range(3):
        start = time.perf_counter()
        fit = additive_effects(x)
        timings.append(time.perf_counter() - start)

    assert fit.connected is True
    assert np.isfinite(fit.rater_se).all()
    assert min(timings) < 0.5


# ----------------------------------------------------------------------------
# rater flags


def test_rater_flags_flag_injected_lenient_rater_only():
    x = _round(np.random.default_rng(41))
    x[:, 4] += 15.0

    flags = rater_flags(x, additive_effects(x))

    assert [(f.rater, f.kinds) for f in flags if f.flagged] == [(4, ("lenient",))]
    assert flags[4].robust_z > 2.5
    assert "lenient" in flags[4].explanation and "Advisory only" in flags[4].explanation


def test_rater_flags_flag_injected_severe_rater_only():
    x = _round(np.random.default_rng(42))
    x[:, 9] -= 15.0

    flags = rater_flags(x, additive_effects(x))

    assert [(f.rater, f.kinds) for f in flags if f.flagged] == [(9, ("severe",))]


def test_rater_flags_flag_injected_noisy_rater_as_erratic():
    rng = np.random.default_rng(43)
    x = _round(rng)
    x[:, 7] += rng.normal(0, 6.0, 30)

    flags = rater_flags(x, additive_effects(x))

    assert [(f.rater, f.kinds) for f in flags if f.flagged] == [(7, ("erratic",))]
    assert flags[7].mean_square > 2.0


@pytest.mark.parametrize("seed", range(50, 55))
def test_rater_flags_flag_nobody_on_clean_data(seed):
    x = _round(np.random.default_rng(seed))

    flags = rater_flags(x, additive_effects(x), panels=["a"] * 6 + ["b"] * 6)

    assert [f.rater for f in flags if f.flagged] == []
    assert len(flags) == 12
    assert all(f.explanation.startswith(f"rater {f.rater}: no flag") for f in flags)


def test_rater_flags_off_panel_rater_breaks_with_own_panel():
    # panels differ on purpose (A lenient, C severe); rater 3 sits in A but scores like C
    rng = np.random.default_rng(44)
    severity = np.array([5.5, 6.0, 6.5, -6.0, -0.5, 0.0, 0.5, 1.0, -6.5, -6.0, -5.5, -5.0])
    x = 60 + rng.normal(0, 5, (30, 1)) + severity + rng.normal(0, 0.5, (30, 12))

    flags = rater_flags(x, additive_effects(x), panels=list("AAAABBBBCCCC"))

    assert [(f.rater, f.kinds) for f in flags if f.flagged] == [(3, ("off_panel",))]
    assert flags[3].panel_z < -2.5
    assert abs(flags[3].robust_z) < 2.5
    assert "panel 'A'" in flags[3].explanation


def test_rater_flags_without_panels_do_not_flag_off_panel():
    rng = np.random.default_rng(44)
    severity = np.array([5.5, 6.0, 6.5, -6.0, -0.5, 0.0, 0.5, 1.0, -6.5, -6.0, -5.5, -5.0])
    x = 60 + rng.normal(0, 5, (30, 1)) + severity + rng.normal(0, 0.5, (30, 12))

    flags = rater_flags(x, additive_effects(x))

    assert [f.rater for f in flags if f.flagged] == []
    assert np.isnan([f.panel_z for f in flags]).all()


def test_rater_flags_min_effect_silences_tiny_gaps():
    # raters hardly differ, so a 1-point lenient rater has a huge robust z
    rng = np.random.default_rng(45)
    x = 60 + rng.normal(0, 5, (40, 1)) + rng.normal(0, 0.05, (40, 10))
    x[:, 2] += 1.0
    fit = additive_effects(x)

    assert rater_flags(x, fit)[2].kinds == ("lenient",)
    assert rater_flags(x, fit, min_effect=2.0)[2].kinds == ()


def test_rater_flags_too_uniform_only_when_asked():
    rng = np.random.default_rng(46)
    x = _round(rng, noise=1.0)
    x[:, 5] = 60 + (x.mean(axis=1) - 60) + 0.3 + rng.normal(0, 0.01, 30)  # parrots the consensus
    fit = additive_effects(x)

    assert "too_uniform" not in rater_flags(x, fit)[5].kinds
    assert "too_uniform" in rater_flags(x, fit, mean_square_low=0.3)[5].kinds


def test_rater_flags_rater_with_one_score_gets_no_flag_and_a_note():
    x = _round(np.random.default_rng(47))
    x[1:, 0] = NAN
    x[0, 0] += 40.0

    flags = rater_flags(x, additive_effects(x))

    assert flags[0].kinds == ()
    assert flags[0].n_scores == 1
    assert "not enough data" in flags[0].explanation


def test_rater_flags_never_change_scores_or_effects():
    x = _round(np.random.default_rng(48))
    x[:, 4] += 15.0
    before = x.copy()
    fit = additive_effects(x)
    effects_before = fit.rater_effects.copy()

    rater_flags(x, fit)

    np.testing.assert_array_equal(x, before)
    np.testing.assert_array_equal(fit.rater_effects, effects_before)


def test_rater_flags_mismatched_x_raises():
    x = _round(np.random.default_rng(49))
    fit = additive_effects(x)
    other = x.copy()
    other[3, 2] = NAN

    with pytest.raises(ScoringInputError, match="unit 3, rater 2"):
        rater_flags(other, fit)
    with pytest.raises(ScoringInputError, match="shape"):
        rater_flags(x[:, :5], fit)


def test_rater_flags_panels_of_wrong_length_raise():
    x = _round(np.random.default_rng(49))

    with pytest.raises(ScoringInputError, match="panels has 3 labels but x has 12 raters"):
        rater_flags(x, additive_effects(x), panels=["a", "b", "c"])


# ----------------------------------------------------------------------------
# naming units and raters by id


# Units A, B share raters r1, r2; unit C has only r3; unit D and rater r4 have no score.
SPLIT = np.array([[1.0, 2.0, NAN, NAN], [3.0, 4.5, NAN, NAN], [NAN, NAN, 5.0, NAN], [NAN, NAN, NAN, NAN]])
SPLIT_UNITS, SPLIT_RATERS = ["A", "B", "C", "D"], ["r1", "r2", "r3", "r4"]


def test_additive_effects_note_names_units_and_raters_by_index_without_ids():
    note = additive_effects(SPLIT).note

    assert "2 separate groups share no rater (units [0, 1], units [2])" in note
    assert "units [3] have no scores" in note
    assert "raters [3] scored nothing" in note
    assert "rater 2 is the only rater of their group" in note
    assert "unit 2 shares no rater with any other unit" in note


def test_additive_effects_note_names_units_and_raters_by_id_when_given():
    fit = additive_effects(SPLIT, unit_ids=SPLIT_UNITS, rater_ids=SPLIT_RATERS)

    assert "2 separate groups share no rater (units [A, B], units [C])" in fit.note
    assert "units [D] have no scores" in fit.note
    assert "raters [r4] scored nothing" in fit.note
    assert "rater r3 is the only rater of their group" in fit.note
    assert "unit C shares no rater with any other unit" in fit.note
    assert (fit.unit_ids, fit.rater_ids) == (tuple(SPLIT_UNITS), tuple(SPLIT_RATERS))


def test_additive_effects_ids_change_no_number():
    plain = additive_effects(CATALYST, shrinkage=1.0)
    named = additive_effects(CATALYST, shrinkage=1.0, unit_ids=list("wxyz"), rater_ids=["b1", "b2", "b3", "b4"])

    for field in ("unit_effects", "rater_effects", "unit_se", "rater_se", "adjusted", "residuals", "leverage"):
        np.testing.assert_array_equal(getattr(named, field), getattr(plain, field))


def test_additive_effects_errors_name_raters_and_units_by_id():
    with pytest.raises(ScoringInputError, match=r"only rater r1 of 2 has any score"):
        additive_effects(np.array([[60.0, NAN], [70.0, NAN]]), rater_ids=["r1", "r2"])
    with pytest.raises(ScoringInputError, match=r"^unit B, rater r2: score inf is not finite"):
        additive_effects(np.array([[1.0, 2.0], [3.0, np.inf]]), unit_ids=["A", "B"], rater_ids=["r1", "r2"])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rater_ids": ["r1", "r2"]}, r"^rater_ids has 2 ids but x has 4 raters \(columns\)$"),
        ({"unit_ids": ["A"]}, r"^unit_ids has 1 ids but x has 4 units \(rows\)$"),
        ({"rater_ids": "r1r2"}, r"^rater_ids must be a sequence of ids, not the string 'r1r2'$"),
    ],
)
def test_additive_effects_ids_of_the_wrong_length_raise(kwargs, message):
    with pytest.raises(ScoringInputError, match=message):
        additive_effects(SPLIT, **kwargs)


def test_rater_flags_explanations_name_raters_by_the_fit_ids():
    fit = additive_effects(SPLIT, unit_ids=SPLIT_UNITS, rater_ids=SPLIT_RATERS)

    flags = rater_flags(SPLIT, fit)

    assert [f.explanation.split(":")[0] for f in flags] == ["rater r1", "rater r2", "rater r3", "rater r4"]
    assert flags[2].explanation == "rater r3: 1 score, not enough data to judge (at least 2 are needed); no flag."
    assert [f.rater for f in flags] == [0, 1, 2, 3]  # the index stays the field


def test_rater_flags_explicit_rater_ids_override_and_default_is_the_index():
    x = _round(np.random.default_rng(1))
    x[:, 4] += 15.0
    fit = additive_effects(x)
    ids = [f"rep{i:02d}" for i in range(x.shape[1])]

    by_index = rater_flags(x, fit)
    by_id = rater_flags(x, fit, rater_ids=ids)

    assert by_index[4].explanation.startswith("rater 4: lenient: ")
    assert by_id[4].explanation == by_index[4].explanation.replace("rater 4:", "rater rep04:", 1)
    with pytest.raises(ScoringInputError, match=r"^rater_ids has 3 ids but x has 12 raters \(columns\)$"):
        rater_flags(x, fit, rater_ids=ids[:3])


def test_rater_flags_compare_raters_within_their_component_only():
    # two separate groups with very different score levels: nobody is lenient
    rng = np.random.default_rng(50)
    left = _round(rng, n_units=15, n_raters=6)
    right = _round(rng, n_units=15, n_raters=6) + 30.0
    x = np.full((30, 12), NAN)
    x[:15, :6] = left
    x[15:, 6:] = right

    flags = rater_flags(x, additive_effects(x))

    assert [f.rater for f in flags if f.flagged] == []
