"""Small vectorised helpers shared by the generator modules.

Dates are ``int64`` day numbers since 1970-01-01 throughout the generator; ``NAT`` (numpy's NaT bit pattern)
marks "no date", so a day array can be viewed as ``datetime64[D]`` without a copy.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

NAT: int = int(np.iinfo(np.int64).min)
YEAR: float = 365.25


def sigmoid(x: FloatArray) -> FloatArray:
    """Logistic function, stable for large negative inputs."""
    return np.asarray(0.5 * (1.0 + np.tanh(0.5 * x)), dtype=np.float64)


def choice(rng: np.random.Generator, n: int, weights: FloatArray) -> IntArray:
    """Draw ``n`` indices with probability proportional to ``weights`` (by inverse CDF, fast for large n)."""
    cdf = np.cumsum(weights, dtype=np.float64)
    cdf /= cdf[-1]
    idx = np.searchsorted(cdf, rng.random(n), side="right")
    return np.minimum(idx, len(weights) - 1).astype(np.int64)


def group_choice(
    rng: np.random.Generator, groups: IntArray, n_groups: int, weights: FloatArray, weight_group: IntArray
) -> IntArray:
    """For each element of ``groups`` draw an item whose ``weight_group`` equals it, by weight.

    Items are sorted by group; a per-group cumulative weight turns one uniform draw per element into an item
    index without a Python loop. Groups without items get -1.
    """
    if len(weight_group) == 0:
        return np.full(len(groups), -1, dtype=np.int64)
    order = np.argsort(weight_group, kind="stable")
    wg = weight_group[order]
    w = weights[order].astype(np.float64)
    starts = np.searchsorted(wg, np.arange(n_groups), side="left")
    ends = np.searchsorted(wg, np.arange(n_groups), side="right")
    cum = np.cumsum(w)
    base = np.where(starts > 0, cum[np.maximum(starts - 1, 0)], 0.0)
    total = np.where(ends > starts, cum[np.maximum(ends - 1, 0)] - base, 0.0)
    g = groups
    target = base[g] + rng.random(len(g)) * total[g]
    pos = np.searchsorted(cum, target, side="right")
    pos = np.clip(pos, starts[g], np.maximum(ends[g] - 1, starts[g]))
    out = order[np.minimum(pos, len(order) - 1)].astype(np.int64)
    return np.where(ends[g] > starts[g], out, -1)


def unique_ids(rng: np.random.Generator, n: int, low: int, high: int) -> IntArray:
    """``n`` distinct random integers in ``[low, high)``, in random order."""
    if n > (high - low) // 2:
        raise ValueError("id space too small for the requested number of ids")
    out = np.unique(rng.integers(low, high, size=int(n * 1.1) + 16))
    while len(out) < n:
        out = np.unique(np.concatenate([out, rng.integers(low, high, size=n)]))
    return rng.permutation(rng.choice(out, size=n, replace=False))


def days(year: int, month: int = 1, day: int = 1) -> int:
    """Day number of a calendar date."""
    return int(np.datetime64(f"{year:04d}-{month:02d}-{day:02d}", "D").astype(np.int64))
