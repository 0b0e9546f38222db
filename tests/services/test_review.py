"""Review decisions: only allowed transitions, every one logged; a returned visit is fixed and resubmitted."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from audit_app.extensions import db
from audit_app.models import Assignment, AuditLog, Visit, VisitScore
from audit_app.services import review, visits
from tests.factories import NOW, World, make_published_checklist, make_submitted_visit

ANSWERS = {"greeted": "yes", "helpful": 3, "queue_wait": 200}


def _visit(world: World) -> Visit:
    version = make_published_checklist()
    return make_submitted_visit(world.shopper, world.store, version.checklist_id, ANSWERS)


def test_approving_a_submitted_visit_is_logged_with_before_and_after(world: World) -> None:
    visit = _visit(world)
    review.decide(db.session, world.head, visit.id, "approve", now=NOW)
    assert db.session.get(Visit, visit.id).status == "approved"
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "visit.approve"))
    assert (entry.actor_id, entry.before, entry.after) == (world.head.id, {"status": "submitted"},
                                                           {"status": "approved"})


@pytest.mark.parametrize(("first", "then"), [("approve", "approve"), ("approve", "return"), ("void", "approve"),
                                              ("void", "return"), ("void", "void"), ("return", "approve")])
def test_only_allowed_transitions_happen(world: World, first: str, then: str) -> None:
    visit = _visit(world)
    review.decide(db.session, world.head, visit.id, first, now=NOW, note="because")
    status = db.session.get(Visit, visit.id).status
    with pytest.raises(review.ReviewError):
        review.decide(db.session, world.head, visit.id, then, now=NOW, note="again")
    assert db.session.get(Visit, visit.id).status == status


def test_returning_and_voiding_need_a_note(world: World) -> None:
    visit = _visit(world)
    for action in ("return", "void"):
        with pytest.raises(review.ReviewError):
            review.decide(db.session, world.head, visit.id, action, now=NOW, note="  ")
    assert db.session.get(Visit, visit.id).status == "submitted"


def test_a_returned_visit_is_fixed_and_resubmitted_with_a_new_score(world: World) -> None:
    visit = _visit(world)
    review.decide(db.session, world.head, visit.id, "return", now=NOW, note="The queue time looks wrong")
    returned = db.session.get(Visit, visit.id)
    assert (returned.status, returned.review_note) == ("returned", "The queue time looks wrong")
    assert db.session.get(Assignment, returned.assignment_id).status == "started"  # back on the shopper's list

    visits.save_answers(db.session, world.shopper, visit.id, {"queue_wait": 60}, NOW)
    visits.submit_visit(db.session, world.shopper, visit.id, returned.client_uuid, NOW)

    assert db.session.get(Visit, visit.id).status == "submitted"
    current = db.session.scalar(select(VisitScore).where(VisitScore.visit_id == visit.id,
                                                         VisitScore.is_current.is_(True)))
    assert round(current.percent, 1) == 91.7  # service (2 + 0.5)/3 and checkout 1, averaged
    review.decide(db.session, world.head, visit.id, "approve", now=NOW)
    assert db.session.get(Visit, visit.id).status == "approved"


def test_the_queue_lists_submitted_visits_and_the_detail_shows_answers_and_points(world: World) -> None:
    visit = _visit(world)
    assert [row.id for row in review.list_visits(db.session)] == [visit.id]
    detail = review.get_visit(db.session, visit.id)
    assert detail.allowed == ("approve", "return", "void")
    greeted = next(line for line in detail.lines if line.key == "greeted")
    assert (greeted.answer, greeted.earned, greeted.possible) == ("Yes", "2", "2")
    review.decide(db.session, world.head, visit.id, "void", now=NOW, note="Visited the wrong store")
    assert review.list_visits(db.session) == []
    assert review.get_visit(db.session, visit.id).allowed == ()


def test_voided_visits_never_count_and_with_review_on_only_approved_ones_do(world: World) -> None:
    from audit_app.services import settings
    from audit_app.services.scores import rows

    kept, voided = _visit(world), _visit(world)
    review.decide(db.session, world.head, voided.id, "void", now=NOW, note="Fake receipt")
    row = rows.list_store_rows(db.session, [world.store.id])[0]
    assert row.visits == 1
    settings.update_settings(db.session, world.head, {"review_required": True}, now=NOW)
    assert rows.list_store_rows(db.session, [world.store.id])[0].visits == 0
    review.decide(db.session, world.head, kept.id, "approve", now=NOW)
    assert rows.list_store_rows(db.session, [world.store.id])[0].visits == 1
