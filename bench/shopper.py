"""Shopper budgets on a poor connection: bytes on the wire, server time of a section page and of a submit, each
beside a baseline measured in the same app, process and run.

Run: .venv/bin/python bench/shopper.py [--rounds N] [--visits N] [--server postgresql://postgres@127.0.0.1:5432]
                                        [--sqlite-only]

Each database in turn (a throwaway SQLite file, then a throwaway PostgreSQL database `storecheck_bench_shopper_<pid>`
created on --server and dropped afterwards; no other database is touched) gets the shipped checklists, one store and
one shopper signed in through the login form. The bench registers two endpoints of its own on the same Flask app,
behind the same sign-in and role check as the shopper's pages:

- `GET /bench/bare`: one trivial query (`SELECT 1`), the baseline for pages;
- `POST /bench/bare-insert`: one row inserted into a table of the bench's own and committed, the baseline for
  the submit.

Times are the server's (the test client calls the WSGI app in this process; no network), taken in interleaved
rounds (baseline, then the measured request, then the next round), printed as minimum and median with the ratio to
the baseline's and the budget beside. A submit counts only when it redirects to the visit and the database then
holds the visit as submitted with one current score; anything else stops the bench.

Bytes: what a browser that offers `gzip, deflate, br` receives (the app's own compression), for the first view of a
visit (its first section page and every style sheet, script and module it names) and for what the service worker
then fetches ahead (sw.js, the files it installs and the pages the section page asks it to keep).
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import logging
import os
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import flask_migrate  # noqa: E402
import psycopg  # noqa: E402
from psycopg import sql  # noqa: E402
from sqlalchemy import Column, DateTime, Integer, MetaData, Table, insert, select, text  # noqa: E402

import scoring  # noqa: E402
from audit_app import create_app  # noqa: E402
from audit_app.authz import role_required  # noqa: E402
from audit_app.config import Config  # noqa: E402
from audit_app.extensions import db  # noqa: E402
from audit_app.models import Assignment, User, Visit, VisitScore  # noqa: E402
from audit_app.services import checklists, photos, users, visits  # noqa: E402
from bench.organisation import one_store  # noqa: E402
from audit_app.services.seed import answers_at  # noqa: E402

NOW = datetime.now(timezone.utc)
PASSWORD = "quiet lanterns drift past midnight"
BROWSER = {"Accept-Encoding": "gzip, deflate, br", "Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
# Budgets from the brief for these pages.
FIRST_VIEW_KB, PREFETCH_KB = 15, 60
SECTION_BUDGET, SUBMIT_BUDGET = 3.0, 4.0  # times the baseline's median

BENCH_META = MetaData()
BENCH_ROWS = Table("bench_rows", BENCH_META, Column("id", Integer, primary_key=True),
                   Column("user_id", Integer, nullable=False), Column("created_at", DateTime(timezone=True)))


def _receipt(seed: int) -> bytes:
    """A photo of its own for each visit (a grid of random greys), as every real receipt is: the same file in
    every visit would flag each submit as a duplicate of all the visits before it, which no real submit meets."""
    from PIL import Image

    rng = random.Random(seed)
    image = Image.new("L", (8, 12))
    image.putdata([rng.randrange(256) for _ in range(8 * 12)])
    out = io.BytesIO()
    image.resize((600, 900), Image.NEAREST).convert("RGB").save(out, "JPEG")
    return out.getvalue()


def form_fields(section: scoring.Section, answers: dict[str, Any]) -> dict[str, Any]:
    """The section form's fields for these answers: N/A as its box, several options as several values."""
    data: dict[str, Any] = {}
    for question in section.questions:
        value = answers.get(question.key)
        if value is scoring.NA:
            data[f"na-{question.key}"] = "1"
        elif value is not None:
            data[f"q-{question.key}"] = value
    return data


@dataclass
class Timings:
    ms: list[float]

    @property
    def low(self) -> float:
        return min(self.ms)

    @property
    def median(self) -> float:
        return statistics.median(self.ms)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return (time.perf_counter() - start) * 1000, result


def line(label: str, t: Timings, base: Timings | None = None, budget: float | None = None) -> str:
    out = f"  {label:<34} min {t.low:7.2f} ms  median {t.median:7.2f} ms"
    if base is not None:
        ratio_min, ratio = t.low / base.low, t.median / base.median
        verdict = "ok" if budget is None or ratio <= budget else "OVER BUDGET"
        out += f"   {ratio_min:4.1f}x / {ratio:4.1f}x the baseline (min / median)"
        if budget is not None:
            out += f"; budget {budget:g}x: {verdict}"
    return out


class Bench:
    """One app on one database, signed in as a shopper, with the bench's two baseline endpoints."""

    def __init__(self, database_url: str, tmp: Path) -> None:
        config = Config(database_url=database_url, secret_key="bench", upload_dir=tmp / "uploads",
                        instance_dir=tmp, csrf_enabled=False)
        self.app = app = create_app(config)
        self.upload_dir = tmp / "uploads"
        logging.getLogger("storecheck.request").disabled = True  # one JSON line per request is noise here

        @app.get("/bench/bare")
        @role_required("shopper")
        def bench_bare() -> str:
            db.session.execute(text("SELECT 1")).scalar()
            return "ok"

        @app.post("/bench/bare-insert")
        @role_required("shopper")
        def bench_bare_insert() -> tuple[str, int]:
            db.session.execute(insert(BENCH_ROWS).values(user_id=1, created_at=datetime.now(timezone.utc)))
            db.session.commit()
            return "stored", 201

        with app.app_context():
            flask_migrate.upgrade()
            BENCH_META.create_all(db.engine)
            store = one_store(db.session)
            self.store_id = store.id
            shopper = users.create_user(db.session, email="bench@example.com", name="Bench", password=PASSWORD,
                                        role="shopper", now=NOW)
            library = checklists.load_library()
            self.definition = max(library.values(), key=lambda c: sum(1 for _ in c.questions()))
            version = checklists.publish_checklist(db.session, self.definition, now=NOW)
            self.shopper_id, self.checklist_id = shopper.id, version.checklist_id
        # One good answer set, the same every round, from the demo seed's generator (the one every bench uses).
        self.answers, _hidden = answers_at(self.definition, 0.95, random.Random(2026), NOW)
        self.client = app.test_client()
        reply = self.client.post("/login", data={"email": "bench@example.com", "password": PASSWORD})
        assert reply.status_code == 302, reply.status_code

    def new_visit(self) -> tuple[int, str]:
        with self.app.app_context():
            user = db.session.get(User, self.shopper_id)
            assignment = Assignment(shopper_id=self.shopper_id, store_id=self.store_id,
                                    checklist_id=self.checklist_id, window_start=NOW.date(), window_end=NOW.date(),
                                    status="open", created_at=NOW)
            db.session.add(assignment)
            db.session.commit()
            visit = visits.start_visit(db.session, user, client_uuid=str(uuid.uuid4()), assignment_id=assignment.id,
                                       now=NOW)
            return visit.id, visit.client_uuid

    def fill(self, visit_id: int) -> None:
        """Answer every question through the services (not timed, and not counted against the shopper's photo
        upload limits), a receipt photo for each photo question."""
        with self.app.app_context():
            user = db.session.get(User, self.shopper_id)
            answers = dict(self.answers)
            for n, (_section, question) in enumerate(self.definition.questions()):
                if question.type == "photo" and question.required:
                    answers[question.key] = photos.add_photo(db.session, user, visit_id, question.key,
                                                             _receipt(visit_id * 1000 + n),
                                                             upload_dir=self.upload_dir, now=NOW).sha256
            visits.save_answers(db.session, user, visit_id, answers, NOW)

    def stored_as_submitted(self, visit_id: int) -> bool:
        with self.app.app_context():
            status = db.session.scalar(select(Visit.status).where(Visit.id == visit_id))
            scores = db.session.scalar(select(text("count(*)")).select_from(VisitScore).where(
                VisitScore.visit_id == visit_id, VisitScore.is_current.is_(True)))
            return status == "submitted" and scores == 1

    def dispose(self) -> None:
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()


def wire(client: Any, path: str, etags: dict[str, str] | None = None) -> tuple[int, int, bytes]:
    """(bytes on the wire as compressed, bytes uncompressed, the body uncompressed) of a GET as a browser sends it.

    With `etags`, a path fetched before is asked for again as a browser's cache does, with its ETag: an unchanged
    file is a 304 with no body (counted as 0 bytes); each answer's ETag is kept in `etags`."""
    headers = dict(BROWSER)
    if etags is not None and path in etags:
        headers["If-None-Match"] = etags[path]
    reply = client.get(path, headers=headers)
    if reply.status_code == 304:
        reply.close()
        return 0, 0, b""
    assert reply.status_code == 200, (path, reply.status_code)
    body = reply.get_data()
    reply.close()
    if etags is not None and reply.headers.get("ETag"):
        etags[path] = reply.headers["ETag"]
    encoding = reply.headers.get("Content-Encoding")
    if encoding == "br":
        import brotli

        plain = brotli.decompress(body)
    elif encoding == "gzip":
        plain = gzip.decompress(body)
    else:
        plain = body
    return len(body), len(plain), plain


def weights(bench: Bench, visit_id: int) -> None:
    client = bench.client
    cached: dict[str, str] = {}  # the browser's cache: ETags of what the first view fetched
    first = f"/shopper/visits/{visit_id}/sections/0"
    sent, raw, page = wire(client, first)
    names = [first]
    rows = [(first, sent, raw)]
    html = page.decode()
    for url in re.findall(r'<(?:link|script)[^>]*(?:href|src)="(/static/[^"]+)"', html):
        if url not in names:
            names.append(url)
            s, r, _ = wire(client, url, cached)
            rows.append((url, s, r))
    external = re.findall(r'(?:src|href)="https?://', html)
    first_sent, first_raw = sum(r[1] for r in rows), sum(r[2] for r in rows)
    print(f"  first view ({len(rows)} requests: the first section page and what it names), as sent: "
          f"{first_sent / 1024:.1f} KB ({first_raw / 1024:.1f} KB uncompressed); budget {FIRST_VIEW_KB} KB: "
          f"{'ok' if first_sent <= FIRST_VIEW_KB * 1024 else 'OVER BUDGET'}; requests to other hosts: {len(external)}")
    for url, s, r in rows:
        print(f"      {url:<44} {s / 1024:6.1f} KB  ({r / 1024:.1f} KB)")
    # What the service worker fetches ahead: itself, the files it installs, the pages the section page names.
    s, r, sw = wire(client, "/shopper/sw.js")
    later = [("/shopper/sw.js", s, r)]
    source = sw.decode()
    modules = re.findall(r'"([\w-]+)"', re.search(r"var MODULES\s*=\s*\[(.*?)\];", source, re.S).group(1))
    assets = re.findall(r'"(/static/[^"]+)"', re.search(r"var ASSETS\s*=\s*\[(.*?)\]", source, re.S).group(1))
    assets += [f"/static/js/visit/{name}.js" for name in modules]
    for url in assets:  # the service worker's install goes through the browser's cache: unchanged files are 304s
        s, r, _ = wire(client, url, cached)
        later.append((url, s, r))
    precache = re.search(r"data-precache='([^']*)'", html)
    for url in json.loads(precache.group(1)) if precache else []:
        s, r, _ = wire(client, url)
        later.append((url, s, r))
    pre_sent, pre_raw = sum(r[1] for r in later), sum(r[2] for r in later)
    pages = sum(1 for r in later if r[0].startswith("/shopper/visits/"))
    print(f"  service worker's pre-fetch ({len(later)} requests: sw.js, {len(assets)} files it installs, {pages} "
          f"pages), as sent: {pre_sent / 1024:.1f} KB ({pre_raw / 1024:.1f} KB uncompressed); budget "
          f"{PREFETCH_KB} KB: {'ok' if pre_sent <= PREFETCH_KB * 1024 else 'OVER BUDGET'}")
    print(f"      of which the {pages} pages: {sum(r[1] for r in later if r[0].startswith('/shopper/visits/')) / 1024:.1f}"
          f" KB; the static files (those of the first view revalidated from the browser's cache as 304s): "
          f"{sum(r[1] for r in later if r[0].startswith('/static/')) / 1024:.1f} KB")


def run(name: str, database_url: str, rounds: int, n_visits: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="storecheck-bench-"))
    bench = Bench(database_url, tmp)
    client = bench.client
    print(f"{name}: {bench.definition.key} ({sum(1 for _ in bench.definition.questions())} questions), "
          f"{rounds} rounds, {n_visits} submits")
    visit_id, _ = bench.new_visit()
    weights(bench, visit_id)

    largest = max(range(len(bench.definition.sections)), key=lambda i: len(bench.definition.sections[i].questions))
    section_url = f"/shopper/visits/{visit_id}/sections/{largest}"
    save_data = form_fields(bench.definition.sections[largest], bench.answers)
    for _ in range(5):  # warm up: templates compiled, checklist parsed, connections in the pool
        client.get("/bench/bare")
        client.get(section_url)
    bare, page, save = Timings([]), Timings([]), Timings([])
    for _ in range(rounds):
        ms, reply = timed(lambda: client.get("/bench/bare"))
        assert reply.status_code == 200
        bare.ms.append(ms)
        ms, reply = timed(lambda: client.get(section_url))
        assert reply.status_code == 200 and b"data-visit-form" in reply.data
        page.ms.append(ms)
        ms, reply = timed(lambda: client.post(section_url, data=save_data))
        assert reply.status_code == 302, reply.status_code
        save.ms.append(ms)
    print(line("bare page (sign-in check, SELECT 1)", bare))
    print(line(f"section {largest} page (the largest)", page, bare, SECTION_BUDGET))
    print(line(f"save section {largest}", save, bare))

    prepared = []
    for _ in range(n_visits):
        vid, client_uuid = bench.new_visit()
        bench.fill(vid)
        prepared.append((vid, client_uuid))
    insert_t, submit_t = Timings([]), Timings([])
    for vid, client_uuid in prepared:
        ms, reply = timed(lambda: client.post("/bench/bare-insert"))
        assert reply.status_code == 201
        insert_t.ms.append(ms)
        ms, reply = timed(lambda: client.post(f"/shopper/visits/{vid}/submit", data={"client_uuid": client_uuid}))
        if reply.status_code != 302 or not reply.headers["Location"].endswith(f"/shopper/visits/{vid}") \
                or not bench.stored_as_submitted(vid):
            raise SystemExit(f"submit of visit {vid} answered {reply.status_code} {reply.headers.get('Location')}"
                             f" and was not stored as submitted with one current score")
        submit_t.ms.append(ms)
    print(line("bare insert (sign-in check, 1 row)", insert_t))
    print(line("submit, score and store a visit", submit_t, insert_t, SUBMIT_BUDGET))
    print(f"  ({len(submit_t.ms)} submits, each checked in the database: status submitted, one current score)")
    bench.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--visits", type=int, default=15, help="visits submitted per database")
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432",
                        help="PostgreSQL server for the throwaway database")
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()
    sqlite_dir = Path(tempfile.mkdtemp(prefix="storecheck-bench-"))
    run("SQLite", f"sqlite:///{sqlite_dir / 'bench.db'}", args.rounds, args.visits)
    if args.sqlite_only:
        return
    name = f"storecheck_bench_shopper_{os.getpid()}"
    with psycopg.connect(f"{args.server}/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        run("PostgreSQL", f"{args.server.replace('postgresql://', 'postgresql+psycopg://', 1)}/{name}",
            args.rounds, args.visits)
    finally:
        with psycopg.connect(f"{args.server}/postgres", autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


if __name__ == "__main__":
    main()
