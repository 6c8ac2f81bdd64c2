"""The synthetic register as a FollowTheMoney entity stream: a stand-in for what Aleph or a register export holds.

Real FtM data never reaches these machines, so the FtM importer is measured on this: the synthetic world written
as Company, Person, Address, Directorship and Ownership entities, one JSON object per line, the way ``ftm``
exports them. Importing it back must give the same record tables (up to what FtM cannot carry: employees and the
address type), which is the round trip ``tests/data/test_import.py`` checks and ``bench/bench_import.py`` times.
Sensitive attributes are not exported: FtM streams from a register would not carry them either.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from core.io import atomic_file


def _date(value: Any) -> list[str]:
    return [] if value is None or pd.isna(value) else [pd.Timestamp(value).date().isoformat()]


def _entity(entity_id: str, schema: str, **properties: list[str]) -> dict[str, Any]:
    return {"id": entity_id, "schema": schema, "properties": {k: v for k, v in properties.items() if v}}


def _rows(world: Path, name: str) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in r.items()} for r in pd.read_parquet(world / f"{name}.parquet").to_dict("records")]


def entities(world: Path) -> Iterator[dict[str, Any]]:
    """The world's companies, persons, addresses, directorships and ownerships as FtM entities."""
    for a in _rows(world, "addresses"):
        yield _entity(a["address_id"], "Address", postalCode=[a["pc4"]], city=[a["municipality"]], country=["nl"])
    for c in _rows(world, "companies"):
        yield _entity(
            f"kvk-{c['company_id']}", "Company", name=[c["name"]], registrationNumber=[c["company_id"]],
            legalForm=[c["legal_form"]], classification=[c["sbi_code"]], incorporationDate=_date(c["founded_on"]),
            dissolutionDate=_date(c["dissolved_on"]), addressEntity=[c["address_id"]], jurisdiction=["nl"],
        )  # fmt: skip
    owners = _rows(world, "ownerships")
    seats = {o["owner_id"]: o["owner_jurisdiction"] for o in owners if o["owner_type"] == "person"}
    for p in _rows(world, "persons"):
        seat = seats.get(p["person_id"])
        yield _entity(p["person_id"], "Person", country=[seat.lower()] if seat else [])
    foreign = {o["owner_id"]: o["owner_jurisdiction"] for o in owners if o["owner_type"] == "foreign_entity"}
    for owner_id, seat in sorted(foreign.items()):
        yield _entity(owner_id, "Company", name=[f"Foreign holding {owner_id}"], jurisdiction=[seat.lower()])
    for i, o in enumerate(_rows(world, "officers")):
        yield _entity(
            f"dir-{i}", "Directorship", director=[o["person_id"]], organization=[f"kvk-{o['company_id']}"],
            role=[o["role"]], startDate=_date(o["start_on"]), endDate=_date(o["end_on"]),
        )  # fmt: skip
    for i, o in enumerate(owners):
        owner = f"kvk-{o['owner_id']}" if o["owner_type"] == "company" else o["owner_id"]
        yield _entity(
            f"own-{i}", "Ownership", owner=[owner], asset=[f"kvk-{o['company_id']}"],
            percentage=[repr(float(o["share"]) * 100.0)], startDate=_date(o["start_on"]), endDate=_date(o["end_on"]),
        )  # fmt: skip


def export_ftm(world: Path, out: Path) -> int:
    """Write the stream (replaced atomically); returns the number of entities."""
    count = 0
    with atomic_file(out) as tmp, tmp.open("w", encoding="utf-8") as handle:
        for entity in entities(world):
            handle.write(json.dumps(entity, ensure_ascii=False) + "\n")
            count += 1
    return count
