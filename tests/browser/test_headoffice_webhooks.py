"""Head office registers a webhook endpoint on a phone, copies its secret and sends a test event to a real
receiver on loopback; every page passes the accessibility audit and fits the screen."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterator

import pytest
from flask import Flask

from tests.browser.pages import axe_violations, shot
from tests.browser.pages import sign_in as _sign_in
from audit_app import webhook_jobs
from tests.factories import World, running_app
from tests.web.test_webhooks import Receiver, documented_verifier, receiver  # noqa: F401 - the fixture


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    yield from running_app(database_url, tmp_path, webhook_allowed_hosts=("127.0.0.1",))


def no_sideways_scroll(page: Any) -> bool:
    """The page fits the phone's 390 pixels (a wider page would widen a mobile viewport rather than scroll)."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= 390"))


def test_head_office_adds_an_endpoint_and_sends_a_test_event_on_a_phone(
        app: Flask, page: Any, live_server: str, world: World, receiver: Receiver, axe_source: str) -> None:  # noqa: F811
    _sign_in(page, live_server, world.head.email)
    page.get_by_role("heading", name="Overview").wait_for()
    page.goto(f"{live_server}/head-office/webhooks")
    assert axe_violations(page, axe_source) == [] and no_sideways_scroll(page)
    page.get_by_role("link", name="Add an endpoint").click()
    page.get_by_role("heading", name="Add an endpoint").wait_for()
    assert axe_violations(page, axe_source) == []
    page.get_by_label("URL").fill(receiver.url())
    page.get_by_label("A reviewer approves a visit").check()
    page.get_by_role("button", name="Save").click()
    page.get_by_role("heading", name="The endpoint's secret").wait_for()
    shot(page, "webhook-secret")
    assert axe_violations(page, axe_source) == [] and no_sideways_scroll(page)
    secret = page.get_by_label("Signing secret").input_value()
    assert re.fullmatch(r"whsec_[\w-]{40,}", secret)
    page.get_by_role("link", name="Open the endpoint").click()
    page.get_by_role("heading", name="Webhook endpoint").wait_for()
    page.get_by_role("button", name="Send a test event").click()
    page.get_by_role("status").filter(has_text="A test event is on its way").wait_for()
    # The delivery leaves after the response, and its outcome is written once the receiver has answered: wait for
    # the receiver, then look again until the log shows the answer (a busy machine may take a while).
    for _ in range(50):
        if receiver.got:
            break
        page.wait_for_timeout(100)
    if not receiver.got:
        # The test server does not always close a response (which starts its deliveries) before the next request
        # on the connection; the sweep cron runs sends what is due all the same.
        webhook_jobs.deliver_due(app)
    assert receiver.got, "the test event never reached the receiver"
    for _ in range(100):
        page.reload()
        if page.get_by_text("HTTP 200").count():
            break
        page.wait_for_timeout(200)
    shot(page, "webhook-endpoint")
    assert page.get_by_text("HTTP 200").count() == 1 and page.get_by_text("delivered", exact=True).count()
    assert axe_violations(page, axe_source) == [] and no_sideways_scroll(page)
    event = documented_verifier()["verify_delivery"](secret, receiver.got[0].headers, receiver.got[0].body)
    assert event["type"] == "webhook.test"
