"""Benchmark: synthetic-world generation, target 2.5M companies in <= 10 minutes and <= 12 GB on 2 cores.

Usage: ``python bench/bench_synth.py [--sizes 100000,500000,2500000]``
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._harness import growth_summary, report, run_child

TARGET_S = 600.0
TARGET_GIB = 12.0


def main() -> None:
    """Measure each size in its own process and report time, memory, ratios and growth."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="100000,500000,2500000")
    sizes = [int(s) for s in parser.parse_args().sizes.split(",")]
    rows = []
    for n in sizes:
        r = run_child("bench.synth_child", [str(n)])
        r["ratio_vs_write_anchor"] = r["total_s"] / r["anchor_s"]
        r["us_per_company"] = r["total_s"] / n * 1e6
        rows.append(r)
    extra = growth_summary(
        sizes,
        rows,
        TARGET_S,
        TARGET_GIB,
        "pyarrow writing the same tables to Parquet (zstd), same process, right after",
    )
    cols = [
        "companies",
        "rows_written",
        "build_s",
        "write_s",
        "total_s",
        "anchor_s",
        "ratio_vs_write_anchor",
        "us_per_company",
        "peak_gib",
    ]
    report("synth", cols, rows, extra)


if __name__ == "__main__":
    main()
