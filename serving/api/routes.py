"""The endpoints. Each names the roles it admits; entity endpoints also demand a purpose and a case reference.

Who sees what (docs/service.md has the table): analysts see companies, only in their regions; oversight sees
aggregates, reports, the model card and the audit trail; data scientists score supplied rows and read reports;
admins manage users and reloads and see no entity data.

The light, frequent operations (signals, shortlists, feedback, the model card) are ``async`` and call the store
directly: their queries are short, indexed and local, and a hop to the thread pool and back costs more than the
query (measured in bench/bench_service.py: twice the throughput). Operations that can take long (scoring rows,
the regional aggregate, reading reports, paging the trail) stay plain functions, which FastAPI runs in its
thread pool, so they never hold up the others. A remote PostgreSQL with slow round trips would want more workers.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import orjson
import pandas as pd
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from models.risk import RiskModel
from serving import access, auditlog, feedback, rectification, signals
from serving.access import AccessError, DuplicateUserError, Principal, Role, add_user, list_users
from serving.api.common import (
    ADMIN,
    ANALYST,
    ANYONE,
    APPROVERS,
    AUTH,
    NOTICE,
    OVERSIGHT,
    PICTURE_READERS,
    REPORT_READERS,
    ROW_ID_MAX,
    SCIENTIST,
    CaseQ,
    OversightCaseQ,
    OversightPurposeQ,
    PurposeQ,
    bind,
    fast,
    require_oversight_case,
    served_batch,
    visible,
)
from serving.api.problems import FieldError, ProblemError, responses
from serving.api.schemas import (
    AuditEntitiesOut,
    AuditPageOut,
    Band,
    ConfirmIn,
    ConfirmOut,
    DecisionIn,
    FeedbackIn,
    FeedbackOut,
    GivenFeedbackOut,
    GrantOut,
    HealthOut,
    KeyId,
    KeyOut,
    ModelCardOut,
    NewKeyOut,
    PurposeOut,
    ReadyOut,
    RecourseOut,
    RectificationIn,
    RectificationOut,
    Region,
    RegionalPictureOut,
    RegionsIn,
    ReloadOut,
    RevokedKeyOut,
    ScoreOut,
    ScoreRowsIn,
    ShortlistIn,
    ShortlistOut,
    SignalOut,
    SignedHeadOut,
    StatementOut,
    UserIn,
    UserName,
    UserOut,
    VerifyOut,
)
from serving.api.state import AppState, entry_of, state_of
from serving.batches import current_batch
from serving.champion import ReloadError, Serving
from serving.purposes import OversightPurpose, describe
from serving.recourse import ModelUnavailableError, company_recourse
from serving.statement import company_statement, markdown
from serving.store import Store
from serving.store.tables import AuditRecord, Batch

router = APIRouter()
DocumentName = Literal["model-card", "algoritmeregister", "technical-documentation"]  # training.transparency.NAMES
DOCUMENT_NAMES: tuple[str, ...] = get_args(DocumentName)
REPORT_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; frame-ancestors 'none'"


@router.get("/health", tags=["service"], response_model=HealthOut)
async def health() -> dict[str, str]:
    """Liveness: the process answers. No authentication, no data."""
    return {"status": "ok"}


@router.get("/ready", tags=["service"], response_model=ReadyOut, responses=responses(503))
async def ready(request: Request, response: Response) -> dict[str, bool]:
    """Readiness: a model is loaded and the store answers with a batch to serve. No authentication, no data."""
    state = state_of(request)
    try:
        batch = current_batch(state.store) is not None
        store = True
    except Exception:
        batch, store = False, False
    model = state.champion.current is not None
    ok = model and store and batch
    if not ok:
        response.status_code = 503
    return {"ready": ok, "model": model, "store": store, "batch": batch}


@router.get("/v1/purposes", tags=["service"], response_model=list[PurposeOut], responses=responses(*AUTH))
async def purposes(who: Annotated[Principal, Depends(ANYONE)]) -> list[dict[str, str]]:
    """The purposes entity data may be asked for, with their legal basis."""
    return describe()


@router.post(
    "/v1/shortlists",
    tags=["entities"],
    status_code=201,
    response_model=ShortlistOut,
    responses=responses(*AUTH, 422, 503),
)
async def create_shortlist(
    body: ShortlistIn, request: Request, who: Annotated[Principal, Depends(ANALYST)]
) -> Response:
    """The highest-ranked companies of one of your regions, optionally one sector or municipality.

    Each item carries its top reasons in Dutch and English. The list is stored, so it can be fetched again and
    cited by feedback.
    """
    bind(request, body.purpose, body.case_reference, body.model_dump(exclude={"purpose", "case_reference"}))
    if not who.sees_region(body.region):
        raise ProblemError(403, f"region {body.region} is not one of yours", [FieldError(field="body.region",
                           message="not in your regions")])  # fmt: skip
    state = state_of(request)
    batch = served_batch(state)
    ask = signals.ShortlistRequest(
        body.region, body.sector, body.municipality, body.top_k, body.purpose.value, body.case_reference
    )
    out = signals.create_shortlist(state.store, who, batch, ask)
    entry = entry_of(request)
    entry.entity_ids = [i["company_id"] for i in out["items"]]
    entry.model_version = batch.model_version
    entry.params["shortlist_id"] = out["id"]
    return fast(out, 201)


@router.get(
    "/v1/shortlists/{shortlist_id}",
    tags=["entities"],
    response_model=ShortlistOut,
    responses=responses(*AUTH, 404, 422),
)
async def get_shortlist(
    request: Request,
    who: Annotated[Principal, Depends(ANALYST)],
    shortlist_id: Annotated[str, PathParam(pattern=r"^[0-9a-f-]{36}$")],
    purpose: PurposeQ,
    case_reference: CaseQ,
) -> dict[str, Any]:
    """A stored shortlist again, for the analyst who asked for it or an analyst of its region."""
    bind(request, purpose, case_reference, {"shortlist_id": shortlist_id})
    found = signals.read_shortlist(state_of(request).store, who, shortlist_id)
    if found is None:
        raise ProblemError(404, f"no shortlist {shortlist_id} is visible to you")
    entry = entry_of(request)
    entry.entity_ids = [i["company_id"] for i in found["items"]]
    entry.model_version = found["model_version"]
    return found


@router.get(
    "/v1/companies/{company_id}/signal",
    tags=["entities"],
    response_model=SignalOut,
    responses=responses(*AUTH, 404, 422, 503),
)
async def company_signal(
    request: Request,
    who: Annotated[Principal, Depends(ANALYST)],
    company_id: Annotated[str, PathParam(pattern=r"^\d{8}$", description="KvK number.")],
    purpose: PurposeQ,
    case_reference: CaseQ,
) -> Response:
    """A company's score with its complete explanation: every indicator's value, peer median and contribution.

    A company outside your regions answers exactly like one that does not exist.
    """
    bind(request, purpose, case_reference, {"company_id": company_id})
    state = state_of(request)
    batch, sig = visible(request, who, company_id)
    loaded = state.explanations.peek(batch.id)
    if loaded is None:  # a batch new to this worker: read it off the event loop (seconds for a large register)
        loaded = await run_in_threadpool(state.explanations.get, batch.id, batch.folder)
    explained = loaded.explain(company_id)
    if explained is None:  # the store and the batch folder disagree: an operator problem, not the caller's
        raise ProblemError(503, "this batch's explanations are incomplete; reload the scores")
    return fast(
        {
            "company_id": sig.company_id,
            "name": sig.name,
            "riec_region": sig.riec_region,
            "municipality": sig.municipality,
            "sector": sig.sbi_section,
            "score": sig.score,
            "probability": sig.probability,
            "region_rank": sig.region_rank,
            "model_version": batch.model_version,
            "as_of": batch.as_of,
            "notice": NOTICE,
            **explained,
        }
    )


def _batch_model(state: AppState, batch: Batch) -> RiskModel:
    """The model that scored the served batch; 503 when it cannot be loaded (the operator's problem)."""
    try:
        return state.models.get(state.champion, batch.model_version)
    except ModelUnavailableError as exc:
        raise ProblemError(503, str(exc)) from exc


@router.get(
    "/v1/companies/{company_id}/recourse",
    tags=["entities"],
    response_model=RecourseOut,
    responses=responses(*AUTH, 404, 422, 503),
)
def company_recourse_route(
    request: Request,
    who: Annotated[Principal, Depends(ANALYST)],
    company_id: Annotated[str, PathParam(pattern=r"^\d{8}$", description="KvK number.")],
    purpose: PurposeQ,
    case_reference: CaseQ,
) -> Response:
    """Which contestable facts, if the company shows them wrong, bring its signal below the threshold.

    Found exactly by re-scoring with the batch's own model; every set is minimal. Not advice to change anything.
    """
    bind(request, purpose, case_reference, {"company_id": company_id})
    batch, _sig = visible(request, who, company_id)
    state = state_of(request)
    model = _batch_model(state, batch)
    found = company_recourse(model, state.explanations.get(batch.id, batch.folder), company_id)
    if found is None:
        raise ProblemError(503, "this batch's explanations are incomplete; reload the scores")
    return fast({**found, "model_version": batch.model_version, "as_of": batch.as_of})


@router.get(
    "/v1/companies/{company_id}/statement",
    tags=["entities"],
    response_model=StatementOut,
    responses={
        **responses(*AUTH, 404, 422, 503),
        200: {"content": {"application/json": {}, "text/markdown": {"schema": {"type": "string"}}}},
    },
)
def company_statement_route(
    request: Request,
    who: Annotated[Principal, Depends(ANALYST)],
    company_id: Annotated[str, PathParam(pattern=r"^\d{8}$", description="KvK number.")],
    purpose: PurposeQ,
    case_reference: CaseQ,
    format: Annotated[Literal["json", "markdown"], Query(description="json, or markdown to download.")] = "json",
    lang: Annotated[Literal["nl", "en"], Query(description="Language of the markdown download.")] = "nl",
) -> Response:
    """The facts behind the signal, each with its source, date and the indicators it feeds; no score.

    The document a municipality hands a company for hoor en wederhoor.
    """
    bind(request, purpose, case_reference, {"company_id": company_id, "format": format, "lang": lang})
    batch, sig = visible(request, who, company_id)
    state = state_of(request)
    found = company_statement(state.explanations.get(batch.id, batch.folder), company_id, sig.name)
    if found is None:
        raise ProblemError(503, "this batch's explanations are incomplete; reload the scores")
    if format == "json":
        return fast(found)
    name = f"{'feitenoverzicht' if lang == 'nl' else 'fact-statement'}-{company_id}.md"
    return Response(
        markdown(found, lang),
        media_type="text/markdown; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.post("/v1/companies/{company_id}/rectifications", tags=["entities"], status_code=201,
             response_model=RectificationOut, responses=responses(*AUTH, 404, 422, 503))  # fmt: skip
def record_rectification(
    body: RectificationIn,
    request: Request,
    who: Annotated[Principal, Depends(ANALYST)],
    company_id: Annotated[str, PathParam(pattern=r"^\d{8}$", description="KvK number.")],
) -> dict[str, Any]:
    """Record a company's response: the facts it disputes, their corrected values and a reference to its evidence.

    The company is re-scored with the corrections at once and both versions are kept. The corrections reach the
    next indicator run only after another analyst accepts them (`POST /v1/rectifications/{id}/accept`).
    """
    bind(request, body.purpose, body.case_reference,
          {"company_id": company_id, "facts": sorted(body.facts), "evidence_chars": len(body.evidence)})  # fmt: skip
    batch, _sig = visible(request, who, company_id)
    state = state_of(request)
    model = _batch_model(state, batch)
    loaded = state.explanations.get(batch.id, batch.folder)
    try:
        return rectification.record(state.store, who, batch, loaded, model, company_id, body.model_dump())
    except rectification.RectificationError as exc:
        raise ProblemError(exc.status, str(exc), [FieldError(field=f"body.{exc.field}", message=str(exc))]) from exc


@router.get("/v1/companies/{company_id}/rectifications", tags=["entities"], response_model=list[RectificationOut],
            responses=responses(*AUTH, 404, 422, 503))  # fmt: skip
def company_rectifications(
    request: Request,
    who: Annotated[Principal, Depends(ANALYST)],
    company_id: Annotated[str, PathParam(pattern=r"^\d{8}$", description="KvK number.")],
    purpose: PurposeQ,
    case_reference: CaseQ,
) -> list[dict[str, Any]]:
    """The company's rectifications, newest first, each with the signal as it was and as re-scored."""
    bind(request, purpose, case_reference, {"company_id": company_id})
    visible(request, who, company_id)
    return rectification.for_company(state_of(request).store, who, company_id)


@router.post("/v1/rectifications/{rectification_id}/{decision}", tags=["entities"], response_model=RectificationOut,
             responses=responses(*AUTH, 404, 409, 422))  # fmt: skip
def decide_rectification(
    body: DecisionIn,
    request: Request,
    who: Annotated[Principal, Depends(ANALYST)],
    rectification_id: Annotated[int, PathParam(ge=1, le=ROW_ID_MAX)],
    decision: Annotated[Literal["accept", "reject"], PathParam(description="accept, or reject.")],
) -> dict[str, Any]:
    """Accept or reject a colleague's rectification of a company in your regions, once.

    Only accepted corrections are exported to the next indicator run. Your own is refused (403), a decided one
    too (409); one on a company outside your regions answers like one that does not exist (404).
    """
    bind(request, body.purpose, body.case_reference, {"rectification_id": rectification_id, "decision": decision})
    try:
        out = rectification.decide(state_of(request).store, who, rectification_id, decision == "accept")
    except rectification.RectificationError as exc:
        raise ProblemError(exc.status, str(exc), [FieldError(field="path.rectification_id", message=str(exc))]) from exc
    entry_of(request).entity_ids = [out["company_id"]]
    return out


@router.post("/v1/score", tags=["models"], response_model=ScoreOut, responses=responses(*AUTH, 413, 422, 503))
def score_rows(body: ScoreRowsIn, request: Request, who: Annotated[Principal, Depends(SCIENTIST)]) -> dict[str, Any]:
    """Scores and exact contributions for supplied indicator rows, checked against the model's signature."""
    serving = _serving(state_of(request))
    entry = entry_of(request)
    entry.params, entry.model_version = {"rows": len(body.rows)}, serving.version
    features = list(serving.model.features)
    errors = _row_errors(body.rows, features)
    if errors:
        raise ProblemError(422, f"{len(errors)} problem(s) in the rows; the first: {errors[0].message}", errors[:50])
    frame = pd.DataFrame(body.rows, columns=features).astype("float64")
    scored = serving.model.predict_frame(frame, num_threads=1)
    shap_cols = [c for c in scored.columns if c.startswith("shap__")]
    items = [
        {
            "row": i,
            "score": float(r["score"]),
            "probability": float(r["probability"]),
            "base_value": float(r["base_value"]),
            "contributions": {c.removeprefix("shap__"): float(r[c]) for c in shap_cols},
        }
        for i, r in enumerate(scored.to_dict("records"))
    ]
    return {"model_version": serving.version, "items": items}


def _row_errors(rows: list[dict[str, float | None]], features: list[str]) -> list[FieldError]:
    wanted = set(features)
    errors: list[FieldError] = []
    for i, row in enumerate(rows):
        where = f"body.rows.{i}"
        missing = [f for f in features if f not in row]
        unknown = sorted(set(row) - wanted)
        if missing:
            errors.append(FieldError(field=where, message=f"row {i} lacks indicator(s) {missing[:5]}"))
        for key in unknown[:5]:
            errors.append(FieldError(field=f"{where}.{key}", message=f"row {i}: {key!r} is not in the signature"))
        for key, value in row.items():
            if value is not None and not math.isfinite(value):
                errors.append(FieldError(field=f"{where}.{key}", message=f"row {i}: {key} is not finite"))
    return errors


def _serving(state: AppState) -> Serving:
    found = state.champion.current
    if found is None:
        raise ProblemError(503, "no model is loaded: promote a champion and POST /v1/admin/reload")
    return found


@router.post("/v1/feedback", tags=["entities"], status_code=201, response_model=FeedbackOut,
             responses=responses(*AUTH, 404, 422, 503))  # fmt: skip
async def give_feedback(
    body: FeedbackIn, request: Request, who: Annotated[Principal, Depends(ANALYST)]
) -> dict[str, Any]:
    """Record what you found for a company in your regions: confirmed, dismissed or inconclusive.

    Stored with who gave it, for which case, and the score it was given on. It becomes a label for retraining
    only through `tegenkracht feedback export`, which says what it took and what it left out.
    """
    bind(request, body.purpose, body.case_reference,
          {"company_id": body.company_id, "outcome": body.outcome.value, "shortlist_id": body.shortlist_id,
           "note_chars": len(body.note or "")})  # fmt: skip
    state = state_of(request)
    batch = served_batch(state)
    sig = signals.company_signal(state.store, who, batch, body.company_id)
    if sig is None:
        raise ProblemError(404, f"no signal for company {body.company_id} is visible to you",
                           [FieldError(field="body.company_id", message="not found in your regions")])  # fmt: skip
    try:
        out = feedback.record(state.store, who, batch, body.company_id, sig.probability, body.model_dump())
    except feedback.FeedbackLimitError as exc:
        raise ProblemError(429, str(exc), headers={"Retry-After": str(exc.retry_after)}) from exc
    except feedback.FeedbackError as exc:
        status = 404 if exc.field == "shortlist_id" else 422
        raise ProblemError(status, str(exc), [FieldError(field=f"body.{exc.field}", message=str(exc))]) from exc
    entry = entry_of(request)
    entry.entity_ids, entry.model_version = [body.company_id], batch.model_version
    return out


@router.post("/v1/feedback/{feedback_id}/confirm", tags=["entities"], status_code=201, response_model=ConfirmOut,
             responses=responses(*AUTH, 404, 409, 422))  # fmt: skip
async def confirm_feedback(
    body: ConfirmIn,
    request: Request,
    who: Annotated[Principal, Depends(ANALYST)],
    feedback_id: Annotated[int, PathParam(ge=1, le=ROW_ID_MAX)],
) -> dict[str, Any]:
    """Confirm a colleague's outcome for a company in your regions; only a confirmed outcome becomes a label.

    You cannot confirm your own (403) or confirm one twice (409); an outcome on a company outside your regions
    answers like one that does not exist (404).
    """
    bind(request, body.purpose, body.case_reference, {"feedback_id": feedback_id})
    try:
        out = feedback.confirm(state_of(request).store, who, feedback_id, body.purpose.value, body.case_reference)
    except feedback.ReviewError as exc:
        raise ProblemError(exc.status, str(exc), [FieldError(field="path.feedback_id", message=str(exc))]) from exc
    entry_of(request).entity_ids = [out["company_id"]]
    return out


@router.get("/v1/companies/{company_id}/feedback", tags=["entities"], response_model=list[GivenFeedbackOut],
            responses=responses(*AUTH, 404, 422, 503))  # fmt: skip
async def company_feedback(
    request: Request,
    who: Annotated[Principal, Depends(ANALYST)],
    company_id: Annotated[str, PathParam(pattern=r"^\d{8}$", description="KvK number.")],
    purpose: PurposeQ,
    case_reference: CaseQ,
) -> list[dict[str, Any]]:
    """The outcomes given on a company in your regions, with who confirmed each: what is left to confirm."""
    bind(request, purpose, case_reference, {"company_id": company_id})
    state = state_of(request)
    batch = served_batch(state)
    if signals.company_signal(state.store, who, batch, company_id) is None:
        raise ProblemError(404, f"no signal for company {company_id} is visible to you")
    entry_of(request).entity_ids = [company_id]
    return feedback.for_company(state.store, who, company_id)


@router.get("/v1/regional-picture", tags=["aggregates"], response_model=RegionalPictureOut,
            responses=responses(*AUTH, 422, 503))  # fmt: skip
def regional_picture(
    request: Request,
    who: Annotated[Principal, Depends(PICTURE_READERS)],
    region: Annotated[Region, Query(description="RIEC region.")],
    band: Annotated[Band, Query(description="The signal band to count: raised, high or very_high.")] = "raised",
) -> dict[str, Any]:
    """Signals and mean probability per municipality × sector, protected against pointing at companies.

    Signals are counted at fixed bands only, shown rounded to five; cells under ten companies, signal counts
    of 1-9 (or all but 1-9), and one more cell wherever a row or column would have one withheld, are withheld.
    Analysts see their own regions; oversight sees every region.
    """
    entry_of(request).params = {"region": region, "band": band}
    if "threshold" in request.query_params:  # the free threshold is gone: say so rather than ignore it
        raise ProblemError(422, "the picture counts signals at fixed bands only: give band=raised|high|very_high",
                           [FieldError(field="query.threshold", message="not accepted; use query.band")])  # fmt: skip
    if who.role is Role.ANALYST and not who.sees_region(region):
        raise ProblemError(403, f"region {region} is not one of yours",
                           [FieldError(field="query.region", message="not in your regions")])  # fmt: skip
    state = state_of(request)
    batch = served_batch(state)
    entry_of(request).model_version = batch.model_version
    return signals.regional_picture(state.store, batch, region, band)


@router.get("/v1/model", tags=["models"], response_model=ModelCardOut, responses=responses(*AUTH, 503))
async def model_card(request: Request, who: Annotated[Principal, Depends(ANYONE)]) -> dict[str, Any]:
    """The serving model's card: version, training window, metrics, fairness summary, intended use, limits."""
    state = state_of(request)
    serving = _serving(state)
    batch = state.current_batch()
    entry_of(request).model_version = serving.version
    described = None
    if batch is not None:
        described = {"id": batch.id, "model_version": batch.model_version, "as_of": batch.as_of, "rows": batch.rows}
    docs = serving.documents
    links = {name: f"/v1/model/documents/{name}" for name in DOCUMENT_NAMES} if docs is not None else {}
    to_complete = docs.to_complete() if docs is not None else {}
    return {**serving.card, "features": list(serving.model.features), "batch": described, "documents": links,
            "to_complete": to_complete}  # fmt: skip


@router.get("/v1/model/documents/{name}", tags=["models"], responses={**responses(*AUTH, 404, 503),
            200: {"content": {"application/json": {}, "text/markdown": {}}}})  # fmt: skip
async def model_document(
    request: Request,
    who: Annotated[Principal, Depends(ANYONE)],
    name: Annotated[DocumentName, PathParam()],
    format: Literal["markdown", "json"] = "markdown",
    lang: Literal["nl", "en"] = "nl",
) -> Response:
    """A transparency document of the serving model: its model card, Algoritmeregister entry or Annex IV text.

    Generated from the registry when the model was loaded. The register entry is per language; the technical
    documentation is in English only (``lang`` is ignored for it).
    """
    serving = _serving(state_of(request))
    entry = entry_of(request)
    entry.params, entry.model_version = {"name": name, "format": format, "lang": lang}, serving.version
    docs = serving.documents
    if docs is None:
        raise ProblemError(503, f"no transparency documents could be made for model version {serving.version}; "
                                "see the service log, or run `tegenkracht model-card`")  # fmt: skip
    body, media = await run_in_threadpool(docs.body, name, format, lang)  # a first render imports the report words
    return Response(body, media_type=media)


def _report(folder: str | None, name: str, what: str) -> Path:
    if not folder or not (Path(folder) / name).is_file():
        raise ProblemError(404, f"no {what} is stored with the batch being served")
    return Path(folder) / name


@router.get("/v1/fairness/report", tags=["reports"], responses={**responses(*AUTH, 404, 503),
            200: {"content": {"application/json": {}, "text/html": {}}}})  # fmt: skip
def fairness_report(
    request: Request,
    who: Annotated[Principal, Depends(REPORT_READERS)],
    format: Literal["json", "html"] = "json",
    lang: Literal["nl", "en"] = "nl",
) -> Response:
    """The fairness audit of the batch being served: JSON for machines, the oversight report as HTML."""
    batch = served_batch(state_of(request))
    entry_of(request).params, entry_of(request).model_version = {"format": format, "lang": lang}, batch.model_version
    if format == "html":
        path = _report(batch.fairness_dir, f"fairness_{lang}.html", "fairness report")
        return HTMLResponse(path.read_text(encoding="utf-8"), headers={"Content-Security-Policy": REPORT_CSP})
    body = json.loads(_report(batch.fairness_dir, "audit_observed.json", "fairness audit").read_text())
    return Response(json.dumps({"batch_id": batch.id, "model_version": batch.model_version, "audit": body}),
                    media_type="application/json")  # fmt: skip


@router.get("/v1/drift/report", tags=["reports"], responses={**responses(*AUTH, 404, 503),
            200: {"content": {"application/json": {}, "text/html": {}}}})  # fmt: skip
def drift_report(
    request: Request,
    who: Annotated[Principal, Depends(REPORT_READERS)],
    format: Literal["json", "html"] = "json",
) -> Response:
    """The drift monitor's report for the batch being served."""
    batch = served_batch(state_of(request))
    entry_of(request).params, entry_of(request).model_version = {"format": format}, batch.model_version
    if format == "html":
        path = _report(batch.drift_dir, "monitor.html", "drift report")
        return HTMLResponse(path.read_text(encoding="utf-8"), headers={"Content-Security-Policy": REPORT_CSP})
    body = json.loads(_report(batch.drift_dir, "monitor.json", "drift report").read_text())
    return Response(json.dumps({"batch_id": batch.id, "model_version": batch.model_version, "monitor": body}),
                    media_type="application/json")  # fmt: skip


@router.get("/v1/audit-log", tags=["oversight"], response_model=AuditPageOut, responses=responses(*AUTH, 422))
def audit_log(
    request: Request,
    who: Annotated[Principal, Depends(OVERSIGHT)],
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    size: Annotated[int, Query(ge=1, le=500)] = 100,
    user: Annotated[str | None, Query(max_length=100, description="Only this user's requests.")] = None,
    case_reference: Annotated[str | None, Query(max_length=64, description="Only this case's requests.")] = None,
    company_id: Annotated[
        str | None, Query(pattern=r"^\d{8}$", description="Only requests that returned it (needs a purpose and case).")
    ] = None,
    endpoint: Annotated[str | None, Query(max_length=200, description="Only this route, e.g. /v1/feedback.")] = None,
    purpose: OversightPurposeQ = None,
    oversight_case: OversightCaseQ = None,
) -> dict[str, Any]:
    """The audit trail, newest first, optionally narrowed to a user, a case, a company or an endpoint.

    Records show how many companies they name, not which: ``GET /v1/audit-log/{seq}/entities`` discloses them,
    one record at a time, for a purpose and a case. Narrowing to a company you name asks for both as well.
    """
    narrow = auditlog.Filter(user, case_reference, company_id, endpoint)
    entry = entry_of(request)
    entry.params = {"page": page, "size": size, **{k: v for k, v in vars(narrow).items() if v}}
    if company_id is not None:
        require_oversight_case(request, purpose, oversight_case)
        entry.entity_ids = [company_id]
    records, total = auditlog.page(state_of(request).store, page, size, narrow)
    return {"page": page, "size": size, "total": total, "records": [without_entities(r) for r in records]}


def named_entities(record: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The companies a record names: those it answered with, and those its parameters asked for besides."""
    returned = [str(i) for i in record.get("entity_ids") or []]
    params = record.get("params")
    asked = params.get("company_id") if isinstance(params, dict) else None
    requested = [asked] if isinstance(asked, str) and asked and asked not in returned else []
    return returned, requested


def without_entities(record: dict[str, Any]) -> dict[str, Any]:
    """A record as oversight's list shows it: the number of companies it names instead of their ids."""
    returned, requested = named_entities(record)
    params = record.get("params")
    if isinstance(params, dict) and "company_id" in params:
        params = {k: v for k, v in params.items() if k != "company_id"}
    shown = {k: v for k, v in record.items() if k != "entity_ids"}
    return {**shown, "params": params, "entity_count": len(set(returned) | set(requested))}


@router.get("/v1/audit-log/{seq}/entities", tags=["oversight"], response_model=AuditEntitiesOut,
            responses=responses(*AUTH, 404, 422))  # fmt: skip
def audit_entities(
    request: Request,
    who: Annotated[Principal, Depends(OVERSIGHT)],
    seq: Annotated[int, PathParam(ge=1, le=2**62)],
    purpose: Annotated[OversightPurpose, Query(description="Why you ask which companies the record names.")],
    case_reference: CaseQ,
) -> dict[str, Any]:
    """The companies one record names, for a purpose and a case; this look is itself recorded, with the ids."""
    entry = entry_of(request)
    entry.purpose, entry.case_reference, entry.params = purpose.value, case_reference, {"seq": seq}
    found = audit_record(state_of(request).store, seq)
    if found is None:
        raise ProblemError(404, f"no audit record {seq}")
    returned, requested = named_entities(found)
    entry.entity_ids = list(dict.fromkeys([*returned, *requested]))
    return {"seq": seq, "entity_ids": returned, "requested_ids": requested}


def audit_record(store: Store, seq: int) -> dict[str, Any] | None:
    """One record by its number, as the list shows records before their companies are taken out."""
    with store.session() as s:
        row = s.scalar(select(AuditRecord).where(AuditRecord.seq == seq))
        return auditlog.as_dict(row) if row is not None else None


@router.get("/v1/audit-log/verify", tags=["oversight"], response_model=VerifyOut, responses=responses(*AUTH, 422))
async def audit_verify(
    request: Request,
    who: Annotated[Principal, Depends(OVERSIGHT)],
    expect_seq: Annotated[int | None, Query(ge=1, le=2**62, description="A head kept elsewhere: its number.")] = None,
    expect_hash: Annotated[str | None, Query(pattern=r"^[0-9a-f]{64}$", description="...and its hash.")] = None,
    expect_at: Annotated[str | None, Query(max_length=32, description="An exported head's time...")] = None,
    expect_signer: Annotated[str | None, Query(max_length=16, description="...its signing key...")] = None,
    expect_mac: Annotated[str | None, Query(pattern=r"^[0-9a-f]{64}$", description="...and its MAC.")] = None,
) -> dict[str, Any]:
    """Walk the hash chain and check every record's MAC; name the first bad record.

    With ``expect_seq`` and ``expect_hash`` (a head kept outside the service), also check that the chain still
    holds it: that catches an older head put back with the tail cut. A head from ``/v1/audit-log/head`` comes
    with ``expect_at``, ``expect_signer`` and ``expect_mac`` too, and must carry the audit key's signature.
    """
    given = {"expect_seq": expect_seq, "expect_hash": expect_hash}
    signature = {"expect_at": expect_at, "expect_signer": expect_signer, "expect_mac": expect_mac}
    for group in (given, signature):
        missing = [k for k, v in group.items() if v is None]
        if missing and len(missing) < len(group):
            raise ProblemError(422, f"give {', '.join(group)} together",
                               [FieldError(field=f"query.{k}", message="missing") for k in missing])  # fmt: skip
    if expect_mac is not None and expect_seq is None:
        raise ProblemError(422, "a signature needs its head", [FieldError(field="query.expect_seq", message="missing")])
    entry_of(request).params = {"expect_seq": expect_seq} if expect_seq else {}
    kept = None
    if expect_seq is not None and expect_hash is not None:
        kept = auditlog.Expected(expect_seq, expect_hash, expect_at or "", expect_signer or "", expect_mac or "")
    result = await run_in_threadpool(auditlog.verify, state_of(request).store, kept)
    return result.as_dict()


@router.get("/v1/audit-log/head", tags=["oversight"], response_model=SignedHeadOut, responses=responses(*AUTH, 409))
async def audit_head(request: Request, who: Annotated[Principal, Depends(OVERSIGHT)]) -> dict[str, Any]:
    """The chain's head, signed with the audit key, after checking the chain (409 if it is broken).

    Keep it outside the service; ``/v1/audit-log/verify`` with it later shows whether the trail was cut back.
    """
    try:
        return await run_in_threadpool(auditlog.signed_head, state_of(request).store)
    except auditlog.ChainError as exc:
        raise ProblemError(409, str(exc)) from exc


@router.post("/v1/admin/reload", tags=["admin"], response_model=ReloadOut, responses=responses(*AUTH, 503))
async def reload(request: Request, response: Response, who: Annotated[Principal, Depends(ADMIN)]) -> dict[str, Any]:
    """Load the registry's current @champion; if it fails to load or to score a probe row, keep the old one."""
    champion = state_of(request).champion
    previous = champion.version
    try:
        now = await run_in_threadpool(champion.reload)
    except ReloadError as exc:
        response.status_code = 503
        return {"reloaded": False, "serving": champion.version, "previous": previous, "reason": str(exc)}
    entry_of(request).model_version = now.version
    return {"reloaded": True, "serving": now.version, "previous": previous, "reason": ""}


@router.get("/v1/admin/users", tags=["admin"], response_model=list[UserOut], responses=responses(*AUTH))
def users(request: Request, who: Annotated[Principal, Depends(ADMIN)]) -> list[dict[str, Any]]:
    """Every user with role, regions and live key count; never a key."""
    return list_users(state_of(request).store)


@router.post("/v1/admin/users", tags=["admin"], status_code=201, response_model=NewKeyOut,
             responses={**responses(*AUTH, 409, 422), 202: {"model": GrantOut,
                        "description": "A new analyst: pending until a second person approves it"}})  # fmt: skip
def create_user(body: UserIn, request: Request, who: Annotated[Principal, Depends(ADMIN)]) -> Any:
    """Create a user; the response holds their API key, which is shown this once.

    A new analyst sees entity data, so it takes a second person: the answer is 202 with a pending grant, which
    oversight or another admin approves (``POST /v1/admin/grants/{id}/approve``); then you collect the first key
    (``POST /v1/admin/grants/{id}/key``).
    """
    entry_of(request).params = {"name": body.name, "role": body.role, "regions": list(body.regions)}
    store = state_of(request).store
    try:
        if body.role == Role.ANALYST.value:
            grant = access.request_analyst(store, who, body.name, list(body.regions), body.days)
            entry_of(request).params["grant_id"] = grant["id"]
            return Response(orjson.dumps(grant), status_code=202, media_type="application/json")
        made = add_user(store, body.name, Role(body.role), list(body.regions), body.days)
    except AccessError as exc:
        raise _access_problem(exc, "body") from exc
    entry_of(request).params["key_id"] = made.key_id
    return made.as_dict()


def _access_problem(exc: AccessError, field: str) -> ProblemError:
    if isinstance(exc, access.ApprovalError):
        status = exc.status
    elif isinstance(exc, access.NotFoundError):
        status = 404
    else:
        status = 409 if isinstance(exc, DuplicateUserError) else 422
    return ProblemError(status, str(exc), [FieldError(field=field, message=str(exc))])


@router.post("/v1/admin/users/{name}/regions", tags=["admin"], response_model=GrantOut,
             responses={**responses(*AUTH, 404, 409, 422), 202: {"model": GrantOut,
                        "description": "Wider regions: pending until a second person approves them"}})  # fmt: skip
def change_regions(
    body: RegionsIn,
    request: Request,
    who: Annotated[Principal, Depends(ADMIN)],
    name: Annotated[UserName, PathParam()],
) -> Any:
    """Set an analyst's regions. Fewer apply at once (200); any new region is a pending grant (202)."""
    entry_of(request).params = {"name": name, "regions": list(body.regions)}
    try:
        out = access.set_regions(state_of(request).store, who, name, list(body.regions))
    except AccessError as exc:
        raise _access_problem(exc, "body.regions") from exc
    entry_of(request).params["grant_id"] = out["id"]
    return Response(orjson.dumps(out), status_code=202 if out["state"] == "pending" else 200,
                    media_type="application/json")  # fmt: skip


@router.get("/v1/admin/users/{name}/keys", tags=["admin"], response_model=list[KeyOut],
            responses=responses(*AUTH, 404, 422))  # fmt: skip
def user_keys(
    request: Request, who: Annotated[Principal, Depends(ADMIN)], name: Annotated[UserName, PathParam()]
) -> list[dict[str, Any]]:
    """A user's keys by public id, live or not: which one to revoke when rotating."""
    entry_of(request).params = {"name": name}
    try:
        return access.list_keys(state_of(request).store, name)
    except AccessError as exc:
        raise _access_problem(exc, "path.name") from exc


@router.post("/v1/admin/keys/{key_id}/revoke", tags=["admin"], response_model=RevokedKeyOut,
             responses=responses(*AUTH, 404, 422))  # fmt: skip
def revoke_key(
    request: Request, who: Annotated[Principal, Depends(ADMIN)], key_id: Annotated[KeyId, PathParam()]
) -> dict[str, Any]:
    """Revoke one key and keep its user enabled with their other keys (rotation); its page sessions end too."""
    entry_of(request).params = {"key_id": key_id}
    try:
        out = access.revoke_key(state_of(request).store, key_id)
    except AccessError as exc:
        raise _access_problem(exc, "path.key_id") from exc
    entry_of(request).params["name"] = out["name"]
    return out


@router.get("/v1/admin/grants", tags=["admin"], response_model=list[GrantOut], responses=responses(*AUTH, 422))
def grants(
    request: Request,
    who: Annotated[Principal, Depends(APPROVERS)],
    pending: Annotated[bool, Query(description="Only those still waiting for approval.")] = False,
) -> list[dict[str, Any]]:
    """Requests for new analysts and wider regions: who asked, who approved, when."""
    entry_of(request).params = {"pending": pending}
    return access.list_grants(state_of(request).store, pending)


@router.post("/v1/admin/grants/{grant_id}/approve", tags=["admin"], response_model=GrantOut,
             responses=responses(*AUTH, 404, 409, 422))  # fmt: skip
def approve_grant(
    request: Request,
    who: Annotated[Principal, Depends(APPROVERS)],
    grant_id: Annotated[int, PathParam(ge=1, le=ROW_ID_MAX)],
) -> dict[str, Any]:
    """Approve someone else's request (oversight or another admin): the analyst or the wider regions take effect."""
    entry_of(request).params = {"grant_id": grant_id}
    try:
        out = access.approve(state_of(request).store, grant_id, who)
    except AccessError as exc:
        raise _access_problem(exc, "path.grant_id") from exc
    entry_of(request).params.update({"name": out["name"], "regions": out["regions"], "kind": out["kind"],
                                     "requested_by": out["requested_by"]})  # fmt: skip
    return out


@router.post("/v1/admin/grants/{grant_id}/key", tags=["admin"], status_code=201, response_model=NewKeyOut,
             responses=responses(*AUTH, 404, 409, 422))  # fmt: skip
def collect_key(
    request: Request,
    who: Annotated[Principal, Depends(ADMIN)],
    grant_id: Annotated[int, PathParam(ge=1, le=ROW_ID_MAX)],
) -> dict[str, Any]:
    """The first key of an approved new analyst, for the admin who asked for them, shown this once."""
    entry_of(request).params = {"grant_id": grant_id}
    try:
        made = access.collect_key(state_of(request).store, grant_id, who)
    except AccessError as exc:
        raise _access_problem(exc, "path.grant_id") from exc
    entry_of(request).params.update({"name": made.name, "key_id": made.key_id})
    return made.as_dict()
