"""Gated promotion: refusals name their gates, overrides need oversight, rollbacks work, and all is recorded."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tegenkracht.cli import app
from tests.shared import APPROVER, Trained
from training import registry as reg
from training.promotion import PromotionError, promote
from training.run import train

pytestmark = pytest.mark.slow
WHY = "first model; the fairness audit is reviewed by hand for this test"


def _champion() -> str | None:
    v = reg.alias_version("champion")
    return None if v is None else str(v.version)


def test_without_an_audit_promotion_is_refused_and_says_why(registry: Trained) -> None:
    decision = promote()
    assert not decision.promoted and decision.via == "refused"
    assert [g.name for g in decision.failed()] == ["fairness"]
    assert "no audit" in decision.failed()[0].detail
    assert _champion() is None
    tags = reg.resolve("2").tags
    assert tags["gate.fairness"].startswith("fail") and tags["promotion.last_decision"] == "refused"
    c = reg.client()
    runs = c.search_runs([c.get_experiment_by_name("tegenkracht-promotions").experiment_id])
    assert runs[0].data.params["decision"] == "refused"


@pytest.mark.parametrize(
    ("approver", "justification", "message"),
    [
        ("Someone Else", WHY, "oversight role"),
        (APPROVER, None, "both"),
        (None, WHY, "both"),
        (APPROVER, "because", "at least"),
    ],
)
def test_an_override_needs_an_oversight_approver_and_a_reason(
    registry: Trained, approver: str | None, justification: str | None, message: str
) -> None:
    with pytest.raises(PromotionError, match=message):
        promote(approver=approver, justification=justification)
    assert _champion() is None


def test_an_override_promotes_and_is_recorded(registry: Trained) -> None:
    decision = promote(version="2", approver=APPROVER, justification=WHY)  # v2 has no audit: only an override
    assert decision.promoted and decision.via == "override"
    assert _champion() == "2"
    tags = reg.resolve("2").tags
    assert tags["override.approver"] == APPROVER and tags["override.justification"] == WHY
    assert tags["promotion.via"] == "override"


def test_when_every_gate_passes_the_version_is_promoted(registry: Trained) -> None:
    decision = promote(version="1")  # v1's own audit of its test fold, stored with its run, passes
    assert decision.via == "gates" and _champion() == "1"
    assert all(g.passed for g in decision.gates)


def test_an_equal_challenger_passes_every_gate_against_a_real_champion(registry: Trained) -> None:
    promote(version="1", approver=APPROVER, justification=WHY)
    again = train(registry.world)  # same records and seed: the same model as v1, registered as v3
    decision = promote()
    assert decision.via == "gates", decision.failed()
    quality = decision.gates[0]
    assert quality.figures["candidate.pr_auc"] == quality.figures["champion.pr_auc"]
    assert _champion() == again.version and decision.previous_champion == "1"


def test_a_failed_alias_move_promotes_nothing_and_marks_nothing(
    registry: Trained, alias_outage: Callable[[], AbstractContextManager[object]]
) -> None:
    with alias_outage():
        promote(version="2", approver=APPROVER, justification=WHY)
    assert _champion() is None
    assert "promotion.champion_since" not in reg.resolve("2").tags, "never a champion, so never a rollback target"
    c = reg.client()
    runs = c.search_runs([c.get_experiment_by_name("tegenkracht-promotions").experiment_id])
    assert runs[0].info.status == "FAILED"
    assert promote(version="2").via == "refused", "gated (v2 has no audit), not rolled back"


def test_the_promotion_run_records_both_versions_windows(registry: Trained) -> None:
    promote(version="1", approver=APPROVER, justification=WHY)
    promote()  # refused (v2 has no audit and is worse), and recorded all the same
    c = reg.client()
    runs = c.search_runs(
        [c.get_experiment_by_name("tegenkracht-promotions").experiment_id],
        order_by=["attributes.start_time DESC"],
        max_results=1,
    )
    params = runs[0].data.params
    assert params["candidate_version"] == "2" and params["previous_champion"] == "1"
    assert params["candidate_test_as_of"] == "2021-12-31" and params["champion_validation_as_of"] == "2019-12-31"


def test_a_tolerance_outside_0_1_is_refused(registry: Trained) -> None:
    with pytest.raises(PromotionError, match="tolerance"):
        promote(tolerance=1.5)


def test_a_worse_challenger_fails_the_quality_gate_with_its_figures(registry: Trained) -> None:
    promote(version="1", approver=APPROVER, justification=WHY)
    decision = promote()  # @challenger is the stump, v2
    assert not decision.promoted
    assert [g.name for g in decision.failed()] == ["quality", "fairness"]
    quality = decision.failed()[0]
    assert quality.figures["candidate.pr_auc"] < quality.figures["floor.pr_auc"]
    assert "pr_auc" in quality.detail and _champion() == "1"


def test_rollback_to_an_earlier_champion(registry: Trained) -> None:
    promote(version="1", approver=APPROVER, justification=WHY)
    promote(version="2", approver=APPROVER, justification=WHY)
    assert _champion() == "2"
    decision = promote(version="1", approver=APPROVER, justification=WHY)  # a gate-free rollback needs oversight
    assert decision.via == "rollback" and decision.previous_champion == "2"
    assert _champion() == "1" and decision.rollback_of is not None


def test_an_alias_never_counts_as_a_rollback(registry: Trained) -> None:
    promote(version="2", approver=APPROVER, justification=WHY)
    promote(version="1", approver=APPROVER, justification=WHY)
    decision = promote(version="challenger")  # v2 was champion once, but an alias is always gated
    assert decision.via == "refused"


def test_cli_refusal_exits_1_and_names_the_gate(registry: Trained) -> None:
    result = CliRunner().invoke(app, ["promote", "--json"])
    assert result.exit_code == 1
    payload = json.loads(result.stdout)
    assert payload["via"] == "refused"
    assert [g["name"] for g in payload["gates"] if not g["passed"]] == ["fairness"]


def test_a_tag_edited_by_hand_does_not_pass_the_gate(registry: Trained) -> None:
    reg.client().set_model_version_tag("tegenkracht-risk", "2", "fairness.audit", "passed")
    decision = promote(version="2")
    assert "fairness" in [g.name for g in decision.failed()]
    assert "no audit" in next(g for g in decision.failed() if g.name == "fairness").detail


def test_an_unfair_audit_fails_the_gate_and_names_the_groups(
    registry: Trained, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The gate re-reads the stored audit: here one whose shortlist selects group "b" about twice as often."""
    import numpy as np
    import pandas as pd

    from fairness.audit import audit
    from training import promotion

    rng = np.random.default_rng(1)
    n = 20_000
    group = rng.choice(["a", "b"], n, p=[0.7, 0.3])
    frame = pd.DataFrame(
        {
            "score": rng.normal(0, 1, n) + np.where(group == "b", 0.6, 0.0),
            "label": (rng.random(n) < 0.05).astype(float),
            "migration_background": group,
        }
    )
    frame["riec_region"] = rng.choice(["north", "south"], n)
    result = audit(
        frame, score="score", label="label", groups=["migration_background"], top_k=100, within="riec_region"
    )
    stored = tmp_path / "audit_observed.json"
    monkeypatch.setattr(promotion, "run_artifact", lambda _v, path: stored if path.startswith("fairness/") else None)
    stored.write_text(result.to_json())
    gate = promotion.fairness_gate(reg.resolve("1"))
    assert not gate.passed
    assert "migration_background=b" in gate.detail and "pprev" in gate.detail
    assert gate.figures["migration_background.b.pprev"] > 1.25
    # the words edited to "fair" change nothing: the gate re-judges the numbers
    edited = result.groups.assign(**{f"{m}_status": "fair" for m in ("pprev", "fdr", "fpr", "fp_per_size")})
    stored.write_text(type(result)(edited, result.settings).to_json())
    assert not promotion.fairness_gate(reg.resolve("1")).passed
    # an audit of another shortlist, one that selected nobody, and an unreadable one vouch for nothing
    for settings_change, words in (({"top_k": 50}, "requires the top 100"), ({"selected": 0}, "selected nobody")):
        stored.write_text(type(result)(result.groups, {**result.settings, **settings_change}).to_json())
        gate = promotion.fairness_gate(reg.resolve("1"))
        assert not gate.passed and words in gate.detail
    stored.write_text("{not json")
    gate = promotion.fairness_gate(reg.resolve("1"))
    assert not gate.passed and "cannot be read" in gate.detail


def test_cli_unknown_version_exits_2(registry: Trained) -> None:
    result = CliRunner().invoke(app, ["promote", "--version", "99"])
    assert result.exit_code == 2
    assert "no model version" in result.output
