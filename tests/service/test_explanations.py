"""The service's fast explanation is the reason codes' own answer, and its contributions are the score file's."""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.reasons import reasons
from models.risk import CONTRAST_PREFIX, SHAP_PREFIX
from serving.scoring import read_reference, reference_file

from .conftest import Served


def test_fast_reasons_equal_the_reference_implementation(served: Served) -> None:
    batch = served.client.app.state.tegenkracht.explanations.get(served.batch.batch_id, str(served.batch.folder))
    values = pd.read_parquet(served.snapshot.indicators).set_index("company_id")
    scores = pd.read_parquet(served.snapshot.scores).set_index("company_id")
    reference = read_reference(reference_file(served.snapshot.scores))
    as_of = served.batch.as_of
    for company in values.index[:: max(1, len(values) // 60)]:
        fast = batch.explain(company)
        assert fast is not None
        peers = reference.loc[scores.loc[company, "peer_group"]]
        slow = reasons(values.loc[company], scores.loc[company].filter(like=CONTRAST_PREFIX), peers, as_of=as_of)
        assert fast["reasons"] == {k: [r.as_dict() for r in v] for k, v in slow.items()}, company
        for column, key in ((SHAP_PREFIX, "contribution"), (CONTRAST_PREFIX, "contrast")):
            got = pd.Series({i["id"]: i[key] for i in fast["indicators"]})
            expected = scores.loc[company].filter(like=column).rename(lambda c, p=column: c.removeprefix(p))
            assert np.array_equal(got[expected.index].to_numpy(), expected.to_numpy(dtype=float))
        assert fast["peer_score"] == scores.loc[company, "peer_score"]
        assert fast["peer_group"] == scores.loc[company, "peer_group"]
    assert batch.explain("00000000") is None
