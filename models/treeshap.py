"""Exact path-dependent TreeSHAP for LightGBM, fast: precomputed per-leaf tables (after Fast TreeSHAP v2).

Why it is exact. Path-dependent TreeSHAP explains the game v(S) = sum over leaves l of
``value_l * prod_{splits on l's path} (x goes that way if the split's feature is in S, else cover ratio)``.
Shapley values are linear in the game, and each leaf's game depends only on the features on its path, so each
leaf can be explained alone over its own d_l unique path features (the other features are dummies there). For a
row, that leaf's game depends on the row only through d_l bits: whether the row satisfies every condition on
each path feature (its *pattern*). So every leaf gets a table of its Shapley values for all 2^d_l patterns,
computed once per model; explaining a row is then, per tree, one walk that builds every leaf's pattern and adds
that leaf's table row: O(L·D) per row and tree instead of TreeSHAP's O(L·D²).

Table entry for feature i of a leaf with value v, cover ratios r_j (product over the path's splits on j) and
pattern s (Q = the features whose bit is 1): ``v * (s_i - r_i) * prod_{j not in Q, j != i} r_j *
sum_m w(|A| - m, d) e_m(r_A)`` with A = Q minus {i}, w(k, d) = k!(d-k-1)!/d!, and e_m the elementary symmetric
polynomials of the r_j over A.

Missing values follow LightGBM's own rule (``NumericalDecision``): NaN becomes 0 unless the split's missing type
is NaN; a missing (NaN type) or zero (Zero type) value goes the default way. Categorical splits and linear trees
are not handled: :func:`shap_values` then falls back to LightGBM's own ``pred_contrib``, never a wrong value.

Memory: a leaf with d unique path features holds 2^d * d float64 (7 KiB at d = 7, 80 KiB at d = 10); trees are
processed in chunks whose tables fit ``max_table_bytes`` (256 MiB by default), so memory stays bounded whatever the
model's size. When the whole model fits, its tables are kept between calls, so explaining a few rows (the API) does
not rebuild them.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from math import factorial

import lightgbm as lgb
import numpy as np
from numba import njit, prange

log = logging.getLogger(__name__)
ZERO_THRESHOLD = float(np.float32(1e-35))  # LightGBM's kZeroThreshold (a float literal)
MAX_UNIQUE_DEPTH = 16  # 2^16 * 16 * 8 bytes = 8 MiB for one leaf: beyond that, fall back
DEFAULT_TABLE_BYTES = 256 * 2**20
_KERNEL_LOCK = threading.Lock()


class UnsupportedModelError(ValueError):
    """A construct the fast path does not handle; callers fall back to ``pred_contrib``."""


@dataclass
class Tree:
    """One tree in flat arrays; children >= 0 are internal nodes, < 0 are ``~leaf``."""

    feature: np.ndarray  # int64 per internal node
    threshold: np.ndarray  # float64
    default_left: np.ndarray  # bool
    missing_type: np.ndarray  # int64: 0 none, 1 zero, 2 NaN
    left: np.ndarray  # int64
    right: np.ndarray  # int64
    leaf_value: np.ndarray  # float64
    leaf_count: np.ndarray  # float64
    internal_count: np.ndarray  # float64


def parse_trees(booster: lgb.Booster) -> tuple[list[Tree], int]:
    """The trees of a binary LightGBM model from its text form (exact doubles), and its feature count."""
    text = booster.model_to_string().split("end of trees")[0]
    header, *blocks = text.split("\nTree=")
    fields = dict(line.split("=", 1) for line in header.splitlines() if "=" in line)
    if int(fields.get("num_class", "1")) != 1 or int(fields.get("num_tree_per_iteration", "1")) != 1:
        raise UnsupportedModelError("only single-output (binary or regression) models are handled")
    if "average_output" in fields or "average_output" in header.splitlines():
        raise UnsupportedModelError("averaged (random forest) models are not handled")
    n_features = int(fields["max_feature_idx"]) + 1
    trees = [_tree(dict(line.split("=", 1) for line in block.splitlines() if "=" in line)) for block in blocks]
    return trees, n_features


def _tree(kv: dict[str, str]) -> Tree:
    if kv.get("is_linear", "0") != "0":
        raise UnsupportedModelError("linear trees are not handled")
    leaf_value = np.array(kv["leaf_value"].split(), dtype=np.float64)
    leaf_count = np.array(kv.get("leaf_count", "0").split(), dtype=np.float64)
    if int(kv["num_leaves"]) == 1:
        empty_i, empty_f = np.zeros(0, np.int64), np.zeros(0, np.float64)
        return Tree(empty_i, empty_f, np.zeros(0, bool), empty_i, empty_i, empty_i, leaf_value, leaf_count, empty_f)
    decision = np.array(kv["decision_type"].split(), dtype=np.int64)
    if (decision & 1).any():
        raise UnsupportedModelError("categorical splits are not handled")
    left, right = (
        np.array(kv["left_child"].split(), dtype=np.int64),
        np.array(kv["right_child"].split(), dtype=np.int64),
    )
    index = np.arange(len(left))
    if ((left >= 0) & (left <= index)).any() or ((right >= 0) & (right <= index)).any():
        raise UnsupportedModelError("a child numbered before its parent (the one-pass walk relies on the opposite)")
    return Tree(
        feature=np.array(kv["split_feature"].split(), dtype=np.int64),
        threshold=np.array(kv["threshold"].split(), dtype=np.float64),
        default_left=(decision & 2) > 0,
        missing_type=(decision >> 2) & 3,
        left=left,
        right=right,
        leaf_value=leaf_value,
        leaf_count=leaf_count,
        internal_count=np.array(kv["internal_count"].split(), dtype=np.float64),
    )


@dataclass
class Paths:
    """Per tree: each internal node's slot in its path's unique-feature list, and each leaf's features and ratios."""

    node_pos: np.ndarray  # int64 per internal node
    node_first: np.ndarray  # bool: first split on this feature along the path
    leaf_depth: np.ndarray  # int64: number of unique features on the leaf's path
    leaf_features: np.ndarray  # int64 [leaves, max_depth]
    leaf_ratios: np.ndarray  # float64 [leaves, max_depth]
    expected: float  # cover-weighted mean leaf value: the tree's base value


def paths(tree: Tree) -> Paths:
    """Walk the tree once, merging repeated features along a path (their ratios multiply, their bits AND)."""
    n_leaves = len(tree.leaf_value)
    n_nodes = len(tree.feature)
    if n_nodes == 0:
        one = np.zeros((1, 1))  # a single leaf: no path, its value is all base value
        no_nodes = np.zeros(0, np.int64)
        return Paths(
            no_nodes, no_nodes.astype(bool), np.zeros(1, np.int64), one.astype(np.int64), one, float(tree.leaf_value[0])
        )
    pos, first = np.zeros(n_nodes, np.int64), np.zeros(n_nodes, bool)
    feats: list[list[int]] = [[] for _ in range(n_leaves)]
    ratios: list[list[float]] = [[] for _ in range(n_leaves)]
    stack: list[tuple[int, list[int], list[float]]] = [(0, [], [])]
    while stack:
        node, fs, rs = stack.pop()
        f = int(tree.feature[node])
        if f in fs:
            pos[node], first[node] = fs.index(f), False
        else:
            pos[node], first[node] = len(fs), True
        for child in (int(tree.left[node]), int(tree.right[node])):
            count = tree.leaf_count[~child] if child < 0 else tree.internal_count[child]
            ratio = count / tree.internal_count[node]
            cf, cr = list(fs), list(rs)
            if first[node]:
                cf.append(f)
                cr.append(ratio)
            else:
                cr[pos[node]] *= ratio
            if child < 0:
                feats[~child], ratios[~child] = cf, cr
            else:
                stack.append((child, cf, cr))
    depth = np.array([len(fs) for fs in feats], dtype=np.int64)
    if depth.max() > MAX_UNIQUE_DEPTH:
        raise UnsupportedModelError(f"a path with {depth.max()} distinct features: tables would be too large")
    width = max(int(depth.max()), 1)
    lf, lr = np.zeros((n_leaves, width), np.int64), np.zeros((n_leaves, width))
    for i, (fs, rs) in enumerate(zip(feats, ratios, strict=True)):
        lf[i, : len(fs)], lr[i, : len(rs)] = fs, rs
    expected = float(np.dot(tree.leaf_value, tree.leaf_count) / tree.internal_count[0])
    return Paths(pos, first, depth, lf, lr, expected)


def _weights(max_d: int) -> np.ndarray:
    """Shapley weights w[d, k] = k! (d-k-1)! / d! for d up to ``max_d``."""
    w = np.zeros((max_d + 1, max_d + 1))
    for d in range(1, max_d + 1):
        for k in range(d):
            w[d, k] = factorial(k) * factorial(d - k - 1) / factorial(d)
    return w


@njit(cache=True)
def _leaf_table(value: float, ratios: np.ndarray, d: int, w: np.ndarray, out: np.ndarray) -> None:  # pragma: no cover
    """Shapley values of one leaf's game for every pattern s, feature-major: ``out[i * 2^d + s]``."""
    e = np.zeros(d + 1)
    ea = np.zeros(d + 1)
    for s in range(1 << d):
        e[:] = 0.0
        e[0] = 1.0
        ones = 0
        for j in range(d):
            if (s >> j) & 1:
                ones += 1
                for m in range(ones, 0, -1):
                    e[m] += ratios[j] * e[m - 1]
        for i in range(d):
            r_i = ratios[i]
            off = 1.0  # product of ratios of the features off in s, other than i
            for j in range(d):
                if j != i and not (s >> j) & 1:
                    off *= ratios[j]
            if (s >> i) & 1:
                a = ones - 1  # A = Q without i: divide the polynomial by (1 + r_i t)
                ea[0] = 1.0
                for m in range(1, a + 1):
                    ea[m] = e[m] - r_i * ea[m - 1]
                total = 0.0
                for m in range(a + 1):
                    total += w[d, a - m] * ea[m]
                out[i * (1 << d) + s] = value * (1.0 - r_i) * off * total
            else:
                total = 0.0
                for m in range(ones + 1):
                    total += w[d, ones - m] * e[m]
                out[i * (1 << d) + s] = value * (0.0 - r_i) * off * total


@njit(cache=True)
def _fill_tables(  # pragma: no cover
    values: np.ndarray, ratios: np.ndarray, depth: np.ndarray, offsets: np.ndarray, w: np.ndarray, out: np.ndarray
) -> None:
    for leaf in range(len(depth)):
        d = depth[leaf]
        if d > 0:
            _leaf_table(values[leaf], ratios[leaf], d, w, out[offsets[leaf] : offsets[leaf] + (1 << d) * d])


@njit(cache=True)
def _goes_left(x: float, threshold: float, default_left: bool, missing_type: int) -> bool:  # pragma: no cover
    if np.isnan(x) and missing_type != 2:
        x = 0.0
    if (missing_type == 1 and -ZERO_THRESHOLD <= x <= ZERO_THRESHOLD) or (missing_type == 2 and np.isnan(x)):
        return default_left
    return x <= threshold


@njit(cache=True)
def _child_patterns(  # pragma: no cover
    pat: np.ndarray, go_left: np.ndarray, m: int, p: int, first: bool, left_out: np.ndarray, right_out: np.ndarray
) -> None:
    """The patterns both children inherit: the split's bit set (first split on the feature) or ANDed (repeat)."""
    one = np.int32(1) << p
    if first:
        for j in range(m):
            if go_left[j]:
                left_out[j] = pat[j] | one
                right_out[j] = pat[j]
            else:
                left_out[j] = pat[j]
                right_out[j] = pat[j] | one
    else:
        for j in range(m):
            if go_left[j]:
                left_out[j] = pat[j]
                right_out[j] = pat[j] & ~one
            else:
                left_out[j] = pat[j] & ~one
                right_out[j] = pat[j]


@njit(parallel=True, cache=True)
def _explain(  # pragma: no cover
    xt: np.ndarray,
    outt: np.ndarray,
    tree_node_off: np.ndarray,
    tree_leaf_off: np.ndarray,
    feature: np.ndarray,
    threshold: np.ndarray,
    default_left: np.ndarray,
    missing_type: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    node_pos: np.ndarray,
    node_first: np.ndarray,
    leaf_depth: np.ndarray,
    leaf_features: np.ndarray,
    table_off: np.ndarray,
    tables: np.ndarray,
    block: int,
) -> None:
    """Features-by-rows layout, so every inner loop runs over the rows of a block (vectorisable)."""
    n = xt.shape[1]
    n_trees = len(tree_node_off) - 1
    n_blocks = (n + block - 1) // block
    max_nodes, max_leaves = 1, 1
    for t in range(n_trees):
        max_nodes = max(max_nodes, tree_node_off[t + 1] - tree_node_off[t])
        max_leaves = max(max_leaves, tree_leaf_off[t + 1] - tree_leaf_off[t])
    for b in prange(n_blocks):
        lo = b * block
        m = min(n, lo + block) - lo
        node_pat = np.zeros((max_nodes, block), np.int32)
        leaf_pat = np.zeros((max_leaves, block), np.int32)
        go_left = np.zeros(block, np.bool_)
        for t in range(n_trees):
            n0 = tree_node_off[t]
            l0 = tree_leaf_off[t]
            n_nodes = tree_node_off[t + 1] - n0
            if n_nodes == 0:
                continue  # a single leaf: only the base value
            node_pat[0, :m] = 0
            # LightGBM numbers a node after its parent, so index order sees every parent first
            for node in range(n_nodes):
                g = n0 + node
                col = xt[feature[g]]
                thr, dl, mt = threshold[g], default_left[g], missing_type[g]
                for j in range(m):
                    go_left[j] = _goes_left(col[lo + j], thr, dl, mt)
                lc, rc = left[g], right[g]
                lout = node_pat[lc] if lc >= 0 else leaf_pat[~lc]
                rout = node_pat[rc] if rc >= 0 else leaf_pat[~rc]
                _child_patterns(node_pat[node], go_left, m, node_pos[g], node_first[g], lout, rout)
            for leaf in range(tree_leaf_off[t + 1] - l0):
                g = l0 + leaf
                d = leaf_depth[g]
                size = np.int64(1) << d
                pats = leaf_pat[leaf]
                for k in range(d):
                    dst = outt[leaf_features[g, k]]
                    base = table_off[g] + k * size
                    for j in range(m):
                        dst[lo + j] += tables[base + pats[j]]


@dataclass
class Explainer:
    """A parsed model, ready to explain rows; build once per model (tables are computed per chunk of trees)."""

    trees: list[Tree]
    paths: list[Paths]
    n_features: int
    base_value: float
    max_table_bytes: int = DEFAULT_TABLE_BYTES
    _kept: tuple[np.ndarray, ...] | None = field(default=None, repr=False)

    @classmethod
    def from_booster(cls, booster: lgb.Booster, max_table_bytes: int = DEFAULT_TABLE_BYTES) -> Explainer:
        """Parse and walk every tree; raises :class:`UnsupportedModelError` for what the fast path cannot do."""
        trees, n_features = parse_trees(booster)
        ps = [paths(t) for t in trees]
        return cls(trees, ps, n_features, float(sum(p.expected for p in ps)), max_table_bytes)

    def table_bytes(self, tree: int) -> int:
        """Bytes of one tree's tables: the memory the fast path holds per tree."""
        d = self.paths[tree].leaf_depth
        return int(((1 << d) * d).sum() * 8)

    def chunks(self) -> list[range]:
        """Consecutive trees whose tables together fit the budget (a tree larger than it goes alone)."""
        out, start, size = [], 0, 0
        for t in range(len(self.trees)):
            b = self.table_bytes(t)
            if t > start and size + b > self.max_table_bytes:
                out.append(range(start, t))
                start, size = t, 0
            size += b
        out.append(range(start, len(self.trees)))
        return out

    def shap_values(self, x: np.ndarray, block: int = 1024) -> np.ndarray:
        """SHAP values, shape (rows, features + 1), the last column the base value (LightGBM's layout)."""
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != self.n_features:
            raise ValueError(f"expected a 2-D array with {self.n_features} columns, got shape {x.shape}")
        xt = np.ascontiguousarray(x.T)
        outt = np.zeros((self.n_features + 1, x.shape[0]))
        kept = self._kept
        if kept is not None:  # the whole model's tables from an earlier call: nothing to plan or build
            _run(xt, outt, kept, block)
        else:
            w = _weights(max(int(p.leaf_depth.max()) for p in self.paths) if self.paths else 1)
            for chunk in self.chunks():
                self._explain_chunk(xt, outt, chunk, w, block)
        outt[-1] = self.base_value
        return np.ascontiguousarray(outt.T)

    def _explain_chunk(self, xt: np.ndarray, outt: np.ndarray, chunk: range, w: np.ndarray, block: int) -> None:
        arrays = self._prepare(chunk, w)
        if chunk.start == 0 and chunk.stop == len(self.trees):
            self._kept = arrays  # the whole model fits the budget: keep its tables for the next call
        _run(xt, outt, arrays, block)

    def _prepare(self, chunk: range, w: np.ndarray) -> tuple[np.ndarray, ...]:
        """Flat arrays of a chunk of trees and their leaf tables, in the order ``_explain`` takes them."""
        trees = [self.trees[t] for t in chunk]
        ps = [self.paths[t] for t in chunk]
        width = max(p.leaf_features.shape[1] for p in ps)
        depth = np.concatenate([p.leaf_depth for p in ps])
        feats = np.zeros((len(depth), width), np.int64)
        ratios = np.zeros((len(depth), width))
        row = 0
        for p in ps:
            k = p.leaf_features.shape
            feats[row : row + k[0], : k[1]] = p.leaf_features
            ratios[row : row + k[0], : k[1]] = p.leaf_ratios
            row += k[0]
        sizes = (np.int64(1) << depth) * depth
        table_off = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        tables = np.zeros(int(sizes.sum()))
        _fill_tables(np.concatenate([t.leaf_value for t in trees]), ratios, depth, table_off, w, tables)
        return (
            np.cumsum([0, *(len(t.feature) for t in trees)]).astype(np.int64),
            np.cumsum([0, *(len(t.leaf_value) for t in trees)]).astype(np.int64),
            np.concatenate([t.feature for t in trees]),
            np.concatenate([t.threshold for t in trees]),
            np.concatenate([t.default_left for t in trees]),
            np.concatenate([t.missing_type for t in trees]),
            np.concatenate([t.left for t in trees]),
            np.concatenate([t.right for t in trees]),
            np.concatenate([p.node_pos for p in ps]),
            np.concatenate([p.node_first for p in ps]),
            depth,
            feats,
            table_off,
            tables,
        )


def _run(xt: np.ndarray, outt: np.ndarray, arrays: tuple[np.ndarray, ...], block: int) -> None:
    """The kernel over prepared arrays; numba's workqueue threading layer must not be entered from two threads."""
    with _KERNEL_LOCK:
        _explain(xt, outt, *arrays, block)  # type: ignore[call-arg,arg-type]  # numba stubs type one signature


def shap_values(booster: lgb.Booster, x: np.ndarray) -> np.ndarray:
    """Exact SHAP values in ``pred_contrib``'s layout; falls back to ``pred_contrib`` for unhandled constructs."""
    try:
        explainer = Explainer.from_booster(booster)
    except UnsupportedModelError as exc:
        log.info("fast TreeSHAP does not handle this model (%s); using LightGBM's pred_contrib", exc)
        return np.asarray(booster.predict(x, pred_contrib=True))
    return explainer.shap_values(np.asarray(x, dtype=np.float64))
