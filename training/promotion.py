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
and a written justification; both are recorded as version tags and in a promotion run. Every decision, refused or
not, is logged as a run in the ``tegenkracht-promotions`` experiment (under ``mlflow run``, the entry point's run):
the promotion audit trail.

**Rollback.** ``--version N`` with ``--approver`` and ``--justification`` for a version that was champion before
skips the gates (it passed them, or was overridden, then; a rollback is what oversight reaches for when the
champion misbehaves, and it should not wait on scoring). "Was champion before" is never read off a version tag,
which anyone with registry write access can set: it takes a *finished* promotion run whose immutable parameters
name this model and version, a promoting decision, and ``alias_moved_at``, which is logged only after the alias
moved (:func:`former_champion_run`). The version's ``promotion.run_id`` mark only says where to look; the run is
checked. Without an approver, the same request goes through the gates like any other promotion, and only a version
*number* can roll back (an alias is always gated). Runs written before this rule carry no ``model_name`` and vouch
for nothing: such a version is promoted through its gates or an override.

**Order of writes.** MLflow has no compare-and-set on an alias, so the writes are ordered to leave a consistent
registry wherever a process dies: the decision run first; then, for a promotion, a re-read of ``@champion`` (refused
with nothing changed if another promotion moved it since the gates were evaluated); then the version's gate tags
and champion marks (``promotion.champion_since``, ``promotion.run_id``, ...); a second re-read immediately before the
move; the alias; and last ``alias_moved_at`` on the run, which then ends FINISHED. A champion is therefore never
unmarked. A failure before the alias moved restores the version's tags, and the run ends FAILED; if the process is
killed instead, the marks stay but name a run that never finished, so they grant nothing: the alias says who is
champion, and only finished runs say who was. A failed promotion never writes to the previous champion. Two
promotions that re-read within the same few milliseconds can still both move the alias (the last one wins);
every decision is in the audit trail all the same.
"""

from __future__ import annotations

import getpass
import logging
from collections.abc import Callable
from contextlib import suppress
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
#: The decisions that move ``@champion``.
PROMOTING = ("gates", "override", "rollback")
#: The version tag naming the promotion run that last marked it champion: a pointer to check, not a proof.
RUN_MARK = "promotion.run_id"
#: The run parameter logged only once the alias has moved: a run without it never made a champion.
MOVED = "alias_moved_at"


class PromotionError(ValueError):
    """A promotion request that cannot be considered (bad approver, no such version), or was overtaken by another."""


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
    rollback_of: str | None = None  # the finished promotion run that made the version champion before

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

    An override's or a rollback's approver must be on ``OVERSIGHT_APPROVERS`` or pass ``is_oversight`` (the
    caller's roster); a former champion named without one is judged by its gates, so no tag alone skips them.
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
    before = former_champion_run(candidate) if named else None
    if before is not None and approver is not None:
        decision = Decision(str(candidate.version), True, "rollback", [], previous, approver, justification, before)
    else:
        if before is not None:
            log.warning(
                "version %s was champion before (promotion run %s): a rollback without its gates needs --approver"
                " and --justification; judging it by its gates",
                candidate.version,
                before,
            )
        gates = [quality_gate(candidate, champion, tolerance), fairness_gate(candidate), drift_gate(candidate)]
        passed = all(g.passed for g in gates)
        via = "gates" if passed else ("override" if approver else "refused")
        decision = Decision(str(candidate.version), via != "refused", via, gates, previous, approver, justification)
    _record(decision, candidate, champion)
    return decision


def former_champion_run(version: Any) -> str | None:
    """The id of a finished promotion run that made ``version`` champion, or None.

    The version's own ``promotion.run_id`` mark is tried first (it finds runs logged under ``mlflow run`` in the
    entry point's experiment), then the promotion experiment; either way the run itself must vouch
    (:func:`_made_champion`), so a tag pointing at a refused, failed or other version's run grants nothing.
    """
    from mlflow.exceptions import MlflowException

    c = client()
    name, v = str(version.name), str(version.version)
    runs: list[Any] = []
    mark = version.tags.get(RUN_MARK)
    if mark:
        with suppress(MlflowException):  # a mark naming no run is no evidence
            runs.append(c.get_run(mark))
    experiment = c.get_experiment_by_name(EXPERIMENT)
    if experiment is not None and v.isdigit():  # digits only, so the filter cannot be injected into
        where = f"params.candidate_version = '{v}' and attributes.status = 'FINISHED'"
        runs += c.search_runs([experiment.experiment_id], filter_string=where, max_results=1000)
    return next((run.info.run_id for run in runs if _made_champion(run, name, v)), None)


def _made_champion(run: Any, name: str, version: str) -> bool:
    """Whether a run is the promotion code's record of moving ``@champion`` of ``name`` to ``version``.

    Parameters cannot be changed once logged, and ``alias_moved_at`` is logged only after the move, so neither a
    tag edit nor a run that was refused, failed or killed passes.
    """
    p = run.data.params
    return bool(
        run.info.status == "FINISHED"
        and p.get("model_name") == name
        and p.get("candidate_version") == version
        and p.get("decision") in PROMOTING
        and p.get(MOVED)
    )


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
    """The decision run first; for a refusal the gate tags; for a promotion :func:`_move_champion`, then the proof.

    The decision is on record before anything changes, and ``alias_moved_at`` is logged only after the alias moved:
    the run is rollback evidence only if it finished with it (see the module docstring for every crash point).
    """
    import mlflow

    c = client()
    now = datetime.now(UTC).isoformat(timespec="seconds")
    name, v = settings.MODEL_NAME, decision.version
    # keys differ from the MLproject parameters (version, approver, justification) that `mlflow run` logs first
    params = {
        "model_name": name,
        "candidate_version": v,
        "decision": decision.via,
        "previous_champion": str(decision.previous_champion),
        "override_approver": str(decision.approver) if decision.via == "override" else "None",
        "requested_by": getpass.getuser(),
        **_splits("candidate", candidate),
        **(_splits("champion", champion) if champion is not None else {}),
    }
    if decision.rollback_of is not None:
        params.update({"rollback_approver": str(decision.approver), "rollback_of_run": decision.rollback_of})
    with start_run(EXPERIMENT, f"promote v{v}: {decision.via}") as run:
        mlflow.log_params(params)
        for g in decision.gates:
            mlflow.log_metrics({f"{g.name}.{k}": x for k, x in g.figures.items() if x == x})
        mlflow.log_dict(decision.as_dict(), "decision.json")
        tags = {f"gate.{g.name}": ("pass: " if g.passed else "fail: ") + g.detail for g in decision.gates}
        tags.update({"promotion.last_decision": decision.via, "promotion.last_decided_at": now})
        if not decision.promoted:
            _tag(c, name, v, tags)
            return
        try:
            _move_champion(c, decision, tags, run.info.run_id, now)
        except PromotionError as exc:
            mlflow.set_tag("promotion.error", str(exc)[:4900])
            raise
        mlflow.log_param(MOVED, now)


def _move_champion(c: Any, decision: Decision, tags: dict[str, str], run_id: str, now: str) -> None:
    """Mark the version, then move the alias, each step after a re-read of ``@champion``; undo the marks on failure.

    Marking first means no crash leaves an unmarked champion; re-reading just before the move means a promotion
    judged against a champion that has since been replaced does not land. The first re-read comes before any
    write, so a conflict found then changes nothing at all.
    """
    name, v = settings.MODEL_NAME, decision.version
    _check_champion(decision.previous_champion)
    marks = {
        **tags,
        "promotion.champion_since": now,
        "promotion.via": decision.via,
        "promotion.requested_by": getpass.getuser(),
        RUN_MARK: run_id,
    }
    if decision.approver and decision.via in ("override", "rollback"):
        marks.update(
            {
                f"{decision.via}.approver": decision.approver,
                f"{decision.via}.justification": decision.justification or "",
            }
        )
    before = dict(c.get_model_version(name, v).tags)
    try:
        _tag(c, name, v, marks)
        _check_champion(decision.previous_champion)
        c.set_registered_model_alias(name, CHAMPION, v)
    except BaseException:
        _unmark(c, name, v, marks, before)
        raise
    log.info("@%s -> version %s (%s; was %s)", CHAMPION, v, decision.via, decision.previous_champion)


def _check_champion(previous: str | None) -> None:
    """Refuse if ``@champion`` is no longer the version the gates were judged against."""
    holder = alias_version(CHAMPION)
    now = None if holder is None else str(holder.version)
    if now != previous:
        raise PromotionError(
            f"@{CHAMPION} moved from {_named(previous)} to {_named(now)} while this promotion was decided (another"
            " promotion?); nothing was changed: run it again to be judged against the new champion"
        )


def _named(version: str | None) -> str:
    return "no version" if version is None else f"version {version}"


def _unmark(c: Any, name: str, version: str, marks: dict[str, str], before: dict[str, str]) -> None:
    """Put back the tags a promotion wrote before its alias move failed, unless the alias moved after all.

    The alias is the truth: a call that failed after the registry applied it must not leave an unmarked champion.
    If the registry cannot even be read, the marks stay; they name a run that did not finish, so they grant nothing.
    """
    try:
        holder = alias_version(CHAMPION)
        if holder is not None and str(holder.version) == version:
            return
        for key in marks:
            if key in before:
                c.set_model_version_tag(name, version, key, before[key])
            else:
                c.delete_model_version_tag(name, version, key)
    except Exception as exc:  # the original failure is what the caller must see; this one is only logged
        log.warning("could not take back the promotion marks of version %s: %s", version, exc)


def _tag(c: Any, name: str, version: str, tags: dict[str, str]) -> None:
    for key, value in tags.items():
        c.set_model_version_tag(name, version, key, value[:4900])


def _splits(role: str, version: Any) -> dict[str, str]:
    """The folds a version was trained, validated and tested on, from its registration tags."""
    keys = ("train_as_of", "validation_as_of", "test_as_of", "horizon_months")
    return {f"{role}_{k}": str(version.tags.get(k, "unknown")) for k in keys}
