"""Fixtures for training and promotion: isolated copies of the base registry, and a registry that goes away.

The base registry (``trained`` in ``tests/conftest.py``, built once per run) holds v1 with the default settings
(its fairness audit passes) and v2, a one-split stump that must lose the quality gate, trained on the same records
without ``sensitive/`` so that it has no fairness audit at all, as for an extract that lacks those tables. Every
test that changes the registry gets its own copy of its database, so tests never depend on each other's order or
on which worker they run in.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest

from tests.shared import Trained, point_at


@pytest.fixture
def registry(trained: Trained, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Trained:
    """A private copy of the base registry (v1, v2 @challenger, no champion)."""
    db = tmp_path / "mlflow.db"
    shutil.copy(trained.var / "mlflow.db", db)
    point_at(monkeypatch, trained.var, db)
    return trained


@pytest.fixture
def alias_outage(monkeypatch: pytest.MonkeyPatch) -> Callable[[], AbstractContextManager[object]]:
    """A context in which every alias move fails, as when the registry goes away mid-change."""
    from mlflow import MlflowClient

    def broken(*_args: object, **_kwargs: object) -> None:
        raise ConnectionError("registry went away")

    @contextmanager
    def outage() -> Iterator[object]:
        with monkeypatch.context() as patched, pytest.raises(ConnectionError):
            patched.setattr(MlflowClient, "set_registered_model_alias", broken)
            yield None

    return outage
