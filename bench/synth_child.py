"""One measurement of world generation at one size (run by bench_synth.py in a fresh process).

Anchor: writing the very same tables to Parquet with pyarrow, timed in the same process right after. That is
the I/O floor any generator pays; the ratio says how much the generative model costs on top of it.
"""

from __future__ import annotations

import json
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from synth import WorldConfig, build_world
from synth._io import write_table


def main() -> None:
    n = int(sys.argv[1])
    tmp = Path(tempfile.mkdtemp(prefix="tk-bench-"))
    try:
        t0 = time.perf_counter()
        tables = build_world(WorldConfig(n_companies=n))
        t1 = time.perf_counter()
        for name, table in tables.items():
            write_table(table, tmp / "gen" / f"{name}.parquet")
        t2 = time.perf_counter()
        for name, table in tables.items():  # the anchor: the same bytes written again
            write_table(table, tmp / "anchor" / f"{name}.parquet")
        t3 = time.perf_counter()
        rows = sum(t.num_rows for t in tables.values())
        peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
        print(
            json.dumps(
                {
                    "companies": n,
                    "rows_written": rows,
                    "build_s": t1 - t0,
                    "write_s": t2 - t1,
                    "total_s": t2 - t0,
                    "anchor_s": t3 - t2,
                    "peak_gib": peak_gib,
                }
            )
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
