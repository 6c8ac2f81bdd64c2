"""`tegenkracht serve` for real: uvicorn, two worker processes, HTTP on loopback, the store and the audit trail."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from core import settings
from serving import auditlog
from serving.access import Role, add_user
from serving.api.strangers import COUNTS
from serving.batches import load_batch
from serving.store import open_store

from .conftest import PURPOSE, REGION, free_port
from .world import Snapshot


def test_serve_runs_two_workers_without_a_champion_and_audits_over_http(snapshot: Snapshot, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    store = open_store(url)
    load_batch(store, snapshot.scores, snapshot.indicators, snapshot.world, root=tmp_path / "store")
    key = add_user(store, "Lotte", Role.ANALYST, [REGION]).api_key
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("TEGENKRACHT_", "MLFLOW_"))},
        "TEGENKRACHT_DATABASE_URL": url,
        "TEGENKRACHT_VAR_DIR": str(tmp_path),
        "TEGENKRACHT_PROGRESS": "0",
        "TEGENKRACHT_AUDIT_KEY": settings.AUDIT_KEY,  # the server signs with the key this test verifies with
    }
    cmd = [sys.executable, "-m", "tegenkracht", "serve", "--port", str(port), "--workers", "2"]
    server = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        ready = httpx.get(f"{base}/ready")
        assert ready.status_code == 503 and ready.json() == {"ready": False, "model": False, "store": True,
                                                             "batch": True}  # fmt: skip
        made = httpx.post(f"{base}/v1/shortlists", json={"region": REGION, "top_k": 3, **PURPOSE},
                          headers={"Authorization": f"Bearer {key}"})  # fmt: skip
        assert made.status_code == 201 and len(made.json()["items"]) == 3
        card = httpx.get(f"{base}/v1/model", headers={"Authorization": f"Bearer {key}"})
        assert card.status_code == 503 and card.headers["content-type"] == "application/problem+json"
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0].decode()
    assert "with 2 worker(s)" in output and key not in output
    records, _ = auditlog.page(store, 1, 10)
    own = [r["endpoint"] for r in records if r["endpoint"] != COUNTS]
    assert own[:3] == ["/v1/model", "/v1/shortlists", "/v1/shortlists"]  # the final record and the pending one
    counted = {(c[1], c[2]) for r in records if r["endpoint"] == COUNTS for c in r["params"]["counts"]}
    assert {("/health", 200), ("/ready", 503)} <= counted  # strangers' requests, sealed when the workers stopped
    assert auditlog.verify(store).ok
    store.dispose()
