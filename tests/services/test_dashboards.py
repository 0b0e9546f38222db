"""Dashboard, store, visit and compare figures equal what the scoring engine gives for the same answers."""

from __future__ import annotations

from datetime import datetime, timedelta
from fractions import Fraction

import pytest
from flask import Flask

import scoring
from audit_app.extensions import db
from audit_app.models import Answer, Store, Visit
from audit_app.services import settings
from audit_app.services.scores import compare, dashboard, facts, home, scorecard, storage, store_page, visit_page
from audit_app.services.scores import scope as scopes
from audit_app.services.errors import NotFoundError, PermissionDeniedError
from reports.context import DEFAULT_LABELS, Branding
from tests.factories import (NOW, ScorecardWorld, World, avg, make_area, make_published_checklist, make_store,
                             make_submitted_visit, scorecard_answers, small_checklist_data)
from tests.factories import scorecard_card as card
from tests.factories import scorecard_pct as pct


def section(quality: int, key: str) -> Fraction | None:
    return next(s.percent for s in card(quality).sections if s.key == key)


def test_counted_statuses_follow_the_review_setting() -> None:
    assert storage.counted_statuses(settings.ProgrammeSettings(review_required=False)) == ("submitted", "approved")
    assert storage.counted_statuses(settings.ProgrammeSettings(review_required=True)) == ("approved",)


def test_area_dashboard_figures_equal_the_engines_scores(sw: ScorecardWorld) -> None:
    w = sw.world
    scope = scopes.get_area_scope(db.session, w.manager, w.area.id)
    board = dashboard.get_dashboard(db.session, w.manager, scope, period=scopes.make_period(sw.now, 90),
                                     checklist_id=None)
    assert board.checklist is not None and board.checklist.id == sw.version.checklist_id
    lines = {line.id: line for line in board.stores}
    ginza, shibuya = lines[w.store.id], lines[sw.extra_store.id]
    # Ginza: 60 days ago quality 0, 20 days ago 3, 5 days ago 2; the previous period has 120 days ago quality 1.
    assert ginza.latest_percent == pct(2)
    assert ginza.change_visit == pct(2) - pct(3)
    assert ginza.period_mean == avg([pct(0), pct(3), pct(2)])
    assert ginza.previous_period_mean == pct(1)
    assert ginza.visits == 3
    assert ginza.critical_failures == 1  # "greeted: no" caps the worst visit
    assert ginza.latest_grade == card(2).grade.label.get("en")
    assert shibuya.period_mean == avg([pct(3), pct(1)])
    assert shibuya.change_visit == pct(1) - pct(3)
    keys = [h.key for h in board.sections]
    assert keys == ["staff", "checkout", "feedback"]
    assert ginza.sections[0] == avg([section(q, "staff") for q in (0, 3, 2)])
    assert ginza.sections[1] == avg([section(q, "checkout") for q in (0, 3, 2)])
    ranked = sorted([ginza, shibuya], key=lambda line: line.period_mean, reverse=True)
    assert [ranked[0].rank, ranked[1].rank] == [1, 2]
    assert board.scope_mean == avg([pct(0), pct(3), pct(2), pct(3), pct(1)])
    assert board.region_mean == avg([pct(0), pct(3), pct(2), pct(3), pct(1), pct(0), pct(3)])
    assert w.other_store.id not in lines


def test_sorting_keeps_stores_without_scores_last(sw: ScorecardWorld) -> None:
    w = sw.world
    make_store(w.area, "S9", "Quiet store")
    scope = scopes.get_area_scope(db.session, w.head, w.area.id)
    period = scopes.make_period(sw.now, 90)
    for descending in (False, True):
        board = dashboard.get_dashboard(db.session, w.head, scope, period=period, checklist_id=None,
                                         sort="period", descending=descending)
        assert board.stores[-1].name == "Quiet store"
        means = [s.period_mean for s in board.stores[:-1]]
        assert means == sorted(means, reverse=descending)


def test_a_long_list_of_stores_is_paged_after_sorting_over_all_of_them(sw: ScorecardWorld) -> None:
    w = sw.world
    for n in range(3):
        make_store(w.area, f"Q{n}", f"Quiet store {n}")
    scope = scopes.get_area_scope(db.session, w.head, w.area.id)
    period = scopes.make_period(sw.now, 90)
    whole = dashboard.get_dashboard(db.session, w.head, scope, period=period, checklist_id=None, sort="period",
                                    descending=True)
    pages = [dashboard.get_dashboard(db.session, w.head, scope, period=period, checklist_id=None, sort="period",
                                     descending=True, page=n, per_page=2) for n in (1, 2, 3)]
    assert whole.pages == 1 and whole.store_count == len(whole.stores) == 5
    assert [p.pages for p in pages] == [3, 3, 3] and [p.store_count for p in pages] == [5, 5, 5]
    # The pages together are the whole list, in its order, each line with its own section means.
    assert [s for p in pages for s in p.stores] == list(whole.stores)
    assert [(p.first_shown, p.last_shown) for p in pages] == [(1, 2), (3, 4), (5, 5)]
    # The averages are of every store, whichever page is shown.
    assert {p.scope_mean for p in pages} == {whole.scope_mean} and whole.scope_mean is not None
    assert {p.scope_sections for p in pages} == {whole.scope_sections}
    # A page past the last (or before the first) shows the last (the first).
    beyond = dashboard.get_dashboard(db.session, w.head, scope, period=period, checklist_id=None, sort="period",
                                     descending=True, page=99, per_page=2)
    assert beyond.page == 3 and beyond.stores == pages[2].stores
    assert dashboard.get_dashboard(db.session, w.head, scope, period=period, checklist_id=None, page=-4,
                                   per_page=2).page == 1


def test_review_required_counts_only_approved_visits_and_never_voided(sw: ScorecardWorld) -> None:
    w = sw.world
    settings.update_settings(db.session, w.head, {"review_required": True}, now=NOW)
    ginza_visits = [v for store, days, q, v in sw.visits if store.id == w.store.id and days < 90]
    approved = db.session.get(Visit, ginza_visits[0].id)  # 60 days ago, quality 0
    approved.status = "approved"
    db.session.commit()
    scope = scopes.get_area_scope(db.session, w.manager, w.area.id)
    board = dashboard.get_dashboard(db.session, w.manager, scope, period=scopes.make_period(sw.now, 90),
                                     checklist_id=None)
    ginza = next(s for s in board.stores if s.id == w.store.id)
    assert ginza.visits == 1 and ginza.period_mean == pct(0)
    # The submitted ones are said to wait for review, not silently left out.
    waiting = sum(1 for store, days, q, v in sw.visits if days < 90 and store.area_id == w.area.id) - 1
    assert waiting > 0 and board.awaiting_review == waiting
    page = store_page.get_store_page(db.session, w.manager, w.store.id, period=scopes.make_period(sw.now, 90),
                                     checklist_id=None)
    assert page.awaiting_review == len(ginza_visits) - 1
    approved.status = "voided"
    db.session.commit()
    board = dashboard.get_dashboard(db.session, w.manager, scope, period=scopes.make_period(sw.now, 90),
                                     checklist_id=None)
    assert board.visits == 0 and not board.has_visits and board.awaiting_review == waiting
    settings.update_settings(db.session, w.head, {"review_required": False}, now=NOW)
    board = dashboard.get_dashboard(db.session, w.manager, scope, period=scopes.make_period(sw.now, 90),
                                     checklist_id=None)
    assert board.awaiting_review == 0 and board.visits == waiting


def test_a_new_area_without_visits_has_no_figures(app: Flask, world: World) -> None:
    area = make_area(world.region, "A9", "New area")
    make_store(area, "S90", "Brand new")
    scope = scopes.get_area_scope(db.session, world.head, area.id)
    board = dashboard.get_dashboard(db.session, world.head, scope, period=scopes.make_period(NOW, 90),
                                     checklist_id=None)
    assert not board.has_visits
    assert board.scope_mean is None and all(s.period_mean is None and s.rank is None for s in board.stores)


def test_managers_get_only_their_areas_and_head_office_gets_regions(sw: ScorecardWorld) -> None:
    w = sw.world
    with pytest.raises(PermissionDeniedError):
        scopes.get_area_scope(db.session, w.other_manager, w.area.id)
    with pytest.raises(NotFoundError):
        scopes.get_area_scope(db.session, w.manager, 999999)
    with pytest.raises(PermissionDeniedError):
        scopes.get_region_scope(db.session, w.manager, w.region.id)
    with pytest.raises(PermissionDeniedError):
        store_page.get_store_page(db.session, w.manager, w.other_store.id, period=scopes.make_period(sw.now, 90),
                                  checklist_id=None)
    assert scopes.get_region_scope(db.session, w.head, w.region.id).area_ids == tuple(
        sorted([w.area.id, w.other_area.id], key=lambda i: {w.area.id: "Tokyo Central", w.other_area.id: "Osaka"}[i]))


def test_store_page_has_trend_sections_recurring_failures_and_kpis(sw: ScorecardWorld) -> None:
    w = sw.world
    page = store_page.get_store_page(db.session, w.manager, w.store.id, period=scopes.make_period(sw.now, 90),
                                     checklist_id=None)
    assert [p.percent for p in page.trend] == [pct(1), pct(0), pct(3), pct(2)]  # the last 12 months, oldest first
    staff = next(s for s in page.sections if s.key == "staff")
    assert staff.store == avg([section(q, "staff") for q in (0, 3, 2)])
    assert staff.area == avg([section(q, "staff") for q in (0, 3, 2, 3, 1)])
    # Last five visits: qualities 1, 0, 3, 2. "helpful" earns less than full unless quality 3.
    recurring = {r.key: (r.failed, r.of) for r in page.recurring}
    assert recurring["helpful"] == (3, 4)
    assert "queue_wait" not in recurring  # 200 s and 400 s fail, 100 s and 30 s earn full points: 2 of 4
    assert "greeted" not in recurring  # failed once only
    kpis = {k.key: k for k in page.kpis}
    period_answers = [scorecard_answers(q) for q in (0, 3, 2)]
    assert kpis["nps"].value == scoring.nps([a["nps"] for a in period_answers])
    assert kpis["csat"].value == scoring.csat([a["csat"] for a in period_answers])
    waits = [a["queue_wait"] for a in period_answers]
    assert kpis["queue_wait_mean"].value == Fraction(sum(waits), 3)
    assert kpis["queue_wait_p90"].value == scoring.percentile(waits, 90)
    assert kpis["greeting_within_target"].value == Fraction(200, 3)  # 10 s and 20 s within 30 s; 90 s not
    assert kpis["greeting_within_target"].target == 30


def test_visit_page_explains_the_stored_card(sw: ScorecardWorld) -> None:
    w = sw.world
    worst = next(v for store, days, q, v in sw.visits if store.id == w.store.id and q == 0)
    answer = db.session.query(Answer).filter_by(visit_id=worst.id, question_key="queue_wait").one()
    answer.comment = "Only one till open"
    db.session.commit()
    page = visit_page.get_visit_page(db.session, w.manager, worst.id, lang="en", labels=DEFAULT_LABELS)
    expected = card(0)
    assert page.card.percent == expected.percent
    assert page.card.base_percent_text == scoring.format_percent(expected.base_percent)
    lines = {q.key: q for s in page.card.sections for q in s.questions}
    assert lines["greeted"].is_critical_failure and "capped at 50.0%" in lines["greeted"].effect_text
    assert lines["nps"].excluded == "unscored"
    assert lines["remarks"].excluded == "unscored" and lines["remarks"].answer == "Not answered"
    assert lines["queue_wait"].comment == "Only one till open"
    assert lines["queue_wait"].answer == "400 s" and lines["queue_wait"].points == "0 of 1"
    assert page.card.failures[0].question_key == "greeted"
    assert page.shopper_name == w.shopper.name
    na_visit = next(v for store, days, q, v in sw.visits if q == 1)
    na_page = visit_page.get_visit_page(db.session, w.head, na_visit.id, lang="ja", labels=DEFAULT_LABELS)
    bag = next(q for s in na_page.card.sections for q in s.questions if q.key == "bag_offered")
    assert bag.excluded == "na" and bag.answer == "N/A"
    assert na_page.card.sections[0].title == "スタッフ"


def test_area_managers_do_not_see_the_shopper_when_head_office_hides_it(sw: ScorecardWorld) -> None:
    w = sw.world
    settings.update_settings(db.session, w.head, {"show_shopper_to_managers": False}, now=NOW)
    visit = sw.visits[0][3]
    as_manager = visit_page.get_visit_page(db.session, w.manager, visit.id, lang="en", labels=DEFAULT_LABELS)
    as_head = visit_page.get_visit_page(db.session, w.head, visit.id, lang="en", labels=DEFAULT_LABELS)
    assert as_manager.shopper_name is None and as_head.shopper_name == w.shopper.name


def test_compare_puts_sections_side_by_side_for_two_to_six_stores(sw: ScorecardWorld) -> None:
    w = sw.world
    period = scopes.make_period(sw.now, 90)
    result = compare.get_comparison(db.session, w.head, [w.store.id, w.other_store.id], period=period,
                                       checklist_id=None)
    ginza, umeda = result.stores
    assert ginza.mean == avg([pct(0), pct(3), pct(2)]) and umeda.mean == avg([pct(0), pct(3)])
    assert umeda.sections[2] == avg([section(0, "feedback"), section(3, "feedback")])
    alone = compare.get_comparison(db.session, w.head, [w.store.id], period=period, checklist_id=None)
    assert [s.mean for s in alone.stores] == [ginza.mean]
    with pytest.raises(compare.CompareError):
        compare.get_comparison(db.session, w.head, list(range(1, 9)), period=period, checklist_id=None)
    with pytest.raises(PermissionDeniedError):
        compare.get_comparison(db.session, w.manager, [w.store.id, w.other_store.id], period=period,
                                  checklist_id=None)


@pytest.mark.parametrize("days", [30, 90, 365])
def test_each_store_page_shows_its_line_and_area_figures_as_the_area_dashboard_does(sw: ScorecardWorld,
                                                                                   days: int) -> None:
    w = sw.world
    period = scopes.make_period(sw.now, days)
    board = dashboard.get_dashboard(db.session, w.manager, scopes.get_area_scope(db.session, w.manager, w.area.id),
                                    period=period, checklist_id=None)
    assert board.stores
    for line in board.stores:
        page = store_page.get_store_page(db.session, w.manager, line.id, period=period, checklist_id=None)
        assert page.line == line
        assert page.area_mean == board.scope_mean
        assert [(s.key, s.area) for s in page.sections] == list(zip([h.key for h in board.sections],
                                                                    board.scope_sections))
        assert page.checklist == board.checklist and page.grades == board.grades


def test_an_areas_store_pages_gathered_at_once_equal_each_store_page_alone(sw: ScorecardWorld) -> None:
    w = sw.world
    period = scopes.make_period(sw.now, 90)
    figures = store_page.area_figures(db.session, w.area.id, period=period, checklist_id=None, lang="en")
    latest = store_page.area_latest(db.session, figures)
    for store in figures.stores:
        alone = store_page.get_store_page(db.session, w.manager, store.id, period=period, checklist_id=None)
        together = store_page.store_page(db.session, store_page.store_info(db.session, store.id), figures,
                                         latest.get(store.id, []), lang="en")
        assert together == alone


def test_an_areas_batch_of_scorecards_says_what_each_stores_own_scorecard_says(sw: ScorecardWorld) -> None:
    w = sw.world
    args = {"period": scopes.make_period(sw.now, 90), "checklist_id": None, "lang": "en", "labels": DEFAULT_LABELS,
            "branding": Branding("Storecheck"), "upload_dir": w.upload_dir, "format_date": lambda d: d.isoformat(),
            "now": sw.now}
    store_ids = [s.id for s in store_page.area_figures(db.session, w.area.id, period=args["period"],
                                                       checklist_id=None, lang="en").stores]
    batch = scorecard.area_contexts(db.session, w.manager, w.area.id, store_ids, **args)
    assert len(batch) == len(store_ids) >= 2
    assert batch == [scorecard.scorecard_context(db.session, w.manager, sid, **args) for sid in store_ids]


def test_a_page_opens_with_the_checklist_most_visited_in_its_period_else_over_all_history(sw: ScorecardWorld
                                                                                           ) -> None:
    """An area that visited an old checklist more often, long ago, opens its 90-day pages (dashboard, store page,
    home) with the one it uses now; a year's page with the old one; a period without any visit with the one most
    visited over all history."""
    w = sw.world
    old = make_published_checklist(small_checklist_data("old_check"))
    for days in range(200, 320, 15):  # 8 visits, more than the 7 of the scorecard checklist, all long ago
        make_submitted_visit(w.shopper, w.store, old.checklist_id, {"greeted": "yes", "helpful": 4, "queue_wait": 60},
                             at=sw.now - timedelta(days=days))
    current, old_id = sw.version.checklist_id, old.checklist_id
    scope = scopes.get_area_scope(db.session, w.manager, w.area.id)

    def opened(days: int, now: datetime = sw.now) -> tuple[int | None, int | None, int | None]:
        period = scopes.make_period(now, days)
        board = dashboard.get_dashboard(db.session, w.manager, scope, period=period, checklist_id=None)
        page = store_page.get_store_page(db.session, w.manager, w.store.id, period=period, checklist_id=None)
        area = next(a for a in home.list_area_summaries(db.session, None, period=period) if a.id == w.area.id)
        return (board.checklist.id if board.checklist else None, page.checklist.id if page.checklist else None,
                area.checklist.id if area.checklist else None)

    assert opened(90) == (current, current, current)
    assert opened(365) == (old_id, old_id, old_id)
    assert opened(30, sw.now - timedelta(days=1000)) == (old_id, old_id, old_id)  # nothing then: all history
    # Every checklist stays offered, the busiest of the period first.
    board = dashboard.get_dashboard(db.session, w.manager, scope, period=scopes.make_period(sw.now, 90),
                                    checklist_id=old_id)
    assert [o.id for o in board.checklists][:2] == [current, old_id] and board.checklist.id == old_id


@pytest.mark.parametrize("days", [5, 30, 90, 400])
def test_the_latest_two_visits_taken_from_a_periods_facts_are_those_the_database_finds(sw: ScorecardWorld,
                                                                                      days: int) -> None:
    """Stores with two visits in the facts get them from there; the others (one visit, none) from the database:
    either way the same visits as `latest_two` over all history."""
    w = sw.world
    empty = make_store(w.area, "S9", "No visits yet")
    stores = [w.store.id, sw.extra_store.id, w.other_store.id, empty.id]
    statuses = storage.statuses_for(db.session)
    checklist_id = sw.version.checklist_id
    facts_of = facts.visit_facts(db.session, checklist_id=checklist_id, statuses=statuses,
                                 start=sw.now - timedelta(days=days), end=sw.now + timedelta(seconds=1))
    taken = facts.latest_two_of(db.session, stores, facts_of, checklist_id, statuses, sw.now + timedelta(seconds=1))
    found = facts.latest_two(db.session, Store.id.in_(stores), checklist_id, statuses, sw.now + timedelta(seconds=1))
    assert {sid: taken.get(sid, []) for sid in stores} == {sid: found.get(sid, []) for sid in stores}
    assert len(found[w.store.id]) == 2 and empty.id not in found
