"""Plain lists of stores and of visits with their latest scores, for the role home pages (the shopper's visits,
head office's stores)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from audit_app.models import Area, Checklist, ChecklistVersion, Store, Visit, VisitScore
from audit_app.services.scores.storage import latest_two_query, statuses_for


@dataclass(frozen=True)
class StoreScoreRow:
    id: int
    code: str
    name: str
    city: str
    area_name: str
    visits: int
    latest_percent: float | None
    latest_grade: str | None
    latest_at: datetime | None
    previous_percent: float | None

    @property
    def change(self) -> float | None:
        if self.latest_percent is None or self.previous_percent is None:
            return None
        return self.latest_percent - self.previous_percent


def list_store_rows(
    session: Session, store_ids: list[int] | None, statuses: tuple[str, ...] | None = None
) -> list[StoreScoreRow]:
    """Stores with their visit count and their two latest counted scores (all stores when ids is None)."""
    statuses = statuses if statuses is not None else statuses_for(session)
    stores_q = (
        select(Store.id, Store.code, Store.name, Store.city, Area.name)
        .join(Area, Store.area_id == Area.id)
        .where(Store.is_active.is_(True))
        .order_by(Area.name, Store.name)
    )
    if store_ids is not None:
        stores_q = stores_q.where(Store.id.in_(store_ids))
    stores = session.execute(stores_q).all()
    # Stores matching the same filter as the list above, without binding every id when it is all of them.
    store_filter = Store.is_active.is_(True)
    if store_ids is not None:
        store_filter = store_filter & Store.id.in_(store_ids)
    counts = dict(session.execute(
        select(Visit.store_id, func.count())
        .join(VisitScore, (VisitScore.visit_id == Visit.id) & VisitScore.current())
        .join(Store, Visit.store_id == Store.id)
        .where(store_filter, Visit.status.in_(statuses))
        .group_by(Visit.store_id)
    ).all())
    latest: dict[int, dict[int, tuple]] = {}
    for store_id, _, _, percent, grade, at in session.execute(latest_two_query(store_filter, None, statuses, None)):
        mine = latest.setdefault(store_id, {})
        mine[len(mine) + 1] = (percent, grade, at, counts.get(store_id, 0))
    rows = []
    for sid, code, name, city, area_name in stores:
        found = latest.get(sid, {})
        first = found.get(1)
        second = found.get(2)
        rows.append(StoreScoreRow(
            id=sid, code=code, name=name, city=city, area_name=area_name,
            visits=first[3] if first else 0,
            latest_percent=first[0] if first else None,
            latest_grade=first[1] if first else None,
            latest_at=first[2] if first else None,
            previous_percent=second[0] if second else None,
        ))
    return rows


@dataclass(frozen=True)
class VisitRow:
    id: int
    store_id: int
    store_name: str
    checklist_title: str
    version_number: int
    status: str
    started_at: datetime
    submitted_at: datetime | None
    percent: float | None
    grade: str | None
    critical_failures: int
    checklist_id: int
    store_timezone: str = "UTC"


def _visit_rows_query():  # type: ignore[no-untyped-def]
    return (
        select(
            Visit.id, Visit.store_id, Store.name, Checklist.title, ChecklistVersion.number, Visit.status,
            Visit.started_at, Visit.submitted_at, VisitScore.percent, VisitScore.grade,
            VisitScore.critical_failures, Checklist.id, Store.timezone,
        )
        .join(Store, Visit.store_id == Store.id)
        .join(ChecklistVersion, Visit.checklist_version_id == ChecklistVersion.id)
        .join(Checklist, ChecklistVersion.checklist_id == Checklist.id)
        .outerjoin(VisitScore, (VisitScore.visit_id == Visit.id) & VisitScore.current())
    )


def list_visit_rows(
    session: Session, *, store_id: int | None = None, shopper_id: int | None = None, limit: int = 50
) -> list[VisitRow]:
    """Visits newest first, with their current score, for one store or one shopper."""
    q = _visit_rows_query()
    if store_id is not None:
        q = q.where(Visit.store_id == store_id)
    if shopper_id is not None:
        q = q.where(Visit.shopper_id == shopper_id)
    q = q.order_by(func.coalesce(Visit.submitted_at, Visit.started_at).desc(), Visit.id.desc()).limit(limit)
    return [VisitRow(*row) for row in session.execute(q)]
