"""The area's PDF scorecards as a background job: queued on RQ (real Redis, database 15) or run in-process,
a job page with progress, the zip for the person who asked, and plain messages when a job fails."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any, Iterator

import pytest
import redis
from flask import Flask
from flask.testing import FlaskCliRunner
from pypdf import PdfReader
from rq import Queue, SimpleWorker

from audit_app.config import PROJECT_ROOT
from audit_app.extensions import db
from audit_app.models import area_managers
from audit_app.services import jobs
from tests import workers
from tests.factories import ScorecardWorld, client_for, job_status, running_app, start_job

# TEST_REDIS_URL lets two runs on one machine keep out of each other's way; the database is flushed.
REDIS_URL = workers.redis_url()


@pytest.fixture
def redis_connection() -> Iterator[redis.Redis]:
    """Database 15 of the local Redis, emptied before and after; skips when Redis is not there."""
    connection = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        connection.ping()
    except redis.exceptions.ConnectionError:
        connection.close()
        reason = "Redis is not reachable at 127.0.0.1:6379 (start it, or these tests of the RQ queue are skipped)"
        if os.environ.get("STORECHECK_REQUIRE_REDIS") == "1":
            pytest.fail(reason + "; STORECHECK_REQUIRE_REDIS=1 makes this a failure")
        pytest.skip(reason)
    connection.flushdb()
    yield connection
    connection.flushdb()
    connection.close()


@pytest.fixture
def app(request: pytest.FixtureRequest, database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The app; parametrised with "redis" (see `with_redis`), configured with REDIS_URL. One PDF process keeps
    the tests quick."""
    overrides: dict[str, Any] = {"pdf_workers": 1}
    if getattr(request, "param", None) == "redis":
        request.getfixturevalue("redis_connection")
        overrides["redis_url"] = REDIS_URL
    yield from running_app(database_url, tmp_path, **overrides)


with_redis = pytest.mark.parametrize("app", ["redis"], indirect=True)


def run_queued_jobs() -> None:
    """An RQ worker in this process, until the queue is empty (it leaves the signal handlers as it found them)."""
    connection = redis.Redis.from_url(REDIS_URL)
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        SimpleWorker([Queue(jobs.QUEUE_NAME, connection=connection)], connection=connection).work(burst=True)
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)
        connection.close()


def assert_zip_has_one_pdf_per_store(data: bytes, store_names: set[str]) -> None:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        assert len(names) == len(store_names) and all(n.endswith(".pdf") for n in names)
        found = set()
        for name in names:
            text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(archive.read(name))).pages)
            found |= {store for store in store_names if store in text}
    assert found == store_names


@with_redis
def test_with_redis_a_worker_makes_the_zip_and_the_job_page_offers_it(app: Flask, sw: ScorecardWorld) -> None:
    client = client_for(app, sw.world.manager.email)
    job_id = start_job(client, sw.world.area.id)

    waiting = client.get(f"/manager/jobs/{job_id}")
    page = waiting.get_data(as_text=True)
    assert waiting.status_code == 200 and job_status(page) == "queued"
    assert '<meta http-equiv="refresh" content="3">' in page
    assert not (sw.world.upload_dir / "jobs" / f"{job_id}.zip").exists()

    run_queued_jobs()

    done = client.get(f"/manager/jobs/{job_id}").get_data(as_text=True)
    assert job_status(done) == "finished" and 'http-equiv="refresh"' not in done
    assert "Ready: 2 scorecards" in done and f"/manager/jobs/{job_id}/scorecards.zip" in done
    download = client.get(f"/manager/jobs/{job_id}/scorecards.zip")
    assert download.status_code == 200 and download.mimetype == "application/zip"
    assert download.headers["Content-Disposition"].startswith("attachment; filename=scorecards-tokyo-central-")
    assert_zip_has_one_pdf_per_store(download.get_data(), {"Ginza", "渋谷スクランブル店"})
    download.close()
    assert (sw.world.upload_dir / "jobs" / f"{job_id}.zip").is_file()
    assert not (Path(app.instance_path) / "jobs").exists()  # the state lives in Redis


@with_redis
def test_the_job_page_shows_progress_and_refreshes_itself_while_the_job_runs(app: Flask, sw: ScorecardWorld) -> None:
    client = client_for(app, sw.world.manager.email)
    job_id = start_job(client, sw.world.area.id)
    # What the worker records after the first of three PDFs.
    jobs.job_queue(app.config["STORECHECK_CONFIG"]).update(job_id, status="running", done=1, total=3)
    page = client.get(f"/manager/jobs/{job_id}").get_data(as_text=True)
    assert job_status(page) == "running" and "1 of 3 stores done" in page
    assert '<progress id="job-progress" max="3" value="1">' in page
    assert '<meta http-equiv="refresh" content="3">' in page
    assert client.get(f"/manager/jobs/{job_id}/scorecards.zip").status_code == 302  # not ready: back to the page


def test_without_redis_the_job_runs_in_process_and_the_same_page_offers_the_zip(
        app: Flask, sw: ScorecardWorld) -> None:
    client = client_for(app, sw.world.manager.email)
    job_id = start_job(client, sw.world.area.id)
    page = client.get(f"/manager/jobs/{job_id}").get_data(as_text=True)
    assert job_status(page) == "finished" and "Ready: 2 scorecards" in page
    download = client.get(f"/manager/jobs/{job_id}/scorecards.zip")
    assert download.status_code == 200
    assert_zip_has_one_pdf_per_store(download.get_data(), {"Ginza", "渋谷スクランブル店"})
    download.close()
    assert (Path(app.instance_path) / "jobs" / f"{job_id}.json").is_file()
    assert (sw.world.upload_dir / "jobs" / f"{job_id}.zip").is_file()


def test_the_dashboard_button_starts_a_job_with_a_form_that_carries_the_filters(
        app: Flask, sw: ScorecardWorld) -> None:
    page = client_for(app, sw.world.manager.email).get(f"/manager/areas/{sw.world.area.id}?days=30").get_data(
        as_text=True)
    action = f"/manager/areas/{sw.world.area.id}/scorecard-jobs"
    form = re.search(rf'<form class="inline-form" method="post" action="{action}">(.*?)</form>', page, re.S)
    assert form, page
    assert 'name="days" value="30"' in form.group(1) and 'name="csrf_token"' in form.group(1)
    assert "Download PDF scorecards (zip)" in form.group(1)


@with_redis
def test_only_the_person_who_asked_and_head_office_see_a_job_and_its_zip(app: Flask, sw: ScorecardWorld) -> None:
    job_id = start_job(client_for(app, sw.world.manager.email), sw.world.area.id)
    run_queued_jobs()
    page, download = f"/manager/jobs/{job_id}", f"/manager/jobs/{job_id}/scorecards.zip"
    other = client_for(app, sw.world.other_manager.email)
    assert other.get(page).status_code == 403
    assert other.get(download).status_code == 403
    shopper = client_for(app, sw.world.shopper.email)
    assert shopper.get(page).status_code == 403 and shopper.get(download).status_code == 403
    head = client_for(app, sw.world.head.email)
    assert head.get(page).status_code == 200
    response = head.get(download)
    assert response.status_code == 200
    response.close()
    # Guessing: a well-formed id that is no job, and ids that try to leave the jobs folder.
    for guess in ("0123456789abcdef0123456789abcdef", "secret_key", "..%2Fsecret_key", "%2E%2E"):
        assert other.get(f"/manager/jobs/{guess}").status_code == 404, guess
        assert other.get(f"/manager/jobs/{guess}/scorecards.zip").status_code == 404, guess
    assert app.test_client().get(page).status_code == 302  # signed out: to the sign-in page


@with_redis
def test_a_job_runs_as_the_person_who_asked_as_they_are_when_it_runs(app: Flask, sw: ScorecardWorld) -> None:
    manager = client_for(app, sw.world.manager.email)
    job_id = start_job(manager, sw.world.area.id)
    with db.engine.begin() as conn:  # head office takes the area away before a worker gets to the job
        conn.execute(area_managers.delete().where(area_managers.c.user_id == sw.world.manager.id))
    run_queued_jobs()
    assert manager.get(f"/manager/jobs/{job_id}").status_code == 403
    page = client_for(app, sw.world.head.email).get(f"/manager/jobs/{job_id}").get_data(as_text=True)
    assert job_status(page) == "failed"
    assert "You can no longer see this area, so its scorecards were not prepared." in page
    assert not list((sw.world.upload_dir / "jobs").glob("*"))


@with_redis
def test_a_failing_job_shows_a_plain_message_on_its_page(app: Flask, sw: ScorecardWorld) -> None:
    sw.world.upload_dir.mkdir(parents=True, exist_ok=True)
    (sw.world.upload_dir / "jobs").write_text("not a folder")  # the zip cannot be written
    client = client_for(app, sw.world.manager.email)
    job_id = start_job(client, sw.world.area.id)
    run_queued_jobs()
    page = client.get(f"/manager/jobs/{job_id}").get_data(as_text=True)
    assert job_status(page) == "failed" and 'http-equiv="refresh"' not in page
    assert "The scorecards could not be prepared. Try again; if it fails again, tell head office." in page
    assert "Traceback" not in page and "NotADirectory" not in page
    assert client.get(f"/manager/jobs/{job_id}/scorecards.zip").status_code == 302


def test_a_failing_job_in_process_shows_the_same_message(app: Flask, sw: ScorecardWorld) -> None:
    sw.world.upload_dir.mkdir(parents=True, exist_ok=True)
    (sw.world.upload_dir / "jobs").write_text("not a folder")
    client = client_for(app, sw.world.manager.email)
    job_id = start_job(client, sw.world.area.id)
    page = client.get(f"/manager/jobs/{job_id}").get_data(as_text=True)
    assert job_status(page) == "failed"
    assert "The scorecards could not be prepared. Try again; if it fails again, tell head office." in page


def test_a_job_whose_process_went_away_is_shown_as_stopped(app: Flask, sw: ScorecardWorld) -> None:
    client = client_for(app, sw.world.manager.email)
    job_id = start_job(client, sw.world.area.id)
    queue = jobs.job_queue(app.config["STORECHECK_CONFIG"])
    queue.update(job_id, status="running")  # as left by a web process that died mid-batch
    state = jobs.get_job(db.session, sw.world.manager, job_id, queue=queue,
                         now=sw.now + jobs.JOB_TIMEOUT + timedelta(minutes=5))
    assert state.status == "failed" and state.error == jobs.ERROR_INTERRUPTED


def test_the_worker_command_needs_redis(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["worker", "--burst"])
    assert result.exit_code != 0 and "Set REDIS_URL" in result.output


@with_redis
@pytest.mark.parametrize("pdf_workers", ["1", "2"])
def test_the_worker_command_runs_queued_jobs(app: Flask, sw: ScorecardWorld, database_url: str,
                                             tmp_path: Path, pdf_workers: str) -> None:
    client = client_for(app, sw.world.manager.email)
    job_id = start_job(client, sw.world.area.id)
    config = app.config["STORECHECK_CONFIG"]
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": REDIS_URL, "SECRET_KEY": config.secret_key,
           "INSTANCE_DIR": str(config.instance_dir), "UPLOAD_DIR": str(config.upload_dir), "PDF_WORKERS": pdf_workers,
           "MPLCONFIGDIR": str(tmp_path / "mpl")}
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--burst"], cwd=PROJECT_ROOT,
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Working the 'storecheck' queue." in result.stdout
    download = client.get(f"/manager/jobs/{job_id}/scorecards.zip")
    assert download.status_code == 200
    assert_zip_has_one_pdf_per_store(download.get_data(), {"Ginza", "渋谷スクランブル店"})
    download.close()
