"""Exact recourse: which contestable facts, if shown to be wrong, would bring a company below the signal threshold.

This answers the question of hoor en wederhoor ("which facts, if shown wrong, change the outcome"), never "what
should the company do". A contestable fact is an indicator read from a record the company can show to be wrong (a
filing, an address registration, an officer or ownership record, a property deed: ``record`` in
``templates/facts.toml``), never its sector or other companies' cases. Its corrected value is its peers' value
(the peer point of :mod:`models.peerpoint`): the fact as it is at comparable companies.

Sets are found by re-scoring every candidate set with the model itself, smallest first, so a listed set is exactly
sufficient (its probability is the calibrated model's) and minimal: no smaller set sufficed, so no proper subset
does. The answer is the smallest sets: the search stops after the first size at which any set suffices. It
covers every set of up to ``max_size`` facts among the ``max_candidates`` contestable facts that differ most from
the peers (by contrastive contribution); ``complete`` says whether that was all of them, so an empty answer is
never mistaken for "nothing would help".
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np

from core.text import finite
from models.facts import contestable
from models.risk import RiskModel

MAX_SIZE = 4
MAX_CANDIDATES = 20
LIMIT = 10


@dataclass(frozen=True)
class Correction:
    """One minimal set of facts and the calibrated probability once they read as at the peers."""

    facts: tuple[str, ...]
    probability: float
    corrected: tuple[float | None, ...]  # each fact's value as at the peers, in ``facts`` order


@dataclass(frozen=True)
class Recourse:
    """The smallest sufficient sets (all of one size), lowest probability first, and what the search covered."""

    probability: float
    threshold: float
    sets: list[Correction]
    candidates: tuple[str, ...]
    max_size: int
    complete: bool
    tried: int = field(default=0)


def recourse(
    model: RiskModel,
    values: np.ndarray,
    peers: np.ndarray,
    threshold: float,
    contrast: np.ndarray | None = None,
    max_size: int = MAX_SIZE,
    max_candidates: int = MAX_CANDIDATES,
    limit: int = LIMIT,
) -> Recourse:
    """The smallest sets of contestable facts whose correction brings ``values`` (model order) below ``threshold``.

    ``peers`` is the company's peer point in the same order and ``contrast`` its contrastive values (they rank the
    candidates when there are more than ``max_candidates``).
    """
    x = np.asarray(values, dtype=np.float64)
    ref = np.asarray(peers, dtype=np.float64)
    now = float(_probability(model, x[None, :])[0])
    differing = [j for j, f in enumerate(model.features) if contestable(f) and not _same(x[j], ref[j])]
    if contrast is not None:
        differing.sort(key=lambda j: -float(contrast[j]))
    candidates = differing[:max_candidates]
    complete = len(differing) <= max_candidates
    found: list[tuple[int, ...]] = []
    probabilities: dict[tuple[int, ...], float] = {}
    tried = 0
    if now >= threshold:
        for size in range(1, max_size + 1):
            combos = [c for c in itertools.combinations(candidates, size) if not _covers(c, found)]
            if not combos:
                continue
            rows = np.repeat(x[None, :], len(combos), axis=0)
            for i, combo in enumerate(combos):
                rows[i, list(combo)] = ref[list(combo)]
            p = _probability(model, rows)
            tried += len(combos)
            for combo, prob in zip(combos, p, strict=True):
                if prob < threshold:
                    found.append(combo)
                    probabilities[combo] = float(prob)
            if found:  # the smallest sets are of this size: larger ones are not asked for
                break
    ordered = sorted(found, key=lambda c: (len(c), probabilities[c]))[:limit]
    sets = [
        Correction(tuple(model.features[j] for j in c), probabilities[c], tuple(finite(ref[j]) for j in c))
        for c in ordered
    ]
    names = tuple(model.features[j] for j in candidates)
    return Recourse(now, float(threshold), sets, names, max_size, complete, tried)


def _probability(model: RiskModel, rows: np.ndarray) -> np.ndarray:
    """Calibrated probabilities by the model's own trees (``RiskModel.rescore``, equal to LightGBM's)."""
    return model.rescore(rows)


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def _covers(combo: tuple[int, ...], found: list[tuple[int, ...]]) -> bool:
    """Whether a set already found is a subset of ``combo`` (then ``combo`` is not minimal)."""
    chosen = set(combo)
    return any(chosen.issuperset(f) for f in found)
