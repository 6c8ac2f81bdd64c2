"""Validate record tables against :mod:`features.schemas`; bad rows go to quarantine, good rows go on.

Nothing is dropped silently. Every rejected row is written to quarantine with its table, row key, column and
reason; a table that is missing, unreadable, lacks a required column or carries a sensitive attribute stops
the run with a clear error, because no row of it can be trusted to mean what the schema says.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow.parquet as pq

from features.schemas import SCHEMA_BY_NAME, SCHEMAS, Column, TableSchema, is_sensitive_name

log = logging.getLogger(__name__)

QUARANTINE_COLUMNS = ("table", "row_key", "column", "reason", "value")


class RecordsError(Exception):
    """A whole table cannot be used: missing, unreadable, incomplete, or carrying sensitive attributes."""


@dataclass
class ValidationReport:
    """Valid rows per table, and one quarantine entry per (row, problem)."""

    tables: dict[str, pd.DataFrame]
    quarantine: pd.DataFrame
    rows_in: dict[str, int] = field(default_factory=dict)

    def quarantined_rows(self) -> dict[str, int]:
        """Distinct quarantined rows per table."""
        if self.quarantine.empty:
            return {t: 0 for t in self.rows_in}
        counts = self.quarantine.drop_duplicates(["table", "row_key"]).groupby("table").size()
        return {t: int(counts.get(t, 0)) for t in self.rows_in}

    @property
    def ok(self) -> bool:
        """True when no row was quarantined."""
        return self.quarantine.empty


def read_table(folder: Path, schema: TableSchema) -> pd.DataFrame:
    """Read one table's Parquet file, refusing what cannot be validated row by row."""
    path = folder / f"{schema.name}.parquet"
    if not path.exists():
        raise RecordsError(f"table '{schema.name}' is missing: expected {path}")
    try:
        df = pq.read_table(path).to_pandas(date_as_object=False)
    except Exception as exc:  # pyarrow raises several types for corrupt files
        raise RecordsError(f"table '{schema.name}' is unreadable ({path}): {exc}") from exc
    sensitive = [c for c in df.columns if is_sensitive_name(str(c))]
    if sensitive:
        raise RecordsError(
            f"table '{schema.name}' carries sensitive attribute column(s) {sensitive}; "
            "sensitive attributes belong in sensitive/ and are read by the fairness audit only"
        )
    missing = [c for c in schema.column_names if c not in df.columns]
    if missing:
        raise RecordsError(f"table '{schema.name}' lacks required column(s) {missing}")
    extra = [c for c in df.columns if c not in schema.column_names]
    if extra:
        log.warning("table %s: ignoring unknown column(s) %s", schema.name, extra)
    return df[list(schema.column_names)].reset_index(drop=True)


def _coerce(raw: pd.Series, col: Column) -> pd.Series:
    if col.kind == "date":
        if pd.api.types.is_datetime64_any_dtype(raw):
            return raw.astype("datetime64[ns]")
        return pd.to_datetime(raw.astype("string"), errors="coerce", format="ISO8601")
    if col.kind in ("int", "float"):
        num = pd.to_numeric(raw, errors="coerce")
        if col.kind == "int":
            num = num.where(np.isclose(num, np.round(num)) | num.isna())
            return num.astype("Int64") if num.isna().any() else num.astype("int64")
        return num.astype("float64")
    if col.kind == "bool":
        return raw.map({True: True, False: False, "true": True, "false": False}).astype("boolean")
    return raw.where(raw.isna(), raw.astype(str)).astype("string")


def _pandera_schema(schema: TableSchema) -> pa.DataFrameSchema:
    """Value checks per column; nulls and types are handled before this runs."""
    columns: dict[str, pa.Column] = {}
    for col in schema.columns:
        checks: list[pa.Check] = []
        if col.min is not None:
            checks.append(pa.Check.ge(col.min))
        if col.max is not None:
            checks.append(pa.Check.le(col.max))
        if col.allowed is not None:
            checks.append(pa.Check.isin(list(col.allowed)))
        if col.pattern is not None:
            checks.append(pa.Check.str_matches(col.pattern))
        columns[col.name] = pa.Column(checks=checks, nullable=True, coerce=False)
    return pa.DataFrameSchema(columns, strict=False)


def _row_keys(raw: pd.DataFrame, key: tuple[str, ...], rows: np.ndarray) -> list[str]:
    parts = [f"{k}=" + raw[k].iloc[rows].astype(str) for k in key]
    joined = parts[0]
    for p in parts[1:]:
        joined = joined + "|" + p
    return list(joined.reset_index(drop=True))


def _entries(
    table: str, raw: pd.DataFrame, key: tuple[str, ...], rows: Iterable[int], column: str, reason: str
) -> pd.DataFrame:
    idx = np.asarray(sorted(set(int(r) for r in rows)), dtype=np.int64)
    values = raw[column].iloc[idx].astype(str).to_numpy() if column in raw.columns else np.full(len(idx), "")
    return pd.DataFrame(
        {
            "table": table,
            "row_key": _row_keys(raw, key, idx),
            "column": column,
            "reason": reason,
            "value": values,
            "_row": idx,
        }
    )


def validate_table(raw: pd.DataFrame, schema: TableSchema) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Type, value, row-rule and key checks for one table; returns (typed frame, quarantine entries)."""
    found: list[pd.DataFrame] = []
    typed = pd.DataFrame(index=raw.index)
    for col in schema.columns:
        typed[col.name] = _coerce(raw[col.name], col)
        bad_type = raw[col.name].notna() & typed[col.name].isna()
        if bad_type.any():
            found.append(
                _entries(
                    schema.name,
                    raw,
                    schema.key,
                    np.flatnonzero(bad_type),
                    col.name,
                    f"not a valid {col.kind}",
                )
            )
        if not col.nullable:
            missing = raw[col.name].isna()
            if missing.any():
                found.append(_entries(schema.name, raw, schema.key, np.flatnonzero(missing), col.name, "missing value"))
    try:
        _pandera_schema(schema).validate(typed, lazy=True)
    except pa.errors.SchemaErrors as err:
        fc = err.failure_cases.dropna(subset=["index"])
        for (column, check), grp in fc.groupby(["column", "check"]):
            found.append(
                _entries(
                    schema.name,
                    raw,
                    schema.key,
                    grp["index"].astype(int),
                    str(column),
                    f"failed check {check}",
                )
            )
    for rule in schema.row_checks:
        bad = rule.bad(typed).fillna(False).to_numpy(dtype=bool)
        if bad.any():
            found.append(
                _entries(
                    schema.name,
                    raw,
                    schema.key,
                    np.flatnonzero(bad),
                    ",".join(rule.columns),
                    rule.description,
                )
            )
    dup = typed.duplicated(list(schema.key), keep=False).to_numpy()
    if dup.any():
        found.append(
            _entries(
                schema.name,
                raw,
                schema.key,
                np.flatnonzero(dup),
                ",".join(schema.key),
                "duplicate key: several rows share it, none can be trusted",
            )
        )
    quarantine = pd.concat(found, ignore_index=True) if found else _empty_quarantine()
    return typed, quarantine


def _empty_quarantine() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="string") for c in QUARANTINE_COLUMNS}).assign(
        _row=pd.Series(dtype="int64")
    )


def _check_foreign_keys(
    schema: TableSchema,
    typed: pd.DataFrame,
    raw: pd.DataFrame,
    valid: dict[str, pd.DataFrame],
    raw_all: dict[str, pd.DataFrame],
) -> pd.DataFrame:
    found: list[pd.DataFrame] = []
    for fk in schema.foreign_keys:
        if fk.ref_table not in valid:
            continue
        scope = fk.when(typed).fillna(False).to_numpy(dtype=bool) if fk.when else np.ones(len(typed), bool)
        present = typed[fk.column].isin(valid[fk.ref_table][fk.ref_column]).to_numpy()
        existed = typed[fk.column].isin(raw_all[fk.ref_table][fk.ref_column]).to_numpy()
        orphan = scope & ~present & typed[fk.column].notna().to_numpy()
        for rows, why in (
            (orphan & existed, f"references a quarantined row of {fk.ref_table}"),
            (orphan & ~existed, f"not found in {fk.ref_table}.{fk.ref_column}"),
        ):
            if rows.any():
                found.append(
                    _entries(schema.name, raw, schema.key, np.flatnonzero(rows), fk.column, f"foreign key {why}")
                )
    return pd.concat(found, ignore_index=True) if found else _empty_quarantine()


def validate_records(
    folder: Path, tables: Iterable[str] | None = None, progress: Callable[[str], None] | None = None
) -> ValidationReport:
    """Validate every record table in ``folder`` (in dependency order) and cascade foreign keys.

    All tables are read before any is checked, so a missing or unreadable one fails fast, before minutes of
    work on the others. ``progress`` is called with each table's name as its checks start.
    """
    names = list(tables) if tables is not None else [s.name for s in SCHEMAS]
    schemas = [SCHEMA_BY_NAME[n] for n in [s.name for s in SCHEMAS] if n in names]
    raw_all = {s.name: read_table(folder, s) for s in schemas}
    valid: dict[str, pd.DataFrame] = {}
    entries: list[pd.DataFrame] = []
    for s in schemas:
        if progress:
            progress(s.name)
        raw = raw_all[s.name]
        typed, q = validate_table(raw, s)
        q = pd.concat([q, _check_foreign_keys(s, typed, raw, valid, raw_all)], ignore_index=True)
        bad = np.zeros(len(typed), bool)
        bad[q["_row"].to_numpy(dtype=np.int64)] = True
        valid[s.name] = typed[~bad].reset_index(drop=True)
        entries.append(q.drop(columns="_row"))
        if bad.any():
            log.warning("%s: %d of %d rows quarantined", s.name, int(bad.sum()), len(typed))
    quarantine = pd.concat(entries, ignore_index=True).astype("string")
    return ValidationReport(
        tables=valid, quarantine=quarantine, rows_in={s.name: len(raw_all[s.name]) for s in schemas}
    )


def write_quarantine(report: ValidationReport, path: Path) -> None:
    """Write the quarantine file atomically (Parquet, or CSV when the suffix says so)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    if path.suffix == ".csv":
        report.quarantine.to_csv(tmp, index=False)
    else:
        report.quarantine.to_parquet(tmp, index=False)
    tmp.replace(path)
