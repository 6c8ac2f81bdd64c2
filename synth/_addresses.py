"""Addresses: residential, commercial units, and domicile/flex offices that host many companies.

Shell networks cluster at a few domicile addresses (NSOC 2024: ~220 risky addresses, ~1,300 companies);
legitimate start-ups and foreign subsidiaries use the same providers, so the address alone never decides.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synth._arrays import IntArray, group_choice
from synth._companies import ADDR, MECH, Companies
from synth._places import Geography


@dataclass
class Addresses:
    """Address arrays, and each company's address index."""

    pc4: IntArray  # index into Geography.pc4_code
    kind: IntArray  # index into ADDRESS_TYPES
    of_company: IntArray


def build_addresses(rng: np.random.Generator, geo: Geography, co: Companies) -> Addresses:
    """Assign every company an address and return the address table."""
    n_muni = len(geo.muni_weight)
    dom_muni, dom_pc4, dom_weight = _domicile_pool(rng, geo, co.n)
    company_addr = np.full(co.n, -1, np.int64)
    is_dom = co.address_type == ADDR["domicile_flex"]
    dom_pick = group_choice(rng, co.muni[is_dom], n_muni, dom_weight, dom_muni)
    # Each network prefers one domicile address in its members' municipality; its shells mostly go there.
    net_pick = _network_domiciles(rng, co, is_dom, dom_pick)
    company_addr[is_dom] = net_pick
    n_dom = len(dom_pc4)
    # Commercial units: about 1.5 companies per unit within a PC4.
    is_com = co.address_type == ADDR["commercial"]
    com_pc4 = co.pc4[is_com]
    per_pc4 = np.bincount(com_pc4, minlength=len(geo.pc4_code))
    units = np.maximum(1, np.ceil(per_pc4 / 1.5)).astype(np.int64)
    unit = np.floor(rng.random(len(com_pc4)) * units[com_pc4]).astype(np.int64)
    offset = np.concatenate([[0], np.cumsum(units)[:-1]])
    com_key = offset[com_pc4] + unit
    used, com_local = np.unique(com_key, return_inverse=True)
    com_addr_pc4 = np.searchsorted(offset, used, side="right") - 1
    company_addr[is_com] = n_dom + com_local
    n_com = len(used)
    is_res = co.address_type == ADDR["residential"]
    company_addr[is_res] = n_dom + n_com + np.arange(int(is_res.sum()))
    pc4 = np.concatenate([dom_pc4, com_addr_pc4, co.pc4[is_res]]).astype(np.int64)
    kind = np.concatenate(
        [
            np.full(n_dom, ADDR["domicile_flex"]),
            np.full(n_com, ADDR["commercial"]),
            np.full(int(is_res.sum()), ADDR["residential"]),
        ]
    ).astype(np.int64)
    _phoenix_keeps_premises(rng, co, company_addr)
    co.pc4 = pc4[company_addr]
    return Addresses(pc4=pc4, kind=kind, of_company=company_addr)


def _domicile_pool(rng: np.random.Generator, geo: Geography, n_companies: int) -> tuple[IntArray, IntArray, np.ndarray]:
    """Domicile providers sit in central PC4s, concentrated in big cities; their size is Pareto-tailed."""
    n_muni = len(geo.muni_weight)
    per_muni = np.maximum(1, np.round(n_companies / 450 * geo.muni_weight**1.2 / np.sum(geo.muni_weight**1.2)))
    muni = np.repeat(np.arange(n_muni), per_muni.astype(np.int64))
    central = geo.pc4_central.astype(np.float64) + 1e-3
    pc4 = group_choice(rng, muni, n_muni, central, geo.pc4_muni)
    weight = rng.pareto(1.4, len(muni)) + 1.0
    return muni.astype(np.int64), pc4, weight


def _network_domiciles(rng: np.random.Generator, co: Companies, is_dom: np.ndarray, pick: IntArray) -> IntArray:
    idx = np.flatnonzero(is_dom)
    net = co.network[idx]
    shell_like = (co.mechanism[idx] == MECH["shell"]) | (co.mechanism[idx] == MECH["facilitator"])
    out = pick.copy()
    sel = np.flatnonzero((net >= 0) & shell_like)
    if len(sel) == 0:
        return out
    # The first shell of each network (in this municipality) fixes the network's address there.
    key = net[sel] * 1000 + co.muni[idx[sel]]
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    follow = rng.random(len(sel)) < 0.8
    out[sel] = np.where(follow, pick[sel][first][inverse], pick[sel])
    return out


def _phoenix_keeps_premises(rng: np.random.Generator, co: Companies, company_addr: IntArray) -> None:
    succ = np.flatnonzero(co.predecessor >= 0)
    same = rng.random(len(succ)) < 0.6
    company_addr[co.predecessor[succ[same]]] = company_addr[succ[same]]
