"""Companies, the criminal networks that target some of them, and the ground truth.

The generative order matters for honesty: networks choose companies and their intensity of use first; the
propensity to be involved is a function of that latent state only; involvement is one Bernoulli draw from the
propensity. Every trace in the records is generated from the latent state, never from the draw, so the
propensity is the best any model can do (the oracle), and no model can be perfect.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from synth._arrays import NAT, YEAR, BoolArray, FloatArray, IntArray, choice, group_choice
from synth._config import WorldConfig
from synth._places import Geography, pick_muni, pick_pc4
from synth._reference import ADDRESS_TYPES, LEGAL_FORMS, MECHANISM_SECTORS, MECHANISMS, SECTORS

LF = {name: i for i, name in enumerate(LEGAL_FORMS)}
MECH = {name: i for i, name in enumerate(MECHANISMS)}
ADDR = {name: i for i, name in enumerate(ADDRESS_TYPES)}
SBI = {s.sbi: i for i, s in enumerate(SECTORS)}
SECTOR_CASH = np.asarray([s.cash for s in SECTORS])
SECTOR_RISK = np.asarray([s.risk for s in SECTORS])
SECTOR_MIGRANT_TILT = np.asarray([s.migrant_tilt for s in SECTORS])
SECTOR_FEMALE_TILT = np.asarray([s.female_tilt for s in SECTORS])
_SHOP_SECTORS = np.asarray([s.cash >= 0.3 or s.sbi in {"4711", "1071", "5510"} for s in SECTORS])
_NO_STAFF_SECTORS = np.asarray([s.sbi in {"6420"} for s in SECTORS])


@dataclass
class Companies:
    """Column arrays for every company, indexable by position (position = internal company index)."""

    sector: IntArray
    legal_form: IntArray
    employees: IntArray
    founded: IntArray
    dissolved: IntArray  # NAT while active at the end of the window
    address_type: IntArray
    muni: IntArray
    pc4: IntArray  # index into Geography.pc4_code
    targeted: BoolArray
    network: IntArray  # -1 when not targeted
    mechanism: IntArray
    intensity: FloatArray
    control_start: IntArray  # NAT when not targeted
    propensity: FloatArray
    involved: BoolArray
    predecessor: IntArray  # phoenix: the bankrupt company this one continues, else -1
    bankrupt: BoolArray  # forced insolvency (phoenix predecessors); others are drawn later

    @property
    def n(self) -> int:
        """Number of companies."""
        return len(self.sector)

    def active_on(self, day: int) -> BoolArray:
        """Registered and not yet dissolved on ``day``."""
        return (self.founded <= day) & ((self.dissolved == NAT) | (self.dissolved > day))


def build_companies(cfg: WorldConfig, geo: Geography, rngs: dict[str, np.random.Generator]) -> Companies:
    """Draw the register, let networks target part of it, place everything, and draw the truth."""
    rng = rngs["companies"]
    n = cfg.n_companies
    sector = choice(rng, n, np.asarray([s.share for s in SECTORS]))
    legal_form = _legal_forms(rng, sector)
    founded, dissolved = _lifetimes(rng, cfg, legal_form)
    co = Companies(
        sector=sector,
        legal_form=legal_form,
        employees=np.zeros(n, np.int64),
        founded=founded,
        dissolved=dissolved,
        address_type=np.zeros(n, np.int64),
        muni=np.zeros(n, np.int64),
        pc4=np.zeros(n, np.int64),
        targeted=np.zeros(n, bool),
        network=np.full(n, -1, np.int64),
        mechanism=np.zeros(n, np.int64),
        intensity=np.zeros(n),
        control_start=np.full(n, NAT, np.int64),
        propensity=np.zeros(n),
        involved=np.zeros(n, bool),
        predecessor=np.full(n, -1, np.int64),
        bankrupt=np.zeros(n, bool),
    )
    n_networks = _target(rngs["networks"], cfg, co)
    co = _add_phoenix_predecessors(rngs["networks"], cfg, co)
    co.employees = _employees(rng, co.legal_form, co.sector)
    co.address_type = _address_types(rngs["addresses"], co)
    _place(rngs["places"], cfg, geo, co, n_networks)
    _truth(rngs["networks"], cfg, co)
    return co


def _legal_forms(rng: np.random.Generator, sector: IntArray) -> IntArray:
    n = len(sector)
    bv_share = np.asarray([s.bv_share for s in SECTORS])[sector]
    u, v = rng.random(n), rng.random(n)
    lf = np.where(v < 0.85, LF["eenmanszaak"], np.where(v < 0.98, LF["VOF"], LF["CV"]))
    entity = np.where(v < 0.985, LF["BV"], np.where(v < 0.992, LF["NV"], LF["coöperatie"]))
    lf = np.where(u < bv_share, entity, lf)
    assoc = sector == SBI["9499"]
    lf = np.where(assoc, np.where(v < 0.6, LF["stichting"], LF["vereniging"]), lf)
    holding = sector == SBI["6420"]
    lf = np.where(holding, np.where(v < 0.95, LF["BV"], LF["stichting"]), lf)
    return lf.astype(np.int64)


_HAZARD = {
    "eenmanszaak": 0.09,
    "VOF": 0.08,
    "CV": 0.06,
    "BV": 0.045,
    "NV": 0.02,
    "stichting": 0.025,
    "vereniging": 0.02,
    "coöperatie": 0.03,
}


def _lifetimes(rng: np.random.Generator, cfg: WorldConfig, legal_form: IntArray) -> tuple[IntArray, IntArray]:
    """Founding and dissolution days for companies registered at some point of the window.

    Older companies are alive at the window start; by memorylessness their remaining life starts there.
    Younger ones are founded in the window, more of them towards its end as the register grows.
    """
    n = len(legal_form)
    span = cfg.end_day - cfg.start_day
    old = rng.random(n) < 0.42
    founded_old = cfg.start_day - np.minimum(rng.exponential(11 * YEAR, n), 60 * YEAR)
    founded_new = cfg.start_day + span * rng.random(n) ** 0.8
    founded = np.where(old, founded_old, founded_new).astype(np.int64)
    hazard = np.asarray([_HAZARD[name] for name in LEGAL_FORMS])[legal_form]
    life = rng.exponential(YEAR / hazard)
    dissolved = (np.maximum(founded, cfg.start_day) + life).astype(np.int64)
    dissolved = np.where(dissolved <= cfg.end_day, dissolved, NAT)
    return founded, dissolved


def _employees(rng: np.random.Generator, legal_form: IntArray, sector: IntArray) -> IntArray:
    """Heavy-tailed staff counts: most companies have no staff, a few have thousands."""
    n = len(legal_form)
    sole = (legal_form == LF["eenmanszaak"]) | (legal_form == LF["VOF"]) | (legal_form == LF["CV"])
    small = np.where(rng.random(n) < 0.8, 0, rng.geometric(0.45, n))
    entity = np.floor(np.exp(rng.normal(0.2, 1.45, n))).astype(np.int64) - 1
    staff = np.where(sole, small, np.clip(entity, 0, 25_000))
    return np.where(_NO_STAFF_SECTORS[sector], 0, staff).astype(np.int64)


def _target(rng: np.random.Generator, cfg: WorldConfig, co: Companies) -> int:
    """Networks pick companies, a mechanism for each, and how intensely they use them."""
    n = co.n
    n_t = max(10, round(n * cfg.targeted_rate))
    idx = rng.choice(n, size=n_t, replace=False)
    names = [m for m, _ in cfg.mechanism_mix]
    mech = np.asarray([MECH[m] for m in names])[choice(rng, n_t, np.asarray([w for _, w in cfg.mechanism_mix]))]
    sector = co.sector[idx].copy()
    for m in names:
        sel = np.flatnonzero(mech == MECH[m])
        codes = list(MECHANISM_SECTORS[m])
        w = np.asarray(list(MECHANISM_SECTORS[m].values()), dtype=np.float64)
        sector[sel] = np.asarray([SBI[c] for c in codes])[choice(rng, len(sel), w)]
    lf = np.full(n_t, LF["BV"], np.int64)
    front = mech == MECH["front"]
    lf[front] = np.where(rng.random(int(front.sum())) < 0.5, LF["BV"], LF["eenmanszaak"])
    # Some network holdings are foundations (a stichting has no shareholders to trace).
    foundation = (mech == MECH["shell"]) & (sector == SBI["6420"]) & (rng.random(n_t) < 0.2)
    lf[foundation] = LF["stichting"]
    # Network sizes: negative binomial, heavy right tail; fill until every targeted company has a network.
    p = 1.5 / (1.5 + cfg.network_size_mean - 2)
    sizes = 2 + rng.negative_binomial(1.5, p, size=n_t)
    n_networks = int(np.searchsorted(np.cumsum(sizes), n_t) + 1)
    network = np.repeat(np.arange(n_networks), sizes[:n_networks])[:n_t]
    u_net = rng.beta(2.0, 2.0, n_networks)
    intensity = np.clip(0.4 * u_net[network] + 0.6 * rng.beta(2.0, 2.5, n_t), 0.0, 1.0)
    co.targeted[idx] = True
    co.mechanism[idx] = mech
    co.sector[idx] = sector
    co.legal_form[idx] = lf
    co.network[idx] = network
    co.intensity[idx] = intensity
    _control_start(rng, cfg, co, idx, mech)
    return n_networks


def _control_start(rng: np.random.Generator, cfg: WorldConfig, co: Companies, idx: IntArray, mech: IntArray) -> None:
    """New companies are founded by the network; others are taken over (fronts most often: buying a shop)."""
    n_t = len(idx)
    p_new = np.where(mech == MECH["front"], 0.45, np.where(mech == MECH["phoenix"], 1.0, 0.8))
    new = (rng.random(n_t) < p_new) | (co.founded[idx] > cfg.end_day - 270)
    span = cfg.end_day - cfg.start_day - 180
    founded_new = (cfg.start_day + span * rng.random(n_t) ** 0.9).astype(np.int64)
    founded = np.where(new, founded_new, co.founded[idx])
    lo = np.maximum(founded, cfg.start_day) + 180
    takeover = (lo + (cfg.end_day - 90 - lo) * rng.random(n_t)).astype(np.int64)
    start = np.where(new, founded, takeover)
    shell_like = (mech == MECH["shell"]) | (mech == MECH["phoenix"])
    life = rng.exponential(np.where(shell_like, 2.5, 6.0) * YEAR)
    dissolved = (start + 90 + life).astype(np.int64)
    co.founded[idx] = founded
    co.control_start[idx] = start
    co.dissolved[idx] = np.where(dissolved <= cfg.end_day, dissolved, NAT)


def _add_phoenix_predecessors(rng: np.random.Generator, cfg: WorldConfig, co: Companies) -> Companies:
    """Give every phoenix company a bankrupt predecessor run by the same people, in the same trade."""
    succ = np.flatnonzero(co.mechanism == MECH["phoenix"])
    k = len(succ)
    bankrupt_on = (co.founded[succ] + rng.integers(0, 120, k)).astype(np.int64)
    pred_founded = (bankrupt_on - rng.uniform(1.0, 4.0, k) * YEAR).astype(np.int64)
    extra: dict[str, np.ndarray] = {
        "sector": co.sector[succ],
        "legal_form": np.full(k, LF["BV"], np.int64),
        "employees": np.zeros(k, np.int64),
        "founded": pred_founded,
        "dissolved": np.minimum(bankrupt_on + 30, cfg.end_day),
        "address_type": np.zeros(k, np.int64),
        "muni": np.zeros(k, np.int64),
        "pc4": np.zeros(k, np.int64),
        "targeted": np.ones(k, bool),
        "network": co.network[succ],
        "mechanism": co.mechanism[succ],
        "intensity": co.intensity[succ],
        "control_start": pred_founded,
        "propensity": np.zeros(k),
        "involved": np.zeros(k, bool),
        "predecessor": np.full(k, -1, np.int64),
        "bankrupt": np.ones(k, bool),
    }
    merged = {f.name: np.concatenate([getattr(co, f.name), extra[f.name]]) for f in fields(co)}
    merged["predecessor"][succ] = co.n + np.arange(k)
    return Companies(**merged)


def _address_types(rng: np.random.Generator, co: Companies) -> IntArray:
    n = co.n
    lf, sector = co.legal_form, co.sector
    entity = np.isin(lf, [LF["BV"], LF["NV"]])
    # columns: residential, commercial, domicile_flex
    probs = np.tile([0.75, 0.24, 0.01], (n, 1))
    probs[entity] = [0.35, 0.50, 0.15]
    probs[entity & (sector == SBI["6420"])] = [0.55, 0.15, 0.30]
    probs[np.isin(lf, [LF["stichting"], LF["vereniging"], LF["coöperatie"]])] = [0.40, 0.55, 0.05]
    probs[_SHOP_SECTORS[sector]] = [0.08, 0.92, 0.0]
    m = co.mechanism
    probs[m == MECH["shell"]] = [0.05, 0.10, 0.85]
    probs[m == MECH["facilitator"]] = [0.0, 0.6, 0.4]
    probs[m == MECH["property"]] = [0.2, 0.4, 0.4]
    probs[m == MECH["front"]] = [0.03, 0.97, 0.0]
    cum = np.cumsum(probs, axis=1)
    return (rng.random(n)[:, None] > cum).sum(axis=1).clip(0, 2).astype(np.int64)


def _place(rng: np.random.Generator, cfg: WorldConfig, geo: Geography, co: Companies, n_networks: int) -> None:
    """Municipality and PC4 for every company.

    Legitimate companies lean towards low-SES areas by sector when ``segregation`` > 0. Targeted companies
    copy the PC4 of a random legitimate company with the same municipality and address type, so that the
    SES distribution of involved companies matches that of the rest: place is a proxy, never a cause.
    """
    home = pick_muni(rng, geo, n_networks)
    muni = pick_muni(rng, geo, co.n)
    t = co.targeted
    stay = rng.random(co.n) < 0.75
    muni[t & stay] = home[co.network[t & stay]]
    co.muni = muni
    tilt = cfg.segregation * 0.6 * SECTOR_MIGRANT_TILT[co.sector]
    central = np.where(co.address_type == ADDR["residential"], 0.0, 1.5)
    legit = np.flatnonzero(~t)
    pc4 = np.zeros(co.n, np.int64)
    pc4[legit] = pick_pc4(rng, geo, muni[legit], tilt[legit], central[legit])
    targ = np.flatnonzero(t)
    key_legit = muni[legit] * 3 + co.address_type[legit]
    donor = group_choice(
        rng, muni[targ] * 3 + co.address_type[targ], len(geo.muni_weight) * 3, np.ones(len(legit)), key_legit
    )
    fallback = pick_pc4(rng, geo, muni[targ], np.zeros(len(targ)), central[targ])
    pc4[targ] = np.where(donor >= 0, pc4[legit[np.maximum(donor, 0)]], fallback)
    co.pc4 = pc4
    # Phoenix successors often keep the predecessor's premises (address ids are tied in _addresses).
    succ = np.flatnonzero(co.predecessor >= 0)
    pred = co.predecessor[succ]
    co.muni[pred] = co.muni[succ]
    co.pc4[pred] = co.pc4[succ]
    co.address_type[pred] = co.address_type[succ]


def _truth(rng: np.random.Generator, cfg: WorldConfig, co: Companies) -> None:
    """Propensity from the latent state, then one Bernoulli draw: the ground truth."""
    opportunity = np.exp(0.8 * SECTOR_CASH[co.sector] + rng.normal(0.0, 0.5, co.n))
    background = cfg.background_propensity * opportunity / opportunity.mean()
    targeted = cfg.propensity_floor + cfg.propensity_span * co.intensity
    co.propensity = np.clip(np.where(co.targeted, targeted, background), 0.0, 1.0)
    co.involved = rng.random(co.n) < co.propensity
