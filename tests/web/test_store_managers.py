"""Store managers: their own stores' scorecards, visits, PDFs and downloads, never another store's, never the
shopper's identity or questions meant for head office; head office links them to stores."""

from __future__ import annotations

import copy

from sqlalchemy import select

from audit_app.extensions import db
from audit_app.models import store_managers
from audit_app.services import settings
from tests.factories import NOW, World, client_for, csrf_token_from, make_published_checklist, make_submitted_visit, \
    small_checklist_data


def _with_staff_note() -> dict:
    data = copy.deepcopy(small_checklist_data())
    data["sections"][0]["questions"].append(
        {"key": "staff_notes", "type": "text", "text": "Describe the staff member", "required": False,
         "audience": "head_office"})
    return data


def _visit(world: World) -> int:
    version = make_published_checklist(_with_staff_note())
    return make_submitted_visit(world.shopper, world.store, version.checklist_id,
                                {"greeted": "no", "helpful": 4, "queue_wait": 90,
                                 "staff_notes": "Tall man, badge Sato"}).id


def test_a_store_manager_sees_their_store_and_nothing_of_another(app, world: World) -> None:
    visit_id = _visit(world)
    client = client_for(app, world.store_manager.email)
    home = client.get("/manager/")
    assert home.status_code == 200
    page = home.get_data(as_text=True)
    assert "Ginza" in page and "Umeda" not in page and "Compare stores" not in page
    assert "<title>My stores" in page and "<h1>My stores</h1>" in page  # their own, not every store
    assert "<h1>Stores</h1>" in client_for(app, world.manager.email).get("/manager/").get_data(as_text=True)
    assert client.get(f"/manager/stores/{world.store.id}").status_code == 200
    assert client.get(f"/manager/stores/{world.other_store.id}").status_code == 403
    assert client.get(f"/manager/areas/{world.area.id}").status_code == 403
    assert client.get("/manager/compare").status_code == 403
    assert client.get(f"/manager/visits/{visit_id}").status_code == 200
    assert client.get(f"/manager/stores/{world.store.id}/scorecard.pdf").status_code == 200


def test_a_store_manager_never_sees_the_shopper_or_head_office_questions(app, world: World) -> None:
    visit_id = _visit(world)
    settings.update_settings(db.session, world.head, {"show_shopper_to_managers": True}, now=NOW)
    client = client_for(app, world.store_manager.email)
    page = client.get(f"/manager/visits/{visit_id}").get_data(as_text=True)
    assert "Were you greeted?" in page
    assert world.shopper.name not in page
    assert "Describe the staff member" not in page and "badge Sato" not in page
    csv_text = client.get(f"/manager/stores/{world.store.id}/visits.csv").get_data(as_text=True)
    header = csv_text.splitlines()[0]
    assert "Shopper" not in header and "Describe the staff member" not in header
    assert "badge Sato" not in csv_text and world.shopper.name not in csv_text
    # The area manager, allowed to by head office, does see the shopper.
    manager = client_for(app, world.manager.email)
    assert world.shopper.name in manager.get(f"/manager/visits/{visit_id}").get_data(as_text=True)


def test_head_office_links_a_store_manager_to_stores_on_the_people_page(app, world: World) -> None:
    client = client_for(app, world.head.email)
    token = csrf_token_from(client, "/head-office/people/new")
    response = client.post("/head-office/people/new", data={
        "csrf_token": token, "email": "kaori@test.example", "name": "Kaori", "role": "store_manager",
        "locale": "ja", "region": "", "stores": ["S1", "S2"], "password": "a long enough phrase"})
    assert response.status_code == 302, response.get_data(as_text=True)[-1500:]
    from audit_app.models import User

    user = db.session.scalar(select(User).where(User.email == "kaori@test.example"))
    linked = set(db.session.scalars(select(store_managers.c.store_id).where(store_managers.c.user_id == user.id)))
    assert linked == {world.store.id, world.other_store.id}
    people = client.get("/head-office/people?role=store_manager").get_data(as_text=True)
    assert "Kaori" in people and "Ginza" in people and "Umeda" in people
    # Stores are for store managers only: the field is named and nothing typed is lost.
    response = client.post(f"/head-office/people/{user.id}", data={
        "csrf_token": token, "email": "kaori@test.example", "name": "Kaori", "role": "area_manager",
        "locale": "ja", "region": "", "stores": ["S1"]})
    assert response.status_code == 422
    assert "only store managers are linked to stores" in response.get_data(as_text=True).lower()
    assert set(db.session.scalars(select(store_managers.c.store_id).where(
        store_managers.c.user_id == user.id))) == {world.store.id, world.other_store.id}


def test_a_people_import_links_store_managers_to_their_stores(app, world: World) -> None:
    from audit_app.models import User
    from audit_app.services import people

    text = ("email,name,role,password,stores\n"
            "kenta@test.example,Kenta,store_manager,lanterns over the canal,S1 S2\n")
    report = people.import_people(db.session, world.head, text, now=NOW)
    assert report.created == ["kenta@test.example"]
    user = db.session.scalar(select(User).where(User.email == "kenta@test.example"))
    assert set(db.session.scalars(select(store_managers.c.store_id).where(store_managers.c.user_id == user.id))) == \
        {world.store.id, world.other_store.id}
    again = people.import_people(db.session, world.head, "email,name,role,stores\nkenta@test.example,Kenta,"
                                 "store_manager,S2\n", now=NOW)
    assert again.updated == ["kenta@test.example"]
    assert set(db.session.scalars(select(store_managers.c.store_id).where(store_managers.c.user_id == user.id))) == \
        {world.other_store.id}
    from audit_app.services.csv_import import ImportRejectedError
    import pytest

    with pytest.raises(ImportRejectedError) as caught:
        people.import_people(db.session, world.head, "email,name,role,stores\nx@test.example,X,shopper,S9\n",
                             now=NOW)
    reasons = " ".join(str(reason) for _, reason in caught.value.report.rejected)
    assert "unknown store code(s): S9" in reasons and "only store managers are linked to stores" in reasons
