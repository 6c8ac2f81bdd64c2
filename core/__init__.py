"""The ground floor: settings, Dutch reference data, atomic files, text helpers and MLflow tracking.

Every other package may import from here; this package imports nothing of the project (``tests/code/test_layers.py``
keeps it so, and ``docs/architecture.md`` draws the whole direction).
"""

__version__ = "0.1.0"
