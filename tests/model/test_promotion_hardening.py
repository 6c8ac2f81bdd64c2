"""Promotion against forged marks, racing promotions and crashes between its writes (security review, item 9).

Rollback eligibility comes from finished promotion runs, never from a version tag; a promotion judged against a
champion that has since moved does not land; and wherever a promotion stops, the champion is either untouched or
moved and marked, never moved and unmarked.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from typer.testing import CliRunner

from tegenkracht.cli import app
from tests.shared import APPROVER, Trained
from training import registry as reg
from training.promotion import Gate, PromotionError, former_champion_run, promote

pytestmark = pytest.mark.slow
NAME = "tegenkracht-risk"
WHY = "the champion misbehaves in production; oversight rolls back"
MARKS = ("promotion.champion_since", "promotion.via", "promotion.run_id")


@pytest.fixture(autouse=True)
def quality_not_judged(monkeypatch: pytest.MonkeyPatch) -> None:
    """The quality gate passes unscored: it has tests of its own, and scoring two models costs a second a call."""
    from training import promotion

    monkeypatch.setattr(promotion, "quality_gate", lambda *_args: Gate("quality", True, "not judged in this test"))


def _champion() -> str | None:
    v = reg.alias_version("champion")
    return None if v is None else str(v.version)


def _tags(version: str) -> dict[str, str]:
    return dict(reg.resolve(version).tags)


def _runs() -> list[Any]:
    """The promotion runs, newest first."""
    c = reg.client()
    experiment = c.get_experiment_by_name("tegenkracht-promotions").experiment_id
    runs: list[Any] = c.search_runs([experiment], order_by=["attributes.start_time DESC"])
    return runs


def _former_champion_run(version: str) -> str | None:
    return former_champion_run(reg.resolve(version))


# 1. A rollback needs the record of a finished promotion, and an approver.


def test_a_hand_set_champion_since_tag_is_no_rollback_target(registry: Trained) -> None:
    reg.client().set_model_version_tag(NAME, "2", "promotion.champion_since", "2020-01-01T00:00:00+00:00")
    assert promote(version="2").via == "refused", "judged by its gates (v2 has no audit)"
    assert _champion() is None
    decision = promote(version="2", approver=APPROVER, justification=WHY)
    assert decision.via == "override" and [g.name for g in decision.failed()] == ["fairness"]


def test_a_run_id_mark_naming_another_versions_promotion_is_no_rollback_target(registry: Trained) -> None:
    promote(version="1")  # a genuine, finished promotion run, but of v1
    c = reg.client()
    c.set_model_version_tag(NAME, "2", "promotion.champion_since", "2020-01-01T00:00:00+00:00")
    c.set_model_version_tag(NAME, "2", "promotion.run_id", _runs()[0].info.run_id)
    decision = promote(version="2", approver=APPROVER, justification=WHY)
    assert decision.via == "override" and decision.gates, "an override, judged by its gates, not a rollback"


def test_a_rollback_needs_an_approver_and_without_one_is_gated(registry: Trained) -> None:
    promote(version="1")
    promote(version="2", approver=APPROVER, justification=WHY)
    back = promote(version="1")  # v1 was champion, but nobody approved a rollback: its gates decide
    assert back.via == "gates" and [g.name for g in back.gates] == ["quality", "fairness", "drift_baseline"]
    assert promote(version="2").via == "refused", "a former champion without an approver is gated (no audit)"
    assert _champion() == "1"
    rollback = promote(version="2", approver=APPROVER, justification=WHY)
    assert rollback.via == "rollback" and not rollback.gates and _champion() == "2"
    tags = _tags("2")
    assert tags["rollback.approver"] == APPROVER and tags["rollback.justification"] == WHY
    c = reg.client()
    params = c.get_run(tags["promotion.run_id"]).data.params
    assert params["rollback_approver"] == APPROVER and params["rollback_of_run"] == rollback.rollback_of
    evidence = c.get_run(str(rollback.rollback_of))  # the run that made v2 champion the first time
    assert evidence.info.status == "FINISHED"
    assert (evidence.data.params["candidate_version"], evidence.data.params["decision"]) == ("2", "override")


def test_cli_rollback_with_an_approver(registry: Trained) -> None:
    promote(version="1")
    promote(version="2", approver=APPROVER, justification=WHY)
    result = CliRunner().invoke(
        app, ["promote", "--version", "1", "--approver", APPROVER, "--justification", WHY, "--json"]
    )
    assert result.exit_code == 0, result.output
    assert '"via": "rollback"' in result.stdout and _champion() == "1"


# 2. A promotion judged against a champion that has since moved does not land.


def test_a_promotion_is_refused_when_the_champion_moved_while_its_gates_ran(
    registry: Trained, monkeypatch: pytest.MonkeyPatch
) -> None:
    from training import promotion

    real = promotion.drift_gate

    def rival_lands_first(candidate: Any) -> Any:
        monkeypatch.setattr(promotion, "drift_gate", real)  # the rival is judged by the real gates
        assert promote(version="2", approver=APPROVER, justification=WHY).promoted
        return real(candidate)

    monkeypatch.setattr(promotion, "drift_gate", rival_lands_first)
    before = _tags("1")
    with pytest.raises(PromotionError, match="moved from no version to version 2"):
        promote(version="1")  # its gates passed against "no champion", which is no longer so
    assert _champion() == "2"
    assert _tags("1") == before, "nothing of the late promotion was written to its version"
    late = _runs()[0]
    assert late.data.params["candidate_version"] == "1" and late.info.status == "FAILED"
    assert "moved" in late.data.tags["promotion.error"]


def test_a_champion_moved_just_before_the_alias_move_is_refused_and_the_marks_taken_back(
    registry: Trained, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlflow import MlflowClient

    real = MlflowClient.set_model_version_tag

    def rival_lands_meanwhile(self: Any, name: str, version: str, key: str, value: str) -> None:
        if key == "promotion.champion_since" and str(version) == "1":
            monkeypatch.setattr(MlflowClient, "set_model_version_tag", real)
            self.set_registered_model_alias(name, "champion", "2")
        real(self, name, version, key, value)

    monkeypatch.setattr(MlflowClient, "set_model_version_tag", rival_lands_meanwhile)
    before = _tags("1")
    with pytest.raises(PromotionError, match="moved"):
        promote(version="1")
    assert _champion() == "2"
    assert _tags("1") == before, "the marks written before the re-read are taken back"


# 3. Wherever a promotion stops, the champion is untouched, or moved and marked.


def test_every_crash_point_leaves_the_champion_untouched_or_moved_and_marked(
    registry: Trained, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every registry write in order: a crash after any prefix of them must leave a consistent registry."""
    from mlflow import MlflowClient

    promote(version="1")
    writes: list[tuple[str, str, str]] = []
    for method in ("set_model_version_tag", "delete_model_version_tag", "set_registered_model_alias"):
        real = getattr(MlflowClient, method)

        def spy(self: Any, name: str, *args: str, _real: Any = real, _method: str = method) -> Any:
            alias_move = _method == "set_registered_model_alias"
            writes.append((_method, str(args[1] if alias_move else args[0]), "" if alias_move else args[1]))
            return _real(self, name, *args)

        monkeypatch.setattr(MlflowClient, method, spy)
    promote(version="2", approver=APPROVER, justification=WHY)
    moved = writes.index(("set_registered_model_alias", "2", ""))
    marked_first = {key for method, version, key in writes[:moved] if method == "set_model_version_tag"}
    assert {*MARKS, "override.approver", "override.justification"} <= marked_first
    assert all(version == "2" for _, version, _ in writes), "the previous champion's tags are never written"


@pytest.mark.parametrize("failure", ["refused", "alias move", "champion mark"])
def test_a_failed_promotion_never_touches_the_champion(
    registry: Trained, monkeypatch: pytest.MonkeyPatch, failure: str
) -> None:
    from mlflow import MlflowClient

    promote(version="1")
    before = _tags("1")
    real = MlflowClient.set_model_version_tag

    def mark_fails(self: Any, name: str, version: str, key: str, value: str) -> None:
        if key == "promotion.champion_since":
            raise ConnectionError("registry went away")
        real(self, name, version, key, value)

    def move_fails(*_args: object) -> None:
        raise ConnectionError("registry went away")

    if failure == "refused":
        assert promote(version="2").via == "refused"
    else:
        if failure == "alias move":
            monkeypatch.setattr(MlflowClient, "set_registered_model_alias", move_fails)
        else:
            monkeypatch.setattr(MlflowClient, "set_model_version_tag", mark_fails)
        with pytest.raises(ConnectionError):
            promote(version="2", approver=APPROVER, justification=WHY)
        assert _runs()[0].info.status == "FAILED"
        assert not set(MARKS) & set(_tags("2")), "the marks of a promotion that did not land are taken back"
    assert _champion() == "1"
    assert _tags("1") == before


def test_a_promotion_killed_before_its_alias_move_grants_no_rollback(
    registry: Trained, alias_outage: Callable[[], AbstractContextManager[object]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A killed process undoes nothing: its marks stay, but they name a run that never finished."""
    from training import promotion

    monkeypatch.setattr(promotion, "_unmark", lambda *_args: None, raising=False)
    with alias_outage():
        promote(version="2", approver=APPROVER, justification=WHY)
    assert _champion() is None and "promotion.champion_since" in _tags("2")
    assert _tags("2")["promotion.run_id"] == _runs()[0].info.run_id and _runs()[0].info.status == "FAILED"
    assert _former_champion_run("2") is None
    reg.client().set_model_version_tag(NAME, "2", "promotion.run_id", "0" * 32)  # a mark naming no run at all
    assert _former_champion_run("2") is None
    promote(version="1")
    assert promote(version="2", approver=APPROVER, justification=WHY).via == "override"


def test_a_promotion_killed_after_its_alias_move_leaves_a_marked_champion(
    registry: Trained, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mlflow

    real = mlflow.log_param

    def killed_after_the_move(key: str, value: Any, *args: Any, **kwargs: Any) -> Any:
        if key == "alias_moved_at":
            raise ConnectionError("killed")
        return real(key, value, *args, **kwargs)

    monkeypatch.setattr(mlflow, "log_param", killed_after_the_move)
    with pytest.raises(ConnectionError):
        promote(version="1")
    run = _runs()[0]
    assert _champion() == "1" and _tags("1")["promotion.run_id"] == run.info.run_id
    assert run.info.status == "FAILED" and _former_champion_run("1") is None, "no proof it finished: no rollback"
