"""Corrective actions: what a failed item asks a store to fix, who owns it, by when, and what happened to it."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from audit_app.extensions import db
from audit_app.models._types import UTCDateTime, utcnow

ACTION_PRIORITIES = ("low", "medium", "high", "critical")
ACTION_STATUSES = ("open", "in_progress", "resolved", "closed", "reopened")
# The statuses in which the store still has something to do (due soon and overdue apply to these).
ACTION_OPEN_STATUSES = ("open", "in_progress", "reopened")


class Action(db.Model):
    __tablename__ = "actions"
    __table_args__ = (
        # One action per failed question of a visit, whether a rule or a person created it.
        UniqueConstraint("visit_id", "question_key", name="uq_actions_visit_question"),
        # A store's actions by status (store pages, figures, the next visit's follow-up).
        Index("ix_actions_store_id_status", "store_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    checklist_id: Mapped[int | None] = mapped_column(ForeignKey("checklists.id"), nullable=True, index=True)
    # The visit and question it came from (none for an action created standalone for a store).
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id"), nullable=True)
    question_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    title: Mapped[str] = mapped_column(Text)
    title_ja: Mapped[str] = mapped_column(Text, default="")
    guidance: Mapped[str] = mapped_column(Text, default="")
    guidance_ja: Mapped[str] = mapped_column(Text, default="")
    priority: Mapped[str] = mapped_column(String(10), default="medium")
    status: Mapped[str] = mapped_column(String(12), default="open")
    source: Mapped[str] = mapped_column(String(10), default="manual")  # manual | rule
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True, index=True)
    due_on: Mapped[date] = mapped_column(Date)
    requires_evidence: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    resolution_comment: Mapped[str] = mapped_column(Text, default="")
    evidence_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    evidence_width: Mapped[int | None] = mapped_column(Integer, nullable=True)
    evidence_height: Mapped[int | None] = mapped_column(Integer, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    reopen_reason: Mapped[str] = mapped_column(Text, default="")
    reopened_count: Mapped[int] = mapped_column(Integer, default=0)
    # The latest later visit that answered the same question, and whether it passed or failed it.
    followup_visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id"), nullable=True)
    followup_result: Mapped[str | None] = mapped_column(String(10), nullable=True)

    events: Mapped[list["ActionEvent"]] = relationship(back_populates="action", lazy="raise",
                                                       order_by="ActionEvent.id")


class ActionEvent(db.Model):
    """One step in an action's history, shown on its page (the audit log keeps the same change too)."""

    __tablename__ = "action_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    kind: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str | None] = mapped_column(String(12), nullable=True)
    to_status: Mapped[str | None] = mapped_column(String(12), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id"), nullable=True)

    action: Mapped[Action] = relationship(back_populates="events", lazy="raise")
