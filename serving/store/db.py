"""Opening the store: one engine per URL, migrated to the newest schema before anything reads it.

SQLite gets write-ahead logging and a busy timeout, so the service's readers never wait for its writer and two
processes (the server and a `tegenkracht users` command) queue for the write lock instead of failing. Engines
hide bound parameters from error messages: a failed statement must not put a case reference or a company id
into a log.
"""

from __future__ import annotations

import fcntl
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from core import settings

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"


class StoreError(RuntimeError):
    """The store cannot be reached or migrated; the message says which URL (without its password)."""


@dataclass
class Store:
    """An engine and its session factory."""

    engine: Engine
    sessions: sessionmaker[Session]
    _lock_path: Path | None = None
    _thread_lock: threading.Lock = field(default_factory=threading.Lock)

    @contextmanager
    def write_lock(self) -> Iterator[None]:
        """Serialise this store's hot writes across threads and, for a SQLite file, across processes.

        SQLite makes a blocked writer sleep in steps of up to 100 ms before it retries; waiting on a file lock
        instead wakes the next writer the moment the last one commits. PostgreSQL's row locks already queue
        writers without sleeping, so there only the threads of this process are serialised.
        """
        with self._thread_lock:
            if self._lock_path is None:
                yield
                return
            with self._lock_path.open("a") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(handle, fcntl.LOCK_UN)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits when the block ends cleanly and rolls back otherwise."""
        with self.sessions.begin() as session:
            yield session

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def open_store(url: str | None = None, migrate: bool = True) -> Store:
    """The store at ``url`` (default: the configured one), migrated to the newest schema."""
    url = url or settings.DATABASE_URL
    engine = _engine(url)
    try:
        if migrate:
            upgrade(engine)
    except OperationalError as exc:
        engine.dispose()
        raise StoreError(f"cannot open the store at {safe_url(url)}: {exc.orig}") from exc
    return Store(engine, sessionmaker(engine, expire_on_commit=False), _lock_file(url))


def _lock_file(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(str(parsed.database)).with_suffix(".write-lock")


def sqlite_missing(url: str | None = None) -> bool:
    """True for a SQLite store whose file does not exist yet: a reader should not create one as a side effect."""
    parsed = make_url(url or settings.DATABASE_URL)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return False
    return not Path(str(parsed.database)).exists()


def safe_url(url: str) -> str:
    """The URL with any password masked, for messages and logs."""
    return make_url(url).render_as_string(hide_password=True)


def _engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # A file keeps a connection per request thread: opening one runs the pragmas again (WAL among them).
        pooled = {"pool_size": 40, "max_overflow": 10} if parsed.database not in (None, "", ":memory:") else {}
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, hide_parameters=True, **pooled
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True, hide_parameters=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def alembic_config(connection: Any = None) -> Any:
    """Alembic's configuration for the store's migrations, bound to ``connection`` when given."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade(engine: Engine) -> None:
    """Apply every migration the store lacks."""
    from alembic import command

    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "head")
