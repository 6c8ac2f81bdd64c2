"""One measurement of the full scoring job at one size (run by bench_scoring.py in a fresh process).

Timed: records -> validation -> indicators -> indicator file, then the indicator file -> scores with exact SHAP
for every company (``serving.scoring.score_file``, chunked, atomic). Anchor: reading the same record tables from
Parquet, in the same process right after (so its buffers do not count towards the job's peak memory).
"""

from __future__ import annotations

import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from features import SCHEMAS, validate_records
from features.pipeline import IndicatorTable, compute_indicators, input_fingerprint, write_indicators
from models.risk import RiskModel
from serving.scoring import score_file


def main() -> None:
    """argv: world folder, model folder, as-of date."""
    world, model_dir, as_of = Path(sys.argv[1]), Path(sys.argv[2]), pd.Timestamp(sys.argv[3])
    tmp = Path(tempfile.mkdtemp())
    t1 = time.perf_counter()
    report = validate_records(world)
    frame, peers = compute_indicators(report.tables, as_of, consume=True)
    del report
    peaks = {"peak_after_indicators_gib": _peak()}
    write_indicators(IndicatorTable(frame, peers, as_of, input_fingerprint(world)), tmp / "ind.parquet")
    companies = len(frame)
    del frame
    peaks["peak_after_write_gib"] = _peak()
    t2 = time.perf_counter()
    model = RiskModel.load(model_dir)
    run = score_file(model, tmp / "ind.parquet", tmp / "scores.parquet", "bench")
    t3 = time.perf_counter()
    peak = _peak()  # before the anchor, whose freed Arrow buffers would otherwise count towards the job's peak
    t0 = time.perf_counter()
    rows = sum(pq.read_table(world / f"{s.name}.parquet").num_rows for s in SCHEMAS)
    anchor = time.perf_counter() - t0
    print(
        json.dumps(
            {
                "record_rows": rows,
                "scored_rows": run.rows,
                "active_companies": companies,
                "anchor_read_s": anchor,
                "indicators_s": t2 - t1,
                "score_shap_s": t3 - t2,
                "total_s": t3 - t1,
                "peak_gib": peak,
                **peaks,
            }
        )
    )


def _peak() -> float:
    """Peak resident memory so far (GiB); read after each stage, it says which stage set the peak."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


if __name__ == "__main__":
    main()
