"""An area manager downloads the visits of their area as CSV and as Excel, in English and in Japanese, from the links
on the dashboard and the store page; the files hold what the database holds."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from fractions import Fraction

import openpyxl
import pytest
from sqlalchemy import select

import scoring
from audit_app.extensions import db
from audit_app.models import Visit, VisitScore
from audit_app.services.zones import local_time
from tests.factories import ScorecardWorld, scorecard_answers

WORDS = {
    "en": {"visit": "Visit", "store": "Store", "overall": "Overall %", "submitted": "Submitted (store's local time)",
           "queue": "Queue wait [queue_wait]", "sheet": "Counted visits", "excel": "Download Excel",
           "csv": "Download CSV", "status": "Status", "submitted_status": "Submitted"},
    "ja": {"visit": "訪問", "store": "店舗", "sheet": "集計対象の訪問", "excel": "Excelをダウンロード",
           "csv": "CSVをダウンロード", "submitted_status": "提出済み"},
}


# Fixed columns (shoppers shown): visit, store code, store, area, region, shopper, started, submitted, zone, status.
STATUS, SUBMITTED, OVERALL = 9, 7, 12


def _links(html: str) -> dict[str, str]:
    return {text.strip(): href.replace("&amp;", "&")
            for href, text in re.findall(r'<a class="button" href="([^"]+)">([^<]+)</a>', html)}


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_an_area_manager_downloads_csv_and_excel_holding_the_stored_scores(
        sw: ScorecardWorld, login, lang: str) -> None:
    w = sw.world
    w.manager.locale = lang
    db.session.commit()
    client = login(w.manager)
    words = WORDS[lang]
    links = _links(client.get(f"/manager/areas/{w.area.id}?days=365").get_data(as_text=True))
    assert words["csv"] in links and words["excel"] in links
    assert links[words["excel"]].startswith(f"/manager/areas/{w.area.id}/visits.xlsx")
    assert "days=365" in links[words["excel"]]

    csv_response = client.get(links[words["csv"]])
    xlsx_response = client.get(links[words["excel"]])
    assert csv_response.status_code == 200 and xlsx_response.status_code == 200
    assert xlsx_response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    disposition = xlsx_response.headers["Content-Disposition"]
    assert re.fullmatch(r'attachment; filename="visits-area-A1-365d-\d{8}\.xlsx"', disposition)
    assert csv_response.headers["Content-Disposition"].replace(".csv", ".xlsx") == disposition

    csv_rows = list(csv.reader(io.StringIO(csv_response.get_data().decode("utf-8-sig"))))
    book = openpyxl.load_workbook(io.BytesIO(xlsx_response.get_data()))
    sheet = book.active
    assert sheet.title == words["sheet"] and sheet.freeze_panes == "A2"
    cells = [["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)]
    assert cells[0] == csv_rows[0]  # the same columns, worded the same
    header = cells[0]
    assert words["visit"] in header and words["store"] in header

    in_area = {v.id: (store, q) for store, days, q, v in sw.visits if store.area_id == w.area.id}
    stored = {s.visit_id: s for s in db.session.scalars(select(VisitScore).where(VisitScore.is_current.is_(True)))}
    visits = {v.id: v for v in db.session.scalars(select(Visit))}
    assert sorted(row[0] for row in cells[1:]) == sorted(in_area)
    assert [int(row[0]) for row in csv_rows[1:]] == [row[0] for row in cells[1:]]  # same order, newest first
    for csv_row, row in zip(csv_rows[1:], cells[1:]):
        vid = row[0]
        store, quality = in_area[vid]
        assert row[2] == csv_row[2] == store.name
        overall = Fraction(stored[vid].percent_exact)
        shown = scoring.format_percent(overall)
        assert csv_row[OVERALL] == shown
        assert row[OVERALL] == pytest.approx(float(shown) / 100)  # a number shown with a percent format
        assert sheet.cell(row=cells.index(row) + 1, column=OVERALL + 1).number_format == "0.0%"
        local = local_time(visits[vid].submitted_at, store.timezone).replace(tzinfo=None, microsecond=0)
        assert isinstance(row[SUBMITTED], datetime) and row[SUBMITTED] == local
        assert csv_row[SUBMITTED] == local.strftime("%Y-%m-%d %H:%M")
        queue_at = header.index(next(h for h in header if h.endswith("[queue_wait]")))
        assert row[queue_at] == scorecard_answers(quality)["queue_wait"]  # seconds, as a number
        assert csv_row[queue_at] == str(scorecard_answers(quality)["queue_wait"])
    statuses = {row[STATUS] for row in cells[1:]}
    assert statuses == {words["submitted_status"]}
    if lang == "ja":
        assert any(h.endswith(": レジ") for h in header) and "店舗訪問" in {row[10] for row in cells[1:]}


def test_the_store_page_offers_excel_beside_csv_and_another_area_is_refused(sw: ScorecardWorld, login) -> None:
    client = login(sw.world.manager)
    links = _links(client.get(f"/manager/stores/{sw.world.store.id}").get_data(as_text=True))
    assert links["Download Excel"].startswith(f"/manager/stores/{sw.world.store.id}/visits.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(client.get(links["Download Excel"]).get_data()))
    names = {row[2] for row in book.active.iter_rows(min_row=2, values_only=True)}
    assert names <= {sw.world.store.name} and names
    assert client.get(f"/manager/stores/{sw.world.other_store.id}/visits.xlsx").status_code == 403
    assert client.get(f"/manager/areas/{sw.world.other_area.id}/visits.xlsx").status_code == 403
