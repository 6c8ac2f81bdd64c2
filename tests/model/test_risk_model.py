"""RiskModel: exact contributions, monotone calibration, plain-file round trip, and no sensitive inputs."""

from __future__ import annotations

from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from models.risk import SHAP_PREFIX, Calibrator, ModelInputError, RiskModel
from training.fit import fit_calibrator

FEATURES = ("a_indicator", "b_indicator", "c_indicator")


def _model(features: tuple[str, ...] = FEATURES) -> RiskModel:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(3000, len(features)))
    x[rng.random(x.shape) < 0.1] = np.nan
    y = (np.nan_to_num(x[:, 0]) + rng.normal(size=3000) > 1.5).astype(int)
    booster = lgb.train(
        {"objective": "binary", "max_depth": 3, "num_leaves": 7, "verbosity": -1, "seed": 1},
        lgb.Dataset(x, y, feature_name=list(features)),
        30,
    )
    calibrator = fit_calibrator(booster.predict(x, raw_score=True), y, "platt")
    return RiskModel(booster, calibrator, features, {"trained": "test"})


def _rows(n: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(4)
    frame = pd.DataFrame(rng.normal(size=(n, 3)), columns=list(FEATURES))
    frame.iloc[::7, 1] = np.nan
    return frame


def test_contributions_add_up_to_the_score() -> None:
    out = _model().predict_frame(_rows())
    shap = out[[SHAP_PREFIX + f for f in FEATURES]].sum(axis=1) + out.base_value
    assert np.abs(shap - out.score).max() <= 1e-9


def test_probability_is_monotone_in_score() -> None:
    out = _model().predict_frame(_rows()).sort_values("score")
    assert (np.diff(out.probability.to_numpy()) >= 0).all()


def test_save_and_load_give_identical_outputs(tmp_path: Path) -> None:
    model = _model()
    model.save(tmp_path / "m")
    loaded = RiskModel.load(tmp_path / "m")
    pd.testing.assert_frame_equal(model.predict_frame(_rows()), loaded.predict_frame(_rows()))
    assert loaded.metadata == {"trained": "test"}
    assert not list((tmp_path / "m").glob("*.pkl")), "plain files, no pickles"


def test_column_order_and_extra_columns_do_not_matter() -> None:
    model, rows = _model(), _rows()
    shuffled = rows[list(reversed(FEATURES))].assign(company_id="x")
    assert np.array_equal(model.score(rows), model.score(shuffled))


def test_missing_or_non_numeric_columns_are_named() -> None:
    model = _model()
    with pytest.raises(ModelInputError, match="b_indicator"):
        model.score(_rows().drop(columns="b_indicator"))
    with pytest.raises(ModelInputError, match="c_indicator"):
        model.score(_rows().assign(c_indicator="high"))


def test_a_model_on_sensitive_attributes_cannot_exist() -> None:
    with pytest.raises(ModelInputError, match="sensitive"):
        _model(("a_indicator", "director_gender", "c_indicator"))


def test_platt_recovers_a_known_calibration() -> None:
    rng = np.random.default_rng(5)
    s = rng.normal(-3, 2, 200_000)
    y = (rng.random(len(s)) < 1 / (1 + np.exp(-(0.5 * s - 1)))).astype(int)
    cal = fit_calibrator(s, y, "platt")
    assert cal.slope == pytest.approx(0.5, abs=0.02)
    assert cal.intercept == pytest.approx(-1, abs=0.05)


def test_auto_calibration_picks_isotonic_only_with_enough_positives() -> None:
    rng = np.random.default_rng(6)
    s = rng.normal(size=50_000)
    many = (rng.random(len(s)) < 1 / (1 + np.exp(-s))).astype(int)
    few = np.zeros(len(s), dtype=int)
    few[np.argsort(s)[-50:]] = 1
    assert fit_calibrator(s, many).method == "isotonic"
    assert fit_calibrator(s, few).method == "platt"
    iso = fit_calibrator(s, many, "isotonic")
    assert Calibrator.from_dict(iso.to_dict()) == iso


def test_calibration_needs_both_outcomes() -> None:
    with pytest.raises(ValueError, match="both outcomes"):
        fit_calibrator(np.arange(10.0), np.zeros(10, dtype=int))
