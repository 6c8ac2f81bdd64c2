"""Bad rows go to quarantine with table, key, column and reason; valid rows go on; nothing is lost."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from features import RecordsError, validate_records

# Each corruption breaks one row in a way a real extract does; none touches a key column, so a corrupted
# row stays identifiable and can't collide with another.
CORRUPTIONS = {
    "filings": [
        ("revenue", -5, "failed check"),
        ("equity", "breaks-identity", "total_assets must equal"),
        ("filed_on", "not-a-date", "not a valid date"),
        ("source", "kasboek", "failed check"),
    ],
    "officers": [
        ("role", "king", "failed check"),
        ("end_on", "1900-01-01", "must not precede"),
        ("start_on", "1901-01-01", "dated before the company was founded"),
    ],
    "cash_flows": [
        ("cash_deposits", "lots", "not a valid int"),
        ("foreign_in_high_risk", 10**12, "foreign"),
        ("transfers_in", "inf", "not a valid int"),
        ("transfers_out", "1e30", "not a valid int"),
    ],
    "properties": [("mortgage_amount", -1, "failed check"), ("resale_price", None, "both present")],
    "cases": [
        ("outcome", "guilty", "failed check"),
        ("source", None, "missing value"),
        ("opened_on", "2300-01-01", "not a valid date"),
        ("closed_on", "1066-10-14", "not a valid date"),
    ],
    "insolvencies": [("kind", "bankrupt", "failed check"), ("declared_on", "1850-06-01", "dated before")],
    "ownerships": [("share", 1.5, "failed check"), ("owner_jurisdiction", "Netherlands", "failed check")],
}


def _as_text(col: pd.Series) -> pd.Series:
    """A column as an extract might deliver it: text, with empty cells as nulls."""
    is_date = pd.api.types.is_datetime64_any_dtype(col)
    text = col.dt.strftime("%Y-%m-%d") if is_date else col.astype(object).map(str)
    return text.astype(object).where(col.notna(), None)


def _break(df: pd.DataFrame, table: str, row: int, choice: tuple[str, object, str]) -> str:
    column, value, _ = choice
    if value == "breaks-identity":
        value = int(float(df.at[row, "equity"])) + 1000
    if column == "resale_price" and pd.isna(df.at[row, "resale_date"]):
        value = 123_456  # a price without a resale date is just as incomplete
    if df[column].dtype != object:
        df[column] = _as_text(df[column])
    df.at[row, column] = None if value is None else str(value)
    return column


def _corrupt(folder: Path, table: str, rows: np.ndarray, rng: np.random.Generator) -> None:
    path = folder / f"{table}.parquet"
    df = pq.read_table(path).to_pandas(date_as_object=False)
    for row in rows:
        _break(df, table, int(row), CORRUPTIONS[table][rng.integers(len(CORRUPTIONS[table]))])
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), path)


@pytest.mark.parametrize("k", [1, 7, 25])
def test_corrupt_k_rows_quarantines_exactly_k(small_world: Path, tmp_path: Path, k: int) -> None:
    world = tmp_path / "w"
    shutil.copytree(small_world, world)
    rng = np.random.default_rng(k)
    before = validate_records(small_world).rows_in
    tables = list(CORRUPTIONS)
    picks = rng.choice(len(tables), size=k)
    expected: dict[str, int] = {}
    for t in set(picks.tolist()):
        table = tables[t]
        n = int((picks == t).sum())
        rows = rng.choice(before[table], size=n, replace=False)
        _corrupt(world, table, rows, rng)
        expected[table] = n
    report = validate_records(world)
    counts = report.quarantined_rows()
    assert sum(counts.values()) == k, report.quarantine.to_string()
    for table, n in expected.items():
        assert counts[table] == n
        assert len(report.tables[table]) == before[table] - n
    assert set(report.quarantine.columns) == {"table", "row_key", "column", "reason", "value"}
    assert report.quarantine.reason.str.len().gt(5).all()


def test_each_corruption_names_column_and_reason(small_world: Path, tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    for table, options in CORRUPTIONS.items():
        for column, value, reason in options:
            world = tmp_path / f"{table}-{column}"
            shutil.copytree(small_world, world)
            path = world / f"{table}.parquet"
            df = pq.read_table(path).to_pandas(date_as_object=False)
            _break(df, table, int(rng.integers(len(df))), (column, value, reason))
            pq.write_table(pa.Table.from_pandas(df, preserve_index=False), path)
            q = validate_records(world, tables=["addresses", "companies", "persons", table]).quarantine
            hit = q[q.table == table]
            assert hit.row_key.nunique() == 1, (table, column, hit.to_string())
            assert hit.reason.str.contains(reason, regex=False).any(), (table, column, hit.to_string())
            assert hit.column.str.contains(column.split("_")[0]).any()


def test_bad_company_cascades_to_its_records(small_world: Path, tmp_path: Path) -> None:
    world = tmp_path / "w"
    shutil.copytree(small_world, world)
    companies = pd.read_parquet(world / "companies.parquet")
    filings = pd.read_parquet(world / "filings.parquet")
    victim = filings.company_id.iloc[0]
    companies.loc[companies.company_id == victim, "legal_form"] = "pirate ship"
    companies.to_parquet(world / "companies.parquet", index=False)
    report = validate_records(world)
    q = report.quarantine
    assert (q[q.table == "companies"].row_key == f"company_id={victim}").all()
    child = q[(q.table == "filings") & q.row_key.str.contains(victim)]
    assert len(child) == (filings.company_id == victim).sum()
    assert child.reason.str.contains("quarantined row of companies").all()
    assert victim not in set(report.tables["filings"].company_id)


def test_duplicate_keys_are_all_quarantined(small_world: Path, tmp_path: Path) -> None:
    world = tmp_path / "w"
    shutil.copytree(small_world, world)
    cases = pd.read_parquet(world / "cases.parquet")
    pd.concat([cases, cases.iloc[[0]]]).to_parquet(world / "cases.parquet", index=False)
    q = validate_records(world).quarantine
    assert (q[q.table == "cases"].reason.str.contains("duplicate key")).sum() == 2


def test_missing_table_is_a_clear_error(small_world: Path, tmp_path: Path) -> None:
    world = tmp_path / "w"
    shutil.copytree(small_world, world)
    (world / "filings.parquet").unlink()
    with pytest.raises(RecordsError, match=r"filings.*missing"):
        validate_records(world)


def test_unreadable_table_is_a_clear_error(small_world: Path, tmp_path: Path) -> None:
    world = tmp_path / "w"
    shutil.copytree(small_world, world)
    (world / "cases.parquet").write_bytes(b"this is not parquet")
    with pytest.raises(RecordsError, match=r"cases.*unreadable"):
        validate_records(world)


def test_missing_column_is_a_clear_error(small_world: Path, tmp_path: Path) -> None:
    world = tmp_path / "w"
    shutil.copytree(small_world, world)
    pd.read_parquet(world / "insolvencies.parquet").drop(columns="kind").to_parquet(
        world / "insolvencies.parquet", index=False
    )
    with pytest.raises(RecordsError, match=r"insolvencies.*kind"):
        validate_records(world)


def test_sensitive_column_in_records_is_refused(small_world: Path, tmp_path: Path) -> None:
    world = tmp_path / "w"
    shutil.copytree(small_world, world)
    persons = pd.read_parquet(world / "persons.parquet").assign(nationality="NL")
    persons.to_parquet(world / "persons.parquet", index=False)
    with pytest.raises(RecordsError, match="sensitive"):
        validate_records(world)


def test_values_pandas_cannot_hold_are_quarantined_not_fatal(small_world: Path, tmp_path: Path) -> None:
    world = tmp_path / "w"
    shutil.copytree(small_world, world)
    f = pd.read_parquet(world / "filings.parquet")
    f["revenue"] = f.revenue.astype(float)
    f.loc[0, "revenue"] = float("inf")
    f.loc[1, "revenue"] = 1e30
    f.to_parquet(world / "filings.parquet", index=False)
    co = pd.read_parquet(world / "companies.parquet")
    co.loc[0, "name"] = ""
    co.to_parquet(world / "companies.parquet", index=False)
    q = validate_records(world).quarantine
    assert set(q[q.table == "filings"].row_key.str.split("|").str[0]) >= {f"company_id={f.company_id[0]}"}
    assert (q[(q.table == "filings") & (q.column == "revenue")].reason == "not a valid int").sum() == 2
    assert q[(q.table == "companies") & (q.column == "name")].reason.str.contains("str_length").any()
