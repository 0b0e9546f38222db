"""Migration 0007 (exact percents as integers) backfills from the stored texts exactly what the code writes."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Iterator

import flask_migrate
import pytest
import sqlalchemy as sa

import scoring
from audit_app import create_app
from audit_app.extensions import db
from audit_app.models import SectionScore, VisitScore
from tests.factories import NOW, make_area, make_config, make_published_checklist, make_region, make_store, \
    make_submitted_visit, make_user, scorecard_checklist_data
from tests.migrations.test_migrations import empty_database  # noqa: F401 - the fixture


@pytest.fixture
def app_at_head(empty_database: str, tmp_path: Path) -> Iterator[object]:  # noqa: F811
    app = create_app(make_config(tmp_path, empty_database))
    with app.app_context():
        flask_migrate.upgrade()
        yield app
        db.session.remove()
        db.engine.dispose()


def _integers() -> dict[tuple[str, int], tuple[int | None, int | None]]:
    found = {("visit", i): (n, d) for i, n, d in db.session.execute(
        sa.select(VisitScore.id, VisitScore.percent_num, VisitScore.percent_den))}
    found.update({("section", i): (n, d) for i, n, d in db.session.execute(
        sa.select(SectionScore.id, SectionScore.percent_num, SectionScore.percent_den))})
    return found


def test_the_backfill_gives_the_integers_the_code_writes_for_new_cards(app_at_head: object) -> None:
    rng = random.Random(3)  # nosec B311 - test data
    store = make_store(make_area(make_region()))
    shopper = make_user("shopper@test.example")
    make_user("head@test.example", role="head_office")
    version = make_published_checklist(scorecard_checklist_data())
    for n in range(25):
        answers = {"greeted": rng.choice(["yes", "no"]), "greeting_time": rng.randint(0, 90),
                   "helpful": rng.randint(1, 5), "queue_wait": rng.randint(0, 400),
                   "bag_offered": rng.choice(["yes", "no", scoring.NA]), "csat": rng.randint(1, 5),
                   "nps": rng.randint(0, 10)}
        make_submitted_visit(shopper, store, version.checklist_id, answers, at=NOW)
    # A section with nothing possible, and a percent written as a plain integer text, as older rows may hold.
    db.session.execute(sa.update(SectionScore).where(SectionScore.id == 1)
                       .values(earned="0/1", possible="0/1", percent=None, percent_num=None, percent_den=None))
    db.session.execute(sa.update(VisitScore).where(VisitScore.id == 2)
                       .values(percent_exact="100", percent_num=100, percent_den=1))
    db.session.commit()
    written = _integers()
    assert written[("section", 1)] == (None, None)
    assert sum(1 for n, d in written.values() if d is not None and d > 1) > 10  # many denominators
    db.session.remove()
    flask_migrate.downgrade(revision="0006")
    assert "percent_num" not in {c["name"] for c in sa.inspect(db.engine).get_columns("visit_scores")}
    flask_migrate.upgrade()
    db.session.remove()
    assert _integers() == written
