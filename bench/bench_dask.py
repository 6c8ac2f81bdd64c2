"""Benchmark: the Dask path on 1 and 2 local workers against one machine, features and score+SHAP, three sizes.

Usage: ``python bench/bench_dask.py [--sizes 100000,300000,1000000] [--workers 1,2] [--partitions 4]``. Worlds and
the bench model are made once (not timed), as for bench_scoring.py. Every figure is a ratio against the
single-machine path measured in the same process right before; docs/scaling.md turns the per-task seconds and
the workers' peak memory into a capacity model for 10M and 50M companies.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._harness import bench_world, growth_exponent, report, run_child
from bench.bench_scoring import _model


def main() -> None:
    """Measure per size in a fresh process; report ratios, speed-ups and per-company task costs."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="100000,300000,1000000")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--as-of", default="2024-12-31")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    workers = [int(w) for w in args.workers.split(",")]
    model = _model()
    rows = []
    for n in sizes:
        r = run_child(
            "bench.dask_child", [str(bench_world(n)), str(model), args.as_of, args.workers, str(args.partitions)]
        )
        row = {"companies": n, "active": r["active_companies"], "one_features_s": r["one_machine_features_s"]}
        row["one_score_s"] = r["one_machine_score_s"]
        for w in workers:
            c = r[f"w{w}"]
            row[f"w{w}_features_s"] = c["features_s"]
            row[f"w{w}_features_ratio"] = c["features_s"] / r["one_machine_features_s"]
            row[f"w{w}_score_s"] = c["score_shap_s"]
            row[f"w{w}_score_ratio"] = c["score_shap_s"] / r["one_machine_score_s"]
            row[f"w{w}_peak_gib"] = c["worker_peak_gib"]
            row[f"w{w}_partition_task_s"] = c["partition_task_s"]
            row[f"w{w}_global_task_s"] = c["global_task_s"]
            row[f"w{w}_cluster_start_s"] = c["cluster_start_s"]
        if len(workers) >= 2:
            a, b = workers[0], workers[-1]
            row["features_speedup"] = row[f"w{a}_features_s"] / row[f"w{b}_features_s"]
            row["score_speedup"] = row[f"w{a}_score_s"] / row[f"w{b}_score_s"]
        row["partition_us_per_company"] = row[f"w{workers[0]}_partition_task_s"] * args.partitions / n * 1e6
        row["measures_us_per_company"] = r[f"w{workers[0]}"]["measures_task_s"] * args.partitions / n * 1e6
        row["global_us_per_company"] = r["global_s"] / n * 1e6
        row["halo_factor"] = r[f"w{workers[0]}"]["halo_factor"]
        row["one_machine_peak_gib"] = r["one_machine_peak_gib"]
        row["global_s"] = r["global_s"]
        row["global_gib"] = r["global_traced_peak_gib"] + r["graph_input_gib"]
        rows.append(row)
    extra = {
        "anchor": "the single-machine path (validation + indicators; score_file) on the same records, same process",
        "partitions": args.partitions,
        "workers": workers,
        "as_of": args.as_of,
        "growth_exponents": {
            f"w{w}_{job}": growth_exponent(sizes, [r[f"w{w}_{job}_s"] for r in rows])
            for w in workers
            for job in ("features", "score")
        },
    }
    cols = [
        "companies",
        "one_features_s",
        *[f"w{w}_features_ratio" for w in workers],
        "one_score_s",
        *[f"w{w}_score_ratio" for w in workers],
        *(["features_speedup", "score_speedup"] if len(workers) >= 2 else []),
        "halo_factor",
        "partition_us_per_company",
        "measures_us_per_company",
        "global_us_per_company",
        "global_gib",
        *[f"w{w}_peak_gib" for w in workers],
    ]
    report("dask", cols, rows, extra)


if __name__ == "__main__":
    main()
