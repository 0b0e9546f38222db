"""People who sign in, the areas an area manager looks after and the stores a store manager does."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from audit_app.extensions import db
from audit_app.models._types import UTCDateTime, utcnow
from audit_app.models.org import Area, Store

ROLES = ("shopper", "store_manager", "area_manager", "head_office")

area_managers = Table(
    "area_managers",
    db.Model.metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("area_id", Integer, ForeignKey("areas.id", ondelete="CASCADE"), primary_key=True),
)

# The stores a store manager looks after.
store_managers = Table(
    "store_managers",
    db.Model.metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("store_id", Integer, ForeignKey("stores.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    locale: Mapped[str] = mapped_column(String(8), default="en")
    is_active_user: Mapped[bool] = mapped_column("is_active", Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Changes whenever the password does, so existing sessions stop being valid.
    session_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # A shopper's home region: bulk assignment spreads an area's stores across the shoppers of its region.
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), nullable=True, index=True)

    areas: Mapped[list[Area]] = relationship(secondary=area_managers, lazy="raise", order_by=Area.name)
    stores: Mapped[list[Store]] = relationship(secondary=store_managers, lazy="raise", order_by=Store.name)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.is_active_user

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"
