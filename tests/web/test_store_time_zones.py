"""A visit's times are shown in its store's time zone on every page, the CSV and the PDF; the audit log, which
has no store, stays in the app's DEFAULT_TIMEZONE and says so."""

from __future__ import annotations

import csv
import html
import io
import re
import shutil
import subprocess
from datetime import datetime, timezone
from typing import Any

import pytest

from audit_app.services import zones
from tests.factories import World, make_published_checklist, make_submitted_visit

# Late evening in UTC is the next morning in Tokyo: the date changes too.
SUBMITTED = datetime(2026, 11, 20, 23, 30, tzinfo=timezone.utc)
ANSWERS = {"greeted": "yes", "helpful": 4, "queue_wait": 90}


def _text(response: Any) -> str:
    assert response.status_code == 200
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split())


@pytest.fixture
def tokyo_visit(world: World) -> Any:
    assert world.store.timezone == "Asia/Tokyo"
    version = make_published_checklist()
    return make_submitted_visit(world.shopper, world.store, version.checklist_id, ANSWERS, at=SUBMITTED)


def test_the_shopper_sees_the_visit_in_the_stores_time(world: World, tokyo_visit: Any, login: Any) -> None:
    client = login(world.shopper)
    home = _text(client.get("/shopper/"))
    assert "Nov 21, 2026 08:30 UTC+9" in home and "23:30" not in home
    page = _text(client.get(f"/shopper/visits/{tokyo_visit.id}"))
    assert "Nov 21, 2026 08:30 UTC+9" in page and "23:30" not in page


def test_managers_see_the_visit_in_the_stores_time(world: World, tokyo_visit: Any, login: Any) -> None:
    client = login(world.manager)
    visit_page = _text(client.get(f"/manager/visits/{tokyo_visit.id}"))
    assert "Nov 21, 2026 08:30 UTC+9" in visit_page and "23:30" not in visit_page
    store_page = _text(client.get(f"/manager/stores/{world.store.id}?days=365"))
    assert "Nov 21, 2026 08:30 UTC+9" in store_page and "Nov 20, 2026" not in store_page
    assert "Nov 21, 2026" in _text(client.get("/manager/"))


def test_head_office_review_shows_the_visit_in_the_stores_time(world: World, tokyo_visit: Any, login: Any) -> None:
    client = login(world.head)
    assert "Nov 21, 2026 08:30 UTC+9" in _text(client.get("/head-office/review"))
    page = _text(client.get(f"/head-office/visits/{tokyo_visit.id}"))
    assert "Nov 21, 2026 08:30 UTC+9" in page and "23:30" not in page


def test_the_csv_gives_the_stores_local_times_and_names_the_zone(world: World, tokyo_visit: Any,
                                                                  login: Any) -> None:
    raw = login(world.manager).get(f"/manager/areas/{world.area.id}/visits.csv?days=365").get_data()
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == 1
    row = rows[0]
    assert row["Submitted (store's local time)"] == "2026-11-21 08:30"
    assert row["Started (store's local time)"] == "2026-11-21 08:30"
    assert row["Store's time zone"] == "Asia/Tokyo"


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
def test_the_pdf_dates_the_latest_visit_in_the_stores_time(world: World, tokyo_visit: Any, login: Any) -> None:
    pdf = login(world.manager).get(f"/manager/stores/{world.store.id}/scorecard.pdf?days=365").get_data()
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    assert "Latest visit Nov 21, 2026" in " ".join(text.split())


def test_the_audit_log_says_its_times_are_in_the_apps_zone(world: World, tokyo_visit: Any, login: Any) -> None:
    page = _text(login(world.head).get("/head-office/audit-log?kind=visit"))
    assert "Times are in UTC." in page and "Nov 20, 2026 23:30" in page


def test_an_unknown_zone_name_falls_back_to_utc_and_offsets_read_as_people_write_them() -> None:
    assert zones.local_time(SUBMITTED, "Not/AZone").utcoffset().total_seconds() == 0
    assert [zones.utc_offset(zones.local_time(SUBMITTED, z)) for z in
            ("Asia/Tokyo", "Asia/Kolkata", "America/New_York", "UTC")] == ["UTC+9", "UTC+5:30", "UTC-5", "UTC"]
