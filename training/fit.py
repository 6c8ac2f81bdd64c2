"""Fit the LightGBM risk model, calibrate it out of time, and fit the logistic-regression baseline.

Choices, and why:

* Small, regularised trees (15 leaves, ``max_depth`` 4, at least 200 rows per leaf, L2 10): exact SHAP costs
  grow with depth, and with about 1 confirmed case per 1,000 companies per horizon, a few hundred positives is
  all a training set holds, so deeper trees learn noise (docs/model.md has the comparison).
* Class imbalance is handled deliberately, by *not* reweighting: the metrics that matter are rankings (top k per
  region) and calibrated probabilities. Up-weighting positives (``pos_weight`` ``sqrt`` or ``balanced``) was
  measured to lower average precision on the validation fold and to stop early after a handful of trees, and it
  distorts probabilities that calibration must then undo. The options stay for worlds with more labels.
* Calibration is fitted on the validation fold, which lies after every training fold: Platt scaling (two
  parameters) when that fold has fewer than ``ISOTONIC_MIN_POSITIVES`` positives, isotonic regression otherwise.
  Both are monotone, so calibration never changes a ranking.
* ``deterministic`` LightGBM with a fixed seed and column-wise histograms: the same data and seed give the same
  trees on the same machine and thread count (LightGBM promises no more).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Literal

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.impute import SimpleImputer
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from features.catalogue import BY_ID, FEATURES
from models.ensemble import average_boosters
from models.risk import CalibrationMethod, Calibrator, RiskModel
from training.dataset import Fold, feature_matrix
from training.selection import fit_investigation_model, investigated

ISOTONIC_MIN_POSITIVES = 200
PosWeight = Literal["none", "sqrt", "balanced"]
StopMetric = Literal["average_precision", "binary_logloss"]
LabelDates = Literal["yearly", "quarterly"]
Selection = Literal["none", "investigated", "ipw"]


@dataclass(frozen=True)
class Hyperparameters:
    """Everything that shapes the fitted model; logged as MLflow parameters."""

    num_leaves: int = 15
    max_depth: int = 4
    learning_rate: float = 0.05
    max_rounds: int = 1000
    early_stopping_rounds: int = 50
    min_child_samples: int = 200
    feature_fraction: float = 0.8
    bagging_fraction: float = 0.8
    lambda_l2: float = 10.0
    pos_weight: PosWeight = "none"
    calibration: Literal["auto", "platt", "isotonic"] = "auto"
    seed: int = 20261128
    num_threads: int = 0
    # Share of the negative training rows kept (every positive is kept; kept negatives weigh 1/share). Below 1 it
    # is how a register too large for one node's memory still trains on one node: docs/scaling.md measures it.
    negative_share: float = 1.0
    # Indicators the model may not use (a mitigation for a proxy the fairness audit named). They stay in the
    # model's signature, so scoring and explanations need no change, but never reach a split: their SHAP is 0.
    exclude: tuple[str, ...] = ()
    # Boosters averaged in log-odds, each with its own bagging seed (seed, seed + 1, ...): one booster fitted on a
    # few hundred positives depends on its seed; the average hardly does (models/ensemble.py keeps SHAP exact).
    ensemble: int = 5
    # What early stopping watches on the validation fold. Average precision over ~200 positives jumps with one
    # case; the log-loss moves with every row.
    early_stopping_metric: StopMetric = "binary_logloss"
    # As-of dates of the training rows: every year-end, or every quarter-end (each company then weighs 1 in
    # total, however many dates it is seen on). Only the split decides the dates; this records which was asked.
    label_dates: LabelDates = "yearly"
    # Which training rows count and how (training/selection.py): all rows, investigated rows only, or those
    # weighted by the inverse of their estimated chance of investigation.
    selection: Selection = "none"
    # Hold every indicator to its catalogued direction ("higher" may only raise the score, "lower" only lower it,
    # "context" either way): a prior that costs variance nothing, and an explanation that never contradicts
    # the catalogue.
    monotone: bool = True

    def __post_init__(self) -> None:
        unknown = [f for f in self.exclude if f not in FEATURES]
        if unknown:
            raise ValueError(f"cannot exclude unknown indicator(s) {unknown}")
        if not 1 <= self.max_depth <= 12:
            raise ValueError("max_depth must be between 1 and 12: explanation cost grows with depth")
        if self.pos_weight not in ("none", "sqrt", "balanced"):
            raise ValueError(f"pos_weight must be none, sqrt or balanced, not {self.pos_weight!r}")
        if self.calibration not in ("auto", "platt", "isotonic"):
            raise ValueError(f"calibration must be auto, platt or isotonic, not {self.calibration!r}")
        if not 0.0 < self.negative_share <= 1.0:
            raise ValueError(f"negative_share must be in (0, 1], not {self.negative_share}")
        if not 1 <= self.ensemble <= 50:
            raise ValueError(f"ensemble must be between 1 and 50 boosters, not {self.ensemble}")
        if self.early_stopping_metric not in ("average_precision", "binary_logloss"):
            raise ValueError(
                f"early_stopping_metric must be average_precision or binary_logloss, not {self.early_stopping_metric!r}"
            )
        if self.label_dates not in ("yearly", "quarterly"):
            raise ValueError(f"label_dates must be yearly or quarterly, not {self.label_dates!r}")
        if self.selection not in ("none", "investigated", "ipw"):
            raise ValueError(f"selection must be none, investigated or ipw, not {self.selection!r}")
        if self.num_leaves > 2**self.max_depth:
            raise ValueError(f"num_leaves {self.num_leaves} exceeds 2**max_depth = {2**self.max_depth}")

    def as_params(self) -> dict[str, str]:
        """For MLflow."""
        out = {k: str(v) for k, v in asdict(self).items()}
        out["exclude"] = ",".join(self.exclude)
        return out


def stack(folds: list[Fold]) -> tuple[pd.DataFrame, np.ndarray]:
    """Rows of several folds: the indicator matrix and the labels."""
    frames = [f.frame for f in folds]
    x = pd.concat([feature_matrix(f) for f in frames], ignore_index=True)
    y = np.concatenate([f["label"].to_numpy() for f in frames])
    return x, y


def company_weights(folds: list[Fold]) -> np.ndarray:
    """1 / (rows of the same company), so a company seen on many as-of dates weighs 1 in total, like any other."""
    ids = pd.concat([f.frame["company_id"] for f in folds], ignore_index=True)
    return np.asarray(1.0 / ids.map(ids.value_counts()).to_numpy(np.float64))


def label_weights(train: list[Fold], hp: Hyperparameters) -> tuple[np.ndarray, np.ndarray]:
    """Which training rows the booster sees and their weights, as ``hp.label_dates`` and ``hp.selection`` ask.

    The indicator columns are stacked again only when a selection model needs them: at 2.5M rows that copy is
    most of a gigabyte the default run does not need.
    """
    rows = sum(len(f.frame) for f in train)
    keep = np.ones(rows, dtype=bool)
    weight = company_weights(train) if hp.label_dates == "quarterly" else np.ones(rows)
    if all("label_weight" in f.frame.columns for f in train):  # outcomes of the system's own lists: 1/π
        weight = weight * np.concatenate([f.frame["label_weight"].to_numpy(np.float64) for f in train])
    if hp.selection != "none":
        frame = pd.concat([f.frame[["company_id", "label_status", *FEATURES]] for f in train], ignore_index=True)
        keep = investigated(frame)
        if hp.selection == "ipw":
            weight = weight * fit_investigation_model(frame, hp.seed).weights(frame)
    return keep, weight / weight[keep].mean()


def stratified_sample(
    x: pd.DataFrame, y: np.ndarray, share: float, seed: int
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray | None]:
    """Every positive and a seeded ``share`` of the negatives, weighted 1/share so the loss keeps its balance.

    Validation, early stopping and calibration still see the whole validation fold, so probabilities stay
    calibrated to the register as it is, not to the sample.
    """
    if share >= 1.0:
        return x, y, None
    keep = sample_mask(y, share, seed)
    weight = np.where(y[keep] == 1, 1.0, 1.0 / share)
    return x[keep].reset_index(drop=True), y[keep], weight


def positive_weight(y: np.ndarray, how: PosWeight) -> float:
    """The weight of a positive row relative to a negative one."""
    pos = max(int(y.sum()), 1)
    ratio = (len(y) - pos) / pos
    return {"none": 1.0, "sqrt": float(np.sqrt(ratio)), "balanced": float(ratio)}[how]


def monotone_constraints() -> list[int]:
    """+1, -1 or 0 per indicator, in model order, from the catalogue's ``direction``."""
    sign = {"higher": 1, "lower": -1, "context": 0}
    return [sign[BY_ID[name].direction] for name in FEATURES]


def lgb_params(hp: Hyperparameters, y: np.ndarray) -> dict[str, Any]:
    """LightGBM's parameters for these hyperparameters and labels (the labels set the positive weight)."""
    return {
        "objective": "binary",
        "metric": hp.early_stopping_metric,
        "num_leaves": hp.num_leaves,
        "max_depth": hp.max_depth,
        "learning_rate": hp.learning_rate,
        "min_child_samples": hp.min_child_samples,
        "feature_fraction": hp.feature_fraction,
        "bagging_fraction": hp.bagging_fraction,
        "bagging_freq": 1,
        "lambda_l2": hp.lambda_l2,
        "scale_pos_weight": positive_weight(y, hp.pos_weight),
        **({"monotone_constraints": monotone_constraints()} if hp.monotone else {}),
        "seed": hp.seed,
        "deterministic": True,
        "force_col_wise": True,
        "num_threads": hp.num_threads,
        "verbosity": -1,
    }


def fit_booster(train: list[Fold], validation: Fold, hp: Hyperparameters) -> tuple[lgb.Booster, dict[str, Any]]:
    """LightGBM with early stopping on the validation fold; ``hp.ensemble`` boosters averaged into one."""
    x, y = stack(train)
    if y.sum() == 0:
        raise ValueError("the training folds hold no confirmed case: nothing to learn from")
    params = lgb_params(hp, y)  # the positive weight from the register's balance, not the sample's
    keep, row_weight = label_weights(train, hp)
    x, y, row_weight = x[keep].reset_index(drop=True), y[keep], row_weight[keep]
    if hp.negative_share < 1.0:
        sampled = sample_mask(y, hp.negative_share, hp.seed)
        x, y = x[sampled].reset_index(drop=True), y[sampled]
        row_weight = row_weight[sampled] * np.where(y == 1, 1.0, 1.0 / hp.negative_share)
    xv, yv = stack([validation])
    for name in hp.exclude:  # unknown everywhere: LightGBM finds no split on a column without values
        x[name] = np.nan
        xv[name] = np.nan
    weight = None if np.all(row_weight == 1.0) else row_weight
    boosters, rounds = [], []
    for member in range(hp.ensemble):
        booster, best = _one_booster({**params, "seed": hp.seed + member}, x, y, weight, xv, yv, hp)
        boosters.append(booster)
        rounds.append(best)
    info = {
        "best_iteration": int(np.max(rounds)),
        "member_rounds": ",".join(map(str, rounds)),
        "scale_pos_weight": params["scale_pos_weight"],
        "training_rows": len(y),
    }
    return average_boosters(boosters), info


def sample_mask(y: np.ndarray, share: float, seed: int) -> np.ndarray:
    """Every positive and a seeded ``share`` of the negatives."""
    return (y == 1) | (np.random.default_rng(seed).random(len(y)) < share)


def _one_booster(
    params: dict[str, Any],
    x: pd.DataFrame,
    y: np.ndarray,
    weight: np.ndarray | None,
    xv: pd.DataFrame,
    yv: np.ndarray,
    hp: Hyperparameters,
) -> tuple[lgb.Booster, int]:
    dtrain = lgb.Dataset(x, label=y, weight=weight, feature_name=list(FEATURES), free_raw_data=False)
    dvalid = lgb.Dataset(xv, label=yv, reference=dtrain)
    callbacks: list[Callable[..., Any]] = (
        [lgb.early_stopping(hp.early_stopping_rounds, verbose=False)] if yv.sum() > 0 else []
    )
    booster = lgb.train(
        params, dtrain, hp.max_rounds, valid_sets=[dvalid], valid_names=["validation"], callbacks=callbacks
    )
    best = booster.best_iteration or hp.max_rounds
    if booster.best_iteration:
        booster = lgb.Booster(model_str=booster.model_to_string(num_iteration=booster.best_iteration))
    return booster, best


def fit_calibrator(score: np.ndarray, y: np.ndarray, how: str = "auto") -> Calibrator:
    """A monotone map from raw score to probability, fitted on an out-of-time fold."""
    if y.sum() == 0 or y.sum() == len(y):
        raise ValueError("calibration needs both outcomes in the validation fold")
    method: CalibrationMethod
    if how == "auto":
        method = "isotonic" if y.sum() >= ISOTONIC_MIN_POSITIVES else "platt"
    elif how in ("platt", "isotonic"):
        method = how  # type: ignore[assignment]
    else:
        raise ValueError(f"unknown calibration {how!r}")
    if method == "platt":
        lr = LogisticRegression(C=1e6, max_iter=1000).fit(score.reshape(-1, 1), y)
        return Calibrator("platt", slope=float(lr.coef_[0, 0]), intercept=float(lr.intercept_[0]))
    iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(score, y)
    return Calibrator("isotonic", x=tuple(map(float, iso.X_thresholds_)), y=tuple(map(float, iso.y_thresholds_)))


def fit_risk_model(
    train: list[Fold], validation: Fold, hp: Hyperparameters, metadata: dict[str, str]
) -> tuple[RiskModel, dict[str, Any]]:
    """The booster plus its calibration, as one :class:`RiskModel`."""
    booster, info = fit_booster(train, validation, hp)
    raw = np.asarray(booster.predict(feature_matrix(validation.frame).to_numpy(np.float64), raw_score=True))
    calibrator = fit_calibrator(raw, validation.frame["label"].to_numpy(), hp.calibration)
    info["calibration"] = calibrator.method
    meta = {**metadata, **{k: str(v) for k, v in info.items()}}
    return RiskModel(booster=booster, calibrator=calibrator, features=FEATURES, metadata=meta), info


@dataclass
class LogisticBaseline:
    """Logistic regression on the same indicators: median-imputed with missingness flags, standardised."""

    pipeline: Pipeline
    calibrator: Calibrator

    def score(self, frame: pd.DataFrame) -> np.ndarray:
        """Log-odds from the linear model."""
        return self.pipeline.decision_function(feature_matrix(frame))

    def probability(self, frame: pd.DataFrame) -> np.ndarray:
        """Calibrated on the same validation fold as the risk model."""
        return self.calibrator(self.score(frame))


def fit_logistic(train: list[Fold], validation: Fold, seed: int) -> LogisticBaseline:
    """The linear baseline a simpler team would ship."""
    x, y = stack(train)
    pipe = make_pipeline(
        SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
        StandardScaler(),
        LogisticRegression(C=0.1, class_weight="balanced", max_iter=2000, random_state=seed),
    )
    pipe.fit(x, y)
    raw = pipe.decision_function(feature_matrix(validation.frame))
    return LogisticBaseline(pipe, fit_calibrator(raw, validation.frame["label"].to_numpy(), "platt"))
