"""E-mail events: what kinds exist, who gets them, and writing them to the outbox in the caller's transaction.

A kind of e-mail is one registration (`register(Kind(...))`): its key, the words people choose it by, the roles
that get it, its subject and its template (`templates/email/<template>.txt` and `.html`, rendered when the message
is sent, in the recipient's language, from the plain values of its context). An event calls `notify(...)` before
its service commits, so the message exists exactly when the change does; `audit_app.mail` sends it afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Iterable, Mapping

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from audit_app.models import (Area, Assignment, EmailPreference, OutboxMessage, Store, User, Visit,
                              VisitScore, area_managers)
from audit_app.services.definitions import checklist_titles_in
from audit_app.services.errors import N_, NotFoundError

LANGS = ("en", "ja")


@dataclass(frozen=True)
class Kind:
    """One kind of e-mail. `subject` is an English message id whose %(name)s placeholders come from the context."""

    key: str
    label: str
    description: str
    roles: tuple[str, ...]
    subject: str
    template: str
    # False for messages a person cannot refuse (a password reset they asked for).
    is_optional: bool = True


KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    """Make a kind of e-mail known: it can then be notified, chosen on the preferences page and unsubscribed."""
    KINDS[kind.key] = kind
    return kind


ASSIGNMENT_NEW = register(Kind(
    "assignment_new", N_("New visits assigned to me"), N_("When head office assigns you visits."),
    ("shopper",), N_("New visits assigned to you"), "assignment_new"))
ASSIGNMENT_DUE_SOON = register(Kind(
    "assignment_due_soon", N_("Visits due soon"), N_("Two days before the window of an open visit ends."),
    ("shopper",), N_("Visit due soon: %(store)s"), "assignment_due_soon"))
ASSIGNMENT_OVERDUE = register(Kind(
    "assignment_overdue", N_("Overdue visits"), N_("When the window of a visit you have not submitted has ended."),
    ("shopper",), N_("Visit overdue: %(store)s"), "assignment_overdue"))
VISIT_RETURNED = register(Kind(
    "visit_returned", N_("Visits returned to me"), N_("When a reviewer returns one of your visits with a note."),
    ("shopper",), N_("Visit returned for changes: %(store)s"), "visit_returned"))
WEEKLY_DIGEST = register(Kind(
    "weekly_digest", N_("Weekly digest"), N_("Once a week: new visits in your areas and the biggest changes."),
    ("area_manager",), N_("Your week in %(areas)s"), "weekly_digest"))
PASSWORD_RESET = register(Kind(
    "password_reset", N_("Password reset"), N_("A link to choose a new password, when you ask for one."),
    ("shopper", "store_manager", "area_manager", "head_office"), N_("Choose a new password"), "password_reset",
    is_optional=False))

ACTION_ASSIGNED = register(Kind(
    "action_assigned", N_("Corrective actions given to me"),
    N_("When a corrective action is created for you or given to you."),
    ("store_manager", "area_manager", "head_office"), N_("Corrective action for %(store)s"), "action_assigned"))
ACTION_DUE_SOON = register(Kind(
    "action_due_soon", N_("Corrective actions due soon"), N_("When an unfinished action of yours is due within three days."),
    ("store_manager", "area_manager", "head_office"), N_("Corrective action due soon: %(store)s"), "action_due_soon"))
ACTION_OVERDUE = register(Kind(
    "action_overdue", N_("Overdue corrective actions"), N_("When an unfinished action of yours passes its due date."),
    ("store_manager", "area_manager", "head_office"), N_("Corrective action overdue: %(store)s"), "action_overdue"))
ACTION_REOPENED = register(Kind(
    "action_reopened", N_("Corrective actions reopened"),
    N_("When an action of yours is reopened, by a manager or by a later visit that failed again."),
    ("store_manager", "area_manager", "head_office"), N_("Corrective action reopened: %(store)s"), "action_reopened"))
SCORECARD_READY = register(Kind(
    "scorecard_ready", N_("New visits to my stores"), N_("When a visit to one of your stores counts, with a link to "
                                                          "the store's scorecard."),
    ("store_manager",), N_("New visit scored: %(store)s"), "scorecard_ready"))

# Reminders: "due soon" this many days before a window ends; overdue reminders only for windows that ended
# within this many days (so turning e-mail on does not send a reminder for every visit of the past).
DUE_SOON_DAYS = 2
OVERDUE_WITHIN_DAYS = 14
# A secret in a message's context (the password-reset link) is removed once the message is done with.
# Checked: the name of a context field, not a password.
SECRET = "secret"  # nosec B105


def link(endpoint: str, **values: Any) -> dict[str, Any]:
    """A link for a message's context, built into an address when it is rendered."""
    return {"endpoint": endpoint, "values": values}


def wants(session: Session, user_id: int, kind: str) -> bool:
    """Whether the person gets this kind of e-mail (everyone does until they say otherwise)."""
    choice = session.scalar(select(EmailPreference.is_enabled).where(EmailPreference.user_id == user_id,
                                                                      EmailPreference.kind == kind))
    return choice is None or bool(choice)


def notify(session: Session, kind: str, user: User, context: Mapping[str, Any], *, now: datetime,
           dedupe_key: str | None = None) -> OutboxMessage | None:
    """Add an e-mail of `kind` to `user` to the outbox, in the caller's transaction (nothing is committed).

    Nothing is written when the person is inactive, their role does not get this kind, they turned it off, or a
    message with the same `dedupe_key` exists. Raises KeyError for a kind nobody registered."""
    spec = KINDS[kind]
    if not user.is_active_user or user.role not in spec.roles:
        return None
    if spec.is_optional and not wants(session, user.id, kind):
        return None
    if dedupe_key is not None and session.scalar(
            select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)) is not None:
        return None
    message = OutboxMessage(user_id=user.id, to_address=user.email, kind=kind,
                            locale=user.locale if user.locale in LANGS else "en", context=dict(context),
                            dedupe_key=dedupe_key, status="pending", attempts=0, next_attempt_at=now,
                            last_error="", subject="", created_at=now)
    session.add(message)
    return message


def checklist_titles(session: Session, checklist_ids: Iterable[int]) -> dict[int, dict[str, str]]:
    """Each checklist's title in every language, for a message rendered later in its recipient's."""
    ids = set(checklist_ids)
    by_lang = {lang: checklist_titles_in(session, lang, ids) for lang in LANGS}
    return {cid: {lang: by_lang[lang].get(cid, "") for lang in LANGS} for cid in ids}


def notify_assignments(session: Session, assignments: list[Assignment], *, now: datetime) -> None:
    """Tell each shopper of these new assignments about theirs, in one message per shopper (no commit)."""
    if not assignments:
        return
    stores = dict(session.execute(select(Store.id, Store.name)
                                  .where(Store.id.in_({a.store_id for a in assignments}))).all())
    titles = checklist_titles(session, {a.checklist_id for a in assignments})
    by_shopper: dict[int, list[Assignment]] = {}
    for assignment in assignments:
        by_shopper.setdefault(assignment.shopper_id, []).append(assignment)
    for shopper_id, theirs in by_shopper.items():
        shopper = session.get(User, shopper_id)
        if shopper is None:
            continue
        items = [{"store": stores.get(a.store_id, ""), "checklist": titles.get(a.checklist_id, {}),
                  "start": a.window_start.isoformat(), "end": a.window_end.isoformat()}
                 for a in sorted(theirs, key=lambda a: (a.window_start, stores.get(a.store_id, "")))]
        notify(session, ASSIGNMENT_NEW.key, shopper, {"assignments": items, "link": link("shopper.home")}, now=now)


def notify_visit_returned(session: Session, visit: Visit, *, now: datetime) -> None:
    """Tell the shopper their visit came back, with the reviewer's note (no commit)."""
    shopper = session.get(User, visit.shopper_id)
    store = session.get(Store, visit.store_id)
    if shopper is None or store is None:
        return
    notify(session, VISIT_RETURNED.key, shopper,
           {"store": store.name, "note": visit.review_note or "", "link": link("shopper.home")}, now=now)


def notify_action(session: Session, kind: str, action: Any, *, now: datetime, reason: str = "",
                  dedupe_key: str | None = None) -> None:
    """Tell an action's assignee (if any) about it: given to them, due soon, overdue or reopened (no commit)."""
    if action.assignee_id is None:
        return
    assignee = session.get(User, action.assignee_id)
    store = session.get(Store, action.store_id)
    if assignee is None or store is None:
        return
    title = {"en": action.title, "ja": action.title_ja or action.title}
    notify(session, kind, assignee, {"store": store.name, "title": title, "due": action.due_on.isoformat(),
                                     "priority": action.priority, "reason": reason,
                                     "link": link("actions.detail", action_id=action.id)},
           now=now, dedupe_key=dedupe_key)


def notify_scorecard_ready(session: Session, visit: Visit, *, now: datetime, percent: Any = None) -> None:
    """Tell the store's managers that a visit to their store now counts, with a link to its scorecard (no
    commit). Each visit is told once, however often it is re-scored or approved. `percent`: the visit's
    current score, when the caller has it (otherwise it is read)."""
    from audit_app.models import store_managers

    store = session.get(Store, visit.store_id)
    if store is None:
        return
    score = percent if percent is not None else session.scalar(
        select(VisitScore.percent).where(VisitScore.visit_id == visit.id, VisitScore.current()))
    managers = session.scalars(select(User).join(store_managers, store_managers.c.user_id == User.id)
                               .where(store_managers.c.store_id == store.id).order_by(User.id))
    for manager in managers:
        notify(session, SCORECARD_READY.key, manager,
               {"store": store.name, "score": float(score) if score is not None else None,
                "link": link("manager.store", store_id=store.id),
                "pdf": link("manager.store_pdf", store_id=store.id)},
               now=now, dedupe_key=f"scorecard_ready:{visit.id}:{manager.id}")


# --- preferences and unsubscribing -------------------------------------------------------------------------


@dataclass(frozen=True)
class Preference:
    kind: str
    label: str
    description: str
    is_enabled: bool


def kinds_for(role: str) -> list[Kind]:
    """The kinds of e-mail a role may choose, in the order they were registered."""
    return [kind for kind in KINDS.values() if kind.is_optional and role in kind.roles]


def list_preferences(session: Session, user: User) -> list[Preference]:
    """The person's choice for each kind of e-mail their role gets."""
    chosen = dict(session.execute(select(EmailPreference.kind, EmailPreference.is_enabled)
                                  .where(EmailPreference.user_id == user.id)).all())
    session.rollback()
    return [Preference(k.key, k.label, k.description, bool(chosen.get(k.key, True))) for k in kinds_for(user.role)]


def _set(session: Session, user_id: int, kind: str, enabled: bool, now: datetime) -> None:
    row = session.get(EmailPreference, (user_id, kind))
    if row is None:
        session.add(EmailPreference(user_id=user_id, kind=kind, is_enabled=enabled, updated_at=now))
    else:
        row.is_enabled = enabled
        row.updated_at = now


def set_preferences(session: Session, user: User, enabled: Iterable[str], *, now: datetime) -> None:
    """Keep the person's choice: the kinds in `enabled` on, every other kind of their role off."""
    wanted = set(enabled)
    for kind in kinds_for(user.role):
        _set(session, user.id, kind.key, kind.key in wanted, now)
    session.commit()


@dataclass(frozen=True)
class Unsubscribed:
    email: str
    label: str


def describe_unsubscribe(session: Session, user_id: int, kind: str) -> Unsubscribed:
    """Whose e-mail of which kind a signed unsubscribe link names. Raises NotFoundError when it names nothing."""
    user = session.get(User, user_id)
    spec = KINDS.get(kind)
    if user is None or spec is None or not spec.is_optional:
        raise NotFoundError(N_("This unsubscribe link names no e-mail."))
    found = Unsubscribed(user.email, spec.label)
    session.rollback()
    return found


def unsubscribe(session: Session, user_id: int, kind: str, *, now: datetime) -> Unsubscribed:
    """Turn one kind of e-mail off for one person (safe to repeat). Raises NotFoundError as describe_unsubscribe."""
    found = describe_unsubscribe(session, user_id, kind)
    _set(session, user_id, kind, False, now)
    session.commit()
    return found


# --- the outbox, for head office -------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutboxRow:
    id: int
    kind: str
    label: str
    to_address: str
    locale: str
    status: str
    attempts: int
    subject: str
    last_error: str
    created_at: datetime
    sent_at: datetime | None
    next_attempt_at: datetime


def _row(message: OutboxMessage) -> OutboxRow:
    spec = KINDS.get(message.kind)
    return OutboxRow(message.id, message.kind, spec.label if spec else message.kind, message.to_address,
                     message.locale, message.status, message.attempts, message.subject, message.last_error,
                     message.created_at, message.sent_at, message.next_attempt_at)


def list_outbox(session: Session, *, limit: int = 50) -> tuple[list[OutboxRow], dict[str, int]]:
    """The latest messages of the outbox, newest first, and how many there are in each status."""
    rows = [_row(m) for m in session.scalars(select(OutboxMessage)
                                              .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc()).limit(limit))]
    counts = dict(session.execute(select(OutboxMessage.status, func.count())
                                  .group_by(OutboxMessage.status)).all())
    session.rollback()
    return rows, {status: int(n) for status, n in counts.items()}


def get_outbox_message(session: Session, message_id: int) -> OutboxMessage:
    """One message of the outbox (detached, for rendering). Raises NotFoundError."""
    message = session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFoundError(N_("No such e-mail."))
    session.expunge(message)
    session.rollback()
    return message


# --- scheduled messages --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduledSummary:
    due_soon: int
    overdue: int
    digests: int


def _assignment_context(session: Session, rows: list[Assignment]) -> dict[int, dict[str, Any]]:
    stores = dict(session.execute(select(Store.id, Store.name)
                                  .where(Store.id.in_({a.store_id for a in rows} or {0}))).all())
    titles = checklist_titles(session, {a.checklist_id for a in rows})
    return {a.id: {"store": stores.get(a.store_id, ""), "checklist": titles.get(a.checklist_id, {}),
                   "start": a.window_start.isoformat(), "end": a.window_end.isoformat(),
                   "link": link("shopper.home")} for a in rows}


def _reminders(session: Session, today: date, now: datetime) -> tuple[int, int]:
    open_statuses = ("open", "started")
    due_rows = list(session.scalars(select(Assignment).where(
        Assignment.status.in_(open_statuses), Assignment.window_end >= today,
        Assignment.window_end <= today + timedelta(days=DUE_SOON_DAYS))))
    late_rows = list(session.scalars(select(Assignment).where(
        Assignment.status.in_(open_statuses), Assignment.window_end < today,
        Assignment.window_end >= today - timedelta(days=OVERDUE_WITHIN_DAYS))))
    counts = []
    for kind, rows in ((ASSIGNMENT_DUE_SOON.key, due_rows), (ASSIGNMENT_OVERDUE.key, late_rows)):
        contexts = _assignment_context(session, rows)
        written = 0
        for assignment in rows:
            shopper = session.get(User, assignment.shopper_id)
            if shopper is not None and notify(session, kind, shopper, contexts[assignment.id], now=now,
                                              dedupe_key=f"{kind}:{assignment.id}"):
                written += 1
        counts.append(written)
    return counts[0], counts[1]


def _digest(session: Session, manager: User, now: datetime) -> dict[str, Any] | None:
    area_ids = list(session.scalars(select(area_managers.c.area_id).where(area_managers.c.user_id == manager.id)))
    if not area_ids:
        return None
    areas = [name for (name,) in session.execute(select(Area.name).where(Area.id.in_(area_ids)).order_by(Area.name))]
    since = now - timedelta(days=7)
    counted = ("submitted", "approved")
    recent = session.execute(
        select(Visit.id, Visit.store_id, Store.name, Visit.submitted_at, VisitScore.percent)
        .join(Store, Store.id == Visit.store_id)
        .join(VisitScore, (VisitScore.visit_id == Visit.id) & VisitScore.current())
        .where(Store.area_id.in_(area_ids), Visit.status.in_(counted), Visit.submitted_at >= since,
               Visit.submitted_at <= now)
        .order_by(Visit.submitted_at.desc(), Visit.id.desc())).all()
    from audit_app.models import Action
    from audit_app.models.actions import ACTION_OPEN_STATUSES
    from audit_app.services.actions import is_overdue

    # Overdue in each store's own day, as the action pages and the hourly overdue notes judge it (a day either
    # side of UTC at most, so the database narrows by a day's margin and the rule decides).
    late = [(title, title_ja, due, store) for title, title_ja, due, store, zone in session.execute(
        select(Action.title, Action.title_ja, Action.due_on, Store.name, Store.timezone)
        .join(Store, Store.id == Action.store_id)
        .where(Store.area_id.in_(area_ids), Action.status.in_(ACTION_OPEN_STATUSES),
               Action.due_on <= now.date() + timedelta(days=1))
        .order_by(Action.due_on, Action.id)) if is_overdue(due, zone, now)]
    if not recent and not late:
        return None  # a quiet week sends nothing: a digest that says nothing teaches people to ignore it
    changes = []
    for visit_id, store_id, store_name, submitted_at, percent in recent:
        previous = session.scalar(
            select(VisitScore.percent).join(Visit, Visit.id == VisitScore.visit_id)
            .where(Visit.store_id == store_id, Visit.status.in_(counted), VisitScore.current(),
                   (Visit.submitted_at < submitted_at) | ((Visit.submitted_at == submitted_at) & (Visit.id < visit_id)))
            .order_by(Visit.submitted_at.desc(), Visit.id.desc()).limit(1))
        if previous is not None and percent is not None:
            changes.append({"store": store_name, "percent": percent, "change": percent - previous})
    changes.sort(key=lambda c: (-abs(c["change"]), c["store"]))
    return {"areas": ", ".join(areas), "visit_count": len(recent),
            "visits": [{"store": name, "date": at.date().isoformat(), "percent": pct}
                       for _, _, name, at, pct in recent[:10]],
            "changes": changes[:5], "link": link("manager.home"),
            "overdue_count": len(late), "actions_link": link("actions.index"),
            "overdue": [{"store": store, "title": {"en": title, "ja": title_ja or title}, "due": due.isoformat()}
                        for title, title_ja, due, store in late[:10]]}


def write_scheduled(session: Session, *, now: datetime) -> ScheduledSummary:
    """Write the reminders that are due (visits due soon, overdue) and this week's digests, each only once.

    Safe to run as often as wanted (e.g. hourly from cron): a reminder is written once per assignment, a digest
    once per manager per ISO week, and only for a week with new visits in their areas. Reminders count UTC days;
    a corrective action is overdue by its store's own day (`actions.is_overdue`). Commits."""
    today = now.date()
    due_soon, overdue = _reminders(session, today, now)
    year, week, _ = today.isocalendar()
    digests = 0
    for manager in session.scalars(select(User).where(User.role == "area_manager", User.is_active_user.is_(True))
                                   .order_by(User.id)).all():
        key = f"{WEEKLY_DIGEST.key}:{manager.id}:{year}-W{week:02d}"
        if not wants(session, manager.id, WEEKLY_DIGEST.key) or session.scalar(
                select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key)) is not None:
            continue
        context = _digest(session, manager, now)
        if context is not None and notify(session, WEEKLY_DIGEST.key, manager, context, now=now, dedupe_key=key):
            digests += 1
    session.commit()
    return ScheduledSummary(due_soon, overdue, digests)


def forget_secrets(session: Session, *, now: datetime, older_than: timedelta) -> int:
    """Remove the secret (a reset link) from messages written more than `older_than` ago that still hold one,
    sent or not: the link no longer works, and nobody should read it in the outbox. Commits; returns how many."""
    cleared = 0
    for message in session.scalars(select(OutboxMessage).where(OutboxMessage.kind == PASSWORD_RESET.key,
                                                               OutboxMessage.created_at < now - older_than)):
        if SECRET in (message.context or {}):
            message.context = {k: v for k, v in message.context.items() if k != SECRET}
            cleared += 1
    session.commit()
    return cleared


