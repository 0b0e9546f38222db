"""The suite's set-up: pytest hooks (the CJK font check and its report) and the session's test database, migrated
once (SQLite, or PostgreSQL with TEST_DATABASE_URL) and written to without waiting on the disk.

The fixtures and factories the tests use live in tests/factories.py, registered here as a plugin."""

from __future__ import annotations

import os
import sqlite3
from typing import Any

import flask_migrate
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from audit_app import create_app
from audit_app.config import normalise_database_url
from audit_app.extensions import db

pytest_plugins = ["tests.factories"]

# --- a CJK font for Japanese text (see tests/fonts.py) -----------------------------------------


def pytest_configure(config: pytest.Config) -> None:
    from tests.fonts import check_cjk_font

    config.stash[_FONTS] = check_cjk_font()


def pytest_report_header(config: pytest.Config) -> str:
    return config.stash[_FONTS].message


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    """Without a CJK font, a test failing only for the want of it is skipped with the package to install
    (STORECHECK_REQUIRE_FONTS=1, as in CI, keeps it a failure, with that message)."""
    from tests.fonts import REQUIRE, is_missing_font_failure

    outcome = yield
    report = outcome.get_result()
    fonts = item.config.stash[_FONTS]
    if fonts.available or not report.failed or call.excinfo is None:
        return
    if not is_missing_font_failure(str(report.longrepr)):
        return
    if REQUIRE:
        report.longrepr = f"{fonts.message} (STORECHECK_REQUIRE_FONTS=1 makes this a failure)\n\n{report.longrepr}"
        return
    report.outcome = "skipped"
    report.longrepr = (str(item.path), item.location[1] or 0, f"Skipped: {fonts.message}")


_FONTS = pytest.StashKey["FontCheck"]()


# --- the test database ------------------------------------------------------------------------------


@sa.event.listens_for(Engine, "connect")
def _no_waiting_on_the_disk(dbapi_connection: Any, _record: Any) -> None:
    """Commits in this process do not wait for the disk (fsync): a test database need not survive a power cut.

    Every engine the tests open gets this (the app's, the rate limiter's, a backup's). It changes durability
    only: what a transaction sees, locks and constraints are as in production."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute("PRAGMA synchronous=OFF")
    elif type(dbapi_connection).__module__.startswith("psycopg"):
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO off")
        dbapi_connection.commit()


def _database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    from tests.workers import postgres_url

    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        url = normalise_database_url(url)
        return postgres_url(url) if url.startswith("postgresql") else url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database migrated to head once per run (PostgreSQL: its public schema is rebuilt first)."""
    from tests.factories import make_config  # imported here, once pytest has registered it as a plugin

    url = _database_url(tmp_path_factory)
    if url.startswith("postgresql"):
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE")
            conn.exec_driver_sql("CREATE SCHEMA public")
        engine.dispose()
    app = create_app(make_config(tmp_path_factory.mktemp("migrate"), url))
    with app.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()
    return url
