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
from tests.factories import NOW, make_area, make_assignment, make_config, make_region, make_store, make_user, \
    publish_mini
from tests.migrations.test_migrations import empty_database  # noqa: F401 - the fixture


@pytest.fixture
def app_at_0004(empty_database: str, tmp_path: Path) -> Iterator[object]:  # noqa: F811
    app = create_app(make_config(tmp_path, empty_database))
    with app.app_context():
        flask_migrate.upgrade(revision="0004")
        yield app
        db.session.remove()
        db.engine.dispose()


def _visit(assignment, status: str, minutes: int) -> Visit:  # type: ignore[no-untyped-def]
    version_id = db.session.scalar(sa.text("SELECT id FROM checklist_versions LIMIT 1"))
    visit = Visit(client_uuid=str(uuid.uuid4()), store_id=assignment.store_id, shopper_id=assignment.shopper_id,
                  checklist_version_id=version_id, assignment_id=assignment.id, status=status, started_at=NOW,
                  updated_at=NOW + timedelta(minutes=minutes))
    db.session.add(visit)
    db.session.commit()
    return visit


def test_duplicated_open_visits_are_voided_except_the_one_changed_last(app_at_0004: object) -> None:
    store = make_store(make_area(make_region()))
    shopper = make_user("shopper@test.example")
    checklist_id = publish_mini().checklist_id
    twice, once = make_assignment(shopper, store, checklist_id), make_assignment(shopper, store, checklist_id)
    older, newest, returned = _visit(twice, "draft", 1), _visit(twice, "draft", 9), _visit(twice, "returned", 5)
    submitted, alone = _visit(twice, "submitted", 20), _visit(once, "draft", 1)
    ids = {name: v.id for name, v in dict(older=older, newest=newest, returned=returned, submitted=submitted,
                                           alone=alone).items()}
    store_id, shopper_id, twice_id = store.id, shopper.id, twice.id
    version_id = newest.checklist_version_id
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
