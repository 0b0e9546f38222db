"""CSV and Excel exports of counted visits for a dashboard's filter: one row per visit, one column per question,
streamed (read in batches and written as they come) so memory stays flat however large the scope.

UTF-8 with a byte-order mark and CRLF line ends, so Excel opens it with Japanese text intact. Every cell that a
spreadsheet would read as a formula is neutralised (see `neutralise_cell`).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any, Union

import msgspec
from sqlalchemy import Select, Text, cast, select, type_coerce
from sqlalchemy.orm import Session

import scoring
from audit_app.models import Area, ChecklistVersion, Region, Store, User, Visit, VisitScore
from audit_app.services import xlsx
from audit_app.services.xlsx import ANSWER, DATE_ANSWER, DATETIME, INTEGER, PERCENT, TEXT, TIME_ANSWER
from audit_app.services.definitions import grade_text
from audit_app.services.errors import N_, PermissionDeniedError
from audit_app.services.scores.scope import (
    Period, Scope, checklist_title, choose_checklist, definition_for, get_area_scope, get_region_scope,
    get_store_scope, latest_version_id, list_checklist_options, section_heads,
)
from audit_app.services.scores.storage import statuses_for
from audit_app.services.scores.visit_page import shows_shopper
from audit_app.services.zones import local_time
from reports.context import DEFAULT_LABELS, answer_text, points_text


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


@dataclass(frozen=True)
class CsvExport:
    filename: str
    data: bytes
    rows: int


# Rows read from the database and written out per batch: memory stays flat however many visits the scope has.
BATCH_ROWS = 1000
# A per-column memo of formatted answers stops growing at this many distinct answers (free text rarely repeats).
_MEMO_LIMIT = 4096
# Kinds of column (`xlsx`'s): how the workbook types a cell (the CSV writes every cell as text).
_ANSWER_KINDS = {"date": DATE_ANSWER, "time": TIME_ANSWER}
_NUMERIC = ("number", "duration", "scale", "nps")
_MISSING = object()
_NA_KEY = object()

Cell = Union[str, int, Decimal, datetime, None]


@dataclass(frozen=True)
class _Version:
    """What the rows of one checklist version need, worked out once: its grade words and its questions."""

    definition: scoring.Checklist
    questions: tuple[scoring.Question | None, ...]  # one per question column, None where the version lacks it
    grades: dict[str | None, str]
    memos: tuple[dict[object, Cell], ...]  # per question column: the cell of each stored answer seen so far


@dataclass(frozen=True)
class VisitExport:
    """A visits export checked and planned (authorised, scope found, columns known); `rows()` reads the visits.

    `filename` has no extension: `visits-area-TKC-90d-20261201`."""

    filename: str
    header: tuple[str, ...]
    kinds: tuple[str, ...]
    sheet_name: str
    rows: Callable[[], Iterator[list[Cell]]]


def _cell(question: scoring.Question | None, answer: object, lang: str, labels: Mapping[str, str]) -> str:
    if answer is None:
        return ""
    if answer is scoring.NA:
        return labels.get("na", "N/A")
    if question is not None and question.type in _NUMERIC:
        return points_text(Fraction(answer))  # type: ignore[arg-type]
    if question is not None and question.type == "photo":
        return labels.get("photo_answer", DEFAULT_LABELS["photo_answer"])
    return answer_text(question, answer, lang, labels)


def _stored_answer(qtype: str, value: object) -> object:
    """A stored card's answer as `scoring.card_from_data` reads it back (Fractions, NA, tuples)."""
    if value is None:
        return None
    if isinstance(value, Mapping) and value.get("na") is True:
        return scoring.NA
    if qtype in ("number", "duration"):
        return Fraction(value)  # type: ignore[arg-type]
    if qtype == "multi" and isinstance(value, list):
        return tuple(str(item) for item in value)
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return value
    raise ValueError(f"unexpected stored answer {value!r} for a {qtype} question")


def _answer_cell(question: scoring.Question | None, qtype: str, value: object, lang: str,
                 labels: Mapping[str, str]) -> Cell:
    """The cell of one stored answer: a Decimal for a number, duration, scale or NPS answer (its text is the
    CSV's, "12.5"), otherwise the text the CSV shows."""
    answer = _stored_answer(qtype, value)
    text = _cell(question, answer, lang, labels)
    if question is not None and question.type in _NUMERIC and answer is not None and answer is not scoring.NA:
        return Decimal(text)
    return text


def _local(at: datetime | None, zone_name: str | None) -> datetime | None:
    """A UTC timestamp in the store's own time, to the second, without its zone (the next column names it)."""
    return local_time(at, zone_name).replace(tzinfo=None, microsecond=0) if at is not None else None


def _percent(value: Fraction) -> Decimal:
    """A percent rounded half up to one place, as the pages show it (`percent_text`, as a Decimal)."""
    return scoring.round_half_up(value, 1)


def prepare_export(
    session: Session, user: User, scope: Scope, *, period: Period, checklist_id: int | None,
    lang: str, headers: Mapping[str, str], labels: Mapping[str, str] = DEFAULT_LABELS,
    store_ids: Sequence[int] | None = None,
) -> VisitExport:
    """Counted visits of the scope (optionally some of its stores), period and checklist, newest first, planned so
    that nothing can be refused once the first byte is out: the checks, the columns and every per-version lookup
    are done here; `rows()` then reads the visits in batches of BATCH_ROWS.

    Start and submit times are in each store's own time zone, named in the column after them. Percents are
    rounded half up to one decimal place, as shown on the pages. The shopper column is left out for area managers
    when head office hides shoppers from them, and so are questions for head office only. `headers` words the
    fixed columns (and "sheet" the workbook's sheet). Raises PermissionDeniedError.
    """
    if user.role not in ("head_office", "area_manager", "store_manager"):
        raise PermissionDeniedError(N_("Exports are for area managers and head office."))
    statuses = statuses_for(session)
    options = list_checklist_options(session, scope.area_ids, statuses, lang)
    chosen = choose_checklist(options, checklist_id)
    with_shopper = shows_shopper(session, user)
    query: Select[Any] | None = None
    version_ids: list[int] = []
    if chosen is not None:
        query = (
            select(Visit.id, Store.code, Store.name, Area.name, Region.name, User.name, Visit.started_at,
                   Visit.submitted_at, Store.timezone, Visit.status, ChecklistVersion.id, ChecklistVersion.number,
                   VisitScore.percent_exact, VisitScore.grade, VisitScore.critical_failures,
                   type_coerce(cast(VisitScore.card, Text), Text))
            .join(VisitScore, (VisitScore.visit_id == Visit.id) & VisitScore.is_current.is_(True))
            .join(Store, Visit.store_id == Store.id).join(Area, Store.area_id == Area.id)
            .join(Region, Area.region_id == Region.id).join(User, Visit.shopper_id == User.id)
            .join(ChecklistVersion, Visit.checklist_version_id == ChecklistVersion.id)
            .where(ChecklistVersion.checklist_id == chosen.id, Store.area_id.in_(scope.area_ids),
                   Visit.status.in_(statuses), Visit.submitted_at >= period.start, Visit.submitted_at < period.end)
        )
        if store_ids is not None:
            query = query.where(Visit.store_id.in_(list(store_ids)))
        used = session.scalars(query.with_only_columns(ChecklistVersion.id).distinct().order_by(None))
        version_ids = sorted(set(used), reverse=True)
        query = query.order_by(Visit.submitted_at.desc(), Visit.id.desc())
    heads = section_heads(session, chosen.id, lang) if chosen is not None else []
    questions: list[tuple[str, str]] = []
    answer_kinds: list[str] = []
    if chosen is not None:
        ordered = [latest_version_id(session, chosen.id)] + version_ids
        definitions = [definition_for(session, v) for v in ordered if v is not None]
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
                    answer_kinds.append(_ANSWER_KINDS.get(question.type, ANSWER))
    fixed = ["visit", "store_code", "store", "area", "region"] + (["shopper"] if with_shopper else []) + [
        "started_at", "submitted_at", "timezone", "status", "checklist", "version", "overall", "grade", "critical_failures"]
    header = ([headers.get(name, name) for name in fixed]
              + [f"{headers.get('section', 'Section %')}: {h.title}" for h in heads]
              + [f"{text} [{key}]" for key, text in questions])
    kinds = ([INTEGER, TEXT, TEXT, TEXT, TEXT] + ([TEXT] if with_shopper else [])
             + [DATETIME, DATETIME, TEXT, TEXT, TEXT, INTEGER, PERCENT, TEXT, INTEGER]
             + [PERCENT] * len(heads) + answer_kinds)
    title = checklist_title(session, chosen, lang)
    versions = {v: _plan_version(definition_for(session, v), [key for key, _ in questions]) for v in version_ids}
    first_section = len(fixed)
    first_question = first_section + len(heads)
    section_at = {h.key: first_section + i for i, h in enumerate(heads)}
    question_at = {key: first_question + i for i, (key, _) in enumerate(questions)}
    blank: list[Cell] = [None] * (len(heads) + len(questions))

    def rows() -> Iterator[list[Cell]]:
        if query is None:
            return
        statuses_shown: dict[str, str] = {}
        overall: dict[str | None, Decimal | None] = {None: None}
        section_percents: dict[tuple[object, object], Decimal | None] = {}
        for (vid, code, store, area, region, shopper, started, submitted, zone_name, status, version_id, number,
             pct, grade, crit, card_text) in _in_batches(session, query):
            version = versions[version_id]
            shown = statuses_shown.get(status)
            if shown is None:
                shown = statuses_shown[status] = labels.get(f"status.{status}", status)
            percent = overall.get(pct, _MISSING)
            if percent is _MISSING:
                percent = overall[pct] = _percent(Fraction(pct))
            grade_shown = version.grades.get(grade)
            if grade_shown is None:
                grade_shown = version.grades[grade] = grade_text(version.definition, grade, lang)
            cells: list[Cell] = [vid, code, store, area, region]
            if with_shopper:
                cells.append(shopper)
            cells += [_local(started, zone_name), _local(submitted, zone_name), zone_name or "UTC", shown, title,
                      number, percent, grade_shown, crit]
            cells += blank
            memos = version.memos
            for section in _CARD.decode(card_text).sections:
                at = section_at.get(section.key)
                if at is not None:
                    # Section percents from the stored card, which the visit's section score rows were written from.
                    memo = (section.earned, section.possible)
                    value = section_percents.get(memo, _MISSING)
                    if value is _MISSING:
                        possible = Fraction(section.possible)
                        value = _percent(Fraction(section.earned) / possible * 100) if possible else None
                        if len(section_percents) < _MEMO_LIMIT:
                            section_percents[memo] = value
                    cells[at] = value
                for result in section.questions:
                    at = question_at.get(result.key)
                    answer = result.answer
                    if at is None or answer is None:
                        continue
                    kind = answer.__class__
                    key = answer if kind is str or kind is int else tuple(answer) if kind is list else _NA_KEY \
                        if kind is dict else repr(answer)
                    memo_of = memos[at - first_question]
                    cell = memo_of.get(key, _MISSING)
                    if cell is _MISSING:
                        cell = _answer_cell(version.questions[at - first_question], result.type, answer, lang, labels)
                        if len(memo_of) < _MEMO_LIMIT:
                            memo_of[key] = cell
                    cells[at] = cell  # type: ignore[assignment]
            yield cells

    return VisitExport(filename=_filename(session, scope, period, store_ids), header=tuple(header),
                       kinds=tuple(kinds), sheet_name=headers.get("sheet", "Visits"), rows=rows)


class _StoredQuestion(msgspec.Struct):
    key: str
    type: str
    answer: Any = None


class _StoredSection(msgspec.Struct):
    key: str
    earned: Union[int, str]
    possible: Union[int, str]
    questions: list[_StoredQuestion]


class _StoredCard(msgspec.Struct):
    """The parts of a stored card (`scoring.card_to_data`) an export reads; the rest is skipped unparsed."""

    sections: list[_StoredSection]


_CARD = msgspec.json.Decoder(_StoredCard)


def _in_batches(session: Session, query: Select[Any]) -> Iterator[Any]:
    """The query's rows in its order, read BATCH_ROWS at a time: the ordered ids first (small rows, so the
    database sorts no cards), then each batch of rows by id."""
    ids = list(session.scalars(query.with_only_columns(Visit.id)))
    for start in range(0, len(ids), BATCH_ROWS):
        batch = ids[start:start + BATCH_ROWS]
        found = {row[0]: row for row in session.execute(query.order_by(None).where(Visit.id.in_(batch)))}
        for vid in batch:
            row = found.get(vid)
            if row is not None:  # a visit re-scored or voided since the ids were read is left out
                yield row


def _plan_version(definition: scoring.Checklist, keys: Sequence[str]) -> _Version:
    found: list[scoring.Question | None] = []
    for key in keys:
        try:
            found.append(definition.question(key))
        except KeyError:
            found.append(None)
    return _Version(definition=definition, questions=tuple(found), grades={}, memos=tuple({} for _ in keys))


def prepare_scope_export(
    session: Session, user: User, kind: str, scope_id: int, *, period: Period, checklist_id: int | None, lang: str,
    headers: Mapping[str, str], labels: Mapping[str, str] = DEFAULT_LABELS,
) -> VisitExport:
    """`prepare_export` of an area, a region or one store (`kind`) the user may see, with the id of that area,
    region or store. Raises NotFoundError, PermissionDeniedError."""
    if kind == "store":
        scope, store_ids = get_store_scope(session, user, scope_id), [scope_id]
    else:
        scope, store_ids = (get_region_scope if kind == "region" else get_area_scope)(session, user, scope_id), None
    return prepare_export(session, user, scope, period=period, checklist_id=checklist_id, lang=lang,
                          headers=headers, labels=labels, store_ids=store_ids)


_FORMULA_FIRST = "".join(FORMULA_STARTS)


def csv_chunks(export: VisitExport) -> Iterator[bytes]:
    """The export as CSV, in chunks of bytes: UTF-8 with a byte-order mark and CRLF line ends (so Excel opens it
    with Japanese text intact), every formula-like cell neutralised. The header row is the first chunk."""
    out = io.StringIO()
    writer = _SafeWriter(out)
    writer.writerow(export.header)
    yield b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")
    out.seek(0)
    out.truncate()
    # csv.writer writes None as an empty cell and an int or a Decimal as its digits (never a formula); only
    # texts need neutralising, and times their format.
    plain = csv.writer(out, lineterminator="\r\n")
    texts = [i for i, kind in enumerate(export.kinds) if kind in (TEXT, ANSWER, DATE_ANSWER, TIME_ANSWER)]
    times = [i for i, kind in enumerate(export.kinds) if kind == DATETIME]
    written = 0
    for cells in export.rows():
        for i in times:
            at = cells[i]
            cells[i] = at.strftime("%Y-%m-%d %H:%M") if at is not None else None  # type: ignore[union-attr]
        for i in texts:
            cell = cells[i]
            if cell.__class__ is str and cell and cell[0] in _FORMULA_FIRST:  # type: ignore[index]
                cells[i] = neutralise_cell(cell)  # type: ignore[arg-type]
        plain.writerow(cells)
        written += 1
        if written % BATCH_ROWS == 0:
            yield out.getvalue().encode("utf-8")
            out.seek(0)
            out.truncate()
    if out.tell():
        yield out.getvalue().encode("utf-8")


def xlsx_chunks(export: VisitExport) -> Iterator[bytes]:
    """The export as an Excel workbook, in chunks of bytes (see `xlsx.stream_sheet`): a frozen header row, numbers
    and percents as numbers, times as Excel dates, and every text as a string cell, so no cell is a formula."""
    return xlsx.stream_sheet(export.sheet_name, export.header, export.kinds, export.rows())


def export_visits(
    session: Session, user: User, scope: Scope, *, period: Period, checklist_id: int | None,
    lang: str, headers: Mapping[str, str], labels: Mapping[str, str] = DEFAULT_LABELS,
    store_ids: Sequence[int] | None = None,
) -> CsvExport:
    """`prepare_export` written out as one CSV in memory (for small exports and the command line).
    Raises PermissionDeniedError."""
    export = prepare_export(session, user, scope, period=period, checklist_id=checklist_id, lang=lang,
                            headers=headers, labels=labels, store_ids=store_ids)
    counted = [0]

    def rows() -> Iterator[list[Cell]]:
        for cells in export.rows():
            counted[0] += 1
            yield cells

    data = b"".join(csv_chunks(replace(export, rows=rows)))
    return CsvExport(filename=f"{export.filename}.csv", data=data, rows=counted[0])


def _filename(session: Session, scope: Scope, period: Period,
              store_ids: Sequence[int] | None) -> str:
    """`visits-store-TKC01-90d-20261201`, `visits-area-TKC-...`, `visits-region-KANTO-...`: what the file
    covers, by the codes people know, so that downloads never overwrite one another."""
    if store_ids is not None and len(store_ids) == 1:
        kind, code = "store", session.scalar(select(Store.code).where(Store.id == store_ids[0]))
    elif scope.kind == "region":
        kind, code = "region", session.scalar(select(Region.code).where(Region.id == scope.id))
    else:
        kind, code = "area", session.scalar(select(Area.code).where(Area.id == scope.id))
    safe = re.sub(r"[^A-Za-z0-9_-]+", "-", code or str(scope.id)).strip("-") or str(scope.id)
    return f"visits-{kind}-{safe}-{period.days}d-{period.end:%Y%m%d}"
