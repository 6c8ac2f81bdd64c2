"""Gated promotion: ``@champion`` moves only when every gate passes, or when oversight overrides in writing.

Gates:

* **quality** — the challenger and the champion are scored on the *challenger's* evaluation set (its test fold,
  stored with its run), and the challenger may fall short of the champion by at most the tolerance (a share of
  the champion's figure) on PR-AUC and on precision at 100 per region. With no champion yet, it passes.
* **fairness** — the audit stored with the version's training run (``fairness/audit_observed.json``) shows no
  headline disparity (selection rate, FDR, FPR, false positives per group size) outside 0.8–1.25 with its
  confidence interval clear of the bound; a version without a stored audit is refused with "no audit".
* **drift baseline** — the training run stored the reference that drift monitors compare production to.

A refusal names each failed gate with its figures. An override needs a named approver on the oversight roster
and a written justification; both are recorded as version tags and in a promotion run. ``--version N`` for a
version that was champion before is a rollback: it needs no gates (it passed them, or was overridden, then) and is
recorded the same way (only a version *number* rolls back; an alias is always gated). Every decision, refused or
not, is logged as a run in the ``tegenkracht-promotions`` experiment: the promotion audit trail.
"""

from __future__ import annotations

import getpass
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from core import settings
from core.tracking import start_run
from fairness.audit import AuditResult
from fairness.monitor import sanitise_metric_name
from fairness.run import OBSERVED_JSON
from training.evaluation import Ranking, evaluate
from training.registry import (
    CHALLENGER,
    CHAMPION,
    DRIFT_ARTIFACT,
    EVALUATION_ARTIFACT,
    alias_version,
    client,
    labels_seen_until,
    load,
    resolve,
    run_artifact,
)

log = logging.getLogger(__name__)
EXPERIMENT = "tegenkracht-promotions"
QUALITY_METRICS = ("pr_auc", "precision_at_100")
MIN_JUSTIFICATION = 20


class PromotionError(ValueError):
    """A promotion request that cannot even be considered (bad approver, no such version)."""


@dataclass(frozen=True)
class Gate:
    """One check, its verdict, and the figures behind it."""

    name: str
    passed: bool
    detail: str
    figures: dict[str, float] = field(default_factory=dict)


@dataclass
class Decision:
    """What ``promote`` did and why."""

    version: str
    promoted: bool
    via: str  # gates | override | rollback | refused
    gates: list[Gate]
    previous_champion: str | None
    approver: str | None = None
    justification: str | None = None

    def failed(self) -> list[Gate]:
        """The gates that did not pass."""
        return [g for g in self.gates if not g.passed]

    def as_dict(self) -> dict[str, Any]:
        """For ``--json`` and the promotion run."""
        return {**asdict(self), "gates": [asdict(g) for g in self.gates]}


def quality_gate(candidate: Any, champion: Any | None, tolerance: float) -> Gate:
    """Challenger against champion on the challenger's own evaluation set."""
    if champion is None:
        return Gate("quality", True, "no champion yet: nothing to compare against")
    path = run_artifact(candidate, EVALUATION_ARTIFACT)
    if path is None:
        return Gate("quality", False, f"version {candidate.version} has no stored evaluation set")
    frame = pd.read_parquet(path)
    scores: dict[str, Ranking] = {}
    for role, version in (("candidate", candidate), ("champion", champion)):
        try:
            model = load(version)
            scores[role] = Ranking(model.score(frame), model.probability(frame))
        except Exception as exc:  # a version that cannot load or score fails the gate, with the reason
            return Gate("quality", False, f"{role} version {version.version} cannot score the evaluation set: {exc}")
    results = evaluate(scores, frame)
    figures: dict[str, float] = {}
    failing = []
    for metric in QUALITY_METRICS:
        new, old = results["candidate.observed"][metric], results["champion.observed"][metric]
        floor = old * (1 - tolerance)
        figures.update({f"candidate.{metric}": new, f"champion.{metric}": old, f"floor.{metric}": floor})
        if not new >= floor:  # NaN fails too
            failing.append(f"{metric} {new:.4f} < {floor:.4f} (champion {old:.4f} - {tolerance:.0%})")
    detail = "; ".join(failing) if failing else f"not worse than champion v{champion.version} beyond {tolerance:.0%}"
    return Gate("quality", not failing, detail + _overlap_note(candidate, champion), figures)


def _overlap_note(candidate: Any, champion: Any) -> str:
    """Warn when the champion learned from labels inside the challenger's evaluation set (it then looks better)."""
    seen_until = labels_seen_until(champion.tags)
    test = pd.Timestamp(candidate.tags.get("test_as_of", "NaT"))
    if seen_until is None or pd.isna(test) or seen_until <= test:
        return ""
    return (
        f" (note: champion v{champion.version} learned from labels up to {seen_until.date()}, after this evaluation"
        f" set's as-of {test.date()}: the comparison favours the champion)"
    )


def fairness_gate(candidate: Any) -> Gate:
    """The version's own stored audit, re-read and re-judged: no unfair headline disparity against observed labels.

    The verdict is re-derived from the numbers in ``fairness/audit_observed.json`` (disparities, intervals,
    p-values), never taken from the tag or the stored status words, so neither a tag nor a status edited by hand
    passes a model. An audit that cannot vouch for the model is refused like a failed one: none stored, one that
    cannot be read, one that selected nobody or had no labels, or one of another shortlist than the gate's.
    """
    path = run_artifact(candidate, f"fairness/{OBSERVED_JSON}")
    if path is None:
        reason = candidate.tags.get("fairness.summary", "no fairness audit is stored with this version")
        return Gate("fairness", False, reason if reason.startswith("no audit") else f"no audit: {reason}")
    try:
        result = AuditResult.from_json(path.read_text(encoding="utf-8"))
        unusable = _unusable_audit(result.settings)
        failures = [] if unusable else result.rejudged()
    except (ValueError, KeyError, TypeError) as exc:  # a stored audit that cannot be read vouches for nothing
        return Gate("fairness", False, f"the stored audit cannot be read: {exc}")
    if unusable:
        return Gate("fairness", False, unusable)
    figures = {
        sanitise_metric_name(f"{f.attribute}.{f.group}.{f.metric}"): float(min(f.disparity, 1e6)) for f in failures
    }
    if failures:
        detail = "unfair: " + "; ".join(f.sentence() for f in failures)
    else:
        detail = f"no {'/'.join(result.headline)} disparity outside 0.8-1.25 ({result.settings['decision']})"
    return Gate("fairness", not failures, detail, figures)


def _unusable_audit(audited: dict[str, Any]) -> str | None:
    """Why a stored audit cannot vouch for a model, or None."""
    if not audited.get("selected"):
        return "the stored audit selected nobody: it judges nothing"
    if not audited.get("labelled"):
        return "the stored audit had no labels: error rates were not judged"
    if audited.get("top_k") != settings.FAIRNESS_TOP_K or audited.get("within") != "riec_region":
        return (
            f"the stored audit judged '{audited.get('decision')}', the gate requires the top "
            f"{settings.FAIRNESS_TOP_K} per riec_region (TEGENKRACHT_FAIRNESS_TOP_K): retrain to audit it"
        )
    return None


def drift_gate(candidate: Any) -> Gate:
    """The training run stored its drift reference."""
    stored = run_artifact(candidate, DRIFT_ARTIFACT) is not None
    return Gate("drift_baseline", stored, "reference stored" if stored else "no drift reference stored with the run")


def promote(
    version: str | None = None,
    approver: str | None = None,
    justification: str | None = None,
    tolerance: float | None = None,
    is_oversight: ApproverCheck | None = None,
) -> Decision:
    """Move ``@champion`` to ``version`` (default ``@challenger``) if the gates, an override or a rollback allow.

    An override's approver must be on ``OVERSIGHT_APPROVERS`` or pass ``is_oversight`` (the caller's roster).
    """
    tolerance = settings.PROMOTION_TOLERANCE if tolerance is None else tolerance
    if not 0.0 <= tolerance < 1.0:
        raise PromotionError(f"the tolerance is a share of the champion's figure, 0 <= t < 1, not {tolerance}")
    approver, justification = (approver or "").strip() or None, (justification or "").strip() or None
    _check_override(approver, justification, is_oversight)
    candidate = resolve(version if version is not None else f"@{CHALLENGER}")
    champion = alias_version(CHAMPION)
    previous = str(champion.version) if champion is not None else None
    if champion is not None and str(champion.version) == str(candidate.version):
        raise PromotionError(f"version {candidate.version} already holds @{CHAMPION}")
    named = version is not None and version.removeprefix("models:/").split("/")[-1].isdigit()
    if named and candidate.tags.get("promotion.champion_since"):
        decision = Decision(str(candidate.version), True, "rollback", [], previous, approver, justification)
    else:
        gates = [quality_gate(candidate, champion, tolerance), fairness_gate(candidate), drift_gate(candidate)]
        passed = all(g.passed for g in gates)
        via = "gates" if passed else ("override" if approver else "refused")
        decision = Decision(str(candidate.version), via != "refused", via, gates, previous, approver, justification)
    _record(decision, candidate, champion)
    return decision


#: Whether a name holds the oversight role where the deployer keeps its roster (the CLI hands in the service's
#: user store, ``serving.access.is_oversight_user``); training itself knows only ``OVERSIGHT_APPROVERS``.
ApproverCheck = Callable[[str], bool]


def _check_override(approver: str | None, justification: str | None, is_oversight: ApproverCheck | None) -> None:
    if approver is None and justification is None:
        return
    if approver is None or justification is None:
        raise PromotionError("an override needs both --approver and --justification")
    known = approver in settings.OVERSIGHT_APPROVERS or (is_oversight is not None and is_oversight(approver))
    if not known:
        raise PromotionError(
            f"{approver!r} does not hold the oversight role (an enabled oversight user in the service's store, or "
            "TEGENKRACHT_OVERSIGHT_APPROVERS); override refused"
        )
    if len(justification.strip()) < MIN_JUSTIFICATION:
        raise PromotionError(f"a justification must say why, in at least {MIN_JUSTIFICATION} characters")


def _record(decision: Decision, candidate: Any, champion: Any | None) -> None:
    """The promotion run first, then the version's gate tags, then the alias, then the champion marks.

    The decision is on record before anything changes. If the alias move fails, the run ends FAILED and the version
    is not marked as a former champion, so it can never be "rolled back" to without its gates.
    """
    import mlflow

    c = client()
    now = datetime.now(UTC).isoformat(timespec="seconds")
    name, v = settings.MODEL_NAME, decision.version
    # keys differ from the MLproject parameters (version, approver, justification) that `mlflow run` logs first
    params = {
        "candidate_version": v,
        "decision": decision.via,
        "previous_champion": str(decision.previous_champion),
        "override_approver": str(decision.approver) if decision.via == "override" else "None",
        "requested_by": getpass.getuser(),
        **_splits("candidate", candidate),
        **(_splits("champion", champion) if champion is not None else {}),
    }
    with start_run(EXPERIMENT, f"promote v{v}: {decision.via}"):
        mlflow.log_params(params)
        for g in decision.gates:
            mlflow.log_metrics({f"{g.name}.{k}": x for k, x in g.figures.items() if x == x})
        mlflow.log_dict(decision.as_dict(), "decision.json")
        tags = {f"gate.{g.name}": ("pass: " if g.passed else "fail: ") + g.detail for g in decision.gates}
        tags.update({"promotion.last_decision": decision.via, "promotion.last_decided_at": now})
        _tag(c, name, v, tags)
        if not decision.promoted:
            return
        c.set_registered_model_alias(name, CHAMPION, v)
        log.info("@%s -> version %s (%s; was %s)", CHAMPION, v, decision.via, decision.previous_champion)
        marks = {
            "promotion.champion_since": now,
            "promotion.via": decision.via,
            "promotion.requested_by": getpass.getuser(),
        }
        if decision.approver and decision.via in ("override", "rollback"):
            marks.update(
                {
                    f"{decision.via}.approver": decision.approver,
                    f"{decision.via}.justification": decision.justification or "",
                }
            )
        _tag(c, name, v, marks)


def _tag(c: Any, name: str, version: str, tags: dict[str, str]) -> None:
    for key, value in tags.items():
        c.set_model_version_tag(name, version, key, value[:4900])


def _splits(role: str, version: Any) -> dict[str, str]:
    """The folds a version was trained, validated and tested on, from its registration tags."""
    keys = ("train_as_of", "validation_as_of", "test_as_of", "horizon_months")
    return {f"{role}_{k}": str(version.tags.get(k, "unknown")) for k in keys}
