"""Officer indicators: turnover, concurrent mandates, sector spread, insolvency history, phoenix patterns."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features._context import Context, current, per_company

LINGER = pd.Timedelta(days=365)  # a director who left less than a year before an insolvency still counts


def officers(ctx: Context) -> dict[str, np.ndarray]:
    """All officer-based indicators for every company known on the as-of date."""
    board = ctx.officers[ctx.officers.role == "bestuurder"]
    # Mandates at dissolved companies are over even when a register forgot to close them.
    alive = ctx.companies.dissolved_on.isna().to_numpy()
    now = current(board, ctx.as_of)
    now = now[alive[now.cid.to_numpy()]]
    founded = ctx.companies.founded_on.to_numpy()
    recent = board[(board.start_on > ctx.years_before(3)) & (board.start_on.to_numpy() > founded[board.cid])]
    out = {"director_changes_3y": per_company(ctx.n, recent.cid.to_numpy())}
    out.update(_mandates(ctx, now))
    out.update(_insolvency_links(ctx, board, now))
    proxies = current(ctx.officers[ctx.officers.role == "gevolmachtigde"], ctx.as_of)
    out["proxy_holder_present"] = (per_company(ctx.n, proxies.cid.to_numpy()) > 0).astype(np.float64)
    return out


def _mandates(ctx: Context, now: pd.DataFrame) -> dict[str, np.ndarray]:
    section = ctx.companies.section.to_numpy()
    pairs = now[["cid", "pid"]].drop_duplicates()
    mandates = pairs.groupby("pid").cid.transform("size").to_numpy()
    spread = pd.Series(section[pairs.cid.to_numpy()], index=pairs.index).groupby(pairs.pid).transform("nunique")
    max_mandates = np.zeros(ctx.n)
    max_spread = np.zeros(ctx.n)
    np.maximum.at(max_mandates, pairs.cid.to_numpy(), mandates)
    np.maximum.at(max_spread, pairs.cid.to_numpy(), spread.to_numpy())
    return {"max_concurrent_mandates": max_mandates, "officer_sector_spread": max_spread}


def _insolvency_links(ctx: Context, board: pd.DataFrame, now: pd.DataFrame) -> dict[str, np.ndarray]:
    """Which persons led which insolvent companies, and what that says about their current companies."""
    ins = ctx.insolvencies.groupby("cid").declared_on.min()
    led = board[board.cid.isin(ins.index)].copy()
    led["declared_on"] = ins.reindex(led.cid).to_numpy()
    led = led[(led.start_on <= led.declared_on) & (led.end_on.isna() | (led.end_on >= led.declared_on - LINGER))]
    led = led[["pid", "cid", "declared_on"]].rename(columns={"cid": "insolvent"})
    links = now[["cid", "pid", "start_on"]].merge(led, on="pid")
    links = links[links.insolvent != links.cid]
    prior = links.drop_duplicates(["cid", "insolvent"])
    new = links[(links.start_on > ctx.as_of - LINGER) & (links.declared_on < links.start_on)]
    co = ctx.companies
    founded = co.founded_on.to_numpy()
    sbi = co.sbi_code.to_numpy()
    window = (links.declared_on.to_numpy() >= founded[links.cid] - np.timedelta64(730, "D")) & (
        links.declared_on.to_numpy() <= founded[links.cid] + np.timedelta64(365, "D")
    )
    same_sector = links[window & (sbi[links.cid] == sbi[links.insolvent])]
    return {
        "officer_prior_insolvencies": per_company(ctx.n, prior.cid.to_numpy()),
        "new_officer_with_insolvency_1y": (per_company(ctx.n, new.cid.to_numpy()) > 0).astype(np.float64),
        "phoenix_same_sector": (per_company(ctx.n, same_sector.cid.to_numpy()) > 0).astype(np.float64),
        "phoenix_same_address": _phoenix_address(ctx, ins),
    }


def _phoenix_address(ctx: Context, ins: pd.Series) -> np.ndarray:
    co = ctx.companies
    gone = pd.DataFrame(
        {
            "aid": co.aid.to_numpy()[ins.index.to_numpy()],
            "insolvent": ins.index.to_numpy(),
            "declared_on": ins.to_numpy(),
        }
    )
    pairs = co[["cid", "aid", "founded_on"]].merge(gone, on="aid")
    hit = (
        (pairs.insolvent != pairs.cid)
        & (pairs.declared_on >= pairs.founded_on - pd.Timedelta(days=730))
        & (pairs.declared_on <= pairs.founded_on + pd.Timedelta(days=365))
    )
    return (per_company(ctx.n, pairs.cid[hit].to_numpy()) > 0).astype(np.float64)
