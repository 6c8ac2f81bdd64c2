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
    # ABC: the buyer is another company of the same network, alive on the day; it records its own spell.
    chain = np.flatnonzero(abc & sold)
    buyer = _abc_buyers(rng, co, owner[chain], resale[chain])
    ok = buyer >= 0
    chain, buyer = chain[ok], buyer[ok]
    owners = np.concatenate([owner, buyer])
    bought_all = np.concatenate([bought, resale[chain]])
    resale_all = np.concatenate([np.where(sold, resale, NAT), np.full(len(chain), NAT)])
    resale_price_all = np.concatenate([resale_price, np.full(len(chain), -1.0)])
    price_all = np.concatenate([price, resale_price[chain]])
    # A company that is wound up sells what it still holds on the day it is dissolved.
    gone = co.dissolved[owners]
    liquidated = (gone != NAT) & (resale_all == NAT) & (gone >= bought_all)
    resale_all = np.where(liquidated, gone, resale_all)
    years_held = np.where(liquidated, (gone - bought_all) / YEAR, 0.0)
    resale_price_all = np.where(liquidated, price_all * np.exp(0.03 * years_held), resale_price_all)
    return Properties(
        property=np.concatenate([pid, pid[chain]]),
        owner=owners,
        pc4=np.concatenate([pc4, pc4[chain]]),
        purchase_date=bought_all,
        purchase_price=np.round(price_all).astype(np.int64),
        mortgage=np.round(np.concatenate([mortgage, np.zeros(len(chain))])).astype(np.int64),
        resale_date=resale_all.astype(np.int64),
        resale_price=np.round(resale_price_all).astype(np.int64),
    )


def _abc_buyers(rng: np.random.Generator, co: Companies, seller: np.ndarray, day: np.ndarray) -> np.ndarray:
    """A network member other than the seller that exists on ``day``; -1 when the network has none."""
    members = np.flatnonzero(co.targeted)
    n_net = int(co.network.max()) + 1
    buyer = np.full(len(seller), -1, np.int64)
    for _ in range(5):  # redraw the unlucky ones a few times; a network may simply have no fitting member
        todo = np.flatnonzero(buyer < 0)
        if len(todo) == 0:
            break
        pick = group_choice(rng, co.network[seller[todo]], n_net, np.ones(len(members)), co.network[members])
        cand = np.where(pick >= 0, members[np.maximum(pick, 0)], -1)
        c = np.maximum(cand, 0)
        alive = (co.founded[c] <= day[todo]) & ((co.dissolved[c] == NAT) | (co.dissolved[c] > day[todo]))
        good = (cand >= 0) & (cand != seller[todo]) & alive
        buyer[todo[good]] = cand[good]
    return buyer
