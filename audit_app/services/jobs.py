"""Background jobs: an area's PDF scorecards as a zip, with progress, for the person who asked.

With `REDIS_URL` set, a job is queued on RQ and a worker (`flask --app wsgi worker`, see audit_app/worker.py)
runs it; its state lives in the RQ job's meta. Without it the job runs in the web process during the request that starts it, and its state
is a small JSON file under `instance/jobs/`. Either way the finished zip is written to `UPLOAD_DIR/jobs/` (shared
between web servers and workers), the same `JobState` describes the job, and only the person who asked (or head
office) may see it, and only while they may see the area.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Mapping
from zoneinfo import ZoneInfo

from babel.dates import format_date as babel_format_date
from sqlalchemy.orm import Session

from audit_app.config import Config
from audit_app.models import User
from audit_app.services import pdf_jobs
from audit_app.services.scores import scope as score_scope
from audit_app.services.errors import N_, NotFoundError, PermissionDeniedError, ServiceError

QUEUE_NAME = "storecheck"
KIND_AREA_SCORECARDS = "area_scorecards"
# A batch that runs longer than this is stopped (RQ) or, in-process, taken for dead.
JOB_TIMEOUT = timedelta(hours=1)
# Finished and failed jobs, and their zips, are kept this long.
KEEP_FOR = timedelta(days=1)
JOB_ID = re.compile(r"[0-9a-f]{32}")
# What an RQ worker runs for a job (it builds the app, so it lives outside the services).
WORKER_ENTRY_POINT = "audit_app.worker.perform_queued_job"
# Why a job failed, as a code the job page words in the reader's language.
ERROR_FAILED = "failed"  # an unexpected error (logged by the worker)
ERROR_INTERRUPTED = "interrupted"  # the process running it went away
ERROR_AREA_MISSING = "area_missing"
ERROR_REFUSED = "refused"  # the person who asked may no longer see the area
ERROR_SIGNED_OUT = "signed_out"  # the person who asked can no longer sign in

STATUSES = ("queued", "running", "finished", "failed")

logger = logging.getLogger(__name__)


class JobError(ServiceError):
    pass


class JobQueueUnavailableError(JobError):
    """The task queue (Redis) cannot be reached."""


class JobNotReadyError(JobError):
    """The zip of a job that has not finished was asked for."""


@dataclass(frozen=True)
class JobState:
    """What the job page shows. `status` is one of STATUSES; `error` one of the ERROR_ codes when it failed."""

    id: str
    kind: str
    user_id: int
    area_id: int
    area_name: str
    status: str
    done: int
    total: int | None
    filename: str | None
    error: str | None
    created_at: datetime

    @property
    def is_over(self) -> bool:
        return self.status in ("finished", "failed")


@dataclass(frozen=True)
class ScorecardRequest:
    """What the batch needs from the request that asked for it: plain values, so a worker can run it later."""

    period_days: int
    period_start: datetime
    period_end: datetime
    checklist_id: int | None
    lang: str
    labels: Mapping[str, str]

    def as_record(self) -> dict[str, Any]:
        return {"period_days": self.period_days, "period_start": self.period_start.isoformat(),
                "period_end": self.period_end.isoformat(), "checklist_id": self.checklist_id,
                "lang": self.lang, "labels": dict(self.labels)}

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> ScorecardRequest:
        return cls(period_days=int(record["period_days"]),
                   period_start=datetime.fromisoformat(record["period_start"]),
                   period_end=datetime.fromisoformat(record["period_end"]),
                   checklist_id=record.get("checklist_id"), lang=str(record["lang"]), labels=dict(record["labels"]))


# --- where jobs are kept -----------------------------------------------------------------------------------


def zip_dir(config: Config) -> Path:
    return Path(config.upload_dir) / "jobs"


def zip_path(config: Config, job_id: str) -> Path:
    return zip_dir(config) / f"{job_id}.zip"


class JobQueue:
    """Keeps job records (plain JSON-able dicts) and runs jobs; see RedisJobQueue and InProcessJobQueue."""

    def __init__(self, config: Config) -> None:
        self.config = config

    def submit(self, session: Session, record: dict[str, Any], now: datetime) -> None:
        raise NotImplementedError

    def load(self, job_id: str) -> dict[str, Any] | None:
        raise NotImplementedError

    def update(self, job_id: str, **changes: Any) -> None:
        raise NotImplementedError


class InProcessJobQueue(JobQueue):
    """No task queue: the job runs at once in this process; its record is a JSON file in instance/jobs/."""

    def _folder(self) -> Path:
        return Path(self.config.instance_dir) / "jobs"

    def _path(self, job_id: str) -> Path:
        return self._folder() / f"{job_id}.json"

    def _write(self, job_id: str, record: dict[str, Any]) -> None:
        path = self._path(job_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        part = path.with_suffix(".part")
        part.write_text(json.dumps(record), encoding="utf-8")
        part.replace(path)  # readers never see half a record

    def submit(self, session: Session, record: dict[str, Any], now: datetime) -> None:
        _prune(self._folder(), now, "*.json")
        self._write(record["id"], record)
        try:
            run_area_scorecards(session, record["id"], queue=self, now=now)
        except Exception:  # recorded on the job, which the user sees; the request itself succeeds
            logger.exception("scorecard job %s failed", record["id"])

    def load(self, job_id: str) -> dict[str, Any] | None:
        try:
            return json.loads(self._path(job_id).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None

    def update(self, job_id: str, **changes: Any) -> None:
        record = self.load(job_id)
        if record is not None:
            self._write(job_id, {**record, **changes})


_connections: dict[str, Any] = {}


def redis_connection(url: str) -> Any:
    """One Redis client (and so one connection pool) per URL for the life of the process."""
    import redis

    if url not in _connections:
        _connections[url] = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=10)
    return _connections[url]


class RedisJobQueue(JobQueue):
    """RQ on Redis: the record is the RQ job's meta; RQ's own status wins when the worker died or timed out."""

    def __init__(self, config: Config) -> None:
        super().__init__(config)
        if not config.redis_url:
            raise JobQueueUnavailableError(N_("REDIS_URL is not set."))
        self.connection = redis_connection(config.redis_url)

    def submit(self, session: Session, record: dict[str, Any], now: datetime) -> None:
        from rq import Queue

        try:
            Queue(QUEUE_NAME, connection=self.connection).enqueue_call(
                WORKER_ENTRY_POINT, args=(record["id"],), job_id=record["id"],
                meta=record, timeout=int(JOB_TIMEOUT.total_seconds()), result_ttl=int(KEEP_FOR.total_seconds()),
                failure_ttl=int(KEEP_FOR.total_seconds()), description=f"scorecards of area {record['area_id']}")
        except redis_errors() as error:
            raise JobQueueUnavailableError(N_("The job queue cannot be reached just now.")) from error

    def _fetch(self, job_id: str) -> Any:
        from rq.exceptions import NoSuchJobError
        from rq.job import Job

        try:
            return Job.fetch(job_id, connection=self.connection)
        except NoSuchJobError:
            return None
        except redis_errors() as error:
            raise JobQueueUnavailableError(N_("The job queue cannot be reached just now.")) from error

    def load(self, job_id: str) -> dict[str, Any] | None:
        job = self._fetch(job_id)
        if job is None or "user_id" not in job.meta:
            return None
        record = dict(job.meta)
        rq_status = str(job.get_status(refresh=False) or "")
        if rq_status in ("failed", "stopped", "canceled") and record.get("status") != "failed":
            record.update(status="failed", error=ERROR_FAILED)
        return record

    def update(self, job_id: str, **changes: Any) -> None:
        job = self._fetch(job_id)
        if job is not None:
            job.meta.update(changes)
            job.save_meta()


def redis_errors() -> tuple[type[Exception], ...]:
    """What redis raises when it cannot be reached."""
    import redis

    return (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


def job_queue(config: Config) -> JobQueue:
    """RQ when the configuration names Redis, else in-process."""
    return RedisJobQueue(config) if config.redis_url else InProcessJobQueue(config)


def _prune(folder: Path, now: datetime, pattern: str) -> None:
    """Delete files of `folder` matching `pattern` last written more than KEEP_FOR before `now`."""
    if not folder.is_dir():
        return
    cutoff = (now - KEEP_FOR).timestamp()
    for path in folder.glob(pattern):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except FileNotFoundError:
            pass  # another process pruned it first


# --- use cases ----------------------------------------------------------------------------------------------


def start_area_scorecards(session: Session, user: User, area_id: int, *, request: ScorecardRequest,
                          queue: JobQueue, now: datetime) -> JobState:
    """Start a job making the zip of an area's PDF scorecards and return its state (in-process: already over).

    Raises NotFoundError, PermissionDeniedError (the area), JobQueueUnavailableError.
    """
    scope = score_scope.get_area_scope(session, user, area_id)
    session.rollback()  # nothing written; end the read transaction before a batch that may run now
    record = {"id": uuid.uuid4().hex, "kind": KIND_AREA_SCORECARDS, "user_id": user.id, "area_id": scope.id,
              "area_name": scope.name, "status": "queued", "done": 0, "total": None, "filename": None,
              "error": None, "created_at": now.isoformat(), "started_at": None, "params": request.as_record()}
    queue.submit(session, record, now)
    return _state(queue.load(record["id"]) or record, now)


def get_job(session: Session, user: User, job_id: str, *, queue: JobQueue, now: datetime) -> JobState:
    """A job the user may see: theirs (head office: anyone's), for an area they may still see.

    Raises NotFoundError (no such job, or it expired), PermissionDeniedError, JobQueueUnavailableError.
    """
    record = queue.load(job_id) if JOB_ID.fullmatch(job_id) else None
    if record is None:
        raise NotFoundError(N_("No such job."))
    if user.role != "head_office" and record["user_id"] != user.id:
        raise PermissionDeniedError(N_("This job is not yours."))
    score_scope.get_area_scope(session, user, int(record["area_id"]))
    return _state(record, now)


def get_job_zip(session: Session, user: User, job_id: str, *, queue: JobQueue, now: datetime) -> tuple[Path, str]:
    """The finished zip of a job the user may see, as (path, download file name).

    Raises NotFoundError (also when the zip has been cleared away), PermissionDeniedError, JobNotReadyError,
    JobQueueUnavailableError.
    """
    state = get_job(session, user, job_id, queue=queue, now=now)
    if state.status != "finished" or state.filename is None:
        raise JobNotReadyError(N_("The scorecards are not ready."))
    path = zip_path(queue.config, state.id)
    if not path.is_file():
        raise NotFoundError(N_("The zip is no longer kept. Start the download again."))
    return path, state.filename


def run_area_scorecards(session: Session, job_id: str, *, queue: JobQueue, now: datetime) -> JobState:
    """Run a started job: write the area's zip to UPLOAD_DIR/jobs/<id>.zip, recording progress as it goes.

    Authorisation is checked again as the person who asked, now. A refusal or a failure is recorded on the job
    as an ERROR_ code; an unexpected error is recorded and then raised again (so a worker logs it).
    Raises NotFoundError when the job does not exist.
    """
    record = queue.load(job_id)
    if record is None:
        raise NotFoundError(N_("No such job."))
    config = queue.config
    queue.update(job_id, status="running", started_at=now.isoformat())
    user = session.get(User, int(record["user_id"]))
    if user is None or not user.is_active:
        queue.update(job_id, status="failed", error=ERROR_SIGNED_OUT)
        return _state(queue.load(job_id) or record, now)
    request = ScorecardRequest.from_record(record["params"])
    target = zip_path(config, job_id)
    part = target.with_suffix(".part")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _prune(target.parent, now, "*.zip")
        with part.open("wb") as out:
            batch = pdf_jobs.area_scorecards(
                session, user, int(record["area_id"]), into=out,
                period=score_scope.Period(request.period_days, request.period_start, request.period_end),
                checklist_id=request.checklist_id, lang=request.lang, labels=request.labels,
                branding=pdf_jobs.branding_from(config.brand_name, config.brand_accent, config.brand_logo),
                upload_dir=Path(config.upload_dir), format_date=date_formatter(request.lang, config.default_timezone),
                now=now, workers=config.pdf_workers or None,
                on_progress=lambda done, total: queue.update(job_id, done=done, total=total))
        part.replace(target)
    except (NotFoundError, PermissionDeniedError) as error:
        _discard(part)
        queue.update(job_id, status="failed",
                     error=ERROR_AREA_MISSING if isinstance(error, NotFoundError) else ERROR_REFUSED)
    except Exception:
        _discard(part)
        queue.update(job_id, status="failed", error=ERROR_FAILED)
        raise
    else:
        queue.update(job_id, status="finished", done=batch.stores, total=batch.stores, filename=batch.filename)
    finally:
        session.rollback()
    return _state(queue.load(job_id) or record, now)


def _discard(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


def _state(record: Mapping[str, Any], now: datetime) -> JobState:
    status, error = str(record["status"]), record.get("error")
    started = record.get("started_at") or record["created_at"]
    if status in ("queued", "running") and now - datetime.fromisoformat(started) > JOB_TIMEOUT:
        status, error = "failed", ERROR_INTERRUPTED
    return JobState(id=str(record["id"]), kind=str(record["kind"]), user_id=int(record["user_id"]),
                    area_id=int(record["area_id"]), area_name=str(record["area_name"]), status=status,
                    done=int(record.get("done") or 0), total=record.get("total"), filename=record.get("filename"),
                    error=error, created_at=datetime.fromisoformat(record["created_at"]))


def date_formatter(lang: str, timezone_name: str) -> pdf_jobs.DateFormatter:
    """Dates as the web pages show them (babel's medium format in `lang`; times in the configured zone)."""
    zone = ZoneInfo(timezone_name)

    def format_value(value: date | datetime) -> str:
        if isinstance(value, datetime):
            value = (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).astimezone(zone).date()
        return babel_format_date(value, format="medium", locale=lang)

    return format_value
