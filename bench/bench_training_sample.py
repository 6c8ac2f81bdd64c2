"""Benchmark: training on one node from a stratified sample: quality and cost against the full training set.

Usage: ``python bench/bench_training_sample.py [--companies 475000] [--shares 1.0,0.3,0.1]``. The anchor is the
fit on every training row (share 1.0), in its own fresh process like every other share. docs/scaling.md uses it
to choose the share for 10M and 50M companies.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._harness import WORLDS, bench_world, report, run_child


def main() -> None:
    """One fresh process per share; ratios against share 1.0."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--companies", type=int, default=475_000)
    parser.add_argument("--shares", default="1.0,0.3,0.1")
    args = parser.parse_args()
    world = bench_world(args.companies)
    var = (WORLDS / f"var-{args.companies}").resolve()
    rows = []
    for share in [float(s) for s in args.shares.split(",")]:
        r = run_child("bench.training_sample_child", [str(world), str(var), str(share)])
        rows.append({"negative_share": share, **r})
    full = rows[0]
    for r in rows:
        r["fit_ratio"] = r["fit_s"] / full["fit_s"]
        r["average_precision_ratio"] = r["test_average_precision"] / full["test_average_precision"]
        r["calibration_ratio"] = r["test_mean_probability"] / r["test_positive_rate"]
    extra = {"anchor": "the fit on every training row (share 1.0), fresh process", "companies": args.companies}
    cols = [
        "negative_share",
        "rows_kept_approx",
        "positives",
        "fit_s",
        "fit_ratio",
        "best_iteration",
        "test_average_precision",
        "average_precision_ratio",
        "test_precision_top_1pct",
        "calibration_ratio",
        "peak_gib",
    ]
    report("training_sample", cols, rows, extra)


if __name__ == "__main__":
    main()
