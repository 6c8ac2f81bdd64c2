"""One measurement of the indicator pipeline at one size (run by bench_features.py in a fresh process).

Anchor: reading the same record tables from Parquet into pandas, timed in the same process first. That is the
floor any pipeline over these files pays; the ratio says what validation and the indicators cost on top.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from features import SCHEMAS, validate_records
from features.pipeline import compute_indicators


def main() -> None:
    """Time the anchor, validation and indicators on the world in argv[1] at as-of argv[2]."""
    world, as_of = Path(sys.argv[1]), pd.Timestamp(sys.argv[2])
    t0 = time.perf_counter()
    rows = sum(len(pq.read_table(world / f"{s.name}.parquet").to_pandas()) for s in SCHEMAS)
    t1 = time.perf_counter()
    report = validate_records(world)
    t2 = time.perf_counter()
    frame, _ = compute_indicators(report.tables, as_of, consume=True)
    t3 = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(
        json.dumps(
            {
                "record_rows": rows,
                "output_rows": len(frame),
                "anchor_read_s": t1 - t0,
                "validate_s": t2 - t1,
                "indicators_s": t3 - t2,
                "total_s": t3 - t1,
                "peak_gib": peak,
            }
        )
    )


if __name__ == "__main__":
    main()
