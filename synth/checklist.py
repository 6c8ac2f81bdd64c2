"""The analysts' red-flag checklist: a transparent baseline and the yardstick for the world's difficulty.

Twelve yes/no flags an analyst could tick from the register by hand (after ``../shared/DESIGN.md`` §3). The
world is calibrated so that ranking by the number of flags finds *some* involved companies (precision
0.1–0.25 in the top 0.5% per region) while the true propensity finds many more (0.4–0.7): a checklist is
useful, a model can do better, and nothing is perfect.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from synth._reference import SECTORS

RISK_SBI = frozenset(s.sbi for s in SECTORS if s.risk)
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


def _read(tables: dict[str, pa.Table] | Path, name: str) -> pd.DataFrame:
    if isinstance(tables, dict):
        return tables[name].to_pandas(date_as_object=False)
    return pq.read_table(Path(tables) / f"{name}.parquet").to_pandas(date_as_object=False)


def red_flags(tables: dict[str, pa.Table] | Path, as_of: str) -> pd.DataFrame:
    """One row per company active on ``as_of``: region and the twelve boolean flags."""
    day = pd.Timestamp(as_of)
    co = _read(tables, "companies")
    co = co[(pd.to_datetime(co.founded_on) <= day) & ~(pd.to_datetime(co.dissolved_on) <= day)].copy()
    ad = _read(tables, "addresses").set_index("address_id")
    out = pd.DataFrame(
        {"company_id": co.company_id.to_numpy(), "region": ad.riec_region.reindex(co.address_id).to_numpy()}
    )
    out["domicile_address"] = (ad.address_type.reindex(co.address_id) == "domicile_flex").to_numpy()
    out["crowded_address"] = (co.groupby("address_id").company_id.transform("size") >= 5).to_numpy()
    out["risk_sector"] = co.sbi_code.isin(RISK_SBI).to_numpy()
    out = out.set_index("company_id")
    for name, flagged in _officer_flags(tables, day).items():
        out[name] = out.index.isin(flagged)
    out["filing_late_or_missing"] = ~out.index.isin(_on_time_filers(tables, co, day))
    out["high_risk_foreign_owner"] = out.index.isin(_risky_owned(tables, day))
    prop = _read(tables, "properties")
    prop = prop[pd.to_datetime(prop.purchase_date) <= day]
    out["property_without_mortgage"] = out.index.isin(prop.owner_company_id[prop.mortgage_amount == 0])
    sold = prop[pd.to_datetime(prop.resale_date) <= day]
    quick = (pd.to_datetime(sold.resale_date) - pd.to_datetime(sold.purchase_date)).dt.days <= 365
    out["quick_resale"] = out.index.isin(sold.owner_company_id[quick & (sold.resale_price > 1.2 * sold.purchase_price)])
    fil = _read(tables, "filings")
    fil = fil[pd.to_datetime(fil.filed_on) <= day].sort_values("fiscal_year").groupby("company_id").last()
    out["negative_equity"] = out.index.isin(fil.index[fil.equity < 0])
    cf = _read(tables, "cash_flows")
    cf = (
        cf[pd.to_datetime(cf.quarter_start) > day - pd.Timedelta(days=365)].groupby("company_id").sum(numeric_only=True)
    )
    heavy = cf.cash_deposits > 0.5 * (cf.cash_deposits + cf.transfers_in)
    out["cash_heavy"] = out.index.isin(cf.index[heavy])
    return out.reset_index()


def _officer_flags(tables: dict[str, pa.Table] | Path, day: pd.Timestamp) -> dict[str, pd.Index]:
    off = _read(tables, "officers")
    board = off[(off.role == "bestuurder") & (off.start_on <= day)]
    current = board[~(pd.to_datetime(board.end_on) <= day)]
    mandates = current.groupby("person_id").company_id.nunique()
    many = current.company_id[current.person_id.map(mandates) >= 4]
    ins = _read(tables, "insolvencies")
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
    fil = _read(tables, "filings")
    ok = fil[(fil.fiscal_year == year) & (pd.to_datetime(fil.filed_on) <= due)].company_id
    not_due = co.company_id[pd.to_datetime(co.founded_on) > pd.Timestamp(f"{year}-12-31")]
    return pd.Index(pd.concat([ok, not_due]).unique())


def _risky_owned(tables: dict[str, pa.Table] | Path, day: pd.Timestamp) -> pd.Index:
    own = _read(tables, "ownerships")
    jur = _read(tables, "jurisdictions")
    high = set(jur.code[jur.risk == "high"])
    live = own[(pd.to_datetime(own.start_on) <= day) & ~(pd.to_datetime(own.end_on) <= day)]
    return pd.Index(live.company_id[live.owner_jurisdiction.isin(high)].unique())


@dataclass(frozen=True)
class Difficulty:
    """Precision in the top ``share`` of each region, for the checklist and for the oracle."""

    checklist: float
    oracle: float
    checklist_by_region: dict[str, float]
    oracle_by_region: dict[str, float]
    share: float
    prevalence: float


def top_share_precision(
    score: pd.Series, region: pd.Series, truth: pd.Series, share: float, rng: np.random.Generator
) -> dict[str, float]:
    """Precision among the top ``share`` by score within each region; ties broken at random."""
    jitter = pd.Series(rng.random(len(score)), index=score.index)
    out: dict[str, float] = {}
    for reg, idx in score.groupby(region).groups.items():
        k = max(1, round(share * len(idx)))
        order = np.lexsort((-jitter[idx].to_numpy(), -score[idx].to_numpy()))
        out[str(reg)] = float(truth[idx].to_numpy()[order[:k]].mean())
    return out


def difficulty(tables: dict[str, pa.Table] | Path, as_of: str, share: float = 0.005, seed: int = 0) -> Difficulty:
    """Checklist versus oracle precision in the top ``share`` per region, against ground truth."""
    flags = red_flags(tables, as_of).set_index("company_id")
    truth = _read(tables, "truth/companies").set_index("company_id").reindex(flags.index)
    count = flags[list(FLAGS)].sum(axis=1).astype(float)
    rng = np.random.default_rng(seed)
    cl = top_share_precision(count, flags.region, truth.involved, share, rng)
    orc = top_share_precision(truth.propensity, flags.region, truth.involved, share, rng)
    return Difficulty(
        checklist=float(np.mean(list(cl.values()))),
        oracle=float(np.mean(list(orc.values()))),
        checklist_by_region=cl,
        oracle_by_region=orc,
        share=share,
        prevalence=float(truth.involved.mean()),
    )
