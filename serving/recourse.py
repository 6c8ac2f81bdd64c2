"""Recourse for a served company: the batch's own model re-scores the company with disputed facts corrected.

The model is the one that scored the batch, never simply the champion: after a promotion the served batch may
still be the old version's, and recourse must answer for the signal the analyst sees. The champion is used when
it is that version; otherwise the version is loaded from the registry once and kept.

The answer is worded as what it is: which facts, if the company shows them to be wrong, would bring the signal
below the threshold. It is never advice to change behaviour.
"""

from __future__ import annotations

import threading
from typing import Any

from core import settings
from core.text import finite
from features.catalogue import BY_ID
from models import facts
from models.recourse import recourse
from models.risk import RiskModel
from serving.champion import Champion
from serving.explanations import BatchExplanations

WORDING = (
    "Welke feiten, als het bedrijf aantoont dat ze onjuist zijn, het signaal onder de drempel brengen. "
    "Dit is geen advies om iets te veranderen.",
    "Which facts, if the company shows them to be wrong, bring the signal below the threshold. "
    "This is not advice to change anything.",
)


class ModelUnavailableError(RuntimeError):
    """The batch's model version cannot be loaded now (the registry is away or lost it): the operator's problem."""


class BatchModels:
    """The model of each served batch's version, loaded at most once per version (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._models: dict[str, RiskModel] = {}

    def get(self, champion: Champion, version: str) -> RiskModel:
        """The model of ``version``: the champion's when it is that version, else the registry's.

        Raises :class:`ModelUnavailableError` when it cannot be loaded.
        """
        current = champion.current
        if current is not None and current.version == version:
            return current.model
        with self._lock:
            found = self._models.get(version)
            if found is None:
                from training.registry import load, resolve  # MLflow: only a batch of an older version pays

                try:
                    found = load(resolve(version))
                except Exception as exc:  # whatever the registry raises, callers answer one way: unavailable
                    raise ModelUnavailableError(f"model version {version} cannot be loaded: {exc}") from exc
                self._models = {version: found}  # one older version at a time is all a rollover needs
            return found


def company_recourse(
    model: RiskModel, loaded: BatchExplanations, company_id: str, threshold: float | None = None
) -> dict[str, Any] | None:
    """The minimal sets of contestable facts for one company of the batch; None when it is not in the batch."""
    at = loaded.position(company_id)
    if at < 0:
        return None
    if tuple(model.features) != loaded.features:
        raise ValueError("the model does not read the batch's indicators")
    floor = settings.SIGNAL_THRESHOLD if threshold is None else threshold
    peers = loaded.peer_table[loaded.peer_row[at]]
    values = loaded.values[at]
    found = recourse(model, values, peers, floor, loaded.contrast[at])
    position = {f: j for j, f in enumerate(loaded.features)}
    context = loaded.facts_of(at)
    return {
        "company_id": company_id,
        "probability": found.probability,
        "threshold": found.threshold,
        "signalled": found.probability >= found.threshold,
        "sets": [
            {
                "probability": s.probability,
                "facts": [
                    _fact(f, values[position[f]], c, loaded.as_of, context)
                    for f, c in zip(s.facts, s.corrected, strict=True)
                ],
            }
            for s in found.sets
        ],
        "candidates": list(found.candidates),
        "max_size": found.max_size,
        "complete": found.complete,
        "tried": found.tried,
        "wording_nl": WORDING[0],
        "wording_en": WORDING[1],
    }


def _fact(
    indicator: str, value: float, corrected: float | None, as_of: str, context: dict[str, float]
) -> dict[str, Any]:
    """One disputed fact: as recorded, and the peers' value it would be corrected to."""
    ind = BY_ID[indicator]
    current = finite(value)  # a missing record (NaN) is a fact too
    out: dict[str, Any] = {
        "id": indicator,
        "label_nl": ind.label_nl,
        "label_en": ind.label_en,
        "record": facts.contestable(indicator),
        "value": current,
        "corrected": corrected,
    }
    for lang in facts.LANGS:
        out[f"text_{lang}"] = facts.statement(indicator, current, corrected, as_of, lang, context)
    return out
