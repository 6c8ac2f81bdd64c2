"""The API server for bench_service.py: the real app on a loaded store, served by uvicorn in its own process(es).

argv: store URL, model folder, port, workers. Each uvicorn worker builds the app with :func:`factory`, which
reads the store and model from the environment (workers are separate processes). The rate limit is lifted: the
benchmark is the only client.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import uvicorn


def factory() -> Any:
    """One worker's app: the bench store, the saved model as the champion."""
    from models.risk import RiskModel
    from serving.api.app import create_app
    from serving.champion import Serving
    from serving.store import open_store

    model = RiskModel.load(Path(os.environ["BENCH_MODEL_DIR"]))
    card = {"name": "bench", "version": "bench", "registered_at": "", "training_window": {}, "catalogue": {},
            "metrics": {}, "fairness": {}, "intended_use": "benchmark", "limitations": []}  # fmt: skip
    store = open_store(os.environ["BENCH_STORE_URL"])
    return create_app(store, loader=lambda: Serving(model, "bench", card), rate_per_minute=10**9)


def main() -> None:
    """Serve until killed."""
    url, model_dir, port, workers = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    os.environ["BENCH_STORE_URL"], os.environ["BENCH_MODEL_DIR"] = url, model_dir
    uvicorn.run("bench.service_child:factory", factory=True, host="127.0.0.1", port=port, workers=workers,
                access_log=False, log_level="warning")  # fmt: skip


if __name__ == "__main__":
    main()
