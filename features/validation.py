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
import pyarrow as pa_types
import pyarrow.compute as pc

from core.io import atomic_file
from features import partitioned
from features.schemas import SCHEMA_BY_NAME, SCHEMAS, Column, TableSchema, is_sensitive_name

log = logging.getLogger(__name__)

QUARANTINE_COLUMNS = ("table", "row_key", "column", "reason", "value")
_STRING = pd.StringDtype("pyarrow")
#: Plausible dates in a company register; outside them a date is a typo (and pandas can't hold it anyway).
DATE_MIN = pd.Timestamp("1800-01-01")
DATE_MAX = pd.Timestamp("2199-12-31")


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


def check_table(folder: Path, schema: TableSchema) -> None:
    """Refuse a table that is missing, unreadable, incomplete or carries a sensitive column, from its footer alone.

    Run for every table before any row is read, so a bad extract fails in seconds rather than after minutes.
    """
    path = folder / f"{schema.name}.parquet"
    if not partitioned.exists(path):
        raise RecordsError(f"table '{schema.name}' is missing: expected {path} (a file or a folder of part files)")
    try:
        names = partitioned.read_schema(path).names
    except Exception as exc:  # pyarrow raises several types for corrupt files
        raise RecordsError(f"table '{schema.name}' is unreadable ({path}): {exc}") from exc
    sensitive = [c for c in names if is_sensitive_name(str(c))]
    if sensitive:
        raise RecordsError(
            f"table '{schema.name}' carries sensitive attribute column(s) {sensitive}; "
            "sensitive attributes belong in sensitive/ and are read by the fairness audit only"
        )
    missing = [c for c in schema.column_names if c not in names]
    if missing:
        raise RecordsError(f"table '{schema.name}' lacks required column(s) {missing}")
    extra = [c for c in names if c not in schema.column_names]
    if extra:
        log.warning("table %s: ignoring unknown column(s) %s", schema.name, extra)


def read_table(folder: Path, schema: TableSchema) -> pd.DataFrame:
    """Read the schema's columns of one table (after :func:`check_table`)."""
    check_table(folder, schema)
    path = folder / f"{schema.name}.parquet"
    try:
        # Arrow-backed strings: no Python object per value, and vectorised regex checks.
        return partitioned.read_frame(path, list(schema.column_names))
    except Exception as exc:
        raise RecordsError(f"table '{schema.name}' is unreadable ({path}): {exc}") from exc


def _coerce(raw: pd.Series, col: Column) -> pd.Series:
    """Interpret a column as its schema type; values that can't be read become missing (and are reported)."""
    if col.kind == "date":
        if pd.api.types.is_datetime64_any_dtype(raw):
            inside = raw.isna() | ((raw >= DATE_MIN) & (raw <= DATE_MAX))  # nanosecond dates end in 2262
            return raw.where(inside).astype("datetime64[ns]")
        parsed = pd.to_datetime(raw.astype("string"), errors="coerce", format="ISO8601")
        return parsed.where(parsed.isna() | ((parsed >= DATE_MIN) & (parsed <= DATE_MAX)))
    if col.kind == "int" and pd.api.types.is_integer_dtype(raw.dtype):
        return raw
    if col.kind == "int":
        return _whole(raw)
    if col.kind == "float":
        num = pd.to_numeric(raw, errors="coerce").astype("float64")
        return num.where(np.isfinite(num))  # inf is not a number a register records
    if col.kind == "bool":
        return raw.map({True: True, False: False, "true": True, "false": False}).astype("boolean")
    if isinstance(raw.dtype, pd.StringDtype):
        return raw
    return raw.where(raw.isna(), raw.astype(str)).astype(_STRING)


#: Beyond 2**53 a float no longer holds every integer, so a text value read through one may have lost digits.
_FLOAT_EXACT = 2**53


def _whole(raw: pd.Series) -> pd.Series:
    """Exactly the integers the source holds; any other value becomes missing and is quarantined by the caller.

    A tolerance (``np.isclose``'s relative one let 60000.5 pass as 60000) would round a euro amount silently, so
    wholeness is exact. Text that reads as integers keeps every digit; text that needs a float on the way is only
    trusted up to 2**53, and a float column up to int64's range, because past those the value read is not the
    value written.
    """
    num = pd.to_numeric(raw, errors="coerce")
    if pd.api.types.is_integer_dtype(num.dtype):  # every value parsed as an integer: exact, no float in between
        if pd.api.types.is_unsigned_integer_dtype(num.dtype):  # past int64, which the tables hold
            num = num.astype("UInt64")
            return num.where(num <= np.iinfo(np.int64).max).astype("Int64")
        return num
    num = num.astype("float64")
    limit = 2.0**62 if pd.api.types.is_float_dtype(raw.dtype) else float(_FLOAT_EXACT)
    whole = np.isfinite(num) & (num == np.floor(num)) & (num.abs() <= limit)
    num = num.where(whole)
    return num.astype("Int64") if num.isna().any() else num.astype("int64")


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
        elif col.kind == "string":
            checks.append(pa.Check.str_length(min_value=1))
        columns[col.name] = pa.Column(checks=checks, nullable=True, coerce=False)
    return pa.DataFrameSchema(columns, strict=False)


def _text(s: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(s):
        return s.dt.strftime("%Y-%m-%d").astype(object).where(s.notna(), "")
    return s.astype(str)


def _row_keys(keys: pd.DataFrame, rows: np.ndarray) -> list[str]:
    joined: pd.Series | None = None
    for k in keys.columns:
        part = f"{k}=" + _text(keys[k].iloc[rows])
        joined = part if joined is None else joined + "|" + part
    assert joined is not None
    return list(joined.reset_index(drop=True))


def _entries(
    table: str, keys: pd.DataFrame, values: pd.Series | None, rows: Iterable[int], column: str, reason: str
) -> pd.DataFrame:
    idx = np.asarray(sorted({int(r) for r in rows}), dtype=np.int64)
    shown = _text(values.iloc[idx]).to_numpy() if values is not None else np.full(len(idx), "")
    return pd.DataFrame(
        {
            "table": table,
            "row_key": _row_keys(keys, idx),
            "column": column,
            "reason": reason,
            "value": shown,
            "_row": idx,
        }
    )


def validate_table(raw: pd.DataFrame, schema: TableSchema) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Type, value, row-rule and key checks for one table; returns (typed frame, quarantine entries).

    Raw values are reported for rows whose values can't be read at all; for later checks the typed frame is
    all there is, so the caller can let the raw table go and keep one copy of the data in memory.
    """
    found: list[pd.DataFrame] = []
    keys = raw[list(schema.key)]
    typed_cols: dict[str, pd.Series] = {}
    for col in schema.columns:
        source = raw[col.name]
        typed_cols[col.name] = coerced = _coerce(source, col)
        bad_type = source.notna() & coerced.isna()
        if bad_type.any():
            found.append(
                _entries(schema.name, keys, source, np.flatnonzero(bad_type), col.name, f"not a valid {col.kind}")
            )
        if not col.nullable and source.isna().any():
            found.append(_entries(schema.name, keys, source, np.flatnonzero(source.isna()), col.name, "missing value"))
    typed = pd.DataFrame(typed_cols, copy=False)
    keys = typed[list(schema.key)]  # raw keys only matter for rows already reported above
    try:
        _pandera_schema(schema).validate(typed, lazy=True, inplace=True)
    except pa.errors.SchemaErrors as err:
        fc = err.failure_cases.dropna(subset=["index"])
        for (column, check), grp in fc.groupby(["column", "check"]):
            found.append(
                _entries(
                    schema.name,
                    keys,
                    typed[str(column)],
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
                    keys,
                    typed[rule.columns[0]],
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
                keys,
                None,
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


def _arrow(s: pd.Series) -> pa_types.ChunkedArray | pa_types.Array:
    if hasattr(s.array, "__arrow_array__"):
        return s.array.__arrow_array__()
    values = [None if v is None or v != v else str(v) for v in s.to_numpy(dtype=object)]  # v != v: NaN
    return pa_types.array(values, type=pa_types.string())


def _isin(values: pd.Series, reference: pd.Series) -> np.ndarray:
    """Membership by Arrow's hash kernel: pandas' isin on Arrow strings loops in Python over the reference."""
    if len(reference) == 0:  # an empty Arrow column has no chunks, so no type the kernel could compare against
        return np.zeros(len(values), dtype=bool)
    ref = pa_types.chunked_array([_arrow(reference)]).combine_chunks()
    hit = pc.fill_null(pc.is_in(_arrow(values), value_set=ref), False)
    return np.asarray(hit.to_numpy(zero_copy_only=False), dtype=bool)


def _check_foreign_keys(
    schema: TableSchema, typed: pd.DataFrame, valid: dict[str, pd.DataFrame], raw_keys: dict[tuple[str, str], pd.Series]
) -> pd.DataFrame:
    found: list[pd.DataFrame] = []
    keys = typed[list(schema.key)]
    for fk in schema.foreign_keys:
        if fk.ref_table not in valid:
            continue
        scope = fk.when(typed).fillna(False).to_numpy(dtype=bool) if fk.when else np.ones(len(typed), bool)
        present = _isin(typed[fk.column], valid[fk.ref_table][fk.ref_column])
        orphan = scope & ~present & typed[fk.column].notna().to_numpy()
        existed = np.zeros(len(typed), dtype=bool)
        if orphan.any():  # only orphans need the second look: gone, or quarantined upstream?
            existed[orphan] = _isin(typed[fk.column][orphan], raw_keys[(fk.ref_table, fk.ref_column)])
        for rows, why in (
            (orphan & existed, f"references a quarantined row of {fk.ref_table}"),
            (orphan & ~existed, f"not found in {fk.ref_table}.{fk.ref_column}"),
        ):
            if rows.any():
                found.append(
                    _entries(schema.name, keys, typed[fk.column], np.flatnonzero(rows), fk.column, f"foreign key {why}")
                )
        if fk.not_before_founding is not None:
            founded = valid["companies"].set_index("company_id").founded_on
            when = fk.not_before_founding(typed)
            early = scope & present & (when < founded.reindex(typed[fk.column]).to_numpy()).to_numpy()
            if early.any():
                found.append(
                    _entries(
                        schema.name,
                        keys,
                        when,
                        np.flatnonzero(early),
                        fk.not_before_text,
                        "dated before the company was founded",
                    )
                )
    return pd.concat(found, ignore_index=True) if found else _empty_quarantine()


def validate_records(
    folder: Path, tables: Iterable[str] | None = None, progress: Callable[[str], None] | None = None
) -> ValidationReport:
    """Validate every record table in ``folder`` (in dependency order) and cascade foreign keys.

    Every table's footer is checked before any is read, so a missing or unreadable one fails fast. Tables are
    then read one at a time and only their typed, valid rows are kept (plus the key columns other tables
    refer to), which keeps one copy of the data in memory. ``progress`` gets each table's name as it starts.
    """
    names = list(tables) if tables is not None else [s.name for s in SCHEMAS]
    schemas = [SCHEMA_BY_NAME[n] for n in [s.name for s in SCHEMAS] if n in names]
    for s in schemas:
        check_table(folder, s)
    referenced = {(fk.ref_table, fk.ref_column) for s in schemas for fk in s.foreign_keys}
    valid: dict[str, pd.DataFrame] = {}
    raw_keys: dict[tuple[str, str], pd.Series] = {}
    entries: list[pd.DataFrame] = []
    rows_in: dict[str, int] = {}
    for s in schemas:
        if progress:
            progress(s.name)
        raw = read_table(folder, s)
        rows_in[s.name] = len(raw)
        for ref in referenced:
            if ref[0] == s.name:
                raw_keys[ref] = raw[ref[1]]
        typed, q = validate_table(raw, s)
        del raw
        q = pd.concat([q, _check_foreign_keys(s, typed, valid, raw_keys)], ignore_index=True)
        bad = np.zeros(len(typed), bool)
        bad[q["_row"].to_numpy(dtype=np.int64)] = True
        valid[s.name] = typed[~bad].reset_index(drop=True) if bad.any() else typed
        entries.append(q.drop(columns="_row"))
        if bad.any():
            log.warning("%s: %d of %d rows quarantined", s.name, int(bad.sum()), len(typed))
    quarantine = pd.concat(entries, ignore_index=True).astype("string")
    return ValidationReport(tables=valid, quarantine=quarantine, rows_in=rows_in)


def write_quarantine(report: ValidationReport, path: Path) -> None:
    """Write the quarantine file atomically (Parquet, or CSV when the suffix says so)."""
    with atomic_file(path) as tmp:
        if path.suffix == ".csv":
            report.quarantine.to_csv(tmp, index=False)
        else:
            report.quarantine.to_parquet(tmp, index=False)
