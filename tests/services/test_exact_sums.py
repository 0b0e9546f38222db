"""Dashboard and home figures summed by the database from integer numerators and denominators equal the exact
means the pages took before, in Python, from the stored "n/d" texts: over a broad fixture of visits with varied
answers (so percents and section percents have many denominators), and over random fractions."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from fractions import Fraction
from typing import Any

from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

import scoring
from audit_app.extensions import db
from audit_app.models import SectionScore, Store, Visit, VisitScore
from audit_app.services.scores import dashboard, home
from audit_app.services.scores import scope as scopes
from audit_app.services.scores.facts import ExactSum
from tests.factories import World, make_area, make_published_checklist, make_store, make_submitted_visit, \
    scorecard_checklist_data

fractions = st.fractions(min_value=-1000, max_value=1000, max_denominator=10_000)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), fractions), max_size=40))
def test_a_sum_kept_per_denominator_gives_scoring_means_exact_value(values: list[Fraction | None]) -> None:
    total = ExactSum()
    by_den: dict[int, list[int]] = defaultdict(list)
    for value in values:
        if value is not None:
            by_den[value.denominator].append(value.numerator)
    halves = list(by_den.items())
    first, second = ExactSum(), ExactSum()
    for index, (den, nums) in enumerate(halves):
        (first if index % 2 else second).add(den, sum(nums), len(nums))
    total.merge(first)
    total.merge(second)
    assert total.mean == scoring.mean(values)


def _answers(rng: random.Random) -> dict[str, Any]:
    return {"greeted": rng.choice(["yes", "yes", "no"]), "greeting_time": rng.randint(0, 90),
            "helpful": rng.randint(1, 5), "queue_wait": rng.randint(0, 400),
            "bag_offered": rng.choice(["yes", "no", scoring.NA]), "csat": rng.randint(1, 5), "nps": rng.randint(0, 10)}


def _broad_world(world: World, now: datetime) -> list[Store]:
    """Three areas of the region (two of the world's and one more), ten stores, 70 visits over 200 days with
    random answers."""
    rng = random.Random(7)  # nosec B311 - test data
    version = make_published_checklist(scorecard_checklist_data())
    third = make_area(world.region, "A3", "Yokohama")
    stores = [world.store, world.other_store] + [
        make_store(area, f"S{n}", f"Store {n}") for n, area in
        zip(range(10, 18), [world.area, world.area, world.other_area, world.other_area, third, third, third,
                            world.area])]
    for _ in range(70):
        store = rng.choice(stores[:-1])  # the last store has no visit
        make_submitted_visit(world.shopper, store, version.checklist_id, _answers(rng),
                             at=now - timedelta(days=rng.randint(1, 200), hours=rng.randint(0, 23)))
    return stores


def _reference(start: datetime, end: datetime) -> tuple[dict[int, list[Fraction | None]],
                                                        dict[int, dict[str, list[Fraction | None]]]]:
    """Per store, the period's visit percents and per section key the section percents, from the stored texts
    as the pages read them before."""
    percents: dict[int, list[Fraction | None]] = defaultdict(list)
    sections: dict[int, dict[str, list[Fraction | None]]] = defaultdict(lambda: defaultdict(list))
    rows = db.session.execute(
        select(Visit.store_id, VisitScore.id, VisitScore.percent_exact)
        .join(VisitScore, (VisitScore.visit_id == Visit.id) & VisitScore.is_current.is_(True))
        .where(Visit.submitted_at >= start, Visit.submitted_at < end, Visit.status.in_(("submitted", "approved")))
    ).all()
    store_of = {sid: store for store, sid, _ in rows}
    for store, _, text in rows:
        percents[store].append(None if text is None else Fraction(text))
    for sid, key, earned, possible in db.session.execute(
            select(SectionScore.visit_score_id, SectionScore.section_key, SectionScore.earned,
                   SectionScore.possible).where(SectionScore.visit_score_id.in_(list(store_of)))):
        p = Fraction(possible)
        sections[store_of[sid]][key].append(Fraction(earned) / p * 100 if p else None)
    return percents, sections


def test_region_and_area_dashboards_and_home_give_the_exact_means_of_the_stored_texts(app: Flask,
                                                                                       world: World) -> None:
    now = datetime.now(timezone.utc).replace(microsecond=0)
    stores = _broad_world(world, now)
    area_of = {s.id: s.area_id for s in stores}
    for days in (30, 90):
        period = scopes.make_period(now, days)
        percents, sections = _reference(period.start, period.end)
        region = scopes.get_region_scope(db.session, world.head, world.region.id)
        board = dashboard.get_dashboard(db.session, world.head, region, period=period, checklist_id=None)
        keys = [h.key for h in board.sections]
        assert keys and set(keys) <= {"staff", "checkout", "feedback"}
        lines = {line.id: line for line in board.stores}
        assert set(lines) == {s.id for s in stores}
        for store in stores:
            line = lines[store.id]
            assert line.period_mean == scoring.mean(percents[store.id])
            assert line.visits == len(percents[store.id])
            assert line.sections == tuple(scoring.mean(sections[store.id][k]) for k in keys)
        means = {s.id: scoring.mean(percents[s.id]) for s in stores}
        for area_id in {s.area_id for s in stores}:
            ranks = scoring.competition_ranks({sid: m for sid, m in means.items() if area_of[sid] == area_id})
            assert {sid: lines[sid].rank for sid in ranks} == ranks
        everything = [p for s in stores for p in percents[s.id]]
        assert board.scope_mean == board.region_mean == scoring.mean(everything)
        assert board.scope_sections == tuple(
            scoring.mean(v for s in stores for v in sections[s.id][k]) for k in keys)
        assert {a.id: (a.mean, a.visits) for a in board.area_means} == {
            aid: (scoring.mean(p for s in stores if s.area_id == aid for p in percents[s.id]),
                  sum(len(percents[s.id]) for s in stores if s.area_id == aid))
            for aid in {s.area_id for s in stores}}
        area = scopes.get_area_scope(db.session, world.head, world.area.id)
        area_board = dashboard.get_dashboard(db.session, world.head, area, period=period, checklist_id=None)
        assert area_board.region_mean == scoring.mean(everything)
        summaries = {a.id: a for a in home.list_area_summaries(db.session, None, period=period)}
        for aid in {s.area_id for s in stores}:
            in_area = [p for s in stores if s.area_id == aid for p in percents[s.id]]
            assert (summaries[aid].mean, summaries[aid].visits) == (scoring.mean(in_area), len(in_area))
        counts = {row.id: row.visits for row in home.list_store_summaries(db.session, None, period=period)}
        assert counts == {s.id: len(percents[s.id]) for s in stores}
