"""Exact contrastive explanations: why a company scores higher than a reference point (its peers), per indicator.

The analyst's question is not "why is this score above the average over all training companies" (what
path-dependent TreeSHAP answers) but "why is this company higher than comparable companies". That is the game
v(S) = f(x_S, r_rest): the model scored on the company's values for the indicators in S and the reference's for the
rest. Its Shapley values (baseline Shapley, or interventional SHAP against a one-point background) add up exactly
to f(x) - f(r), and an indicator on which the company equals its reference gets exactly zero. That is why reasons
built on them never read "the same as its peers".

Why it is exact and fast. A tree's output is a sum over leaves, so each leaf is explained alone. For one leaf, let
A be the path features only the company's value satisfies and B those only the reference's satisfies (a feature
neither satisfies makes the leaf unreachable; one both satisfy is a dummy). The hybrid reaches the leaf exactly
when A is in S and B is not, so the leaf's game is ``value * [A ⊆ S, B ∩ S = ∅]``, whose Shapley values are
``value * (|A|-1)! |B|! / (|A|+|B|)!`` for each feature of A and ``-value * |A|! (|B|-1)! / (|A|+|B|)!`` for each of
B. One walk per tree visits only the leaves the company or the reference (or a mix) can reach; where both go the
same way, only one child is followed. Missing values follow LightGBM's rule, as in :mod:`models.treeshap`.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import factorial

import lightgbm as lgb
import numpy as np
from numba import njit, prange

from models.treeshap import _goes_left, parse_trees

FREE, COMPANY, REFERENCE = 0, 1, 2


def _weights(depth: int) -> np.ndarray:
    """w[a, b] = (a-1)! b! / (a+b)!: the weight of each of a company-side features against b reference-side ones."""
    w = np.zeros((depth + 2, depth + 2))
    for a in range(1, depth + 2):
        for b in range(depth + 2 - a):
            w[a, b] = factorial(a - 1) * factorial(b) / factorial(a + b)
    return w


@dataclass
class ContrastiveExplainer:
    """A LightGBM model's trees in flat arrays, ready to explain rows against reference points."""

    n_features: int
    node_off: np.ndarray
    leaf_off: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    default_left: np.ndarray
    missing_type: np.ndarray
    left: np.ndarray
    right: np.ndarray
    leaf_value: np.ndarray
    weights: np.ndarray

    @classmethod
    def from_booster(cls, booster: lgb.Booster) -> ContrastiveExplainer:
        """Parse the booster's text form (raises :class:`models.treeshap.UnsupportedModelError` where it must)."""
        trees, n_features = parse_trees(booster)
        node_sizes = [len(t.feature) for t in trees]
        leaf_sizes = [len(t.leaf_value) for t in trees]
        node_off = np.concatenate([[0], np.cumsum(node_sizes)]).astype(np.int64)
        leaf_off = np.concatenate([[0], np.cumsum(leaf_sizes)]).astype(np.int64)
        max_nodes = max(node_sizes) if node_sizes else 0
        return cls(
            n_features=n_features,
            node_off=node_off,
            leaf_off=leaf_off,
            feature=np.concatenate([t.feature for t in trees]).astype(np.int64),
            threshold=np.concatenate([t.threshold for t in trees]).astype(np.float64),
            default_left=np.concatenate([t.default_left for t in trees]).astype(np.bool_),
            missing_type=np.concatenate([t.missing_type for t in trees]).astype(np.int64),
            left=np.concatenate([t.left for t in trees]).astype(np.int64),
            right=np.concatenate([t.right for t in trees]).astype(np.int64),
            leaf_value=np.concatenate([t.leaf_value for t in trees]).astype(np.float64),
            weights=_weights(max_nodes + 1),
        )

    def explain(self, x: np.ndarray, reference: np.ndarray, reference_row: np.ndarray | None = None) -> np.ndarray:
        """Shapley values of f(x) - f(reference), shape (rows, features), in raw-score (log-odds) units.

        ``reference`` is one point (features,) or several (points, features); ``reference_row`` names each row's
        point (all rows use point 0 when omitted).
        """
        x = np.ascontiguousarray(x, dtype=np.float64)
        refs = np.ascontiguousarray(np.atleast_2d(reference), dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != self.n_features or refs.shape[1] != self.n_features:
            raise ValueError(f"rows and reference need {self.n_features} columns")
        rows = np.zeros(len(x), np.int64) if reference_row is None else np.asarray(reference_row, dtype=np.int64)
        if len(rows) != len(x) or (len(rows) and (rows.min() < 0 or rows.max() >= len(refs))):
            raise ValueError("reference_row must give every row a point of reference")
        out = np.zeros((len(x), self.n_features))
        _explain_rows(
            x, refs, rows, out, self.node_off, self.leaf_off, self.feature, self.threshold, self.default_left,
            self.missing_type, self.left, self.right, self.leaf_value, self.weights,
        )  # fmt: skip
        return out

    def raw_scores(self, x: np.ndarray) -> np.ndarray:
        """The model's raw score of every row, trees summed in order as LightGBM does (tested equal).

        Recourse re-scores thousands of variants of one company, where a call into LightGBM costs more than the
        walk itself.
        """
        x = np.ascontiguousarray(x, dtype=np.float64)
        out = np.zeros(len(x))
        _score_rows(x, out, self.node_off, self.leaf_off, self.feature, self.threshold, self.default_left,
                    self.missing_type, self.left, self.right, self.leaf_value)  # fmt: skip
        return out


@njit(parallel=True, cache=True)
def _score_rows(  # pragma: no cover
    x: np.ndarray,
    out: np.ndarray,
    node_off: np.ndarray,
    leaf_off: np.ndarray,
    feature: np.ndarray,
    threshold: np.ndarray,
    default_left: np.ndarray,
    missing_type: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    leaf_value: np.ndarray,
) -> None:
    n_trees = len(node_off) - 1
    for i in prange(x.shape[0]):
        total = 0.0
        for t in range(n_trees):
            n0 = node_off[t]
            if node_off[t + 1] == n0:
                total += leaf_value[leaf_off[t]]
                continue
            node = 0
            while node >= 0:
                j = n0 + node
                node = (
                    left[j]
                    if _goes_left(x[i, feature[j]], threshold[j], default_left[j], missing_type[j])
                    else right[j]
                )
            total += leaf_value[leaf_off[t] + ~node]
        out[i] = total


@njit(parallel=True, cache=True)
def _explain_rows(  # pragma: no cover
    x: np.ndarray,
    refs: np.ndarray,
    rows: np.ndarray,
    out: np.ndarray,
    node_off: np.ndarray,
    leaf_off: np.ndarray,
    feature: np.ndarray,
    threshold: np.ndarray,
    default_left: np.ndarray,
    missing_type: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    leaf_value: np.ndarray,
    w: np.ndarray,
) -> None:
    n_trees = len(node_off) - 1
    width = 1
    for t in range(n_trees):
        width = max(width, node_off[t + 1] - node_off[t] + 2)
    for i in prange(x.shape[0]):
        status = np.zeros(x.shape[1], np.int8)
        scratch = np.zeros((6, width), np.int64)
        for t in range(n_trees):
            if node_off[t + 1] > node_off[t]:
                _tree(
                    x[i], refs[rows[i]], out[i], status, scratch, node_off[t], leaf_off[t], feature, threshold,
                    default_left, missing_type, left, right, leaf_value, w,
                )  # fmt: skip


@njit(cache=True)
def _tree(  # pragma: no cover
    x: np.ndarray,
    r: np.ndarray,
    phi: np.ndarray,
    status: np.ndarray,
    scratch: np.ndarray,
    n0: int,
    l0: int,
    feature: np.ndarray,
    threshold: np.ndarray,
    default_left: np.ndarray,
    missing_type: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    leaf_value: np.ndarray,
    w: np.ndarray,
) -> None:
    """One tree's walk; ``status`` (per feature: free, company side, reference side) is all FREE before and after.

    A stack frame is (child, undo depth at push, feature whose side it fixes or -1, that side); the undo log holds
    the features whose side the current path has fixed, so going back up restores them.
    """
    s_node, s_undo, s_feat, s_side, undo = scratch[0], scratch[1], scratch[2], scratch[3], scratch[4]
    top, n_undo, na, nb = 1, 0, 0, 0
    s_node[0], s_undo[0], s_feat[0], s_side[0] = 0, 0, -1, FREE
    while top > 0:
        top -= 1
        node, depth, f_set, side = s_node[top], s_undo[top], s_feat[top], s_side[top]
        while n_undo > depth:
            n_undo -= 1
            g = undo[n_undo]
            if status[g] == COMPANY:
                na -= 1
            else:
                nb -= 1
            status[g] = FREE
        if f_set >= 0:
            status[f_set] = side
            undo[n_undo] = f_set
            n_undo += 1
            if side == COMPANY:
                na += 1
            else:
                nb += 1
        if node < 0:
            if na + nb > 0:
                value = leaf_value[l0 + ~node]
                up, down = value * w[na, nb], value * w[nb, na]
                for k in range(n_undo):
                    g = undo[k]
                    if status[g] == COMPANY:
                        phi[g] += up
                    else:
                        phi[g] -= down
            continue
        j = n0 + node
        f = feature[j]
        xl = _goes_left(x[f], threshold[j], default_left[j], missing_type[j])
        rl = _goes_left(r[f], threshold[j], default_left[j], missing_type[j])
        if xl == rl:
            s_node[top], s_undo[top], s_feat[top], s_side[top] = left[j] if xl else right[j], n_undo, -1, FREE
            top += 1
            continue
        st = status[f]
        if st != REFERENCE:  # the company's way
            s_node[top], s_undo[top] = left[j] if xl else right[j], n_undo
            s_feat[top], s_side[top] = (f, COMPANY) if st == FREE else (-1, FREE)
            top += 1
        if st != COMPANY:  # the reference's way
            s_node[top], s_undo[top] = left[j] if rl else right[j], n_undo
            s_feat[top], s_side[top] = (f, REFERENCE) if st == FREE else (-1, FREE)
            top += 1
    for k in range(n_undo):  # the last path's sides, cleared for the next tree
        status[undo[k]] = FREE
