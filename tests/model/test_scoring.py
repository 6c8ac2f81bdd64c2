"""Batch scoring and reason codes: every column, exact explanations, atomic output, clear refusals."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from features.catalogue import BY_ID, FEATURES
from features.pipeline import IndicatorTable, compute_indicators, input_fingerprint, write_indicators
from features.validation import validate_records
from models import peerpoint
from models.reasons import MISSING, Reason, format_value, reasons
from models.risk import CONTRAST_PREFIX, SHAP_PREFIX, ModelInputError, RiskModel
from serving.scoring import ScoringError, explain, read_reference, score_file
from tegenkracht.cli import app
from tests.shared import Trained

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def indicators(trained: Trained, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("indicators") / "ind-2023-12-31.parquet"
    as_of = pd.Timestamp("2023-12-31")
    frame, peers = compute_indicators(validate_records(trained.world).tables, as_of)
    write_indicators(IndicatorTable(frame, peers, as_of, input_fingerprint(trained.world)), out)
    return out


def test_scores_hold_every_column_and_add_up(trained: Trained, indicators: Path, tmp_path: Path) -> None:
    model = trained.v1.model
    run = score_file(model, indicators, tmp_path / "scores.parquet", "1", chunk_rows=5_000)
    scores = pd.read_parquet(run.out)
    features = pd.read_parquet(indicators)
    assert run.rows == len(features) == len(scores)
    assert list(scores.columns) == [
        "company_id",
        "score",
        "probability",
        "base_value",
        *[SHAP_PREFIX + f for f in FEATURES],
        "peer_group",
        "peer_score",
        *[CONTRAST_PREFIX + f for f in FEATURES],
        "model_version",
    ]
    assert (scores.company_id.to_numpy() == features.company_id.to_numpy()).all()
    shap = scores[[SHAP_PREFIX + f for f in FEATURES]].sum(axis=1) + scores.base_value
    assert np.abs(shap - scores.score).max() <= 1e-9
    contrast = scores[[CONTRAST_PREFIX + f for f in FEATURES]].sum(axis=1) + scores.peer_score
    assert np.abs(contrast - scores.score).max() <= 1e-9, "contrasts add up to score minus the peer score"
    reference = read_reference(run.reference)
    assert set(scores.peer_group) <= set(reference.index) and peerpoint.ALL in reference.index
    points = reference.loc[scores.peer_group, list(FEATURES)].to_numpy()
    assert np.abs(model.score(pd.DataFrame(points, columns=list(FEATURES))) - scores.peer_score).max() <= 1e-12
    assert np.abs(scores.score.to_numpy() - model.score(features)).max() <= 1e-12
    assert (scores.model_version == "1").all()
    footer = pq.read_schema(run.out).metadata
    assert footer[b"tegenkracht.model_version"] == b"1"
    assert run.reference.exists()


def test_fast_explanations_equal_lightgbms(trained: Trained, indicators: Path) -> None:
    model: RiskModel = trained.v1.model
    rows = pd.read_parquet(indicators).head(2000)
    ref = model.booster.predict(model.matrix(rows), pred_contrib=True)
    assert np.abs(model.contributions(rows) - ref).max() <= 1e-9


def test_chunk_size_does_not_change_the_output(trained: Trained, indicators: Path, tmp_path: Path) -> None:
    a = score_file(trained.v1.model, indicators, tmp_path / "a.parquet", "1", chunk_rows=1_000)
    b = score_file(trained.v1.model, indicators, tmp_path / "b.parquet", "1", chunk_rows=100_000)
    pd.testing.assert_frame_equal(pd.read_parquet(a.out), pd.read_parquet(b.out))


def test_a_crash_mid_batch_leaves_no_half_written_file(
    trained: Trained, indicators: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "scores.parquet"
    score_file(trained.v1.model, indicators, out, "1", chunk_rows=5_000)
    before = out.read_bytes()
    calls = {"n": 0}
    original = RiskModel.predict_frame

    def flaky(self: RiskModel, rows: pd.DataFrame, num_threads: int = 0) -> pd.DataFrame:
        calls["n"] += 1
        if calls["n"] == 2:
            raise MemoryError("out of memory in chunk 2")
        return original(self, rows, num_threads)

    monkeypatch.setattr(RiskModel, "predict_frame", flaky)
    with pytest.raises(MemoryError):
        score_file(trained.v1.model, indicators, out, "2", chunk_rows=5_000)
    assert out.read_bytes() == before, "the earlier output is untouched"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == [], "no temporary file is left"


def test_indicators_from_another_catalogue_are_refused(trained: Trained, indicators: Path, tmp_path: Path) -> None:
    table = pq.read_table(indicators)
    meta = {**table.schema.metadata, b"tegenkracht.catalogue_hash": b"0000000000000000"}
    pq.write_table(table.replace_schema_metadata(meta), tmp_path / "other.parquet")
    with pytest.raises(ScoringError, match="catalogue"):
        score_file(trained.v1.model, tmp_path / "other.parquet", tmp_path / "s.parquet", "1")


def test_a_missing_indicator_is_named(trained: Trained, indicators: Path, tmp_path: Path) -> None:
    table = pq.read_table(indicators)
    pq.write_table(table.drop_columns(["margin_z"]), tmp_path / "short.parquet")
    with pytest.raises(ModelInputError, match="margin_z"):
        score_file(trained.v1.model, tmp_path / "short.parquet", tmp_path / "s.parquet", "1")


def test_reasons_name_facts_and_peers_in_both_languages(trained: Trained, indicators: Path, tmp_path: Path) -> None:
    run = score_file(trained.v1.model, indicators, tmp_path / "scores.parquet", "1")
    scores = pd.read_parquet(run.out)
    top = scores.sort_values("score").company_id.iloc[-1]
    (e,) = explain(run.out, indicators, [top])
    assert e["raises"], "the highest score has reasons that raise it"
    first = e["raises"][0]
    assert "bij vergelijkbare bedrijven" in first["text_nl"] or "vergelijkbare bedrijven hebben" in first["text_nl"]
    assert "comparable companies" in first["text_en"]
    assert "31-12-2023" in first["text_nl"] and "31 December 2023" in first["text_en"]
    row = scores.set_index("company_id").loc[top]
    members = first["members"] or [first["key"]]
    expected = sum(row[CONTRAST_PREFIX + m] for m in members)
    assert first["contribution"] == pytest.approx(expected, abs=1e-12)
    assert e["peer_group"] == row.peer_group and e["peer_score"] == pytest.approx(row.peer_score)
    contributions = [r["contribution"] for r in e["raises"]]
    assert contributions == sorted(contributions, reverse=True)
    assert all(Path(p).stat().st_size > 1000 for p in e["waterfall"])
    assert {Path(p).suffix for p in e["waterfall"]} == {".png", ".svg"}


def test_grouped_reasons_add_up_to_the_score(trained: Trained, indicators: Path) -> None:
    frame = pd.read_parquet(indicators)
    model = trained.v1.model
    top = frame.iloc[[int(np.argmax(model.score(frame)))]]
    full = model.contributions(top)[0]
    contrib = pd.Series(full[:-1], index=list(FEATURES))
    grouped = reasons(top.iloc[0], contrib, frame.iloc[0], top=20, group=True)
    families = grouped["raises"] + grouped["lowers"]
    assert {r.key for r in families} <= {BY_ID[f].family for f in FEATURES}
    # every family with a non-zero sum is listed, and families plus the base value give the score back
    assert sum(r.contribution for r in families) + full[-1] == pytest.approx(model.score(top)[0], abs=1e-9)
    strongest = grouped["raises"][0]
    assert strongest.text_en.split(":")[0] in {
        "Profile",
        "Address",
        "Officers",
        "Ownership",
        "Finances",
        "Filings",
        "Real estate",
        "Network",
    }


def test_small_and_unknown_sectors_fall_back_to_the_section_then_all_companies() -> None:
    frame = pd.DataFrame(
        {
            "sbi_section": ["G"] * 40 + ["G"] * 10 + ["Q"] * 3 + ["?"] * 5,
            "employees_latest": [1.0] * 40 + [20.0] * 10 + [1.0] * 3 + [1.0] * 5,
            "margin_z": [1.0] * 40 + [7.0] * 10 + [9.0] * 3 + [5.0] * 5,
        }
    )
    groups = peerpoint.keys(frame)
    assert list(groups[[0, 40, 50, 53]]) == ["G|1", "G|*", "*", "*"], "10 or 3 companies are no peer group"
    ref = peerpoint.reference(frame, ["margin_z"], groups)
    assert ref.loc["G|1", "margin_z"] == 1.0
    assert ref.loc["G|*", "margin_z"] == 1.0, "the section's lower median over all its sizes"
    assert ref.loc["*", "margin_z"] == np.sort(frame.margin_z)[(len(frame) - 1) // 2], "an observed value"
    assert "?|*" not in ref.index


def test_a_value_most_peers_lack_has_a_missing_peer_point() -> None:
    frame = pd.DataFrame({"sbi_section": ["G"] * 40, "margin_z": [np.nan] * 25 + [2.0] * 15})
    ref = peerpoint.reference(frame, ["margin_z"])
    assert np.isnan(ref.loc["G|unknown", "margin_z"]), "missing is what is typical there"


def test_missing_values_with_one_cause_are_one_reason_stated_as_that_cause() -> None:
    row = pd.Series(
        {"sbi_section": "G", "years_since_registration": 0.33, "last_filing_missing": np.nan, "margin_z": np.nan,
         "revenue_growth_z": np.nan, "companies_at_address": 19.0}
    )  # fmt: skip
    contrib = pd.Series({"margin_z": 0.4, "revenue_growth_z": 0.3, "companies_at_address": 0.5})
    peers = pd.Series({"margin_z": 0.1, "revenue_growth_z": 0.0, "companies_at_address": 1.0})
    found = reasons(row, contrib, peers, as_of="2023-12-31")["raises"]
    assert [r.key for r in found] == [MISSING + "not_due", "companies_at_address"]
    grouped, address = found
    assert grouped.contribution == pytest.approx(0.7) and set(grouped.members) == {"margin_z", "revenue_growth_z"}
    assert grouped.text_nl.startswith("Nog geen jaarrekening verplicht; ingeschreven 4 maanden geleden")
    assert "onbekend" not in grouped.text_nl and "unknown" not in grouped.text_en
    assert address.text_nl == (
        "19 bedrijven ingeschreven op dit adres (Handelsregister, adressen, 31-12-2023); bij vergelijkbare bedrijven 1"
    )
    assert address.text_en.startswith("19 companies registered at this address (Business Register, addresses, 31 Dec")
    assert address.record == "address" and address.source == "addresses"


def test_a_value_never_reads_the_same_as_its_reference() -> None:
    row = pd.Series({"sbi_section": "G", "margin_z": 0.34, "years_since_registration": 3.2})
    contrib = pd.Series({"margin_z": 0.2, "years_since_registration": 0.1})
    peers = pd.Series({"margin_z": 0.31, "years_since_registration": 3.9})
    margin, years = reasons(row, contrib, peers, as_of="2023-12-31")["raises"]
    assert "z = 0,34" in margin.text_nl and margin.text_nl.endswith("z = 0,31")
    assert "3,2 jaar" in years.text_nl and years.text_nl.endswith("3,9 jaar")


@pytest.mark.parametrize(
    ("value", "unit", "nl", "en"),
    [
        (1.0, "flag", "ja", "yes"),
        (0.0, "flag", "nee", "no"),
        (None, "days", "onbekend", "unknown"),
        (0.355, "fraction", "36%", "36%"),
        (2.5, "years", "2,5 jaar", "2.5 years"),
        (12.0, "companies", "12 bedrijven", "12 companies"),
        (-3.14, "robust z", "z = -3,1", "z = -3.1"),
        (-0.04, "robust z", "z = 0,0", "z = 0.0"),  # rounds to zero: no "-0,0"
        (-0.004, "fraction", "0%", "0%"),
        (-10.0, "relative", "-10", "-10"),
    ],
)
def test_values_read_as_an_analyst_reads_them(value: float | None, unit: str, nl: str, en: str) -> None:
    assert format_value(value, unit, "nl") == nl
    assert format_value(value, unit, "en") == en


def test_reason_as_dict_is_json_ready() -> None:
    r = Reason("margin_z", "raises", 0.5, float("nan"), 0.0, "a", "b")
    assert json.loads(json.dumps(r.as_dict()))["value"] is None


def test_cli_score_and_explain(registry: Trained, indicators: Path, tmp_path: Path) -> None:
    out = tmp_path / "scores.parquet"
    result = CliRunner().invoke(
        app, ["score", "--features", str(indicators), "--out", str(out), "--model", "1", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["rows"] == len(pd.read_parquet(indicators))
    top = pd.read_parquet(out).sort_values("score").company_id.iloc[-1]
    shown = CliRunner().invoke(
        app, ["score", "--features", str(indicators), "--out", str(out), "--model", "1", "--explain", top]
    )
    assert shown.exit_code == 0, shown.output
    assert "vergelijkbare bedrijven" in shown.stdout and "comparable companies" in shown.stdout


def test_explain_refuses_features_from_another_snapshot(trained: Trained, indicators: Path, tmp_path: Path) -> None:
    run = score_file(trained.v1.model, indicators, tmp_path / "scores.parquet", "1")
    table = pq.read_table(indicators)
    meta = {**table.schema.metadata, b"tegenkracht.as_of": b"2020-12-31"}
    pq.write_table(table.replace_schema_metadata(meta), tmp_path / "older.parquet")
    company = table.column("company_id")[0].as_py()
    with pytest.raises(ScoringError, match="snapshot"):
        explain(run.out, tmp_path / "older.parquet", [company])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model", "champion"], "no model version"),
        (["--model", "1", "--explain", "nobody"], "not in"),
    ],
)
def test_cli_score_bad_requests_exit_2(
    registry: Trained, indicators: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    result = CliRunner().invoke(
        app, ["score", "--features", str(indicators), "--out", str(tmp_path / "s.parquet"), *args]
    )
    assert result.exit_code == 2
    assert message in result.output


def test_cli_score_unreadable_input_or_folder_output_exits_2(
    registry: Trained, indicators: Path, tmp_path: Path
) -> None:
    junk = tmp_path / "junk.parquet"
    junk.write_text("not parquet")
    bad_in = CliRunner().invoke(
        app, ["score", "--features", str(junk), "--out", str(tmp_path / "s.parquet"), "--model", "1"]
    )
    assert bad_in.exit_code == 2 and "Parquet" in bad_in.output
    bad_out = CliRunner().invoke(app, ["score", "--features", str(indicators), "--out", str(tmp_path), "--model", "1"])
    assert bad_out.exit_code == 2 and "folder" in bad_out.output
