"""The pictures a training run leaves in MLflow: PR curves, calibration, and what the model leans on.

A reviewer looks at these before reading a table: whether the model beats the checklist across the whole
ranking, whether "0.30" means about 30 in 100, and which indicators carry the scores.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from sklearn.metrics import precision_recall_curve

from training.evaluation import Ranking, calibration_table


def pr_curves(rankings: dict[str, Ranking], label: np.ndarray, title: str, out: Path) -> Path:
    """Precision-recall curve of every scorer on one target, with the prevalence as the floor."""
    fig, ax = plt.subplots(figsize=(6, 4.5))
    for name, r in rankings.items():
        precision, recall, _ = precision_recall_curve(label, r.score)
        ax.plot(recall, precision, label=name, drawstyle="steps-post")
    ax.axhline(label.mean(), color="grey", linestyle=":", label=f"prevalence {label.mean():.4f}")
    ax.set(xlabel="recall", ylabel="precision", title=title, yscale="log", ylim=(max(label.mean() / 3, 1e-4), 1.0))
    ax.legend(fontsize=8)
    return _save(fig, out)


def calibration(probability: np.ndarray, label: np.ndarray, title: str, out: Path, bins: int = 10) -> Path:
    """Reliability diagram on log axes (probabilities are small), with the number of rows per bin."""
    table = calibration_table(probability, label, bins)
    fig, ax = plt.subplots(figsize=(6, 4.5))
    lo = max(min(table.mean_probability.min(), 1e-5), 1e-6)
    hi = max(table.mean_probability.max(), table.observed_rate.max(), lo * 10)
    ax.plot([lo, hi], [lo, hi], color="grey", linestyle=":", label="perfect calibration")
    observed = table.observed_rate.clip(lower=lo / 2)  # a bin with no positive still shows, at the floor
    ax.plot(table.mean_probability, observed, marker="o", label="model (equal-count bins)")
    for _, row in table.iterrows():
        ax.annotate(f"n={int(row.n)}", (row.mean_probability, max(row.observed_rate, lo / 2)), fontsize=6)
    ax.set(xscale="log", yscale="log", xlabel="mean calibrated probability", ylabel="observed rate", title=title)
    ax.legend(fontsize=8)
    return _save(fig, out)


def precision_by_region(table: pd.DataFrame, k: int, target: str, out: Path) -> Path:
    """Precision of each region's top-k shortlist, one bar per scorer, to show whether a region is served worse."""
    sub = table[(table.k == k) & (table.target == target)].pivot(index="region", columns="scorer", values="precision")
    fig, ax = plt.subplots(figsize=(8, 4.5))
    sub.plot.bar(ax=ax, width=0.8)
    ax.set(ylabel=f"precision of the top {k}", xlabel="", title=f"Top-{k} shortlist per RIEC region ({target})")
    ax.tick_params(axis="x", labelsize=7, labelrotation=30)
    ax.legend(fontsize=8)
    return _save(fig, out)


def shap_summary(contrib: np.ndarray, features: tuple[str, ...], out: Path, top: int = 20) -> Path:
    """Mean |SHAP| per indicator (log-odds), the top ``top``: what the scores rest on."""
    mean_abs = pd.Series(np.abs(contrib[:, :-1]).mean(axis=0), index=list(features)).nlargest(top)[::-1]
    fig, ax = plt.subplots(figsize=(6.5, 0.28 * len(mean_abs) + 1.2))
    ax.barh(mean_abs.index, mean_abs.to_numpy())
    ax.set(xlabel="mean |SHAP value| (log-odds)", title="What the scores rest on (test fold)")
    ax.tick_params(axis="y", labelsize=7)
    return _save(fig, out)


def beeswarm(contrib: np.ndarray, rows: pd.DataFrame, features: tuple[str, ...], out: Path, top: int = 20) -> Path:
    """SHAP beeswarm: per indicator, every company's contribution coloured by its value (high values red)."""
    import shap

    shap.summary_plot(contrib[:, :-1], rows[list(features)], max_display=top, show=False, plot_size=(8, 7))
    fig = plt.gcf()
    fig.axes[0].set_title("Contributions by indicator value (test fold sample)")
    return _save(fig, out)


def _save(fig: Figure, out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
