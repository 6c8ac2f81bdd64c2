"""Transparency documents on the real registry: logged with each version, reproducible, every figure a logged one.

v1 (passing audit) and v2 (a stump without sensitive tables, so no fairness audit) come from the session's base
registry; each test works on its own copy of it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from core import settings
from tegenkracht.cli import app
from tests.shared import APPROVER, Trained
from training.promotion import promote
from training.registry import client, resolve, run_artifact
from training.transparency import Documents, generate, register, text, write
from training.transparency.benchmark import read_summary
from training.transparency.card import EVALUATION_METRICS
from training.transparency.deployer import DeployerError, parse
from training.transparency.render import md, num

ANNEX_IV_POINTS = [
    "1", *(f"1({c})" for c in "abcdefgh"), "2", *(f"2({c})" for c in "abcdefgh"), "3", "3a", "3b", "3c", "3d",
    "4", "5", "6", "7", "8", "9",
]  # fmt: skip
CARD_HEADINGS = {
    "nl": ["Beoogd gebruik en gebruikers", "Wat een score betekent", "Wat een score niet betekent", "Indicatoren",
           "Trainingsgegevens", "Labels en hun bekende vertekening", "Evaluatie", "Kalibratie",
           "Precisie van de top 100 per regio", "Eerlijkheid", "Driftbasislijn", "Beperkingen", "Menselijk toezicht",
           "Wanneer u afwijkt van de score", "Terugkoppeling vastleggen", "Wijzigingsgeschiedenis"],
    "en": ["Intended use and users", "What a score means", "What a score does not mean", "Indicators",
           "Training data", "Labels and their known biases", "Evaluation", "Calibration",
           "Precision of the top 100 by region", "Fairness", "Drift baseline", "Limitations", "Human oversight",
           "When to override the score", "How to record feedback", "Change history"],
}  # fmt: skip
DEPLOYER = {
    "organisation": "Gemeente Noorderhaaks",
    "contact": "algoritmes@noorderhaaks.example",
    "status": "In gebruik",
    "begin_date": "2027-01",
    "public_page": "https://noorderhaaks.example/tegenkracht",
    "source_code": "https://code.example/tegenkracht",
    "legal_basis": [{"title": "Wet Bibob, art. 7a", "link": "https://wetten.overheid.nl/BWBR0013798"}],
    "impact_assessments": [
        {"title": "DPIA", "link": "https://noorderhaaks.example/dpia.pdf", "summary": "2026-10, accepted"},
        {"title": "IAMA", "summary": "2026-11, risks mitigated"},
    ],
}


def _files(docs: Documents) -> dict[str, str]:
    return docs.files()


def test_every_version_is_registered_with_its_documents_and_they_regenerate_byte_for_byte(registry: Trained) -> None:
    v1 = resolve(str(registry.v1.version))
    logged = run_artifact(v1, "transparency")
    assert logged is not None
    now = generate(v1.version).files()
    assert {p.name for p in logged.iterdir()} == set(now)
    for name, body in now.items():  # no promotion since: the documents logged at registration are today's
        assert (logged / name).read_text(encoding="utf-8") == body, name
    import hashlib

    digest = hashlib.sha256(now["model_card.json"].encode("utf-8")).hexdigest()
    assert v1.tags["transparency.card_sha256"] == digest
    manifest = json.loads(now["manifest.json"])
    assert manifest["files"]["model_card.nl.md"] == hashlib.sha256(now["model_card.nl.md"].encode()).hexdigest()


def test_the_verb_writes_the_same_bytes_every_time(registry: Trained, tmp_path: Path) -> None:
    runner = CliRunner()
    outs = [tmp_path / "a", tmp_path / "b"]
    for out in outs:
        result = runner.invoke(app, ["model-card", "--version", str(registry.v1.version), "--out", str(out), "--json"])
        assert result.exit_code == 0, result.output
    first, second = ({p.name: p.read_bytes() for p in out.iterdir()} for out in outs)
    assert first == second and len(first) == 10
    shown = runner.invoke(app, ["model-card", "--version", "1", "--out", str(outs[0]), "--show", "model-card",
                                "--lang", "en"])  # fmt: skip
    assert shown.exit_code == 0 and "# Model card: tegenkracht-risk version 1" in shown.output
    bad = runner.invoke(app, ["model-card", "--version", "99", "--out", str(tmp_path / "c")])
    assert bad.exit_code == 2 and "no model version" in bad.output
    assert not (tmp_path / "c").exists()


def test_every_figure_is_the_logged_one(registry: Trained) -> None:
    v1 = resolve("1")
    docs = generate("1")
    logged = client().get_run(v1.run_id).data.metrics
    card = docs.card
    compared = 0
    for key, value in logged.items():
        parts = key.split(".")
        if parts[0] != "test" or parts[3] not in EVALUATION_METRICS:
            continue
        _, scorer, target, metric = parts
        assert card["evaluation"]["metrics"][target][scorer][metric] == value, key
        compared += 1
    assert compared >= 60  # four scorers, two targets
    for fold, counts in card["training_data"]["folds"].items():
        name, day = fold.split(" ")
        for what, value in counts.items():
            assert logged[f"fold.{name}.{day}.{what}"] == value
    stored = pd.read_csv(run_artifact(v1, "evaluation/per_region.csv"))
    mine = stored[stored["scorer"] == "model"]
    assert len(card["evaluation"]["by_region"]) == len(mine)
    for row in card["evaluation"]["by_region"]:
        match = mine[(mine.region == row["region"]) & (mine.target == row["target"]) & (mine.k == row["k"])]
        assert float(match["precision"].iloc[0]) == row["precision"] and int(match["hits"].iloc[0]) == row["hits"]
    audit = json.loads(run_artifact(v1, "fairness/audit_observed.json").read_text())  # type: ignore[union-attr]
    groups = {(g["attribute_name"], g["attribute_value"]): g for g in audit["groups"]}
    for row in card["fairness"]["observed"]["groups"]:
        for metric in card["fairness"]["observed"]["headline"]:
            assert row[metric]["disparity"] == groups[(row["attribute"], row["group"])][f"{metric}_disparity"]
    assert card["fairness"]["observed"]["passed"] == audit["passed"]
    _markdown_shows_the_logged_figures(docs, logged)


def _markdown_shows_the_logged_figures(docs: Documents, logged: dict[str, float]) -> None:
    for lang, label in (("nl", "dit model"), ("en", "this model")):
        row = next(line for line in docs.markdown("model-card", lang).splitlines() if line.startswith(f"| {label} |"))
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[3] == num(logged["test.model.observed.pr_auc"], lang)
        assert cells[5] == num(logged["test.model.observed.precision_at_100"], lang)
        entry = docs.registers[lang]
        assert f"{logged['test.model.observed.pr_auc']:.3f}" in entry["methods_and_models"]


def test_the_card_quotes_the_benchmark_across_worlds_only_for_the_benchmarked_configuration(registry: Trained) -> None:
    summary = read_summary()
    assert summary is not None
    card = generate("1").markdown("model-card", "en")
    section = card.split("### Across synthetic worlds", 1)[1].split("\n### ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and not line.startswith("| Ranking")]
    assert [r.split("|")[1].strip() for r in rows] == [
        "this configuration",
        "logistic regression",
        "checklist (red flags)",
        "ceiling: trained on the truth",
    ]
    model = summary["scorers"]["model"]["ratio_100"]
    assert rows[0].split("|")[3].strip() == f"{num(model['mean'], 'en')} ± {num(model['sd'], 'en')}"
    assert rows[3].split("|")[7].strip() == "–", "a truth-trained Brier is not comparable with the labels'"
    assert f"{summary['worlds']} worlds" in section
    other = generate("2").markdown("model-card", "en").split("### Across synthetic worlds", 1)[1].split("\n### ")[0]
    assert "differs from the benchmarked configuration in" in other and "num_leaves" in other and "|" not in other


def test_every_required_field_is_filled_or_explicitly_marked(registry: Trained) -> None:
    docs = generate("1")
    for lang in text.LANGS:
        entry = docs.registers[lang]
        for key, *_ in register.FIELDS:
            value = entry[key]
            assert value, key
            assert all(isinstance(v, str) and v.strip() for v in (value if isinstance(value, list) else [value]))
        for key, limit in register.LIMITS.items():
            assert text.is_todo(entry[key]) or len(entry[key]) <= limit, key
        assert entry["publication_category"] == register.CATEGORY[lang] and entry["standard_version"] == "1.0"
        assert set(register.to_complete(entry)) == {"organization", "begin_date", "contact_email", "website",
                                                     "lawful_basis", "impacttoetsen", "publiccode"}  # fmt: skip
        markdown = docs.markdown("model-card", lang)
        for heading in CARD_HEADINGS[lang]:
            assert re.search(rf"^#+ (\d+\. )?{re.escape(heading)}", markdown, re.M), heading
        assert not re.search(r"\|[ \t]*\|", markdown), "an empty table cell"
        register_md = docs.markdown("algoritmeregister", lang)
        assert all(f"### {nl if lang == 'nl' else en}" in register_md for _, nl, en, _ in register.FIELDS)
    sections = docs.annex_iv["sections"]
    assert [s["point"] for s in sections] == ANNEX_IV_POINTS
    for s in sections:
        assert s["heading"] or s["content"].strip(), s["point"]
        assert s["heading"] or s["generated"] or text.is_todo(s["content"]), s["point"]
    assert docs.to_complete()["technical-documentation"] == ["1(d)", "1(e)", "7", "8", "9"]
    card = docs.card
    assert [i["id"] for i in card["indicators"]] == list(registry.v1.model.features)
    assert all(i["rationale"] and i["source_text"] for i in card["indicators"])
    assert card["training_data"]["input_fingerprint"] and card["training_data"]["catalogue_matches_code"]
    assert card["drift_baseline"]["rows"] > 0 and len(card["evaluation"]["calibration"]) == 10
    assert card["fairness"]["audited"] and card["labels"]["investigations_audit"]["audited"]
    assert all(card["human_oversight"][k] for k in ("interpret", "override", "feedback"))


def test_a_deployer_file_fills_what_only_the_deployer_knows(registry: Trained) -> None:
    docs = generate("1", parse(DEPLOYER))
    nl = docs.registers["nl"]
    assert register.to_complete(nl) == [] and register.to_complete(docs.registers["en"]) == []
    assert nl["organization"] == "Gemeente Noorderhaaks" and nl["status"] == "In gebruik"
    assert docs.registers["en"]["status"] == "In use"
    assert nl["lawful_basis_grouping"] == [
        {"title": "Wet Bibob, art. 7a", "link": "https://wetten.overheid.nl/BWBR0013798"}
    ]
    assert "2026-10, accepted" in nl["impacttoetsen"] and nl["publiccode"].startswith("https://code.example/")
    assert docs.to_complete()["model-card"] == []
    assert docs.to_complete()["technical-documentation"] == ["1(d)", "1(e)", "7", "8", "9"]  # the provider's part


@pytest.mark.parametrize(
    ("raw", "field"),
    [({"organisatie": "x"}, "organisatie"), ({"status": "live"}, "status"), ({"begin_date": "2027"}, "begin_date"),
     ({"legal_basis": [{"link": "https://x"}]}, "legal_basis[0]"), ({"contact": ["a"]}, "contact")],
)  # fmt: skip
def test_a_bad_deployer_file_is_refused_naming_the_field(raw: dict[str, Any], field: str) -> None:
    with pytest.raises(DeployerError, match=re.escape(field)):
        parse(raw)


def test_the_change_history_records_promotions_overrides_and_replacements(registry: Trained) -> None:
    assert promote("1").via == "gates"
    why = "Stump for a pilot | approved <script>alert(1)</script> by the board on 2026-11-29"
    decision = promote("2", approver=APPROVER, justification=why)
    assert decision.via == "override"
    v2 = generate("2").card["history"]
    assert [e["kind"] for e in v2] == ["registered", "override"]
    assert v2[1]["approver"] == APPROVER and v2[1]["justification"] == why and v2[1]["previous_champion"] == "1"
    assert {g["name"]: g["passed"] for g in v2[1]["gates"]}["fairness"] is False
    v1 = generate("1").card["history"]
    assert [e["kind"] for e in v1] == ["registered", "gates", "replaced"] and v1[2]["other_version"] == "2"
    markdown = generate("2").markdown("model-card", "en")
    assert md(why) in markdown and "<script>" not in markdown and "approved \\<script\\>" in markdown
    assert "requested_by" not in json.dumps(v2)  # the operator's OS account stays in MLflow, out of public text


def test_a_promotion_that_failed_half_way_is_not_reported_as_a_champion(
    registry: Trained, alias_outage: Callable[[], AbstractContextManager[object]]
) -> None:
    with alias_outage():
        promote("1")
    history = generate("1").card["history"]
    assert [e["kind"] for e in history] == ["registered", "interrupted"]
    assert history[1]["detail"] == "gates, run FAILED"
    assert "promotion interrupted; champion not known to have moved" in generate("1").markdown("model-card", "en")


def test_the_served_champion_carries_the_same_documents(registry: Trained) -> None:
    from serving.champion import load_champion

    promote("1")
    served = load_champion()
    assert served.documents is not None and served.documents.files() == generate("1").files()


def test_a_version_whose_documents_fail_is_removed_before_it_gets_an_alias(
    registry: Trained, monkeypatch: pytest.MonkeyPatch
) -> None:
    from training import run as training_run

    v1 = resolve("1")

    def broken(*_args: object) -> None:
        raise RuntimeError("documents could not be written")

    monkeypatch.setattr(training_run, "_log_documents", broken)
    before = {m.version for m in client().search_model_versions(f"name = '{settings.MODEL_NAME}'")}
    with pytest.raises(RuntimeError, match="documents could not be written"):
        training_run._register(v1.source, v1.run_id, {})
    after = {m.version for m in client().search_model_versions(f"name = '{settings.MODEL_NAME}'")}
    assert after == before and str(resolve("@challenger").version) == str(registry.v2.version)


def test_documents_write_all_or_nothing(registry: Trained, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    docs = generate("1")
    out = tmp_path / "docs"
    write(docs, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def crash(self: Path, *_args: object, **_kwargs: object) -> int:
        if self.name == "model_card.nl.md":
            raise OSError("disk full")
        return original(self, *_args, **_kwargs)

    original = Path.write_text
    monkeypatch.setattr(Path, "write_text", crash)
    with pytest.raises(OSError, match="disk full"):
        write(generate("2"), out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
