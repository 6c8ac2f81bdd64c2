"""Exact contrastive explanations: values known by hand, brute-force Shapley, additivity and the missing-value rule."""

from __future__ import annotations

import itertools
from math import factorial

import lightgbm as lgb
import numpy as np
import pytest

from models.contrastive import ContrastiveExplainer
from tests.model.hand_trees import booster

TOLERANCE = 1e-9
NAN = float("nan")


def _brute_force(model: lgb.Booster, x: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Shapley values of S -> f(x_S, r_rest), by enumerating every coalition."""
    n = len(x)
    out = np.zeros(n)
    for i in range(n):
        others = [j for j in range(n) if j != i]
        for k in range(n):
            for subset in itertools.combinations(others, k):
                h = r.copy()
                h[list(subset)] = x[list(subset)]
                without = model.predict(h[None], raw_score=True)[0]
                h[i] = x[i]
                with_i = model.predict(h[None], raw_score=True)[0]
                out[i] += factorial(k) * factorial(n - k - 1) / factorial(n) * (with_i - without)
    return out


def test_values_known_by_hand() -> None:
    # f = -1 if a <= .5; else 0 if b <= .5; else 2. Company (1, 1) scores 2, reference (0, 0) scores -1.
    # v({}) = -1, v({a}) = f(1, 0) = 0, v({b}) = f(0, 1) = -1, v({a, b}) = 2:
    # phi_a = (0 - -1)/2 + (2 - -1)/2 = 2 and phi_b = (-1 - -1)/2 + (2 - 0)/2 = 1.
    model = booster([("split", 0, 0.5, -1.0, ("split", 1, 0.5, 0.0, 2.0))], ["a", "b"])
    phi = ContrastiveExplainer.from_booster(model).explain(np.array([[1.0, 1.0]]), np.array([0.0, 0.0]))
    assert phi[0] == pytest.approx([2.0, 1.0], abs=TOLERANCE)


def test_an_indicator_equal_to_its_reference_gets_exactly_zero() -> None:
    model = booster([("split", 0, 0.5, -1.0, ("split", 1, 0.5, 0.0, 2.0)), ("split", 1, 0.5, 0.3, -0.2)], ["a", "b"])
    phi = ContrastiveExplainer.from_booster(model).explain(np.array([[1.0, 0.0]]), np.array([0.0, 0.0]))
    assert phi[0, 1] == 0.0
    assert phi[0, 0] == pytest.approx(1.0, abs=TOLERANCE)  # f(1, 0) - f(0, 0) = (0 + .3) - (-1 + .3)


def test_missing_values_take_the_default_way() -> None:
    # missing goes right (the hand-built default): a missing ``a`` scores like a large one
    model = booster([("split", 0, 0.5, -1.0, 1.0)], ["a"])
    phi = ContrastiveExplainer.from_booster(model).explain(np.array([[NAN], [0.0]]), np.array([0.0]))
    assert phi[:, 0] == pytest.approx([2.0, 0.0], abs=TOLERANCE)


def test_a_feature_split_twice_on_one_path() -> None:
    # a in (0.5, 2]: 3; a > 2: -1; a <= .5 -> b decides. Company a = 1 sits between the two thresholds.
    model = booster([("split", 0, 0.5, ("split", 1, 0.0, 0.5, -0.5), ("split", 0, 2.0, 3.0, -1.0))], ["a", "b"])
    explainer = ContrastiveExplainer.from_booster(model)
    for x, r in ([1.0, 1.0], [3.0, -1.0]), ([3.0, -1.0], [1.0, 1.0]), ([0.0, 1.0], [1.0, -1.0]):
        phi = explainer.explain(np.array([x]), np.array(r))[0]
        assert phi == pytest.approx(_brute_force(model, np.array(x), np.array(r)), abs=TOLERANCE)


@pytest.mark.parametrize(("leaves", "rounds", "missing"), [(2, 5, 0.0), (15, 30, 0.2), (63, 40, 0.3)])
def test_brute_force_shapley_on_trained_models(leaves: int, rounds: int, missing: float) -> None:
    rng = np.random.default_rng(leaves)
    n, width = 2000, 6
    x = rng.normal(size=(n, width))
    x[:, 1] = np.round(x[:, 1])  # ties and zeros
    x[rng.random(x.shape) < missing] = np.nan
    y = (np.nan_to_num(x[:, 0]) + np.nan_to_num(x[:, 1]) * np.nan_to_num(x[:, 2]) + rng.normal(size=n) > 0).astype(int)
    model = lgb.train(
        {"objective": "binary", "num_leaves": leaves, "min_data_in_leaf": 5, "verbose": -1}, lgb.Dataset(x, y), rounds
    )
    explainer = ContrastiveExplainer.from_booster(model)
    rows, refs = x[:4], x[100:102]
    which = np.array([0, 1, 1, 0])
    phi = explainer.explain(rows, refs, which)
    for i in range(len(rows)):
        assert phi[i] == pytest.approx(_brute_force(model, rows[i], refs[which[i]]), abs=TOLERANCE)
    many = explainer.explain(x, refs, np.arange(n) % 2)
    gap = model.predict(x, raw_score=True) - model.predict(refs[np.arange(n) % 2], raw_score=True)
    assert np.abs(many.sum(axis=1) - gap).max() <= TOLERANCE


def test_shapes_are_checked() -> None:
    explainer = ContrastiveExplainer.from_booster(booster([("split", 0, 0.5, -1.0, 1.0)], ["a"]))
    with pytest.raises(ValueError, match="columns"):
        explainer.explain(np.zeros((2, 2)), np.zeros(1))
    with pytest.raises(ValueError, match="reference_row"):
        explainer.explain(np.zeros((2, 1)), np.zeros(1), np.array([0, 3]))


def test_the_walk_scores_rows_exactly_as_lightgbm() -> None:
    rng = np.random.default_rng(5)
    x = rng.normal(size=(3000, 6))
    x[rng.random(x.shape) < 0.2] = np.nan
    x[:, 2] = np.where(rng.random(3000) < 0.3, 0.0, x[:, 2])
    y = (np.nan_to_num(x[:, 0]) + np.isnan(x[:, 1]) + rng.normal(size=3000) > 0.5).astype(int)
    model = lgb.train({"objective": "binary", "num_leaves": 15, "verbose": -1}, lgb.Dataset(x, y), 60)
    walker = ContrastiveExplainer.from_booster(model)
    assert np.array_equal(walker.raw_scores(x), model.predict(x, raw_score=True))
