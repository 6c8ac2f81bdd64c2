"""Who gets investigated: a model of the selection behind the labels, for inverse-propensity weighting.

A label is only ever 1 for a company someone chose to investigate. A model fitted on investigated rows alone
learns what separates confirmed from cleared cases, but among a population tilted towards whatever drew
attention; weighting each investigated row by the inverse of its estimated chance of being investigated tilts it
back towards the register as a whole. The propensity model sees the catalogue's indicators and nothing else, so
no sensitive attribute can enter it (``training.dataset.feature_matrix`` selects by the catalogue's names, and the
catalogue refuses sensitive inputs). ``bench/signal_quality.py`` measures whether this helps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from training.dataset import feature_matrix

#: Weights are capped so a handful of unlikely investigations cannot dominate the fit.
MAX_WEIGHT = 50.0


def investigated(frame: pd.DataFrame) -> np.ndarray:
    """Rows whose horizon holds a closed case, confirmed or cleared: the only rows with an informative label."""
    return (frame["label_status"].astype(str) != "none").to_numpy()


@dataclass
class InvestigationModel:
    """P(a case is opened and closed in the horizon | indicators), a logistic regression."""

    pipeline: Pipeline

    def propensity(self, frame: pd.DataFrame) -> np.ndarray:
        """Estimated chance of investigation per row."""
        return np.asarray(self.pipeline.predict_proba(feature_matrix(frame))[:, 1])

    def weights(self, frame: pd.DataFrame) -> np.ndarray:
        """Inverse propensity, normalised to mean 1 over the rows and capped at ``MAX_WEIGHT``."""
        w = 1.0 / np.clip(self.propensity(frame), 1e-6, 1.0)
        w = w / w.mean()
        return np.minimum(w, MAX_WEIGHT)


def fit_investigation_model(frame: pd.DataFrame, seed: int) -> InvestigationModel:
    """Fit the selection model on every training row: investigated or not."""
    y = investigated(frame)
    if y.all() or not y.any():
        raise ValueError("the selection model needs both investigated and uninvestigated rows")
    pipe = make_pipeline(
        SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
        StandardScaler(),
        LogisticRegression(C=0.1, max_iter=2000, random_state=seed),
    )
    pipe.fit(feature_matrix(frame), y)
    return InvestigationModel(pipe)


__all__ = ["MAX_WEIGHT", "InvestigationModel", "fit_investigation_model", "investigated"]
