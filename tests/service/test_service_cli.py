"""The service verbs: users, audit-log, feedback export, and `score --load`, with their exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import typer
from sqlalchemy import select, update
from typer.testing import CliRunner

from core import settings
from features.pipeline import read_metadata
from models.risk import RiskModel
from serving import rectification
from serving.access import Principal, Role, authenticate
from serving.batches import current_batch
from serving.explanations import BatchExplanations
from serving.feedback import record
from serving.signals import company_signal
from serving.store import Store, open_store
from serving.store.tables import AuditRecord, Batch, Signal
from tegenkracht.cli import app

from .conftest import REGION
from .world import Snapshot

runner = CliRunner()


@pytest.fixture
def store_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    monkeypatch.setattr(settings, "DATABASE_URL", url)
    monkeypatch.setattr(settings, "STORE_DIR", tmp_path / "store")
    monkeypatch.setattr(settings, "VAR_DIR", tmp_path)
    return url


def _json(result: object) -> dict:
    return json.loads(result.stdout)


def test_users_add_prints_the_key_once_and_it_works(store_url: str) -> None:
    made = runner.invoke(app, ["users", "add", "Fatima", "--role", "analyst", "--region", REGION, "--json"])
    assert made.exit_code == 0, made.output
    body = _json(made)
    assert set(body) >= {"name", "role", "regions", "api_key"} and body["regions"] == [REGION]
    store = open_store(store_url)
    assert authenticate(store, body["api_key"]) is not None
    listed = runner.invoke(app, ["users", "list", "--json"])
    assert body["api_key"] not in listed.stdout and "Fatima" in listed.stdout
    assert runner.invoke(app, ["users", "revoke", "Fatima"]).exit_code == 0
    assert authenticate(store, body["api_key"]) is None
    store.dispose()


@pytest.mark.parametrize(
    "args",
    [
        ["users", "add", "X", "--role", "wizard"],
        ["users", "add", "X", "--role", "analyst"],
        ["users", "add", "X", "--role", "admin", "--region", REGION],
        ["users", "revoke", "nobody"],
        ["audit-log", "prune", "--days", "30"],
        ["audit-log", "verify", "--expect", "12:not-a-hash"],
        ["feedback", "export", "--out", "."],
    ],
)
def test_bad_service_commands_exit_2_with_a_message(store_url: str, args: list[str]) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and "error" in result.output


def test_audit_log_verify_exits_1_and_names_the_record(store_url: str) -> None:
    runner.invoke(app, ["users", "add", "Gijs", "--role", "oversight"])
    runner.invoke(app, ["users", "add", "Hanna", "--role", "admin"])
    good = runner.invoke(app, ["audit-log", "verify", "--json"])
    assert good.exit_code == 0 and _json(good)["ok"] and _json(good)["checked"] == 2
    listed = runner.invoke(app, ["audit-log", "list", "--json"])
    assert [r["endpoint"] for r in _json(listed)["records"]] == ["users add", "users add"]
    store = open_store(store_url)
    with store.session() as s:
        s.execute(update(AuditRecord).where(AuditRecord.seq == 1).values(params='{"name": "Someone"}'))
    store.dispose()
    bad = runner.invoke(app, ["audit-log", "verify", "--json"])
    assert bad.exit_code == 1 and _json(bad)["first_bad_seq"] == 1


def test_score_load_then_feedback_export(
    store_url: str, snapshot: Snapshot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The export's own rules (inconclusive, conflicting, exported once), with the second analyst's review off.

    That review, on by default, has its tests in test_feedback_review.py.
    """

    monkeypatch.setattr(settings, "FEEDBACK_REVIEW", False)

    folder = tmp_path / "model"
    snapshot.model.save(folder)
    scores = tmp_path / "scores.parquet"
    import serving.scoring

    serving.scoring.score_file(RiskModel.load(folder), snapshot.indicators, scores, "7")
    from tegenkracht.service_verbs import run_load

    loaded = run_load(scores, snapshot.indicators, snapshot.world)
    assert loaded["rows"] == len(pd.read_parquet(scores)) and loaded["companies_without_name"] == 0
    store = open_store(store_url)
    batch = current_batch(store)
    assert batch is not None and batch.model_version == "7"
    assert batch.fairness_dir == str(tmp_path / "fairness" / "scores")
    made = runner.invoke(app, ["users", "add", "Ivo", "--role", "analyst", "--region", REGION, "--json"])
    who = authenticate(store, _json(made)["api_key"])
    assert who is not None and who.role is Role.ANALYST
    region = pd.read_parquet(snapshot.indicators).query("riec_region == @REGION")["company_id"].head(3).tolist()
    for company, outcome in zip(region, ["confirmed", "dismissed", "inconclusive"], strict=True):
        sig = company_signal(store, who, batch, company)
        assert sig is not None
        record(store, who, batch, company, sig.probability,
               {"outcome": outcome, "purpose": "riec_case", "case_reference": "C-77"})  # fmt: skip
    sig = company_signal(store, who, batch, region[0])
    record(store, who, batch, region[0], sig.probability,
           {"outcome": "dismissed", "purpose": "riec_case", "case_reference": "C-78"})  # fmt: skip
    out = tmp_path / "labels.parquet"
    exported = runner.invoke(app, ["feedback", "export", "--out", str(out), "--json"])
    assert exported.exit_code == 0, exported.output
    summary = _json(exported)
    assert summary["read"] == 4 and summary["inconclusive_left_out"] == 1
    assert summary["conflicting_companies_left_out"] == [region[0]]
    labels = pd.read_parquet(out)
    assert labels["company_id"].tolist() == [region[1]] and labels["label"].tolist() == [0]
    assert set(labels.columns) >= {"given_by", "purpose", "case_reference", "model_version", "decided_at"}
    again = _json(runner.invoke(app, ["feedback", "export", "--out", str(out), "--json"]))
    assert again["labelled"] == 0 and again["read"] == 3  # the exported row is done; the left-out ones come back
    assert again["inconclusive_left_out"] == 1 and again["conflicting_companies_left_out"] == [region[0]]
    # a later outcome that contradicts an exported label is left out, not exported with the opposite label
    record(
        store, who, batch, region[1], 0.5, {"outcome": "confirmed", "purpose": "riec_case", "case_reference": "C-79"}
    )
    later = _json(runner.invoke(app, ["feedback", "export", "--out", str(out), "--json"]))
    assert later["labelled"] == 0 and region[1] in later["conflicting_companies_left_out"]
    assert _json(runner.invoke(app, ["feedback", "export", "--out", str(out), "--all", "--json"]))["read"] == 5
    _rectification_reaches_the_next_indicator_run(store, who, batch, RiskModel.load(folder), snapshot, tmp_path)
    store.dispose()


def _rectification_reaches_the_next_indicator_run(
    store: Store, who: Principal, batch: Batch, model: RiskModel, snapshot: Snapshot, tmp_path: Path
) -> None:
    """A recorded and accepted correction is exported by the verb and applied by `features --corrections`."""
    loaded = BatchExplanations.read(Path(batch.folder))
    region = REGION
    with store.engine.connect() as c:
        company = c.execute(
            select(Signal.company_id).where(Signal.batch_id == batch.id, Signal.riec_region == region).limit(1)
        ).scalar_one()
    fields = {"facts": {"companies_at_address": 1.0}, "evidence": "brief 3", "purpose": "riec_case",
              "case_reference": "C-80"}  # fmt: skip
    made = rectification.record(store, who, batch, loaded, model, company, fields)
    added = runner.invoke(app, ["users", "add", "Ria", "--role", "analyst", "--region", region, "--json"])
    second = authenticate(store, _json(added)["api_key"])
    assert second is not None and who.sees_region(region)
    rectification.decide(store, second, made["id"], accept=True)
    out = tmp_path / "corrections.parquet"
    exported = _json(runner.invoke(app, ["rectifications", "export", "--out", str(out), "--json"]))
    assert exported["rectifications"] == 1 and exported["facts"] == 1
    fixed = tmp_path / "fixed.parquet"
    args = ["features", "--data", str(snapshot.world), "--as-of", batch.as_of, "--no-track", "--json"]
    result = runner.invoke(app, [*args, "--out", str(fixed), "--corrections", str(out)])
    assert result.exit_code == 0, result.output
    assert _json(result)["corrections_applied"] == 1
    assert pd.read_parquet(fixed).set_index("company_id").loc[company, "companies_at_address"] == 1.0
    listed = pd.read_parquet(fixed.with_name("fixed.corrections.parquet"))
    assert listed["rectification_id"].tolist() == [made["id"]]
    assert read_metadata(fixed)["input_fingerprint"] != read_metadata(snapshot.indicators)["input_fingerprint"]
    bad = runner.invoke(app, [*args, "--out", str(tmp_path / "bad.parquet"), "--corrections", str(snapshot.scores)])
    assert bad.exit_code == 2 and "lacks column" in bad.output


def test_a_failed_load_leaves_the_previous_batch_serving(
    store_url: str, snapshot: Snapshot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from serving import batches
    from tegenkracht.service_verbs import run_load

    run_load(snapshot.scores, snapshot.indicators, snapshot.world)

    def crash(*_a: object, **_k: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(batches, "_insert_signals", crash)
    with pytest.raises(typer.Exit) as refused:
        run_load(snapshot.scores, snapshot.indicators, snapshot.world)
    assert refused.value.exit_code == 2
    store = open_store(store_url)
    batch = current_batch(store)
    assert batch is not None and batch.id == 1
    assert sorted(p.name for p in (tmp_path / "store").iterdir()) == ["batch-1"]
    store.dispose()


def test_an_oversight_user_in_the_store_may_approve_an_override(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from serving.access import is_oversight_user
    from training import promotion

    monkeypatch.setattr(settings, "OVERSIGHT_APPROVERS", frozenset())
    assert not is_oversight_user("Jet")
    runner.invoke(app, ["users", "add", "Jet", "--role", "oversight"])
    runner.invoke(app, ["users", "add", "Kees", "--role", "admin"])
    assert is_oversight_user("Jet") and not is_oversight_user("Kees")
    promotion._check_override("Jet", "the fairness gate failed on a known data error", is_oversight_user)
    with pytest.raises(promotion.PromotionError, match="oversight role"):
        promotion._check_override("Kees", "the fairness gate failed on a known data error", is_oversight_user)
    with pytest.raises(promotion.PromotionError, match="oversight role"):  # training alone knows no store
        promotion._check_override("Jet", "the fairness gate failed on a known data error", None)
    runner.invoke(app, ["users", "revoke", "Jet"])
    assert not is_oversight_user("Jet")


def test_demo_keys_authenticate_are_audited_and_are_reissued_on_a_second_run(store_url: str) -> None:
    from tegenkracht.cli import _demo_keys

    first, second = _demo_keys(), _demo_keys()
    assert set(first) == set(second) == {r.value for r in Role}
    store = open_store(store_url)
    for keys in (first, second):
        assert all(authenticate(store, k) is not None for k in keys.values())
    listed = _json(runner.invoke(app, ["audit-log", "list", "--json"]))["records"]
    assert [r["endpoint"] for r in reversed(listed)] == ["users add"] * 4 + ["users key"] * 4
    store.dispose()


def test_loading_and_serving_never_read_the_sensitive_tables(
    store_url: str, snapshot: Snapshot, parquet_reads: list[str]
) -> None:
    from tegenkracht.service_verbs import run_load

    run_load(snapshot.scores, snapshot.indicators, snapshot.world)
    assert parquet_reads and not [p for p in parquet_reads if "sensitive" in p]
    store = open_store(store_url)
    batch = current_batch(store)
    assert batch is not None
    from serving.explanations import BatchExplanations

    explained = BatchExplanations.read(Path(batch.folder)).explain(str(pd.read_parquet(snapshot.scores).company_id[0]))
    assert explained is not None and not [p for p in parquet_reads if "sensitive" in p]
    store.dispose()
