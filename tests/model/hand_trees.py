"""LightGBM models written by hand, so tests know every exact explanation and recourse set in advance.

A tree is nested tuples: ``("split", feature, threshold, left, right)`` or a leaf value (a float). A value goes
left when it is ``<= threshold``; a missing value goes right (LightGBM's NaN rule with default right).
"""

from __future__ import annotations

from typing import TypeAlias

import lightgbm as lgb

Node: TypeAlias = "float | tuple[str, int, float, Node, Node]"


def booster(trees: list[Node], features: list[str]) -> lgb.Booster:
    """A binary model summing ``trees`` (raw log-odds), with ``features`` as its column names."""
    blocks = [_block(i, tree) for i, tree in enumerate(trees)]
    header = [
        "tree",
        "version=v4",
        "num_class=1",
        "num_tree_per_iteration=1",
        "label_index=0",
        f"max_feature_idx={len(features) - 1}",
        "objective=binary sigmoid:1",
        "feature_names=" + " ".join(features),
        "feature_infos=" + " ".join("[-1000:1000]" for _ in features),
        "tree_sizes=" + " ".join(str(len(b) + 1) for b in blocks),
        "",
    ]
    text = "\n".join(header) + "\n" + "\n".join(blocks) + "\nend of trees\n"
    return lgb.Booster(model_str=text)


def _block(index: int, tree: Node) -> str:
    nodes: list[tuple[int, float]] = []
    lefts: list[int] = []
    rights: list[int] = []
    leaves: list[float] = []

    def walk(node: Node) -> int:
        if not isinstance(node, tuple):
            leaves.append(float(node))
            return ~(len(leaves) - 1)
        at = len(nodes)
        nodes.append((node[1], node[2]))
        lefts.append(0)
        rights.append(0)
        lefts[at] = walk(node[3])
        rights[at] = walk(node[4])
        return at

    walk(tree)
    if not nodes:
        single = ["num_leaves=1", "num_cat=0", f"leaf_value={leaves[0]}", "leaf_count=100", "is_linear=0"]
        return "\n".join([f"Tree={index}", *single, "shrinkage=1", "", ""])
    counts = " ".join("100" for _ in nodes)
    lines = [
        f"Tree={index}",
        f"num_leaves={len(leaves)}",
        "num_cat=0",
        "split_feature=" + " ".join(str(f) for f, _ in nodes),
        "split_gain=" + " ".join("1" for _ in nodes),
        "threshold=" + " ".join(repr(float(t)) for _, t in nodes),
        "decision_type=" + " ".join("8" for _ in nodes),  # missing type NaN (2 << 2), default right
        "left_child=" + " ".join(str(c) for c in lefts),
        "right_child=" + " ".join(str(c) for c in rights),
        "leaf_value=" + " ".join(repr(v) for v in leaves),
        "leaf_weight=" + " ".join("1" for _ in leaves),
        "leaf_count=" + " ".join("50" for _ in leaves),
        "internal_value=" + " ".join("0" for _ in nodes),
        "internal_weight=" + " ".join("1" for _ in nodes),
        "internal_count=" + counts,
        "is_linear=0",
        "shrinkage=1",
        "",
        "",
    ]
    return "\n".join(lines)
