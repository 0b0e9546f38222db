from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select

from audit_app.extensions import db
from audit_app.models import Store
from audit_app.services import csv_import
from tests.factories import NOW, World

GOOD = "code,name,area_code,city,address,timezone\nS9,Shibuya,A1,Tokyo,2-1 Dogenzaka,Asia/Tokyo\n" \
       "S1,Ginza Flagship,A1,Tokyo,1-1 Ginza,Asia/Tokyo\n"


def _store_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Store))


def test_importing_stores_creates_new_ones_and_updates_known_ones(app: Flask, world: World) -> None:
    report = csv_import.import_stores(db.session, GOOD, now=NOW)
    assert report.created == ["S9"] and report.updated == ["S1"]
    assert db.session.scalar(select(Store.name).where(Store.code == "S1")) == "Ginza Flagship"


def test_a_dry_run_reports_changes_and_writes_nothing(app: Flask, world: World) -> None:
    before = _store_count()
    report = csv_import.import_stores(db.session, GOOD, now=NOW, dry_run=True)
    assert report.created == ["S9"]
    db.session.expire_all()
    assert _store_count() == before
    assert db.session.scalar(select(Store.name).where(Store.code == "S1")) == "Ginza"


def test_one_bad_row_rejects_the_whole_file_with_line_numbers(app: Flask, world: World) -> None:
    text = GOOD + "S10,Nowhere,ZZ,,,UTC\nS11,Bad zone,A1,,,Mars/Olympus\nS9,Again,A1,,,UTC\n"
    before = _store_count()
    with pytest.raises(csv_import.ImportRejectedError) as caught:
        csv_import.import_stores(db.session, text, now=NOW)
    assert [(line, str(reason)) for line, reason in caught.value.report.rejected] == [
        (4, "unknown area code ZZ"), (5, "unknown time zone Mars/Olympus"),
        (6, "store code S9 appears twice in the file"),
    ]
    assert _store_count() == before


def test_a_file_without_the_required_columns_is_rejected(app: Flask, world: World) -> None:
    with pytest.raises(csv_import.ImportRejectedError) as caught:
        csv_import.import_stores(db.session, "code,title\nS5,Shop\n", now=NOW)
    assert [(line, str(reason)) for line, reason in caught.value.report.rejected] == [
        (1, "missing column(s): name, area_code")]
