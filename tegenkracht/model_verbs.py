"""The model verbs of the CLI: ``train``, ``evaluate`` and ``promote`` (registered on the app in ``cli.py``).

Each verb parses and checks its options, then calls one function in ``training/``; the MLproject entry points call
these verbs, so there is a single code path. Refusals and bad input are exit codes, never tracebacks.

Imports of the product and of heavy libraries sit inside the verbs, each verb loading only what it needs: start-up
time, so that ``tegenkracht --help`` and a quick verb answer in well under a second. ``tests/code/test_layers.py``
still reads them, so none of them can hide an upward import or a cycle.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from core import settings
from tegenkracht.cluster import SchedulerOption
from tegenkracht.console import EXIT_BAD_INPUT, EXIT_PROBLEMS, emit, setup_logging, stderr, stdout, steps

DataOption = Annotated[Path, typer.Option(help="Folder with the record tables (Parquet).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
HorizonOption = Annotated[int, typer.Option(min=1, max=120, help="Months after as-of in which a case must open.")]


def _input_errors(*extra: type[Exception]) -> tuple[type[Exception], ...]:
    """Errors that mean the input (not the code) is at fault: unusable tables, bad indicators, an MLflow refusal."""
    from mlflow.exceptions import MlflowException

    from features import RecordsError
    from features.pipeline import IndicatorError

    return (*extra, RecordsError, IndicatorError, FileNotFoundError, MlflowException)


def _day(value: str, option: str) -> Any:
    import pandas as pd

    try:
        return pd.Timestamp(date.fromisoformat(value))
    except ValueError as exc:
        stderr.print(f"[red]error:[/red] {option} {value!r} is not a date (YYYY-MM-DD)")
        raise typer.Exit(EXIT_BAD_INPUT) from exc


def _fail(exc: Exception) -> typer.Exit:
    stderr.print(f"[red]error:[/red] {exc}")
    return typer.Exit(EXIT_BAD_INPUT)


def train(
    data: DataOption = settings.DATA_DIR / "world",
    train_as_of: Annotated[
        list[str] | None, typer.Option(help="Training as-of date (repeat). Default: every year-end the split allows.")
    ] = None,
    validation_as_of: Annotated[str | None, typer.Option(help="Validation fold (early stopping, calibration).")] = None,
    test_as_of: Annotated[str | None, typer.Option(help="Test fold (out-of-time evaluation).")] = None,
    horizon_months: HorizonOption = 24,
    max_depth: Annotated[int, typer.Option(min=1, max=12, help="Depth cap; SHAP cost grows with depth.")] = 4,
    num_leaves: Annotated[int, typer.Option(min=2, help="Leaves per tree (at most 2**max_depth).")] = 15,
    learning_rate: Annotated[float, typer.Option(min=0.001, max=1.0)] = 0.05,
    max_rounds: Annotated[int, typer.Option(min=1, help="Boosting rounds before early stopping.")] = 1000,
    pos_weight: Annotated[str, typer.Option(help="Positive weight: none, sqrt or balanced.")] = "none",
    calibration: Annotated[str, typer.Option(help="auto, platt or isotonic.")] = "auto",
    seed: Annotated[int, typer.Option(help="Same data and seed give the same model.")] = settings.DEMO_SEED,
    negative_share: Annotated[
        float,
        typer.Option(
            min=0.001, max=1.0, help="Share of negative training rows kept (weighted back): see docs/scaling.md."
        ),
    ] = 1.0,
    ensemble: Annotated[
        int, typer.Option(min=1, max=50, help="Boosters averaged in log-odds, one bagging seed each (docs/model.md).")
    ] = 5,
    early_stopping_metric: Annotated[
        str, typer.Option(help="What early stopping watches: binary_logloss or average_precision.")
    ] = "binary_logloss",
    label_dates: Annotated[
        str, typer.Option(help="Training as-of dates of the default split: yearly or quarterly.")
    ] = "yearly",
    selection: Annotated[
        str,
        typer.Option(
            help="Training rows: none (all), investigated, or ipw (investigated, inverse-propensity weighted)."
        ),
    ] = "none",
    monotone: Annotated[
        bool, typer.Option(help="Hold every indicator to its catalogued direction (docs/model.md).")
    ] = True,
    exclude_indicator: Annotated[
        list[str] | None,
        typer.Option(help="Indicator the model may not use (repeat): a mitigation for a proxy the audit named."),
    ] = None,
    outcomes: Annotated[
        str | None,
        typer.Option(
            help="Analysts' outcomes beside the case records: a `feedback export` file, or `store` to read the "
            "service's store (docs/learning-loop.md)."
        ),
    ] = None,
    register: Annotated[bool, typer.Option(help="Register the model as a new version with @challenger.")] = True,
    as_json: JsonOption = False,
) -> None:
    """Train the risk model out of time, evaluate it against the baselines, log it to MLflow as @challenger.

    Never moves @champion; a failed or interrupted run leaves every alias where it was.
    """
    setup_logging()
    options = {
        "outcomes": outcomes,
        "max_depth": max_depth,
        "num_leaves": num_leaves,
        "learning_rate": learning_rate,
        "max_rounds": max_rounds,
        "pos_weight": pos_weight,
        "calibration": calibration,
        "seed": seed,
        "negative_share": negative_share,
        "exclude": tuple(exclude_indicator or ()),
        "ensemble": ensemble,
        "early_stopping_metric": early_stopping_metric,
        "label_dates": label_dates,
        "selection": selection,
        "monotone": monotone,
        "register": register,
    }
    result = run_train(data, train_as_of, validation_as_of, test_as_of, horizon_months, options)
    emit(result.headline(), as_json, "training")


def run_train(
    data: Path,
    train_as_of: list[str] | None,
    validation_as_of: str | None,
    test_as_of: str | None,
    horizon_months: int,
    options: dict[str, Any],
) -> Any:
    """Check the options, then train with a progress bar; shared by ``train`` and ``demo``."""
    from training.dataset import TemporalSplit
    from training.fit import Hyperparameters
    from training.labels import LabelError
    from training.run import TRAIN_STEPS, resolve_split
    from training.run import train as train_model

    if not (data / "cases.parquet").exists():
        raise _fail(FileNotFoundError(f"{data} holds no cases.parquet: run `tegenkracht synth` or an import first"))
    try:
        hp = Hyperparameters(**{k: options[k] for k in _HP if k in options})
        split = None
        dates = (train_as_of, validation_as_of, test_as_of)
        if any(dates):
            if not all(dates):
                raise LabelError("give --train-as-of, --validation-as-of and --test-as-of together, or none")
            split = TemporalSplit(
                train=tuple(_day(d, "--train-as-of") for d in train_as_of or ()),
                validation=_day(str(validation_as_of), "--validation-as-of"),
                test=_day(str(test_as_of), "--test-as-of"),
                horizon_months=horizon_months,
            )
        split = resolve_split(data, split, horizon_months, hp.label_dates)
        found = load_outcomes(options.get("outcomes"))
        with steps(TRAIN_STEPS + len(split.folds()), "train") as step:
            return train_model(data, split, hp, horizon_months, options.get("register", True), step, found)
    except _input_errors(LabelError, ValueError) as exc:
        raise _fail(exc) from exc


def load_outcomes(where: str | None) -> Any:
    """Outcomes from a ``feedback export`` file, or ``store`` for the service's store; None for none.

    Quarantined rows are kept beside the file (or under the var folder for the store) with their reasons.
    """
    from training.outcomes import normalise, read_outcomes

    if not where:
        return None
    if where == "store":
        from serving.feedback import labelled_outcomes
        from serving.store import open_store

        return normalise(labelled_outcomes(open_store()), settings.VAR_DIR / "quarantine" / "outcomes-store.parquet")
    path = Path(where)
    return read_outcomes(path, path.with_name(path.stem + ".quarantine.parquet"))


_HP = (
    "max_depth",
    "num_leaves",
    "learning_rate",
    "max_rounds",
    "pos_weight",
    "calibration",
    "seed",
    "negative_share",
    "exclude",
    "ensemble",
    "early_stopping_metric",
    "label_dates",
    "selection",
    "monotone",
)


def evaluate(
    data: DataOption = settings.DATA_DIR / "world",
    as_of: Annotated[str, typer.Option(help="As-of date of the evaluation fold, YYYY-MM-DD.")] = "2021-12-31",
    model: Annotated[str, typer.Option(help="champion, challenger, a version number or a models:/ URI.")] = "champion",
    horizon_months: HorizonOption = 24,
    logged: Annotated[
        bool,
        typer.Option(
            "--logged",
            help="Estimate from the outcomes of the shortlists drawn from the store's batch of --as-of "
            "(inverse-propensity and doubly robust, with 95% intervals) instead of the case records.",
        ),
    ] = False,
    top_k: Annotated[int, typer.Option(min=1, help="Capacity per region for --logged.")] = 100,
    as_json: JsonOption = False,
) -> None:
    """Evaluate a registered model on the labels after an as-of date, next to the checklist baseline.

    With ``--logged``: on what partners found on the lists actually handed out, weighed by each company's chance of
    having been listed, next to the model that drew them (docs/learning-loop.md).
    """
    setup_logging()
    if logged:
        emit(_evaluate_logged(data, as_of, model, top_k), as_json, f"logged evaluation of {model} at {as_of}")
        return
    from models.risk import ModelInputError
    from training.labels import LabelError
    from training.registry import RegistryError, resolve
    from training.run import evaluate_registered, in_sample_note

    when = _day(as_of, "--as-of")
    try:
        with steps(1, "evaluate") as step:
            results = evaluate_registered(model, data, when, horizon_months, step)
        note = in_sample_note(resolve(model).tags, when)
    except _input_errors(LabelError, RegistryError, ModelInputError) as exc:
        raise _fail(exc) from exc
    keys = ("positives", "pr_auc", "roc_auc", "brier", "precision_at_100", "recall_at_100", "oracle_ratio_at_100")
    payload: dict[str, Any] = {g: {k: round(v, 4) for k, v in r.items() if k in keys} for g, r in results.items()}
    if note:
        payload["warning"] = note
    emit(payload, as_json, f"evaluation of {model} at {as_of}")


def _evaluate_logged(data: Path, as_of: str, model: str, top_k: int) -> dict[str, Any]:
    """The candidate and the model that drew the lists, estimated on the same logged findings."""
    from features import validate_records
    from features.pipeline import compute_indicators
    from models.risk import ModelInputError
    from serving.logged import NoLogError, logged_batch
    from serving.store import open_store
    from training.counterfactual import evaluate_logged
    from training.registry import RegistryError, load, resolve

    when = _day(as_of, "--as-of")
    try:
        signals, log, drawn_by = logged_batch(open_store(), when.date().isoformat())
        candidate = load(resolve(model))
        indicators, _ = compute_indicators(validate_records(data).tables, when)
        frame = indicators.set_index("company_id").reindex(signals["company_id"].to_numpy()).reset_index()
        scores = {
            f"candidate v{resolve(model).version}": candidate.score(frame),
            f"logging v{drawn_by}": log.logging_score,
        }
        found = {name: evaluate_logged(score, log, top_k).as_dict() for name, score in scores.items()}
    except _input_errors(NoLogError, RegistryError, ModelInputError, ValueError) as exc:
        raise _fail(exc) from exc
    return {
        "as_of": as_of,
        "listed_with_known_outcome": int(log.observed.sum()),
        "estimates": found,
        "note": "support: the share of a model's list the logged policy could have drawn; beyond it the doubly "
        "robust estimate rests on its outcome model alone",
    }


def promote(
    version: Annotated[
        str | None, typer.Option(help="Version to promote or roll back to. Default: @challenger.")
    ] = None,
    approver: Annotated[str | None, typer.Option(help="Oversight approver of an override (named person).")] = None,
    justification: Annotated[str | None, typer.Option(help="Why the override is justified (recorded).")] = None,
    tolerance: Annotated[
        float | None, typer.Option(min=0.0, max=1.0, help="Allowed shortfall against the champion (share).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Move @champion to the challenger if every gate passes; otherwise refuse and say which gates failed and why.

    With --approver and --justification an oversight member overrides failed gates. --version N of a version that
    a finished promotion run made champion before rolls back to it without the gates only with --approver and
    --justification as well (recorded); without them it goes through the gates. Exit 0 promoted, 1 refused,
    2 bad request (also when @champion moved while the gates ran: nothing is changed).
    """
    setup_logging()
    from serving.access import is_oversight_user
    from training.promotion import PromotionError
    from training.promotion import promote as do_promote
    from training.registry import RegistryError

    try:
        decision = do_promote(version, approver, justification, tolerance, is_oversight_user)
    except _input_errors(PromotionError, RegistryError) as exc:
        raise _fail(exc) from exc
    payload: dict[str, Any] = {
        "version": decision.version,
        "decision": decision.via,
        "previous_champion": decision.previous_champion,
        "gates": {g.name: ("pass" if g.passed else "FAIL") + f": {g.detail}" for g in decision.gates},
    }
    if as_json:
        payload = decision.as_dict()
    emit(payload, as_json, "promotion")
    if not decision.promoted:
        raise typer.Exit(EXIT_PROBLEMS)


def score(
    features: Annotated[Path, typer.Option(help="Indicator table (Parquet) from `tegenkracht features`.")],
    out: Annotated[Path, typer.Option(help="Score file to write (Parquet); replaced atomically.")],
    model: Annotated[str, typer.Option(help="champion, challenger, a version number or a models:/ URI.")] = "champion",
    chunk_rows: Annotated[int, typer.Option(min=1000, help="Rows scored per chunk: bounds memory.")] = 100_000,
    explain: Annotated[
        list[str] | None, typer.Option(help="Company id to explain: reasons in Dutch and English, and a waterfall.")
    ] = None,
    load: Annotated[
        bool, typer.Option("--load", help="Load the scores into the service's store; it serves them from then on.")
    ] = False,
    records: Annotated[
        Path | None, typer.Option(help="With --load: the records folder, for company names on shortlists.")
    ] = None,
    scheduler: SchedulerOption = None,
    as_json: JsonOption = False,
) -> None:
    """Score every company in an indicator table: raw score, calibrated probability and exact SHAP per indicator.

    A score is a signal for human review, never a decision. Output columns: company_id, score, probability,
    base_value, shap__<indicator> for every indicator, model_version. With ``--load`` the service serves them
    (shortlists, signals, the regional picture) once every row is in the store. With --scheduler each row group
    is scored on Dask and --out becomes a folder of part files (docs/scaling.md).
    """
    setup_logging()
    payload = run_score(features, out, model, chunk_rows, explain or [], scheduler)
    if load:
        from tegenkracht.service_verbs import run_load

        payload["loaded"] = run_load(Path(payload["out"]), features, records)
    if as_json or not explain:
        emit(payload, as_json, "scores")
    else:
        _print_explanations(payload)


def run_score(
    features: Path, out: Path, model: str, chunk_rows: int, explain: list[str], scheduler: str | None = None
) -> dict[str, Any]:
    """Resolve the model, score in chunks with a progress bar, explain on request; shared by ``score`` and ``demo``."""
    from models.risk import ModelInputError
    from serving.scoring import ScoringError, score_file
    from serving.scoring import explain as explain_companies
    from tegenkracht.cluster import SchedulerError
    from training.registry import RegistryError, load, resolve

    try:
        version = resolve(model)
        risk_model = load(version)
        if scheduler:
            run = _score_dask(risk_model, features, out, str(version.version), scheduler)
        else:
            with steps(_chunks(features, chunk_rows), "score") as step:
                run = score_file(risk_model, features, out, str(version.version), chunk_rows, step)
        explained = explain_companies(out, features, explain) if explain else []
    except _input_errors(RegistryError, ScoringError, ModelInputError, SchedulerError) as exc:
        raise _fail(exc) from exc
    return {
        "out": str(run.out),
        "reference": str(run.reference),
        "rows": run.rows,
        "model_version": run.model_version,
        "catalogue_hash": run.catalogue_hash,
        "explanations": explained,
    }


def _score_dask(model: Any, features: Path, out: Path, version: str, scheduler: str) -> Any:
    """Score on the cluster, with one progress step per row group."""
    from features import partitioned
    from serving.distributed_scoring import score_dask
    from tegenkracht.cluster import connect

    features, out = features.resolve(), out.resolve()  # workers may start elsewhere
    try:
        count = len(partitioned.pieces(features))
    except Exception:  # an unreadable part is reported by score_dask with its reason
        count = 1
    with connect(scheduler) as client, steps(max(1, count), "score (dask)") as step:
        return score_dask(client, model, features, out, version, step)


def _chunks(features: Path, chunk_rows: int) -> int:
    """How many chunks the progress bar counts (1 when the file cannot be read yet: scoring says why)."""
    from features import partitioned

    try:
        return max(1, -(-partitioned.num_rows(features) // chunk_rows))
    except Exception:  # an unreadable file is reported by score_file with its reason
        return 1


def _print_explanations(payload: dict[str, Any]) -> None:
    emit({k: v for k, v in payload.items() if k != "explanations"}, False, "scores")
    for e in payload["explanations"]:
        stdout.print(f"\n[bold]{e['company_id']}[/bold]  score {e['score']:.3f}  probability {e['probability']:.4f}")
        for direction, word in (("raises", "+"), ("lowers", "-")):
            for r in e[direction]:
                stdout.print(f"  {word} {r['contribution']:+.3f}  {r['text_nl']}\n           {r['text_en']}")
        stdout.print(f"  waterfall: {', '.join(e['waterfall'])}")


def model_card(
    version: Annotated[str, typer.Option(help="champion, challenger, a version number or a models:/ URI.")] = (
        "champion"
    ),
    out: Annotated[
        Path | None, typer.Option(help="Folder for the documents (replaced whole). Default: var/transparency/vN.")
    ] = None,
    deployer: Annotated[
        Path | None,
        typer.Option(help="YAML with the deploying organisation's facts (legal basis, DPIA, IAMA, contact)."),
    ] = settings.DEPLOYER_FILE,
    show: Annotated[
        str | None,
        typer.Option(help="Print one document's Markdown: model-card, algoritmeregister or technical-documentation."),
    ] = None,
    lang: Annotated[str, typer.Option(help="Language of --show: nl or en.")] = "nl",
    as_json: JsonOption = False,
) -> None:
    """Write a version's model card, Algoritmeregister entry and Annex IV documentation, generated from the registry.

    Every figure is one the training run logged; what only the deploying organisation knows (legal basis, DPIA,
    IAMA, contact) is marked "to be completed by the deployer" unless --deployer supplies it. The same version
    with the same recorded history always gives the same bytes.
    """
    setup_logging()
    payload = run_model_card(version, out, deployer, show, lang)
    if show is None or as_json:
        emit({k: v for k, v in payload.items() if k != "markdown"}, as_json, "transparency documents")
    else:
        stdout.print(payload["markdown"], markup=False, highlight=False, soft_wrap=True)


def run_model_card(
    version: str, out: Path | None, deployer: Path | None, show: str | None, lang: str
) -> dict[str, Any]:
    """Generate and write the documents; shared by ``model-card`` and its MLproject entry point."""
    from core.text import Lang
    from training.registry import RegistryError
    from training.transparency import NAMES, generate, write
    from training.transparency.deployer import DeployerError, load
    from training.transparency.facts import FactsError

    if show is not None and show not in NAMES:
        raise _fail(ValueError(f"--show must be one of {', '.join(NAMES)}, not {show!r}"))
    if lang not in ("nl", "en"):
        raise _fail(ValueError(f"--lang must be nl or en, not {lang!r}"))
    language: Lang = "nl" if lang == "nl" else "en"
    try:
        with steps(2, "model card") as step:
            step("facts from the registry")
            documents = generate(version, load(deployer))
            step("documents")
            target = out or settings.VAR_DIR / "transparency" / f"v{documents.version}"
            files = write(documents, target)
    except _input_errors(RegistryError, DeployerError, FactsError) as exc:
        raise _fail(exc) from exc
    return {
        "version": documents.version,
        "out": str(target),
        "files": sorted(files),
        "to_complete": documents.to_complete(),
        "markdown": documents.markdown(show, language) if show else "",
    }
