"""Check: the top three raising reasons of every region's top 100, as the served batch stores them.

Usage: ``python bench/reason_facts.py`` after ``tegenkracht demo`` (it reads the store of the settings in force).

Issue 24's acceptance: none is a bare "unknown" or a value that reads as its reference. Before the issue,
Noord-Nederland's top 100 had 179 such reasons among 300. Prints one line per region and a JSON total.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select

from models import facts
from models.reasons import MISSING
from serving.batches import current_batch
from serving.store import open_store
from serving.store.tables import Signal

TOP = 100


def _faulty(reason: dict[str, object]) -> bool:
    """A bare unknown, or a value whose sentence quotes it as its peers' value."""
    key, value, ref = str(reason["key"]), reason["value"], reason["reference"]
    if "onbekend" in str(reason["text_nl"]) or "unknown" in str(reason["text_en"]):
        return True
    if value is None:
        return not key.startswith(MISSING) or key == MISSING + "unknown"
    if ref is None:
        return False
    tail = str(reason["text_nl"]).rpartition("; bij vergelijkbare bedrijven ")[2]
    shown = float(str(value))
    return value == ref or any(facts.short(key, shown, "nl", d) == tail for d in range(7))


def main() -> None:
    store = open_store()
    batch = current_batch(store)
    if batch is None:
        raise SystemExit("no batch is loaded: run `tegenkracht demo --no-serve` first")
    with store.engine.connect() as c:
        rows = c.execute(
            select(Signal.riec_region, Signal.reasons).where(Signal.batch_id == batch.id, Signal.region_rank <= TOP)
        ).all()
    per: dict[str, list[int]] = {}
    for region, text in rows:
        found = json.loads(text)[:3]
        counts = per.setdefault(region, [0, 0, 0])
        counts[0] += len(found)
        counts[1] += sum(_faulty(r) for r in found)
        counts[2] += sum(str(r["key"]).startswith(MISSING) for r in found)
    for region, (n, bad, grouped) in sorted(per.items()):
        print(
            f"{region:<28} {n:>4} reasons, {bad:>3} bare unknown or equal to the reference, {grouped:>3} grouped causes"
        )
    total = [sum(v[i] for v in per.values()) for i in range(3)]
    print(json.dumps({"batch": batch.id, "model_version": batch.model_version, "regions": len(per),
                      "reasons": total[0], "faulty": total[1], "grouped_missing": total[2]}))  # fmt: skip


if __name__ == "__main__":
    main()
