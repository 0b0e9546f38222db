"""Rate limits under gunicorn with several workers, in the default set-up (no Redis, no RATELIMIT_STORAGE_URL):
a limit means what it says, not that number per worker."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Iterator

import pytest
from flask import Flask

from tests.factories import PASSWORD, World
from tests.faults.harness import Browser, Gunicorn

WORKERS = 3


@pytest.fixture
def server(app: Flask, database_url: str, tmp_path: Path) -> Iterator[Gunicorn]:
    # RATELIMIT_STORAGE_URL=memory:// here shows the old behaviour: every worker kept its own counts.
    extra = {"RATELIMIT_STORAGE_URL": os.environ["STORECHECK_TEST_RATELIMIT_STORAGE"]} \
        if os.environ.get("STORECHECK_TEST_RATELIMIT_STORAGE") else None
    served = Gunicorn(database_url, tmp_path / "server", workers=WORKERS, extra_env=extra)
    yield served
    served.stop()


def _attempt(server: Gunicorn, email: str, password: str) -> int:
    browser = Browser(server.url)
    token = browser.csrf_token("/login")
    return browser.request("POST", "/login", {"email": email, "password": password, "csrf_token": token}).status


def test_twenty_sign_ins_a_minute_means_twenty_across_all_workers(world: World, server: Gunicorn) -> None:
    assert len(server.workers()) == WORKERS
    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses: list[Any] = list(pool.map(lambda i: _attempt(server, f"nobody{i}@test.example", "wrong guess"),
                                            range(45)))
    assert statuses.count(401) == 20, statuses
    assert statuses.count(429) == 25, statuses


def test_five_failures_for_an_account_mean_five_across_all_workers(world: World, server: Gunicorn) -> None:
    statuses = [_attempt(server, world.shopper.email, "wrong guess") for _ in range(12)]
    assert statuses == [401] * 5 + [429] * 7, statuses
    # This client now waits even with the right password (another client would get in: see tests/web/test_auth.py).
    assert _attempt(server, world.shopper.email, PASSWORD) == 429
    assert _attempt(server, world.manager.email, PASSWORD) == 302
