"""Persons and officer spells: directors, registered shareholders and proxy holders.

Networks run their companies through straw men (katvangers) who hold many directorships across unrelated
sectors; legitimate serial entrepreneurs hold many too, mostly through holding structures. Persons carry no
sensitive attribute here: those are drawn in ``_sensitive`` and written only to ``sensitive/``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synth._arrays import NAT, YEAR, BoolArray, IntArray, choice, group_choice
from synth._companies import LF, SBI, Companies
from synth._config import WorldConfig
from synth._reference import OFFICER_ROLES

ROLE = {name: i for i, name in enumerate(OFFICER_ROLES)}
_ENTITY_FORMS = [LF["BV"], LF["NV"], LF["stichting"], LF["vereniging"], LF["coöperatie"]]


@dataclass
class People:
    """Officer rows, the person count, and per-company links the other generators need."""

    n_persons: int
    off_company: IntArray
    off_person: IntArray
    off_role: IntArray
    off_start: IntArray
    off_end: IntArray
    primary_person: IntArray  # per company: director at dissolution or at the end of the window
    first_person: IntArray  # per company: the founding director
    holding: IntArray  # per company: legitimate holding company that owns it, else -1
    leader: IntArray  # per network: a hidden principal who sometimes surfaces as proxy or shareholder
    first_company: IntArray  # per person: the company they first appear at
    first_start_year: IntArray  # per person: calendar year of their first officer spell


class _Ids:
    """Hands out consecutive person indices."""

    def __init__(self) -> None:
        self.next = 0

    def take(self, n: int) -> IntArray:
        out = np.arange(self.next, self.next + n, dtype=np.int64)
        self.next += n
        return out


def build_people(rng: np.random.Generator, cfg: WorldConfig, co: Companies) -> People:
    """Draw every officer spell and the persons behind them."""
    ids = _Ids()
    n_networks = int(co.network.max()) + 1 if co.targeted.any() else 0
    net_size = np.bincount(co.network[co.network >= 0], minlength=n_networks)
    n_straw = 1 + rng.poisson(net_size / 5.0)
    straw_offset = np.concatenate([[0], np.cumsum(n_straw)[:-1]]).astype(np.int64)
    straw_ids = ids.take(int(n_straw.sum()))
    leader = ids.take(n_networks)
    serial = ids.take(max(10, co.n // 40))
    serial_w = rng.pareto(1.3, len(serial)) + 1.0
    holding = _holdings(rng, co)

    comp, start, controlled = _primary_spells(rng, cfg, co)
    person = _new_or_serial(rng, ids, len(comp), serial, serial_w, 0.12)
    c_sel = np.flatnonzero(controlled)
    net = co.network[comp[c_sel]]
    use_straw = rng.random(len(c_sel)) < 0.25 + 0.45 * co.intensity[comp[c_sel]]
    pick = straw_offset[net] + np.floor(rng.random(len(c_sel)) * n_straw[net]).astype(np.int64)
    person[c_sel] = np.where(use_straw, straw_ids[pick], person[c_sel])
    first_spell = np.flatnonzero(np.r_[True, comp[1:] != comp[:-1]])
    last_spell = np.r_[first_spell[1:] - 1, len(comp) - 1]
    # A legitimate company owned by a holding is run by the holding's director (a DGA structure).
    with_h = np.flatnonzero(holding >= 0)
    person[first_spell[with_h]] = person[first_spell[holding[with_h]]]
    # A phoenix starts with the person who ran the bankrupt predecessor at its end.
    succ = np.flatnonzero(co.predecessor >= 0)
    person[first_spell[succ]] = person[last_spell[co.predecessor[succ]]]

    # A change to the person already in office is no change: merge such spells.
    keep = np.r_[True, (comp[1:] != comp[:-1]) | (person[1:] != person[:-1])]
    comp, start, person = comp[keep], start[keep], person[keep]
    end = _spell_ends(comp, start, co.dissolved)
    first_spell = np.flatnonzero(np.r_[True, comp[1:] != comp[:-1]])
    last_spell = np.r_[first_spell[1:] - 1, len(comp) - 1]

    extra = _other_officers(rng, co, ids, serial, serial_w, leader)
    off_company = np.concatenate([comp, extra[0]])
    off_person = np.concatenate([person, extra[1]])
    off_role = np.concatenate([np.full(len(comp), ROLE["bestuurder"]), extra[2]])
    off_start = np.concatenate([start, extra[3]])
    off_end = np.concatenate([end, extra[4]])
    # Nobody holds the same role at the same company twice from the same day.
    _, unique_rows = np.unique(np.stack([off_company, off_person, off_role, off_start]), axis=1, return_index=True)
    rows = np.sort(unique_rows)
    off_company, off_person, off_role = off_company[rows], off_person[rows], off_role[rows]
    off_start, off_end = off_start[rows], off_end[rows]
    first_company = np.full(ids.next, -1, np.int64)
    order = np.lexsort((off_start, off_person))
    p_sorted = off_person[order]
    head = np.r_[True, p_sorted[1:] != p_sorted[:-1]]
    first_company[p_sorted[head]] = off_company[order][head]
    first_year = np.zeros(ids.next, np.int64)
    first_year[p_sorted[head]] = (
        off_start[order][head].astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    )
    return People(
        n_persons=ids.next,
        off_company=off_company,
        off_person=off_person,
        off_role=off_role,
        off_start=off_start,
        off_end=off_end,
        primary_person=person[last_spell],
        first_person=person[first_spell],
        holding=holding,
        leader=leader,
        first_company=first_company,
        first_start_year=first_year,
    )


def _holdings(rng: np.random.Generator, co: Companies) -> IntArray:
    """About 40% of legitimate operating BVs are owned by a holding BV in the same municipality."""
    bv = np.isin(co.legal_form, [LF["BV"], LF["NV"]])
    is_holding = bv & (co.sector == SBI["6420"]) & ~co.targeted
    candidates = np.flatnonzero(bv & ~is_holding & ~co.targeted & (rng.random(co.n) < 0.4))
    h_idx = np.flatnonzero(is_holding)
    out = np.full(co.n, -1, np.int64)
    if len(h_idx) == 0:
        return out
    pick = group_choice(rng, co.muni[candidates], int(co.muni.max()) + 1, np.ones(len(h_idx)), co.muni[h_idx])
    ok = pick >= 0
    out[candidates[ok]] = h_idx[pick[ok]]
    return out


def _primary_spells(rng: np.random.Generator, cfg: WorldConfig, co: Companies) -> tuple[IntArray, IntArray, BoolArray]:
    """Spells of the (first) director: one from founding, one per change; sorted by company, then start."""
    alive_from = np.maximum(co.founded, cfg.start_day)
    alive_to = np.where(co.dissolved == NAT, cfg.end_day, co.dissolved)
    years = np.clip((alive_to - alive_from) / YEAR, 0.0, None)
    entity = np.isin(co.legal_form, _ENTITY_FORMS)
    k_legit = rng.poisson(0.08 * years) * entity
    ctrl_years = np.where(co.targeted, np.clip((alive_to - co.control_start) / YEAR, 0.0, None), 0.0)
    k_ctrl = rng.poisson((0.05 + 0.45 * co.intensity) * ctrl_years) * (co.targeted & entity)
    takeover = co.targeted & (co.control_start > co.founded)
    comp0 = np.arange(co.n)
    comp_l = np.repeat(comp0, k_legit)
    start_l = alive_from[comp_l] + rng.random(len(comp_l)) * (alive_to - alive_from)[comp_l]
    comp_c = np.repeat(comp0, k_ctrl)
    start_c = co.control_start[comp_c] + rng.random(len(comp_c)) * (alive_to - co.control_start)[comp_c]
    comp_t = np.flatnonzero(takeover)
    comp = np.concatenate([comp0, comp_l, comp_c, comp_t])
    start = np.concatenate([co.founded, start_l.astype(np.int64), start_c.astype(np.int64), co.control_start[comp_t]])
    order = np.lexsort((start, comp))
    comp, start = comp[order], start[order]
    controlled = co.targeted[comp] & (start >= co.control_start[comp])
    return comp, start, controlled


def _spell_ends(comp: IntArray, start: IntArray, dissolved: IntArray) -> IntArray:
    nxt_same = np.r_[comp[1:] == comp[:-1], False]
    nxt_start = np.r_[start[1:], NAT]
    return np.where(nxt_same, nxt_start, dissolved[comp]).astype(np.int64)


def _new_or_serial(
    rng: np.random.Generator, ids: _Ids, n: int, serial: IntArray, serial_w: np.ndarray, p_serial: float
) -> IntArray:
    reuse = rng.random(n) < p_serial
    out = np.empty(n, np.int64)
    out[reuse] = serial[choice(rng, int(reuse.sum()), serial_w)]
    out[~reuse] = ids.take(int((~reuse).sum()))
    return out


def _other_officers(
    rng: np.random.Generator,
    co: Companies,
    ids: _Ids,
    serial: IntArray,
    serial_w: np.ndarray,
    leader: IntArray,
) -> tuple[IntArray, ...]:
    """Partners, co-directors, board members, proxies; each serves the company's whole life."""
    lf = co.legal_form
    n_extra = np.zeros(co.n, np.int64)
    n_extra[lf == LF["VOF"]] = 1 + (rng.random(int((lf == LF["VOF"]).sum())) < 0.2)
    n_extra[lf == LF["CV"]] = 1
    bv = lf == LF["BV"]
    n_extra[bv] = rng.random(int(bv.sum())) < 0.3
    n_extra[np.isin(lf, [LF["NV"], LF["stichting"], LF["vereniging"], LF["coöperatie"]])] = 2
    comp_b = np.repeat(np.arange(co.n), n_extra)
    person_b = _new_or_serial(rng, ids, len(comp_b), serial, serial_w, 0.1)
    role_b = np.full(len(comp_b), ROLE["bestuurder"])
    # Proxy holders: legitimate companies sometimes, networks' hidden principals more often.
    proxy = np.flatnonzero(rng.random(co.n) < np.where(co.targeted, 0.08 + 0.25 * co.intensity, 0.06))
    person_p = ids.take(len(proxy))
    from_leader = co.targeted[proxy] & (rng.random(len(proxy)) < 0.6)
    person_p[from_leader] = leader[co.network[proxy[from_leader]]]
    role_p = np.where(rng.random(len(proxy)) < 0.7, ROLE["gevolmachtigde"], ROLE["aandeelhouder"])
    comp = np.concatenate([comp_b, proxy])
    start = np.where(co.targeted[comp], np.maximum(co.founded[comp], co.control_start[comp]), co.founded[comp])
    start = np.where(np.arange(len(comp)) < len(comp_b), co.founded[comp], start)
    return (
        comp,
        np.concatenate([person_b, person_p]),
        np.concatenate([role_b, role_p]).astype(np.int64),
        start.astype(np.int64),
        co.dissolved[comp].astype(np.int64),
    )
