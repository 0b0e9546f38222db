"""Load: gunicorn + PostgreSQL on loopback under shoppers and area managers at once, beside a bare endpoint.

Run: .venv/bin/python bench/load.py [--duration 60] [--shoppers 200] [--managers 20] [--workers N]
                                    [--ramp-up 20] [--think 1 3]

Needs PostgreSQL at postgresql://postgres@127.0.0.1:5432/ with trust authentication. The bench drops and
recreates its own database, storecheck_load (no other database is touched), migrates it and builds, through the
app's services: 20 areas of 10 stores, the shoppers (each with a few open assignments of the in-store checklist),
one area manager per area and five months of submitted visits for the dashboards. As at any moment of a working
day, every shopper has already started one visit and answered its sections up to a random one. It then serves
bench/load_app.py (the app plus a bare endpoint) with the repository's gunicorn.conf.py and drives it with one
thread per virtual user, each behind its own X-Forwarded-For address, as behind a reverse proxy
(TRUSTED_PROXIES=1; sign-in is rate-limited per client address):

- shoppers sign in through the form and open their home page; they continue the visit in progress, then start
  their next assignment; they read and save every section still open (a receipt photo included), open the review
  page and submit; about one submit in ten is sent twice, as a double tap or a retry, and must still store one
  visit with one score;
- area managers sign in and browse their home page, area dashboard, store and visit pages, the area CSV export
  and compare;
- a small steady stream of requests asks for the bare endpoint, served by the same workers in the same run.

Users pause a random think time between actions; redirects are followed at once, as a browser does. Prints
throughput, then count, errors, median and 95th percentile per endpoint as the users saw them, beside the median
the app logged for the same requests (the difference is time spent waiting for a free worker); checks in the
database that every visit it submitted exists once, submitted, with one current score; prints each gunicorn
worker's memory. Exits 1 on any error or mismatch; asserts no timings. The database is left for inspection.
"""

from __future__ import annotations

import argparse
import html
import http.client
import io
import json
import math
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import flask_migrate  # noqa: E402
import psycopg  # noqa: E402
from psycopg import sql  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

import scoring  # noqa: E402
from audit_app import create_app  # noqa: E402
from audit_app.config import Config  # noqa: E402
from audit_app.extensions import db  # noqa: E402
from audit_app.models import User  # noqa: E402
from audit_app.services import assignments, checklists, people, photos, users, visits  # noqa: E402

SERVER = "postgresql://postgres@127.0.0.1:5432"
DATABASE = "storecheck_load"
PASSWORD = "load password 123"
CHECKLIST = "in_store_visit"
REGIONS, AREAS, STORES_PER_AREA = 4, 20, 10
OPEN_ASSIGNMENTS = 4  # per shopper: more than one run gets through
HISTORY_VISITS, HISTORY_DAYS = 3, 150  # submitted visits per store, spread over that many days
SETUP_THREADS = 4
REPLAY_SHARE = 0.1
BARE_STREAMS, BARE_PAUSE = 2, 0.25
MEMORY_BUDGET_MB = 250
ERRORS_SHOWN = 5
NOW = datetime.now(timezone.utc)

SECTION = re.compile(r"/shopper/visits/(\d+)/sections/(\d+)")
QUESTION = re.compile(r'<div class="question[^"]*" id="q-(\w+)" data-key="\w+" data-type="(\w+)"([^>]*)>')
ORDER = ["GET bare (baseline)", "GET login", "POST login", "GET / (redirect)", "GET shopper home",
         "POST start visit", "GET visit (redirect)", "GET section", "POST section", "GET review", "POST submit",
         "POST submit (replay)", "GET submitted visit", "GET manager home", "GET area dashboard", "GET store page",
         "GET visit page", "GET area CSV", "GET compare"]


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


# --- answers -------------------------------------------------------------------------------------


def answer(question: scoring.Question, quality: float, rng: random.Random, on: date) -> Any:
    """A valid answer: the best one with probability `quality`, another valid one otherwise (None: no answer)."""
    best = rng.random() < quality
    kind = question.type
    if kind == "yes_no":
        return question.good if best else ("no" if question.good == "yes" else "yes")
    if kind == "scale":
        return int(question.max) if best else rng.randint(int(question.min), int(question.max))
    if kind == "nps":
        return rng.randint(9, 10) if best else rng.randint(0, 10)
    if kind == "choice":
        return max(question.options, key=lambda o: o.fraction).key if best else rng.choice(question.options).key
    if kind == "multi":
        good = [o.key for o in question.options if o.fraction > 0]
        return good if best and good else [rng.choice(question.options).key]
    if kind in ("number", "duration"):
        top = max(question.bands, key=lambda b: b.fraction) if question.bands and best else None
        if top is not None and top.max is not None:
            return math.floor(top.max)
        if top is not None and top.min is not None:
            return math.ceil(top.min)
        return rng.randint(0, 180)
    if kind == "text":
        return "Woman at the till, short hair, name badge 'Sato'."
    if kind == "date":
        return on.isoformat()
    if kind == "time":
        return rng.choice(["10:15", "13:40", "17:05"])
    return None  # photo (uploaded by the caller) and note


def history_answers(checklist: scoring.Checklist, quality: float, rng: random.Random, on: date) -> dict[str, Any]:
    """Answers to every question a shopper would see (show_if respected), photos aside."""
    answers = {q.key: value for _, q in checklist.questions() if (value := answer(q, quality, rng, on)) is not None}
    card = scoring.score(checklist, answers)
    hidden = {r.key for s in card.sections for r in s.questions if r.excluded == "hidden"}
    return {k: v for k, v in answers.items() if k not in hidden}


# --- setup ---------------------------------------------------------------------------------------


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
        regions = [people.save_region(session, head, region_id=None, code=f"R{r + 1}", name=f"Region {r + 1}",
                                      now=NOW).id for r in range(REGIONS)]
        areas = [(people.save_area(session, head, area_id=None, code=f"A{a + 1:02d}", name=f"Area {a + 1}",
                                   region_id=regions[a % REGIONS], now=NOW).id, f"A{a + 1:02d}")
                 for a in range(AREAS)]
        stores = [people.save_store(session, head, store_id=None, code=f"{code}-{s + 1:02d}",
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
        answers = history_answers(definition, rng.uniform(0.6, 0.98), rng, today)
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
    answers = history_answers(definition, item.quality, rng, started.date())
    for _, question in definition.questions():
        if question.type == "photo" and question.required:
            answers[question.key] = photos.add_photo(session, shopper, visit.id, question.key, RECEIPT,
                                                     upload_dir=upload_dir, now=started).sha256
    finished = started + timedelta(minutes=rng.randint(25, 50))
    visits.save_answers(session, shopper, visit.id, answers, finished)
    visits.submit_visit(session, shopper, visit.id, visit.client_uuid, finished)


# --- the server ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn serving bench/load_app.py with the repository's gunicorn.conf.py, its output in a log file."""

    def __init__(self, env: dict[str, str], workers: int | None, log_path: Path) -> None:
        self.port = free_port()
        self.log_path = log_path
        command = [str(Path(sys.executable).parent / "gunicorn"), "--config", "gunicorn.conf.py",
                   "--bind", f"127.0.0.1:{self.port}", "bench.load_app:app"]
        if workers:
            command[-1:-1] = ["--workers", str(workers)]
        with open(log_path, "wb") as log:
            # A session of its own: Ctrl+C reaches only this script, which then stops gunicorn gracefully.
            self.process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env}, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, timeout: float = 60) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/readyz")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise SystemExit(f"gunicorn not ready after {timeout:.0f} s:\n{self.log_tail()}")

    def worker_pids(self) -> list[int]:
        pids: list[int] = []
        for children in Path(f"/proc/{self.process.pid}/task").glob("*/children"):
            pids += [int(pid) for pid in children.read_text().split()]
        return sorted(pids)

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def problems(self) -> list[str]:
        """What gunicorn and the app wrote besides the one-JSON-line-per-request log, gunicorn's [INFO] lines and
        matplotlib's warnings about a missing font (counted in one line)."""
        lines = [line for line in self.log_path.read_text(errors="replace").splitlines()
                 if line.strip() and not line.startswith("{") and "[INFO]" not in line]
        fonts = sum(1 for line in lines if "findfont:" in line)
        rest = [line for line in lines if "findfont:" not in line]
        return rest + ([f"matplotlib: {fonts} warnings 'findfont: Font family ... not found' (fonts-noto-cjk is "
                        f"not installed, see README.md)"] if fonts else [])

    def app_ms(self) -> dict[str, float]:
        """Request id -> milliseconds the app itself took, from its request log (queueing in front excluded)."""
        times = {}
        for line in self.log_path.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                entry = json.loads(line)
                times[entry["request_id"]] = entry["ms"]
        return times

    def boots(self) -> int:
        return self.log_path.read_text(errors="replace").count("Booting worker")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# --- virtual users -------------------------------------------------------------------------------


@dataclass
class Page:
    status: int
    location: str  # a redirect's target (path, query and fragment), "" otherwise
    text: str


@dataclass
class Recorder:
    samples: list[tuple[str, int, float, bool, str]] = field(default_factory=list)  # label, status, ms, ok, id
    errors: list[str] = field(default_factory=list)  # the first few, described

    def add(self, label: str, status: int, ms: float, problem: str | None, request_id: str = "") -> None:
        self.samples.append((label, status, ms, problem is None, request_id))
        if problem is not None and len(self.errors) < ERRORS_SHOWN:
            self.errors.append(f"{label}: {problem}")


@dataclass
class Run:
    port: int
    deadline: float
    think: tuple[float, float]
    stop: threading.Event
    recorder: Recorder = field(default_factory=Recorder)
    submitted: dict[str, int] = field(default_factory=dict)  # client UUID -> visit id, for each visit submitted
    replayed: set[str] = field(default_factory=set)

    def active(self) -> bool:
        return not self.stop.is_set() and time.monotonic() < self.deadline

    def pause(self, rng: random.Random) -> bool:
        """Think for a while; False once the run is over."""
        left = self.deadline - time.monotonic()
        if left > 0:
            self.stop.wait(min(rng.uniform(*self.think), left))
        return self.active()


def excerpt(text: str, limit: int = 240) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text)).split())[:limit]


def multipart(fields: list[tuple[str, str]], files: list[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    out = io.BytesIO()
    for name, value in fields:
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, filename, data in files:
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                  f"Content-Type: image/jpeg\r\n\r\n".encode() + data + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


class Browser:
    """One user's cookies and client address; every request is timed and checked."""

    def __init__(self, run: Run, address: str) -> None:
        self.run = run
        self.address = address
        self.cookies: dict[str, str] = {}

    def get(self, label: str, path: str, *, to: str | None = None) -> Page | None:
        return self.request(label, "GET", path, to=to)

    def post(self, label: str, path: str, fields: list[tuple[str, str]], *, to: str,
             files: list[tuple[str, str, bytes]] | None = None) -> Page | None:
        if files is not None:
            body, content_type = multipart(fields, files)
        else:
            body, content_type = urlencode(fields).encode(), "application/x-www-form-urlencoded"
        return self.request(label, "POST", path, body=body, content_type=content_type, to=to)

    def request(self, label: str, method: str, path: str, *, body: bytes | None = None,
                content_type: str | None = None, to: str | None = None) -> Page | None:
        """Send one request; `to` is the redirect expected (a regular expression), else a 200 is.
        Returns None after recording an error."""
        request_id = uuid.uuid4().hex  # the app logs it with its own time for the request
        headers = {"X-Forwarded-For": self.address, "X-Request-ID": request_id, "User-Agent": "storecheck-load",
                   "Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if content_type:
            headers["Content-Type"] = content_type
        start = time.perf_counter()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.run.port, timeout=120)
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
            conn.close()
        except (OSError, http.client.HTTPException) as error:
            self.run.recorder.add(label, 0, (time.perf_counter() - start) * 1000, f"{method} {path}: {error!r}",
                                  request_id)
            return None
        ms = (time.perf_counter() - start) * 1000
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            if "max-age=0" in cookie.lower():
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = rest.split(";", 1)[0]
        parts = urlsplit(response.headers.get("Location", ""))
        location = parts.path + (f"?{parts.query}" if parts.query else "") + (f"#{parts.fragment}" if parts.fragment
                                                                              else "")
        page = Page(response.status, location, text)
        problem = None
        if to is None and page.status != 200:
            problem = f"{method} {path} answered {page.status} {location} {excerpt(text)}"
        elif to is not None and (page.status not in (302, 303) or not re.fullmatch(to, location)):
            problem = f"{method} {path} answered {page.status} {location or excerpt(text)}, expected a redirect to {to}"
        self.run.recorder.add(label, page.status, ms, problem, request_id)
        return page if problem is None else None


def hidden_value(page_html: str, name: str) -> str:
    for tag in re.findall(r"<input[^>]*>", page_html):
        if f'name="{name}"' in tag:
            found = re.search(r'value="([^"]*)"', tag)
            return html.unescape(found.group(1)) if found else ""
    return ""


def sign_in(browser: Browser, email: str, home: str, rng: random.Random) -> bool:
    page = browser.get("GET login", "/login")
    if page is None or not browser.run.pause(rng):
        return False
    fields = [("csrf_token", hidden_value(page.text, "csrf_token")), ("email", email), ("password", PASSWORD),
              ("next", "")]
    return (browser.post("POST login", "/login", fields, to="/") is not None
            and browser.get("GET / (redirect)", "/", to=re.escape(home)) is not None)


class Shopper:
    def __init__(self, run: Run, email: str, address: str, definition: scoring.Checklist, seed: int) -> None:
        self.run, self.email, self.definition = run, email, definition
        self.browser = Browser(run, address)
        self.rng = random.Random(seed)

    def __call__(self) -> None:
        if not sign_in(self.browser, self.email, "/shopper/", self.rng):
            return
        while self.run.active():
            home = self.browser.get("GET shopper home", "/shopper/")
            text = home.text if home else ""
            progress = re.search(r'<section aria-labelledby="progress-h">(.*?)</section>', text, re.S)
            resume = re.search(r'href="(/shopper/visits/\d+)"', progress.group(1)) if progress else None
            start = re.search(r'<form method="post" action="(/shopper/assignments/\d+/start)"[^>]*>(.*?)</form>',
                              text, re.S)
            if not self.run.pause(self.rng):
                return
            if resume is not None:
                self.fill(resume.group(1), None)
            elif start is not None:
                self.start(start.group(1), hidden_value(start.group(2), "csrf_token"),
                           hidden_value(start.group(2), "client_uuid"))

    def start(self, action: str, csrf: str, client_uuid: str) -> None:
        fields = [("csrf_token", csrf), ("client_uuid", client_uuid), ("latitude", ""), ("longitude", ""),
                  ("accuracy", "")]
        page = self.browser.post("POST start visit", action, fields, to=r"/shopper/visits/\d+")
        if page is not None:
            self.fill(page.location, client_uuid)

    def fill(self, visit_path: str, client_uuid: str | None) -> None:
        """Answer every section still open, in order, then review and submit (`client_uuid`: the one the visit
        was started with, None for a visit in progress)."""
        page = self.browser.get("GET visit (redirect)", visit_path, to=re.escape(visit_path) + r"/sections/\d+")
        target = page.location if page else ""
        answers: dict[str, Any] = {}
        quality = self.rng.uniform(0.6, 0.98)
        for _ in range(3 * len(self.definition.sections)):  # a question a section reveals sends it back once
            if not SECTION.fullmatch(target):
                break
            page = self.browser.get("GET section", target)
            if page is None or not self.run.pause(self.rng):
                return
            fields, files = self.section_form(page.text, answers, quality)
            page = self.browser.post("POST section", target, fields, files=files,
                                     to=re.escape(visit_path) + r"/(sections/\d+(#q-\w+)?|review)")
            target = page.location.split("#")[0] if page else ""
        if target != f"{visit_path}/review":
            return
        page = self.browser.get("GET review", target)
        if page is None or not self.run.pause(self.rng):
            return
        on_page = hidden_value(page.text, "client_uuid")
        if client_uuid is not None and on_page != client_uuid:
            self.run.recorder.add("GET review", page.status, 0, f"{target} carries another visit's client UUID")
            return
        self.submit(visit_path, [("csrf_token", hidden_value(page.text, "csrf_token")), ("client_uuid", on_page),
                                 ("latitude", ""), ("longitude", ""), ("accuracy", "")], on_page)

    def section_form(self, page_html: str, answers: dict[str, Any],
                     quality: float) -> tuple[list[tuple[str, str]], list[tuple[str, str, bytes]]]:
        """What a browser sends for the questions shown (hidden ones are disabled), choosing answers once."""
        fields = [("csrf_token", hidden_value(page_html, "csrf_token")), ("go", "next")]
        files: list[tuple[str, str, bytes]] = []
        for key, kind, attributes in QUESTION.findall(page_html):
            if re.search(r"\shidden\s*$", attributes):
                continue
            question = self.definition.question(key)
            # The tokens of what the page shows, as a browser posts them back with the form.
            fields += [(f"b-{key}", hidden_value(page_html, f"b-{key}")),
                       (f"bc-{key}", hidden_value(page_html, f"bc-{key}"))]
            if kind == "photo":
                stored = f'name="remove-{key}"' in page_html  # a stored photo offers "Remove photo"
                if question.required and not stored:
                    files.append((f"f-{key}", "receipt.jpg", RECEIPT))
            else:
                if key not in answers:
                    answers[key] = answer(question, quality, self.rng, NOW.date())
                values = answers[key] if isinstance(answers[key], list) else [answers[key]]
                fields += [(f"q-{key}", str(v)) for v in values if v is not None]
            fields.append((f"c-{key}", ""))
        return fields, files

    def submit(self, visit_path: str, fields: list[tuple[str, str]], client_uuid: str) -> None:
        """Submit once; for about one visit in ten, twice: together (a double tap) or one after the other."""
        path, done = f"{visit_path}/submit", re.escape(visit_path)
        results: list[Page | None] = []

        def replay() -> None:
            results.append(self.browser.post("POST submit (replay)", path, fields, to=done))

        twice = self.rng.random() < REPLAY_SHARE
        double_tap = twice and self.rng.random() < 0.5
        second = threading.Thread(target=replay) if double_tap else None
        if second is not None:
            second.start()
        results.append(self.browser.post("POST submit", path, fields, to=done))
        if second is not None:
            second.join()
        elif twice:
            replay()
        if any(results):
            self.run.submitted[client_uuid] = int(visit_path.rsplit("/", 1)[1])
            if twice:
                self.run.replayed.add(client_uuid)
            self.browser.get("GET submitted visit", visit_path)


class Manager:
    def __init__(self, run: Run, email: str, address: str, seed: int) -> None:
        self.run, self.email = run, email
        self.browser = Browser(run, address)
        self.rng = random.Random(seed)

    def __call__(self) -> None:
        browser, rng = self.browser, self.rng
        if not sign_in(browser, self.email, "/manager/", rng):
            return
        while self.run.active():
            home = browser.get("GET manager home", "/manager/")
            areas = sorted(set(re.findall(r'href="(/manager/areas/\d+)"', home.text))) if home else []
            if not self.run.pause(rng) or not areas:
                continue
            area = rng.choice(areas)
            board = browser.get("GET area dashboard", area)
            stores = sorted(set(re.findall(r'href="/manager/stores/(\d+)', board.text))) if board else []
            if not self.run.pause(rng) or not stores:
                continue
            store = browser.get("GET store page", f"/manager/stores/{rng.choice(stores)}")
            visit_ids = sorted(set(re.findall(r'href="/manager/visits/(\d+)"', store.text))) if store else []
            if visit_ids and self.run.pause(rng):
                browser.get("GET visit page", f"/manager/visits/{rng.choice(visit_ids)}")
            if self.run.pause(rng):
                browser.get("GET area CSV", f"{area}/visits.csv")
            if self.run.pause(rng):
                chosen = rng.sample(stores, min(len(stores), rng.randint(2, 4)))
                browser.get("GET compare", "/manager/compare?" + urlencode([("stores", s) for s in chosen]))
            self.run.pause(rng)


def bare_stream(run: Run, address: str) -> None:
    browser = Browser(run, address)
    while run.active():
        browser.get("GET bare (baseline)", "/bench/bare")
        run.stop.wait(BARE_PAUSE)


def drive(run: Run, plan: Plan, definition: scoring.Checklist, ramp_up: float) -> float:
    """Start every user at its moment of the ramp-up, wait for all; returns the seconds the traffic took."""
    crowd: list[tuple[float, Callable[[], None]]] = []
    for i, email in enumerate(plan.shoppers):
        crowd.append((i / len(plan.shoppers), Shopper(run, email, f"10.0.{i // 250}.{i % 250 + 1}", definition, i)))
    for i, email in enumerate(plan.managers):
        crowd.append((i / len(plan.managers), Manager(run, email, f"10.1.{i // 250}.{i % 250 + 1}", 10_000 + i)))
    crowd += [(0.0, lambda i=i: bare_stream(run, f"10.2.0.{i + 1}")) for i in range(BARE_STREAMS)]

    def delayed(delay: float, user: Callable[[], None]) -> None:
        if not run.stop.wait(delay):
            user()

    threads = [threading.Thread(target=delayed, args=(share * ramp_up, user), daemon=True)
               for share, user in crowd]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        while thread.is_alive():
            thread.join(timeout=1)
    return time.perf_counter() - start


# --- figures -------------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def print_traffic(recorder: Recorder, seconds: float, app_ms: dict[str, float]) -> int:
    """The table; `app ms` is the median the app logged for the same requests (the rest of a response's time
    is spent waiting for a free worker, or in the bench's own client)."""
    samples = recorder.samples
    errors = sum(1 for s in samples if not s[3])
    print(f"traffic: {len(samples)} requests in {seconds:.1f} s = {len(samples) / seconds:.1f} requests/s")
    labels = sorted({s[0] for s in samples}, key=lambda label: (ORDER.index(label) if label in ORDER else 99, label))
    print(f"  {'endpoint':<24} {'count':>6} {'errors':>6} {'median ms':>10} {'p95 ms':>9} {'app median ms':>14}")
    for label in labels:
        mine = [s for s in samples if s[0] == label]
        ms = [s[2] for s in mine]
        logged = [app_ms[s[4]] for s in mine if s[4] in app_ms]
        app = f"{percentile(logged, 0.5):.1f}" if logged else "-"
        print(f"  {label:<24} {len(ms):>6} {sum(1 for s in mine if not s[3]):>6} {percentile(ms, 0.5):>10.1f} "
              f"{percentile(ms, 0.95):>9.1f} {app:>14}")
    print(f"errors: {errors}")
    for line in recorder.errors:
        print(f"  {line}")
    return errors


def check_exactly_once(run: Run, assignment_ids: list[int]) -> bool:
    """Every visit the bench submitted exists once, submitted, with one score row (current) and one audit entry;
    no client UUID and no assignment of the run has two visits."""
    with psycopg.connect(f"{SERVER}/{DATABASE}") as conn:
        rows = conn.execute(
            "SELECT v.client_uuid, v.id, v.status,"
            " (SELECT count(*) FROM visit_scores s WHERE s.visit_id = v.id AND s.is_current),"
            " (SELECT count(*) FROM visit_scores s WHERE s.visit_id = v.id),"
            " (SELECT count(*) FROM audit_log a WHERE a.action = 'visit.submit' AND a.entity_type = 'visit'"
            "  AND a.entity_id = v.id::text)"
            " FROM visits v WHERE v.client_uuid = ANY(%s)", (list(run.submitted),)).fetchall()
        same_uuid = conn.execute("SELECT count(*) - count(DISTINCT client_uuid) FROM visits").fetchone()[0]
        same_assignment = conn.execute(
            "SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM visits WHERE assignment_id = ANY(%s)"
            " GROUP BY assignment_id) AS t", (assignment_ids,)).fetchone()[0]
    found: dict[str, list[tuple[Any, ...]]] = {}
    for row in rows:
        found.setdefault(row[0], []).append(row)
    problems, good, scores = [], 0, 0
    extra = int(same_uuid) + int(same_assignment)
    for client_uuid, visit_id in run.submitted.items():
        mine = found.get(client_uuid, [])
        scores += sum(r[3] for r in mine)
        extra += sum(max(0, r[4] - 1) + max(0, r[5] - 1) for r in mine)
        if len(mine) == 1 and mine[0][1:] == (visit_id, "submitted", 1, 1, 1):
            good += 1
        else:
            problems.append(f"visit {visit_id} ({client_uuid}): {mine or 'missing'}")
    print(f"exactly once: {good} visits, {scores} scores, {extra} duplicates")
    if not run.submitted:
        print("  nothing was submitted, so nothing was checked: run longer or with fewer users")
        return False
    print(f"  ({len(run.submitted)} visits submitted by the bench, {len(run.replayed)} of them submitted twice; "
          f"each has one row, status submitted, one score row and one submit in the audit log)")
    for line in problems[:ERRORS_SHOWN]:
        print(f"  {line}")
    n = len(run.submitted)
    return good == n and scores == n and extra == 0


def print_memory(server: Server, workers_at_start: int) -> None:
    print(f"memory of the gunicorn workers after the run (budget {MEMORY_BUDGET_MB} MB each; "
          f"{server.boots() - workers_at_start} replaced during the run):")
    for pid in server.worker_pids():
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except FileNotFoundError:  # recycled a moment ago
            continue
        rss = int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024
        pss = int(re.search(r"^Pss:\s+(\d+)", rollup, re.M).group(1)) / 1024
        verdict = "ok" if rss <= MEMORY_BUDGET_MB else "OVER BUDGET"
        print(f"  worker {pid}: RSS {rss:6.1f} MB, PSS {pss:6.1f} MB  {verdict}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=60, help="seconds of traffic, ramp-up included")
    parser.add_argument("--shoppers", type=int, default=200)
    parser.add_argument("--managers", type=int, default=20)
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: gunicorn.conf.py)")
    parser.add_argument("--ramp-up", type=float, default=20, help="seconds over which users arrive")
    parser.add_argument("--think", type=float, nargs=2, default=(1.0, 3.0), metavar=("MIN", "MAX"),
                        help="seconds a user pauses between actions")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # run the clean-up below on a plain kill too
    tmp = Path(tempfile.mkdtemp(prefix="storecheck-load-"))
    env = {"DATABASE_URL": f"{SERVER}/{DATABASE}", "SECRET_KEY": secrets.token_urlsafe(32),
           "UPLOAD_DIR": str(tmp / "uploads"), "INSTANCE_DIR": str(tmp), "TRUSTED_PROXIES": "1",
           "RATELIMIT_STORAGE_URL": "memory://"}
    server = None
    try:
        started = time.perf_counter()
        recreate_database()
        plan = build_data(Config.from_env(env), args.shoppers, args.managers, random.Random(2026))
        print(f"setup: database {DATABASE}, {plan.stores} stores in {AREAS} areas, {len(plan.shoppers)} shoppers "
              f"with {OPEN_ASSIGNMENTS} open assignments each, {len(plan.managers)} area managers, "
              f"{plan.history} submitted visits of history: {time.perf_counter() - started:.1f} s")
        server = Server(env, args.workers, tmp / "gunicorn.log")
        server.wait_ready()
        time.sleep(1)  # let the other workers finish booting
        workers_at_start = server.boots()
        print(f"gunicorn: {len(server.worker_pids())} workers on {os.cpu_count()} cores, shared with this client; "
              f"{args.duration:.0f} s of traffic, {args.ramp_up:.0f} s ramp-up, think {args.think[0]:g}-"
              f"{args.think[1]:g} s, {BARE_STREAMS} bare streams")
        run = Run(server.port, time.monotonic() + args.duration, tuple(args.think), threading.Event())
        definition = checklists.load_library()[CHECKLIST]
        try:
            seconds = drive(run, plan, definition, args.ramp_up)
        finally:
            run.stop.set()
        errors = print_traffic(run.recorder, seconds, server.app_ms())
        once = check_exactly_once(run, plan.assignment_ids)
        print_memory(server, workers_at_start)
        problems = server.problems()
        if problems:
            print("gunicorn's log besides requests (first 60 lines):")
            print("\n".join(f"  {line}" for line in problems[:60]))
        return 0 if errors == 0 and once else 1
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit("interrupted; gunicorn stopped")
