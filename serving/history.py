"""A company followed over time: its score in every batch kept, and why it moved since the previous as-of date.

The history is one indexed query over the signals of unpruned batches (``ix_signals_company``), points only from
batches where the company lay in the caller's regions. The change is read from the batch's ``change.parquet``
(``serving.changes``) for this one company: the data part in the reason sentences' words, old and new value side
by side with both dates, and the model part per indicator, adding up to the change in score exactly.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from sqlalchemy import select

from core.text import finite
from features.catalogue import BY_ID
from models import facts
from models.risk import RiskModel
from serving.access import Principal
from serving.alerts import BAND_NAMES, band_rank
from serving.changes import BEFORE_PREFIX, CHANGE, DATA_PREFIX, SPLIT
from serving.explanations import BatchExplanations
from serving.store import Store
from serving.store.tables import Batch, Signal

HEADLINE = {
    "up": ("Waarom steeg dit sinds de vorige peildatum", "Why did this rise since the last as-of date"),
    "down": ("Waarom daalde dit sinds de vorige peildatum", "Why did this fall since the last as-of date"),
    "same": ("Onveranderd sinds de vorige peildatum", "Unchanged since the last as-of date"),
}


def company_history(store: Store, who: Principal, company_id: str) -> list[dict[str, Any]]:
    """The company's score in every kept batch, oldest as-of date first, where it was in the caller's regions."""
    query = (
        select(Batch.id, Batch.as_of, Batch.model_version, Batch.current, Signal.probability, Signal.score,
               Signal.region_rank, Signal.riec_region)
        .join(Batch, Batch.id == Signal.batch_id)
        .where(Signal.company_id == company_id, Batch.folder != "", Batch.pruned_at.is_(None))
        .order_by(Batch.as_of, Batch.id)
    )  # fmt: skip
    with store.engine.connect() as c:
        rows = c.execute(query).all()
    return [_point(*row) for row in rows if who.sees_region(row[-1])]


def _point(
    batch_id: int, as_of: str, version: str, current: bool, p: float, score: float, rank: int, _region: str
) -> dict[str, Any]:
    return {
        "batch_id": batch_id,
        "as_of": as_of,
        "model_version": version,
        "current": bool(current),
        "probability": float(p),
        "score": float(score),
        "band": BAND_NAMES[int(band_rank(np.array([p]))[0])],
        "region_rank": int(rank),
    }


def company_change(
    store: Store,
    batch: Batch,
    loaded: BatchExplanations,
    company_id: str,
    probability: float,
    model_for: Callable[[str], RiskModel] | None = None,
) -> dict[str, Any]:
    """Why the company's score moved between the batch before ``batch`` and ``batch`` (one it is visible in).

    Across a change of model version, ``model_for`` gives the previous version's model, whose exact TreeSHAP of
    this company's new facts splits the model part per indicator; without it the model part is given as its
    exact total only, and ``model_split`` says why.
    """
    previous = _previous(store, batch)
    base: dict[str, Any] = {
        "company_id": company_id,
        "as_of": batch.as_of,
        "model_version": batch.model_version,
        "previous": None,
        "split": batch.change or "not compared",
        "probability": None,
        "score": None,
        "headline": None,
        "data_part": None,
        "model_part": None,
        "model_base": None,
        "model_split": None,
        "residual": None,
        "data": [],
        "model": [],
    }
    if previous is None:
        return base | {"split": "no previous batch"}
    with store.engine.connect() as c:
        before = c.scalar(
            select(Signal.probability).where(Signal.batch_id == previous.id, Signal.company_id == company_id)
        )
    base["previous"] = {"batch_id": previous.id, "as_of": previous.as_of, "model_version": previous.model_version}
    if before is None:
        return base | {"split": "not in the previous batch"}
    base["probability"] = {"previous": float(before), "now": probability, "change": probability - float(before)}
    row = _change_row(Path(batch.folder) / CHANGE, company_id) if batch.change == SPLIT else None
    if row is None:
        return base
    split = _split(row, loaded, company_id, previous.as_of, batch.as_of)
    return base | split | _model_part(row, loaded, company_id, previous, batch, model_for, split["data_part"])


def _previous(store: Store, batch: Batch) -> Batch | None:
    if batch.previous_id is None:
        return None
    with store.session() as s:
        found = s.get(Batch, batch.previous_id)
        if found is not None:
            s.expunge(found)
        return found


def _change_row(path: Path, company_id: str) -> dict[str, float] | None:
    """One company's row; the file is sorted by company id, so its row-group statistics skip all but one group."""
    if not path.exists():
        return None
    table = pq.read_table(path, filters=[("company_id", "==", company_id)])
    if table.num_rows == 0:
        return None
    return {k: v[0] for k, v in table.to_pydict().items()}


def _split(
    row: dict[str, Any], loaded: BatchExplanations, company_id: str, old_as_of: str, new_as_of: str
) -> dict[str, Any]:
    """The data part: every changed fact with its share, in the reason sentences' words with both dates."""
    at = loaded.position(company_id)
    context = loaded.facts_of(at) if at >= 0 else {}
    data: list[dict[str, Any]] = []
    for j, name in enumerate(loaded.features):
        d = float(row[DATA_PREFIX + name])
        if d == 0.0:
            continue
        old, new = _value(row[BEFORE_PREFIX + name]), finite(loaded.values[at, j]) if at >= 0 else None
        sentences: dict[str, str] = {
            lang: facts.change_statement(name, old, new, old_as_of, new_as_of, lang, context) for lang in facts.LANGS
        }
        data.append({"id": name, **_label(name), "contribution": d, "previous": old, "now": new, **sentences})
    data.sort(key=lambda r: -abs(r["contribution"]))
    delta = float(row["new_score"]) - float(row["old_score"])
    direction = "same" if delta == 0 else ("up" if delta > 0 else "down")
    nl, en = HEADLINE[direction]
    return {
        "score": {"previous": float(row["old_score"]), "now": float(row["new_score"]), "change": delta},
        "headline": {"nl": nl, "en": en},
        "data_part": math.fsum(r["contribution"] for r in data),
        "data": data,
    }


def _model_part(
    row: dict[str, Any],
    loaded: BatchExplanations,
    company_id: str,
    previous: Batch,
    batch: Batch,
    model_for: Callable[[str], RiskModel] | None,
    data_part: float,
) -> dict[str, Any]:
    """The model part: zero for one version; else new minus old TreeSHAP on the new facts, per indicator."""
    total = float(row["new_score"]) - float(row["old_on_new"])
    delta = float(row["new_score"]) - float(row["old_score"])
    if previous.model_version == batch.model_version:
        return {"model_part": total, "model_base": 0.0, "model_split": "same model", "model": [],
                "residual": delta - data_part - total}  # fmt: skip
    at = loaded.position(company_id)
    old_model = None
    if model_for is not None and at >= 0:
        try:
            old_model = model_for(previous.model_version)
        except Exception:  # whatever the registry raises: the total stays exact, the split waits for the model
            old_model = None
    if old_model is None or tuple(old_model.features) != loaded.features:
        return {"model_part": total, "model_base": None, "model": [],
                "model_split": f"total only: model version {previous.model_version} is not available",
                "residual": delta - data_part - total}  # fmt: skip
    phi_old = old_model.contributions(pd.DataFrame([loaded.values[at]], columns=list(loaded.features)))[0]
    shares = loaded.contributions[at] - phi_old[:-1]
    model_base = float(loaded.base_value[at] - phi_old[-1])
    model: list[dict[str, Any]] = [{"id": name, **_label(name), "contribution": float(shares[j])}
                                   for j, name in enumerate(loaded.features) if shares[j] != 0.0]  # fmt: skip
    model.sort(key=lambda r: -abs(r["contribution"]))
    split = math.fsum(r["contribution"] for r in model) + model_base
    return {"model_part": split, "model_base": model_base, "model_split": "split", "model": model,
            "residual": delta - data_part - split}  # fmt: skip


def _value(value: Any) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def _label(name: str) -> dict[str, str]:
    found = BY_ID.get(name)
    return {"label_nl": found.label_nl if found else name, "label_en": found.label_en if found else name}
