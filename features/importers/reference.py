"""Lookups an import needs to meet the schemas: pseudonyms, municipalities and their RIEC region, register words.

Person identifiers never reach the record tables as they came: a keyed hash (HMAC-SHA256) turns them into
pseudonyms, so the same person gets the same pseudonym in every import with the same key and no pseudonym can be
turned back without it. The key comes from ``TEGENKRACHT_PSEUDONYM_KEY`` or, failing that, from a random key kept
in ``var/pseudonym.key`` (created once, readable by its owner only).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from core import settings
from core.reference import MUNICIPALITIES

KEY_FILE = "pseudonym.key"
PERSON_PREFIX = "P"


@dataclass(frozen=True)
class Pseudonymiser:
    """Keyed, stable pseudonyms for person identifiers."""

    key: bytes

    def person(self, identifier: str) -> str:
        """``P`` and 32 hex digits of HMAC-SHA256 over the source's own identifier."""
        digest = hmac.new(self.key, identifier.encode("utf-8"), hashlib.sha256).hexdigest()
        return PERSON_PREFIX + digest[:32]


def pseudonymiser() -> Pseudonymiser:
    """The configured key, or the local key file (made on first use)."""
    configured = os.environ.get("TEGENKRACHT_PSEUDONYM_KEY", "")
    if configured:
        return Pseudonymiser(configured.encode("utf-8"))
    path = settings.VAR_DIR / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return Pseudonymiser(path.read_text().strip().encode("utf-8"))


def _fold(text: str) -> str:
    """Lower case, accents off, only letters and digits: 'Besloten Vennootschap' and 'B.V.' compare as words."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", plain.lower())


LEGAL_FORMS: dict[str, str] = {
    _fold(k): v
    for k, v in {
        "BV": "BV", "B.V.": "BV", "besloten vennootschap": "BV",
        "besloten vennootschap met beperkte aansprakelijkheid": "BV", "private limited company": "BV",
        "NV": "NV", "N.V.": "NV", "naamloze vennootschap": "NV", "public limited company": "NV",
        "VOF": "VOF", "vennootschap onder firma": "VOF", "general partnership": "VOF",
        "CV": "CV", "commanditaire vennootschap": "CV", "limited partnership": "CV",
        "eenmanszaak": "eenmanszaak", "sole proprietorship": "eenmanszaak",
        "stichting": "stichting", "foundation": "stichting",
        "vereniging": "vereniging", "association": "vereniging",
        "coöperatie": "coöperatie", "cooperatie": "coöperatie", "cooperative": "coöperatie",
    }.items()
}  # fmt: skip
ROLES: dict[str, str] = {
    _fold(k): v
    for k, v in {
        "bestuurder": "bestuurder", "director": "bestuurder", "managing director": "bestuurder",
        "statutair bestuurder": "bestuurder", "board member": "bestuurder",
        "enig aandeelhouder": "aandeelhouder", "aandeelhouder": "aandeelhouder", "shareholder": "aandeelhouder",
        "gevolmachtigde": "gevolmachtigde", "procuratiehouder": "gevolmachtigde", "proxy holder": "gevolmachtigde",
        "authorised representative": "gevolmachtigde",
    }.items()
}  # fmt: skip


def legal_form(value: str) -> str:
    """The schema's legal form for a register's wording; the value itself when unknown (validation then says so)."""
    return LEGAL_FORMS.get(_fold(value), value)


def role(value: str) -> str:
    """The schema's officer role; ``bestuurder`` for a directorship that names none; else the value itself."""
    return ROLES.get(_fold(value), value) if value.strip() else "bestuurder"


@dataclass(frozen=True)
class Municipalities:
    """Municipality name → (CBS code, RIEC region); names compare as :func:`_fold` words."""

    by_name: dict[str, tuple[str, str]]

    def find(self, name: str) -> tuple[str, str] | None:
        """Code and region, or None for a municipality the list does not hold."""
        return self.by_name.get(_fold(name))

    def __len__(self) -> int:
        return len(self.by_name)


def municipalities(path: Path | None = None) -> Municipalities:
    """The list in ``core.reference`` (the synthetic world uses it too), or a CSV (``name,code,riec_region``)."""
    if path is None:
        rows = [(m.name, m.cbs_code, m.region) for m in MUNICIPALITIES]
    else:
        try:
            table = pd.read_csv(path, dtype=str)
        except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
            raise ValueError(f"{path}: the municipality list cannot be read: {exc}") from exc
        missing = {"name", "code", "riec_region"} - set(table.columns)
        if missing:
            raise ValueError(f"{path}: the municipality list lacks column(s) {sorted(missing)}")
        rows = list(table[["name", "code", "riec_region"]].itertuples(index=False, name=None))
    out = {_fold(name): (code, region) for name, code, region in rows}
    aliases = {"denhaag": "sgravenhage", "denbosch": "shertogenbosch"}  # what people write for the official names
    for alias, official in aliases.items():
        if official in out:
            out.setdefault(alias, out[official])
    return Municipalities(out)
