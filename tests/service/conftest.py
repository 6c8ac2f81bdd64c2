"""Stores on both backends, a loaded batch, one user per role, and the app over them.

Every store test runs on SQLite, and on a real PostgreSQL server when ``TEGENKRACHT_TEST_POSTGRES_URL`` is set
(``.ci/run`` sets it and fails if the server does not answer). Each PostgreSQL store is a fresh database,
dropped afterwards, so tests never see each other's rows.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, make_url, text

from serving.access import Role, add_user
from serving.api.app import create_app
from serving.batches import LoadedBatch, load_batch
from serving.store import Store, open_store

from .world import Snapshot, build

POSTGRES = os.environ.get("TEGENKRACHT_TEST_POSTGRES_URL", "")
BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql", marks=pytest.mark.skipif(not POSTGRES, reason="TEGENKRACHT_TEST_POSTGRES_URL is not set")
    ),
]
REGION, OTHER_REGION = "Rotterdam", "Limburg"
PURPOSE = {"purpose": "riec_case", "case_reference": "RIEC-RDM-2026-0142"}


def free_port() -> int:
    """A loopback port nobody listens on, for a server a test starts."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def snapshot(small_world: Path, tmp_path_factory: pytest.TempPathFactory) -> Snapshot:
    return build(small_world, tmp_path_factory.mktemp("snapshot"))


def new_store(backend: str, folder: Path) -> Iterator[Store]:
    """A fresh, migrated store on ``backend``; a PostgreSQL database is dropped afterwards."""
    if backend == "sqlite":
        store = open_store(f"sqlite:///{folder / 'store.db'}")
        yield store
        store.dispose()
        return
    name = f"tk_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    store = open_store(make_url(POSTGRES).set(database=name).render_as_string(hide_password=False))
    try:
        yield store
    finally:
        store.dispose()
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@dataclass(frozen=True)
class Reports:
    """The fairness audit and the drift monitor's report of the snapshot, as a batch stores them."""

    fairness: Path
    drift: Path
    drifted: str  # the indicator the drift report finds moved


@pytest.fixture(scope="session")
def reports(snapshot: Snapshot, tmp_path_factory: pytest.TempPathFactory) -> Reports:
    """The real audit (top 20 per region, no model re-scoring) and the real monitor, with one indicator moved."""
    from fairness.monitor import load_snapshot, run_monitor
    from fairness.run import Decision, audit_scores_file
    from training.labels import audit_labels

    out = tmp_path_factory.mktemp("reports")
    audit_scores_file(snapshot.scores, snapshot.world, Decision(top_k=20), labels=audit_labels(snapshot.world)).write(
        out / "fairness"
    )
    reference, _ = load_snapshot(snapshot.indicators, snapshot.scores)
    current = reference.copy()
    drifted = "director_changes_3y"
    current[drifted] = current[drifted] + 3
    run_monitor(reference, current, out_dir=out / "drift", evidently=False, log_to_mlflow=False, top_k=20)
    return Reports(out / "fairness", out / "drift", drifted)


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty store per test."""
    yield from new_store(request.param, tmp_path)


@dataclass
class Served:
    store: Store
    batch: LoadedBatch
    snapshot: Snapshot
    keys: dict[str, str]
    client: TestClient

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[who]}"}


USERS = {
    "analyst": (Role.ANALYST, [REGION]),
    "analyst_elsewhere": (Role.ANALYST, [OTHER_REGION]),
    "scientist": (Role.DATA_SCIENTIST, []),
    "oversight": (Role.OVERSIGHT, []),
    "admin": (Role.ADMIN, []),
}


def serve(
    store: Store, snapshot: Snapshot, folder: Path, reports: Reports | None = None, **app_options: object
) -> Iterator[Served]:
    batch = load_batch(store, snapshot.scores, snapshot.indicators, snapshot.world, root=folder,
                       fairness_dir=reports.fairness if reports else None,
                       drift_dir=reports.drift if reports else None)  # fmt: skip
    keys = {name: add_user(store, name, role, regions).api_key for name, (role, regions) in USERS.items()}
    app = create_app(store, loader=snapshot.serving, **app_options)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Served(store, batch, snapshot, keys, client)


@pytest.fixture(scope="module", params=BACKENDS)
def served(
    request: pytest.FixtureRequest, snapshot: Snapshot, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    """One loaded store and app per backend, shared by a module's read-mostly tests."""
    folder = tmp_path_factory.mktemp("served")
    for store in new_store(request.param, folder):
        yield from serve(store, snapshot, folder)
