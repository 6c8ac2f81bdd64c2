"""Settings, read once from ``TEGENKRACHT_*`` environment variables.

Flat module-level constants (after yente): every default is documented here and in the README, so an operator can
see the whole configuration surface in one place. The module sits on the ground floor and imports nothing of the
project, so every layer may read it without importing upward.
"""

from __future__ import annotations

import os
from pathlib import Path


def _env(name: str, default: str) -> str:
    return os.environ.get(f"TEGENKRACHT_{name}", default)


def _flag(name: str, default: bool) -> bool:
    return _env(name, "1" if default else "0").strip().lower() in {"1", "true", "yes", "on"}


# Root folder for everything the service writes (data, models, stores). Git-ignores it.
VAR_DIR: Path = Path(_env("VAR_DIR", "var")).resolve()

# Where `tegenkracht synth` writes the synthetic world unless --out is given.
DATA_DIR: Path = Path(_env("DATA_DIR", str(VAR_DIR / "data"))).resolve()

# MLflow tracking store. MLflow >= 3.13 refuses the plain file store, so SQLite is the embedded default.
# MLflow's own MLFLOW_TRACKING_URI is honoured too (``mlflow run`` sets it for the runs it starts).
MLFLOW_TRACKING_URI: str = _env(
    "MLFLOW_TRACKING_URI", os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{VAR_DIR / 'mlflow.db'}"
)

# Log level for stderr logging (data goes to stdout, logs and progress to stderr).
LOG_LEVEL: str = _env("LOG_LEVEL", "INFO").upper()

# Show rich progress bars on stderr. Off by default in CI (CI=true) to keep logs readable.
PROGRESS: bool = _flag("PROGRESS", os.environ.get("CI", "").lower() not in {"1", "true"})

# MLflow and Evidently phone home by default. We never do unless an operator turns this on.
TELEMETRY: bool = _flag("TELEMETRY", False)

# Name of the registered model in MLflow's registry; versions carry the aliases @challenger and @champion.
MODEL_NAME: str = _env("MODEL_NAME", "tegenkracht-risk")

# Quality gate: a challenger may fall short of the champion by at most this share of the champion's figure
# (PR-AUC and precision at 100 per region, on the challenger's evaluation set) and still be promoted.
PROMOTION_TOLERANCE: float = float(_env("PROMOTION_TOLERANCE", "0.05"))

# Fairness audit: the shortlist audited is the top K companies of every RIEC region (the capacity analysts work
# with); the audit at training time and `tegenkracht audit` both use it unless told otherwise.
FAIRNESS_TOP_K: int = int(_env("FAIRNESS_TOP_K", "100"))

# How the service draws a shortlist (models.shortlist.Policy): "top_k" (the k highest-ranked, each listed with
# probability 1) or "explore" (a share SHORTLIST_EPSILON of the places drawn at random, with known probabilities,
# from the candidates down to rank SHORTLIST_POOL * k). The policy is recorded with every shortlist, and every item
# with its inclusion probability, so outcomes can be learned from and models evaluated without the runaway loop.
SHORTLIST_POLICY: str = _env("SHORTLIST_POLICY", "top_k")
SHORTLIST_EPSILON: float = float(_env("SHORTLIST_EPSILON", "0.05" if SHORTLIST_POLICY == "explore" else "0"))
SHORTLIST_POOL: int = int(_env("SHORTLIST_POOL", "4"))

# Named people who may approve a promotion that failed a gate, comma-separated, besides the enabled `oversight`
# users in the service's store (`tegenkracht users add NAME --role oversight`). Anyone else is refused.
OVERSIGHT_APPROVERS: frozenset[str] = frozenset(
    n.strip() for n in _env("OVERSIGHT_APPROVERS", "").split(",") if n.strip()
)

# Default size and seed of the demo world, small enough for `make demo` to stay well under ten minutes.
# 200,000 companies: confirmed cases are rare (about 1 per 1,000 companies per two-year horizon), and a smaller
# world leaves the model a few dozen positives to learn from.
DEMO_COMPANIES: int = int(_env("DEMO_COMPANIES", "200000"))
DEMO_SEED: int = int(_env("DEMO_SEED", "20261128"))


# The deploying organisation's own facts for the transparency documents (`tegenkracht model-card`): name, contact,
# legal basis, DPIA and IAMA. Without this YAML file those fields are written as marked placeholders.
DEPLOYER_FILE: Path | None = Path(_env("DEPLOYER_FILE", "")).resolve() if _env("DEPLOYER_FILE", "") else None


# --- The service (`tegenkracht serve`) -----------------------------------------------------------------------------

# The store: users, keys, loaded score batches, shortlists, feedback and the audit trail. SQLite under var/ is the
# embedded default; set a PostgreSQL URL (postgresql+psycopg://user@host/db) for a shared deployment.
DATABASE_URL: str = _env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'tegenkracht.db'}")

# Loaded batches keep their per-indicator values and contributions in Parquet here, beside the store.
STORE_DIR: Path = Path(_env("STORE_DIR", str(VAR_DIR / "store"))).resolve()

# Where `tegenkracht serve` listens. Loopback by default: put a TLS-terminating proxy in front to expose it.
API_HOST: str = _env("API_HOST", "127.0.0.1")
API_PORT: int = int(_env("API_PORT", "8000"))

# Worker processes of `serve`. One per core the service may use: the request path is CPU-bound Python, so a
# second worker gave 1.7 times the throughput on two cores (docs/service.md). Each worker holds its own copy of the
# served batch's explanations and its own rate-limit buckets.
API_WORKERS: int = int(_env("API_WORKERS", "1"))

# Every this many seconds each worker checks which version holds @champion and loads it when it changed (with
# the same probe as POST /v1/admin/reload), so all workers follow a promotion. 0 turns following off.
CHAMPION_CHECK_S: float = float(_env("CHAMPION_CHECK_S", "60"))

# API keys expire after this many days unless `users add --days` says otherwise.
KEY_TTL_DAYS: int = int(_env("KEY_TTL_DAYS", "90"))

# The audit trail is kept at least this long. The AI Act (art. 26(6)) asks deployers for at least six months,
# so anything below 183 days is refused.
AUDIT_RETENTION_DAYS: int = int(_env("AUDIT_RETENTION_DAYS", "365"))
AUDIT_RETENTION_MIN_DAYS = 183

# The audit key (serving/auditkey.py): every audit record carries an HMAC under it, so a database writer cannot
# forge the trail. Either ``id:hex`` pairs here (comma-separated, newest last; from a secret manager) or a file
# of ``id hex`` lines that only its owner may read (mode 0600), made on first use when neither exists.
AUDIT_KEY: str = _env("AUDIT_KEY", "")
AUDIT_KEY_FILE: Path = Path(_env("AUDIT_KEY_FILE", str(VAR_DIR / "audit.keys"))).resolve()

# Requests per minute per API key (a token bucket; bursts up to this number).
RATE_LIMIT_PER_MINUTE: int = int(_env("RATE_LIMIT_PER_MINUTE", "600"))

# Requests per minute per client address from callers without a valid key or session (strangers), counted before
# anything is written: past it they get 429. Their requests to routes that name no company are kept in the audit
# trail as counts per route, status, address and minute, sealed into the chain every STRANGER_FLUSH_S seconds.
STRANGER_RATE_PER_MINUTE: int = int(_env("STRANGER_RATE_PER_MINUTE", "60"))
STRANGER_FLUSH_S: float = float(_env("STRANGER_FLUSH_S", "10"))

# Request bodies larger than this are refused with 413 before they are read.
MAX_BODY_BYTES: int = int(_env("MAX_BODY_BYTES", str(4 * 1024 * 1024)))

# Bounds on what one request may ask for.
MAX_TOP_K: int = int(_env("MAX_TOP_K", "500"))
MAX_SCORE_ROWS: int = int(_env("MAX_SCORE_ROWS", "1000"))

# The regional picture counts companies whose calibrated probability is at least this as signals.
SIGNAL_THRESHOLD: float = float(_env("SIGNAL_THRESHOLD", "0.01"))

# Browser origins allowed to call the API (comma-separated). Empty: CORS stays off, the default.
CORS_ORIGINS: tuple[str, ...] = tuple(o.strip() for o in _env("CORS_ORIGINS", "").split(",") if o.strip())

# Web pages (/ui): a signed-in browser is signed out after this many minutes without a page view, and after this
# many hours whatever it does (a working day), besides whenever the key it signed in with is revoked or expires.
UI_IDLE_MINUTES: int = int(_env("UI_IDLE_MINUTES", "30"))
UI_SESSION_HOURS: int = int(_env("UI_SESSION_HOURS", "8"))

# Session cookies are marked Secure whenever the request came over TLS (directly, or through a proxy uvicorn
# trusts with --forwarded-allow-ips). Set this to mark them Secure always, e.g. behind a TLS proxy not trusted.
COOKIE_SECURE: bool = _flag("COOKIE_SECURE", False)

# The addresses whose X-Forwarded-Proto / X-Forwarded-For headers `serve` believes (uvicorn's forwarded_allow_ips;
# comma-separated addresses or networks, "*" for any). Only a TLS proxy on the same machine by default: a request
# from anywhere else cannot claim to have come over TLS, or from another address, by sending the header itself.
# Empty: no proxy is trusted at all.
FORWARDED_ALLOW_IPS: str = _env("FORWARDED_ALLOW_IPS", "127.0.0.1")

# Feedback (POST /v1/feedback and the company page's form): at most this many outcomes per user in any 24 hours,
# beyond the general rate limit, so that one account cannot flood the labels retraining may later use.
FEEDBACK_PER_DAY: int = int(_env("FEEDBACK_PER_DAY", "100"))

# An analyst's outcome is exported as a label only once a second user with access to the company's region has
# confirmed it (POST /v1/feedback/{id}/confirm). Off only where one analyst's word may become a label.
FEEDBACK_REVIEW: bool = _flag("FEEDBACK_REVIEW", True)
#: A ``--scheduler local:N`` cluster talks TLS with temporary certificates, so no other account on the machine can
#: join it and read the records. Off only where the machine has one user and the handshakes' cost matters (tests).
DASK_LOCAL_TLS: bool = _flag("DASK_LOCAL_TLS", True)

# Following companies (issue 25). A watch lasts at most WATCH_MAX_DAYS (six months) and is renewed explicitly, so
# no company stays followed because somebody forgot it. ALERT_RULES names a TOML file of alert rules (default: the
# shipped `serving/alert_rules.toml`, documented in docs/alerts.md); ALERT_TOP_K is the regional top-k whose new
# entries alert.
WATCH_MAX_DAYS: int = int(_env("WATCH_MAX_DAYS", "183"))
ALERT_RULES: Path | None = Path(_env("ALERT_RULES", "")).resolve() if _env("ALERT_RULES", "") else None
ALERT_TOP_K: int = int(_env("ALERT_TOP_K", str(FAIRNESS_TOP_K)))

# Retention (`tegenkracht retention prune`), in days; docs/retention.md gives each period's legal reason. None may
# be shorter than AUDIT_RETENTION_MIN_DAYS: the trail must still be able to show what each record was about.
RETAIN_BATCH_DAYS: int = int(_env("RETAIN_BATCH_DAYS", "730"))
RETAIN_SHORTLIST_DAYS: int = int(_env("RETAIN_SHORTLIST_DAYS", "365"))
RETAIN_WATCH_DAYS: int = int(_env("RETAIN_WATCH_DAYS", "365"))
RETAIN_ALERT_DAYS: int = int(_env("RETAIN_ALERT_DAYS", "365"))
RETAIN_FEEDBACK_DAYS: int = int(_env("RETAIN_FEEDBACK_DAYS", "1825"))
