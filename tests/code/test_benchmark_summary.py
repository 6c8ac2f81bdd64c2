"""The model card quotes the benchmark across worlds only for the configuration the benchmark measured."""

from __future__ import annotations

import json
from pathlib import Path

from training.fit import Hyperparameters
from training.transparency.benchmark import CONFIGURATION, across_worlds


def _summary(tmp_path: Path) -> Path:
    path = tmp_path / "benchmark.json"
    summary = {
        "configuration": Hyperparameters().as_params(),
        "worlds": 5,
        "scorers": {"model": {"ratio_100": {"mean": 0.5, "sd": 0.05}}},
    }
    path.write_text(json.dumps(summary))
    return path


def test_the_benchmarked_configuration_gets_the_figures(tmp_path: Path) -> None:
    params = {**Hyperparameters(seed=7).as_params(), "best_iteration": "120"}  # the seed is not configuration
    got = across_worlds(params, _summary(tmp_path))
    assert got["available"] and got["worlds"] == 5 and got["scorers"]["model"]["ratio_100"]["mean"] == 0.5


def test_another_configuration_is_told_what_differs(tmp_path: Path) -> None:
    params = Hyperparameters(ensemble=1, monotone=False).as_params()
    got = across_worlds(params, _summary(tmp_path))
    assert not got["available"] and got["differs"] == ["ensemble", "monotone"] and "scorers" not in got


def test_without_a_summary_nothing_is_claimed(tmp_path: Path) -> None:
    assert across_worlds(Hyperparameters().as_params(), tmp_path / "absent.json") == {"available": False, "differs": []}


def test_every_configuration_field_is_a_hyperparameter() -> None:
    assert set(CONFIGURATION) <= set(Hyperparameters().as_params())
