"""Unit tests for the generator's vectorised helpers, on inputs small enough to check by hand."""

from __future__ import annotations

import numpy as np
import pytest

from synth._arrays import NAT, choice, group_choice, unique_ids
from synth._config import WorldConfig, streams


def test_group_choice_stays_in_group_and_follows_weights() -> None:
    rng = np.random.default_rng(0)
    weight_group = np.array([0, 0, 1, 1, 1, 2])
    weights = np.array([1.0, 3.0, 1.0, 0.0, 1.0, 5.0])
    groups = np.repeat([0, 1, 3], 20_000)
    pick = group_choice(rng, groups, 4, weights, weight_group)
    assert (pick[groups == 3] == -1).all(), "a group without items gets -1"
    g0 = pick[groups == 0]
    assert set(g0) == {0, 1} and np.mean(g0 == 1) == pytest.approx(0.75, abs=0.02)
    g1 = pick[groups == 1]
    assert set(g1) == {2, 4}, "zero-weight items are never drawn"


def test_choice_matches_weights() -> None:
    idx = choice(np.random.default_rng(1), 100_000, np.array([1.0, 0.0, 3.0]))
    assert np.bincount(idx, minlength=3)[1] == 0
    assert np.mean(idx == 2) == pytest.approx(0.75, abs=0.01)


def test_unique_ids_are_unique_and_in_range() -> None:
    ids = unique_ids(np.random.default_rng(2), 5000, 10_000_000, 100_000_000)
    assert len(np.unique(ids)) == 5000 and ids.min() >= 10_000_000 and ids.max() < 100_000_000
    with pytest.raises(ValueError):
        unique_ids(np.random.default_rng(2), 60, 0, 100)


def test_nat_is_numpy_nat() -> None:
    assert np.isnat(np.array([NAT]).astype("datetime64[D]"))[0]


def test_streams_are_independent_of_knobs() -> None:
    a = streams(5)["companies"].random(3)
    b = streams(5)["companies"].random(3)
    assert np.array_equal(a, b)
    assert not np.array_equal(streams(5)["cases"].random(3), a)


@pytest.mark.parametrize(
    "kwargs",
    [{"n_companies": 10}, {"label_bias": 0.5}, {"segregation": 1.5}, {"start_year": 2020, "end_year": 2019}],
)
def test_config_rejects_nonsense(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        WorldConfig(**kwargs)


def test_group_choice_without_items_gives_minus_one() -> None:
    pick = group_choice(np.random.default_rng(0), np.array([0, 1]), 2, np.array([]), np.array([], dtype=np.int64))
    assert list(pick) == [-1, -1]
