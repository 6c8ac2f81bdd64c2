"""One measurement of the Dask path at one size (run by bench_dask.py in a fresh process).

Anchor: the single-machine path on the same partitioned records in the same process, right before: validation
plus indicators, then scoring with exact SHAP. Then, for each worker count, a fresh LocalCluster runs the same
two jobs with a fixed number of partitions; the task stream gives each kind of task's compute time, from which
docs/scaling.md builds its capacity model, and each worker reports its peak memory.
"""

from __future__ import annotations

import json
import resource
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import pandas as pd

from features import partitioned, validate_records
from features.catalogue import catalogue_hash
from features.distributed import compute_indicators_dask
from features.pipeline import IndicatorTable, compute_indicators, input_fingerprint, write_indicators
from models.risk import RiskModel
from serving.distributed_scoring import score_dask
from serving.scoring import score_file
from tegenkracht.cluster import connect


def _peak_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def _task_seconds(stream: list[dict[str, Any]]) -> dict[str, float]:
    """Compute seconds per task kind (the key's name before its token)."""
    out: dict[str, float] = defaultdict(float)
    for task in stream:
        key = task["key"][0] if isinstance(task["key"], tuple) else task["key"]
        kind = str(key).split("-", 1)[0]  # "partition_indicators-<token>": our names use underscores only
        for ss in task["startstops"]:
            if ss["action"] == "compute":
                out[kind] += ss["stop"] - ss["start"]
    return dict(out)


def _global_step(data: Path, as_of: pd.Timestamp) -> dict[str, float]:
    """The network family's global task alone: its time and the memory numpy and pandas allocate for it."""
    import tracemalloc

    from features.distributed import GRAPH_COLUMNS, global_values

    graph = {name: partitioned.read_frame(data / f"{name}.parquet", cols) for name, cols in GRAPH_COLUMNS.items()}
    graph = {name: frame.assign(_row=range(len(frame))) for name, frame in graph.items()}
    jurisdictions = partitioned.read_frame(data / "jurisdictions.parquet")
    t0 = time.perf_counter()
    global_values(graph, jurisdictions, as_of)
    seconds = time.perf_counter() - t0  # untraced: tracemalloc slows allocation-heavy code severalfold
    tracemalloc.start()
    global_values(graph, jurisdictions, as_of)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    inputs = sum(int(f.memory_usage(deep=True).sum()) for f in graph.values())
    return {"global_s": seconds, "global_traced_peak_gib": peak / 2**30, "graph_input_gib": inputs / 2**30}


def _on_cluster(
    workers: int, data: Path, model: RiskModel, as_of: pd.Timestamp, parts: int, tmp: Path
) -> dict[str, Any]:
    from distributed import get_task_stream

    t0 = time.perf_counter()
    with connect(f"local:{workers}", memory_limit="0") as client:
        started = time.perf_counter() - t0
        out = tmp / f"ind-{workers}"
        out.mkdir()
        with get_task_stream(client) as ts:
            t1 = time.perf_counter()
            meta = {"as_of": str(as_of.date()), "catalogue_hash": catalogue_hash()}
            stats: dict[str, int] = {}
            rows, _ = compute_indicators_dask(client, data, as_of, out, meta, None, parts, stats=stats)
            t2 = time.perf_counter()
        tasks = _task_seconds(ts.data)
        t3 = time.perf_counter()
        score_dask(client, model, out, tmp / f"scores-{workers}", "bench")
        t4 = time.perf_counter()
        peaks = client.run(_high_water_gib)
    return {
        "cluster_start_s": started,
        "features_s": t2 - t1,
        "score_shap_s": t4 - t3,
        "rows": rows,
        "partition_task_s": tasks.get("partition_indicators", 0.0) / parts,
        "measures_task_s": tasks.get("partition_measures", 0.0) / parts,
        "global_task_s": tasks.get("global_values", 0.0),
        "worker_peak_gib": max(peaks.values()),
        "halo_factor": stats["halo_pairs"] / stats["companies"],
    }


def _high_water_gib() -> float:
    """The worker's peak resident memory since it started (VmHWM: ru_maxrss would carry the parent's over exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 2**20
    return float("nan")


def main() -> None:
    """argv: world folder, model folder, as-of date, worker counts (comma-separated), partitions."""
    world, model_dir, as_of = Path(sys.argv[1]), Path(sys.argv[2]), pd.Timestamp(sys.argv[3])
    workers, parts = [int(w) for w in sys.argv[4].split(",")], int(sys.argv[5])
    tmp = Path(tempfile.mkdtemp())
    data = tmp / "records"
    partitioned.write_partitioned(validate_records(world).tables, data, buckets=parts, row_group_rows=100_000)
    model = RiskModel.load(model_dir)
    t0 = time.perf_counter()
    report = validate_records(data)
    frame, peers = compute_indicators(report.tables, as_of, consume=True)
    del report
    write_indicators(IndicatorTable(frame, peers, as_of, input_fingerprint(data)), tmp / "ind.parquet")
    t1 = time.perf_counter()
    score_file(model, tmp / "ind.parquet", tmp / "scores.parquet", "bench")
    t2 = time.perf_counter()
    result: dict[str, Any] = {
        "active_companies": len(frame),
        "one_machine_features_s": t1 - t0,
        "one_machine_score_s": t2 - t1,
        "one_machine_peak_gib": _peak_gib(),
    }
    del frame
    result.update(_global_step(data, as_of))
    for w in workers:
        result[f"w{w}"] = _on_cluster(w, data, model, as_of, parts, tmp)
    shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
