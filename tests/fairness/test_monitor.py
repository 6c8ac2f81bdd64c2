"""The drift monitor: PSI/KS figures against hand calculations and scipy, the group and CBPE checks, the report
files (atomic), and MLflow logging. Snapshots are small synthetic frames so the whole module runs in seconds."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from scipy import stats

from fairness import drift, monitor
from fairness.drift import CBPE_ASSUMPTION, DriftSettings
from fairness.evidently_report import quotas, stratified_sample
from fairness.groups import ATTRIBUTES, INTERSECTIONS, gating_attributes, intersection_name
from fairness.monitor import MonitorInputError, load_snapshot, run_monitor, sanitise_metric_name
from features.catalogue import FEATURES

REGIONS = ("Noord", "Oost", "Zuid", "West")
SETTINGS = DriftSettings()


# ---------------------------------------------------------------------------------------------- builders


def snapshot(n: int, seed: int, shift: float = 0.0, shap: bool = True, label: bool = False) -> pd.DataFrame:
    """Indicators (continuous, 0/1 flags and counts, some NaN), score, probability and SHAP for ``n`` companies."""
    rng = np.random.default_rng(seed)
    data: dict[str, np.ndarray] = {}
    for i, name in enumerate(FEATURES):
        kind = i % 3
        if kind == 0:
            x = rng.normal(shift, 1.0, n)
        elif kind == 1:
            x = (rng.random(n) < 0.2 + 0.3 * shift).astype(float)
        else:
            x = rng.poisson(1.0 + shift, n).astype(float)
        x[rng.random(n) < 0.03] = np.nan
        data[name] = x
    frame = pd.DataFrame(data)
    frame.insert(0, "company_id", np.arange(seed * 1_000_000, seed * 1_000_000 + n))
    frame.insert(1, "riec_region", rng.choice(REGIONS, n))
    z = np.nan_to_num(frame[FEATURES[0]].to_numpy()) + np.nan_to_num(frame[FEATURES[3]].to_numpy())
    frame["score"] = -4.0 + z + rng.normal(0.0, 0.5, n)
    frame["probability"] = 1.0 / (1.0 + np.exp(-frame["score"]))
    if shap:
        for name in FEATURES:
            frame[f"shap__{name}"] = rng.normal(0.0, 0.1, n)
    if label:
        frame["label"] = (rng.random(n) < frame["probability"]).astype(float)
    return frame


def groups_for(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    """What ``fairness.groups.company_groups`` returns, drawn at random (independent of the score)."""
    rng = np.random.default_rng(seed)
    n = len(frame)
    values = {
        "migration_background": rng.choice(["none", "western", "non_western"], n, p=[0.6, 0.2, 0.2]),
        "gender": rng.choice(["male", "female", "mixed"], n, p=[0.6, 0.3, 0.1]),
        "age_group": rng.choice(["<30", "30-44", "45-59", "60+"], n),
        "neighbourhood_ses": rng.choice(["low", "middle", "high"], n),
    }
    out = pd.DataFrame({"company_id": frame["company_id"].to_numpy(), **values})
    for a, b in INTERSECTIONS:
        out[intersection_name(a, b)] = out[a] + "+" + out[b]
    out["riec_region"] = frame["riec_region"].to_numpy()
    out["sbi_section"] = "G"
    return out


def slow_psi(ref: np.ndarray, cur: np.ndarray, floor: float = 1e-4) -> float:
    """Textbook PSI, one column at a time: nanquantile edges, digitize, a NaN bin, empty bins floored."""
    edges = np.unique(np.nanquantile(ref, np.arange(1, 10) / 10))

    def shares(x: np.ndarray) -> np.ndarray:
        finite = x[~np.isnan(x)]
        counts = np.bincount(np.digitize(finite, edges, right=True), minlength=len(edges) + 1)
        counts = np.append(counts, np.isnan(x).sum())
        return np.where(counts == 0, floor, counts / len(x))

    r, c = shares(ref), shares(cur)
    return float(np.sum((c - r) * np.log(c / r)))


# ---------------------------------------------------------------------------------------------- PSI and KS


def test_psi_of_identical_data_is_zero():
    x = np.random.default_rng(0).normal(size=10_000)
    assert drift.psi(x, x.copy()) == pytest.approx(0.0, abs=1e-12)


def test_psi_matches_hand_calculation():
    # Reference 1..10, each twice: deciles 1.9, 2.8, …, 9.1, so every value has a bin of its own, share 0.10 each.
    # Current moves one company from value 2 to value 1: shares 0.15, 0.05, then 0.10 × 8; no NaN on either side.
    # PSI = (0.15 − 0.10)·ln(0.15/0.10) + (0.05 − 0.10)·ln(0.05/0.10)
    #     = 0.05 · 0.405465 + 0.05 · 0.693147 = 0.020273 + 0.034657 = 0.054931
    reference = np.repeat(np.arange(1.0, 11.0), 2)
    current = np.array([1, 1, 1, 2, *np.repeat(np.arange(3.0, 11.0), 2)], dtype=float)
    np.testing.assert_allclose(
        drift.decile_edges(drift.sort_column(reference)), [1.9, 2.8, 3.7, 4.6, 5.5, 6.4, 7.3, 8.2, 9.1]
    )
    assert drift.psi(reference, current) == pytest.approx(0.054931, abs=1e-6)


def test_psi_floors_empty_bins_and_counts_missing_values():
    # Reference 1..10 (one per decile bin, no NaN). Current: 1..8 and two NaN. Bins 9 and 10 are empty now and the
    # NaN bin was empty before: each empty share counts as 1e-4.
    # PSI = 2 · (1e-4 − 0.1) · ln(1e-4/0.1) + (0.2 − 1e-4) · ln(0.2/1e-4)
    #     = 2 · 0.0999 · 6.907755 + 0.1999 · 7.600902 = 1.380170 + 1.519420 = 2.899590
    reference = np.arange(1.0, 11.0)
    current = np.array([1, 2, 3, 4, 5, 6, 7, 8, np.nan, np.nan])
    counts = drift.bin_counts(drift.sort_column(current), drift.decile_edges(drift.sort_column(reference)))
    assert counts.tolist() == [1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 2]  # ten value bins, then the NaN bin
    assert drift.psi(reference, current) == pytest.approx(2.899590, abs=1e-5)


def test_psi_of_a_constant_and_of_an_all_missing_column_does_not_crash():
    constant = np.full(1_000, 3.0)
    assert drift.psi(constant, constant) == pytest.approx(0.0)
    assert drift.psi(constant, constant + 1.0) > 0.25  # every current value falls in the upper bin
    missing = np.full(100, np.nan)
    assert drift.psi(missing, missing) == pytest.approx(0.0)
    assert math.isnan(drift.psi(np.array([]), constant))
    assert drift.psi_status(math.nan, SETTINGS) == "insufficient data"


@pytest.mark.parametrize("n1, n2", [(40, 55), (3_000, 800), (1, 7)])
def test_ks_statistic_equals_scipy_with_ties(n1, n2):
    rng = np.random.default_rng(n1 + n2)
    for a, b in [
        (rng.normal(size=n1), rng.normal(0.2, 1.0, size=n2)),
        (rng.integers(0, 4, n1).astype(float), rng.integers(0, 5, n2).astype(float)),
        (rng.poisson(1.0, n1).astype(float), rng.normal(1.0, 1.0, n2).round()),
    ]:
        expected = stats.ks_2samp(a, b).statistic
        assert drift.ks_statistic(np.sort(a), np.sort(b)) == pytest.approx(expected, abs=1e-12)


def test_ks_pvalue_agrees_with_scipy_at_every_size():
    rng = np.random.default_rng(3)
    # n1·n2 ≤ 1e6: scipy's exact p-value
    a, b = rng.normal(size=900), rng.normal(0.1, 1.0, size=1_000)
    assert drift.ks_sorted(drift.sort_column(a), drift.sort_column(b)) == pytest.approx(
        tuple(stats.ks_2samp(a, b, method="exact")[:2]), rel=1e-12
    )
    # 5000 × 5000: the asymptotic Smirnov p-value, as ks_2samp(method="asymp") (exact would take 80 ms a column)
    a, b = rng.normal(size=5_000), rng.normal(0.03, 1.0, size=5_000)
    ours = drift.ks_sorted(drift.sort_column(a), drift.sort_column(b))
    ref = stats.ks_2samp(a, b, method="asymp")
    assert ours == pytest.approx((ref.statistic, ref.pvalue), rel=1e-9)
    # en = 30000·20000/50000 = 12000: scipy's finite-n Smirnov distribution, so identical p-values
    a, b = rng.normal(size=30_000), rng.normal(0.02, 1.0, size=20_000)
    ours = drift.ks_sorted(drift.sort_column(a), drift.sort_column(b))
    ref = stats.ks_2samp(a, b)
    assert ours[0] == pytest.approx(ref.statistic, abs=1e-12)
    assert ours[1] == pytest.approx(ref.pvalue, rel=1e-9)
    # en ≈ 45000: Kolmogorov's limit, within 1.5 % of scipy where p is not negligible
    a, b = rng.normal(size=90_000), rng.normal(0.012, 1.0, size=90_000)
    ours = drift.ks_sorted(drift.sort_column(a), drift.sort_column(b))
    ref = stats.ks_2samp(a, b)
    assert ours[0] == pytest.approx(ref.statistic, abs=1e-12)
    assert 1e-6 < ref.pvalue < 0.9
    assert ours[1] == pytest.approx(ref.pvalue, rel=0.015)


def test_ks_excludes_missing_values():
    a = np.array([1.0, 2.0, np.nan, 3.0])
    b = np.array([np.nan, np.nan, 1.0, 2.0, 3.0])
    d, p = drift.ks_sorted(drift.sort_column(a), drift.sort_column(b))
    assert d == 0.0
    assert p == pytest.approx(1.0)


def test_vectorised_indicator_drift_matches_slow_psi_on_200k_rows():
    ref, cur = snapshot(200_000, 1, shap=False), snapshot(200_000, 2, shift=0.1, shap=False)
    started = time.perf_counter()
    table = drift.indicator_drift(ref, cur, FEATURES, SETTINGS)
    elapsed = time.perf_counter() - started
    assert len(table) == len(FEATURES) and table["psi"].notna().all()
    assert elapsed < 10.0  # about 0.5 s on two cores; generous for a shared machine
    for name in FEATURES[:6]:  # two of each kind: continuous, flag, count
        row = table.set_index("indicator").loc[name]
        r, c = ref[name].to_numpy(), cur[name].to_numpy()
        assert row["psi"] == pytest.approx(slow_psi(r, c), rel=1e-9, abs=1e-12)
        assert row["ks"] == pytest.approx(stats.ks_2samp(r[~np.isnan(r)], c[~np.isnan(c)]).statistic, abs=1e-12)
        assert row["missing_cur"] - row["missing_ref"] == pytest.approx(np.isnan(c).mean() - np.isnan(r).mean())


def test_score_drift_reports_psi_ks_and_probability_shift():
    ref = snapshot(5_000, 1, shap=False)
    cur = ref.assign(score=ref["score"] + 1.0, probability=ref["probability"] + 0.01)
    out = drift.score_drift(ref, cur, SETTINGS)
    assert out["status"] == "act" and out["psi"] >= 0.25
    assert out["ks"] == pytest.approx(stats.ks_2samp(ref["score"], cur["score"]).statistic)
    assert out["mean_score_cur"] - out["mean_score_ref"] == pytest.approx(1.0)
    assert out["probability_shift"] == pytest.approx(0.01)


# ---------------------------------------------------------------------------------------------- explanations


def test_explanation_drift_flags_a_doubled_shap_column():
    rng = np.random.default_rng(0)
    names = ["a", "b", "c", "d", "e"]
    ref = pd.DataFrame({f"shap__{n}": rng.normal(0.0, 1.0, 4_000) for n in names})
    cur = ref.copy()
    cur["shap__c"] *= 2.0  # share 0.2 → 2/6 = 0.333; the others fall to about 0.167 (moved 0.033 < 0.05)
    table = drift.explanation_drift(ref, cur, names, SETTINGS).set_index("indicator")
    assert table.loc["c", "status"] == "watch"
    assert table.loc["c", "ratio"] == pytest.approx(2.0)
    assert table.loc["c", "share_change"] == pytest.approx(2 / 6 - 1 / 5, abs=0.02)
    assert (table.drop(index="c")["status"] == "stable").all()
    alerts = drift.explanation_alerts(table.reset_index(), SETTINGS)
    assert [a.subject for a in alerts] == ["c"] and alerts[0].level == "watch"


# ---------------------------------------------------------------------------------------------- composition


def composition_frame(n: int, seed: int, inflate: float = 0.0) -> pd.DataFrame:
    """Scores independent of group, except ``non_western`` companies get ``inflate`` added; 20 'tiny' companies."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "company_id": np.arange(n),
            "riec_region": rng.choice(REGIONS, n),
            "score": rng.normal(0.0, 1.0, n),
            "migration_background": rng.choice(["none", "western", "non_western"], n, p=[0.55, 0.2, 0.25]),
            "gender": rng.choice(["male", "female"], n, p=[0.65, 0.35]),
        }
    )
    frame.loc[frame.index[:20], "migration_background"] = "tiny"
    frame.loc[frame["migration_background"] == "non_western", "score"] += inflate
    return frame


def test_composition_flags_a_group_made_unfair_and_not_an_unchanged_one():
    ref = composition_frame(20_000, 1)
    cur = composition_frame(20_000, 2, inflate=1.0)
    selected = (drift.shortlist_of(ref, 100), drift.shortlist_of(cur, 100))
    table = drift.composition_drift(ref, cur, ["migration_background", "gender"], selected, SETTINGS)
    rows = table.set_index(["attribute", "group"])
    nw = rows.loc[("migration_background", "non_western")]
    assert nw["status_ref"] == "fair" and 0.8 <= nw["disparity_ref"] <= 1.25
    assert nw["status"] == "act" and nw["disparity_cur"] > 1.25
    assert rows.loc[("migration_background", "none"), "status"] == "reference"
    assert rows.loc[("gender", "female"), "status"] == "fair"
    assert rows.loc[("migration_background", "tiny"), "status"] == "insufficient data"
    # shares add up per attribute and snapshot
    for col in ("population_share_ref", "shortlist_share_cur"):
        assert table.groupby("attribute")[col].sum().to_numpy() == pytest.approx([1.0, 1.0])
    assert rows.loc[("gender", "female"), "selected_cur"] + rows.loc[("gender", "male"), "selected_cur"] == 400
    alerts = drift.composition_alerts(table, SETTINGS)
    assert [a.subject for a in alerts] == ["migration_background=non_western"]
    assert "moved outside" in alerts[0].message


def _one_side(n: list[int], selected: list[int], settings: DriftSettings) -> pd.Series:
    counts = pd.DataFrame({"n": n, "selected": selected}, index=["ref", "g"])
    return drift._side(counts, "ref", "", settings)["status"]


def test_composition_needs_expected_selections_and_a_clear_interval():
    settings = DriftSettings(min_group_size=30, min_expected=5.0)
    # 400 companies at 1 % (reference 40,000 at 0.5 %): 4 observed, 2 expected at the reference rate
    assert _one_side([40_000, 400], [200, 4], settings)["g"] == "insufficient data"
    # 20 companies: under min_group_size whatever they show
    assert _one_side([40_000, 20], [200, 8], settings)["g"] == "insufficient data"
    # twice the reference rate on 400 selections: the interval clears the band
    assert _one_side([40_000, 20_000], [200, 200], settings)["g"] == "act"
    # twice the rate on 8 selections: outside the band, but the interval reaches into it
    assert _one_side([40_000, 800], [200, 8], settings)["g"] == "watch"
    assert _one_side([40_000, 10_000], [400, 110], settings)["g"] == "fair"


def test_matched_k_selects_the_same_share():
    assert drift.matched_k(100, 100_000, 2_500_000) == 4
    assert drift.matched_k(100, 10, 2_500_000) == 1
    assert drift.matched_k(100, 5_000, 5_000) == 100


# ---------------------------------------------------------------------------------------------- CBPE


def test_cbpe_estimate_equals_realised_precision_in_expectation():
    rng = np.random.default_rng(5)
    n, draws = 100_000, 40
    p = rng.beta(0.5, 15.0, n)
    frame = pd.DataFrame({"riec_region": rng.choice(REGIONS, n), "probability": p, "score": np.log(p / (1 - p))})
    selected = drift.shortlist_of(frame, 250)
    expected = drift.expected_confusion(p, selected)
    assert expected["selected"] == 1_000
    assert expected["expected_tp"] + expected["expected_fp"] == pytest.approx(1_000)
    assert expected["expected_positives"] == pytest.approx(p.sum())
    realised = [drift.realised_precision((rng.random(n) < p).astype(float), selected) for _ in range(draws)]
    prec = expected["expected_precision"]
    se = math.sqrt(prec * (1 - prec) / 1_000 / draws)
    assert abs(np.mean(realised) - prec) < 4 * se
    labels = rng.random(n) < p
    assert labels[selected].sum() / labels.sum() == pytest.approx(expected["expected_recall"], rel=0.15)


def test_performance_estimate_flags_a_precision_drop_and_states_its_assumption():
    ref = snapshot(8_000, 1, shap=False, label=True)
    cur = ref.assign(probability=ref["probability"] * 0.5)  # the same ranking, half the expected hits
    selected = (drift.shortlist_of(ref, 100), drift.shortlist_of(cur, 100))
    out = drift.performance_estimate(ref, cur, selected, SETTINGS)
    assert out["relative_precision_change"] == pytest.approx(-0.5)
    assert out["status"] == "watch"
    assert "realised_precision" in out["reference"] and "realised_precision" not in out["current"]
    assert "concept drift" in out["assumption"]
    assert drift.performance_alerts(out, SETTINGS)[0].level == "watch"


# ---------------------------------------------------------------------------------------------- run_monitor


def test_run_monitor_alerts_on_a_shifted_snapshot_and_writes_the_report(tmp_path):
    ref, cur = snapshot(5_000, 1), snapshot(5_000, 2, shift=0.6)
    cur["shap__" + FEATURES[5]] *= 4.0
    result = run_monitor(
        ref,
        cur,
        groups_reference=groups_for(ref, 1),
        groups_current=groups_for(cur, 2),
        out_dir=tmp_path,
        evidently=False,
        log_to_mlflow=False,
        reference_meta={"as_of": "2022-12-31"},
        current_meta={"as_of": "2023-12-31", "model_version": "3"},
    )
    assert result.alert
    levels = {(a.check, a.level) for a in result.alerts}
    assert ("indicators", "act") in levels and ("score", "act") in levels and ("explanations", "watch") in levels
    assert list(result.indicators.columns) == [
        "indicator",
        "psi",
        "ks",
        "ks_pvalue",
        "missing_ref",
        "missing_cur",
        "missing_change",
        "status",
    ]
    assert set(result.composition["attribute"]) == set(gating_attributes())
    assert result.settings["top_k_reference"] == 100
    assert sorted(p.name for p in tmp_path.iterdir()) == ["monitor.html", "monitor.json"]
    blob = json.loads((tmp_path / "monitor.json").read_text())
    assert blob["alert"] is True
    assert blob["performance"]["assumption"] == CBPE_ASSUMPTION
    assert blob["metadata"]["current"]["model_version"] == "3"
    assert "evidently" in blob["skipped"]
    page = (tmp_path / "monitor.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and "Drift monitor / Driftmonitor" in page
    assert page.index("Summary / Samenvatting") < page.index("Indicators / Indicatoren")
    assert page.count("data:image/png;base64,") == 4
    assert "act / ingrijpen" in page and "s-act" in page
    assert "concept drift" in page


def test_run_monitor_is_quiet_on_a_resample_of_the_reference(tmp_path):
    ref = snapshot(5_000, 1)
    cur = ref.sample(n=len(ref), replace=True, random_state=7).reset_index(drop=True)
    result = run_monitor(ref, cur, out_dir=tmp_path, evidently=False, log_to_mlflow=False)
    assert not result.alert
    assert not [a for a in result.alerts if a.level == "act"]
    assert (result.indicators["psi"] < 0.1).all()
    assert result.score is not None and result.score["psi"] < 0.1
    assert "composition" in result.skipped  # no group frames given
    assert json.loads((tmp_path / "monitor.json").read_text())["alert"] is False


def test_run_monitor_skips_what_the_snapshots_lack(tmp_path):
    # today's drift reference: region, indicators, score and probability; no company_id and no SHAP columns
    ref = snapshot(3_000, 1, shap=False).drop(columns="company_id")
    cur = snapshot(3_000, 2)
    result = run_monitor(
        ref,
        cur,
        groups_reference=groups_for(snapshot(3_000, 1), 1),
        groups_current=groups_for(cur, 2),
        out_dir=tmp_path,
        evidently=False,
        log_to_mlflow=False,
    )
    assert result.explanations is None and "reference" in result.skipped["explanations"]
    assert result.composition is None and "company_id" in result.skipped["composition"]
    assert result.performance is not None  # shortlist ties broken by row order without company ids
    json.loads((tmp_path / "monitor.json").read_text())  # strict JSON


def test_run_monitor_with_only_scores_skips_indicators(tmp_path):
    ref = snapshot(2_000, 1)[["company_id", "score", "probability"]]
    cur = snapshot(2_000, 2)[["company_id", "score", "probability"]]
    result = run_monitor(ref, cur, out_dir=tmp_path, evidently=False, log_to_mlflow=False)
    assert result.indicators.empty and "indicators" in result.skipped
    assert "riec_region" in result.skipped["performance"]
    assert result.score is not None


@pytest.mark.parametrize("target", ["render_html", "write_evidently_report"])
def test_a_crash_while_writing_leaves_no_report(tmp_path, monkeypatch, target):
    def boom(*_args, **_kwargs):
        raise RuntimeError("disk gone")

    monkeypatch.setattr(monitor, target, boom)
    ref, cur = snapshot(1_000, 1), snapshot(1_000, 2, shift=0.5)
    with pytest.raises(RuntimeError, match="disk gone"):
        run_monitor(ref, cur, out_dir=tmp_path, evidently=target != "render_html", log_to_mlflow=False)
    assert list(tmp_path.iterdir()) == []  # neither report nor temporary file


def test_a_crash_leaves_an_earlier_report_untouched(tmp_path, monkeypatch):
    (tmp_path / "monitor.json").write_text("earlier")
    monkeypatch.setattr(monitor, "render_html", lambda *_a: (_ for _ in ()).throw(OSError("full")))
    with pytest.raises(OSError):
        run_monitor(snapshot(500, 1), snapshot(500, 2), out_dir=tmp_path, evidently=False, log_to_mlflow=False)
    assert (tmp_path / "monitor.json").read_text() == "earlier"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["monitor.json"]


def test_group_frames_in_another_order_are_joined_on_company_id():
    cur = snapshot(3_000, 2)
    groups = groups_for(cur, 2)
    attributes = list(gating_attributes())
    aligned = monitor._group_columns(cur, groups, attributes)
    pd.testing.assert_frame_equal(aligned, groups[attributes])
    shuffled = groups.sample(frac=1.0, random_state=1).iloc[100:]  # 100 companies without a group
    joined = monitor._group_columns(cur, shuffled, attributes)
    missing = ~cur["company_id"].isin(shuffled["company_id"]).to_numpy()
    assert (joined.loc[missing, "gender"] == "unknown").all() and missing.sum() == 100
    pd.testing.assert_frame_equal(joined[~missing], groups.loc[~missing, attributes])
    with pytest.raises(MonitorInputError, match="more than once"):
        monitor._group_columns(cur, pd.concat([shuffled, shuffled.head(3)]), attributes)


def test_a_score_file_alone_takes_its_region_from_the_group_frame(tmp_path):
    ref, cur = snapshot(3_000, 1), snapshot(3_000, 2)
    scores_only = cur[["company_id", "score", "probability"]]
    result = run_monitor(
        ref,
        scores_only,
        groups_reference=groups_for(ref, 1),
        groups_current=groups_for(cur, 2),
        out_dir=tmp_path,
        evidently=False,
        log_to_mlflow=False,
    )
    assert result.performance is not None and result.composition is not None
    assert result.performance["current"]["selected"] == 4 * 100


def test_evidently_refusing_the_data_is_a_skipped_check_not_a_lost_report(tmp_path, monkeypatch):
    def refuse(*_args, **_kwargs):
        raise ValueError("An empty column 'x' was provided")

    monkeypatch.setattr(monitor, "write_evidently_report", refuse)
    result = run_monitor(snapshot(500, 1), snapshot(500, 2), out_dir=tmp_path, evidently=True, log_to_mlflow=False)
    assert "empty column" in result.skipped["evidently"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["monitor.html", "monitor.json"]
    assert "evidently.html" not in json.loads((tmp_path / "monitor.json").read_text())["files"]


def test_run_monitor_with_evidently_writes_its_html(tmp_path):
    keep = ["company_id", "riec_region", *FEATURES[:5], "score", "probability"]
    ref, cur = snapshot(3_000, 1)[keep], snapshot(3_000, 2, shift=0.3)[keep]
    ref[FEATURES[4]] = np.nan  # an indicator without data in the reference: Evidently would refuse it
    result = run_monitor(ref, cur, out_dir=tmp_path, evidently=True, sample_rows=500, log_to_mlflow=False)
    page = (tmp_path / "evidently.html").read_text()
    assert page.lstrip().lower().startswith("<!doctype html>") and "</html>" in page
    assert "evidently" not in result.skipped
    assert result.skipped["some indicators"].startswith(f"{len(FEATURES) - 5} catalogued indicators")
    assert result.indicators.set_index("indicator").loc[FEATURES[4], "status"] == "act"  # all went to the NaN bin
    assert sorted(p.name for p in tmp_path.iterdir()) == ["evidently.html", "monitor.html", "monitor.json"]


# ---------------------------------------------------------------------------------------------- MLflow


def test_sanitise_metric_name_gives_names_mlflow_accepts():
    from mlflow.utils.validation import _validate_metric_name

    cases = {
        "monitor.disparity.age_group.<30": "monitor.disparity.age_group.lt30",
        "monitor.disparity.age_group.60+": "monitor.disparity.age_group.60_",
        "monitor.disparity.migration_background+gender.non_western+female": (
            "monitor.disparity.migration_background_gender.non_western_female"
        ),
        "psi(x)=1": "psi_x_eq1",
        "a..b/c d": "a.b_c_d",
        "..": "_",
        "monitor.psi.é": "monitor.psi._",
    }
    for raw, clean in cases.items():
        assert sanitise_metric_name(raw) == clean
        _validate_metric_name(clean)  # type: ignore[no-untyped-call]


def test_run_monitor_logs_metrics_and_files_to_mlflow(tmp_path, monkeypatch):
    from mlflow.tracking import MlflowClient
    from mlflow.utils.validation import _validate_metric_name

    from core import settings

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setattr(settings, "MLFLOW_TRACKING_URI", uri)
    monkeypatch.setattr(settings, "VAR_DIR", tmp_path)
    ref, cur = snapshot(2_000, 1), snapshot(2_000, 2, shift=0.5)
    result = run_monitor(
        ref,
        cur,
        groups_reference=groups_for(ref, 1),
        groups_current=groups_for(cur, 2),
        out_dir=tmp_path / "report",
        evidently=False,
        current_meta={"as_of": "2023-12-31"},
    )
    assert result.run_id
    client = MlflowClient(tracking_uri=uri)
    run = client.get_run(result.run_id)
    assert client.get_experiment(run.info.experiment_id).name == "tegenkracht-monitoring"
    names = set(run.data.metrics)
    for name in names:
        _validate_metric_name(name)  # type: ignore[no-untyped-call]
    assert f"monitor.psi.{FEATURES[0]}" in names and f"monitor.ks.{FEATURES[0]}" in names
    assert {"monitor.score.psi", "monitor.score.ks", "monitor.alerts.act"} <= names
    assert "monitor.performance.current.expected_precision" in names
    assert "monitor.disparity.age_group.lt30" in names
    assert f"monitor.shap_share_change.{FEATURES[0]}" in names
    assert run.data.metrics[f"monitor.psi.{FEATURES[0]}"] == pytest.approx(result.indicators["psi"].iloc[0])
    assert run.data.params["current.as_of"] == "2023-12-31"
    assert run.data.tags["monitor.alert"] == "true"
    artifacts = {a.path for a in client.list_artifacts(result.run_id, "monitor")}
    assert artifacts == {"monitor/monitor.json", "monitor/monitor.html"}


# ---------------------------------------------------------------------------------------------- inputs


def write_with_footer(frame: pd.DataFrame, path: Path, meta: dict[str, str]) -> None:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    footer = {f"tegenkracht.{k}".encode(): v.encode() for k, v in meta.items()}
    pq.write_table(table.replace_schema_metadata({**(table.schema.metadata or {}), **footer}), path)


def test_load_snapshot_joins_indicators_and_scores(tmp_path):
    full = snapshot(300, 1)
    score_cols = ["company_id", "score", "probability", *[c for c in full if c.startswith("shap__")]]
    write_with_footer(full[["company_id", "riec_region", *FEATURES]], tmp_path / "ind.parquet", {"as_of": "2023-12-31"})
    shuffled = full[score_cols].sample(frac=1.0, random_state=0)
    write_with_footer(shuffled, tmp_path / "sc.parquet", {"as_of": "2023-12-31", "model_version": "4"})
    frame, meta = load_snapshot(tmp_path / "ind.parquet", tmp_path / "sc.parquet")
    assert meta == {"as_of": "2023-12-31", "model_version": "4"}
    assert len(frame) == 300 and frame["company_id"].is_unique
    merged = frame.set_index("company_id").loc[full["company_id"]]
    np.testing.assert_allclose(merged["score"].to_numpy(), full["score"].to_numpy())
    alone, _ = load_snapshot(None, tmp_path / "sc.parquet")
    assert "riec_region" not in alone
    write_with_footer(full[score_cols], tmp_path / "old.parquet", {"as_of": "2022-12-31"})
    with pytest.raises(MonitorInputError, match="as of"):
        load_snapshot(tmp_path / "ind.parquet", tmp_path / "old.parquet")
    with pytest.raises(MonitorInputError):
        load_snapshot(None, None)


def test_stratified_sample_keeps_region_shares_and_is_deterministic():
    frame = pd.DataFrame({"riec_region": np.repeat(["A", "B", "C"], [6_000, 3_000, 1_000]), "x": np.arange(10_000)})
    sample = stratified_sample(frame, 500, seed=1)
    assert len(sample) == 500
    assert sample["riec_region"].value_counts().to_dict() == {"A": 300, "B": 150, "C": 50}
    assert sample.equals(stratified_sample(frame, 500, seed=1))
    assert quotas(pd.Series({"A": 2, "B": 1, "C": 1}), 3).sum() == 3


def test_gating_attributes_are_the_ones_built_here():
    assert set(gating_attributes()) == {*ATTRIBUTES, *(intersection_name(a, b) for a, b in INTERSECTIONS)}
