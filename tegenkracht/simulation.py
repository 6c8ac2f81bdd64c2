"""The learning loop, simulated: shortlists, investigations, feedback and retraining, round after round.

Every round (6 months apart): the champion scores the register as of that day; every RIEC region gets its
shortlist of capacity k under the policy; simulated partners (``synth.partners``) investigate the listed
companies and their findings arrive after a delay; they come back as outcomes with their inclusion probability;
the model retrains on the case records plus the outcomes and goes through a quality and a fairness gate before it
replaces the champion. The world's own investigations go on beside the system's, in a configurable share.

The loop uses the product's own parts (the indicator pipeline, ``training.outcomes``, ``training.fit``,
``models.shortlist``, ``training.counterfactual``, the fairness audit) and nothing of its storage: a round is
minutes, not a deployment. What the loop adds is the bookkeeping a real deployment spreads over years:

* **Point in time.** The system's investigations become cases of the records (opened the day after the list,
  closed when the finding arrives), so the network indicators see confirmed findings from the day they close, as
  they would see a partner's. Indicators of a day are computed once, the first time that day is reached, from
  the records as they stand then; later rounds only add cases that close after it, which the pipeline would
  not have seen on that day anyway.
* **Labels only once known.** A fold is used only when its horizon has ended, and a case or finding still open on
  the round's day is pending (left out), exactly as ``training.labels`` treats real records.
* **Eligible companies.** A company with a case already opened (by the world or the system) is not listed again:
  re-finding what partners know is no discovery. The oracle is judged on the same eligible companies.

Policies (:data:`POLICIES`) differ in how the list is drawn and how its outcomes are weighed; the sensitive
groups' shares of the lists are read through ``fairness.run.groups_for`` and reported, never used.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from fairness.groups import ATTRIBUTES
from fairness.run import Decision, audit_frame, groups_for
from features import validate_records
from features.pipeline import compute_indicators
from models.risk import RiskModel
from models.shortlist import Policy, draw_in_regions, tiebreak
from synth.partners import Partners
from training.counterfactual import Logged, evaluate_logged
from training.dataset import Fold
from training.evaluation import Ranking, at_k, evaluate
from training.fit import Hyperparameters, Selection, fit_risk_model
from training.labels import Horizon, LabelError, observed_labels, records_window
from training.outcomes import FoldSources, in_horizon, merge, normalise
from training.promotion import QUALITY_METRICS

log = logging.getLogger(__name__)
Progress = Callable[[str], None]
EXPERIMENT = "tegenkracht-simulation"
CASE_COLUMNS = ["case_id", "company_id", "opened_on", "closed_on", "outcome", "source"]


@dataclass(frozen=True)
class LoopPolicy:
    """How a policy draws its lists and learns from them."""

    draw: Policy
    #: "ipw": outcomes weigh 1/π; "naive": every outcome weighs 1, as if the list had been the register.
    weighting: Literal["ipw", "naive"] = "ipw"
    #: training.selection's estimated propensity of investigation, over all labels (the "greedy + IPW" policy).
    selection: Selection = "none"


POLICIES: dict[str, LoopPolicy] = {
    "greedy-naive": LoopPolicy(Policy("top_k"), weighting="naive"),
    "greedy-ipw": LoopPolicy(Policy("top_k"), weighting="ipw", selection="ipw"),
    "explore-ipw": LoopPolicy(Policy("explore", 0.05), weighting="ipw"),
    "explore10-ipw": LoopPolicy(Policy("explore", 0.10), weighting="ipw"),
}


@dataclass(frozen=True)
class LoopConfig:
    """One simulation's settings; every one of them is logged with the run."""

    policy: str = "explore-ipw"
    rounds: int = 10
    start: str = "2019-06-30"
    every_months: int = 6
    k: int = 100
    horizon_months: int = 12
    delay_months: int = 6
    world_share: float = 0.5
    train_folds: int = 4
    ensemble: int = 1
    seed: int = 0
    tolerance: float = 0.05
    #: The urn test: keep only this share of the historical cases in half of every region's municipalities.
    urn_keep: float | None = None
    fairness_boot: int = 200
    #: A validation fold needs this many known positives to early-stop and calibrate on.
    min_validation_positives: int = 20

    def __post_init__(self) -> None:
        if self.policy not in POLICIES:
            raise ValueError(f"policy must be one of {sorted(POLICIES)}, not {self.policy!r}")
        if self.rounds < 1:
            raise ValueError("at least one round")
        if not 0.0 <= self.world_share <= 1.0:
            raise ValueError(f"world_share must lie in [0, 1], not {self.world_share}")
        if self.delay_months > self.every_months:
            raise ValueError("findings must arrive before the next round (delay_months <= every_months)")
        if self.urn_keep is not None and not 0.0 < self.urn_keep <= 1.0:
            raise ValueError(f"urn_keep must lie in (0, 1], not {self.urn_keep}")

    def day(self, round_: int) -> pd.Timestamp:
        """The as-of day of a round: the start and every ``every_months`` after it (month ends)."""
        return pd.Timestamp(self.start) + pd.DateOffset(months=self.every_months * round_) + pd.offsets.MonthEnd(0)

    def params(self) -> dict[str, str]:
        """For MLflow."""
        return {k: str(v) for k, v in asdict(self).items()}


@dataclass
class RoundReport:
    """What one round did and found."""

    round: int
    as_of: str
    champion_round: int
    oracle_ratio: float
    precision_truth: float
    true_positives: int
    confirmed: int
    listed: int
    explored: int
    labels_cases: int
    labels_feedback: int
    feedback_share: float
    gates: dict[str, str] = field(default_factory=dict)
    urn_share: float | None = None
    urn_truth_share: float | None = None
    groups: dict[str, dict[str, float]] = field(default_factory=dict)
    seconds: float = 0.0
    fit_seconds: float = 0.0


class World:
    """The records, their truth and everything the loop has added to them so far."""

    def __init__(self, data: Path, cfg: LoopConfig) -> None:
        self.data = data
        self.cfg = cfg
        self.partners = Partners.of(data)
        report = validate_records(data)
        self.tables = report.tables
        self.start = records_window(data, self.tables["cases"])[0]
        self.urn_group = self._urn_groups() if cfg.urn_keep is not None else None
        self.cases = self._world_cases(self.tables["cases"])
        self.system = pd.DataFrame(columns=CASE_COLUMNS)
        self.outcomes = pd.DataFrame(columns=["company_id", "label", "as_of", "inclusion_probability", "explored"])
        self.indicators: dict[pd.Timestamp, pd.DataFrame] = {}
        self.logs: dict[pd.Timestamp, Logged] = {}

    def _world_cases(self, cases: pd.DataFrame) -> pd.DataFrame:
        """The world's own investigations: all before the loop starts, a seeded share of those after it."""
        out = cases.copy()
        for column in ("opened_on", "closed_on"):
            out[column] = pd.to_datetime(out[column])
        rng = np.random.default_rng(self.cfg.seed + 1)
        after = out["opened_on"] > self.cfg.day(0)
        keep = ~after | (rng.random(len(out)) < self.cfg.world_share)
        if self.urn_group is not None and self.cfg.urn_keep is not None:
            group = self.urn_group.reindex(out["company_id"].to_numpy()).fillna(False).to_numpy()
            thin = group & ~after.to_numpy() & (rng.random(len(out)) >= self.cfg.urn_keep)
            keep &= ~thin
        return out[keep].reset_index(drop=True)

    def _urn_groups(self) -> pd.Series:
        """True for companies in the under-labelled half: every other municipality by name, at the registered address.

        Municipalities, not regions, because every region has a list of its own: regions cannot crowd each other
        out, but within a region the better-labelled half can crowd out the other.
        """
        companies = self.tables["companies"][["company_id", "address_id"]]
        places = self.tables["addresses"].set_index("address_id")["municipality"]
        municipality = places.reindex(companies["address_id"].to_numpy()).to_numpy()
        names = sorted(pd.Series(municipality).dropna().unique())
        half = {name: i % 2 == 1 for i, name in enumerate(names)}
        member = pd.Series(municipality).map(half).fillna(False).to_numpy(bool)
        return pd.Series(member, index=companies["company_id"].to_numpy())

    def records_cases(self) -> pd.DataFrame:
        """Cases as the records hold them now: the world's and the system's."""
        world = self.cases[CASE_COLUMNS]
        return pd.concat([world, self.system], ignore_index=True) if len(self.system) else world

    def indicators_on(self, day: pd.Timestamp) -> pd.DataFrame:
        """Indicators of every active company on ``day``, computed once from the records as they stand."""
        if day not in self.indicators:
            tables = dict(self.tables)
            tables["cases"] = self.records_cases()
            frame, _ = compute_indicators(tables, day)
            self.indicators[day] = frame.reset_index(drop=True)
        return self.indicators[day]

    def case_view(self, now: pd.Timestamp) -> pd.DataFrame:
        """The world's cases as known on ``now``: opened by then, and pending where not yet closed."""
        known = self.cases[self.cases["opened_on"] <= now].copy()
        open_ = known["closed_on"].isna() | (known["closed_on"] > now)
        known.loc[open_, "outcome"] = "pending"
        return known

    def fold(self, name: str, as_of: pd.Timestamp, now: pd.Timestamp, policy: LoopPolicy) -> Fold:
        """One as-of date's indicators with the labels known on ``now``: world cases and the system's findings."""
        frame = self.indicators_on(as_of)
        labels = observed_labels(self.case_view(now), frame["company_id"], Horizon(as_of, self.cfg.horizon_months),
                                 (self.start, now))  # fmt: skip
        arrived = self.outcomes[
            pd.to_datetime(self.outcomes["as_of"]) + pd.DateOffset(months=self.cfg.delay_months) <= now
        ]
        found = normalise(arrived.assign(inclusion_probability=_weighting(arrived, policy)))
        labels, sources = merge(labels, in_horizon(found, as_of, self.cfg.horizon_months))
        out = frame.assign(
            label=labels["label"].to_numpy(),
            label_status=labels["label_status"].to_numpy(),
            label_weight=labels["label_weight"].to_numpy(),
        )
        pending = int(out["label"].isna().sum())
        out = out[out["label"].notna()].reset_index(drop=True)
        out["label"] = out["label"].astype("int8")
        return Fold(name, as_of, out, pending, {"as_of": str(as_of.date())}, sources)

    def eligible(self, frame: pd.DataFrame, now: pd.Timestamp) -> np.ndarray:
        """Companies no partner has opened a case on yet (world or system): the ones a list can discover."""
        known = self.records_cases()
        seen = set(known.loc[pd.to_datetime(known["opened_on"]) <= now, "company_id"])
        return ~frame["company_id"].isin(seen).to_numpy()

    def investigate(
        self,
        frame: pd.DataFrame,
        listed: np.ndarray,
        pi: np.ndarray,
        explored: np.ndarray,
        day: pd.Timestamp,
        rng: np.random.Generator,
    ) -> tuple[int, int, np.ndarray]:
        """Partners investigate the listed companies; findings become cases and outcomes.

        Returns the true positives among the listed, how many were confirmed, and each listed one's finding.
        """
        ids = frame.loc[listed, "company_id"].reset_index(drop=True)
        involved = self.partners.involved(ids, day)
        found = self.partners.investigate(ids, day, rng)
        closed = day + pd.DateOffset(months=self.cfg.delay_months)
        n0 = len(self.system)
        cases = pd.DataFrame(
            {
                "case_id": [f"S{n0 + i:08d}" for i in range(len(ids))],
                "company_id": ids,
                "opened_on": day + pd.Timedelta(days=1),
                "closed_on": closed,
                "outcome": np.where(found == 1, "confirmed", "dismissed"),
                "source": "system",
            }
        )
        self.system = pd.concat([self.system, cases], ignore_index=True) if n0 else cases
        outcomes = pd.DataFrame(
            {
                "company_id": ids,
                "label": found,
                "as_of": day,
                "inclusion_probability": pi[listed],
                "explored": explored[listed],
            }
        )
        self.outcomes = pd.concat([self.outcomes, outcomes], ignore_index=True) if len(self.outcomes) else outcomes
        return int(involved.sum()), int(found.sum()), found


def _weighting(outcomes: pd.DataFrame, policy: LoopPolicy) -> pd.Series:
    """π as the policy uses it: logged, or 1 for naive retraining (every finding counts once)."""
    if policy.weighting == "naive":
        return pd.Series(1.0, index=outcomes.index)
    return outcomes["inclusion_probability"].astype(float)


def fold_days(cfg: LoopConfig, first: pd.Timestamp, last: pd.Timestamp) -> list[pd.Timestamp]:
    """Month ends every ``every_months`` from ``first`` up to ``last``, newest last."""
    return list(pd.date_range(first, last, freq=f"{cfg.every_months}ME"))


def fit_round(world: World, now: pd.Timestamp, policy: LoopPolicy) -> tuple[RiskModel, Fold, FoldSources]:
    """A challenger from the folds known on ``now``, its validation fold, and where all their labels came from.

    The validation fold is the newest whose horizon has ended and whose labels are known enough to calibrate on
    (``min_validation_positives``): the world's own cases take one to three years to close, so right after the
    start it lies well back, and it moves forward as the system's faster findings arrive. Training folds end
    their horizon by the validation fold's day (purged), the newest ``train_folds`` of them.
    """
    cfg = world.cfg
    h = pd.DateOffset(months=cfg.horizon_months)
    first = _month_end(world.start - pd.Timedelta(days=1))
    validation = None
    for day in reversed(fold_days(cfg, first, _month_end(now - h))):
        candidate = world.fold("validation", day, now, policy)
        if candidate.positives >= cfg.min_validation_positives:
            validation = candidate
            break
    if validation is None:
        raise LabelError(
            f"no fold before {now.date()} has {cfg.min_validation_positives} known positives to validate on: "
            "a larger world, a later --start or a longer --horizon-months"
        )
    days = fold_days(cfg, first, validation.as_of - h)[-cfg.train_folds :]
    if not days:
        raise LabelError(f"no training fold ends its horizon before the validation fold {validation.as_of.date()}")
    train = [world.fold("train", d, now, policy) for d in days]
    hp = Hyperparameters(ensemble=cfg.ensemble, seed=cfg.seed + 20261128, selection=policy.selection)
    model, _ = fit_risk_model(train, validation, hp, {"as_of": str(now.date())})
    folds = [*train, validation]
    total = FoldSources(
        cases=sum(f.sources.cases for f in folds),
        feedback=sum(f.sources.feedback for f in folds),
        both=sum(f.sources.both for f in folds),
    )
    return model, validation, total


def _month_end(day: pd.Timestamp) -> pd.Timestamp:
    return pd.Timestamp(day) + pd.offsets.MonthEnd(0)


def quality_gate(
    world: World, challenger: RiskModel, champion: RiskModel, validation: Fold, last: pd.Timestamp | None
) -> tuple[bool, str]:
    """Not worse than the champion beyond the tolerance.

    On the last round's logged findings when they have arrived (doubly robust precision at k on that day's
    register, ``training.counterfactual``): the validation fold is what the challenger early-stopped and
    calibrated on, and judging it there flatters it. Before any finding has arrived, on the validation fold.
    """
    tol, k = world.cfg.tolerance, world.cfg.k
    if last is not None and last in world.logs:
        frame = world.indicators_on(last)
        logged = world.logs[last]
        new = evaluate_logged(challenger.score(frame), logged, k, seed=world.cfg.seed, bootstrap=0).precision_dr.value
        old = evaluate_logged(champion.score(frame), logged, k, seed=world.cfg.seed, bootstrap=0).precision_dr.value
        return new >= old * (1 - tol), f"logged findings of {last.date()}: DR precision@{k} {new:.4f} vs {old:.4f}"
    rankings = {
        "candidate": Ranking(challenger.score(validation.frame)),
        "champion": Ranking(champion.score(validation.frame)),
    }
    results = evaluate(rankings, validation.frame)
    worse = [
        m for m in QUALITY_METRICS
        if not results["candidate.observed"][m] >= results["champion.observed"][m] * (1 - tol)
    ]  # fmt: skip
    return not worse, "validation fold: " + ("worse on " + ", ".join(worse) if worse else "not worse")


def fairness_gate(world: World, model: RiskModel, validation: Fold) -> tuple[bool, str]:
    """The product's audit of the challenger's top-k lists on the validation fold; the gate's own rule."""
    groups = groups_for(world.data, validation.frame["company_id"], validation.as_of)
    frame = pd.DataFrame(
        {
            "company_id": validation.frame["company_id"].to_numpy(),
            "score": model.score(validation.frame),
            "probability": model.probability(validation.frame),
            "label": validation.frame["label"].to_numpy(np.float64),
        }
    )
    report = audit_frame(frame, groups, Decision(top_k=world.cfg.k), n_boot=world.cfg.fairness_boot)
    return report.passed, report.summary()


def group_shares(
    world: World, frame: pd.DataFrame, listed: np.ndarray, truth: np.ndarray, day: pd.Timestamp
) -> dict[str, dict[str, float]]:
    """Each sensitive group's share of the lists against its share of the truly involved (fairness side only)."""
    groups = groups_for(world.data, frame["company_id"], day)
    out: dict[str, dict[str, float]] = {}
    for attribute in ATTRIBUTES:
        if attribute not in groups.columns:
            continue
        g = groups[attribute].astype(str).to_numpy()
        for value in sorted(set(g)):
            member = g == value
            out[f"{attribute}={value}"] = {
                "listed": float(member[listed].mean()) if listed.any() else math.nan,
                "truth": float(member[truth].mean()) if truth.any() else math.nan,
            }
    return out


def run_round(world: World, r: int, state: dict[str, Any], rng: np.random.Generator) -> RoundReport:
    """One round: retrain and gate (after the first), score, list, investigate."""
    cfg, policy = world.cfg, POLICIES[world.cfg.policy]
    day = cfg.day(r)
    gates: dict[str, str] = {}
    began = time.perf_counter()
    challenger, validation, sources = fit_round(world, day, policy)
    fit_seconds = time.perf_counter() - began
    if state.get("champion") is None:
        state["champion"], state["champion_round"] = challenger, r
        gates["first"] = "no champion yet: the first model becomes champion"
    else:
        ok_q, why_q = quality_gate(world, challenger, state["champion"], validation, state.get("last"))
        ok_f, why_f = fairness_gate(world, challenger, validation)
        gates = {
            "quality": ("passed: " if ok_q else "FAILED: ") + why_q,
            "fairness": ("passed: " if ok_f else "FAILED: ") + why_f,
        }
        if ok_q and ok_f:
            state["champion"], state["champion_round"] = challenger, r
    champion: RiskModel = state["champion"]
    frame = world.indicators_on(day)
    score = champion.score(frame)
    eligible = world.eligible(frame, day)
    region = frame["riec_region"].astype(str).to_numpy()
    ties = tiebreak(frame["company_id"])
    masked = np.where(eligible, score, -np.inf)
    listed, pi, explored = draw_in_regions(masked, region, cfg.k, ties, policy.draw, rng)
    listed &= eligible
    pi = np.where(eligible, pi, 0.0)
    truth = world.partners.involved(frame["company_id"], day)
    oracle = np.where(eligible, world.partners.propensity(frame["company_id"]), -np.inf)
    target = np.where(eligible, truth, False).astype(float)
    mine = at_k(masked, target, region, cfg.k, ties)
    best = at_k(oracle, target, region, cfg.k, ties)
    tp, confirmed, found = world.investigate(frame, listed, pi, explored, day, rng)
    outcome = np.full(len(frame), np.nan)
    outcome[listed] = found
    world.logs[day] = Logged(frame["company_id"], region, pi, outcome, score)
    state["last"] = day
    labels = sources
    feedback = labels.feedback + labels.both
    report = RoundReport(
        round=r,
        as_of=str(day.date()),
        champion_round=int(state["champion_round"]),
        # an oracle that finds nothing leaves nothing to compare with: NaN, not a division error
        oracle_ratio=_ratio(mine[f"precision_at_{cfg.k}"], best[f"precision_at_{cfg.k}"]),
        precision_truth=mine[f"precision_at_{cfg.k}"],
        true_positives=tp,
        confirmed=confirmed,
        listed=int(listed.sum()),
        explored=int((listed & explored).sum()),
        labels_cases=labels.cases,
        labels_feedback=feedback,
        feedback_share=feedback / max(labels.cases + feedback, 1),
        gates=gates,
        groups=group_shares(world, frame, listed, truth & eligible, day),
        fit_seconds=fit_seconds,
    )
    if world.urn_group is not None:
        member = world.urn_group.reindex(frame["company_id"].to_numpy()).fillna(False).to_numpy(bool)
        report.urn_share = float(member[listed].mean())
        report.urn_truth_share = float(member[truth & eligible].mean())
    return report


def _ratio(ours: float, oracle: float) -> float:
    return ours / oracle if oracle > 0 else math.nan


def simulate(data: Path, cfg: LoopConfig, progress: Progress | None = None) -> list[RoundReport]:
    """Run the loop for ``cfg.rounds`` rounds on the world in ``data``; refuses records without truth."""
    step = progress or (lambda _name: None)
    world = World(data, cfg)
    rng = np.random.default_rng(cfg.seed)
    state: dict[str, Any] = {}
    reports = []
    for r in range(cfg.rounds):
        began = time.perf_counter()
        report = run_round(world, r, state, rng)
        report.seconds = time.perf_counter() - began
        log.info(
            "round %d %s: oracle ratio %.3f, %d true positives",
            r,
            report.as_of,
            report.oracle_ratio,
            report.true_positives,
        )
        reports.append(report)
        step(f"round {r + 1} {report.as_of}")
    return reports


def with_policy(cfg: LoopConfig, policy: str) -> LoopConfig:
    """The same simulation under another policy (same world, same seed)."""
    return replace(cfg, policy=policy)


def rounds_table(runs: dict[str, list[RoundReport]]) -> pd.DataFrame:
    """One row per policy and round, the sensitive groups' shares left out (they go to the JSON only)."""
    rows = []
    for policy, reports in runs.items():
        for r in reports:
            row = {k: v for k, v in asdict(r).items() if k not in ("groups", "gates")}
            row["gates"] = "; ".join(f"{k}: {v}" for k, v in r.gates.items())
            rows.append({"policy": policy, **row})
    return pd.DataFrame(rows)


def plot(table: pd.DataFrame, path: Path) -> Path:
    """Oracle ratio, true positives and (for the urn test) the under-labelled half's share, per round and policy."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = ["oracle_ratio", "true_positives"] + (["urn_share"] if table["urn_share"].notna().any() else [])
    titles = {"oracle_ratio": "oracle ratio at k", "true_positives": "true positives listed",
              "urn_share": "under-labelled half's share of the lists"}  # fmt: skip
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 3.6), squeeze=False)
    for ax, column in zip(axes[0], panels, strict=True):
        for policy, rows in table.groupby("policy"):
            g = rows.groupby("round")[column]
            mean, sd = g.mean(), g.std().fillna(0.0)
            ax.plot(mean.index, mean.to_numpy(), marker="o", label=str(policy))
            ax.fill_between(mean.index, (mean - sd).to_numpy(), (mean + sd).to_numpy(), alpha=0.15)
        if column == "urn_share":
            truth = table.groupby("round")["urn_truth_share"].mean()
            ax.plot(truth.index, truth.to_numpy(), color="black", linestyle=":", label="its share of the truth")
        ax.set_title(titles[column])
        ax.set_xlabel("round (6 months)")
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)
    return path
