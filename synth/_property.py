"""Real estate held by companies: purchases, mortgages and resales (Kadaster-like spells).

Laundering via property shows as purchases without a mortgage and ABC chains: resale within months, at a
sharp rise, to another company of the same network. Wealthy honest investors buy without a mortgage and
renovators flip quickly too, so neither flag decides alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synth._arrays import NAT, YEAR, IntArray, group_choice
from synth._companies import LF, MECH, SBI, Companies
from synth._config import WorldConfig


@dataclass
class Properties:
    """One row per ownership spell of a property."""

    property: IntArray
    owner: IntArray
    pc4: IntArray
    purchase_date: IntArray
    purchase_price: IntArray
    mortgage: IntArray
    resale_date: IntArray  # NAT while still held
    resale_price: IntArray  # -1 while still held


def build_properties(rng: np.random.Generator, cfg: WorldConfig, co: Companies) -> Properties:
    """Draw holdings per company, then resales, then ABC onward sales inside networks."""
    re_sector = np.isin(co.sector, [SBI["6810"], SBI["6820"]])
    lam = np.where(re_sector, 3.0, np.where(co.sector == SBI["6420"], 0.4, 0.04))
    lam = np.where(co.legal_form == LF["eenmanszaak"], 0.02, lam)
    mech, u, targ = co.mechanism, co.intensity, co.targeted
    lam = np.where(targ & (mech == MECH["property"]), 2.0 + 4.0 * u, lam)
    lam = np.where(targ & (mech == MECH["shell"]), 0.5 * u, lam)
    count = rng.poisson(lam) + (re_sector & ~targ)
    owner = np.repeat(np.arange(co.n), count).astype(np.int64)
    m = len(owner)
    lo = np.maximum(co.founded[owner], cfg.start_day - round(5 * YEAR))
    lo = np.where(targ[owner], np.maximum(lo, co.control_start[owner]), lo)
    hi = np.where(co.dissolved[owner] == NAT, cfg.end_day, co.dissolved[owner])
    bought = (lo + rng.random(m) * np.maximum(hi - lo, 1)).astype(np.int64)
    price = np.exp(rng.normal(np.log(380_000), 0.6, m))
    price = np.where(co.sector[owner] == SBI["6820"], price * 1.8, price)
    prop_u, prop_t = u[owner], targ[owner] & (mech[owner] == MECH["property"])
    no_mortgage = rng.random(m) < np.where(prop_t, 0.35 + 0.5 * prop_u, 0.18)
    mortgage = np.where(no_mortgage, 0.0, price * rng.uniform(0.4, 1.0, m))
    # Resales: honest holdings after years, renovators' flips within a year, ABC chains within months.
    hold_years = rng.exponential(8.0, m)
    flip = (co.sector[owner] == SBI["6810"]) & ~prop_t & (rng.random(m) < 0.05)
    abc = prop_t & (rng.random(m) < 0.15 + 0.5 * prop_u)
    hold_days = np.where(flip, rng.uniform(90, 330, m), hold_years * YEAR)
    hold_days = np.where(abc, rng.uniform(30, 240, m), hold_days)
    rise = np.where(
        abc,
        rng.uniform(0.25, 1.2, m),
        np.where(flip, rng.uniform(0.1, 0.4, m), np.exp(0.04 * hold_years + rng.normal(0, 0.1, m)) - 1),
    )
    resale = (bought + hold_days).astype(np.int64)
    sold = resale <= np.minimum(hi, cfg.end_day)
    resale_price = np.where(sold, price * (1.0 + rise), -1.0)
    pc4 = co.pc4[owner]
    pid = np.arange(m, dtype=np.int64)
    # ABC: the buyer is another company of the same network; it records its own spell.
    chain = np.flatnonzero(abc & sold)
    nets = co.network[owner[chain]]
    members = np.flatnonzero(targ)
    buyer = group_choice(rng, nets, int(co.network.max()) + 1, np.ones(len(members)), co.network[members])
    buyer = np.where(buyer >= 0, members[np.maximum(buyer, 0)], owner[chain])
    return Properties(
        property=np.concatenate([pid, pid[chain]]),
        owner=np.concatenate([owner, buyer]),
        pc4=np.concatenate([pc4, pc4[chain]]),
        purchase_date=np.concatenate([bought, resale[chain]]),
        purchase_price=np.round(np.concatenate([price, resale_price[chain]])).astype(np.int64),
        mortgage=np.round(np.concatenate([mortgage, np.zeros(len(chain))])).astype(np.int64),
        resale_date=np.concatenate([np.where(sold, resale, NAT), np.full(len(chain), NAT)]),
        resale_price=np.round(np.concatenate([resale_price, np.full(len(chain), -1.0)])).astype(np.int64),
    )
