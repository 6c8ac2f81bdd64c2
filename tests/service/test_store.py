"""The store's schema comes from the migrations alone, on both backends, and opening it twice changes nothing."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select

from serving.store import Store, open_store
from serving.store.tables import AuditHead, Base


def test_migrations_create_exactly_the_tables_the_code_uses(store: Store) -> None:
    with store.engine.connect() as c:
        diff = compare_metadata(MigrationContext.configure(c), Base.metadata)
    assert diff == []
    assert set(Base.metadata.tables) <= set(inspect(store.engine).get_table_names())


def test_opening_again_is_a_no_op_and_the_chain_starts_at_genesis(store: Store) -> None:
    again = open_store(store.engine.url.render_as_string(hide_password=False))
    with again.session() as s:
        head = s.scalars(select(AuditHead)).all()
    again.dispose()
    assert len(head) == 1 and head[0].seq == 0 and head[0].hash == "0" * 64
