from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from audit_app.extensions import db
from audit_app.models import AuditLog
from audit_app.services import settings
from tests.factories import NOW, World


def test_settings_start_from_their_defaults(app: Flask) -> None:
    current = settings.get_settings(db.session)
    assert current.review_required is False and current.show_shopper_to_managers is True


def test_changing_a_setting_is_stored_and_logged(app: Flask, world: World) -> None:
    settings.update_settings(db.session, world.head, {"review_required": True}, now=NOW)
    assert settings.get_settings(db.session).review_required is True
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "settings.update"))
    assert entry.before["review_required"] is False and entry.after["review_required"] is True


def test_an_unknown_setting_is_refused(app: Flask, world: World) -> None:
    with pytest.raises(settings.SettingsError, match="Unknown setting"):
        settings.update_settings(db.session, world.head, {"colour": "red"}, now=NOW)


def test_a_change_made_elsewhere_is_seen_from_the_next_transaction(app: Flask, world: World) -> None:
    """Settings are read once per transaction: within one they stay put, and the next one sees what another
    connection (another worker, head office's page) has committed meanwhile."""
    assert settings.get_settings(db.session).review_required is False
    other = db.session.session_factory()
    try:
        settings.update_settings(other, world.head, {"review_required": True}, now=NOW)
    finally:
        other.close()
    assert settings.get_settings(db.session).review_required is False  # the same transaction as before
    db.session.rollback()
    assert settings.get_settings(db.session).review_required is True
    db.session.commit()
    settings.update_settings(db.session, world.head, {"review_required": False}, now=NOW)
    assert settings.get_settings(db.session).review_required is False
