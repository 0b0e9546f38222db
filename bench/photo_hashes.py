"""The near-duplicate photo check at a retailer's size: the indexed hash bands beside the former full scan.

Run: .venv/bin/python bench/photo_hashes.py [--rounds N] [--server postgresql://postgres@127.0.0.1:5432]
                                            [--sqlite-only]

Each database in turn (a throwaway SQLite file, then a throwaway PostgreSQL database `storecheck_bench_phash_<pid>`
created on --server and dropped afterwards; no other database is touched) is migrated and given one store, one
shopper, one checklist and submitted visits with two photos each, up to 1,000 and then 50,000 stored perceptual
hashes: most random, a third of them scattered 8 to 20 bits around fifty "receipt" hashes (photos of receipts on
counters look alike, so real hashes bunch). The visit checked has one photo 4 bits from a stored one (flagged at
the default threshold of 6 bits) and one that resembles nothing.

Times are the photo check alone (`services.fraud._photo_findings`, what a submit and `flask check-visits` run per
visit) beside the former check in the same process and run, which read every stored hash and compared them in
Python (kept here as the baseline). Interleaved rounds, minimum and median; both must give the same findings, or
the bench stops. Statistics are refreshed (ANALYZE) after each load, as autovacuum would. The budget: at 50,000 hashes the indexed check takes at most a tenth of the full scan's time.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import flask_migrate  # noqa: E402
from sqlalchemy import insert, or_, select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

import scoring  # noqa: E402
from audit_app import create_app  # noqa: E402
from audit_app.config import Config  # noqa: E402
from audit_app.extensions import db  # noqa: E402
from audit_app.models import Photo, Visit  # noqa: E402
from audit_app.models.visits import phash_bands  # noqa: E402
from audit_app.services import checklists, fraud, users  # noqa: E402
from bench.organisation import one_store  # noqa: E402
from audit_app.services.settings import ProgrammeSettings, get_settings  # noqa: E402

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=timezone.utc)
SIZES = (1_000, 50_000)
BUDGET = 0.1  # the indexed check's time at 50,000 hashes, as a share of the full scan's
CHECKLIST = {"key": "bench_photos", "title": "Bench", "channel": "in_store", "grades": [{"min": 0, "label": "All"}],
             "sections": [{"key": "s", "title": "S", "questions": [
                 {"key": "paid", "type": "yes_no", "text": "Paid?"},
                 {"key": "receipt", "type": "photo", "text": "Receipt", "required": False}]}]}


def former_photo_findings(session: Session, visit: Visit, settings: ProgrammeSettings) -> list[fraud.Finding]:
    """The check as it was: every stored hash loaded and compared in Python (the baseline)."""
    mine = list(session.scalars(select(Photo).where(Photo.visit_id == visit.id).order_by(Photo.id)))
    found: list[fraud.Finding] = []
    others = session.execute(
        select(Photo.id, Photo.visit_id, Photo.sha256, Photo.phash)
        .join(Visit, Photo.visit_id == Visit.id)
        .where(Photo.visit_id != visit.id, Visit.status != "voided",
               or_(Photo.sha256.in_({p.sha256 for p in mine}), Photo.phash.is_not(None)))
        .order_by(Photo.id)).all()
    for photo in mine:
        for other_id, other_visit, sha256, phash in others:
            evidence = {"photo_id": photo.id, "other_photo_id": other_id, "other_visit_id": other_visit,
                        "question": photo.question_key}
            if sha256 == photo.sha256:
                found.append(fraud.Finding("duplicate_photo", f"{photo.id}:{other_id}", evidence, other_visit))
            elif photo.phash and phash:
                bits = fraud.hash_distance(photo.phash, phash)
                if bits <= settings.similar_photo_bits:
                    found.append(fraud.Finding("similar_photo", f"{photo.id}:{other_id}", {**evidence, "bits": bits},
                                               other_visit))
    return found


def flip(phash: str, rng: random.Random, bits: int) -> str:
    value = int(phash, 16)
    for position in rng.sample(range(64), bits):
        value ^= 1 << position
    return f"{value:016x}"


class Data:
    """One migrated database with the bench's store, shopper and checklist, growing by stored photos."""

    def __init__(self, database_url: str, tmp: Path) -> None:
        config = Config(database_url=database_url, secret_key="bench",  # nosec B106 - a throwaway database
                        upload_dir=tmp / "uploads", instance_dir=tmp, csrf_enabled=False)
        self.app = create_app(config)
        self.rng = random.Random(2026)  # nosec B311 - repeatable bench data
        self.centres = [f"{self.rng.getrandbits(64):016x}" for _ in range(50)]
        self.photos = 0
        with self.app.app_context():
            flask_migrate.upgrade()
            store = one_store(db.session)
            shopper = users.create_user(db.session, email="bench@example.com", name="Bench",
                                        password="correct horse battery",  # nosec B106 - never signs in
                                        role="shopper", now=NOW)
            version = checklists.publish_checklist(db.session, scoring.parse_checklist(CHECKLIST), now=NOW)
            self.ids = {"store_id": store.id, "shopper_id": shopper.id, "checklist_version_id": version.id}

    def _visit_rows(self, count: int, status: str = "submitted") -> list[int]:
        rows = [{**self.ids, "client_uuid": str(uuid.UUID(int=self.rng.getrandbits(128))), "status": status,
                 "started_at": NOW - timedelta(days=n % 300, minutes=30), "submitted_at": NOW - timedelta(days=n % 300),
                 "updated_at": NOW, "review_note": ""} for n in range(count)]
        return list(db.session.scalars(insert(Visit).returning(Visit.id), rows))

    def _photo_row(self, visit_id: int, phash: str) -> dict[str, Any]:
        self.photos += 1
        bands = phash_bands(phash) or (None, None, None, None)
        return {"visit_id": visit_id, "question_key": "receipt", "filename": f"{self.photos}.jpg",
                "sha256": f"{self.rng.getrandbits(256):064x}", "phash": phash, "content_type": "image/jpeg",
                "width": 480, "height": 640, "size_bytes": 50_000, "created_at": NOW,
                "phash_band0": bands[0], "phash_band1": bands[1], "phash_band2": bands[2], "phash_band3": bands[3]}

    def grow_to(self, total: int) -> None:
        """Store photos (two a visit) until `total` are stored, besides the checked visit's two."""
        with self.app.app_context():
            while self.photos < total:
                batch = min(10_000, total - self.photos)
                visit_ids = self._visit_rows((batch + 1) // 2)
                rows = []
                for n in range(batch):
                    if self.rng.random() < 1 / 3:
                        phash = flip(self.rng.choice(self.centres), self.rng, self.rng.randint(8, 20))
                    else:
                        phash = f"{self.rng.getrandbits(64):016x}"
                    rows.append(self._photo_row(visit_ids[n // 2], phash))
                db.session.execute(insert(Photo), rows)
                db.session.commit()
            # The planner's statistics, as autovacuum (PostgreSQL) keeps them after a load this size.
            db.session.execute(text("ANALYZE"))
            db.session.commit()

    def checked_visit(self) -> int:
        """A visit with one photo 4 bits from a stored one and one like nothing stored."""
        with self.app.app_context():
            stored = db.session.scalar(select(Photo.phash).order_by(Photo.id).limit(1))
            visit_id = self._visit_rows(1)[0]
            near, fresh = self._photo_row(visit_id, flip(stored, self.rng, 4)), self._photo_row(
                visit_id, f"{self.rng.getrandbits(64):016x}")
            db.session.execute(insert(Photo), [near, fresh])
            db.session.commit()
            self.photos -= 2
            return visit_id

    def measure(self, visit_id: int, rounds: int) -> tuple[list[float], list[float], int]:
        with self.app.app_context():
            visit = db.session.get(Visit, visit_id)
            settings = get_settings(db.session)
            indexed: list[float] = []
            former: list[float] = []
            expected = found = None
            for _ in range(rounds):  # interleaved: the baseline, then the check, each round
                ms, expected = timed(lambda: former_photo_findings(db.session, visit, settings))
                former.append(ms)
                ms, found = timed(lambda: fraud._photo_findings(db.session, visit, settings, None))
                indexed.append(ms)
                db.session.rollback()
                visit = db.session.get(Visit, visit_id)
            if found != expected or not found:
                raise SystemExit(f"the two checks disagree: {found!r} != {expected!r}")
            return indexed, former, len(found)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return (time.perf_counter() - start) * 1000, result


def run(label: str, database_url: str, rounds: int) -> None:
    print(f"{label}:")
    with tempfile.TemporaryDirectory() as tmp:
        data = Data(database_url, Path(tmp))
        for size in SIZES:
            data.grow_to(size)
            visit_id = data.checked_visit()
            indexed, former, flags = data.measure(visit_id, rounds)
            ratio = statistics.median(indexed) / statistics.median(former)
            verdict = ""
            if size == SIZES[-1]:
                verdict = f"; budget {BUDGET:g}x: {'ok' if ratio <= BUDGET else 'OVER BUDGET'}"
            print(f"  {size:>6,} hashes  indexed bands  min {min(indexed):8.2f} ms  median "
                  f"{statistics.median(indexed):8.2f} ms")
            print(f"  {size:>6,} hashes  former scan    min {min(former):8.2f} ms  median "
                  f"{statistics.median(former):8.2f} ms   indexed/former {ratio:5.3f}x (median), "
                  f"{flags} flag(s) alike{verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--server", default=os.environ.get("BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432"))
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()
    logging.getLogger("storecheck.request").disabled = True
    with tempfile.TemporaryDirectory() as tmp:
        run("SQLite", f"sqlite:///{tmp}/bench.db", args.rounds)
    if args.sqlite_only:
        return
    import psycopg
    from psycopg import sql

    name = f"storecheck_bench_phash_{os.getpid()}"
    with psycopg.connect(f"{args.server}/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        run("PostgreSQL", f"{args.server.replace('postgresql://', 'postgresql+psycopg://', 1)}/{name}", args.rounds)
    finally:
        with psycopg.connect(f"{args.server}/postgres", autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


if __name__ == "__main__":
    main()
