"""Head office's register of regions, areas, stores and people: list, search, create, edit, deactivate, and
import people from CSV (stores import through `services.org.import_stores`)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from audit_app.languages import LANGUAGES
from audit_app.models import ROLES, Area, Region, Store, User, area_managers
from audit_app.services import audit
from audit_app.services.errors import N_, Listing, Message, NotFoundError, ServiceError, message
from audit_app.services.org import ImportRejectedError, ImportReport, read_csv_rows, too_long
from audit_app.services.passwords import MIN_LENGTH as MIN_PASSWORD_LENGTH
from audit_app.services.passwords import password_problem
from audit_app.services.users import DEFAULT_PASSWORD_HASH_METHOD, hash_password, normalise_email


class PeopleError(ServiceError):
    pass


NOT_FOUND = {Region: N_("No such region."), Area: N_("No such area."), Store: N_("No such store."),
             User: N_("No such user.")}


def _like(text: str) -> str:
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
        raise PeopleError(N_("A code and a name are both needed."))
    clash = session.scalar(select(model.id).where(model.code == code))
    if clash is not None and clash != place_id:
        raise PeopleError(N_("The code %(code)s is already used."), code=code)
    return code, name


def save_region(session: Session, actor: User, *, region_id: int | None, code: str, name: str,
                now: datetime) -> Region:
    """Create a region (region_id None) or rename one; raises PeopleError, NotFoundError."""
    code, name = _place_values(session, Region, region_id, code, name)
    region = _get(session, Region, region_id) if region_id else Region(is_active=True)
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
    """Create or edit an area; raises PeopleError, NotFoundError."""
    code, name = _place_values(session, Area, area_id, code, name)
    _get(session, Region, region_id)
    area = _get(session, Area, area_id) if area_id else Area(is_active=True)
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
    with active areas, cannot be deactivated. A deactivated user can no longer sign in. Raises PeopleError."""
    model = {"region": Region, "area": Area, "store": Store, "user": User}[kind]
    item = _get(session, model, item_id)
    if not active and kind == "region" and session.scalar(
            select(func.count(Area.id)).where(Area.region_id == item_id, Area.is_active.is_(True))):
        raise PeopleError(N_("Deactivate the region's areas first."))
    if not active and kind == "area" and session.scalar(
            select(func.count(Store.id)).where(Store.area_id == item_id, Store.is_active.is_(True))):
        raise PeopleError(N_("Deactivate the area's stores first."))
    if kind == "user":
        if item.id == actor.id and not active:
            raise PeopleError(N_("You cannot deactivate yourself."))
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


def _get(session: Session, model: type, item_id: int | None) -> Any:
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


def list_stores(session: Session, *, search: str = "", area_id: int | None = None,
                include_inactive: bool = True) -> list[StoreRow]:
    """Stores by region, area and name; `search` matches code, name or city."""
    q = (select(Store.id, Store.code, Store.name, Store.city, Store.address, Store.timezone, Store.area_id, Area.name,
                Region.name, Store.is_active)
         .join(Area, Store.area_id == Area.id).join(Region, Area.region_id == Region.id)
         .order_by(Region.name, Area.name, Store.name))
    if search.strip():
        q = q.where(or_(func.lower(Store.code).like(_like(search)), func.lower(Store.name).like(_like(search)),
                        func.lower(Store.city).like(_like(search))))
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


def save_store(session: Session, actor: User, *, store_id: int | None, code: str, name: str, area_id: int,
               city: str, address: str, timezone: str, now: datetime) -> Store:
    """Create or edit a store; raises PeopleError (taken code, unknown time zone), NotFoundError."""
    code, name = _place_values(session, Store, store_id, code, name)
    _get(session, Area, area_id)
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise PeopleError(N_("Unknown time zone %(zone)s (use a name like Asia/Tokyo)."), zone=timezone) from None
    store = _get(session, Store, store_id) if store_id else Store(is_active=True)
    values = {"code": code, "name": name, "area_id": area_id, "city": city.strip(), "address": address.strip(),
              "timezone": timezone}
    before = {k: getattr(store, k) for k in values} if store_id else None
    for key, value in values.items():
        setattr(store, key, value)
    session.add(store)
    session.flush()
    audit.record(session, actor=actor, action="store.update" if store_id else "store.create", entity_type="store",
                 entity_id=store.id, now=now, before=before, after=values)
    session.commit()
    return store


# --- people ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonRow:
    id: int
    email: str
    name: str
    role: str
    locale: str
    is_active: bool
    region_id: int | None
    region_name: str
    area_codes: tuple[str, ...]
    area_names: tuple[str, ...]


def list_people(session: Session, *, search: str = "", role: str = "") -> list[PersonRow]:
    """People by role then name; `search` matches name or e-mail."""
    links: dict[int, list[tuple[str, str]]] = {}
    for user_id, code, name in session.execute(
            select(area_managers.c.user_id, Area.code, Area.name).join(Area, Area.id == area_managers.c.area_id)
            .order_by(Area.name)):
        links.setdefault(user_id, []).append((code, name))
    q = (select(User.id, User.email, User.name, User.role, User.locale, User.is_active_user, User.region_id,
                Region.name)
         .outerjoin(Region, User.region_id == Region.id).order_by(User.role, User.name))
    if search.strip():
        q = q.where(or_(func.lower(User.name).like(_like(search)), func.lower(User.email).like(_like(search))))
    if role:
        q = q.where(User.role == role)
    return [PersonRow(*row[:7], region_name=row[7] or "",
                      area_codes=tuple(c for c, _ in links.get(row[0], ())),
                      area_names=tuple(n for _, n in links.get(row[0], ())))
            for row in session.execute(q)]


def get_person(session: Session, user_id: int) -> PersonRow:
    rows = [r for r in list_people(session) if r.id == user_id]
    if not rows:
        raise NotFoundError(N_("No such person."))
    return rows[0]


def _person_problems(session: Session, *, role: str, locale: str, area_codes: list[str],
                     region_code: str) -> tuple[list[Area], Region | None, list[Message]]:
    problems = []
    if role not in ROLES:
        problems.append(message(N_("unknown role %(role)r (use one of: %(roles)s)"), role=role, roles=", ".join(ROLES)))
    if locale not in LANGUAGES:
        problems.append(message(N_("unknown language %(code)r (use one of: %(codes)s)"), code=locale,
                                codes=", ".join(LANGUAGES)))
    areas = list(session.scalars(select(Area).where(Area.code.in_(area_codes)))) if area_codes else []
    missing = sorted(set(area_codes) - {a.code for a in areas})
    if missing:
        problems.append(message(N_("unknown area code(s): %(codes)s"), codes=", ".join(missing)))
    if area_codes and role != "area_manager":
        problems.append(message(N_("only area managers are linked to areas")))
    region = None
    if region_code:
        region = session.scalar(select(Region).where(Region.code == region_code))
        if region is None:
            problems.append(message(N_("unknown region code %(code)s"), code=region_code))
    return areas, region, problems


def save_person(session: Session, actor: User, *, user_id: int | None, email: str, name: str, role: str,
                locale: str, area_codes: list[str], region_code: str, password: str, now: datetime,
                password_hash_method: str = DEFAULT_PASSWORD_HASH_METHOD) -> User:
    """Create or edit a person. A new person needs a password; an edit changes it only when one is given
    (and signs them out everywhere). Raises PeopleError with every problem, NotFoundError."""
    email = normalise_email(email)
    areas, region, problems = _person_problems(session, role=role, locale=locale, area_codes=area_codes,
                                               region_code=region_code)
    if "@" not in email:
        problems.append(message(N_("that does not look like an e-mail address")))
    clash = session.scalar(select(User.id).where(func.lower(User.email) == email))
    if clash is not None and clash != user_id:
        problems.append(message(N_("a user with the e-mail %(email)s already exists"), email=email))
    if password or not user_id:
        problem = password_problem(password, email=email, name=name)
        if problem is not None:
            problems.append(problem)
    if user_id == actor.id and role != actor.role:
        problems.append(message(N_("you cannot change your own role")))
    if problems:
        raise PeopleError(problems)
    if user_id:
        user = _get(session, User, user_id)
        before = {"email": user.email, "name": user.name, "role": user.role, "locale": user.locale,
                  "region_id": user.region_id}
    else:
        user = User(session_token=secrets.token_hex(16), created_at=now, failed_logins=0, is_active_user=True)
        before = None
    user.email, user.name, user.role, user.locale = email, name.strip() or email, role, locale
    user.region_id = region.id if region else None
    _store_person(session, user, password, areas, password_hash_method)
    after = {"email": email, "name": user.name, "role": role, "locale": locale, "region_id": user.region_id,
             "areas": sorted(area_codes)}
    audit.record(session, actor=actor, action="user.update" if user_id else "user.create", entity_type="user",
                 entity_id=user.id, now=now, before=before, after=after,
                 detail="password changed" if user_id and password else "")
    session.commit()
    return user


# Each password set by an import is hashed with scrypt (a deliberate fraction of a second): a bound on them keeps
# one import well inside the server's request timeout.
MAX_IMPORT_PASSWORDS = 100
USER_COLUMNS = ("email", "name", "role", "locale", "areas", "region", "password")


def _store_person(session: Session, user: User, password: str, areas: list[Area], password_hash_method: str) -> None:
    """Add or update the row: a new password (which ends the person's sessions) and their areas, replaced."""
    if password:
        user.password_hash = hash_password(password, password_hash_method)
        user.session_token = secrets.token_hex(16)
    session.add(user)
    session.flush()
    session.execute(area_managers.delete().where(area_managers.c.user_id == user.id))
    if areas:
        session.execute(area_managers.insert(), [{"user_id": user.id, "area_id": a.id} for a in areas])


def import_people(session: Session, actor: User, csv_text: str, *, now: datetime, dry_run: bool = False,
                  password_hash_method: str = DEFAULT_PASSWORD_HASH_METHOD) -> ImportReport:
    """Create or update people from CSV (columns: email, name, role[, locale, areas, region, password]).

    `areas` is a space-separated list of area codes (area managers only). A new person needs a password of at
    least the minimum length; an existing one keeps theirs unless a password is given. All or nothing: any
    rejected row raises ImportRejectedError (every rejected row with its line number, the header being line 1)
    and writes nothing; with dry_run nothing is written either way.
    """
    report = ImportReport()
    rows = read_csv_rows(csv_text, ("email", "name", "role"))
    existing = {u.email.lower(): u for u in session.scalars(select(User))}
    seen: set[str] = set()
    pending: list[tuple[str, User | None, dict[str, Any], list[Area], str]] = []
    lines: list[int] = []
    for line, raw in enumerate(rows, start=2):
        row = {k.strip(): (v or "").strip() for k, v in raw.items() if k}
        email = normalise_email(row.get("email", ""))
        role, locale = row.get("role", ""), row.get("locale") or "en"
        area_codes = row.get("areas", "").split()
        password = row.get("password", "")
        if not email or "@" not in email:
            report.rejected.append((line, message(N_("a valid e-mail is required"))))
            continue
        if email in seen:
            report.rejected.append((line, message(N_("%(email)s appears twice in the file"), email=email)))
            continue
        seen.add(email)
        problem = too_long(User, {**row, "email": email}, ("email", "name"))
        if problem is not None:
            report.rejected.append((line, problem))
            continue
        areas, region, problems = _person_problems(session, role=role, locale=locale, area_codes=area_codes,
                                                   region_code=row.get("region", ""))
        user = existing.get(email)
        if password or user is None:
            problem = password_problem(password, email=email, name=row.get("name", ""))
            if problem is not None:
                short_new = user is None and len(password) < MIN_PASSWORD_LENGTH
                problems.append(message(N_("a new person needs a password of at least %(count)s characters"),
                                        count=MIN_PASSWORD_LENGTH) if short_new else problem)
        if user is not None and user.id == actor.id and role != actor.role:
            problems.append(message(N_("you cannot change your own role")))
        if problems:
            report.rejected.append((line, Listing(tuple(problems))))
            continue
        values = {"name": row.get("name") or email, "role": role, "locale": locale,
                  "region_id": region.id if region else None}
        if user is None:
            report.created.append(email)
        else:
            current = {k: getattr(user, k) for k in values}
            current_areas = set(session.scalars(
                select(Area.code).join(area_managers, Area.id == area_managers.c.area_id)
                .where(area_managers.c.user_id == user.id)))
            if current == values and current_areas == set(area_codes) and not password:
                report.unchanged.append(email)
                continue
            report.updated.append(email)
        pending.append((email, user, values, areas, password))
        lines.append(line)
    with_password = [line for line, entry in zip(lines, pending) if entry[4]]
    if len(with_password) > MAX_IMPORT_PASSWORDS:
        report.rejected.append((with_password[MAX_IMPORT_PASSWORDS], (
            f"the file sets {len(with_password):,} passwords; securing each takes a moment, so one file may set at "
            f"most {MAX_IMPORT_PASSWORDS}: split it into smaller files")))
    if report.rejected:
        session.rollback()
        raise ImportRejectedError(report)
    if dry_run:
        session.rollback()
        return report
    for email, user, values, areas, password in pending:
        if user is None:
            user = User(email=email, session_token=secrets.token_hex(16), created_at=now, failed_logins=0,
                        is_active_user=True)
        for key, value in values.items():
            setattr(user, key, value)
        _store_person(session, user, password, areas, password_hash_method)
    audit.record(session, actor=actor, action="user.import", entity_type="user", entity_id="*", now=now,
                 after={"created": report.created, "updated": report.updated},
                 detail=f"{len(report.created)} created, {len(report.updated)} updated")
    session.commit()
    return report
