"""The training options issue 22 measured: seed ensembles, log-loss stopping, quarterly rows, selection, monotone."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.catalogue import BY_ID, FEATURES
from features.schemas import is_sensitive_name
from training.dataset import Fold, default_split
from training.fit import Hyperparameters, company_weights, fit_risk_model, label_weights, monotone_constraints
from training.labels import LabelError
from training.selection import MAX_WEIGHT, fit_investigation_model, investigated


def _fold(name: str, day: str, seed: int, n: int = 4000) -> Fold:
    rng = np.random.default_rng(seed)
    x = pd.DataFrame(rng.normal(size=(n, len(FEATURES))), columns=list(FEATURES))
    logit = -4.0 + 1.5 * x["domicile_address"] + 1.0 * x["linked_companies"]
    label = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype("int8")
    investigated = (label == 1) | (rng.random(n) < 0.05 + 0.1 * (x["proxy_holder_present"] > 1))
    status = np.where(label == 1, "confirmed", np.where(investigated, "dismissed", "none"))
    frame = x.assign(company_id=[f"C{i}" for i in range(n)], label=label, label_status=status)
    return Fold(name=name, as_of=pd.Timestamp(day), frame=frame)


@pytest.fixture(scope="module")
def folds() -> tuple[list[Fold], Fold]:
    train = [_fold("train", f"201{i}-12-31", i) for i in range(4, 7)]
    return train, _fold("validation", "2019-12-31", 9)


def test_an_ensemble_averages_its_members_and_stays_exactly_explained(folds: tuple[list[Fold], Fold]) -> None:
    train, validation = folds
    hp = Hyperparameters(ensemble=3, early_stopping_metric="binary_logloss", max_rounds=60)
    model, info = fit_risk_model(train, validation, hp, {})
    rounds = [int(r) for r in info["member_rounds"].split(",")]
    assert len(rounds) == 3 and model.booster.num_trees() == sum(rounds)
    contrib = model.contributions(validation.frame)
    assert np.abs(contrib.sum(axis=1) - model.score(validation.frame)).max() <= 1e-9
    single, _ = fit_risk_model(
        train, validation, Hyperparameters(early_stopping_metric="binary_logloss", max_rounds=60), {}
    )
    assert not np.allclose(single.score(validation.frame), model.score(validation.frame))  # the members differ


def test_a_company_seen_on_many_dates_weighs_one_in_total(folds: tuple[list[Fold], Fold]) -> None:
    train, _ = folds
    w = company_weights(train)
    assert np.allclose(w, 1 / 3)  # every company id appears in all three folds
    partial = [train[0], Fold("train", train[1].as_of, train[1].frame.iloc[:100])]
    w = company_weights(partial)
    assert np.allclose(w[:100], 0.5) and np.allclose(w[100 : len(train[0].frame)], 1.0)
    keep, weight = label_weights(train, Hyperparameters(label_dates="quarterly"))
    assert keep.all() and weight.mean() == pytest.approx(1.0)


def test_selection_keeps_only_investigated_rows_and_weights_them_back(folds: tuple[list[Fold], Fold]) -> None:
    train, _ = folds
    status = pd.concat([f.frame.label_status for f in train], ignore_index=True).to_numpy()
    keep, weight = label_weights(train, Hyperparameters(selection="investigated"))
    assert np.array_equal(keep, status != "none") and np.allclose(weight[keep], 1.0)
    keep, weight = label_weights(train, Hyperparameters(selection="ipw"))
    assert np.array_equal(keep, status != "none")
    assert weight[keep].mean() == pytest.approx(1.0) and weight[keep].std() > 0
    frame = pd.concat([f.frame for f in train], ignore_index=True)
    model = fit_investigation_model(frame, seed=1)
    raw = model.weights(frame)
    assert np.isfinite(raw).all() and raw.max() <= MAX_WEIGHT
    assert np.corrcoef(model.propensity(frame), investigated(frame))[0, 1] > 0  # it learned who is investigated


def test_the_propensity_model_sees_catalogue_indicators_and_nothing_sensitive(folds: tuple[list[Fold], Fold]) -> None:
    train, _ = folds
    frame = pd.concat([f.frame for f in train], ignore_index=True)
    rng = np.random.default_rng(3)
    leaky = frame.assign(  # sensitive columns that predict the investigation perfectly, were they ever read
        nationality=np.where(investigated(frame), "NL", "TR"), gender=rng.choice(["f", "m"], len(frame))
    )
    model = fit_investigation_model(leaky, seed=1)
    seen = list(model.pipeline.feature_names_in_)
    assert seen == list(FEATURES) and not [c for c in seen if is_sensitive_name(c)]
    clean = fit_investigation_model(frame, seed=1)
    assert np.array_equal(model.propensity(leaky), clean.propensity(frame))


def test_monotone_constraints_follow_the_catalogue_and_hold_in_the_fitted_model(folds: tuple[list[Fold], Fold]) -> None:
    signs = monotone_constraints()
    assert signs == [{"higher": 1, "lower": -1, "context": 0}[BY_ID[f].direction] for f in FEATURES]
    train, validation = folds
    model, _ = fit_risk_model(train, validation, Hyperparameters(monotone=True, max_rounds=60), {})
    rows = validation.frame.iloc[:200].copy()
    for name in ("domicile_address", "years_since_registration"):
        low, high = rows.copy(), rows.copy()
        low[name], high[name] = -2.0, 2.0
        delta = model.score(high) - model.score(low)
        sign = {"higher": 1, "lower": -1}[BY_ID[name].direction]
        assert (sign * delta >= -1e-12).all(), name


def test_quarterly_dates_keep_the_purge() -> None:
    window = (pd.Timestamp("2015-01-01"), pd.Timestamp("2025-12-31"))
    yearly, quarterly = default_split(window), default_split(window, every_months=3)
    assert quarterly.train[0] == yearly.train[0] and quarterly.train[-1] == yearly.train[-1]
    assert len(quarterly.train) == 13 and all(d.is_month_end and d.month % 3 == 0 for d in quarterly.train)
    assert (quarterly.validation, quarterly.test) == (yearly.validation, yearly.test)
    with pytest.raises(LabelError, match="every 3, 6 or 12"):
        default_split(window, every_months=5)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("ensemble", 0, "ensemble"),
        ("early_stopping_metric", "auc", "early_stopping_metric"),
        ("label_dates", "monthly", "label_dates"),
        ("selection", "magic", "selection"),
    ],
)
def test_unknown_options_are_refused_by_name(field: str, value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Hyperparameters(**{field: value})
