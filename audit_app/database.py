"""Engine settings that make SQLite behave like the production database where it matters."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine


def configure_engine(engine: Engine) -> None:
    """On SQLite: enforce foreign keys, wait for locks, use WAL, and let SQLAlchemy own BEGIN.

    pysqlite's own transaction handling breaks SAVEPOINT and SELECT-then-write isolation; the
    documented fix is to switch it off and emit BEGIN ourselves.
    """
    if engine.dialect.name != "sqlite":
        return
    is_file = engine.url.database not in (None, "", ":memory:")
    if is_file:
        Path(engine.url.database).parent.mkdir(parents=True, exist_ok=True)

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        if is_file:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection):  # type: ignore[no-untyped-def]
        connection.exec_driver_sql("BEGIN")
