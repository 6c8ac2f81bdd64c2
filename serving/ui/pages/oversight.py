"""Oversight's pages: the fairness audit, drift per indicator, the audit trail with its verification, the model card.

They show aggregates and records, never a company's data: the fairness and drift pages read the JSON the audit
and the monitor stored with the batch being served (the same files the API serves), and the full HTML reports
are one link away. The trail's records show how many companies each names; which ones, only through a form of
their own that names a purpose and a case, and is recorded with the companies it disclosed. The fairness page
uses the report's own words (:mod:`fairness.words`), so page and report cannot explain a measure differently.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ValidationError

from fairness.audit import TAU, AuditResult
from fairness.drift import ACT, INSUFFICIENT, STABLE, WATCH
from fairness.words import attribute_name, decision_rule, measure_words, status_symbol, status_word
from serving import auditlog, watches
from serving.access import list_users
from serving.api.routes import REPORT_CSP, DocumentName, audit_record, named_entities, without_entities
from serving.api.schemas import CaseReference
from serving.api.state import entry_of, state_of
from serving.loop_monitor import loop_by_batch
from serving.purposes import OversightPurpose
from serving.ui.charts import Bar, disparity_bars
from serving.ui.guard import ADMIN_PAGE, ANY_PAGE, OVERSIGHT_PAGE, REPORT_PAGE, PageError, check_csrf
from serving.ui.i18n import Lang, lang_of, number, t
from serving.ui.markdown import markdown_html
from serving.ui.pages import served_batch
from serving.ui.present import indicator_label
from serving.ui.render import render
from serving.ui.sessions import Session

router = APIRouter(prefix="/ui", include_in_schema=False)
AUDIT_PAGE_SIZE = 50
VERIFY_EVERY_S = 60.0


def _stored(folder: str | None, name: str) -> Path | None:
    return Path(folder) / name if folder and (Path(folder) / name).is_file() else None


# --------------------------------------------------------------------------------------------------------------------
# Fairness
# --------------------------------------------------------------------------------------------------------------------


@router.get("/oversight/fairness")
def fairness(request: Request, session: Annotated[Session, Depends(REPORT_PAGE)]) -> HTMLResponse:
    """The verdict, the groups that failed, and per headline measure its meaning and a chart per attribute."""
    batch = served_batch(request)
    lang = lang_of(request)
    found = _stored(batch.fairness_dir, "audit_observed.json")
    context: dict[str, Any] = {"batch": batch, "result": None}
    if found is not None:
        result = AuditResult.from_json(found.read_text(encoding="utf-8"))
        context.update(_fairness_context(result, lang))
    return render(request, "fairness.html", context, who=session.principal, csrf=session.csrf_token)


def _fairness_context(result: AuditResult, lang: Lang) -> dict[str, Any]:
    settings = result.settings
    groups = result.groups
    gating = groups[groups["gating"].astype(bool)]
    attributes = list(dict.fromkeys(gating["attribute_name"]))
    confidence = float(settings.get("confidence", 0.95))
    measures = []
    for metric in result.headline:
        words = measure_words(metric, lang)
        sections, tables, outside = [], [], []
        for attribute in attributes:
            rows = gating[gating["attribute_name"] == attribute].to_dict(orient="records")
            bars = [_bar(r, metric, lang) for r in rows if r[f"{metric}_status"] != "reference"]
            if not bars:
                continue
            name = attribute_name(attribute, lang)
            heading = f"{name} ({t('reference_group', lang)}: {rows[0]['reference_group']})"
            sections.append((heading, bars))
            tables.append({"attribute": heading, "bars": bars})
            outside += [f"{name} = {b.group}" for b in bars if b.status in ("unfair", "inconclusive")]
        desc = t("bars_alt", lang, measure=words.name, attribute=", ".join(attribute_name(a, lang) for a in attributes),
                 outside="; ".join(outside) or "–")  # fmt: skip
        svg = disparity_bars(sections, TAU, lang, f"bars-{metric}".replace("_", "-"), words.name, desc)
        measures.append({"metric": metric, "words": words, "svg": svg, "tables": tables})
    failures = [
        t("failure_line", lang, attribute=attribute_name(f.attribute, lang), group=f.group,
          measure=measure_words(f.metric, lang).name, ratio=number(f.disparity, lang, 2), reference=f.reference,
          lo=number(f.lower, lang, 2), hi=number(f.upper, lang, 2))
        for f in result.failures
    ]  # fmt: skip
    selected = int(groups.loc[groups["attribute_name"] == attributes[0], "pp"].fillna(0).sum()) if attributes else 0
    rows = int(groups.loc[groups["attribute_name"] == attributes[0], "group_size"].fillna(0).sum()) if attributes else 0
    return {
        "result": result,
        "passed": result.passed,
        "failures": failures,
        "measures": measures,
        "rule": decision_rule(settings, lang),
        "rows": rows,
        "selected": selected,
        "conf": f"{confidence:.0%}",
        "tau": (number(TAU, lang, 2), number(1 / TAU, lang, 2)),
    }


def _bar(record: dict[str, Any], metric: str, lang: Lang) -> Bar:
    status = str(record[f"{metric}_status"])

    def value(key: str) -> float | None:
        v = record.get(key)
        return float(v) if isinstance(v, int | float) and math.isfinite(v) else None

    size = record.get("group_size")
    label = str(record["attribute_value"])
    if isinstance(size, int | float) and math.isfinite(size):
        label = f"{label} (n={number(size, lang)})"
    return Bar(label, value(f"{metric}_disparity"), value(f"{metric}_disparity_lower"),
               value(f"{metric}_disparity_upper"), status,
               f"{status_symbol(status)} {status_word(status, lang)}".strip())  # fmt: skip


@router.get("/oversight/fairness/report")
def fairness_report(
    request: Request,
    session: Annotated[Session, Depends(REPORT_PAGE)],
    lang: Annotated[str | None, Query(pattern="^(nl|en)$")] = None,
) -> HTMLResponse:
    """The full oversight report stored with the batch, as the audit wrote it."""
    batch = served_batch(request)
    found = _stored(batch.fairness_dir, f"fairness_{lang or lang_of(request)}.html")
    if found is None:
        raise PageError(404, "fairness_missing")
    return HTMLResponse(found.read_text(encoding="utf-8"), headers={"Content-Security-Policy": REPORT_CSP})


# --------------------------------------------------------------------------------------------------------------------
# Drift
# --------------------------------------------------------------------------------------------------------------------


@router.get("/oversight/drift")
def drift(request: Request, session: Annotated[Session, Depends(REPORT_PAGE)]) -> HTMLResponse:
    """Per indicator PSI, KS and missing share against the reference, with the status each earns; and the loop.

    The learning loop's own bookkeeping per batch (``serving.loop_monitor``) sits here because a loop that runs
    away is drift the system causes itself.
    """
    batch = served_batch(request)
    found = _stored(batch.drift_dir, "monitor.json")
    context: dict[str, Any] = {"batch": batch, "monitor": None, "loop": loop_by_batch(state_of(request).store)}
    if found is not None:
        monitor = json.loads(found.read_text(encoding="utf-8"))
        context.update(_drift_context(monitor, lang_of(request)))
    return render(request, "drift.html", context, who=session.principal, csrf=session.csrf_token)


#: The monitor's statuses, worst first: the order of the drift table.
_ORDER = {ACT: 0, WATCH: 1, INSUFFICIENT: 2, STABLE: 3}


def _drift_context(monitor: dict[str, Any], lang: Lang) -> dict[str, Any]:
    cfg = monitor.get("settings") or {}
    act = float(cfg.get("psi_act", 0.25))
    rows = []
    for r in sorted(monitor.get("indicators") or [], key=lambda r: (_ORDER.get(r["status"], 9), -(r["psi"] or 0))):
        psi = r.get("psi")
        rows.append({**r, "label": indicator_label(r["indicator"], lang),
                     "bar": min(1.0, (psi or 0.0) / (2 * act)),
                     "status_key": _status_key(r["status"])})  # fmt: skip
    score = monitor.get("score")
    return {
        "monitor": monitor,
        "rows": rows,
        "alerts": monitor.get("alerts") or [],
        "score": {**score, "status_key": _status_key(score.get("status", ""))} if score else None,
        "watch": number(cfg.get("psi_watch", 0.1), lang, 2),
        "act": number(act, lang, 2),
        "overall": "status_act" if monitor.get("alert") else (
            "status_watch" if any(r["status"] == WATCH for r in rows) else "status_stable"),
        "counts": {k: sum(1 for r in rows if r["status"] == k) for k in _ORDER},
    }  # fmt: skip


def _status_key(status: str) -> str:
    return "status_insufficient" if status == INSUFFICIENT else f"status_{status}"


@router.get("/oversight/drift/report")
def drift_report(request: Request, session: Annotated[Session, Depends(REPORT_PAGE)]) -> HTMLResponse:
    """The monitor's full HTML report stored with the batch."""
    batch = served_batch(request)
    found = _stored(batch.drift_dir, "monitor.html")
    if found is None:
        raise PageError(404, "drift_missing")
    return HTMLResponse(found.read_text(encoding="utf-8"), headers={"Content-Security-Policy": REPORT_CSP})


# --------------------------------------------------------------------------------------------------------------------
# The audit trail
# --------------------------------------------------------------------------------------------------------------------


class OversightCaseIn(BaseModel):
    """Oversight's purpose and case for naming companies in the trail: the API's rules."""

    purpose: OversightPurpose
    case_reference: CaseReference


def _oversight_case(purpose: str | None, case_reference: str | None) -> tuple[OversightCaseIn | None, dict[str, str]]:
    """The case, or the form's fields at fault (``oversight_purpose``, ``oversight_case``) with why."""
    given = {"oversight_purpose": purpose or "", "oversight_case": case_reference or ""}
    try:
        checked = OversightCaseIn.model_validate(
            {"purpose": given["oversight_purpose"], "case_reference": given["oversight_case"]}
        )
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for e in exc.errors():
            name = "oversight_case" if e["loc"][0] == "case_reference" else "oversight_purpose"
            errors.setdefault(name, "invalid_value" if given[name] else "required")
        return None, errors
    return checked, {}


@router.get("/oversight/watches")
def watch_overview(request: Request, session: Annotated[Session, Depends(OVERSIGHT_PAGE)]) -> HTMLResponse:
    """Every watch and how many companies each user follows.

    No company is named here: the API names them under oversight's own purpose and case.
    """
    entry_of(request).params = {"companies": False}
    found = watches.oversight_view(state_of(request).store, with_companies=False)
    return render(request, "oversight_watches.html", found, who=session.principal, csrf=session.csrf_token)


@router.get("/oversight/audit")
def audit_trail(
    request: Request,
    session: Annotated[Session, Depends(OVERSIGHT_PAGE)],
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    user: Annotated[str | None, Query(max_length=100)] = None,
    case_reference: Annotated[str | None, Query(max_length=64)] = None,
    company_id: Annotated[str | None, Query(pattern=r"^(\d{8})?$")] = None,
    endpoint: Annotated[str | None, Query(max_length=200)] = None,
    oversight_purpose: Annotated[str | None, Query(max_length=40)] = None,
    oversight_case: Annotated[str | None, Query(max_length=64)] = None,
    verify: Annotated[int, Query(ge=0, le=1)] = 0,
) -> HTMLResponse:
    """The trail, newest first, narrowed by user, case, company or endpoint, under the chain's verification.

    Records show the number of companies they name. Narrowing to a company asks for oversight's purpose and
    case too, which the record of this view then carries.
    """
    narrow = auditlog.Filter(user or None, case_reference or None, company_id or None, endpoint or None)
    entry = entry_of(request)
    entry.params = {"page": page, "verify": verify, **{k: v for k, v in vars(narrow).items() if v}}
    errors: dict[str, str] = {}
    kept: dict[str, Any] = {k: v for k, v in vars(narrow).items() if v}
    if narrow.company_id:
        case, errors = _oversight_case(oversight_purpose, oversight_case)
        if case is not None:
            entry.purpose, entry.case_reference = case.purpose.value, case.case_reference
            entry.entity_ids = [narrow.company_id]
            kept.update(oversight_purpose=case.purpose.value, oversight_case=case.case_reference)
    store = state_of(request).store
    verified, checked_at = _verification(request, fresh=bool(verify))
    records, total = ([], 0) if errors else auditlog.page(store, page, AUDIT_PAGE_SIZE, narrow)
    pages = max(1, math.ceil(total / AUDIT_PAGE_SIZE))

    def link(number_: int) -> str:
        return "/ui/oversight/audit?" + urlencode({**kept, "page": number_})

    return render(
        request,
        "audit.html",
        {"verified": verified, "checked_at": checked_at, "records": [without_entities(r) for r in records],
         "total": total, "page": page, "pages": pages, "filters": kept, "errors": errors,
         "purposes": list(OversightPurpose),
         "given": {"oversight_purpose": oversight_purpose or "", "oversight_case": oversight_case or ""},
         "previous": link(page - 1) if page > 1 else "", "next_page": link(page + 1) if page < pages else "",
         "verify_now": "/ui/oversight/audit?" + urlencode({**kept, "verify": 1})},
        who=session.principal,
        csrf=session.csrf_token,
        status=422 if errors else 200,
    )  # fmt: skip


@router.get("/oversight/audit/{seq}/entities")
def audit_entities_form(
    request: Request,
    session: Annotated[Session, Depends(OVERSIGHT_PAGE)],
    seq: Annotated[int, PathParam(ge=1, le=2**62)],
) -> HTMLResponse:
    """The form that asks why oversight wants the companies one record names; it shows none itself."""
    entry_of(request).params = {"seq": seq}
    return _entities_page(request, session, seq, {}, {}, None)


@router.post("/oversight/audit/{seq}/entities")
def audit_entities(
    request: Request,
    session: Annotated[Session, Depends(OVERSIGHT_PAGE)],
    seq: Annotated[int, PathParam(ge=1, le=2**62)],
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    oversight_purpose: Annotated[str, Form(max_length=40)] = "",
    oversight_case: Annotated[str, Form(max_length=200)] = "",
) -> HTMLResponse:
    """The companies one record names, for the purpose and case given; recorded with the companies shown.

    A form with this session's CSRF token, not an address: a link cannot make oversight disclose companies under
    a case that is not theirs.
    """
    check_csrf(session, csrf_token)
    entry = entry_of(request)
    entry.params = {"seq": seq}
    given = {"oversight_purpose": oversight_purpose.strip(), "oversight_case": oversight_case.strip()}
    case, errors = _oversight_case(given["oversight_purpose"], given["oversight_case"])
    if case is None:
        return _entities_page(request, session, seq, given, errors, None, status=422)
    entry.purpose, entry.case_reference = case.purpose.value, case.case_reference
    record = audit_record(state_of(request).store, seq)
    if record is None:
        raise PageError(404, "record_not_found", seq=seq)
    returned, requested = named_entities(record)
    entry.entity_ids = list(dict.fromkeys([*returned, *requested]))
    return _entities_page(request, session, seq, given, {}, (record, returned, requested))


def _entities_page(
    request: Request,
    session: Session,
    seq: int,
    given: dict[str, str],
    errors: dict[str, str],
    shown: tuple[dict[str, Any], list[str], list[str]] | None,
    status: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "audit_entities.html",
        {"seq": seq, "given": given, "errors": errors, "purposes": list(OversightPurpose),
         "record": without_entities(shown[0]) if shown else None,
         "returned": shown[1] if shown else [], "requested": shown[2] if shown else []},
        who=session.principal,
        csrf=session.csrf_token,
        status=status,
    )  # fmt: skip


def _verification(request: Request, fresh: bool) -> tuple[auditlog.Verification, datetime]:
    """The chain's last full verification, at most ``VERIFY_EVERY_S`` old unless ``fresh`` asks for a new one.

    Walking the whole chain re-hashes every record (linear in the trail), too much for every page and filter
    click on a trail kept for a year; the page says when the shown result was obtained, and offers a fresh one.
    """
    cached: tuple[auditlog.Verification, datetime] | None = getattr(request.app.state, "audit_verification", None)
    moment = datetime.now(UTC)
    if fresh or cached is None or (moment - cached[1]).total_seconds() >= VERIFY_EVERY_S:
        cached = (auditlog.verify(state_of(request).store), moment)
        request.app.state.audit_verification = cached
    return cached


# --------------------------------------------------------------------------------------------------------------------
# Model card and users
# --------------------------------------------------------------------------------------------------------------------


#: Document, the languages of its Markdown, those of its JSON ("" where one JSON holds both or needs none).
DOCUMENT_FORMATS = (
    ("model-card", ("nl", "en"), ("",)),
    ("algoritmeregister", ("nl", "en"), ("nl", "en")),
    ("technical-documentation", ("en",), ("",)),
)


@router.get("/model")
def model_card(request: Request, session: Annotated[Session, Depends(ANY_PAGE)]) -> HTMLResponse:
    """The serving model's card, for every role."""
    state = state_of(request)
    serving = state.champion.current
    if serving is None:
        raise PageError(503, "model_missing")
    entry_of(request).model_version = serving.version
    batch = state.current_batch()
    lang = lang_of(request)
    docs = serving.documents
    return render(
        request,
        "model.html",
        {
            "card": serving.card,
            "features": [(f, indicator_label(f, lang)) for f in serving.model.features],
            "batch": batch,
            "document": markdown_html(docs.markdown("model-card", lang)) if docs is not None else "",
            "to_complete": docs.to_complete() if docs is not None else {},
            "formats": DOCUMENT_FORMATS,
        },
        who=session.principal,
        csrf=session.csrf_token,
    )


@router.get("/model/documents/{name}")
def model_document(
    request: Request,
    session: Annotated[Session, Depends(ANY_PAGE)],
    name: DocumentName,
    format: Literal["markdown", "json"] = "markdown",
    lang: Literal["nl", "en"] = "nl",
) -> Response:
    """A transparency document to save, as the API serves it."""
    serving = state_of(request).champion.current
    if serving is None:
        raise PageError(503, "model_missing")
    entry = entry_of(request)
    entry.params, entry.model_version = {"name": name, "format": format, "lang": lang}, serving.version
    if serving.documents is None:
        raise PageError(503, "documents_missing")
    lang = "en" if name == "technical-documentation" else lang  # written in English only
    suffix = "json" if format == "json" else "md"
    filename = f"{name}-v{serving.version}.{lang}.{suffix}"
    body, media = serving.documents.body(name, format, lang)
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.get("/admin/users")
def users(request: Request, session: Annotated[Session, Depends(ADMIN_PAGE)]) -> HTMLResponse:
    """Every user with role, regions and live keys; never a key."""
    return render(request, "users.html", {"users": list_users(state_of(request).store)},
                  who=session.principal, csrf=session.csrf_token)  # fmt: skip
