"""Rectification: a company answers its signal, the facts are re-scored, and a second analyst accepts them.

The answer (from the zienswijze of hoor en wederhoor) names the facts it disputes, their corrected values and a
reference to its evidence. Only contestable facts can be disputed (``record`` in ``models/templates/facts.toml``):
a company can show a filing or an address registration wrong, not its sector. The batch's own model re-scores
the company with the corrections at once, and both versions are kept. The corrections reach the next indicator
run only after another analyst accepts them (:func:`decide`, then ``tegenkracht rectifications export`` and
``tegenkracht features --corrections``), so one person's reading of the evidence is never enough.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select, update

from core.io import atomic_file
from core.text import finite
from models.facts import contestable
from models.risk import RiskModel
from serving.access import Principal
from serving.explanations import BatchExplanations
from serving.store import Store
from serving.store.tables import Batch, Rectification, Signal, User

PENDING, ACCEPTED, REJECTED = "pending", "accepted", "rejected"
MAX_FACTS = 10
EXPORT_COLUMNS = ("rectification_id", "company_id", "indicator", "value", "as_of", "accepted_at")


class RectificationError(ValueError):
    """A rectification that cannot be recorded or decided: ``field`` names the part at fault, ``status`` the code."""

    def __init__(self, field: str, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.field = field
        self.status = status


def record(
    store: Store,
    who: Principal,
    batch: Batch,
    loaded: BatchExplanations,
    model: RiskModel,
    company_id: str,
    fields: dict[str, Any],
) -> dict[str, Any]:
    """Check the disputed facts, re-score the company with them and store both versions (state ``pending``)."""
    corrected: dict[str, float | None] = dict(fields["facts"])
    at = loaded.position(company_id)
    if at < 0:
        raise RectificationError("company_id", f"company {company_id} is not in the served batch", 404)
    _check_facts(corrected, loaded.features)
    values = loaded.values[at].copy()
    recorded = {f: finite(values[loaded.features.index(f)]) for f in corrected}
    for name, value in corrected.items():
        values[loaded.features.index(name)] = math.nan if value is None else value
    before = float(model.probability(_row(loaded, loaded.values[at]), num_threads=1)[0])
    after = float(model.probability(_row(loaded, values), num_threads=1)[0])
    moment = datetime.now(UTC)
    with store.session() as s:
        row = Rectification(
            company_id=company_id, batch_id=batch.id, model_version=batch.model_version, as_of=batch.as_of,
            facts=json.dumps(corrected, sort_keys=True), recorded=json.dumps(recorded, sort_keys=True),
            evidence=str(fields["evidence"]), probability=before, rescored_probability=after, user_id=who.user_id,
            purpose=str(fields["purpose"]), case_reference=str(fields["case_reference"]), created_at=moment,
            state=PENDING,
        )  # fmt: skip
        s.add(row)
        s.flush()
        return _out(row, who.name, None)


def _check_facts(corrected: dict[str, float | None], features: tuple[str, ...]) -> None:
    if not corrected:
        raise RectificationError("facts", "name at least one disputed fact")
    if len(corrected) > MAX_FACTS:
        raise RectificationError("facts", f"at most {MAX_FACTS} facts per rectification")
    for name, value in corrected.items():
        if name not in features:
            raise RectificationError(f"facts.{name}", f"{name} is not an indicator of this batch's model")
        if not contestable(name):
            raise RectificationError(f"facts.{name}", f"{name} comes from no record the company can dispute")
        if value is not None and not math.isfinite(value):
            raise RectificationError(f"facts.{name}", "a corrected value is a finite number, or null for no record")


def _row(loaded: BatchExplanations, values: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame([values], columns=list(loaded.features))


def decide(store: Store, who: Principal, rectification_id: int, accept: bool) -> dict[str, Any]:
    """A second analyst accepts or rejects a pending rectification of a company in their regions.

    One they may not see answers like one that does not exist (404); their own is refused (403), and one decided
    already too (409): a decision is made once.
    """
    with store.session() as s:
        found = s.execute(
            select(Rectification, Signal.riec_region)
            .join(Signal, (Signal.batch_id == Rectification.batch_id) & (Signal.company_id == Rectification.company_id))
            .where(Rectification.id == rectification_id)
            .with_for_update(of=Rectification)
        ).first()
        if found is None or not who.sees_region(found[1]):
            raise RectificationError("rectification_id", f"no rectification {rectification_id} is visible to you", 404)
        row = found[0]
        if row.user_id == who.user_id:
            raise RectificationError("rectification_id", "a rectification needs a second analyst: you recorded it", 403)
        if row.state != PENDING:
            raise RectificationError("rectification_id", f"rectification {rectification_id} is {row.state}", 409)
        row.state, row.decided_by, row.decided_at = (ACCEPTED if accept else REJECTED), who.user_id, datetime.now(UTC)
        s.flush()
        recorder = s.scalar(select(User.name).where(User.id == row.user_id))
        return _out(row, str(recorder), who.name)


def for_company(store: Store, who: Principal, company_id: str) -> list[dict[str, Any]]:
    """The company's rectifications in the caller's regions, newest first, each with both versions."""
    with store.session() as s:
        rows = s.execute(
            select(Rectification, Signal.riec_region)
            .join(Signal, (Signal.batch_id == Rectification.batch_id) & (Signal.company_id == Rectification.company_id))
            .where(Rectification.company_id == company_id)
            .order_by(Rectification.created_at.desc(), Rectification.id.desc())
        ).all()
        people = {r.user_id for r, _ in rows} | {r.decided_by for r, _ in rows if r.decided_by}
        names = {int(i): str(n) for i, n in s.execute(select(User.id, User.name).where(User.id.in_(people)))}
        return [
            _out(r, names.get(r.user_id, "?"), names.get(r.decided_by) if r.decided_by else None)
            for r, region in rows
            if who.sees_region(region)
        ]


def _out(row: Rectification, recorded_by: str, decided_by: str | None) -> dict[str, Any]:
    facts, recorded = json.loads(row.facts), json.loads(row.recorded)
    return {
        "id": row.id,
        "company_id": row.company_id,
        "state": row.state,
        "evidence": row.evidence,
        "facts": [{"id": k, "recorded": recorded.get(k), "corrected": v} for k, v in sorted(facts.items())],
        "model_version": row.model_version,
        "as_of": row.as_of,
        "probability": row.probability,
        "rescored_probability": row.rescored_probability,
        "recorded_by": recorded_by,
        "created_at": row.created_at.isoformat(),
        "decided_by": decided_by,
        "decided_at": row.decided_at.isoformat() if row.decided_at else None,
    }


def export(store: Store, out: Path, include_exported: bool = False) -> dict[str, Any]:
    """Accepted corrections as one row per fact, for ``tegenkracht features --corrections`` (written atomically).

    Rows are marked exported only after the file is in place, so a failed write exports nothing twice or never.
    """
    with store.session() as s:
        query = select(Rectification).where(Rectification.state == ACCEPTED)
        if not include_exported:
            query = query.where(Rectification.exported_at.is_(None))
        rows = s.scalars(query.order_by(Rectification.id)).all()
        table = [
            {"rectification_id": r.id, "company_id": r.company_id, "indicator": k,
             "value": math.nan if v is None else float(v), "as_of": r.as_of,
             "accepted_at": r.decided_at.isoformat() if r.decided_at else ""}
            for r in rows
            for k, v in sorted(json.loads(r.facts).items())
        ]  # fmt: skip
        ids = [r.id for r in rows]
    frame = pd.DataFrame(table, columns=list(EXPORT_COLUMNS))
    with atomic_file(out) as tmp:
        frame.to_parquet(tmp, index=False)
    if ids:
        with store.session() as s:
            s.execute(update(Rectification).where(Rectification.id.in_(ids)).values(exported_at=datetime.now(UTC)))
    return {"out": str(out), "rectifications": len(ids), "facts": len(frame)}
