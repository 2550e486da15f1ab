"""The small-cell protection of evaluator exports, on plain arrays (no database)."""

from __future__ import annotations

import numpy as np
import pytest

from survey.services.evaluator_exports import KeyColumns, k_anonymise, withhold_rare

nan = np.nan


def _withheld(values, k):
    values = np.array(values, dtype=float)
    mask = np.zeros(len(values), dtype=bool)
    withhold_rare(values, mask, k)
    return mask


def test_a_value_held_by_fewer_than_k_is_withheld_and_never_alone():
    # 2 is held by two respondents: withheld; two empty cells would point to them, so one
    # answer of the most common value (3) goes too, and the blanks hide among three.
    mask = _withheld([1, 1, 1, 2, 2, 3, 3, 3, 3, 3, 3], k=3)
    assert mask.tolist() == [False] * 3 + [True] * 3 + [False] * 5


def test_taking_answers_away_can_make_a_value_rare_in_turn():
    # b (2) is rare; three a's join it, leaving three a's: rare at k=5, so everything goes
    mask = _withheld([1, 1, 1, 1, 1, 1, 2, 2], k=5)
    assert mask.all()


def test_common_values_stay_and_no_answer_is_not_a_hiding_place():
    assert not _withheld([1, 1, 1, 2, 2, 2, nan], k=3).any()
    # one rare answer and three unanswered: the unanswered do not hide it, the rest is withheld
    mask = _withheld([1, 1, 1, 1, 2, nan, nan, nan], k=3)
    assert mask[:5].all() and not mask[5:].any()


def test_ties_take_the_smallest_value_first_so_the_result_is_stable():
    mask = _withheld([5, 5, 5, 7, 7, 7, 9], k=3)
    assert mask.tolist() == [True, True, True, False, False, False, True]


def test_a_column_answered_by_fewer_than_k_is_withheld_whole():
    mask = _withheld([4, 4, nan, nan, nan], k=3)
    assert mask.tolist() == [True, True, False, False, False]


def _check(keys: KeyColumns, withheld: np.ndarray, k: int, k_unit: int) -> None:
    """The guarantees k_anonymise states."""
    values = keys.values
    m = values.shape[1]
    for j in range(m):
        answered = ~np.isnan(values[:, j])
        shown = answered & ~withheld[:, j]
        _, counts = np.unique(values[shown, j], return_counts=True)
        assert (counts >= keys.ks[j]).all(), keys.names[j]
        alone = answered.copy()
        alone[:] = False
        withhold_rare(values[:, j], alone, keys.ks[j])  # what the rare-value pass alone withholds
        assert (withheld[alone, j]).all()
        hidden = int((withheld[:, j] & answered).sum())
        assert not alone.any() or hidden >= keys.ks[j] or hidden == int(answered.sum()), keys.names[j]
    if keys.unit is not None:
        others = [j for j in range(m) if j != keys.unit]
        assert withheld[withheld[:, others].any(axis=1), keys.unit].all()
    codes = np.where(withheld, -1, np.where(np.isnan(values), -2, values))
    rows = [tuple(r) for r in codes.tolist()]
    size = {r: rows.count(r) for r in set(rows)}
    for i, row in enumerate(rows):
        if withheld[i].all():
            continue
        unit_shown = keys.unit is not None and row[keys.unit] >= 0
        assert size[row] >= (k_unit if unit_shown else k), (i, row)


def test_rare_combinations_lose_the_unit_first():
    # unit 0: 12 people, all gender 1 but two with gender 2 (each value common on its own)
    unit = np.array([0.0] * 12 + [1.0] * 12)
    gender = np.array([1.0] * 10 + [2.0] * 2 + [2.0] * 6 + [1.0] * 6)
    keys = KeyColumns(np.column_stack([unit, gender]), ("unit_code", "gender"), (10, 5), unit=0)
    withheld = k_anonymise(keys, k=5, k_unit=10)
    _check(keys, withheld, 5, 10)
    assert withheld[10:12, 0].all()  # the two in unit 0 with gender 2 keep their gender, not their unit
    assert not withheld[:, 1].any()


@pytest.mark.parametrize("seed", range(12))
def test_random_key_tables_meet_every_guarantee(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(20, 300))
    unit = rng.choice([0, 1, 2, 3, 4, nan], size=n, p=[0.4, 0.25, 0.15, 0.1, 0.05, 0.05])
    sub = np.where(np.isnan(unit), nan, np.floor(unit / 3))
    gender = rng.choice([1, 2, 3, nan], size=n, p=[0.48, 0.48, 0.02, 0.02])
    age = rng.choice([1, 2, 3, 4, 5], size=n, p=[0.3, 0.3, 0.2, 0.15, 0.05]).astype(float)
    keys = KeyColumns(np.column_stack([unit, sub, gender, age]), ("unit_code", "sub_district_code", "gender", "age"),
                      (10, 5, 5, 5), unit=0)
    withheld = k_anonymise(keys, k=5, k_unit=10)
    _check(keys, withheld, 5, 10)
    assert (~withheld[:, 2:] & ~np.isnan(keys.values[:, 2:])).sum() > n * 0.75  # most demographics survive


def test_nothing_to_protect_gives_an_empty_mask():
    keys = KeyColumns(np.empty((0, 2)), ("unit_code", "gender"), (10, 5), unit=0)
    assert k_anonymise(keys, 5, 10).shape == (0, 2)
