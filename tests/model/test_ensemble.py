"""A seed ensemble written as one LightGBM model must score and explain exactly like the mean of its members."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pytest

from models.ensemble import EnsembleError, average_boosters
from models.treeshap import shap_values


def _data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(3000, 5))
    x[rng.random(x.shape) < 0.1] = np.nan
    y = (np.nan_to_num(x[:, 0]) + 0.5 * np.nan_to_num(x[:, 1]) + rng.normal(size=len(x)) > 1.5).astype(int)
    return x, y


def _members(x: np.ndarray, y: np.ndarray, rounds: tuple[int, ...] = (20, 35, 5)) -> list[lgb.Booster]:
    params = {"objective": "binary", "num_leaves": 7, "max_depth": 3, "bagging_fraction": 0.7, "bagging_freq": 1}
    return [lgb.train({**params, "seed": s, "verbosity": -1}, lgb.Dataset(x, y), n) for s, n in enumerate(rounds)]


def test_the_average_scores_as_the_mean_of_its_members_and_its_shap_is_their_mean_shap() -> None:
    x, y = _data()
    members = _members(x, y)
    merged = average_boosters(members)
    raw = np.mean([b.predict(x, raw_score=True) for b in members], axis=0)
    assert merged.num_trees() == sum(b.num_trees() for b in members)
    assert np.abs(merged.predict(x, raw_score=True) - raw).max() <= 1e-12
    phi = shap_values(merged, x)
    assert np.abs(phi.sum(axis=1) - raw).max() <= 1e-9  # additive: contributions + base value = score
    mean_phi = np.mean([shap_values(b, x) for b in members], axis=0)
    assert np.abs(phi - mean_phi).max() <= 1e-9
    assert np.abs(phi - merged.predict(x, pred_contrib=True)).max() <= 1e-9  # LightGBM's own TreeSHAP agrees


def test_the_averaged_model_survives_its_text_form() -> None:
    x, y = _data(1)
    merged = average_boosters(_members(x, y))
    again = lgb.Booster(model_str=merged.model_to_string())
    assert np.array_equal(again.predict(x, raw_score=True), merged.predict(x, raw_score=True))


def test_one_member_is_returned_as_it_is_and_none_or_mismatched_members_are_refused() -> None:
    x, y = _data(2)
    (only,) = _members(x, y, (10,))
    assert average_boosters([only]) is only
    with pytest.raises(EnsembleError, match="at least one"):
        average_boosters([])
    other = lgb.train({"objective": "binary", "verbosity": -1}, lgb.Dataset(x[:, :3], y), 5)
    with pytest.raises(EnsembleError, match="differ"):
        average_boosters([only, other])
