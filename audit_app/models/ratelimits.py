"""Rate-limit counters kept in the database, so every web worker counts against the same limits."""

from __future__ import annotations

from sqlalchemy import Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from audit_app.extensions import db


class RateLimitCounter(db.Model):
    """One fixed window of one limit: how many hits, and when the window ends (Unix seconds)."""

    __tablename__ = "rate_limit_counters"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, nullable=False)
    expires_at: Mapped[float] = mapped_column(Float, nullable=False, index=True)
