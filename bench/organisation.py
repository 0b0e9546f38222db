"""The smallest organisation a bench needs: one region, one area and one active store."""

from __future__ import annotations

from sqlalchemy.orm import Session

from audit_app.models import Area, Region, Store


def one_store(session: Session) -> Store:
    """Create a region, an area and a store in it; commits and returns the store."""
    region = Region(code="R", name="Region")
    session.add(region)
    session.flush()
    area = Area(code="A", name="Area", region_id=region.id)
    session.add(area)
    session.flush()
    store = Store(code="S", name="Store", area_id=area.id, is_active=True)
    session.add(store)
    session.commit()
    return store
