"""CSV and Excel exports of counted visits for a dashboard's filter: one row per visit, one column per question,
streamed (read in batches and written as they come) so memory stays flat however large the scope.

UTF-8 with a byte-order mark and CRLF line ends, so Excel opens it with Japanese text intact. Every cell that a
spreadsheet would read as a formula is neutralised (see `neutralise_cell`).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, tzinfo
from decimal import Decimal
from fractions import Fraction
from itertools import repeat
from operator import is_
from typing import Any, Union

import msgspec
from sqlalchemy import Connection, Integer, Select, Text, bindparam, cast, func, select, type_coerce
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

import scoring
from audit_app.models import Area, ChecklistVersion, Region, ScoreSummary, Store, User, Visit, VisitScore
from audit_app.services import xlsx
from audit_app.services.xlsx import ANSWER, DATE_ANSWER, DATETIME, INTEGER, PERCENT, TEXT, TIME_ANSWER
from audit_app.services.definitions import grade_text
from audit_app.services.errors import N_, PermissionDeniedError
from audit_app.services.scores.scope import (
    Period, Scope, checklist_title, choose_checklist, definition_for, get_area_scope, get_region_scope,
    get_store_scope, latest_version_id, list_checklist_options, section_heads,
)
from audit_app.services.scores.storage import card_summary, statuses_for
from audit_app.services.scores.visit_page import shows_shopper
from audit_app.services.zones import zone
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
_MISSES = repeat(_MISSING)  # the default of every memo lookup in a row

Cell = Union[str, int, Decimal, datetime, None]


@dataclass(frozen=True)
class _Version:
    """What the rows of one checklist version need, worked out once per export: its grade words, and for each
    question column the key it reads, its question and a memo of the cell of each stored answer met so far."""

    definition: scoring.Checklist
    keys: tuple[str, ...]
    questions: tuple[scoring.Question | None, ...]
    memos: tuple[dict[object, Cell], ...]
    grades: dict[str | None, str]


@dataclass(frozen=True)
class VisitExport:
    """A visits export checked and planned (authorised, scope found, columns known); `rows()` reads the visits.

    `filename` has no extension: `visits-area-TKC-90d-20261201`."""

    filename: str
    header: tuple[str, ...]
    kinds: tuple[str, ...]
    sheet_name: str
    rows: Callable[..., Iterator[list[Cell]]]
    # rows(for_csv=True) gives rows ready for csv.writer (texts neutralised, times as text); otherwise csv_chunks
    # neutralises and formats each row's cells itself.
    csv_ready: bool = False


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


def _local(at: datetime | None, place: tzinfo) -> datetime | None:
    """A UTC timestamp in the store's own time, to the second, without its zone (the next column names it)."""
    return at.astimezone(place).replace(tzinfo=None, microsecond=0) if at is not None else None


def _stamp(at: datetime | None, place: tzinfo) -> str | None:
    """`_local` as a CSV writes it: "2026-12-01 14:30"."""
    return at.astimezone(place).isoformat(" ", "minutes")[:16] if at is not None else None


def _as_it_is(value: str) -> str:
    return value


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
    options = list_checklist_options(session, scope.area_ids, lang, period)
    chosen = choose_checklist(options, checklist_id)
    with_shopper = shows_shopper(session, user)
    query: Select[Any] | None = None
    batch_query: Select[Any] | None = None
    version_ids: list[int] = []
    if chosen is not None:
        # The visits the export holds (their ids, in order, and the versions they use); `batch_query` reads them.
        query = (
            select(Visit.id)
            .join(VisitScore, (VisitScore.visit_id == Visit.id) & VisitScore.current())
            .join(Store, Visit.store_id == Store.id)
            .join(ChecklistVersion, Visit.checklist_version_id == ChecklistVersion.id)
            .where(ChecklistVersion.checklist_id == chosen.id, Store.area_id.in_(scope.area_ids),
                   Visit.status.in_(statuses), Visit.submitted_at >= period.start, Visit.submitted_at < period.end)
        )
        if store_ids is not None:
            query = query.where(Visit.store_id.in_(list(store_ids)))
        used = session.scalars(query.with_only_columns(ChecklistVersion.id).distinct().order_by(None))
        version_ids = sorted(set(used), reverse=True)
        query = query.order_by(Visit.submitted_at.desc(), Visit.id.desc())
        # Each batch reads only the visits' and scores' own columns; the stores, areas, regions and people they
        # name are read once (`_names`): joining them for every visit cost the database more than reading it.
        batch_query = (
            select(Visit.id, Visit.store_id, Visit.shopper_id, Visit.started_at, Visit.submitted_at, Visit.status,
                   Visit.checklist_version_id, VisitScore.percent_exact, VisitScore.grade,
                   VisitScore.critical_failures, VisitScore.id, type_coerce(cast(ScoreSummary.summary, Text), Text))
            .join(VisitScore, (VisitScore.visit_id == Visit.id) & VisitScore.current())
            .outerjoin(ScoreSummary, ScoreSummary.visit_score_id == VisitScore.id)
            .where(Visit.checklist_version_id.in_(version_ids), Visit.status.in_(statuses),
                   Visit.submitted_at >= period.start, Visit.submitted_at < period.end)
        )
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
        "started_at", "submitted_at", "timezone", "status", "checklist", "version", "overall", "grade",
        "critical_failures"]
    header = ([headers.get(name, name) for name in fixed]
              + [f"{headers.get('section', 'Section %')}: {h.title}" for h in heads]
              + [f"{text} [{key}]" for key, text in questions])
    kinds = ([INTEGER, TEXT, TEXT, TEXT, TEXT] + ([TEXT] if with_shopper else [])
             + [DATETIME, DATETIME, TEXT, TEXT, TEXT, INTEGER, PERCENT, TEXT, INTEGER]
             + [PERCENT] * len(heads) + answer_kinds)
    title = checklist_title(session, chosen, lang)
    question_keys = [key for key, _ in questions]

    def rows(*, for_csv: bool = False) -> Iterator[list[Cell]]:
        if query is None or batch_query is None:
            return
        # Per call, so that a CSV's answer cells (neutralised once, as each is first met) and a workbook's
        # (never neutralised: every text is a string cell there) do not share their memos.
        versions = {v: _plan_version(definition_for(session, v), question_keys) for v in version_ids}
        # A CSV's rows come ready for csv.writer: every text neutralised where it is first met (names, words,
        # answers), times as text. A workbook's keep their texts as they are and their times as times.
        text = neutralise_cell if for_csv else _as_it_is
        stamp = _stamp if for_csv else _local
        names = _names(session, scope, version_ids, text)
        shown_title = text(title)
        statuses_shown: dict[str, str] = {}
        overall: dict[str | None, Decimal | None] = {None: None}
        section_percents: dict[object, Cell] = {None: None}
        places: dict[str | None, tzinfo] = {}
        section_keys = [h.key for h in heads]
        for (vid, code, store, area, region, shopper, started, submitted, zone_name, status, version_id, number,
             pct, grade, crit, summary) in _in_batches(session, query, batch_query, names):
            version = versions[version_id]
            shown = statuses_shown.get(status)
            if shown is None:
                shown = statuses_shown[status] = text(labels.get(f"status.{status}", status))
            percent = overall.get(pct, _MISSING)
            if percent is _MISSING:
                percent = overall[pct] = _percent(Fraction(pct))
            grade_shown = version.grades.get(grade)
            if grade_shown is None:
                grade_shown = version.grades[grade] = text(grade_text(version.definition, grade, lang))
            place = places.get(zone_name)
            if place is None:
                place = places[zone_name] = zone(zone_name)
            cells: list[Cell] = [vid, code, store, area, region]
            if with_shopper:
                cells.append(shopper)
            cells += [stamp(started, place), stamp(submitted, place), zone_name, shown, shown_title,
                      number, percent, grade_shown, crit]
            # Section percents from the score's summary of its card, which its section rows were written from;
            # each cell is looked up in C (map over the memo) and worked out in Python only when first met.
            totals = list(map(summary.s.get, section_keys))
            found = list(map(section_percents.get, totals, _MISSES))
            if any(map(is_, found, _MISSES)):  # by identity: `in` would ask each Decimal to compare
                for i, cell in enumerate(found):
                    if cell is _MISSING:
                        found[i] = _section_cell(totals[i], section_percents)
            cells += found
            answers = list(map(summary.a.get, version.keys))
            found = list(map(dict.get, version.memos, answers, _MISSES))
            if any(map(is_, found, _MISSES)):  # by identity: `in` would ask each Decimal to compare
                for i, cell in enumerate(found):
                    if cell is _MISSING:
                        found[i] = _remember(version, i, answers[i], lang, labels, for_csv)
            cells += found
            yield cells

    return VisitExport(filename=_filename(session, scope, period, store_ids), header=tuple(header),
                       kinds=tuple(kinds), sheet_name=headers.get("sheet", "Visits"), rows=rows, csv_ready=True)


class _NotApplicable(msgspec.Struct, frozen=True):
    """A stored N/A answer ({"na": true}), read as a value that can key a memo."""

    na: bool


@dataclass(frozen=True)
class _Odd:
    """A stored answer of a form the typed reading does not take, kept as it is with its JSON as its key."""

    text: str
    value: Any = field(compare=False)


# A stored answer as the summary's typed reading gives it: every form hashable, so each can key a column's memo.
_StoredAnswer = Union[None, bool, int, float, str, tuple[str, ...], _NotApplicable]


class _Summary(msgspec.Struct):
    """A score's `summary` (`storage.card_summary`): each section's earned and possible, each answer as stored."""

    s: dict[str, tuple[Union[int, str], Union[int, str]]]
    a: dict[str, _StoredAnswer]


_SUMMARY = msgspec.json.Decoder(_Summary)
_NO_SUMMARY = (None, "null")  # no summary row, or a JSON null written by hand


def _hashable(value: Any) -> object:
    """A stored answer read without the typed reading, in the form the typed reading gives."""
    if value is None or value.__class__ in (bool, int, float, str):
        return value
    if value.__class__ is list and all(item.__class__ is str for item in value):
        return tuple(value)
    if value == {"na": True}:
        return _NotApplicable(True)
    return _Odd(msgspec.json.encode(value).decode(), value)


def _raw(answer: object) -> object:
    """A stored answer back in the card's own form (`scoring.card_to_data`)."""
    if answer.__class__ is _NotApplicable:
        return {"na": True}
    if answer.__class__ is tuple:
        return list(answer)  # type: ignore[call-overload]
    if answer.__class__ is _Odd:
        return answer.value  # type: ignore[attr-defined]
    return answer


def _read_summary(text: str) -> _Summary:
    try:
        return _SUMMARY.decode(text)
    except msgspec.ValidationError:
        return _summary_of(msgspec.json.decode(text))


def _summary_of(data: Mapping[str, Any]) -> _Summary:
    """A summary read as plain data (`storage.card_summary`'s form) in the form the typed reading gives."""
    return _Summary(s={key: tuple(totals) for key, totals in data["s"].items()},  # type: ignore[misc]
                    a={key: _hashable(value) for key, value in data["a"].items()})  # type: ignore[misc]


def _summary_of_card(text: str) -> _Summary:
    """The summary of a score stored without one, made from its card."""
    return _summary_of(card_summary(msgspec.json.decode(text)))


@dataclass(frozen=True)
class _Names:
    """What an export's rows name, read once: per store (code, name, area, region, time zone), per person their
    name, per checklist version its number."""

    stores: dict[int, tuple[str, str, str, str, str]]
    people: dict[int, str]
    versions: dict[int, int]


def _names(session: Session, scope: Scope, version_ids: Sequence[int], text: Callable[[str], str]) -> _Names:
    """The names of the scope's stores (a time zone of none as "UTC") and of everyone, each through `text`."""
    stores = {row[0]: (text(row[1]), text(row[2]), text(row[3]), text(row[4]), text(row[5] or "UTC"))
              for row in session.execute(
                  select(Store.id, Store.code, Store.name, Area.name, Region.name, Store.timezone)
                  .join(Area, Store.area_id == Area.id).join(Region, Area.region_id == Region.id)
                  .where(Store.area_id.in_(scope.area_ids)))}
    people = {person_id: text(name) for person_id, name in session.execute(select(User.id, User.name))}
    versions = dict(session.execute(select(ChecklistVersion.id, ChecklistVersion.number)
                                    .where(ChecklistVersion.id.in_(list(version_ids)))).all())
    return _Names(stores=stores, people=people, versions=versions)  # type: ignore[arg-type]


def _in_batches(session: Session, query: Select[Any], batch_query: Select[Any], names: _Names) -> Iterator[Any]:
    """The visits of `query` in its order, read BATCH_ROWS at a time: the ordered ids first (small rows, so the
    database sorts nothing large), then each batch of visits by id through `batch_query` (`_read_ahead`), their
    stores, people and version numbers filled in from `names`, and their summary decoded (read from the card for
    a score stored without one). A visit re-scored, voided or moved out of the scope since its id was read is
    left out."""
    ids = list(session.scalars(query.with_only_columns(Visit.id)))
    stores, people, numbers = names.stores, names.people, names.versions
    for batch, found, cards in _read_ahead(session, batch_query, ids):
        for vid in batch:
            row = found.get(vid)
            if row is None:
                continue
            (_, store_id, shopper_id, started, submitted, status, version_id, pct, grade, crit, score_id,
             text) = row
            store = stores.get(store_id)
            if store is None:
                continue
            code, name, area, region, zone_name = store
            summary = _read_summary(text) if text not in _NO_SUMMARY else _summary_of_card(cards[score_id])
            yield (vid, code, name, area, region, people.get(shopper_id), started, submitted, zone_name, status,
                   version_id, numbers[version_id], pct, grade, crit, summary)


def _read_ahead(session: Session, batch_query: Select[Any], ids: Sequence[int]
                ) -> Iterator[tuple[Sequence[int], dict[int, Any], dict[int, str]]]:
    """Each batch of ids with its rows by visit id and the cards of its scores without a summary. The next batch
    is read on a connection of its own, on a thread of its own, while the caller writes this one out: the
    database's work and the wait for it overlap the formatting instead of adding to it. Each batch is one
    statement, as it was read inline, so what it sees is the same (each sees what is committed when it runs)."""
    batches = [ids[start:start + BATCH_ROWS] for start in range(0, len(ids), BATCH_ROWS)]
    if not batches:
        return
    with session.get_bind().connect() as connection, \
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="export-read") as reader:
        read = _batch_reader(connection, batch_query)
        pending = reader.submit(_read_batch, connection, read, batches[0])
        for number, batch in enumerate(batches):
            found, cards = pending.result()
            if number + 1 < len(batches):
                pending = reader.submit(_read_batch, connection, read, batches[number + 1])
            yield batch, found, cards


def _batch_reader(connection: Connection, batch_query: Select[Any]) -> Callable[[Sequence[int]], Iterable[Any]]:
    """How a batch's rows are read: on PostgreSQL through the driver, the statement compiled once with the ids as
    one array (`= ANY`), so that neither SQLAlchemy's compiler nor its result processing runs per batch (the rows
    are read on another thread, and each of them held the lock the writer needs: a third of the export's time).
    What is read is what `batch_query` reads: its columns carry no result processing on PostgreSQL beyond making
    times aware of their zone, which the driver's already are. Elsewhere, `batch_query` with the ids `IN`."""
    if connection.dialect.name != "postgresql":
        return lambda batch: connection.execute(batch_query.where(Visit.id.in_(list(batch))))
    statement = batch_query.where(Visit.id == func.any(bindparam("batch_ids", type_=postgresql.ARRAY(Integer))))
    expanded = statement.compile(dialect=connection.dialect).construct_expanded_state({"batch_ids": [0]})
    sql, parameters = expanded.statement, dict(expanded.parameters)

    def read(batch: Sequence[int]) -> Iterable[Any]:
        return connection.exec_driver_sql(sql, {**parameters, "batch_ids": list(batch)})

    return read


def _read_batch(connection: Connection, read: Callable[[Sequence[int]], Iterable[Any]], batch: Sequence[int]
                ) -> tuple[dict[int, Any], dict[int, str]]:
    found = {row[0]: row for row in read(batch)}
    unsummarised = [row[-2] for row in found.values() if row[-1] in _NO_SUMMARY]
    cards = dict(connection.execute(select(VisitScore.id, type_coerce(cast(VisitScore.card, Text), Text))
                                    .where(VisitScore.id.in_(unsummarised))).all()) if unsummarised else {}
    return found, cards


def _plan_version(definition: scoring.Checklist, question_keys: Sequence[str]) -> _Version:
    """A version's reading of the export's question columns (`question_keys`, in order): the key and question of
    each column the version has ("" and None where it has none: the cell stays empty), and an empty memo per
    column."""
    keys: list[str] = [""] * len(question_keys)
    questions: list[scoring.Question | None] = [None] * len(question_keys)
    column = {key: i for i, key in enumerate(question_keys)}
    for _, question in definition.questions():
        at = column.get(question.key)
        if at is not None:
            keys[at], questions[at] = question.key, question
    return _Version(definition=definition, keys=tuple(keys), questions=tuple(questions),
                    memos=tuple({None: None} for _ in question_keys), grades={})


def _section_cell(totals: tuple[object, object], memo: dict[object, Cell]) -> Cell:
    """A section's percent from its (earned, possible), remembered in `memo`; empty when nothing was possible."""
    possible = Fraction(totals[1])  # type: ignore[arg-type]
    value = _percent(Fraction(totals[0]) / possible * 100) if possible else None  # type: ignore[arg-type]
    if len(memo) < _MEMO_LIMIT:
        memo[totals] = value
    return value


def _remember(version: _Version, i: int, answer: object, lang: str, labels: Mapping[str, str],
              for_csv: bool) -> Cell:
    """The cell of a stored answer in question column `i`, remembered in that column's memo."""
    question = version.questions[i]
    cell = _answer_cell(question, question.type if question is not None else "", _raw(answer), lang, labels)
    if for_csv and cell.__class__ is str:
        cell = neutralise_cell(cell)  # type: ignore[arg-type]
    memo = version.memos[i]
    if len(memo) < _MEMO_LIMIT:
        memo[answer] = cell
    return cell


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
    # texts need neutralising, and times their format (done by the rows themselves where they can).
    plain = csv.writer(out, lineterminator="\r\n")
    written = 0
    for cells in export.rows(for_csv=True) if export.csv_ready else _csv_cells(export):
        plain.writerow(cells)
        written += 1
        if written % BATCH_ROWS == 0:
            yield out.getvalue().encode("utf-8")
            out.seek(0)
            out.truncate()
    if out.tell():
        yield out.getvalue().encode("utf-8")


def _csv_cells(export: VisitExport) -> Iterator[list[Cell]]:
    """The rows of an export that does not make them CSV-ready itself, each text neutralised and time formatted."""
    texts = [i for i, kind in enumerate(export.kinds) if kind in (TEXT, ANSWER, DATE_ANSWER, TIME_ANSWER)]
    times = [i for i, kind in enumerate(export.kinds) if kind == DATETIME]
    for cells in export.rows():
        for i in times:
            at = cells[i]
            cells[i] = at.strftime("%Y-%m-%d %H:%M") if at is not None else None  # type: ignore[union-attr]
        for i in texts:
            cell = cells[i]
            if cell.__class__ is str:
                cells[i] = neutralise_cell(cell)  # type: ignore[arg-type]
        yield cells


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

    def rows(**options: Any) -> Iterator[list[Cell]]:
        for cells in export.rows(**options):
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
