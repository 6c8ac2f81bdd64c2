"""Batch scoring: an indicator table in, every company's score, probability and exact explanation out.

Written in chunks (memory stays bounded whatever the register's size) to a hidden temporary file that replaces
the output only when every chunk is written, so no half-written score file is ever visible; a failure removes the
temporary file and leaves any earlier output untouched. Beside the scores goes the sector reference (median of
each indicator per SBI section) that reason codes quote, so the service renders the same sentences later.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from core.io import atomic_files
from features import partitioned
from features.pipeline import read_metadata
from models.reasons import reasons, sector_reference
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
    meta = check_input(model, features, out)
    footer_ = footer(meta, model_version)
    ref_path = reference_file(out)
    rows = 0
    try:
        # both staged and fsynced before either is renamed (a crash keeps the old pair); the scores are renamed
        # first and the reference last: a reference never describes scores that are not there
        with atomic_files(out.parent, [out.name, ref_path.name]) as staged:
            tmp, tmp_ref = staged[out.name], staged[ref_path.name]
            writer: pq.ParquetWriter | None = None
            try:
                for batch in _batches(features, chunk_rows, ["company_id", *model.features]):
                    frame = batch.to_pandas()
                    scored = model.predict_frame(frame)
                    scored.insert(0, "company_id", frame["company_id"].to_numpy())
                    scored["model_version"] = model_version
                    table = pa.Table.from_pandas(scored, preserve_index=False)
                    if writer is None:
                        writer = pq.ParquetWriter(tmp, table.schema.with_metadata(footer_), compression="zstd")
                    writer.write_table(table)
                    rows += len(frame)
                    step(f"{rows:,} rows")
            finally:
                if writer is not None:
                    writer.close()
            if writer is None:
                raise ScoringError(f"{features} holds no rows")
            write_reference(features, model, footer_, tmp_ref)
    except (OSError, pa.ArrowException) as exc:
        raise ScoringError(f"scoring {features} into {out} failed: {exc}") from exc
    log.info("scored %d companies with model version %s into %s", rows, model_version, out)
    return ScoreRun(out, ref_path, rows, model_version, meta.get("catalogue_hash", ""))


def _batches(features: Path, chunk_rows: int, columns: list[str]) -> Iterator[pa.RecordBatch]:
    for part in partitioned.parts(features):
        yield from pq.ParquetFile(part).iter_batches(batch_size=chunk_rows, columns=columns)


def footer(meta: dict[str, str], model_version: str) -> dict[bytes, bytes]:
    """The score file's metadata: the indicator table's, and the model version."""
    return {
        **{f"tegenkracht.{k}".encode(): v.encode() for k, v in meta.items()},
        b"tegenkracht.model_version": model_version.encode(),
    }


def check_input(model: RiskModel, features: Path, out: Path, folder_out: bool = False) -> dict[str, str]:
    """The indicator table must come from the catalogue the model was trained on and hold its columns.

    ``features`` may be a file or a folder of part files; ``out`` is a file unless ``folder_out`` (Dask).
    """
    if not partitioned.exists(features):
        raise ScoringError(f"{features} is not a Parquet file or a folder of part files")
    if out.is_dir() and not folder_out:
        raise ScoringError(f"--out {out} is a folder; give a file name")
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        meta = read_metadata(features)
        names = set(partitioned.read_schema(features).names)
    except (OSError, pa.ArrowException) as exc:
        raise ScoringError(f"{features} is not a readable Parquet file: {exc}") from exc
    trained, given = model.metadata.get("catalogue_hash"), meta.get("catalogue_hash")
    if trained and given != trained:
        raise ScoringError(
            f"{features} was computed with indicator catalogue {given}, the model with {trained}: "
            "recompute the indicators with the model's catalogue"
        )
    missing = [c for c in ("company_id", "sbi_section", *model.features) if c not in names]
    if missing:
        raise ModelInputError(f"{features} lacks column(s) {missing}")
    return meta


def write_reference(features: Path, model: RiskModel, footer_: dict[bytes, bytes], path: Path) -> None:
    """The sector reference reason codes quote, with the scores' footer."""
    reference = pa.Table.from_pandas(_reference(features, model), preserve_index=False)
    pq.write_table(reference.replace_schema_metadata(footer_), path)


def _reference(features: Path, model: RiskModel) -> pd.DataFrame:
    """Sector medians, read one indicator column at a time so memory stays at a column, not the table."""
    section = partitioned.read_table(features, ["sbi_section"]).column(0).to_pandas()
    columns = {}
    for name in model.features:
        values = partitioned.read_table(features, [name]).column(0).to_pandas()
        columns[name] = sector_reference(pd.DataFrame({"sbi_section": section, name: values}), (name,))[name]
    return pd.DataFrame(columns).rename_axis("sbi_section").reset_index()


SAME_SNAPSHOT = ("as_of", "input_fingerprint", "catalogue_hash")


def explain(scores: Path, features: Path, company_ids: list[str], top: int = 3) -> list[dict[str, object]]:
    """Reason codes (Dutch and English) and a waterfall (PNG and SVG, beside the scores) for named companies."""
    from models.waterfall import waterfall  # matplotlib: only --explain draws

    same_snapshot(scores, features)
    wanted = pa.array(company_ids, type=pa.string())
    scored = pq.read_table(scores, filters=[("company_id", "in", wanted)]).to_pandas().set_index("company_id")
    values = pq.read_table(features, filters=[("company_id", "in", wanted)]).to_pandas().set_index("company_id")
    reference = pd.read_parquet(reference_file(scores)).set_index("sbi_section")
    out: list[dict[str, object]] = []
    for cid in company_ids:
        if cid not in scored.index or cid not in values.index:
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


def same_snapshot(scores: Path, features: Path) -> None:
    """Reasons quote values from ``features`` next to contributions from ``scores``: they must be one snapshot."""
    for other in (features, reference_file(scores)):
        a, b = read_metadata(scores), read_metadata(other)
        differ = [k for k in SAME_SNAPSHOT if a.get(k) != b.get(k)]
        if differ:
            raise ScoringError(f"{other} is not the snapshot {scores} was scored from (differs in {differ})")
