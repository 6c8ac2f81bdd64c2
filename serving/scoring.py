"""Batch scoring: an indicator table in, every company's score, probability and exact explanation out.

Written in chunks (memory stays bounded whatever the register's size) to a hidden temporary file that replaces
the output only when every chunk is written, so no half-written score file is ever visible; a failure removes the
temporary file and leaves any earlier output untouched. Beside the scores goes the sector reference (median of
each indicator per SBI section) that reason codes quote, so the service renders the same sentences later.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from features.pipeline import read_metadata
from models.reasons import sector_reference
from models.risk import ModelInputError, RiskModel

log = logging.getLogger(__name__)
Progress = Callable[[str], None]
CHUNK_ROWS = 100_000


class ScoringError(ValueError):
    """Indicators that this model must not score (another catalogue, missing columns)."""


@dataclass(frozen=True)
class ScoreRun:
    """What was scored, with what, and where it went."""

    out: Path
    reference: Path
    rows: int
    model_version: str
    catalogue_hash: str


def reference_file(out: Path) -> Path:
    """Where the sector reference of a score file lives."""
    return out.with_name(out.stem + ".reference.parquet")


def score_file(
    model: RiskModel,
    features: Path,
    out: Path,
    model_version: str,
    chunk_rows: int = CHUNK_ROWS,
    progress: Progress | None = None,
) -> ScoreRun:
    """Score every row of ``features`` with ``model``; see the module docstring for the guarantees."""
    step = progress or (lambda _name: None)
    meta = _check(model, features)
    parquet = pq.ParquetFile(features)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    footer = {
        **{f"tegenkracht.{k}".encode(): v.encode() for k, v in meta.items()},
        b"tegenkracht.model_version": model_version.encode(),
    }
    rows = 0
    writer: pq.ParquetWriter | None = None
    try:
        for batch in parquet.iter_batches(batch_size=chunk_rows, columns=["company_id", *model.features]):
            frame = batch.to_pandas()
            scored = model.predict_frame(frame)
            scored.insert(0, "company_id", frame["company_id"].to_numpy())
            scored["model_version"] = model_version
            table = pa.Table.from_pandas(scored, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(tmp, table.schema.with_metadata(footer), compression="zstd")
            writer.write_table(table)
            rows += len(frame)
            step(f"{rows:,} rows")
        if writer is None:
            raise ScoringError(f"{features} holds no rows")
        writer.close()
        writer = None
        ref = _write_reference(features, model, out)
        tmp.replace(out)
    finally:
        if writer is not None:
            writer.close()
        tmp.unlink(missing_ok=True)
    log.info("scored %d companies with model version %s into %s", rows, model_version, out)
    return ScoreRun(out, ref, rows, model_version, meta.get("catalogue_hash", ""))


def _check(model: RiskModel, features: Path) -> dict[str, str]:
    """The indicator table must come from the catalogue the model was trained on and hold its columns."""
    if not features.exists():
        raise ScoringError(f"{features} does not exist")
    meta = read_metadata(features)
    trained, given = model.metadata.get("catalogue_hash"), meta.get("catalogue_hash")
    if trained and given != trained:
        raise ScoringError(
            f"{features} was computed with indicator catalogue {given}, the model with {trained}: "
            "recompute the indicators with the model's catalogue"
        )
    names = set(pq.read_schema(features).names)
    missing = [c for c in ("company_id", "sbi_section", *model.features) if c not in names]
    if missing:
        raise ModelInputError(f"{features} lacks column(s) {missing}")
    return meta


def _write_reference(features: Path, model: RiskModel, out: Path) -> Path:
    path = reference_file(out)
    table = pd.read_parquet(features, columns=["sbi_section", *model.features])
    tmp = path.with_name(f".{path.name}.tmp")
    sector_reference(table).rename_axis("sbi_section").reset_index().to_parquet(tmp, index=False)
    tmp.replace(path)
    return path


def explain(scores: Path, features: Path, company_ids: list[str], top: int = 3) -> list[dict[str, object]]:
    """Reason codes (Dutch and English) and a waterfall (PNG and SVG, beside the scores) for named companies."""
    from models.reasons import reasons
    from models.waterfall import waterfall

    wanted = pa.array(company_ids, type=pa.string())
    scored = pq.read_table(scores, filters=[("company_id", "in", wanted)]).to_pandas().set_index("company_id")
    values = pq.read_table(features, filters=[("company_id", "in", wanted)]).to_pandas().set_index("company_id")
    reference = pd.read_parquet(reference_file(scores)).set_index("sbi_section")
    out: list[dict[str, object]] = []
    for cid in company_ids:
        if cid not in scored.index:
            raise ScoringError(f"company {cid} is not in {scores}")
        row = scored.loc[cid]
        shap = row[[c for c in scored.columns if c.startswith("shap__")]]
        found = reasons(values.loc[cid], shap, reference, top=top)
        png, svg = waterfall(
            shap,
            float(row.base_value),
            f"{cid}: p = {row.probability:.3f}",
            scores.with_name(f"{scores.stem}.{cid}.waterfall"),
        )
        out.append(
            {
                "company_id": cid,
                "score": float(row.score),
                "probability": float(row.probability),
                "base_value": float(row.base_value),
                "model_version": str(row.model_version),
                "raises": [r.as_dict() for r in found["raises"]],
                "lowers": [r.as_dict() for r in found["lowers"]],
                "waterfall": [str(png), str(svg)],
            }
        )
    return out
