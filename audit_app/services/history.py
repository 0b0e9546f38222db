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

from sqlalchemy import select
from sqlalchemy.orm import Session

from audit_app.models import Area, Assignment, AuditLog, Checklist, ChecklistVersion, Region, Store, User, Visit
from audit_app.services.definitions import checklist_titles_in

# The families of actions a reader filters by (the part before the dot).
KINDS = ("checklist", "visit", "store", "user", "area", "region", "assignment", "settings")

# Fields whose values are ids of other rows, and the model whose name stands for them.
_REFERENCES: dict[str, type] = {"region_id": Region, "area_id": Area, "store_id": Store, "shopper_id": User,
                                "checklist_id": Checklist}
# Service-written notes in English; what they say is already in the entry's changes (a review note is kept).
_NOTES_KEPT = ("visit.",)


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


def list_entries(session: Session, *, kind: str = "", actor_id: int | None = None, since: date | None = None,
                 until: date | None = None, limit: int = 200, day_zone: Any = timezone.utc,
                 lang: str = "en") -> list[Entry]:
    """Newest first. `kind` is an action family (KINDS); `since`/`until` are whole days in `day_zone`, inclusive.
    Checklists are named by their title in `lang`."""
    q = (select(AuditLog, User.name).outerjoin(User, AuditLog.actor_id == User.id)
         .order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(limit))
    if kind in KINDS:
        q = q.where(AuditLog.action.like(f"{kind}.%"))
    if actor_id:
        q = q.where(AuditLog.actor_id == actor_id)
    if since:
        q = q.where(AuditLog.at >= datetime.combine(since, time.min, tzinfo=day_zone).astimezone(timezone.utc))
    if until:
        q = q.where(AuditLog.at < datetime.combine(until + timedelta(days=1), time.min, tzinfo=day_zone)
                    .astimezone(timezone.utc))
    rows = list(session.execute(q))
    names = _Names(session, [e for e, _ in rows], lang)
    return [Entry(e.id, e.at, name, e.action, e.entity_type, e.entity_id, *names.subject(e),
                  _changes(e.before, e.after, names), e.detail if e.action.startswith(_NOTES_KEPT) else "")
            for e, name in rows]


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


class _Names:
    """Names of the rows a page of entries mentions, loaded with one query per kind."""

    def __init__(self, session: Session, entries: list[AuditLog], lang: str) -> None:
        wanted: dict[type, set[int]] = {}

        def want(model: type, value: Any) -> None:
            if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
                wanted.setdefault(model, set()).add(int(value))

        for e in entries:
            model = {"user": User, "store": Store, "area": Area, "region": Region, "checklist": Checklist,
                     "checklist_version": ChecklistVersion, "visit": Visit, "assignment": Assignment}.get(e.entity_type)
            if model is not None:
                want(model, e.entity_id)
            for values in (e.before or {}, e.after or {}):
                for field, model in _REFERENCES.items():
                    want(model, values.get(field))
        self.versions = self._rows(session, ChecklistVersion, wanted, ChecklistVersion.checklist_id,
                                   ChecklistVersion.number)
        self.visits = self._rows(session, Visit, wanted, Visit.store_id)
        self.assignments = self._rows(session, Assignment, wanted, Assignment.store_id)
        for rows in (self.versions, self.visits, self.assignments):
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
        if kind == "assignment":
            store_id = self.assignments.get(int(ident), (None,))[0]
            return f"{self._name(Store, store_id)} #{ident}", None
        model = {"user": User, "store": Store, "area": Area, "region": Region, "checklist": Checklist}.get(kind)
        return (self._name(model, ident), None) if model is not None else ("", None)

    def value(self, field: str, value: Any) -> Any:
        if field in _REFERENCES and value is not None:
            return self._name(_REFERENCES[field], value)
        return value
