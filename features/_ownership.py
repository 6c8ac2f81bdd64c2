"""Ownership indicators: foreign and high-risk owners, layers, foundations in the chain, owner turnover."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features._context import Context, current, per_company

MAX_LAYERS = 5
SHARE_FORMS = frozenset({"BV", "NV", "coöperatie"})


def ownership(ctx: Context) -> dict[str, np.ndarray]:
    """Walk the ownership chain upwards (at most five layers) from every company."""
    co = ctx.companies
    now = current(ctx.ownerships, ctx.as_of)
    is_stichting = (co.legal_form == "stichting").to_numpy()
    risky_row = now.owner_jurisdiction.isin(ctx.high_risk).to_numpy()
    owner_cid = now.owner_cid.to_numpy()
    stichting_row = (owner_cid >= 0) & is_stichting[np.maximum(owner_cid, 0)]
    has_risky = per_company(ctx.n, now.cid.to_numpy(), risky_row) > 0
    has_stichting = per_company(ctx.n, now.cid.to_numpy(), stichting_row) > 0
    up = now[now.owner_cid >= 0][["cid", "owner_cid"]].drop_duplicates()
    layers = np.zeros(ctx.n)
    risky = has_risky.copy()
    stichting = has_stichting.copy()
    frontier = pd.DataFrame({"origin": np.arange(ctx.n), "cid": np.arange(ctx.n)})
    seen = frontier
    for depth in range(1, MAX_LAYERS + 1):
        frontier = frontier.merge(up, on="cid")[["origin", "owner_cid"]].rename(columns={"owner_cid": "cid"})
        # Only owners not met before on this chain: a cycle (A owns B owns A) adds no layers.
        frontier = frontier.drop_duplicates().merge(seen, how="left", indicator=True)
        frontier = frontier[frontier["_merge"] == "left_only"][["origin", "cid"]]
        if frontier.empty:
            break
        seen = pd.concat([seen, frontier], ignore_index=True)
        origin, node = frontier.origin.to_numpy(), frontier.cid.to_numpy()
        layers[origin] = depth
        np.logical_or.at(risky, origin, has_risky[node])
        np.logical_or.at(stichting, origin, has_stichting[node] | is_stichting[node])
    no_shares = ~co.legal_form.isin(SHARE_FORMS).to_numpy()
    layers[no_shares & (layers == 0)] = np.nan
    founded = co.founded_on.to_numpy()
    spells = ctx.ownerships
    changed = (spells.start_on > ctx.years_before(3)).to_numpy() & (
        spells.start_on.to_numpy() > founded[spells.cid.to_numpy()] + np.timedelta64(31, "D")
    )
    return {
        "foreign_owner": (
            per_company(ctx.n, now.cid.to_numpy(), (now.owner_jurisdiction != "NL").to_numpy()) > 0
        ).astype(np.float64),
        "high_risk_jurisdiction_owner": risky.astype(np.float64),
        "ownership_layers": layers,
        "stichting_in_chain": stichting.astype(np.float64),
        "owner_changes_3y": per_company(ctx.n, spells.cid.to_numpy()[changed]),
    }
