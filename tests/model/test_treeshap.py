"""Fast exact TreeSHAP against LightGBM's own pred_contrib, on models chosen to break it."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from models import shap_values
from models.treeshap import Explainer, UnsupportedModelError

TOLERANCE = 1e-9


def _data(rng: np.random.Generator, n: int, features: int, missing: float) -> tuple[np.ndarray, np.ndarray]:
    x = rng.normal(size=(n, features))
    x[:, 1] = np.round(x[:, 1])  # many exact ties and zeros
    x[:, 2] = 3.0  # a constant feature
    x[:, 3] = np.where(rng.random(n) < 0.3, 0.0, x[:, 3])  # zeros for missing_type Zero
    x[rng.random(x.shape) < missing] = np.nan
    signal = np.nan_to_num(x[:, 0]) + np.nan_to_num(x[:, 1]) * np.nan_to_num(x[:, 4]) + np.isnan(x[:, 5])
    y = (signal + rng.normal(size=n) > 0.7).astype(int)
    return x, y


def _check(booster: lgb.Booster, x: np.ndarray) -> None:
    ours = shap_values(booster, x)
    ref = np.asarray(booster.predict(x, pred_contrib=True))
    assert ours.shape == ref.shape
    assert np.abs(ours - ref).max() <= TOLERANCE
    assert np.abs(ours.sum(axis=1) - booster.predict(x, raw_score=True)).max() <= TOLERANCE


@pytest.mark.parametrize(
    ("depth", "leaves", "rounds", "missing", "extra"),
    [
        (1, 2, 5, 0.0, {}),  # stumps
        (3, 8, 20, 0.1, {}),
        (6, 31, 40, 0.2, {}),
        (8, 31, 30, 0.05, {}),
        (-1, 63, 15, 0.1, {}),  # unlimited depth, leaf-wise: repeated features on long paths
        (10, 200, 5, 0.1, {"min_data_in_leaf": 2}),
        (4, 15, 20, 0.1, {"zero_as_missing": True}),  # missing_type Zero
        (4, 15, 20, 0.1, {"use_missing": False}),  # missing_type None: NaN is treated as 0
        (5, 31, 20, 0.1, {"objective": "regression"}),
    ],
)
def test_matches_pred_contrib(depth: int, leaves: int, rounds: int, missing: float, extra: dict) -> None:
    rng = np.random.default_rng(depth + leaves)
    x, y = _data(rng, 3000, 8, missing)
    params = {"objective": "binary", "max_depth": depth, "num_leaves": leaves, "verbosity": -1, **extra}
    booster = lgb.train(params, lgb.Dataset(x, y), rounds)
    test, _ = _data(rng, 700, 8, missing)
    test[:5] = np.nan  # rows with nothing known
    test[5:10] = 0.0
    _check(booster, test)


def test_single_leaf_trees_only_move_the_base_value() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(200, 3))
    y = (rng.random(200) < 0.3).astype(int)
    booster = lgb.train({"objective": "binary", "min_data_in_leaf": 500, "verbosity": -1}, lgb.Dataset(x, y), 3)
    assert booster.dump_model()["tree_info"][0]["num_leaves"] == 1
    _check(booster, x)
    assert np.all(shap_values(booster, x)[:, :-1] == 0)


def test_categorical_splits_fall_back_to_pred_contrib() -> None:
    rng = np.random.default_rng(2)
    frame = pd.DataFrame({"cat": pd.Categorical(rng.choice(list("abcdef"), 2000)), "num": rng.normal(size=2000)})
    y = (frame.cat.isin(["a", "c"]) ^ (frame.num > 1)).astype(int)
    booster = lgb.train(
        {"objective": "binary", "verbosity": -1, "min_data_per_group": 5, "cat_smooth": 1}, lgb.Dataset(frame, y), 10
    )
    with pytest.raises(UnsupportedModelError, match="categorical"):
        Explainer.from_booster(booster)
    x = frame.assign(cat=frame.cat.cat.codes).to_numpy(np.float64)
    assert np.array_equal(shap_values(booster, x), booster.predict(x, pred_contrib=True))


def test_memory_is_bounded_by_processing_trees_in_chunks() -> None:
    rng = np.random.default_rng(3)
    x, y = _data(rng, 3000, 8, 0.1)
    booster = lgb.train(
        {"objective": "binary", "max_depth": 6, "num_leaves": 31, "verbosity": -1}, lgb.Dataset(x, y), 30
    )
    small = Explainer.from_booster(booster, max_table_bytes=50_000)
    assert len(small.chunks()) > 1
    assert max(sum(small.table_bytes(t) for t in c) for c in small.chunks() if len(c) > 1) <= 50_000
    assert np.abs(small.shap_values(x[:300]) - booster.predict(x[:300], pred_contrib=True)).max() <= TOLERANCE


def test_rejects_a_wrong_number_of_columns() -> None:
    rng = np.random.default_rng(4)
    x, y = _data(rng, 500, 8, 0.0)
    booster = lgb.train({"objective": "binary", "verbosity": -1}, lgb.Dataset(x, y), 2)
    with pytest.raises(ValueError, match="8 columns"):
        Explainer.from_booster(booster).shap_values(x[:, :5])


def test_kept_tables_give_the_same_answers_on_new_rows() -> None:
    rng = np.random.default_rng(5)
    x, y = _data(rng, 3000, 8, 0.1)
    booster = lgb.train(
        {"objective": "binary", "max_depth": 5, "num_leaves": 20, "verbosity": -1}, lgb.Dataset(x, y), 25
    )
    explainer = Explainer.from_booster(booster)
    for rows in (x[:7], x[100:1300], x[-1:]):  # the second and third calls reuse the tables of the first
        assert np.abs(explainer.shap_values(rows) - booster.predict(rows, pred_contrib=True)).max() <= TOLERANCE


def test_ensembles_mixing_single_leaf_and_split_trees() -> None:
    rng = np.random.default_rng(6)
    x, y = _data(rng, 2000, 8, 0.1)
    # a first round where no split is allowed (one leaf), then ordinary trees on top of it
    first = lgb.train({"objective": "binary", "min_data_in_leaf": 5000, "verbosity": -1}, lgb.Dataset(x, y), 1)
    booster = lgb.train(
        {"objective": "binary", "num_leaves": 8, "verbosity": -1}, lgb.Dataset(x, y), 5, init_model=first
    )
    leaves = [t["num_leaves"] for t in booster.dump_model()["tree_info"]]
    assert min(leaves) == 1 and max(leaves) > 1
    _check(booster, x[:500])


def test_random_forests_fall_back() -> None:
    rng = np.random.default_rng(7)
    x, y = _data(rng, 2000, 8, 0.0)
    forest = lgb.train(
        {"objective": "binary", "boosting": "rf", "bagging_freq": 1, "bagging_fraction": 0.6, "verbosity": -1},
        lgb.Dataset(x, y),
        5,
    )
    with pytest.raises(UnsupportedModelError, match="random forest"):
        Explainer.from_booster(forest)
    assert np.array_equal(shap_values(forest, x[:50]), forest.predict(x[:50], pred_contrib=True))
