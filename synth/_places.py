"""Geography: municipalities, PC4 neighbourhoods with a latent socio-economic status, and addresses.

SES is latent and lives only in ``sensitive/``; the register sees postcodes, not status. Segregation enters
when legitimate companies pick a neighbourhood (some sectors lean to low-SES areas) and when owners' sensitive
attributes are drawn, never when criminal networks pick a place.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synth._arrays import BoolArray, FloatArray, IntArray, choice, group_choice
from synth._reference import MUNICIPALITIES, RIEC_REGIONS

RESIDENTS_PER_PC4 = 9_000


@dataclass
class Geography:
    """Municipality and PC4 arrays, indexable by position."""

    muni_weight: FloatArray  # share of companies per municipality
    muni_region: IntArray
    pc4_code: IntArray
    pc4_muni: IntArray
    pc4_ses: FloatArray  # latent standard-normal SES score
    pc4_central: BoolArray  # city-centre / business district: where commercial and domicile addresses sit


def build_geography(rng: np.random.Generator) -> Geography:
    """Allocate PC4 areas to municipalities (largest first, skipping codes already taken) and draw SES."""
    used: set[int] = set()
    codes: list[int] = []
    munis: list[int] = []
    order = sorted(range(len(MUNICIPALITIES)), key=lambda i: -MUNICIPALITIES[i].population_k)
    for i in order:
        m = MUNICIPALITIES[i]
        need = max(2, round(m.population_k * 1000 / RESIDENTS_PER_PC4))
        code = m.pc4_start
        while need:
            if code not in used and 1000 <= code <= 9999:
                used.add(code)
                codes.append(code)
                munis.append(i)
                need -= 1
            code += 1
    pc4_code = np.asarray(codes, dtype=np.int64)
    pc4_muni = np.asarray(munis, dtype=np.int64)
    pop = np.asarray([m.population_k for m in MUNICIPALITIES], dtype=np.float64)
    # Companies concentrate more than people in large cities.
    muni_weight = pop**1.15 / np.sum(pop**1.15)
    region_index = {r: k for k, r in enumerate(RIEC_REGIONS)}
    muni_region = np.asarray([region_index[m.region] for m in MUNICIPALITIES], dtype=np.int64)
    # Larger cities have a wider SES spread; each municipality its own mean.
    muni_mean = rng.normal(0.0, 0.35, len(MUNICIPALITIES))
    spread = 0.8 + 0.25 * np.log(pop / pop.min()) / np.log(pop.max() / pop.min())
    pc4_ses = muni_mean[pc4_muni] + spread[pc4_muni] * rng.normal(0.0, 1.0, len(pc4_code))
    rank_in_muni = _rank_within(pc4_muni)
    pc4_central = rank_in_muni < np.maximum(1, np.bincount(pc4_muni)[pc4_muni] // 6)
    return Geography(muni_weight, muni_region, pc4_code, pc4_muni, pc4_ses, pc4_central)


def _rank_within(groups: IntArray) -> IntArray:
    order = np.argsort(groups, kind="stable")
    g = groups[order]
    first = np.searchsorted(g, g, side="left")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order)) - first
    return rank.astype(np.int64)


def pick_pc4(
    rng: np.random.Generator, geo: Geography, muni: IntArray, tilt: FloatArray, central_pref: FloatArray
) -> IntArray:
    """Pick a PC4 within each company's municipality.

    ``tilt`` (per company) multiplies minus the SES score in the log-weight: positive tilt leans to low-SES
    areas. ``central_pref`` (per company) adds to the log-weight of central PC4s. Drawn in groups of equal
    (rounded) tilt so the per-group weighting stays vectorised.
    """
    out = np.empty(len(muni), dtype=np.int64)
    keys = np.round(tilt * 4) / 4 + 100 * np.round(central_pref)
    for key in np.unique(keys):
        sel = np.flatnonzero(keys == key)
        t = float(np.round(tilt[sel[0]] * 4) / 4)
        c = float(np.round(central_pref[sel[0]]))
        w = np.exp(-t * geo.pc4_ses + c * geo.pc4_central)
        out[sel] = group_choice(rng, muni[sel], len(geo.muni_weight), w, geo.pc4_muni)
    return out


def pick_muni(rng: np.random.Generator, geo: Geography, n: int) -> IntArray:
    """Municipalities in proportion to where companies are."""
    return choice(rng, n, geo.muni_weight)
