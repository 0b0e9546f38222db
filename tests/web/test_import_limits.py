"""Hostile and unlucky imports: fields longer than their columns, impossible YAML dates, huge files. Each is
refused with its line and a plain reason, in the dry run too, and nothing is written."""

from __future__ import annotations

import time
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from audit_app.extensions import db
from audit_app.models import Checklist, Store, User
from audit_app.services import checklists, csv_import, people, rubrics
from tests.factories import NOW, World, csrf_token_from


def _post(client: FlaskClient, path: str, data: dict[str, Any]) -> Any:
    return client.post(path, data={**data, "csrf_token": csrf_token_from(client, path)})


def _count(model: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("dry_run", [True, False])
def test_a_store_field_longer_than_its_column_is_rejected_with_its_line(world: World, login: Any,
                                                                        dry_run: bool) -> None:
    client = login(world.head)
    csv_text = ("code,name,area_code,city,address\nS7,Shibuya,A1,Tokyo,1-1\n"
                f"S8,{'N' * 161},A1,{'C' * 121},1-2\nS{'9' * 40},Ebisu,A1,Tokyo,{'A' * 301}\n")
    data = {"csv_text": csv_text, **({"dry_run": "y"} if dry_run else {})}
    response = _post(client, "/head-office/stores/import", data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422, html
    assert "Nothing was imported: 2 row(s) rejected." in html and "Created: 1" not in html
    assert "Line 3: name is 161 characters long (at most 160); city is 121 characters long (at most 120)" in html
    assert "Line 4: code is 41 characters long (at most 32); address is 301 characters long (at most 300)" in html
    assert _count(Store) == 2


@pytest.mark.parametrize("dry_run", [True, False])
def test_a_person_field_longer_than_its_column_is_rejected_with_its_line(world: World, login: Any,
                                                                         dry_run: bool) -> None:
    client = login(world.head)
    long_email = "a" * 250 + "@test.example"
    csv_text = (f"email,name,role,password\nok@test.example,{'N' * 121},shopper,lanterns over the canal\n"
                f"{long_email},Long,shopper,lanterns over the canal\n")
    response = _post(client, "/head-office/people/import", {"csv_text": csv_text,
                                                             **({"dry_run": "y"} if dry_run else {})})
    html = response.get_data(as_text=True)
    assert response.status_code == 422, html
    assert "Line 2: name is 121 characters long (at most 120)" in html
    assert "Line 3: email is 263 characters long (at most 254)" in html
    assert db.session.scalar(select(User.id).where(User.email == "ok@test.example")) is None


def test_a_csv_of_more_than_five_thousand_rows_is_refused_at_once(world: World) -> None:
    text = "email,name,role,password\n" + "".join(
        f"p{i}@test.example,Person {i},shopper,lanterns over the canal {i}\n" for i in range(100_000))
    started = time.monotonic()
    with pytest.raises(csv_import.ImportRejectedError) as caught:
        people.import_people(db.session, world.head, text, now=NOW, dry_run=True)
    assert time.monotonic() - started < 30  # refused before any row is checked (generous: a loaded machine)
    [(line, reason)] = caught.value.report.rejected
    assert line == 5002 and "more than 5,000 rows" in str(reason)
    with pytest.raises(csv_import.ImportRejectedError):
        csv_import.import_stores(db.session, "code,name,area_code\n" + "S,N,A1\n" * 5001, now=NOW, dry_run=True)


def test_five_thousand_rows_are_still_accepted(world: World) -> None:
    text = "code,name,area_code\n" + "".join(f"S{i},Store {i},A1\n" for i in range(5000))
    report = csv_import.import_stores(db.session, text, now=NOW, dry_run=True)
    assert len(report.created) + len(report.updated) == 5000 and not report.rejected


def test_a_people_csv_setting_more_than_a_hundred_passwords_is_refused(world: World) -> None:
    text = "email,name,role,password\n" + "".join(
        f"p{i}@test.example,Person {i},shopper,lanterns over the canal {i}\n" for i in range(101))
    before = _count(User)
    with pytest.raises(csv_import.ImportRejectedError) as caught:
        people.import_people(db.session, world.head, text, now=NOW, dry_run=True)
    [(line, reason)] = caught.value.report.rejected
    assert line == 102 and "at most 100" in reason and "split it" in reason
    assert _count(User) == before


def _yaml(title: str = "Store check") -> str:
    return f"""key: store_check
title: {title}
channel: in_store
grades:
  - {{min: 0, label: All}}
sections:
  - key: s
    title: Service
    questions:
      - key: greeted
        type: yes_no
        text: Were you greeted?
"""


def test_an_impossible_yaml_date_is_a_problem_with_its_line_not_a_crash(world: World, login: Any) -> None:
    client = login(world.head)
    text = _yaml().replace("type: yes_no", "type: yes_no\n        weight: !!int twelve")
    response = _post(client, "/head-office/checklists", {"import-yaml_text": _yaml().replace(
        "title: Store check", "title: 2026-13-01")})
    # A date-like title is text.
    assert response.status_code in (302, 303), response.get_data(as_text=True)
    with pytest.raises(rubrics.RubricProblemsError) as caught:
        rubrics.import_yaml(db.session, world.head, text.replace("store_check", "other_check"), now=NOW)
    assert "line 12" in caught.value.problems[0].message
    response = _post(client, "/head-office/checklists", {"import-yaml_text": text.replace("store_check", "x_check")})
    assert response.status_code == 422 and "line 12" in response.get_data(as_text=True)


def test_yaml_over_a_megabyte_is_refused_before_it_is_read(world: World) -> None:
    text = _yaml() + "# " + "x" * (4 * 1024 * 1024) + "\n"
    started = time.monotonic()
    with pytest.raises(rubrics.RubricProblemsError) as caught:
        rubrics.import_yaml(db.session, world.head, text, now=NOW)
    assert time.monotonic() - started < 5
    assert "at most 1 MB" in caught.value.problems[0].message
    assert _count(Checklist) == 0


def test_yaml_aliases_are_refused_so_a_billion_laughs_cannot_expand(world: World) -> None:
    laughs = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8))
    with pytest.raises(rubrics.RubricProblemsError) as caught:
        rubrics.import_yaml(db.session, world.head, _yaml() + laughs, now=NOW)
    assert "aliases" in caught.value.problems[0].message and "line 14" in caught.value.problems[0].message


def test_reading_yaml_stops_after_its_time_limit(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(checklists, "YAML_SECONDS", -1.0)
    with pytest.raises(rubrics.RubricProblemsError) as caught:
        rubrics.import_yaml(db.session, world.head, _yaml(), now=NOW)
    assert "took longer than" in caught.value.problems[0].message
