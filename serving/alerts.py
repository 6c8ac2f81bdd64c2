"""Alerts on material change: rules as data, evaluated for every company when a batch is loaded, delivered to watches.

A batch alone says how risky a company looks; following it means being told when that changes for the worse, and
only then (Justis RADAR reports changes, Quantexa re-alerts only on new material risk). The rules live in
``serving/templates/alert_rules.toml`` (or the file ``TEGENKRACHT_ALERT_RULES`` names), each with why it matters
and who says so, and ``docs/alerts.md`` is generated from them.

Each rule compares a company's previous batch with the new one and measures a level. On one watch a rule fires
again only above the highest level it already fired at: a refresh, a reload of the same scores, or a value that
falls and comes back never alerts twice. Only watches that are open when the batch is loaded receive alerts, and
only for companies in their analyst's regions in the new batch.
"""

from __future__ import annotations

import json
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from core import settings
from features.catalogue import BY_ID, SOURCES
from serving.signals import SIGNAL_BANDS
from serving.store.tables import Alert, User, Watch

RULES_FILE = Path(__file__).parent / "templates" / "alert_rules.toml"
Kind = Literal["band", "rises", "top_k"]
KINDS: tuple[Kind, ...] = ("band", "rises", "top_k")
BAND_NAMES = ("low", *sorted(SIGNAL_BANDS, key=lambda b: SIGNAL_BANDS[b]))
BAND_FLOORS = np.array(sorted(SIGNAL_BANDS.values()))


class RuleError(ValueError):
    """An alert rules file that cannot be used; the message names the rule and the field."""


@dataclass(frozen=True, kw_only=True)
class Rule:
    """One alert rule (see the rules file for the meaning of each kind)."""

    id: str
    kind: Kind
    label_nl: str
    label_en: str
    why: str
    source: str
    indicators: tuple[str, ...] = ()
    at_least: float = 1.0


@dataclass(frozen=True)
class Side:
    """One batch's view of the companies compared, row for row with the other side."""

    probability: np.ndarray
    rank: np.ndarray  # float: rank in its region, 1 = highest; inf where unknown (outside the top loaded)
    values: Mapping[str, np.ndarray] = field(default_factory=dict)


def load_rules(path: Path | None = None) -> tuple[Rule, ...]:
    """The rules in ``path`` (default: the configured file, else the shipped one), checked."""
    return _load(path or settings.ALERT_RULES or RULES_FILE)


@cache
def _load(path: Path) -> tuple[Rule, ...]:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise RuleError(f"cannot read alert rules {path}: {exc}") from exc
    rules = tuple(_rule(entry, n) for n, entry in enumerate(raw.get("rule", []), 1))
    ids = [r.id for r in rules]
    if len(set(ids)) != len(ids):
        raise RuleError(f"{path}: rule ids repeat: {sorted(i for i in ids if ids.count(i) > 1)}")
    return rules


def _rule(entry: dict[str, Any], n: int) -> Rule:
    where = f"rule {n} ({entry.get('id', '?')})"
    for key in ("id", "kind", "label_nl", "label_en", "why", "source"):
        if not isinstance(entry.get(key), str) or not entry[key]:
            raise RuleError(f"{where}: `{key}` must be a non-empty string")
    if entry["kind"] not in KINDS:
        raise RuleError(f"{where}: `kind` must be one of {KINDS}")
    if entry["source"] not in SOURCES:
        raise RuleError(f"{where}: `source` {entry['source']!r} is not a key of the catalogue's SOURCES")
    indicators = tuple(entry.get("indicators", ()))
    if entry["kind"] == "rises" and not indicators:
        raise RuleError(f"{where}: a `rises` rule names its `indicators`")
    unknown = [i for i in indicators if i not in BY_ID]
    if unknown:
        raise RuleError(f"{where}: {unknown} are not catalogued indicators")
    at_least = entry.get("at_least", 1)
    if not isinstance(at_least, int | float) or not math.isfinite(at_least):
        raise RuleError(f"{where}: `at_least` must be a number")
    known = {"id", "kind", "label_nl", "label_en", "why", "source", "indicators", "at_least"}
    if set(entry) - known:
        raise RuleError(f"{where}: unknown fields {sorted(set(entry) - known)}")
    return Rule(
        id=entry["id"], kind=entry["kind"], label_nl=entry["label_nl"], label_en=entry["label_en"],
        why=entry["why"], source=entry["source"], indicators=indicators, at_least=float(at_least),
    )  # fmt: skip


def band_rank(probability: np.ndarray) -> np.ndarray:
    """0 below the signal threshold, then 1, 2, 3 for the bands raised, high and very high."""
    return np.searchsorted(BAND_FLOORS, np.asarray(probability, dtype=np.float64), side="right")


def needed_indicators(rules: tuple[Rule, ...]) -> tuple[str, ...]:
    """Every indicator some rule reads, in a fixed order."""
    return tuple(sorted({i for r in rules for i in r.indicators}))


def events(rules: tuple[Rule, ...], old: Side, new: Side, top_k: int | None = None) -> pd.DataFrame:
    """Every rule that holds between the two sides: one row per (row position, rule) with its level and facts.

    A ``rises`` rule whose indicators a side lacks is skipped (the batch's model does not read them).
    """
    k = settings.ALERT_TOP_K if top_k is None else top_k
    found: list[pd.DataFrame] = []
    for rule in rules:
        at, level, facts = _fired(rule, old, new, k)
        if len(at):
            found.append(pd.DataFrame({"row": at, "rule": rule.id, "level": level, "facts": facts}))
    if not found:
        return pd.DataFrame({"row": np.array([], np.int64), "rule": [], "level": [], "facts": []})
    return pd.concat(found, ignore_index=True)


def _fired(rule: Rule, old: Side, new: Side, k: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    if rule.kind == "band":
        before, after = band_rank(old.probability), band_rank(new.probability)
        at = np.flatnonzero(after > before)
        facts = [
            json.dumps({"band": [BAND_NAMES[before[i]], BAND_NAMES[after[i]]],
                        "probability": [float(old.probability[i]), float(new.probability[i])]})
            for i in at
        ]  # fmt: skip
        return at, after[at].astype(np.float64), facts
    if rule.kind == "top_k":
        at = np.flatnonzero((new.rank <= k) & (old.rank > k))
        facts = [json.dumps({"rank": [_rank(old.rank[i]), int(new.rank[i])], "k": k}) for i in at]
        return at, np.ones(len(at)), facts
    if any(i not in old.values or i not in new.values for i in rule.indicators):
        return np.array([], np.int64), np.array([]), []
    before, after = _sum(old, rule.indicators), _sum(new, rule.indicators)
    rose = ~np.isnan(after) & (after >= rule.at_least) & (np.isnan(before) | (after > before))
    at = np.flatnonzero(rose)
    facts = [
        json.dumps({name: [_num(old.values[name][i]), _num(new.values[name][i])] for name in rule.indicators})
        for i in at
    ]
    return at, after[at], facts


def _sum(side: Side, names: tuple[str, ...]) -> np.ndarray:
    """The indicators' sum per row; missing where every one is missing (unknown is not zero)."""
    stack = np.vstack([np.asarray(side.values[n], dtype=np.float64) for n in names])
    total = np.nansum(stack, axis=0)
    total[np.isnan(stack).all(axis=0)] = np.nan
    return np.asarray(total)


def _num(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def _rank(rank: float) -> int | None:
    """The previous rank, or None when it was not known (below the top k, or not in that batch)."""
    return None if math.isinf(rank) else int(rank)


def deliver(
    s: Session,
    found: pd.DataFrame,
    company_ids: np.ndarray,
    regions: np.ndarray,
    batch_id: int,
    previous_id: int,
    moment: datetime | None = None,
) -> int:
    """Alerts for the open watches of companies in ``found``, above each (watch, rule)'s highest level so far.

    ``company_ids`` and ``regions`` are the compared rows' (``found.row`` indexes them). Returns how many were
    written; the caller's transaction makes them part of the batch becoming current.
    """
    now = moment or datetime.now(UTC)
    if found.empty:
        return 0
    fired = found.assign(company_id=company_ids[found["row"].to_numpy()], region=regions[found["row"].to_numpy()])
    watched = s.execute(
        select(Watch.id, Watch.company_id, User.regions)
        .join(User, User.id == Watch.user_id)
        .where(Watch.ended_at.is_(None), Watch.expires_at > now, User.disabled_at.is_(None))
    ).all()
    if not watched:
        return 0
    watches = pd.DataFrame(watched, columns=["watch_id", "company_id", "user_regions"])
    pairs = fired.merge(watches, on="company_id")
    pairs = pairs[[r in json.loads(u) for r, u in zip(pairs["region"], pairs["user_regions"], strict=True)]]
    if pairs.empty:
        return 0
    highest = dict(
        ((int(w), str(r)), float(lv))
        for w, r, lv in s.execute(
            select(Alert.watch_id, Alert.rule, func.max(Alert.level))
            .where(Alert.watch_id.in_([int(w) for w in pairs["watch_id"].unique()]))
            .group_by(Alert.watch_id, Alert.rule)
        ).all()
    )
    rows = [
        {"watch_id": w, "company_id": c, "batch_id": batch_id, "previous_batch_id": previous_id, "rule": r,
         "level": lv, "facts": f, "created_at": now}
        for w, c, r, lv, f in zip(
            pairs["watch_id"].astype(int).tolist(), pairs["company_id"].astype(str).tolist(),
            pairs["rule"].astype(str).tolist(), pairs["level"].astype(float).tolist(),
            pairs["facts"].astype(str).tolist(), strict=True,
        )
        if lv > highest.get((w, r), -math.inf)
    ]  # fmt: skip
    if rows:
        s.execute(insert(Alert), rows)
    return len(rows)
