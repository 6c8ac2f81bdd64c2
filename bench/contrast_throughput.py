"""Benchmark: exact contrastive explanations and exact recourse against today's exact SHAP, side by side.

Usage: ``python bench/contrast_throughput.py [--sizes 20000 100000 400000] [--trees 300] [--ensemble 5]``.

Targets (issue 24): one company's contrastive explanation within 50 ms p99, a 2.5M-company batch adding at most 15
minutes, recourse within 200 ms per company at the shipped model's size. The anchor is the fast exact TreeSHAP
(``models.treeshap``) on the same model, rows and threads in the same process. The model has the shipped shape
(15 leaves, depth 4, at least 200 rows per leaf, L2 10; ``--ensemble`` boosters of ``--trees`` rounds averaged,
as ``training.fit`` does) on 45 indicators with missing values, trained on synthetic rows; each row is contrasted
with one of 60 peer points, as a register's sector-and-size groups give.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import lightgbm as lgb
import numpy as np
import pandas as pd

from bench._harness import report

FEATURES = 45
GROUPS = 60
REGISTER = 2_500_000


def _model(trees: int, members: int) -> tuple[lgb.Booster, np.ndarray]:
    """The shipped model's shape, on the catalogue's indicator names (so recourse knows what is contestable)."""
    from features.catalogue import FEATURES as NAMES
    from models.ensemble import average_boosters

    rng = np.random.default_rng(24)
    x = rng.normal(size=(60_000, FEATURES))
    x[rng.random(x.shape) < 0.1] = np.nan
    z = np.nan_to_num(x)
    y = (z[:, :8].sum(axis=1) + z[:, 8] * z[:, 9] + 2 * rng.normal(size=len(x)) > 3).astype(int)
    params = {"objective": "binary", "num_leaves": 15, "max_depth": 4, "min_data_in_leaf": 200, "lambda_l2": 10.0,
              "verbosity": -1, "num_threads": 2}  # fmt: skip
    boosters = [
        lgb.train(
            {**params, "seed": s, "bagging_fraction": 0.8, "bagging_freq": 1},
            lgb.Dataset(x, y, feature_name=list(NAMES[:FEATURES])),
            trees,
        )
        for s in range(members)
    ]
    return average_boosters(boosters), x


def _rows(x: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    return x[rng.integers(0, len(x), size=n)]


def _batch(booster: lgb.Booster, x: np.ndarray, sizes: list[int]) -> list[dict[str, float]]:
    from models.contrastive import ContrastiveExplainer
    from models.treeshap import Explainer

    rng = np.random.default_rng(1)
    points = np.nanmedian(_rows(x, 100 * GROUPS, rng).reshape(GROUPS, -1, FEATURES), axis=1)
    shap = Explainer.from_booster(booster)
    contrast = ContrastiveExplainer.from_booster(booster)
    shap.shap_values(x[:2])
    contrast.explain(x[:2], points[:1])  # numba compiles once (cached on disk): not timed
    out = []
    for n in sizes:
        rows = _rows(x, n, rng)
        which = rng.integers(0, GROUPS, size=n)
        t0 = time.perf_counter()
        shap.shap_values(rows)
        t1 = time.perf_counter()
        phi = contrast.explain(rows, points, which)
        t2 = time.perf_counter()
        gap = np.asarray(booster.predict(rows, raw_score=True)) - np.asarray(
            booster.predict(points[which], raw_score=True)
        )
        out.append(
            {
                "rows": n,
                "shap_s": t1 - t0,
                "contrast_s": t2 - t1,
                "contrast_per_shap": (t2 - t1) / (t1 - t0),
                "register_added_min": (t2 - t1) / n * REGISTER / 60,
                "additivity": float(np.abs(phi.sum(axis=1) - gap).max()),
            }
        )
    return out


def _single(booster: lgb.Booster, x: np.ndarray, calls: int) -> dict[str, float]:
    """One company at a time, as the API would compute it: p50 and p99 over ``calls`` companies."""
    from models.contrastive import ContrastiveExplainer
    from models.treeshap import Explainer

    rng = np.random.default_rng(2)
    point = np.nanmedian(_rows(x, 2_000, rng), axis=0)[None, :]
    shap, contrast = Explainer.from_booster(booster), ContrastiveExplainer.from_booster(booster)
    times: dict[str, list[float]] = {"shap": [], "contrast": []}
    for row in _rows(x, calls, rng):
        t0 = time.perf_counter()
        shap.shap_values(row[None, :])
        t1 = time.perf_counter()
        contrast.explain(row[None, :], point)
        t2 = time.perf_counter()
        times["shap"].append(t1 - t0)
        times["contrast"].append(t2 - t1)
    quantiles = (("p50", 50), ("p99", 99))
    return {f"{k}_{q}_ms": 1000 * float(np.percentile(v, p)) for k, v in times.items() for q, p in quantiles}


def _recourse(booster: lgb.Booster, x: np.ndarray, companies: int) -> dict[str, float]:
    """Recourse for the highest-scored companies, with the catalogue's contestable facts as candidates."""
    from features.catalogue import FEATURES as CATALOGUE
    from models.recourse import recourse
    from models.risk import Calibrator, RiskModel

    names = list(CATALOGUE[:FEATURES])
    model = RiskModel(booster, Calibrator("platt", 1.0, -3.0), tuple(names))
    rng = np.random.default_rng(3)
    rows = _rows(x, 20_000, rng)
    p = model.probability(pd.DataFrame(rows, columns=names))
    point = np.nanmedian(rows, axis=0)
    threshold = float(np.quantile(p, 0.9))
    times: list[float] = []
    sizes: list[int] = []
    found = 0
    for i in np.argsort(-p)[:companies]:
        t0 = time.perf_counter()
        result = recourse(model, rows[i], point, threshold)
        times.append(time.perf_counter() - t0)
        found += bool(result.sets)
        sizes.extend(len(s.facts) for s in result.sets[:1])
    return {
        "recourse_p50_ms": 1000 * float(np.percentile(times, 50)),
        "recourse_p99_ms": 1000 * float(np.percentile(times, 99)),
        "companies_with_a_set": found,
        "companies": companies,
        "smallest_set_mean": float(np.mean(sizes)) if sizes else float("nan"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 100_000, 400_000])
    parser.add_argument("--trees", type=int, default=300)
    parser.add_argument("--ensemble", type=int, default=5)
    parser.add_argument("--calls", type=int, default=1_000)
    parser.add_argument("--companies", type=int, default=200)
    args = parser.parse_args()
    booster, x = _model(args.trees, args.ensemble)
    rows = _batch(booster, x, args.sizes)
    single = _single(booster, x, args.calls)
    rec = _recourse(booster, x, args.companies)
    extra = {"trees": booster.num_trees(), "threads": os.cpu_count(), **single, **rec}
    print(extra)
    report(
        "contrast_throughput",
        ["rows", "shap_s", "contrast_s", "contrast_per_shap", "register_added_min", "additivity"],
        rows,
        extra,
    )


if __name__ == "__main__":
    main()
