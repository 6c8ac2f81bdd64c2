"""Shareholdings: persons, holding companies and foreign entities as owners.

Networks hide behind layers: operating companies owned by a network holding shell, which is owned by a
foreign entity (often in a high-risk jurisdiction) or a principal. Legitimate groups have layers and
foreign parents too, which keeps ownership from being a give-away.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synth._arrays import NAT, IntArray, group_choice
from synth._companies import LF, MECH, SBI, Companies
from synth._people import People
from synth._reference import JURISDICTIONS, OWNER_TYPES

OWNER = {name: i for i, name in enumerate(OWNER_TYPES)}
_LOW = np.asarray([i for i, j in enumerate(JURISDICTIONS) if j.risk == "low"])
_HIGH = np.asarray([i for i, j in enumerate(JURISDICTIONS) if j.risk == "high"])


@dataclass
class Ownerships:
    """Ownership spells; ``owner`` indexes persons, companies or foreign entities by ``owner_type``."""

    owner_type: IntArray
    owner: IntArray
    jurisdiction: IntArray  # index into JURISDICTIONS, -1 for Dutch owners
    company: IntArray
    share: np.ndarray
    start: IntArray
    end: IntArray
    n_foreign: int


def build_ownerships(rng: np.random.Generator, co: Companies, pp: People) -> Ownerships:
    """One or two ownership spells for every company with shares (BV, NV, coöperatie)."""
    shares = np.flatnonzero(np.isin(co.legal_form, [LF["BV"], LF["NV"], LF["coöperatie"]]))
    n = len(shares)
    otype = np.full(n, OWNER["person"], np.int64)
    owner = pp.primary_person[shares].copy()
    juris = np.full(n, -1, np.int64)
    u = co.intensity[shares]
    r = rng.random(n)
    # Legitimate: holding (set by the officer generator), foreign parent, or the director-owner.
    h = pp.holding[shares]
    otype[h >= 0], owner[h >= 0] = OWNER["company"], h[h >= 0]
    foreign_parent = (h < 0) & ~co.targeted[shares] & (r < 0.06)
    # Family firms often sit behind a foundation (STAK) too: honest look-alikes for the chain indicators.
    stak = (h < 0) & ~co.targeted[shares] & (r >= 0.06) & (r < 0.08)
    legit_foundations = np.flatnonzero(~co.targeted & (co.legal_form == LF["stichting"]) & (co.sector == SBI["6420"]))
    s_pick = group_choice(
        rng,
        co.muni[shares[stak]],
        int(co.muni.max()) + 1,
        np.ones(len(legit_foundations)),
        co.muni[legit_foundations],
    )
    stak_idx = np.flatnonzero(stak)[s_pick >= 0]
    otype[stak_idx], owner[stak_idx] = OWNER["company"], legit_foundations[s_pick[s_pick >= 0]]
    juris[foreign_parent] = np.where(
        rng.random(int(foreign_parent.sum())) < 0.10,
        rng.choice(_HIGH, int(foreign_parent.sum())),
        rng.choice(_LOW, int(foreign_parent.sum())),
    )
    # Targeted operating companies: owned by a shell holding of the same network.
    targ = co.targeted[shares]
    mech = co.mechanism[shares]
    net_holding = targ & (co.sector[shares] == SBI["6420"]) & (mech == MECH["shell"])
    layered = targ & ~net_holding & (r < 0.35 + 0.5 * u)
    n_net = int(co.network.max()) + 1 if co.targeted.any() else 1
    cand = shares[net_holding]
    pick = group_choice(rng, co.network[shares[layered]], n_net, np.ones(len(cand)), co.network[cand])
    got = pick >= 0
    lay_idx = np.flatnonzero(layered)
    otype[lay_idx[got]], owner[lay_idx[got]] = OWNER["company"], cand[pick[got]]
    foreign_parent |= np.isin(np.arange(n), lay_idx[~got])
    juris[lay_idx[~got]] = _risky(rng, u[lay_idx[~got]])
    # Network holdings themselves: a foreign entity, the network's principal, or the straw man.
    nh = np.flatnonzero(net_holding)
    v = rng.random(len(nh))
    to_foreign = v < 0.5
    foreign_parent[nh[to_foreign]] = True
    juris[nh[to_foreign]] = _risky(rng, u[nh[to_foreign]])
    to_foundation = np.flatnonzero((v >= 0.5) & (v < 0.65))
    foundations = np.flatnonzero(co.targeted & (co.legal_form == LF["stichting"]))
    f_pick = group_choice(
        rng, co.network[shares[nh[to_foundation]]], n_net, np.ones(len(foundations)), co.network[foundations]
    )
    by_foundation = to_foundation[f_pick >= 0]
    otype[nh[by_foundation]], owner[nh[by_foundation]] = OWNER["company"], foundations[f_pick[f_pick >= 0]]
    to_leader = (v >= 0.5) & (v < 0.8)
    to_leader[by_foundation] = False
    owner[nh[to_leader]] = pp.leader[co.network[shares[nh[to_leader]]]]
    f_idx = np.flatnonzero(foreign_parent)
    otype[f_idx] = OWNER["foreign_entity"]
    owner[f_idx] = np.arange(len(f_idx))
    end = co.dissolved[shares]
    owner_founded = co.founded[np.where(otype == OWNER["company"], owner, 0)]
    # A holding founded only after the company was gone cannot have owned it: the director did.
    too_late = (otype == OWNER["company"]) & (end != NAT) & (owner_founded >= end)
    otype[too_late], owner[too_late] = OWNER["person"], pp.first_person[shares[too_late]]
    start = np.maximum(co.founded[shares], np.where(otype == OWNER["company"], owner_founded, 0))
    # A holding that is wound up stops owning on the day it is dissolved.
    owner_gone = np.where(otype == OWNER["company"], co.dissolved[np.where(otype == OWNER["company"], owner, 0)], NAT)
    ends_first = (owner_gone != NAT) & ((end == NAT) | (owner_gone < end))
    end = np.where(ends_first, np.maximum(owner_gone, start), end)
    # Takeovers: the seller's spell ends when the network takes control.
    took = np.flatnonzero(targ & (co.control_start[shares] > co.founded[shares]))
    start[took] = co.control_start[shares[took]]
    end = np.where((end != NAT) & (end < start), start, end)  # an owner gone before the takeover: zero-length
    prev_owner = pp.first_person[shares[took]]
    return Ownerships(
        owner_type=np.concatenate([otype, np.full(len(took), OWNER["person"])]).astype(np.int64),
        owner=np.concatenate([owner, prev_owner]).astype(np.int64),
        jurisdiction=np.concatenate([juris, np.full(len(took), -1)]).astype(np.int64),
        company=np.concatenate([shares, shares[took]]).astype(np.int64),
        share=np.ones(n + len(took)),
        start=np.concatenate([start, co.founded[shares[took]]]).astype(np.int64),
        end=np.concatenate([end, co.control_start[shares[took]]]).astype(np.int64),
        n_foreign=len(f_idx),
    )


def _risky(rng: np.random.Generator, u: np.ndarray) -> IntArray:
    high = rng.random(len(u)) < 0.3 + 0.5 * u
    return np.where(high, rng.choice(_HIGH, len(u)), rng.choice(_LOW, len(u))).astype(np.int64)
