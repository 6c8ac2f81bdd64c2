"""Benchmark: the fairness audit plus the drift monitor on 2.5M companies, <= 2 minutes on 2 cores.

Usage: ``python bench/bench_fairness.py [--sizes 250000,1000000,2500000]``. Each size runs in a fresh process
(``bench/fairness_child.py``); the figure is the time of audit + monitor as a ratio of reading the same rows
from Parquet in that process, and its growth with size.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._harness import growth_summary, report, run_child

TARGET_S = 120.0
TARGET_GIB = 12.0


def main() -> None:
    """Measure per size in fresh processes; report ratios and growth."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="250000,1000000,2500000")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    for n in sizes:
        r = run_child("bench.fairness_child", [str(n)])
        r["companies"] = n
        r["ratio_vs_read_anchor"] = r["total_s"] / r["anchor_read_s"]
        r["us_per_company"] = r["total_s"] / n * 1e6
        rows.append(r)
    extra = growth_summary(sizes, rows, TARGET_S, TARGET_GIB, "reading the same scores and indicators from Parquet")
    cols = [
        "companies",
        "audit_s",
        "monitor_s",
        "total_s",
        "anchor_read_s",
        "ratio_vs_read_anchor",
        "us_per_company",
        "monitor_with_evidently_s",
        "proxies_s",
        "peak_gib",
    ]
    report("fairness", cols, rows, extra)


if __name__ == "__main__":
    main()
