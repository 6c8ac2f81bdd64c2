"""The audit's figures: worked out by hand, and the same as Aequitas' and Fairlearn's on the same inputs."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from fairness.audit import DISPARITY_METRICS, HEADLINE, AuditError, AuditResult, audit


def hand_fixture() -> pd.DataFrame:
    """Group A (10 companies) and B (6), shortlist = score >= 0.5.

    A: selected labels 1,1,0,0 (tp 2, fp 2); not selected 1,0,0,0,0,0 (fn 1, tn 5).
    B: selected labels 1,0,0 (tp 1, fp 2); not selected 0,0,1 (fn 1, tn 2).
    """
    a_sel, a_not = [1, 1, 0, 0], [1, 0, 0, 0, 0, 0]
    b_sel, b_not = [1, 0, 0], [0, 0, 1]
    labels = a_sel + a_not + b_sel + b_not
    scores = [0.9] * 4 + [0.1] * 6 + [0.8] * 3 + [0.2] * 3
    groups = ["A"] * 10 + ["B"] * 6
    return pd.DataFrame({"score": scores, "label": labels, "g": groups})


# Worked out by hand from the fixture's docstring.
HAND = {
    "A": {"group_size": 10, "pp": 4, "pprev": 0.4, "ppr": 4 / 7, "prev": 0.3, "precision": 0.5, "fdr": 0.5},
    "B": {"group_size": 6, "pp": 3, "pprev": 0.5, "ppr": 3 / 7, "prev": 2 / 6, "precision": 1 / 3, "fdr": 2 / 3},
}
HAND["A"] |= {"fpr": 2 / 7, "fnr": 1 / 3, "for": 1 / 6, "fp_per_size": 0.2}
HAND["B"] |= {"fpr": 0.5, "fnr": 0.5, "for": 1 / 3, "fp_per_size": 1 / 3}
HAND_DISPARITY_B = {"pprev": 1.25, "ppr": 0.75, "precision": 2 / 3, "fdr": 4 / 3, "fpr": 1.75, "fnr": 1.5}
HAND_DISPARITY_B |= {"for": 2.0, "fp_per_size": 5 / 3}


def test_figures_worked_out_by_hand() -> None:
    r = audit(hand_fixture(), score="score", label="label", groups=["g"], threshold=0.5, min_group_size=1)
    t = r.groups.set_index("attribute_value")
    for group, expected in HAND.items():
        for metric, value in expected.items():
            assert t.loc[group, metric] == pytest.approx(value), (group, metric)
    for metric, value in HAND_DISPARITY_B.items():
        assert t.loc["B", f"{metric}_disparity"] == pytest.approx(value), metric
        assert t.loc["A", f"{metric}_disparity"] == pytest.approx(1.0)
    assert (t["reference_group"] == "A").all()  # the largest group


def test_status_follows_band_and_interval() -> None:
    r = audit(
        hand_fixture(), score="score", label="label", groups=["g"], threshold=0.5, min_group_size=1, min_expected=0
    )
    b = r.groups.set_index("attribute_value").loc["B"]
    assert b["pprev_status"] == "fair"  # 1.25 is inside the band (inclusive)
    assert b["fpr_status"] == "inconclusive"  # 1.75 is outside, but six companies cannot exclude the bound
    assert b["fpr_disparity_lower"] < 1.25 < b["fpr_disparity_upper"]
    assert r.groups.set_index("attribute_value").loc["A", "fpr_status"] == "reference"
    assert r.passed


def test_named_reference_group() -> None:
    r = audit(
        hand_fixture(),
        score="score",
        label="label",
        groups=["g"],
        threshold=0.5,
        min_group_size=1,
        reference={"g": "B"},
    )
    a = r.groups.set_index("attribute_value").loc["A"]
    assert a["pprev_disparity"] == pytest.approx(0.4 / 0.5)
    with pytest.raises(AuditError, match="'Z'"):
        audit(hand_fixture(), score="score", label="label", groups=["g"], threshold=0.5, reference={"g": "Z"})


def test_small_group_is_nan_with_insufficient_data_never_zero() -> None:
    r = audit(hand_fixture(), score="score", label="label", groups=["g"], threshold=0.5, min_group_size=8)
    b = r.groups.set_index("attribute_value").loc["B"]
    assert b["status"] == "insufficient data"
    for m in DISPARITY_METRICS:
        assert np.isnan(b[m]) and np.isnan(b[f"{m}_disparity"]), m
        assert b[f"{m}_status"] == "insufficient data"
    assert b["group_size"] == 6  # the size itself is known; the report suppresses it, the table keeps it


def random_frame(n: int = 4000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "score": rng.random(n),
            "label": rng.integers(0, 2, n).astype(float),
            "race": rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2]),
            "sex": rng.choice(["f", "m"], n),
        }
    )


def test_agrees_with_aequitas() -> None:
    from aequitas.bias import Bias
    from aequitas.group import Group

    df = random_frame()
    ours = audit(df, score="score", label="label", groups=["race", "sex"], threshold=0.7, min_group_size=0).groups
    a = df.assign(score=(df.score >= 0.7).astype(int), label_value=df.label.astype(int))[
        ["score", "label_value", "race", "sex"]
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        crosstab, _ = Group().get_crosstabs(a, attr_cols=["race", "sex"])
        theirs = Bias().get_disparity_major_group(crosstab, original_df=a)
    both = ours.merge(theirs, on=["attribute_name", "attribute_value"], suffixes=("", "_aequitas"))
    assert len(both) == 5
    columns = ["group_size", "pp", "pn", "tp", "fp", "tn", "fn", "ppr", "pprev", "prev", "precision", "fdr"]
    columns += ["fpr", "fnr", "for", "tpr", "tnr", "npv"]
    columns += [
        f"{m}_disparity" for m in ("ppr", "pprev", "precision", "fdr", "for", "fpr", "fnr", "tpr", "tnr", "npv")
    ]
    for c in columns:
        np.testing.assert_allclose(both[c].astype(float), both[f"{c}_aequitas"].astype(float), rtol=1e-12, err_msg=c)


def test_agrees_with_fairlearn_and_its_user_guide() -> None:
    from fairlearn.metrics import MetricFrame, false_negative_rate, false_positive_rate, selection_rate
    from sklearn.metrics import recall_score

    # Fairlearn's user-guide example: recall by group a 0.0, b 0.5, c 0.75, d 0.0
    y_true = [0, 1, 1, 1, 1, 0, 1, 0, 1, 0, 0, 0, 1, 1, 1, 1]
    y_pred = [0, 0, 1, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 1]
    groups = ["d", "a", "c", "b", "b", "c", "c", "c", "b", "d", "c", "a", "b", "d", "c", "c"]
    guide = pd.DataFrame({"score": y_pred, "label": y_true, "g": groups})
    ours = audit(guide, score="score", label="label", groups=["g"], threshold=1, min_group_size=0).groups
    assert ours.set_index("attribute_value")["tpr"].to_dict() == {"a": 0.0, "b": 0.5, "c": 0.75, "d": 0.0}
    mf = MetricFrame(metrics={"recall": recall_score}, y_true=y_true, y_pred=y_pred, sensitive_features=groups)
    assert mf.by_group["recall"].to_dict() == {"a": 0.0, "b": 0.5, "c": 0.75, "d": 0.0}

    df = random_frame(seed=3)
    pred = (df.score >= 0.6).astype(int)
    metrics = {"pprev": selection_rate, "fpr": false_positive_rate, "fnr": false_negative_rate}
    frame = MetricFrame(metrics=metrics, y_true=df.label.astype(int), y_pred=pred, sensitive_features=df.race)
    ours = audit(df, score="score", label="label", groups=["race"], threshold=0.6, min_group_size=0).groups
    ours = ours.set_index("attribute_value")
    for m in metrics:
        np.testing.assert_allclose(ours[m].to_numpy(), frame.by_group[m].to_numpy(), rtol=1e-12, err_msg=m)


def test_no_negatives_is_nan_where_fairlearn_says_zero() -> None:
    from fairlearn.metrics import MetricFrame, false_positive_rate

    df = pd.DataFrame({"score": [1, 0, 1, 1, 0], "label": [1, 1, 0, 1, 0], "g": ["x", "x", "y", "y", "y"]})
    ours = audit(df, score="score", label="label", groups=["g"], threshold=1, min_group_size=0).groups
    assert np.isnan(ours.set_index("attribute_value").loc["x", "fpr"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mf = MetricFrame(metrics=false_positive_rate, y_true=df.label, y_pred=df.score, sensitive_features=df.g)
    assert mf.by_group["x"] == 0.0  # the documented difference: 0.0 reads like a finding, NaN does not


def biased_frame(n: int = 20_000, seed: int = 1) -> pd.DataFrame:
    """Scores inflated for group "b": its selection rate and false positives are about double."""
    rng = np.random.default_rng(seed)
    group = rng.choice(["a", "b"], n, p=[0.7, 0.3])
    label = (rng.random(n) < 0.05).astype(float)
    score = rng.normal(0, 1, n) + 2.0 * label + np.where(group == "b", 0.6, 0.0)
    region = rng.choice(["north", "south"], n)
    return pd.DataFrame(
        {"company_id": [f"{i:08d}" for i in range(n)], "score": score, "label": label, "g": group, "region": region}
    )


def test_failure_is_named_with_its_interval() -> None:
    r = audit(biased_frame(), score="score", label="label", groups=["g"], top_k=500, within="region")
    assert not r.passed
    failed = {(f.group, f.metric) for f in r.failures}
    assert {("b", "pprev"), ("b", "fpr"), ("b", "fp_per_size")} <= failed
    f = next(f for f in r.failures if f.metric == "pprev")
    assert f.lower > 1.25 and f.disparity > f.lower and "g=b" in f.sentence()
    assert r.settings["selected"] == 1000  # top 500 in each of two regions


def test_no_failure_without_bias() -> None:
    frame = biased_frame()
    frame["score"] = frame["score"] - np.where(frame["g"] == "b", 0.6, 0.0)
    r = audit(frame, score="score", label="label", groups=["g"], top_k=500, within="region")
    assert r.passed, [f.sentence() for f in r.failures]


def test_strata_are_reported_but_do_not_gate() -> None:
    r = audit(
        biased_frame(),
        score="score",
        label="label",
        groups=["g", "region"],
        top_k=500,
        within="region",
        gating=["region"],
    )
    assert r.passed
    assert (r.groups.loc[r.groups.attribute_name == "g", "pprev_status"] == "unfair").any()


def test_unknown_labels_count_for_selection_only() -> None:
    frame = biased_frame()
    unknown = frame.assign(label=np.nan)
    r = audit(unknown, score="score", label="label", groups=["g"], top_k=500, within="region")
    b = r.groups.set_index("attribute_value").loc["b"]
    assert b["pprev_status"] == "unfair" and b["fpr_status"] == "no labels" and np.isnan(b["fpr"])
    assert r.settings["labelled"] == 0
    partial = frame.copy()
    partial.loc[::2, "label"] = np.nan
    half = audit(partial, score="score", label="label", groups=["g"], top_k=500, within="region").groups
    full = audit(frame, score="score", label="label", groups=["g"], top_k=500, within="region").groups
    assert (half["group_size"] == full["group_size"]).all() and (half["pp"] == full["pp"]).all()
    assert (half["tp"] + half["fp"] < full["tp"] + full["fp"]).all()


def test_lighthouse_top_decile_excess() -> None:
    frame = biased_frame()
    r = audit(frame, score="score", label="label", groups=["g"], threshold=10.0).groups.set_index("attribute_value")
    top = frame["score"] >= frame["score"].quantile(0.9)
    share_b = top[frame.g == "b"].mean()
    assert r.loc["b", "top_decile_share"] == pytest.approx(share_b, abs=2e-4)
    assert r.loc["b", "top_decile_excess"] == pytest.approx(share_b - 0.10, abs=2e-4)
    assert r.loc["b", "top_decile_excess"] > 0.05


def test_json_round_trip_has_no_nan() -> None:
    r = audit(hand_fixture(), score="score", label="label", groups=["g"], threshold=0.5, min_group_size=8)
    text = r.to_json()
    assert "NaN" not in text
    back = AuditResult.from_json(text)
    pd.testing.assert_frame_equal(
        back.groups[["attribute_value", "pprev", "fdr"]],
        r.groups[["attribute_value", "pprev", "fdr"]],
        check_dtype=False,
    )
    assert back.passed == r.passed and back.settings == r.settings


def test_bootstrap_is_reproducible_and_seeded() -> None:
    frame = biased_frame()
    kw = {"score": "score", "label": "label", "groups": ["g"], "top_k": 500, "within": "region"}
    a, b = audit(frame, **kw).groups, audit(frame, **kw).groups
    pd.testing.assert_frame_equal(a, b)
    c = audit(frame, **kw, seed=7).groups
    assert not np.allclose(a["fdr_disparity_lower"], c["fdr_disparity_lower"])
    # the rare-rate ratios are judged exactly: no seed moves them
    pd.testing.assert_series_equal(a["pprev_disparity_lower"], c["pprev_disparity_lower"])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"top_k": 5, "threshold": 0.5}, "exactly one"),
        ({}, "exactly one"),
        ({"top_k": 0}, "at least 1"),
        ({"top_k": 5, "within": "nope"}, "'nope'"),
    ],
)
def test_bad_requests_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(AuditError, match=message):
        audit(hand_fixture(), score="score", label="label", groups=["g"], **kwargs)


def test_labels_must_be_binary() -> None:
    with pytest.raises(AuditError, match="0, 1 or NaN"):
        audit(hand_fixture().assign(label=2), score="score", label="label", groups=["g"], threshold=0.5)


def test_headline_is_the_punitive_set() -> None:
    assert HEADLINE == ("pprev", "fdr", "fpr", "fp_per_size")


def test_holm_judges_the_headline_parities_as_one_family() -> None:
    """Three outside disparities with interval-clear p-values 0.0001, 0.004 and 0.02 among 20 judged pairs: at
    alpha 0.05 Holm rejects the first (0.0001 <= 0.05/20) but not the second (0.004 > 0.05/19), so the second and
    third become inconclusive although each one's own 95% interval cleared the bound."""
    from fairness.audit import _holm

    rows = []
    for i in range(5):
        row: dict[str, object] = {"attribute_name": "a", "attribute_value": f"g{i}", "gating": True}
        for m in HEADLINE:
            row[f"{m}_status"], row[f"{m}_p"] = "fair", 1.0
        rows.append(row)
    rows[0]["pprev_status"], rows[0]["pprev_p"] = "unfair", 0.0001
    rows[1]["fpr_status"], rows[1]["fpr_p"] = "unfair", 0.004
    rows[2]["fdr_status"], rows[2]["fdr_p"] = "unfair", 0.02
    rows.append(
        {"attribute_name": "region", "attribute_value": "x", "gating": False, "pprev_status": "unfair", "pprev_p": 0.03}
    )
    for m in HEADLINE[1:]:
        rows[-1][f"{m}_status"], rows[-1][f"{m}_p"] = "fair", 1.0
    out = _holm(pd.DataFrame(rows), 0.05)
    assert list(out["pprev_status"][:1]) == ["unfair"]
    assert out.loc[1, "fpr_status"] == "inconclusive" and out.loc[2, "fdr_status"] == "inconclusive"
    assert out.loc[5, "pprev_status"] == "unfair"  # a stratum keeps the per-measure rule


def test_p_values_of_a_clear_failure_resolve_below_the_holm_threshold() -> None:
    r = audit(biased_frame(), score="score", label="label", groups=["g"], top_k=500, within="region")
    b = r.groups.set_index("attribute_value").loc["b"]
    assert b["pprev_p"] <= 0.05 / 4  # one group, four headline measures
    assert r.settings["bootstrap"] >= 1000


def test_score_summary_and_histograms_match_pandas_and_numpy() -> None:
    frame = random_frame(seed=5)
    r = audit(frame, score="score", label="label", groups=["race"], threshold=0.5, min_group_size=0)
    t = r.groups.set_index("attribute_value")
    by = frame.groupby("race")["score"]
    for q in (10, 50, 90):
        np.testing.assert_allclose(t[f"score_p{q}"], by.quantile(q / 100).reindex(t.index), rtol=1e-12)
    np.testing.assert_allclose(t["mean_score"], by.mean().reindex(t.index), rtol=1e-12)
    edges = np.asarray(r.distributions["edges"])
    for g, counts in r.distributions["groups"]["race"].items():
        assert counts == np.histogram(frame.loc[frame.race == g, "score"], bins=edges)[0].tolist()


def test_a_zero_reference_rate_is_judged_by_the_interval_not_waved_through() -> None:
    """The reference group has no false positives at all; group b has many: an infinite disparity is unfair."""
    n = 4000
    g = np.array(["a"] * (n // 2) + ["b"] * (n // 2))
    label = np.zeros(n)
    label[: n // 2] = 1.0  # every company of a is positive, so a has no negatives selected
    score = np.where(g == "b", np.linspace(0, 1, n), 1.0)
    r = audit(
        pd.DataFrame({"score": score, "label": label, "g": g}),
        score="score",
        label="label",
        groups=["g"],
        threshold=0.5,
    )
    b = r.groups.set_index("attribute_value").loc["b"]
    assert np.isinf(b["fp_per_size_disparity"]) and b["fp_per_size_status"] == "unfair"
    assert not r.passed


def test_thin_counts_are_never_called_fair() -> None:
    frame = pd.DataFrame(
        {"score": [1.0] * 2 + [0.0] * 98 + [1.0] * 2 + [0.0] * 98, "label": 0.0, "g": ["a"] * 100 + ["b"] * 100}
    )
    b = (
        audit(frame, score="score", label="label", groups=["g"], threshold=0.5)
        .groups.set_index("attribute_value")
        .loc["b"]
    )
    assert b["pprev_disparity"] == 1.0 and b["pprev_status"] == "insufficient data"  # 2 selections say nothing


def test_unknown_is_never_the_reference_group() -> None:
    frame = pd.DataFrame({"score": np.arange(300.0), "label": 0.0, "g": ["unknown"] * 200 + ["x"] * 60 + ["y"] * 40})
    r = audit(frame, score="score", label="label", groups=["g"], threshold=100.0)
    assert set(r.groups["reference_group"]) == {"x"}


def test_json_hides_the_counts_of_small_groups_and_their_giveaway() -> None:
    r = audit(hand_fixture(), score="score", label="label", groups=["g"], threshold=0.5, min_group_size=8)
    rows = {g["attribute_value"]: g for g in json.loads(r.to_json())["groups"]}
    assert rows["B"]["group_size"] is None and rows["B"]["fp"] is None and rows["B"]["counts_suppressed"]
    assert rows["A"]["group_size"] is None  # the only other group would give B away by subtraction


def test_rejudging_ignores_edited_status_words() -> None:
    r = audit(biased_frame(), score="score", label="label", groups=["g"], top_k=500, within="region")
    edited = AuditResult(r.groups.assign(**{f"{m}_status": "fair" for m in HEADLINE}), r.settings)
    assert edited.passed  # the words alone say fair...
    assert {(f.group, f.metric) for f in edited.rejudged()} == {
        (f.group, f.metric) for f in r.failures
    }  # ...the numbers do not


def test_a_custom_headline_decides_the_verdict() -> None:
    r = audit(biased_frame(), score="score", label="label", groups=["g"], top_k=500, within="region", headline=("tpr",))
    assert r.headline == ("tpr",) and all(f.metric == "tpr" for f in r.failures)
    with pytest.raises(AuditError, match="unknown headline"):
        audit(biased_frame(), score="score", label="label", groups=["g"], top_k=5, headline=("nope",))


def test_the_public_entry_point_is_the_function() -> None:
    from fairness import audit as public

    assert public is audit and callable(public)
    r = public(hand_fixture(), score="score", label="label", groups=["g"], threshold=0.5, min_group_size=1)
    assert isinstance(r, AuditResult) and json.loads(r.to_json())["groups"]


def test_the_exact_ratio_test_points_the_right_way_and_handles_the_edges() -> None:
    """A ratio of two rare rates judged exactly: the side the bound was crossed, zero events, no reference events."""
    from fairness.audit import _exact_ratio

    x = np.array([100.0, 10.0, 0.0, 30.0, 12.0])  # reference first
    n = np.array([10_000.0, 1_000.0, 1_000.0, 1_000.0, 1_000.0])
    lower, upper, p = _exact_ratio(x, n, 0, 0.95)
    # group 1 has the reference's rate: inside the band, p = 1, and its interval holds 1
    assert p[1] == 1.0 and lower[1] < 1.0 < upper[1]
    # no events against ten expected: under-represented, clearly (p tiny), interval from 0
    assert lower[2] == 0.0 and upper[2] < 0.8 and p[2] < 0.001
    # three times the reference's rate: over-represented, clearly
    assert lower[3] > 1.25 and p[3] < 0.001
    # 1.2 times: inside the band
    assert p[4] == 1.0
    none = _exact_ratio(np.array([0.0, 20.0]), np.array([1000.0, 1000.0]), 0, 0.95)
    assert np.isinf(none[1][1]) and none[0][1] > 1.25 and none[2][1] < 0.05  # no reference events: judged, not NaN
    both_zero = _exact_ratio(np.array([0.0, 0.0]), np.array([1000.0, 1000.0]), 0, 0.95)
    assert np.isnan(both_zero[2][1])  # 0 / 0: nothing to judge
