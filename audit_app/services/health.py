"""Whether this process can serve: the database answers, and its schema matches the code."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from audit_app.config import PROJECT_ROOT


@dataclass(frozen=True)
class HealthReport:
    database_ok: bool
    schema_revision: str | None
    expected_revision: str

    @property
    def schema_current(self) -> bool:
        return self.schema_revision == self.expected_revision


@lru_cache(maxsize=1)
def expected_revision() -> str:
    """The head of the migrations shipped with this code."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    head = ScriptDirectory.from_config(config).get_current_head()
    return head or ""


def check(session: Session) -> HealthReport:
    """Whether the database answers, and its migration revision (None when it has none); never raises."""
    try:
        session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        session.rollback()
        return HealthReport(False, None, expected_revision())
    try:
        revision = session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError:
        revision = None
    session.rollback()
    return HealthReport(True, revision, expected_revision())
