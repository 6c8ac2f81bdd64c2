"""Benchmark: the full register scored, records -> indicators -> scores with exact SHAP, <= 15 min and <= 12 GB.

Usage: ``python bench/bench_scoring.py [--sizes 100000,500000,2500000] [--as-of 2024-12-31]``. The model is the
default model trained once on the 150,000-company bench world (not timed) and saved as plain files.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._harness import WORLDS, bench_world, growth_summary, report, run_child

TARGET_S = 900.0
TARGET_GIB = 12.0


def _model() -> Path:
    out = WORLDS / "model"
    if not (out / "model.json").exists():
        from core import settings
        from training.run import train

        settings.VAR_DIR = (WORLDS / "var-150000").resolve()
        settings.MLFLOW_TRACKING_URI = f"sqlite:///{settings.VAR_DIR / 'mlflow.db'}"
        train(bench_world(150_000), register=False).model.save(out)
    return out


def main() -> None:
    """Measure indicators + scoring per size in fresh processes; report ratios and growth."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="100000,500000,2500000")
    parser.add_argument("--as-of", default="2024-12-31")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    model = _model()
    rows = []
    for n in sizes:
        r = run_child("bench.scoring_child", [str(bench_world(n)), str(model), args.as_of])
        r["companies"] = n
        r["ratio_vs_read_anchor"] = r["total_s"] / r["anchor_read_s"]
        r["us_per_company"] = r["total_s"] / n * 1e6
        r["score_us_per_row"] = r["score_shap_s"] / r["scored_rows"] * 1e6
        rows.append(r)
    extra = growth_summary(
        sizes, rows, TARGET_S, TARGET_GIB, "reading the same record tables from Parquet, same process, right after"
    )
    extra["as_of"] = args.as_of
    cols = [
        "companies",
        "record_rows",
        "scored_rows",
        "anchor_read_s",
        "indicators_s",
        "score_shap_s",
        "score_us_per_row",
        "total_s",
        "ratio_vs_read_anchor",
        "us_per_company",
        "peak_gib",
    ]
    report("scoring", cols, rows, extra)


if __name__ == "__main__":
    main()
