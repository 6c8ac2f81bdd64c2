"""A hand-made register of nine companies, small enough to work every indicator out by hand.

The as-of date is 2024-06-30. C8 is founded after it, C3 and C9 are dissolved before it; every record dated after
the as-of date is there to prove it is ignored. ``EXPECTED`` holds the answers, with the reasoning beside them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

AS_OF = pd.Timestamp("2024-06-30")
NaN = float("nan")
C = {i: f"1000000{i}" for i in range(1, 10)}
D = pd.Timestamp
NaT = pd.NaT


def tables() -> dict[str, pd.DataFrame]:
    """The records, as a real extract would deliver them."""
    addresses = pd.DataFrame(
        {
            "address_id": ["A1", "A2", "A3", "A4"],
            "pc4": ["1011", "1012", "3011", "3012"],
            "municipality": ["Amsterdam", "Amsterdam", "Rotterdam", "Rotterdam"],
            "municipality_code": ["GM0363", "GM0363", "GM0599", "GM0599"],
            "riec_region": ["Amsterdam-Amstelland", "Amsterdam-Amstelland", "Rotterdam", "Rotterdam"],
            "address_type": ["commercial", "domicile_flex", "residential", "commercial"],
        }
    )
    companies = pd.DataFrame(
        {
            "company_id": [C[i] for i in range(1, 10)],
            "name": [f"Test {i}" for i in range(1, 10)],
            "legal_form": ["BV", "BV", "BV", "eenmanszaak", "stichting", "BV", "BV", "BV", "BV"],
            "sbi_code": ["9602", "6420", "9602", "7022", "6420", "6810", "4742", "7022", "6810"],
            "founded_on": [
                D("2020-01-01"),
                D("2015-03-01"),
                D("2018-01-01"),
                D("2010-05-01"),
                D("2016-01-01"),
                D("2019-01-01"),
                D("2024-01-15"),
                D("2025-01-01"),
                D("2017-01-01"),
            ],
            "dissolved_on": [NaT, NaT, D("2020-09-01"), NaT, NaT, D("2025-03-01"), NaT, NaT, D("2023-01-01")],
            "address_id": ["A1", "A2", "A1", "A3", "A2", "A2", "A4", "A3", "A2"],
            "employees": [2, 0, 1, 0, 0, 0, 1, 0, 0],
        }
    )
    persons = pd.DataFrame({"person_id": ["P1", "P2", "P3", "P4", "P5", "P6"]})
    b, g = "bestuurder", "gevolmachtigde"
    officers = pd.DataFrame(
        [
            (C[1], "P1", b, D("2020-01-01"), NaT),
            (C[1], "P2", b, D("2023-03-01"), D("2025-01-01")),  # ends after the as-of date: still in office then
            (C[3], "P1", b, D("2018-01-01"), D("2020-09-01")),
            (C[2], "P3", b, D("2015-03-01"), NaT),
            (C[5], "P3", b, D("2016-01-01"), NaT),
            (C[6], "P3", b, D("2019-01-01"), NaT),
            (C[6], "P5", g, D("2020-01-01"), NaT),
            (C[9], "P3", b, D("2017-01-01"), D("2023-01-01")),
            (C[7], "P1", b, D("2024-01-15"), NaT),
            (C[4], "P5", b, D("2010-05-01"), NaT),
            (C[4], "P6", b, D("2024-09-01"), NaT),  # future appointment
            (C[8], "P6", b, D("2025-01-01"), NaT),  # future company
        ],
        columns=["company_id", "person_id", "role", "start_on", "end_on"],
    )
    ownerships = pd.DataFrame(
        [
            ("company", C[5], "NL", C[2], 0.5, D("2016-01-01"), NaT),
            ("foreign_entity", "F2", "CY", C[2], 0.5, D("2016-01-01"), NaT),
            ("company", C[2], "NL", C[6], 1.0, D("2019-01-01"), NaT),
            ("person", "P1", "NL", C[1], 1.0, D("2020-01-01"), D("2023-06-01")),
            ("foreign_entity", "F1", "PA", C[1], 1.0, D("2023-06-01"), NaT),
            ("person", "P1", "NL", C[7], 1.0, D("2024-01-15"), D("2024-09-01")),
            ("foreign_entity", "F3", "PA", C[7], 1.0, D("2024-09-01"), NaT),  # future
        ],
        columns=["owner_type", "owner_id", "owner_jurisdiction", "company_id", "share", "start_on", "end_on"],
    )
    cols = [
        "company_id",
        "fiscal_year",
        "source",
        "filed_on",
        "revenue",
        "costs",
        "profit",
        "cash",
        "total_assets",
        "equity",
        "liabilities",
        "related_party_loans",
        "employees",
    ]
    j = "jaarrekening"
    filings = pd.DataFrame(
        [
            (C[1], 2021, j, D("2022-05-01"), 100_000, 90_000, 10_000, 5_000, 50_000, 20_000, 30_000, 3_000, 2),
            (C[1], 2022, j, D("2024-02-01"), 300_000, 150_000, 150_000, 20_000, 60_000, -10_000, 70_000, 35_000, 2),
            (C[1], 2023, j, D("2024-09-01"), 9_000_000, 1, 8_999_999, 1, 10, 5, 5, 0, 99),  # filed after as-of
            (C[2], 2022, j, D("2023-06-01"), 0, 5_000, -5_000, 10_000, 1_000_000, 800_000, 200_000, 0, 0),
            (C[4], 2022, "aangifte", D("2023-03-01"), 50_000, 20_000, 30_000, 4_000, 20_000, 15_000, 5_000, 0, 0),
            (C[4], 2019, "aangifte", D("2020-03-01"), 20_000, 10_000, 10_000, 2_000, 15_000, 10_000, 5_000, 0, 0),
            (C[4], 2018, "aangifte", D("2019-03-01"), 30_000, 10_000, 20_000, 2_000, 15_000, 10_000, 5_000, 0, 0),
        ],
        columns=cols,
    )
    q = ["2023-04-01", "2023-07-01", "2023-10-01", "2024-01-01", "2024-04-01", "2024-07-01"]
    cash_flows = pd.DataFrame(
        {
            "company_id": C[1],
            "quarter_start": [D(x) for x in q],
            "cash_deposits": [999_999, 10_000, 10_000, 10_000, 10_000, 999_999],
            "transfers_in": [0, 10_000, 10_000, 10_000, 10_000, 0],
            "transfers_out": [0, 15_000, 15_000, 15_000, 15_000, 0],
            "foreign_in_low_risk": 0,
            "foreign_in_high_risk": [0, 1_000, 1_000, 1_000, 1_000, 0],
            "foreign_out_low_risk": 0,
            "foreign_out_high_risk": [0, 2_000, 2_000, 2_000, 2_000, 0],
        }
    )
    properties = pd.DataFrame(
        [
            ("K1", C[6], "1012", D("2020-01-01"), 500_000, 0, NaT, NaN),
            ("K2", C[6], "1012", D("2021-01-01"), 300_000, 0, D("2021-06-01"), 450_000),
            ("K3", C[6], "1012", D("2019-03-01"), 200_000, 150_000, NaT, NaN),
            ("K4", C[6], "1012", D("2024-03-01"), 100_000, 80_000, D("2024-08-01"), 500_000),  # resale in the future
            ("K5", C[6], "1012", D("2024-10-01"), 100_000, 0, NaT, NaN),  # future purchase
            ("K6", C[2], "1012", D("2022-01-01"), 400_000, 0, NaT, NaN),
        ],
        columns=[
            "property_id",
            "owner_company_id",
            "pc4",
            "purchase_date",
            "purchase_price",
            "mortgage_amount",
            "resale_date",
            "resale_price",
        ],
    )
    insolvencies = pd.DataFrame(
        [(C[3], D("2020-06-01"), "faillissement"), (C[6], D("2024-12-01"), "faillissement")],
        columns=["company_id", "declared_on", "kind"],
    )
    cases = pd.DataFrame(
        [
            ("X1", C[9], D("2022-01-01"), D("2023-06-01"), "confirmed", "FIOD"),
            ("X2", C[7], D("2024-02-01"), D("2024-08-01"), "confirmed", "RIEC"),  # closed after the as-of date
            ("X3", C[4], D("2022-01-01"), D("2023-01-01"), "dismissed", "Bibob"),
        ],
        columns=["case_id", "company_id", "opened_on", "closed_on", "outcome", "source"],
    )
    jurisdictions = pd.DataFrame(
        {
            "code": ["PA", "CY", "DE"],
            "name": ["Panama", "Cyprus", "Duitsland"],
            "risk": ["high", "high", "low"],
            "source": ["test", "test", "test"],
        }
    )
    return {
        "addresses": addresses,
        "companies": companies,
        "persons": persons,
        "officers": officers,
        "ownerships": ownerships,
        "filings": filings,
        "cash_flows": cash_flows,
        "properties": properties,
        "insolvencies": insolvencies,
        "cases": cases,
        "jurisdictions": jurisdictions,
    }


def write(folder: Path) -> Path:
    """Write the records as Parquet, like an extract."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, df in tables().items():
        if "resale_price" in df:
            df = df.astype({"resale_price": "Int64"})
        df.to_parquet(folder / f"{name}.parquet", index=False)
    return folder


_LOG = np.log
# Expected values per indicator for the six companies active on 2024-06-30: C1, C2, C4, C5, C6, C7.
EXPECTED: dict[str, dict[str, float]] = {
    # days from founding to 2024-06-30, over 365.25
    "years_since_registration": {
        C[1]: 1642 / 365.25,
        C[2]: 3409 / 365.25,
        C[4]: 5174 / 365.25,
        C[5]: 3103 / 365.25,
        C[6]: 2007 / 365.25,
        C[7]: 167 / 365.25,
    },
    "legal_entity": {C[1]: 1, C[2]: 1, C[4]: 0, C[5]: 0, C[6]: 1, C[7]: 1},
    # RIEC list: 9602 barbers, 4742 phone shops and 6810 real-estate trading are in; 6420 and 7022 are not
    "sector_cash_intensive": {C[1]: 1, C[2]: 0, C[4]: 0, C[5]: 0, C[6]: 1, C[7]: 1},
    # latest filing known on the as-of date (C1's FY2023 arrives later)
    "employees_latest": {C[1]: 2, C[2]: 0, C[4]: 0, C[5]: NaN, C[6]: NaN, C[7]: NaN},
    # A1: C1 (C3 dissolved); A2: C2, C5, C6 (C9 dissolved); C8 at A3 is not founded yet
    "companies_at_address": {C[1]: 1, C[2]: 3, C[4]: 1, C[5]: 3, C[6]: 3, C[7]: 1},
    "domicile_address": {C[1]: 0, C[2]: 1, C[4]: 0, C[5]: 1, C[6]: 1, C[7]: 0},
    # since 2021-06-30: C9 left A2 (2023-01-01); C3 left A1 in 2020, too early; C7's own arrival doesn't count
    "address_turnover_3y": {C[1]: 0, C[2]: 1, C[4]: 0, C[5]: 1, C[6]: 1, C[7]: 0},
    # C1: P2 appointed 2023-03-01; C7's only director is its founder; C4's P6 arrives after the as-of date
    "director_changes_3y": {C[1]: 1, C[2]: 0, C[4]: 0, C[5]: 0, C[6]: 0, C[7]: 0},
    # P1 leads C1 and C7; P3 leads C2, C5, C6 (C9 ended); P2 and P5 one each
    "max_concurrent_mandates": {C[1]: 2, C[2]: 3, C[4]: 1, C[5]: 3, C[6]: 3, C[7]: 2},
    # P1: sections S (9602) and G (4742); P3: K, K, L
    "officer_sector_spread": {C[1]: 2, C[2]: 2, C[4]: 1, C[5]: 2, C[6]: 2, C[7]: 2},
    # P1 led C3, declared insolvent 2020-06-01 while P1 was director; C6's insolvency is in the future
    "officer_prior_insolvencies": {C[1]: 1, C[2]: 0, C[4]: 0, C[5]: 0, C[6]: 0, C[7]: 1},
    # P1 appointed at C7 on 2024-01-15 (within a year) after C3's insolvency; P2 at C1 more than a year ago
    "new_officer_with_insolvency_1y": {C[1]: 0, C[2]: 0, C[4]: 0, C[5]: 0, C[6]: 0, C[7]: 1},
    # C3 (9602, declared 2020-06-01) within [2018-01-01, 2021-01-01] of C1's founding; C7 is another trade
    "phoenix_same_sector": {C[1]: 1, C[2]: 0, C[4]: 0, C[5]: 0, C[6]: 0, C[7]: 0},
    "phoenix_same_address": {C[1]: 1, C[2]: 0, C[4]: 0, C[5]: 0, C[6]: 0, C[7]: 0},
    "proxy_holder_present": {C[1]: 0, C[2]: 0, C[4]: 0, C[5]: 0, C[6]: 1, C[7]: 0},
    # C1 held by F1 (PA); C2 half by F2 (CY); C6 only via C2; C7's foreign owner arrives later
    "foreign_owner": {C[1]: 1, C[2]: 1, C[4]: 0, C[5]: 0, C[6]: 0, C[7]: 0},
    "high_risk_jurisdiction_owner": {C[1]: 1, C[2]: 1, C[4]: 0, C[5]: 0, C[6]: 1, C[7]: 0},
    # C6 -> C2 -> C5: two company layers; forms without shares (eenmanszaak, stichting) are missing
    "ownership_layers": {C[1]: 0, C[2]: 1, C[4]: NaN, C[5]: NaN, C[6]: 2, C[7]: 0},
    "stichting_in_chain": {C[1]: 0, C[2]: 1, C[4]: 0, C[5]: 0, C[6]: 1, C[7]: 0},
    # F1 took over C1 on 2023-06-01, long after founding; C7's owner spell starts at founding
    "owner_changes_3y": {C[1]: 1, C[2]: 0, C[4]: 0, C[5]: 0, C[6]: 0, C[7]: 0},
    # z-scores against the frozen test peers in test_indicators.py: (x - median) / scale
    "revenue_per_employee_z": {
        C[1]: (_LOG(300_001 / 3) - 10) / 2,
        C[2]: (_LOG(1 / 1) - 10) / 2,
        C[4]: (_LOG(50_001 / 1) - 10) / 2,
        C[5]: NaN,
        C[6]: NaN,
        C[7]: NaN,
    },
    "revenue_growth_z": {C[1]: _LOG(300_001 / 100_001) / 0.5, C[2]: NaN, C[4]: NaN, C[5]: NaN, C[6]: NaN, C[7]: NaN},
    # C2: -5,000 / max(revenue, 1) clips to -5, and (-5 - 0.1) / 0.2 = -25.5 clips to the z floor of -10
    "margin_z": {C[1]: (0.5 - 0.1) / 0.2, C[2]: -10.0, C[4]: (0.6 - 0.1) / 0.2, C[5]: NaN, C[6]: NaN, C[7]: NaN},
    "related_party_loans_z": {
        C[1]: (0.5 - 0.1) / 0.1,
        C[2]: (0.0 - 0.1) / 0.1,
        C[4]: (0.0 - 0.1) / 0.1,
        C[5]: NaN,
        C[6]: NaN,
        C[7]: NaN,
    },
    "negative_equity_active": {C[1]: 1, C[2]: 0, C[4]: 0, C[5]: NaN, C[6]: NaN, C[7]: NaN},
    # last four full quarters: 2023-07 .. 2024-04; 40,000 deposited, 40,000 in, 60,000 out, 12,000 high-risk
    "cash_deposit_share_z": {C[1]: (0.5 - 0.2) / 0.1, C[2]: NaN, C[4]: NaN, C[5]: NaN, C[6]: NaN, C[7]: NaN},
    "transfers_to_revenue_z": {C[1]: _LOG(100_001 / 300_001), C[2]: NaN, C[4]: NaN, C[5]: NaN, C[6]: NaN, C[7]: NaN},
    "foreign_high_risk_share": {C[1]: 0.12, C[2]: NaN, C[4]: NaN, C[5]: NaN, C[6]: NaN, C[7]: NaN},
    # last due fiscal year: 2022 (deadline 2023-12-31); C7 has none due yet
    "last_filing_missing": {C[1]: 0, C[2]: 0, C[4]: 0, C[5]: 1, C[6]: 1, C[7]: NaN},
    # latest known filing: C1 FY2022 filed 2024-02-01, 32 days after 2023-12-31
    "last_filing_days_late": {C[1]: 32, C[2]: 0, C[4]: 0, C[5]: NaN, C[6]: NaN, C[7]: NaN},
    # due 2018-2022 while existing: C1 2020-22 (2020 missing), C2 5 (4 missing), C4 5 (2020 and 2021 missing),
    # C5 5 (5), C6 2019-22 (4)
    "filings_missing_share_5y": {C[1]: 1 / 3, C[2]: 4 / 5, C[4]: 2 / 5, C[5]: 1.0, C[6]: 1.0, C[7]: NaN},
    # latest balance sheet: C1 FY2022 20,000 / 60,000; C2 10,000 / 1,000,000; C4 4,000 / 20,000
    "cash_to_assets": {C[1]: 1 / 3, C[2]: 0.01, C[4]: 0.2, C[5]: NaN, C[6]: NaN, C[7]: NaN},
    # C4: FY2021-22 hold 50,000 (2021 is missing), FY2018-20 hold 20,000 and 30,000; C1 and C2 have no earlier
    # period (C1's FY2021 is in its recent one)
    "revenue_shift_3y": {C[1]: NaN, C[2]: NaN, C[4]: _LOG(50_001 / 25_001), C[5]: NaN, C[6]: NaN, C[7]: NaN},
    # C6 holds K1, K3 and K4 (its resale is in the future); K5 is bought later; C2 holds K6
    "properties_held": {C[1]: 0, C[2]: 1, C[4]: 0, C[5]: 0, C[6]: 3, C[7]: 0},
    # since 2019-06-30 without mortgage: C6 K1 and K2; C2 K6
    "purchases_without_mortgage_5y": {C[1]: 0, C[2]: 1, C[4]: 0, C[5]: 0, C[6]: 2, C[7]: 0},
    # C2: 400,000 / 1,000,000; C6 has no filing
    "unmortgaged_purchases_to_assets": {C[1]: 0.0, C[2]: 0.4, C[4]: 0.0, C[5]: NaN, C[6]: NaN, C[7]: NaN},
    # K2: resold after 151 days at +50%
    "quick_resales_5y": {C[1]: 0, C[2]: 0, C[4]: 0, C[5]: 0, C[6]: 1, C[7]: 0},
    # seed: C9 (confirmed, closed 2023-06-01); C7's case closes later. C9 shares P3 and A2 with C2, C5, C6
    "linked_confirmed_1hop": {C[1]: 0, C[2]: 1, C[4]: 0, C[5]: 1, C[6]: 1, C[7]: 0},
    # C4 -P5- C6 -P3- C9
    "linked_confirmed_2hop": {C[1]: 0, C[2]: 0, C[4]: 1, C[5]: 0, C[6]: 0, C[7]: 0},
    # through people and owners only: C9's director P3 (left 2023-01-01, within three years) also runs C2, C5, C6
    "linked_confirmed_people": {C[1]: 0, C[2]: 1, C[4]: 0, C[5]: 1, C[6]: 1, C[7]: 0},
    # people and owners since 2021-06-30: C1 -P1 (director and owner)- C7; P3 ties C2, C5, C6 and C9; C5 owns C2,
    # C2 owns C6; P5 ties C4 and C6. P2 and the foreign owners hold one company each; C3's P1 spell ended in 2020
    "linked_companies": {C[1]: 1, C[2]: 3, C[4]: 1, C[5]: 3, C[6]: 4, C[7]: 1},
    # of those, at A2 (domicile): C2, C5, C6 and the dissolved C9
    "linked_domicile_companies": {C[1]: 0, C[2]: 3, C[4]: 1, C[5]: 3, C[6]: 3, C[7]: 0},
    # no insolvency in the three years: C3's is older, C6's comes later (test_indicators.py adds one to C9)
    "linked_insolvent_3y": {C[1]: 0, C[2]: 0, C[4]: 0, C[5]: 0, C[6]: 0, C[7]: 0},
    # founded since 2021-06-30: only C7 (C8 is founded after the as-of date)
    "linked_young_companies": {C[1]: 1, C[2]: 0, C[4]: 0, C[5]: 0, C[6]: 0, C[7]: 0},
}
