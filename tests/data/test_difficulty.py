"""The default world is as hard as the real thing: a checklist helps, the oracle helps far more."""

from __future__ import annotations

import pytest

from synth import WorldConfig, build_world
from synth.checklist import FLAGS, difficulty, red_flags


@pytest.fixture(scope="module")
def default_world() -> dict:
    return build_world(WorldConfig(n_companies=200_000))


def test_checklist_and_oracle_precision_in_target_ranges(default_world: dict) -> None:
    d = difficulty(default_world, "2025-12-31")
    assert 0.10 <= d.checklist <= 0.25, d
    assert 0.40 <= d.oracle <= 0.70, d
    assert d.oracle > 1.8 * d.checklist
    assert len(d.checklist_by_region) == 10


def test_every_flag_fires_for_both_classes(default_world: dict) -> None:
    flags = red_flags(default_world, "2025-12-31").set_index("company_id")
    truth = default_world["truth/companies"].to_pandas().set_index("company_id").involved.reindex(flags.index)
    for flag in FLAGS:
        hit = flags[flag]
        assert hit[truth].any() and hit[~truth].any(), flag
        # honest look-alikes: most flagged companies are not involved
        assert truth[hit].mean() < 0.5, flag
