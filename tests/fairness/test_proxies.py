"""The proxy checks' counterfactual is exact while it re-scores only the rows a draw changed."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd

from fairness import proxies
from fairness.proxies import counterfactual


def _world(n: int = 3_000, seed: int = 3) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    group = rng.choice(["a", "b"], size=n, p=[0.3, 0.7])
    flag = (rng.random(n) < np.where(group == "a", 0.6, 0.2)).astype(np.float64)  # a proxy: a flag that tracks a
    count = rng.poisson(np.where(group == "a", 3.0, 1.0)).astype(np.float64)
    count[rng.random(n) < 0.05] = np.nan  # missing values are re-scored, never assumed unchanged
    noise = rng.normal(size=n)
    features = pd.DataFrame({"flag": flag, "count": count, "noise": noise})
    y = (rng.random(n) < 1 / (1 + np.exp(-(-3 + 1.5 * flag + 0.4 * np.nan_to_num(count))))).astype(int)
    groups = pd.DataFrame({"g": group})
    return features, groups, y


def _every_row_rescored(monkeypatch: object) -> None:
    """The naive version: every re-drawn frame scored whole, as before re-scoring was limited to changed rows."""

    def rescored(scorer, rows, unchanged, redrawn, indicator):
        return scorer(redrawn)

    monkeypatch.setattr(proxies, "_rescored", rescored)


def test_rescoring_only_changed_rows_gives_the_same_counterfactual(monkeypatch) -> None:
    features, groups, y = _world()
    booster = lgb.train(
        {"objective": "binary", "verbose": -1, "num_leaves": 7, "seed": 1}, lgb.Dataset(features, y), num_boost_round=30
    )
    calls: list[int] = []

    def scorer(frame: pd.DataFrame) -> np.ndarray:
        calls.append(len(frame))
        return np.asarray(booster.predict(frame[list(features.columns)], raw_score=True))

    score = scorer(features)
    cut = np.full(len(features), np.quantile(score, 0.9))
    sections = np.where(np.arange(len(features)) % 3 == 0, "G", "I")
    args = (features, groups, scorer, cut, [("g", "a", "b")], ("flag", "count"))
    fast = counterfactual(*args, sections=sections, score=score, seed=5)
    fast_rows = sum(calls[1:])
    calls.clear()
    with monkeypatch.context() as patched:
        _every_row_rescored(patched)
        slow = counterfactual(*args, sections=sections, score=score, seed=5)
    slow_rows = sum(calls[1:])
    assert fast == slow  # every selection rate and disparity, to the bit
    assert fast_rows < slow_rows, (fast_rows, slow_rows)  # rows that drew their own value again were not re-scored
    assert fast[0]["disparity_before"] > 1.0  # the proxy does select group a more often: a check that can fail
