"""What the test fixtures share: a build-once-per-run helper and the worlds and registry it builds.

Kept out of the ``conftest.py`` files so that any of them, and any test module, can import it without importing
another conftest (pytest loads those itself).
"""

from __future__ import annotations

import pickle
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar, cast

import pytest
from filelock import FileLock

from core import settings
from synth import WorldConfig, generate_world
from training.fit import Hyperparameters
from training.run import TrainResult, train

T = TypeVar("T")
SMALL = WorldConfig(n_companies=3_000, seed=7)
#: About a dozen confirmed cases per fold: few, as in the real register, but enough to fit, calibrate and compare.
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


def generate(config: WorldConfig, folder: Path) -> Path:
    """A world in ``folder/world``."""
    generate_world(config, folder / "world")
    return folder / "world"


def train_base(world: Path, var: Path) -> Trained:
    """v1 with the default settings (its fairness audit passes); v2 a stump without ``sensitive/``, so no audit."""
    with pytest.MonkeyPatch.context() as mp:
        point_at(mp, var, var / "mlflow.db")
        v1 = train(world)
        v2 = train(without_sensitive(world, var / "no-sensitive"), hp=STUMP)
    return Trained(world, var, v1, v2)


def without_sensitive(world: Path, out: Path) -> Path:
    """The same records without the sensitive tables (the indicator cache is shared: same record tables)."""
    shutil.copytree(world, out, ignore=shutil.ignore_patterns("sensitive"))
    return out


def point_at(mp: pytest.MonkeyPatch, var: Path, db: Path) -> None:
    """Settings for a registry in ``db`` with its artifacts and caches under ``var``."""
    mp.setattr(settings, "VAR_DIR", var)
    mp.setattr(settings, "MLFLOW_TRACKING_URI", f"sqlite:///{db}")
    mp.setattr(settings, "OVERSIGHT_APPROVERS", frozenset({APPROVER}))
    mp.delenv("MLFLOW_TRACKING_URI", raising=False)
    mp.delenv("MLFLOW_RUN_ID", raising=False)
