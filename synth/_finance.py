"""Annual accounts and quarterly cash flows.

Figures follow a per-company baseline (sector turnover per employee, heavy-tailed size) with a yearly random
walk. Network use leaves traces after control starts: fronts add laundered turnover and cash deposits,
shells pass money through with little real activity, property vehicles borrow from related parties, phoenix
predecessors run into negative equity before their bankruptcy. Balance sheets always balance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synth._arrays import NAT, YEAR, BoolArray, FloatArray, IntArray, days
from synth._companies import LF, MECH, SECTOR_CASH, Companies
from synth._config import WorldConfig
from synth._reference import SECTORS

_REV_FTE = np.asarray([s.revenue_per_fte_k for s in SECTORS]) * 1000.0
_ASSETS = np.asarray([s.assets_ratio for s in SECTORS])
HISTORY_YEARS = 5
_ANNUAL_FORMS = [LF["BV"], LF["NV"], LF["coöperatie"], LF["stichting"], LF["vereniging"]]


@dataclass
class Filings:
    """One row per company and fiscal year that was filed and known by the end of the window."""

    company: IntArray
    year: IntArray
    source: IntArray  # 0 jaarrekening, 1 aangifte
    filed_on: IntArray
    revenue: IntArray
    costs: IntArray
    profit: IntArray
    cash: IntArray
    total_assets: IntArray
    equity: IntArray
    liabilities: IntArray
    related_party_loans: IntArray
    employees: IntArray


@dataclass
class CashFlows:
    """One row per company and quarter over the last three years of the window."""

    company: IntArray
    quarter_start: IntArray
    cash_deposits: IntArray
    transfers_in: IntArray
    transfers_out: IntArray
    foreign_in_low_risk: IntArray
    foreign_in_high_risk: IntArray
    foreign_out_low_risk: IntArray
    foreign_out_high_risk: IntArray


def base_revenue(rng: np.random.Generator, co: Companies) -> FloatArray:
    """Each company's typical yearly turnover, before network traces."""
    size = (co.employees + 0.6) ** 0.9
    return np.asarray(_REV_FTE[co.sector] * size * np.exp(rng.normal(0.0, 0.6, co.n)), dtype=np.float64)


def _expand_years(cfg: WorldConfig, co: Companies) -> tuple[IntArray, IntArray]:
    """Company-year pairs for which the company existed at the fiscal year end."""
    # Five years of history before the window, so a five-year filing indicator at the window start sees a full
    # record instead of an artificial gap.
    founded_year = co.founded.astype("datetime64[D]").astype("datetime64[Y]").astype(int) + 1970
    first = np.maximum(cfg.start_year - HISTORY_YEARS, founded_year)
    diss_year = np.where(
        co.dissolved == NAT,
        cfg.end_year + 1,
        co.dissolved.astype("datetime64[D]").astype("datetime64[Y]").astype(int) + 1970,
    )
    last = np.minimum(cfg.end_year - 1, diss_year - 1)
    count = np.clip(last - first + 1, 0, None)
    comp = np.repeat(np.arange(co.n), count)
    offset = np.arange(len(comp)) - np.repeat(np.cumsum(count) - count, count)
    return comp.astype(np.int64), (first[comp] + offset).astype(np.int64)


def _within_cumsum(values: FloatArray, comp: IntArray) -> FloatArray:
    total = np.cumsum(values)
    head = np.r_[True, comp[1:] != comp[:-1]]
    start_total = np.maximum.accumulate(np.where(head, total - values, -np.inf))
    return np.asarray(total - start_total, dtype=np.float64)


def build_filings(
    rng: np.random.Generator, cfg: WorldConfig, co: Companies, revenue0: FloatArray, has_holding: BoolArray
) -> Filings:
    """Annual figures per company-year, then filing behaviour decides which rows the register holds."""
    comp, year = _expand_years(cfg, co)
    m = len(comp)
    u = co.intensity[comp]
    mech = co.mechanism[comp]
    first_year = cfg.start_year - HISTORY_YEARS
    year_end = np.asarray([days(int(y), 12, 31) for y in range(first_year, cfg.end_year + 1)])
    ctrl = co.targeted[comp] & (year_end[year - first_year] >= co.control_start[comp])
    growth = np.exp(_within_cumsum(rng.normal(0.02, 0.12, m), comp))
    base = revenue0[comp] * growth
    margin = rng.normal(0.06, 0.06, co.n)[comp] + rng.normal(0.0, 0.04, m)
    costs = base * (1.0 - margin)
    laundered = np.where(ctrl & (mech == MECH["front"]), base * (0.4 + 1.6 * u), 0.0)
    revenue = np.where(ctrl & (mech == MECH["shell"]), 0.15 * base, base + laundered)
    revenue = np.where(ctrl & (mech == MECH["facilitator"]), revenue * (1.0 + 0.5 * u), revenue)
    costs = np.where(ctrl & (mech == MECH["shell"]), 0.15 * costs, costs + 0.1 * laundered)
    assets = base * _ASSETS[co.sector[comp]] * np.exp(rng.normal(0.0, 0.4, m))
    assets = np.where(ctrl & (mech == MECH["property"]), assets * (1.0 + 4.0 * u), assets)
    eq_ratio = np.clip(rng.normal(0.35, 0.2, co.n)[comp] + rng.normal(0.0, 0.05, m), -0.6, 0.95)
    eq_ratio = np.where(ctrl & (mech == MECH["property"]), np.minimum(eq_ratio, 0.25 - 0.3 * u), eq_ratio)
    # Phoenix predecessors: losses and negative equity in their last years, while still trading.
    dying = co.bankrupt[comp] & (year_end[year - first_year] > co.dissolved[comp] - 2 * YEAR)
    costs = np.where(dying, revenue * (1.15 + 0.3 * u), costs)
    eq_ratio = np.where(dying, -0.2 - 0.5 * u, eq_ratio)
    cash_share = np.where(ctrl & (mech == MECH["front"]), 0.2 + 0.4 * u, rng.beta(2.0, 7.0, m))
    rpl_share = np.where(has_holding[comp], rng.beta(1.2, 6.0, m), rng.beta(0.5, 12.0, m))
    risky_loans = ctrl & np.isin(mech, [MECH["property"], MECH["shell"]])
    rpl_share = np.where(risky_loans, np.clip(0.3 + 0.6 * u + rng.normal(0, 0.1, m), 0.0, 0.98), rpl_share)
    total_assets = np.round(assets)
    equity = np.round(assets * eq_ratio)
    liabilities = total_assets - equity
    revenue, costs = np.round(revenue), np.round(costs)
    staff = np.maximum(0, co.employees[comp] + np.round(rng.normal(0, 0.15, m) * co.employees[comp]))
    filed_on, keep = _filing_behaviour(rng, cfg, co, comp, year, ctrl, dying)
    source = np.where(np.isin(co.legal_form[comp], _ANNUAL_FORMS), 0, 1)
    k = np.flatnonzero(keep)

    def as_int(a: np.ndarray) -> IntArray:
        return np.asarray(a[k], dtype=np.int64)

    return Filings(
        company=comp[k],
        year=year[k],
        source=as_int(source),
        filed_on=filed_on[k],
        revenue=as_int(revenue),
        costs=as_int(costs),
        profit=as_int(revenue - costs),
        cash=as_int(np.round(total_assets * cash_share)),
        total_assets=as_int(total_assets),
        equity=as_int(equity),
        liabilities=as_int(liabilities),
        related_party_loans=as_int(np.round(np.maximum(liabilities, 0) * rpl_share)),
        employees=as_int(staff),
    )


def _filing_behaviour(
    rng: np.random.Generator,
    cfg: WorldConfig,
    co: Companies,
    comp: IntArray,
    year: IntArray,
    ctrl: BoolArray,
    dying: BoolArray,
) -> tuple[IntArray, BoolArray]:
    """Decide which filings exist and when they arrived; the deadline is the end of the following year.

    Networks file late or not at all more often; so do many honest small companies, which is why a missing
    filing is a signal and never a verdict.
    """
    m = len(comp)
    u = co.intensity[comp]
    first_year = cfg.start_year - HISTORY_YEARS
    due = np.asarray([days(int(y) + 1, 12, 31) for y in range(first_year, cfg.end_year + 1)])[year - first_year]
    careless = np.isin(co.mechanism[comp], [MECH["shell"], MECH["phoenix"], MECH["property"]])
    p_missing = np.where(ctrl, np.where(careless, 0.05 + 0.35 * u, 0.03 + 0.1 * u), 0.03)
    p_missing = np.where(dying, 0.7, p_missing)
    gone_before_due = (co.dissolved[comp] != NAT) & (co.dissolved[comp] < due)
    p_missing = np.where(gone_before_due, np.maximum(p_missing, 0.5), p_missing)
    p_late = np.where(ctrl, 0.15 + 0.35 * u, 0.12)
    r = rng.random(m)
    late = rng.random(m) < p_late
    filed_on = np.where(late, due + 1 + rng.exponential(100.0, m), due - rng.uniform(0.0, 330.0, m))
    filed_on = filed_on.astype(np.int64)
    keep = (r >= p_missing) & (filed_on <= cfg.end_day)
    return filed_on, keep


def build_cash_flows(rng: np.random.Generator, cfg: WorldConfig, co: Companies, revenue0: FloatArray) -> CashFlows:
    """Quarterly bank aggregates for companies alive in each of the last twelve quarters."""
    q_starts = np.asarray(
        [days(y, mo, 1) for y in range(cfg.end_year - 2, cfg.end_year + 1) for mo in (1, 4, 7, 10)],
        dtype=np.int64,
    )
    q_ends = np.r_[q_starts[1:] - 1, cfg.end_day]
    alive = (co.founded[:, None] <= q_ends[None, :]) & (
        (co.dissolved[:, None] == NAT) | (co.dissolved[:, None] >= q_starts[None, :])
    )
    comp, q = np.nonzero(alive)
    m = len(comp)
    u = co.intensity[comp]
    mech = co.mechanism[comp]
    ctrl = co.targeted[comp] & (q_ends[q] >= co.control_start[comp])
    quarterly = revenue0[comp] / 4.0 * np.exp(rng.normal(0.1, 0.15, m))
    cash = SECTOR_CASH[co.sector[comp]]
    deposits = quarterly * cash * np.exp(rng.normal(0.0, 0.3, m))
    deposits = np.where(ctrl & (mech == MECH["front"]), deposits * (1.0 + 0.5 + 3.0 * u), deposits)
    t_in = quarterly * (1.0 - cash) * np.exp(rng.normal(0.0, 0.3, m))
    t_out = quarterly * 0.93 * np.exp(rng.normal(0.0, 0.3, m))
    passing = ctrl & np.isin(mech, [MECH["shell"], MECH["facilitator"]])
    through = np.where(passing, np.exp(rng.normal(np.log(2e5), 1.0, m)) * (0.2 + u), 0.0)
    t_in, t_out = t_in + through, t_out + through * rng.uniform(0.9, 1.0, m)
    f_share = np.where(passing, np.clip(0.3 + 0.5 * u, 0, 0.95), rng.beta(0.6, 10.0, m))
    hr_share = np.where(passing, np.clip(0.2 + 0.6 * u, 0, 0.95), rng.beta(0.5, 12.0, m))
    f_in, f_out = (
        t_in * f_share,
        t_out * f_share * rng.uniform(0.8, 1.2, m).clip(0, 1 / np.maximum(f_share, 1e-9)),
    )

    def r(a: FloatArray) -> IntArray:
        return np.round(a).astype(np.int64)

    return CashFlows(
        company=comp.astype(np.int64),
        quarter_start=q_starts[q],
        cash_deposits=r(deposits),
        transfers_in=r(t_in),
        transfers_out=r(t_out),
        foreign_in_low_risk=r(f_in * (1 - hr_share)),
        foreign_in_high_risk=r(f_in * hr_share),
        foreign_out_low_risk=r(f_out * (1 - hr_share)),
        foreign_out_high_risk=r(f_out * hr_share),
    )
