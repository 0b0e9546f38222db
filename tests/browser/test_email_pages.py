"""Password reset and e-mail choices on a phone, and the outbox head office reads: each page passes the audit."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from audit_app.extensions import db
from audit_app.models import OutboxMessage
from audit_app.services import notifications
from tests.browser.pages import axe_violations, no_sideways_scroll
from tests.browser.pages import sign_in as _sign_in
from tests.factories import World

NEW_PASSWORD = "violet lanterns by the harbour"


def test_a_shopper_resets_their_password_and_chooses_their_e_mails_on_a_phone(
        page: Any, live_server: str, world: World, axe_source: str, browser: Any) -> None:
    page.goto(f"{live_server}/login")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_role("heading", name="Forgot your password?").wait_for()
    assert axe_violations(page, axe_source) == []
    page.get_by_label("E-mail").fill(world.shopper.email)
    page.get_by_role("button", name="Send me a link").click()
    page.get_by_text("a link to choose a new password is on its way").wait_for()

    db.session.rollback()
    message = db.session.scalars(select(OutboxMessage)).one()
    secret = message.context[notifications.SECRET]
    db.session.rollback()
    page.goto(f"{live_server}/password/reset/{secret}")
    page.get_by_role("heading", name="Choose a new password").wait_for()
    assert axe_violations(page, axe_source) == [] and no_sideways_scroll(page)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Save the new password").click()
    page.get_by_text("Sign in with the new password.").wait_for()

    page.get_by_label("E-mail").fill(world.shopper.email)
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="My visits").wait_for()
    page.get_by_role("link", name="E-mail choices").click()
    page.get_by_role("heading", name="E-mail").wait_for()
    assert axe_violations(page, axe_source) == [] and no_sideways_scroll(page)
    page.get_by_label("Visits due soon").uncheck()
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Your e-mail choices have been saved.").wait_for()
    assert not page.get_by_label("Visits due soon").is_checked()
    assert page.get_by_label("Overdue visits").is_checked()

    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    head = context.new_page()
    _sign_in(head, live_server, world.head.email)
    head.get_by_role("heading", name="Overview").wait_for()
    head.goto(f"{live_server}/head-office/settings")
    head.get_by_text("E-mail is off").wait_for()
    assert axe_violations(head, axe_source) == []
    head.locator("a[href^='/head-office/outbox/']").first.click()
    head.get_by_text("(The link is left out here.)").wait_for()
    assert axe_violations(head, axe_source) == []
    context.close()
