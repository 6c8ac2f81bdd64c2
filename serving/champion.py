"""The model that scores supplied rows: the registry's ``@champion``, swapped only after it proves it works.

A reload loads the new version beside the old one, scores a probe row and checks that the exact contributions add
up to the score; only then does one reference assignment switch requests over. A version that fails to load or
to score leaves the previous one serving and says why. Requests read the reference once, so none fails mid-swap.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from core import settings
from models.risk import RiskModel
from training.registry import CHAMPION, alias_version, client, load, resolve
from training.transparency import Documents, build, text
from training.transparency.deployer import load as load_deployer
from training.transparency.facts import Facts, gather

log = logging.getLogger(__name__)
ADDITIVITY = 1e-6


class ReloadError(RuntimeError):
    """The candidate model could not replace the serving one; the message says why."""


@dataclass(frozen=True)
class Serving:
    """A loaded model with its version and card."""

    model: RiskModel
    version: str
    card: dict[str, Any] = field(default_factory=dict)
    documents: Documents | None = None  # None when they could not be made


def probe(model: RiskModel) -> None:
    """Score one row of missing values and one of zeros through the same call ``POST /v1/score`` makes.

    Score, probability and contributions must be finite, probabilities in [0, 1], and the contributions must
    add up to the score.
    """
    rows = pd.DataFrame([[np.nan] * len(model.features), [0.0] * len(model.features)], columns=list(model.features))
    scored = model.predict_frame(rows, num_threads=1)
    score, probability = scored["score"].to_numpy(), scored["probability"].to_numpy()
    contrib = scored.drop(columns=["score", "probability"]).to_numpy(dtype=np.float64)  # base value included
    if not (np.all(np.isfinite(score)) and np.all(np.isfinite(contrib)) and np.all(np.isfinite(probability))):
        raise ReloadError("the probe rows scored to non-finite values")
    if np.any((probability < 0) | (probability > 1)):
        raise ReloadError("the calibrated probability of a probe row lies outside [0, 1]")
    gap = float(np.max(np.abs(contrib.sum(axis=1) - score)))
    if gap > ADDITIVITY:
        raise ReloadError(f"contributions do not add up to the score on the probe rows (off by {gap:.2e})")


class Champion:
    """Holds the serving model; ``current`` is read without a lock, ``reload`` swaps under one."""

    def __init__(self, loader: Callable[[], Serving] | None = None) -> None:
        self.loader = loader or load_champion
        self.current: Serving | None = None
        self.last_error: str = ""
        self._lock = threading.Lock()

    def reload(self) -> Serving:
        """Load ``@champion`` (or what the loader returns), probe it, then switch; raise and keep the old on failure."""
        with self._lock:
            try:
                candidate = self.loader()
                probe(candidate.model)
            except Exception as exc:  # any failure of a candidate keeps the current model: that is the contract
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.warning("reload refused, still serving %s: %s", self.version or "nothing", self.last_error)
                raise ReloadError(self.last_error) from exc
            self.current = candidate
            self.last_error = ""
            log.info("now serving model version %s", candidate.version)
            return candidate

    def follow(self, every_s: float, stop: threading.Event) -> None:
        """Until ``stop`` is set, reload whenever another version holds ``@champion`` (run in a daemon thread).

        A version that failed its probe is not tried again until the alias moves on, so a broken promotion
        costs one warning per worker, not one a minute.
        """
        refused = ""
        while not stop.wait(every_s):
            try:
                held = alias_version(CHAMPION)
            except Exception as exc:  # the registry may be briefly unreachable: keep serving, try again later
                log.warning("cannot read @champion from the registry: %s", exc)
                continue
            wanted = str(held.version) if held is not None else ""
            if not wanted or wanted in (self.version, refused):
                continue
            try:
                self.reload()
            except ReloadError:
                refused = wanted

    @property
    def version(self) -> str:
        """The serving version, or an empty string."""
        return self.current.version if self.current else ""


def load_champion() -> Serving:
    """The registry's ``@champion`` with its card and transparency documents, from one read of its run."""
    version = resolve(f"@{CHAMPION}")
    model = load(version)
    facts = _facts(version, model)
    documents = _documents(facts) if facts is not None else None
    return Serving(model, str(version.version), model_card(version, facts.metrics if facts else None), documents)


def _facts(version: Any, model: RiskModel) -> Facts | None:
    """What the registry recorded about the version; None (with a warning) when its run cannot be read.

    A model whose run is gone still scores; ``GET /v1/model/documents`` then answers 503 instead.
    """
    try:
        return gather(version, model)
    except Exception as exc:  # documents are for people; a failure here must not stop the model from serving
        log.warning("no transparency documents for version %s: %s", version.version, exc)
        return None


def _documents(facts: Facts) -> Documents | None:
    """The documents of the gathered facts, with the deployer's own; None (with a warning) when they fail."""
    try:
        return build(facts, load_deployer(settings.DEPLOYER_FILE))
    except Exception as exc:  # a bad deployer file must not stop the model from serving either
        log.warning("no transparency documents for version %s: %s", facts.version, exc)
        return None


def model_card(version: Any, run_metrics: dict[str, float] | None = None) -> dict[str, Any]:
    """What an oversight body first asks about a model, from its registered version and training run.

    The compact card of ``GET /v1/model``; the full documents are served beside it. ``run_metrics`` are the run's
    metrics when the caller has read them already; otherwise the run is read here.
    """
    tags = dict(version.tags or {})
    if run_metrics is None:
        try:
            run_metrics = {k: float(v) for k, v in client().get_run(version.run_id).data.metrics.items()}
        except Exception as exc:  # the card is still useful without the run's metrics
            log.warning("no run metrics for version %s: %s", version.version, exc)
            run_metrics = {}
    metrics = {k: v for k, v in run_metrics.items() if k.startswith("test.model.")}
    windows = {k: v for k, v in tags.items() if k.endswith("_as_of") or k in ("horizon_months", "label_definition")}
    return {
        "name": version.name,
        "version": str(version.version),
        "registered_at": pd.Timestamp(int(version.creation_timestamp), unit="ms", tz="UTC").isoformat(),
        "training_window": windows,
        "catalogue": {k: tags[k] for k in ("catalogue_version", "catalogue_hash") if k in tags},
        "metrics": metrics,
        "fairness": {"audit": tags.get("fairness.audit", "missing"), "summary": tags.get("fairness.summary", "")},
        "intended_use": text.PURPOSE["en"],
        "limitations": [x["en"] for x in text.LIMITATIONS],
    }
