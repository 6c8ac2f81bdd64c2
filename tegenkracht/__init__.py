"""Tegenkracht: explainable risk signals against ondermijning.

This package is the command line on top of the product; telemetry is switched off where the CLI starts
(``tegenkracht.cli.main``), not when this package is imported.
"""

from core import __version__

__all__ = ["__version__"]
