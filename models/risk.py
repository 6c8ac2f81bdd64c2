"""RiskModel: one object that turns indicator rows into a raw score, a calibrated probability and its explanation.

The score is LightGBM's raw output (log-odds). Its SHAP contributions plus the base value add up to it exactly,
so the explanation is of the number the ranking uses. The probability is a monotone calibration of that score,
fitted on an out-of-time fold, so "0.30" means about 30 in 100 and never changes an order.

Saved as plain files (LightGBM's text model, JSON for the calibration and metadata), never pickles: a model
file can be read, diffed and audited, and loading one cannot run code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import lightgbm as lgb
import numpy as np
import pandas as pd

from features.schemas import is_sensitive_name
from models.contrastive import ContrastiveExplainer
from models.treeshap import Explainer, UnsupportedModelError

CalibrationMethod = Literal["platt", "isotonic"]
SHAP_PREFIX = "shap__"
CONTRAST_PREFIX = "contrast__"
MODEL_FILE = "booster.txt"
CALIBRATION_FILE = "calibration.json"
META_FILE = "model.json"


class ModelInputError(ValueError):
    """Rows do not fit the model: names the columns at fault."""


@dataclass(frozen=True)
class Calibrator:
    """Maps raw scores to probabilities: Platt (a logistic curve) or isotonic (a monotone step function)."""

    method: CalibrationMethod
    slope: float = 1.0
    intercept: float = 0.0
    x: tuple[float, ...] = ()
    y: tuple[float, ...] = ()

    def __call__(self, score: np.ndarray) -> np.ndarray:
        """Probability for each raw score."""
        s = np.asarray(score, dtype=np.float64)
        if self.method == "platt":
            return 1.0 / (1.0 + np.exp(-(self.slope * s + self.intercept)))
        return np.interp(s, np.asarray(self.x), np.asarray(self.y))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"method": self.method, "slope": self.slope, "intercept": self.intercept, "x": self.x, "y": self.y}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Calibrator:
        """Inverse of :meth:`to_dict`."""
        return cls(
            method=d["method"],
            slope=float(d["slope"]),
            intercept=float(d["intercept"]),
            x=tuple(float(v) for v in d["x"]),
            y=tuple(float(v) for v in d["y"]),
        )


@dataclass
class RiskModel:
    """A trained booster, its calibration, the indicators it reads and where it came from."""

    booster: lgb.Booster
    calibrator: Calibrator
    features: tuple[str, ...]
    metadata: dict[str, str] = field(default_factory=dict)
    _explainer: Explainer | UnsupportedModelError | None = field(default=None, init=False, repr=False, compare=False)
    _contrastive: ContrastiveExplainer | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        sensitive = [f for f in self.features if is_sensitive_name(f)]
        if sensitive:
            raise ModelInputError(f"a model may not read sensitive attributes: {sensitive}")
        if tuple(self.booster.feature_name()) != self.features:
            raise ModelInputError("booster feature names differ from the model's indicator list")

    def matrix(self, rows: pd.DataFrame) -> np.ndarray:
        """The model's columns in its order as float64; missing columns are an error, extra ones are ignored."""
        missing = [f for f in self.features if f not in rows.columns]
        if missing:
            raise ModelInputError(f"missing indicator column(s): {missing}")
        try:
            return rows.loc[:, list(self.features)].to_numpy(dtype=np.float64, na_value=np.nan)
        except (TypeError, ValueError) as exc:
            bad = [f for f in self.features if not pd.api.types.is_numeric_dtype(rows[f])]
            raise ModelInputError(f"non-numeric indicator column(s): {bad}") from exc

    def score(self, rows: pd.DataFrame, num_threads: int = 0) -> np.ndarray:
        """Raw score (log-odds); use ``num_threads=1`` for a handful of rows (thread start-up dominates)."""
        return np.asarray(self.booster.predict(self.matrix(rows), raw_score=True, num_threads=num_threads))

    def probability(self, rows: pd.DataFrame, num_threads: int = 0) -> np.ndarray:
        """Calibrated probability of a confirmed case in the horizon."""
        return self.calibrator(self.score(rows, num_threads))

    def contributions(self, rows: pd.DataFrame, num_threads: int = 0) -> np.ndarray:
        """Exact SHAP values, shape (rows, indicators + 1), the last column the base value (log-odds).

        The fast exact path (:mod:`models.treeshap`) when the model allows it, LightGBM's ``pred_contrib``
        otherwise; both agree to 1e-9. ``num_threads`` only applies to the fallback (the fast path uses numba's).
        """
        x = self.matrix(rows)
        if self._explainer is None:
            try:
                self._explainer = Explainer.from_booster(self.booster)
            except UnsupportedModelError as exc:
                self._explainer = exc  # remembered: parse once, fall back every time
        if isinstance(self._explainer, UnsupportedModelError):
            return np.asarray(self.booster.predict(x, pred_contrib=True, num_threads=num_threads))
        return self._explainer.shap_values(x)

    def contrast(
        self, rows: pd.DataFrame, reference: np.ndarray, reference_row: np.ndarray | None = None
    ) -> np.ndarray:
        """Exact baseline Shapley values of score(row) - score(its reference point), shape (rows, indicators).

        ``reference`` holds points in the model's indicator order (see :mod:`models.peerpoint`) and
        ``reference_row`` each row's point. Raises :class:`models.treeshap.UnsupportedModelError` for a model the
        exact walk does not handle (categorical splits, linear trees): no approximate contrast is ever given.
        """
        return self._walker().explain(self.matrix(rows), reference, reference_row)

    def rescore(self, matrix: np.ndarray) -> np.ndarray:
        """Calibrated probabilities of rows already in the model's column order (exactly ``probability``'s)."""
        return self.calibrator(self._walker().raw_scores(matrix))

    def _walker(self) -> ContrastiveExplainer:
        if self._contrastive is None:
            self._contrastive = ContrastiveExplainer.from_booster(self.booster)
        return self._contrastive

    def predict_frame(self, rows: pd.DataFrame, num_threads: int = 0) -> pd.DataFrame:
        """Score, probability, base value and one ``shap__<indicator>`` column per indicator, row for row."""
        contrib = self.contributions(rows, num_threads)
        score = self.score(rows, num_threads)
        out = pd.DataFrame(
            {"score": score, "probability": self.calibrator(score), "base_value": contrib[:, -1]}, index=rows.index
        )
        shap = pd.DataFrame(contrib[:, :-1], columns=[SHAP_PREFIX + f for f in self.features], index=rows.index)
        return pd.concat([out, shap], axis=1)

    def save(self, folder: Path) -> None:
        """Write the three files that make up the model into ``folder``."""
        folder.mkdir(parents=True, exist_ok=True)
        self.booster.save_model(str(folder / MODEL_FILE))
        (folder / CALIBRATION_FILE).write_text(json.dumps(self.calibrator.to_dict(), indent=2))
        meta = {"features": list(self.features), "metadata": self.metadata}
        (folder / META_FILE).write_text(json.dumps(meta, indent=2, sort_keys=True))

    @classmethod
    def load(cls, folder: Path) -> RiskModel:
        """Inverse of :meth:`save`."""
        meta = json.loads((folder / META_FILE).read_text())
        return cls(
            booster=lgb.Booster(model_file=str(folder / MODEL_FILE)),
            calibrator=Calibrator.from_dict(json.loads((folder / CALIBRATION_FILE).read_text())),
            features=tuple(meta["features"]),
            metadata=dict(meta["metadata"]),
        )
