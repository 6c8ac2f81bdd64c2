"""Benchmark: records -> indicators, target a 2.5M-company world in <= 10 minutes and <= 12 GB on 2 cores.

Usage: ``python bench/bench_features.py [--sizes 100000,500000,2500000] [--as-of 2024-12-31]``. Worlds are
generated once into ``var/bench/`` (not timed) and reused.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._harness import bench_world, growth_summary, report, run_child

TARGET_S = 600.0
TARGET_GIB = 12.0


def main() -> None:
    """Measure validation + indicators per size in fresh processes; report ratios and growth."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="100000,500000,2500000")
    parser.add_argument("--as-of", default="2024-12-31")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    for n in sizes:
        r = run_child("bench.features_child", [str(bench_world(n)), args.as_of])
        r["companies"] = n
        r["ratio_vs_read_anchor"] = r["total_s"] / r["anchor_read_s"]
        r["us_per_company"] = r["total_s"] / n * 1e6
        rows.append(r)
    extra = growth_summary(
        sizes,
        rows,
        TARGET_S,
        TARGET_GIB,
        "reading the same record tables from Parquet into pandas, same process, right before",
    )
    extra["as_of"] = args.as_of
    cols = [
        "companies",
        "record_rows",
        "output_rows",
        "anchor_read_s",
        "validate_s",
        "indicators_s",
        "total_s",
        "ratio_vs_read_anchor",
        "us_per_company",
        "peak_gib",
    ]
    report("features", cols, rows, extra)


if __name__ == "__main__":
    main()
