"""Proof of visit on the pages: verdicts and flags for head office, explaining, the queue's flag filter and
order, store coordinates (editor and CSV), thresholds, the shopper's record, the phone's location answers."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from flask.testing import FlaskCliRunner
from sqlalchemy import select

from audit_app.extensions import db
from audit_app.models import AuditLog, Photo, Store, Visit, VisitFlag
from audit_app.services import settings as settings_service
from tests.factories import NOW, World, client_for, csrf_token_from, make_assignment, make_published_checklist
from tests.services.test_fraud import FRAUD_CHECKLIST, STORE_LAT, STORE_LON, jpeg_of, scene, visit


def _post(client: Any, path: str, data: dict[str, Any], form_path: str | None = None) -> Any:
    return client.post(path, data={**data, "csrf_token": csrf_token_from(client, form_path or path)})


def _located_store(world: World) -> None:
    store = db.session.get(Store, world.store.id)
    store.latitude, store.longitude, store.radius_m = STORE_LAT, STORE_LON, 150
    db.session.commit()


def test_the_review_page_shows_distance_verdict_and_flag_reasons(world: World, login: Any) -> None:
    _located_store(world)
    version = make_published_checklist(FRAUD_CHECKLIST)
    done = visit(world, version, minutes=4, start_at=(STORE_LAT, STORE_LON, 12.0),
                 submit_at=(STORE_LAT + 0.01, STORE_LON, 20.0))
    page = login(world.head).get(f"/head-office/visits/{done.id}").get_data(as_text=True)
    assert "Inside the allowed radius" in page and "Outside the allowed radius" in page
    assert re.search(r"1,?11\d m", page)
    assert "Completed in 4.0 minutes; this checklist takes at least 10." in page
    assert "At submit the phone was 11" in page
    assert "too_fast" not in re.sub(r'data-flag="[^"]*"', "", page)  # words, never keys


def test_head_office_explains_a_flag_and_the_audit_log_keeps_it(world: World, login: Any) -> None:
    version = make_published_checklist(FRAUD_CHECKLIST)
    done = visit(world, version, minutes=4)
    flag = db.session.scalar(select(VisitFlag).where(VisitFlag.visit_id == done.id, VisitFlag.kind == "too_fast"))
    client = login(world.head)
    path = f"/head-office/visits/{done.id}"
    empty = _post(client, f"/head-office/flags/{flag.id}/explain", {"explanation": " "}, path)
    assert empty.status_code == 302
    assert "Say why this flag is explained." in client.get(path).get_data(as_text=True)
    response = _post(client, f"/head-office/flags/{flag.id}/explain", {"explanation": "Store closing early."}, path)
    assert response.status_code == 302
    db.session.expire_all()
    stored = db.session.get(VisitFlag, flag.id)
    assert stored.explained_by_id == world.head.id and stored.explanation == "Store closing early."
    page = client.get(path).get_data(as_text=True)
    assert "Store closing early." in page and "Explained by" in page
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "flag.explain"))
    assert entry.entity_id == str(done.id) and entry.actor_id == world.head.id
    assert visit_status(done.id) == "submitted"  # a flag never decides a visit


def visit_status(visit_id: int) -> str:
    db.session.expire_all()
    return db.session.get(Visit, visit_id).status


def test_a_duplicate_photo_shows_both_thumbnails_and_links_the_other_visit(world: World, login: Any) -> None:
    version = make_published_checklist(FRAUD_CHECKLIST)
    data = jpeg_of(scene(9))
    first = visit(world, version, photo=data)
    second = visit(world, version, shopper=world.other_shopper, photo=data, start=NOW + timedelta(days=1))
    mine = db.session.scalar(select(Photo.id).where(Photo.visit_id == second.id))
    theirs = db.session.scalar(select(Photo.id).where(Photo.visit_id == first.id))
    page = login(world.head).get(f"/head-office/visits/{second.id}").get_data(as_text=True)
    assert f"The same photo (identical file) is used in visit #{first.id}." in page
    assert f'href="/head-office/visits/{first.id}"' in page
    flags = page[page.index('id="flags"'):]
    assert f"/photos/{mine}/thumb.jpg" in flags and f"/photos/{theirs}/thumb.jpg" in flags


def test_the_queue_filters_and_sorts_by_flags(world: World, login: Any) -> None:
    version = make_published_checklist(FRAUD_CHECKLIST)
    calm = visit(world, version, minutes=30)
    fast = visit(world, version, minutes=3, start=NOW + timedelta(days=1))
    busy = visit(world, version, minutes=3 + 30 * 60, start=NOW + timedelta(days=2),
                 photo=jpeg_of(scene(8), taken="2026:01:01 10:00:00"))
    client = login(world.head)
    flagged = client.get("/head-office/review?status=submitted&flag=open").get_data(as_text=True)
    assert f"#{fast.id}<" in flagged and f"#{busy.id}<" in flagged and f"#{calm.id}<" not in flagged
    only_late = client.get("/head-office/review?status=submitted&flag=late_submit").get_data(as_text=True)
    assert f"#{busy.id}<" in only_late and f"#{fast.id}<" not in only_late
    ordered = client.get("/head-office/review?status=submitted&sort=flags").get_data(as_text=True)
    positions = [ordered.index(f"#{v.id}<") for v in (busy, fast, calm)]
    assert positions == sorted(positions)
    assert "Submitted late" in ordered and "Too fast" in ordered


def test_store_coordinates_are_saved_from_the_editor_and_a_half_location_is_refused(world: World,
                                                                                      login: Any) -> None:
    client = login(world.head)
    path = f"/head-office/stores/{world.store.id}"
    base = {"code": "S1", "name": "Ginza", "area_id": world.area.id, "timezone": "Asia/Tokyo"}
    half = _post(client, path, {**base, "latitude": "35.6717", "longitude": ""})
    assert half.status_code == 422 and "Give both latitude and longitude, or neither." in half.get_data(as_text=True)
    assert 'value="35.6717"' in half.get_data(as_text=True)  # nothing typed is lost
    saved = _post(client, path, {**base, "latitude": "35.6717", "longitude": "139.765", "radius_m": "200"})
    assert saved.status_code == 302
    db.session.expire_all()
    store = db.session.get(Store, world.store.id)
    assert (store.latitude, store.longitude, store.radius_m) == (35.6717, 139.765, 200)


def test_store_csv_import_takes_coordinates_and_names_a_bad_one(world: World, login: Any) -> None:
    client = login(world.head)
    path = "/head-office/stores/import"
    bad = "code,name,area_code,latitude,longitude\nS1,Ginza,A1,95,139.7\n"
    refused = _post(client, path, {"csv_text": bad}).get_data(as_text=True)
    assert "Latitude must be between -90 and 90." in refused
    good = "code,name,area_code,timezone,latitude,longitude,radius_m\nS1,Ginza,A1,Asia/Tokyo,35.6717,139.765,120\n"
    _post(client, path, {"csv_text": good})
    db.session.expire_all()
    store = db.session.get(Store, world.store.id)
    assert (store.latitude, store.longitude, store.radius_m) == (35.6717, 139.765, 120)


def test_thresholds_are_saved_in_settings(world: World, login: Any) -> None:
    client = login(world.head)
    required = {"min_visits_for_figures": "3", "agreement_window_days": "7"}
    response = _post(client, "/head-office/settings", {**required, "default_radius_m": "300",
                                                        "min_visit_minutes": "7", "late_submit_hours": "48"})
    assert response.status_code == 302
    db.session.expire_all()
    stored = settings_service.get_settings(db.session)
    assert (stored.default_radius_m, stored.min_visit_minutes, stored.late_submit_hours) == (300, 7, 48)
    assert stored.similar_photo_bits == 6  # untouched: its default
    refused = _post(client, "/head-office/settings", {**required, "default_radius_m": "-1"})
    assert refused.status_code == 200 and 'value="-1"' in refused.get_data(as_text=True)
    assert 'aria-invalid="true"' in refused.get_data(as_text=True)
    db.session.expire_all()
    assert settings_service.get_settings(db.session).default_radius_m == 300


def test_a_shoppers_page_shows_how_often_their_visits_were_flagged(world: World, login: Any) -> None:
    version = make_published_checklist(FRAUD_CHECKLIST)
    visit(world, version, minutes=3)
    visit(world, version, minutes=30, start=NOW + timedelta(days=1))
    page = login(world.head).get(f"/head-office/people/{world.shopper.id}").get_data(as_text=True)
    assert "1 of 2 submitted visits were flagged (50%)." in page
    assert "1 flag is not explained yet." in page


def test_the_phone_says_whether_the_location_was_shared_refused_or_unavailable(shopper: Any, world: World) -> None:
    version = make_published_checklist(FRAUD_CHECKLIST)
    assignment = make_assignment(world.shopper, world.store, version.checklist_id)
    assert "You can say no; the visit goes on either way." in shopper.get("/shopper/").get_data(as_text=True)
    response = _post(shopper, f"/shopper/assignments/{assignment.id}/start",
                     {"client_uuid": "11111111-2222-3333-4444-555555555555", "location_status": "refused"},
                     "/shopper/")
    assert response.status_code == 302
    started = db.session.scalar(select(Visit).where(Visit.assignment_id == assignment.id))
    assert started.start_location_status == "refused" and started.latitude is None
    review = f"/shopper/visits/{started.id}/review"
    shopper.post(f"/shopper/visits/{started.id}/sections/0",
                 data={"q-paid": "yes", "csrf_token": csrf_token_from(shopper, f"/shopper/visits/{started.id}/sections/0")})
    submitted = _post(shopper, f"/shopper/visits/{started.id}/submit",
                      {"client_uuid": started.client_uuid, "latitude": "35.6717", "longitude": "139.765",
                       "accuracy": "9", "location_status": "shared"}, review)
    assert submitted.status_code == 302
    db.session.expire_all()
    stored = db.session.get(Visit, started.id)
    assert stored.status == "submitted" and stored.submit_location_status == "shared"
    assert (stored.submit_latitude, stored.submit_longitude, stored.submit_accuracy_m) == (35.6717, 139.765, 9.0)


def test_a_phone_checklist_never_asks_where_the_phone_is_and_its_review_page_says_so(app: Any, shopper: Any,
                                                                                     world: World) -> None:
    phone = make_published_checklist({**FRAUD_CHECKLIST, "key": "fraud_phone", "channel": "phone"})
    assignment = make_assignment(world.shopper, world.store, phone.checklist_id)
    home = shopper.get("/shopper/").get_data(as_text=True)
    assert 'data-geo="latitude"' not in home and "share your location" not in home
    _post(shopper, f"/shopper/assignments/{assignment.id}/start",
          {"client_uuid": "11111111-2222-3333-4444-666666666666"}, "/shopper/")
    started = db.session.scalar(select(Visit).where(Visit.assignment_id == assignment.id))
    review = shopper.get(f"/shopper/visits/{started.id}/review").get_data(as_text=True)
    assert 'data-geo="latitude"' not in review and "share your location" not in review
    page = client_for(app, world.head.email).get(f"/head-office/visits/{started.id}").get_data(as_text=True)
    assert "phone was is not asked for or checked" in page
    assert "Distance from the store" not in page
    # An in-store checklist still asks.
    in_store = make_published_checklist(FRAUD_CHECKLIST)
    make_assignment(world.shopper, world.store, in_store.checklist_id)
    assert shopper.get("/shopper/").get_data(as_text=True).count('data-geo="latitude"') == 1


def test_the_check_visits_command_runs_the_checks_on_old_visits(world: World, runner: FlaskCliRunner) -> None:
    version = make_published_checklist(FRAUD_CHECKLIST)
    done = visit(world, version, minutes=3)
    db.session.execute(VisitFlag.__table__.delete())
    db.session.commit()
    result = runner.invoke(args=["check-visits", "--since", "2026-11-01"])
    assert result.exit_code == 0, result.output
    assert "Checked 1 visit(s)" in result.output
    kinds = db.session.scalars(select(VisitFlag.kind).where(VisitFlag.visit_id == done.id)).all()
    assert kinds == ["too_fast"]
