"""Batch scoring: an indicator table in, every company's score, probability and exact explanation out.

Written in chunks (memory stays bounded whatever the register's size) to a hidden temporary file that replaces
the output only when every chunk is written, so no half-written score file is ever visible; a failure removes the
temporary file and leaves any earlier output untouched.

Every row carries two exact explanations: SHAP (``shap__*``, score minus the base value) and the contrast with its
peers (``contrast__*``, score minus the score of its peer group's point; :mod:`models.contrastive`), with its
``peer_group`` and that ``peer_score``. The peer points themselves go beside the scores (the reference file), so
the service quotes the same peers' values later. Peer groups depend on the whole register (a group needs enough
members), so points and groups are found in a first pass, one column at a time, before any row is scored.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from core.io import atomic_files
from features import partitioned
from features.pipeline import read_metadata
from models import peerpoint
from models.reasons import reasons
from models.risk import CONTRAST_PREFIX, ModelInputError, RiskModel

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
    """Where the peer points of a score file live."""
    return out.with_name(out.stem + ".reference.parquet")


@dataclass(frozen=True)
class PeerPoints:
    """The peer point of every peer group (``table``), each row's group in reading order, and the points' scores."""

    table: pd.DataFrame
    groups: np.ndarray
    scores: np.ndarray

    def rows(self, groups: np.ndarray) -> np.ndarray:
        """Positions in ``table`` of ``groups``."""
        return peerpoint.rows_of(self.table, groups)


def peer_points(features: Path, model: RiskModel) -> PeerPoints:
    """Peer groups over the whole table and their points, read one indicator column at a time."""
    names = set(partitioned.read_schema(features).names)
    wanted = [peerpoint.SECTION, *([peerpoint.SIZE_FROM] if peerpoint.SIZE_FROM in names else [])]
    first = partitioned.read_table(features, wanted).to_pandas()  # without employees: sections only
    groups = peerpoint.keys(first)
    columns = {}
    for name in model.features:
        values = partitioned.read_table(features, [name]).column(0).to_pandas()
        frame = pd.DataFrame({peerpoint.SECTION: first[peerpoint.SECTION].to_numpy(), name: values.to_numpy()})
        columns[name] = peerpoint.reference(frame, [name], groups)[name]
    table = pd.DataFrame(columns)[list(model.features)].rename_axis(peerpoint.PEER_GROUP)
    return PeerPoints(table, groups, model.score(table, num_threads=1))


def explained(
    model: RiskModel, frame: pd.DataFrame, groups: np.ndarray, points: PeerPoints, model_version: str, threads: int = 0
) -> pd.DataFrame:
    """Scores, SHAP and the contrast with the peers of ``frame``'s rows (``groups``: their peer groups)."""
    scored = model.predict_frame(frame, num_threads=threads)
    at = points.rows(groups)
    contrast = model.contrast(frame, points.table.to_numpy(dtype=np.float64), at)
    scored.insert(0, "company_id", frame["company_id"].to_numpy())
    scored["peer_group"] = points.table.index.to_numpy()[at].astype(str)
    scored["peer_score"] = points.scores[at]
    extra = pd.DataFrame(contrast, columns=[CONTRAST_PREFIX + f for f in model.features], index=frame.index)
    out = pd.concat([scored, extra], axis=1)
    out["model_version"] = model_version
    return out


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
            step("peer groups")
            points = peer_points(features, model)
            writer: pq.ParquetWriter | None = None
            try:
                for batch in _batches(features, chunk_rows, ["company_id", *model.features]):
                    frame = batch.to_pandas()
                    scored = explained(model, frame, points.groups[rows : rows + len(frame)], points, model_version)
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
            write_reference(points, footer_, tmp_ref)
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


def write_reference(points: PeerPoints, footer_: dict[bytes, bytes], path: Path) -> None:
    """The peer points reason codes quote, with the scores' footer."""
    table = points.table.assign(peer_score=points.scores).reset_index()
    reference = pa.Table.from_pandas(table, preserve_index=False)
    pq.write_table(reference.replace_schema_metadata(footer_), path)


def read_reference(path: Path) -> pd.DataFrame:
    """A reference file, indexed by peer group; a file from before peer groups is refused, not misread."""
    table = pd.read_parquet(path)
    if peerpoint.PEER_GROUP not in table.columns:
        raise ScoringError(f"{path} holds sector medians, not peer points: score the indicators again")
    return table.set_index(peerpoint.PEER_GROUP)


SAME_SNAPSHOT = ("as_of", "input_fingerprint", "catalogue_hash")


def explain(scores: Path, features: Path, company_ids: list[str], top: int = 3) -> list[dict[str, object]]:
    """Reason codes (Dutch and English) and a waterfall (PNG and SVG, beside the scores) for named companies."""
    from models.waterfall import waterfall  # matplotlib: only --explain draws

    same_snapshot(scores, features)
    wanted = pa.array(company_ids, type=pa.string())
    scored = pq.read_table(scores, filters=[("company_id", "in", wanted)]).to_pandas().set_index("company_id")
    values = pq.read_table(features, filters=[("company_id", "in", wanted)]).to_pandas().set_index("company_id")
    reference = read_reference(reference_file(scores))
    if not any(c.startswith(CONTRAST_PREFIX) for c in scored.columns):
        raise ScoringError(f"{scores} predates contrastive explanations: score the indicators again")
    as_of = read_metadata(scores).get("as_of", "")[:10]
    out: list[dict[str, object]] = []
    for cid in company_ids:
        if cid not in scored.index or cid not in values.index:
            raise ScoringError(f"company {cid} is not in {scores}")
        row = scored.loc[cid]
        shap = row[[c for c in scored.columns if c.startswith("shap__")]]
        contrast = row[[c for c in scored.columns if c.startswith(CONTRAST_PREFIX)]]
        peers = reference.loc[[str(row.peer_group)]].iloc[0]
        found = reasons(values.loc[cid], contrast, peers, as_of=as_of, top=top)
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
                "peer_group": str(row.peer_group),
                "peer_score": float(row.peer_score),
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
