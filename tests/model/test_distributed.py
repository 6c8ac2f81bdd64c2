"""Dask scale-out: on a LocalCluster of two worker processes, the same indicators, scores, audit and drift figures.

One flow through the public verbs (features, score, audit, monitor) on one and on two processes, compared
figure by figure; then the refusals: a bad scheduler, a bad row, a broken part file, each leaving the earlier
output as it was.
"""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from features import partitioned, validate_records
from features.distributed import compute_indicators_dask
from features.pipeline import compute_indicators
from tegenkracht.cli import app
from tegenkracht.cluster import SchedulerError, connect, parse
from tests.shared import Trained, point_at

pytestmark = pytest.mark.slow
AS_OF = "2023-12-31"
runner = CliRunner()


@pytest.fixture(autouse=True, scope="module")
def plain_tcp() -> Iterator[None]:
    """Local clusters without TLS here: half a minute less per cluster. TLS itself has its own test below."""
    from core import settings

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(settings, "DASK_LOCAL_TLS", False)
        yield


def test_a_local_cluster_talks_tls_by_default() -> None:
    from core import settings

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(settings, "DASK_LOCAL_TLS", True)
        with connect("local:1") as client:
            assert client.scheduler.address.startswith("tls://")
            assert client.submit(sum, [1, 2, 3]).result() == 6


def _ok(*args: str) -> dict[str, Any]:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def parts(small_world: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small world's valid records as folders of three bucketed part files, several row groups each."""
    out = tmp_path_factory.mktemp("partitioned") / "world"
    partitioned.write_partitioned(validate_records(small_world).tables, out, buckets=3, row_group_rows=3000)
    shutil.copytree(small_world / "sensitive", out / "sensitive")
    return out


@pytest.fixture(scope="module")
def flows(parts: Path, trained: Trained, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Indicators and scores of the same records, single-machine and on Dask."""
    root = tmp_path_factory.mktemp("flows")
    with pytest.MonkeyPatch.context() as mp:
        point_at(mp, trained.var, trained.var / "mlflow.db")
        runs: tuple[tuple[str, str, list[str]], ...] = (
            ("reference", "2022-12-31", []),
            ("single", AS_OF, []),
            ("dask", AS_OF, ["--scheduler", "local:2"]),
        )
        for name, as_of, extra in runs:
            ind = root / name / "ind.parquet"
            _ok("features", "--data", str(parts), "--as-of", as_of, "--out", str(ind), "--no-track", *extra)
            _ok("score", "--features", str(ind), "--out", str(root / name / "scores.parquet"), "--model", "1", *extra)
    return {"root": root, "reference": root / "reference", "single": root / "single", "dask": root / "dask"}


def _sorted(path: Path) -> pd.DataFrame:
    return pd.read_parquet(path).sort_values("company_id").reset_index(drop=True)


def test_partitioned_records_read_in_part_order_and_validate_alike(small_world: Path, parts: Path) -> None:
    assert len(partitioned.parts(parts / "filings.parquet")) == 3
    assert len(partitioned.pieces(parts / "filings.parquet")) > 3  # several row groups per part
    whole = validate_records(small_world).tables["filings"]
    split = validate_records(parts).tables["filings"]
    key = ["company_id", "fiscal_year", "source"]
    pd.testing.assert_frame_equal(
        whole.sort_values(key).reset_index(drop=True), split.sort_values(key).reset_index(drop=True)
    )
    # A company's records share its bucket: every filing's company is in the same part's companies.
    for i in range(3):
        companies = set(pd.read_parquet(parts / "companies.parquet" / f"part-{i:05d}.parquet").company_id)
        filings = set(pd.read_parquet(parts / "filings.parquet" / f"part-{i:05d}.parquet").company_id)
        assert filings <= companies


def test_indicators_on_dask_are_identical_to_one_machine(flows: dict[str, Path]) -> None:
    single, dask = flows["single"] / "ind.parquet", flows["dask"] / "ind.parquet"
    assert single.is_file() and dask.is_dir() and len(partitioned.parts(dask)) >= 2
    one, many = _sorted(single), _sorted(dask)
    assert len(one) > 1500
    pd.testing.assert_frame_equal(one, many, check_exact=True)  # to the bit, every column
    for name in ("ppr_confirmed", "linked_confirmed_2hop", "max_concurrent_mandates", "ownership_layers"):
        assert one[name].fillna(0).to_numpy().any(), f"{name} is all zero here: the comparison would prove nothing"
    pd.testing.assert_frame_equal(
        pd.read_parquet(flows["single"] / "ind.peers.parquet"), pd.read_parquet(flows["dask"] / "ind.peers.parquet")
    )
    meta_one, meta_many = pq.read_schema(single).metadata, partitioned.read_schema(dask).metadata
    for key in (b"tegenkracht.as_of", b"tegenkracht.catalogue_hash", b"tegenkracht.input_fingerprint"):
        assert meta_one[key] == meta_many[key]


def test_frozen_peers_and_an_empty_table_give_identical_indicators(parts: Path, tmp_path: Path) -> None:
    """The scoring path (peers frozen from another date) on an extract without insolvencies, both ways."""
    records = tmp_path / "records"
    shutil.copytree(parts, records)
    for part in partitioned.parts(records / "insolvencies.parquet"):
        pq.write_table(pq.read_table(part).slice(0, 0), part)
    assert partitioned.pieces(records / "insolvencies.parquet") == []
    parts = records
    tables = validate_records(parts).tables
    _, frozen = compute_indicators(dict(tables), pd.Timestamp("2022-12-31"))
    one, _ = compute_indicators(tables, pd.Timestamp(AS_OF), frozen)
    with connect("local:2") as client:
        out = tmp_path / "out"
        out.mkdir()
        rows, used = compute_indicators_dask(client, parts, pd.Timestamp(AS_OF), out, {}, frozen, partitions=3)
    assert rows == len(one)
    pd.testing.assert_frame_equal(used.table, frozen.table)  # frozen peers are used, not refitted
    pd.testing.assert_frame_equal(one, _sorted(out), check_exact=True)
    assert one["officer_prior_insolvencies"].eq(0).all()  # the empty table reached the indicators


def test_scores_and_shap_on_dask_equal_one_machine(flows: dict[str, Path]) -> None:
    one, many = _sorted(flows["single"] / "scores.parquet"), _sorted(flows["dask"] / "scores.parquet")
    assert list(one.columns) == list(many.columns) and len(one) == len(many)
    numeric = [c for c in one.columns if c not in ("company_id", "model_version", "peer_group")]
    assert sum(c.startswith("shap__") for c in numeric) >= 30
    assert sum(c.startswith("contrast__") for c in numeric) >= 30
    assert (one["peer_group"] == many["peer_group"]).all(), "peer groups come from the whole table, on both paths"
    worst = float(np.max(np.abs(one[numeric].to_numpy() - many[numeric].to_numpy())))
    assert worst <= 1e-9, worst
    assert (one["model_version"] == many["model_version"]).all()
    pd.testing.assert_frame_equal(
        pd.read_parquet(flows["single"] / "scores.reference.parquet"),
        pd.read_parquet(flows["dask"] / "scores.reference.parquet"),
    )


def _close(a: Any, b: Any, path: str = "") -> None:
    """Equal figures: strings and counts exactly, floats to 1e-12 relative (sums add in another order)."""
    if isinstance(a, dict):
        assert set(a) == set(b), (path, set(a) ^ set(b))
        for k in a:
            _close(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _close(x, y, f"{path}[{i}]")
    elif isinstance(a, float) and isinstance(b, float):
        assert (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15), (path, a, b)
    else:
        assert a == b, (path, a, b)


def test_audit_of_dask_scores_equals_one_machine(flows: dict[str, Path], parts: Path, tmp_path: Path) -> None:
    out = {}
    for name in ("single", "dask"):
        folder = tmp_path / name
        _ok("audit", "--scores", str(flows[name] / "scores.parquet"), "--data", str(parts), "--out", str(folder),
            "--no-log-mlflow")  # fmt: skip
        out[name] = {p.name: json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))}
    assert "audit_observed.json" in out["single"] and out["single"].keys() == out["dask"].keys()
    for blobs in out.values():
        for blob in blobs.values():
            blob.get("context", {}).pop("scores", None)  # the file's own path
    _close(out["single"], out["dask"])


def test_monitor_on_dask_gives_the_same_figures(flows: dict[str, Path], parts: Path) -> None:
    reports = {}
    ref = flows["reference"]
    for name, extra in (("single", []), ("dask", ["--scheduler", "local:2"])):
        folder = flows["root"] / f"monitor-{name}"
        _ok("monitor", "--reference", str(ref / "ind.parquet"), "--reference-scores", str(ref / "scores.parquet"),
            "--current", str(flows[name] / "ind.parquet"), "--current-scores",
            str(flows[name] / "scores.parquet"), "--data", str(parts), "--out", str(folder), "--no-evidently",
            "--no-log-mlflow", *extra)  # fmt: skip
        reports[name] = json.loads((folder / "monitor.json").read_text())
    one, many = reports["single"], reports["dask"]
    assert one["composition"] and one["performance"] and one["explanations"], "the comparison must cover every check"
    for key in ("indicators", "score", "explanations", "composition", "performance", "alerts", "settings"):
        _close(one[key], many[key], key)
    assert one["metadata"]["current"]["rows"] == many["metadata"]["current"]["rows"]


def test_a_bad_scheduler_is_refused_with_exit_2(parts: Path, tmp_path: Path) -> None:
    for spec in ("local:0", "nowhere", "local:two"):
        with pytest.raises(SchedulerError):
            parse(spec)
    assert parse("local:3") == 3 and parse("tcp://10.0.0.5:8786") == "tcp://10.0.0.5:8786"
    result = runner.invoke(
        app, ["features", "--data", str(parts), "--as-of", AS_OF, "--out", str(tmp_path / "x"), "--scheduler", "x"]
    )
    assert result.exit_code == 2 and "--scheduler" in result.output
    assert not (tmp_path / "x").exists()


def test_a_bad_row_stops_the_dask_run_and_leaves_the_earlier_output(parts: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(parts, broken)
    part = broken / "companies.parquet" / "part-00001.parquet"
    frame = pd.read_parquet(part)
    frame.loc[frame.index[5], "employees"] = -1  # a head count may not be negative
    frame.to_parquet(part, index=False)
    out = tmp_path / "ind.parquet"
    out.mkdir()
    (out / "part-00000.parquet").write_bytes(b"earlier")
    result = runner.invoke(
        app,
        [
            "features",
            "--data",
            str(broken),
            "--as-of",
            AS_OF,
            "--out",
            str(out),
            "--no-track",
            "--scheduler",
            "local:2",
        ],
    )
    assert result.exit_code == 2, result.output
    assert "companies" in result.output and "tegenkracht validate" in result.output
    assert (out / "part-00000.parquet").read_bytes() == b"earlier"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no half-written folder left


def test_a_broken_part_stops_dask_scoring_and_leaves_the_earlier_scores(
    flows: dict[str, Path], registry: Trained, tmp_path: Path
) -> None:
    features = tmp_path / "ind.parquet"
    shutil.copytree(flows["dask"] / "ind.parquet", features)
    shutil.copy(flows["dask"] / "ind.peers.parquet", tmp_path / "ind.peers.parquet")
    victim = partitioned.parts(features)[-1]
    victim.write_bytes(victim.read_bytes()[:200] + b"\0" * 64 + victim.read_bytes()[-200:])
    out = tmp_path / "scores.parquet"
    shutil.copytree(flows["dask"] / "scores.parquet", out)
    before = partitioned.sha256(out)
    result = runner.invoke(
        app, ["score", "--features", str(features), "--out", str(out), "--model", "1", "--scheduler", "local:2"]
    )
    assert result.exit_code == 2, result.output
    assert partitioned.sha256(out) == before


def test_validate_writes_the_valid_rows_as_bucketed_parts(small_world: Path, tmp_path: Path) -> None:
    refused = runner.invoke(app, ["validate", str(small_world), "--partitions", "3"])
    assert refused.exit_code == 2 and "--partitions needs --out" in refused.output
    out = tmp_path / "clean"
    result = runner.invoke(
        app,
        [
            "validate",
            str(small_world),
            "--quarantine",
            str(tmp_path / "q.parquet"),
            "--out",
            str(out),
            "--partitions",
            "3",
        ],
    )
    assert result.exit_code == 0, result.output
    assert [p.name for p in partitioned.parts(out / "officers.parquet")] == [f"part-{i:05d}.parquet" for i in range(3)]
    for name in ("companies", "officers", "cash_flows"):
        rows = pq.read_metadata(small_world / f"{name}.parquet").num_rows
        assert partitioned.num_rows(out / f"{name}.parquet") == rows
