"""Shared fixtures.

Fixture strategy (after yente): use the smallest world that shows the behaviour. Most tests share one
3,000-company world; training, promotion and the oversight verbs share one 40,000-company world and one registry
trained on it; statistical properties (prevalence, label bias, group base rates, difficulty, the known causes of
unfairness) need worlds of their own and build them once per module. Worlds are deterministic, so every
statistical assertion here is a fixed computation, not a flaky sample.

The shared worlds and the registry are built once per test run, not once per pytest-xdist worker
(``tests.shared.build_once``), and the first worker builds the registry before its first test so that the other
never sits waiting for it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from filelock import FileLock, Timeout

os.environ.setdefault("TEGENKRACHT_PROGRESS", "0")
# One audit key for the whole run, its worker processes and the servers they start, so that each verifies what
# another signed; the key file and its rotation have tests of their own (tests/service/test_auditlog.py).
os.environ.setdefault("TEGENKRACHT_AUDIT_KEY", "test:" + "5a" * 32)
# Strangers' counts are sealed when a test asks (``strangers.flush()``) or the app stops, never by the clock in
# the middle of a test that reads the newest record.
os.environ.setdefault("TEGENKRACHT_STRANGER_FLUSH_S", "3600")

from core.telemetry import disable_telemetry
from tests.shared import LABELLED, SMALL, Trained, build_once, generate, train_base

disable_telemetry()  # the test run is a process of ours too: its MLflow and Evidently phone nobody


@pytest.fixture
def parquet_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every path handed to ``pyarrow.parquet.read_table`` (which pandas uses too) during the test."""
    read: list[str] = []
    original = pq.read_table

    def spy(source: object, *args: object, **kwargs: object) -> object:
        read.append(str(source))
        return original(source, *args, **kwargs)

    monkeypatch.setattr(pq, "read_table", spy)
    return read


@pytest.fixture(scope="session")
def shared_dir(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """A folder every pytest-xdist worker of this run sees: expensive fixtures are built in it once, not per worker.

    Under xdist each worker's base temp folder is a child of one common folder; without xdist it is the base itself.
    """
    base = tmp_path_factory.getbasetemp()
    folder = (base.parent if worker_id != "master" else base) / "shared"
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def small_world(shared_dir: Path) -> Path:
    """A 3,000-company world on disk, generated once per run (read-only for tests: copy before corrupting)."""
    return build_once(shared_dir, "small-world", lambda folder: generate(SMALL, folder))


@pytest.fixture(scope="session")
def labelled_world(shared_dir: Path) -> Path:
    """The 40,000-company world, generated once per run (read-only for tests: copy before changing)."""
    return build_once(shared_dir, "labelled-world", lambda folder: generate(LABELLED, folder))


@pytest.fixture(scope="session")
def trained(labelled_world: Path, shared_dir: Path) -> Trained:
    """The base registry (v1, v2 @challenger, no champion), trained once per run; tests copy its database."""
    return build_once(shared_dir, "trained-registry", lambda var: train_base(labelled_world, var))


@pytest.fixture(scope="session", autouse=True)
def registry_ahead(request: pytest.FixtureRequest, shared_dir: Path) -> Iterator[None]:
    """The first worker to start trains the base registry before its first test; any other worker goes on.

    The registry costs the better part of half a minute. Built when a test first asks for it, a second worker that
    asks meanwhile would sit idle on the lock; built ahead, that worker runs tests that do not need it. A run in
    which no test needs it (``make test-fast``, a single file) builds nothing.
    """
    if not any("trained" in item.fixturenames for item in request.session.items):
        yield
        return
    lock = FileLock(str(shared_dir / "registry-ahead.lock"))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        yield
        return
    request.getfixturevalue("trained")
    yield
    lock.release()
