"""What every importer produces and how it is written: the record tables, the sensitive tables apart, a report.

An importer maps foreign records onto :mod:`features.schemas` and nothing else. It never judges a value the
schemas can judge (``tegenkracht validate`` does that next, with the same quarantine as for any extract); what it
reports is what the schemas cannot see: lines that are not records, references to entities that are not there,
values that cannot be typed, and properties or columns that have no place in the schemas. Nothing is dropped
without a line in the report.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from core.io import atomic_dir
from core.reference import JURISDICTIONS
from features.schemas import SCHEMA_BY_NAME, SCHEMAS, TableSchema, is_sensitive_name

REPORT_FILE = "import_report.json"
PROBLEMS_FILE = "import_quarantine.parquet"
SENSITIVE_DIR = "sensitive"
PROBLEM_COLUMNS = ("table", "row_key", "column", "reason", "value")
INT64_MAX = 2**63 - 1
ARROW_TYPES: dict[str, pa.DataType] = {"string": pa.string(), "date": pa.date32(), "int": pa.int64(),
                                       "float": pa.float64(), "bool": pa.bool_()}  # fmt: skip


class RecordsImportError(ValueError):
    """The input cannot be imported at all (unreadable file, bad mapping); the message says why."""


@dataclass
class ImportReport:
    """Counts and problems of one import, written beside the tables as ``import_report.json``."""

    source: str
    problems: list[dict[str, str]] = field(default_factory=list)
    unmapped: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)

    def problem(self, table: str, row_key: str, column: str, reason: str, value: Any = "") -> None:
        """One row (or line) that could not be imported as it stands, with its reason."""
        self.problems.append({"table": table, "row_key": row_key, "column": column, "reason": reason,
                              "value": "" if value is None else str(value)[:200]})  # fmt: skip

    def as_dict(self) -> dict[str, Any]:
        """For the JSON report and ``--json``."""
        return {
            "source": self.source,
            "rows": dict(sorted(self.rows.items())),
            "problems": len(self.problems),
            "problems_by_reason": dict(Counter(p["reason"] for p in self.problems).most_common()),
            "unmapped": dict(sorted(self.unmapped.items())),
            "skipped": dict(sorted(self.skipped.items())),
            "notes": self.notes,
        }


@dataclass
class Imported:
    """Record tables by schema name (absent ones are written empty), sensitive tables, and the report."""

    tables: dict[str, pd.DataFrame]
    report: ImportReport
    sensitive: dict[str, pd.DataFrame] = field(default_factory=dict)


def typed_table(frame: pd.DataFrame | None, schema: TableSchema, report: ImportReport | None = None) -> pa.Table:
    """The schema's columns in the schema's Arrow types; a missing column or table is all nulls.

    The importers check their values before this, so it is the last guard, for a value none of them checked: one
    its column's type cannot hold is never written empty in its place. With ``report`` its row is left out and
    reported; without one the write is refused.
    """
    frame = frame if frame is not None else pd.DataFrame()
    keys = [k for k in schema.key if k in frame]
    columns: dict[str, list[Any]] = {}
    unusable: set[int] = set()
    for col in schema.columns:
        values = frame[col.name] if col.name in frame else pd.Series([None] * len(frame), dtype=object)
        typed: list[Any] = []
        for row, value in enumerate(values):
            try:
                typed.append(_value(value, col.kind))
            except (ValueError, TypeError, ArithmeticError) as exc:  # Decimal's InvalidOperation is arithmetic
                typed.append(None)
                if report is None:
                    raise RecordsImportError(
                        f"table {schema.name!r}, column {col.name!r}: {value!r} is not a valid {col.kind}"
                    ) from exc
                reason = f"not a valid {col.kind}: the row is not written"
                row_key = "|".join(f"{k}={frame[k].iloc[row]}" for k in keys) or f"row {row + 1}"
                report.problem(schema.name, row_key, col.name, reason, value)
                unusable.add(row)
        columns[col.name] = typed
    keep = [i for i in range(len(frame)) if i not in unusable]
    arrays = [
        pa.array([columns[c.name][i] for i in keep] if unusable else columns[c.name], type=ARROW_TYPES[c.kind])
        for c in schema.columns
    ]
    return pa.Table.from_arrays(arrays, names=[c.name for c in schema.columns])


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value))


def _value(value: Any, kind: str) -> Any:
    """One value exactly as its Arrow type holds it; one it cannot hold raises (``int(1.5)`` would truncate)."""
    if _missing(value):
        return None
    if kind == "date":
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        text = str(value).strip()
        try:
            return date.fromisoformat(text)
        except ValueError:
            return datetime.fromisoformat(text).date()
    if kind == "int":
        if isinstance(value, bool | np.bool_):
            raise ValueError("a truth value is not a number")
        exact = Decimal(int(value)) if isinstance(value, int | np.integer) else Decimal(str(value).strip())
        if not exact.is_finite() or exact != exact.to_integral_value() or abs(exact) > INT64_MAX:
            raise ValueError("not a whole number an int64 can hold")
        return int(exact)
    if kind == "float":
        return float(value)  # inf stays inf: validation then quarantines it with its reason
    if kind == "bool":
        if isinstance(value, bool | np.bool_):
            return bool(value)
        text = str(value).strip().lower()
        if text not in ("true", "false"):
            raise ValueError("not true or false")
        return text == "true"
    return str(value)


def write(imported: Imported, out: Path, jurisdictions: pd.DataFrame | None = None) -> dict[str, int]:
    """Every record table (empty where the source has none), ``sensitive/`` when asked, the report; atomically.

    A crash leaves the previous folder or the new one, never a half-written import.
    """
    check_no_sensitive(imported.tables)
    tables = dict(imported.tables)
    if "jurisdictions" not in tables and jurisdictions is not None:
        tables["jurisdictions"] = jurisdictions
    rows: dict[str, int] = {}
    with atomic_dir(out) as tmp:
        for schema in SCHEMAS:
            table = typed_table(tables.get(schema.name), schema, imported.report)
            pq.write_table(table, tmp / f"{schema.name}.parquet")
            rows[schema.name] = table.num_rows
        if imported.sensitive:
            (tmp / SENSITIVE_DIR).mkdir()
            for name, frame in imported.sensitive.items():
                frame.to_parquet(tmp / SENSITIVE_DIR / f"{name}.parquet", index=False)
        problems = pd.DataFrame(imported.report.problems, columns=list(PROBLEM_COLUMNS)).astype("string")
        problems.to_parquet(tmp / PROBLEMS_FILE, index=False)
        imported.report.rows = rows
        (tmp / REPORT_FILE).write_text(json.dumps(imported.report.as_dict(), indent=1, ensure_ascii=False) + "\n",
                                       encoding="utf-8")  # fmt: skip
    return rows


def check_no_sensitive(tables: dict[str, pd.DataFrame]) -> None:
    """Refuse a record table that is not in the schemas or carries a sensitive column (no importer builds one)."""
    for name, frame in tables.items():
        if name not in SCHEMA_BY_NAME:
            raise RecordsImportError(f"refusing to write {name!r}: not a record table of the schemas")
        bad = [c for c in frame.columns if is_sensitive_name(c)]
        if bad:
            raise RecordsImportError(
                f"refusing to write table {name!r} with column(s) {bad}: sensitive data stays in {SENSITIVE_DIR}/"
            )


def default_jurisdictions() -> pd.DataFrame:
    """The reference list of jurisdictions shipped with the project (EU Annex I, FATF, IMF offshore centres)."""
    return pd.DataFrame([j._asdict() for j in JURISDICTIONS])
