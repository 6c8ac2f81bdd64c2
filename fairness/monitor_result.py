"""What a drift monitor run found: every check's figures, its alerts, what it skipped, and the settings used.

Apart from ``fairness.monitor`` (which computes it) so that ``fairness.monitor_page`` (which shows it) can take the
real type without the two modules importing each other.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from core.io import plain
from fairness.drift import ACT, Alert


@dataclass
class MonitorResult:
    """Every check's figures, the alerts they raised, what was skipped, and the settings used."""

    indicators: pd.DataFrame
    score: dict[str, Any] | None
    explanations: pd.DataFrame | None
    composition: pd.DataFrame | None
    performance: dict[str, Any] | None
    alerts: list[Alert]
    skipped: dict[str, str]
    settings: dict[str, Any]
    metadata: dict[str, Any] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    run_id: str | None = None

    @property
    def alert(self) -> bool:
        """True when any *act* alert fired: the signal that someone must look before the scores are used."""
        return any(a.level == ACT for a in self.alerts)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types throughout; NaN and infinities become null."""
        return {
            "alert": self.alert,
            "alerts": [asdict(a) for a in self.alerts],
            "skipped": dict(self.skipped),
            "settings": plain(self.settings),
            "metadata": plain(self.metadata),
            "indicators": _records(self.indicators),
            "score": plain(self.score),
            "explanations": _records(self.explanations),
            "composition": _records(self.composition),
            "performance": plain(self.performance),
            "files": dict(self.files),
            "run_id": self.run_id,
        }

    def to_json(self, **kwargs: Any) -> str:
        """The serialised result; ``allow_nan`` is off because JSON has no NaN."""
        return json.dumps(self.to_dict(), allow_nan=False, **kwargs)


def _records(frame: pd.DataFrame | None) -> list[dict[str, Any]] | None:
    return None if frame is None else [plain(r) for r in frame.to_dict(orient="records")]
