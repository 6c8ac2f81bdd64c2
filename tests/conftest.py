"""Shared fixtures.

Fixture strategy (after yente): use the smallest world that shows the behaviour. Most tests share one
3,000-company world written once per session; statistical properties (prevalence, label bias, group base
rates, difficulty) need larger worlds and build their own, once per module. Worlds are deterministic, so
every statistical assertion here is a fixed computation, not a flaky sample.
"""

from __future__ import annotations

import os
import pickle
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar, cast

import pyarrow.parquet as pq
import pytest
from filelock import FileLock

os.environ.setdefault("TEGENKRACHT_PROGRESS", "0")

from core.telemetry import disable_telemetry
from synth import WorldConfig, generate_world

disable_telemetry()  # the test run is a process of ours too: its MLflow and Evidently phone nobody

SMALL = WorldConfig(n_companies=3_000, seed=7)
T = TypeVar("T")


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
def small_world(shared_dir: Path) -> Path:
    """A 3,000-company world on disk, generated once per run (read-only for tests: copy before corrupting)."""
    return build_once(shared_dir, "small-world", _small)


def _small(folder: Path) -> Path:
    generate_world(SMALL, folder / "small")
    return folder / "small"


@pytest.fixture(scope="session")
def shared_dir(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """A folder every pytest-xdist worker of this run sees: expensive fixtures are built in it once, not per worker.

    Under xdist each worker's base temp folder is a child of one common folder; without xdist it is the base itself.
    """
    base = tmp_path_factory.getbasetemp()
    folder = (base.parent if worker_id != "master" else base) / "shared"
    folder.mkdir(exist_ok=True)
    return folder


def build_once(shared: Path, name: str, build: Callable[[Path], T]) -> T:
    """Run ``build(folder)`` once per test run under a file lock; every other worker waits and gets its result.

    The result is pickled beside what the builder wrote, so a fixture such as a trained registry (files plus the
    Python objects describing them) is shared whole. A builder that raises leaves nothing behind, so the next worker
    tries again and fails the same way, in its own tests.
    """
    folder, done = shared / name, shared / f"{name}.pickle"
    with FileLock(str(shared / f"{name}.lock")):
        if done.exists():
            with done.open("rb") as handle:
                return cast(T, pickle.load(handle))
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        try:
            result = build(folder)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        tmp = done.with_suffix(".tmp")
        with tmp.open("wb") as handle:
            pickle.dump(result, handle)
        tmp.rename(done)
        return result
