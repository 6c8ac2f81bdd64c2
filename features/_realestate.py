"""Real estate: holdings, purchases without a mortgage, purchases beyond the balance sheet, ABC resales."""

from __future__ import annotations

import numpy as np

from features._context import Context, per_company

QUICK_DAYS = 365
SHARP_RISE = 1.2


def realestate(ctx: Context) -> dict[str, np.ndarray]:
    """Counts over the five years before the as-of date; the ratio needs a filing, else it is missing."""
    pr = ctx.properties
    since = ctx.years_before(5)
    held = pr.resale_date.isna().to_numpy()
    recent = (pr.purchase_date > since).to_numpy()
    unmortgaged = recent & (pr.mortgage_amount == 0).to_numpy()
    sold = pr.resale_date.notna() & (pr.resale_date > since)
    quick = (
        sold
        & ((pr.resale_date - pr.purchase_date).dt.days <= QUICK_DAYS)
        & (pr.resale_price > SHARP_RISE * pr.purchase_price)
    )
    assets = ctx.latest_filing.total_assets
    total_assets = np.full(ctx.n, np.nan)
    total_assets[assets.index.to_numpy()] = assets.to_numpy(dtype=float)
    spent = per_company(ctx.n, pr.cid.to_numpy()[unmortgaged], pr.purchase_price.to_numpy(dtype=float)[unmortgaged])
    return {
        "properties_held": per_company(ctx.n, pr.cid.to_numpy()[held]),
        "purchases_without_mortgage_5y": per_company(ctx.n, pr.cid.to_numpy()[unmortgaged]),
        "unmortgaged_purchases_to_assets": np.where(
            np.isnan(total_assets), np.nan, spent / np.maximum(total_assets, 1.0)
        ),
        "quick_resales_5y": per_company(ctx.n, pr.cid.to_numpy()[quick.to_numpy()]),
    }
