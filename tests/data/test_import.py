"""Real data in: hand-written FtM and KvK-style CSV fixtures through the importers, validation, features and scores.

The FtM fixture (``fixtures/register.ijson``) covers every mapped schema (Company, Organization, LegalEntity,
Person, Directorship, Ownership, Address), an unmapped one (Payment), a multi-valued and an unknown property, a
partial date, a value FtM refuses, a reference to an entity not in the file, a corporate director, a line that
is not JSON and one with an unknown schema. The CSV fixture is a small KvK-style extract with Dutch dates and
decimal commas, a bad date, a non-number, an unknown municipality, a duplicate row and a birth-date column.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from features.importers.csv_mapping import parse_mapping
from features.importers.records import RecordsImportError
from features.importers.reference import Pseudonymiser
from features.validation import validate_records
from tegenkracht.cli import app

FIXTURES = Path(__file__).parent / "fixtures"
FTM = FIXTURES / "register.ijson"
CSV_FILES = sorted(FIXTURES.glob("kvk_*.csv"))
MAPPING = FIXTURES / "kvk_mapping.yaml"
KEY = "test-pseudonym-key"
runner = CliRunner()


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEGENKRACHT_PSEUDONYM_KEY", KEY)
    monkeypatch.setenv("TEGENKRACHT_PROGRESS", "0")


def _import(args: list[str]) -> tuple[int, dict[str, object]]:
    result = runner.invoke(app, ["import", *args, "--json"])
    payload = json.loads(result.stdout) if result.stdout.strip().startswith("{") else {}
    return result.exit_code, payload


def _table(out: Path, name: str) -> pd.DataFrame:
    return pd.read_parquet(out / f"{name}.parquet")


def _every_byte_outside_sensitive(out: Path) -> str:
    """All record tables and reports as text, to search for what must never be there."""
    parts = []
    for path in sorted(out.rglob("*")):
        if path.is_file() and "sensitive" not in path.relative_to(out).parts:
            if path.suffix == ".parquet":
                parts.append(pd.read_parquet(path).to_csv())
            else:
                parts.append(path.read_text(encoding="utf-8"))
    return "\n".join(parts)


def person(identifier: str) -> str:
    return Pseudonymiser(KEY.encode()).person(identifier)


def test_ftm_every_mapped_schema_lands_in_its_table(tmp_path: Path) -> None:
    out = tmp_path / "ftm"
    code, payload = _import(["ftm", str(FTM), "--out", str(out)])
    assert code == 1  # lines and entities were reported; the rest was imported
    companies = _table(out, "companies").set_index("company_id")
    assert set(companies.index) == {"12345678", "23456789", "34567890"}  # Company, Company, Organization
    damrak = companies.loc["12345678"]
    assert damrak["legal_form"] == "BV" and damrak["sbi_code"] == "4711" and damrak["address_id"] == "addr-ams-1"
    assert damrak["name"] == "Damrak Handel B.V."  # two names: the first in sorted order, and reported
    assert str(damrak["founded_on"]) == "2015-03-01" and pd.isna(damrak["employees"])
    assert str(companies.loc["23456789", "dissolved_on"]) == "2023-01-31"
    assert companies.loc["34567890", "legal_form"] == "stichting"
    addresses = _table(out, "addresses").set_index("address_id")
    assert addresses.loc["addr-ams-1", ["pc4", "municipality_code", "riec_region", "address_type"]].tolist() == [
        "1012", "GM0363", "Amsterdam-Amstelland", "unknown"]  # fmt: skip
    assert set(_table(out, "persons")["person_id"]) == {person("person-jan"), person("person-eva")}
    officers = _table(out, "officers").set_index("person_id")
    assert officers.loc[person("person-jan"), ["company_id", "role"]].tolist() == ["12345678", "bestuurder"]
    assert officers.loc[person("person-eva"), "role"] == "gevolmachtigde"
    assert str(officers.loc[person("person-eva"), "end_on"]) == "2020-12-31"
    owners = _table(out, "ownerships").set_index("owner_id")
    assert owners.loc[person("person-jan"), ["owner_type", "owner_jurisdiction", "share"]].tolist() == [
        "person", "NL", 1.0]  # fmt: skip
    assert owners.loc["34567890", ["owner_type", "share"]].tolist() == ["company", 0.6]
    assert owners.loc["cy-holding", ["owner_type", "owner_jurisdiction", "share"]].tolist() == [
        "foreign_entity", "CY", 0.4]  # fmt: skip
    assert len(_table(out, "jurisdictions")) > 0 and len(_table(out, "filings")) == 0
    assert payload["quarantined"] == dict.fromkeys(payload["quarantined"], 0)  # what was written is valid


def test_ftm_reports_every_line_entity_and_property_it_could_not_place(tmp_path: Path) -> None:
    out = tmp_path / "ftm"
    _import(["ftm", str(FTM), "--out", str(out)])
    problems = pd.read_parquet(out / "import_quarantine.parquet")
    by_key = {(str(r.row_key), str(r.column)): str(r.reason) for r in problems.itertuples()}
    assert by_key[("line 21", "")].startswith("not a FollowTheMoney entity")  # not JSON: the line number
    assert by_key[("line 22", "")].startswith("not a FollowTheMoney entity")  # schema Spaceship
    assert set(problems[problems.row_key.str.startswith("line ")]["value"]) == {""}  # a broken line is not copied
    assert by_key[("dir-4", "organization")] == "refers to an entity not in the file"
    ghost = problems[problems.row_key == "dir-5"].iloc[0]
    assert ghost["column"] == "director" and ghost["value"] == person("person-ghost")  # never the raw id
    assert by_key[("dir-3", "director")] == "a corporate director: the officers table holds persons only"
    assert by_key[("nl-le-1", "incorporationDate")] == "date without a day: the schemas need one"
    assert by_key[("addr-nowhere", "city")].startswith("municipality not in the reference list")
    assert by_key[("own-4", "percentage")] == "not a number"
    report = json.loads((out / "import_report.json").read_text())
    unmapped = report["unmapped"]
    assert unmapped["Company.website (no place in the schemas)"] == 1
    assert unmapped["Company.bogusProperty (not a property of the schema)"] == 1
    assert unmapped["Company.incorporationDate (invalid for its type, dropped by FtM)"] == 1
    assert unmapped["Company.name (several values: the first in sorted order used)"] == 1
    assert unmapped["Address.street (no place in the schemas)"] == 1
    assert unmapped["Person.name (personal data: not imported)"] == 2
    assert unmapped["Person.nationality (sensitive: not imported)"] == 1
    assert report["skipped"] == {"Payment (no place in the schemas)": 1,
                                 "Company without a KvK number (used only as an owner)": 1}  # fmt: skip


def test_ftm_sensitive_properties_stay_in_sensitive_and_only_when_asked(tmp_path: Path) -> None:
    secrets = ("1970-05-04", "none stated", "Jan Jansen", "Jansen", "person-jan", "person-ghost", "not recorded")
    plain = tmp_path / "plain"
    _import(["ftm", str(FTM), "--out", str(plain)])
    assert not (plain / "sensitive").exists()
    text = _every_byte_outside_sensitive(plain)
    assert not [s for s in secrets if s in text]
    audited = tmp_path / "audited"
    _import(["ftm", str(FTM), "--out", str(audited), "--sensitive"])
    kept = pd.read_parquet(audited / "sensitive" / "ftm_person_properties.parquet")
    jan = kept[kept.person_id == person("person-jan")].set_index("property")["value"].to_dict()
    assert jan == {"nationality": "nl", "gender": "male", "birthDate": "1970-05-04", "religion": "none stated"}
    assert not [s for s in secrets if s in _every_byte_outside_sensitive(audited)]


def test_ftm_import_runs_through_validate_features_and_score_unchanged(tmp_path: Path, small_world: Path) -> None:
    from features.pipeline import compute_indicators
    from serving.scoring import score_file
    from tests.service.world import quick_model

    out = tmp_path / "ftm"
    _import(["ftm", str(FTM), "--out", str(out), "--default-owner-jurisdiction", "NL"])
    assert runner.invoke(app, ["validate", str(out)]).exit_code == 0
    features = tmp_path / "indicators.parquet"
    result = runner.invoke(app, ["features", "--data", str(out), "--as-of", "2021-12-31", "--out", str(features),
                                 "--no-track", "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    indicators = pd.read_parquet(features)
    assert set(indicators["company_id"]) == {"12345678", "23456789", "34567890"}  # active on 2021-12-31
    assert np.isnan(indicators["domicile_address"]).all()  # the address type is unknown, so the flag is too
    trained_on, _ = compute_indicators(validate_records(small_world).tables, pd.Timestamp("2021-12-31"))
    model = quick_model(trained_on)
    run = score_file(model, features, tmp_path / "scores.parquet", "1")
    scores = pd.read_parquet(run.out)
    assert run.rows == 3 and np.isfinite(scores["probability"]).all()
    contributions = scores[[c for c in scores if c.startswith("shap__")] + ["base_value"]].sum(axis=1)
    assert np.allclose(contributions, scores["score"], atol=1e-9)


def test_csv_extract_through_its_mapping(tmp_path: Path) -> None:
    out = tmp_path / "csv"
    code, payload = _import(["csv", *map(str, CSV_FILES), "--mapping", str(MAPPING), "--out", str(out)])
    assert code == 1
    companies = _table(out, "companies").set_index("company_id")
    assert set(companies.index) == {"12345678", "23456789", "34567890"}
    assert companies.loc["23456789", "employees"] == 1250  # "1.250" with a decimal comma
    assert (
        companies.loc["23456789", "legal_form"] == "NV" and str(companies.loc["23456789", "founded_on"]) == "2010-06-15"
    )
    addresses = _table(out, "addresses").set_index("address_id")
    flex = addresses.loc["ADR-2"]
    assert (flex["pc4"], flex["address_type"], flex["riec_region"]) == ("3011", "domicile_flex", "Rotterdam")
    owners = _table(out, "ownerships").set_index("owner_id")
    assert owners.loc[person("BSN-0001"), "share"] == 1.0 and owners.loc["HE123456", "share"] == 0.4
    assert set(_table(out, "persons")["person_id"]) == {person("BSN-0001"), person("BSN-0002")}
    problems = pd.read_parquet(out / "import_quarantine.parquet")
    rows = {(str(r.row_key), str(r.column)): (str(r.reason), str(r.value)) for r in problems.itertuples()}
    assert rows[("kvk_bedrijven.csv:5", "founded_on")] == ("not a date in format %d-%m-%Y", "31-02-2020")
    assert rows[("kvk_bedrijven.csv:6", "employees")] == ("not a number (decimal ',')", "veel")
    assert rows[("kvk_adressen.csv:4", "municipality_code")][1] == "Atlantis"
    assert payload["unmapped"] == {"kvk_bedrijven.csv.Website (no place in the schemas)": 1,
                                   "kvk_functionarissen.csv.Geboortedatum (sensitive: never imported)": 1}  # fmt: skip
    assert "persons: 1 identical row(s) kept once" in payload["notes"]
    text = _every_byte_outside_sensitive(out)
    assert "BSN-0001" not in text and "04-05-1970" not in text and "1970" not in text
    assert payload["quarantined"] == dict.fromkeys(payload["quarantined"], 0)


@pytest.mark.parametrize(
    ("raw", "named"),
    [
        ({"tables": {"firms": {"file": "x.csv", "columns": {}}}}, "tables.firms"),
        ({"tables": {"persons": {"file": "x.csv", "columns": {"person_id": "id", "nickname": "n"}}}},
         "['nickname'] are not columns of persons"),
        ({"tables": {"officers": {"file": "x.csv", "columns": {"company_id": "kvk"}}}}, "lacks required column(s)"),
        ({"tables": {"persons": {"file": "x.csv", "columns": {"person_id": {"column": "id", "transform": "x"}}}}},
         "tables.persons.columns.person_id: transform"),
        ({"tables": {"persons": {"file": "x.csv", "columns": {"person_id": {"value": "a", "column": "b"}}}}},
         "exactly one of"),
        ({"delimitter": ";", "tables": {"persons": {"file": "x", "columns": {"person_id": "id"}}}}, "delimitter"),
    ],
)  # fmt: skip
def test_a_bad_mapping_is_refused_naming_its_place(raw: dict[str, object], named: str) -> None:
    with pytest.raises(RecordsImportError, match=re.escape(named)):
        parse_mapping(raw)


def test_bad_input_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    missing = runner.invoke(app, ["import", "ftm", str(tmp_path / "none.ijson"), "--out", str(tmp_path / "a")])
    assert missing.exit_code == 2 and not (tmp_path / "a").exists()
    one_file = runner.invoke(app, ["import", "csv", str(CSV_FILES[0]), "--mapping", str(MAPPING),
                                   "--out", str(tmp_path / "b")])  # fmt: skip
    assert one_file.exit_code == 2 and "matches 0 of the files" in one_file.output
    assert not (tmp_path / "b").exists()
    seat = runner.invoke(app, ["import", "ftm", str(FTM), "--out", str(tmp_path / "c"),
                               "--default-owner-jurisdiction", "Nederland"])  # fmt: skip
    assert seat.exit_code == 2 and not (tmp_path / "c").exists()


def test_pseudonyms_are_keyed_and_stable() -> None:
    one, other = Pseudonymiser(b"k1"), Pseudonymiser(b"k2")
    assert one.person("BSN-0001") == one.person("BSN-0001") != other.person("BSN-0001")
    assert one.person("BSN-0001").startswith("P") and len(one.person("BSN-0001")) == 33


def test_the_synthetic_register_survives_a_round_trip_through_ftm(small_world: Path, tmp_path: Path) -> None:
    """Export the world as FtM, import it back: the same tables, up to what FtM cannot carry."""
    from synth.ftm import export_ftm

    stream = tmp_path / "world.ijson"
    export_ftm(small_world, stream)
    out = tmp_path / "back"
    code, payload = _import(["ftm", str(stream), "--out", str(out)])
    assert code == 0, payload
    assert payload["import_problems"] == 0 and not payload["unmapped"] and not payload["skipped"]

    def original(name: str) -> pd.DataFrame:
        return pd.read_parquet(small_world / f"{name}.parquet")

    def same(name: str, frame: pd.DataFrame, key: list[str], columns: list[str]) -> None:
        left = frame[columns].sort_values(key).reset_index(drop=True).astype(str)
        right = _table(out, name)[columns].sort_values(key).reset_index(drop=True).astype(str)
        pd.testing.assert_frame_equal(left, right, check_dtype=False)

    keep = ["company_id", "name", "legal_form", "sbi_code", "founded_on", "dissolved_on", "address_id"]
    same("companies", original("companies"), ["company_id"], keep)
    assert _table(out, "companies")["employees"].isna().all()  # FtM has no employee count
    same("addresses", original("addresses"), ["address_id"],
         ["address_id", "pc4", "municipality", "municipality_code", "riec_region"])  # fmt: skip
    assert set(_table(out, "addresses")["address_type"]) == {"unknown"}
    persons = original("persons")["person_id"]
    pseudonyms = {p: person(p) for p in persons}
    assert set(_table(out, "persons")["person_id"]) == set(pseudonyms.values())
    officers = original("officers").assign(person_id=lambda f: f.person_id.map(pseudonyms))
    same("officers", officers, ["company_id", "person_id", "role", "start_on"], list(officers.columns))
    owners = original("ownerships")
    person_rows = owners.owner_type == "person"
    owners.loc[person_rows, "owner_id"] = owners.loc[person_rows, "owner_id"].map(pseudonyms)
    back = _table(out, "ownerships")
    key = ["owner_type", "owner_id", "company_id", "start_on"]
    same("ownerships", owners, key, [c for c in owners.columns if c != "share"])
    shares = owners.sort_values(key)["share"].to_numpy()
    assert np.allclose(back.sort_values(key)["share"].to_numpy(), shares, rtol=0, atol=1e-12)


def test_no_importer_can_write_a_sensitive_column_into_a_record_table(tmp_path: Path) -> None:
    from features.importers.records import Imported, ImportReport, write

    leaking = Imported({"persons": pd.DataFrame({"person_id": ["P1"], "gender": ["female"]})}, ImportReport("x"))
    with pytest.raises(RecordsImportError, match="gender"):
        write(leaking, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_missing_municipality_list_is_a_clear_error_not_a_traceback(tmp_path: Path) -> None:
    result = runner.invoke(app, ["import", "ftm", str(FTM), "--out", str(tmp_path / "a"),
                                 "--municipalities", str(tmp_path / "none.csv")])  # fmt: skip
    assert result.exit_code == 2 and "municipality list cannot be read" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert not (tmp_path / "a").exists()
