"""Migration 0016 (score summaries) backfills from the stored cards exactly the summary the code writes."""

from __future__ import annotations

import random

import flask_migrate
import sqlalchemy as sa

import scoring
from audit_app.extensions import db
from audit_app.models import ScoreSummary, VisitScore
from audit_app.services.scores.storage import card_summary
from tests.factories import NOW, make_area, make_published_checklist, make_region, make_store, \
    make_submitted_visit, make_user, scorecard_checklist_data
from tests.migrations.test_exact_percents_migration import app_at_head  # noqa: F401 - the fixture
from tests.migrations.test_migrations import empty_database  # noqa: F401 - the fixture


def _summaries() -> dict[int, object]:
    return dict(db.session.execute(sa.select(ScoreSummary.visit_score_id, ScoreSummary.summary)).all())


def test_the_backfill_gives_each_score_the_summary_the_code_writes(app_at_head: object) -> None:  # noqa: F811
    rng = random.Random(16)  # nosec B311 - test data
    store = make_store(make_area(make_region()))
    shopper = make_user("shopper@test.example")
    make_user("head@test.example", role="head_office")
    version = make_published_checklist(scorecard_checklist_data())
    for _ in range(12):
        answers = {"greeted": rng.choice(["yes", "no"]), "greeting_time": rng.randint(0, 90),
                   "helpful": rng.randint(1, 5), "queue_wait": rng.randint(0, 400),
                   "bag_offered": rng.choice(["yes", "no", scoring.NA]), "csat": rng.randint(1, 5),
                   "nps": rng.randint(0, 10)}
        make_submitted_visit(shopper, store, version.checklist_id, answers, at=NOW)
    written = _summaries()
    assert len(written) == 12
    for score_id, card in db.session.execute(sa.select(VisitScore.id, VisitScore.card)):
        assert written[score_id] == card_summary(card)
    assert any({"na": True} in summary["a"].values() for summary in written.values())  # type: ignore[index]
    db.session.remove()
    flask_migrate.downgrade(revision="0015")
    assert "score_summaries" not in sa.inspect(db.engine).get_table_names()
    flask_migrate.upgrade()
    db.session.remove()
    assert _summaries() == written
