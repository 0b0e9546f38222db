"""A batch of PDF scorecards: every store of an area as a zip, rendered on all cores.

The figures come from `services.scores.scorecard` (the area's gathered once); `reports` renders them. The batch is
a plain function call: `services.jobs` runs it on a task queue worker, or in-process.
"""

from __future__ import annotations

import base64
import gc
import importlib
import multiprocessing
import os
import zipfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from audit_app.models import Store, User
from audit_app.services.scores.scope import Period, get_area_scope
from audit_app.services.scores.scorecard import CHART_FORMAT, iter_area_contexts
from reports.context import Branding, ScorecardContext
from reports.pdf import prepare_batch_worker, render_scorecard
from reports.wording import DateFormatter, area_zip_filename, scorecard_filename

# Each batch worker renders this many PDFs, then is replaced: a bound on memory besides the collection after each
# render (WeasyPrint's memory otherwise grows over many renders). Replacing one costs a fork, not an import.
MAX_TASKS_PER_WORKER = 100
# What a batch worker needs, imported once by the fork server that every worker is forked from.
WORKER_PRELOAD = ("reports.pdf", "reports.charts", "weasyprint", "matplotlib.backends.backend_agg", "PIL.Image")

__all__ = ["CHART_FORMAT", "DateFormatter", "MAX_TASKS_PER_WORKER", "ZipBatch", "area_scorecards", "branding_from",
           "iter_rendered", "preload_batch_workers", "render_many"]


def branding_from(name: str, accent: str, logo_path: Path | None) -> Branding:
    """Branding for the PDF header: the logo file (PNG, JPEG or SVG) read once into a data URI."""
    logo = None
    if logo_path is not None and logo_path.is_file():
        mime = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
                ".svg": "image/svg+xml"}.get(logo_path.suffix.lower())
        if mime is not None:
            logo = f"data:{mime};base64," + base64.b64encode(logo_path.read_bytes()).decode("ascii")
    return Branding(name=name, accent=accent, logo=logo)


def _render(context: ScorecardContext) -> bytes:
    return render_scorecard(context, chart_format=CHART_FORMAT, collect=True)


_fork_from_here = False


def preload_batch_workers() -> None:
    """Import what batch workers need into this process, and fork them from it from now on: for a process that
    runs batches in single-threaded children of its own (the queue worker, whose jobs each run in a fork), so
    that neither a job nor its workers import anything."""
    global _fork_from_here
    for name in WORKER_PRELOAD:
        importlib.import_module(name)
    _fork_from_here = "fork" in multiprocessing.get_all_start_methods()


def _worker_context() -> multiprocessing.context.BaseContext:
    """Where batch workers come from: a fork server that imported WORKER_PRELOAD once (started on first use and
    kept for the life of this process), so a worker starts in milliseconds instead of importing for seconds.
    The server is a fresh single-threaded process, so forking from it is safe even when the caller (a web server)
    runs threads; where there is no fork server (Windows, macOS' default), workers are spawned. After
    `preload_batch_workers`, workers are forked from this process itself."""
    if _fork_from_here:
        return multiprocessing.get_context("fork")
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    # "__main__" as multiprocessing's own default: a worker imports the main module of the process that asked
    # unless the server did so once (for a script that imports the app, that import is the seconds saved).
    context.set_forkserver_preload(["__main__", *WORKER_PRELOAD])
    return context


def _ready() -> None:
    """A task that does nothing: submitted once a worker when a pool opens, so that the workers start (and make
    themselves ready) while this process is still reading the first stores' figures."""


def iter_rendered(contexts: Iterable[ScorecardContext], workers: int | None = None, *,
                  total: int | None = None) -> Iterator[bytes]:
    """Render scorecards on up to `workers` processes (default: every core), yielding each PDF in order.

    `contexts` may be a lazy iterable (give `total`, the number of them, when it has no length): each context is
    handed to a worker as soon as it is made, so the workers render while the next ones are read.
    Each worker is made ready once (`prepare_batch_worker`: WeasyPrint, Pango, the fonts and matplotlib
    initialised, what it imported frozen) and then renders many scorecards, collecting garbage after each. A pool
    renders at most MAX_TASKS_PER_WORKER scorecards a worker before it is replaced by a fresh one. (Python 3.11's
    own `max_tasks_per_child` can hang when it replaces workers, so pools are recycled here instead.) With one
    worker the scorecards are rendered in this process (what it holds frozen meanwhile, as in a worker).
    """
    if total is None:
        contexts = list(contexts)
        total = len(contexts)
    workers = min(workers or os.cpu_count() or 1, total)
    if workers <= 1:
        # What exists before the batch is set aside for its length, so each render's collection stays cheap.
        gc.collect()
        gc.freeze()
        try:
            for context in contexts:
                yield _render(context)
        finally:
            gc.unfreeze()
        return
    chunk = workers * MAX_TASKS_PER_WORKER
    mp_context = _worker_context()
    # The workers import reports only (not the app): its functions pickle by name.
    render = partial(render_scorecard, chart_format=CHART_FORMAT, collect=True)
    pending: deque[Future[bytes]] = deque()
    pool: ProcessPoolExecutor | None = None
    given = 0
    try:
        for context in contexts:
            if pool is None or given == chunk:
                # A fresh pool for the next chunk once the old one's scorecards are out (in order).
                while pending:
                    yield pending.popleft().result()
                if pool is not None:
                    pool.shutdown()
                pool = ProcessPoolExecutor(max_workers=workers, mp_context=mp_context,
                                           initializer=prepare_batch_worker)
                for _ in range(workers):
                    pool.submit(_ready)
                given = 0
            pending.append(pool.submit(render, context))
            given += 1
            # Hand back what is done already, so the caller writes while the rest renders.
            while pending and pending[0].done():
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        if pool is not None:
            for future in pending:
                future.cancel()
            pool.shutdown()


def render_many(contexts: Sequence[ScorecardContext], workers: int | None = None) -> list[bytes]:
    """Every scorecard rendered, in order (see `iter_rendered`)."""
    return list(iter_rendered(contexts, workers))


@dataclass(frozen=True)
class ZipBatch:
    filename: str
    stores: int


def area_scorecards(
    session: Session, user: User, area_id: int, *, into: BinaryIO, period: Period,
    checklist_id: int | None, lang: str, labels: Mapping[str, str], branding: Branding, upload_dir: Path,
    format_date: DateFormatter, now: datetime, workers: int | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> ZipBatch:
    """Write a zip with one scorecard PDF per active store of an area to `into` (a binary file).

    `on_progress(done, total)` is called once the stores are known (done 0) and after each PDF is written.
    The zip is written PDF by PDF, so a large area never sits in memory whole.
    Raises NotFoundError, PermissionDeniedError.
    """
    scope = get_area_scope(session, user, area_id)
    stores = list(session.execute(select(Store.id, Store.code, Store.name).where(
        Store.area_id == scope.id, Store.is_active.is_(True)).order_by(Store.code)))
    total = len(stores)
    if on_progress is not None:
        on_progress(0, total)
    # Read store by store while the workers render; the read transaction ends once the last store is read.
    contexts = iter_area_contexts(session, user, scope.id, [sid for sid, _, _ in stores], period=period,
                                  checklist_id=checklist_id, lang=lang, labels=labels, branding=branding,
                                  upload_dir=upload_dir, format_date=format_date, now=now)
    try:
        with zipfile.ZipFile(into, "w", zipfile.ZIP_DEFLATED) as archive:
            rendered = iter_rendered(contexts, workers, total=total)
            for done, ((_, code, name), pdf) in enumerate(zip(stores, rendered), start=1):
                archive.writestr(scorecard_filename(code, name), pdf)
                if on_progress is not None:
                    on_progress(done, total)
    finally:
        session.rollback()
    return ZipBatch(area_zip_filename(scope.name, period.end), total)
