"""The MLflow pyfunc flavour of :class:`models.risk.RiskModel`.

``mlflow models serve`` and ``mlflow.pyfunc.load_model`` then answer with the explanation too: every row comes
back with its raw score, calibrated probability, base value and per-indicator contributions. The model files
travel as an artifact folder and this package travels as a code path, so loading needs no pickle of ours.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from mlflow.pyfunc.model import PythonModel

from models.risk import RiskModel

ARTIFACT = "risk_model"


class RiskPyfunc(PythonModel):
    """Loads the RiskModel folder that was logged as the ``risk_model`` artifact."""

    def __init__(self) -> None:
        self.model: RiskModel | None = None

    def load_context(self, context: Any) -> None:
        """Read the model files once when MLflow loads the model."""
        self.model = RiskModel.load(Path(context.artifacts[ARTIFACT]))

    def predict(self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None) -> pd.DataFrame:
        """Score, probability, base value and ``shap__<indicator>`` for every row."""
        if self.model is None:
            self.load_context(context)
        assert self.model is not None
        return self.model.predict_frame(model_input).reset_index(drop=True)
