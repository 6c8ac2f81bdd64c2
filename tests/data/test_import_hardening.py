"""Validation and import never change a value silently: each bad value is quarantined or reported, with a reason.

Small in-memory frames and tmp files only; every test names the security-review defect it guards against.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from features.catalogue import CATALOGUE
from features.importers.csv_mapping import parse_mapping, read_csv
from features.importers.ftm import Options, read_ftm
from features.importers.records import Imported, ImportReport, RecordsImportError, write
from features.importers.reference import Pseudonymiser, municipalities
from features.schemas import SCHEMA_BY_NAME, SCHEMAS, is_sensitive_name
from features.validation import validate_table

PSEUDONYMS = Pseudonymiser(b"test-key")

# --- 1. validation: a non-whole number in an integer column is quarantined, never rounded ------------------------


def _companies(employees: list[object]) -> pd.DataFrame:
    n = len(employees)
    return pd.DataFrame(
        {
            "company_id": [f"{10_000_000 + i}" for i in range(n)],
            "name": [f"Bedrijf {i}" for i in range(n)],
            "legal_form": ["BV"] * n,
            "sbi_code": ["4711"] * n,
            "founded_on": ["2015-03-01"] * n,
            "dissolved_on": [None] * n,
            "address_id": ["ADR-1"] * n,
            "employees": employees,
        }
    )


def _filings(revenue: list[object]) -> pd.DataFrame:
    n = len(revenue)
    money = ["revenue", "costs", "profit", "total_assets", "equity", "liabilities", "cash", "related_party_loans"]
    frame = pd.DataFrame(
        {"company_id": [f"{10_000_000 + i}" for i in range(n)], "fiscal_year": list(range(2010, 2010 + n))}
    )
    for name in money:
        frame[name] = ["0"] * n
    # profit = revenue - costs, so only the value under test is bad
    frame["revenue"] = frame["profit"] = pd.Series(revenue, dtype=object)
    schema = SCHEMA_BY_NAME["filings"]
    for col in schema.columns:  # every other column gets a value its checks accept
        if col.name not in frame:
            text = col.allowed[0] if col.allowed else "x"
            frame[col.name] = {"date": "2016-05-01", "string": text}.get(col.kind, "1")
    return frame[list(schema.column_names)]


@pytest.mark.parametrize(
    ("table", "column", "values", "bad"),
    [
        ("companies", "employees", ["60000.5", "4"], 0),  # 50,000 and over passed np.isclose's rtol=1e-5
        ("companies", "employees", [60000.5, 4.0], 0),  # the same as a float column, as Parquet may deliver it
        ("filings", "revenue", ["1234567.25", "100"], 0),  # a euro amount: every one is an integer column
        ("filings", "revenue", ["12345678901234567", "veel"], 0),  # beyond a float's integers: cannot be exact
    ],
)
def test_a_non_whole_or_inexact_integer_is_quarantined_not_rounded(
    table: str, column: str, values: list[object], bad: int
) -> None:
    raw = _companies(values) if table == "companies" else _filings(values)
    typed, quarantine = validate_table(raw, SCHEMA_BY_NAME[table])
    hit = quarantine[(quarantine["_row"] == bad) & (quarantine["column"] == column)]
    assert len(hit) == 1, quarantine[["column", "reason", "value"]].to_dict("records")
    assert hit.iloc[0]["reason"] == "not a valid int" and hit.iloc[0]["value"] == str(values[bad])
    assert pd.isna(typed.at[bad, column])  # the row is quarantined, and no rounded value is left standing in


def test_an_exact_large_integer_keeps_every_digit() -> None:
    typed, quarantine = validate_table(_filings(["12345678901234567", "100"]), SCHEMA_BY_NAME["filings"])
    assert quarantine[quarantine["column"] == "revenue"].empty
    assert int(typed.at[0, "revenue"]) == 12345678901234567


# --- 2. a mapping may never take a sensitive source column in, whatever column it names as the target -------------


@pytest.mark.parametrize(
    "source",
    ["Nationaliteit", {"column": "Religie"}, {"column": "Geslacht", "map": {"m": "P1"}}, "AgeGroup"],
)
def test_a_mapping_that_reads_a_sensitive_header_is_refused(source: object) -> None:
    header = source if isinstance(source, str) else source["column"]
    with pytest.raises(RecordsImportError, match=rf"'{header}'.*sensitive"):
        parse_mapping({"tables": {"persons": {"file": "p.csv", "columns": {"person_id": source}}}})


def test_a_lookup_from_a_sensitive_header_is_refused() -> None:
    columns = {"address_id": "id", "pc4": "pc", "municipality": "plaats", "address_type": "soort",
               "municipality_code": {"lookup": "municipality_code", "from": "Geboorteplaats"},
               "riec_region": {"lookup": "riec_region", "from": "plaats"}}  # fmt: skip
    with pytest.raises(RecordsImportError, match=r"'Geboorteplaats'.*sensitive"):
        parse_mapping({"tables": {"addresses": {"file": "a.csv", "columns": columns}}})


# --- 3 and 4. the importers report every value they cannot carry, and never crash on one ------------------------

COMPANIES_MAPPING = {
    "delimiter": ";",
    "decimal": ",",
    "date_format": "%d-%m-%Y",
    "tables": {
        "companies": {
            "file": "bedrijven.csv",
            "columns": {
                "company_id": "kvk",
                "name": "naam",
                "legal_form": "vorm",
                "sbi_code": "sbi",
                "founded_on": "opgericht",
                "dissolved_on": "opgeheven",
                "address_id": "adres",
                "employees": "personen",
            },
        }
    },
}


def _csv(tmp_path: Path, name: str, header: str, rows: list[str], mapping: dict[str, Any]) -> Imported:
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return read_csv([path], parse_mapping(mapping), PSEUDONYMS, municipalities())


def _problems(imported: Imported) -> dict[tuple[str, str], tuple[str, str]]:
    return {(p["row_key"], p["column"]): (p["reason"], p["value"]) for p in imported.report.problems}


def _companies_csv(tmp_path: Path, rows: list[str]) -> Imported:
    header = "kvk;naam;vorm;sbi;opgericht;opgeheven;adres;personen"
    return _csv(tmp_path, "bedrijven.csv", header, rows, COMPANIES_MAPPING)


def test_csv_reports_an_out_of_range_date(tmp_path: Path) -> None:
    imported = _companies_csv(tmp_path, ["12345678;A;BV;4711;14-10-1066;;ADR-1;4",
                                         "23456789;B;BV;4711;01-01-2015;01-01-2300;ADR-1;4",
                                         "34567890;C;BV;4711;01-01-2015;;ADR-1;4"])  # fmt: skip
    problems = _problems(imported)
    assert problems[("bedrijven.csv:2", "founded_on")][1] == "14-10-1066"
    assert problems[("bedrijven.csv:3", "dissolved_on")][1] == "01-01-2300"
    assert "outside" in problems[("bedrijven.csv:2", "founded_on")][0]
    assert list(imported.tables["companies"]["company_id"]) == ["34567890"]


@pytest.mark.parametrize("value", ["inf", "-inf", "1e400", "NaN", "1,5"])
def test_csv_reports_a_number_an_integer_column_cannot_hold(tmp_path: Path, value: str) -> None:
    imported = _companies_csv(tmp_path, [f"12345678;A;BV;4711;01-01-2015;;ADR-1;{value}"])
    reason, shown = _problems(imported)[("bedrijven.csv:2", "employees")]
    assert shown == value and reason.startswith("not a ")
    assert imported.tables["companies"].empty


def test_csv_reports_a_number_too_large_for_the_table(tmp_path: Path) -> None:
    imported = _companies_csv(tmp_path, ["12345678;A;BV;4711;01-01-2015;;ADR-1;100000000000000000000"])
    assert ("bedrijven.csv:2", "employees") in _problems(imported)
    write(imported, tmp_path / "out")  # and the row that is left writes without an overflow


OWNERS_MAPPING = {
    "delimiter": ";",
    "date_format": "%d-%m-%Y",
    "tables": {
        "ownerships": {
            "file": "aandeelhouders.csv",
            "columns": {
                "owner_type": "soort",
                "owner_id": "eigenaar",
                "owner_jurisdiction": "land",
                "company_id": "kvk",
                "share": {"column": "aandeel", "transform": "percent"},
                "start_on": "begin",
                "end_on": "einde",
            },
        }
    },
}


def _owners_csv(tmp_path: Path, rows: list[str]) -> Imported:
    return _csv(tmp_path, "aandeelhouders.csv", "soort;eigenaar;land;kvk;aandeel;begin;einde", rows, OWNERS_MAPPING)


def test_csv_reports_an_empty_person_owner_instead_of_crashing(tmp_path: Path) -> None:
    imported = _owners_csv(
        tmp_path, ["person;;NL;12345678;100%;01-03-2015;", "person;BSN-1;NL;12345678;50%;01-03-2015;"]
    )
    assert _problems(imported)[("aandeelhouders.csv:2", "owner_id")][0] == "missing value"
    assert list(imported.tables["ownerships"]["owner_id"]) == [PSEUDONYMS.person("BSN-1")]


@pytest.mark.parametrize("value", ["NaN%", "nan", "inf%"])
def test_csv_reports_a_percentage_that_is_not_a_number(tmp_path: Path, value: str) -> None:
    imported = _owners_csv(tmp_path, [f"company;23456789;NL;12345678;{value};01-03-2015;"])
    assert _problems(imported)[("aandeelhouders.csv:2", "share")][1] == value
    assert imported.tables["ownerships"].empty


ADDRESS_MAPPING = {
    "delimiter": ";",
    "tables": {
        "addresses": {
            "file": "adressen.csv",
            "columns": {
                "address_id": "id",
                "pc4": {"column": "postcode", "transform": "pc4"},
                "municipality": "plaats",
                "municipality_code": {"lookup": "municipality_code", "from": "plaats"},
                "riec_region": {"lookup": "riec_region", "from": "plaats"},
                "address_type": {"value": "unknown"},
            },
        }
    },
}


@pytest.mark.parametrize("postcode", ["12345", "1012 LGX", "1012-LG"])
def test_csv_reports_a_postcode_it_would_otherwise_cut_short(tmp_path: Path, postcode: str) -> None:
    imported = _csv(tmp_path, "adressen.csv", "id;postcode;plaats", [f"ADR-1;{postcode};Amsterdam"], ADDRESS_MAPPING)
    assert _problems(imported)[("adressen.csv:2", "pc4")] == ("not a Dutch postcode", postcode)


def test_csv_keeps_a_dutch_postcode_in_every_usual_spelling(tmp_path: Path) -> None:
    rows = ["ADR-1;1012 LG;Amsterdam", "ADR-2;1012lg;Amsterdam", "ADR-3;1012;Amsterdam"]
    imported = _csv(tmp_path, "adressen.csv", "id;postcode;plaats", rows, ADDRESS_MAPPING)
    assert not imported.report.problems and list(imported.tables["addresses"]["pc4"]) == ["1012"] * 3


def _ftm(tmp_path: Path, *entities: dict[str, Any]) -> Imported:
    path = tmp_path / "stream.ijson"
    path.write_text("".join(json.dumps(e) + "\n" for e in entities), encoding="utf-8")
    return read_ftm(path, PSEUDONYMS, municipalities(), Options(default_owner_jurisdiction="NL"))


ADDRESS = {"id": "addr-1", "schema": "Address", "properties": {"postalCode": ["1012 LG"], "city": ["Amsterdam"]}}


def _company(**properties: list[str]) -> dict[str, Any]:
    base = {"registrationNumber": ["12345678"], "name": ["A"], "legalForm": ["BV"], "classification": ["4711"],
            "incorporationDate": ["2015-03-01"], "addressEntity": ["addr-1"]}  # fmt: skip
    return {"id": "co-1", "schema": "Company", "properties": {**base, **properties}}


@pytest.mark.parametrize(
    ("prop", "value"),
    [("incorporationDate", "1066-10-14"), ("dissolutionDate", "2300-01-01")],
)  # a day that does not exist (2021-02-30) FtM drops itself, and the report counts it
def test_ftm_reports_a_date_outside_what_a_register_holds(tmp_path: Path, prop: str, value: str) -> None:
    imported = _ftm(tmp_path, ADDRESS, _company(**{prop: [value]}))
    assert _problems(imported)[("co-1", prop)][1] == value
    assert imported.tables["companies"].empty


@pytest.mark.parametrize("code", ["47", "471199", "G"])
def test_ftm_reports_an_sbi_code_that_is_not_four_or_five_digits(tmp_path: Path, code: str) -> None:
    imported = _ftm(tmp_path, ADDRESS, _company(classification=[code]))
    assert _problems(imported)[("co-1", "classification")][1] == code
    assert imported.tables["companies"].empty


@pytest.mark.parametrize("postcode", ["ABCD", "12345", "0123 AB"])
def test_ftm_reports_a_postcode_it_cannot_read(tmp_path: Path, postcode: str) -> None:
    address = {"id": "addr-1", "schema": "Address", "properties": {"postalCode": [postcode], "city": ["Amsterdam"]}}
    imported = _ftm(tmp_path, address)
    assert _problems(imported)[("addr-1", "postalCode")][1] == postcode
    assert imported.tables["addresses"].empty


@pytest.mark.parametrize("percentage", ["NaN", "inf"])
def test_ftm_reports_a_percentage_that_is_not_a_number(tmp_path: Path, percentage: str) -> None:
    owner = {"id": "co-2", "schema": "Company", "properties": {"registrationNumber": ["23456789"], "name": ["B"]}}
    stake = {"id": "own-1", "schema": "Ownership", "properties": {"owner": ["co-2"], "asset": ["co-1"],
             "percentage": [percentage], "startDate": ["2015-03-01"]}}  # fmt: skip
    imported = _ftm(tmp_path, ADDRESS, _company(), owner, stake)
    assert _problems(imported)[("own-1", "percentage")][1] == percentage
    assert imported.tables["ownerships"].empty


def test_writing_reports_a_value_no_importer_checked(tmp_path: Path) -> None:
    """The last line of defence: a value the table's type cannot hold is reported and its row left out."""
    frame = _companies(["4", "5", "6"]).assign(founded_on=["2015-03-01", "soon", "1066-10-14"])
    imported = Imported({"companies": frame}, ImportReport("x"))
    rows = write(imported, tmp_path / "out")
    problems = _problems(imported)
    assert problems[("company_id=10000001", "founded_on")][1] == "soon"
    written = pd.read_parquet(tmp_path / "out" / "companies.parquet")
    assert rows["companies"] == 2 and str(written.set_index("company_id").at["10000002", "founded_on"]) == "1066-10-14"
    stored = pd.read_parquet(tmp_path / "out" / "import_quarantine.parquet")
    assert "soon" in set(stored["value"])


def test_a_date_written_as_it_came_is_then_quarantined_by_validation(tmp_path: Path) -> None:
    """Out of pandas' range but written faithfully, it meets validation's quarantine; empty tables crash nothing."""
    from features.importers.records import default_jurisdictions
    from features.validation import validate_records

    address = {"address_id": ["ADR-1"], "pc4": ["1012"], "municipality": ["Amsterdam"], "municipality_code": ["GM0363"],
               "riec_region": ["Amsterdam-Amstelland"], "address_type": ["unknown"]}  # fmt: skip
    frame = _companies(["4", "5"]).assign(founded_on=["1066-10-14", "2015-03-01"])
    tables = {"companies": frame, "addresses": pd.DataFrame(address)}
    write(Imported(tables, ImportReport("x")), tmp_path / "out", default_jurisdictions())
    report = validate_records(tmp_path / "out")  # no persons and no officers: an empty reference table
    rows = report.quarantine[["row_key", "column", "reason", "value"]].to_dict("records")
    assert rows == [{"row_key": "company_id=10000000", "column": "founded_on", "reason": "not a valid date",
                     "value": "1066-10-14"}]  # fmt: skip


# --- 5. the sensitive-name guard knows Dutch and English names and their encodings --------------------------------


@pytest.mark.parametrize(
    "name",
    ["religie", "Religion", "religious_affiliation", "geloof", "sekse", "Sekse", "AgeGroup", "age_group", "ageGroup",
     "AGEGROUP", "agecategory", "Leeftijdsgroep", "leeftijd_klasse", "isFemale", "male", "citizenship",
     "Nationaliteit", "migratieachtergrond", "allochtoon", "sexCode", "birthYear", "gebjaar"],
)  # fmt: skip
def test_the_sensitive_name_guard_knows_more_names(name: str) -> None:
    assert is_sensitive_name(name)


def test_the_sensitive_name_guard_leaves_every_record_column_and_indicator_alone() -> None:
    names = {c.name for s in SCHEMAS for c in s.columns}
    names |= {i.id for i in CATALOGUE} | {c.split(".")[-1] for i in CATALOGUE for c in i.inputs}
    names |= {"agency", "passage", "message", "percentage", "mortgage_amount", "mortgageAmount", "Management",
              "sessions", "usage", "storage", "Werkzame personen", "KvK-nummer", "Handelsnaam", "Postcode"}  # fmt: skip
    assert not sorted(n for n in names if is_sensitive_name(n))
