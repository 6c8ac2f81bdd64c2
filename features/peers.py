"""Peer comparison: financial figures against sector peers, as robust z-scores.

A barber is compared with barbers. Peers are companies in the same SBI section and size class; the statistics
(median and scaled MAD per peer group) come from a reference period and can be frozen, so a model trained on one
as-of date is scored later against the same yardstick instead of a yardstick that drifts with the population.
Groups with fewer than ``MIN_PEERS`` members fall back to the section, then to all companies.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

MIN_PEERS = 30
MAD_SCALE = 1.4826  # makes the MAD a consistent estimator of the standard deviation for normal data
Z_CLIP = 10.0
SIZE_BINS = (-np.inf, 0.5, 1.5, 9.5, 49.5, np.inf)
SIZE_LABELS = ("0", "1", "2-9", "10-49", "50+")


def size_class(employees: np.ndarray) -> np.ndarray:
    """Size class from employees; 'unknown' when no filing says."""
    cls = pd.cut(pd.Series(employees), SIZE_BINS, labels=SIZE_LABELS).astype(object)
    return np.asarray(cls.where(pd.notna(employees), "unknown"), dtype=object)


@dataclass
class PeerStats:
    """Median and scale per (measure, section, size class), with section-level and global fallbacks."""

    table: pd.DataFrame  # columns: measure, section, size, median, scale, n

    @classmethod
    def fit(cls, values: dict[str, np.ndarray], section: np.ndarray, size: np.ndarray) -> PeerStats:
        """Learn peer statistics from the reference companies."""
        rows = []
        for measure, x in values.items():
            df = pd.DataFrame({"x": x, "section": section, "size": size}).dropna(subset=["x"])
            levels = (("section", "size"), ("section",), ())
            for keys in levels:
                grouped = df.groupby(list(keys)).x if keys else df.assign(_all=0).groupby("_all").x
                stats = grouped.agg(["median", "size"])
                mad = grouped.apply(lambda s: float(np.median(np.abs(s - s.median()))))
                for key, row in stats.iterrows():
                    k = key if isinstance(key, tuple) else (key,)
                    entry = {
                        "measure": measure,
                        "section": "*",
                        "size": "*",
                        "median": row["median"],
                        "scale": MAD_SCALE * float(mad.loc[key]),  # type: ignore[call-overload]
                        "n": int(row["size"]),
                    }
                    for name, value in zip(keys, k, strict=False):
                        entry[name] = value
                    rows.append(entry)
        return cls(pd.DataFrame(rows, columns=["measure", "section", "size", "median", "scale", "n"]))

    def zscores(self, measure: str, x: np.ndarray, section: np.ndarray, size: np.ndarray) -> np.ndarray:
        """Robust z of ``x`` against the most specific peer group with enough members and a non-zero scale."""
        t = self.table[(self.table.measure == measure) & (self.table.n >= MIN_PEERS) & (self.table.scale > 0)]
        keys = pd.DataFrame({"section": section, "size": size})
        median = np.full(len(x), np.nan)
        scale = np.full(len(x), np.nan)
        for level in (("section", "size"), ("section",), ()):
            sub = t[(t["section"] != "*") if "section" in level else (t["section"] == "*")]
            sub = sub[(sub["size"] != "*") if "size" in level else (sub["size"] == "*")]
            if sub.empty:
                continue
            if level:
                found = keys.merge(sub, on=list(level), how="left", suffixes=("_k", ""))
            else:
                found = pd.DataFrame(
                    {
                        "median": np.repeat(sub["median"].iloc[0], len(x)),
                        "scale": np.repeat(sub["scale"].iloc[0], len(x)),
                    }
                )
            fill = np.isnan(median)
            median[fill] = found["median"].to_numpy(dtype=float)[fill]
            scale[fill] = found["scale"].to_numpy(dtype=float)[fill]
        return np.clip((x - median) / scale, -Z_CLIP, Z_CLIP)

    def save(self, path: str) -> None:
        """Freeze the statistics next to the indicator table."""
        self.table.to_parquet(path, index=False)

    @classmethod
    def load(cls, path: str) -> PeerStats:
        """Reuse statistics frozen by an earlier run (for example the training run)."""
        return cls(pd.read_parquet(path))
