"""Reading the audit log: who did what, when, filtered for head office."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from audit_app.models import AuditLog, User

# The families of actions a reader filters by (the part before the dot).
KINDS = ("checklist", "visit", "store", "user", "area", "region", "assignment", "settings")


@dataclass(frozen=True)
class Entry:
    id: int
    at: datetime
    actor: str  # "" when the system did it (the demo seed, a background job)
    action: str
    entity_type: str
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    detail: str


def list_entries(session: Session, *, kind: str = "", actor_id: int | None = None, since: date | None = None,
                 until: date | None = None, limit: int = 200) -> list[Entry]:
    """Newest first. `kind` is an action family (KINDS); `since`/`until` are whole UTC days, inclusive."""
    q = (select(AuditLog, User.name).outerjoin(User, AuditLog.actor_id == User.id)
         .order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(limit))
    if kind in KINDS:
        q = q.where(AuditLog.action.like(f"{kind}.%"))
    if actor_id:
        q = q.where(AuditLog.actor_id == actor_id)
    if since:
        q = q.where(AuditLog.at >= datetime.combine(since, time.min, tzinfo=timezone.utc))
    if until:
        q = q.where(AuditLog.at < datetime.combine(until + timedelta(days=1), time.min, tzinfo=timezone.utc))
    return [Entry(e.id, e.at, name or "", e.action, e.entity_type, e.entity_id, e.before, e.after, e.detail)
            for e, name in session.execute(q)]
