"""The endpoints for following companies: history, change since the previous batch, watches and the alert inbox.

Every one is entity data, so each is for analysts in their own regions, with a purpose and a case reference, and
audited like a company look-up; oversight sees the watches themselves, with company ids only under its own
purpose and case (as for the audit trail's entities).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi import Path as PathParam

from serving import watches
from serving.access import Principal
from serving.api.common import (
    ANALYST,
    AUTH,
    NOTICE,
    OVERSIGHT,
    ROW_ID_MAX,
    CaseQ,
    OversightCaseQ,
    OversightPurposeQ,
    PurposeQ,
    bind,
    fast,
    require_oversight_case,
    visible,
)
from serving.api.problems import FieldError, ProblemError, responses
from serving.api.schemas import (
    AcknowledgeIn,
    AlertOut,
    ChangeOut,
    EndWatchIn,
    HistoryOut,
    OversightWatchesOut,
    RenewIn,
    WatchIn,
    WatchOut,
)
from serving.api.state import entry_of, state_of
from serving.history import company_change, company_history

router = APIRouter()
CompanyPath = Annotated[str, PathParam(pattern=r"^\d{8}$", description="KvK number.")]


def _problem(exc: watches.WatchError) -> ProblemError:
    return ProblemError(exc.status, str(exc), [FieldError(field=exc.field, message=str(exc))])


def _changed(request: Request, change: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Carry out a change of a watch or an alert; its refusal as problem+json, its company on the audit entry."""
    try:
        out = change()
    except watches.WatchError as exc:
        raise _problem(exc) from exc
    entry_of(request).entity_ids = [out["company_id"]]
    return out


@router.get("/v1/companies/{company_id}/history", tags=["entities"], response_model=HistoryOut,
            responses=responses(*AUTH, 404, 422, 503))  # fmt: skip
async def history(
    request: Request,
    who: Annotated[Principal, Depends(ANALYST)],
    company_id: CompanyPath,
    purpose: PurposeQ,
    case_reference: CaseQ,
) -> Response:
    """The company's probability, band and rank in every kept batch, with the model version of each point.

    Only batches in which the company lay in your regions; a company outside them now answers 404.
    """
    bind(request, purpose, case_reference, {"company_id": company_id})
    visible(request, who, company_id)
    points = company_history(state_of(request).store, who, company_id)
    return fast({"company_id": company_id, "points": points, "notice": NOTICE})


@router.get("/v1/companies/{company_id}/change", tags=["entities"], response_model=ChangeOut,
            responses=responses(*AUTH, 404, 422, 503))  # fmt: skip
def change(
    request: Request,
    who: Annotated[Principal, Depends(ANALYST)],
    company_id: CompanyPath,
    purpose: PurposeQ,
    case_reference: CaseQ,
) -> Response:
    """Why the signal moved since the previous as-of date, split exactly into changed facts and a changed model.

    The data part is the old model on the new facts against the old facts, per fact that changed; the model part
    is the new model against the old on the new facts. Both add up to the change in score (log-odds).
    """
    bind(request, purpose, case_reference, {"company_id": company_id})
    batch, sig = visible(request, who, company_id)
    state = state_of(request)
    loaded = state.explanations.get(batch.id, batch.folder)
    found = company_change(
        state.store, batch, loaded, company_id, float(sig.probability), lambda v: state.models.get(state.champion, v)
    )
    return fast({**found, "notice": NOTICE})


@router.post("/v1/watches", tags=["entities"], status_code=201, response_model=WatchOut,
             responses=responses(*AUTH, 404, 409, 422, 503))  # fmt: skip
def follow(body: WatchIn, request: Request, who: Annotated[Principal, Depends(ANALYST)]) -> dict[str, Any]:
    """Follow a company in your regions: alerts on its material changes reach your inbox until the watch expires.

    A watch lasts at most six months (WATCH_MAX_DAYS) and is renewed explicitly; a second open watch on the same
    company is refused (409).
    """
    bind(request, body.purpose, body.case_reference, {"company_id": body.company_id, "days": body.days})
    visible(request, who, body.company_id)
    try:
        return watches.follow(
            state_of(request).store, who, body.company_id, body.purpose.value, body.case_reference, body.days
        )
    except watches.WatchError as exc:
        raise _problem(exc) from exc


@router.get("/v1/watches", tags=["entities"], response_model=list[WatchOut], responses=responses(*AUTH, 422))
def my_watches(
    request: Request,
    who: Annotated[Principal, Depends(ANALYST)],
    purpose: PurposeQ,
    case_reference: CaseQ,
    closed: Annotated[bool, Query(description="Also expired and ended watches.")] = False,
) -> list[dict[str, Any]]:
    """Your watches on companies in your regions, newest first."""
    bind(request, purpose, case_reference, {"closed": closed})
    found = watches.watches_of(state_of(request).store, who, closed)
    entry_of(request).entity_ids = sorted({w["company_id"] for w in found})
    return found


@router.post("/v1/watches/{watch_id}/renew", tags=["entities"], response_model=WatchOut,
             responses=responses(*AUTH, 404, 409, 422))  # fmt: skip
def renew(
    body: RenewIn,
    request: Request,
    who: Annotated[Principal, Depends(ANALYST)],
    watch_id: Annotated[int, PathParam(ge=1, le=ROW_ID_MAX)],
) -> dict[str, Any]:
    """Renew one of your open watches from today; an expired or ended one is refused (409): follow again."""
    bind(request, body.purpose, body.case_reference, {"watch_id": watch_id, "days": body.days})
    return _changed(request, lambda: watches.renew(state_of(request).store, who, watch_id, body.days))


@router.post("/v1/watches/{watch_id}/end", tags=["entities"], response_model=WatchOut,
             responses=responses(*AUTH, 404, 422))  # fmt: skip
def end(
    body: EndWatchIn,
    request: Request,
    who: Annotated[Principal, Depends(ANALYST)],
    watch_id: Annotated[int, PathParam(ge=1, le=ROW_ID_MAX)],
) -> dict[str, Any]:
    """Stop following: the watch stays on record, but receives no more alerts."""
    bind(request, body.purpose, body.case_reference, {"watch_id": watch_id})
    return _changed(request, lambda: watches.end(state_of(request).store, who, watch_id))


@router.get("/v1/alerts", tags=["entities"], response_model=list[AlertOut], responses=responses(*AUTH, 422))
def inbox(
    request: Request,
    who: Annotated[Principal, Depends(ANALYST)],
    purpose: PurposeQ,
    case_reference: CaseQ,
    acknowledged: Annotated[bool, Query(description="Also alerts already acknowledged.")] = False,
) -> list[dict[str, Any]]:
    """Your inbox: alerts on companies you follow, in your regions, newest first."""
    bind(request, purpose, case_reference, {"acknowledged": acknowledged})
    found = watches.inbox(state_of(request).store, who, acknowledged)
    entry_of(request).entity_ids = sorted({a["company_id"] for a in found})
    return found


@router.post("/v1/alerts/{alert_id}/acknowledge", tags=["entities"], response_model=AlertOut,
             responses=responses(*AUTH, 404, 409, 422))  # fmt: skip
def acknowledge(
    body: AcknowledgeIn,
    request: Request,
    who: Annotated[Principal, Depends(ANALYST)],
    alert_id: Annotated[int, PathParam(ge=1, le=ROW_ID_MAX)],
) -> dict[str, Any]:
    """Acknowledge one of your alerts with its outcome, once (409 for a second time)."""
    bind(request, body.purpose, body.case_reference, {"alert_id": alert_id, "outcome": body.outcome})
    return _changed(request, lambda: watches.acknowledge(state_of(request).store, who, alert_id, body.outcome))


@router.get("/v1/oversight/watches", tags=["oversight"], response_model=OversightWatchesOut,
            responses=responses(*AUTH, 422))  # fmt: skip
def oversight_watches(
    request: Request,
    who: Annotated[Principal, Depends(OVERSIGHT)],
    purpose: OversightPurposeQ = None,
    oversight_case: OversightCaseQ = None,
    companies: Annotated[bool, Query(description="Include company ids (needs purpose and oversight_case).")] = False,
) -> dict[str, Any]:
    """Every watch and how many companies each user follows; company ids only under oversight's purpose and case."""
    if companies:
        require_oversight_case(request, purpose, oversight_case)
    entry_of(request).params = {"companies": companies}
    found = watches.oversight_view(state_of(request).store, companies)
    if companies:
        entry_of(request).entity_ids = sorted({w["company_id"] for w in found["watches"]})
    return found
