"""Address indicators: crowding, domicile/flex offices and the turnover of companies at an address."""

from __future__ import annotations

import numpy as np

from features._context import Context


def address(ctx: Context) -> dict[str, np.ndarray]:
    """Active companies at the address, domicile flag, arrivals and departures in the last three years."""
    co = ctx.companies
    aid = co.aid.to_numpy()
    n_addr = int(aid.max()) + 1 if len(aid) else 0
    active = co.dissolved_on.isna().to_numpy()
    per_address = np.bincount(aid[active], minlength=n_addr)
    since = ctx.years_before(3)
    arrived = (co.founded_on > since).to_numpy()
    left = (co.dissolved_on > since).to_numpy()
    events = np.bincount(aid, weights=arrived.astype(float) + left.astype(float), minlength=n_addr)
    own_events = arrived.astype(float) + left.astype(float)
    return {
        "companies_at_address": per_address[aid].astype(np.float64),
        "domicile_address": np.where(
            (co.address_type == "unknown").to_numpy(dtype=bool),
            np.nan,
            (co.address_type == "domicile_flex").to_numpy(dtype=np.float64),
        ),
        "address_turnover_3y": events[aid] - own_events,
    }
