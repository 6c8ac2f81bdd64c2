"""The service's fast explanation is the reason codes' own answer, and its contributions are the score file's."""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.reasons import reasons, sector_reference
from models.risk import SHAP_PREFIX

from .conftest import Served


def test_fast_reasons_equal_the_reference_implementation(served: Served) -> None:
    batch = served.client.app.state.tegenkracht.explanations.get(served.batch.batch_id, str(served.batch.folder))
    values = pd.read_parquet(served.snapshot.indicators).set_index("company_id")
    scores = pd.read_parquet(served.snapshot.scores).set_index("company_id")
    reference = sector_reference(values.reset_index())
    for company in values.index[:: max(1, len(values) // 60)]:
        fast = batch.explain(company)
        assert fast is not None
        slow = reasons(values.loc[company], scores.loc[company].filter(like=SHAP_PREFIX), reference)
        assert fast["reasons"] == {k: [r.as_dict() for r in v] for k, v in slow.items()}, company
        contrib = {i["id"]: i["contribution"] for i in fast["indicators"]}
        expected = scores.loc[company].filter(like=SHAP_PREFIX).rename(lambda c: c.removeprefix(SHAP_PREFIX))
        assert np.array_equal(pd.Series(contrib)[expected.index].to_numpy(), expected.to_numpy(dtype=float))
    assert batch.explain("00000000") is None
