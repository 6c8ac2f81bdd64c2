"""Company profile: age, legal form, sector, staff."""

from __future__ import annotations

import numpy as np

from core.reference import CASH_INTENSIVE_SBI
from features._context import Context

LEGAL_ENTITIES = frozenset({"BV", "NV", "coöperatie"})


def profile(ctx: Context) -> dict[str, np.ndarray]:
    """Years since registration, legal entity, cash-intensive sector, employees in the latest filing."""
    co = ctx.companies
    years = (ctx.as_of - co.founded_on).dt.days.to_numpy() / 365.25
    latest = ctx.latest_filing.employees
    employees = np.full(ctx.n, np.nan)
    employees[latest.index.to_numpy()] = latest.to_numpy()
    return {
        "years_since_registration": years,
        "legal_entity": co.legal_form.isin(LEGAL_ENTITIES).to_numpy(dtype=np.float64),
        "sector_cash_intensive": co.sbi_code.astype(str).str[:4].isin(CASH_INTENSIVE_SBI).to_numpy(dtype=np.float64),
        "employees_latest": employees,
    }
