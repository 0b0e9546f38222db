"""Keeping parallel test workers (pytest-xdist, `-n`) out of each other's way: each has its own PostgreSQL
database and its own Redis database; SQLite files, upload folders and ports are per test already."""

from __future__ import annotations

import os

import sqlalchemy as sa
from sqlalchemy.engine import make_url


def worker_number() -> int:
    """0 for the first worker (or a run without workers), 1 for the second, ..."""
    name = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return int(name[2:]) if name.startswith("gw") and name[2:].isdigit() else 0


def redis_url() -> str:
    """TEST_REDIS_URL (else database 15), moved down one database per worker: tests empty theirs."""
    url = make_url(os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15").replace("redis://", "redis+x://", 1))
    base = int(url.database or 0)
    n = worker_number()
    number = base - n if base - n >= 0 else base + n
    return url.set(database=str(number)).render_as_string(hide_password=False).replace("redis+x://", "redis://", 1)


def postgres_url(url: str) -> str:
    """The worker's own database beside the one named in `url` (created when missing); `url` itself for the
    first worker."""
    n = worker_number()
    if n == 0:
        return url
    parsed = make_url(url)
    own = parsed.set(database=f"{parsed.database}_w{n}")
    engine = sa.create_engine(parsed, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                  {"name": own.database}).scalar()
            if not exists:
                conn.exec_driver_sql(f'CREATE DATABASE "{own.database}"')
    finally:
        engine.dispose()
    return own.render_as_string(hide_password=False)
