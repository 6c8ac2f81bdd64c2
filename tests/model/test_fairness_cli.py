"""The oversight verbs: `audit` and `monitor` on real scores, their exit codes, files and MLflow runs; and the
rule that nothing but the audit ever reads the sensitive tables."""

from __future__ import annotations

import json
import traceback
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from features.catalogue import FEATURES
from features.pipeline import IndicatorTable, compute_indicators, input_fingerprint, write_indicators
from features.validation import validate_records
from serving.scoring import score_file
from tegenkracht.cli import app
from tests.shared import Trained

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def snapshot(trained: Trained, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Indicators and v1's scores on 2022-12-31 (labels known up to the end of the records)."""
    folder = tmp_path_factory.mktemp("snapshot")
    as_of = pd.Timestamp("2022-12-31")
    frame, peers = compute_indicators(validate_records(trained.world).tables, as_of)
    features = folder / "ind-2022-12-31.parquet"
    write_indicators(IndicatorTable(frame, peers, as_of, input_fingerprint(trained.world)), features)
    scores = folder / "scores-2022-12-31.parquet"
    score_file(trained.v1.model, features, scores, "1")
    return features, scores


def test_cli_audit_writes_both_languages_and_logs_a_run(
    registry: Trained, snapshot: tuple[Path, Path], tmp_path: Path
) -> None:
    features, scores = snapshot
    out = tmp_path / "audit"
    args = ["audit", "--scores", str(scores), "--data", str(registry.world), "--features", str(features)]
    result = CliRunner().invoke(app, [*args, "--top-k", "50", "--out", str(out), "--json"])
    assert result.exit_code in (0, 1), result.output
    payload = json.loads(result.stdout)
    assert payload["decision"] == "top 50 per riec_region"
    assert (result.exit_code == 0) == (payload["passed"] and payload["labels_passed"])
    for name in ("fairness_nl.html", "fairness_en.html", "audit_observed.json", "audit_truth.json", "proxies.json"):
        assert (out / name).exists(), name
    assert (out / "investigations" / "fairness_en.html").exists()
    observed = json.loads((out / "audit_observed.json").read_text())
    assert observed["settings"]["labelled"] > 0  # 2022 + 24 months lies inside the records
    assert {"migration_background", "neighbourhood_ses", "riec_region"} <= {
        g["attribute_name"] for g in observed["groups"]
    }
    proxies = json.loads((out / "proxies.json").read_text())
    assert proxies["predictability"] and proxies["score_gap"] and proxies["counterfactual"]
    from training.registry import client

    c = client()
    runs = c.search_runs([c.get_experiment_by_name("tegenkracht-fairness").experiment_id])
    assert runs and runs[0].data.tags["fairness.audit"] in ("passed", "failed")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--top-k", "5", "--threshold", "0.1"], "not both"),
        (["--features", "{other}"], "another snapshot"),
    ],
)
def test_cli_audit_bad_requests_exit_2(
    registry: Trained, snapshot: tuple[Path, Path], tmp_path: Path, extra: list[str], message: str
) -> None:
    features, scores = snapshot
    other = tmp_path / "other.parquet"
    table = pq.read_table(features)
    pq.write_table(table.replace_schema_metadata({**table.schema.metadata, b"tegenkracht.as_of": b"2020-12-31"}), other)
    extra = [e.replace("{other}", str(other)) for e in extra]
    result = CliRunner().invoke(
        app, ["audit", "--scores", str(scores), "--data", str(registry.world), "--no-log-mlflow", *extra]
    )
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_cli_audit_without_sensitive_tables_exits_2(registry: Trained, snapshot: tuple[Path, Path]) -> None:
    _, scores = snapshot
    no_sensitive = registry.var / "no-sensitive"  # the records v2 was trained on
    result = CliRunner().invoke(app, ["audit", "--scores", str(scores), "--data", str(no_sensitive), "--no-log-mlflow"])
    assert result.exit_code == 2
    assert "sensitive" in result.output


def test_cli_monitor_against_the_training_reference(
    registry: Trained, snapshot: tuple[Path, Path], tmp_path: Path
) -> None:
    features, scores = snapshot
    out = tmp_path / "monitor"
    args = ["monitor", "--reference", "1", "--current", str(features), "--current-scores", str(scores)]
    result = CliRunner().invoke(
        app, [*args, "--data", str(registry.world), "--out", str(out), "--no-evidently", "--json"]
    )
    assert result.exit_code in (0, 1), result.output
    payload = json.loads(result.stdout)
    assert (result.exit_code == 1) == payload["alert"]
    blob = json.loads((out / "monitor.json").read_text())
    assert {r["indicator"] for r in blob["indicators"]} == set(FEATURES), "every catalogued indicator is monitored"
    assert blob["explanations"] and blob["composition"] and blob["performance"]
    from fairness.drift import CBPE_ASSUMPTION

    assert CBPE_ASSUMPTION in json.dumps(blob["performance"])  # the label-free estimate states its assumption
    assert (out / "monitor.html").exists() and not (out / "evidently.html").exists()


def test_cli_monitor_unknown_reference_exits_2(registry: Trained, snapshot: tuple[Path, Path]) -> None:
    features, _ = snapshot
    result = CliRunner().invoke(app, ["monitor", "--reference", "99", "--current", str(features), "--no-log-mlflow"])
    assert result.exit_code == 2
    assert "neither a file nor a registered model" in result.output


def test_only_the_audit_reads_the_sensitive_tables(
    trained: Trained, snapshot: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Train, score and audit with a spy on every Parquet read: a read under sensitive/ must come from
    fairness/groups.py, and from nowhere else in the code base."""
    readers: list[tuple[str, str]] = []
    original = pq.read_table

    def spy(source: object, *args: object, **kwargs: object) -> object:
        if "sensitive" in Path(str(source)).parts:
            caller = [
                f.filename for f in traceback.extract_stack() if "/work/" in f.filename or "site" not in f.filename
            ]
            readers.append((str(source), "\n".join(caller)))
        return original(source, *args, **kwargs)

    monkeypatch.setattr(pq, "read_table", spy)
    features, scores = snapshot
    from fairness.run import Decision, audit_scores_file
    from training.labels import audit_labels

    audit_scores_file(scores, trained.world, Decision(top_k=20), labels=audit_labels(trained.world), features=features)
    assert readers, "the audit reads the sensitive tables"
    for path, stack in readers:
        assert "fairness/groups.py" in stack, path
    readers.clear()
    score_file(trained.v1.model, features, tmp_path / "again.parquet", "1")
    compute_indicators(validate_records(trained.world).tables, pd.Timestamp("2021-12-31"))
    assert not readers, [p for p, _ in readers]
