"""The test factories: an app on the test database and its clients, sign-in, the people, places, checklists and
visits the tests build, and the scored histories several modules share.

Registered as a pytest plugin by tests/conftest.py, so its fixtures (`app`, `client`, `runner`, `login`, `world`,
`sw`, `shopper`) are found everywhere; tests import its plain helpers from here, never from conftest."""

from __future__ import annotations

import gc
import io
import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from fractions import Fraction
from pathlib import Path
from typing import Any, Iterator

import pytest
import sqlalchemy as sa
from flask import Flask, has_app_context
from flask.testing import FlaskClient, FlaskCliRunner

import scoring
from audit_app import create_app
from audit_app.config import Config
from audit_app.extensions import db
from audit_app.models import Area, Assignment, Region, Store, User, Visit, VisitScore
from audit_app.services import users

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=timezone.utc)
PASSWORD = "correct horse battery"

# Test users' passwords are hashed cheaply: scrypt for six people per test would be most of the suite's time.
# tests/web/test_auth.py checks that the app itself uses scrypt.
FAST_PASSWORD_HASH = "pbkdf2:sha256:1000"


# --- the app on the test database (tests/conftest.py migrates it once: the `database_url` fixture) ------------


def make_config(tmp_path: Path, database_url: str, **overrides: Any) -> Config:
    return Config(
        database_url=database_url,
        secret_key="test-secret-key-not-for-production",
        upload_dir=tmp_path / "uploads",
        instance_dir=tmp_path / "instance",
        testing=True,
        **{"password_hash_method": FAST_PASSWORD_HASH, **overrides},
    )


class FreshContextClient(FlaskClient):
    """Runs each request on its own thread, so it gets its own app context (g, database session) as in
    production, instead of sharing the one the test holds open."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        # The whole body is read, and the app's iterable closed, on the request's thread, as a WSGI server does:
        # a streamed export a test never reads would otherwise keep its database connection until collected.
        kwargs.setdefault("buffered", True)
        if not has_app_context():  # already on a request thread (a followed redirect)
            return super().open(*args, **kwargs)
        db.session.rollback()  # end the test's read transaction: it must see what the request wrote
        with ThreadPoolExecutor(max_workers=1) as pool:
            response = pool.submit(super().open, *args, **kwargs).result()
        db.session.rollback()
        return response


def _empty_tables() -> None:
    """Every table emptied in one transaction, children first; on PostgreSQL the DELETEs go in one round trip
    (a TRUNCATE of them all is slower for tables this small)."""
    tables = list(reversed(db.metadata.sorted_tables))
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            quote = conn.dialect.identifier_preparer.format_table
            conn.exec_driver_sql("; ".join(f"DELETE FROM {quote(table)}" for table in tables))
        else:
            for table in tables:
                conn.execute(table.delete())


def running_app(database_url: str, tmp_path: Path, **overrides: Any) -> Iterator[Flask]:
    """An app on the test database with its context pushed; the tables are emptied afterwards."""
    app = create_app(make_config(tmp_path, database_url, **overrides))
    app.test_client_class = FreshContextClient
    with app.app_context():
        yield app
        db.session.remove()
        _empty_tables()
        _dispose_when_returned(db.engine)


def _dispose_when_returned(engine: sa.engine.Engine, timeout: float = 10.0) -> None:
    """Close the pool's connections once every one is back in it. A connection still out when the pool is
    disposed (a request thread finishing, a streamed body not yet collected) would go back to the discarded pool
    and be dropped open when that is collected, a failure blamed on whichever later test collects garbage."""
    deadline = time.monotonic() + timeout
    collected = False
    out = getattr(engine.pool, "checkedout", lambda: 0)  # a queue pool counts them; others hold none for long
    while out() and time.monotonic() < deadline:
        if not collected:
            gc.collect()  # a finished generator in a reference cycle holding its connection gives it back
            collected = True
        else:
            time.sleep(0.05)
    engine.dispose()


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    yield from running_app(database_url, tmp_path)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    """Flask's CLI runner on the test app: `runner.invoke(args=[...])`."""
    return app.test_cli_runner()


# --- signing in ----------------------------------------------------------------------------------------------

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token_from(client: FlaskClient, path: str = "/login") -> str:
    html = client.get(path, follow_redirects=True).get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD) -> Any:
    token = csrf_token_from(client)
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def client_for(app: Flask, email: str) -> FlaskClient:
    """A new test client, signed in as `email`."""
    client = app.test_client()
    assert sign_in(client, email).status_code == 302
    return client


JOB_PATH = re.compile(r"/manager/jobs/([0-9a-f]{32})$")


def start_job(client: FlaskClient, area_id: int) -> str:
    """Ask for the area's PDF scorecards as a background job; returns the job's id."""
    token = csrf_token_from(client, f"/manager/areas/{area_id}")
    response = client.post(f"/manager/areas/{area_id}/scorecard-jobs", data={"csrf_token": token, "days": "365"})
    assert response.status_code == 303, response.get_data(as_text=True)
    match = JOB_PATH.search(response.headers["Location"])
    assert match, response.headers["Location"]
    return match.group(1)


def job_status(page: str) -> str:
    """The status a job page shows."""
    match = re.search(r'data-job-status="(\w+)"', page)
    assert match, page
    return match.group(1)


@pytest.fixture
def login(client: FlaskClient):  # type: ignore[no-untyped-def]
    """login(user) signs the test client in as that user."""

    def _login(user: User) -> FlaskClient:
        response = sign_in(client, user.email)
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return _login


# --- people and places -----------------------------------------------------------------------------------------


def make_region(code: str = "R1", name: str = "Kanto") -> Region:
    region = Region(code=code, name=name)
    db.session.add(region)
    db.session.commit()
    return region


def make_area(region: Region, code: str = "A1", name: str = "Tokyo Central") -> Area:
    area = Area(code=code, name=name, region_id=region.id)
    db.session.add(area)
    db.session.commit()
    return area


def make_store(area: Area, code: str = "S1", name: str = "Ginza") -> Store:
    store = Store(code=code, name=name, area_id=area.id, city="Tokyo", address="1-1 Ginza", timezone="Asia/Tokyo",
                  is_active=True)
    db.session.add(store)
    db.session.commit()
    return store


def make_user(email: str, role: str = "shopper", area_codes: tuple[str, ...] = (), **kw: Any) -> User:
    return users.create_user(db.session, email=email, name=kw.pop("name", email.split("@")[0].title()),
                             password=kw.pop("password", PASSWORD), role=role, now=NOW,
                             area_codes=area_codes, password_hash_method=FAST_PASSWORD_HASH, **kw)


def make_assignment(shopper: User, store: Store, checklist_id: int, start: date | None = None) -> Assignment:
    start = start or NOW.date()
    assignment = Assignment(shopper_id=shopper.id, store_id=store.id, checklist_id=checklist_id,
                            window_start=start, window_end=start + timedelta(days=7), status="open", created_at=NOW)
    db.session.add(assignment)
    db.session.commit()
    return assignment


@dataclass
class World:
    """Two areas of one region; a manager for each, two shoppers, head office, one store per area."""

    region: Region
    area: Area
    other_area: Area
    store: Store
    other_store: Store
    shopper: User
    other_shopper: User
    manager: User
    other_manager: User
    head: User
    upload_dir: Path
    store_manager: User | None = None  # of `store` only


@pytest.fixture
def world(app: Flask) -> World:
    region = make_region()
    area = make_area(region, "A1", "Tokyo Central")
    other_area = make_area(region, "A2", "Osaka")
    return World(
        region=region, area=area, other_area=other_area,
        store=make_store(area, "S1", "Ginza"), other_store=make_store(other_area, "S2", "Umeda"),
        shopper=make_user("shopper@test.example"), other_shopper=make_user("shopper2@test.example"),
        manager=make_user("manager@test.example", "area_manager", ("A1",)),
        other_manager=make_user("manager2@test.example", "area_manager", ("A2",)),
        head=make_user("head@test.example", "head_office"),
        upload_dir=Path(app.config["UPLOAD_DIR"]),
        store_manager=make_user("store@test.example", "store_manager", store_codes=("S1",)),
    )


@pytest.fixture
def shopper(client: FlaskClient, world: World) -> FlaskClient:
    """The test client, signed in as the world's shopper."""
    sign_in(client, world.shopper.email)
    return client


# --- checklists and visits -------------------------------------------------------------------------------------

# A small checklist covering the common question types; section weights 2 and 1.
MINI_CHECKLIST: dict[str, Any] = {
    "key": "mini_visit", "title": {"en": "Mini visit", "ja": "ミニ訪問"}, "channel": "in_store",
    "grades": [{"min": 80, "label": "Good"}, {"min": 0, "label": "Poor"}],
    "sections": [
        {"key": "staff", "title": {"en": "Staff", "ja": "スタッフ"}, "weight": 2, "questions": [
            {"key": "greeted", "type": "yes_no", "text": {"en": "Were you greeted?", "ja": "挨拶されましたか？"},
             "weight": 3},
            {"key": "helpful", "type": "scale", "min": 1, "max": 5, "text": "How helpful?"},
            {"key": "notes", "type": "text", "text": "Notes", "required": False},
        ]},
        {"key": "checkout", "title": "Checkout", "questions": [
            {"key": "queue_wait", "type": "duration", "text": "Queue wait", "kpi": "queue_wait",
             "bands": [{"max": 120, "fraction": 1}, {"max": 300, "fraction": 0.5}, {"fraction": 0}]},
            {"key": "self_checkout", "type": "yes_no", "text": "Self-checkout?", "weight": 0},
            {"key": "sco_help", "type": "yes_no", "text": "Help at self-checkout?", "allow_na": True,
             "show_if": {"question": "self_checkout", "equals": "yes"}},
        ]},
    ],
}


# One yes/no question and one photo question.
PHOTO_CHECKLIST = {
    "key": "receipt_check", "title": "Receipt check", "channel": "in_store",
    "grades": [{"min": 0, "label": "All"}],
    "sections": [{"key": "s", "title": "Receipt", "questions": [
        {"key": "paid", "type": "yes_no", "text": "Did you pay?"},
        {"key": "receipt", "type": "photo", "text": "Photo of the receipt"},
    ]}],
}


def publish_mini(definition: dict[str, Any] | None = None) -> Any:
    """Publish MINI_CHECKLIST (or `definition`) and return the version row."""
    from audit_app.services import checklists

    return checklists.publish_checklist(db.session, scoring.parse_checklist(definition or MINI_CHECKLIST), now=NOW)


def make_plan(actor: User, checklist_id: int, name: str = "Monthly", **changes: Any) -> Any:
    """A visit plan of every store, monthly from 2026-12-01 with a week's window, made through the plans service;
    `changes` set other settings."""
    from datetime import date

    from audit_app.services import plans

    settings = plans.PlanSettings(
        name=name, checklist_id=checklist_id, scope="all", region_id=None, area_id=None, frequency="monthly",
        every_weeks=4, waves=[], starts_on=date(2026, 12, 1), window_days=7, lead_days=0, lockout_days=0,
        no_repeat_shopper=False, home_region_only=False, reassign_missed=False)
    plan = plans.create_plan(db.session, actor, replace(settings, **changes), now=NOW)
    db.session.commit()
    return plan


def make_visit(shopper: User, store: Store, client_uuid: str | None = None) -> Any:
    """A draft visit of MINI_CHECKLIST by `shopper` at `store`, started through the visit service."""
    from audit_app.services import visits

    version = publish_mini()
    assignment = make_assignment(shopper, store, version.checklist_id)
    return visits.start_visit(db.session, shopper, client_uuid=client_uuid or str(uuid.uuid4()),
                              assignment_id=assignment.id, now=NOW)


def small_checklist_data(key: str = "store_check") -> dict[str, Any]:
    """Two sections, three questions: a yes/no, a 1-5 scale and a banded queue time."""
    return {
        "key": key, "title": "Store check", "channel": "in_store",
        "grades": [{"min": 80, "label": "Good"}, {"min": 0, "label": "Poor"}],
        "sections": [
            {"key": "service", "title": "Service", "questions": [
                {"key": "greeted", "type": "yes_no", "text": "Were you greeted?", "weight": 2},
                {"key": "helpful", "type": "scale", "text": "How helpful was the staff?", "min": 1, "max": 5},
            ]},
            {"key": "checkout", "title": "Checkout", "questions": [
                {"key": "queue_wait", "type": "duration", "text": "How long was the queue?",
                 "bands": [{"max": 120, "fraction": 1}, {"max": 300, "fraction": "0.5"}, {"fraction": 0}]},
            ]},
        ],
    }


def make_published_checklist(data: dict[str, Any] | None = None, actor: User | None = None) -> Any:
    """Publish a checklist (default: small_checklist_data) and return its ChecklistVersion."""
    from audit_app.services import checklists as checklist_service

    return checklist_service.publish_checklist(db.session, scoring.parse_checklist(data or small_checklist_data()),
                                               now=NOW, actor=actor)


def make_submitted_visit(shopper: User, store: Store, checklist_id: int, answers: dict[str, Any],
                         at: datetime | None = None) -> Any:
    """A visit started on an assignment, answered and submitted through the visit services."""
    from audit_app.services import visits

    at = at or NOW
    assignment = make_assignment(shopper, store, checklist_id, start=at.date())
    client_uuid = str(uuid.uuid4())
    visit = visits.start_visit(db.session, shopper, client_uuid=client_uuid, now=at, assignment_id=assignment.id)
    visits.save_answers(db.session, shopper, visit.id, answers, at)
    return visits.submit_visit(db.session, shopper, visit.id, client_uuid, at)


REVIEW_START = datetime(2026, 9, 1, 9, 0, tzinfo=timezone.utc)


def add_submitted(shopper_id: int, store: Store, version_id: int, count: int, *, start: datetime = REVIEW_START,
                  critical: frozenset[int] = frozenset(), step: timedelta = timedelta(hours=6)) -> list[int]:
    """`count` submitted, scored visits, one every `step` from `start` (the n-th of them critical when n is in
    `critical`), written in bulk so that hundreds take a moment; returns their ids, oldest first."""
    rows = [{"client_uuid": str(uuid.uuid4()), "store_id": store.id, "shopper_id": shopper_id,
             "checklist_version_id": version_id, "status": "submitted", "started_at": start + step * n,
             "submitted_at": start + step * n + timedelta(minutes=20), "updated_at": start + step * n,
             "review_note": ""} for n in range(count)]
    ids = list(db.session.scalars(sa.insert(Visit).returning(Visit.id, sort_by_parameter_order=True), rows))
    db.session.execute(sa.insert(VisitScore), [
        {"visit_id": visit_id, "checklist_version_id": version_id, "is_current": True, "earned": "3", "possible": "4",
         "percent_exact": "75", "percent": 75.0, "grade": "Poor", "critical_failures": 1 if n in critical else 0,
         "card": {}, "scored_at": start} for n, visit_id in enumerate(ids)])
    db.session.commit()
    return ids


SAFETY_CHECKLIST = {
    "key": "safety_walk", "title": "Safety walk", "channel": "in_store",
    "grades": [{"min": 80, "label": "Good"}, {"min": 0, "label": "Poor"}],
    "sections": [
        {"key": "floor", "title": {"en": "Sales floor", "ja": "売場"}, "questions": [
            {"key": "hazard", "type": "yes_no", "good": "no", "critical": {"effect": "zero_section"},
             "text": {"en": "Safety hazard seen", "ja": "危険を見つけた"}},
            {"key": "tidy", "type": "yes_no", "text": "Were the aisles tidy?"},
        ]},
        {"key": "till", "title": "Till", "questions": [
            {"key": "receipt", "type": "photo", "text": "Photo of the receipt"},
            {"key": "paid", "type": "yes_no", "text": "Did you pay?"},
        ]},
    ],
}


def jpeg(colour: str = "orange", size: tuple[int, int] = (64, 48)) -> bytes:
    """A small JPEG of one colour."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG")
    return out.getvalue()


def visit_with_photo_and_hazard(world: World) -> tuple[Visit, int]:
    """A submitted SAFETY_CHECKLIST visit with a receipt photo and the critical hazard seen; returns it and the
    photo's id."""
    from audit_app.services import photos, visits

    version = make_published_checklist(SAFETY_CHECKLIST)
    assignment = make_assignment(world.shopper, world.store, version.checklist_id)
    client_uuid = str(uuid.uuid4())
    visit = visits.start_visit(db.session, world.shopper, client_uuid=client_uuid, now=NOW,
                               assignment_id=assignment.id)
    photo = photos.add_photo(db.session, world.shopper, visit.id, "receipt", jpeg("teal"),
                             upload_dir=world.upload_dir, now=NOW)
    visits.save_answers(db.session, world.shopper, visit.id,
                        {"hazard": "yes", "tidy": "yes", "receipt": photo.sha256, "paid": "yes"}, NOW)
    return visits.submit_visit(db.session, world.shopper, visit.id, client_uuid, NOW), photo.id


@contextmanager
def counting() -> Iterator[list[str]]:
    """The SQL statements the app's engine runs inside the block."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)


# --- scorecards: a small scored history, and its figures computed by the engine ---------------------------------


def scorecard_checklist_data() -> dict[str, Any]:
    """Three sections with weights, a capping critical, N/A, an unscored NPS and the KPI questions."""
    return {
        "key": "store_visit", "title": {"en": "Store visit", "ja": "店舗訪問"}, "channel": "in_store",
        "grades": [{"min": 85, "label": {"en": "Good", "ja": "良好"}}, {"min": 0, "label": {"en": "Poor", "ja": "不十分"}}],
        "sections": [
            {"key": "staff", "title": {"en": "Staff", "ja": "スタッフ"}, "weight": 2, "questions": [
                {"key": "greeted", "type": "yes_no", "text": "Were you greeted?", "weight": 3,
                 "critical": {"effect": "cap", "cap": 50}},
                {"key": "greeting_time", "type": "duration", "text": "Seconds until greeted", "kpi": "greeting_time",
                 "bands": [{"max": 30, "fraction": 1}, {"max": 60, "fraction": 0.5}, {"fraction": 0}]},
                {"key": "helpful", "type": "scale", "text": "How helpful?", "min": 1, "max": 5},
            ]},
            {"key": "checkout", "title": {"en": "Checkout", "ja": "レジ"}, "questions": [
                {"key": "queue_wait", "type": "duration", "text": "Queue wait", "kpi": "queue_wait",
                 "bands": [{"max": 120, "fraction": 1}, {"max": 300, "fraction": 0.5}, {"fraction": 0}]},
                {"key": "bag_offered", "type": "yes_no", "text": "Offered a bag?", "allow_na": True},
            ]},
            {"key": "feedback", "title": {"en": "Feedback", "ja": "評価"}, "questions": [
                {"key": "csat", "type": "scale", "text": "Satisfied?", "min": 1, "max": 5, "kpi": "csat"},
                {"key": "nps", "type": "nps", "text": "Recommend?", "kpi": "nps"},
                {"key": "remarks", "type": "text", "text": "Remarks", "required": False},
            ]},
        ],
    }


def scorecard_answers(quality: int) -> dict[str, Any]:
    """Answers of a visit at one of four quality levels (0 worst .. 3 best)."""
    return [
        {"greeted": "no", "greeting_time": 90, "helpful": 2, "queue_wait": 400, "bag_offered": "no", "csat": 2,
         "nps": 3},
        {"greeted": "yes", "greeting_time": 45, "helpful": 3, "queue_wait": 200, "bag_offered": scoring.NA,
         "csat": 3, "nps": 7},
        {"greeted": "yes", "greeting_time": 20, "helpful": 4, "queue_wait": 100, "bag_offered": "no", "csat": 4,
         "nps": 9},
        {"greeted": "yes", "greeting_time": 10, "helpful": 5, "queue_wait": 30, "bag_offered": "yes", "csat": 5,
         "nps": 10, "remarks": "Lovely store"},
    ][quality]


# The scorecard checklist parsed once, for the figures tests compute independently of the pages.
SCORECARD_CHECKLIST = scoring.parse_checklist(scorecard_checklist_data())


def scorecard_card(quality: int) -> scoring.ScoreCard:
    """The engine's card for scorecard_answers(quality)."""
    return scoring.score(SCORECARD_CHECKLIST, scorecard_answers(quality))


def scorecard_pct(quality: int) -> Fraction:
    """The engine's overall percent for scorecard_answers(quality)."""
    return scorecard_card(quality).percent


def shown(value: Fraction) -> str:
    """A percent as the pages show it."""
    return scoring.format_percent(value)


def avg(values: list[Fraction]) -> Fraction:
    """The mean of visit percents (how the pages average)."""
    return sum(values, Fraction(0)) / len(values)


@dataclass
class ScorecardWorld:
    """`world` plus a published checklist and scored visits: (store, days ago, quality) per visit."""

    world: World
    version: Any
    now: datetime
    visits: list[tuple[Any, int, int, Any]]  # (store, days_ago, quality, Visit)
    extra_store: Store


SCORECARD_HISTORY = (
    # Ginza (world.store, area A1): previous period and this one.
    ("store", 120, 1), ("store", 60, 0), ("store", 20, 3), ("store", 5, 2),
    # A second store of A1 with a Japanese name.
    ("extra_store", 100, 2), ("extra_store", 40, 3), ("extra_store", 10, 1),
    # Umeda (world.other_store, area A2).
    ("other_store", 30, 0), ("other_store", 3, 3),
)


def make_scorecard_world(world: World, now: datetime | None = None) -> ScorecardWorld:
    """Scored visits relative to `now` (default: the real clock, as the pages use it)."""
    now = now or datetime.now(timezone.utc).replace(microsecond=0)
    version = make_published_checklist(scorecard_checklist_data())
    extra = make_store(world.area, "S3", "渋谷スクランブル店")
    stores = {"store": world.store, "extra_store": extra, "other_store": world.other_store}
    made = []
    for name, days_ago, quality in SCORECARD_HISTORY:
        visit = make_submitted_visit(world.shopper, stores[name], version.checklist_id, scorecard_answers(quality),
                                     at=now - timedelta(days=days_ago))
        made.append((stores[name], days_ago, quality, visit))
    return ScorecardWorld(world=world, version=version, now=now, visits=made, extra_store=extra)


@pytest.fixture
def sw(app: Flask, world: World) -> ScorecardWorld:
    """The scorecard world: `world` with SCORECARD_HISTORY's scored visits (A1 has Ginza and a store with a
    Japanese name; A2 has Umeda)."""
    return make_scorecard_world(world)
