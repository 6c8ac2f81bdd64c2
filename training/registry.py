"""The MLflow model registry as Tegenkracht uses it: one registered model, versions, two aliases.

``@challenger`` is the latest trained version; ``@champion`` is the one that scores, moved only by
:mod:`training.promotion`. Model references accepted everywhere: ``champion``, ``challenger``, ``@alias``, a
version number, or a full ``models:/<name>@<alias>`` / ``models:/<name>/<version>`` URI.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import pandas as pd

from core import settings
from fairness.proxies import Scorer
from models.risk import RiskModel

log = logging.getLogger(__name__)

CHAMPION = "champion"
CHALLENGER = "challenger"
EVALUATION_ARTIFACT = "evaluation/test.parquet"
DRIFT_ARTIFACT = "drift/reference.parquet"


class RegistryError(LookupError):
    """A model reference that names no registered version."""


def client() -> Any:
    """An MLflow client on the configured tracking store."""
    import mlflow
    from mlflow import MlflowClient

    mlflow.set_tracking_uri(settings.MLFLOW_TRACKING_URI)
    return MlflowClient(tracking_uri=settings.MLFLOW_TRACKING_URI, registry_uri=settings.MLFLOW_TRACKING_URI)


def resolve(ref: str, name: str | None = None) -> Any:
    """The ModelVersion a reference names; a clear error when there is none."""
    from mlflow.exceptions import MlflowException

    name = name or settings.MODEL_NAME
    m = re.fullmatch(r"models:/(?P<name>[^/@]+)(?:@(?P<alias>[\w-]+)|/(?P<version>\d+))", ref)
    if m:
        name, alias, version = m["name"], m["alias"], m["version"]
    elif ref.isdigit():
        alias, version = None, ref
    else:
        alias, version = ref.removeprefix("@"), None
    try:
        if alias is not None:
            return client().get_model_version_by_alias(name, alias)
        return client().get_model_version(name, str(version))
    except MlflowException as exc:
        raise RegistryError(f"no model version for {ref!r} in registered model {name!r}") from exc


def alias_version(alias: str, name: str | None = None) -> Any | None:
    """The version holding ``alias``, or None."""
    try:
        return resolve(f"@{alias}", name)
    except RegistryError:
        return None


def load(version: Any) -> RiskModel:
    """The :class:`models.risk.RiskModel` of a registered version, through its pyfunc flavour."""
    import mlflow.pyfunc  # seconds to import: only the verbs that load a model pay for it

    from models.pyfunc import RiskPyfunc  # imports mlflow too

    pyfunc = mlflow.pyfunc.load_model(f"models:/{version.name}/{version.version}")
    wrapped = pyfunc.unwrap_python_model()
    if not isinstance(wrapped, RiskPyfunc) or wrapped.model is None:
        raise RegistryError(f"version {version.version} is not a Tegenkracht risk model")
    return wrapped.model


def version_scorer(version: str) -> Scorer | None:
    """The raw scorer of a registered version for the fairness audit's counterfactuals; None when it cannot load.

    Any load failure is only logged: the audit still runs, and its report says that counterfactuals were skipped.
    """
    try:
        model = load(resolve(version))
    except Exception as exc:  # any failure: see the docstring
        log.warning("model version %s cannot be loaded for counterfactuals: %s", version, exc)
        return None
    return model.score


def labels_seen_until(tags: dict[str, str]) -> pd.Timestamp | None:
    """The last day whose labels a version learned from (its validation horizon's end); None if the tags lack it."""
    try:
        return pd.Timestamp(tags["validation_as_of"]) + pd.DateOffset(months=int(tags["horizon_months"]))
    except (KeyError, ValueError):
        return None


def run_artifact(version: Any, path: str) -> Path | None:
    """Download one artifact of the run that trained ``version``; None when it was never stored."""
    import mlflow.artifacts
    from mlflow.exceptions import MlflowException

    try:
        return Path(mlflow.artifacts.download_artifacts(run_id=version.run_id, artifact_path=path))
    except (MlflowException, OSError):
        return None
