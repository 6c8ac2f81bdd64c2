"""Benchmark: comparing a batch with the previous one (exact change split and alert events) against scoring it.

Usage: ``python bench/bench_changes.py [--sizes 250000,1000000,1490850,2500000] [--trees 300] [--ensemble 5]``.

Target (issue 25): alerts and change attribution for a 2.5M-company batch against the previous one in at most
2 minutes, within today's peak memory (the full register scored: 10.11 GiB, ``bench_scoring.py``). The anchor is
scoring the same rows with exact SHAP (``RiskModel.predict_frame``, what ``tegenkracht score`` computes for every
company), timed in the same process right before. Each size runs in a fresh process, so its peak memory is its own.
Sizes are compared rows: a 2.5M-company register has 1,490,850 scored (active) companies (``bench_scoring.py``);
2,500,000 rows is the bound were every company scored.

Timed, per size, as ``serving.changes`` does while a batch loads:

* reading the previous batch's values (Parquet, the rule indicators and the model's);
* the alert events of every rule over every company present in both batches (``serving.alerts.events``);
* the exact split of every company's change written to ``change.parquet`` (``serving.changes._write_change``),
  once with the same model version (the common case) and once across a model change, where the old model also
  scores the new facts (the model part's total);
* and, not part of the load, one company's model part per indicator as the change endpoint computes it on request
  (the old model's TreeSHAP of one row), for 1,000 companies: p50 and p99.

The model has the shipped shape (``--ensemble`` boosters of ``--trees`` rounds averaged; 15 leaves, depth 4, at
least 200 rows per leaf, L2 10) on the catalogue's indicators. The new batch is the old one half a year on: every
company's age moves, and one company in five changes one to three other indicators, rule indicators among them.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import pandas as pd

from bench._harness import WORLDS, report, run_child

TARGET_S, TARGET_GIB = 120.0, 10.11


def _cached_model(trees: int, members: int, seed: int) -> Any:
    """The model of :func:`_model`, trained once per shape and kept under ``bench/worlds`` (not timed)."""
    from models.risk import RiskModel

    folder = WORLDS / f"changes-model-{trees}x{members}-{seed}"
    if not (folder / "model.json").exists():
        _model(trees, members, seed).save(folder)
    return RiskModel.load(folder)


def _model(trees: int, members: int, seed: int) -> Any:
    """A RiskModel of the shipped shape on the catalogue's indicators."""
    import lightgbm as lgb

    from features.catalogue import FEATURES
    from models.ensemble import average_boosters
    from models.risk import Calibrator, RiskModel

    rng = np.random.default_rng(25)
    x = rng.normal(size=(60_000, len(FEATURES)))
    x[rng.random(x.shape) < 0.1] = np.nan
    z = np.nan_to_num(x)
    y = (z[:, :8].sum(axis=1) + z[:, 8] * z[:, 9] + 2 * rng.normal(size=len(x)) > 3).astype(int)
    params = {"objective": "binary", "num_leaves": 15, "max_depth": 4, "min_data_in_leaf": 200, "lambda_l2": 10.0,
              "verbosity": -1, "num_threads": 2, "bagging_fraction": 0.8, "bagging_freq": 1}  # fmt: skip
    boosters = [
        lgb.train({**params, "seed": seed + s}, lgb.Dataset(x, y, feature_name=list(FEATURES)), trees)
        for s in range(members)
    ]
    return RiskModel(average_boosters(boosters), Calibrator("platt", 1.0, -3.0), tuple(FEATURES), {})


def _batches(n: int, features: tuple[str, ...], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    old = rng.normal(size=(n, len(features)))
    old[rng.random(old.shape) < 0.1] = np.nan
    new = old.copy()
    new[:, 0] = np.nan_to_num(new[:, 0]) + 0.5  # everyone is half a year older
    moved = np.flatnonzero(rng.random(n) < 0.2)
    for k in range(1, 4):
        rows = moved[rng.random(len(moved)) < 1 / k]
        cols = rng.integers(1, len(features), size=len(rows))
        new[rows, cols] = np.nan_to_num(new[rows, cols]) + rng.choice([-1.0, 1.0, 2.0], size=len(rows))
    return old, new


def measure(n: int, trees: int, members: int) -> dict[str, Any]:
    """One size, in this process."""
    from serving.alerts import Side, events, load_rules, needed_indicators
    from serving.changes import _write_change

    rng = np.random.default_rng(n)
    old_model, new_model = _cached_model(trees, members, 0), _cached_model(trees, members, 100)
    features = old_model.features
    x_old, x_new = _batches(n, features, rng)
    old_model.contributions(pd.DataFrame(x_old[:2], columns=list(features)))  # numba compiles: not timed
    _write_change(Path(tempfile.mkdtemp()) / "warm.parquet", np.array(["0", "1"]), old_model, old_model,
                  x_old[:2], x_new[:2], (np.zeros(2), np.zeros(2)))  # fmt: skip
    rules = load_rules()
    wanted = [f for f in needed_indicators(rules) if f in features]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        ids = np.array([f"{10_000_000 + i:08d}" for i in range(n)], dtype=object)
        previous = pd.DataFrame(x_old, columns=list(features)).assign(company_id=ids)
        previous.to_parquet(folder / "previous.parquet", index=False, compression="zstd")
        t0 = time.perf_counter()
        scored = new_model.predict_frame(pd.DataFrame(x_new, columns=list(features)))
        anchor = time.perf_counter() - t0
        phi_new = scored[[f"shap__{f}" for f in features] + ["base_value"]].to_numpy()  # the new batch holds these
        del scored
        # both batches' scores and probabilities come from their score files in a load: computed here, not timed
        scores = (old_model.score(previous), new_model.score(pd.DataFrame(x_new, columns=list(features))))
        p_old, p_new = old_model.calibrator(scores[0]), new_model.calibrator(scores[1])
        ranks = np.full(n, np.inf)
        t0 = time.perf_counter()
        read = pd.read_parquet(folder / "previous.parquet", columns=["company_id", *features])
        x_read = read[list(features)].to_numpy(dtype=np.float64)
        t1 = time.perf_counter()
        found = events(rules, Side(p_old, ranks, {f: x_read[:, features.index(f)] for f in wanted}),
                       Side(p_new, ranks, {f: x_new[:, features.index(f)] for f in wanted}))  # fmt: skip
        t2 = time.perf_counter()
        t3 = t2
        _write_change(folder / "same.parquet", ids, old_model, old_model, x_read, x_new, scores)
        t4 = time.perf_counter()
        _write_change(folder / "both.parquet", ids, old_model, new_model, x_read, x_new, scores)
        t5 = time.perf_counter()
        check = pd.read_parquet(folder / "both.parquet")
        data = check[[c for c in map(str, check.columns) if c.startswith("data__")]].to_numpy().sum(axis=1)
        residual = np.asarray(check["old_on_new"] - check["old_score"] - data)
        request_ms, model_residual = _model_part_on_request(old_model, x_new, phi_new, check, rng)
    same = (t1 - t0) + (t2 - t1) + (t4 - t3)
    both = (t1 - t0) + (t2 - t1) + (t5 - t4)
    return {
        "companies": n,
        "anchor_score_shap_s": anchor,
        "read_previous_s": t1 - t0,
        "alert_events_s": t2 - t1,
        "events": len(found),
        "split_same_model_s": t4 - t3,
        "split_new_model_s": t5 - t4,
        "total_same_model_s": same,
        "total_new_model_s": both,
        "same_model_over_anchor": same / anchor,
        "new_model_over_anchor": both / anchor,
        "max_residual": float(np.abs(residual).max()),
        "model_split_p50_ms": float(np.percentile(request_ms, 50)),
        "model_split_p99_ms": float(np.percentile(request_ms, 99)),
        "max_model_residual": model_residual,
        "peak_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
    }


def _model_part_on_request(
    old_model: Any, x_new: np.ndarray, phi_new: np.ndarray, check: pd.DataFrame, rng: np.random.Generator
) -> tuple[np.ndarray, float]:
    """One company's model part per indicator, as ``GET /v1/companies/{id}/change`` computes it: 1,000 companies."""
    names = list(old_model.features)
    new_score, old_on_new = check["new_score"].to_numpy(dtype=float), check["old_on_new"].to_numpy(dtype=float)
    times, worst = [], 0.0
    for i in rng.integers(0, len(x_new), size=1000):
        t0 = time.perf_counter()
        phi_old = old_model.contributions(pd.DataFrame([x_new[i]], columns=names))[0]
        parts = float(np.sum(phi_new[i, :-1] - phi_old[:-1]) + (phi_new[i, -1] - phi_old[-1]))
        times.append(1000 * (time.perf_counter() - t0))
        worst = max(worst, abs(float(new_score[i] - old_on_new[i]) - parts))
    return np.asarray(times), worst


def main() -> None:
    """Each size in its own process, then one table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="250000,1000000,1490850,2500000")
    parser.add_argument("--trees", type=int, default=300)
    parser.add_argument("--ensemble", type=int, default=5)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        import json

        print(json.dumps(measure(args.one, args.trees, args.ensemble)))
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    for seed in (0, 100):  # trained once here, so no size's process pays for it
        _cached_model(args.trees, args.ensemble, seed)
    rows = [
        run_child(
            "bench.bench_changes", ["--one", str(n), "--trees", str(args.trees), "--ensemble", str(args.ensemble)]
        )
        for n in sizes
    ]
    columns = ["companies", "anchor_score_shap_s", "read_previous_s", "alert_events_s", "split_same_model_s",
               "split_new_model_s", "total_same_model_s", "total_new_model_s", "same_model_over_anchor",
               "new_model_over_anchor", "max_residual", "model_split_p99_ms", "max_model_residual",
               "peak_gib"]  # fmt: skip
    largest = rows[-1]
    extra = {
        "target": {"companies": 2_500_000, "seconds": TARGET_S, "gib": TARGET_GIB},
        "largest_within_target": bool(
            largest["companies"] >= 2_500_000
            and largest["total_new_model_s"] <= TARGET_S
            and largest["peak_gib"] <= TARGET_GIB
        ),
    }
    report("bench_changes", columns, rows, extra)


if __name__ == "__main__":
    main()
