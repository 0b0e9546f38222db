"""Reading the audit log: who did what, when, filtered for head office.

Entries come back ready to word: the person's name (None for the system), what was changed named as people know it
(a store's name, a checklist's title and version), and each changed field with its value before and after, ids
replaced by names. The action and field names stay keys; the page words them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from audit_app.models import (
    Action, ApiToken, Area, Assignment, AuditLog, Checklist, ChecklistVersion, PlanVisit, Region, Store, User, Visit,
    VisitPlan, WebhookEndpoint,
)
from audit_app.services.action_lists import localised
from audit_app.services.definitions import checklist_titles_in

# The families of actions a reader filters by (the part before the dot).
KINDS = ("checklist", "visit", "flag", "store", "user", "area", "region", "assignment", "plan", "plan_visit",
         "unavailable", "action", "settings", "webhook", "api_token")
# Entries a page of the log shows.
ENTRIES_PER_PAGE = 100

# Fields whose values are ids of other rows, and the model whose name stands for them.
_REFERENCES: dict[str, type] = {"region_id": Region, "area_id": Area, "store_id": Store, "shopper_id": User,
                                "checklist_id": Checklist}
# Entries whose note a person wrote (a review note, an action's reason or comment) keep it on the page; other
# notes are service-written English whose meaning is already in the entry's changes.
_NOTES_KEPT = ("visit.", "action.")


@dataclass(frozen=True)
class Change:
    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class Entry:
    id: int
    at: datetime
    actor: str | None
    action: str
    entity_type: str
    entity_id: str
    subject: str
    version: int | None
    changes: tuple[Change, ...]
    detail: str


def _filtered(q: Any, *, kind: str, actor_id: int | None, since: date | None, until: date | None,
              day_zone: Any) -> Any:
    if kind in KINDS:
        q = q.where(AuditLog.action.like(f"{kind}.%"))
    if actor_id:
        q = q.where(AuditLog.actor_id == actor_id)
    if since:
        q = q.where(AuditLog.at >= datetime.combine(since, time.min, tzinfo=day_zone).astimezone(timezone.utc))
    if until:
        q = q.where(AuditLog.at < datetime.combine(until + timedelta(days=1), time.min, tzinfo=day_zone)
                    .astimezone(timezone.utc))
    return q


def count_entries(session: Session, *, kind: str = "", actor_id: int | None = None, since: date | None = None,
                  until: date | None = None, day_zone: Any = timezone.utc) -> int:
    """How many entries `list_entries` has for these filters over all its pages."""
    q = _filtered(select(func.count()).select_from(AuditLog), kind=kind, actor_id=actor_id, since=since,
                  until=until, day_zone=day_zone)
    return session.scalar(q) or 0


def list_actors(session: Session) -> list[tuple[int, str]]:
    """Everyone who appears in the log as the one who acted, by name: the log's "Who" filter."""
    return [(i, n) for i, n in session.execute(
        select(User.id, User.name).where(User.id.in_(select(AuditLog.actor_id).distinct())).order_by(User.name))]


def list_entries(session: Session, *, kind: str = "", actor_id: int | None = None, since: date | None = None,
                 until: date | None = None, limit: int = ENTRIES_PER_PAGE, offset: int = 0,
                 day_zone: Any = timezone.utc, lang: str = "en") -> list[Entry]:
    """Newest first, `limit` of them from `offset`. `kind` is an action family (KINDS); `since`/`until` are whole
    days in `day_zone`, inclusive. Checklists are named by their title in `lang`."""
    q = _filtered(select(AuditLog, User.name).outerjoin(User, AuditLog.actor_id == User.id),
                  kind=kind, actor_id=actor_id, since=since, until=until, day_zone=day_zone)
    q = q.order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(limit).offset(offset)
    rows = list(session.execute(q))
    names = _Names(session, [e for e, _ in rows], lang)
    return [Entry(e.id, e.at, name, e.action, e.entity_type, e.entity_id, *names.subject(e),
                  _changes(e.before, _read_after(e), names), e.detail if e.action.startswith(_NOTES_KEPT) else "")
            for e, name in rows]


def _read_after(entry: AuditLog) -> Mapping[str, Any] | None:
    """An entry's "after", as today's code writes it: an XLSForm import once wrote its source as "from" (the word
    a shopper's unavailable dates use for their first day)."""
    after = entry.after
    if entry.action == "checklist.import" and after and "from" in after:
        return {("source" if key == "from" else key): value for key, value in after.items()}
    return after


def _changes(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None, names: "_Names") -> tuple[Change, ...]:
    """The fields that differ (all of them for a creation), ids replaced by names."""
    before, after = before or {}, after or {}
    changes = []
    for field in list(dict.fromkeys([*before, *after])):
        was, now = before.get(field), after.get(field)
        if field in before and field in after and was == now:
            continue
        changes.append(Change(field, names.value(field, was), names.value(field, now)))
    return tuple(changes)


# Kinds of entry named by one column of their own row: a plan by its name, an action by its title, and so on.
# An action by its title in the reader's language.
_NAMED_BY = {"visit_plan": (VisitPlan, VisitPlan.name), "action": (Action, Action.title),
             "webhook_endpoint": (WebhookEndpoint, WebhookEndpoint.url), "api_token": (ApiToken, ApiToken.name)}


class _Names:
    """Names of the rows a page of entries mentions, loaded with one query per kind."""

    def __init__(self, session: Session, entries: list[AuditLog], lang: str) -> None:
        wanted: dict[type, set[int]] = {}

        def want(model: type, value: Any) -> None:
            if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
                wanted.setdefault(model, set()).add(int(value))

        for e in entries:
            model = {"user": User, "store": Store, "area": Area, "region": Region, "checklist": Checklist,
                     "checklist_version": ChecklistVersion, "visit": Visit, "assignment": Assignment,
                     "plan_visit": PlanVisit}.get(e.entity_type)
            if e.entity_type in _NAMED_BY:
                model = _NAMED_BY[e.entity_type][0]
            if model is not None:
                want(model, e.entity_id)
            for values in (e.before or {}, e.after or {}):
                for field, model in _REFERENCES.items():
                    want(model, values.get(field))
        self.versions = self._rows(session, ChecklistVersion, wanted, ChecklistVersion.checklist_id,
                                   ChecklistVersion.number)
        self.visits = self._rows(session, Visit, wanted, Visit.store_id)
        self.assignments = self._rows(session, Assignment, wanted, Assignment.store_id)
        self.plan_visits = self._rows(session, PlanVisit, wanted, PlanVisit.store_id)
        self.labels = {kind: {i: label for i, (label,) in self._rows(session, model, wanted, column).items()}
                       for kind, (model, column) in _NAMED_BY.items() if kind != "action"}
        self.labels["action"] = {i: localised(lang, title, title_ja) for i, (title, title_ja) in self._rows(
            session, Action, wanted, Action.title, Action.title_ja).items()}
        for rows in (self.versions, self.visits, self.assignments, self.plan_visits):
            for row in rows.values():
                want(Checklist if rows is self.versions else Store, row[0])
        self.names: dict[type, dict[int, str]] = {}
        for model, column in ((User, User.name), (Area, Area.name), (Region, Region.name)):
            self.names[model] = {i: n for i, n in session.execute(
                select(model.id, column).where(model.id.in_(wanted.get(model, set()))))}
        self.names[Checklist] = checklist_titles_in(session, lang, wanted.get(Checklist, set()))
        self.names[Store] = {i: f"{n} ({c})" for i, n, c in session.execute(
            select(Store.id, Store.name, Store.code).where(Store.id.in_(wanted.get(Store, set()))))}

    @staticmethod
    def _rows(session: Session, model: Any, wanted: dict[type, set[int]], *columns: Any) -> dict[int, tuple]:
        ids = wanted.get(model, set())
        return {row[0]: tuple(row[1:]) for row in session.execute(select(model.id, *columns).where(model.id.in_(ids)))}

    def _name(self, model: type, value: Any) -> str:
        try:
            return self.names[model].get(int(value), "—")
        except (TypeError, ValueError):
            return "—"

    def subject(self, entry: AuditLog) -> tuple[str, int | None]:
        """What the entry is about, as people name it, and the checklist version's number when it is one."""
        kind, ident = entry.entity_type, entry.entity_id
        if not ident.isdigit():
            return "", None  # an import of many rows, or the programme's settings
        if kind == "checklist_version":
            checklist_id, number = self.versions.get(int(ident), (None, None))
            return self._name(Checklist, checklist_id), number
        if kind == "visit":
            store_id = self.visits.get(int(ident), (None,))[0]
            return f"{self._name(Store, store_id)} #{ident}", None
        if kind in ("assignment", "plan_visit"):
            rows = self.assignments if kind == "assignment" else self.plan_visits
            store_id = rows.get(int(ident), (None,))[0]
            return f"{self._name(Store, store_id)} #{ident}", None
        if kind in _NAMED_BY:
            return self.labels[kind].get(int(ident), f"#{ident}"), None
        model = {"user": User, "store": Store, "area": Area, "region": Region, "checklist": Checklist}.get(kind)
        return (self._name(model, ident), None) if model is not None else ("", None)

    def value(self, field: str, value: Any) -> Any:
        if field in _REFERENCES and value is not None:
            return self._name(_REFERENCES[field], value)
        return value
