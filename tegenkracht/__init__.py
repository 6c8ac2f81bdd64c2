"""Tegenkracht: explainable risk signals against ondermijning.

Importing the package switches third-party telemetry off before anything else can load it.
"""

from tegenkracht.settings import disable_telemetry

disable_telemetry()

__version__ = "0.1.0"
__all__ = ["__version__"]
