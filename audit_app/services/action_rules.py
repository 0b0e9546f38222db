"""A checklist's action rules at work: when a visit starts to count (submitted, or approved when head office
reviews visits), its answers follow up the store's earlier actions on the same questions, and its failures
create the actions its checklist's rules ask for.

Following up: an action of the same store, checklist and question, created before this visit and not yet
closed, is verified and closed when the visit passes the question, and reopened (if it was resolved) or marked
as failed again when the visit fails it; the action and the visit both say so.

Creating: a failed question creates the action of the rule of the option chosen (the highest priority among
several chosen options) or of the band the value fell in, else of the question's own rule, else — for a
critical failure — the default critical action (`scoring.schema.DEFAULT_CRITICAL_ACTION`). A rule with
`create: false` creates nothing. A question that still has an action to do at the store (the one just followed
up) gets no second one: the repeat failure is recorded on it instead.

Both run inside the caller's transaction (submitting or approving the visit), so a visit never counts without
its actions; the caller commits and then calls `services.actions.emit` with the changes returned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

import scoring
from audit_app.models import Action, ActionEvent, ChecklistVersion, Store, Visit
from audit_app.services import audit
from audit_app.services.actions import (
    ActionChange, announce, default_assignee, question_outcomes, reopened_due_on, store_today,
)
from audit_app.services.scores.scope import definition_for
from scoring.schema import DEFAULT_CRITICAL_ACTION, PRIORITIES, ActionRule

PRIORITY_ORDER = {p: i for i, p in enumerate(PRIORITIES)}


def _number(value: object) -> Fraction | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return Fraction(str(value))
    except (ValueError, ZeroDivisionError):
        return None


def rule_for(question: scoring.Question, result: Any) -> ActionRule | None:
    """The rule a failed question's answer calls for (see the module docstring), None when it creates nothing.
    `result` is the question's line of the score card."""
    if result.excluded is not None or result.possible <= 0 or result.earned >= result.possible:
        return None
    specific: ActionRule | None = None
    answer = result.answer
    if question.options:
        chosen = set(answer) if isinstance(answer, (list, tuple)) else {answer}
        rules = [o.action for o in question.options if o.key in chosen and o.action is not None]
        if rules:
            specific = max(rules, key=lambda r: (r.create, PRIORITY_ORDER[r.priority]))
    elif question.bands:
        value = _number(answer)
        band = next((b for b in question.bands if value is not None and b.matches(value)), None)
        if band is not None and band.action is not None:
            specific = band.action
    rule = specific or question.action
    if rule is None and question.critical is not None and result.is_critical_failure:
        rule = DEFAULT_CRITICAL_ACTION
    if rule is None or not rule.create:
        return None
    return rule


@dataclass(frozen=True)
class PlannedAction:
    """An action the draft's rules would create for one visit (the what-if counts these)."""

    question_key: str
    priority: str


def planned_actions(definition: scoring.Checklist, card: scoring.ScoreCard) -> list[PlannedAction]:
    """What a checklist's rules make of one score card, without the database."""
    found = []
    for section in card.sections:
        for line in section.questions:
            try:
                question = definition.question(line.key)
            except KeyError:
                continue
            rule = rule_for(question, line)
            if rule is not None:
                found.append(PlannedAction(line.key, rule.priority))
    return found


def _japanese(text: scoring.Text | None) -> str:
    """The Japanese of a rule's text, "" when it has none (pages then show the English)."""
    return text.get("ja") if text is not None and "ja" in text.languages else ""


def visit_counted(session: Session, visit: Visit, *, now: datetime,
                  scored: tuple[scoring.ScoreCard, scoring.Checklist] | None = None,
                  checklist_id: int | None = None) -> list[ActionChange]:
    """Follow up earlier actions and create the rules' actions for a visit that now counts, inside the caller's
    transaction; returns the changes for the caller to emit after it commits. Running it again for the same
    visit changes nothing. `scored`: the visit's current card and the checklist version it was scored against,
    when the caller has just scored it (otherwise both are read from the stored score); `checklist_id`: the
    checklist of the visit's version, when the caller has it."""
    from audit_app.services import notifications

    if scored is not None:
        card, definition = scored
        notifications.notify_scorecard_ready(session, visit, now=now, percent=card.percent)
    else:
        from audit_app.services.scores.storage import current_score

        score = current_score(session, visit.id)
        if score is None:
            return []
        notifications.notify_scorecard_ready(session, visit, now=now, percent=score.percent)
        try:
            card = scoring.card_from_data(score.card)
        except (KeyError, TypeError, ValueError):
            # A stored card this code cannot read (written by hand, or by an older format) creates nothing: the
            # visit still counts.
            return []
        definition = definition_for(session, score.checklist_version_id)
    if checklist_id is None:
        checklist_id = session.scalar(select(ChecklistVersion.checklist_id)
                                      .where(ChecklistVersion.id == visit.checklist_version_id))
    store = session.get(Store, visit.store_id)
    outcomes = question_outcomes(card)
    at = visit.submitted_at or now
    # One read for both uses: the store's open actions of the checklist (some to follow up) and the visit's own.
    # Whether an action's question was answered is looked up here, not sent as an IN list of every question:
    # expanding that list into the statement cost more than the rest of the read.
    open_here = and_(Action.store_id == visit.store_id, Action.checklist_id == checklist_id,
                     Action.status != "closed")
    due = and_(open_here, Action.created_at <= at,
               (Action.visit_id.is_(None)) | (Action.visit_id != visit.id),
               (Action.followup_visit_id.is_(None)) | (Action.followup_visit_id != visit.id))
    known = session.execute(select(Action, due).where(Action.question_key.is_not(None),
                                                      or_(open_here, Action.visit_id == visit.id))
                            .order_by(Action.id)).all()
    follow = [action for action, is_due in known if is_due and action.question_key in outcomes] \
        if checklist_id is not None and outcomes else []
    changes = _follow_up(session, visit, follow, outcomes, now=now)
    # Questions that get no new action: one still open for the store (after the follow-ups above), or one this
    # visit already created.
    skipped = {action.question_key for action, _ in known
               if action.visit_id == visit.id or (action.store_id == visit.store_id
                                                  and action.checklist_id == checklist_id
                                                  and action.status != "closed")}
    day = store_today(store.timezone, at)
    for section in card.sections:
        for line in section.questions:
            if line.key in skipped:
                continue
            try:
                question = definition.question(line.key)
            except KeyError:
                continue
            if not question.is_for_stores:
                continue
            rule = rule_for(question, line)
            if rule is None:
                continue
            title = rule.title or question.text
            action = Action(
                store_id=visit.store_id, checklist_id=checklist_id, visit_id=visit.id, question_key=line.key,
                title=title.get("en")[:200], title_ja=_japanese(title)[:200],
                guidance=rule.guidance.get("en") if rule.guidance else "", guidance_ja=_japanese(rule.guidance),
                priority=rule.priority, status="open", source="rule",
                assignee_id=default_assignee(session, visit.store_id, rule.assignee),
                due_on=day + timedelta(days=rule.due_in_days), requires_evidence=rule.evidence,
                created_at=now, created_by_id=None, updated_at=now)
            session.add(action)
            session.flush()
            session.add(ActionEvent(action_id=action.id, at=now, actor_id=None, kind="created", to_status="open",
                                    visit_id=visit.id))
            audit.record(session, actor=None, action="action.rule", entity_type="action", entity_id=action.id,
                         now=now, after={"status": "open", "priority": action.priority,
                                         "due_on": action.due_on.isoformat()})
            changes.append(ActionChange(action.id, "created", now, None, action.store_id, action.assignee_id,
                                        "open", visit.id))
            announce(session, changes[-1])
    return changes


def _follow_up(session: Session, visit: Visit, earlier: list[Action], outcomes: dict[str, Any], *,
               now: datetime) -> list[ActionChange]:
    """Close or reopen the store's earlier open actions (`earlier`, in id order) by this visit's outcomes."""
    changes: list[ActionChange] = []
    for action in earlier:
        passed = outcomes[action.question_key].passed
        before = action.status
        action.followup_visit_id, action.followup_result = visit.id, "passed" if passed else "failed"
        if passed:
            action.status, action.closed_at, action.closed_by_id = "closed", now, None
            kind = "verified"
        else:
            if action.status == "resolved":
                action.status = "reopened"
                action.reopened_count += 1
                action.due_on = reopened_due_on(action, session.get(Store, action.store_id).timezone, now)
            kind = "failed_again"
        action.updated_at = now
        session.add(ActionEvent(action_id=action.id, at=now, actor_id=None, kind=kind, from_status=before,
                                to_status=action.status, visit_id=visit.id))
        audit.record(session, actor=None, action="action.followup", entity_type="action", entity_id=action.id,
                     now=now, before={"status": before}, after={"status": action.status})
        changes.append(ActionChange(action.id, kind, now, None, action.store_id, action.assignee_id, action.status,
                                    visit.id))
        announce(session, changes[-1])
    return changes
