"""Shared fixtures.

Fixture strategy (after yente): use the smallest world that shows the behaviour. Most tests share one
3,000-company world written once per session; statistical properties (prevalence, label bias, group base
rates, difficulty) need larger worlds and build their own, once per module. Worlds are deterministic, so
every statistical assertion here is a fixed computation, not a flaky sample.
"""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow.parquet as pq
import pytest

os.environ.setdefault("TEGENKRACHT_PROGRESS", "0")

from synth import WorldConfig, generate_world

SMALL = WorldConfig(n_companies=3_000, seed=7)


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
def small_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3,000-company world on disk (read-only for tests: copy before corrupting)."""
    out = tmp_path_factory.mktemp("worlds") / "small"
    generate_world(SMALL, out)
    return out
