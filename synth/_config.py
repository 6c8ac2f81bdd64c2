"""Parameters of the synthetic world.

The user-facing knobs are the CLI options; the rest are calibration constants, kept here in one frozen
dataclass so ``docs/synthetic-world.md`` and the tests can name them and a reviewer can see every assumption.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class WorldConfig:
    """Everything that determines a world; equal configs give byte-identical worlds.

    Parameters
    ----------
    n_companies
        Companies in the register at some point of the window (before phoenix predecessors are added).
    seed
        Root seed. Each part of the world draws from its own child stream, so changing ``label_bias`` changes
        investigations only, and changing ``segregation`` changes places and sensitive attributes only.
    label_bias
        Factor by which investigation odds rise per unit of visibility (low-SES neighbourhood, officer with a
        non-western migration background). 1.0 means investigations depend on truth and noise only.
    segregation
        0: sensitive attributes independent of neighbourhood and sector; 1: strongly clustered.
    start_year, end_year
        The observation window, inclusive.

    """

    n_companies: int = 50_000
    seed: int = 20261128
    label_bias: float = 1.0
    segregation: float = 0.5
    start_year: int = 2015
    end_year: int = 2025

    # --- criminal networks (calibrated, see docs/synthetic-world.md) ---
    targeted_rate: float = 0.034  # share of companies a network uses or tries to use
    network_size_mean: float = 7.0
    mechanism_mix: tuple[tuple[str, float], ...] = (
        ("front", 0.34),
        ("shell", 0.28),
        ("property", 0.15),
        ("phoenix", 0.17),
        ("facilitator", 0.06),
    )
    propensity_floor: float = 0.04  # propensity of the least-used targeted company
    propensity_span: float = 0.74  # added at full intensity
    background_propensity: float = 0.0015  # lone, untraceable involvement among untargeted companies

    # --- investigations (the label channel) ---
    case_rate_involved: float = 0.50
    case_rate_uninvolved: float = 0.01
    confirm_rate_involved: float = 0.6
    confirm_rate_uninvolved: float = 0.04

    def __post_init__(self) -> None:
        if self.n_companies < 500:
            raise ValueError("n_companies must be at least 500 for a world with networks in every region")
        if self.label_bias < 1.0:
            raise ValueError("label_bias must be >= 1.0 (1.0 means no bias)")
        if not 0.0 <= self.segregation <= 1.0:
            raise ValueError("segregation must lie in [0, 1]")
        if not 1990 <= self.start_year < self.end_year <= 2100:
            raise ValueError("need 1990 <= start_year < end_year")

    @property
    def start_day(self) -> int:
        """First day of the window, in days since 1970-01-01."""
        return int(np.datetime64(f"{self.start_year}-01-01", "D").astype(np.int64))

    @property
    def end_day(self) -> int:
        """Last day of the window (the register's extraction date)."""
        return int(np.datetime64(f"{self.end_year}-12-31", "D").astype(np.int64))


#: Names of the independent random streams, in spawn order. Append only: reordering changes every world.
STREAMS: tuple[str, ...] = (
    "geography",
    "companies",
    "networks",
    "addresses",
    "officers",
    "ownership",
    "filings",
    "cash_flows",
    "properties",
    "insolvencies",
    "sensitive",
    "cases",
    "ids",
    "places",
    "ids_person",
    "ids_address",
    "ids_foreign",
    "names",
    "ids_property",
    "ids_case",
)


def streams(seed: int) -> dict[str, np.random.Generator]:
    """One independent generator per part of the world, derived from the root seed."""
    children = np.random.SeedSequence(seed).spawn(len(STREAMS))
    return {name: np.random.default_rng(child) for name, child in zip(STREAMS, children, strict=True)}
