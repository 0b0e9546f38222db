"""The migrations create the schema on SQLite and PostgreSQL, match the models, and go down and up."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Iterator

import flask_migrate
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from audit_app import create_app
from audit_app.extensions import db
from tests.factories import make_config


def _fresh_app(database_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    return create_app(make_config(tmp_path, database_url))


def test_the_migrated_schema_matches_the_models(database_url: str, tmp_path: Path) -> None:
    app = _fresh_app(database_url, tmp_path)
    with app.app_context():
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
        db.engine.dispose()
    assert diff == []


@pytest.fixture
def empty_database(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A new, empty database on the same engine as the suite (a throwaway one on PostgreSQL)."""
    if not database_url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    name = f"storecheck_migrations_{uuid.uuid4().hex[:8]}"
    server = sa.create_engine(database_url, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield sa.engine.make_url(database_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        server.dispose()


def test_migrations_build_an_empty_database_and_every_revision_goes_down_and_up(empty_database: str,
                                                                                tmp_path: Path) -> None:
    app = _fresh_app(empty_database, tmp_path)
    with app.app_context():
        flask_migrate.upgrade()
        assert set(db.metadata.tables) <= set(sa.inspect(db.engine).get_table_names())
        flask_migrate.downgrade(revision="base")
        assert sa.inspect(db.engine).get_table_names() == ["alembic_version"]
        flask_migrate.upgrade()
        assert "visits" in sa.inspect(db.engine).get_table_names()
        db.engine.dispose()
