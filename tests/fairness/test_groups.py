"""Group membership: one row per company, the lead officer's attributes, unknown never imputed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from fairness.groups import ATTRIBUTES, STRATA, UNKNOWN, GroupDataError, company_groups, gating_attributes

AS_OF = pd.Timestamp("2023-12-31")


def _active(world: Path) -> pd.Series:
    co = pd.read_parquet(world / "companies.parquet")
    alive = (pd.to_datetime(co.founded_on) <= AS_OF) & (
        co.dissolved_on.isna() | (pd.to_datetime(co.dissolved_on) > AS_OF)
    )
    return co.loc[alive, "company_id"].reset_index(drop=True)


def test_one_row_per_company_in_order_and_every_column(small_world: Path) -> None:
    ids = _active(small_world).sample(frac=1.0, random_state=3)
    groups = company_groups(small_world, ids, AS_OF)
    assert groups["company_id"].tolist() == ids.tolist()
    for col in (*gating_attributes(), *STRATA):
        assert groups[col].notna().all() and not groups[col].isin(["nan", "None"]).any(), col
    assert set(groups["gender"]) <= {"female", "male", UNKNOWN}
    assert set(groups["age_group"]) <= {"<30", "30-44", "45-59", "60+", UNKNOWN}
    both = groups["migration_background"] + "+" + groups["neighbourhood_ses"]
    assert (groups["migration_background+neighbourhood_ses"] == both).all()


def test_the_lead_officer_is_the_longest_in_office(small_world: Path) -> None:
    ids = _active(small_world)
    off = pd.read_parquet(small_world / "officers.parquet")
    off = off[off.role.isin(["bestuurder", "aandeelhouder"]) & (pd.to_datetime(off.start_on) <= AS_OF)]
    off = off[off.end_on.isna() | (pd.to_datetime(off.end_on) > AS_OF)]
    persons = pd.read_parquet(small_world / "sensitive" / "persons.parquet").set_index("person_id")
    off = off.assign(mig=off.person_id.map(persons.migration_background))
    mixed = off.groupby("company_id").mig.nunique()
    company = mixed[mixed > 1].index[0]  # a company whose officers differ in background
    rows = off[off.company_id == company].sort_values(["start_on"])
    groups = company_groups(small_world, ids, AS_OF).set_index("company_id")
    assert groups.loc[company, "migration_background"] == rows.iloc[0]["mig"]


def test_unknown_attributes_are_a_group_not_a_guess(small_world: Path, tmp_path: Path) -> None:
    world = tmp_path / "world"
    shutil.copytree(small_world, world)
    persons = pd.read_parquet(world / "sensitive" / "persons.parquet")
    persons["gender"] = None  # nobody's gender is known
    persons.to_parquet(world / "sensitive" / "persons.parquet")
    groups = company_groups(world, _active(world), AS_OF)
    assert set(groups["gender"]) == {UNKNOWN}
    assert (groups["migration_background"] != UNKNOWN).any()


def test_missing_sensitive_tables_are_named(small_world: Path, tmp_path: Path) -> None:
    world = tmp_path / "world"
    shutil.copytree(small_world, world, ignore=shutil.ignore_patterns("sensitive"))
    with pytest.raises(GroupDataError, match="sensitive"):
        company_groups(world, _active(world), AS_OF)


def test_the_sensitive_attributes_are_the_briefs_four() -> None:
    assert ATTRIBUTES == ("migration_background", "gender", "age_group", "neighbourhood_ses")
