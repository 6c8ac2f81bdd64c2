"""The service's reload path on the real registry: it serves exactly the version that holds @champion."""

from __future__ import annotations

import numpy as np
import pandas as pd

from core import settings
from serving.champion import Champion
from tests.shared import Trained
from training.registry import client


def test_reload_serves_the_registry_champion_and_follows_the_alias(registry: Trained) -> None:
    champion = Champion()
    c = client()
    c.set_registered_model_alias(settings.MODEL_NAME, "champion", str(registry.v1.version))
    first = champion.reload()
    assert first.version == str(registry.v1.version)
    rows = pd.DataFrame(np.zeros((2, len(first.model.features))), columns=list(first.model.features))
    assert np.allclose(first.model.score(rows), registry.v1.model.score(rows))
    card = first.card
    assert card["version"] == first.version and card["training_window"]["test_as_of"]
    assert card["fairness"]["audit"] in {"passed", "failed"} and card["metrics"]
    c.set_registered_model_alias(settings.MODEL_NAME, "champion", str(registry.v2.version))
    assert champion.reload().version == str(registry.v2.version)


def test_a_worker_follows_the_alias_to_the_new_champion(registry: Trained) -> None:
    import threading
    import time

    c = client()
    c.set_registered_model_alias(settings.MODEL_NAME, "champion", str(registry.v1.version))
    holder = Champion()
    holder.reload()
    stop = threading.Event()
    follower = threading.Thread(target=holder.follow, args=(0.05, stop), daemon=True)
    follower.start()
    try:
        c.set_registered_model_alias(settings.MODEL_NAME, "champion", str(registry.v2.version))
        deadline = time.monotonic() + 20
        while holder.version != str(registry.v2.version) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert holder.version == str(registry.v2.version)
    finally:
        stop.set()
        follower.join(5)
