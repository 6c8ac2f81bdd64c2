"""The analysts' red-flag checklist: twelve yes/no flags an analyst could tick from the register by hand.

A transparent baseline for the risk model (``training`` evaluates both side by side) that works on any records
that pass the schemas, real or synthetic (after ``../shared/DESIGN.md`` §3). Ranking by the number of flags is what a
team without a model would do, so the model has to beat it to earn its place.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from core.reference import CASH_INTENSIVE_SBI

FLAGS: tuple[str, ...] = (
    "domicile_address",
    "crowded_address",
    "risk_sector",
    "officer_prior_insolvency",
    "officer_many_mandates",
    "director_turnover",
    "filing_late_or_missing",
    "high_risk_foreign_owner",
    "property_without_mortgage",
    "quick_resale",
    "negative_equity",
    "cash_heavy",
)


def read_frame(tables: dict[str, pa.Table] | Path, name: str) -> pd.DataFrame:
    """One table as pandas, from tables in memory or a records folder (the checklist reads both)."""
    if isinstance(tables, dict):
        return tables[name].to_pandas(date_as_object=False)
    return pq.read_table(Path(tables) / f"{name}.parquet").to_pandas(date_as_object=False)


def red_flags(tables: dict[str, pa.Table] | Path, as_of: str) -> pd.DataFrame:
    """One row per company active on ``as_of``: region and the twelve boolean flags."""
    day = pd.Timestamp(as_of)
    co = read_frame(tables, "companies")
    co = co[(pd.to_datetime(co.founded_on) <= day) & ~(pd.to_datetime(co.dissolved_on) <= day)].copy()
    ad = read_frame(tables, "addresses").set_index("address_id")
    out = pd.DataFrame(
        {"company_id": co.company_id.to_numpy(), "region": ad.riec_region.reindex(co.address_id).to_numpy()}
    )
    out["domicile_address"] = (ad.address_type.reindex(co.address_id) == "domicile_flex").to_numpy()
    out["crowded_address"] = (co.groupby("address_id").company_id.transform("size") >= 5).to_numpy()
    out["risk_sector"] = co.sbi_code.isin(CASH_INTENSIVE_SBI).to_numpy()
    out = out.set_index("company_id")
    for name, flagged in _officer_flags(tables, day).items():
        out[name] = out.index.isin(flagged)
    out["filing_late_or_missing"] = ~out.index.isin(_on_time_filers(tables, co, day))
    out["high_risk_foreign_owner"] = out.index.isin(_risky_owned(tables, day))
    prop = read_frame(tables, "properties")
    prop = prop[pd.to_datetime(prop.purchase_date) <= day]
    out["property_without_mortgage"] = out.index.isin(prop.owner_company_id[prop.mortgage_amount == 0])
    sold = prop[pd.to_datetime(prop.resale_date) <= day]
    quick = (pd.to_datetime(sold.resale_date) - pd.to_datetime(sold.purchase_date)).dt.days <= 365
    out["quick_resale"] = out.index.isin(sold.owner_company_id[quick & (sold.resale_price > 1.2 * sold.purchase_price)])
    fil = read_frame(tables, "filings")
    fil = fil[pd.to_datetime(fil.filed_on) <= day].sort_values("fiscal_year").groupby("company_id").last()
    out["negative_equity"] = out.index.isin(fil.index[fil.equity < 0])
    cf = read_frame(tables, "cash_flows")
    cf = (
        cf[pd.to_datetime(cf.quarter_start) > day - pd.Timedelta(days=365)].groupby("company_id").sum(numeric_only=True)
    )
    heavy = cf.cash_deposits > 0.5 * (cf.cash_deposits + cf.transfers_in)
    out["cash_heavy"] = out.index.isin(cf.index[heavy])
    return out.reset_index()


def _officer_flags(tables: dict[str, pa.Table] | Path, day: pd.Timestamp) -> dict[str, pd.Index]:
    off = read_frame(tables, "officers")
    board = off[(off.role == "bestuurder") & (off.start_on <= day)]
    current = board[~(pd.to_datetime(board.end_on) <= day)]
    mandates = current.groupby("person_id").company_id.nunique()
    many = current.company_id[current.person_id.map(mandates) >= 4]
    ins = read_frame(tables, "insolvencies")
    ins = ins[pd.to_datetime(ins.declared_on) <= day]
    tied = board.merge(ins, on="company_id")
    tied = tied[pd.to_datetime(tied.start_on) <= pd.to_datetime(tied.declared_on)]
    burnt = set(tied.person_id)
    prior = current.company_id[current.person_id.isin(burnt) & ~current.company_id.isin(ins.company_id)]
    founding = board.groupby("company_id").start_on.transform("min")
    change = (board.start_on > founding) & (board.start_on > day - pd.Timedelta(days=3 * 365))
    changes = board[change].groupby("company_id").size()
    return {
        "officer_prior_insolvency": pd.Index(prior.unique()),
        "officer_many_mandates": pd.Index(many.unique()),
        "director_turnover": changes.index[changes >= 2],
    }


def _on_time_filers(tables: dict[str, pa.Table] | Path, co: pd.DataFrame, day: pd.Timestamp) -> pd.Index:
    """Companies that filed their last fully due year on time, or had none due yet."""
    year = day.year - 2 if day < pd.Timestamp(f"{day.year}-12-31") else day.year - 1
    due = pd.Timestamp(f"{year + 1}-12-31")
    fil = read_frame(tables, "filings")
    ok = fil[(fil.fiscal_year == year) & (pd.to_datetime(fil.filed_on) <= due)].company_id
    not_due = co.company_id[pd.to_datetime(co.founded_on) > pd.Timestamp(f"{year}-12-31")]
    return pd.Index(pd.concat([ok, not_due]).unique())


def _risky_owned(tables: dict[str, pa.Table] | Path, day: pd.Timestamp) -> pd.Index:
    own = read_frame(tables, "ownerships")
    jur = read_frame(tables, "jurisdictions")
    high = set(jur.code[jur.risk == "high"])
    live = own[(pd.to_datetime(own.start_on) <= day) & ~(pd.to_datetime(own.end_on) <= day)]
    return pd.Index(live.company_id[live.owner_jurisdiction.isin(high)].unique())
