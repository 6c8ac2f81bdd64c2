"""One training fit on a stratified sample of the negatives (run by bench_training_sample.py in a fresh process).

Timed: LightGBM with early stopping plus calibration (``training.fit.fit_risk_model``) on the training folds with
every positive and the given share of the negatives, weighted back. The folds come from the indicator cache (not
timed). Quality: average precision and precision in the top 1% on the untouched out-of-time test fold.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import average_precision_score


def main() -> None:
    """argv: world folder, folder for the indicator cache, negative share."""
    from core import settings

    world, var, share = Path(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3])
    settings.VAR_DIR = var
    from training.dataset import build_folds
    from training.fit import Hyperparameters, fit_risk_model, stack
    from training.run import resolve_split

    split = resolve_split(world, None, 24)
    folds = build_folds(world, split.folds(), split.horizon_months)
    train, validation, test = folds[:-2], folds[-2], folds[-1]
    _, y_all = stack(train)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    t0 = time.perf_counter()
    model, info = fit_risk_model(train, validation, Hyperparameters(negative_share=share), {})
    fit_s = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    y = test.frame["label"].to_numpy()
    p = model.probability(test.frame)
    top = np.argsort(-p, kind="stable")[: max(1, len(p) // 100)]
    kept = int(y_all.sum() + round((len(y_all) - y_all.sum()) * share))
    print(
        json.dumps(
            {
                "training_rows": len(y_all),
                "rows_kept_approx": kept,
                "positives": int(y_all.sum()),
                "fit_s": fit_s,
                "best_iteration": int(info["best_iteration"]),
                "test_average_precision": float(average_precision_score(y, p)),
                "test_precision_top_1pct": float(y[top].mean()),
                "test_mean_probability": float(p.mean()),
                "test_positive_rate": float(y.mean()),
                "peak_gib": peak,
                "peak_before_fit_gib": before,
            }
        )
    )


if __name__ == "__main__":
    main()
