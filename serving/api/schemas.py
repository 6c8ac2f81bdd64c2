"""Request and response bodies. Requests forbid unknown fields and bound every size; responses are exact.

Field descriptions and examples here are what the OpenAPI document shows, so they are written for the user.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from core import settings
from core.reference import RIEC_REGIONS
from models.reasons import Reason  # the reason codes' own dataclass: one definition of a reason
from serving.feedback import Outcome
from serving.purposes import CASE_REFERENCE_PATTERN, Purpose
from serving.signals import BandName
from serving.watches import Outcome as AlertOutcome

Region = Literal[RIEC_REGIONS]  # type: ignore[valid-type]
Band = BandName
UserName = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[\w .@-]+$")]
KeyId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{12}$")]
CompanyId = Annotated[str, StringConstraints(pattern=r"^\d{8}$")]
CaseReference = Annotated[str, StringConstraints(pattern=CASE_REFERENCE_PATTERN)]
Sector = Annotated[str, StringConstraints(pattern=r"^[A-U]$")]
Municipality = Annotated[str, StringConstraints(min_length=1, max_length=80)]
PURPOSE_HELP = "Legal purpose of the look-up; see GET /v1/purposes for each purpose's legal basis."
CASE_HELP = "Case file number (zaaknummer) the look-up is for: letters, digits and . _ / - only, 3-64 characters."


class Strict(BaseModel):
    """Unknown fields are refused, so a typo is an error rather than a silently ignored filter."""

    model_config = ConfigDict(extra="forbid")


class ShortlistIn(Strict):
    """A shortlist request."""

    region: Region = Field(description="RIEC region; must be one of yours.", examples=["Rotterdam"])
    sector: Sector | None = Field(None, description="SBI section letter to restrict to.", examples=["I"])
    municipality: Municipality | None = Field(None, description="Municipality name to restrict to.")
    top_k: int = Field(100, ge=1, le=settings.MAX_TOP_K, description="How many companies, highest first.")
    purpose: Purpose = Field(description=PURPOSE_HELP, examples=["riec_case"])
    case_reference: CaseReference = Field(description=CASE_HELP, examples=["RIEC-RDM-2026-0142"])


class ShortlistItem(BaseModel):
    """One ranked company."""

    rank: int
    company_id: str
    name: str
    municipality: str
    sector: str
    score: float = Field(description="Raw score (log-odds); ranks companies.")
    probability: float = Field(description="Calibrated probability of a confirmed case within the horizon.")
    region_rank: int = Field(description="Rank within the whole region.")
    reasons: list[Reason] = Field(description="The strongest reasons raising the score, Dutch and English.")
    inclusion_probability: float = Field(
        description="The chance this company had of being listed under the shortlist's policy: 1 for the "
        "highest-ranked places, less for a place drawn at random from the candidates below them."
    )
    explored: bool = Field(description="Whether this place was drawn at random (exploration) rather than by rank.")


class ShortlistOut(BaseModel):
    """A shortlist as handed out; a signal for human review, never a finding."""

    id: str
    region: str
    sector: str | None
    municipality: str | None
    top_k: int
    purpose: str
    case_reference: str
    model_version: str
    as_of: str
    created_at: str
    policy: str = Field(description="How the list was drawn: top_k, or explore (a share of places drawn at random).")
    epsilon: float = Field(description="The exploration share of the policy; 0 for top_k.")
    explored: int = Field(description="How many of the items were drawn at random.")
    items: list[ShortlistItem]


class Indicator(BaseModel):
    """One indicator of a company: its value, its peers' value and its two exact contributions."""

    id: str
    label_nl: str
    label_en: str
    unit: str
    value: float | None
    peer_median: float | None = Field(description="The peer point: the lower median of comparable companies.")
    contribution: float = Field(description="SHAP value: its share of score minus base value (log-odds).")
    contrast: float = Field(description="Contrastive value: its share of score minus peer score (log-odds).")


class Reasons(BaseModel):
    """The strongest reasons each way."""

    raises: list[Reason]
    lowers: list[Reason]


class SignalOut(BaseModel):
    """A company's signal with its complete, exact explanation: base value + contributions = score."""

    company_id: str
    name: str
    riec_region: str
    municipality: str
    sector: str
    score: float
    probability: float
    base_value: float
    peer_group: str = Field(description="Comparable companies: '<SBI section>|<size class>', '<section>|*' or '*'.")
    peer_score: float = Field(description="Score of the peer point; score - peer_score = the sum of contrasts.")
    region_rank: int
    model_version: str
    as_of: str
    indicators: list[Indicator]
    reasons: Reasons
    notice: str


class ScoreRowsIn(Strict):
    """Indicator rows to score, each an object of indicator id → value (null for missing)."""

    rows: list[dict[str, float | None]] = Field(
        min_length=1,
        max_length=settings.MAX_SCORE_ROWS,
        description="Every indicator of the model's signature, nothing else; GET /v1/model lists them.",
    )


class ScoredRow(BaseModel):
    """A scored row with its exact contributions."""

    row: int
    score: float
    probability: float
    base_value: float
    contributions: dict[str, float]


class ScoreOut(BaseModel):
    """Scores of supplied rows."""

    model_version: str
    items: list[ScoredRow]


class FeedbackIn(Strict):
    """An analyst's outcome for a company."""

    company_id: CompanyId
    shortlist_id: Annotated[str, StringConstraints(pattern=r"^[0-9a-f-]{36}$")] | None = None
    outcome: Outcome
    note: Annotated[str, StringConstraints(max_length=2000)] | None = Field(
        None, description="Free text for colleagues; kept with the feedback, never in the audit trail."
    )
    purpose: Purpose = Field(description=PURPOSE_HELP)
    case_reference: CaseReference = Field(description=CASE_HELP)


class FeedbackOut(BaseModel):
    """The stored feedback."""

    id: int
    company_id: str
    shortlist_id: str | None
    outcome: str
    model_version: str
    created_at: str


class ConfirmIn(Strict):
    """A second analyst's confirmation of an outcome, for the case they confirm it in."""

    purpose: Purpose = Field(description=PURPOSE_HELP)
    case_reference: CaseReference = Field(description=CASE_HELP)


class ConfirmOut(BaseModel):
    """The confirmation as stored: the outcome can now become a label for retraining."""

    feedback_id: int
    company_id: str
    outcome: str
    confirmed_by: str
    confirmed_at: str


class GivenFeedbackOut(BaseModel):
    """An outcome given on a company, with who gave it and who confirmed it."""

    id: int
    company_id: str
    outcome: str
    note: str | None = Field(description="Free text for colleagues.")
    given_by: str
    given_at: str
    model_version: str
    confirmed_by: list[str] = Field(description="The other users who confirmed it; none yet: no label.")
    yours: bool
    confirmable: bool = Field(description="Whether you may confirm it: not yours and not confirmed by you yet.")


class Cell(BaseModel):
    """One municipality × sector cell, protected so that it never points at a few named companies."""

    municipality: str
    sector: str
    suppressed: bool = Field(description="Withheld whole: under ten companies, or the complement of such a cell.")
    companies: int | None
    signals_withheld: bool = Field(
        description="The signal count is withheld: 1-9 signals or 1-9 others, or the complement of such a cell."
    )
    signals: int | None = Field(description="Companies in the band or above, rounded to a multiple of five.")
    mean_probability: float | None
    signals_before: int | None = Field(
        None, description="The rounded signal count in the previous batch; only where shown in both batches."
    )
    mean_probability_change: float | None = Field(
        None, description="Change in mean probability since the previous batch; only where shown in both."
    )


class RegionalPictureOut(BaseModel):
    """The regional picture (ondermijningsbeeld) of one region."""

    region: str
    model_version: str
    as_of: str
    previous_batch_id: int | None = Field(None, description="The batch the changes are against; none before one.")
    band: str = Field(description="The signal band counted: raised, high or very_high.")
    band_floor: float = Field(description="The band's lowest probability.")
    suppress_below: int
    rounded_to: int
    cells: list[Cell]


class ModelCardOut(BaseModel):
    """The serving model's card."""

    name: str
    version: str
    registered_at: str
    training_window: dict[str, str]
    catalogue: dict[str, str]
    metrics: dict[str, float]
    fairness: dict[str, str]
    intended_use: str
    limitations: list[str]
    features: list[str]
    batch: dict[str, Any] | None
    documents: dict[str, str] = Field(
        default_factory=dict,
        description="Transparency document → its address (GET /v1/model/documents/{name}); empty when none exist.",
    )
    to_complete: dict[str, list[str]] = Field(
        default_factory=dict, description="Per document, the fields the deploying organisation has yet to fill in."
    )


class AuditRecordOut(BaseModel):
    """One audit-trail record, without the companies it names: those only through its own audited request."""

    seq: int
    at: str
    user: str
    role: str
    key_id: str = Field(description="The public id of the API key the request came with; never the key.")
    method: str
    endpoint: str
    params: Any = Field(description="The request's parameters; a company id among them reads as a count.")
    purpose: str
    case_reference: str
    entity_count: int = Field(
        description="How many companies the record names (returned or asked for): GET /v1/audit-log/{seq}/entities"
    )
    model_version: str
    status: int
    prev_hash: str
    hash: str


class AuditEntitiesOut(BaseModel):
    """The companies one audit record names, disclosed for a purpose and case and recorded as such."""

    seq: int
    entity_ids: list[str] = Field(description="The companies the request was answered with.")
    requested_ids: list[str] = Field(
        description="Companies its parameters named besides those: one refused, or not found, for instance."
    )


class AuditPageOut(BaseModel):
    """A page of the audit trail, newest first."""

    page: int
    size: int
    total: int
    records: list[AuditRecordOut]


class VerifyOut(BaseModel):
    """The chain's verification."""

    ok: bool
    checked: int
    head_seq: int
    head_hash: str
    anchor_seq: int
    first_bad_seq: int | None
    reason: str


class SignedHeadOut(BaseModel):
    """The chain's head, signed with the audit key: keep it outside the service and pass it back to verify."""

    seq: int
    hash: str
    at: str
    signer: str
    mac: str


class ReloadOut(BaseModel):
    """The outcome of a reload."""

    reloaded: bool
    serving: str
    previous: str
    reason: str


class HealthOut(BaseModel):
    """Liveness."""

    status: Literal["ok"]


class ReadyOut(BaseModel):
    """Readiness: a model is loaded and the store answers with a batch to serve."""

    ready: bool
    model: bool
    store: bool
    batch: bool


class PurposeOut(BaseModel):
    """A purpose and its legal basis."""

    purpose: str
    legal_basis: str


class UserIn(Strict):
    """A new user; a new analyst is a pending grant until a second person approves it."""

    name: UserName
    role: Literal["analyst", "data_scientist", "oversight", "admin"]
    regions: list[Region] = Field(default_factory=list, max_length=10)
    days: int | None = Field(None, ge=1, le=366, description="Key lifetime in days (default from settings).")


class NewKeyOut(BaseModel):
    """A new user's key, shown once."""

    name: str
    role: str
    regions: list[str]
    api_key: str
    key_id: str
    expires_at: str


class RegionsIn(Strict):
    """An analyst's regions from now on: fewer apply at once, any new one waits for a second person."""

    regions: list[Region] = Field(min_length=1, max_length=10)


class GrantOut(BaseModel):
    """A change of analysts' access and where it stands: pending until a second person approves it."""

    id: int | None = Field(description="None when the change needed no approval (fewer regions) and applied.")
    kind: Literal["create", "regions"]
    name: str
    role: str
    regions: list[str]
    state: Literal["pending", "approved", "applied"]
    requested_by: str | None
    requested_at: str
    decided_by: str | None
    decided_at: str | None


class KeyOut(BaseModel):
    """An API key by its public id; never the secret."""

    key_id: str
    name: str
    created_at: str
    expires_at: str
    revoked_at: str | None
    live: bool


class RevokedKeyOut(KeyOut):
    """A key after revoking it."""

    already_revoked: bool


class UserOut(BaseModel):
    """A user, never with a key."""

    name: str
    role: str
    regions: list[str]
    enabled: bool
    live_keys: int
    created_at: str


class DisputedFact(BaseModel):
    """One contestable fact: as recorded, and the comparable companies' value it would be corrected to."""

    id: str
    label_nl: str
    label_en: str
    record: str = Field(description="The kind of record the company can show to be wrong (filing, address, ...).")
    value: float | None
    corrected: float | None
    text_nl: str
    text_en: str


class CorrectionSet(BaseModel):
    """A minimal set: no proper subset of these facts brings the signal below the threshold."""

    probability: float = Field(description="Calibrated probability once every fact of the set is corrected.")
    facts: list[DisputedFact]


class RecourseOut(BaseModel):
    """Which facts, if shown wrong, bring the signal below the threshold; found exactly by re-scoring."""

    company_id: str
    probability: float
    threshold: float
    signalled: bool
    sets: list[CorrectionSet]
    candidates: list[str] = Field(description="The contestable facts searched (those that differ from the peers).")
    max_size: int
    complete: bool = Field(description="False when more contestable facts differ than were searched.")
    tried: int
    wording_nl: str
    wording_en: str
    model_version: str
    as_of: str


class StatementFact(BaseModel):
    """One verifiable fact behind a signal, with its source, date and the indicators it feeds."""

    indicators: list[str]
    record: str
    fact_nl: str
    fact_en: str
    source_nl: str
    source_en: str
    date_nl: str
    date_en: str
    indicators_nl: list[str]
    indicators_en: list[str]
    peers_nl: str
    peers_en: str


class StatementOut(BaseModel):
    """The facts a company can answer (hoor en wederhoor): no score, no model internals."""

    company_id: str
    name: str
    as_of: str
    facts: list[StatementFact]


FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]


class RectificationIn(Strict):
    """A company's response to its signal: the facts it disputes, their corrected values and its evidence."""

    facts: dict[Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]{1,64}$")], FiniteFloat | None] = Field(
        description="Indicator id → corrected value (null: the record does not exist). Contestable facts only.",
        min_length=1,
        max_length=10,
    )
    evidence: Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)] = Field(
        description="Reference to the evidence the company gave (document number, letter date); not the evidence."
    )
    purpose: Purpose = Field(description=PURPOSE_HELP)
    case_reference: CaseReference = Field(description=CASE_HELP)


class DecisionIn(Strict):
    """A second analyst's decision on a rectification, for the case they decide it in."""

    purpose: Purpose = Field(description=PURPOSE_HELP)
    case_reference: CaseReference = Field(description=CASE_HELP)


class RectifiedFact(BaseModel):
    """One disputed fact: as signalled and as corrected."""

    id: str
    recorded: float | None
    corrected: float | None


class RectificationOut(BaseModel):
    """A rectification with both versions of the company's signal."""

    id: int
    company_id: str
    state: Literal["pending", "accepted", "rejected"]
    evidence: str
    facts: list[RectifiedFact]
    model_version: str
    as_of: str
    probability: float = Field(description="Calibrated probability as signalled.")
    rescored_probability: float = Field(description="Calibrated probability with the corrected facts.")
    recorded_by: str
    created_at: str
    decided_by: str | None
    decided_at: str | None


class HistoryPoint(BaseModel):
    """The company's signal in one kept batch."""

    batch_id: int
    as_of: str
    model_version: str
    current: bool = Field(description="Whether this is the batch being served.")
    probability: float
    score: float = Field(description="Raw score (log-odds).")
    band: Literal["low", "raised", "high", "very_high"]
    region_rank: int


class HistoryOut(BaseModel):
    """The company's signal over time, oldest as-of date first; only batches where it lay in your regions."""

    company_id: str
    points: list[HistoryPoint]
    notice: str


class Before(BaseModel):
    """The batch compared with."""

    batch_id: int
    as_of: str
    model_version: str


class Moved(BaseModel):
    """A figure then and now."""

    previous: float
    now: float
    change: float


class DataChange(BaseModel):
    """One changed fact and its exact share of the change in score (the old model on old and new facts)."""

    id: str
    label_nl: str
    label_en: str
    contribution: float = Field(description="Share of the change in score (log-odds); the shares add up exactly.")
    previous: float | None
    now: float | None
    nl: str = Field(description="The change as the reason sentences word it, with both dates.")
    en: str


class ModelChange(BaseModel):
    """One indicator's share of the change that comes from the new model (both models on the new facts)."""

    id: str
    label_nl: str
    label_en: str
    contribution: float


class ChangeOut(BaseModel):
    """Why the signal moved since the previous as-of date: a data part and a model part, adding up exactly."""

    company_id: str
    as_of: str
    model_version: str
    previous: Before | None
    split: str = Field(description="'split', or why the change is not split (no previous batch, no registry, ...).")
    probability: Moved | None = None
    score: Moved | None = None
    headline: dict[str, str] | None = None
    data_part: float | None = Field(None, description="The old model on the new facts minus on the old facts.")
    model_part: float | None = Field(None, description="The new model minus the old, both on the new facts.")
    model_base: float | None = Field(None, description="Of the model part: the change in base value.")
    model_split: str | None = Field(
        None, description="'same model', 'split' (per indicator), or why only the model part's exact total is given."
    )
    residual: float | None = Field(None, description="Change in score minus all parts: zero up to rounding.")
    data: list[DataChange] = []
    model: list[ModelChange] = []
    notice: str


class WatchIn(Strict):
    """Follow a company: for a purpose and a case, for at most WATCH_MAX_DAYS days (six months by default)."""

    company_id: CompanyId
    days: int | None = Field(None, ge=1, le=settings.WATCH_MAX_DAYS, description="Days until it expires.")
    purpose: Purpose = Field(description=PURPOSE_HELP)
    case_reference: CaseReference = Field(description=CASE_HELP)


class RenewIn(Strict):
    """Renew a watch from today, for the case it is renewed in."""

    days: int | None = Field(None, ge=1, le=settings.WATCH_MAX_DAYS, description="Days until it expires.")
    purpose: Purpose = Field(description=PURPOSE_HELP)
    case_reference: CaseReference = Field(description=CASE_HELP)


class EndWatchIn(Strict):
    """Stop following, for the case it is ended in."""

    purpose: Purpose = Field(description=PURPOSE_HELP)
    case_reference: CaseReference = Field(description=CASE_HELP)


class WatchState(BaseModel):
    """What every view of a watch shows: its purpose and case, its dates and its state."""

    watch_id: int
    purpose: str
    case_reference: str
    created_at: str
    expires_at: str
    renewals: int
    state: Literal["open", "expired", "ended"]


class WatchOut(WatchState):
    """A watch as its analyst sees it."""

    company_id: str
    name: str | None = None


class OversightWatch(WatchState):
    """A watch as oversight sees it; the company id only under oversight's own purpose and case."""

    user: str
    company_id: str | None = None


class Following(BaseModel):
    """How many companies one user follows now."""

    user: str
    following: int


class OversightWatchesOut(BaseModel):
    """Every watch, and how many companies each user follows."""

    users: list[Following]
    watches: list[OversightWatch]
    max_days: int


class AlertOut(BaseModel):
    """A material change of a company you follow."""

    alert_id: int
    watch_id: int
    company_id: str
    name: str
    batch_id: int
    previous_batch_id: int
    as_of: str
    rule: str
    label: dict[str, str]
    level: float
    facts: dict[str, Any] = Field(description="What changed: per measure, the previous and the new value.")
    created_at: str
    acknowledged_at: str | None
    outcome: str | None


class AcknowledgeIn(Strict):
    """The analyst's outcome for an alert."""

    outcome: AlertOutcome
    purpose: Purpose = Field(description=PURPOSE_HELP)
    case_reference: CaseReference = Field(description=CASE_HELP)
