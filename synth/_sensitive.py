"""Sensitive attributes: migration background, gender, birth year per person; SES per PC4.

Two requirements pull against each other and both hold here. With ``segregation`` > 0, attributes cluster
by neighbourhood and sector (the proxy channel). Yet ground truth has the same base rate in every group:
the intercepts are calibrated separately among persons who run involved companies and among the rest, so
that both strata have the national mix. Within a risky sector, involved owners are therefore *less* often
from the locally over-represented group than honest ones; over all sectors the groups are equal.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri

from synth._arrays import BoolArray, FloatArray, IntArray
from synth._companies import SECTOR_FEMALE_TILT, SECTOR_MIGRANT_TILT, Companies
from synth._config import WorldConfig
from synth._people import People
from synth._places import Geography

#: National mix among business owners (CBS-like): no migration background, western, non-western.
MIGRATION_MIX = np.asarray([0.74, 0.10, 0.16])
FEMALE_SHARE = 0.36


@dataclass
class Sensitive:
    """Per person and per PC4; only ``sensitive/`` ever holds these."""

    birth_year: IntArray
    gender: IntArray  # 0 female, 1 male
    migration: IntArray  # 0 none, 1 western, 2 non-western
    ses_class: IntArray  # per PC4: 0 low, 1 middle, 2 high


def build_sensitive(rng: np.random.Generator, cfg: WorldConfig, geo: Geography, co: Companies, pp: People) -> Sensitive:
    """Draw attributes per person from their first company's place and sector, calibrated per stratum."""
    first = np.maximum(pp.first_company, 0)
    ses = geo.pc4_ses[co.pc4[first]]
    sector = co.sector[first]
    g = cfg.segregation
    heads = np.bincount(pp.primary_person, minlength=pp.n_persons).astype(np.float64)
    # Expected involvement (the propensity), never the drawn outcome: attributes must not depend on the coin
    # flip, or the oracle would be miscalibrated by group.
    expected = np.bincount(pp.primary_person, weights=co.propensity, minlength=pp.n_persons)
    first_expected = co.propensity[first]
    # Strata of persons whose companies have similar propensity; with each stratum's company-weighted group mix
    # fixed to the national one, every group gets the same expected involvement.
    mean_p = expected / np.maximum(heads, 1.0)
    bins = [0.001, 0.002, 0.004, 0.01, 0.05, 0.15, 0.3, 0.45, 0.6]
    stratum = np.where(heads > 0, np.digitize(mean_p, bins), 20 + np.digitize(first_expected, bins)).astype(np.int64)
    weight = heads + 0.05
    logit_nw = g * (-1.0 * ses + 0.9 * SECTOR_MIGRANT_TILT[sector])
    logit_w = g * 0.3 * ses
    logits = np.stack([np.zeros(pp.n_persons), logit_w, logit_nw], axis=1)
    probs = _calibrate_multinomial(logits, stratum, weight, MIGRATION_MIX)
    nw = _balanced(rng, probs[:, 2], stratum)
    west = ~nw & _balanced(rng, probs[:, 1] / np.maximum(1.0 - probs[:, 2], 1e-12), stratum, ~nw)
    migration = np.where(nw, 2, np.where(west, 1, 0))
    logit_f = g * 1.2 * SECTOR_FEMALE_TILT[sector]
    fem = _calibrate_multinomial(
        np.stack([logit_f, np.zeros(pp.n_persons)], axis=1),
        stratum,
        weight,
        np.asarray([FEMALE_SHARE, 1 - FEMALE_SHARE]),
    )
    gender = (~_balanced(rng, fem[:, 0], stratum)).astype(np.int64)
    # Age at the end of the window, one distribution for everybody, spread evenly over each propensity stratum
    # (as the groups above) so a few straw men heading many companies cannot make one age group look riskier by
    # chance. Drawing the age at *first registration* (as an earlier version did) tied age to the company's age,
    # and involved companies are young: ground truth then differed threefold between age groups, a channel nobody
    # had switched on. Forcing consistency with the register (nobody a minor at their first spell) brings that
    # link back through the constraint, so it is not enforced; only the audit reads birth years and it never
    # relates them to the register (share of such persons: docs/synthetic-world.md).
    u = _balanced_uniform(rng, stratum, weight)
    age_at_end = np.clip(50.0 + 11.0 * ndtri(u), 22, 90)
    birth_year = np.rint(cfg.end_year - age_at_end).astype(np.int64)
    return Sensitive(
        birth_year=birth_year,
        gender=gender,
        migration=migration.astype(np.int64),
        ses_class=_ses_classes(geo.pc4_ses),
    )


def _calibrate_multinomial(logits: FloatArray, stratum: IntArray, weight: FloatArray, target: FloatArray) -> FloatArray:
    """Shift per-stratum intercepts until each stratum's weighted mean probability equals ``target``."""
    out = np.empty_like(logits)
    for s in np.unique(stratum):
        sel = stratum == s
        z = logits[sel].copy()
        w = weight[sel] / weight[sel].sum()
        for _ in range(50):
            p = np.exp(z - z.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            mean = w @ p
            z += np.log(target / mean)
            if np.max(np.abs(mean - target)) < 1e-6:
                break
        p = np.exp(z - z.max(axis=1, keepdims=True))
        out[sel] = p / p.sum(axis=1, keepdims=True)
    return out


def _balanced(
    rng: np.random.Generator, p: FloatArray, stratum: IntArray, eligible: BoolArray | None = None
) -> BoolArray:
    """Bernoulli(p) per person, drawn by systematic sampling in random order within each stratum.

    Each person is still chosen with probability exactly ``p``, but the realised count in a stratum is
    fixed to within one. Without this, a few hundred persons behind the involved companies would give group
    base rates that differ by chance alone by a third, and the fairness audit would chase noise.
    """
    out = np.zeros(len(p), dtype=bool)
    ok = np.ones(len(p), dtype=bool) if eligible is None else eligible
    for s in np.unique(stratum):
        idx = np.flatnonzero((stratum == s) & ok)
        idx = idx[rng.permutation(len(idx))]
        cum = np.cumsum(np.clip(p[idx], 0.0, 1.0)) + rng.random()
        prev = np.r_[cum[:1] - np.clip(p[idx[:1]], 0.0, 1.0), cum[:-1]]
        out[idx] = np.floor(cum) > np.floor(prev)
    return out


def _balanced_uniform(rng: np.random.Generator, stratum: IntArray, weight: FloatArray) -> FloatArray:
    """Uniform(0, 1) per person whose weighted distribution within every stratum is (almost exactly) uniform.

    Systematic sampling again: persons in random order, each takes the point of the stratum's cumulative weight
    where their own weight starts, plus a jitter inside it.
    """
    out = np.empty(len(stratum), dtype=np.float64)
    for s in np.unique(stratum):
        idx = np.flatnonzero(stratum == s)
        idx = idx[rng.permutation(len(idx))]
        w = weight[idx]
        cum = np.cumsum(w)
        out[idx] = (cum - w * rng.random(len(idx))) / cum[-1]
    return np.clip(out, 1e-9, 1 - 1e-9)


def _ses_classes(score: FloatArray) -> IntArray:
    lo, hi = np.quantile(score, [0.25, 0.75])
    return np.where(score < lo, 0, np.where(score > hi, 2, 1)).astype(np.int64)


def company_low_ses(co: Companies, sens: Sensitive) -> BoolArray:
    """Company sits in a low-SES PC4 (what an investigator 'sees' as a problem neighbourhood)."""
    return np.asarray(sens.ses_class[co.pc4] == 0)


def company_non_western(co: Companies, pp: People, sens: Sensitive) -> BoolArray:
    """The company's current director has a non-western migration background."""
    return np.asarray(sens.migration[pp.primary_person] == 2)
