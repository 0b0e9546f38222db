"""Visits through the services: pinned versions, answers checked by the engine, one submit, stored cards."""

from __future__ import annotations

import uuid
from fractions import Fraction

import pytest
from flask import Flask
from sqlalchemy import func, select

import scoring
from audit_app.extensions import db
from audit_app.models import Answer, AuditLog, SectionScore, Visit, VisitScore
from audit_app.services import checklists, visits
from audit_app.services.errors import PermissionDeniedError
from tests.factories import MINI_CHECKLIST, NOW, World, make_assignment

DEFINITION = MINI_CHECKLIST


@pytest.fixture
def visit(app: Flask, world: World) -> Visit:
    version = checklists.publish_checklist(db.session, scoring.parse_checklist(DEFINITION), now=NOW)
    assignment = make_assignment(world.shopper, world.store, version.checklist_id)
    return visits.start_visit(db.session, world.shopper, client_uuid=str(uuid.uuid4()),
                              assignment_id=assignment.id, now=NOW)


def test_a_submitted_visit_stores_the_engines_score_card(app: Flask, world: World, visit: Visit) -> None:
    answers = {"greeted": "yes", "helpful": 4, "queue_wait": 200, "self_checkout": "no"}
    visits.save_answers(db.session, world.shopper, visit.id, answers, NOW)
    visits.submit_visit(db.session, world.shopper, visit.id, visit.client_uuid, NOW)
    # staff: greeted 3/3 + helpful (4-1)/(5-1) = 3/4 of 1 -> 3.75/4 = 93.75 %
    # checkout: queue 200 s -> band 0.5 -> 0.5/1 = 50 % (sco_help hidden, self_checkout weight 0)
    # overall: (2 × 93.75 + 1 × 50) / 3 = 79.1666… %
    stored = db.session.scalar(select(VisitScore).where(VisitScore.visit_id == visit.id))
    assert Fraction(stored.percent_exact) == Fraction(475, 6)
    assert stored.grade == "Poor"
    assert stored.is_current
    sections = {s.section_key: s for s in db.session.scalars(select(SectionScore))}
    assert sections["staff"].percent == pytest.approx(93.75)
    assert sections["checkout"].percent == pytest.approx(50)
    card = scoring.card_from_data(stored.card)
    assert card.percent == Fraction(475, 6)
    assert db.session.get(Visit, visit.id).status == "submitted"


def test_submitting_twice_with_the_same_uuid_gives_one_submitted_visit_and_one_score(
        app: Flask, world: World, visit: Visit) -> None:
    visits.save_answers(db.session, world.shopper, visit.id,
                        {"greeted": "yes", "helpful": 5, "queue_wait": 30, "self_checkout": "no"}, NOW)
    first = visits.submit_visit(db.session, world.shopper, visit.id, visit.client_uuid, NOW)
    second = visits.submit_visit(db.session, world.shopper, visit.id, visit.client_uuid, NOW)
    assert first.id == second.id
    assert db.session.scalar(select(func.count()).select_from(VisitScore)) == 1
    assert db.session.scalar(select(func.count()).select_from(AuditLog)
                             .where(AuditLog.action == "visit.submit")) == 1


def test_an_unanswered_required_question_blocks_submit_and_keeps_the_answers(
        app: Flask, world: World, visit: Visit) -> None:
    visits.save_answers(db.session, world.shopper, visit.id, {"greeted": "no", "self_checkout": "yes"}, NOW)
    with pytest.raises(visits.IncompleteVisitError) as caught:
        visits.submit_visit(db.session, world.shopper, visit.id, visit.client_uuid, NOW)
    assert set(caught.value.missing) == {"helpful", "queue_wait", "sco_help"}
    assert db.session.get(Visit, visit.id).status == "draft"
    assert db.session.scalar(select(func.count()).select_from(Answer)) == 2


def test_a_hidden_question_is_not_required(app: Flask, world: World, visit: Visit) -> None:
    visits.save_answers(db.session, world.shopper, visit.id,
                        {"greeted": "no", "helpful": 1, "queue_wait": 400, "self_checkout": "no"}, NOW)
    submitted = visits.submit_visit(db.session, world.shopper, visit.id, visit.client_uuid, NOW)
    assert submitted.status == "submitted"


def test_an_invalid_answer_is_refused_naming_the_question(app: Flask, world: World, visit: Visit) -> None:
    with pytest.raises(visits.InvalidAnswerError) as caught:
        visits.save_answers(db.session, world.shopper, visit.id, {"helpful": 9}, NOW)
    assert caught.value.question_key == "helpful"
    assert db.session.scalar(select(func.count()).select_from(Answer)) == 0


def test_another_shopper_cannot_change_or_submit_the_visit(app: Flask, world: World, visit: Visit) -> None:
    with pytest.raises(PermissionDeniedError):
        visits.save_answers(db.session, world.other_shopper, visit.id, {"greeted": "yes"}, NOW)
    with pytest.raises(PermissionDeniedError):
        visits.submit_visit(db.session, world.other_shopper, visit.id, visit.client_uuid, NOW)


def test_a_visit_stays_pinned_to_its_version_when_a_new_one_is_published(app: Flask, world: World,
                                                                         visit: Visit) -> None:
    changed = {**DEFINITION, "grades": [{"min": 50, "label": "Pass"}, {"min": 0, "label": "Fail"}]}
    newer = checklists.publish_checklist(db.session, scoring.parse_checklist(changed), now=NOW)
    assert newer.number == 2
    visits.save_answers(db.session, world.shopper, visit.id,
                        {"greeted": "yes", "helpful": 5, "queue_wait": 30, "self_checkout": "no"}, NOW)
    visits.submit_visit(db.session, world.shopper, visit.id, visit.client_uuid, NOW)
    assert db.session.scalar(select(VisitScore.grade)) == "Good"


def test_publishing_an_unchanged_definition_creates_no_new_version(app: Flask) -> None:
    first = checklists.publish_checklist(db.session, scoring.parse_checklist(DEFINITION), now=NOW)
    again = checklists.publish_checklist(db.session, scoring.parse_checklist(DEFINITION), now=NOW)
    assert again.id == first.id and again.number == 1
