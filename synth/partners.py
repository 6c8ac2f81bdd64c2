"""Simulated partners: what an investigation of a listed company finds, drawn from the world's ground truth.

``tegenkracht simulate`` closes the learning loop on a synthetic world: the champion's shortlists go to these
partners, and what they find comes back as feedback. They find what the world's own investigations would: an
involved company is confirmed with the world's ``confirm_rate_involved``, an uninvolved one (wrongly) with
``confirm_rate_uninvolved``, so the loop's labels are exactly as noisy as the case records it learns beside.
A company is involved from the day a network took control of it; before that an investigation finds nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from synth._config import WorldConfig


class NoTruthError(ValueError):
    """Records without ground truth: a loop can only be simulated on a synthetic world."""


@dataclass(frozen=True)
class Partners:
    """The world's truth per company and its confirmation rates."""

    truth: pd.DataFrame  # indexed by company_id: involved, propensity, control_start
    confirm_involved: float
    confirm_uninvolved: float

    @classmethod
    def of(cls, data: Path) -> Partners:
        """The partners of the world in ``data``; refuses records without ``truth/`` with a clear error."""
        path = data / "truth" / "companies.parquet"
        if not path.exists():
            raise NoTruthError(
                f"{data} has no truth/companies.parquet: `simulate` needs a synthetic world with its ground truth "
                "(`tegenkracht synth`), because simulated partners draw their findings from it"
            )
        truth = pd.read_parquet(path, columns=["company_id", "involved", "propensity", "control_start"])
        truth["control_start"] = pd.to_datetime(truth["control_start"])
        cfg = WorldConfig()
        manifest = data / "manifest.json"
        stated = json.loads(manifest.read_text()).get("config", {}) if manifest.exists() else {}
        return cls(
            truth.set_index("company_id"),
            float(stated.get("confirm_rate_involved", cfg.confirm_rate_involved)),
            float(stated.get("confirm_rate_uninvolved", cfg.confirm_rate_uninvolved)),
        )

    def involved(self, company_id: pd.Series, on: pd.Timestamp) -> np.ndarray:
        """Whether each company is involved on that day (control has started)."""
        t = self.truth.reindex(company_id.to_numpy())
        started = t["control_start"].isna() | (t["control_start"] <= on)
        return (t["involved"].fillna(False).astype(bool) & started).to_numpy()

    def propensity(self, company_id: pd.Series) -> np.ndarray:
        """The true propensity: what the oracle ranks by."""
        return self.truth["propensity"].reindex(company_id.to_numpy()).fillna(0.0).to_numpy(np.float64)

    def investigate(self, company_id: pd.Series, on: pd.Timestamp, rng: np.random.Generator) -> np.ndarray:
        """1 where the investigation confirms, 0 where it dismisses."""
        p = np.where(self.involved(company_id, on), self.confirm_involved, self.confirm_uninvolved)
        return (rng.random(len(p)) < p).astype(np.int8)
