from __future__ import annotations

from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

from audit_app.extensions import db
from audit_app.models import (Action, Answer, Assignment, Photo, PlanVisit, SectionScore, Store, User, Visit, VisitPlan,
                              VisitScore, WebhookEndpoint, store_managers)
from audit_app.services import seed, users
from tests.factories import FAST_PASSWORD_HASH, NOW


def _counts() -> dict[str, int]:
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Visit, Answer, Photo, VisitScore, SectionScore, VisitPlan, PlanVisit, Assignment,
                          WebhookEndpoint)}


def test_seeding_twice_creates_nothing_the_second_time(app: Flask, tmp_path: Path) -> None:
    first = seed.seed_demo(db.session, now=NOW, upload_dir=tmp_path, size="small",
                                 password_hash_method=FAST_PASSWORD_HASH)
    counts = _counts()
    second = seed.seed_demo(db.session, now=NOW, upload_dir=tmp_path, size="small",
                                 password_hash_method=FAST_PASSWORD_HASH)
    assert first.created_visits > 0
    assert second.created_visits == 0
    assert (second.regions, second.areas, second.stores, second.users, second.checklists) == \
        (first.regions, first.areas, first.stores, first.users, first.checklists)
    assert _counts() == counts


def test_the_demo_has_a_generated_visit_plan_and_an_example_webhook_left_off(app: Flask, tmp_path: Path) -> None:
    seed.seed_demo(db.session, now=NOW, upload_dir=tmp_path, size="small", password_hash_method=FAST_PASSWORD_HASH)
    [plan] = db.session.scalars(select(VisitPlan)).all()
    assert plan.is_active and plan.scope == "area" and plan.every_weeks == 4
    planned = db.session.scalars(select(PlanVisit).where(PlanVisit.plan_id == plan.id)).all()
    assert len(planned) == 5  # Tokyo Central's five stores, this window
    assert all(v.status in ("assigned", "planned") for v in planned)
    assert any(v.assignment_id is not None for v in planned)
    [endpoint] = db.session.scalars(select(WebhookEndpoint)).all()
    assert not endpoint.is_active and "example.com" in endpoint.url and endpoint.description


def test_the_demo_has_the_documented_organisation_and_sign_ins(app: Flask, tmp_path: Path) -> None:
    summary = seed.seed_demo(db.session, now=NOW, upload_dir=tmp_path, size="small",
                                 password_hash_method=FAST_PASSWORD_HASH)
    assert (summary.regions, summary.areas, summary.stores) == (3, 8, 40)
    assert summary.users == 1 + 8 + 3 + 12
    assert summary.checklists == 4
    for email, role in seed.DEMO_SIGN_INS:
        user = users.authenticate(db.session, email=email, password=seed.DEMO_PASSWORD, now=NOW)
        assert user.role == role
    shoppers = db.session.scalars(select(User).where(User.role == "shopper")).all()
    assert len(shoppers) == 12 and all(s.region_id is not None for s in shoppers)
    # The demo store manager looks after Ginza; the demo visits' failures created their rules' actions.
    store = users.authenticate(db.session, email="store@example.com", password=seed.DEMO_PASSWORD, now=NOW)
    assert [s.name for s in db.session.scalars(select(Store).join(
        store_managers, store_managers.c.store_id == Store.id).where(store_managers.c.user_id == store.id))] == \
        ["Ginza"]
    assert db.session.scalar(select(func.count(Action.id)).where(Action.source == "rule")) > 0


def test_demo_visits_are_submitted_scored_and_stored_through_the_visit_service(app: Flask, tmp_path: Path) -> None:
    seed.seed_demo(db.session, now=NOW, upload_dir=tmp_path, size="small", password_hash_method=FAST_PASSWORD_HASH)
    submitted = db.session.scalar(select(func.count()).select_from(Visit).where(Visit.status == "submitted"))
    scored = db.session.scalar(select(func.count()).select_from(VisitScore).where(VisitScore.is_current))
    assert submitted > 0 and scored == submitted
    percents = list(db.session.scalars(select(VisitScore.percent)))
    assert all(p is None or 0 <= p <= 100 for p in percents)
    assert len({round(p) for p in percents if p is not None}) > 3  # varied, not one canned score
    drafts = db.session.scalar(select(func.count()).select_from(Visit).where(Visit.status == "draft"))
    assert drafts == 1


def test_demo_receipt_photos_are_real_files_named_by_their_hash(app: Flask, tmp_path: Path) -> None:
    seed.seed_demo(db.session, now=NOW, upload_dir=tmp_path, size="small", password_hash_method=FAST_PASSWORD_HASH)
    photo = db.session.scalars(select(Photo)).first()
    assert photo is not None
    stored = tmp_path / photo.sha256[:2] / f"{photo.sha256}.jpg"
    assert stored.read_bytes()[:3] == b"\xff\xd8\xff"


# Each demo city's centre (its city hall or main station), to check a store stands in its own city.
CITY_CENTRES = {
    "Tokyo": (35.6895, 139.6917), "Yokohama": (35.4437, 139.6380), "Kawasaki": (35.5308, 139.7029),
    "Fujisawa": (35.3387, 139.4900), "Saitama": (35.8617, 139.6455), "Chiba": (35.6073, 140.1063),
    "Funabashi": (35.6947, 139.9827), "Kashiwa": (35.8676, 139.9758), "Osaka": (34.6937, 135.5023),
    "Sakai": (34.5733, 135.4830), "Kyoto": (35.0116, 135.7681), "Nara": (34.6851, 135.8048),
    "Uji": (34.8844, 135.7997), "Kobe": (34.6901, 135.1955), "Himeji": (34.8151, 134.6853),
    "Nishinomiya": (34.7377, 135.3416), "Akashi": (34.6431, 134.9974), "Nagoya": (35.1815, 136.9066),
    "Toyota": (35.0823, 137.1563), "Gifu": (35.4233, 136.7607),
}


def test_every_demo_store_stands_in_its_own_city(app: Flask, tmp_path: Path) -> None:
    from audit_app.services.fraud import distance_m

    seed.seed_demo(db.session, now=NOW, upload_dir=tmp_path, size="small", password_hash_method=FAST_PASSWORD_HASH)
    stores = list(db.session.scalars(select(Store)))
    assert len(stores) == 40
    for store in stores:
        assert store.latitude is not None and store.longitude is not None, store.name
        centre = CITY_CENTRES[store.city]
        # Tokyo is large: Hachioji is some 32 km from the city hall; every other store is much nearer its centre.
        assert distance_m(store.latitude, store.longitude, *centre) < 35_000, (store.name, store.city)
    ginza = next(s for s in stores if s.name == "Ginza")
    assert distance_m(ginza.latitude, ginza.longitude, 35.671, 139.765) < 500
    assert len({(s.latitude, s.longitude) for s in stores}) == 40  # no two stores on the same spot


def test_the_demo_visits_pass_the_location_checks_except_the_one_made_far_away(app: Flask, tmp_path: Path) -> None:
    from audit_app.models import VisitFlag
    from audit_app.services import fraud, settings as settings_service

    seed.seed_demo(db.session, now=NOW, upload_dir=tmp_path, size="small", password_hash_method=FAST_PASSWORD_HASH)
    settings = settings_service.get_settings(db.session)
    located = [v for v in db.session.scalars(select(Visit).where(Visit.latitude.is_not(None)))]
    assert len(located) == 2
    verdicts = {}
    for visit in located:
        check = fraud.location_check(visit, db.session.get(Store, visit.store_id), settings)
        verdicts[visit.id] = [p.verdict for p in check.points]
    assert sorted(verdicts.values()) == [["inside", "inside"], ["outside", "inside"]]
    away = db.session.scalars(select(VisitFlag).where(VisitFlag.kind == "location")).all()
    assert len(away) == 1 and 1_500 < away[0].evidence["distance_m"] < 2_500
    # Demo shoppers write down when they left as the time they finished: no stay reads as 0 minutes.
    short = db.session.scalars(select(VisitFlag).where(VisitFlag.kind == "short_stay")).all()
    assert [f.evidence["minutes"] for f in short] == [6.0]
    # Demo visits that run past midnight in Tokyo left on the next day: none of them is outside its own visit.
    assert not db.session.scalars(select(VisitFlag).where(VisitFlag.kind == "times_outside")).all()
