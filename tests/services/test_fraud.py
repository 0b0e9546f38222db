"""Proof-of-visit checks on crafted visits: every flag, its evidence, re-running and explaining."""

from __future__ import annotations

import io
import math
import uuid
from datetime import datetime, timedelta
from typing import Any

import imagehash
import pytest
from PIL import Image, ImageDraw, ImageEnhance
from sqlalchemy import select

from audit_app.extensions import db
from audit_app.models import AuditLog, Checklist, Photo, Store, User, Visit, VisitFlag
from audit_app.services import fraud, photos, settings as settings_service, visits
from tests.factories import NOW, World, make_assignment, make_published_checklist

# Ginza (Tokyo), where the world's store is put; 0.001 degrees of latitude is about 111 m.
STORE_LAT, STORE_LON = 35.6717, 139.7650

FRAUD_CHECKLIST: dict[str, Any] = {
    "key": "proof_check", "title": "Proof check", "channel": "in_store",
    "grades": [{"min": 0, "label": "All"}],
    "sections": [{"key": "s", "title": "Visit", "questions": [
        {"key": "paid", "type": "yes_no", "text": "Did you pay?"},
        {"key": "receipt", "type": "photo", "text": "Photo of the receipt", "required": False},
        {"key": "arrival_time", "type": "time", "text": "Time you entered", "required": False},
        {"key": "departure_time", "type": "time", "text": "Time you left", "required": False},
    ]}],
}


def scene(seed: int) -> Image.Image:
    """A picture with some structure (shapes placed by `seed`), so perceptual hashes tell pictures apart."""
    image = Image.new("RGB", (320, 240), "white")
    draw = ImageDraw.Draw(image)
    for n in range(6):
        x = (seed * 53 + n * 97) % 260
        y = (seed * 31 + n * 61) % 180
        colour = ((seed * 40 + n * 70) % 256, (n * 90) % 256, (seed * 15 + 120) % 256)
        draw.rectangle((x, y, x + 40 + n * 5, y + 30 + n * 4), fill=colour)
        draw.ellipse((y, x % 200, y + 50, x % 200 + 35), fill=tuple(255 - c for c in colour))
    return image


def jpeg_of(image: Image.Image, quality: int = 90, taken: str | None = None) -> bytes:
    out = io.BytesIO()
    exif = Image.Exif()
    if taken is not None:
        exif.get_ifd(0x8769)[0x9003] = taken
    image.save(out, "JPEG", quality=quality, exif=exif)
    return out.getvalue()


def near_copy(image: Image.Image) -> Image.Image:
    """The same scene a little brighter and smaller: another file, nearly the same picture."""
    brighter = ImageEnhance.Brightness(image).enhance(1.08)
    return brighter.resize((300, 225))


@pytest.fixture
def version(world: World) -> Any:
    store = db.session.get(Store, world.store.id)
    store.latitude, store.longitude, store.radius_m = STORE_LAT, STORE_LON, 150
    db.session.commit()
    return make_published_checklist(FRAUD_CHECKLIST)


def visit(world: World, version: Any, *, shopper: User | None = None, store: Store | None = None,
          start: datetime = NOW, minutes: float = 30, photo: bytes | None = None,
          start_at: tuple[float, float, float] | None = None, submit_at: tuple[float, float, float] | None = None,
          start_status: str = "", submit_status: str = "", times: tuple[str, str] | None = None) -> Visit:
    """A visit of FRAUD_CHECKLIST, started at `start` and submitted `minutes` later through the services."""
    shopper, store = shopper or world.shopper, store or world.store
    assignment = make_assignment(shopper, store, version.checklist_id, start=start.date())
    client_uuid = str(uuid.uuid4())
    started = visits.start_visit(db.session, shopper, client_uuid=client_uuid, now=start,
                                 assignment_id=assignment.id, location=start_at, location_status=start_status)
    answers: dict[str, Any] = {"paid": "yes"}
    if photo is not None:
        stored = photos.add_photo(db.session, shopper, started.id, "receipt", photo, upload_dir=world.upload_dir,
                                  now=start)
        answers["receipt"] = stored.sha256
    if times is not None:
        answers["arrival_time"], answers["departure_time"] = times
    visits.save_answers(db.session, shopper, started.id, answers, start)
    return visits.submit_visit(db.session, shopper, started.id, client_uuid, start + timedelta(minutes=minutes),
                               location=submit_at, location_status=submit_status)


def flags_of(visit_id: int) -> dict[str, list[VisitFlag]]:
    found: dict[str, list[VisitFlag]] = {}
    for flag in db.session.scalars(select(VisitFlag).where(VisitFlag.visit_id == visit_id).order_by(VisitFlag.id)):
        found.setdefault(flag.kind, []).append(flag)
    return found


def test_distance_is_the_great_circle_distance() -> None:
    # One degree of latitude on the mean-radius sphere is 2 * pi * 6371008.8 / 360 metres.
    assert fraud.distance_m(35.0, 139.0, 36.0, 139.0) == pytest.approx(2 * math.pi * 6_371_008.8 / 360, rel=1e-9)
    # Tokyo station to Osaka station, about 403 km.
    assert fraud.distance_m(35.6812, 139.7671, 34.7025, 135.4959) == pytest.approx(403_000, rel=0.01)


def test_a_location_inside_the_radius_is_not_flagged_and_reads_inside(world: World, version: Any) -> None:
    done = visit(world, version, start_at=(STORE_LAT + 0.0005, STORE_LON, 20.0),
                 submit_at=(STORE_LAT, STORE_LON + 0.0005, 15.0))
    assert "location" not in flags_of(done.id) and "no_location" not in flags_of(done.id)
    check = fraud.location_check(done, db.session.get(Store, world.store.id), settings_service.get_settings(db.session))
    assert [p.verdict for p in check.points] == ["inside", "inside"]
    assert check.points[0].distance_m == pytest.approx(55.6, abs=0.5)
    assert done.start_location_status == done.submit_location_status == "shared"


def test_a_location_outside_the_radius_is_flagged_with_its_distance(world: World, version: Any) -> None:
    # 0.01 degrees north: about 1,112 m away, accurate to 30 m.
    done = visit(world, version, start_at=(STORE_LAT, STORE_LON, 10.0), submit_at=(STORE_LAT + 0.01, STORE_LON, 30.0))
    flags = flags_of(done.id)["location"]
    assert [f.signature for f in flags] == ["submit"]
    evidence = flags[0].evidence
    assert evidence["radius_m"] == 150 and evidence["accuracy_m"] == 30
    assert evidence["distance_m"] == round(fraud.distance_m(STORE_LAT, STORE_LON, STORE_LAT + 0.01, STORE_LON))
    assert 1100 < evidence["distance_m"] < 1125
    assert str(fraud.reason("location", evidence)).startswith("At submit the phone was 11")


def test_a_vague_location_near_the_edge_is_uncertain_not_flagged(world: World, version: Any) -> None:
    # 300 m away but only accurate to 400 m: it might be inside.
    done = visit(world, version, start_at=(STORE_LAT + 0.0027, STORE_LON, 400.0))
    assert "location" not in flags_of(done.id)
    check = fraud.location_check(done, db.session.get(Store, world.store.id), settings_service.get_settings(db.session))
    assert check.points[0].verdict == "uncertain" and check.points[1].verdict == "not_shared"


def test_a_refused_location_is_recorded_and_flagged_but_the_visit_is_submitted(world: World, version: Any) -> None:
    done = visit(world, version, start_status="refused", submit_status="unavailable")
    assert done.status == "submitted"
    assert (done.start_location_status, done.submit_location_status) == ("refused", "unavailable")
    assert flags_of(done.id)["no_location"][0].evidence == {"start": "refused", "submit": "unavailable"}


def test_the_same_photo_in_another_visit_is_flagged_with_both_photos(world: World, version: Any) -> None:
    data = jpeg_of(scene(1))
    first = visit(world, version, photo=data, start_at=(STORE_LAT, STORE_LON, 5.0))
    second = visit(world, version, shopper=world.other_shopper, photo=data, start=NOW + timedelta(days=1),
                   start_at=(STORE_LAT, STORE_LON, 5.0))
    flag = flags_of(second.id)["duplicate_photo"][0]
    mine = db.session.scalar(select(Photo).where(Photo.visit_id == second.id))
    theirs = db.session.scalar(select(Photo).where(Photo.visit_id == first.id))
    assert flag.other_visit_id == first.id
    assert flag.evidence["photo_id"] == mine.id and flag.evidence["other_photo_id"] == theirs.id
    assert "similar_photo" not in flags_of(second.id)


def test_a_near_duplicate_photo_is_flagged_and_a_different_one_is_not(world: World, version: Any) -> None:
    original, copy, other = scene(2), near_copy(scene(2)), scene(7)
    expected_bits = imagehash.phash(copy.convert("RGB")) - imagehash.phash(original)
    first = visit(world, version, photo=jpeg_of(original))
    second = visit(world, version, photo=jpeg_of(copy, quality=70), start=NOW + timedelta(days=1))
    third = visit(world, version, photo=jpeg_of(other), start=NOW + timedelta(days=2))
    flag = flags_of(second.id)["similar_photo"][0]
    assert flag.other_visit_id == first.id and flag.evidence["bits"] <= 6
    assert abs(flag.evidence["bits"] - expected_bits) <= 2  # the stored photos are re-encoded copies
    assert "similar_photo" not in flags_of(third.id) and "duplicate_photo" not in flags_of(third.id)


def test_a_visit_faster_than_the_checklist_minimum_is_flagged(world: World, version: Any) -> None:
    checklist = db.session.get(Checklist, version.checklist_id)
    checklist.min_minutes = 20
    db.session.commit()
    fast = visit(world, version, minutes=12)
    slow = visit(world, version, minutes=25, start=NOW + timedelta(days=1))
    assert flags_of(fast.id)["too_fast"][0].evidence["minutes"] == 12.0
    assert flags_of(fast.id)["too_fast"][0].evidence["minimum"] == 20
    assert "too_fast" not in flags_of(slow.id)


def test_entered_and_left_times_outside_start_and_submit_are_flagged(world: World, version: Any) -> None:
    # NOW is 09:30 UTC = 18:30 in Tokyo (the world's store zone is Asia/Tokyo); the visit runs to 19:00.
    ok = visit(world, version, times=("18:25", "19:05"))
    assert "times_outside" not in flags_of(ok.id)
    off = visit(world, version, times=("17:00", "20:10"), start=NOW + timedelta(days=1))
    found = {f.signature: f.evidence for f in flags_of(off.id)["times_outside"]}
    assert set(found) == {"entered", "left"}
    assert found["entered"]["answer"] == "17:00" and found["entered"]["started"].endswith("18:30")


def test_overlapping_visits_of_one_shopper_at_different_stores_are_flagged(world: World, version: Any) -> None:
    first = visit(world, version, minutes=60)
    elsewhere = visit(world, version, store=world.other_store, start=NOW + timedelta(minutes=30), minutes=40)
    later = visit(world, version, store=world.other_store, start=NOW + timedelta(hours=3), minutes=40)
    flag = flags_of(elsewhere.id)["overlap"][0]
    assert flag.other_visit_id == first.id and flag.evidence["other_store"] == "Ginza"
    assert "overlap" not in flags_of(later.id)
    # The first visit was submitted before the overlap existed: checking it again finds it.
    fraud.check_visit(db.session, world.head, first.id, now=NOW + timedelta(days=1))
    assert flags_of(first.id)["overlap"][0].other_visit_id == elsewhere.id


def test_a_receipt_photo_taken_outside_the_visit_is_flagged_from_its_exif_time(world: World, version: Any) -> None:
    # Phone clocks are local: 18:40 in Tokyo is inside the 18:30-19:00 visit, 14:00 is not.
    inside = visit(world, version, photo=jpeg_of(scene(3), taken="2026:11:20 18:40:00"))
    outside = visit(world, version, photo=jpeg_of(scene(4), taken="2026:11:20 14:00:00"))
    assert "photo_time" not in flags_of(inside.id)
    assert flags_of(outside.id)["photo_time"][0].evidence["taken"] == "2026-11-20 14:00"
    stored = db.session.scalar(select(Photo).where(Photo.visit_id == outside.id))
    with Image.open(world.upload_dir / stored.sha256[:2] / stored.filename) as kept:
        assert not kept.getexif()  # the stored photo carries no metadata, the time was read before


def test_a_submit_long_after_the_visit_is_flagged(world: World, version: Any) -> None:
    late = visit(world, version, minutes=30 * 60)
    assert flags_of(late.id)["late_submit"][0].evidence["hours"] == 30.0
    assert "late_submit" not in flags_of(visit(world, version, minutes=40).id)


def test_thresholds_are_settings(world: World, version: Any) -> None:
    settings_service.update_settings(db.session, world.head, {"min_visit_minutes": 5, "late_submit_hours": 48},
                                     now=NOW)
    done = visit(world, version, minutes=30 * 60)
    assert "late_submit" not in flags_of(done.id)
    assert "too_fast" not in flags_of(visit(world, version, minutes=6).id)


def test_running_again_keeps_an_explained_flag_and_drops_one_that_no_longer_holds(world: World,
                                                                                  version: Any) -> None:
    done = visit(world, version, minutes=5, submit_at=(STORE_LAT + 0.01, STORE_LON, 10.0))
    too_fast = flags_of(done.id)["too_fast"][0]
    fraud.explain_flag(db.session, world.head, too_fast.id, "Quick check of one shelf, agreed beforehand.",
                       now=NOW + timedelta(hours=1))
    store = db.session.get(Store, world.store.id)
    store.latitude = STORE_LAT + 0.01  # the store's coordinates were wrong
    db.session.commit()
    fraud.check_visit(db.session, world.head, done.id, now=NOW + timedelta(hours=2))
    flags = flags_of(done.id)
    assert "location" not in flags
    assert flags["too_fast"][0].id == too_fast.id and flags["too_fast"][0].explained_at is not None
    entries = db.session.scalars(select(AuditLog.action).where(AuditLog.entity_id == str(done.id))).all()
    assert "flag.explain" in entries and "visit.check" in entries


def test_explaining_needs_words(world: World, version: Any) -> None:
    done = visit(world, version, minutes=5)
    flag = flags_of(done.id)["too_fast"][0]
    with pytest.raises(fraud.FlagError):
        fraud.explain_flag(db.session, world.head, flag.id, "   ", now=NOW)


def test_the_shoppers_record_counts_flagged_visits(world: World, version: Any) -> None:
    here = (STORE_LAT, STORE_LON, 10.0)
    visit(world, version, minutes=5, start_at=here)
    visit(world, version, minutes=30, start=NOW + timedelta(days=1), start_at=here)
    visit(world, version, minutes=30, start=NOW + timedelta(days=2), start_at=here)
    record = fraud.shopper_record(db.session, world.shopper.id)
    assert (record.visits, record.flagged, record.open_flags, record.percent) == (3, 1, 1, 33)


def test_checking_every_visit_backfills_missing_photo_hashes(world: World, version: Any) -> None:
    data = jpeg_of(scene(5))
    first = visit(world, version, photo=data)
    second = visit(world, version, photo=jpeg_of(near_copy(scene(5)), quality=70), start=NOW + timedelta(days=1))
    for photo in db.session.scalars(select(Photo)):
        photo.phash = None  # as stored before perceptual hashes were kept
    db.session.execute(VisitFlag.__table__.delete())
    db.session.commit()
    checked, _flags = fraud.check_visits(db.session, world.head, now=NOW + timedelta(days=3),
                                         upload_dir=world.upload_dir)
    assert checked == 2
    assert all(p.phash for p in db.session.scalars(select(Photo)))
    assert flags_of(second.id)["similar_photo"][0].other_visit_id == first.id


def test_reasons_read_as_sentences() -> None:
    assert str(fraud.reason("too_fast", {"minutes": 4.5, "minimum": 10})) == \
        "Completed in 4.5 minutes; this checklist takes at least 10."
    assert str(fraud.reason("duplicate_photo", {"other_visit_id": 7})) == \
        "The same photo (identical file) is used in visit #7."


def test_location_verdicts() -> None:
    assert fraud.location_verdict(100, 20, 150, 250) == "inside"
    assert fraud.location_verdict(200, 20, 150, 250) == "outside"
    assert fraud.location_verdict(160, 30, 150, 250) == "uncertain"
    assert fraud.location_verdict(500, 100, 150, 250) == "outside"
    assert fraud.location_verdict(100, 300, 150, 250) == "uncertain"
    assert fraud.location_verdict(5000, 1000, 150, 250) == "outside"


@pytest.mark.parametrize(("entered", "left", "flagged"), [
    ("18:35", "18:35", True),  # entered and left at the same minute: a stay of 0 minutes
    ("18:35", "18:44", True),  # 9 minutes, below the programme's 10
    ("18:35", "18:45", False),  # exactly the minimum
    ("18:35", "19:00", False),
])
def test_a_stay_shorter_than_the_minimum_by_the_shoppers_own_times_is_flagged(
        world: World, version: Any, entered: str, left: str, flagged: bool) -> None:
    # The phone kept the visit open 30 minutes (18:30-19:00 in Tokyo), but the shopper's times tell the stay.
    done = visit(world, version, minutes=30, times=(entered, left))
    flags = flags_of(done.id)
    assert "too_fast" not in flags
    if not flagged:
        assert "short_stay" not in flags
        return
    evidence = flags["short_stay"][0].evidence
    assert (evidence["entered"], evidence["left"], evidence["minimum"]) == (entered, left, 10)
    assert evidence["minutes"] == (0.0 if entered == left else 9.0)
    assert str(fraud.reason("short_stay", evidence)) == (
        f"The shopper says they were in the store {evidence['minutes']} minutes (entered {entered}, left {left}); "
        "this checklist takes at least 10.")


@pytest.mark.parametrize(("minutes", "flagged"), [(0, True), (19.5, True), (20, False)])
def test_start_to_submit_boundaries_of_the_checklist_minimum(world: World, version: Any, minutes: float,
                                                            flagged: bool) -> None:
    checklist = db.session.get(Checklist, version.checklist_id)
    checklist.min_minutes = 20
    db.session.commit()
    done = visit(world, version, minutes=minutes)
    assert ("too_fast" in flags_of(done.id)) is flagged


def test_a_checklist_minimum_of_zero_means_no_minimum_not_the_default(world: World, version: Any) -> None:
    checklist = db.session.get(Checklist, version.checklist_id)
    checklist.min_minutes = 0
    db.session.commit()
    done = visit(world, version, minutes=2, times=("18:31", "18:31"))
    assert "too_fast" not in flags_of(done.id) and "short_stay" not in flags_of(done.id)


def _flip(phash: str, positions: list[int]) -> str:
    value = int(phash, 16)
    for position in positions:
        value ^= 1 << position
    return f"{value:016x}"


@pytest.mark.parametrize("threshold", [0, 1, 3, 4, 6, 7, 11, 15, 16, 20])
def test_the_indexed_candidates_hold_every_photo_within_the_threshold(world: World, version: Any,
                                                                      threshold: int) -> None:
    # Hashes at every distance up to past the threshold, their flipped bits anywhere in the 64 (so bunched in one
    # band or spread over all four), beside unrelated ones: the bands must find exactly what a full scan finds.
    import random

    rng = random.Random(threshold)  # nosec B311 - repeatable test data
    target = visit(world, version, photo=jpeg_of(scene(9)))
    other = visit(world, version, shopper=world.other_shopper, start=NOW + timedelta(days=1))
    mine = db.session.scalar(select(Photo).where(Photo.visit_id == target.id))
    hashes = [f"{rng.getrandbits(64):016x}" for _ in range(40)]
    for distance in range(min(threshold + 3, 64)):
        for _ in range(3):
            hashes.append(_flip(mine.phash, rng.sample(range(64), distance)))
    hashes.append(_flip(mine.phash, list(range(threshold + 1))[:64]))  # all flips bunched in the lowest bands
    for n, phash in enumerate(hashes):
        db.session.add(Photo(visit_id=other.id, question_key="receipt", filename=f"{n}.jpg", sha256=f"{n:064x}",
                             phash=phash, content_type="image/jpeg", width=1, height=1, size_bytes=1, created_at=NOW))
    db.session.commit()
    every = db.session.execute(select(Photo.id, Photo.phash).where(Photo.visit_id == other.id)).all()
    expected = sorted(pid for pid, phash in every if fraud.hash_distance(mine.phash, phash) <= threshold)
    candidates = fraud.photo_candidates(db.session, mine, target.id, threshold)
    found = sorted(pid for pid, _v, _s, phash in candidates if fraud.hash_distance(mine.phash, phash) <= threshold)
    assert found == expected and len(expected) >= 3 * (threshold + 1)
    if threshold < 16:  # the bands narrow the search; from 16 bits on, every hash is read
        assert len(candidates) < len(every)
    settings_service.update_settings(db.session, world.head, {"similar_photo_bits": threshold}, now=NOW)
    flagged = {f.evidence["other_photo_id"] for f in fraud.apply_checks(db.session, target, now=NOW)
               if f.kind == "similar_photo"}
    assert sorted(flagged) == expected


def test_a_photo_keeps_its_hash_bands_with_its_hash() -> None:
    photo = Photo(phash="0123456789abcdef")
    assert (photo.phash_band0, photo.phash_band1, photo.phash_band2, photo.phash_band3) == \
        (0x0123, 0x4567, 0x89AB, 0xCDEF)
    photo.phash = None
    assert photo.phash_band0 is None and photo.phash_band3 is None


def test_band_neighbours_are_every_value_within_the_flips() -> None:
    assert fraud.band_neighbours(0, 0) == [0]
    assert len(fraud.band_neighbours(0xABCD, 1)) == 17
    assert len(fraud.band_neighbours(0xABCD, 3)) == 1 + 16 + 120 + 560
    assert all(bin(v ^ 0xABCD).count("1") <= 2 for v in fraud.band_neighbours(0xABCD, 2))


def test_a_visit_across_midnight_reads_the_left_time_on_the_next_day(world: World, version: Any) -> None:
    # 14:45 UTC is 23:45 in Tokyo: the shopper entered at 23:45 and left at 00:20, 35 minutes later.
    done = visit(world, version, start=NOW.replace(hour=14, minute=45), minutes=35, times=("23:45", "00:20"))
    flags = flags_of(done.id)
    assert "times_outside" not in flags and "short_stay" not in flags and "too_fast" not in flags
    short = visit(world, version, start=NOW.replace(hour=14, minute=45) + timedelta(days=1), minutes=35,
                  times=("23:58", "00:03"))
    assert flags_of(short.id)["short_stay"][0].evidence["minutes"] == 5.0


@pytest.mark.parametrize("channel", ["phone", "online"])
def test_a_phone_or_online_visit_is_never_flagged_for_where_the_phone_was(world: World, channel: str) -> None:
    """A call or a website is not made from the store: far away, or not shared, says nothing about the visit;
    the same visit of an in-store checklist is flagged."""
    store = db.session.get(Store, world.store.id)
    store.latitude, store.longitude, store.radius_m = STORE_LAT, STORE_LON, 150
    db.session.commit()
    far = (STORE_LAT + 0.05, STORE_LON, 10.0)
    remote = make_published_checklist({**FRAUD_CHECKLIST, "key": f"fraud_{channel}", "channel": channel})
    assert not {"location", "no_location"} & set(flags_of(visit(world, remote, start_at=far, submit_at=far).id))
    refused = visit(world, remote, start_status="refused", submit_status="refused", start=NOW + timedelta(hours=3))
    assert not {"location", "no_location"} & set(flags_of(refused.id))
    in_store = make_published_checklist({**FRAUD_CHECKLIST, "key": "fraud_in_store", "channel": "in_store"})
    assert "location" in flags_of(visit(world, in_store, start_at=far, submit_at=far,
                                        start=NOW + timedelta(hours=6)).id)
