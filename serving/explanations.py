"""A company's full explanation: every indicator's value, its sector peers' median and its exact contribution.

Read from the batch's Parquet into memory once per batch (a few hundred MB at 2.5M companies) and then looked up
by company id, so a company signal costs an index lookup and six rendered reasons, not a Parquet scan.
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
from models.reasons import peer_rows, row_reasons
from models.risk import SHAP_PREFIX
from serving.batches import EXPLANATIONS, REFERENCE


@dataclass
class BatchExplanations:
    """One batch's values and contributions, indexed by company id."""

    index: pd.Index
    sections: np.ndarray
    features: tuple[str, ...]
    values: np.ndarray
    contributions: np.ndarray
    base_value: np.ndarray
    peer_row: np.ndarray  # per company: its row in ``peer_table``
    peer_table: np.ndarray  # per SBI section (and the overall row): the medians, in ``features`` order
    labels: list[dict[str, str]]

    @classmethod
    def read(cls, folder: Path) -> BatchExplanations:
        """Read a batch folder written by :mod:`serving.batches`."""
        frame = pd.read_parquet(folder / EXPLANATIONS)
        shap_cols = [c for c in frame.columns if c.startswith(SHAP_PREFIX)]
        features = tuple(c.removeprefix(SHAP_PREFIX) for c in shap_cols)
        reference = pd.read_parquet(folder / REFERENCE).set_index("sbi_section")
        return cls(
            index=pd.Index(frame["company_id"].astype(str)),
            sections=frame["sbi_section"].astype(str).to_numpy(),
            features=features,
            values=frame[list(features)].to_numpy(dtype=np.float64, na_value=np.nan),
            contributions=frame[shap_cols].to_numpy(dtype=np.float64),
            base_value=frame["base_value"].to_numpy(dtype=np.float64),
            peer_row=peer_rows(reference, frame["sbi_section"]),
            peer_table=reference[list(features)].to_numpy(dtype=np.float64),
            labels=[_label(f) for f in features],
        )

    def explain(self, company_id: str, top: int = 3) -> dict[str, Any] | None:
        """Indicators (value, peer median, contribution) and reason codes; None for a company not in the batch."""
        at = self.index.get_indexer(pd.Index([company_id]))[0]
        if at < 0:
            return None
        peers = self.peer_table[self.peer_row[at]]
        values, contrib = self.values[at], self.contributions[at]
        found = row_reasons(self.features, values, contrib, peers, top)
        order = np.argsort(-np.abs(contrib), kind="stable")
        indicators = [
            {
                **self.labels[j],
                "value": finite(values[j]),
                "peer_median": finite(peers[j]),
                "contribution": float(contrib[j]),
            }
            for j in order
        ]
        return {
            "base_value": float(self.base_value[at]),
            "indicators": indicators,
            "reasons": {k: [r.as_dict() for r in v] for k, v in found.items()},
        }


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
