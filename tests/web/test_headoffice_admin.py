"""Head office pages for places, people, assignments, review, settings and the audit log."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import func, select

from audit_app.extensions import db
from audit_app.models import Assignment, Store, User, Visit
from audit_app.services import settings as settings_service
from tests.factories import NOW, World, csrf_token_from, make_published_checklist, make_store, make_submitted_visit
from tests.web.html_forms import form_with_button


def _post(client: FlaskClient, path: str, data: dict[str, Any]) -> Any:
    return client.post(path, data={**data, "csrf_token": csrf_token_from(client, path)})


def test_a_store_csv_dry_run_shows_the_changes_then_the_import_applies_them(world: World, login: Any) -> None:
    client = login(world.head)
    csv_text = "code,name,area_code,city\nS1,Ginza Flagship,A1,Tokyo\nS3,Shibuya,A1,Tokyo\n"
    html = _post(client, "/head-office/stores/import", {"csv_text": csv_text, "dry_run": "y"}).get_data(as_text=True)
    assert "Created: 1 — S3" in html and "Updated: 1 — S1" in html and "Nothing was saved" in html
    assert db.session.scalar(select(func.count(Store.id))) == 2
    _post(client, "/head-office/stores/import", {"csv_text": csv_text})
    assert db.session.scalar(select(func.count(Store.id))) == 3
    assert "Shibuya" in client.get("/head-office/stores?q=shib").get_data(as_text=True)
    assert "Umeda" not in client.get("/head-office/stores?q=shib").get_data(as_text=True)


def test_a_people_csv_with_bad_rows_lists_each_line_and_imports_nothing(world: World, login: Any) -> None:
    client = login(world.head)
    csv_text = ("email,name,role,password\nok@test.example,OK,shopper,long-enough-password\n"
                "bad@test.example,Bad,pirate,long-enough-password\nshort@test.example,Short,shopper,short\n")
    response = _post(client, "/head-office/people/import", {"csv_text": csv_text})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Nothing was imported: 2 row(s) rejected." in html
    assert "Line 3: unknown role &#39;pirate&#39;" in html and "Line 4: a new person needs a password" in html
    assert db.session.scalar(select(User.id).where(User.email == "ok@test.example")) is None


def test_people_are_created_searched_and_deactivated(world: World, login: Any) -> None:
    client = login(world.head)
    response = _post(client, "/head-office/people/new", {"email": "Kana@Test.example", "name": "Kana",
                                                         "role": "shopper", "locale": "ja", "region": "R1",
                                                         "password": "a-long-password"})
    assert response.status_code == 302
    kana = db.session.scalar(select(User).where(User.email == "kana@test.example"))
    assert (kana.locale, kana.region_id) == ("ja", world.region.id)
    page = client.get("/head-office/people?q=kana").get_data(as_text=True)
    assert "Kana" in page and "Shopper2" not in page
    _post(client, f"/head-office/user/{kana.id}/active", {"active": "0"})
    db.session.refresh(kana)
    assert not kana.is_active_user


def test_regions_and_areas_are_added_and_renamed(world: World, login: Any) -> None:
    client = login(world.head)
    assert _post(client, "/head-office/places", {"which": "region", "region-code": "R2",
                                                 "region-name": "Kansai"}).status_code == 302
    dup = _post(client, "/head-office/places", {"which": "area", "area-code": "A1", "area-name": "Again",
                                                "area-region_id": world.region.id})
    assert dup.status_code == 422 and "already used" in dup.get_data(as_text=True)
    assert _post(client, f"/head-office/areas/{world.area.id}", {"code": "A1", "name": "Tokyo Centre",
                                                                  "region_id": world.region.id}).status_code == 302
    assert "Tokyo Centre" in client.get("/head-office/places").get_data(as_text=True)


def test_bulk_assignment_shows_a_plan_first_then_creates_it(world: World, login: Any) -> None:
    version = make_published_checklist()
    client = login(world.head)
    data = {"which": "bulk", "bulk-checklist_id": version.checklist_id, "bulk-area_id": world.area.id,
            "bulk-shopper_ids": [world.shopper.id, world.other_shopper.id], "bulk-window_start": "2026-12-01",
            "bulk-window_end": "2026-12-14"}
    html = _post(client, "/head-office/assignments", data).get_data(as_text=True)
    assert "Check the plan: 1 assignment</h2>" in html
    assert db.session.scalar(select(func.count(Assignment.id))) == 0
    assert _post(client, "/head-office/assignments", {**data, "bulk-confirm": "1"}).status_code == 302
    assert db.session.scalar(select(func.count(Assignment.id))) == 1


def test_bulk_assignment_through_the_rendered_forms_creates_one_per_store(world: World, login: Any) -> None:
    version = make_published_checklist()
    make_store(world.area, "S7", "Kyobashi")
    make_store(world.area, "S8", "Nihonbashi")
    client = login(world.head)
    page = client.get("/head-office/assignments").get_data(as_text=True)
    ask = form_with_button(page, "Show the plan")
    planned = client.post("/head-office/assignments", data=ask.data(**{
        "bulk-checklist_id": str(version.checklist_id), "bulk-area_id": str(world.area.id),
        "bulk-shopper_ids": [str(world.shopper.id), str(world.other_shopper.id)]}))
    assert planned.status_code == 200
    confirm = form_with_button(planned.get_data(as_text=True), "Create these assignments")
    assert confirm.data().getlist("bulk-confirm") == ["1"]  # sent once, and not empty
    created = client.post("/head-office/assignments", data=confirm.data())
    assert created.status_code == 302
    rows = db.session.scalars(select(Assignment).where(Assignment.checklist_id == version.checklist_id)).all()
    assert sorted(db.session.get(Store, a.store_id).name for a in rows) == ["Ginza", "Kyobashi", "Nihonbashi"]
    assert {a.shopper_id for a in rows} == {world.shopper.id, world.other_shopper.id}
    assert "3 assignments created." in client.get(created.headers["Location"]).get_data(as_text=True)


def test_every_assignment_is_reachable_page_by_page_and_by_status(world: World, login: Any) -> None:
    from datetime import date, timedelta

    version = make_published_checklist()
    first = date(2026, 1, 1)
    for n in range(230):  # more than the 200 the list used to stop at
        db.session.add(Assignment(shopper_id=world.shopper.id, store_id=world.store.id,
                                  checklist_id=version.checklist_id, window_start=first + timedelta(days=n),
                                  window_end=first + timedelta(days=n + 7),
                                  status="cancelled" if n % 10 == 0 else "open", created_at=NOW))
    db.session.commit()
    client = login(world.head)
    html = client.get("/head-office/assignments").get_data(as_text=True)
    assert "230 assignments · page 1 of 5" in html
    assert html.count('<tr><th scope="row">Ginza</th>') == 50
    seen: list[str] = []
    for page in range(1, 6):
        html = client.get(f"/head-office/assignments?page={page}").get_data(as_text=True)
        seen += re.findall(r"<td>(\d{4}/\d{2}/\d{2}|[^<]*2026[^<]*) – ", html)
    assert len(seen) == 230 and len(set(seen)) == 230  # each once, none left out
    cancelled = client.get("/head-office/assignments?status=cancelled").get_data(as_text=True)
    assert "23 assignments" in cancelled and "page 1 of" not in cancelled
    assert client.get("/head-office/assignments?status=done").get_data(as_text=True).count(
        "No assignments with this status.") == 1
    assert client.get("/head-office/assignments?page=99").status_code == 200  # the last page, not an error
    assert client.get("/head-office/assignments?status=nonsense").status_code == 200  # all of them


def test_review_decisions_from_the_visit_page_and_the_queue(world: World, login: Any) -> None:
    version = make_published_checklist()
    visit = make_submitted_visit(world.shopper, world.store, version.checklist_id,
                                 {"greeted": "yes", "helpful": 4, "queue_wait": 90})
    client = login(world.head)
    assert f"Ginza #{visit.id}" in client.get("/head-office/review").get_data(as_text=True)
    page = client.get(f"/head-office/visits/{visit.id}").get_data(as_text=True)
    assert "Were you greeted?" in page and "2 / 2" in page
    missing_note = _post(client, f"/head-office/visits/{visit.id}", {"decision": "return", "note": ""})
    assert missing_note.status_code == 422 and "Say what the shopper should fix." in missing_note.get_data(
        as_text=True)
    assert _post(client, f"/head-office/visits/{visit.id}", {"decision": "return",
                                                             "note": "Add the receipt photo"}).status_code == 302
    assert db.session.get(Visit, visit.id).status == "returned"
    wrong = _post(client, f"/head-office/visits/{visit.id}", {"decision": "approve"})
    assert wrong.status_code == 422 and "cannot be approved" in wrong.get_data(as_text=True)
    log = client.get("/head-office/audit-log?kind=visit").get_data(as_text=True)
    assert "Returned a visit to the shopper" in log and "Add the receipt photo" in log
    assert "Returned a visit to the shopper" not in client.get("/head-office/audit-log?kind=store").get_data(
        as_text=True)


def test_the_settings_page_turns_review_on(world: World, login: Any) -> None:
    client = login(world.head)
    assert _post(client, "/head-office/settings", {"review_required": "y",
                                                   "show_shopper_to_managers": "y"}).status_code == 302
    assert settings_service.get_settings(db.session).review_required is True
    assert "Review is on" in client.get("/head-office/review").get_data(as_text=True)


def test_head_office_lets_shoppers_fill_a_checklist_in_without_an_assignment(world: World, login: Any) -> None:
    from audit_app.models import AuditLog, Checklist

    version = make_published_checklist()
    client = login(world.head)
    response = _post(client, f"/head-office/checklists/{version.checklist_id}/unassigned", {"allowed": "1"})
    assert response.status_code == 302
    assert db.session.get(Checklist, version.checklist_id).allow_unassigned is True
    assert "Allow assigned visits only" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert db.session.scalar(select(AuditLog.after).where(AuditLog.action == "checklist.unassigned")) == {
        "allow_unassigned": True}
