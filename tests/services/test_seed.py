from __future__ import annotations

from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

from audit_app.extensions import db
from audit_app.models import Answer, Photo, SectionScore, User, Visit, VisitScore
from audit_app.services import seed, users
from tests.factories import FAST_PASSWORD_HASH, NOW


def _counts() -> dict[str, int]:
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Visit, Answer, Photo, VisitScore, SectionScore)}


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


def test_the_demo_has_the_documented_organisation_and_sign_ins(app: Flask, tmp_path: Path) -> None:
    summary = seed.seed_demo(db.session, now=NOW, upload_dir=tmp_path, size="small",
                                 password_hash_method=FAST_PASSWORD_HASH)
    assert (summary.regions, summary.areas, summary.stores) == (3, 8, 40)
    assert summary.users == 1 + 8 + 12
    assert summary.checklists == 4
    for email, role in seed.DEMO_SIGN_INS:
        user = users.authenticate(db.session, email=email, password=seed.DEMO_PASSWORD, now=NOW)
        assert user.role == role
    shoppers = db.session.scalars(select(User).where(User.role == "shopper")).all()
    assert len(shoppers) == 12 and all(s.region_id is not None for s in shoppers)


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
