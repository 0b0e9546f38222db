"""Stores, areas, regions and people: edits, deactivation and the all-or-nothing CSV import of people."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from audit_app.extensions import db
from audit_app.models import AuditLog, Store, User
from audit_app.services import org, people, users
from audit_app.services.csv_import import ImportRejectedError, import_stores
from tests.factories import NOW, PASSWORD, World

PEOPLE_CSV = """email,name,role,locale,areas,region,password
new.shopper@test.example,New Shopper,shopper,ja,,R1,a-long-enough-password
new.manager@test.example,New Manager,area_manager,en,A1 A2,,another-long-password
shopper@test.example,Renamed Shopper,shopper,en,,R1,
"""


def _count_users() -> int:
    return db.session.scalar(select(func.count(User.id)))


def test_importing_people_dry_run_reports_changes_and_writes_nothing(world: World) -> None:
    before = _count_users()
    report = people.import_people(db.session, world.head, PEOPLE_CSV, now=NOW, dry_run=True)
    assert report.created == ["new.shopper@test.example", "new.manager@test.example"]
    assert report.updated == ["shopper@test.example"]
    assert _count_users() == before
    assert db.session.get(User, world.shopper.id).name == "Shopper"


def test_importing_people_creates_and_updates_and_they_can_sign_in(world: World) -> None:
    people.import_people(db.session, world.head, PEOPLE_CSV, now=NOW)
    manager = people.list_people(db.session, search="new.manager")[0]
    assert sorted(manager.area_codes) == ["A1", "A2"]
    assert users.authenticate(db.session, email="new.shopper@test.example", password="a-long-enough-password",
                              now=NOW).region_id == world.region.id
    assert db.session.get(User, world.shopper.id).name == "Renamed Shopper"
    assert users.authenticate(db.session, email="shopper@test.example", password=PASSWORD, now=NOW)


def test_a_bad_row_rejects_the_whole_people_import_with_line_numbers(world: World) -> None:
    before = _count_users()
    text = PEOPLE_CSV + "someone@test.example,Someone,wizard,en,,,long-password-here\nnot-an-email,X,shopper\n"
    with pytest.raises(ImportRejectedError) as caught:
        people.import_people(db.session, world.head, text, now=NOW)
    assert [line for line, _ in caught.value.report.rejected] == [5, 6]
    assert "unknown role 'wizard'" in str(caught.value.report.rejected[0][1])
    assert _count_users() == before


def test_a_bad_row_rejects_the_whole_store_import_with_line_numbers(world: World) -> None:
    text = "code,name,area_code\nS9,Shibuya,A1\nS10,Nowhere,ZZ\nS11,Kyoto,A2,extra\n"
    with pytest.raises(ImportRejectedError) as caught:
        import_stores(db.session, text, now=NOW, actor=world.head)
    assert [(line, str(reason)) for line, reason in caught.value.report.rejected] == [(3, "unknown area code ZZ")]
    assert db.session.scalar(select(func.count(Store.id))) == 2


def test_an_area_with_active_stores_cannot_be_deactivated_and_users_are_signed_out(world: World) -> None:
    with pytest.raises(org.OrgError):
        org.set_active(db.session, world.head, "area", world.area.id, False, now=NOW)
    org.set_active(db.session, world.head, "store", world.store.id, False, now=NOW)
    org.set_active(db.session, world.head, "area", world.area.id, False, now=NOW)
    token = world.shopper.session_token
    org.set_active(db.session, world.head, "user", world.shopper.id, False, now=NOW)
    shopper = db.session.get(User, world.shopper.id)
    assert not shopper.is_active and shopper.session_token != token
    assert db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.action.like("%.deactivate"))) == 3


def test_saving_a_store_and_a_person_checks_codes_time_zones_and_roles(world: World) -> None:
    with pytest.raises(org.OrgError, match="already used"):
        org.save_store(db.session, world.head, store_id=None, code="S1", name="Dup", area_id=world.area.id,
                       city="", address="", timezone="Asia/Tokyo", now=NOW)
    with pytest.raises(org.OrgError, match="time zone"):
        org.save_store(db.session, world.head, store_id=world.store.id, code="S1", name="Ginza",
                       area_id=world.area.id, city="", address="", timezone="Mars/Base", now=NOW)
    with pytest.raises(people.PeopleError, match="own role"):
        people.save_person(db.session, world.head, user_id=world.head.id, email=world.head.email, name="Head",
                           role="shopper", locale="en", area_codes=[], region_code="", password="", now=NOW)
    people.save_person(db.session, world.head, user_id=world.manager.id, email=world.manager.email,
                       name="Manager", role="area_manager", locale="ja", area_codes=["A2"], region_code="",
                       password="", now=NOW)
    assert people.get_person(db.session, world.manager.id).area_codes == ("A2",)
