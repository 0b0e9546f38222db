"""Migration 0005 (one open visit per assignment) on a database that already holds duplicated drafts."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from typing import Iterator

import flask_migrate
import pytest
import sqlalchemy as sa

from audit_app import create_app
from audit_app.extensions import db
from audit_app.models import Visit
from tests.factories import NOW, make_config
from tests.migrations.test_migrations import empty_database  # noqa: F401 - the fixture


@pytest.fixture
def app_at_0004(empty_database: str, tmp_path: Path) -> Iterator[object]:  # noqa: F811
    app = create_app(make_config(tmp_path, empty_database))
    with app.app_context():
        flask_migrate.upgrade(revision="0004")
        yield app
        db.session.remove()
        db.engine.dispose()


def _insert(table: str, **values: object) -> int:
    """A row written as the schema at 0004 has it (today's models may have columns that revision lacks)."""
    reflected = sa.Table(table, sa.MetaData(), autoload_with=db.engine)
    return db.session.execute(sa.insert(reflected).values(**values).returning(reflected.c.id)).scalar_one()


def _visit(world: dict[str, int], assignment_id: int, status: str, minutes: int) -> int:
    return _insert("visits", client_uuid=str(uuid.uuid4()), store_id=world["store"], shopper_id=world["shopper"],
                   checklist_version_id=world["version"], assignment_id=assignment_id, status=status,
                   started_at=NOW, updated_at=NOW + timedelta(minutes=minutes), review_note="")


def test_duplicated_open_visits_are_voided_except_the_one_changed_last(app_at_0004: object) -> None:
    region = _insert("regions", code="R1", name="Kanto", is_active=True)
    area = _insert("areas", region_id=region, code="A1", name="Tokyo", is_active=True)
    store_id = _insert("stores", area_id=area, code="S1", name="Ginza", address="", city="Tokyo",
                       timezone="Asia/Tokyo", is_active=True)
    shopper_id = _insert("users", email="shopper@test.example", name="Shopper", password_hash="x", role="shopper",
                         locale="en", is_active=True, failed_logins=0, session_token="t", created_at=NOW)
    checklist = _insert("checklists", key="mini", title="Mini", channel="in_store", allow_unassigned=False,
                        created_at=NOW)
    version_id = _insert("checklist_versions", checklist_id=checklist, number=1, definition={}, status="published",
                         created_at=NOW)
    world = {"store": store_id, "shopper": shopper_id, "version": version_id}

    def assignment() -> int:
        return _insert("assignments", shopper_id=shopper_id, store_id=store_id, checklist_id=checklist,
                       window_start=NOW.date(), window_end=NOW.date(), status="started", created_at=NOW)

    twice_id, once_id = assignment(), assignment()
    ids = {"older": _visit(world, twice_id, "draft", 1), "newest": _visit(world, twice_id, "draft", 9),
           "returned": _visit(world, twice_id, "returned", 5), "submitted": _visit(world, twice_id, "submitted", 20),
           "alone": _visit(world, once_id, "draft", 1)}
    db.session.commit()
    db.session.remove()
    flask_migrate.upgrade()
    rows = dict(db.session.execute(sa.select(Visit.id, Visit.status)).all())
    assert {name: rows[i] for name, i in ids.items()} == {
        "older": "voided", "newest": "draft", "returned": "voided", "submitted": "submitted", "alone": "draft"}
    note = db.session.scalar(sa.select(Visit.review_note).where(Visit.id == ids["older"]))
    assert "another visit of the same assignment was already open" in note
    db.session.add(Visit(client_uuid=str(uuid.uuid4()), store_id=store_id, shopper_id=shopper_id,
                         checklist_version_id=version_id, assignment_id=twice_id, status="draft",
                         started_at=NOW, updated_at=NOW))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()
