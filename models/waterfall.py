"""A waterfall per company: from the base value, indicator by indicator, to its score.

An analyst sees at a glance which facts push one company up the list; the bars add up exactly to the score,
because SHAP contributions do.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from features.catalogue import BY_ID
from models.risk import SHAP_PREFIX


def waterfall(
    contributions: pd.Series,
    base_value: float,
    title: str,
    out: Path,
    top: int = 10,
    lang: Literal["nl", "en"] = "en",
) -> tuple[Path, Path]:
    """Write ``out``.png and ``out``.svg; the ``top`` largest contributions get a bar, the rest one bar together."""
    contrib = contributions.rename(lambda c: str(c).removeprefix(SHAP_PREFIX)).astype(float)
    order = contrib.abs().sort_values(ascending=False).index
    shown = contrib[order[:top]]
    rest = float(contrib[order[top:]].sum())
    labels = [getattr(BY_ID[c], f"label_{lang}") if c in BY_ID else c for c in shown.index]
    steps = [float(v) for v in shown.to_numpy()]
    if len(order) > top:
        labels.append(f"{len(order) - top} " + ("overige indicatoren" if lang == "nl" else "other indicators"))
        steps.append(rest)
    starts = base_value + np.concatenate([[0.0], np.cumsum(steps)[:-1]])
    fig, ax = plt.subplots(figsize=(7.5, 0.38 * len(steps) + 1.6))
    y = np.arange(len(steps))[::-1]
    colours = ["#c0392b" if s > 0 else "#2471a3" for s in steps]
    ax.barh(y, steps, left=starts, color=colours)
    ax.set_yticks(y, labels, fontsize=8)
    ax.axvline(base_value, color="grey", linestyle=":", linewidth=1)
    score = base_value + float(contrib.sum())
    ax.axvline(score, color="black", linewidth=1)
    base_txt, score_txt = ("basiswaarde", "score") if lang == "nl" else ("base value", "score")
    ax.set(
        xlabel=f"log-odds ({base_txt} {base_value:.2f} → {score_txt} {score:.2f})",
        title=title,
    )
    fig.tight_layout()
    png, svg = out.with_name(out.name + ".png"), out.with_name(out.name + ".svg")
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, dpi=110)
    fig.savefig(svg)
    plt.close(fig)
    return png, svg
