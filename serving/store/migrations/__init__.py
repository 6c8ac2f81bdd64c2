"""Alembic migrations of the store; applied by :func:`serving.store.db.open_store`."""
