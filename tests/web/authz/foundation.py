"""Sign-in, language, and the role home pages."""

from __future__ import annotations

from tests.web.authz import ROLES, Case, only


def cases(world) -> list[Case]:  # type: ignore[no-untyped-def]
    store = world.store.id
    everyone_redirected = dict.fromkeys(ROLES, 302)
    signed_in_redirected = {**everyone_redirected, "anonymous": 200}
    managers = {"manager": 200, "other_manager": 200, "head": 200}
    return [
        Case("auth.index", "GET", "/", everyone_redirected),
        Case("auth.login", "GET", "/login", signed_in_redirected),
        Case("auth.logout", "POST", "/logout", everyone_redirected),
        Case("auth.choose_language", "POST", "/language", everyone_redirected, data={"locale": "en"}),
        Case("auth.change_password", "GET", "/account/password", only(dict.fromkeys(ROLES[1:], 200))),
        # Everyone signed in may post; a wrong current password is refused for each (422) and changes nothing.
        Case("auth.change_password", "POST", "/account/password", only(dict.fromkeys(ROLES[1:], 422)),
             data={"current": "not the password", "new": "a long enough new phrase", "confirm": "a long enough new phrase"}),
        Case("shopper.home", "GET", "/shopper/", only({"shopper": 200})),
        Case("manager.home", "GET", "/manager/", only({**managers, "store_manager": 200})),
        Case("manager.store", "GET", f"/manager/stores/{store}",
             only({"manager": 200, "head": 200, "store_manager": 200})),
        Case("manager.store", "GET", "/manager/stores/999999",
             only({"manager": 404, "other_manager": 404, "head": 404, "store_manager": 404})),
        Case("headoffice.home", "GET", "/head-office/", only({"head": 200})),
        Case("headoffice.people", "GET", "/head-office/people", only({"head": 200})),
    ]
