"""The synthetic world: a Dutch-like company register with known ground truth and tunable label bias.

Everything Tegenkracht claims about quality, fairness and speed is measured on worlds from this package;
``docs/synthetic-world.md`` documents the generative model.
"""

from synth._config import WorldConfig
from synth.world import RECORD_TABLES, SENSITIVE_TABLES, TRUTH_TABLES, build_world, generate_world

__all__ = [
    "RECORD_TABLES",
    "SENSITIVE_TABLES",
    "TRUTH_TABLES",
    "WorldConfig",
    "build_world",
    "generate_world",
]
