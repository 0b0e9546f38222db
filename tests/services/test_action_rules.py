"""A checklist's action rules: which failure creates which action, when (submit, or approval under review), and
how the next visit's answer to the same question verifies or reopens it."""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest
from sqlalchemy import func, select

import scoring
from audit_app.extensions import db
from audit_app.models import Action, ActionEvent, AuditLog
from audit_app.services import action_rules, actions, review, settings
from audit_app.services.action_lists import visit_actions
from tests.factories import NOW, World, jpeg, make_published_checklist, make_submitted_visit


def rules_checklist() -> dict:
    """Four failures to tell apart: an option's rule, a band's rule, a question's rule, a critical default,
    and a question whose rule turns the default off."""
    return {
        "key": "rules_check", "title": {"en": "Rules check", "ja": "ルール確認"}, "channel": "in_store",
        "grades": [{"min": 0, "label": "All"}],
        "sections": [{"key": "s", "title": "Store", "questions": [
            {"key": "display", "type": "choice", "text": "Window display?", "options": [
                {"key": "good", "text": "Current", "fraction": 1},
                {"key": "old", "text": "Outdated", "fraction": 0.5},
                {"key": "empty", "text": "Empty", "fraction": 0,
                 "action": {"priority": "high", "due_in_days": 5, "title": {"en": "Dress the window",
                                                                             "ja": "ウィンドウを飾る"}}}]},
            {"key": "queue", "type": "duration", "text": "Queue wait", "bands": [
                {"max": 120, "fraction": 1}, {"max": 300, "fraction": 0.5},
                {"fraction": 0, "action": {"priority": "medium", "due_in_days": 7, "assignee": "area_manager",
                                           "title": "Open a second till at peak times"}}]},
            {"key": "greeted", "type": "yes_no", "text": {"en": "Greeted?", "ja": "挨拶？"},
             "action": {"priority": "low", "due_in_days": 10, "evidence": True,
                        "guidance": {"en": "Brief the team.", "ja": "チームに周知する。"}}},
            {"key": "hazard", "type": "yes_no", "good": "no", "text": "Hazard seen?", "critical": {"effect": "zero_visit"}},
            {"key": "exit", "type": "yes_no", "good": "no", "text": "Exit blocked?", "critical": {"effect": "zero_visit"},
             "action": {"create": False}},
        ]}],
    }


ALL_FAIL = {"display": "empty", "queue": 400, "greeted": "no", "hazard": "yes", "exit": "yes"}
ALL_PASS = {"display": "good", "queue": 60, "greeted": "yes", "hazard": "no", "exit": "no"}


def _actions() -> dict[str, Action]:
    db.session.rollback()
    return {a.question_key: a for a in db.session.scalars(select(Action))}


def test_each_failure_creates_the_action_its_rule_names(app, world: World) -> None:
    version = make_published_checklist(rules_checklist())
    visit = make_submitted_visit(world.shopper, world.store, version.checklist_id, ALL_FAIL, at=NOW)
    found = _actions()
    assert sorted(found) == ["display", "greeted", "hazard", "queue"]  # exit: create: false
    today = NOW.date() if NOW.hour < 15 else NOW.date() + timedelta(days=1)  # the store's date (Tokyo)
    display, queue, greeted, hazard = found["display"], found["queue"], found["greeted"], found["hazard"]
    assert (display.priority, display.due_on, display.title, display.title_ja, display.assignee_id) == \
        ("high", today + timedelta(days=5), "Dress the window", "ウィンドウを飾る", world.store_manager.id)
    assert (queue.priority, queue.assignee_id, queue.title) == ("medium", world.manager.id,
                                                                 "Open a second till at peak times")
    assert (greeted.title, greeted.title_ja, greeted.guidance_ja, greeted.requires_evidence) == \
        ("Greeted?", "挨拶？", "チームに周知する。", True)
    assert (hazard.priority, hazard.due_on, hazard.source) == ("critical", today + timedelta(days=3), "rule")
    assert {a.visit_id for a in found.values()} == {visit.id}
    assert db.session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "action.rule")) == 4


def test_a_partial_failure_without_its_own_rule_creates_nothing(app, world: World) -> None:
    version = make_published_checklist(rules_checklist())
    make_submitted_visit(world.shopper, world.store, version.checklist_id,
                         {**ALL_PASS, "display": "old", "queue": 200}, at=NOW)
    assert _actions() == {}


def test_under_review_the_actions_come_with_approval_once(app, world: World) -> None:
    settings.update_settings(db.session, world.head, {"review_required": True}, now=NOW)
    version = make_published_checklist(rules_checklist())
    visit = make_submitted_visit(world.shopper, world.store, version.checklist_id, ALL_FAIL, at=NOW)
    assert _actions() == {}
    review.decide(db.session, world.head, visit.id, "approve", now=NOW + timedelta(hours=1))
    assert len(_actions()) == 4
    assert action_rules.visit_counted(db.session, db.session.get(type(visit), visit.id), now=NOW) == []
    db.session.commit()
    assert len(_actions()) == 4


def test_the_next_visit_verifies_what_it_passes_and_reopens_what_it_fails_again(app, world: World) -> None:
    version = make_published_checklist(rules_checklist())
    make_submitted_visit(world.shopper, world.store, version.checklist_id, ALL_FAIL, at=NOW)
    found = _actions()
    actions.resolve_action(db.session, world.store_manager, found["greeted"].id, comment="Team briefed",
                           photo=jpeg(), upload_dir=world.upload_dir,
                           now=NOW + timedelta(days=1))
    actions.resolve_action(db.session, world.store_manager, found["display"].id, comment="New display",
                           photo=None, upload_dir=world.upload_dir, now=NOW + timedelta(days=1))
    later = make_submitted_visit(world.shopper, world.store, version.checklist_id,
                                 {**ALL_PASS, "greeted": "no", "queue": 500}, at=NOW + timedelta(days=20))
    after = _actions()
    assert len(after) == 4  # repeat failures are recorded on the open actions, not made twice
    assert (after["display"].status, after["display"].followup_result, after["display"].followup_visit_id) == \
        ("closed", "passed", later.id)
    assert (after["hazard"].status, after["hazard"].followup_result) == ("closed", "passed")
    assert (after["greeted"].status, after["greeted"].reopened_count, after["greeted"].followup_result) == \
        ("reopened", 1, "failed")
    # Reopened by the visit, it is given its days again rather than being overdue at once.
    assert after["greeted"].due_on > actions.store_today(world.store.timezone, NOW + timedelta(days=20))
    assert (after["queue"].status, after["queue"].followup_result) == ("open", "failed")
    kinds = {(e.action_id, e.kind) for e in db.session.scalars(select(ActionEvent).where(
        ActionEvent.visit_id == later.id))}
    assert kinds == {(after["display"].id, "verified"), (after["hazard"].id, "verified"),
                     (after["greeted"].id, "failed_again"), (after["queue"].id, "failed_again")}
    # The visit's page says which were reopened (resolved before) and which simply stay open.
    shown = {key: result for _, _, key, result in visit_actions(db.session, world.head, later).followed_up}
    assert shown == {"display": "passed", "hazard": "passed", "greeted": "reopened", "queue": "still_open"}


@pytest.mark.parametrize(("change", "problem"), [
    ({"action": {"priority": "urgent"}}, "unknown priority 'urgent'"),
    ({"action": {"due_in_days": 400}}, "`due_in_days` must be from 0 to 365 days"),
    ({"action": {"assignee": "shopper"}}, "unknown assignee 'shopper'"),
    ({"weight": 0, "action": {"priority": "low"}}, "an action rule needs a question that carries points"),
])
def test_a_bad_rule_is_reported_in_plain_words(change: dict, problem: str) -> None:
    data = copy.deepcopy(rules_checklist())
    data["sections"][0]["questions"][2].update(change)
    with pytest.raises(scoring.ChecklistError) as caught:
        scoring.parse_checklist(data)
    assert problem in str(caught.value)


def test_an_option_that_earns_full_points_cannot_create_an_action() -> None:
    data = copy.deepcopy(rules_checklist())
    data["sections"][0]["questions"][0]["options"][0]["action"] = {"priority": "low"}
    with pytest.raises(scoring.ChecklistError) as caught:
        scoring.parse_checklist(data)
    assert "an option that earns full points cannot create an action" in str(caught.value)


def test_rules_survive_the_round_trip_through_plain_data() -> None:
    checklist = scoring.parse_checklist(rules_checklist())
    again = scoring.parse_checklist(scoring.checklist_to_data(checklist))
    assert again == checklist
    assert again.question("queue").bands[-1].action.assignee == "area_manager"
