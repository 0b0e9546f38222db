"""Error pages render on a clean database session: a failed write never breaks the page that reports it."""

from __future__ import annotations

import json

import pytest
from flask import Flask
from flask.testing import FlaskClient

from audit_app.extensions import db
from audit_app.models import Region
from tests.factories import World, sign_in


def test_a_failed_database_write_gets_the_real_500_page_with_headers_and_a_log_line(
        app: Flask, client: FlaskClient, world: World, caplog: pytest.LogCaptureFixture) -> None:
    app.testing = False
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/__duplicate-region")
    def duplicate_region():  # type: ignore[no-untyped-def]
        db.session.commit()  # a service committed earlier in the request: the signed-in person is expired
        db.session.add(Region(code=world.region.code, name="Twice"))
        db.session.flush()  # IntegrityError: the session now refuses every query until it is rolled back
        return "unreachable"

    sign_in(client, world.manager.email)
    caplog.clear()
    with caplog.at_level("INFO", logger="storecheck.request"):
        response = client.get("/__duplicate-region")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong on our side" in html
    assert world.manager.email in html  # the header still names the signed-in person
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "storecheck.request"]
    assert lines and lines[-1]["path"] == "/__duplicate-region" and lines[-1]["status"] == 500
    assert lines[-1]["user"] == str(world.manager.id)
