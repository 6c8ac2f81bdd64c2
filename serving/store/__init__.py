"""The service's store: SQLAlchemy tables, engine and Alembic migrations (SQLite embedded, PostgreSQL shared)."""

from serving.store.db import Store, open_store

__all__ = ["Store", "open_store"]
