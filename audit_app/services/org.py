"""Head office's register of the organisation: regions, areas and stores (list, search, create, edit), and
switching any of them, or a person, active or inactive. People are `services.people`; CSV imports
`services.csv_import`."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from audit_app.models import Area, Region, Store, User
from audit_app.services import audit
from audit_app.services.errors import N_, Message, NotFoundError, ServiceError, message


class OrgError(ServiceError):
    pass


NOT_FOUND = {Region: N_("No such region."), Area: N_("No such area."), Store: N_("No such store."),
             User: N_("No such user.")}


def search_pattern(text: str) -> str:
    """A case-blind LIKE pattern for a search box's text."""
    return f"%{text.strip().lower()}%"


# --- regions and areas -------------------------------------------------------------------------


@dataclass(frozen=True)
class PlaceRow:
    id: int
    code: str
    name: str
    parent: str
    parent_id: int | None
    is_active: bool
    children: int


def list_regions(session: Session) -> list[PlaceRow]:
    counts = dict(session.execute(select(Area.region_id, func.count(Area.id)).group_by(Area.region_id)).all())
    return [PlaceRow(r.id, r.code, r.name, "", None, r.is_active, counts.get(r.id, 0))
            for r in session.scalars(select(Region).order_by(Region.name))]


def list_areas(session: Session) -> list[PlaceRow]:
    counts = dict(session.execute(select(Store.area_id, func.count(Store.id)).where(Store.is_active.is_(True))
                                  .group_by(Store.area_id)).all())
    rows = session.execute(select(Area, Region.name).join(Region, Area.region_id == Region.id)
                           .order_by(Region.name, Area.name))
    return [PlaceRow(a.id, a.code, a.name, region, a.region_id, a.is_active, counts.get(a.id, 0)) for a, region in rows]


def _place_values(session: Session, model: type, place_id: int | None, code: str, name: str) -> tuple[str, str]:
    code, name = code.strip(), name.strip()
    if not code or not name:
        raise OrgError(N_("A code and a name are both needed."))
    clash = session.scalar(select(model.id).where(model.code == code))
    if clash is not None and clash != place_id:
        raise OrgError(N_("The code %(code)s is already used."), code=code)
    return code, name


def save_region(session: Session, actor: User, *, region_id: int | None, code: str, name: str,
                now: datetime) -> Region:
    """Create a region (region_id None) or rename one; raises OrgError, NotFoundError."""
    code, name = _place_values(session, Region, region_id, code, name)
    region = get_or_not_found(session, Region, region_id) if region_id else Region(is_active=True)
    before = {"code": region.code, "name": region.name} if region_id else None
    region.code, region.name = code, name
    session.add(region)
    session.flush()
    audit.record(session, actor=actor, action="region.update" if region_id else "region.create",
                 entity_type="region", entity_id=region.id, now=now, before=before, after={"code": code, "name": name})
    session.commit()
    return region


def save_area(session: Session, actor: User, *, area_id: int | None, code: str, name: str, region_id: int,
              now: datetime) -> Area:
    """Create or edit an area; raises OrgError, NotFoundError."""
    code, name = _place_values(session, Area, area_id, code, name)
    get_or_not_found(session, Region, region_id)
    area = get_or_not_found(session, Area, area_id) if area_id else Area(is_active=True)
    before = {"code": area.code, "name": area.name, "region_id": area.region_id} if area_id else None
    area.code, area.name, area.region_id = code, name, region_id
    session.add(area)
    session.flush()
    audit.record(session, actor=actor, action="area.update" if area_id else "area.create", entity_type="area",
                 entity_id=area.id, now=now, before=before, after={"code": code, "name": name, "region_id": region_id})
    session.commit()
    return area


def set_active(session: Session, actor: User, kind: str, item_id: int, active: bool, *, now: datetime) -> None:
    """Activate or deactivate a region, area, store or user (`kind`). An area with active stores, or a region
    with active areas, cannot be deactivated. A deactivated user can no longer sign in. Raises OrgError."""
    model = {"region": Region, "area": Area, "store": Store, "user": User}[kind]
    item = get_or_not_found(session, model, item_id)
    if not active and kind == "region" and session.scalar(
            select(func.count(Area.id)).where(Area.region_id == item_id, Area.is_active.is_(True))):
        raise OrgError(N_("Deactivate the region's areas first."))
    if not active and kind == "area" and session.scalar(
            select(func.count(Store.id)).where(Store.area_id == item_id, Store.is_active.is_(True))):
        raise OrgError(N_("Deactivate the area's stores first."))
    if kind == "user":
        if item.id == actor.id and not active:
            raise OrgError(N_("You cannot deactivate yourself."))
        before = item.is_active_user
        item.is_active_user = active
        if not active:
            item.session_token = secrets.token_hex(16)  # signs them out everywhere
    else:
        before = item.is_active
        item.is_active = active
    audit.record(session, actor=actor, action=f"{kind}.{'activate' if active else 'deactivate'}", entity_type=kind,
                 entity_id=item_id, now=now, before={"is_active": before}, after={"is_active": active})
    session.commit()


def get_or_not_found(session: Session, model: type, item_id: int | None) -> Any:
    item = session.get(model, item_id) if item_id is not None else None
    if item is None:
        raise NotFoundError(NOT_FOUND.get(model, N_("Not found.")))
    return item


# --- stores ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoreRow:
    id: int
    code: str
    name: str
    city: str
    address: str
    timezone: str
    area_id: int
    area_name: str
    region_name: str
    is_active: bool
    latitude: float | None = None
    longitude: float | None = None
    radius_m: int | None = None


def list_stores(session: Session, *, search: str = "", area_id: int | None = None,
                include_inactive: bool = True) -> list[StoreRow]:
    """Stores by region, area and name; `search` matches code, name or city."""
    q = (select(Store.id, Store.code, Store.name, Store.city, Store.address, Store.timezone, Store.area_id, Area.name,
                Region.name, Store.is_active, Store.latitude, Store.longitude, Store.radius_m)
         .join(Area, Store.area_id == Area.id).join(Region, Area.region_id == Region.id)
         .order_by(Region.name, Area.name, Store.name))
    if search.strip():
        q = q.where(or_(func.lower(Store.code).like(search_pattern(search)), func.lower(Store.name).like(search_pattern(search)),
                        func.lower(Store.city).like(search_pattern(search))))
    if area_id:
        q = q.where(Store.area_id == area_id)
    if not include_inactive:
        q = q.where(Store.is_active.is_(True))
    return [StoreRow(*row) for row in session.execute(q)]


def get_store(session: Session, store_id: int) -> StoreRow:
    rows = [r for r in list_stores(session) if r.id == store_id]
    if not rows:
        raise NotFoundError(N_("No such store."))
    return rows[0]


MAX_RADIUS_M = 100_000


def location_problem(latitude: float | None, longitude: float | None, radius_m: int | None) -> Message | None:
    """What is wrong with a store's coordinates and radius, in words naming the field; None when they can be
    stored (both coordinates or neither; a radius from 10 m to 100 km, or none for the programme's default)."""
    if (latitude is None) != (longitude is None):
        return message(N_("Give both latitude and longitude, or neither."))
    if latitude is not None and not -90 <= latitude <= 90:
        return message(N_("Latitude must be between -90 and 90."))
    if longitude is not None and not -180 <= longitude <= 180:
        return message(N_("Longitude must be between -180 and 180."))
    if radius_m is not None and not 10 <= radius_m <= MAX_RADIUS_M:
        return message(N_("The allowed radius must be from 10 to %(max)s metres."), max=MAX_RADIUS_M)
    return None


def set_store_location(session: Session, actor: User | None, store_id: int, *, latitude: float | None,
                       longitude: float | None, radius_m: int | None, now: datetime) -> Store:
    """Set a store's coordinates (WGS 84 degrees) and allowed radius in metres (None: the default), logged.
    Raises NotFoundError, OrgError naming the field that is wrong."""
    store = get_or_not_found(session, Store, store_id)
    _apply_location(session, actor, store, latitude, longitude, radius_m, now)
    session.commit()
    return store


def _apply_location(session: Session, actor: User | None, store: Store, latitude: float | None,
                    longitude: float | None, radius_m: int | None, now: datetime) -> None:
    problem = location_problem(latitude, longitude, radius_m)
    if problem is not None:
        session.rollback()
        raise OrgError(problem)
    before = {"latitude": store.latitude, "longitude": store.longitude, "radius_m": store.radius_m}
    after = {"latitude": latitude, "longitude": longitude, "radius_m": radius_m}
    if before != after:
        store.latitude, store.longitude, store.radius_m = latitude, longitude, radius_m
        session.flush()
        audit.record(session, actor=actor, action="store.location", entity_type="store", entity_id=store.id,
                     now=now, before=before, after=after)


def save_store(session: Session, actor: User, *, store_id: int | None, code: str, name: str, area_id: int,
               city: str, address: str, timezone: str, now: datetime, latitude: float | None = None,
               longitude: float | None = None, radius_m: int | None = None) -> Store:
    """Create or edit a store with its coordinates and radius (see set_store_location); raises OrgError (taken
    code, unknown time zone, a location that cannot be), NotFoundError."""
    problem = location_problem(latitude, longitude, radius_m)
    if problem is not None:
        raise OrgError(problem)
    code, name = _place_values(session, Store, store_id, code, name)
    get_or_not_found(session, Area, area_id)
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise OrgError(N_("Unknown time zone %(zone)s (use a name like Asia/Tokyo)."), zone=timezone) from None
    store = get_or_not_found(session, Store, store_id) if store_id else Store(is_active=True)
    values = {"code": code, "name": name, "area_id": area_id, "city": city.strip(), "address": address.strip(),
              "timezone": timezone}
    before = {k: getattr(store, k) for k in values} if store_id else None
    for key, value in values.items():
        setattr(store, key, value)
    session.add(store)
    session.flush()
    audit.record(session, actor=actor, action="store.update" if store_id else "store.create", entity_type="store",
                 entity_id=store.id, now=now, before=before, after=values)
    _apply_location(session, actor, store, latitude, longitude, radius_m, now)
    session.commit()
    return store


# --- people ------------------------------------------------------------------------------------
