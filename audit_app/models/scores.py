"""Score cards persisted at submit time, so dashboards aggregate small tables instead of re-scoring."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ColumnElement, Float, ForeignKey, Index, Integer, String, text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from audit_app.extensions import db
from audit_app.models._types import UTCDateTime, utcnow


class VisitScore(db.Model):
    """One scoring of a visit. Re-scoring adds a row and clears `is_current` on the old one."""

    __tablename__ = "visit_scores"
    __table_args__ = (
        # A visit's current score, found (or its existence checked) from the index alone.
        Index("ix_visit_scores_visit_id_is_current", "visit_id", "is_current"),
        # The figures of current scores, read from the index alone by the pages that sum a period's visits (the
        # stored card makes rows wide). Queries name current scores with `current()` so that they use it.
        Index("ix_visit_scores_current_figures", "visit_id", "id", "percent_den", "percent_num", "grade",
              "critical_failures", postgresql_where=text("is_current = true"), sqlite_where=text("is_current = 1")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"))
    checklist_version_id: Mapped[int] = mapped_column(ForeignKey("checklist_versions.id"))
    is_current: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    # Exact values as "n/d" strings; the float columns exist for SQL averages and sorting.
    earned: Mapped[str] = mapped_column(String(40))
    possible: Mapped[str] = mapped_column(String(40))
    percent_exact: Mapped[str | None] = mapped_column(String(40), nullable=True)
    percent: Mapped[float | None] = mapped_column(Float, nullable=True)
    # percent_exact again as a reduced fraction (denominator > 0), for exact sums and means in SQL.
    percent_num: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    percent_den: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    grade: Mapped[str | None] = mapped_column(String(80), nullable=True)
    critical_failures: Mapped[int] = mapped_column(Integer, default=0)
    card: Mapped[dict[str, Any]] = mapped_column(JSON)
    scored_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    scored_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)

    sections: Mapped[list["SectionScore"]] = relationship(back_populates="visit_score", lazy="raise")

    @classmethod
    def current(cls) -> ColumnElement[bool]:
        """Current scores only, written as the partial index `ix_visit_scores_current_figures` is (`is_current =
        true`), so that the planner can use it (`IS true` does not match it)."""
        return cls.is_current == true()


class ScoreSummary(db.Model):
    """What exports read of a score's card, small (`storage.card_summary`): each section's earned and possible,
    each answer as the card stores it. A table of its own, so that `visit_scores`, which every dashboard reads,
    stays narrow. A score without one (a card migration 0016 could not read) is exported from its card."""

    __tablename__ = "score_summaries"

    visit_score_id: Mapped[int] = mapped_column(ForeignKey("visit_scores.id", ondelete="CASCADE"),
                                                primary_key=True)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)


class SectionScore(db.Model):
    __tablename__ = "section_scores"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_score_id: Mapped[int] = mapped_column(ForeignKey("visit_scores.id", ondelete="CASCADE"), index=True)
    section_key: Mapped[str] = mapped_column(String(64))
    earned: Mapped[str] = mapped_column(String(40))
    possible: Mapped[str] = mapped_column(String(40))
    percent: Mapped[float | None] = mapped_column(Float, nullable=True)
    # The exact section percent (earned / possible x 100) as a reduced fraction; None when nothing is possible.
    percent_num: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    percent_den: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    is_zeroed: Mapped[bool] = mapped_column(Boolean, default=False)

    visit_score: Mapped[VisitScore] = relationship(back_populates="sections", lazy="raise")
