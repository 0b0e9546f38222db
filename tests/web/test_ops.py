from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from audit_app import create_app
from audit_app.services.health import expected_revision
from tests.factories import make_config


def test_health_and_readiness_report_a_migrated_database(client: FlaskClient) -> None:
    health = client.get("/healthz")
    assert health.status_code == 200 and health.json == {"status": "ok", "database": True}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json["schema"] == expected_revision()


def test_an_unmigrated_database_is_alive_but_not_ready(tmp_path: Path) -> None:
    app = create_app(make_config(tmp_path, f"sqlite:///{tmp_path / 'empty.db'}"))
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.json["status"] == "not ready"


def test_an_unreachable_database_fails_the_health_check(tmp_path: Path) -> None:
    app: Flask = create_app(make_config(tmp_path, "postgresql+psycopg://nobody@127.0.0.1:1/none"))
    assert app.test_client().get("/healthz").status_code == 503
