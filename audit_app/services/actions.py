"""Corrective actions: created from a failed question (by a checklist's rules or by hand) or standalone for a
store, worked through by the store, verified and closed by its area manager or reopened.

Lifecycle: open -> in progress -> resolved (a comment, and an evidence photo where the action asks for one) ->
closed (verified by the area manager or head office, or by the next visit passing the same question), or
reopened with a reason (by a manager, or by the next visit failing the same question again); a reopened action
is worked through again. Every change is one transaction that writes the action's own history
(`ActionEvent`), the audit log, and then tells the listeners registered with `add_listener` (after the commit:
e-mail and other notifications hook in there, and a listener that fails never undoes or fails the change).

Who may do what: head office everything; an area manager everything for the stores of their areas; a store
manager works on their own stores' actions (start, resolve) and reads them; the assignee may work on theirs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session, aliased

import scoring
from audit_app.models import (
    Action, ActionEvent, Area, ChecklistVersion, Store, User, Visit, area_managers, store_managers,
)
from audit_app.models.actions import ACTION_OPEN_STATUSES, ACTION_PRIORITIES, ACTION_STATUSES
from audit_app.services import access, audit, photos
from audit_app.services.errors import N_, NotFoundError, PermissionDeniedError, ServiceError
from audit_app.services.zones import local_time

log = logging.getLogger(__name__)

# An open action due within this many days (counting today) is "due soon".
DUE_SOON_DAYS = 3
MAX_TITLE = 200
MAX_TEXT = 4000
# Who a rule (or a person) hands an action to: the store's manager or the store's area manager.
ASSIGNEE_KINDS = ("store_manager", "area_manager")
EVIDENCE_KEY = "action-evidence"


class ActionError(ServiceError):
    """A change refused; `field` names the form field it concerns ("" for the action as a whole)."""

    def __init__(self, message: str = "", /, field: str = "", **params: object) -> None:
        super().__init__(message, **params)
        self.field = field


@dataclass(frozen=True)
class ActionChange:
    """What listeners hear after a change commits."""

    action_id: int
    kind: str  # created | started | resolved | closed | reopened | reassigned | verified | failed_again | overdue
    at: datetime
    actor_id: int | None
    store_id: int
    assignee_id: int | None
    status: str
    visit_id: int | None = None


Listener = Callable[[ActionChange], None]
_listeners: list[Listener] = []


def add_listener(listener: Listener) -> None:
    """Call `listener` with every ActionChange once it has committed."""
    if listener not in _listeners:
        _listeners.append(listener)


def remove_listener(listener: Listener) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def emit(changes: Collection[ActionChange]) -> None:
    """Tell every listener about changes that have committed (a failing listener is logged, never raised)."""
    for change in changes:
        for listener in list(_listeners):
            try:
                listener(change)
            except Exception:  # noqa: BLE001 - a notification problem must never fail the change itself
                log.exception("action listener failed for action %s (%s)", change.action_id, change.kind)


# --- dates -----------------------------------------------------------------------------------------------------


def store_today(store_timezone: str | None, now: datetime) -> date:
    """Today's date where the store is."""
    return local_time(now, store_timezone).date()


def is_overdue(due_on: date, store_timezone: str | None, now: datetime) -> bool:
    """The one rule for "overdue": the due date has passed in the store's own day (not the server's)."""
    return due_on < store_today(store_timezone, now)


def reopened_due_on(action: Action, store_timezone: str | None, now: datetime) -> date:
    """The due date of an action reopened now: as many days from the store's today as it was first given (at
    least one), and never earlier than the date it had. Without it a reopened action would be overdue at once."""
    allowance = max(1, (action.due_on - store_today(store_timezone, action.created_at)).days)
    return max(action.due_on, store_today(store_timezone, now) + timedelta(days=allowance))


def mark_overdue(session: Session, *, now: datetime) -> int:
    """Note, once per action, that an unfinished action has passed its due date (in its store's own day): a line
    in its history, an `action.overdue` webhook event and an e-mail to its assignee; remind the assignee once when
    it is due within DUE_SOON_DAYS. Run by the scheduled job; returns how many became overdue."""
    # Noted already: an overdue line since the action was last reopened (a reopened action has a new due date).
    reopening = aliased(ActionEvent)
    last_reopened = (select(func.max(reopening.at))
                     .where(reopening.action_id == Action.id, reopening.kind.in_(("reopened", "failed_again")))
                     .correlate(Action).scalar_subquery())
    noted = exists().where(ActionEvent.action_id == Action.id, ActionEvent.kind == "overdue",
                           or_(last_reopened.is_(None), ActionEvent.at > last_reopened))
    candidates = session.execute(
        select(Action, Store.timezone).join(Store, Action.store_id == Store.id)
        .where(Action.status.in_(ACTION_OPEN_STATUSES), ~noted).order_by(Action.id)).all()
    from audit_app.services import notifications

    count = 0
    for action, timezone_name in candidates:
        today = store_today(timezone_name, now)
        if today <= action.due_on <= today + timedelta(days=DUE_SOON_DAYS):
            notifications.notify_action(session, notifications.ACTION_DUE_SOON.key, action, now=now,
                                        dedupe_key=f"action_due_soon:{action.id}:{action.due_on.isoformat()}")
        if not is_overdue(action.due_on, timezone_name, now):
            continue
        session.add(ActionEvent(action_id=action.id, at=now, actor_id=None, kind="overdue",
                                from_status=action.status, to_status=action.status))
        announce(session, ActionChange(action.id, "overdue", now, None, action.store_id, action.assignee_id,
                                       action.status))
        count += 1
    session.commit()
    return count


def due_state(status: str, due_on: date, today: date) -> str:
    """"overdue", "due_soon" or "" for an action still to be done; "" once resolved or closed."""
    if status not in ACTION_OPEN_STATUSES:
        return ""
    if due_on < today:
        return "overdue"
    if due_on < today + timedelta(days=DUE_SOON_DAYS):
        return "due_soon"
    return ""


# --- who may do what -------------------------------------------------------------------------------------------


def can_manage(session: Session, user: User, store: Store) -> bool:
    """Create, reassign, close and reopen: head office, or the area manager of the store's area."""
    if user.role == "head_office":
        return True
    return user.role == "area_manager" and store.area_id in access.managed_area_ids(session, user)


def can_work(session: Session, user: User, action: Action, store: Store) -> bool:
    """Start and resolve: whoever may manage it, the store's manager, and the assignee."""
    if can_manage(session, user, store) or action.assignee_id == user.id:
        return True
    return user.role == "store_manager" and store.id in access.managed_store_ids(session, user)


def _load(session: Session, user: User, action_id: int) -> tuple[Action, Store]:
    action = session.get(Action, action_id)
    if action is None:
        raise NotFoundError(N_("No such action."))
    if user.role == "shopper":
        raise PermissionDeniedError(N_("Corrective actions are for store managers, area managers and head office."))
    store = access.store_for(session, user, action.store_id)
    return action, store


def get_action(session: Session, user: User, action_id: int) -> Action:
    """An action the reader may see. Raises NotFoundError, PermissionDeniedError."""
    return _load(session, user, action_id)[0]


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    role: str


def assignee_options(session: Session, store_id: int) -> list[Person]:
    """Who an action of this store may be given to: its store managers, then its area's managers."""
    store = session.get(Store, store_id)
    if store is None:
        return []
    shop = session.execute(
        select(User.id, User.name, User.role).join(store_managers, store_managers.c.user_id == User.id)
        .where(store_managers.c.store_id == store_id, User.is_active_user.is_(True)).order_by(User.name, User.id))
    area = session.execute(
        select(User.id, User.name, User.role).join(area_managers, area_managers.c.user_id == User.id)
        .where(area_managers.c.area_id == store.area_id, User.is_active_user.is_(True))
        .order_by(User.name, User.id))
    return [Person(*row) for row in shop] + [Person(*row) for row in area]


def default_assignee(session: Session, store_id: int, kind: str) -> int | None:
    """The first active store manager (kind "store_manager") or area manager of the store; None when there is
    nobody (the action then waits unassigned, and every manager of the store sees it)."""
    people = [p for p in assignee_options(session, store_id) if p.role == kind]
    return people[0].id if people else None


# --- failed questions ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionOutcome:
    key: str
    answer: object
    fraction: object
    passed: bool


def question_outcomes(card: scoring.ScoreCard) -> dict[str, QuestionOutcome]:
    """Each counted question of a card: passed (full points) or failed (less than full points). Excluded
    questions (N/A, hidden, unscored, unanswered optional) are in neither."""
    found: dict[str, QuestionOutcome] = {}
    for section in card.sections:
        for q in section.questions:
            if q.excluded is None and q.possible > 0:
                found[q.key] = QuestionOutcome(q.key, q.answer, q.fraction, q.earned >= q.possible)
    return found


def _visit_card(session: Session, visit: Visit) -> scoring.ScoreCard | None:
    from audit_app.services.scores.storage import current_score

    score = current_score(session, visit.id)
    return scoring.card_from_data(score.card) if score is not None else None


# --- creating --------------------------------------------------------------------------------------------------


def _clean_text(value: str, field: str, limit: int, *, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ActionError(N_("Give the action a title."), field=field)
    if len(value) > limit:
        raise ActionError(N_("At most %(count)s characters, please."), field=field, count=limit)
    return value


def _check_assignee(session: Session, store_id: int, assignee_id: int | None) -> None:
    if assignee_id is not None and assignee_id not in {p.id for p in assignee_options(session, store_id)}:
        raise ActionError(N_("Choose the store's manager or its area manager."), field="assignee")


def _event(session: Session, action: Action, actor: User | None, kind: str, now: datetime, *,
           from_status: str | None = None, note: str = "", visit_id: int | None = None) -> ActionChange:
    session.add(ActionEvent(action_id=action.id, at=now, actor_id=actor.id if actor else None, kind=kind,
                            from_status=from_status, to_status=action.status, note=note, visit_id=visit_id))
    action.updated_at = now
    change = ActionChange(action.id, kind, now, actor.id if actor else None, action.store_id, action.assignee_id,
                          action.status, visit_id)
    announce(session, change)
    return change


def announce(session: Session, change: ActionChange) -> None:
    """Tell the webhooks and the assignee's e-mail what changed, in the change's own transaction (sent once it
    commits)."""
    from audit_app.services import notifications, webhooks

    action = session.get(Action, change.action_id)
    if action is not None:
        if change.kind == "created":
            notifications.notify_action(session, notifications.ACTION_ASSIGNED.key, action, now=change.at)
        elif change.kind == "reopened" or (change.kind == "failed_again" and change.status == "reopened"):
            notifications.notify_action(session, notifications.ACTION_REOPENED.key, action, now=change.at,
                                        reason=action.reopen_reason if change.kind == "reopened" else "")
        elif change.kind == "overdue":
            notifications.notify_action(session, notifications.ACTION_OVERDUE.key, action, now=change.at,
                                        dedupe_key=f"action_overdue:{action.id}:{action.due_on.isoformat()}")

    event = {"created": "action.created", "closed": "action.closed", "verified": "action.closed",
             "overdue": "action.overdue"}.get(change.kind)
    if event:
        webhooks.emit(session, event, resource_id=change.action_id, now=change.at, status=change.status,
                      store_id=change.store_id)


def _snapshot(session: Session, action: Action) -> dict[str, object]:
    """An action as the audit log keeps it (the assignee by name, as the log shows it)."""
    assignee = session.scalar(select(User.name).where(User.id == action.assignee_id)) if action.assignee_id else None
    return {"status": action.status, "priority": action.priority, "assignee": assignee,
            "due_on": action.due_on.isoformat()}


def create_action(
    session: Session, user: User, *, store_id: int, title: str, priority: str, due_on: date | None,
    assignee_id: int | None, now: datetime, guidance: str = "", visit_id: int | None = None,
    question_key: str | None = None, requires_evidence: bool = False,
) -> Action:
    """Create an action by hand for a store, or for a failed question of one of its submitted visits.
    Raises ActionError (naming the field), NotFoundError, PermissionDeniedError."""
    store = access.store_for(session, user, store_id)
    if not can_manage(session, user, store):
        raise PermissionDeniedError(N_("Only the store's area manager and head office create actions."))
    title = _clean_text(title, "title", MAX_TITLE, required=True)
    guidance = _clean_text(guidance, "guidance", MAX_TEXT)
    if priority not in ACTION_PRIORITIES:
        raise ActionError(N_("Choose a priority."), field="priority")
    if due_on is None:
        raise ActionError(N_("Give a due date."), field="due_on")
    if due_on < store_today(store.timezone, now):
        raise ActionError(N_("The due date cannot be in the past."), field="due_on")
    _check_assignee(session, store.id, assignee_id)
    checklist_id = None
    if visit_id is not None:
        visit = session.get(Visit, visit_id)
        if visit is None or visit.store_id != store.id or visit.status not in ("submitted", "approved"):
            raise NotFoundError(N_("No such visit."))
        card = _visit_card(session, visit)
        outcome = question_outcomes(card).get(question_key or "") if card is not None else None
        if outcome is None or outcome.passed:
            raise ActionError(N_("Actions are created from questions the visit failed."), field="question")
        existing = session.scalar(select(Action.id).where(Action.visit_id == visit.id,
                                                          Action.question_key == question_key))
        if existing is not None:
            raise ActionError(N_("This question already has an action (number %(id)s)."), id=existing)
        checklist_id = session.scalar(select(ChecklistVersion.checklist_id)
                                      .where(ChecklistVersion.id == visit.checklist_version_id))
    elif question_key:
        raise ActionError(N_("Actions are created from questions the visit failed."), field="question")
    action = Action(store_id=store.id, checklist_id=checklist_id, visit_id=visit_id, question_key=question_key,
                    title=title, guidance=guidance, priority=priority, status="open", source="manual",
                    assignee_id=assignee_id, due_on=due_on, requires_evidence=requires_evidence,
                    created_at=now, created_by_id=user.id, updated_at=now)
    session.add(action)
    session.flush()
    change = _event(session, action, user, "created", now, visit_id=visit_id)
    audit.record(session, actor=user, action="action.create", entity_type="action", entity_id=action.id, now=now,
                 after=_snapshot(session, action))
    session.commit()
    emit([change])
    return action


# --- the lifecycle ---------------------------------------------------------------------------------------------


def _transition(session: Session, user: User, action: Action, to: str, kind: str, now: datetime, *,
                note: str = "", audit_action: str, before: dict[str, object] | None = None) -> None:
    """Move the action to `to`, with its history line and audit entry; `before` is its snapshot taken before the
    caller changed other fields (a reopening's due date)."""
    before = before if before is not None else _snapshot(session, action)
    previous = action.status
    action.status = to
    change = _event(session, action, user, kind, now, from_status=previous, note=note)
    audit.record(session, actor=user, action=audit_action, entity_type="action", entity_id=action.id, now=now,
                 before=before, after=_snapshot(session, action), detail=note)
    session.commit()
    emit([change])


def start_action(session: Session, user: User, action_id: int, *, now: datetime) -> Action:
    """Open or reopened -> in progress. Raises ActionError, NotFoundError, PermissionDeniedError."""
    action, store = _load(session, user, action_id)
    if not can_work(session, user, action, store):
        raise PermissionDeniedError(N_("This action is not yours to work on."))
    if action.status not in ("open", "reopened"):
        raise ActionError(N_("Only an open action can be started."))
    _transition(session, user, action, "in_progress", "started", now, audit_action="action.start")
    return action


def resolve_action(session: Session, user: User, action_id: int, *, comment: str, photo: bytes | None,
                   upload_dir, now: datetime) -> Action:  # type: ignore[no-untyped-def]
    """Open, in progress or reopened -> resolved, with a comment and (required where the action asks for it)
    an evidence photo, checked and stored as shoppers' photos are. Raises ActionError (naming the field),
    NotFoundError, PermissionDeniedError."""
    action, store = _load(session, user, action_id)
    if not can_work(session, user, action, store):
        raise PermissionDeniedError(N_("This action is not yours to work on."))
    if action.status not in ACTION_OPEN_STATUSES:
        raise ActionError(N_("This action is already resolved or closed."))
    comment = (comment or "").strip()
    if not comment:
        raise ActionError(N_("Say what was done."), field="comment")
    if len(comment) > MAX_TEXT:
        raise ActionError(N_("At most %(count)s characters, please."), field="comment", count=MAX_TEXT)
    if action.requires_evidence and not photo and action.evidence_sha256 is None:
        raise ActionError(N_("This action needs a photo as evidence."), field="photo")
    if photo:
        try:
            clean = photos.clean_image(photo)
        except photos.PhotoError as error:
            raise ActionError(error.message, field="photo", **error.params) from None
        try:
            photos.store_files(upload_dir, clean)
        except OSError as error:
            log.error("evidence for action %s not stored: %s", action.id, error)
            raise ActionError(N_("The photo could not be saved on the server. Please try again later."),
                              field="photo") from None
        action.evidence_sha256, action.evidence_width, action.evidence_height = clean.sha256, clean.width, \
            clean.height
    action.resolution_comment = comment
    action.resolved_at = now
    _transition(session, user, action, "resolved", "resolved", now, note=comment, audit_action="action.resolve")
    return action


def close_action(session: Session, user: User, action_id: int, *, note: str = "", now: datetime) -> Action:
    """Resolved -> closed: verified by the store's area manager or head office. Raises ActionError,
    NotFoundError, PermissionDeniedError."""
    action, store = _load(session, user, action_id)
    if not can_manage(session, user, store):
        raise PermissionDeniedError(N_("Only the store's area manager and head office verify actions."))
    if action.status != "resolved":
        raise ActionError(N_("Only a resolved action can be verified and closed."))
    note = _clean_text(note, "note", MAX_TEXT)
    action.closed_at, action.closed_by_id = now, user.id
    _transition(session, user, action, "closed", "closed", now, note=note, audit_action="action.close")
    return action


def reopen_action(session: Session, user: User, action_id: int, *, reason: str, now: datetime) -> Action:
    """Resolved or closed -> reopened, with a reason. Raises ActionError (naming the field), NotFoundError,
    PermissionDeniedError."""
    action, store = _load(session, user, action_id)
    if not can_manage(session, user, store):
        raise PermissionDeniedError(N_("Only the store's area manager and head office reopen actions."))
    if action.status not in ("resolved", "closed"):
        raise ActionError(N_("Only a resolved or closed action can be reopened."))
    reason = (reason or "").strip()
    if not reason:
        raise ActionError(N_("Say why the action is reopened."), field="reason")
    reason = _clean_text(reason, "reason", MAX_TEXT)
    before = _snapshot(session, action)
    action.reopen_reason = reason
    action.reopened_count += 1
    action.due_on = reopened_due_on(action, store.timezone, now)
    action.closed_at, action.closed_by_id = None, None
    _transition(session, user, action, "reopened", "reopened", now, note=reason, audit_action="action.reopen",
                before=before)
    return action


def reassign_action(session: Session, user: User, action_id: int, *, assignee_id: int | None, due_on: date | None,
                    priority: str, note: str = "", now: datetime) -> Action:
    """Give the action to someone else, or change its due date or priority. Raises ActionError (naming the
    field), NotFoundError, PermissionDeniedError."""
    action, store = _load(session, user, action_id)
    if not can_manage(session, user, store):
        raise PermissionDeniedError(N_("Only the store's area manager and head office reassign actions."))
    if action.status == "closed":
        raise ActionError(N_("A closed action cannot be changed; reopen it first."))
    if priority not in ACTION_PRIORITIES:
        raise ActionError(N_("Choose a priority."), field="priority")
    if due_on is None:
        raise ActionError(N_("Give a due date."), field="due_on")
    if due_on != action.due_on and due_on < store_today(store.timezone, now):
        raise ActionError(N_("The due date cannot be in the past."), field="due_on")
    _check_assignee(session, store.id, assignee_id)
    note = _clean_text(note, "note", MAX_TEXT)
    if (assignee_id, due_on, priority) == (action.assignee_id, action.due_on, action.priority):
        raise ActionError(N_("Nothing changed."))
    before = _snapshot(session, action)
    given_to_someone_new = assignee_id is not None and assignee_id != action.assignee_id
    action.assignee_id, action.due_on, action.priority = assignee_id, due_on, priority
    change = _event(session, action, user, "reassigned", now, from_status=action.status, note=note)
    if given_to_someone_new:
        from audit_app.services import notifications

        notifications.notify_action(session, notifications.ACTION_ASSIGNED.key, action, now=now)
    audit.record(session, actor=user, action="action.reassign", entity_type="action", entity_id=action.id,
                 now=now, before=before, after=_snapshot(session, action), detail=note)
    session.commit()
    emit([change])
    return action


def evidence_file_for(session: Session, user: User, action_id: int, variant: str, *, upload_dir) -> object:  # type: ignore[no-untyped-def]
    """The evidence photo's file ("full" or "thumb") for someone who may see the action. Raises NotFoundError,
    PermissionDeniedError."""
    action, _store = _load(session, user, action_id)
    if action.evidence_sha256 is None or variant not in photos.PHOTO_VARIANTS:
        raise NotFoundError(N_("No such photo."))
    full, thumb = photos.photo_paths(upload_dir, action.evidence_sha256)
    path = full if variant == "full" else thumb
    if not path.exists():
        raise NotFoundError(N_("No such photo."))
    return path


__all__ = [
    "ACTION_PRIORITIES", "ACTION_STATUSES", "ActionChange", "ActionError", "add_listener", "assignee_options",
    "close_action", "create_action", "due_state", "reassign_action", "remove_listener", "reopen_action",
    "resolve_action", "start_action",
]
