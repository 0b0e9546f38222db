from __future__ import annotations

import json

import pytest
from flask.testing import FlaskClient

from tests.factories import World, counting, sign_in


def test_every_request_is_logged_as_one_json_line(client: FlaskClient, world: World,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    sign_in(client, world.manager.email)
    caplog.clear()
    with caplog.at_level("INFO", logger="storecheck.request"):
        response = client.get("/manager/", headers={"X-Request-ID": "abc123"})
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "storecheck.request"]
    assert lines[-1]["path"] == "/manager/" and lines[-1]["status"] == 200
    assert lines[-1]["user"] == str(world.manager.id) and lines[-1]["request_id"] == "abc123"
    assert response.headers["X-Request-ID"] == "abc123"


def test_a_signed_in_persons_static_file_is_logged_without_a_database_query(
        client: FlaskClient, world: World, caplog: pytest.LogCaptureFixture) -> None:

    sign_in(client, world.manager.email)
    caplog.clear()
    with counting() as statements, caplog.at_level("INFO", logger="storecheck.request"):
        response = client.get("/static/css/app.css")
    response.close()
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "storecheck.request"]
    assert response.status_code == 200 and statements == []
    assert lines[-1]["path"] == "/static/css/app.css" and lines[-1]["user"] == str(world.manager.id)
