"""Every route, requested as each kind of user, answers with the expected status."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.conftest import World, csrf_token_from, sign_in

ROLES = ("anonymous", "shopper", "other_manager", "manager", "head")
LOGIN = "login"  # a redirect to the sign-in page


def _cases(world: World) -> list[tuple[str, str, dict[str, object]]]:
    """(method, path, {role: expected status}) for every route of the app."""
    store = world.store.id
    everyone_redirected = dict.fromkeys(ROLES, 302)
    return [
        ("GET", "/", everyone_redirected),
        ("GET", "/login", {"anonymous": 200, "shopper": 302, "other_manager": 302, "manager": 302, "head": 302}),
        ("POST", "/logout", everyone_redirected),
        ("POST", "/language", everyone_redirected),
        ("GET", "/shopper/", {"anonymous": LOGIN, "shopper": 200, "other_manager": 403, "manager": 403, "head": 403}),
        ("GET", "/manager/", {"anonymous": LOGIN, "shopper": 403, "other_manager": 200, "manager": 200, "head": 200}),
        ("GET", f"/manager/stores/{store}",
         {"anonymous": LOGIN, "shopper": 403, "other_manager": 403, "manager": 200, "head": 200}),
        ("GET", "/manager/stores/999999",
         {"anonymous": LOGIN, "shopper": 403, "other_manager": 404, "manager": 404, "head": 404}),
        ("GET", "/head-office/",
         {"anonymous": LOGIN, "shopper": 403, "other_manager": 403, "manager": 403, "head": 200}),
        ("GET", "/head-office/people",
         {"anonymous": LOGIN, "shopper": 403, "other_manager": 403, "manager": 403, "head": 200}),
    ]


COVERED_ENDPOINTS = {
    "auth.index", "auth.login", "auth.logout", "auth.choose_language", "shopper.home", "manager.home",
    "manager.store", "headoffice.home", "headoffice.people",
}


def test_every_route_of_the_app_is_in_the_matrix(app: Flask) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint != "static"}
    assert endpoints == COVERED_ENDPOINTS


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_the_expected_status_on_every_route(app: Flask, world: World, role: str) -> None:
    failures = []
    for method, path, expected in _cases(world):
        client = app.test_client()
        if role != "anonymous":
            assert sign_in(client, getattr(world, role).email).status_code == 302
        if method == "GET":
            response = client.get(path)
        else:
            token = csrf_token_from(client, "/login")
            response = client.post(path, data={"csrf_token": token, "locale": "en"})
        want = expected[role]
        if want == LOGIN:
            ok = response.status_code == 302 and "/login" in response.headers["Location"]
        else:
            ok = response.status_code == want
        if not ok:
            failures.append(f"{method} {path} as {role}: got {response.status_code}, want {want}")
    assert not failures, "\n".join(failures)
