"""Every indicator against answers worked out by hand on the tiny register in ``tiny_records``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from features import validate_records
from features.catalogue import CATALOGUE, IDENTIFIERS
from features.peers import PeerStats
from features.pipeline import compute_indicators
from tests.code import tiny_records as tiny

FROZEN = PeerStats(
    pd.DataFrame(
        [
            ("log_revenue_per_employee", 10.0, 2.0),
            ("log_revenue_growth", 0.0, 0.5),
            ("margin", 0.1, 0.2),
            ("related_party_share", 0.1, 0.1),
            ("cash_deposit_share", 0.2, 0.1),
            ("log_transfers_to_revenue", 0.0, 1.0),
        ],
        columns=["measure", "median", "scale"],
    ).assign(section="*", size="*", n=1000)
)


@pytest.fixture(scope="module")
def indicators(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    folder = tiny.write(tmp_path_factory.mktemp("tiny"))
    report = validate_records(folder)
    assert report.ok, report.quarantine.to_string()
    frame, _ = compute_indicators(report.tables, tiny.AS_OF, FROZEN)
    return frame.set_index("company_id")


def test_rows_are_the_companies_active_on_the_as_of_date(indicators: pd.DataFrame) -> None:
    assert sorted(indicators.index) == sorted(tiny.C[i] for i in (1, 2, 4, 5, 6, 7))
    assert list(indicators.columns) == list(IDENTIFIERS[1:]) + [i.id for i in CATALOGUE]
    assert indicators.loc[tiny.C[1], "riec_region"] == "Amsterdam-Amstelland"


def test_every_catalogued_indicator_has_a_hand_worked_answer() -> None:
    assert set(tiny.EXPECTED) | {"ppr_confirmed"} == {i.id for i in CATALOGUE}


@pytest.mark.parametrize("indicator", sorted(tiny.EXPECTED))
def test_indicator_matches_hand_worked_answer(indicators: pd.DataFrame, indicator: str) -> None:
    expected = tiny.EXPECTED[indicator]
    got = indicators[indicator]
    for company, value in expected.items():
        if np.isnan(value):
            assert np.isnan(got[company]), (indicator, company, got[company])
        else:
            assert got[company] == pytest.approx(value, rel=1e-9, abs=1e-9), (indicator, company)


def test_ppr_matches_an_independent_dense_solution(indicators: pd.DataFrame) -> None:
    """Personalised PageRank solved exactly with a dense linear system on the graph drawn by hand."""
    c = tiny.C
    companies = [c[i] for i in (1, 2, 3, 4, 5, 6, 7, 9)]  # every company known on the as-of date
    entities = {  # recent links only: C3's director and address are stale, C8 does not exist yet
        "P1": [c[1], c[7]],
        "P2": [c[1]],
        "P3": [c[2], c[5], c[6], c[9]],
        "P5": [c[4], c[6]],
        "A1": [c[1]],
        "A2": [c[2], c[5], c[6], c[9]],
        "A3": [c[4]],
        "A4": [c[7]],
        "own:C5": [c[2], c[5]],
        "own:F2": [c[2]],
        "own:C2": [c[6], c[2]],
        "own:P1": [c[1], c[7]],
        "own:F1": [c[1]],
    }
    n = len(companies)
    pos = {k: i for i, k in enumerate(companies)}
    a = np.zeros((n, len(entities)))
    for j, members in enumerate(entities.values()):
        for m in members:
            a[pos[m], j] = 1.0
    deg_c, deg_e = a.sum(axis=1), a.sum(axis=0)
    t = (a / np.maximum(deg_c, 1)[:, None]) @ (a / deg_e).T  # company -> entity -> company
    s = np.zeros(n)
    s[pos[c[9]]] = 1.0
    dangling = (deg_c == 0).astype(float)
    d = 0.85
    system = np.eye(n) - d * t.T - d * np.outer(s, dangling)
    r = np.linalg.solve(system, (1 - d) * s)
    expected = (r - (1 - d) * s) * n
    for company in indicators.index:
        assert indicators.loc[company, "ppr_confirmed"] == pytest.approx(expected[pos[company]], rel=1e-6, abs=1e-9)
    assert indicators.loc[c[6], "ppr_confirmed"] > indicators.loc[c[4], "ppr_confirmed"] > 0
    assert indicators.loc[c[1], "ppr_confirmed"] == 0  # not connected to the case


def test_fitted_peers_compare_a_barber_with_barbers() -> None:
    rng = np.random.default_rng(0)
    n = 400
    section = np.where(np.arange(n) < 200, "S", "K")
    x = np.where(section == "S", rng.normal(1.0, 0.1, n), rng.normal(5.0, 2.0, n))
    peers = PeerStats.fit({"m": x}, section, np.full(n, "1", dtype=object))
    z = peers.zscores("m", np.array([1.2, 1.2]), np.array(["S", "K"], dtype=object), np.array(["1", "1"], dtype=object))
    assert z[0] == pytest.approx(2.0, abs=0.4)  # two peer SDs above barbers
    assert z[1] < -1.0  # but low for a holding
    lonely = peers.zscores("m", np.array([1.2]), np.array(["Q"], dtype=object), np.array(["1"], dtype=object))
    assert np.isfinite(lonely[0]), "an unknown section falls back to all companies"


def test_unclosed_mandates_at_dissolved_companies_do_not_count(tmp_path: Path) -> None:
    tables = tiny.tables()
    off = tables["officers"]
    off.loc[(off.company_id == tiny.C[9]) & (off.person_id == "P3"), "end_on"] = pd.NaT  # register forgot to close
    folder = tmp_path / "t"
    folder.mkdir()
    for name, df in tables.items():
        df.astype({"resale_price": "Int64"} if "resale_price" in df else {}).to_parquet(folder / f"{name}.parquet")
    frame, _ = compute_indicators(validate_records(folder).tables, tiny.AS_OF, FROZEN)
    assert frame.set_index("company_id").loc[tiny.C[2], "max_concurrent_mandates"] == 3


def test_an_insolvency_in_the_circle_counts_for_every_company_tied_to_it(tmp_path: Path) -> None:
    """C9 (dissolved 2023) declared insolvent within three years: C2, C5 and C6 share P3 with it; C4 does not."""
    records = tiny.tables()
    extra = pd.DataFrame(
        [(tiny.C[9], pd.Timestamp("2022-11-01"), "faillissement")], columns=records["insolvencies"].columns
    )
    records["insolvencies"] = pd.concat([records["insolvencies"], extra], ignore_index=True)
    for name, df in records.items():
        df.astype({"resale_price": "Int64"} if "resale_price" in df else {}).to_parquet(tmp_path / f"{name}.parquet")
    report = validate_records(tmp_path)
    assert report.ok, report.quarantine.to_string()
    got = compute_indicators(report.tables, tiny.AS_OF, FROZEN)[0].set_index("company_id")["linked_insolvent_3y"]
    assert got.to_dict() == {tiny.C[i]: float(i in (2, 5, 6)) for i in (1, 2, 4, 5, 6, 7)}
