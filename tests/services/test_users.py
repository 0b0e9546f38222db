from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from audit_app.extensions import db
from audit_app.models import AuditLog
from audit_app.services import users
from tests.factories import NOW, PASSWORD, World, make_user


def test_creating_a_user_with_a_taken_email_is_refused(app: Flask, world: World) -> None:
    with pytest.raises(users.UserError, match="already exists"):
        make_user(world.shopper.email.upper())


def test_a_short_password_is_refused(app: Flask) -> None:
    with pytest.raises(users.UserError, match="at least 10 characters"):
        make_user("short@test.example", password="short")


def test_an_area_manager_is_linked_to_the_named_areas_only(app: Flask, world: World) -> None:
    with pytest.raises(users.UserError, match="Unknown area code"):
        make_user("m3@test.example", "area_manager", ("NOPE",))


def test_creating_a_user_is_written_to_the_audit_log(app: Flask, world: World) -> None:
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "user.create",
                                                     AuditLog.entity_id == str(world.head.id)))
    assert entry is not None and entry.after["role"] == "head_office"


def test_sign_in_ignores_case_and_spaces_in_the_email(app: Flask, world: World) -> None:
    user = users.authenticate(db.session, email="  Shopper@Test.Example ", password=PASSWORD, now=NOW)
    assert user.id == world.shopper.id
