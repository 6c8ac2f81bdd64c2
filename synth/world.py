"""Generate a synthetic world: the public entry point of :mod:`synth`.

Steps run in a fixed order, each from its own random stream (see ``_config.STREAMS``), and the tables are
written to a temporary folder that replaces ``out`` only when complete.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from synth import _tables as tables_
from synth._addresses import build_addresses
from synth._companies import build_companies
from synth._config import WorldConfig, streams
from synth._events import build_cases, build_insolvencies
from synth._finance import base_revenue, build_cash_flows, build_filings
from synth._io import atomic_dir, write_manifest, write_table
from synth._ownership import build_ownerships
from synth._people import build_people
from synth._places import build_geography
from synth._property import build_properties
from synth._sensitive import build_sensitive, company_low_ses, company_non_western

GENERATOR_VERSION = "1"

#: Public record tables; a real extract provides the same.
RECORD_TABLES: tuple[str, ...] = (
    "companies",
    "addresses",
    "persons",
    "officers",
    "ownerships",
    "filings",
    "cash_flows",
    "properties",
    "insolvencies",
    "cases",
    "jurisdictions",
)
SENSITIVE_TABLES: tuple[str, ...] = ("persons", "neighbourhoods")
TRUTH_TABLES: tuple[str, ...] = ("companies",)

Progress = Callable[[str], None]


def build_world(cfg: WorldConfig, progress: Progress | None = None) -> dict[str, pa.Table]:
    """Build every table in memory; keys are relative paths without extension (``sensitive/persons``)."""
    step = progress or (lambda _name: None)
    rngs = streams(cfg.seed)
    step("geography")
    geo = build_geography(rngs["geography"])
    step("companies and networks")
    co = build_companies(cfg, geo, rngs)
    ad = build_addresses(rngs["addresses"], geo, co)
    step("officers")
    pp = build_people(rngs["officers"], cfg, co)
    ow = build_ownerships(rngs["ownership"], co, pp)
    step("filings")
    rev0 = base_revenue(rngs["filings"], co)
    fi = build_filings(rngs["filings"], cfg, co, rev0, pp.holding >= 0)
    step("cash flows")
    cf = build_cash_flows(rngs["cash_flows"], cfg, co, rev0)
    step("properties and insolvencies")
    pr = build_properties(rngs["properties"], cfg, co)
    ins = build_insolvencies(rngs["insolvencies"], co)
    step("sensitive attributes and investigations")
    sens = build_sensitive(rngs["sensitive"], cfg, geo, co, pp)
    cs = build_cases(rngs["cases"], cfg, co, company_low_ses(co, sens), company_non_western(co, pp, sens))
    step("tables")
    ids = tables_.make_ids(rngs, co, pp, ad, ow)
    persons = tables_.referenced_persons(pp, ow)
    tables = {
        "companies": tables_.companies_table(rngs["names"], co, ad, ids),
        "addresses": tables_.addresses_table(geo, ad, ids),
        "persons": tables_.persons_table(persons, ids),
        "officers": tables_.officers_table(pp, ids),
        "ownerships": tables_.ownerships_table(ow, ids),
        "filings": tables_.filings_table(fi, ids),
        "cash_flows": tables_.cash_flows_table(cf, ids),
        "properties": tables_.properties_table(rngs["ids_property"], geo, pr, ids),
        "insolvencies": tables_.insolvencies_table(ins, ids),
        "cases": tables_.cases_table(rngs["ids_case"], cs, ids),
        "jurisdictions": tables_.jurisdictions_table(),
        "truth/companies": tables_.truth_table(co, ids),
    }
    for name, table in tables_.sensitive_tables(geo, sens, persons, ids).items():
        tables[f"sensitive/{name}"] = table
    for name in list(tables):  # one table at a time, so only one unsorted copy is alive at once
        tables[name] = tables_.in_public_order(name, tables[name])
    return tables


def generate_world(cfg: WorldConfig, out: Path, progress: Progress | None = None) -> dict[str, Any]:
    """Build and write a world to ``out`` atomically; return its manifest."""
    tables = build_world(cfg, progress)
    files: dict[str, Any] = {}
    with atomic_dir(out) as tmp:
        if progress:
            progress("writing")
        for name, table in tables.items():
            rel = f"{name}.parquet"
            files[rel] = {"rows": table.num_rows, "sha256": write_table(table, tmp / rel)}
        manifest = {
            "generator": "tegenkracht.synth",
            "generator_version": GENERATOR_VERSION,
            "config": {k: (list(v) if isinstance(v, tuple) else v) for k, v in dataclasses.asdict(cfg).items()},
            "files": files,
        }
        write_manifest(tmp, manifest)
    return manifest


def world_summary(tables: dict[str, pa.Table]) -> dict[str, float]:
    """Headline figures of a built world (prevalence, case rates) for logs and docs."""
    truth = tables["truth/companies"]
    involved = np.asarray(truth.column("involved").to_numpy(zero_copy_only=False), dtype=bool)
    return {
        "companies": float(truth.num_rows),
        "prevalence": float(involved.mean()),
        "cases": float(tables["cases"].num_rows),
    }
