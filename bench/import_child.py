"""One measurement of the FtM importer at one size (run by bench_import.py in a fresh process).

Anchor: ``json.loads`` of every line of the same stream, timed in the same process first: the floor any importer
of FtM's JSON lines pays. The ratio says what FtM's own validation, the mapping and writing the tables cost on top.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path


def main() -> None:
    """Time the anchor, then import (read, validate with followthemoney, map, write), then validation."""
    from features.importers.ftm import Options, read_ftm
    from features.importers.records import default_jurisdictions, write
    from features.importers.reference import Pseudonymiser, municipalities
    from features.validation import validate_records

    stream, out = Path(sys.argv[1]), Path(sys.argv[2])
    t0 = time.perf_counter()
    with stream.open(encoding="utf-8") as handle:
        entities = sum(1 for line in handle if json.loads(line))
    t1 = time.perf_counter()
    imported = read_ftm(stream, Pseudonymiser(b"bench"), municipalities(), Options(default_owner_jurisdiction="NL"))
    rows = write(imported, out, default_jurisdictions())
    t2 = time.perf_counter()
    report = validate_records(out)
    t3 = time.perf_counter()
    print(json.dumps({
        "entities": entities,
        "record_rows": sum(rows.values()),
        "problems": len(imported.report.problems),
        "quarantined": int(sum(report.quarantined_rows().values())),
        "anchor_json_s": t1 - t0,
        "import_s": t2 - t1,
        "validate_s": t3 - t2,
        "total_s": t3 - t1,
        "peak_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
    }))  # fmt: skip


if __name__ == "__main__":
    main()
