"""On a phone: a person creates an API token, sees it once, and reads the API reference; both pages pass the
accessibility audit and the reference loads nothing the Content-Security-Policy refuses."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from tests.browser.pages import axe_violations, no_sideways_scroll, sign_in
from tests.factories import World


def _within_the_phone(page: Any) -> bool:
    """The page is no wider than the phone's screen (a mobile browser widens its window to fit a page instead of
    scrolling it, so comparing with the window alone cannot see the overflow)."""
    return page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def test_a_manager_creates_a_token_on_a_phone_and_uses_it(page: Any, live_server: str, world: World,
                                                         axe_source: str) -> None:
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text
            else None)
    sign_in(page, live_server, world.manager.email)
    page.get_by_role("heading", name="Stores", exact=True).wait_for()
    page.get_by_role("link", name="API tokens").click()
    page.get_by_role("heading", name="API tokens", exact=True).wait_for()
    assert axe_violations(page, axe_source) == []
    page.get_by_label("Token name").fill("Intranet dashboard")
    page.get_by_label("Access").select_option("read")
    page.get_by_role("button", name="Create token").click()
    page.get_by_role("heading", name="Your new token").wait_for()
    secret = page.locator("[data-token-secret]").inner_text()
    assert secret.startswith("sct_")
    assert axe_violations(page, axe_source) == [] and no_sideways_scroll(page) and _within_the_phone(page)

    request = urllib.request.Request(f"{live_server}/api/v1/stores", headers={"Authorization": f"Bearer {secret}"})
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310  (the test's own loopback server)
        assert [store["code"] for store in json.loads(answer.read())["data"]] == ["S1"]
    page.goto(f"{live_server}/account/tokens")
    assert "Never" not in page.locator("[data-token]").inner_text()  # its last use is shown

    page.get_by_role("link", name="API reference").click()
    page.get_by_role("heading", name="GET /api/v1/visits", exact=True).wait_for()
    assert axe_violations(page, axe_source) == [] and no_sideways_scroll(page) and _within_the_phone(page)
    assert refused == []
