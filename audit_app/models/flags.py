"""Proof-of-visit flags: what a check found on a visit, with its evidence, until head office explains it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from audit_app.extensions import db
from audit_app.models._types import UTCDateTime, utcnow

FLAG_KINDS = ("location", "no_location", "duplicate_photo", "similar_photo", "too_fast", "short_stay",
              "times_outside", "overlap", "photo_time", "late_submit")


class VisitFlag(db.Model):
    __tablename__ = "visit_flags"
    __table_args__ = (UniqueConstraint("visit_id", "kind", "signature", name="uq_visit_flags_visit_kind_signature"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    # What makes this finding the same one when the checks run again (e.g. the other photo's id).
    signature: Mapped[str] = mapped_column(String(120))
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON)
    other_visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    explained_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    explained_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    explanation: Mapped[str] = mapped_column(Text, default="")
