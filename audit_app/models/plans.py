"""Visit plans: a checklist visited at a group of stores on a schedule, generating assignments ahead of time."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from audit_app.extensions import db
from audit_app.models._types import UTCDateTime, utcnow

PLAN_SCOPES = ("all", "region", "area")
PLAN_FREQUENCIES = ("weeks", "monthly", "waves")
# planned: no shopper could be found yet; assigned: an assignment exists; done: its visit was submitted;
# missed: the window passed without a submitted visit (and it was not, or could not be, re-assigned).
PLAN_VISIT_STATUSES = ("planned", "assigned", "done", "missed")


class VisitPlan(db.Model):
    __tablename__ = "visit_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    checklist_id: Mapped[int] = mapped_column(ForeignKey("checklists.id"), index=True)
    scope: Mapped[str] = mapped_column(String(10), default="all")
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), nullable=True)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), nullable=True)
    frequency: Mapped[str] = mapped_column(String(10), default="monthly")
    every_weeks: Mapped[int] = mapped_column(Integer, default=4)
    # Waves: [[start ISO date, end ISO date], ...]; the window of each wave is its own date range.
    waves: Mapped[list] = mapped_column(JSON, default=list)
    starts_on: Mapped[date] = mapped_column(Date)
    window_days: Mapped[int] = mapped_column(Integer, default=14)
    lead_days: Mapped[int] = mapped_column(Integer, default=14)
    lockout_days: Mapped[int] = mapped_column(Integer, default=0)
    no_repeat_shopper: Mapped[bool] = mapped_column(Boolean, default=True)
    home_region_only: Mapped[bool] = mapped_column(Boolean, default=True)
    reassign_missed: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)


class PlanVisit(db.Model):
    """One store's visit in one period of a plan; the unique key makes generation idempotent."""

    __tablename__ = "plan_visits"
    __table_args__ = (
        UniqueConstraint("plan_id", "store_id", "window_start", name="uq_plan_visits_plan_store_window"),
        Index("ix_plan_visits_plan_id_window_start", "plan_id", "window_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("visit_plans.id"))
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    window_start: Mapped[date] = mapped_column(Date)
    window_end: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="planned")
    assignment_id: Mapped[int | None] = mapped_column(ForeignKey("assignments.id"), nullable=True)
    reassigned_count: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class UnavailableDates(db.Model):
    """Days a shopper cannot visit stores (inclusive range)."""

    __tablename__ = "unavailable_dates"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
