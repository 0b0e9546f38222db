"""A `limits` storage that keeps rate-limit counters where every web worker sees them: the app's database.

Without it the default was each worker's own memory, so a limit of 20 meant 20 per worker (80 on four workers).
`RATELIMIT_STORAGE_URL` (e.g. Redis) still takes precedence; this is the default when it is not set.

On PostgreSQL the counters live in the `rate_limit_counters` table of the app's database, each hit in a short
transaction of its own. On SQLite they live in the same table in a small database file of their own under the
instance folder: a write from a second connection to the app's SQLite file would invalidate the request's own
read transaction (SQLite refuses a read transaction's later write once another connection has committed).
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import Any

from limits.storage import Storage
from sqlalchemy import case, create_engine, delete, event, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool
from sqlalchemy.schema import CreateIndex, CreateTable

from audit_app.models.ratelimits import RateLimitCounter

SCHEME = "storecheck-db"
COUNTERS = RateLimitCounter.__table__
# One hit in this many also deletes windows that have ended, so the table stays small.
SWEEP_EVERY = 200


def _sqlite_engine(path: Path) -> Engine:
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(f"sqlite:///{path}", poolclass=NullPool)

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None  # autocommit: each statement below is its own transaction
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    # IF NOT EXISTS: every worker of a new server does this at once.
    with engine.begin() as conn:
        conn.execute(CreateTable(COUNTERS, if_not_exists=True))
        for index in COUNTERS.indexes:
            conn.execute(CreateIndex(index, if_not_exists=True))
    return engine


class DatabaseStorage(Storage):
    """Fixed-window counters (the strategy the app configures) in a database table."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: Any) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions)
        database_url = str(options["database_url"])
        if database_url.startswith("sqlite"):
            self.engine = _sqlite_engine(Path(str(options["instance_dir"])) / "ratelimits.db")
        else:
            # Its own connections: a counter commits at once, whatever the request's transaction does.
            self.engine = create_engine(database_url, poolclass=NullPool)

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return SQLAlchemyError

    def _insert(self):  # type: ignore[no-untyped-def]
        if self.engine.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        return insert(COUNTERS)

    def incr(self, key: str, expiry: int | float, amount: int = 1) -> int:
        now = time.time()
        stmt = self._insert().values(key=key, count=amount, expires_at=now + expiry)
        ended = COUNTERS.c.expires_at <= now
        stmt = stmt.on_conflict_do_update(index_elements=[COUNTERS.c.key], set_={
            "count": case((ended, stmt.excluded["count"]), else_=COUNTERS.c["count"] + stmt.excluded["count"]),
            "expires_at": case((ended, stmt.excluded.expires_at), else_=COUNTERS.c.expires_at),
        }).returning(COUNTERS.c["count"])
        with self.engine.begin() as conn:
            value = int(conn.execute(stmt).scalar_one())
            if secrets.randbelow(SWEEP_EVERY) == 0:
                conn.execute(delete(COUNTERS).where(COUNTERS.c.expires_at <= now))
        return value

    def get(self, key: str) -> int:
        with self.engine.connect() as conn:
            value = conn.scalar(select(COUNTERS.c["count"]).where(COUNTERS.c.key == key,
                                                               COUNTERS.c.expires_at > time.time()))
        return int(value or 0)

    def get_expiry(self, key: str) -> float:
        with self.engine.connect() as conn:
            value = conn.scalar(select(COUNTERS.c.expires_at).where(COUNTERS.c.key == key))
        return float(value) if value is not None else time.time()

    def check(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.scalar(select(1))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with self.engine.begin() as conn:
            return conn.execute(delete(COUNTERS)).rowcount

    def clear(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(COUNTERS).where(COUNTERS.c.key == key))
