"""A training run end to end: what it logs, what it registers, and what it never does."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import traceback
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from core import settings
from features.catalogue import FEATURES
from features.schemas import is_sensitive_name
from models.risk import SHAP_PREFIX
from tegenkracht.cli import app
from tests.shared import STUMP, Trained, point_at
from training import registry as reg
from training.dataset import feature_matrix
from training.run import TrainResult, train
from training.transparency.benchmark import read_summary

pytestmark = pytest.mark.slow


def _client() -> Any:
    return reg.client()


def test_a_run_logs_everything_and_registers_a_challenger(registry: Trained) -> None:
    c = _client()
    assert registry.v1.version == "1" and registry.v2.version == "2"
    assert str(c.get_model_version_by_alias("tegenkracht-risk", "challenger").version) == "2"
    assert reg.alias_version("champion") is None, "training never names a champion"
    run = c.get_run(registry.v1.run_id)
    assert run.data.params["catalogue_version"] and len(run.data.params["input_fingerprint"]) == 64
    for metric in (
        "test.model.observed.pr_auc",
        "test.model.observed.brier",
        "test.model.truth.oracle_ratio_at_100",
        "test.logistic.observed.precision_at_50",
        "test.checklist.truth.recall_at_500",
    ):
        assert metric in run.data.metrics, metric
    stored = {f.path for f in c.list_artifacts(registry.v1.run_id)}
    stored |= {f.path for d in ("plots", "evaluation", "drift") for f in c.list_artifacts(registry.v1.run_id, d)}
    for path in (
        "plots/pr_observed.png",
        "plots/pr_truth.png",
        "plots/calibration.png",
        "plots/shap_summary.png",
        reg.EVALUATION_ARTIFACT,
        reg.DRIFT_ARTIFACT,
    ):
        assert path in stored, path


def test_the_model_beats_the_checklist_against_ground_truth(registry: Trained) -> None:
    r = registry.v1.results
    assert r["model.truth"]["pr_auc"] > r["checklist.truth"]["pr_auc"]
    assert 0 < r["model.truth"]["oracle_ratio_at_100"] < 1


def test_the_headline_sets_one_run_beside_the_benchmark_over_many_worlds(registry: Trained) -> None:
    head = registry.v1.headline()
    truth = registry.v1.results
    assert head["oracle_ratio"] == {
        s: {f"k={k}": round(truth[f"{s}.truth"][f"oracle_ratio_at_{k}"], 3) for k in (50, 100, 500)}
        for s in ("model", "logistic", "checklist")
    }
    summary = read_summary()
    assert summary is not None, "training/transparency/benchmark.json ships with the package"
    model = summary["scorers"]["model"]["ratio_100"]
    assert head["across_worlds"]["oracle_ratio_at_100"]["model"] == f"{model['mean']:.3f} ± {model['sd']:.3f}"
    assert head["across_worlds"]["worlds"] == summary["worlds"] >= 5
    stump = registry.v2.headline()["across_worlds"]
    assert stump["available"] is False and "num_leaves" in stump["differs"], "another configuration quotes nothing"


@dataclass
class Retrained:
    """Another run on v1's records and seed, from an empty indicator cache, with every Parquet read it made."""

    result: TrainResult
    reads: list[tuple[str, list[str]]]


@pytest.fixture(scope="module")
def retrained(trained: Trained, tmp_path_factory: pytest.TempPathFactory) -> Retrained:
    """One run that two tests read: it must give v1's model, and only its fairness audit may read sensitive/."""
    tmp = tmp_path_factory.mktemp("retrained")
    shutil.copy(trained.var / "mlflow.db", tmp / "mlflow.db")
    reads: list[tuple[str, list[str]]] = []
    original = pq.read_table

    def spy(source: object, *args: object, **kwargs: object) -> object:
        reads.append((str(source), [f.filename for f in traceback.extract_stack()]))
        return original(source, *args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        point_at(mp, trained.var, tmp / "mlflow.db")
        mp.setattr(pq, "read_table", spy)
        mp.setattr(settings, "VAR_DIR", tmp)  # an empty indicator cache: records are read and validated
        result = train(trained.world, register=False)
    return Retrained(result, reads)


def test_same_data_and_seed_give_the_same_model(registry: Trained, retrained: Retrained) -> None:
    again = retrained.result  # from an empty cache, so freshly computed indicators give it too
    assert again.model.booster.model_to_string() == registry.v1.model.booster.model_to_string()
    assert again.results == registry.v1.results


def test_the_registered_pyfunc_answers_with_explanations(registry: Trained) -> None:
    import mlflow.pyfunc

    rows = pd.read_parquet(reg.run_artifact(reg.resolve("1"), reg.EVALUATION_ARTIFACT)).head(50)
    pyfunc = mlflow.pyfunc.load_model("models:/tegenkracht-risk/1")
    out = pyfunc.predict(rows[list(FEATURES)])
    assert list(out.columns[:3]) == ["score", "probability", "base_value"]
    shap = out[[SHAP_PREFIX + f for f in FEATURES]].sum(axis=1) + out.base_value
    assert np.abs(shap - out.score).max() <= 1e-9
    direct = registry.v1.model.predict_frame(rows).reset_index(drop=True)
    pd.testing.assert_frame_equal(out, direct)


FRESH_PROCESS = """
import importlib.abc, json, sys
from pathlib import Path

ABSENT = {"synth", "tegenkracht", "training", "serving", "fairness"}

class Absent(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ABSENT:
            raise ModuleNotFoundError(f"{name} is not installed here", name=name)
        return None

sys.meta_path.insert(0, Absent())
import mlflow.pyfunc
import pandas as pd

rows = pd.read_parquet(sys.argv[1])
out = mlflow.pyfunc.load_model("models:/tegenkracht-risk/1").predict(rows)
ours = {m.split(".")[0]: str(Path(sys.modules[m].__file__).resolve()) for m in ("core", "features", "models")}
loaded = sorted({m.split(".")[0] for m in sys.modules} & (ABSENT | set(ours)))
print(json.dumps({"out": out.to_dict(orient="list"), "from": ours, "loaded": loaded}))
"""


def test_a_registered_model_explains_a_row_where_neither_simulator_nor_cli_exists(
    registry: Trained, tmp_path: Path
) -> None:
    """The model's code paths hold what its pyfunc imports, and nothing else: it loads without synth or the CLI."""
    rows = pd.read_parquet(reg.run_artifact(reg.resolve("1"), reg.EVALUATION_ARTIFACT)).head(3)[list(FEATURES)]
    rows.to_parquet(tmp_path / "rows.parquet")
    env = {**os.environ, "MLFLOW_TRACKING_URI": settings.MLFLOW_TRACKING_URI}
    done = subprocess.run(
        [sys.executable, "-c", FRESH_PROCESS, str(tmp_path / "rows.parquet")],
        cwd=tmp_path,  # not the repository: nothing of ours is importable from the working directory
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    repo = Path(__file__).resolve().parents[2]
    for package, file in answer["from"].items():  # every package of ours came from the model's code paths
        assert not Path(file).is_relative_to(repo), f"{package} was imported from the repository: {file}"
    assert answer["loaded"] == ["core", "features", "models"]
    out = pd.DataFrame(answer["out"])
    shap = out[[SHAP_PREFIX + f for f in FEATURES]].sum(axis=1) + out.base_value
    assert np.abs(shap - out.score).max() <= 1e-9
    direct = registry.v1.model.predict_frame(rows).reset_index(drop=True)
    np.testing.assert_allclose(out.score.to_numpy(), direct.score.to_numpy(), rtol=0, atol=1e-12)


def test_models_read_the_catalogue_and_nothing_sensitive(registry: Trained) -> None:
    model = reg.load(reg.resolve("1"))
    assert model.features == FEATURES
    assert not [f for f in model.features if is_sensitive_name(f)]
    frame = pd.DataFrame({f: [0.0] for f in FEATURES}).assign(director_gender=1.0, truth_involved=True, label=1)
    assert list(feature_matrix(frame).columns) == list(FEATURES)


def test_training_reads_the_sensitive_tables_only_for_its_fairness_audit(retrained: Retrained) -> None:
    reads = retrained.reads
    assert [p for p, _ in reads if "officers" in p], "the records were read"
    sensitive = [(p, stack) for p, stack in reads if "sensitive" in Path(p).parts]
    assert sensitive, "the test fold's fairness audit reads them"
    for path, stack in sensitive:
        assert any(f.endswith("fairness/groups.py") for f in stack), path
        assert not any(f.endswith(("features/pipeline.py", "training/fit.py")) for f in stack), path


def test_a_fresh_process_reproduces_the_model(registry: Trained, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "TEGENKRACHT_"))}
    # the indicator tables the base run cached: this run's own indicators from records are covered by `retrained`
    shutil.copytree(registry.var / "indicators" / "cache", tmp_path / "indicators" / "cache")
    env |= {
        "TEGENKRACHT_VAR_DIR": str(tmp_path),
        "TEGENKRACHT_PROGRESS": "0",
        "TEGENKRACHT_MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}",
    }
    cmd = [sys.executable, "-m", "tegenkracht", "train", "--data", str(registry.world), "--no-register", "--json"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    fresh = json.loads(proc.stdout)
    expected = json.loads(json.dumps(registry.v1.headline(), default=str))
    for key in ("model.observed", "model.truth", "logistic.observed", "trees", "brier", "calibration"):
        assert fresh[key] == expected[key], key
    assert fresh["model_version"] is None


def test_a_failed_alias_move_leaves_champion_and_challenger_alone(
    registry: Trained, alias_outage: Callable[[], AbstractContextManager[object]]
) -> None:
    with alias_outage():
        train(registry.world, hp=STUMP)  # any model will do: what is tested is the registry, not the model
    c = _client()
    assert len(c.search_model_versions("name='tegenkracht-risk'")) == 3, "the version exists, without an alias"
    assert not c.get_model_version("tegenkracht-risk", "3").aliases
    assert str(c.get_model_version_by_alias("tegenkracht-risk", "challenger").version) == "2"


def test_a_failed_run_changes_no_alias_and_registers_nothing(
    registry: Trained, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = _client()
    versions_before = len(c.search_model_versions("name='tegenkracht-risk'"))

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr("training.run.evaluate", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        train(registry.world, hp=STUMP)
    assert len(c.search_model_versions("name='tegenkracht-risk'")) == versions_before
    assert str(c.get_model_version_by_alias("tegenkracht-risk", "challenger").version) == "2"
    assert reg.alias_version("champion") is None
    runs = c.search_runs(
        [c.get_experiment_by_name("tegenkracht-training").experiment_id],
        order_by=["attributes.start_time DESC"],
        max_results=1,
    )
    assert runs[0].info.status == "FAILED"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--train-as-of", "2019-12-31", "--validation-as-of", "2019-12-31", "--test-as-of", "2021-12-31"],
            "must increase",
        ),
        (["--test-as-of", "2021-12-31"], "together"),
        (
            ["--train-as-of", "2019-13-31", "--validation-as-of", "2020-12-31", "--test-as-of", "2022-12-31"],
            "not a date",
        ),
        (["--max-depth", "3", "--num-leaves", "31"], "num_leaves"),
    ],
)
def test_cli_train_refuses_bad_options_with_exit_2(registry: Trained, args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["train", "--data", str(registry.world), *args])
    assert result.exit_code == 2, result.output
    assert message in result.output.replace("\n", " ")


def test_cli_train_without_records_exits_2(tmp_path: pytest.TempPathFactory) -> None:
    result = CliRunner().invoke(app, ["train", "--data", str(tmp_path)])
    assert result.exit_code == 2
    assert "cases.parquet" in result.output


def test_cli_evaluate_a_registered_version(registry: Trained) -> None:
    result = CliRunner().invoke(
        app, ["evaluate", "--data", str(registry.world), "--as-of", "2021-12-31", "--model", "1", "--json"]
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    # the same fold as the training run's test fold, so the same figures
    assert payload["model.observed"]["pr_auc"] == round(registry.v1.results["model.observed"]["pr_auc"], 4)
    assert "checklist.truth" in payload
    runs = reg.client().search_runs([reg.client().get_experiment_by_name("tegenkracht-evaluation").experiment_id])
    assert runs[0].data.params["model_version"] == "1"


def test_cli_evaluate_unknown_model_or_unlabelled_date_exits_2(registry: Trained) -> None:
    unknown = CliRunner().invoke(
        app, ["evaluate", "--data", str(registry.world), "--as-of", "2021-12-31", "--model", "champion"]
    )
    assert unknown.exit_code == 2 and "no model version" in unknown.output
    late = CliRunner().invoke(app, ["evaluate", "--data", str(registry.world), "--as-of", "2024-12-31", "--model", "1"])
    assert late.exit_code == 2 and "after the data ends" in late.output.replace("\n", " ")


def test_in_sample_evaluations_are_flagged() -> None:
    from training.run import in_sample_note

    tags = {"validation_as_of": "2019-12-31", "horizon_months": "24"}
    assert in_sample_note(tags, pd.Timestamp("2021-12-31")) is None, "the first unseen day is out of sample"
    assert "in-sample" in (in_sample_note(tags, pd.Timestamp("2020-12-31")) or "")
    assert "unknown" in (in_sample_note({}, pd.Timestamp("2021-12-31")) or "")


def test_a_stratified_sample_keeps_every_positive_and_weighs_the_negatives_back() -> None:
    from training.fit import Hyperparameters, stratified_sample

    rng = np.random.default_rng(3)
    y = (rng.random(200_000) < 0.004).astype(np.int64)
    x = pd.DataFrame({"a": rng.random(len(y))})
    xs, ys, weight = stratified_sample(x, y, 0.1, seed=5)
    assert weight is not None
    assert ys.sum() == y.sum() and len(xs) == len(ys) == len(weight)
    negatives = int((ys == 0).sum())
    assert abs(negatives / (y == 0).sum() - 0.1) < 0.005
    assert set(weight[ys == 1]) == {1.0} and set(weight[ys == 0]) == {10.0}
    assert abs(weight.sum() - len(y)) / len(y) < 0.02  # the weighted sample stands for the whole set
    same = stratified_sample(x, y, 0.1, seed=5)
    assert (same[1] == ys).all()  # seeded: the same rows every run
    assert stratified_sample(x, y, 1.0, seed=5)[2] is None
    with pytest.raises(ValueError, match="negative_share"):
        Hyperparameters(negative_share=0.0)
