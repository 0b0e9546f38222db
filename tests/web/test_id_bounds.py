"""Ids beyond what an integer column holds (2^31 and more: PostgreSQL's `integer`) are "no such thing", on every
id route and in the query strings that carry ids, never a database error."""

from __future__ import annotations

import re
from typing import Iterator

import pytest
from flask import Flask
from werkzeug.routing import AnyConverter, IntegerConverter

from tests.factories import World, running_app, sign_in

HUGE = (2**31, 2**63, 10**30)


@pytest.fixture
def app(database_url: str, tmp_path) -> Iterator[Flask]:  # type: ignore[no-untyped-def]
    # Without CSRF, so that every POST route reaches its id lookup.
    yield from running_app(database_url, tmp_path, csrf_enabled=False)


def _id_routes(app: Flask, value: int) -> list[tuple[str, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        converters = rule._converters  # noqa: SLF001  (the rule's own argument converters)
        if not any(isinstance(c, IntegerConverter) for c in converters.values()):
            continue
        path = rule.rule
        for name, converter in converters.items():
            if isinstance(converter, IntegerConverter):
                filled = str(value)
            elif isinstance(converter, AnyConverter):
                filled = sorted(converter.items)[0]  # type: ignore[attr-defined]
            else:
                filled = "x"
            path = re.sub(r"<(?:[a-z]+(?:\([^)]*\))?:)?" + name + ">", filled, path)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):  # type: ignore[operator]
            routes.append((method, path))
    return routes


def test_every_id_route_answers_404_for_ids_beyond_the_integer_columns(app: Flask, world: World) -> None:
    clients = {}
    for name, person in (("head", world.head), ("manager", world.manager), ("shopper", world.shopper)):
        client = app.test_client()
        assert sign_in(client, person.email).status_code == 302
        clients[name] = client
    for value in HUGE:
        routes = _id_routes(app, value)
        assert len(routes) > 40
        for method, path in routes:
            statuses = {name: client.open(path, method=method).status_code for name, client in clients.items()}
            assert set(statuses.values()) <= {403, 404}, (method, path, statuses)
            assert 404 in statuses.values(), (method, path, statuses)


@pytest.mark.parametrize("path", [
    "/manager/compare?stores={huge}&stores={store}",
    "/head-office/audit-log?actor={huge}",
    "/head-office/checklists/1/diff?old={huge}&new={huge}",
])
def test_ids_in_query_strings_beyond_the_integer_columns_answer_404(app: Flask, world: World, path: str) -> None:
    client = app.test_client()
    sign_in(client, world.head.email)
    for value in HUGE:
        response = client.get(path.format(huge=value, store=world.store.id))
        assert response.status_code == 404, (path, value)
        assert "Page not found" in response.get_data(as_text=True)


def test_a_compare_list_with_a_superscript_digit_is_ignored_not_a_crash(app: Flask, world: World) -> None:
    client = app.test_client()
    sign_in(client, world.head.email)
    assert client.get(f"/manager/compare?stores=\u00b2&stores={world.store.id}").status_code == 200


def test_a_filter_with_a_checklist_id_beyond_the_columns_is_ignored(app: Flask, world: World) -> None:
    client = app.test_client()
    sign_in(client, world.head.email)
    assert client.get(f"/manager/areas/{world.area.id}?checklist={2**31}").status_code == 200


LISTINGS = ("/manager/", "/manager/areas/{area}", "/manager/regions/{region}", "/manager/stores/{store}",
            "/manager/compare", "/actions/", "/head-office/review", "/head-office/audit-log", "/head-office/rankings",
            "/head-office/calibration", "/head-office/stores", "/head-office/people", "/head-office/assignments")
NUMBER_PARAMETERS = ("page", "checklist", "store", "area", "region", "days", "top", "shopper", "stores")


def test_numbers_of_hundreds_of_digits_in_any_filter_are_refused_never_a_crash(app: Flask, world: World) -> None:
    client = app.test_client()
    sign_in(client, world.head.email)
    endless = "9" * 400
    for listing in LISTINGS:
        path = listing.format(area=world.area.id, region=world.region.id, store=world.store.id)
        for name in NUMBER_PARAMETERS:
            response = client.get(f"{path}?{name}={endless}")
            assert response.status_code in (200, 404), (path, name, response.status_code)


DATE_PARAMETERS = ("start", "end", "since", "until", "due_before", "from", "to")


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "2199-12-31"])
def test_dates_at_the_ends_of_the_calendar_in_any_filter_are_refused_never_a_crash(app: Flask, world: World,
                                                                                  day: str) -> None:
    """A date filter (an end date is read as up to the next midnight) given the last or first day the calendar
    has answers the page, with the date refused in words where the page has a form for it."""
    client = app.test_client()
    sign_in(client, world.head.email)
    for listing in LISTINGS:
        path = listing.format(area=world.area.id, region=world.region.id, store=world.store.id)
        for name in DATE_PARAMETERS:
            response = client.get(f"{path}?{name}={day}")
            assert response.status_code in (200, 404), (path, name, day, response.status_code)
    page = client.get(f"/head-office/rankings?end={day}").get_data(as_text=True)
    if day != "2199-12-31":
        assert "Enter a date between 1900 and 2199." in page
        assert f'value="{day}"' in page  # what was typed stays
    else:
        assert "Enter a date between" not in page


@pytest.mark.parametrize(("typed", "said"), [("9999-12-30", "Enter a date between 1900 and 2199."),
                                             ("31/12/2026", "Not a valid date value.")])
def test_a_required_date_typed_wrong_says_what_is_wrong_not_that_it_is_missing(app: Flask, world: World, typed: str,
                                                                               said: str) -> None:
    from tests.factories import csrf_token_from, make_published_checklist

    version = make_published_checklist()
    client = app.test_client()
    sign_in(client, world.head.email)
    data = {"which": "bulk", "bulk-checklist_id": version.checklist_id, "bulk-area_id": world.area.id,
            "bulk-window_start": typed, "bulk-window_end": typed,
            "csrf_token": csrf_token_from(client, "/head-office/assignments")}
    page = client.post("/head-office/assignments", data=data).get_data(as_text=True)
    assert page.count(said) == 2 and "This field is required." not in page
    assert f'value="{typed}"' in page  # what was typed stays to be corrected
    data["bulk-window_start"] = ""
    assert "This field is required." in client.post("/head-office/assignments", data=data).get_data(as_text=True)
