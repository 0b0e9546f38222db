"""PDF scorecards: one store's, and a batch for every store of an area as a zip rendered on all cores.

The app gathers the figures (the same readers as the web pages) into a plain `ScorecardContext`; `reports`
renders it. The batch is a plain function call: `services.jobs` runs it on a task queue worker, or in-process.
"""

from __future__ import annotations

import base64
import multiprocessing
import os
import re
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import partial
from datetime import date, datetime
from fractions import Fraction
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from audit_app.models import Store, User
from audit_app.services import dashboards
from audit_app.services.photos import photo_paths
from audit_app.services.zones import local_time
from reports.context import Branding, Fact, PhotoRef, ScorecardContext, for_store, percent_text, signed_text
from reports.pdf import render_scorecard

# Each batch worker renders this many PDFs, then is replaced: WeasyPrint's memory grows over many renders.
MAX_TASKS_PER_WORKER = 25
CHART_FORMAT = "png"  # measured against SVG by bench/reports.py: faster in WeasyPrint and sharp at 150 dpi

DateFormatter = Callable[[date | datetime], str]


@dataclass(frozen=True)
class PdfFile:
    filename: str
    data: bytes


def branding_from(name: str, accent: str, logo_path: Path | None) -> Branding:
    """Branding for the PDF header: the logo file (PNG, JPEG or SVG) read once into a data URI."""
    logo = None
    if logo_path is not None and logo_path.is_file():
        mime = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
                ".svg": "image/svg+xml"}.get(logo_path.suffix.lower())
        if mime is not None:
            logo = f"data:{mime};base64," + base64.b64encode(logo_path.read_bytes()).decode("ascii")
    return Branding(name=name, accent=accent, logo=logo)


def kpi_facts(kpis: Sequence[dashboards.Kpi], labels: Mapping[str, str]) -> tuple[Fact, ...]:
    """KPIs worded for display: NPS in points, CSAT and shares in %, waits in seconds, effort as a mean."""
    facts = []
    for kpi in kpis:
        value = kpi.value
        if value is None:
            shown = "—"
        elif kpi.key == "nps":
            shown = signed_text(value)
        elif kpi.key in ("csat", "greeting_within_target", "fcr"):
            shown = f"{percent_text(value)}%"
        elif kpi.key == "ces":
            shown = percent_text(value)
        else:
            shown = labels.get("seconds", "{n} s").format(n=percent_text(value))
        note = labels.get("kpi_responses", "{n} answers").format(n=kpi.responses)
        if kpi.key == "greeting_within_target" and kpi.target is not None:
            note = labels.get("kpi_target", "target {n} s").format(n=percent_text(kpi.target)) + " · " + note
        facts.append(Fact(labels.get(f"kpi.{kpi.key}", kpi.key), shown, note))
    return tuple(facts)


def _thumb_uri(upload_dir: Path, sha256: str) -> str | None:
    _, thumb = photo_paths(upload_dir, sha256)
    if not thumb.is_file():
        return None
    return "data:image/jpeg;base64," + base64.b64encode(thumb.read_bytes()).decode("ascii")


def scorecard_context(
    session: Session, user: User, store_id: int, *, period: dashboards.Period, checklist_id: int | None, lang: str,
    labels: Mapping[str, str], branding: Branding, upload_dir: Path, format_date: DateFormatter, now: datetime,
) -> ScorecardContext:
    """Everything one store's scorecard shows, from the same readers as the store page. Raises NotFoundError,
    PermissionDeniedError."""
    page = dashboards.get_store_page(session, user, store_id, period=period, checklist_id=checklist_id, lang=lang)
    line = page.line
    chosen = page.dashboard.checklist
    newest = dashboards.latest_version_id(session, chosen.id) if chosen is not None else None
    # Checklist and grade in the reader's language, from the checklist's own texts (checklists.title is English).
    title = dashboards.definition_for(session, newest).title.get(lang) if newest is not None else (
        chosen.title if chosen is not None else "")
    grade = line.latest_grade
    card = None
    version_text = "—"
    if line.latest_visit_id is not None:
        visit_page = dashboards.get_visit_page(
            session, user, line.latest_visit_id, lang=lang, labels=labels,
            photo_ref=lambda p: PhotoRef(thumb=_thumb_uri(upload_dir, p.sha256) or "", full=None,
                                         alt=labels.get("photos", "Photo")))
        card = visit_page.card
        if card is not None:
            grade = card.grade
            # Photos whose files are missing are left out rather than shown broken; the store never sees
            # head-office-only questions, nor those an earlier answer hid.
            card = for_store(_without_missing_photos(card))
        version_text = f"{title} v{visit_page.version_number}"
        if visit_page.version_published_at is not None:
            version_text += f" ({format_date(visit_page.version_published_at)})"
    rank = (labels.get("rank_value", "{rank} of {count}").format(rank=line.rank, count=line.rank_of)
            if line.rank is not None else "—")
    sections = tuple((s.title, _float(s.store), _float(s.area)) for s in page.sections)
    trend = tuple((local_time(p.at, page.store.timezone).date(), float(p.percent)) for p in page.trend)
    area_trend = tuple((d, float(v)) for d, v in page.area_trend)
    store = page.store
    period_text = f"{format_date(period.start)} – {format_date(period.end)}"
    return ScorecardContext(
        lang=lang, labels=dict(labels), branding=branding,
        title=f"{store.name} · {title}",
        store_name=store.name, store_code=store.code, area_name=store.area_name, region_name=store.region_name,
        period_text=period_text, generated_text=format_date(now),
        checklist_title=title, version_text=version_text,
        latest_date_text=format_date(local_time(line.latest_at, store.timezone).date()) if line.latest_at else "—",
        overall_text=percent_text(line.latest_percent), grade=grade,
        change_text=signed_text(line.change_visit),
        area_average_text=(f"{percent_text(page.area_mean)}%" if page.area_mean is not None else "—"),
        rank_text=rank, visits_in_period=line.visits, sections=sections, trend=trend, area_trend=area_trend,
        kpis=kpi_facts(page.kpis, labels), card=card,
        trend_alt=_trend_alt(labels, trend, format_date), sections_alt=_sections_alt(labels, sections),
        period_mean_text=(f"{percent_text(line.period_mean)}%" if line.period_mean is not None else "—"),
        period_critical_failures=line.critical_failures, grades=page.dashboard.grades,
    )


def _float(value: Fraction | None) -> float | None:
    return None if value is None else float(value)


def _trend_alt(labels: Mapping[str, str], trend: Sequence[tuple[date, float]], format_date: DateFormatter) -> str:
    points = "; ".join(f"{format_date(d)}: {percent_text(v)}%" for d, v in trend)
    return f"{labels.get('trend', 'Trend')}: {points}"


def _sections_alt(labels: Mapping[str, str], sections: Sequence[tuple[str, float | None, float | None]]) -> str:
    parts = "; ".join(f"{t}: {percent_text(s)}% ({labels.get('area_average', 'Area average')} {percent_text(a)}%)"
                      for t, s, a in sections)
    return f"{labels.get('sections_vs_area', 'Sections')}: {parts}"


def _without_missing_photos(card):  # type: ignore[no-untyped-def]
    from dataclasses import replace

    return replace(card, sections=tuple(
        replace(s, questions=tuple(replace(q, photos=tuple(p for p in q.photos if p.thumb)) for q in s.questions))
        for s in card.sections))


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower() or "store"


def store_scorecard(session: Session, user: User, store_id: int, **kwargs) -> PdfFile:  # type: ignore[no-untyped-def]
    """One store's scorecard PDF (same arguments as `scorecard_context`)."""
    context = scorecard_context(session, user, store_id, **kwargs)
    period: dashboards.Period = kwargs["period"]
    return PdfFile(f"scorecard-{context.store_code}-{_slug(context.store_name)}-{period.end:%Y%m%d}.pdf",
                   render_scorecard(context, chart_format=CHART_FORMAT))


def _render(context: ScorecardContext) -> bytes:
    return render_scorecard(context, chart_format=CHART_FORMAT)


def iter_rendered(contexts: Sequence[ScorecardContext], workers: int | None = None) -> Iterator[bytes]:
    """Render scorecards on up to `workers` processes (default: every core), yielding each PDF in order.

    WeasyPrint's memory grows over many renders in one process, so each render collects garbage and a pool
    renders at most MAX_TASKS_PER_WORKER scorecards a worker before it is replaced by a fresh one. (Python
    3.11's own `max_tasks_per_child` can hang when it replaces workers, so pools are recycled here instead.)
    Workers are spawned, never forked: the web server that calls this runs threads.
    """
    workers = min(workers or os.cpu_count() or 1, len(contexts))
    if workers <= 1:
        for context in contexts:
            yield _render(context)
        return
    chunk = workers * MAX_TASKS_PER_WORKER
    spawn = multiprocessing.get_context("spawn")
    for start in range(0, len(contexts), chunk):
        part = contexts[start:start + chunk]
        with ProcessPoolExecutor(max_workers=min(workers, len(part)), mp_context=spawn) as pool:
            # The workers import reports only (not the app): a partial of its function pickles by name.
            yield from pool.map(partial(render_scorecard, chart_format=CHART_FORMAT), part)


def render_many(contexts: Sequence[ScorecardContext], workers: int | None = None) -> list[bytes]:
    """Every scorecard rendered, in order (see `iter_rendered`)."""
    return list(iter_rendered(contexts, workers))


@dataclass(frozen=True)
class ZipBatch:
    filename: str
    stores: int


def area_scorecards(
    session: Session, user: User, area_id: int, *, into: BinaryIO, period: dashboards.Period,
    checklist_id: int | None, lang: str, labels: Mapping[str, str], branding: Branding, upload_dir: Path,
    format_date: DateFormatter, now: datetime, workers: int | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> ZipBatch:
    """Write a zip with one scorecard PDF per active store of an area to `into` (a binary file).

    `on_progress(done, total)` is called once the stores are known (done 0) and after each PDF is written.
    The zip is written PDF by PDF, so a large area never sits in memory whole.
    Raises NotFoundError, PermissionDeniedError.
    """
    scope = dashboards.get_area_scope(session, user, area_id)
    store_ids = list(session.execute(select(Store.id, Store.code, Store.name).where(
        Store.area_id == scope.id, Store.is_active.is_(True)).order_by(Store.code)))
    total = len(store_ids)
    if on_progress is not None:
        on_progress(0, total)
    contexts = [scorecard_context(session, user, sid, period=period, checklist_id=checklist_id, lang=lang,
                                  labels=labels, branding=branding, upload_dir=upload_dir, format_date=format_date,
                                  now=now) for sid, _, _ in store_ids]
    session.rollback()  # end the read transaction before the long render
    with zipfile.ZipFile(into, "w", zipfile.ZIP_DEFLATED) as archive:
        for done, ((_, code, name), pdf) in enumerate(zip(store_ids, iter_rendered(contexts, workers)), start=1):
            archive.writestr(f"scorecard-{code}-{_slug(name)}.pdf", pdf)
            if on_progress is not None:
                on_progress(done, total)
    return ZipBatch(f"scorecards-{_slug(scope.name)}-{period.end:%Y%m%d}.zip", total)
