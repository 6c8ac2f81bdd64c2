"""Expectations on the generated data itself: determinism, schemas, identities, knobs, separation."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from features import SCHEMA_BY_NAME, is_sensitive_name, validate_records
from synth import RECORD_TABLES, WorldConfig, build_world, generate_world


def _manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text())


def test_same_seed_gives_same_bytes(tmp_path: Path, small_world: Path) -> None:
    again = tmp_path / "again"
    generate_world(WorldConfig(n_companies=3_000, seed=7), again)
    assert _manifest(again)["files"] == _manifest(small_world)["files"]


def test_other_seed_gives_other_world(tmp_path: Path, small_world: Path) -> None:
    other = tmp_path / "other"
    generate_world(WorldConfig(n_companies=3_000, seed=8), other)
    assert (
        _manifest(other)["files"]["companies.parquet"]["sha256"]
        != (_manifest(small_world)["files"]["companies.parquet"]["sha256"])
    )


def test_generated_world_is_schema_valid(small_world: Path) -> None:
    report = validate_records(small_world)
    assert report.ok, report.quarantine.head(20).to_string()
    assert set(report.rows_in) == set(RECORD_TABLES)
    assert all(n > 0 for n in report.rows_in.values())


@pytest.mark.parametrize("label_bias,segregation", [(1.0, 0.0), (4.0, 1.0)])
def test_extreme_knobs_stay_schema_valid(tmp_path: Path, label_bias: float, segregation: float) -> None:
    out = tmp_path / "w"
    generate_world(WorldConfig(n_companies=2_000, seed=3, label_bias=label_bias, segregation=segregation), out)
    assert validate_records(out).ok


def test_balance_sheet_identity(small_world: Path) -> None:
    f = pd.read_parquet(small_world / "filings.parquet")
    assert len(f) > 1000
    assert (f.total_assets == f.equity + f.liabilities).all()
    assert (f.profit == f.revenue - f.costs).all()
    assert (f.related_party_loans <= f.liabilities).all()
    assert (f.cash <= f.total_assets).all()
    assert (f.equity < 0).any(), "a realistic register has companies with negative equity"


def test_records_carry_exactly_the_schema_columns(small_world: Path) -> None:
    for name in RECORD_TABLES:
        cols = pq.read_schema(small_world / f"{name}.parquet").names
        assert cols == list(SCHEMA_BY_NAME[name].column_names), name


def test_no_sensitive_column_outside_sensitive(small_world: Path) -> None:
    outside = [p for p in small_world.rglob("*.parquet") if "sensitive" not in p.relative_to(small_world).parts]
    assert outside
    for path in outside:
        names = pq.read_schema(path).names
        assert not [n for n in names if is_sensitive_name(n)], path
    inside = pq.read_schema(small_world / "sensitive" / "persons.parquet").names
    assert {"birth_year", "gender", "migration_background"} <= set(inside)
    assert all(is_sensitive_name(n) for n in inside if n != "person_id")


def test_sensitive_name_guard_catches_encodings() -> None:
    for name in (
        "nationality",
        "migration_background",
        "Geslacht",
        "owner_age",
        "birth_year",
        "ses_class",
        "is_female_gender",
        "herkomst_code",
        "geboortedatum",
    ):
        assert is_sensitive_name(name), name
    for name in ("company_id", "passage", "message", "agency", "sbi_code", "employees", "pc4"):
        assert not is_sensitive_name(name), name


def test_persons_are_pseudonymous(small_world: Path) -> None:
    persons = pd.read_parquet(small_world / "persons.parquet")
    assert list(persons.columns) == ["person_id"]
    assert persons.person_id.str.fullmatch(r"P\d{10}").all()
    assert persons.person_id.is_unique


def test_geography_has_every_region_and_real_codes(small_world: Path) -> None:
    a = pd.read_parquet(small_world / "addresses.parquet")
    assert a.riec_region.nunique() == 10
    assert a.municipality_code.str.fullmatch(r"GM\d{4}").all()
    ams = a[a.municipality == "Amsterdam"]
    assert (ams.municipality_code == "GM0363").all() and (ams.riec_region == "Amsterdam-Amstelland").all()


def test_heavy_tailed_sizes(small_world: Path) -> None:
    c = pd.read_parquet(small_world / "companies.parquet")
    assert (c.employees == 0).mean() > 0.4
    assert c.employees.max() > 50 * max(c.employees.median(), 1)
    assert c.legal_form.value_counts().index[0] == "eenmanszaak"


@pytest.fixture(scope="module")
def mid_worlds() -> dict[float, dict[str, pd.DataFrame]]:
    """Two 40k worlds differing only in label bias, in memory."""
    out = {}
    for bias in (1.0, 4.0):
        tables = build_world(WorldConfig(n_companies=40_000, seed=11, label_bias=bias, segregation=1.0))
        out[bias] = {k: v.to_pandas() for k, v in tables.items()}
    return out


def test_prevalence_in_range(mid_worlds: dict[float, dict[str, pd.DataFrame]]) -> None:
    truth = mid_worlds[1.0]["truth/companies"]
    assert 0.01 <= truth.involved.mean() <= 0.02
    # the oracle is not a certainty: even the highest propensity leaves room for doubt
    assert truth.propensity.max() < 0.9


def _visible(world: dict[str, pd.DataFrame]) -> pd.Series:
    """Visibility per company, computed the way an auditor would: from sensitive/ joined to the register."""
    co = world["companies"].merge(world["addresses"][["address_id", "pc4"]], on="address_id")
    ses = world["sensitive/neighbourhoods"].set_index("pc4").ses_class
    off = world["officers"]
    boss = off[off.role == "bestuurder"].sort_values("start_on").groupby("company_id").person_id.last()
    mig = world["sensitive/persons"].set_index("person_id").migration_background
    low = co.pc4.map(ses).eq("low").to_numpy()
    nw = co.company_id.map(boss).map(mig).eq("non_western").to_numpy()
    return pd.Series(low.astype(int) + nw.astype(int), index=co.company_id)


def test_label_bias_raises_case_rates_for_visible_groups_only(
    mid_worlds: dict[float, dict[str, pd.DataFrame]],
) -> None:
    plain, biased = mid_worlds[1.0], mid_worlds[4.0]
    pd.testing.assert_frame_equal(plain["truth/companies"], biased["truth/companies"])
    vis = _visible(plain)
    rates = {}
    for bias, world in ((1.0, plain), (4.0, biased)):
        cased = vis.index.isin(world["cases"].company_id)
        rates[bias] = (cased[vis.to_numpy() > 0].mean(), cased[vis.to_numpy() == 0].mean())
    assert rates[4.0][0] > 2.0 * rates[1.0][0], rates  # visible groups investigated far more often
    # invisible ones unchanged (up to companies whose "director" the test picks differently from the generator)
    assert rates[4.0][1] == pytest.approx(rates[1.0][1], rel=0.05), rates
    assert rates[4.0][0] / rates[4.0][1] > 2.5 * rates[1.0][0] / rates[1.0][1]


def test_truth_base_rate_equal_across_groups(mid_worlds: dict[float, dict[str, pd.DataFrame]]) -> None:
    """Equal in expectation (mean propensity) and, up to sampling noise, in the realised truth."""
    world = mid_worlds[1.0]
    truth = world["truth/companies"].set_index("company_id")
    off = world["officers"]
    boss = off[off.role == "bestuurder"].sort_values("start_on").groupby("company_id").person_id.last()
    persons = world["sensitive/persons"].set_index("person_id")
    # age at the end of the window, in the audit's bands: no channel drives it, so no base-rate difference either
    persons["age_group"] = pd.cut(2025 - persons["birth_year"], [0, 30, 45, 60, 200], right=False).astype(str)
    for attr in ("migration_background", "gender", "age_group"):
        group = truth.index.map(boss).map(persons[attr])
        expected = truth.propensity.groupby(group).mean()
        realised = truth.involved.groupby(group).mean()
        assert expected.max() / expected.min() < 1.15, (attr, expected.to_dict())
        assert realised.max() / realised.min() < 1.35, (attr, realised.to_dict())


def test_segregation_knob_creates_the_proxy_channel() -> None:
    shares = {}
    risky = {s for s in ("9602", "4742", "4932", "4778", "6619")}
    for g in (0.0, 1.0):
        w = {k: v.to_pandas() for k, v in build_world(WorldConfig(n_companies=20_000, seed=5, segregation=g)).items()}
        off = w["officers"][w["officers"].role == "bestuurder"].merge(w["companies"], on="company_id")
        mig = off.person_id.map(w["sensitive/persons"].set_index("person_id").migration_background)
        in_risky = off.sbi_code.isin(risky)
        shares[g] = (mig[in_risky] == "non_western").mean() / (mig[~in_risky] == "non_western").mean()
    assert shares[0.0] == pytest.approx(1.0, abs=0.2)
    assert shares[1.0] > 1.8, shares


def test_no_world_gives_involvement_away(mid_worlds: dict[float, dict[str, pd.DataFrame]]) -> None:
    """Every record column alone leaves most of the classes mixed (honest look-alikes exist)."""
    world = mid_worlds[1.0]
    truth = world["truth/companies"].set_index("company_id").involved
    co = world["companies"].set_index("company_id")
    by_sector = truth.groupby(co.sbi_code).mean()
    assert by_sector.max() < 0.25, by_sector.sort_values().tail()
    dom = co.address_id.map(world["addresses"].set_index("address_id").address_type) == "domicile_flex"
    assert truth[dom].mean() < 0.25
    assert truth[dom].sum() < 0.5 * truth.sum()


def test_row_order_is_by_public_identifiers_only(small_world: Path) -> None:
    """Rows leave the generator grouped by mechanism; written in that order, position would betray truth."""
    from synth._tables import SORT_KEYS

    for name, keys in SORT_KEYS.items():
        df = pd.read_parquet(small_world / f"{name}.parquet", columns=keys)
        assert df.equals(df.sort_values(keys, kind="stable").reset_index(drop=True)), name
    truth = pd.read_parquet(small_world / "truth" / "companies.parquet")
    tail = truth.targeted.iloc[-len(truth) // 10 :].mean()
    assert tail < 3 * truth.targeted.mean()


def test_segregation_leaves_identifiers_and_truth_alone() -> None:
    a = build_world(WorldConfig(n_companies=5_000, seed=9, segregation=0.0))
    b = build_world(WorldConfig(n_companies=5_000, seed=9, segregation=1.0))
    assert a["truth/companies"].equals(b["truth/companies"])
    assert a["companies"].column("company_id").equals(b["companies"].column("company_id"))
    assert a["persons"].equals(b["persons"])
