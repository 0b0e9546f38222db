"""The streamed visits export: the same CSV bytes as the first, in-memory version for the same data, every check made
before the first byte, and an Excel workbook with the same rows, typed cells and a frozen header."""

from __future__ import annotations

import io
import threading
from datetime import datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction

import openpyxl
import pytest
from sqlalchemy import delete, func, select

import scoring
from audit_app.extensions import db
from audit_app.models import ScoreSummary, VisitScore
from audit_app.services import exports, settings, xlsx
from audit_app.services.errors import NotFoundError, PermissionDeniedError
from audit_app.services.scores import scope as scopes
from reports.context import DEFAULT_LABELS
from tests.factories import (
    NOW, ScorecardWorld, make_published_checklist, make_store, make_submitted_visit, scorecard_answers,
    scorecard_checklist_data,
)
from tests.services.export_reference import reference_csv

JA_HEADERS = {
    "visit": "訪問", "store_code": "店舗コード", "store": "店舗", "area": "エリア", "region": "地域", "shopper": "調査員",
    "started_at": "開始（店舗の現地時刻）", "submitted_at": "提出（店舗の現地時刻）", "timezone": "店舗のタイムゾーン",
    "status": "状態", "checklist": "チェックリスト", "version": "版", "overall": "総合 %", "grade": "評価",
    "critical_failures": "重大な不備", "section": "セクション %", "sheet": "訪問",
}
JA_LABELS = dict(DEFAULT_LABELS, na="該当なし", yes="はい", no="いいえ", photo_answer="写真",
                 **{"status.submitted": "提出済み"})


def second_version() -> dict:
    """Version 2 of the scorecard checklist: a choice, a multi, a number with a unit, a photo, a note, a question
    for head office only, and `greeting_time` taken away (older visits still have it)."""
    data = scorecard_checklist_data()
    staff = data["sections"][0]["questions"]
    data["sections"][0]["questions"] = [q for q in staff if q["key"] != "greeting_time"] + [
        {"key": "tip", "type": "note", "text": {"en": "Look around first", "ja": "まず見回す"}},
        {"key": "window", "type": "choice", "text": {"en": "Window display?", "ja": "ウィンドウ"}, "allow_na": True,
         "options": [{"key": "new", "text": {"en": "Current", "ja": "最新"}, "fraction": 1},
                     {"key": "old", "text": {"en": "Old", "ja": "古い"}, "fraction": 0}]},
        {"key": "access", "type": "multi", "text": {"en": "Accessibility", "ja": "設備"},
         "options": [{"key": "ramp", "text": {"en": "Ramp", "ja": "スロープ"}, "fraction": 0.5},
                     {"key": "lift", "text": {"en": "Lift", "ja": "エレベーター"}, "fraction": 0.5}]},
        {"key": "litter", "type": "number", "text": {"en": "Litter", "ja": "ごみ"}, "unit": {"en": "items", "ja": "件"},
         "bands": [{"max": 0, "fraction": 1}, {"fraction": 0}]},
        {"key": "receipt", "type": "photo", "text": {"en": "Receipt", "ja": "レシート"}, "required": False},
        {"key": "staff_names", "type": "text", "text": {"en": "Staff names", "ja": "スタッフ名"},
         "audience": "head_office", "required": False},
    ]
    data["sections"][1]["title"] = {"en": "Checkout desk", "ja": "レジカウンター"}
    return data


@pytest.fixture
def rich(sw: ScorecardWorld) -> ScorecardWorld:
    """The scorecard world plus version 2 visits, a store with a formula for a name and awkward free text."""
    w = sw.world
    v2 = make_published_checklist(second_version())
    evil = make_store(w.area, "S8", "=HYPERLINK(\"http://evil.example\",\"x\")")
    base = sw.now - timedelta(days=2)
    for i, (store, extra) in enumerate([
        (w.store, {"window": "new", "access": ["ramp", "lift"], "litter": 0, "staff_names": "Aiko, 佐藤"}),
        (evil, {"window": scoring.NA, "access": ["lift"], "litter": 3, "remarks": "@SUM(1+1)\r\n-2+3 \"quoted\""}),
        (sw.extra_store, {"window": "old", "access": [], "litter": 12, "remarks": "  とても良い  "}),
    ]):
        answers = {k: v for k, v in scorecard_answers(i % 4).items() if k != "greeting_time"}
        answers.update(extra)
        make_submitted_visit(w.shopper, store, v2.checklist_id, answers, at=base + timedelta(hours=i * 7))
    db.session.commit()
    return sw


CASES = [
    ("manager", "area", "en", True), ("manager", "area", "ja", True), ("manager", "area", "ja", False),
    ("head", "area", "en", True), ("head", "region", "ja", True), ("head", "region", "en", True),
    ("manager", "store", "ja", True), ("head", "store", "en", True),
]


@pytest.mark.parametrize(("who", "kind", "lang", "show_shopper"), CASES)
def test_the_streamed_csv_is_byte_for_byte_the_csv_the_first_version_wrote(
        rich: ScorecardWorld, who: str, kind: str, lang: str, show_shopper: bool) -> None:
    w = rich.world
    if not show_shopper:
        settings.update_settings(db.session, w.head, {"show_shopper_to_managers": False}, now=NOW)
    user = w.manager if who == "manager" else w.head
    headers, labels = (JA_HEADERS, JA_LABELS) if lang == "ja" else ({}, DEFAULT_LABELS)
    period = scopes.make_period(rich.now, 365)
    scope_id = {"area": w.area.id, "region": w.region.id, "store": w.store.id}[kind]
    if kind == "store":
        scope, store_ids = scopes.get_store_scope(db.session, user, scope_id), [scope_id]
    else:
        scope = (scopes.get_region_scope if kind == "region" else scopes.get_area_scope)(db.session, user, scope_id)
        store_ids = None
    expected = reference_csv(db.session, user, scope, period=period, checklist_id=None, lang=lang, headers=headers,
                             labels=labels, store_ids=store_ids)
    export = exports.prepare_scope_export(db.session, user, kind, scope_id, period=period, checklist_id=None,
                                          lang=lang, headers=headers, labels=labels)
    chunks = list(exports.csv_chunks(export))
    assert b"".join(chunks) == expected
    assert chunks[0].startswith(b"\xef\xbb\xbf")
    assert expected.count(b"\r\n") > 3  # the fixture really has rows
    if who == "manager":
        assert b"staff_names" not in expected and b"Aiko" not in expected
    else:
        assert "Aiko, 佐藤".encode() in expected


def test_scores_stored_before_summaries_were_kept_export_the_same(rich: ScorecardWorld) -> None:
    """A score without a summary (stored before migration 0016, or one it could not read) is exported from its
    card: the file is byte for byte the same, with some rows from summaries and some from cards."""
    w = rich.world
    period = scopes.make_period(rich.now, 365)

    def region_csv() -> bytes:
        return b"".join(exports.csv_chunks(exports.prepare_scope_export(
            db.session, w.head, "region", w.region.id, period=period, checklist_id=None, lang="ja",
            headers=JA_HEADERS, labels=JA_LABELS)))

    whole = region_csv()
    ids = sorted(db.session.scalars(select(VisitScore.id)))
    db.session.execute(delete(ScoreSummary).where(ScoreSummary.visit_score_id.in_(ids[::2])))
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(ScoreSummary)) == len(ids) - len(ids[::2])
    assert len(ids[::2]) > 2
    assert region_csv() == whole


def test_a_batch_boundary_changes_nothing(rich: ScorecardWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    w = rich.world
    period = scopes.make_period(rich.now, 365)
    whole = b"".join(exports.csv_chunks(exports.prepare_scope_export(
        db.session, w.head, "region", w.region.id, period=period, checklist_id=None, lang="en", headers={})))
    monkeypatch.setattr(exports, "BATCH_ROWS", 2)
    small = list(exports.csv_chunks(exports.prepare_scope_export(
        db.session, w.head, "region", w.region.id, period=period, checklist_id=None, lang="en", headers={})))
    assert len(small) > 3 and b"".join(small) == whole


def test_an_export_stopped_half_way_gives_back_its_reader(rich: ScorecardWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    """A download the reader abandons (the server closes the stream) stops the batch reader: its thread ends and
    its connection goes back to the pool."""
    w = rich.world
    monkeypatch.setattr(exports, "BATCH_ROWS", 2)
    export = exports.prepare_scope_export(db.session, w.head, "region", w.region.id,
                                          period=scopes.make_period(rich.now, 365), checklist_id=None, lang="en",
                                          headers={})
    before = db.engine.pool.checkedout()
    chunks = exports.csv_chunks(export)
    assert next(chunks).startswith(b"\xef\xbb\xbf") and next(chunks)  # the header, then the first batch
    assert db.engine.pool.checkedout() == before + 1
    assert any(t.name.startswith("export-read") for t in threading.enumerate())
    chunks.close()
    assert db.engine.pool.checkedout() == before
    assert not any(t.name.startswith("export-read") for t in threading.enumerate())


def test_every_refusal_comes_before_the_first_byte(rich: ScorecardWorld) -> None:
    w = rich.world
    period = scopes.make_period(rich.now, 365)
    with pytest.raises(PermissionDeniedError):
        exports.prepare_scope_export(db.session, w.shopper, "area", w.area.id, period=period, checklist_id=None,
                                     lang="en", headers={})
    with pytest.raises(PermissionDeniedError):
        exports.prepare_scope_export(db.session, w.manager, "area", w.other_area.id, period=period,
                                     checklist_id=None, lang="en", headers={})
    with pytest.raises(NotFoundError):
        exports.prepare_scope_export(db.session, w.manager, "store", 999999, period=period, checklist_id=None,
                                     lang="en", headers={})
    # An empty period is a file with its header row and nothing else, not an error.
    empty = exports.prepare_scope_export(db.session, w.manager, "area", w.area.id,
                                         period=scopes.make_period(rich.now - timedelta(days=3000), 7),
                                         checklist_id=None, lang="en", headers={})
    assert b"".join(exports.csv_chunks(empty)).count(b"\r\n") == 1


def _sheet(export: exports.VisitExport):  # type: ignore[no-untyped-def]
    data = b"".join(exports.xlsx_chunks(export))
    return openpyxl.load_workbook(io.BytesIO(data)).active, data


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_the_workbook_has_the_csvs_rows_as_typed_cells_under_a_frozen_header(rich: ScorecardWorld, lang: str) -> None:
    w = rich.world
    headers, labels = (JA_HEADERS, JA_LABELS) if lang == "ja" else ({}, DEFAULT_LABELS)
    period = scopes.make_period(rich.now, 365)
    args = dict(period=period, checklist_id=None, lang=lang, headers=headers, labels=labels)
    csv_rows = [line.split(",") for line in b"".join(exports.csv_chunks(exports.prepare_scope_export(
        db.session, w.head, "region", w.region.id, **args))).decode("utf-8-sig").split("\r\n")[:1]]
    sheet, data = _sheet(exports.prepare_scope_export(db.session, w.head, "region", w.region.id, **args))
    assert b"<f>" not in data and b"<f " not in data  # no cell is ever a formula
    assert sheet.freeze_panes == "A2"
    assert sheet.title == ("訪問" if lang == "ja" else "Visits")
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    assert header[:3] == csv_rows[0][:3]
    col = {name: header.index(name) for name in header}
    words = JA_HEADERS if lang == "ja" else {}
    visit_word, store_word = words.get("visit", "visit"), words.get("store", "store")
    body = {row[col[visit_word]]: row for row in rows[1:]}
    assert all(isinstance(v, int) for v in body)
    evil = next(r for r in body.values() if str(r[col[store_word]]).startswith("=HYPERLINK"))
    assert sheet.cell(row=2 + rows[1:].index(evil), column=col[store_word] + 1).data_type == "s"
    overall = words.get("overall", "overall")
    stored = {s.visit_id: s for s in db.session.scalars(select(VisitScore).where(VisitScore.is_current.is_(True)))}
    for vid, row in body.items():
        shown = Decimal(scoring.format_percent(Fraction(stored[vid].percent_exact)))
        assert row[col[overall]] == pytest.approx(float(shown / 100))
    started = words.get("started_at", "started_at")
    assert all(isinstance(r[col[started]], datetime) for r in body.values())
    cell = sheet.cell(row=2, column=col[overall] + 1)
    assert cell.data_type == "n" and "%" in cell.number_format
    litter = next(name for name in header if name.endswith("[litter]"))
    assert sorted(r[col[litter]] for r in body.values() if r[col[litter]] is not None) == [0, 3, 12]
    if lang == "ja":
        assert any(name.startswith("セクション %: レジカウンター") for name in header)
        assert "該当なし" in [r[col[next(n for n in header if n.endswith("[window]"))]] for r in body.values()]


def test_awkward_text_comes_back_from_the_workbook_exactly_as_written_and_never_as_a_formula() -> None:
    texts = ["=1+2", "@SUM(A1)", "  spaced  ", "line\r\nbreak", "_x0041_ stays", "bell\x07", "<b>&amp;</b> \"q\"",
             "店舗 '引用'"]
    header = ["text", "when", "percent", "points"]
    kinds = [exports.TEXT, exports.DATETIME, exports.PERCENT, exports.ANSWER]
    rows = [[text, datetime(2026, 11, 21, 8, 30, 15), Decimal("87.5"), Decimal("12.5")] for text in texts]
    data = b"".join(xlsx.stream_sheet("Visits: [all]", header, kinds, rows))
    assert b"<f>" not in data and b"<f " not in data
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet.title == "Visits   all"
    got = list(sheet.iter_rows(min_row=2, values_only=True))
    # Excel reads OOXML's _xHHHH_ escapes: a control character and text that looks like an escape are written
    # as such (openpyxl shows them still escaped).
    import zipfile
    sheet_xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert "<t>_x005F_x0041_ stays</t>" in sheet_xml and "<t>bell_x0007_</t>" in sheet_xml
    for text, row in zip(texts, got):
        if text not in ("_x0041_ stays", "bell\x07"):
            assert row[0] == text, (text, row[0])
        assert row[1] == datetime(2026, 11, 21, 8, 30, 15)
        assert row[2] == pytest.approx(0.875) and row[3] == pytest.approx(12.5)
    assert all(sheet.cell(row=r, column=1).data_type == "s" for r in range(2, len(texts) + 2))


def test_date_and_time_answers_are_excel_dates_and_times_and_anything_else_stays_text() -> None:
    header = ["visit date", "entered"]
    kinds = [exports.DATE_ANSWER, exports.TIME_ANSWER]
    rows = [["2026-11-27", "10:03"], ["2026-02-30", "25:00"], ["N/A", "9:05:30"], ["=1+2", "@A1"]]
    data = b"".join(xlsx.stream_sheet("Visits", header, kinds, rows))
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    got = [[(cell.value, cell.data_type, cell.number_format) for cell in row] for row in sheet.iter_rows(min_row=2)]
    assert got[0] == [(datetime(2026, 11, 27), "d", "yyyy-mm-dd"), (time(10, 3), "d", "hh:mm")]
    assert [value for value, _, _ in got[1]] == ["2026-02-30", "25:00"]  # no such day, no such hour: as typed
    assert got[2][0][0] == "N/A" and got[2][1][:2] == (time(9, 5, 30), "d")
    assert [value for value, kind, _ in got[3] if kind == "s"] == ["=1+2", "@A1"]



def test_a_summary_answer_of_an_unexpected_form_is_read_as_it_is() -> None:
    """Answers are read typed (hashable, so each keys a column's memo); one of another form (a list of numbers,
    an object) still comes back as stored instead of failing the whole export."""
    typed = exports._read_summary('{"s":{"a":[1,"3/2"]},"a":{"m":["bag","card"],"n":{"na":true},"t":"x","i":3}}')
    assert typed.s == {"a": (1, "3/2")}
    assert [exports._raw(typed.a[k]) for k in "mnti"] == [["bag", "card"], {"na": True}, "x", 3]
    odd = exports._read_summary('{"s":{},"a":{"m":[1,2],"o":{"x":1},"t":"x"}}')
    assert [exports._raw(odd.a[k]) for k in "mot"] == [[1, 2], {"x": 1}, "x"]
    assert len({odd.a["m"], odd.a["o"], odd.a["t"]}) == 3  # each can key a memo
