"""The audit-log verbs around the audit key: a signed head kept outside, checked later, and a key rotated."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import delete, update
from typer.testing import CliRunner

from core import settings
from serving.store import open_store
from serving.store.tables import AuditHead, AuditRecord
from tegenkracht.cli import app

runner = CliRunner()


@pytest.fixture
def store_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    monkeypatch.setattr(settings, "DATABASE_URL", url)
    monkeypatch.setattr(settings, "VAR_DIR", tmp_path)
    return url


def _users(n: int, first: int = 0) -> None:
    for i in range(first, first + n):
        made = runner.invoke(app, ["users", "add", f"Toezicht{i}", "--role", "oversight"])
        assert made.exit_code == 0, made.output


def test_a_head_kept_outside_catches_an_older_head_put_back(store_url: str, tmp_path: Path) -> None:
    _users(2)
    older = open_store(store_url)
    with older.session() as s:
        head = s.get(AuditHead, 1)
        assert head is not None
        kept_row = {k: getattr(head, k) for k in ("seq", "hash", "anchor_seq", "anchor_hash", "signer", "mac")}
    _users(1, first=2)
    kept = tmp_path / "head.json"
    exported = runner.invoke(app, ["audit-log", "head", "--out", str(kept)])
    assert exported.exit_code == 0 and json.loads(kept.read_text())["seq"] == 3  # three users (its own record is 4)
    with older.session() as s:  # a database writer cuts the tail back to an authentic older state
        s.execute(delete(AuditRecord).where(AuditRecord.seq > 2))
        s.execute(update(AuditHead).values(**kept_row))
    older.dispose()
    assert runner.invoke(app, ["audit-log", "verify"]).exit_code == 0  # the key cannot see this from inside...
    caught = runner.invoke(app, ["audit-log", "verify", "--expect", str(kept), "--json"])
    assert caught.exit_code == 1 and json.loads(caught.stdout)["first_bad_seq"] == 3  # ...the kept head can
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps({**json.loads(kept.read_text()), "seq": 2}))
    refused = runner.invoke(app, ["audit-log", "verify", "--expect", str(forged), "--json"])
    assert refused.exit_code == 1 and "not signed" in json.loads(refused.stdout)["reason"]
    assert runner.invoke(app, ["audit-log", "verify", "--expect", str(tmp_path / "missing.json")]).exit_code == 2


def test_rotate_key_is_refused_for_a_key_from_the_environment_and_works_on_the_file(
    store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _users(1)
    refused = runner.invoke(app, ["audit-log", "rotate-key"])
    assert refused.exit_code == 2 and "TEGENKRACHT_AUDIT_KEY" in refused.output
    monkeypatch.setattr(settings, "AUDIT_KEY", "")
    monkeypatch.setattr(settings, "AUDIT_KEY_FILE", tmp_path / "audit.keys")
    fresh = f"sqlite:///{tmp_path / 'other.db'}"
    monkeypatch.setattr(settings, "DATABASE_URL", fresh)
    _users(1, first=1)
    rotated = runner.invoke(app, ["audit-log", "rotate-key"])
    assert rotated.exit_code == 0 and "signs from now on" in rotated.output
    assert len((tmp_path / "audit.keys").read_text().splitlines()) == 2
    checked = runner.invoke(app, ["audit-log", "verify", "--json"])
    assert checked.exit_code == 0 and json.loads(checked.stdout)["checked"] == 2  # user, and the rotation's record
