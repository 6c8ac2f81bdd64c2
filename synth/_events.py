"""Insolvencies and investigations.

Investigations are where label bias lives. A case is opened with odds that depend on the truth and, by the
factor ``label_bias`` per unit of visibility, on the company's neighbourhood SES and its director's migration
background. Truth never depends on ``label_bias``: it only moves thresholds on draws made regardless of it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synth._arrays import NAT, YEAR, BoolArray, IntArray
from synth._companies import LF, MECH, Companies
from synth._config import WorldConfig


@dataclass
class Insolvencies:
    """One row per insolvency proceeding."""

    company: IntArray
    declared_on: IntArray
    kind: IntArray  # index into INSOLVENCY_TYPES


@dataclass
class Cases:
    """One row per investigation; outcome index into CASE_OUTCOMES, source into CASE_SOURCES."""

    company: IntArray
    opened_on: IntArray
    closed_on: IntArray
    outcome: IntArray
    source: IntArray


def build_insolvencies(rng: np.random.Generator, co: Companies) -> Insolvencies:
    """A share of dissolutions are bankruptcies; phoenix predecessors always are."""
    gone = co.dissolved != NAT
    lf, mech, u = co.legal_form, co.mechanism, co.intensity
    p = np.where(np.isin(lf, [LF["BV"], LF["NV"]]), 0.2, np.where(lf == LF["eenmanszaak"], 0.08, 0.1))
    p = np.where(co.targeted & (mech == MECH["shell"]), 0.3 + 0.3 * u, p)
    p = np.where(co.targeted & (mech != MECH["shell"]), np.maximum(p, 0.15 + 0.2 * u), p)
    hit = gone & ((rng.random(co.n) < p) | co.bankrupt)
    idx = np.flatnonzero(hit)
    declared = co.dissolved[idx] - rng.uniform(30, 360, len(idx)).astype(np.int64)
    declared = np.maximum(declared, co.founded[idx] + 1)
    declared = np.where(co.bankrupt[idx], co.dissolved[idx] - 30, declared)
    r = rng.random(len(idx))
    sole = lf[idx] == LF["eenmanszaak"]
    kind = np.where(sole & (r < 0.3), 2, np.where(~sole & (r < 0.07), 1, 0))
    return Insolvencies(company=idx.astype(np.int64), declared_on=declared.astype(np.int64), kind=kind.astype(np.int64))


def build_cases(
    rng: np.random.Generator, cfg: WorldConfig, co: Companies, low_ses: BoolArray, non_western: BoolArray
) -> Cases:
    """At most one investigation per company; visibility raises the odds by ``label_bias`` per unit."""
    n = co.n
    n_net = int(co.network.max()) + 1 if co.targeted.any() else 1
    hot = rng.random(n_net) < 0.5  # networks already on an agency's radar
    r_open, r_date, r_len, r_outcome, r_source = (rng.random(n) for _ in range(5))
    q = np.where(co.involved, cfg.case_rate_involved, cfg.case_rate_uninvolved)
    net_factor = np.where(co.network >= 0, np.where(hot[np.maximum(co.network, 0)], 1.6, 0.4), 1.0)
    q = np.where(co.involved, q * net_factor, q)
    q = np.where(co.targeted & ~co.involved, 0.02, q)  # proximity to a network draws attention
    visibility = low_ses.astype(np.float64) + non_western.astype(np.float64)
    odds = q / (1.0 - np.minimum(q, 0.99)) * cfg.label_bias**visibility
    opened = r_open < odds / (1.0 + odds)
    lo = np.maximum(co.founded, cfg.start_day)
    lo = np.where(co.involved & co.targeted, np.maximum(lo, co.control_start), lo)
    hi = np.where(co.dissolved == NAT, cfg.end_day, co.dissolved + round(YEAR))
    hi = np.minimum(hi, cfg.end_day)
    opened &= hi > lo
    idx = np.flatnonzero(opened)
    opened_on = (lo + r_date * (hi - lo))[idx].astype(np.int64)
    closed_on = opened_on + (120 + r_len[idx] * 980).astype(np.int64)
    pending = closed_on > cfg.end_day
    confirm_p = np.where(co.involved[idx], cfg.confirm_rate_involved, cfg.confirm_rate_uninvolved)
    outcome = np.where(pending, 2, np.where(r_outcome[idx] < confirm_p, 0, 1))
    source = _source(co.mechanism[idx], r_source[idx])
    return Cases(
        company=idx.astype(np.int64),
        opened_on=opened_on,
        closed_on=np.where(pending, NAT, closed_on).astype(np.int64),
        outcome=outcome.astype(np.int64),
        source=source,
    )


def _source(mech: IntArray, r: np.ndarray) -> IntArray:
    """RIEC 0, Bibob 1, FIOD 2: Bibob screens licensed premises, FIOD follows the money."""
    # cumulative probabilities of RIEC, then Bibob
    riec = np.select(
        [mech == MECH["front"], np.isin(mech, [MECH["shell"], MECH["property"]]), mech == MECH["phoenix"]],
        [0.35, 0.4, 0.5],
        0.5,
    )
    bibob = riec + np.select(
        [mech == MECH["front"], np.isin(mech, [MECH["shell"], MECH["property"]]), mech == MECH["phoenix"]],
        [0.5, 0.1, 0.1],
        0.3,
    )
    return np.where(r < riec, 0, np.where(r < bibob, 1, 2)).astype(np.int64)
