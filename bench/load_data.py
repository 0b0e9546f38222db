"""The load bench's data, built through the app's services: its own PostgreSQL database, 20 areas of 10 stores,
shoppers with open assignments (the first already started), area managers and months of submitted visits.

Answers come from the demo seed's generator (`audit_app.services.seed.answers_at`), the one every bench uses.
"""

from __future__ import annotations

import io
import os
import random
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

import flask_migrate
import psycopg
from psycopg import sql
from sqlalchemy.orm import Session

import scoring
from audit_app import create_app
from audit_app.config import Config
from audit_app.extensions import db
from audit_app.models import User
from audit_app.services import assignments, checklists, org, photos, users, visits
from audit_app.services.seed import answers_at

SERVER = "postgresql://postgres@127.0.0.1:5432"
DATABASE = os.environ.get("STORECHECK_LOAD_DATABASE", "storecheck_load")
PASSWORD = "load password 123"
CHECKLIST = "in_store_visit"
REGIONS, AREAS, STORES_PER_AREA = 4, 20, 10
OPEN_ASSIGNMENTS = 4  # per shopper: more than one run gets through
HISTORY_VISITS, HISTORY_DAYS = 3, 150  # submitted visits per store, spread over that many days
SETUP_THREADS = 4
# The bare insert's table (bench/load_app.py), the baseline of a submit.
BENCH_TABLE = ("CREATE TABLE IF NOT EXISTS bench_rows (id serial PRIMARY KEY, user_id integer NOT NULL, "
               "created_at timestamptz NOT NULL)")
NOW = datetime.now(timezone.utc)


def receipt_jpeg() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (600, 900), "white")
    draw = ImageDraw.Draw(image)
    for row, text in enumerate(["STORECHECK LOAD", NOW.strftime("%Y-%m-%d %H:%M"), "ITEM 1234   JPY 980",
                                "ITEM 5678   JPY 298", "TOTAL       JPY 1278", "THANK YOU"]):
        draw.text((40, 40 + row * 40), text, fill=(20, 20, 20))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


RECEIPT = receipt_jpeg()


@dataclass
class Plan:
    shoppers: list[str]
    managers: list[str]
    assignment_ids: list[int]  # the shoppers' open assignments (the first of each already started)
    stores: int
    history: int


def recreate_database() -> None:
    """Drop and create the bench's own database; no other database is changed."""
    name = sql.Identifier(DATABASE)
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(name))


def in_parallel(app: Any, work: Callable[[Session, Any], Any], items: list[Any]) -> list[Any]:
    """Run `work(session, item)` for every item on a few threads, each in an app context (and session) of its
    own: the database round trips and password hashing overlap. Results come back in the items' order."""
    def one(item: Any) -> Any:
        with app.app_context():
            return work(db.session, item)

    with ThreadPoolExecutor(max_workers=SETUP_THREADS) as pool:
        return list(pool.map(one, items))


def build_data(config: Config, shoppers: int, managers: int, rng: random.Random) -> Plan:
    app = create_app(config)
    definition = checklists.load_library()[CHECKLIST]
    today = NOW.date()
    with app.app_context():
        flask_migrate.upgrade()
        session = db.session
        head = users.create_user(session, email="head@load.example.com", name="Head Office", password=PASSWORD,
                                 role="head_office", now=NOW)
        checklist_id = checklists.publish_checklist(session, definition, now=NOW, actor=head).checklist_id
        regions = [org.save_region(session, head, region_id=None, code=f"R{r + 1}", name=f"Region {r + 1}",
                                      now=NOW).id for r in range(REGIONS)]
        areas = [(org.save_area(session, head, area_id=None, code=f"A{a + 1:02d}", name=f"Area {a + 1}",
                                   region_id=regions[a % REGIONS], now=NOW).id, f"A{a + 1:02d}")
                 for a in range(AREAS)]
        stores = [org.save_store(session, head, store_id=None, code=f"{code}-{s + 1:02d}",
                                    name=f"Store {code}-{s + 1:02d}", area_id=area_id, city=f"City {a + 1}",
                                    address=f"{s + 1} High Street", timezone="Asia/Tokyo", now=NOW).id
                  for a, (area_id, code) in enumerate(areas) for s in range(STORES_PER_AREA)]
        head_id = head.id

    def person(session: Session, item: tuple[str, str, str, list[str]]) -> int:
        email, name, role, area_codes = item
        return users.create_user(session, email=email, name=name, password=PASSWORD, role=role, now=NOW,
                                 area_codes=area_codes).id

    shopper_emails = [f"shopper{i + 1:03d}@load.example.com" for i in range(shoppers)]
    manager_emails = [f"manager{m + 1:02d}@load.example.com" for m in range(managers)]
    shopper_ids = in_parallel(app, person, [(email, f"Shopper {i + 1}", "shopper", [])
                                            for i, email in enumerate(shopper_emails)])
    in_parallel(app, person, [(email, f"Manager {m + 1}", "area_manager", [areas[m % AREAS][1]])
                              for m, email in enumerate(manager_emails)])
    history = []
    for store_id in stores:
        base = rng.uniform(0.55, 0.95)
        history += [HistoryVisit(store_id, rng.choice(shopper_ids), min(0.99, base + rng.gauss(0, 0.05)),
                                 NOW - timedelta(days=rng.uniform(3, HISTORY_DAYS)), rng.getrandbits(32))
                    for _ in range(HISTORY_VISITS)]
    in_parallel(app, lambda session, item: submit_history_visit(session, head_id, checklist_id, definition, item,
                                                                 config.upload_dir), history)

    def open_work(session: Session, index: int) -> list[int]:
        """A shopper's open assignments, the first one already started with its first sections answered."""
        head, shopper = session.get(User, head_id), session.get(User, shopper_ids[index])
        ids = [assignments.create_assignment(session, head, shopper_id=shopper.id,
                                             store_id=stores[(index * OPEN_ASSIGNMENTS + j) % len(stores)],
                                             checklist_id=checklist_id, window_start=today - timedelta(days=1),
                                             window_end=today + timedelta(days=7), now=NOW).id
               for j in range(OPEN_ASSIGNMENTS)]
        rng = random.Random(index)
        started = NOW - timedelta(minutes=rng.randint(5, 40))
        visit = visits.start_visit(session, shopper, client_uuid=str(uuid.UUID(int=rng.getrandbits(128))),
                                   assignment_id=ids[0], now=started)
        done = {q.key for section in definition.sections[:rng.randrange(len(definition.sections))]
                for q in section.questions}
        answers, _hidden = answers_at(definition, rng.uniform(0.6, 0.98), rng, started)
        visits.save_answers(session, shopper, visit.id, {k: v for k, v in answers.items() if k in done}, NOW)
        return ids

    open_ids = [i for ids in in_parallel(app, open_work, list(range(shoppers))) for i in ids]
    with app.app_context():
        db.engine.dispose()
    return Plan(shopper_emails, manager_emails, open_ids, len(stores), len(history))


@dataclass(frozen=True)
class HistoryVisit:
    store_id: int
    shopper_id: int
    quality: float
    started: datetime
    seed: int


def submit_history_visit(session: Session, head_id: int, checklist_id: int, definition: scoring.Checklist,
                         item: HistoryVisit, upload_dir: Path) -> None:
    """An assignment and its visit, filled in, with a receipt photo, and submitted in the past."""
    rng, started = random.Random(item.seed), item.started
    shopper = session.get(User, item.shopper_id)
    assignment = assignments.create_assignment(session, session.get(User, head_id), shopper_id=shopper.id,
                                               store_id=item.store_id, checklist_id=checklist_id,
                                               window_start=started.date(),
                                               window_end=started.date() + timedelta(days=7), now=started)
    visit = visits.start_visit(session, shopper, client_uuid=str(uuid.UUID(int=rng.getrandbits(128))),
                               assignment_id=assignment.id, now=started)
    answers, _hidden = answers_at(definition, item.quality, rng, started)
    for _, question in definition.questions():
        if question.type == "photo" and question.required:
            answers[question.key] = photos.add_photo(session, shopper, visit.id, question.key, RECEIPT,
                                                     upload_dir=upload_dir, now=started).sha256
    finished = started + timedelta(minutes=rng.randint(25, 50))
    visits.save_answers(session, shopper, visit.id, answers, finished)
    visits.submit_visit(session, shopper, visit.id, visit.client_uuid, finished)
