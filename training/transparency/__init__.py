"""Transparency documents generated from a registered model: model card, Algoritmeregister entry, Annex IV.

SyRI fell because nobody outside could see its indicators and logic. Every Tegenkracht version therefore carries
documents written from what the registry recorded about it, never by hand: the same version and recorded history
give the same bytes, and every figure in them is a logged metric or a stored artifact. What only the deploying
organisation can say (its legal basis, DPIA, IAMA, contact) is marked as such, not invented.

``tegenkracht model-card`` writes them, training logs them with each new version, and the service serves the
champion's (``GET /v1/model``, ``GET /v1/model/documents/{name}``, the model page).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.io import atomic_dir
from core.text import LANGS, Lang
from training.registry import resolve
from training.transparency import annex_iv, card, register, text
from training.transparency.deployer import Deployer
from training.transparency.facts import Facts, gather
from training.transparency.render import render

#: Document name → the files it is written as (the name is also the API's path segment).
NAMES = ("model-card", "algoritmeregister", "technical-documentation")
ANNEX_IV_LANG: Lang = "en"


@dataclass
class Documents:
    """The three documents of one version as data; Markdown is rendered on first use and kept."""

    card: dict[str, Any]
    registers: dict[str, dict[str, Any]]
    annex_iv: dict[str, Any]
    _markdown: dict[tuple[str, str], str] = field(default_factory=dict, repr=False)

    @property
    def version(self) -> str:
        """The model version the documents describe."""
        return str(self.card["model"]["version"])

    def data(self, name: str, lang: Lang = "nl") -> dict[str, Any]:
        """A document's JSON (the register entry is per language; the others hold both)."""
        if name == "model-card":
            return self.card
        if name == "algoritmeregister":
            return self.registers[lang]
        if name == "technical-documentation":
            return self.annex_iv
        raise KeyError(name)

    def markdown(self, name: str, lang: Lang = "nl") -> str:
        """A document in Markdown; the technical documentation exists in English only."""
        lang = ANNEX_IV_LANG if name == "technical-documentation" else lang
        key = (name, lang)
        if key not in self._markdown:
            self._markdown[key] = self._render(name, lang)
        return self._markdown[key]

    def body(self, name: str, format: str, lang: Lang) -> tuple[str, str]:
        """A document as served (API and pages alike): its text, the same bytes as the file, and media type."""
        if format == "json":
            return _json(self.data(name, lang)), "application/json"
        return self.markdown(name, lang), "text/markdown; charset=utf-8"

    def _render(self, name: str, lang: Lang) -> str:
        marker = text.MARKER[lang]
        if name == "model-card":
            return render("model_card.md.j2", lang, card=self.card, events=text.EVENTS)
        if name == "algoritmeregister":
            return render("algoritmeregister.md.j2", lang, entry=self.registers[lang], marker=marker,
                          sections=_register_sections(lang))  # fmt: skip
        if name == "technical-documentation":
            return render("technical_documentation.md.j2", lang, doc=self.annex_iv, marker=marker)
        raise KeyError(name)

    def to_complete(self) -> dict[str, list[str]]:
        """Per document, the fields still holding a placeholder for the deployer."""
        return {
            "model-card": _placeholders(self.card),
            "algoritmeregister": register.to_complete(self.registers["nl"]),
            "technical-documentation": [s["point"] for s in self.annex_iv["sections"] if text.is_todo(s["content"])],
        }

    def files(self) -> dict[str, str]:
        """Every file, by name, as written to disk and logged with the version."""
        out = {"model_card.json": _json(self.card), "technical_documentation.json": _json(self.annex_iv)}
        for lang in LANGS:
            out[f"model_card.{lang}.md"] = self.markdown("model-card", lang)
            out[f"algoritmeregister.{lang}.json"] = _json(self.registers[lang])
            out[f"algoritmeregister.{lang}.md"] = self.markdown("algoritmeregister", lang)
        out[f"technical_documentation.{ANNEX_IV_LANG}.md"] = self.markdown("technical-documentation")
        digests = {name: hashlib.sha256(body.encode("utf-8")).hexdigest() for name, body in sorted(out.items())}
        manifest = {"model": self.card["model"]["name"], "version": self.version, "files": digests}
        out["manifest.json"] = _json({**manifest, "to_complete": self.to_complete()})
        return dict(sorted(out.items()))


def build(facts: Facts, deployer: Deployer | None = None) -> Documents:
    """The documents of the version ``facts`` describe."""
    deployer = deployer or Deployer()
    model_card = card.build(facts, deployer)
    registers: dict[str, dict[str, Any]] = {lang: register.entry(facts, model_card, deployer, lang) for lang in LANGS}
    return Documents(model_card, registers, annex_iv.build(facts, model_card, deployer))


def generate(ref: str | int, deployer: Deployer | None = None, model: Any | None = None) -> Documents:
    """Resolve a model reference (version, alias, URI), read its facts and build its documents."""
    return build(gather(resolve(str(ref)), model), deployer)


def write(documents: Documents, out: Path) -> dict[str, Path]:
    """Write every file into ``out`` at once: a crash leaves the previous set or the new one, never a mix."""
    files = documents.files()
    with atomic_dir(out) as tmp:
        for name, body in files.items():
            (tmp / name).write_text(body, encoding="utf-8")
    return {name: out / name for name in files}


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True, allow_nan=False) + "\n"


def _placeholders(value: Any, path: str = "") -> list[str]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _placeholders(v, f"{path}.{k}" if path else str(k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _placeholders(v, f"{path}[{i}]")]
    return [path] if isinstance(value, str) and text.is_todo(value) else []


def _register_sections(lang: Lang) -> list[tuple[dict[str, str], list[tuple[str, str]]]]:
    out = []
    for section, title in register.SECTIONS.items():
        fields = [(key, nl if lang == "nl" else en) for key, nl, en, s in register.FIELDS if s == section]
        out.append((title, fields))
    return out
