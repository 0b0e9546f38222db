"""Every route, requested as each kind of user, answers with the expected status (cases in tests/web/authz/)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from flask import Flask

from audit_app.extensions import db
from audit_app.services import api_tokens
from tests.factories import World, csrf_token_from, sign_in
from tests.web.authz import LOGIN, ROLES, all_cases


def test_every_route_of_the_app_has_authorisation_cases(app: Flask, world: World) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint != "static"}
    covered = {case.endpoint for case in all_cases(world)}
    assert endpoints - covered == set(), "routes without authorisation cases"
    assert covered - endpoints == set(), "cases for endpoints that do not exist"


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_the_expected_status_on_every_route(app: Flask, world: World, role: str) -> None:
    failures = []
    client = app.test_client()
    signed_in = False
    token = None
    if role != "anonymous":
        now = datetime.now(timezone.utc)  # the API checks expiry against the clock
        token = api_tokens.create_token(db.session, getattr(world, role), name="matrix", scope="read_write",
                                        expires_at=now + timedelta(days=30), now=now).secret
    for case in all_cases(world):
        if role != "anonymous" and not signed_in:
            assert sign_in(client, getattr(world, role).email).status_code == 302
            signed_in = True
        if case.api:
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            response = client.open(case.path, method=case.method, headers=headers, json=case.json)
        elif case.method == "GET":
            response = client.get(case.path)
        else:
            data = {**case.data, **(case.setup(world) if case.setup else {})}
            data["csrf_token"] = csrf_token_from(client, "/login")
            response = client.open(case.path, method=case.method, data=data)
        response.close()  # file responses (photos, the service worker) hold their file open until closed
        signed_in = signed_in and case.endpoint != "auth.logout"
        want = case.expected[role]
        if want == LOGIN:
            ok = response.status_code == 302 and "/login" in response.headers["Location"]
        else:
            ok = response.status_code == want
        if not ok:
            failures.append(f"{case.method} {case.path} as {role}: got {response.status_code}, want {want}")
    assert not failures, "\n".join(failures)
