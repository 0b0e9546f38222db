"""Build a production-sized PostgreSQL database for reviewing the scorecard pages' queries (bench/explain.py).

Run:  .venv/bin/python bench/scale_data.py --database NAME [--replace] [--server postgresql://postgres@127.0.0.1:5432/]
                                            [--stores 2000] [--visits 50-per-store] [--seed 2026]

Creates the database NAME on that server (and touches no other database). A database of that name that this
script did not build is never dropped; one it built (its `bench_scale_origin` table says so) is dropped and
rebuilt only with `--replace`. It migrates the database to the newest schema (an older one for a "before"
figure is reached afterwards with `flask db downgrade`, see docs/scale.md) and fills it with a retailer of 3
regions, one area per 20 stores (100 areas of about 20 stores at 2,000), 200 shoppers, 50 area managers (two areas
each) and 3 head-office people, the four shipped checklists (the in-store visit in two versions, the second published a
year ago), and about two years of visits: roughly one per store every two weeks, 75 % of them in-store visits,
each with its answers, photo records, stored score card and section scores, some of them re-scored. Visits
older than three weeks are mostly approved (a few voided, returned or never reviewed); recent ones mostly wait
for review; a few drafts are in progress. Store quality follows a baseline and a slow trend per store.

Regions, areas, stores, people and checklists go through the services; visits, answers and scores are written
with COPY. Answer sets are drawn from a pool scored by the real engine (`scoring.score`) at each quality level,
so every stored card, percent, grade and section score is what submitting those answers would store. Ends with
VACUUM ANALYZE and prints the row count of every table and the build time (a few minutes on two cores).

Every person's password is `quiet-harbour-lantern-47`: head office is head1@scale.example, area managers
manager001@scale.example ... manager050@scale.example, shoppers shopper001@scale.example ...
"""

from __future__ import annotations

import argparse
import bisect
import hashlib
import io
import json
import re
import random
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from fractions import Fraction
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import flask_migrate  # noqa: E402
import psycopg  # noqa: E402
import sqlalchemy as sa  # noqa: E402

import scoring  # noqa: E402
from audit_app import create_app  # noqa: E402
from audit_app.config import Config, normalise_database_url  # noqa: E402
from audit_app.extensions import db  # noqa: E402
from audit_app.models import Area, ChecklistVersion, Region, Store, User, area_managers  # noqa: E402
from audit_app.services import checklists as checklist_service  # noqa: E402
from audit_app.services import csv_import, org, users  # noqa: E402
from audit_app.services.scores.storage import card_summary, section_percent  # noqa: E402
from audit_app.services.seed import COMMENTS, answers_at  # noqa: E402

ORIGIN_TABLE = "bench_scale_origin"  # marks a database this script built (so only such a one is ever dropped)
PASSWORD = "quiet-harbour-lantern-47"  # nosec B105 - benchmark data only
REGIONS = (("EAST", "East"), ("CENTRAL", "Central"), ("WEST", "West"))
CITIES = ("Tokyo", "Yokohama", "Osaka", "Nagoya", "Sapporo", "Fukuoka", "Kobe", "Kyoto", "Sendai", "Hiroshima",
          "Chiba", "Saitama", "Kawasaki", "Niigata", "Hamamatsu", "Kumamoto", "Okayama", "Shizuoka")
DAYS = 730
QUALITY_LEVELS = [round(0.2 + 0.04 * i, 2) for i in range(20)]  # 0.20 .. 0.96
POOL_PER_LEVEL = 24
PHOTO_TOKEN = "photo-{}-{}"
DATE_TOKEN = "1999-12-31"


@dataclass
class Scored:
    """One answer set scored by the engine, pre-rendered for COPY (placeholders filled per visit)."""

    pool_id: int
    answers: list[str]  # "question_key\tvalue\tis_na\tcomment" (COPY text format)
    photo_keys: list[str]
    card: str  # JSON of the stored card (placeholders for photo hashes and the visit date)
    summary: str  # JSON of the score's summary of that card (`storage.card_summary`, the same placeholders)
    earned: str
    possible: str
    percent_exact: str | None
    percent_parts: str  # "percent_num\tpercent_den" (COPY text format)
    percent: float | None
    grade: str | None
    critical_failures: int
    sections: list[str]  # "section_key\tearned\tpossible\tpercent\tis_zeroed\tpercent_num\tpercent_den"


def _copy_text(value: Any) -> str:
    if value is None:
        return "\\N"
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _exact(value: Any) -> str:
    return f"{value.numerator}/{value.denominator}"


def _parts(value: Fraction | None) -> str:
    """A percent as the integer columns store it (reduced, as `store_card` writes them), in COPY text format."""
    return "\\N\t\\N" if value is None else f"{value.numerator}\t{value.denominator}"


def _score_pool(checklist: scoring.Checklist, rng: random.Random, pool_id: int) -> list[list[Scored]]:
    """POOL_PER_LEVEL scored answer sets for each quality level."""
    when = datetime(1999, 12, 31, 12, 0, tzinfo=timezone.utc)
    levels = []
    for level in QUALITY_LEVELS:
        found = []
        for _ in range(POOL_PER_LEVEL):
            quality = min(0.99, max(0.2, level + rng.uniform(-0.02, 0.02)))
            answers, hidden = answers_at(checklist, quality, rng, when)
            photo_keys = []
            for _, question in checklist.questions():
                if question.type == "photo" and question.key not in hidden and question.required:
                    answers[question.key] = PHOTO_TOKEN.format(pool_id, question.key)
                    photo_keys.append(question.key)
            comments = {}
            if rng.random() < 0.3:
                key = rng.choice([k for k in answers if checklist.question(k).type != "photo"])
                comments[key] = rng.choice(COMMENTS)
            card = scoring.score(checklist, answers)
            rows = []
            for key in sorted(set(answers) | set(comments)):
                value = answers.get(key)
                is_na = value is scoring.NA
                stored = None if is_na or value is None else value
                rows.append("\t".join((_copy_text(key), _copy_text(json.dumps(stored)), "t" if is_na else "f",
                                       _copy_text(comments.get(key, "")))))
            sections = ["\t".join((_copy_text(s.key), _exact(s.earned), _exact(s.possible),
                                   "\\N" if s.percent is None else repr(float(s.percent)),
                                   "t" if s.is_zeroed else "f",
                                   _parts(section_percent(Fraction(s.earned), Fraction(s.possible)))))
                        for s in card.sections]
            found.append(Scored(
                pool_id=pool_id, answers=rows, photo_keys=photo_keys,
                card=_copy_text(json.dumps(scoring.card_to_data(card))),
                summary=_copy_text(json.dumps(card_summary(scoring.card_to_data(card)))),
                earned=_exact(card.earned), possible=_exact(card.possible),
                percent_exact=_exact(card.percent) if card.percent is not None else None,
                percent_parts=_parts(card.percent),
                percent=float(card.percent) if card.percent is not None else None,
                grade=str(card.grade.label) if card.grade is not None else None,
                critical_failures=len(card.critical_failures), sections=sections,
            ))
            pool_id += 1
        levels.append(found)
    return levels


def _second_version(checklist: scoring.Checklist) -> scoring.Checklist:
    """The in-store checklist as head office revised it a year ago: the first section weighs double."""
    data = scoring.checklist_to_data(checklist)
    data["sections"][0]["weight"] = 2 * data["sections"][0].get("weight", 1)
    return scoring.parse_checklist(data)


def _create_database(server: str, name: str, replace: bool) -> str:
    """Create the database `name`; drop it first only when this script built it and `replace` is given."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
        raise SystemExit(f"--database {name!r}: lower-case letters, digits and underscores only")
    base = server.rstrip("/")
    engine = sa.create_engine(normalise_database_url(base + "/postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
    engine.dispose()
    if exists:
        probe = sa.create_engine(normalise_database_url(base + "/" + name))
        with probe.connect() as conn:
            ours = conn.execute(sa.text("SELECT to_regclass(:t) IS NOT NULL"), {"t": ORIGIN_TABLE}).scalar()
        probe.dispose()
        if not ours:
            raise SystemExit(f"database {name} exists and was not built by this script: not touching it")
        if not replace:
            raise SystemExit(f"database {name} exists (built by this script): pass --replace to rebuild it")
    engine = sa.create_engine(normalise_database_url(base + "/postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if exists:
            conn.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()
    url = base + "/" + name
    marker = sa.create_engine(normalise_database_url(url))
    with marker.begin() as conn:
        conn.exec_driver_sql(f"CREATE TABLE {ORIGIN_TABLE} (built_at timestamptz NOT NULL DEFAULT now())")
        conn.exec_driver_sql(f"INSERT INTO {ORIGIN_TABLE} DEFAULT VALUES")
    marker.dispose()
    return url


def _organisation(session: Any, head: User, stores: int, now: datetime, rng: random.Random) -> None:
    areas_total = max(3, round(stores / 20))
    regions = [org.save_region(session, head, region_id=None, code=code, name=name, now=now)
               for code, name in REGIONS]
    lines = ["code,name,area_code,city,address,timezone"]
    per_area = [stores // areas_total + (1 if i < stores % areas_total else 0) for i in range(areas_total)]
    number = 0
    for index in range(areas_total):
        region = regions[index % len(regions)]
        code = f"A{index + 1:03d}"
        org.save_area(session, head, area_id=None, code=code, name=f"{region.name} {index + 1:03d}",
                         region_id=region.id, now=now)
        for _ in range(per_area[index]):
            number += 1
            city = rng.choice(CITIES)
            lines.append(f"S{number:04d},{city} {number:04d},{code},{city},{number} Main Street,Asia/Tokyo")
    csv_import.import_stores(session, "\n".join(lines) + "\n", now=now, actor=head)


def _people(session: Any, head_count: int, managers: int, shoppers: int, now: datetime) -> None:
    areas = [a.code for a in session.scalars(sa.select(Area).order_by(Area.code))]
    regions = [r.id for r in session.scalars(sa.select(Region).order_by(Region.id))]
    for n in range(2, head_count + 1):
        users.create_user(session, email=f"head{n}@scale.example", name=f"Head Office {n}", password=PASSWORD,
                          role="head_office", now=now)
    per = max(1, len(areas) // managers)
    for n in range(managers):
        mine = areas[n * per:(n + 1) * per] if n < managers - 1 else areas[n * per:]
        users.create_user(session, email=f"manager{n + 1:03d}@scale.example", name=f"Area Manager {n + 1:03d}",
                          password=PASSWORD, role="area_manager", now=now, area_codes=mine)
    for n in range(shoppers):
        shopper = users.create_user(session, email=f"shopper{n + 1:03d}@scale.example",
                                    name=f"Shopper {n + 1:03d}", password=PASSWORD, role="shopper", now=now,
                                    locale="ja" if n % 3 == 1 else "en")
        shopper.region_id = regions[n % len(regions)]
    session.commit()


def _status(age_days: float, rng: random.Random) -> str:
    r = rng.random()
    if age_days > 21:
        return "approved" if r < 0.965 else "voided" if r < 0.985 else "submitted" if r < 0.995 else "returned"
    return "submitted" if r < 0.70 else "approved" if r < 0.98 else "returned" if r < 0.99 else "voided"


class Copier:
    """Rows of one table in COPY text format, sent a few megabytes at a time on a connection of its own (the
    tables load side by side); foreign keys are not checked (the rows are consistent by construction)."""

    def __init__(self, url: str, table: str, columns: str) -> None:
        self._conn = psycopg.connect(url)
        self._conn.execute("SET session_replication_role = replica")
        self._cm = self._conn.cursor().copy(f"COPY {table} ({columns}) FROM STDIN")
        self._copy = self._cm.__enter__()
        self._buffer = io.StringIO()
        self.rows = 0

    def add(self, line: str) -> None:
        self._buffer.write(line)
        self.rows += 1
        if self._buffer.tell() > 4_000_000:
            self._copy.write(self._buffer.getvalue())
            self._buffer = io.StringIO()

    def close(self) -> None:
        self._copy.write(self._buffer.getvalue())
        self._cm.__exit__(None, None, None)
        self._conn.commit()
        self._conn.close()


def _ts(value: datetime) -> str:
    return value.isoformat()


def _visits(url: str, now: datetime, target_visits: int, rng: random.Random) -> None:
    engine = sa.create_engine(normalise_database_url(url))
    with engine.connect() as conn:
        stores = conn.execute(sa.select(Store.id, Area.region_id).join(Area, Store.area_id == Area.id)
                              .order_by(Store.id)).all()
        shoppers = conn.execute(sa.select(User.id, User.region_id).where(User.role == "shopper")).all()
        head_id = conn.execute(sa.select(User.id).where(User.email == "head1@scale.example")).scalar_one()
        versions = conn.execute(sa.select(ChecklistVersion.id, ChecklistVersion.checklist_id,
                                          ChecklistVersion.definition, ChecklistVersion.published_at)
                                .order_by(ChecklistVersion.id)).all()
    engine.dispose()
    local: dict[int, list[int]] = {}
    for sid, rid in shoppers:
        local.setdefault(rid, []).append(sid)
    by_checklist: dict[int, list[tuple[datetime, int, scoring.Checklist]]] = {}
    for vid, cid, definition, published_at in versions:
        by_checklist.setdefault(cid, []).append((published_at, vid, scoring.parse_checklist(definition)))
    in_store = next(cid for cid, vs in by_checklist.items() if vs[0][2].key == "in_store_visit")
    others = [cid for cid in by_checklist if cid != in_store]

    started = time.perf_counter()
    pools: dict[int, list[list[Scored]]] = {}
    pool_id = 0
    for cid, vs in by_checklist.items():
        for _, vid, checklist in vs:
            pools[vid] = _score_pool(checklist, rng, pool_id)
            pool_id += len(QUALITY_LEVELS) * POOL_PER_LEVEL
    print(f"  scored {pool_id} answer sets with the engine in {time.perf_counter() - started:.1f} s", flush=True)

    # Per store: a baseline quality and a slow monthly trend (strong, steady, improving, declining, weak).
    profiles = {}
    for sid, _ in stores:
        kind = rng.choice(["strong", "steady", "improving", "declining", "weak"])
        base, trend = {"strong": (0.9, 0.0), "steady": (0.78, 0.0), "improving": (0.55, 0.015),
                       "declining": (0.9, -0.015), "weak": (0.55, 0.003)}[kind]
        profiles[sid] = (base + rng.uniform(-0.05, 0.05), trend)
    gap = DAYS * len(stores) / target_visits
    start = now - timedelta(days=DAYS)

    assignments = Copier(url, "assignments", "id, shopper_id, store_id, checklist_id, window_start, window_end, "
                                             "status, created_at, created_by_id")
    visits_out = Copier(url, "visits", "id, client_uuid, store_id, shopper_id, checklist_version_id, "
                                       "assignment_id, status, started_at, submitted_at, latitude, longitude, "
                                       "location_accuracy_m, review_note, updated_at")
    later: list[tuple] = []  # (visit_id, submitted_at, pool item, version_id, rescored)
    answer_id = photo_id = 0
    visit_id = assignment_id = 0
    for store_id, region_id in stores:
        base, trend = profiles[store_id]
        day = start + timedelta(days=rng.uniform(0, gap))
        while day < now - timedelta(hours=6):
            visit_id += 1
            assignment_id += 1
            months = (day - start).days / 30
            quality = min(0.99, max(0.2, base + trend * months + rng.gauss(0, 0.06)))
            checklist_id = in_store if rng.random() < 0.75 else rng.choice(others)
            candidates = [v for v in by_checklist[checklist_id] if v[0] <= day] or by_checklist[checklist_id][:1]
            version_id = candidates[-1][1]
            shopper = rng.choice(local.get(region_id) or [s for s, _ in shoppers])
            began = min(day.replace(hour=rng.randint(1, 10), minute=rng.randint(0, 59), second=0, microsecond=0),
                        now - timedelta(hours=2))
            age = (now - began).total_seconds() / 86400
            draft = age < 3 and rng.random() < 0.3
            status = "draft" if draft else _status(age, rng)
            finished = began + timedelta(minutes=rng.randint(25, 50))
            if finished > now:
                finished = now - timedelta(minutes=5)
            assignments.add("\t".join(map(str, (
                assignment_id, shopper, store_id, checklist_id, (began - timedelta(days=3)).date(),
                (began + timedelta(days=4)).date(), "started" if status in ("draft", "returned") else "done",
                _ts(began - timedelta(days=5)), head_id))) + "\n")
            reviewed = finished + timedelta(days=rng.uniform(0.5, 10)) if status not in ("draft", "submitted") \
                else finished
            note = {"returned": "Please add the receipt photo and the cashier's description.",
                    "voided": "Visited outside the assignment window."}.get(status, "")
            lat, lon = 35 + rng.uniform(-2, 2), 137 + rng.uniform(-3, 3)
            visits_out.add("\t".join((
                str(visit_id), str(uuid.UUID(int=rng.getrandbits(128), version=4)), str(store_id), str(shopper),
                str(version_id), str(assignment_id), status, _ts(began), "\\N" if draft else _ts(finished),
                f"{lat:.6f}", f"{lon:.6f}", str(rng.randint(5, 60)), note, _ts(min(reviewed, now)))) + "\n")
            level = bisect.bisect_left(QUALITY_LEVELS, quality - 0.02)
            item = rng.choice(pools[version_id][min(level, len(QUALITY_LEVELS) - 1)])
            later.append((visit_id, finished, began, item, version_id, draft, rng.random() < 0.1))
            day += timedelta(days=gap * rng.uniform(0.6, 1.4))
    # Open assignments: two for every shopper in the next two weeks.
    for shopper_id, region_id in shoppers:
        for offset in (3, 10):
            assignment_id += 1
            store_id = rng.choice([s for s, r in stores if r == region_id] or [stores[0][0]])
            when = now + timedelta(days=offset)
            assignments.add("\t".join(map(str, (
                assignment_id, shopper_id, store_id, in_store, when.date(), (when + timedelta(days=7)).date(),
                "open", _ts(now), head_id))) + "\n")
    assignments.close()
    visits_out.close()
    print(f"  wrote {visit_id} visits, {assignment_id} assignments", flush=True)

    answers = Copier(url, "answers", "id, visit_id, question_key, value, is_na, comment, updated_at")
    photos = Copier(url, "photos", "id, visit_id, question_key, filename, sha256, content_type, width, height, "
                                   "size_bytes, taken_at, created_at")
    scores = Copier(url, "visit_scores", "id, visit_id, checklist_version_id, is_current, earned, possible, "
                                         "percent_exact, percent, grade, critical_failures, card, scored_at, "
                                         "scored_by_id, percent_num, percent_den")
    summaries = Copier(url, "score_summaries", "visit_score_id, summary")
    sections = Copier(url, "section_scores", "id, visit_score_id, section_key, earned, possible, percent, "
                                             "is_zeroed, percent_num, percent_den")
    score_id = section_id = 0
    rescored_at = now - timedelta(days=200)
    for vid, finished, began, item, version_id, draft, rescored in later:
        when = _ts(finished)
        card = item.card.replace(DATE_TOKEN, began.date().isoformat())
        summary = item.summary.replace(DATE_TOKEN, began.date().isoformat())
        answer_lines = item.answers
        for key in item.photo_keys:
            sha = hashlib.sha256(f"{vid}:{key}".encode()).hexdigest()
            token = PHOTO_TOKEN.format(item.pool_id, key)
            card = card.replace(token, sha)
            summary = summary.replace(token, sha)
            answer_lines = [line.replace(token, sha) for line in answer_lines]
            photo_id += 1
            photos.add(f"{photo_id}\t{vid}\t{key}\t{sha}.jpg\t{sha}\timage/jpeg\t1536\t2048\t"
                       f"{rng.randint(250_000, 900_000)}\t{when}\t{when}\n")
        if draft:  # a visit in progress: some answers, no score
            answer_lines = answer_lines[: len(answer_lines) // 2]
        for line in answer_lines:
            answer_id += 1
            answers.add(f"{answer_id}\t{vid}\t{line.replace(DATE_TOKEN, began.date().isoformat())}\t{when}\n")
        if draft:
            continue
        percent = "\\N" if item.percent is None else repr(item.percent)
        fields = (f"{item.earned}\t{item.possible}\t{_copy_text(item.percent_exact)}\t{percent}\t"
                  f"{_copy_text(item.grade)}\t{item.critical_failures}\t{card}")
        runs = [("f", when, "\\N"), ("t", _ts(rescored_at), str(head_id))] if rescored and finished < rescored_at \
            else [("t", when, "\\N")]
        for current, at, by in runs:
            score_id += 1
            scores.add(f"{score_id}\t{vid}\t{version_id}\t{current}\t{fields}\t{at}\t{by}\t{item.percent_parts}\n")
            summaries.add(f"{score_id}\t{summary}\n")
            for section in item.sections:
                section_id += 1
                sections.add(f"{section_id}\t{score_id}\t{section}\n")
    for copier in (answers, photos, scores, summaries, sections):
        copier.close()
    with psycopg.connect(url) as conn:
        for table, last in (("visits", visit_id), ("assignments", assignment_id), ("answers", answer_id),
                            ("photos", photo_id), ("visit_scores", score_id), ("section_scores", section_id)):
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), %s)", (max(last, 1),))



@dataclass(frozen=True)
class Targets:
    """What the page benches request on a database this script built: head office, the area manager with the most
    areas, that manager's first area, its region and its first store."""
    revision: str
    head_email: str
    manager_email: str
    area_id: int
    region_id: int
    store_id: int
    stores: int
    region_stores: int


def scale_targets(session: Any) -> Targets:
    revision = session.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    head = session.scalar(sa.select(User).where(User.role == "head_office").order_by(User.id))
    manager_id, _ = session.execute(
        sa.select(area_managers.c.user_id, sa.func.count()).group_by(area_managers.c.user_id)
        .order_by(sa.func.count().desc(), area_managers.c.user_id)).first()
    manager = session.get(User, manager_id)
    area_id = session.scalar(sa.select(area_managers.c.area_id).where(area_managers.c.user_id == manager_id)
                             .order_by(area_managers.c.area_id))
    region_id = session.scalar(sa.select(Area.region_id).where(Area.id == area_id))
    return Targets(
        revision=revision, head_email=head.email, manager_email=manager.email, area_id=area_id, region_id=region_id,
        store_id=session.scalar(sa.select(Store.id).where(Store.area_id == area_id).order_by(Store.id)),
        stores=session.scalar(sa.select(sa.func.count(Store.id))),
        region_stores=session.scalar(sa.select(sa.func.count(Store.id)).join(Area, Store.area_id == Area.id)
                                     .where(Area.region_id == region_id)))


def signed_in_clients(app: Any, emails: set[str]) -> dict[str, Any]:
    """A test client per person, each signed in with the password every person of these databases has."""
    clients = {}
    for email in emails:
        client = app.test_client()
        response = client.post("/login", data={"email": email, "password": PASSWORD})
        if response.status_code != 302:
            raise SystemExit(f"could not sign in as {email}: {response.status_code}")
        clients[email] = client
    return clients


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432/",
                        help="PostgreSQL server URL without a database name")
    parser.add_argument("--database", required=True, help="the database to build (never one this script did not build)")
    parser.add_argument("--replace", action="store_true", help="drop and rebuild the database if this script built it")
    parser.add_argument("--stores", type=int, default=2000)
    parser.add_argument("--visits", type=int, default=None,
                        help="visits over two years, roughly (default: 50 per store)")
    parser.add_argument("--managers", type=int, default=None, help="default: one per two areas")
    parser.add_argument("--shoppers", type=int, default=None, help="default: one per ten stores")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    rng = random.Random(args.seed)  # nosec B311 - repeatable benchmark data
    began = time.perf_counter()
    now = datetime.now(timezone.utc).replace(microsecond=0)

    visits = args.visits if args.visits is not None else 50 * args.stores
    url = _create_database(args.server, args.database, args.replace)
    tmp = Path(tempfile.mkdtemp(prefix="storecheck-scale-"))
    app = create_app(Config(database_url=normalise_database_url(url), secret_key="bench",
                            upload_dir=tmp / "uploads", instance_dir=tmp, csrf_enabled=False))
    with app.app_context():
        flask_migrate.upgrade()
        print(f"database {args.database} migrated ({time.perf_counter() - began:.1f} s)", flush=True)
        session = db.session
        past = now - timedelta(days=DAYS + 30)
        head = users.create_user(session, email="head1@scale.example", name="Head Office 1", password=PASSWORD,
                                 role="head_office", now=past)
        _organisation(session, head, args.stores, past, rng)
        managers = args.managers if args.managers is not None else max(1, round(args.stores / 20) // 2)
        shoppers = args.shoppers if args.shoppers is not None else max(10, args.stores // 10)
        _people(session, 3, managers, shoppers, past)
        library = checklist_service.load_library()
        for checklist in library.values():
            checklist_service.publish_checklist(session, checklist, now=now - timedelta(days=DAYS + 10), actor=head)
        if "in_store_visit" in library:
            checklist_service.publish_checklist(session, _second_version(library["in_store_visit"]),
                                                now=now - timedelta(days=365), actor=head)
        print(f"organisation, people and checklists through the services ({time.perf_counter() - began:.1f} s)",
              flush=True)
        db.engine.dispose()

    _visits(url, now, visits, rng)
    print(f"visits, answers and scores copied ({time.perf_counter() - began:.1f} s)", flush=True)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
        print(f"VACUUM ANALYZE done ({time.perf_counter() - began:.1f} s)\n")
        tables = [r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")]
        for table in tables:
            count = conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
            size = conn.execute("SELECT pg_size_pretty(pg_total_relation_size(%s::regclass))",
                                (f'"{table}"',)).fetchone()[0]
            print(f"{table:18} {count:>10,} rows  {size:>10}")
        statuses = conn.execute("SELECT status, count(*) FROM visits GROUP BY status ORDER BY 2 DESC").fetchall()
        print("visits by status: " + ", ".join(f"{s} {n:,}" for s, n in statuses))
        total = conn.execute("SELECT pg_size_pretty(pg_database_size(current_database()))").fetchone()[0]
    print(f"\n{args.database}: {total}, built in {time.perf_counter() - began:.0f} s.  Explain the pages with:\n"
          f"  DATABASE_URL={url} .venv/bin/python bench/explain.py")


if __name__ == "__main__":
    main()
