"""Demo data: an organisation, people, the shipped checklists and six months of scored visits.

Everything goes through the same services as the web pages, so the demo is what real use produces.
Idempotent: people, places and checklists are created when missing; visits only when there are none.
"""

from __future__ import annotations

import io
import math
import random
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import scoring
from audit_app.models import Area, Assignment, Checklist, Region, Store, User, Visit
from audit_app.services import checklists as checklist_service
from audit_app.services import photos, users, visits

# Checked: the documented demo sign-in, for demo data only.
DEMO_PASSWORD = "storecheck-demo"  # nosec B105
DEMO_SIGN_INS = (
    ("head@example.com", "head_office"),
    ("manager@example.com", "area_manager"),
    ("store@example.com", "store_manager"),
    ("shopper@example.com", "shopper"),
)

# Region -> areas -> stores (city, store name). A home-and-living chain in three Japanese regions.
ORGANISATION: dict[tuple[str, str], dict[tuple[str, str], list[tuple[str, str]]]] = {
    ("KANTO", "Kanto"): {
        ("TKC", "Tokyo Central"): [("Tokyo", "Ginza"), ("Tokyo", "Nihonbashi"), ("Tokyo", "Shinjuku East"),
                                   ("Tokyo", "Shibuya Dogenzaka"), ("Tokyo", "Ikebukuro Sunshine")],
        ("TKW", "Tokyo West"): [("Tokyo", "Kichijoji"), ("Tokyo", "Tachikawa"), ("Tokyo", "Machida"),
                                ("Tokyo", "Chofu"), ("Tokyo", "Hachioji")],
        ("YKH", "Yokohama & Kawasaki"): [("Yokohama", "Minato Mirai"), ("Yokohama", "Kohoku"),
                                         ("Kawasaki", "Kawasaki Station"), ("Yokohama", "Totsuka"),
                                         ("Fujisawa", "Shonan Fujisawa")],
        ("SCB", "Saitama & Chiba"): [("Saitama", "Omiya"), ("Saitama", "Urawa"), ("Chiba", "Makuhari"),
                                     ("Funabashi", "Funabashi"), ("Kashiwa", "Kashiwa")],
    },
    ("KANSAI", "Kansai"): {
        ("OSK", "Osaka"): [("Osaka", "Umeda"), ("Osaka", "Namba"), ("Osaka", "Tennoji"),
                           ("Osaka", "Kyobashi"), ("Sakai", "Sakai")],
        ("KYN", "Kyoto & Nara"): [("Kyoto", "Shijo Kawaramachi"), ("Kyoto", "Kyoto Station"), ("Nara", "Nara"),
                                  ("Uji", "Uji"), ("Kyoto", "Yamashina")],
        ("KOB", "Kobe & Himeji"): [("Kobe", "Sannomiya"), ("Kobe", "Harborland"), ("Himeji", "Himeji"),
                                   ("Nishinomiya", "Nishinomiya"), ("Akashi", "Akashi")],
    },
    ("CHUBU", "Chubu"): {
        ("NGY", "Nagoya"): [("Nagoya", "Sakae"), ("Nagoya", "Meieki"), ("Nagoya", "Kanayama"),
                            ("Toyota", "Toyota"), ("Gifu", "Gifu")],
    },
}

MANAGERS = [
    ("manager@example.com", "Aiko Tanaka", "TKC"), ("kenji.sato@example.com", "Kenji Sato", "TKW"),
    ("emma.clarke@example.com", "Emma Clarke", "YKH"), ("hiroshi.ito@example.com", "Hiroshi Ito", "SCB"),
    ("yuki.nakamura@example.com", "Yuki Nakamura", "OSK"), ("daniel.moore@example.com", "Daniel Moore", "KYN"),
    ("mei.kobayashi@example.com", "Mei Kobayashi", "KOB"), ("takeshi.yamada@example.com", "Takeshi Yamada", "NGY"),
]
# Store managers and the stores they look after (store codes).
STORE_MANAGERS = [
    ("store@example.com", "Yui Hayashi", ("TKC01",)), ("ryo.abe@example.com", "Ryo Abe", ("TKC02", "TKC03")),
    ("grace.taylor@example.com", "Grace Taylor", ("OSK01",)),
]
SHOPPERS = [
    ("shopper@example.com", "Sakura Watanabe"), ("ren.suzuki@example.com", "Ren Suzuki"),
    ("olivia.hughes@example.com", "Olivia Hughes"), ("haruto.kato@example.com", "Haruto Kato"),
    ("mio.yoshida@example.com", "Mio Yoshida"), ("james.wright@example.com", "James Wright"),
    ("nanami.yamamoto@example.com", "Nanami Yamamoto"), ("sota.matsumoto@example.com", "Sota Matsumoto"),
    ("chloe.evans@example.com", "Chloe Evans"), ("yuto.inoue@example.com", "Yuto Inoue"),
    ("hina.kimura@example.com", "Hina Kimura"), ("lucas.martin@example.com", "Lucas Martin"),
]
SHOPPER_REGIONS = ("KANTO", "KANSAI", "KANTO", "CHUBU", "KANTO", "KANSAI")
STAFF_NOTES = [
    "Woman in her twenties, short hair, name badge 'Sato'.",
    "Man in his forties at the service counter, glasses, no name badge.",
    "Young man restocking shelves in aisle 3, badge 'Trainee'.",
    "Supervisor with a headset near the entrance, badge 'Kimura'.",
    "Cashier at till 2, woman, long hair tied back.",
]
COMMENTS = [
    "Queue moved quickly once a second till opened.",
    "Staff were friendly but busy restocking.",
    "Spill near the entrance was cleaned up while I was there.",
    "Price labels missing on two shelves of the kitchen aisle.",
    "Very helpful explanation of the returns policy.",
]


@dataclass(frozen=True)
class SeedSize:
    months: int
    days_between_visits: int
    store_limit: int | None


SIZES = {"full": SeedSize(months=6, days_between_visits=18, store_limit=None),
         "small": SeedSize(months=2, days_between_visits=30, store_limit=6)}


@dataclass(frozen=True)
class SeedSummary:
    regions: int
    areas: int
    stores: int
    users: int
    checklists: int
    visits: int
    created_visits: int


def has_users(session: Session) -> bool:
    """True once anyone can sign in (used to load the demo only into an empty database)."""
    return session.scalar(select(User.id).limit(1)) is not None


def seed_demo(session: Session, *, now: datetime, upload_dir: Path, size: str = "full",
              library_dir: Path | None = None,
              password_hash_method: str = users.DEFAULT_PASSWORD_HASH_METHOD) -> SeedSummary:
    """Create the demo organisation, sign-ins, checklists and visit history (idempotent)."""
    plan = SIZES[size]
    # Checked: repeatable demo data, not security.
    rng = random.Random(2026)  # nosec B311
    _seed_organisation(session, now)
    _seed_people(session, now, password_hash_method)
    library = checklist_service.load_library(library_dir)
    for checklist in library.values():
        checklist_service.publish_checklist(session, checklist, now=now)
    created = 0
    if session.scalar(select(func.count(Visit.id))) == 0:
        created = _seed_history(session, rng, now, plan, upload_dir)
        _seed_plan_and_webhook(session, now)
    return SeedSummary(
        regions=session.scalar(select(func.count(Region.id))),
        areas=session.scalar(select(func.count(Area.id))),
        stores=session.scalar(select(func.count(Store.id))),
        users=session.scalar(select(func.count(User.id))),
        checklists=session.scalar(select(func.count(Checklist.id))),
        visits=session.scalar(select(func.count(Visit.id))),
        created_visits=created,
    )


def _seed_plan_and_webhook(session: Session, now: datetime) -> None:
    """A visit plan for Tokyo Central, generated once, and an example webhook endpoint left switched off (it
    points nowhere real: head office changes its address to their own system and turns it on)."""
    from audit_app.models import WebhookEndpoint
    from audit_app.services import plans, webhooks

    head = session.scalar(select(User).where(User.email == "head@example.com"))
    checklist = session.scalar(select(Checklist).where(Checklist.key == "in_store_visit"))
    area = session.scalar(select(Area).where(Area.code == "TKC"))
    if head is None or checklist is None or area is None:
        return
    visit_plan = plans.create_plan(session, head, plans.PlanSettings(
        name="Tokyo Central: in-store visit every 4 weeks", checklist_id=checklist.id, scope="area",
        region_id=None, area_id=area.id, frequency="weeks", every_weeks=4, waves=[], starts_on=now.date(),
        window_days=14, lead_days=14, lockout_days=28, no_repeat_shopper=True, home_region_only=True,
        reassign_missed=True), now=now)
    plans.generate_plan(session, head, visit_plan.id, now=now)
    session.add(WebhookEndpoint(
        url="https://hooks.example.com/storecheck", event_types=sorted(webhooks.EVENT_TYPES),
        description="Example: point it at your own system, then turn it on", secret=webhooks.new_secret(),
        is_active=False, disabled_reason="head_office", disabled_at=now, consecutive_failures=0, created_at=now,
        created_by_id=head.id, updated_at=now))
    session.commit()


def _seed_organisation(session: Session, now: datetime) -> None:
    for (region_code, region_name), areas in ORGANISATION.items():
        region = session.scalar(select(Region).where(Region.code == region_code))
        if region is None:
            region = Region(code=region_code, name=region_name)
            session.add(region)
            session.flush()
        for (area_code, area_name), stores in areas.items():
            area = session.scalar(select(Area).where(Area.code == area_code))
            if area is None:
                area = Area(code=area_code, name=area_name, region_id=region.id)
                session.add(area)
                session.flush()
            for number, (city, name) in enumerate(stores, start=1):
                code = f"{area_code}{number:02d}"
                if session.scalar(select(Store.id).where(Store.code == code)) is None:
                    session.add(Store(code=code, name=name, city=city, area_id=area.id, timezone="Asia/Tokyo",
                                      address=f"{number}-{number + 2}-{number * 3} {name}, {city}",
                                      is_active=True))
    session.commit()


def _ensure_user(session: Session, now: datetime, password_hash_method: str, **fields: Any) -> None:
    if session.scalar(select(User.id).where(User.email == fields["email"])) is None:
        users.create_user(session, password=DEMO_PASSWORD, now=now, enforce_policy=False,
                          password_hash_method=password_hash_method, **fields)


def _seed_people(session: Session, now: datetime, password_hash_method: str) -> None:
    _ensure_user(session, now, password_hash_method, email="head@example.com", name="Naoko Fujita", role="head_office")
    for email, name, area_code in MANAGERS:
        _ensure_user(session, now, password_hash_method, email=email, name=name, role="area_manager", area_codes=[area_code])
    for email, name, store_codes in STORE_MANAGERS:
        _ensure_user(session, now, password_hash_method, email=email, name=name, role="store_manager",
                     store_codes=list(store_codes))
    regions = {r.code: r.id for r in session.scalars(select(Region))}
    for index, (email, name) in enumerate(SHOPPERS):
        _ensure_user(session, now, password_hash_method, email=email, name=name, role="shopper", locale="ja" if index % 3 == 1 else "en")
        shopper = session.scalar(select(User).where(User.email == email))
        if shopper.region_id is None:
            # Half the shoppers live in Kanto, where most stores are.
            shopper.region_id = regions[SHOPPER_REGIONS[index % len(SHOPPER_REGIONS)]]
    session.commit()


# --- visit history ---------------------------------------------------------------------------


def _clamp(x: float, low: float = 0.0, high: float = 1.0) -> float:
    return max(low, min(high, x))


def _band_target(question: scoring.Question) -> tuple[float, bool]:
    """A typical good value for a banded question, and whether lower values are better."""
    first = question.bands[0]
    if first.max is not None:
        return float(first.max), True
    if first.min is not None:
        return float(first.min), False
    return 60.0, True


DEMO_ZONE = ZoneInfo("Asia/Tokyo")  # every demo store's time zone


def _answer(question: scoring.Question, q: float, rng: random.Random, when: datetime) -> Any:
    """A plausible answer from a shopper at a store performing at quality q (0..1)."""
    kind = question.type
    if question.allow_na and rng.random() < 0.06:
        return scoring.NA
    if question.critical is not None:
        q = 1.0 if rng.random() > 0.035 else 0.0
    if kind == "yes_no":
        good = question.good
        bad = "no" if good == "yes" else "yes"
        return good if rng.random() < q else bad
    if kind == "scale":
        span = int(question.max) - int(question.min)
        return int(question.min) + round(span * _clamp(q + rng.gauss(0, 0.15)))
    if kind == "choice":
        target = _clamp(q + rng.gauss(0, 0.2))
        return min(question.options, key=lambda o: abs(float(o.fraction) - target)).key
    if kind == "multi":
        chosen = [o.key for o in question.options
                  if (rng.random() < q if o.fraction > 0 else rng.random() < (1 - q) * 0.5)]
        return chosen or [max(question.options, key=lambda o: o.fraction).key]
    if kind in ("number", "duration"):
        if question.bands:
            target, lower_is_better = _band_target(question)
            shift = (0.75 - q) * 2.2 if lower_is_better else (q - 0.75) * 2.2
            value = target * math.exp(shift + rng.gauss(0, 0.45))
        else:
            value = rng.uniform(1, 20)
        return max(0, round(value))
    if kind == "nps":
        return int(_clamp(round(10 * q + rng.gauss(0, 1.4)), 0, 10))
    if kind == "text":
        return rng.choice(STAFF_NOTES)
    if kind == "date":
        return when.date().isoformat()
    if kind == "time":
        return when.astimezone(DEMO_ZONE).strftime("%H:%M")  # a time of day where the store is
    return None  # photo and note: handled by the caller or never answered


def _receipt_image(store_name: str, when: datetime, rng: random.Random) -> bytes:
    image = Image.new("RGB", (360, 560), "white")
    draw = ImageDraw.Draw(image)
    lines = [store_name.upper(), when.strftime("%Y-%m-%d %H:%M"), ""]
    total = 0
    for _ in range(rng.randint(2, 5)):
        price = rng.choice([198, 298, 480, 980, 1280])
        total += price
        lines.append(f"ITEM {rng.randint(1000, 9999)}   JPY {price}")
    lines += ["", f"TOTAL   JPY {total}", "THANK YOU"]
    for row, text in enumerate(lines):
        draw.text((24, 24 + row * 26), text, fill=(30, 30, 30))
    # Photographed on a counter: a colour, an angle and a place of its own (its own generator, so the rest of the
    # demo stays as it was), as real receipt photos differ, and their perceptual hashes with them.
    # Checked: repeatable demo data, not security.
    look = random.Random(f"{store_name}|{when.isoformat()}")  # nosec B311
    counter = Image.new("RGB", (480, 640), tuple(look.randint(40, 200) for _ in range(3)))
    draw = ImageDraw.Draw(counter)
    for _ in range(6):
        x, y = look.randint(0, 440), look.randint(0, 600)
        draw.rectangle((x, y, x + look.randint(30, 160), y + look.randint(30, 160)),
                       fill=tuple(look.randint(0, 255) for _ in range(3)))
    receipt = image.rotate(look.uniform(-25, 25), expand=True, fillcolor=counter.getpixel((0, 0)))
    receipt.thumbnail((look.randint(260, 380), 600))
    counter.paste(receipt, (look.randint(0, 480 - receipt.width), look.randint(0, 640 - receipt.height)))
    out = io.BytesIO()
    counter.save(out, "JPEG", quality=70)
    return out.getvalue()


def _store_profiles(stores: list[Store], rng: random.Random) -> dict[int, tuple[float, float]]:
    """Per store: a baseline quality and a monthly trend (some strong, some improving, some declining)."""
    profiles = {}
    for store in stores:
        kind = rng.choice(["strong", "steady", "improving", "declining", "weak"])
        base, trend = {"strong": (0.9, 0.0), "steady": (0.78, 0.0), "improving": (0.6, 0.05),
                       "declining": (0.88, -0.05), "weak": (0.6, 0.01)}[kind]
        profiles[store.id] = (base + rng.uniform(-0.04, 0.04), trend)
    return profiles


def answers_at(checklist: scoring.Checklist, quality: float, rng: random.Random, when: datetime
               ) -> tuple[dict[str, Any], set[str]]:
    """A plausible answer set at `quality` (0-1), and the questions those answers hide (left unanswered)."""
    answers: dict[str, Any] = {}
    for _, question in checklist.questions():
        value = _answer(question, quality, rng, when)
        if value is not None:
            answers[question.key] = value
    card = scoring.score(checklist, answers)
    hidden = {r.key for s in card.sections for r in s.questions if r.excluded == "hidden"}
    return {k: v for k, v in answers.items() if k not in hidden}, hidden


def _fill_and_submit(
    session: Session, shopper: User, checklist: scoring.Checklist, *, assignment: Assignment,
    started: datetime, quality: float, rng: random.Random, upload_dir: Path, store_name: str,
    submit: bool = True, proof: "DemoProof | None" = None,
) -> Visit:
    proof = proof or DemoProof()
    visit = visits.start_visit(session, shopper, client_uuid=str(uuid.UUID(int=rng.getrandbits(128))),
                               assignment_id=assignment.id, now=started, location=proof.start,
                               location_status=proof.start_status)
    answers, hidden = answers_at(checklist, quality, rng, started)
    for _, question in checklist.questions():
        if question.type == "photo" and question.key not in hidden and question.required:
            photo = photos.add_photo(session, shopper, visit.id, question.key,
                                     proof.photo or _receipt_image(store_name, started, rng), upload_dir=upload_dir,
                                     now=started)
            answers[question.key] = photo.sha256
    comments = {}
    if rng.random() < 0.3:
        key = rng.choice([k for k in answers if checklist.question(k).type != "photo"])
        comments[key] = rng.choice(COMMENTS)
    finished = started + timedelta(minutes=rng.randint(25, 50))
    if proof.minutes is not None:
        finished = started + timedelta(minutes=proof.minutes)
    if "departure_time" in answers:  # the shopper left when they finished, not when they came in
        answers["departure_time"] = finished.astimezone(DEMO_ZONE).strftime("%H:%M")
    visits.save_answers(session, shopper, visit.id, answers, finished, comments=comments)
    if submit:
        visits.submit_visit(session, shopper, visit.id, visit.client_uuid, finished, location=proof.submit,
                            location_status=proof.submit_status)
    return visit


@dataclass(frozen=True)
class DemoProof:
    """How a demo visit proves itself: locations (latitude, longitude, accuracy) or why there are none, how long
    it took, and a photo to use instead of a fresh receipt."""

    start: tuple[float, float, float] | None = None
    start_status: str = ""
    submit: tuple[float, float, float] | None = None
    submit_status: str = ""
    minutes: int | None = None
    photo: bytes | None = None


# Where each demo store stands (latitude, longitude): near the station or district it is named after, in its own
# city. Plausible, not real addresses.
STORE_POINTS: dict[str, tuple[float, float]] = {
    "Ginza": (35.6717, 139.7650), "Nihonbashi": (35.6840, 139.7745), "Shinjuku East": (35.6920, 139.7030),
    "Shibuya Dogenzaka": (35.6577, 139.6968), "Ikebukuro Sunshine": (35.7289, 139.7195),
    "Kichijoji": (35.7030, 139.5798), "Tachikawa": (35.6980, 139.4137), "Machida": (35.5424, 139.4455),
    "Chofu": (35.6518, 139.5444), "Hachioji": (35.6557, 139.3389),
    "Minato Mirai": (35.4570, 139.6320), "Kohoku": (35.5466, 139.5773), "Kawasaki Station": (35.5313, 139.6969),
    "Totsuka": (35.4010, 139.5343), "Shonan Fujisawa": (35.3389, 139.4872),
    "Omiya": (35.9064, 139.6239), "Urawa": (35.8587, 139.6570), "Makuhari": (35.6486, 140.0415),
    "Funabashi": (35.7017, 139.9853), "Kashiwa": (35.8623, 139.9710),
    "Umeda": (34.7025, 135.4959), "Namba": (34.6665, 135.5007), "Tennoji": (34.6466, 135.5136),
    "Kyobashi": (34.6967, 135.5343), "Sakai": (34.5733, 135.4830),
    "Shijo Kawaramachi": (35.0037, 135.7690), "Kyoto Station": (34.9858, 135.7588), "Nara": (34.6851, 135.8050),
    "Uji": (34.8905, 135.8006), "Yamashina": (34.9930, 135.8150),
    "Sannomiya": (34.6946, 135.1955), "Harborland": (34.6790, 135.1830), "Himeji": (34.8270, 134.6906),
    "Nishinomiya": (34.7376, 135.3416), "Akashi": (34.6491, 134.9925),
    "Sakae": (35.1700, 136.9085), "Meieki": (35.1709, 136.8815), "Kanayama": (35.1429, 136.9006),
    "Toyota": (35.0833, 137.1561), "Gifu": (35.4095, 136.7567),
}


def _former_point(store: Store) -> tuple[float, float]:
    """The coordinates earlier demos gave every store (spread over central Honshu, whatever its city)."""
    return 35.0 + (store.id * 37 % 100) / 100, 136.0 + (store.id * 53 % 300) / 100


def _store_point(store: Store) -> tuple[float, float]:
    """A demo store's coordinates in its own city (a store the demo does not know keeps the former spread)."""
    return STORE_POINTS.get(store.name) or _former_point(store)


def _seed_proof_of_visit(session: Session, rng: random.Random, now: datetime, stores: list[Store],
                         shoppers: list[User], head: User | None, records: dict[str, Checklist],
                         in_store: scoring.Checklist, upload_dir: Path) -> int:
    """Stores get coordinates, and a few visits are flagged for head office to review: one 2 km from its store,
    one submitted six minutes after it started with another visit's receipt photo, one whose shopper refused
    the location and submitted a day and a half later."""
    for store in session.scalars(select(Store)):
        # Stores without coordinates get theirs; so do those still at the former demo spread, which put a store
        # in the wrong city.
        if store.latitude is None or (store.latitude, store.longitude) == _former_point(store):
            store.latitude, store.longitude = _store_point(store)
    session.commit()
    first, second, third = stores[2 % len(stores)], stores[3 % len(stores)], stores[4 % len(stores)]
    shopper = next((s for s in shoppers if s.email != "shopper@example.com"), shoppers[0])
    other = next((s for s in shoppers if s.id != shopper.id), shopper)
    day = (now - timedelta(days=4)).replace(hour=5, minute=10, second=0, microsecond=0)
    lat, lon = _store_point(first)
    receipt = _receipt_image(first.name, day, rng)
    plans = [
        (first, shopper, day, DemoProof(start=(lat + 0.018, lon + 0.008, 25.0), submit=(lat, lon, 12.0),
                                        photo=receipt)),
        (second, other, day + timedelta(days=1), DemoProof(start=(*_store_point(second), 15.0),
                                                            submit=(*_store_point(second), 15.0), minutes=6,
                                                            photo=receipt)),
        (third, shopper, day + timedelta(days=2), DemoProof(start_status="refused", submit_status="unavailable",
                                                             minutes=36 * 60)),
    ]
    for store, who, started, proof in plans:
        assignment = _assign(session, records[in_store.key], store, who, head, started.date(), now)
        _fill_and_submit(session, who, in_store, assignment=assignment, started=started, quality=0.75, rng=rng,
                         upload_dir=upload_dir, store_name=store.name, proof=proof)
    return len(plans)


def _seed_history(session: Session, rng: random.Random, now: datetime, plan: SeedSize, upload_dir: Path) -> int:
    stores = list(session.scalars(select(Store).order_by(Store.code)))
    if plan.store_limit is not None:
        stores = stores[: plan.store_limit]
    shoppers = list(session.scalars(select(User).where(User.role == "shopper").order_by(User.email)))
    head = session.scalar(select(User).where(User.email == "head@example.com"))
    records = {c.key: c for c in session.scalars(select(Checklist))}
    library = checklist_service.load_library()
    in_store = library.get("in_store_visit") or next(iter(library.values()))
    others = [c for c in library.values() if c.key != in_store.key]
    profiles = _store_profiles(stores, rng)
    region_of_store = dict(session.execute(select(Store.id, Area.region_id).join(Area, Store.area_id == Area.id)).all())
    local = {sid: [s for s in shoppers if s.region_id == region_of_store[sid]] for sid in region_of_store}
    start = now - timedelta(days=30 * plan.months)
    created = 0
    for store in stores:
        base, trend = profiles[store.id]
        day = start + timedelta(days=rng.randint(0, plan.days_between_visits))
        while day < now - timedelta(days=2):
            months = (day - start).days / 30
            quality = _clamp(base + trend * months + rng.gauss(0, 0.05), 0.2, 0.99)
            checklist = in_store if rng.random() < 0.75 or not others else rng.choice(others)
            shopper = rng.choice(local.get(store.id) or shoppers)
            started = day.replace(hour=rng.randint(10, 19), minute=rng.randint(0, 59))
            assignment = _assign(session, records[checklist.key], store, shopper, head, started.date(), now)
            _fill_and_submit(session, shopper, checklist, assignment=assignment, started=started,
                             quality=quality, rng=rng, upload_dir=upload_dir, store_name=store.name)
            created += 1
            day += timedelta(days=plan.days_between_visits + rng.randint(-5, 6))
    created += _seed_proof_of_visit(session, rng, now, stores, shoppers, head, records, in_store, upload_dir)
    created += _seed_open_work(session, rng, now, stores, shoppers, head, records, in_store, upload_dir)
    return created


def _assign(session: Session, checklist: Checklist, store: Store, shopper: User, head: User | None,
            on: date, now: datetime) -> Assignment:
    assignment = Assignment(shopper_id=shopper.id, store_id=store.id, checklist_id=checklist.id,
                            window_start=on - timedelta(days=3), window_end=on + timedelta(days=4),
                            status="open", created_at=now, created_by_id=head.id if head else None)
    session.add(assignment)
    session.commit()
    return assignment


def _seed_open_work(session: Session, rng: random.Random, now: datetime, stores: list[Store],
                    shoppers: list[User], head: User | None, records: dict[str, Checklist],
                    in_store: scoring.Checklist, upload_dir: Path) -> int:
    """Open assignments for every shopper (one overdue for the demo shopper) and one visit in progress."""
    demo = next(s for s in shoppers if s.email == "shopper@example.com")
    today = now.date()
    keys = sorted(records)
    for index, shopper in enumerate(shoppers):
        for offset in (2, 9):
            store = stores[(index * 3 + offset) % len(stores)]
            key = keys[(index + offset) % len(keys)]
            _assign(session, records[key], store, shopper, head, today + timedelta(days=offset), now)
    overdue = _assign(session, records[in_store.key], stores[1], demo, head, today - timedelta(days=8), now)
    overdue.window_end = today - timedelta(days=2)
    session.commit()
    in_progress = _assign(session, records[in_store.key], stores[0], demo, head, today, now)
    _fill_and_submit(session, demo, in_store, assignment=in_progress, started=now - timedelta(hours=1),
                     quality=0.8, rng=rng, upload_dir=upload_dir, store_name=stores[0].name, submit=False)
    return 1
