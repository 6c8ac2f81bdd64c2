"""Financial indicators against sector peers, and raw shares where a share speaks for itself."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features._context import Context
from features.peers import PeerStats, size_class

PEER_MEASURES = {
    "revenue_per_employee_z": "log_revenue_per_employee",
    "revenue_growth_z": "log_revenue_growth",
    "margin_z": "margin",
    "related_party_loans_z": "related_party_share",
    "cash_deposit_share_z": "cash_deposit_share",
    "transfers_to_revenue_z": "log_transfers_to_revenue",
}


def _dense(n: int, s: pd.Series) -> np.ndarray:
    out = np.full(n, np.nan)
    out[s.index.to_numpy(dtype=np.int64)] = s.to_numpy(dtype=np.float64)
    return out


def _last_four_quarters(ctx: Context) -> pd.DataFrame:
    """Sums per company over the four most recent quarters that had fully ended (the context keeps only those)."""
    cols = ["cash_deposits", "transfers_in", "transfers_out", "foreign_in_high_risk", "foreign_out_high_risk"]
    return ctx.cash_flows.groupby("cid")[cols].sum()


def raw_measures(ctx: Context) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, np.ndarray]:
    """The measures before peer comparison, plus section and size class per company."""
    n = ctx.n
    latest = ctx.latest_filing
    prev = ctx.previous_filing
    rev = _dense(n, latest.revenue)
    emp = _dense(n, latest.employees)
    q = _last_four_quarters(ctx)
    dep, tin, tout = (_dense(n, q[c]) for c in ("cash_deposits", "transfers_in", "transfers_out"))
    with np.errstate(divide="ignore", invalid="ignore"):
        measures = {
            "log_revenue_per_employee": np.log((rev + 1.0) / (emp + 1.0)),
            "log_revenue_growth": np.log((rev + 1.0) / (_dense(n, prev.revenue) + 1.0)),
            "margin": np.clip(_dense(n, latest.profit) / np.maximum(rev, 1.0), -5.0, 5.0),
            "related_party_share": _dense(n, latest.related_party_loans)
            / np.maximum(_dense(n, latest.liabilities), 1.0),
            "cash_deposit_share": np.where(dep + tin > 0, dep / (dep + tin), np.nan),
            "log_transfers_to_revenue": np.log((tin + tout + 1.0) / (rev + 1.0)),
        }
        high = _dense(n, q["foreign_in_high_risk"]) + _dense(n, q["foreign_out_high_risk"])
        hr_share = np.where(tin + tout > 0, high / (tin + tout), np.nan)
    extras = {
        "cash_to_assets": _dense(n, latest.cash) / np.maximum(_dense(n, latest.total_assets), 1.0),
        "revenue_shift_3y": revenue_shift(ctx),
        "negative_equity_active": np.where(
            np.isnan(_dense(n, latest.equity)), np.nan, (_dense(n, latest.equity) < 0).astype(float)
        ),
        "foreign_high_risk_share": hr_share,
    }
    section = ctx.companies.section.to_numpy(dtype=object)
    return {**measures, **{f"_extra_{k}": v for k, v in extras.items()}}, section, size_class(emp), rev


def revenue_shift(ctx: Context) -> np.ndarray:
    """Log of mean revenue over the latest two filed years against the three years before them.

    One year's growth (``revenue_growth_z``) shows a jump once; a company taken over and used to launder keeps
    the higher level, which a comparison of periods still sees years later. Missing when either period has no
    filing.
    """
    n = ctx.n
    f = ctx.filings
    if f.empty:
        return np.full(n, np.nan)
    latest = ctx.latest_filing.fiscal_year.reindex(f.cid).to_numpy()
    lag = latest - f.fiscal_year.to_numpy()
    recent = f[lag <= 1].groupby("cid").revenue.mean()
    before = f[(lag >= 2) & (lag <= 4)].groupby("cid").revenue.mean()
    with np.errstate(invalid="ignore"):
        return np.log((_dense(n, recent).clip(0) + 1.0) / (_dense(n, before).clip(0) + 1.0))


def financial(ctx: Context, peers: PeerStats | None) -> tuple[dict[str, np.ndarray], PeerStats]:
    """Peer z-scores (fitting peers on the active companies unless frozen ones are given)."""
    values, section, size, _ = raw_measures(ctx)
    measures = {k: v for k, v in values.items() if not k.startswith("_extra_")}
    if peers is None:
        act = ctx.active
        peers = PeerStats.fit({k: v[act] for k, v in measures.items()}, section[act], size[act])
    out = {ind: peers.zscores(m, measures[m], section, size) for ind, m in PEER_MEASURES.items()}
    out.update({k.removeprefix("_extra_"): v for k, v in values.items() if k.startswith("_extra_")})
    return out, peers
