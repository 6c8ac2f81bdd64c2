"""Benchmark: a FollowTheMoney entity stream → record tables → validation, at three sizes.

Usage: ``python bench/bench_import.py [--sizes 10000,40000,100000]``. Each world is generated once into
``var/bench/`` and exported as FtM (``synth/ftm.py``, not timed); the import then runs in a fresh process.
There is no target in the issue; the figures say what an import costs and how it grows.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._harness import WORLDS, bench_world, growth_exponent, report, run_child


def main() -> None:
    """Export each world, import it in a child process, report ratios to the JSON-parsing anchor and growth."""
    from synth.ftm import export_ftm

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,40000,100000")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    for n in sizes:
        stream = WORLDS / f"world-{n}.ijson"
        if not stream.exists():
            export_ftm(bench_world(n), stream)
        r = run_child("bench.import_child", [str(stream), str(WORLDS / f"imported-{n}")])
        r["companies"] = n
        r["import_vs_json_anchor"] = r["import_s"] / r["anchor_json_s"]
        r["us_per_entity"] = r["import_s"] / r["entities"] * 1e6
        rows.append(r)
    extra = {
        "anchor": "json.loads of every line of the same stream, same process, right before",
        "time_growth_exponent": growth_exponent(sizes, [r["total_s"] for r in rows]),
        "memory_growth_exponent": growth_exponent(sizes, [r["peak_gib"] for r in rows]),
    }
    cols = ["companies", "entities", "record_rows", "problems", "quarantined", "anchor_json_s", "import_s",
            "validate_s", "import_vs_json_anchor", "us_per_entity", "peak_gib"]  # fmt: skip
    report("import", cols, rows, extra)


if __name__ == "__main__":
    main()
