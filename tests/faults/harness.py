"""Real moving parts for the fault tests: gunicorn in a subprocess, a throwaway PostgreSQL server, a full disk,
and a small HTTP client that keeps cookies and does not follow redirects."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any, Callable
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, HTTPRedirectHandler, Request, build_opener

import pytest

from audit_app.config import PROJECT_ROOT

REQUIRE = os.environ.get("STORECHECK_REQUIRE_FAULTS") == "1"


def skip_or_fail(reason: str) -> None:
    if REQUIRE:
        pytest.fail(f"{reason} (STORECHECK_REQUIRE_FAULTS=1, so the fault tests must run)")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


# --- HTTP ------------------------------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    headers: Any
    text: str


class _NoRedirect(HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class Browser:
    """One person's cookies; every response is returned as it came, redirects included."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.opener = build_opener(HTTPCookieProcessor(CookieJar()), _NoRedirect())

    def request(self, method: str, path: str, form: dict[str, str] | None = None, timeout: float = 30) -> Reply:
        body = urlencode(form).encode() if form is not None else None
        req = Request(self.base_url + path, data=body, method=method)
        try:
            with self.opener.open(req, timeout=timeout) as response:
                return Reply(response.status, response.headers, response.read().decode())
        except HTTPError as error:
            with error:
                return Reply(error.code, error.headers, error.read().decode())

    def csrf_token(self, path: str) -> str:
        match = CSRF_RE.search(self.request("GET", path).text)
        assert match, f"no form on {path}"
        return match.group(1)

    def sign_in(self, email: str, password: str) -> None:
        token = self.csrf_token("/login")
        reply = self.request("POST", "/login", {"email": email, "password": password, "csrf_token": token})
        assert reply.status == 302, reply.text[:500]


TRANSPORT_ERRORS = (ConnectionError, URLError, TimeoutError, OSError)


# --- gunicorn --------------------------------------------------------------------------------------


class Gunicorn:
    """The app served by gunicorn, as in production, from the repository's gunicorn.conf.py."""

    def __init__(self, database_url: str, workdir: Path, workers: int = 1,
                 extra_env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        workdir.mkdir(parents=True, exist_ok=True)
        self.log_path = workdir / "gunicorn.log"
        env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "fault-test-secret",
               "INSTANCE_DIR": str(workdir / "instance"), "UPLOAD_DIR": str(workdir / "uploads"),
               "GUNICORN_WORKERS": str(workers), "PYTHONUNBUFFERED": "1"}
        env.pop("REDIS_URL", None)
        env.pop("RATELIMIT_STORAGE_URL", None)  # the default set-up: counters in the app's database
        env.update(extra_env or {})
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py",
             "--bind", f"127.0.0.1:{self.port}", "wsgi:app"],
            cwd=PROJECT_ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        self.wait_ready()

    def wait_ready(self, timeout: float = 30) -> None:
        def ready() -> bool:
            assert self.process.poll() is None, f"gunicorn exited:\n{self.log()}"
            try:
                return Browser(self.url).request("GET", "/healthz", timeout=2).status == 200
            except TRANSPORT_ERRORS:
                return False

        wait_for(ready, timeout, "gunicorn to answer /healthz")

    def workers(self) -> list[int]:
        pids: list[int] = []
        for task in Path(f"/proc/{self.process.pid}/task").iterdir():
            pids += [int(pid) for pid in (task / "children").read_text().split()]
        return pids

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


# --- a PostgreSQL server of the test's own --------------------------------------------------------


def _postgres_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class ThrowawayPostgres:
    """A PostgreSQL server in a temporary directory, which the test may stop and start at will.

    PostgreSQL refuses to run as root; as root the server runs as the `postgres` system user."""

    def __init__(self) -> None:
        bindir = _postgres_bin()
        if bindir is None:
            skip_or_fail("PostgreSQL's server programs (initdb, pg_ctl) are not installed")
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="storecheck-pg-"))
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            runuser = shutil.which("runuser")
            if runuser is None:
                skip_or_fail("running as root without runuser: cannot start PostgreSQL as another user")
            self.as_user = [runuser, "-u", "postgres", "--"]
            shutil.chown(self.root, "postgres")
        self.port = free_port()
        self.data = self.root / "data"
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8",
                  "--locale=C")
        self.start()

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, program: str, *args: str) -> None:
        command = [*self.as_user, str(self.bindir / program), *args]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=self.root)
        assert done.returncode == 0, f"{program} failed: {done.stdout}\n{done.stderr}"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.root / "server.log"), "-w",
                  "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def destroy(self) -> None:
        try:
            self.stop("immediate")
        except AssertionError:
            pass  # already stopped
        shutil.rmtree(self.root, ignore_errors=True)


# --- a full disk ----------------------------------------------------------------------------------


def mount_small_disk(path: Path, size_kb: int) -> None:
    """Mount a tmpfs of `size_kb` at `path` (needs root); skips the test when the machine forbids it."""
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or shutil.which("mount") is None:
        skip_or_fail("mounting a small file system as a full disk needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(path)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        skip_or_fail(f"cannot mount a small file system here: {done.stderr.strip()}")


def unmount(path: Path) -> None:
    subprocess.run(["umount", "-l", str(path)], capture_output=True)


def fill_disk(folder: Path) -> Path:
    """Write a file until the disk under `folder` refuses more; returns it (delete it to free the space)."""
    filler = folder / "filler.bin"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while True:
            os.write(fd, b"\0" * 1024)
    except OSError:
        pass
    finally:
        os.close(fd)
    return filler
