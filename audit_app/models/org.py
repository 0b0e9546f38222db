"""Regions, areas and stores."""

from __future__ import annotations

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from audit_app.extensions import db


class Region(db.Model):
    __tablename__ = "regions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    areas: Mapped[list["Area"]] = relationship(back_populates="region", lazy="raise", order_by="Area.name")


class Area(db.Model):
    __tablename__ = "areas"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    region: Mapped[Region] = relationship(back_populates="areas", lazy="raise")
    stores: Mapped[list["Store"]] = relationship(back_populates="area", lazy="raise", order_by="Store.name")


class Store(db.Model):
    __tablename__ = "stores"

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    address: Mapped[str] = mapped_column(String(300), default="")
    city: Mapped[str] = mapped_column(String(120), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Proof of visit: where the store is, and how far from it a visit's location may be (None: the default).
    latitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    longitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    radius_m: Mapped[int | None] = mapped_column(Integer, nullable=True)

    area: Mapped[Area] = relationship(back_populates="stores", lazy="raise")
