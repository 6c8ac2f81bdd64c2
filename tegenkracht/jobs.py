"""The pipeline steps several verbs share: generate, validate, build indicators (one machine or Dask).

``synth``, ``validate``, ``features``, ``demo``, the import verbs and the MLproject entry points (which call the
verbs) all run these functions, so each step has one code path. They speak the CLI's language (progress bars,
``typer.Exit`` with the documented exit codes), which is why they live beside the verbs and not in ``features``.
Heavy imports stay inside the functions so that ``tegenkracht --help`` starts without loading pandas or Dask.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import typer

from tegenkracht.console import EXIT_BAD_INPUT, stderr


def run_synth(cfg: Any, out: Path) -> dict[str, Any]:
    """Generate with a progress bar; shared by ``synth`` and ``demo``."""
    from synth import generate_world
    from tegenkracht.console import steps

    with steps(10, "synth") as step:
        return generate_world(cfg, out, step)


def _validated(data: Path) -> Any:
    """Validate with a progress bar; an unusable table is a clear error and exit code 2."""
    from features import SCHEMAS, RecordsError, validate_records
    from tegenkracht.console import steps

    try:
        with steps(len(SCHEMAS), "validate") as step:
            return validate_records(data, progress=step)
    except RecordsError as exc:
        stderr.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(EXIT_BAD_INPUT) from exc


def run_validate(data: Path, quarantine: Path | None, out: Path | None, partitions: int | None = None) -> Any:
    """Validate, write the quarantine (always) and the clean tables (when asked, partitioned when asked)."""
    from features import write_quarantine

    report = _validated(data)
    write_quarantine(report, quarantine or data / "quarantine.parquet")
    if out is not None and partitions is not None:
        from features.partitioned import write_partitioned

        write_partitioned(report.tables, out, partitions)
    elif out is not None:
        from core.io import atomic_dir

        with atomic_dir(out) as tmp:
            for name, frame in report.tables.items():
                frame.to_parquet(tmp / f"{name}.parquet", index=False)
    return report


def _as_of(as_of: str) -> Any:
    import pandas as pd

    try:
        return pd.Timestamp(date.fromisoformat(as_of))
    except ValueError as exc:
        stderr.print(f"[red]error:[/red] --as-of {as_of!r} is not a date (YYYY-MM-DD)")
        raise typer.Exit(EXIT_BAD_INPUT) from exc


def _frozen_peers(peers: Path | None) -> Any:
    from features.peers import PeerStats

    if peers is not None and not peers.exists():
        stderr.print(f"[red]error:[/red] --peers {peers} does not exist")
        raise typer.Exit(EXIT_BAD_INPUT)
    return PeerStats.load(str(peers)) if peers else None


def _track(meta: dict[str, Any], metadata: dict[str, str], out: Path, quarantined: int, track: bool) -> None:
    if track:
        from features.tracking import log_indicator_run

        meta["mlflow_run_id"] = log_indicator_run(metadata, out, quarantined)


def run_features(
    data: Path, as_of: str, out: Path, peers: Path | None, track: bool, corrections: Path | None = None
) -> dict[str, Any]:
    """Validate, compute, correct, write, track; shared by ``features``, ``demo`` and the MLproject entry point."""
    from core.io import file_sha256
    from features import write_quarantine
    from features.pipeline import IndicatorTable, compute_indicators, input_fingerprint, write_indicators
    from tegenkracht.console import steps

    when = _as_of(as_of)
    frozen = _frozen_peers(peers)
    if out.is_dir():
        stderr.print(f"[red]error:[/red] --out {out} is a folder (a Dask run's?): give a file name")
        raise typer.Exit(EXIT_BAD_INPUT)
    report = _validated(data)
    quarantined = sum(report.quarantined_rows().values())
    if quarantined:
        q_path = out.with_name(out.stem + ".quarantine.parquet")
        write_quarantine(report, q_path)
        stderr.print(f"[yellow]{quarantined} bad rows quarantined to {q_path}; the rest go on[/yellow]")
    with steps(9, "indicators") as step:
        frame, fitted = compute_indicators(report.tables, when, frozen, step, consume=True)
    source = "fitted" if peers is None else f"frozen:{file_sha256(peers)}"
    fingerprint = input_fingerprint(data)
    applied = 0
    if corrections is not None:
        frame, fingerprint, applied = _corrected(frame, fingerprint, corrections, when, out)
    table = IndicatorTable(frame=frame, peers=fitted, as_of=when, fingerprint=fingerprint, peers_source=source)
    write_indicators(table, out)
    meta: dict[str, Any] = {**table.metadata, "out": str(out), "quarantined_rows": quarantined}
    if corrections is not None:
        meta["corrections_applied"] = applied
    _track(meta, table.metadata, out, quarantined, track)
    return meta


def _corrected(frame: Any, fingerprint: str, corrections: Path, when: Any, out: Path) -> tuple[Any, str, int]:
    """Accepted corrections applied, listed beside the output; the fingerprint then covers them too."""
    from core.io import atomic_file
    from features import corrections as fix

    try:
        table = fix.read(corrections)
    except fix.CorrectionsError as exc:
        stderr.print(f"[red]error:[/red] --corrections: {exc}")
        raise typer.Exit(EXIT_BAD_INPUT) from exc
    frame, applied = fix.apply(frame, table, when)
    with atomic_file(out.with_name(out.stem + ".corrections.parquet")) as tmp:
        applied.to_parquet(tmp, index=False)
    stderr.print(f"{len(applied)} accepted corrections applied (listed in {out.stem}.corrections.parquet)")
    return frame, fix.fingerprint(fingerprint, corrections), len(applied)


def run_features_dask(
    data: Path, as_of: str, out: Path, peers: Path | None, track: bool, scheduler: str, partitions: int | None
) -> dict[str, Any]:
    """The same indicators on Dask, written as a folder of part files that replaces ``out`` atomically."""
    import pyarrow as pa

    from core.io import atomic_dir
    from features import RecordsError, partitioned
    from features.distributed import compute_indicators_dask, write_peers
    from features.pipeline import IndicatorError, input_fingerprint
    from tegenkracht.cluster import SchedulerError, connect
    from tegenkracht.console import steps

    when = _as_of(as_of)
    frozen = _frozen_peers(peers)
    data, out = data.resolve(), out.resolve()  # workers may start elsewhere: they get absolute paths
    metadata = {
        "as_of": when.date().isoformat(),
        **_catalogue_metadata(),
        "input_fingerprint": "",
        "peers": "fitted" if peers is None else f"frozen:{partitioned.sha256(peers)}",
    }
    try:
        metadata["input_fingerprint"] = input_fingerprint(data)
        # The folder is replaced only after the cluster is gone: no task can still be writing into it.
        with atomic_dir(out) as tmp, steps(4, "indicators (dask)") as step:
            with connect(scheduler) as client:
                stats: dict[str, int] = {}
                rows, fitted = compute_indicators_dask(
                    client, data, when, tmp, metadata, frozen, partitions, step, stats=stats
                )
            write_peers(fitted, out)  # just before the table, as on one machine
    except (SchedulerError, RecordsError, IndicatorError, OSError, pa.ArrowException) as exc:
        stderr.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(EXIT_BAD_INPUT) from exc
    metadata["rows"] = str(rows)
    meta: dict[str, Any] = {**metadata, "out": str(out), "quarantined_rows": 0, "scheduler": scheduler}
    meta["partitions"] = stats["partitions"]
    meta["halo_factor"] = round(stats["halo_pairs"] / max(stats["companies"], 1), 3)  # reads per company
    _track(meta, metadata, out, 0, track)
    return meta


def _catalogue_metadata() -> dict[str, str]:
    from features.catalogue import CATALOGUE_VERSION, catalogue_hash

    return {"catalogue_version": CATALOGUE_VERSION, "catalogue_hash": catalogue_hash()}
