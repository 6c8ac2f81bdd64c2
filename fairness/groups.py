"""Which sensitive group a company belongs to, derived from its officers and its address.

This module is the only reader of ``sensitive/`` in the whole code base (a test enforces it): the attributes
never reach indicators or models, only the audit. A company has no nationality or gender of its own, so group
membership is *defined* here, and the definition is part of the published method (``docs/fairness.md``):

- **officers** are the natural persons in office on the as-of date as director (*bestuurder*) or registered sole
  shareholder (*aandeelhouder*); proxy holders are employees, not the face of the company, and are left out;
- the company takes the attributes of its **lead officer**: the one longest in office (a director before a
  shareholder on the same day) among those whose attributes are known. One person per company on purpose: a
  rule such as "any officer is non-western" or "the youngest officer" makes membership depend on how many
  officers a company has, and companies used by criminal networks have more of them (straw men), so the rule
  itself would correlate with involvement;
- **migration_background** (``none``, ``western``, ``non_western``), **gender** (``female``, ``male``) and
  **age_group** (age on the as-of date: ``<30``, ``30-44``, ``45-59``, ``60+``) are the lead officer's;
- **neighbourhood_ses**: the socio-economic class of the PC4 area of the registered address;
- a company without an officer with known attributes is ``unknown``, shown as a group of its own and never
  imputed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from features._context import sbi_section

SENSITIVE_DIR = "sensitive"
ATTRIBUTES: tuple[str, ...] = ("migration_background", "gender", "age_group", "neighbourhood_ses")
INTERSECTIONS: tuple[tuple[str, str], ...] = (
    ("migration_background", "neighbourhood_ses"),
    ("migration_background", "gender"),
)
STRATA: tuple[str, ...] = ("riec_region", "sbi_section")
UNKNOWN = "unknown"
OFFICER_ROLES = ("bestuurder", "aandeelhouder")
AGE_BANDS: tuple[tuple[int, str], ...] = ((30, "<30"), (45, "30-44"), (60, "45-59"), (200, "60+"))
#: Columns a real extract of the sensitive tables must carry (the synthetic world writes exactly these).
SENSITIVE_COLUMNS: dict[str, tuple[str, ...]] = {
    "persons": ("person_id", "birth_year", "gender", "migration_background"),
    "neighbourhoods": ("pc4", "ses_class"),
}


class GroupDataError(ValueError):
    """The sensitive tables or the records needed to place companies in groups are missing or incomplete."""


def intersection_name(a: str, b: str) -> str:
    """``migration_background+neighbourhood_ses``: one attribute per intersection in the group table."""
    return f"{a}+{b}"


def gating_attributes() -> tuple[str, ...]:
    """The attributes whose disparities can fail the gate: the sensitive ones and their intersections."""
    return (*ATTRIBUTES, *(intersection_name(a, b) for a, b in INTERSECTIONS))


def company_groups(data: Path, company_ids: pd.Series, as_of: pd.Timestamp) -> pd.DataFrame:
    """One row per company id (in the given order): every attribute, intersection and stratum as a string."""
    persons = _read_sensitive(data, "persons")
    officers = _officers_in_office(data, as_of)
    officers = officers.merge(persons, on="person_id", how="inner")
    per_company = _per_company(officers, as_of)
    place = _place(data)
    out = pd.DataFrame({"company_id": company_ids.to_numpy()})
    out = out.merge(per_company, on="company_id", how="left").merge(place, on="company_id", how="left")
    missing_place = int(out["riec_region"].isna().sum())
    if missing_place:
        raise GroupDataError(f"{missing_place} scored companies are not in companies/addresses of {data}")
    for col in (*ATTRIBUTES, *STRATA):
        out[col] = out[col].fillna(UNKNOWN).astype(str)
    for a, b in INTERSECTIONS:
        out[intersection_name(a, b)] = out[a] + "+" + out[b]
    return out


def _read_sensitive(data: Path, name: str) -> pd.DataFrame:
    path = data / SENSITIVE_DIR / f"{name}.parquet"
    if not path.exists():
        raise GroupDataError(f"{path} is missing: the audit needs the sensitive tables (see docs/fairness.md)")
    frame = pd.read_parquet(path)
    lacking = [c for c in SENSITIVE_COLUMNS[name] if c not in frame.columns]
    if lacking:
        raise GroupDataError(f"{path} lacks column(s) {lacking}")
    return frame[list(SENSITIVE_COLUMNS[name])]


def _officers_in_office(data: Path, as_of: pd.Timestamp) -> pd.DataFrame:
    cols = ["company_id", "person_id", "role", "start_on", "end_on"]
    off = pd.read_parquet(data / "officers.parquet", columns=cols)
    start, end = pd.to_datetime(off["start_on"]), pd.to_datetime(off["end_on"])
    active = off["role"].isin(OFFICER_ROLES) & (start <= as_of) & (end.isna() | (end > as_of))
    return off.loc[active, ["company_id", "person_id", "role", "start_on"]]


def _per_company(officers: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """The lead officer's attributes: one person per company, so membership never depends on how many there are."""
    role_rank = officers["role"].map({r: i for i, r in enumerate(OFFICER_ROLES)})
    unknown = officers[["migration_background", "gender", "birth_year"]].isna().sum(axis=1)
    lead = (
        officers.assign(_unknown=unknown, _start=pd.to_datetime(officers["start_on"]), _rank=role_rank)
        .sort_values(["company_id", "_unknown", "_start", "_rank", "person_id"])
        .drop_duplicates("company_id")
    )
    age = as_of.year - pd.to_numeric(lead["birth_year"], errors="coerce").to_numpy(dtype=np.float64)
    return pd.DataFrame(
        {
            "company_id": lead["company_id"].to_numpy(),
            "migration_background": lead["migration_background"].fillna(UNKNOWN).astype(str).to_numpy(),
            "gender": lead["gender"].fillna(UNKNOWN).astype(str).to_numpy(),
            "age_group": _age_band(age),
        }
    )


def _age_band(age: np.ndarray) -> np.ndarray:
    out = np.full(len(age), UNKNOWN, dtype=object)
    lower = -np.inf
    for upper, name in AGE_BANDS:
        out[(age >= lower) & (age < upper)] = name
        lower = upper
    return out


def _place(data: Path) -> pd.DataFrame:
    companies = pd.read_parquet(data / "companies.parquet", columns=["company_id", "address_id", "sbi_code"])
    addresses = pd.read_parquet(data / "addresses.parquet", columns=["address_id", "pc4", "riec_region"])
    ses = _read_sensitive(data, "neighbourhoods")
    ses = ses.assign(pc4=ses["pc4"].astype(str), neighbourhood_ses=ses["ses_class"].fillna(UNKNOWN).astype(str))
    out = companies.merge(addresses.assign(pc4=addresses["pc4"].astype(str)), on="address_id", how="left")
    out = out.merge(ses[["pc4", "neighbourhood_ses"]], on="pc4", how="left")
    out["sbi_section"] = sbi_section(out["sbi_code"])
    return out[["company_id", "riec_region", "sbi_section", "neighbourhood_ses"]]
