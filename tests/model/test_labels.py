"""Labels and the temporal split: what counts as a positive, what is unknown, and what would leak the future."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from training.dataset import TemporalSplit, default_split
from training.labels import Horizon, LabelError, observed_labels

WINDOW = (pd.Timestamp("2015-01-01"), pd.Timestamp("2025-12-31"))
AS_OF = pd.Timestamp("2020-12-31")


def _cases(rows: list[tuple[str, str, str | None, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["company_id", "opened_on", "closed_on", "outcome"])


def test_each_case_status_maps_to_its_label() -> None:
    cases = _cases(
        [
            ("confirmed_in", "2021-06-01", "2022-01-01", "confirmed"),
            ("dismissed_in", "2021-06-01", "2022-01-01", "dismissed"),
            ("pending_in", "2022-11-01", None, "pending"),
            ("confirmed_before", "2020-12-31", "2021-05-01", "confirmed"),  # opened on the as-of day: known then
            ("confirmed_after", "2023-01-01", "2023-06-01", "confirmed"),  # one day after the horizon
            ("last_day", "2022-12-31", "2023-06-01", "confirmed"),  # the horizon's last day counts
        ]
    )
    ids = pd.Series([*cases.company_id, "no_case"])
    out = observed_labels(cases, ids, Horizon(AS_OF, 24), WINDOW).set_index("company_id")
    assert out.loc["confirmed_in", "label"] == 1.0
    assert out.loc["last_day", "label"] == 1.0
    assert out.loc["dismissed_in", "label"] == 0.0
    assert np.isnan(out.loc["pending_in", "label"])
    assert out.loc["confirmed_before", "label"] == 0.0
    assert out.loc["confirmed_after", "label"] == 0.0
    assert out.loc["no_case", "label_status"] == "none"
    assert out.loc["no_case", "label"] == 0.0


def test_confirmed_wins_over_other_cases_of_the_same_company() -> None:
    cases = _cases([("c", "2021-02-01", "2021-08-01", "dismissed"), ("c", "2022-02-01", "2022-08-01", "confirmed")])
    out = observed_labels(cases, pd.Series(["c"]), Horizon(AS_OF, 24), WINDOW)
    assert out.label.tolist() == [1.0]


def test_horizon_beyond_the_data_is_refused() -> None:
    with pytest.raises(LabelError, match="after the data ends"):
        observed_labels(_cases([]), pd.Series(["a"]), Horizon(pd.Timestamp("2024-12-31"), 24), WINDOW)


def test_as_of_before_the_records_start_is_refused() -> None:
    with pytest.raises(LabelError, match="before the case records start"):
        observed_labels(_cases([]), pd.Series(["a"]), Horizon(pd.Timestamp("2013-12-31"), 24), WINDOW)


def test_default_split_is_purged_and_uses_the_whole_history() -> None:
    split = default_split(WINDOW, 24)
    assert split.test == pd.Timestamp("2021-12-31")
    assert split.validation == pd.Timestamp("2019-12-31")
    assert [t.year for t in split.train] == [2014, 2015, 2016, 2017]
    for (_, earlier), (_, later) in zip(split.folds()[:-1], split.folds()[1:], strict=True):
        assert earlier < later


@pytest.mark.parametrize(
    ("train", "validation", "test", "message"),
    [
        (("2018-12-31",), "2019-12-31", "2021-12-31", "leak the future"),  # train horizon overlaps validation
        (("2016-12-31",), "2018-12-31", "2019-12-31", "leak the future"),  # validation horizon overlaps test
        (("2016-12-31",), "2016-12-31", "2020-12-31", "must increase"),
        ((), "2018-12-31", "2020-12-31", "at least one"),
    ],
)
def test_split_refuses_leaks_and_disorder(train: tuple[str, ...], validation: str, test: str, message: str) -> None:
    with pytest.raises(LabelError, match=message):
        TemporalSplit(tuple(map(pd.Timestamp, train)), pd.Timestamp(validation), pd.Timestamp(test), 24)
