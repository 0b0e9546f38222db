"""Figures that two pages show agree, changes compare like with like, and scores are coloured by their grade."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask

from audit_app.extensions import db
from audit_app.services.scores import dashboard, home
from audit_app.services.scores import scope as scopes
from tests.factories import (
    ScorecardWorld, World, avg, make_published_checklist, make_scorecard_world, make_store, make_submitted_visit,
    shown,
)
from tests.factories import scorecard_pct as pct


@pytest.fixture
def sw(app: Flask, world: World) -> ScorecardWorld:
    world_ = make_scorecard_world(world)
    # Ginza's newest visit is of another checklist (a perfect score): it is not the same rubric, so neither the
    # area's figures nor Ginza's change since the previous visit may mix it in.
    other = make_published_checklist()
    make_submitted_visit(world.shopper, world.store, other.checklist_id,
                         {"greeted": "yes", "helpful": 5, "queue_wait": 30}, at=world_.now - timedelta(days=2))
    return world_


def _row(html: str, name: str) -> str:
    """The table row that names `name`."""
    match = re.search(r"<tr>(?:(?!</tr>).)*?" + re.escape(name) + r"(?:(?!</tr>).)*</tr>", html, re.S)
    assert match, f"no row for {name}"
    return match.group(0)


def _scores(fragment: str) -> list[str]:
    return re.findall(r'class="score score-[a-z]+">([^<]+)%</span>', fragment)


def test_the_home_page_area_average_equals_the_area_pages(sw: ScorecardWorld, login) -> None:
    client = login(sw.world.manager)
    home = client.get("/manager/").get_data(as_text=True)
    area = client.get(f"/manager/areas/{sw.world.area.id}").get_data(as_text=True)
    expected = shown(avg([pct(0), pct(3), pct(2), pct(3), pct(1)]))
    area_fact = re.search(r"<dt>Area average</dt><dd>(.*?)</dd>", area, re.S).group(1)
    assert _scores(area_fact) == [expected]
    assert _scores(_row(home, "Tokyo Central"))[0] == expected
    assert "Store visit" in _row(home, "Tokyo Central")  # which checklist the average is of


def test_the_home_pages_latest_and_change_compare_visits_of_the_same_checklist(sw: ScorecardWorld, login) -> None:
    client = login(sw.world.manager)
    home = _row(client.get("/manager/").get_data(as_text=True), "Ginza")
    board = _row(client.get(f"/manager/areas/{sw.world.area.id}").get_data(as_text=True), "Ginza")
    assert _scores(home)[0] == shown(pct(2))
    change = shown(pct(2) - pct(3)).replace("-", "−") if pct(2) < pct(3) else "+" + shown(pct(2) - pct(3))
    assert change.lstrip("+−") in home
    assert _scores(board)[0] == _scores(home)[0]


def test_head_office_overview_shows_each_areas_dashboard_average(sw: ScorecardWorld, login) -> None:
    client = login(sw.world.head)
    overview = client.get("/head-office/").get_data(as_text=True)
    for area in (sw.world.area, sw.world.other_area):
        page = client.get(f"/manager/areas/{area.id}").get_data(as_text=True)
        fact = re.search(r"<dt>Area average</dt><dd>(.*?)</dd>", page, re.S).group(1)
        assert _scores(_row(overview, area.name))[0] == _scores(fact)[0]


def test_area_and_store_summaries_equal_the_dashboards_figures(sw: ScorecardWorld) -> None:
    w = sw.world
    period = scopes.make_period(sw.now, 90)
    scope = scopes.get_area_scope(db.session, w.manager, w.area.id)
    board = dashboard.get_dashboard(db.session, w.manager, scope, period=period, checklist_id=None)
    summary = {a.id: a for a in home.list_area_summaries(db.session, None, period=period)}[w.area.id]
    assert summary.checklist == board.checklist
    assert (summary.mean, summary.visits) == (board.scope_mean, board.visits)
    lines = {s.id: s for s in board.stores}
    for store in home.list_store_summaries(db.session, [w.area.id], period=period):
        line = lines[store.id]
        assert (store.latest_percent, store.change_visit, store.visits, store.latest_visit_id) == (
            line.latest_percent, line.change_visit, line.visits, line.latest_visit_id)


def test_the_stores_home_is_paged_and_each_page_shows_the_figures_of_the_whole_list(
        sw: ScorecardWorld, login) -> None:
    w = sw.world
    for n in range(52):
        make_store(w.area, f"P{n:02d}", f"Plain store {n:02d}")
    period = scopes.make_period(sw.now, 90)
    whole = home.list_store_summaries(db.session, None, period=period)
    assert len(whole) == 55 and home.count_stores(db.session, None) == 55
    paged = [home.get_manager_home(db.session, w.head, now=sw.now, page=n, per_page=20) for n in (1, 2, 3)]
    assert [p.pages for p in paged] == [3, 3, 3] and {p.store_count for p in paged} == {55}
    # Read a page at a time, the stores and every figure are what the whole list gives, in its order.
    assert [s for p in paged for s in p.stores] == whole
    assert home.get_manager_home(db.session, w.head, now=sw.now, page=7, per_page=20).stores == paged[2].stores
    client = login(w.head)
    first = client.get("/manager/").get_data(as_text=True)
    assert "Stores 1–50 of 55" in first and 'rel="next"' in first
    second = client.get("/manager/?page=2").get_data(as_text=True)
    assert "Stores 51–55 of 55" in second
    # Each store is on exactly one of the two pages, in the order of the whole list.
    def names(html: str) -> list[str]:
        return [s.name for s in whole if f">{s.name}</a>" in html]
    assert names(first) == [s.name for s in whole[:50]] and names(second) == [s.name for s in whole[50:]]
    # A malformed page, or one beyond any id, is the first page; one past the last is the last.
    for odd in ("abc", "-1", "99999999999999999999"):
        assert "Stores 1–50 of 55" in client.get(f"/manager/?page={odd}").get_data(as_text=True)
    assert "Stores 51–55 of 55" in client.get("/manager/?page=3").get_data(as_text=True)


def _tone_of(html: str, value: str) -> set[str]:
    return set(re.findall(r'class="(?:score score|heat heat)-([a-z]+)"[^>]*>' + re.escape(value), html))


def test_scores_are_coloured_by_the_checklists_grade_bands_on_every_page(sw: ScorecardWorld, login) -> None:
    # The checklist's bands are Good from 85 and Poor below: 78.75 is Poor (the worst tone), though fixed
    # 90/75/60 thresholds would have coloured it as the second best.
    client = login(sw.world.manager)
    latest = shown(pct(2))
    ginza_latest_visit = max((v for s, _, _, v in sw.visits if s.id == sw.world.store.id), key=lambda v: v.submitted_at)
    pages = {
        "home": client.get("/manager/").get_data(as_text=True),
        "area": client.get(f"/manager/areas/{sw.world.area.id}").get_data(as_text=True),
        "store": client.get(f"/manager/stores/{sw.world.store.id}").get_data(as_text=True),
        "visit": client.get(f"/manager/visits/{ginza_latest_visit.id}").get_data(as_text=True),
    }
    for name, html in pages.items():
        assert _tone_of(html, latest) == {"d"}, name
    key = re.search(r'<div class="grade-key">.*?</div>', pages["area"], re.S).group(0)
    assert "85–100</span> Good" in key and "0–84.9</span> Poor" in key


def test_a_grade_in_japanese_is_shown_in_japanese_and_keeps_its_colour(sw: ScorecardWorld, login) -> None:
    client = login(sw.world.manager)
    client.post("/language", data={"locale": "ja", "csrf_token": _token(client)})
    html = client.get(f"/manager/areas/{sw.world.area.id}").get_data(as_text=True)
    row = _row(html, "Ginza")
    assert "不十分" in row and 'class="score score-d"' in row


def _token(client) -> str:  # type: ignore[no-untyped-def]
    from tests.factories import csrf_token_from

    return csrf_token_from(client, "/manager/")


def test_csv_downloads_have_distinct_descriptive_names_and_one_charset(sw: ScorecardWorld, login) -> None:
    client = login(sw.world.head)
    stamp = f"{sw.now:%Y%m%d}"
    store = client.get(f"/manager/stores/{sw.world.store.id}/visits.csv")
    area = client.get(f"/manager/areas/{sw.world.area.id}/visits.csv")
    region = client.get(f"/manager/regions/{sw.world.region.id}/visits.csv")
    names = []
    for response in (store, area, region):
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
        names.append(re.search(r'filename="([^"]+)"', response.headers["Content-Disposition"]).group(1))
    assert names == [f"visits-store-{sw.world.store.code}-90d-{stamp}.csv",
                     f"visits-area-{sw.world.area.code}-90d-{stamp}.csv",
                     f"visits-region-{sw.world.region.code}-90d-{stamp}.csv"]


def test_compare_with_one_store_shows_that_store_and_says_how_to_compare(sw: ScorecardWorld, login) -> None:
    client = login(sw.world.manager)
    response = client.get(f"/manager/compare?stores={sw.world.store.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Only Ginza is chosen" in html and "Tick at least one more store" in html
    overall = _row(html, ">Overall<")
    assert shown(avg([pct(0), pct(3), pct(2)])) in overall
    assert "Choose between 2 and 6 stores" not in html


def test_compare_with_no_store_ticked_says_what_to_do(sw: ScorecardWorld, login) -> None:
    client = login(sw.world.manager)
    assert "Tick the stores to compare" not in client.get("/manager/compare").get_data(as_text=True)
    html = client.get("/manager/compare?days=90").get_data(as_text=True)
    assert "Tick the stores to compare (two to six), then choose Show." in html
