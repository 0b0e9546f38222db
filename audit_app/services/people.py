"""Head office's register of people: list, search, create, edit, and import people from CSV. Regions, areas and
stores are `services.org`; switching a person inactive is `org.set_active`."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from audit_app.languages import LANGUAGES
from audit_app.models import ROLES, Area, Region, Store, User, area_managers, store_managers
from audit_app.services import audit
from audit_app.services.errors import N_, Listing, Message, NotFoundError, ServiceError, message
from audit_app.services.csv_import import ImportRejectedError, ImportReport, read_csv_rows, too_long
from audit_app.services.org import get_or_not_found, search_pattern
from audit_app.services.passwords import MIN_LENGTH as MIN_PASSWORD_LENGTH
from audit_app.services.passwords import password_problem
from audit_app.services.users import DEFAULT_PASSWORD_HASH_METHOD, hash_password, normalise_email


class PeopleError(ServiceError):
    pass


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
    store_codes: tuple[str, ...] = ()
    store_names: tuple[str, ...] = ()


def list_people(session: Session, *, search: str = "", role: str = "") -> list[PersonRow]:
    """People by role then name; `search` matches name or e-mail."""
    links: dict[int, list[tuple[str, str]]] = {}
    for user_id, code, name in session.execute(
            select(area_managers.c.user_id, Area.code, Area.name).join(Area, Area.id == area_managers.c.area_id)
            .order_by(Area.name)):
        links.setdefault(user_id, []).append((code, name))
    shops: dict[int, list[tuple[str, str]]] = {}
    for user_id, code, name in session.execute(
            select(store_managers.c.user_id, Store.code, Store.name).join(Store, Store.id == store_managers.c.store_id)
            .order_by(Store.name)):
        shops.setdefault(user_id, []).append((code, name))
    q = (select(User.id, User.email, User.name, User.role, User.locale, User.is_active_user, User.region_id,
                Region.name)
         .outerjoin(Region, User.region_id == Region.id).order_by(User.role, User.name))
    if search.strip():
        q = q.where(or_(func.lower(User.name).like(search_pattern(search)), func.lower(User.email).like(search_pattern(search))))
    if role:
        q = q.where(User.role == role)
    return [PersonRow(*row[:7], region_name=row[7] or "",
                      area_codes=tuple(c for c, _ in links.get(row[0], ())),
                      area_names=tuple(n for _, n in links.get(row[0], ())),
                      store_codes=tuple(c for c, _ in shops.get(row[0], ())),
                      store_names=tuple(n for _, n in shops.get(row[0], ())))
            for row in session.execute(q)]


def get_person(session: Session, user_id: int) -> PersonRow:
    rows = [r for r in list_people(session) if r.id == user_id]
    if not rows:
        raise NotFoundError(N_("No such person."))
    return rows[0]


def _store_problems(session: Session, *, role: str, store_codes: list[str]) -> tuple[list[Store], list[Message]]:
    """The stores named by code for a store manager, and what is wrong with them."""
    problems = []
    stores = list(session.scalars(select(Store).where(Store.code.in_(store_codes)))) if store_codes else []
    missing = sorted(set(store_codes) - {s.code for s in stores})
    if missing:
        problems.append(message(N_("unknown store code(s): %(codes)s"), codes=", ".join(missing)))
    if store_codes and role != "store_manager":
        problems.append(message(N_("only store managers are linked to stores")))
    return stores, problems


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
                password_hash_method: str = DEFAULT_PASSWORD_HASH_METHOD,
                store_codes: list[str] | None = None) -> User:
    """Create or edit a person. A new person needs a password; an edit changes it only when one is given
    (and signs them out everywhere). A store manager is linked to `store_codes` (replaced). Raises PeopleError
    with every problem, NotFoundError."""
    email = normalise_email(email)
    areas, region, problems = _person_problems(session, role=role, locale=locale, area_codes=area_codes,
                                               region_code=region_code)
    stores, store_problems = _store_problems(session, role=role, store_codes=list(store_codes or []))
    problems.extend(store_problems)
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
        user = get_or_not_found(session, User, user_id)
        before = {"email": user.email, "name": user.name, "role": user.role, "locale": user.locale,
                  "region_id": user.region_id,
                  "stores": sorted(session.scalars(select(Store.code).join(
                      store_managers, Store.id == store_managers.c.store_id)
                      .where(store_managers.c.user_id == user.id)))}
    else:
        user = User(session_token=secrets.token_hex(16), created_at=now, failed_logins=0, is_active_user=True)
        before = None
    user.email, user.name, user.role, user.locale = email, name.strip() or email, role, locale
    user.region_id = region.id if region else None
    _store_person(session, user, password, areas, password_hash_method)
    session.execute(store_managers.delete().where(store_managers.c.user_id == user.id))
    if stores:
        session.execute(store_managers.insert(), [{"user_id": user.id, "store_id": s.id} for s in stores])
    after = {"email": email, "name": user.name, "role": role, "locale": locale, "region_id": user.region_id,
             "areas": sorted(area_codes), "stores": sorted(s.code for s in stores)}
    audit.record(session, actor=actor, action="user.update" if user_id else "user.create", entity_type="user",
                 entity_id=user.id, now=now, before=before, after=after,
                 detail="password changed" if user_id and password else "")
    session.commit()
    return user


# Each password set by an import is hashed with scrypt (a deliberate fraction of a second): a bound on them keeps
# one import well inside the server's request timeout.
MAX_IMPORT_PASSWORDS = 100
USER_COLUMNS = ("email", "name", "role", "locale", "areas", "region", "password", "stores")


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
    """Create or update people from CSV (columns: email, name, role[, locale, areas, region, password, stores]).

    `areas` is a space-separated list of area codes (area managers only), `stores` of store codes (store
    managers only; a file without the column leaves store managers' stores as they are). A new person needs a password of at
    least the minimum length; an existing one keeps theirs unless a password is given. All or nothing: any
    rejected row raises ImportRejectedError (every rejected row with its line number, the header being line 1)
    and writes nothing; with dry_run nothing is written either way.
    """
    report = ImportReport()
    rows = read_csv_rows(csv_text, ("email", "name", "role"))
    existing = {u.email.lower(): u for u in session.scalars(select(User))}
    seen: set[str] = set()
    pending: list[tuple[str, User | None, dict[str, Any], list[Area], str]] = []
    shops: dict[str, list[Store] | None] = {}
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
        if "stores" in row:
            stores, store_problems = _store_problems(session, role=role, store_codes=row["stores"].split())
            problems.extend(store_problems)
            shops[email] = stores
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
            current_stores = set(session.scalars(
                select(store_managers.c.store_id).where(store_managers.c.user_id == user.id)))
            same_stores = shops.get(email) is None or current_stores == {s.id for s in shops[email] or []}
            if current == values and current_areas == set(area_codes) and same_stores and not password:
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
        if shops.get(email) is not None:
            session.execute(store_managers.delete().where(store_managers.c.user_id == user.id))
            if shops[email]:
                session.execute(store_managers.insert(), [{"user_id": user.id, "store_id": s.id}
                                                          for s in shops[email]])
    audit.record(session, actor=actor, action="user.import", entity_type="user", entity_id="*", now=now,
                 after={"created": report.created, "updated": report.updated},
                 detail=f"{len(report.created)} created, {len(report.updated)} updated")
    session.commit()
    return report
