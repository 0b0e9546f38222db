"""The real app over real HTTP, for the benchmarks (`bench/load.py`) and the fault tests (`tests/faults/`):
gunicorn in a subprocess with the repository's gunicorn.conf.py, and a small client that keeps cookies and
never follows redirects. Standard library only, so it runs wherever the app does."""

from __future__ import annotations

import gzip
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, HTTPRedirectHandler, Request, build_opener

ROOT = Path(__file__).resolve().parent.parent

# What a request may fail with before any answer: refused, reset, timed out.
TRANSPORT_ERRORS = (ConnectionError, URLError, TimeoutError, OSError)
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def free_port() -> int:
    """A TCP port on the loopback address that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll `condition` until it holds; AssertionError naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


# --- HTTP ------------------------------------------------------------------------------------------


def _text(headers: Any, body: bytes) -> str:
    """The body as text, un-gzipped when the server compressed it (a caller that sends `Accept-Encoding: gzip`)."""
    if (headers.get("Content-Encoding") or "").lower() == "gzip":
        body = gzip.decompress(body)
    return body.decode("utf-8", "replace")


@dataclass
class Reply:
    status: int
    headers: Any
    text: str


class _NoRedirect(HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


Form = Mapping[str, str] | Sequence[tuple[str, str]]


class Browser:
    """One person's cookies (and any headers of theirs, such as a client address); every response is returned as
    it came, redirects included."""

    def __init__(self, base_url: str, headers: Mapping[str, str] | None = None) -> None:
        self.base_url = base_url
        self.headers = dict(headers or {})
        self.opener = build_opener(HTTPCookieProcessor(CookieJar()), _NoRedirect())

    def request(self, method: str, path: str, form: Form | None = None, timeout: float = 30, *,
                body: bytes | None = None, content_type: str | None = None,
                headers: Mapping[str, str] | None = None) -> Reply:
        """Send one request: a form (urlencoded), or a ready `body` of `content_type`. Raises one of
        TRANSPORT_ERRORS when no answer came."""
        if form is not None:
            body, content_type = urlencode(form).encode(), "application/x-www-form-urlencoded"
        sent = {**self.headers, **(headers or {})}
        if content_type and body is not None:
            sent["Content-Type"] = content_type
        req = Request(self.base_url + path, data=body, method=method, headers=sent)
        try:
            with self.opener.open(req, timeout=timeout) as response:
                return Reply(response.status, response.headers, _text(response.headers, response.read()))
        except HTTPError as error:
            with error:
                return Reply(error.code, error.headers, _text(error.headers, error.read()))

    def csrf_token(self, path: str) -> str:
        match = CSRF_RE.search(self.request("GET", path).text)
        assert match, f"no form on {path}"
        return match.group(1)

    def sign_in(self, email: str, password: str) -> None:
        token = self.csrf_token("/login")
        reply = self.request("POST", "/login", {"email": email, "password": password, "csrf_token": token})
        assert reply.status == 302, reply.text[:500]


# --- gunicorn --------------------------------------------------------------------------------------


class Gunicorn:
    """`app` (a WSGI target like `wsgi:app`) served by gunicorn from the repository's gunicorn.conf.py, with the
    environment `env` exactly, its output in `log_path`. `workers` overrides the configured number;
    `own_session` puts gunicorn in a process session of its own, so a Ctrl+C reaches only the caller."""

    def __init__(self, app: str, env: Mapping[str, str], log_path: Path, *, workers: int | None = None,
                 own_session: bool = False) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        command = [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py",
                   "--bind", f"127.0.0.1:{self.port}", app]
        if workers:
            command[-1:-1] = ["--workers", str(workers)]
        self._log = open(log_path, "wb")
        self.process = subprocess.Popen(command, cwd=ROOT, env=dict(env), stdout=self._log,
                                        stderr=subprocess.STDOUT, start_new_session=own_session)

    def wait_ready(self, path: str = "/healthz", timeout: float = 30) -> None:
        """Wait until `path` answers 200; AssertionError (with the log) when gunicorn exits or is late."""
        def ready() -> bool:
            assert self.process.poll() is None, f"gunicorn exited with {self.process.returncode}:\n{self.log()}"
            try:
                return Browser(self.url).request("GET", path, timeout=2).status == 200
            except TRANSPORT_ERRORS:
                return False

        wait_for(ready, timeout, f"gunicorn to answer {path}")

    def worker_pids(self) -> list[int]:
        """The worker processes' ids, sorted."""
        pids: list[int] = []
        for children in Path(f"/proc/{self.process.pid}/task").glob("*/children"):
            pids += [int(pid) for pid in children.read_text().split()]
        return sorted(pids)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log().splitlines()[-lines:])

    def stop(self, timeout: float = 15) -> None:
        """SIGTERM (a graceful shutdown), then SIGKILL after `timeout` seconds."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()

