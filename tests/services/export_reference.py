"""The visits CSV exactly as it was first written (every stored card rebuilt into Fractions, the whole file in
memory): the streamed export must give the same bytes for the same data. Kept only as the tests' reference."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from fractions import Fraction

from sqlalchemy import select
from sqlalchemy.orm import Session

import scoring
from audit_app.models import Area, ChecklistVersion, Region, Store, User, Visit, VisitScore
from audit_app.services.definitions import grade_text
from audit_app.services.errors import N_, PermissionDeniedError
from audit_app.services.scores.scope import (
    Period, Scope, checklist_title, choose_checklist, definition_for, latest_version_id, list_checklist_options,
    section_heads,
)
from audit_app.services.scores.storage import statuses_for
from audit_app.services.scores.visit_page import shows_shopper
from audit_app.services.zones import local_time
from reports.context import DEFAULT_LABELS, answer_text, percent_text, points_text


# A spreadsheet starts a formula at any of these (tab and carriage return too: Excel drops them and reads on).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A plain decimal number, negative or not, is read as that number and never as a formula: it stays as it is.
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def neutralise_cell(value: str) -> str:
    """A cell a spreadsheet shows as text: one starting with a formula character gets a leading apostrophe
    (OWASP's advice against CSV injection), except a plain decimal number such as "-12" or "-3.5"."""
    if value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


class _SafeWriter:
    """csv.writer whose every cell goes through neutralise_cell: every CSV the app writes uses it."""

    def __init__(self, out: io.StringIO) -> None:
        self._writer = csv.writer(out, lineterminator="\r\n")

    def writerow(self, cells: Sequence[object]) -> None:
        self._writer.writerow([neutralise_cell("" if cell is None else str(cell)) for cell in cells])


def _cell(question: scoring.Question | None, answer: object, lang: str, labels: Mapping[str, str]) -> str:
    if answer is None:
        return ""
    if answer is scoring.NA:
        return labels.get("na", "N/A")
    if question is not None and question.type in ("number", "duration", "scale", "nps"):
        return points_text(Fraction(answer))  # type: ignore[arg-type]
    if question is not None and question.type == "photo":
        return labels.get("photo_answer", DEFAULT_LABELS["photo_answer"])
    return answer_text(question, answer, lang, labels)


def _local(at: datetime | None, zone_name: str | None) -> str:
    """A timestamp in the store's own time, as "2026-11-21 08:30" (the next column names the zone)."""
    return local_time(at, zone_name).strftime("%Y-%m-%d %H:%M") if at is not None else ""


def reference_csv(
    session: Session, user: User, scope: Scope, *, period: Period, checklist_id: int | None,
    lang: str, headers: Mapping[str, str], labels: Mapping[str, str] = DEFAULT_LABELS,
    store_ids: Sequence[int] | None = None,
) -> bytes:
    """The CSV as the first version of the export wrote it: counted visits of the scope (optionally some of its stores), period and checklist, newest first.

    Start and submit times are in each store's own time zone, named in the column after them.

    Percents are rounded half up to one decimal place, as shown on the pages. The shopper column is left out
    for area managers when head office hides shoppers from them, and so are questions for head office only.
    `headers` words the fixed columns.
    """
    if user.role not in ("head_office", "area_manager"):
        raise PermissionDeniedError(N_("Exports are for area managers and head office."))
    statuses = statuses_for(session)
    options = list_checklist_options(session, scope.area_ids, lang, period)
    chosen = choose_checklist(options, checklist_id)
    with_shopper = shows_shopper(session, user)
    rows: list[tuple] = []
    if chosen is not None:
        q = (
            select(Visit.id, Store.code, Store.name, Area.name, Region.name, User.name, Visit.started_at,
                   Visit.submitted_at, Store.timezone, Visit.status, ChecklistVersion.id, ChecklistVersion.number,
                   VisitScore.id, VisitScore.percent_exact, VisitScore.grade, VisitScore.critical_failures,
                   VisitScore.card)
            .join(VisitScore, (VisitScore.visit_id == Visit.id) & VisitScore.is_current.is_(True))
            .join(Store, Visit.store_id == Store.id).join(Area, Store.area_id == Area.id)
            .join(Region, Area.region_id == Region.id).join(User, Visit.shopper_id == User.id)
            .join(ChecklistVersion, Visit.checklist_version_id == ChecklistVersion.id)
            .where(ChecklistVersion.checklist_id == chosen.id, Store.area_id.in_(scope.area_ids),
                   Visit.status.in_(statuses), Visit.submitted_at >= period.start, Visit.submitted_at < period.end)
            .order_by(Visit.submitted_at.desc(), Visit.id.desc())
        )
        if store_ids is not None:
            q = q.where(Visit.store_id.in_(list(store_ids)))
        rows = list(session.execute(q))
    heads = section_heads(session, chosen.id, lang) if chosen is not None else []
    questions: list[tuple[str, str]] = []
    if chosen is not None:
        version_ids = [latest_version_id(session, chosen.id)] + sorted({r[10] for r in rows}, reverse=True)
        definitions = [definition_for(session, v) for v in version_ids if v is not None]
        # Answers meant for head office only stay with head office: a question that any of the versions keeps
        # for head office has no column for anyone else, even where an earlier version showed it to stores.
        seen: set[str] = set() if user.role == "head_office" else {
            question.key for definition in definitions for _, question in definition.questions()
            if not question.is_for_stores}
        for definition in definitions:
            for _, question in definition.questions():
                if question.type != "note" and question.key not in seen:
                    seen.add(question.key)
                    questions.append((question.key, question.text.get(lang)))
    out = io.StringIO()
    writer = _SafeWriter(out)
    fixed = ["visit", "store_code", "store", "area", "region"] + (["shopper"] if with_shopper else []) + [
        "started_at", "submitted_at", "timezone", "status", "checklist", "version", "overall", "grade", "critical_failures"]
    writer.writerow([headers.get(name, name) for name in fixed]
                    + [f"{headers.get('section', 'Section %')}: {h.title}" for h in heads]
                    + [f"{text} [{key}]" for key, text in questions])
    title = checklist_title(session, chosen, lang)
    for (vid, code, store, area, region, shopper, started, submitted, zone_name, status, version_id, number, score_id,
         pct, grade, crit, card_data) in rows:
        definition = definition_for(session, version_id)
        card = scoring.card_from_data(card_data)
        results = {r.key: r for r in card.questions()}
        # Section percents from the stored card, which the visit's section score rows were written from.
        own = {s.key: s.earned / s.possible * 100 if s.possible else None for s in card.sections}
        cells = [str(vid), code, store, area, region] + ([shopper] if with_shopper else []) + [
            _local(started, zone_name), _local(submitted, zone_name), zone_name or "UTC",
            labels.get(f"status.{status}", status), title, str(number),
            percent_text(Fraction(pct)) if pct is not None else "", grade_text(definition, grade, lang), str(crit)]
        cells += [percent_text(own[h.key]) if own.get(h.key) is not None else "" for h in heads]
        for key, _ in questions:
            result = results.get(key)
            try:
                question = definition.question(key)
            except KeyError:
                question = None
            cells.append(_cell(question, result.answer if result is not None else None, lang, labels))
        writer.writerow(cells)
    data = out.getvalue().encode("utf-8-sig")
    return data
