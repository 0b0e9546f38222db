"""Rubric drafts, editing through the schema, publishing and retiring, diffs, what-if and re-scoring."""

from __future__ import annotations

from datetime import timedelta
from fractions import Fraction
from typing import Any

import pytest
from sqlalchemy import func, select

from audit_app.extensions import db
from audit_app.models import AuditLog, ChecklistVersion, Visit, VisitScore
from audit_app.services import rubric_diff, rubrics, visits
from audit_app.services.scores import rescoring
from tests.factories import NOW, World, make_assignment, make_published_checklist, make_submitted_visit


def _draft(world: World) -> tuple[ChecklistVersion, rubrics.VersionInfo]:
    v1 = make_published_checklist()
    return v1, rubrics.start_draft(db.session, world.head, v1.id, now=NOW)


def _stored_scores() -> list[tuple[int, float | None, bool]]:
    return [tuple(row) for row in db.session.execute(  # type: ignore[misc]
        select(VisitScore.visit_id, VisitScore.percent, VisitScore.is_current).order_by(VisitScore.id))]


def test_a_draft_copies_its_version_and_only_one_draft_exists_at_a_time(world: World) -> None:
    v1, draft = _draft(world)
    assert (draft.number, draft.status) == (2, "draft")
    assert draft.definition == v1.definition
    with pytest.raises(rubrics.RubricError, match="already has a draft"):
        rubrics.start_draft(db.session, world.head, v1.id, now=NOW)


def test_an_edit_the_schema_rejects_saves_nothing_and_names_the_field(world: World) -> None:
    _, draft = _draft(world)
    bad = {"key": "queue_wait", "type": "duration", "text": "Queue", "bands": [{"max": 300, "fraction": 1},
                                                                                {"max": 120, "fraction": 0}]}
    with pytest.raises(rubrics.RubricProblemsError) as caught:
        rubrics.edit_draft(db.session, world.head, draft.id, rubrics.question_edit(1, 0, bad), now=NOW)
    assert [p.path for p in caught.value.problems] == ["sections[1].questions[0].bands"]
    assert rubrics.get_version(db.session, draft.id).definition == draft.definition


def test_published_versions_never_change(world: World) -> None:
    v1, _ = _draft(world)
    with pytest.raises(rubrics.NotADraftError):
        rubrics.edit_draft(db.session, world.head, v1.id, rubrics.remove_edit(0, 0), now=NOW)


def test_moving_questions_crosses_sections_at_the_edges_and_reorder_names_every_item(world: World) -> None:
    _, draft = _draft(world)
    info = rubrics.edit_draft(db.session, world.head, draft.id, rubrics.move_edit(0, 1, 1), now=NOW)
    assert [[q["key"] for q in s["questions"]] for s in info.definition["sections"]] == [
        ["greeted"], ["helpful", "queue_wait"]]
    info = rubrics.edit_draft(db.session, world.head, draft.id, rubrics.reorder_edit(None, [1, 0]), now=NOW)
    assert [s["key"] for s in info.definition["sections"]] == ["checkout", "service"]
    with pytest.raises(rubrics.RubricError):
        rubrics.edit_draft(db.session, world.head, draft.id, rubrics.reorder_edit(None, [0, 0]), now=NOW)


def test_publishing_pins_new_visits_to_the_new_version_and_keeps_old_scores(world: World) -> None:
    v1, draft = _draft(world)
    old_visit = make_submitted_visit(world.shopper, world.store, v1.checklist_id,
                                     {"greeted": "yes", "helpful": 5, "queue_wait": 200})
    before = _stored_scores()
    weight_ten = {"key": "greeted", "type": "yes_no", "text": "Were you greeted?", "weight": 10}
    rubrics.edit_draft(db.session, world.head, draft.id, rubrics.question_edit(0, 0, weight_ten), now=NOW)
    rubrics.publish_draft(db.session, world.head, draft.id, now=NOW)

    assert _stored_scores() == before
    assert db.session.get(Visit, old_visit.id).checklist_version_id == v1.id
    assignment = make_assignment(world.shopper, world.store, v1.checklist_id)
    new_visit = visits.start_visit(db.session, world.shopper, client_uuid="new-visit-uuid-1", now=NOW,
                                   assignment_id=assignment.id)
    assert new_visit.checklist_version_id == draft.id
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "checklist.publish",
                                                     AuditLog.entity_id == str(draft.id)))
    assert entry.actor_id == world.head.id


def test_publishing_retires_the_version_it_replaces_and_logs_it(world: World) -> None:
    v1, draft = _draft(world)
    rubrics.publish_draft(db.session, world.head, draft.id, now=NOW)
    assert rubrics.get_version(db.session, v1.id).status == "retired"
    assert rubrics.get_version(db.session, draft.id).status == "published"
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "checklist.retire"))
    assert (entry.entity_id, entry.actor_id, entry.detail) == (str(v1.id), world.head.id, "replaced by version 2")
    with pytest.raises(rubrics.RubricError):
        rubrics.retire_version(db.session, world.head, v1.id, now=NOW)


def test_loading_a_changed_library_checklist_retires_the_version_before(world: World) -> None:
    from tests.factories import small_checklist_data

    v1 = make_published_checklist()
    changed = small_checklist_data()
    changed["sections"][0]["questions"][0]["weight"] = 5
    v2 = make_published_checklist(changed)
    assert (db.session.get(ChecklistVersion, v1.id).status, v2.status) == ("retired", "published")


def test_retiring_the_published_version_stops_new_visits_until_another_is_published(world: World) -> None:
    v1, draft = _draft(world)
    rubrics.publish_draft(db.session, world.head, draft.id, now=NOW)
    rubrics.retire_version(db.session, world.head, draft.id, now=NOW)
    assignment = make_assignment(world.shopper, world.store, v1.checklist_id)
    with pytest.raises(visits.VisitError):
        visits.start_visit(db.session, world.shopper, client_uuid="after-retire-1", now=NOW,
                           assignment_id=assignment.id)
    again = rubrics.start_draft(db.session, world.head, v1.id, now=NOW)
    rubrics.publish_draft(db.session, world.head, again.id, now=NOW)
    visit = visits.start_visit(db.session, world.shopper, client_uuid="after-retire-2", now=NOW,
                               assignment_id=assignment.id)
    assert visit.checklist_version_id == again.id
    with pytest.raises(rubrics.RubricError):
        rubrics.retire_version(db.session, world.head, draft.id, now=NOW)


def test_what_if_shows_old_new_and_rank_per_store_and_writes_nothing(world: World) -> None:
    v1, draft = _draft(world)
    make_submitted_visit(world.shopper, world.store, v1.checklist_id,
                         {"greeted": "yes", "helpful": 1, "queue_wait": 500})
    make_submitted_visit(world.shopper, world.other_store, v1.checklist_id,
                         {"greeted": "no", "helpful": 5, "queue_wait": 60}, at=NOW + timedelta(hours=1))
    # Ginza: service (2+0)/3, checkout 0 -> 33.3; Umeda: (0+1)/3, 1 -> 66.7
    heavy_greeting = {"key": "greeted", "type": "yes_no", "text": "Were you greeted?", "weight": 20}
    rubrics.edit_draft(db.session, world.head, draft.id, rubrics.question_edit(0, 0, heavy_greeting), now=NOW)
    stored = _stored_scores()
    logged = db.session.scalar(select(func.count(AuditLog.id)))

    result = rescoring.what_if(db.session, draft.id, last=10)

    rows = {r.store_name: r for r in result.rows}
    assert result.visits == 2
    assert round(rows["Ginza"].old_percent, 1) == Fraction("33.3")
    assert round(rows["Umeda"].old_percent, 1) == Fraction("66.7")
    # Under the draft the greeting is 20 of 21 service points: Ginza (20/21)/2, Umeda (1/21 + 1)/2
    assert round(rows["Ginza"].new_percent, 1) == Fraction("47.6")
    assert round(rows["Umeda"].new_percent, 1) == Fraction("52.4")
    assert (rows["Ginza"].old_rank, rows["Ginza"].new_rank) == (2, 2)
    assert round(rows["Ginza"].change, 1) == Fraction("14.3")
    assert _stored_scores() == stored
    assert db.session.scalar(select(func.count(AuditLog.id))) == logged


def test_what_if_leaves_out_answers_the_draft_no_longer_accepts(world: World) -> None:
    v1, draft = _draft(world)
    make_submitted_visit(world.shopper, world.store, v1.checklist_id,
                         {"greeted": "yes", "helpful": 5, "queue_wait": 60})
    rubrics.edit_draft(db.session, world.head, draft.id, rubrics.remove_edit(0, 1), now=NOW)
    result = rescoring.what_if(db.session, draft.id)
    assert result.dropped_answers == 1
    assert result.rows[0].new_percent == 100.0


def test_rescoring_history_adds_current_scores_and_keeps_the_old_ones(world: World) -> None:
    v1, draft = _draft(world)
    visit = make_submitted_visit(world.shopper, world.store, v1.checklist_id,
                                 {"greeted": "no", "helpful": 5, "queue_wait": 60})
    heavy = {"key": "greeted", "type": "yes_no", "text": "Were you greeted?", "weight": 20}
    rubrics.edit_draft(db.session, world.head, draft.id, rubrics.question_edit(0, 0, heavy), now=NOW)
    with pytest.raises(rubrics.RubricError):
        rescoring.rescore_history(db.session, world.head, draft.id, now=NOW)
    rubrics.publish_draft(db.session, world.head, draft.id, now=NOW)

    assert rescoring.rescore_history(db.session, world.head, draft.id, now=NOW) == 1

    rows = db.session.execute(select(VisitScore.checklist_version_id, VisitScore.is_current, VisitScore.percent,
                                     VisitScore.scored_by_id)
                              .where(VisitScore.visit_id == visit.id).order_by(VisitScore.id)).all()
    assert [(r[0], r[1]) for r in rows] == [(v1.id, False), (draft.id, True)]
    assert round(rows[0][2], 1) == 66.7 and round(rows[1][2], 1) == 52.4
    assert rows[1][3] == world.head.id
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "checklist.rescore"))
    assert entry.actor_id == world.head.id and entry.after["visits"] == 1


def _diff(old: dict[str, Any], change: Any) -> list[str]:
    import copy

    return [str(line) for line in rubric_diff.diff_definitions(old, rubrics.validate(change(copy.deepcopy(old))))]


def test_the_diff_names_added_removed_and_changed_questions_in_plain_words() -> None:
    from tests.factories import small_checklist_data

    old = rubrics.validate(small_checklist_data())

    def change(data: dict[str, Any]) -> dict[str, Any]:
        data["sections"][0]["questions"][0]["weight"] = 3
        data["sections"][0]["questions"][0]["critical"] = {"effect": "zero_visit"}
        data["sections"][1]["questions"][0]["bands"][0]["max"] = 90
        del data["sections"][0]["questions"][1]
        data["sections"][1]["questions"].append({"key": "receipt", "type": "yes_no", "text": "Receipt given?"})
        data["grades"][0]["min"] = 85
        return data

    lines = _diff(old, change)
    assert "Question “Were you greeted?”: weight changed from “2” to “3”." in lines
    assert "Question “Were you greeted?”: critical changed from “not critical” to “Critical: sets the visit to 0”." \
        in lines
    assert ("Question “How long was the queue?”: bands changed from “≤ 120 → 1; ≤ 300 → 0.5; otherwise → 0” "
            "to “≤ 90 → 1; ≤ 300 → 0.5; otherwise → 0”.") in lines
    assert "Question “How helpful was the staff?” removed." in lines
    assert "Question “Receipt given?” (Yes / no) added to section “Checkout”." in lines
    assert "Grades changed from Good from 80%; Poor from 0% to Good from 85%; Poor from 0%." in lines
    assert _diff(old, lambda d: d) == []
