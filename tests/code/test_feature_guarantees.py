"""The indicator pipeline's guarantees: point in time, no sensitive attribute, catalogue-exact output."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from features import validate_records
from features.catalogue import CATALOGUE, CatalogueError, check_catalogue
from features.pipeline import IndicatorError, compute_indicators

AS_OF = pd.Timestamp("2021-12-31")
LATER = AS_OF + pd.Timedelta(days=1)


def _shift_future(s: pd.Series, rng: np.random.Generator) -> pd.Series:
    """Move every date after the as-of date to another date after it."""
    future = s > AS_OF
    moved = LATER + pd.to_timedelta(rng.integers(0, 1500, len(s)), unit="D")
    return s.where(~future, moved)


def _rewrite_the_future(tables: dict[str, pd.DataFrame], rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    """Change or add every record dated after the as-of date; leave everything known by then alone."""
    t = {k: v.copy() for k, v in tables.items()}
    co = t["companies"]
    later = co.founded_on > AS_OF
    co.loc[later, "sbi_code"] = "9602"
    co.loc[later, "legal_form"] = "BV"
    co.loc[later, "address_id"] = co.address_id.iloc[0]  # crowd an existing address, but only in the future
    co["dissolved_on"] = _shift_future(co.dissolved_on, rng)
    co["employees"] = rng.integers(0, 500, len(co))  # undated snapshot: must not be used at all
    off = t["officers"]
    late = off.start_on > AS_OF
    off.loc[late, "person_id"] = off.person_id.sample(int(late.sum()), replace=True, random_state=1).to_numpy()
    off["end_on"] = _shift_future(off.end_on, rng)
    off.loc[late, "start_on"] = _shift_future(off.start_on[late], rng).clip(lower=LATER)
    own = t["ownerships"]
    own["end_on"] = _shift_future(own.end_on, rng)
    own.loc[own.start_on > AS_OF, "owner_jurisdiction"] = "PA"
    fil = t["filings"]
    late = fil.filed_on > AS_OF
    fil.loc[late, ["revenue", "costs", "profit"]] = [10**9, 0, 10**9]
    cf = t["cash_flows"]
    cf.loc[cf.quarter_start > AS_OF - pd.DateOffset(months=3), "cash_deposits"] = 10**9
    pr = t["properties"]
    pr.loc[pr.purchase_date > AS_OF, "mortgage_amount"] = 0
    sold_later = pr.resale_date > AS_OF
    pr.loc[sold_later, "resale_date"] = LATER
    pr.loc[sold_later, "resale_price"] = pr.purchase_price[sold_later] * 5
    ins = t["insolvencies"]
    active = co.company_id[co.founded_on <= AS_OF].sample(50, random_state=2)
    t["insolvencies"] = pd.concat(
        [ins, pd.DataFrame({"company_id": active.to_numpy(), "declared_on": LATER, "kind": "faillissement"})],
        ignore_index=True,
    )
    cs = t["cases"]
    unknown = cs.closed_on.isna() | (cs.closed_on > AS_OF)
    cs.loc[unknown, "outcome"] = "confirmed"
    cs.loc[unknown, "closed_on"] = LATER
    new_cases = pd.DataFrame(
        {
            "case_id": [f"NEW{i}" for i in range(30)],
            "company_id": active.iloc[:30].to_numpy(),
            "opened_on": AS_OF - pd.Timedelta(days=10),
            "closed_on": LATER,
            "outcome": "confirmed",
            "source": "FIOD",
        }
    )
    t["cases"] = pd.concat([cs, new_cases], ignore_index=True)
    return t


def test_records_dated_after_the_as_of_date_change_nothing(small_world: Path) -> None:
    tables = validate_records(small_world).tables
    before, _ = compute_indicators(tables, AS_OF)
    after, _ = compute_indicators(_rewrite_the_future(tables, np.random.default_rng(0)), AS_OF)
    pd.testing.assert_frame_equal(before, after)
    # and the rewrite is not a no-op: at a later as-of date the same changes do show
    later_before, _ = compute_indicators(tables, pd.Timestamp("2025-12-31"))
    later_after, _ = compute_indicators(
        _rewrite_the_future(tables, np.random.default_rng(0)), pd.Timestamp("2025-12-31")
    )
    assert not later_before.equals(later_after)


def test_pipeline_never_reads_sensitive(small_world: Path, tmp_path: Path, parquet_reads: list[str]) -> None:
    world = tmp_path / "w"
    shutil.copytree(small_world, world)
    shutil.rmtree(world / "sensitive")
    shutil.rmtree(world / "truth")
    frame, _ = compute_indicators(validate_records(world).tables, AS_OF)
    assert len(frame) > 1000
    assert parquet_reads and not [p for p in parquet_reads if "sensitive" in p or "truth" in p]


def test_sensitive_input_column_is_refused(small_world: Path) -> None:
    tables = validate_records(small_world).tables
    tables["companies"] = tables["companies"].assign(owner_nationality="NL")
    with pytest.raises(IndicatorError, match="sensitive"):
        compute_indicators(tables, AS_OF)


@pytest.mark.parametrize(
    "change",
    [
        {"id": "director_migration_background"},
        {"inputs": ("sensitive/persons.gender",)},
        {"inputs": ("officers.person_id", "persons.birth_year")},
    ],
)
def test_sensitive_indicator_definition_is_refused(change: dict) -> None:
    bad = replace(CATALOGUE[0], **change)
    with pytest.raises(CatalogueError, match="sensitive"):
        check_catalogue((*CATALOGUE[1:], bad))


def test_catalogue_is_complete_and_documented() -> None:
    check_catalogue()
    assert len(CATALOGUE) >= 30
    families = {f for i in CATALOGUE for f in i.design_family.split(",")}
    assert families == {str(k) for k in range(1, 16)}, "every DESIGN.md §3 family is covered"
    for ind in CATALOGUE:
        assert ind.label_nl and ind.label_en and ind.description and ind.rationale and ind.unit
        assert ind.direction in {"higher", "lower", "context"}
    assert {i.id for i in CATALOGUE if i.proxy_risk} >= {"sector_cash_intensive", "companies_at_address"}


def test_missing_data_stays_missing(small_world: Path) -> None:
    frame, _ = compute_indicators(validate_records(small_world).tables, AS_OF)
    # companies that never filed have no revenue-based value: NaN, not an imputed number
    assert frame.revenue_per_employee_z.isna().any()
    assert frame.employees_latest.isna().sum() == frame.negative_equity_active.isna().sum()
    # cash flows only exist for the last three years of the window: in 2021 nothing is known
    assert frame.cash_deposit_share_z.isna().all()


def test_as_of_before_any_company_gives_an_empty_table(small_world: Path) -> None:
    frame, peers = compute_indicators(validate_records(small_world).tables, pd.Timestamp("1900-01-01"))
    assert len(frame) == 0
    assert [i.id for i in CATALOGUE] == list(frame.columns[-len(CATALOGUE) :])
    assert peers.table.empty


def test_ownership_cycles_add_no_layers(small_world: Path) -> None:
    tables = validate_records(small_world).tables
    own = tables["ownerships"]
    a, b = own.company_id.iloc[0], own.company_id.iloc[1]
    start = pd.Timestamp("2016-01-01")
    cycle = pd.DataFrame(
        {
            "owner_type": "company",
            "owner_id": [b, a],
            "owner_jurisdiction": "NL",
            "company_id": [a, b],
            "share": 0.5,
            "start_on": start,
            "end_on": pd.NaT,
        }
    )
    tables["ownerships"] = pd.concat([own, cycle], ignore_index=True).astype(own.dtypes.to_dict())
    frame, _ = compute_indicators(tables, pd.Timestamp("2024-12-31"))
    layers = frame.set_index("company_id").ownership_layers
    assert layers.max() <= 3, "a two-company cycle must not walk to the five-layer cap"


def test_seeds_never_score_their_own_case(small_world: Path) -> None:
    tables = validate_records(small_world).tables
    as_of = pd.Timestamp("2024-12-31")
    co = tables["companies"]
    active = co[co.dissolved_on.isna()]
    crowded = active[active.duplicated("address_id", keep=False)].sort_values("address_id").head(2)
    seed, neighbour = crowded.company_id.tolist()
    case = pd.DataFrame(
        {
            "case_id": ["SEED"],
            "company_id": [seed],
            "opened_on": [pd.Timestamp("2020-01-01")],
            "closed_on": [pd.Timestamp("2021-01-01")],
            "outcome": ["confirmed"],
            "source": ["FIOD"],
        }
    )
    tables["cases"] = pd.concat([tables["cases"], case], ignore_index=True).astype(tables["cases"].dtypes.to_dict())
    frame = compute_indicators(tables, as_of)[0].set_index("company_id")
    assert frame.loc[seed, "ppr_confirmed"] == 0
    assert frame.loc[neighbour, "ppr_confirmed"] > 0
    assert frame.loc[neighbour, "linked_confirmed_1hop"] >= 1


def test_bank_data_cut_at_the_as_of_date(small_world: Path) -> None:
    """Mid-2024: the quarter running on the as-of date and everything after it must not count."""
    tables = validate_records(small_world).tables
    as_of = pd.Timestamp("2024-08-15")
    before, _ = compute_indicators(tables, as_of)
    cf = tables["cash_flows"].copy()
    cf.loc[cf.quarter_start >= pd.Timestamp("2024-07-01"), ["cash_deposits", "transfers_in"]] = [10**9, 1]
    tables["cash_flows"] = cf
    after, _ = compute_indicators(tables, as_of)
    pd.testing.assert_frame_equal(before, after)
    assert before.cash_deposit_share_z.notna().any()


def test_a_company_s_own_case_never_feeds_its_links_through_people(small_world: Path) -> None:
    """Out of fold by construction: a seed's own confirmed case adds to the companies it shares a director with."""
    tables = validate_records(small_world).tables
    as_of = pd.Timestamp("2024-12-31")
    co, off, cases = tables["companies"], tables["officers"], tables["cases"]
    clean = co.company_id[co.dissolved_on.isna() & ~co.company_id.isin(cases.company_id)]
    current = off[off.end_on.isna() & off.company_id.isin(clean)]
    shared = current[current.duplicated("person_id", keep=False)].sort_values(["person_id", "company_id"])
    pair = shared.groupby("person_id").company_id.agg(lambda c: list(dict.fromkeys(c))).map(len) == 2
    person = pair[pair].index[0]
    seed, neighbour = shared[shared.person_id == person].company_id.unique().tolist()
    before = compute_indicators(tables, as_of)[0].set_index("company_id")["linked_confirmed_people"]
    case = pd.DataFrame(
        {
            "case_id": ["SEED"],
            "company_id": [seed],
            "opened_on": [pd.Timestamp("2020-01-01")],
            "closed_on": [pd.Timestamp("2021-01-01")],
            "outcome": ["confirmed"],
            "source": ["FIOD"],
        }
    )
    tables["cases"] = pd.concat([tables["cases"], case], ignore_index=True).astype(tables["cases"].dtypes.to_dict())
    after = compute_indicators(tables, as_of)[0].set_index("company_id")["linked_confirmed_people"]
    assert after[seed] == before[seed]
    assert after[neighbour] == before[neighbour] + 1
