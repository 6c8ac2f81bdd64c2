"""The world's difficulty: the analysts' checklist (``features.checklist``) against the oracle, on ground truth.

The world is calibrated so that ranking by the number of flags finds *some* involved companies (precision
0.1–0.25 in the top 0.5% per region) while the true propensity finds many more (0.4–0.7): a checklist is
useful, a model can do better, and nothing is perfect.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from features.checklist import FLAGS, read_frame, red_flags

__all__ = ["FLAGS", "Difficulty", "difficulty", "red_flags", "top_share_precision"]


@dataclass(frozen=True)
class Difficulty:
    """Precision in the top ``share`` of each region, for the checklist and for the oracle."""

    checklist: float
    oracle: float
    checklist_by_region: dict[str, float]
    oracle_by_region: dict[str, float]
    share: float
    prevalence: float


def top_share_precision(
    score: pd.Series, region: pd.Series, truth: pd.Series, share: float, rng: np.random.Generator
) -> dict[str, float]:
    """Precision among the top ``share`` by score within each region; ties broken at random."""
    jitter = pd.Series(rng.random(len(score)), index=score.index)
    out: dict[str, float] = {}
    for reg, idx in score.groupby(region).groups.items():
        k = max(1, round(share * len(idx)))
        order = np.lexsort((-jitter[idx].to_numpy(), -score[idx].to_numpy()))
        out[str(reg)] = float(truth[idx].to_numpy()[order[:k]].mean())
    return out


def difficulty(tables: dict[str, pa.Table] | Path, as_of: str, share: float = 0.005, seed: int = 0) -> Difficulty:
    """Checklist versus oracle precision in the top ``share`` per region, against ground truth."""
    flags = red_flags(tables, as_of).set_index("company_id")
    truth = read_frame(tables, "truth/companies").set_index("company_id").reindex(flags.index)
    count = flags[list(FLAGS)].sum(axis=1).astype(float)
    rng = np.random.default_rng(seed)
    cl = top_share_precision(count, flags.region, truth.involved, share, rng)
    orc = top_share_precision(truth.propensity, flags.region, truth.involved, share, rng)
    return Difficulty(
        checklist=float(np.mean(list(cl.values()))),
        oracle=float(np.mean(list(orc.values()))),
        checklist_by_region=cl,
        oracle_by_region=orc,
        share=share,
        prevalence=float(truth.involved.mean()),
    )
