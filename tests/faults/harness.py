"""Real moving parts for the fault tests: gunicorn in a subprocess, a throwaway PostgreSQL server, a full disk.
The server and the HTTP client that keeps cookies and does not follow redirects are the shared harness
(`tools/harness.py`, which the load benchmark uses too)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tools import harness
from tools.harness import TRANSPORT_ERRORS, Browser, Reply, free_port, wait_for

__all__ = ["TRANSPORT_ERRORS", "Browser", "Gunicorn", "Reply", "ThrowawayPostgres", "fill_disk", "free_port",
           "mount_small_disk", "skip_or_fail", "unmount", "wait_for"]

REQUIRE = os.environ.get("STORECHECK_REQUIRE_FAULTS") == "1"


def skip_or_fail(reason: str) -> None:
    if REQUIRE:
        pytest.fail(f"{reason} (STORECHECK_REQUIRE_FAULTS=1, so the fault tests must run)")
    pytest.skip(reason)


# --- gunicorn --------------------------------------------------------------------------------------


class Gunicorn(harness.Gunicorn):
    """The app served by gunicorn, as in production, on `database_url`, with its files under `workdir`; ready
    when the constructor returns."""

    def __init__(self, database_url: str, workdir: Path, workers: int = 1,
                 extra_env: dict[str, str] | None = None) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "fault-test-secret",
               "INSTANCE_DIR": str(workdir / "instance"), "UPLOAD_DIR": str(workdir / "uploads"),
               "GUNICORN_WORKERS": str(workers), "PYTHONUNBUFFERED": "1"}
        env.pop("REDIS_URL", None)
        env.pop("RATELIMIT_STORAGE_URL", None)  # the default set-up: counters in the app's database
        env.update(extra_env or {})
        super().__init__("wsgi:app", env, workdir / "gunicorn.log")
        self.wait_ready()

    def workers(self) -> list[int]:
        return self.worker_pids()


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
