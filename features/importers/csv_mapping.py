"""Register extracts as CSV (KvK-style columns, Dutch dates and decimal commas) into the record tables.

A YAML mapping says which file fills which table and which source column fills which schema column, with the
conversions a register extract needs: a date format, a decimal comma, the register's wording for legal forms and
roles, a PC4 from a full postcode, a municipality's code and RIEC region looked up by name, and pseudonyms for
person identifiers. The mapping is checked before any file is read, with the offending field named.

Each value is converted to its schema type here. A value that cannot be converted puts its row into the import
quarantine with the file, line, column, value and the reason; the rest of the file goes on. Source columns the
mapping does not use are reported, and a column that looks like a sensitive attribute is never imported: a mapping
that reads one is refused before any file is read.
"""

from __future__ import annotations

import fnmatch
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pandas as pd

from features.importers.records import Imported, ImportReport, RecordsImportError
from features.importers.reference import Municipalities, Pseudonymiser, legal_form, role
from features.schemas import SCHEMA_BY_NAME, Column, is_sensitive_name
from features.validation import DATE_MAX, DATE_MIN

TRANSFORMS = ("pc4", "digits", "percent")
#: Columns that hold a person's identifier: always pseudonymised, whatever the mapping says.
PERSON_COLUMNS = {("persons", "person_id"), ("officers", "person_id")}
MAPS = ("legal_form", "role")
LOOKUPS = ("municipality_code", "riec_region")
SPEC_KEYS = frozenset({"column", "value", "map", "transform", "lookup", "from", "format"})
TOP_KEYS = frozenset({"delimiter", "encoding", "decimal", "date_format", "tables"})
#: A whole Dutch postcode (``1012 LG``, ``1012lg``) or its area alone (``1012``); anything else is not one.
POSTCODE = re.compile(r"^([1-9]\d{3})(?:[A-Za-z]{2})?$")
INT64_MAX = 2**63 - 1


@dataclass(frozen=True)
class Source:
    """Where one schema column's value comes from, and how it is converted."""

    column: str | None = None
    value: str | None = None
    map: str | dict[str, str] | None = None
    transform: str | None = None
    lookup: str | None = None
    date_format: str | None = None


@dataclass(frozen=True)
class TableMapping:
    """One table: the file pattern it is read from and a source per schema column."""

    table: str
    file: str
    columns: dict[str, Source]


@dataclass(frozen=True)
class Mapping:
    """A whole mapping file."""

    tables: tuple[TableMapping, ...]
    delimiter: str = ","
    encoding: str = "utf-8"
    decimal: str = "."
    date_format: str = "%Y-%m-%d"


def load_mapping(path: Path) -> Mapping:
    """Read and check a YAML mapping; every mistake names its place (``tables.companies.columns.founded_on``)."""
    import yaml

    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RecordsImportError(f"mapping {path}: {exc}") from exc
    return parse_mapping(raw, str(path))


def parse_mapping(raw: Any, where: str = "mapping") -> Mapping:
    """Check a mapping given as data."""
    if not isinstance(raw, dict) or not isinstance(raw.get("tables"), dict) or not raw["tables"]:
        raise RecordsImportError(f"{where}: expected a mapping with a non-empty 'tables' section")
    unknown = sorted(set(raw) - TOP_KEYS)
    if unknown:
        raise RecordsImportError(f"{where}: unknown key(s) {unknown}; known: {sorted(TOP_KEYS)}")
    tables = tuple(_table(name, spec, f"{where}: tables.{name}") for name, spec in raw["tables"].items())
    options = {k: str(raw[k]) for k in ("delimiter", "encoding", "decimal", "date_format") if k in raw}
    return Mapping(tables, **options)


def _table(name: str, spec: Any, where: str) -> TableMapping:
    schema = SCHEMA_BY_NAME.get(name)
    if schema is None:
        raise RecordsImportError(f"{where}: no such table; tables are {sorted(SCHEMA_BY_NAME)}")
    if not isinstance(spec, dict) or "file" not in spec or not isinstance(spec.get("columns"), dict):
        raise RecordsImportError(f"{where}: needs 'file' (a file name or pattern) and 'columns'")
    columns = {target: _source(src, f"{where}.columns.{target}") for target, src in spec["columns"].items()}
    for target, src in columns.items():
        if src.column is not None and is_sensitive_name(src.column):
            raise RecordsImportError(
                f"{where}.columns.{target}: source column {src.column!r} is a sensitive attribute; sensitive data is "
                "never imported into a record table, whatever column the mapping names"
            )
    names = set(schema.column_names)
    extra = sorted(set(columns) - names)
    if extra:
        raise RecordsImportError(f"{where}.columns: {extra} are not columns of {name}; its columns: {sorted(names)}")
    required = [c.name for c in schema.columns if not c.nullable and c.name not in columns]
    if required:
        raise RecordsImportError(f"{where}.columns: lacks required column(s) {required}")
    return TableMapping(name, str(spec["file"]), columns)


def _source(spec: Any, where: str) -> Source:
    if isinstance(spec, str):
        return Source(column=spec)
    if not isinstance(spec, dict) or set(spec) - SPEC_KEYS:
        raise RecordsImportError(f"{where}: a column name, or a mapping with keys {sorted(SPEC_KEYS)}")
    if ("column" in spec) + ("value" in spec) + ("lookup" in spec) != 1:
        raise RecordsImportError(f"{where}: exactly one of 'column', 'value' or 'lookup'")
    if spec.get("transform") not in (None, *TRANSFORMS):
        raise RecordsImportError(f"{where}: transform must be one of {TRANSFORMS}")
    if isinstance(spec.get("map"), str) and spec["map"] not in MAPS:
        raise RecordsImportError(f"{where}: map is one of {MAPS} or a table of values")
    if "lookup" in spec and (spec["lookup"] not in LOOKUPS or "from" not in spec):
        raise RecordsImportError(f"{where}: lookup is one of {LOOKUPS}, with 'from' naming the municipality column")
    return Source(
        column=spec.get("column", spec.get("from")),
        value=None if spec.get("value") is None else str(spec["value"]),
        map=spec.get("map"),
        transform=spec.get("transform"),
        lookup=spec.get("lookup"),
        date_format=spec.get("format"),
    )


def read_csv(files: list[Path], mapping: Mapping, pseudonyms: Pseudonymiser, places: Municipalities) -> Imported:
    """Every mapped table from its file; rows with values that cannot be typed go to the import quarantine."""
    report = ImportReport(source=", ".join(str(f) for f in files))
    tables: dict[str, pd.DataFrame] = {}
    raws: dict[Path, pd.DataFrame] = {}  # a file two tables read (persons and officers, say) is read once
    read: dict[Path, set[str]] = {}
    for tm in mapping.tables:
        path = _file_for(tm, files)
        raw = raws[path] if path in raws else raws.setdefault(path, _read(path, mapping))
        read.setdefault(path, set()).update(s.column for s in tm.columns.values() if s.column)
        table = _convert(tm, raw, path.name, mapping, places, report)
        tables[tm.table] = _without_duplicates(_pseudonymised(tm.table, table, pseudonyms), tm.table, report)
    for path in files:
        if path not in read:
            report.skipped[f"{path.name} (no table in the mapping reads it)"] += 1
            continue
        for header in raws[path].columns:
            if header not in read[path]:
                why = "sensitive: never imported" if is_sensitive_name(header) else "no place in the schemas"
                report.unmapped[f"{path.name}.{header} ({why})"] += 1
    return Imported(tables, report)


def _pseudonymised(table: str, frame: pd.DataFrame, pseudonyms: Pseudonymiser) -> pd.DataFrame:
    """Person identifiers become keyed pseudonyms here, not by a mapping's choice: no raw id reaches a table."""
    out = frame.copy()

    def pseudonym(value: Any) -> Any:
        return pseudonyms.person(value) if isinstance(value, str) else value  # an empty cell was reported already

    for name, column in PERSON_COLUMNS:
        if name == table and column in out:
            out[column] = out[column].map(pseudonym)
    if table == "ownerships" and {"owner_type", "owner_id"} <= set(out.columns):
        person = out["owner_type"] == "person"
        out.loc[person, "owner_id"] = out.loc[person, "owner_id"].map(pseudonym)
    return out


def _without_duplicates(frame: pd.DataFrame, table: str, report: ImportReport) -> pd.DataFrame:
    """Rows identical in every column say nothing twice (a person listed once per role, say): kept once."""
    out = frame.drop_duplicates(ignore_index=True)
    if len(out) < len(frame):
        report.notes.append(f"{table}: {len(frame) - len(out)} identical row(s) kept once")
    return out


def _file_for(tm: TableMapping, files: list[Path]) -> Path:
    found = [f for f in files if fnmatch.fnmatch(f.name, tm.file)]
    if len(found) != 1:
        names = ", ".join(f.name for f in files)
        raise RecordsImportError(
            f"tables.{tm.table}.file {tm.file!r} matches {len(found)} of the files given ({names})"
        )
    return found[0]


def _read(path: Path, mapping: Mapping) -> pd.DataFrame:
    try:
        return pd.read_csv(path, sep=mapping.delimiter, encoding=mapping.encoding, dtype=str, keep_default_na=False)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise RecordsImportError(
            f"{path} cannot be read as CSV ({mapping.delimiter!r}, {mapping.encoding}): {exc}"
        ) from exc


def _convert(tm: TableMapping, raw: pd.DataFrame, name: str, mapping: Mapping, places: Municipalities,
             report: ImportReport) -> pd.DataFrame:  # fmt: skip
    schema = SCHEMA_BY_NAME[tm.table]
    missing = sorted({s.column for s in tm.columns.values() if s.column and s.column not in raw.columns})
    if missing:
        raise RecordsImportError(f"{name}: lacks column(s) {missing} that tables.{tm.table} maps")
    out = pd.DataFrame(index=raw.index)
    bad = pd.Series(False, index=raw.index)
    for col in schema.columns:
        if col.name not in tm.columns:
            continue
        values, errors = _column(raw, tm.columns[col.name], col, mapping, places)
        for idx, (value, reason) in errors.items():
            report.problem(tm.table, f"{name}:{int(idx) + 2}", col.name, reason, value)  # +2: header, 1-based
            bad[idx] = True
        out[col.name] = values
    return out[~bad].reset_index(drop=True)


def _column(raw: pd.DataFrame, src: Source, col: Column, mapping: Mapping,
            places: Municipalities) -> tuple[list[Any], dict[Any, tuple[str, str]]]:  # fmt: skip
    """One schema column's values, and the rows whose value could not be converted (with the reason)."""
    source = raw[src.column] if src.column else pd.Series([src.value] * len(raw), index=raw.index)
    convert = _converter(src, col, mapping, places)
    values: list[Any] = []
    errors: dict[Any, tuple[str, str]] = {}
    for idx, text in source.items():
        text = "" if text is None else str(text).strip()
        if text == "":
            values.append(None)
            if not col.nullable:  # reported here, where its file and line are known
                errors[idx] = ("", "missing value")
            continue
        try:
            values.append(convert(text))
        except ValueError as exc:
            values.append(None)
            errors[idx] = (text, str(exc))
    return values, errors


def _converter(src: Source, col: Column, mapping: Mapping, places: Municipalities) -> Callable[[str], Any]:
    steps: list[Callable[[str], Any]] = []
    if src.lookup is not None:
        steps.append(_lookup(src.lookup, places))
    if src.transform is not None:
        steps.append(_transform(src.transform))
    if src.map is not None:
        steps.append(_mapper(src.map))
    steps.append(_typed(col, src.date_format or mapping.date_format, mapping.decimal))

    def run(text: str) -> Any:
        value: Any = text
        for step in steps:
            value = step(value)
        return value

    return run


def _lookup(what: str, places: Municipalities) -> Callable[[str], str]:
    def find(name: str) -> str:
        found = places.find(name)
        if found is None:
            raise ValueError(f"municipality not in the reference list ({len(places)} names)")
        return found[0] if what == "municipality_code" else found[1]

    return find


def _transform(name: str) -> Callable[[str], Any]:
    """Each transform refuses what it cannot read whole: a prefix match would cut ``12345`` to ``1234`` unseen."""

    def pc4(text: str) -> str:
        m = POSTCODE.match(text.replace(" ", ""))
        if m is None:
            raise ValueError("not a Dutch postcode")
        return m.group(1)

    def digits(text: str) -> str:
        only = re.sub(r"\D", "", text)
        if not only:
            raise ValueError("no digits in the value")
        return only

    def percent(text: str) -> float:
        try:
            value = float(text.rstrip("%").strip().replace(",", "."))
        except ValueError as exc:
            raise ValueError("not a percentage") from exc
        if not math.isfinite(value):
            raise ValueError("not a finite percentage")
        return value / 100.0

    table: dict[str, Callable[[str], Any]] = {"pc4": pc4, "digits": digits, "percent": percent}
    return table[name]


def _mapper(spec: str | dict[str, str]) -> Callable[[str], str]:
    if spec == "legal_form":
        return legal_form
    if spec == "role":
        return role
    assert isinstance(spec, dict)
    values = {str(k): str(v) for k, v in spec.items()}
    return lambda text: values.get(text, text)


def _typed(col: Column, date_format: str, decimal: str) -> Callable[[Any], Any]:
    if col.kind == "date":

        def date(text: Any) -> str:
            try:
                parsed = datetime.strptime(str(text), date_format)
            except ValueError as exc:
                raise ValueError(f"not a date in format {date_format}") from exc
            if not DATE_MIN <= parsed <= DATE_MAX:  # the tables could not hold it: it would be written empty
                raise ValueError(f"date outside {DATE_MIN:%Y-%m-%d} to {DATE_MAX:%Y-%m-%d}, not a register date")
            return parsed.date().isoformat()

        return date
    if col.kind in ("int", "float"):

        def number(text: Any) -> float | int:
            """Read exactly (a Decimal, never a float on the way to an integer), so no digit is lost or rounded."""
            if isinstance(text, float | int):  # already converted (a percentage)
                exact = Decimal(text)
            else:
                plain = str(text).replace("\u00a0", "").replace(" ", "")
                if decimal == ",":
                    plain = plain.replace(".", "").replace(",", ".")
                try:
                    exact = Decimal(plain)
                except InvalidOperation as exc:
                    raise ValueError(f"not a number (decimal {decimal!r})") from exc
            if not exact.is_finite():
                raise ValueError("not a finite number")
            if col.kind == "int":
                if exact != exact.to_integral_value():
                    raise ValueError("not a whole number")
                if abs(exact) > INT64_MAX:
                    raise ValueError("not a number an integer column can hold (beyond 64 bits)")
                return int(exact)
            value = float(exact)
            if not math.isfinite(value):
                raise ValueError("not a number a float column can hold")
            return value

        return number
    return str
