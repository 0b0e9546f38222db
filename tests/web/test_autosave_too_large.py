"""An autosave over the upload limit gets JSON the phone can act on (and keep the answers), in the reader's language."""

from __future__ import annotations

from flask import Flask

from audit_app.extensions import db
from audit_app.models import Answer
from audit_app.services import users
from tests.factories import World, csrf_token_from, make_visit, sign_in

JSON = {"Accept": "application/json"}


def _too_large_save(app: Flask, world: World, locale: str):  # type: ignore[no-untyped-def]
    users.set_locale(db.session, world.shopper, locale)
    visit = make_visit(world.shopper, world.store)
    client = app.test_client()
    sign_in(client, world.shopper.email)
    token = csrf_token_from(client, "/shopper/")
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    response = client.post(f"/shopper/visits/{visit.id}/sections/0", headers=JSON, data={
        "csrf_token": token, "q-greeted": "yes", "q-notes": "x" * (1024 * 1024 + 10)})
    return visit, response


def test_an_autosave_over_the_limit_gets_json_saying_so(app: Flask, world: World) -> None:
    visit, response = _too_large_save(app, world, "en")
    assert response.status_code == 413 and response.mimetype == "application/json"
    body = response.get_json()
    assert body["ok"] is False and body["reason"] == "too_large"
    assert "larger than 1 MB" in body["message"] and "kept on this phone" in body["message"]
    assert db.session.query(Answer).filter_by(visit_id=visit.id).count() == 0


def test_the_too_large_message_is_in_the_shoppers_language(app: Flask, world: World) -> None:
    _visit, response = _too_large_save(app, world, "ja")
    assert response.status_code == 413
    assert "この端末" in response.get_json()["message"]


def test_a_page_post_over_the_limit_still_gets_the_413_page(app: Flask, world: World) -> None:
    visit = make_visit(world.shopper, world.store)
    client = app.test_client()
    sign_in(client, world.shopper.email)
    token = csrf_token_from(client, "/shopper/")
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    response = client.post(f"/shopper/visits/{visit.id}/sections/0",
                           data={"csrf_token": token, "q-notes": "x" * (1024 * 1024 + 10)})
    assert response.status_code == 413 and "That upload is too large" in response.get_data(as_text=True)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
