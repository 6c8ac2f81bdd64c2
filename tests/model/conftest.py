"""Fixtures for training and promotion: a world with enough confirmed cases, and isolated MLflow registries.

A 40,000-company world gives each fold about a dozen confirmed cases: few, as in the real register, but enough to
fit, calibrate and compare. Two versions are trained once per session into a base registry: v1 with the default
settings (its fairness audit passes), v2 a one-split stump that must lose the quality gate, trained on the same
records without ``sensitive/`` so that it has no fairness audit at all, as for an extract that lacks those
tables. The world and the registry are built once per test run, by whichever pytest-xdist worker needs them first
(``tests.conftest.build_once``); every test that changes the registry gets its own copy of that registry's
database, so tests never depend on each other's order or on which worker they run in.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from core import settings
from synth import WorldConfig, generate_world
from tests.conftest import build_once
from training.fit import Hyperparameters
from training.run import TrainResult, train

LABELLED = WorldConfig(n_companies=40_000, seed=11)
APPROVER = "A. de Vries"
STUMP = Hyperparameters(max_depth=1, num_leaves=2, max_rounds=1)


@dataclass
class Trained:
    """The base registry and the two training results in it."""

    world: Path
    var: Path
    v1: TrainResult
    v2: TrainResult


@pytest.fixture(scope="session")
def labelled_world(shared_dir: Path) -> Path:
    """Generated once per test run, whichever worker asks first (read-only for tests: copy before changing)."""
    return build_once(shared_dir, "labelled-world", lambda folder: _generate(LABELLED, folder))


def _generate(config: WorldConfig, folder: Path) -> Path:
    generate_world(config, folder / "world")
    return folder / "world"


@pytest.fixture(scope="session")
def trained(labelled_world: Path, shared_dir: Path) -> Trained:
    """Trained once per test run and shared by every worker; tests get private copies of its registry."""
    return build_once(shared_dir, "trained-registry", lambda var: _train_base(labelled_world, var))


def _train_base(world: Path, var: Path) -> Trained:
    with pytest.MonkeyPatch.context() as mp:
        _point_at(mp, var, var / "mlflow.db")
        v1 = train(world)
        v2 = train(_without_sensitive(world, var / "no-sensitive"), hp=STUMP)
    return Trained(world, var, v1, v2)


def _without_sensitive(world: Path, out: Path) -> Path:
    """The same records without the sensitive tables (the indicator cache is shared: same record tables)."""
    shutil.copytree(world, out, ignore=shutil.ignore_patterns("sensitive"))
    return out


@pytest.fixture
def registry(trained: Trained, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Trained:
    """A private copy of the base registry (v1, v2 @challenger, no champion)."""
    db = tmp_path / "mlflow.db"
    shutil.copy(trained.var / "mlflow.db", db)
    _point_at(monkeypatch, trained.var, db)
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


def _point_at(mp: pytest.MonkeyPatch, var: Path, db: Path) -> None:
    mp.setattr(settings, "VAR_DIR", var)
    mp.setattr(settings, "MLFLOW_TRACKING_URI", f"sqlite:///{db}")
    mp.setattr(settings, "OVERSIGHT_APPROVERS", frozenset({APPROVER}))
    mp.delenv("MLFLOW_TRACKING_URI", raising=False)
    mp.delenv("MLFLOW_RUN_ID", raising=False)
