"""Browser tests: the app served on a loopback port, driven by Debian's Chromium at a phone viewport (the helpers
they share are in tests/browser/pages.py)."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path
from typing import Any, Iterator

import pytest
from flask import Flask
from werkzeug.serving import make_server

from audit_app.config import PROJECT_ROOT

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
AXE_JS = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _missing(what: str) -> None:
    if os.environ.get("STORECHECK_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{what} (STORECHECK_REQUIRE_BROWSER=1, so browser tests must run)")
    pytest.skip(what)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.fspath)).parent.name == "browser":
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, Any]:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        _missing(f"Chromium not found at {CHROMIUM}; install Debian's chromium package")
    return {"executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args() -> dict[str, Any]:
    return {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
            "device_scale_factor": 2, "locale": "en-GB"}


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    requests = _InFlight(app)
    server = make_server("127.0.0.1", 0, requests, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        # A page closed by the test may have left a request running (a service worker's pre-fetch, an autosave).
        # It finishes before the app and its database are torn down, so its connection goes back to the pool it
        # came from rather than being dropped open.
        requests.wait_idle(timeout=15)
        server.server_close()


class _InFlight:
    """WSGI middleware counting the requests still being answered."""

    def __init__(self, wsgi_app: Any) -> None:
        self.wsgi_app = wsgi_app
        self._count = 0
        self._idle = threading.Condition()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        with self._idle:
            self._count += 1
        try:
            body = self.wsgi_app(environ, start_response)
            # The dev server writes the body after this returns; the request ends when the body is closed.
            return _Closing(body, self._done)
        except BaseException:
            self._done()
            raise

    def _done(self) -> None:
        with self._idle:
            self._count -= 1
            self._idle.notify_all()

    def wait_idle(self, timeout: float) -> None:
        with self._idle:
            self._idle.wait_for(lambda: self._count == 0, timeout=timeout)


class _Closing:
    """A response body that reports its request done once, when it has been written out or closed: the dev
    server skips `close()` when the browser has already hung up (a service worker's update check, say)."""

    def __init__(self, body: Any, on_done: Any) -> None:
        self._body = body
        self._on_done = on_done
        self._pending = True

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self._body
        finally:
            self._done()

    def close(self) -> None:
        try:
            if hasattr(self._body, "close"):
                self._body.close()
        finally:
            self._done()

    def _done(self) -> None:
        if self._pending:
            self._pending = False
            self._on_done()


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE_JS.exists():
        _missing("axe-core is not installed; `make test` installs it with npm")
    return AXE_JS.read_text(encoding="utf-8")
