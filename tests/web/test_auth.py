from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from audit_app.extensions import db
from audit_app.models import User
from audit_app.services import users
from tests.factories import PASSWORD, World, csrf_token_from, running_app, sign_in


def test_sign_in_page_has_email_and_password_fields(client: FlaskClient) -> None:
    html = client.get("/login").get_data(as_text=True)
    assert 'name="email"' in html and 'name="password"' in html and 'type="password"' in html


def test_each_role_lands_on_its_own_home_page(app: Flask, world: World) -> None:
    for user, home in ((world.shopper, "/shopper/"), (world.manager, "/manager/"), (world.head, "/head-office/")):
        client = app.test_client()
        assert sign_in(client, user.email).headers["Location"] == "/"
        assert client.get("/").headers["Location"] == home
        assert client.get(home).status_code == 200


def test_a_wrong_password_and_an_unknown_email_get_the_same_generic_message(client: FlaskClient,
                                                                          world: World) -> None:
    wrong = sign_in(client, world.shopper.email, "not the password")
    unknown = sign_in(client, "nobody@test.example", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    message = "That e-mail and password do not match"
    assert message in wrong.get_data(as_text=True)
    assert message in unknown.get_data(as_text=True)


def test_the_typed_email_is_kept_after_a_failed_sign_in(client: FlaskClient, world: World) -> None:
    html = sign_in(client, world.shopper.email, "wrong password").get_data(as_text=True)
    assert f'value="{world.shopper.email}"' in html


def test_passwords_are_stored_hashed_with_scrypt(database_url: str, tmp_path: Path) -> None:
    with contextmanager(running_app)(database_url, tmp_path, extra={}) as app:  # the app's own settings
        user = users.create_user(db.session, email="new@test.example", name="New", password=PASSWORD,
                                 role="shopper", now=datetime.now(timezone.utc))
        stored = db.session.scalar(select(User.password_hash).where(User.id == user.id))
        assert PASSWORD not in stored and stored.startswith("scrypt:")
        assert sign_in(app.test_client(), "new@test.example").status_code == 302


def _sign_in_from(app: Flask, address: str, email: str, password: str = PASSWORD, client: FlaskClient | None = None):  # type: ignore[no-untyped-def]
    client = client or app.test_client()
    token = csrf_token_from(client)
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token},
                       environ_base={"REMOTE_ADDR": address})


THROTTLED = "Too many failed sign-ins"


def test_failing_clients_wait_for_that_account_while_everyone_else_still_signs_in(app: Flask, world: World) -> None:
    attacker = app.test_client()
    for _ in range(5):
        assert _sign_in_from(app, "198.51.100.7", world.shopper.email, "wrong password", attacker).status_code == 401
    refused = _sign_in_from(app, "198.51.100.7", world.shopper.email, PASSWORD, attacker)
    assert refused.status_code == 429 and THROTTLED in refused.get_data(as_text=True)
    # The account is not locked: its owner, on another address, signs in with the right password.
    assert _sign_in_from(app, "203.0.113.20", world.shopper.email).status_code == 302
    # And the failing address is only held back for the account it failed on.
    assert _sign_in_from(app, "198.51.100.7", world.manager.email).status_code == 302


def test_an_unknown_email_is_throttled_exactly_like_a_known_one(app: Flask, world: World) -> None:
    answers = {}
    for address, email in (("198.51.100.8", world.shopper.email), ("198.51.100.9", "nobody@test.example")):
        client = app.test_client()
        replies = [_sign_in_from(app, address, email, "wrong password", client) for _ in range(6)]
        answers[email] = [(r.status_code, THROTTLED in r.get_data(as_text=True),
                           "do not match" in r.get_data(as_text=True)) for r in replies]
    assert answers[world.shopper.email] == answers["nobody@test.example"]
    assert answers["nobody@test.example"] == [(401, False, True)] * 5 + [(429, True, False)]


def test_a_right_password_clears_that_clients_earlier_slips(app: Flask, world: World) -> None:
    for _ in range(4):
        _sign_in_from(app, "198.51.100.10", world.shopper.email, "wrong password")
    assert _sign_in_from(app, "198.51.100.10", world.shopper.email).status_code == 302
    for _ in range(4):
        assert _sign_in_from(app, "198.51.100.10", world.shopper.email, "wrong").status_code == 401


def test_an_address_failing_across_many_emails_waits(database_url: str, tmp_path: Path) -> None:
    with contextmanager(running_app)(database_url, tmp_path, login_attempts_per_address=3) as app:
        statuses = [_sign_in_from(app, "198.51.100.11", f"guess{i}@test.example", "wrong").status_code
                    for i in range(4)]
        assert statuses == [401, 401, 401, 429]
        assert _sign_in_from(app, "198.51.100.12", "guess9@test.example", "wrong").status_code == 401


def test_an_account_guessed_from_many_addresses_holds_back_each_after_one_failure(
        app: Flask, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from audit_app.auth import throttle

    monkeypatch.setattr(throttle, "ACCOUNT_UNDER_ATTACK", 3)
    for i in range(3):
        assert _sign_in_from(app, f"192.0.2.{i}", world.head.email, "wrong").status_code == 401
    assert _sign_in_from(app, "192.0.2.0", world.head.email, PASSWORD).status_code == 429
    # Somebody who has not failed (the real person) still signs in.
    assert _sign_in_from(app, "192.0.2.50", world.head.email).status_code == 302


def test_one_address_is_refused_after_twenty_sign_in_attempts_a_minute(client: FlaskClient, world: World) -> None:
    statuses = [sign_in(client, f"nobody{i}@test.example", "wrong password").status_code for i in range(21)]
    assert statuses[:20] == [401] * 20
    assert statuses[20] == 429
    assert "Too many attempts" in sign_in(client, world.shopper.email).get_data(as_text=True)


def test_signing_out_ends_the_session(client: FlaskClient, world: World) -> None:
    sign_in(client, world.shopper.email)
    assert client.get("/shopper/").status_code == 200
    token = csrf_token_from(client, "/shopper/")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/shopper/").status_code == 302


def test_signing_out_keeps_the_language_the_person_worked_in(client: FlaskClient, world: World) -> None:
    from audit_app.extensions import db

    world.shopper.locale = "ja"
    db.session.commit()
    sign_in(client, world.shopper.email)
    token = csrf_token_from(client, "/shopper/")
    client.post("/logout", data={"csrf_token": token})
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="ja">' in page and "ログアウトしました。" in page
    assert client.get("/shopper/").status_code == 302


def test_sign_in_does_not_redirect_to_another_site(client: FlaskClient, world: World) -> None:
    token = csrf_token_from(client)
    response = client.post("/login", data={"email": world.shopper.email, "password": PASSWORD,
                                           "csrf_token": token, "next": "//evil.example/x"})
    assert response.headers["Location"] == "/"


def test_sign_in_returns_to_the_page_asked_for(client: FlaskClient, world: World) -> None:
    html = client.get("/login?next=/head-office/people").get_data(as_text=True)
    assert 'value="/head-office/people"' in html
    token = csrf_token_from(client)
    response = client.post("/login", data={"email": world.head.email, "password": PASSWORD,
                                           "csrf_token": token, "next": "/head-office/people"})
    assert response.headers["Location"] == "/head-office/people"


def test_session_cookie_is_http_only_and_same_site_lax(client: FlaskClient, world: World) -> None:
    response = sign_in(client, world.shopper.email)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_a_session_stops_working_when_the_password_generation_changes(app: Flask, client: FlaskClient,
                                                                      world: World) -> None:
    sign_in(client, world.shopper.email)
    assert client.get("/shopper/").status_code == 200
    world.shopper.session_token = "rotated"
    db.session.commit()
    assert client.get("/shopper/").status_code == 302


def test_a_copied_session_cookie_stops_working_after_sign_out(app: Flask, world: World) -> None:
    client = app.test_client()
    sign_in(client, world.shopper.email)
    stolen = client.get_cookie("session").value
    token = csrf_token_from(client, "/shopper/")
    client.post("/logout", data={"csrf_token": token})
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/shopper/").status_code == 302


def _failed_sign_ins_from(client: FlaskClient, forwarded_for: str, count: int) -> list[int]:
    statuses = []
    for i in range(count):
        token = csrf_token_from(client)
        statuses.append(client.post("/login", headers={"X-Forwarded-For": forwarded_for},
                                    data={"email": f"nobody{i}@test.example", "password": "wrong password",
                                          "csrf_token": token}).status_code)
    return statuses


def test_behind_a_trusted_proxy_the_sign_in_limit_counts_each_client_address(
        database_url: str, tmp_path: Path) -> None:
    with contextmanager(running_app)(database_url, tmp_path, trusted_proxies=1) as app:
        client = app.test_client()
        assert _failed_sign_ins_from(client, "203.0.113.5", 21)[-1] == 429
        assert _failed_sign_ins_from(client, "203.0.113.6", 1) == [401]


def test_without_a_trusted_proxy_a_forwarded_address_is_ignored(client: FlaskClient) -> None:
    assert _failed_sign_ins_from(client, "203.0.113.5", 20) == [401] * 20
    assert _failed_sign_ins_from(client, "203.0.113.6", 1) == [429]


NEW_PASSWORD = "lanterns over the canal"


def _change_password(client: FlaskClient, current: str, new: str, confirm: str | None = None):  # type: ignore[no-untyped-def]
    token = csrf_token_from(client, "/account/password")
    return client.post("/account/password", data={"csrf_token": token, "current": current, "new": new,
                                                  "confirm": new if confirm is None else confirm})


def test_changing_ones_password_keeps_this_session_and_ends_the_others(app: Flask, world: World) -> None:
    phone, laptop = app.test_client(), app.test_client()
    sign_in(phone, world.shopper.email)
    sign_in(laptop, world.shopper.email)
    response = _change_password(phone, PASSWORD, NEW_PASSWORD)
    assert response.status_code == 302
    assert "Your password has been changed" in phone.get("/", follow_redirects=True).get_data(as_text=True)
    assert phone.get("/shopper/").status_code == 200
    assert laptop.get("/shopper/").status_code == 302
    assert sign_in(app.test_client(), world.shopper.email, PASSWORD).status_code == 401
    assert sign_in(app.test_client(), world.shopper.email, NEW_PASSWORD).status_code == 302


@pytest.mark.parametrize("current,new,confirm,message", [
    ("not my password", NEW_PASSWORD, None, "That is not your current password."),
    (PASSWORD, "Password2026!", None, "one of the first an attacker would try"),
    (PASSWORD, "shopper on the go", None, "must not contain your name"),
    (PASSWORD, NEW_PASSWORD, "lanterns over the canals", "The two new passwords differ."),
])
def test_a_refused_password_change_says_why_and_changes_nothing(
        app: Flask, world: World, current: str, new: str, confirm: str | None, message: str) -> None:
    client = app.test_client()
    sign_in(client, world.shopper.email)
    response = _change_password(client, current, new, confirm)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert sign_in(app.test_client(), world.shopper.email, PASSWORD).status_code == 302
