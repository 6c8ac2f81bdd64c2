"""A seed ensemble as one LightGBM model: the average of k boosters in log-odds.

Averaging boosters trained with different bagging seeds removes most of the seed-to-seed noise of one small-data
fit (docs/model.md measures it). Written as a single LightGBM text model, whose trees are all the members' trees
with every leaf value divided by k, the ensemble stays the object the rest of the product already handles: the
registry stores one ``booster.txt``, scoring calls one ``predict``, and the exact TreeSHAP of ``models.treeshap``
explains it. SHAP is linear in the model, so the SHAP of this average is the average of the members' SHAPs and
the explanation stays exact and additive.
"""

from __future__ import annotations

import re

import lightgbm as lgb

_VALUE_LINES = ("leaf_value=", "internal_value=")
_TREE_HEADER = re.compile(r"^Tree=\d+$", re.MULTILINE)


class EnsembleError(ValueError):
    """Boosters that cannot be averaged into one model."""


def average_boosters(boosters: list[lgb.Booster]) -> lgb.Booster:
    """One booster whose raw score is the mean of the members' raw scores, exactly up to rounding."""
    if not boosters:
        raise EnsembleError("an ensemble needs at least one booster")
    if len(boosters) == 1:
        return boosters[0]
    texts = [b.model_to_string() for b in boosters]
    headers = [_split(t)[0] for t in texts]
    if len({_signature(h) for h in headers}) != 1:
        raise EnsembleError("the boosters differ in objective or features: only members of one fit can be averaged")
    scale = 1.0 / len(boosters)
    trees = [_scaled(tree, scale) for t in texts for tree in _split(t)[1]]
    numbered = [_TREE_HEADER.sub(f"Tree={i}", tree, count=1) for i, tree in enumerate(trees)]
    header = "\n".join(line for line in headers[0].splitlines() if not line.startswith("tree_sizes="))
    tail = _split(texts[0])[2]
    return lgb.Booster(model_str=header + "\n\n" + "\n".join(numbered) + "end of trees\n" + tail)


def _split(text: str) -> tuple[str, list[str], str]:
    """Header, tree blocks (each starting ``Tree=i``) and what follows ``end of trees``."""
    body, _, tail = text.partition("end of trees")
    first = body.find("\nTree=")
    if first < 0:
        return body.rstrip("\n"), [], tail
    header, trees = body[:first], body[first + 1 :]
    first_block, *rest = trees.split("\nTree=")
    blocks = [first_block, *("Tree=" + b for b in rest)]
    return header.rstrip("\n"), [b if b.endswith("\n") else b + "\n" for b in blocks], tail


def _signature(header: str) -> tuple[str, ...]:
    keep = ("num_class=", "num_tree_per_iteration=", "max_feature_idx=", "objective=", "feature_names=")
    return tuple(line for line in header.splitlines() if line.startswith(keep))


def _scaled(tree: str, scale: float) -> str:
    """The tree with its leaf and internal values multiplied by ``scale`` (full double precision)."""
    out = []
    for line in tree.splitlines():
        if line.startswith(_VALUE_LINES):
            key, _, values = line.partition("=")
            line = key + "=" + " ".join(repr(float(v) * scale) for v in values.split())
        out.append(line)
    return "\n".join(out) + "\n"


__all__ = ["EnsembleError", "average_boosters"]
