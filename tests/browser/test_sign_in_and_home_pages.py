"""Each role signs in on a phone and sees its home page; every page passes an accessibility audit."""

from __future__ import annotations

from typing import Any

from tests.browser.pages import axe_violations
from tests.browser.pages import sign_in as _sign_in
from tests.factories import World


def test_a_shopper_signs_in_on_a_phone_and_switches_to_japanese(page: Any, live_server: str, world: World,
                                                               axe_source: str) -> None:
    page.goto(f"{live_server}/login")
    assert axe_violations(page, axe_source) == []
    _sign_in(page, live_server, world.shopper.email)
    page.get_by_role("heading", name="My visits").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    assert axe_violations(page, axe_source) == []
    page.get_by_role("button", name="日本語").click()
    page.get_by_role("heading", name="担当の訪問").wait_for()
    assert axe_violations(page, axe_source) == []


def test_a_wrong_password_shows_a_message_and_keeps_the_email(page: Any, live_server: str, world: World) -> None:
    page.goto(f"{live_server}/login")
    page.get_by_label("E-mail").fill(world.manager.email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("alert").wait_for()
    assert "do not match" in page.get_by_role("alert").inner_text()
    assert page.get_by_label("E-mail").input_value() == world.manager.email


def test_manager_and_head_office_pages_pass_the_audit_on_a_phone(page: Any, live_server: str, world: World,
                                                                 axe_source: str, browser: Any) -> None:
    _sign_in(page, live_server, world.manager.email)
    page.get_by_role("heading", name="Stores", exact=True).wait_for()
    assert axe_violations(page, axe_source) == []
    page.get_by_role("link", name="Ginza").click()
    page.get_by_role("heading", name="Ginza").wait_for()
    assert axe_violations(page, axe_source) == []

    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    head = context.new_page()
    _sign_in(head, live_server, world.head.email)
    head.get_by_role("heading", name="Overview").wait_for()
    assert axe_violations(head, axe_source) == []
    head.goto(f"{live_server}/head-office/people")
    assert axe_violations(head, axe_source) == []
    context.close()
