"""Benchmark: a training run on 2.5M training rows in <= 10 minutes on 2 cores, and how it grows.

Usage: ``python bench/bench_training.py [--sizes 150000,475000,1500000]`` (companies per world; the four training
folds hold about 1.7 rows per company). Worlds and their indicator tables are built once into ``var/bench/`` (not
timed: that is the synth and features benchmarks' business) and reused.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._harness import WORLDS, bench_world, growth_exponent, report, run_child

TARGET_S = 600.0
TARGET_ROWS = 2_500_000


def main() -> None:
    """Measure one training run per size in fresh processes; report the ratio to LightGBM's own fit."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="150000,475000,1500000")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    for n in sizes:
        world = bench_world(n)
        r = run_child("bench.training_child", [str(world), str((WORLDS / f"var-{n}").resolve())])
        r["companies"] = n
        r["ratio_vs_fit_anchor"] = r["total_s"] / r["anchor_fit_s"]
        r["us_per_row"] = r["total_s"] / r["training_rows"] * 1e6
        rows.append(r)
    largest = rows[-1]
    extra = {
        "anchor": "LightGBM alone fitting the same training matrix, same parameters and rounds, same process",
        "time_growth_exponent": growth_exponent([r["training_rows"] for r in rows], [r["total_s"] for r in rows]),
        "target": {"training_rows": TARGET_ROWS, "seconds": TARGET_S},
        "largest_within_target": bool(largest["training_rows"] >= TARGET_ROWS and largest["total_s"] <= TARGET_S),
    }
    cols = [
        "companies",
        "training_rows",
        "positives",
        "rounds",
        "anchor_fit_s",
        "step_setup_s",
        "step_folds_s",
        "step_lightgbm_s",
        "step_baselines_s",
        "step_evaluation_s",
        "step_plots_s",
        "step_model_s",
        "total_s",
        "ratio_vs_fit_anchor",
        "us_per_row",
        "peak_gib",
    ]
    report("training", cols, rows, extra)


if __name__ == "__main__":
    main()
