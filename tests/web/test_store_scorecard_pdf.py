"""The store's PDF scorecard leaves out what stores must not see and what was never asked; head office sees all."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from flask import Flask
from pypdf import PdfReader

import scoring
from tests.factories import World, make_published_checklist, make_submitted_visit, scorecard_answers, \
    scorecard_checklist_data

STAFF_NOTE = "Tall man in a green apron, badge said Kenji"


def _checklist() -> dict[str, Any]:
    data = scorecard_checklist_data()
    checkout = data["sections"][1]["questions"]
    checkout.append({"key": "bag_charge", "type": "yes_no", "text": "Was the bag charge explained?",
                     "show_if": {"question": "bag_offered", "equals": "yes"}})
    data["sections"][2]["questions"].append({"key": "staff_description", "type": "text", "required": False,
                                             "text": "Describe the member of staff who helped you",
                                             "audience": "head_office"})
    return data


@pytest.fixture
def visit(app: Flask, world: World) -> Any:
    now = datetime.now(timezone.utc).replace(microsecond=0)
    version = make_published_checklist(_checklist())
    make_submitted_visit(world.shopper, world.store, version.checklist_id,
                         {**scorecard_answers(3), "bag_charge": "yes"},
                         at=now - timedelta(days=30))
    # Quality 2: no bag offered, so the bag-charge question was never asked.
    return make_submitted_visit(world.shopper, world.store, version.checklist_id,
                                {**scorecard_answers(2), "staff_description": STAFF_NOTE}, at=now - timedelta(days=2))


def _pdf_text(client: Any, store_id: int) -> list[str]:
    response = client.get(f"/manager/stores/{store_id}/scorecard.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(response.data)).pages]


@pytest.mark.parametrize("who", ["manager", "head"])
def test_the_store_pdf_leaves_out_head_office_questions_and_questions_never_asked(visit: Any, world: World, login,
                                                                                 who: str) -> None:
    pages = _pdf_text(login(getattr(world, who)), world.store.id)
    text = " ".join(pages)
    assert "Queue wait" in text  # the card is there
    assert "Describe the member of staff" not in text and STAFF_NOTE not in text
    assert "Was the bag charge explained?" not in text and "Not asked" not in text


def test_head_office_sees_the_head_office_question_on_the_visit_page(visit: Any, world: World, login) -> None:
    head = login(world.head).get(f"/manager/visits/{visit.id}").get_data(as_text=True)
    assert "Describe the member of staff who helped you" in head and STAFF_NOTE in head
    assert "Head office only" in head


def test_area_managers_do_not_see_the_head_office_question(visit: Any, world: World, login) -> None:
    manager = login(world.manager).get(f"/manager/visits/{visit.id}").get_data(as_text=True)
    assert "Queue wait" in manager
    assert "Describe the member of staff" not in manager and STAFF_NOTE not in manager


def test_the_store_pdf_shows_the_stores_own_period_mean_on_page_1(visit: Any, world: World, login) -> None:
    checklist = scoring.parse_checklist(_checklist())
    percents = [scoring.score(checklist, {**scorecard_answers(3), "bag_charge": "yes"}).percent,
                scoring.score(checklist, scorecard_answers(2)).percent]
    mean = scoring.format_percent(sum(percents) / 2)
    first = _pdf_text(login(world.manager), world.store.id)[0]
    assert "this store's period mean" in first.casefold() and f"{mean}%" in first


def test_the_csv_has_the_head_office_question_for_head_office_only(visit: Any, world: World, login) -> None:
    manager = login(world.manager).get(f"/manager/stores/{world.store.id}/visits.csv").get_data(as_text=True)
    assert "Queue wait" in manager and "staff_description" not in manager and STAFF_NOTE not in manager


def test_head_office_csv_keeps_the_head_office_question(visit: Any, world: World, login) -> None:
    head = login(world.head).get(f"/manager/stores/{world.store.id}/visits.csv").get_data(as_text=True)
    assert "staff_description" in head and STAFF_NOTE in head


def test_a_question_a_later_version_keeps_for_head_office_has_no_column_in_a_managers_csv(
        app: Flask, world: World, login) -> None:
    now = datetime.now(timezone.utc).replace(microsecond=0)
    earlier = _checklist()
    earlier["sections"][2]["questions"][-1].pop("audience")  # version 1 showed it to everyone
    v1 = make_published_checklist(earlier)
    make_submitted_visit(world.shopper, world.store, v1.checklist_id,
                         {**scorecard_answers(2), "staff_description": STAFF_NOTE}, at=now - timedelta(days=3))
    v2 = make_published_checklist(_checklist())  # version 2 keeps it for head office
    assert v2.checklist_id == v1.checklist_id and v2.number == 2
    make_submitted_visit(world.shopper, world.store, v2.checklist_id, {**scorecard_answers(3), "bag_charge": "yes"},
                         at=now - timedelta(days=1))
    manager = login(world.manager).get(f"/manager/stores/{world.store.id}/visits.csv").get_data(as_text=True)
    assert "Queue wait" in manager and "staff_description" not in manager and STAFF_NOTE not in manager
