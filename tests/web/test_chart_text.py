"""People's text on charts is text: a `$` in a store name or a section title never reaches matplotlib as maths."""

from __future__ import annotations

import io
from typing import Any

import pytest
from flask import Flask
from pypdf import PdfReader

from audit_app.extensions import db
from reports import charts
from tests import factories
from tests.factories import ScorecardWorld, World, client_for, job_status, make_scorecard_world, start_job

MONEY = "Tips $5 and $10"
BROKEN_MATHS = r"Ginza $\frac$"


@pytest.fixture
def sw(app: Flask, world: World, monkeypatch: pytest.MonkeyPatch) -> ScorecardWorld:
    original = factories.scorecard_checklist_data

    def with_dollars() -> dict[str, Any]:
        data = original()
        data["sections"][0]["title"] = {"en": r"Staff $\alpha$ and $", "ja": "スタッフ $"}
        return data

    monkeypatch.setattr(factories, "scorecard_checklist_data", with_dollars)
    made = make_scorecard_world(world)
    made.world.store.name = BROKEN_MATHS
    made.extra_store.name = MONEY
    db.session.commit()
    charts.clear_cache()
    return made


def test_a_chart_label_with_dollars_is_drawn_as_written() -> None:
    svg = charts.sections_chart([("$5 and $10", 50.0, 60.0), (r"$\frac$", 10.0, None)], store_label="$x^2$",
                                reference_label="Area", fmt="svg", id_prefix="t-money")
    assert "$5 and $10" in svg and r"$\frac$" in svg and "$x^2$" in svg
    assert charts.compare_chart([r"$\frac$"], [("Store $", [1.0])], fmt="png").startswith("data:image/png")


def test_compare_store_page_and_pdf_with_dollar_names_render(sw: ScorecardWorld, login) -> None:
    client = login(sw.world.head)
    compare = client.get(f"/manager/compare?stores={sw.world.store.id}&stores={sw.extra_store.id}&days=365")
    assert compare.status_code == 200
    html = compare.get_data(as_text=True)
    assert MONEY in html and r"Staff $\alpha$ and $" in html
    store = client.get(f"/manager/stores/{sw.world.store.id}?days=365")
    assert store.status_code == 200
    pdf = client.get(f"/manager/stores/{sw.extra_store.id}/scorecard.pdf")
    assert pdf.status_code == 200
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.get_data())).pages)
    assert MONEY in text


def test_the_area_zip_of_stores_with_dollar_names_is_made(app: Flask, sw: ScorecardWorld) -> None:
    client = client_for(app, sw.world.manager.email)
    job_id = start_job(client, sw.world.area.id)
    page = client.get(f"/manager/jobs/{job_id}").get_data(as_text=True)
    assert job_status(page) == "finished" and "Ready: 2 scorecards" in page
