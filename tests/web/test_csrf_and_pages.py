from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from audit_app.extensions import db
from audit_app.models import User
from tests.factories import PASSWORD, World, csrf_token_from, sign_in


def test_sign_in_without_a_csrf_token_is_refused(client: FlaskClient, world: World) -> None:
    response = client.post("/login", data={"email": world.shopper.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "The form had expired" in response.get_data(as_text=True)
    assert client.get("/shopper/").status_code == 302  # not signed in


def test_sign_out_without_a_csrf_token_keeps_the_session(client: FlaskClient, world: World) -> None:
    sign_in(client, world.shopper.email)
    assert client.post("/logout").status_code == 400
    assert client.get("/shopper/").status_code == 200


def test_language_switch_without_a_csrf_token_is_refused(client: FlaskClient, world: World) -> None:
    sign_in(client, world.shopper.email)
    assert client.post("/language", data={"locale": "ja"}).status_code == 400
    assert db.session.scalar(select(User.locale).where(User.id == world.shopper.id)) == "en"


def test_language_choice_is_remembered_for_the_user(app: Flask, world: World) -> None:
    client = app.test_client()
    sign_in(client, world.shopper.email)
    token = csrf_token_from(client, "/shopper/")
    client.post("/language", data={"locale": "ja", "csrf_token": token, "next": "/shopper/"})
    db.session.expire_all()
    assert db.session.scalar(select(User.locale).where(User.id == world.shopper.id)) == "ja"
    # A new session on another device shows Japanese straight after sign-in.
    other = app.test_client()
    sign_in(other, world.shopper.email)
    html = other.get("/shopper/").get_data(as_text=True)
    assert '<html lang="ja">' in html
    assert "割り当て" in html


def test_anonymous_visitors_can_switch_to_japanese(client: FlaskClient) -> None:
    token = csrf_token_from(client)
    client.post("/language", data={"locale": "ja", "csrf_token": token, "next": "/login"})
    html = client.get("/login").get_data(as_text=True)
    assert "ログイン" in html


def test_browser_language_picks_japanese_before_sign_in(client: FlaskClient) -> None:
    html = client.get("/login", headers={"Accept-Language": "ja,en;q=0.5"}).get_data(as_text=True)
    assert '<html lang="ja">' in html


def test_missing_pages_get_a_real_404_page(client: FlaskClient) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_forbidden_pages_get_a_real_403_page(client: FlaskClient, world: World) -> None:
    sign_in(client, world.shopper.email)
    response = client.get("/head-office/")
    assert response.status_code == 403
    assert "not available to you" in response.get_data(as_text=True)


def test_server_errors_get_a_real_500_page(app: Flask, client: FlaskClient) -> None:
    app.testing = False
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/__boom")
    def boom():  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")

    response = client.get("/__boom")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.get_data(as_text=True)


def test_pages_send_security_headers(client: FlaskClient) -> None:
    response = client.get("/login")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_pages_load_nothing_from_another_host(client: FlaskClient) -> None:
    html = client.get("/login").get_data(as_text=True)
    assert "http://" not in html and "https://" not in html


def test_the_language_chosen_on_the_sign_in_page_is_kept_and_saved_after_sign_in(app: Flask, world: World) -> None:
    client = app.test_client()
    token = csrf_token_from(client)
    client.post("/language", data={"locale": "ja", "csrf_token": token, "next": "/login"})
    sign_in(client, world.shopper.email)
    html = client.get("/shopper/").get_data(as_text=True)
    assert '<html lang="ja">' in html and "割り当て" in html
    db.session.expire_all()
    assert db.session.scalar(select(User.locale).where(User.id == world.shopper.id)) == "ja"


def test_without_a_choice_on_the_sign_in_page_the_saved_language_applies(app: Flask, world: World) -> None:
    world.shopper.locale = "ja"
    db.session.commit()
    client = app.test_client()
    sign_in(client, world.shopper.email)  # the sign-in page itself was in the browser's language
    assert '<html lang="ja">' in client.get("/shopper/").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token_from(client, "/shopper/")})
    # Whoever signs in next on this browser gets their own language, not the one left in the cookie.
    sign_in(client, world.other_shopper.email)
    assert '<html lang="en">' in client.get("/shopper/").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(select(User.locale).where(User.id == world.other_shopper.id)) == "en"


def test_a_phones_save_after_the_session_ended_is_told_to_sign_in_again_and_stores_nothing(
        app: Flask, world: World) -> None:
    from audit_app.models import Answer
    from tests.factories import make_visit

    visit = make_visit(world.shopper, world.store)
    client = app.test_client()
    sign_in(client, world.shopper.email)
    token = csrf_token_from(client, f"/shopper/visits/{visit.id}/sections/0")
    key = "greeted"
    client.post("/logout", data={"csrf_token": token})
    response = client.post(f"/shopper/visits/{visit.id}/sections/0", data={"csrf_token": token, f"q-{key}": "yes"},
                           headers={"Accept": "application/json"})
    assert response.status_code == 401
    assert response.get_json()["reason"] == "signed_out"
    assert "Sign in again" in response.get_json()["message"]
    assert db.session.scalar(select(Answer).where(Answer.visit_id == visit.id)) is None
    # Signed in, a form without its token is still the plain refusal, whoever asks.
    sign_in(client, world.shopper.email)
    refused = client.post(f"/shopper/visits/{visit.id}/sections/0", data={f"q-{key}": "yes"},
                          headers={"Accept": "application/json"})
    assert refused.status_code == 400
