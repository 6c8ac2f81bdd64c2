"""A company's full explanation: every indicator's value, its peers' value and both exact contributions.

Read from the batch's Parquet into memory once per batch (a few hundred MB at 2.5M companies) and then looked up
by company id, so a company signal costs an index lookup and six rendered reasons, not a Parquet scan. Each
indicator carries its SHAP value (score minus the base value, the model's own decomposition) and its contrast
(score minus the peer point's score), which the reasons use (``docs/explanations.md``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.text import finite
from features.catalogue import BY_ID
from features.pipeline import read_metadata
from models.facts import CONTEXT
from models.peerpoint import PEER_GROUP, rows_of
from models.reasons import row_reasons
from models.risk import CONTRAST_PREFIX, SHAP_PREFIX
from serving.batches import EXPLANATIONS, REFERENCE
from serving.scoring import read_reference


@dataclass
class BatchExplanations:
    """One batch's values and contributions, indexed by company id."""

    index: pd.Index
    features: tuple[str, ...]
    values: np.ndarray
    contributions: np.ndarray
    contrast: np.ndarray
    base_value: np.ndarray
    peer_score: np.ndarray
    peer_groups: np.ndarray
    peer_row: np.ndarray  # per company: its row in ``peer_table``
    peer_table: np.ndarray  # per peer group: its point, in ``features`` order
    context: dict[str, np.ndarray]
    as_of: str
    labels: list[dict[str, str]]

    @classmethod
    def read(cls, folder: Path) -> BatchExplanations:
        """Read a batch folder written by :mod:`serving.batches`."""
        frame = pd.read_parquet(folder / EXPLANATIONS)
        shap_cols = [c for c in frame.columns if c.startswith(SHAP_PREFIX)]
        features = tuple(c.removeprefix(SHAP_PREFIX) for c in shap_cols)
        reference = read_reference(folder / REFERENCE)
        groups = frame[PEER_GROUP].astype(str).to_numpy()
        return cls(
            index=pd.Index(frame["company_id"].astype(str)),
            features=features,
            values=frame[list(features)].to_numpy(dtype=np.float64, na_value=np.nan),
            contributions=frame[shap_cols].to_numpy(dtype=np.float64),
            contrast=frame[[CONTRAST_PREFIX + f for f in features]].to_numpy(dtype=np.float64),
            base_value=frame["base_value"].to_numpy(dtype=np.float64),
            peer_score=frame["peer_score"].to_numpy(dtype=np.float64),
            peer_groups=groups,
            peer_row=rows_of(reference, groups),
            peer_table=reference[list(features)].to_numpy(dtype=np.float64),
            context={c: frame[c].to_numpy(dtype=np.float64, na_value=np.nan) for c in CONTEXT if c in frame},
            as_of=read_metadata(folder / REFERENCE).get("as_of", "")[:10],
            labels=[_label(f) for f in features],
        )

    def position(self, company_id: str) -> int:
        """The company's row, -1 when it is not in the batch."""
        return int(self.index.get_indexer(pd.Index([company_id]))[0])

    def explain(self, company_id: str, top: int = 3) -> dict[str, Any] | None:
        """Indicators (value, peers' value, both contributions) and reason codes; None for a company not here."""
        at = self.position(company_id)
        if at < 0:
            return None
        peers = self.peer_table[self.peer_row[at]]
        values, contrib, contrast = self.values[at], self.contributions[at], self.contrast[at]
        found = row_reasons(self.features, values, contrast, peers, top, self.as_of, self.facts_of(at))
        order = np.argsort(-np.abs(contrast), kind="stable")
        indicators = [
            {
                **self.labels[j],
                "value": finite(values[j]),
                "peer_median": finite(peers[j]),
                "contribution": float(contrib[j]),
                "contrast": float(contrast[j]),
            }
            for j in order
        ]
        return {
            "base_value": float(self.base_value[at]),
            "peer_group": str(self.peer_groups[at]),
            "peer_score": float(self.peer_score[at]),
            "indicators": indicators,
            "reasons": {k: [r.as_dict() for r in v] for k, v in found.items()},
        }

    def facts_of(self, at: int) -> dict[str, float]:
        """The company facts a missing value's cause is read from (see ``models.facts.CONTEXT``)."""
        own = {f: float(self.values[at, j]) for j, f in enumerate(self.features) if f in CONTEXT}
        return {**{k: float(v[at]) for k, v in self.context.items()}, **own}


def _label(feature: str) -> dict[str, str]:
    ind = BY_ID.get(feature)
    return {
        "id": feature,
        "label_nl": ind.label_nl if ind else feature,
        "label_en": ind.label_en if ind else feature,
        "unit": ind.unit if ind else "",
    }


class ExplanationCache:
    """The explanations of the batches being served, read once each; thread-safe, keeps the newest two."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._batches: dict[int, BatchExplanations] = {}

    def peek(self, batch_id: int) -> BatchExplanations | None:
        """The batch's explanations if already read, else None; never reads (safe on the event loop)."""
        return self._batches.get(batch_id)

    def get(self, batch_id: int, folder: str) -> BatchExplanations:
        """The batch's explanations, reading them on first use."""
        with self._lock:
            found = self._batches.get(batch_id)
            if found is None:
                found = BatchExplanations.read(Path(folder))
                self._batches[batch_id] = found
                for old in sorted(self._batches)[:-2]:
                    del self._batches[old]
            return found
