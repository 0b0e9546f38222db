"""Importing from CSV: the shared reader and report, and the store import (people import in `services.people`)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from audit_app.models import Area, Store, User
from audit_app.services import audit
from audit_app.services.errors import N_, Listing, Message, ServiceError, message

STORE_COLUMNS = ("code", "name", "area_code", "city", "address", "timezone", "latitude", "longitude", "radius_m")
LOCATION_COLUMNS = ("latitude", "longitude", "radius_m")
REQUIRED_COLUMNS = ("code", "name", "area_code")
# One import is one request: a bigger file is split, so that checking it never outlasts the server's timeout.
MAX_IMPORT_ROWS = 5000


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    # (line number, reason): a Message or a Listing of them; str() is English, message_text the reader's language
    rejected: list[tuple[int, Message | Listing]] = field(default_factory=list)


class ImportRejectedError(ServiceError):
    def __init__(self, report: ImportReport):
        super().__init__(N_("%(n)s row(s) were rejected; nothing was imported."), n=len(report.rejected))
        self.report = report


def read_csv_rows(csv_text: str, required: tuple[str, ...],
                  max_rows: int = MAX_IMPORT_ROWS) -> list[dict[str, str]]:
    """The rows of a CSV file (a spreadsheet's byte-order mark ignored), or ImportRejectedError naming the line
    that cannot be read, the required columns that are missing, or a file of more than `max_rows` rows."""
    report = ImportReport()
    reader = csv.DictReader(io.StringIO(csv_text.lstrip("\ufeff"), newline=""))
    rows: list[dict[str, str]] = []
    try:
        header = [h.strip() for h in (reader.fieldnames or [])]
        for row in reader:
            if len(rows) == max_rows:
                report.rejected.append((reader.line_num, message(
                    N_("the file has more than %(n)s rows: split it into files of at most %(n)s rows each"),
                    n=f"{max_rows:,}")))
                raise ImportRejectedError(report)
            rows.append(row)
    except csv.Error as error:  # e.g. a field longer than the csv module's limit
        report.rejected.append((max(reader.line_num, 1), message(N_("not readable as CSV: %(error)s"), error=str(error))))
        raise ImportRejectedError(report) from None
    missing = [c for c in required if c not in header]
    if missing:
        report.rejected.append((1, message(N_("missing column(s): %(columns)s"), columns=", ".join(missing))))
        raise ImportRejectedError(report)
    return rows


def too_long(model: type, row: dict[str, str], columns: tuple[str, ...]) -> Listing | None:
    """Which of the row's values do not fit their column of `model` (its declared length), or None."""
    over = []
    for name in columns:
        limit = getattr(model.__table__.c[name].type, "length", None)
        value = row.get(name, "")
        if limit is not None and len(value) > limit:
            over.append(message(N_("%(column)s is %(length)s characters long (at most %(limit)s)"), column=name,
                                length=len(value), limit=limit))
    return Listing(tuple(over)) if over else None


def _number(row: dict[str, str], column: str, kind: type) -> float | int | None:
    text = row.get(column, "").replace(",", ".") if kind is float else row.get(column, "")
    return kind(text) if text else None


def _location_values(row: dict[str, str]) -> dict[str, float | int | None] | Message:
    """The location columns present in a row, read, or the reason they cannot be stored."""
    from audit_app.services.org import location_problem

    present = [c for c in LOCATION_COLUMNS if c in row]
    values: dict[str, float | int | None] = {}
    for column in present:
        try:
            values[column] = _number(row, column, int if column == "radius_m" else float)
        except ValueError:
            return message(N_("%(column)s %(value)s is not a number"), column=column, value=row[column])
    if not present:
        return values
    problem = location_problem(values.get("latitude"), values.get("longitude"), values.get("radius_m"))
    return problem if problem is not None else values


def import_stores(session: Session, csv_text: str, *, now: datetime, actor: User | None = None,
                  dry_run: bool = False) -> ImportReport:
    """Create or update stores from CSV (columns: code, name, area_code[, city, address, timezone, latitude,
    longitude, radius_m]). A file without the location columns leaves stores' coordinates as they are; an empty
    cell clears them (an empty radius means the programme's default).

    All or nothing: any rejected row raises ImportRejectedError and writes nothing. With dry_run the report
    says what would change and nothing is written either way. Line numbers count the header as line 1.
    """
    report = ImportReport()
    rows = read_csv_rows(csv_text, REQUIRED_COLUMNS)
    areas = {a.code: a for a in session.scalars(select(Area))}
    stores = {s.code: s for s in session.scalars(select(Store))}
    seen: set[str] = set()
    for line, raw in enumerate(rows, start=2):
        row = {k.strip(): (v or "").strip() for k, v in raw.items() if k}
        code, name, area_code = row.get("code", ""), row.get("name", ""), row.get("area_code", "")
        tz = row.get("timezone") or "UTC"
        if not code or not name or not area_code:
            report.rejected.append((line, message(N_("code, name and area_code are all required"))))
            continue
        problem = too_long(Store, {**row, "timezone": tz}, ("code", "name", "city", "address", "timezone"))
        if problem is not None:
            report.rejected.append((line, problem))
            continue
        if code in seen:
            report.rejected.append((line, message(N_("store code %(code)s appears twice in the file"), code=code)))
            continue
        seen.add(code)
        if area_code not in areas:
            report.rejected.append((line, message(N_("unknown area code %(code)s"), code=area_code)))
            continue
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            report.rejected.append((line, message(N_("unknown time zone %(zone)s"), zone=tz)))
            continue
        values = {"name": name, "area_id": areas[area_code].id, "city": row.get("city", ""),
                  "address": row.get("address", ""), "timezone": tz}
        location = _location_values(row)
        if isinstance(location, Message):
            report.rejected.append((line, location))
            continue
        values.update(location)
        store = stores.get(code)
        if store is None:
            report.created.append(code)
            session.add(Store(code=code, is_active=True, **values))
            continue
        before = {k: getattr(store, k) for k in values}
        if before == values:
            report.unchanged.append(code)
            continue
        report.updated.append(code)
        for key, value in values.items():
            setattr(store, key, value)
        audit.record(session, actor=actor, action="store.update", entity_type="store", entity_id=store.id,
                     now=now, before=before, after=values)
    if report.rejected:
        session.rollback()
        raise ImportRejectedError(report)
    if dry_run:
        session.rollback()
        return report
    if report.created:
        audit.record(session, actor=actor, action="store.import", entity_type="store", entity_id="*", now=now,
                     after={"created": report.created}, detail=f"{len(report.created)} store(s) created")
    session.commit()
    return report
