"""CSV exports never hand a spreadsheet a formula: cells starting with = + - @ (or tab, CR) are neutralised."""

from __future__ import annotations

import csv
import io

import pytest
from flask import Flask

from audit_app.extensions import db
from audit_app.services.exports import neutralise_cell
from tests.factories import (
    World, make_published_checklist, make_store, make_submitted_visit, scorecard_answers,
    scorecard_checklist_data,
)


@pytest.mark.parametrize(("raw", "written"), [
    ("=HYPERLINK(\"http://evil.example\",\"x\")", "'=HYPERLINK(\"http://evil.example\",\"x\")"),
    ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
    ("\t=1+1", "'\t=1+1"),
    ("\r=1+1", "'\r=1+1"),
    ("-12", "-12"),
    ("-3.5", "-3.5"),
    ("+7", "+7"),
    ("42", "42"),
    ("Ginza = best", "Ginza = best"),
    ("", ""),
])
def test_a_cell_that_would_be_a_formula_gets_an_apostrophe_and_numbers_stay_numbers(raw: str, written: str) -> None:
    assert neutralise_cell(raw) == written


def test_the_visits_csv_neutralises_store_names_answers_and_question_texts(app: Flask, world: World, login) -> None:
    data = scorecard_checklist_data()
    data["sections"][2]["questions"][2]["text"] = "=1+2 remarks"
    version = make_published_checklist(data)
    store = make_store(world.area, "S7", "=HYPERLINK(\"http://evil.example\",\"Ginza\")")
    answers = dict(scorecard_answers(3), remarks="@SUM(1+1)*cmd|' /C calc'!A0")
    make_submitted_visit(world.shopper, store, version.checklist_id, answers)
    db.session.commit()
    response = login(world.manager).get(f"/manager/areas/{world.area.id}/visits.csv?days=365")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    header, row = rows[0], rows[1]
    cells = dict(zip(header, row))
    assert cells["Store"] == "'=HYPERLINK(\"http://evil.example\",\"Ginza\")"
    assert cells["'=1+2 remarks [remarks]"] == "'@SUM(1+1)*cmd|' /C calc'!A0"
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in header + row)
    assert cells["Queue wait [queue_wait]"] == "30"
