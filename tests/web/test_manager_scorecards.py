"""Scorecard pages, CSV and PDF through the web, with figures computed independently from the engine."""

from __future__ import annotations

import csv
import html as html_lib
import io
import re
import shutil
import subprocess
from datetime import timedelta
from fractions import Fraction
from urllib.parse import parse_qs, urlsplit

from flask import Flask
from pypdf import PdfReader
from sqlalchemy import select

import scoring
from audit_app.extensions import db
from audit_app.models import Answer, VisitScore
from audit_app.services import settings
from tests.factories import SCORECARD_CHECKLIST as CHECKLIST
from tests.factories import (NOW, ScorecardWorld, World, avg, make_area, make_published_checklist, make_store,
                             make_submitted_visit, scorecard_answers, shown, small_checklist_data)
from tests.factories import scorecard_pct as pct


def test_the_area_dashboard_shows_the_engines_figures_and_says_how_it_averages(sw: ScorecardWorld, login) -> None:
    client = login(sw.world.manager)
    html = client.get(f"/manager/areas/{sw.world.area.id}").get_data(as_text=True)
    assert "Ginza" in html and "渋谷スクランブル店" in html and "Umeda" not in html
    assert f"{shown(pct(2))}%" in html  # Ginza's latest visit
    assert f"{shown(avg([pct(0), pct(3), pct(2)]))}%" in html  # Ginza's period mean
    assert f"{shown(avg([pct(0), pct(3), pct(2), pct(3), pct(1)]))}%" in html  # the area average
    assert "mean of visit percents" in html
    assert 'class="table heatmap"' in html


def test_the_dashboard_sorts_by_a_column_with_links_that_need_no_script(sw: ScorecardWorld, login) -> None:
    client = login(sw.world.manager)
    html = client.get(f"/manager/areas/{sw.world.area.id}?sort=name&order=desc").get_data(as_text=True)
    assert html.index("渋谷スクランブル店") < html.index("Ginza")
    assert 'aria-sort="descending"' in html
    html = client.get(f"/manager/areas/{sw.world.area.id}?sort=name&order=asc").get_data(as_text=True)
    assert html.index("Ginza") < html.index("渋谷スクランブル店")


def test_a_region_of_many_stores_is_paged_keeping_the_sort_and_the_averages_of_all(
        sw: ScorecardWorld, login) -> None:
    for n in range(55):
        make_store(sw.world.area, f"P{n:02d}", f"Plain store {n:02d}")
    client = login(sw.world.head)
    url = f"/manager/regions/{sw.world.region.id}"
    first = client.get(f"{url}?sort=name&order=asc").get_data(as_text=True)
    # 58 stores of the region: 50 on the first page, sorted by name over all of them; the average is of all.
    assert "Stores 1–50 of 58" in first
    assert "Ginza" in first and "Plain store 00" in first and "Umeda" not in first
    average = f"{shown(avg([pct(0), pct(3), pct(2), pct(3), pct(1), pct(0), pct(3)]))}%"
    assert average in first
    nxt = re.search(r'<a href="([^"]+)" rel="next">', first)
    assert nxt is not None
    link = urlsplit(html_lib.unescape(nxt.group(1)))
    assert link.path == url and link.fragment == "stores-h"
    assert parse_qs(link.query) == {"page": ["2"], "sort": ["name"], "order": ["asc"], "days": ["90"],
                                    "checklist": [str(sw.version.checklist_id)]}
    second = client.get(f"{url}?sort=name&order=asc&page=2").get_data(as_text=True)
    assert "Stores 51–58 of 58" in second
    assert "Umeda" in second and "渋谷スクランブル店" in second and "Plain store 00" not in second
    assert average in second
    assert 'aria-current="page">2<' in second and 'rel="prev"' in second and 'rel="next"' not in second
    # A page past the last shows the last; a malformed one the first.
    assert "Stores 51–58 of 58" in client.get(f"{url}?sort=name&order=asc&page=999").get_data(as_text=True)
    assert "Stores 1–50 of 58" in client.get(f"{url}?page=abc").get_data(as_text=True)


def test_a_new_area_without_visits_says_so_instead_of_showing_zeros(app: Flask, world: World, login) -> None:
    area = make_area(world.region, "A9", "Hokkaido")
    make_store(area, "S90", "Sapporo")
    html = login(world.head).get(f"/manager/areas/{area.id}").get_data(as_text=True)
    assert "No visits have been counted in this period" in html
    assert "0.0%" not in html


def test_the_store_page_shows_trend_sections_recurring_failures_and_kpis(sw: ScorecardWorld, login) -> None:
    html = login(sw.world.manager).get(f"/manager/stores/{sw.world.store.id}").get_data(as_text=True)
    assert html.count('<svg') >= 2 and "<script" not in html.split("</header>")[1]
    assert 'role="img"' in html and "Chart data as a table" in html
    assert "failed in 3 of the last 4 visits" in html
    assert f"{shown(avg([pct(0), pct(3), pct(2)]))}%" in html
    nps = scoring.nps([scorecard_answers(q)["nps"] for q in (0, 3, 2)])
    assert f"NPS</dt><dd>{'+' if nps > 0 else '−' if nps < 0 else '±'}{shown(abs(nps))}" in html


def test_the_visit_page_explains_every_question_and_the_critical_failure(sw: ScorecardWorld, login) -> None:
    worst = next(v for store, days, q, v in sw.visits if store.id == sw.world.store.id and q == 0)
    answer = db.session.scalar(select(Answer).where(Answer.visit_id == worst.id, Answer.question_key == "csat"))
    answer.comment = "店員さんは親切でした"
    db.session.commit()
    html = login(sw.world.manager).get(f"/manager/visits/{worst.id}").get_data(as_text=True)
    for text in ("Were you greeted?", "Queue wait", "Recommend?", "Critical failure: the visit is capped at 50.0%",
                 "Not scored: recorded for information", "店員さんは親切でした", "400 s", "Store visit v1"):
        assert text in html, text
    assert f"{shown(pct(0))}%" in html
    assert sw.world.shopper.name in html


def test_area_managers_do_not_see_shopper_names_when_head_office_hides_them(sw: ScorecardWorld, login) -> None:
    settings.update_settings(db.session, sw.world.head, {"show_shopper_to_managers": False}, now=NOW)
    client = login(sw.world.manager)
    visit = sw.visits[0][3]
    assert sw.world.shopper.name not in client.get(f"/manager/visits/{visit.id}").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(
        client.get(f"/manager/areas/{sw.world.area.id}/visits.csv").get_data().decode("utf-8-sig"))))
    assert "Shopper" not in rows[0]
    assert all(sw.world.shopper.name not in row for row in rows)


def test_the_csv_parses_back_to_the_stored_scores_with_japanese_intact(sw: ScorecardWorld, login) -> None:
    response = login(sw.world.manager).get(f"/manager/areas/{sw.world.area.id}/visits.csv?days=365")
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf") and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    in_area = [v for store, days, q, v in sw.visits if store.area_id == sw.world.area.id]
    assert sorted(int(r["Visit"]) for r in rows) == sorted(v.id for v in in_area)
    assert {r["Store"] for r in rows} == {"Ginza", "渋谷スクランブル店"}
    stored = {s.visit_id: s for s in db.session.scalars(select(VisitScore).where(VisitScore.is_current.is_(True)))}
    for row in rows:
        exact = Fraction(stored[int(row["Visit"])].percent_exact)
        assert row["Overall %"] == shown(exact)
        assert row["Shopper"] == sw.world.shopper.name
    quality = {v.id: q for store, days, q, v in sw.visits}
    for row in rows:
        answers = scorecard_answers(quality[int(row["Visit"])])
        assert row["Queue wait [queue_wait]"] == str(answers["queue_wait"])
        card = scoring.score(CHECKLIST, answers)
        assert row["Section %: Checkout"] == shown(card.sections[1].percent)
        expected_bag = "N/A" if answers["bag_offered"] is scoring.NA else answers["bag_offered"].title()
        assert row["Offered a bag? [bag_offered]"] == expected_bag


def test_managers_cannot_reach_other_areas_by_guessing_urls(sw: ScorecardWorld, login) -> None:
    client = login(sw.world.manager)
    other_store, other_area = sw.world.other_store.id, sw.world.other_area.id
    other_visit = next(v for store, days, q, v in sw.visits if store.id == other_store)
    for path in (f"/manager/stores/{other_store}", f"/manager/stores/{other_store}/visits.csv",
                 f"/manager/stores/{other_store}/scorecard.pdf", f"/manager/visits/{other_visit.id}",
                 f"/manager/areas/{other_area}", f"/manager/areas/{other_area}/visits.csv",
                 f"/manager/regions/{sw.world.region.id}",
                 f"/manager/compare?stores={sw.world.store.id}&stores={other_store}"):
        assert client.get(path).status_code == 403, path
    compare = client.get(f"/manager/compare?stores={sw.world.store.id}&stores={sw.extra_store.id}")
    assert compare.status_code == 200 and "Umeda" not in compare.get_data(as_text=True)


def test_the_pdf_scorecard_has_the_store_score_sections_and_an_embedded_japanese_font(
        sw: ScorecardWorld, login, tmp_path) -> None:
    response = login(sw.world.manager).get(f"/manager/stores/{sw.extra_store.id}/scorecard.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pdf = response.get_data()
    reader = PdfReader(io.BytesIO(pdf))
    assert 1 <= len(reader.pages) <= 6
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "渋谷スクランブル店" in text
    assert f"{shown(pct(1))}%" in text  # the latest visit
    for title in ("Staff", "Checkout", "Feedback"):
        assert title in text
    assert "Page 1 of" in text
    # Two visits say little of how this store varies: the change reads as within noise, as on its page.
    assert "within noise" in login(sw.world.manager).get(f"/manager/stores/{sw.extra_store.id}").get_data(as_text=True)
    assert "(within noise)" in " ".join(text.split())
    if shutil.which("pdffonts"):
        path = tmp_path / "card.pdf"
        path.write_bytes(pdf)
        fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
        assert "NotoSansCJK" in fonts.replace("-", "")


def test_while_review_is_on_the_pages_say_how_many_visits_wait_to_be_counted(sw: ScorecardWorld, login) -> None:
    settings.update_settings(db.session, sw.world.head, {"review_required": True}, now=NOW)
    # A checklist with one approved visit, long ago, does not become what the pages open with: the one the stores
    # use, waiting for review, stays the default.
    other = make_published_checklist(small_checklist_data("old_check"))
    old = make_submitted_visit(sw.world.shopper, sw.world.store, other.checklist_id,
                               {"greeted": "yes", "helpful": 4, "queue_wait": 60}, at=NOW - timedelta(days=400))
    old.status = "approved"
    db.session.commit()
    client = login(sw.world.manager)
    area = client.get(f"/manager/areas/{sw.world.area.id}").get_data(as_text=True)
    assert "No visits have been counted in this period" in area
    assert "5 visits of this period wait for head office's review" in area
    home = client.get("/manager/").get_data(as_text=True)
    assert "5 visits of this period wait for head office's review" in home  # the area manager's one area
    store = client.get(f"/manager/stores/{sw.world.store.id}").get_data(as_text=True)
    assert "3 visits of this period wait for head office's review" in store
    sw.world.manager.locale = "ja"
    db.session.commit()
    japanese = client.get(f"/manager/stores/{sw.world.store.id}").get_data(as_text=True)
    assert "本部の確認待ちの訪問が3件あります" in japanese
    settings.update_settings(db.session, sw.world.head, {"review_required": False}, now=NOW)
    assert "data-awaiting-review" not in client.get(f"/manager/stores/{sw.world.store.id}").get_data(as_text=True)
