"""One measurement of a training run at one size (run by bench_training.py in a fresh process).

Timed: ``training.run.train`` end to end on records whose indicator tables are already cached (computing them is
the features benchmark): loading the folds and their labels, LightGBM with early stopping, calibration, the
logistic and checklist baselines, evaluation, plots, the evaluation set and drift reference, logging the pyfunc,
registration. Anchor, timed in the same process right after: LightGBM alone fitting the same training matrix with
the same parameters for the same number of rounds the run performed, once per member of the seed ensemble. The
ratio says what everything around the fit costs.
"""

from __future__ import annotations

import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import lightgbm as lgb
import numpy as np


def main() -> None:
    """argv: world folder, folder for the indicator cache."""
    from core import settings

    world, var = Path(sys.argv[1]), Path(sys.argv[2])
    tmp = Path(tempfile.mkdtemp())
    settings.VAR_DIR = var
    settings.MLFLOW_TRACKING_URI = f"sqlite:///{tmp / 'mlflow.db'}"

    from training.dataset import build_folds
    from training.fit import Hyperparameters, lgb_params, stack
    from training.run import resolve_split, train

    split = resolve_split(world, None, 24)
    build_folds(world, split.folds(), split.horizon_months)  # fills the cache; not timed
    marks: list[tuple[str, float]] = []
    t0 = time.perf_counter()
    result = train(world, split, progress=lambda name: marks.append((name, time.perf_counter())))
    t1 = time.perf_counter()
    steps = {"setup": marks[0][1] - t0, **_durations(marks, t1)}
    folds = build_folds(world, split.folds(), split.horizon_months)
    x, y = stack(folds[:-2])
    hp = Hyperparameters()
    members = [int(r) for r in result.model.metadata["member_rounds"].split(",")]
    member_rounds = [min(best + hp.early_stopping_rounds, hp.max_rounds) for best in members]
    rounds = sum(member_rounds)
    params = {**lgb_params(hp, y), "metric": "none"}  # the anchor evaluates nothing
    matrix = x.to_numpy(np.float64)
    t2 = time.perf_counter()
    for i, n in enumerate(member_rounds):  # every member of the ensemble, as the run fitted them
        lgb.train({**params, "seed": hp.seed + i}, lgb.Dataset(matrix, label=y), n)
    t3 = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(
        json.dumps(
            {
                "training_rows": len(y),
                "positives": int(y.sum()),
                "rounds": rounds,
                "total_s": t1 - t0,
                "anchor_fit_s": t3 - t2,
                "peak_gib": peak,
                **{f"step_{k}_s": v for k, v in steps.items()},
            }
        )
    )


def _durations(marks: list[tuple[str, float]], end: float) -> dict[str, float]:
    """Seconds per named step, folding the per-fold steps into one (setup: opening the MLflow run)."""
    out: dict[str, float] = {}
    for (name, start), (_, stop) in zip(marks, [*marks[1:], ("end", end)], strict=True):
        key = "folds" if name.startswith(("train ", "validation ", "test ")) else name.split()[0].lower()
        out[key] = out.get(key, 0.0) + stop - start
    return out


if __name__ == "__main__":
    main()
