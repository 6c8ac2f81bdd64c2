"""Outcomes as labels: the horizon rule, one count per company, 1/π weights, defaults counted, bad rows kept."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from training.outcomes import DEFAULT_INCLUSION, OutcomeError, in_horizon, merge, normalise, read_outcomes

AS_OF = pd.Timestamp("2020-12-31")


def _cases(statuses: dict[str, str]) -> pd.DataFrame:
    """Labels as ``observed_labels`` gives them, for companies a, b, c, ... with the given case status."""
    ids = list(statuses)
    status = [statuses[i] for i in ids]
    label = [1.0 if s == "confirmed" else np.nan if s == "pending" else 0.0 for s in status]
    return pd.DataFrame({"company_id": ids, "label": label, "label_status": status})


def _outcomes(rows: list[tuple[str, int, str, float | None]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "company_id": [r[0] for r in rows],
            "label": [r[1] for r in rows],
            "as_of": [r[2] for r in rows],
            "inclusion_probability": [np.nan if r[3] is None else r[3] for r in rows],
            "shortlist_id": ["s1"] * len(rows),
        }
    )


def test_an_outcome_counts_only_in_folds_whose_horizon_holds_it() -> None:
    found = normalise(_outcomes([("a", 1, "2020-12-31", 0.5), ("b", 1, "2022-12-31", 0.5), ("c", 0, "2020-06-30", 1)]))
    hit = in_horizon(found, AS_OF, 24)
    assert hit["company_id"].tolist() == ["a"]  # b's list came after the horizon, c's before the fold's day
    assert in_horizon(found, pd.Timestamp("2020-06-30"), 6)["company_id"].tolist() == ["c"]


def test_outcome_only_weighs_one_over_pi_and_a_company_with_a_case_counts_once() -> None:
    labels = _cases({"a": "none", "b": "dismissed", "c": "pending", "d": "none", "e": "confirmed"})
    found = normalise(
        _outcomes([("a", 1, "2021-01-31", 0.02), ("b", 1, "2021-01-31", 0.02), ("c", 0, "2021-01-31", 0.5),
                   ("d", 0, "2021-01-31", None), ("e", 0, "2021-01-31", 1.0)])
    )  # fmt: skip
    out, sources = merge(labels, in_horizon(found, AS_OF, 24))
    row = out.set_index("company_id")
    assert row.loc["a", "label"] == 1 and row.loc["a", "label_weight"] == pytest.approx(50)
    assert row.loc["a", "label_source"] == "feedback"
    # b: dismissed by the partners' own case, confirmed through the list: confirmed beats dismissed, once, weight 1
    assert row.loc["b", "label"] == 1 and row.loc["b", "label_weight"] == 1 and row.loc["b", "label_source"] == "both"
    assert np.isnan(row.loc["c", "label"])  # the case is still open: pending beats a dismissal
    assert row.loc["d", "label_weight"] == 1 / DEFAULT_INCLUSION  # unknown π: the documented default
    assert row.loc["e", "label"] == 1  # a confirmed case is not undone by a dismissed list outcome
    assert len(out) == len(labels)
    assert (sources.cases, sources.feedback, sources.both, sources.feedback_default_probability) == (0, 2, 3, 1)
    assert sources.positives_by_source == {"cases": 0, "feedback": 1, "both": 2}


def test_without_outcomes_the_case_labels_stay_as_they_were() -> None:
    labels = _cases({"a": "none", "b": "confirmed"})
    out, sources = merge(labels, in_horizon(normalise(_outcomes([])), AS_OF, 24))
    assert out["label"].tolist() == labels["label"].tolist()
    assert (out["label_weight"] == 1).all() and sources.cases == 1 and sources.feedback == 0


def test_bad_rows_go_to_quarantine_with_their_reason(tmp_path: Path) -> None:
    raw = _outcomes([("a", 1, "2021-01-31", 0.5), ("", 1, "2021-01-31", 0.5), ("c", 1, "not a day", 0.5),
                     ("d", 1, "2021-01-31", 1.5), ("e", 1, "2021-01-31", None)])  # fmt: skip
    raw.loc[5] = {
        "company_id": "f",
        "label": 7,
        "as_of": "2021-01-31",
        "inclusion_probability": 0.5,
        "shortlist_id": "s",
    }
    found = normalise(raw, tmp_path / "q.parquet")
    assert found.frame["company_id"].tolist() == ["a", "e"]
    assert (found.quarantined, found.default_probability) == (4, 1)
    kept = pd.read_parquet(tmp_path / "q.parquet").set_index("company_id")["reason"]
    assert kept.to_dict() == {
        "": "no company_id",
        "c": "as_of is not a date",
        "d": "inclusion_probability outside (0, 1]",
        "f": "outcome is neither confirmed nor dismissed",
    }


def test_an_export_reads_by_its_outcome_column(tmp_path: Path) -> None:
    export = pd.DataFrame(
        {"company_id": ["a", "b", "c"], "outcome": ["confirmed", "dismissed", "inconclusive"],
         "as_of": ["2021-01-31"] * 3, "inclusion_probability": [1.0, 0.1, 1.0], "feedback_id": [1, 2, 3]}
    )  # fmt: skip
    export.to_parquet(tmp_path / "fb.parquet")
    found = read_outcomes(tmp_path / "fb.parquet")
    assert found.frame["label"].tolist() == [1, 0] and found.quarantined == 1
    assert found.frame["provenance"].iloc[1] == "feedback_id=2"


@pytest.mark.parametrize("missing", ["company_id", "as_of"])
def test_a_table_without_a_required_column_is_refused_by_name(missing: str) -> None:
    raw = _outcomes([("a", 1, "2021-01-31", 0.5)]).drop(columns=[missing])
    with pytest.raises(OutcomeError, match=missing) as err:
        normalise(raw)
    assert err.value.column == missing


def test_a_company_listed_from_two_batches_of_one_horizon_had_two_chances() -> None:
    found = normalise(
        _outcomes([("a", 0, "2021-01-31", 0.5), ("a", 1, "2021-07-31", 0.5), ("a", 1, "2021-07-31", 0.2)])
    )
    row = in_horizon(found, AS_OF, 24).set_index("company_id").loc["a"]
    # one minus the chance that neither batch listed it; two outcomes of one batch count that batch once
    assert row["label"] == 1 and row["inclusion_probability"] == pytest.approx(1 - 0.5 * 0.5)


def test_an_unreadable_probability_is_quarantined_not_defaulted(tmp_path: Path) -> None:
    raw = _outcomes([("a", 1, "2021-01-31", 0.5)])
    raw["inclusion_probability"] = raw["inclusion_probability"].astype(object)
    raw.loc[1] = {"company_id": "b", "label": 1, "as_of": "2021-01-31", "inclusion_probability": "abc",
                  "shortlist_id": "s"}  # fmt: skip
    found = normalise(raw, tmp_path / "q.parquet")
    assert found.frame["company_id"].tolist() == ["a"] and found.default_probability == 0
    assert pd.read_parquet(tmp_path / "q.parquet")["reason"].tolist() == ["inclusion_probability is not a number"]
