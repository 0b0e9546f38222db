"""Checklists and their immutable versions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from audit_app.extensions import db
from audit_app.models._types import UTCDateTime, utcnow

VERSION_STATUSES = ("draft", "published", "retired")


class Checklist(db.Model):
    __tablename__ = "checklists"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(20))
    allow_unassigned: Mapped[bool] = mapped_column(Boolean, default=False)
    # The shortest plausible visit in minutes (None: the programme's default); faster visits are flagged.
    min_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    versions: Mapped[list["ChecklistVersion"]] = relationship(
        back_populates="checklist", lazy="raise", order_by="ChecklistVersion.number"
    )


class ChecklistVersion(db.Model):
    __tablename__ = "checklist_versions"
    __table_args__ = (UniqueConstraint("checklist_id", "number", name="uq_checklist_versions_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    checklist_id: Mapped[int] = mapped_column(ForeignKey("checklists.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(12), default="draft")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)

    checklist: Mapped[Checklist] = relationship(back_populates="versions", lazy="raise")
