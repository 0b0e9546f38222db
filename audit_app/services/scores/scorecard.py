"""One store's PDF scorecard: its figures gathered from the same readers as the web pages into a plain
`ScorecardContext`, which `reports` renders. An area's batch gathers its area figures once for all its stores."""

from __future__ import annotations

import base64
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from fractions import Fraction
from pathlib import Path

from sqlalchemy.orm import Session

from audit_app.models import User
from audit_app.services.photos import photo_paths
from audit_app.services.scores.scope import Period, checklist_title
from audit_app.services.scores.store_page import StorePage, area_figures, area_latest, get_store_page, store_info, \
    store_page
from audit_app.services.scores.visit_page import get_visit_page
from audit_app.services.zones import local_time
from audit_app.services.scores.uncertainty import Interval
from reports.context import (
    ActionLine, Branding, CardPhoto, CardView, ScorecardContext, for_store, percent_text, signed_text,
)
from reports.pdf import render_scorecard
from reports.wording import DateFormatter, scorecard_filename, sections_alt, trend_alt

CHART_FORMAT = "png"  # measured against SVG by bench/reports.py: faster in WeasyPrint and sharp at 150 dpi


@dataclass(frozen=True)
class PdfFile:
    filename: str
    data: bytes


def _thumb_uri(upload_dir: Path, sha256: str) -> str | None:
    _, thumb = photo_paths(upload_dir, sha256)
    if not thumb.is_file():
        return None
    return "data:image/jpeg;base64," + base64.b64encode(thumb.read_bytes()).decode("ascii")


def _without_missing_photos(card: CardView) -> CardView:
    return replace(card, sections=tuple(
        replace(s, questions=tuple(replace(q, photos=tuple(p for p in q.photos if p.thumb)) for q in s.questions))
        for s in card.sections))


def _float(value: Fraction | None) -> float | None:
    return None if value is None else float(value)


def interval_text(interval: Interval, labels: Mapping[str, str]) -> str:
    """A mean's 95 % interval in words for the PDF ("95% interval 70.1–78.5%", "· provisional"); empty without
    visits."""
    if not interval.n:
        return ""
    if interval.low is not None and interval.high is not None:
        text = labels.get("interval_range", "{label}: {low}–{high}%").format(
            label=labels.get("interval_label", "95% interval"), low=percent_text(interval.low),
            high=percent_text(interval.high))
    else:
        text = labels.get("one_visit", "one visit: no interval")
    if interval.provisional:
        text += " · " + labels.get("provisional", "provisional")
    return text


def _context(session: Session, user: User, page: StorePage, *, lang: str, labels: Mapping[str, str],
             branding: Branding, upload_dir: Path, format_date: DateFormatter, now: datetime) -> ScorecardContext:
    line = page.line
    period = page.period
    # Checklist and grade in the reader's language, from the checklist's own texts (checklists.title is English).
    title = checklist_title(session, page.checklist, lang)
    grade = line.latest_grade
    card = None
    version_text = "—"
    if line.latest_visit_id is not None:
        visit_page = get_visit_page(
            session, user, line.latest_visit_id, lang=lang, labels=labels,
            photo_ref=lambda p: CardPhoto(thumb=_thumb_uri(upload_dir, p.sha256) or "", full=None,
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
    sections = tuple((title_, _float(mine), _float(area)) for title_, mine, area in page.section_rows)
    trend = tuple((d, float(v)) for d, v in page.trend_days)
    area_trend = tuple((d, float(v)) for d, v in page.area_trend)
    store = page.store
    change = signed_text(line.change_visit)
    return ScorecardContext(
        lang=lang, labels=dict(labels), branding=branding,
        title=f"{store.name} · {title}",
        store_name=store.name, store_code=store.code, area_name=store.area_name, region_name=store.region_name,
        period_text=f"{format_date(period.start)} – {format_date(period.end)}", generated_text=format_date(now),
        checklist_title=title, version_text=version_text,
        latest_date_text=format_date(local_time(line.latest_at, store.timezone).date()) if line.latest_at else "—",
        overall_text=percent_text(line.latest_percent), grade=grade,
        change_text=(labels.get("change_within_noise", "{change} (within noise)").format(change=change)
                     if line.change_visit_within_noise else change),
        area_average_text=(f"{percent_text(page.area_mean)}%" if page.area_mean is not None else "—"),
        rank_text=rank, visits_in_period=line.visits, sections=sections, trend=trend, area_trend=area_trend,
        kpis=page.kpi_facts, card=card,
        trend_alt=trend_alt(labels, trend, format_date), sections_alt=sections_alt(labels, sections),
        period_mean_text=(f"{percent_text(line.period_mean)}%" if line.period_mean is not None else "—"),
        period_critical_failures=line.critical_failures, grades=page.grades,
        period_interval_text=interval_text(line.interval, labels),
        area_interval_text=interval_text(page.area_interval, labels),
        rank_note=labels.get("provisional", "provisional") if line.rank is not None and line.is_provisional else "",
        interval_note=labels.get("interval_explain", ""), kpi_note=labels.get("kpi_explain", "") if page.kpis else "",
        actions=tuple(_action_line(row, labels, format_date) for row in page.actions),
    )


def _action_line(row, labels: Mapping[str, str], format_date: DateFormatter) -> ActionLine:  # type: ignore[no-untyped-def]
    due = format_date(row.due_on)
    if row.due_state:
        due += f" · {labels.get('action_' + row.due_state, row.due_state)}"
    return ActionLine(title=row.title, priority=labels.get(f"priority.{row.priority}", row.priority),
                      status=labels.get(f"action_status.{row.status}", row.status), due_text=due,
                      assignee=row.assignee_name or labels.get("action_nobody", "—"),
                      is_overdue=row.due_state == "overdue")


def scorecard_context(
    session: Session, user: User, store_id: int, *, period: Period, checklist_id: int | None, lang: str,
    labels: Mapping[str, str], branding: Branding, upload_dir: Path, format_date: DateFormatter, now: datetime,
) -> ScorecardContext:
    """Everything one store's scorecard shows, from the same readers as the store page. Raises NotFoundError,
    PermissionDeniedError."""
    page = get_store_page(session, user, store_id, period=period, checklist_id=checklist_id, lang=lang,
                          labels=labels)
    return _context(session, user, page, lang=lang, labels=labels, branding=branding, upload_dir=upload_dir,
                    format_date=format_date, now=now)


def area_contexts(
    session: Session, user: User, area_id: int, store_ids: list[int], *, period: Period, checklist_id: int | None,
    lang: str, labels: Mapping[str, str], branding: Branding, upload_dir: Path, format_date: DateFormatter,
    now: datetime,
) -> list[ScorecardContext]:
    """The scorecards of some stores of one area (the caller has checked the reader may see it), in order: the
    area's figures are gathered once, then each store's own."""
    return list(iter_area_contexts(session, user, area_id, store_ids, period=period, checklist_id=checklist_id,
                                   lang=lang, labels=labels, branding=branding, upload_dir=upload_dir,
                                   format_date=format_date, now=now))


def iter_area_contexts(
    session: Session, user: User, area_id: int, store_ids: list[int], *, period: Period, checklist_id: int | None,
    lang: str, labels: Mapping[str, str], branding: Branding, upload_dir: Path, format_date: DateFormatter,
    now: datetime,
) -> Iterator[ScorecardContext]:
    """`area_contexts` one store at a time, so that a batch can render the first scorecards while it reads the
    next stores' figures."""
    figures = area_figures(session, area_id, period=period, checklist_id=checklist_id, lang=lang)
    latest = area_latest(session, figures)
    for store_id in store_ids:
        page = store_page(session, store_info(session, store_id), figures, latest.get(store_id, []), lang=lang,
                          labels=labels)
        yield _context(session, user, page, lang=lang, labels=labels, branding=branding, upload_dir=upload_dir,
                       format_date=format_date, now=now)


def store_scorecard(session: Session, user: User, store_id: int, **kwargs) -> PdfFile:  # type: ignore[no-untyped-def]
    """One store's scorecard PDF (same arguments as `scorecard_context`)."""
    context = scorecard_context(session, user, store_id, **kwargs)
    period: Period = kwargs["period"]
    return PdfFile(scorecard_filename(context.store_code, context.store_name, period.end),
                   render_scorecard(context, chart_format=CHART_FORMAT))
