"""Helpers the browser tests share: the accessibility audit of a page, signing in through the form, screenshots
for a person to look at, and whether a page fits the screen's width."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from tests.factories import PASSWORD

SHOTS = os.environ.get("STORECHECK_SCREENSHOTS")  # a folder: save a picture of each page for a person to look at


def axe_violations(page: Any, axe_source: str) -> list[str]:
    """Serious and critical axe-core violations on the current page, one line each."""
    page.evaluate(axe_source)
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21aa', 'best-practice']}})"
    )
    return [f"{v['id']} ({v['impact']}): {v['help']} — {len(v['nodes'])} node(s), e.g. {v['nodes'][0]['target']}"
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def shot(page: Any, name: str) -> None:
    """A full-page screenshot in STORECHECK_SCREENSHOTS, when it is set."""
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def sign_in(page: Any, base: str, email: str) -> None:
    """Sign in through the sign-in form (English labels), without waiting for the next page."""
    page.goto(f"{base}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def no_sideways_scroll(page: Any) -> bool:
    """The page is no wider than the window. Waits for the page being loaded first: asked while a navigation
    commits, the document has no element yet."""
    page.wait_for_load_state("load")
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


# Playwright's wait_for_function does not await a promise (a pending one counts as true), so questions that need
# the Cache API are asked through evaluate, which does, until they hold.
_KEPT_PAGES = """async (n) => {
  const reg = await navigator.serviceWorker.getRegistration('/shopper/');
  if (!reg || !reg.active || reg.active.state !== 'activated') return false;
  const c = await caches.open('storecheck-pages-v1');
  const keys = (await c.keys()).map((r) => new URL(r.url).pathname);
  return n === 0 ? keys.includes('/shopper/__offline__') : keys.length >= n;
}"""


def wait_for_offline_copies(page: Any, count: int, timeout: float = 15.0) -> None:
    """Waits until the service worker is active (it answers every navigation under /shopper/) and keeps
    `count` pages (0: the offline page)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(_KEPT_PAGES, count):
        if time.monotonic() > deadline:
            raise AssertionError(f"the phone never kept {count or 'the offline'} page(s) for offline use")
        page.wait_for_timeout(100)
