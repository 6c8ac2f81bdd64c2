"""What only the deploying organisation can say: who it is, on what legal basis, with which impact assessments.

The system knows its model, data and audits; it cannot know the deployer's legal basis, DPIA or IAMA, nor who
answers questions about it. Those fields are read from a small YAML file the deployer keeps
(``TEGENKRACHT_DEPLOYER_FILE`` or ``--deployer``). Every field it leaves out is written into the documents as an
explicit placeholder that starts with a fixed marker, never as an empty string or an invented value, so a reader
sees what is missing and a test can check that nothing was silently left blank.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from training.transparency.text import Bi, todo

STATUSES = ("In gebruik", "In ontwikkeling", "Buiten gebruik")
STATUS_EN = {"In gebruik": "In use", "In ontwikkeling": "In development", "Buiten gebruik": "Out of use"}
KNOWN_KEYS = frozenset(
    {
        "organisation",
        "contact",
        "status",
        "begin_date",
        "public_page",
        "source_code",
        "provider",
        "legal_basis",
        "impact_assessments",
    }
)


class DeployerError(ValueError):
    """The deployer file cannot be used; the message names the field."""


@dataclass(frozen=True)
class Link:
    """A titled reference, as the register's groupings hold them."""

    title: str
    link: str = ""
    summary: str = ""


@dataclass(frozen=True)
class Deployer:
    """The deployer's own facts; ``None`` or empty means "not given", written as a placeholder."""

    organisation: str | None = None
    contact: str | None = None
    status: str = "In ontwikkeling"
    begin_date: str | None = None
    public_page: str | None = None
    source_code: str | None = None
    provider: str | None = None
    legal_basis: tuple[Link, ...] = ()
    impact_assessments: tuple[Link, ...] = ()
    given: frozenset[str] = field(default_factory=frozenset)

    def text(self, key: str, what: Bi) -> Bi:
        """The deployer's value in both languages, or the placeholder that says what to fill in."""
        value = getattr(self, key)
        return {"nl": value, "en": value} if value else todo(what)

    def assessment(self, kind: str) -> Link | None:
        """The DPIA or IAMA the deployer named, matched on its title."""
        return next((a for a in self.impact_assessments if kind.lower() in a.title.lower()), None)


def load(path: Path | None) -> Deployer:
    """The deployer file, or an empty deployer (all placeholders) when there is none."""
    if path is None:
        return Deployer()
    import yaml

    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise DeployerError(f"deployer file {path}: {exc}") from exc
    if not isinstance(raw, dict):
        raise DeployerError(f"deployer file {path}: expected a mapping of fields, got {type(raw).__name__}")
    return parse(raw, str(path))


def parse(raw: dict[str, Any], where: str = "deployer") -> Deployer:
    """Check and convert the deployer's fields; unknown keys and wrong types are refused with their name."""
    unknown = sorted(set(raw) - KNOWN_KEYS)
    if unknown:
        raise DeployerError(f"{where}: unknown field(s) {', '.join(unknown)}; known: {', '.join(sorted(KNOWN_KEYS))}")
    scalars = {k: _string(raw, k, where) for k in KNOWN_KEYS - {"legal_basis", "impact_assessments"}}
    status = scalars.pop("status") or "In ontwikkeling"
    if status not in STATUSES:
        raise DeployerError(f"{where}: status must be one of {', '.join(STATUSES)}, not {status!r}")
    begin = scalars["begin_date"]
    if begin and not (len(begin) == 7 and begin[4] == "-" and begin.replace("-", "").isdigit()):
        raise DeployerError(f"{where}: begin_date is a month, YYYY-MM, not {begin!r}")
    return Deployer(
        status=status,
        legal_basis=_links(raw, "legal_basis", where),
        impact_assessments=_links(raw, "impact_assessments", where),
        given=frozenset(k for k, v in raw.items() if v),
        **scalars,
    )


def _string(raw: dict[str, Any], key: str, where: str) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str | int):
        raise DeployerError(f"{where}: {key} must be text, not {type(value).__name__}")
    return str(value).strip() or None


def _links(raw: dict[str, Any], key: str, where: str) -> tuple[Link, ...]:
    items = raw.get(key) or []
    if not isinstance(items, list):
        raise DeployerError(f"{where}: {key} must be a list of {{title, link, summary}}")
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not str(item.get("title", "")).strip():
            raise DeployerError(f"{where}: {key}[{i}] needs at least a title")
        extra = sorted(set(item) - {"title", "link", "summary"})
        if extra:
            raise DeployerError(f"{where}: {key}[{i}] has unknown field(s) {', '.join(extra)}")
        out.append(Link(str(item["title"]).strip(), str(item.get("link") or "").strip(),
                        str(item.get("summary") or "").strip()))  # fmt: skip
    return tuple(out)
