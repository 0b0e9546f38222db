"""The review queue at real size: paged with the true total, filtered, critical failures first, several approved
at once (each logged, a visit that changed meanwhile skipped and named)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from audit_app.extensions import db
from audit_app.models import AuditLog, Visit
from tests.factories import REVIEW_START as START
from tests.factories import NOW, World, add_submitted, make_published_checklist, make_user, small_checklist_data
from tests.web.html_forms import form_with_button


def _visit_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'href="/head-office/visits/(\d+)"', html)]


def _link(html: str, label_pattern: str) -> str:
    match = re.search(rf'<a href="([^"]+)"[^>]*>{label_pattern}</a>', html)
    assert match, label_pattern
    return match.group(1).replace("&amp;", "&")


def test_250_waiting_visits_are_paged_the_newest_is_on_the_last_page_and_the_counts_are_true(
        world: World, login: Any) -> None:
    version = make_published_checklist()
    ids = add_submitted(world.shopper.id, world.store, version.id, 250)
    client = login(world.head)

    first = client.get("/head-office/review").get_data(as_text=True)
    assert "250 visits" in first and "page 1 of 5" in first
    assert _visit_ids(first) == ids[:50]  # oldest first
    last = client.get(_link(first, r'<span class="visually-hidden">Last page, </span>5')).get_data(as_text=True)
    assert "page 5 of 5" in last and ids[-1] in _visit_ids(last)
    assert _visit_ids(last) == ids[200:]
    following = client.get(_link(first, "Next")).get_data(as_text=True)
    assert _visit_ids(following) == ids[50:100]
    # With review on they wait for it; with review off (the default) they count already, and the home page says so.
    from audit_app.services import settings

    settings.update_settings(db.session, world.head, {"review_required": True}, now=NOW)
    assert "250 visits are waiting for review." in client.get("/head-office/").get_data(as_text=True)
    settings.update_settings(db.session, world.head, {"review_required": False}, now=NOW)
    home = client.get("/head-office/").get_data(as_text=True)
    assert "waiting for review" not in home
    assert "250 submitted visits have not been reviewed; review is off, so they count already." in home


def test_filters_narrow_the_queue_and_the_page_links_keep_them(world: World, login: Any) -> None:
    version = make_published_checklist()
    other = make_published_checklist(small_checklist_data("phone_check"))
    ginza = add_submitted(world.shopper.id, world.store, version.id, 60)
    umeda = add_submitted(world.shopper.id, world.other_store, version.id, 70, start=START + timedelta(days=40))
    phone = add_submitted(world.shopper.id, world.store, other.id, 3, critical=frozenset({1}))
    client = login(world.head)

    by_area = client.get(f"/head-office/review?area={world.other_area.id}").get_data(as_text=True)
    assert "70 visits" in by_area and set(_visit_ids(by_area)) <= set(umeda)
    next_page = _link(by_area, "Next")
    assert f"area={world.other_area.id}" in next_page
    assert set(_visit_ids(client.get(next_page).get_data(as_text=True))) == set(umeda[50:])

    by_checklist = client.get(f"/head-office/review?checklist={other.checklist_id}").get_data(as_text=True)
    assert "3 visits" in by_checklist and sorted(_visit_ids(by_checklist)) == phone

    # Visits run from 09:20 on 1 September every 6 hours: 7 of Ginza's and the 3 phone checks fall on 1-2 September.
    by_date = client.get("/head-office/review?since=2026-09-01&until=2026-09-02").get_data(as_text=True)
    assert "10 visits" in by_date and sorted(_visit_ids(by_date)) == sorted([*ginza[:7], *phone])
    assert "since=2026-09-01" in _link(by_date, "Approved") and "until=2026-09-02" in _link(by_date, "Approved")

    critical = client.get("/head-office/review?critical=y").get_data(as_text=True)
    assert "1 visit" in critical and _visit_ids(critical) == [phone[1]]
    nothing = client.get(f"/head-office/review?critical=y&area={world.other_area.id}").get_data(as_text=True)
    assert "0 visits" in nothing and "Nothing here." in nothing


def test_visits_with_critical_failures_come_first_then_the_oldest(world: World, login: Any) -> None:
    version = make_published_checklist()
    ids = add_submitted(world.shopper.id, world.store, version.id, 80, critical=frozenset({30, 79}))
    client = login(world.head)
    shown = _visit_ids(client.get("/head-office/review").get_data(as_text=True))
    assert shown[:3] == [ids[30], ids[79], ids[0]]
    assert len(shown) == 50


def _post_form(client: FlaskClient, html: str, button: str, **changes: Any) -> Any:
    form = form_with_button(html, button)
    return client.post(form.action, data=form.data(**changes))


def test_approving_three_chosen_visits_approves_exactly_those_and_logs_each(world: World, login: Any) -> None:
    version = make_published_checklist()
    ids = add_submitted(world.shopper.id, world.store, version.id, 8)
    client = login(world.head)
    page = client.get("/head-office/review").get_data(as_text=True)
    values = re.findall(r'name="visits" value="([^"]+)"', page)
    chosen = [v for v in values if int(v.split("@")[0]) in (ids[1], ids[4], ids[6])]

    response = _post_form(client, page, "Approve the chosen visits", visits=chosen)

    assert response.status_code == 302
    approved = db.session.scalars(select(Visit.id).where(Visit.status == "approved").order_by(Visit.id)).all()
    assert approved == [ids[1], ids[4], ids[6]]
    logged = db.session.scalars(select(AuditLog.entity_id).where(AuditLog.action == "visit.approve")
                                .order_by(AuditLog.entity_id)).all()
    assert sorted(int(e) for e in logged) == approved
    after = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"3 visits approved: Ginza #{ids[1]}, Ginza #{ids[4]}, Ginza #{ids[6]}." in after
    assert "5 visits" in after


def test_a_visit_that_changed_after_the_page_was_opened_is_skipped_and_named(world: World, login: Any) -> None:
    version = make_published_checklist()
    ids = add_submitted(world.shopper.id, world.store, version.id, 4)
    client = login(world.head)
    page = client.get("/head-office/review").get_data(as_text=True)
    values = re.findall(r'name="visits" value="([^"]+)"', page)
    # Meanwhile someone voids one visit and the shopper's resubmission touches another.
    db.session.execute(update(Visit).where(Visit.id == ids[0]).values(status="voided"))
    db.session.execute(update(Visit).where(Visit.id == ids[1])
                       .values(updated_at=datetime(2026, 11, 30, tzinfo=timezone.utc)))
    db.session.commit()

    response = _post_form(client, page, "Approve the chosen visits", visits=values)

    statuses = dict(db.session.execute(select(Visit.id, Visit.status)).all())
    assert [statuses[i] for i in ids] == ["voided", "submitted", "approved", "approved"]
    after = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"2 visits approved: Ginza #{ids[2]}, Ginza #{ids[3]}." in after
    assert f"Skipped because they changed after you opened the page (check them again): Ginza #{ids[0]}, " \
           f"Ginza #{ids[1]}." in after


def test_approving_with_nothing_chosen_says_so_and_changes_nothing(world: World, login: Any) -> None:
    version = make_published_checklist()
    add_submitted(world.shopper.id, world.store, version.id, 2)
    client = login(world.head)
    page = client.get("/head-office/review").get_data(as_text=True)
    response = _post_form(client, page, "Approve the chosen visits")
    assert "Choose the visits to approve." in client.get(response.headers["Location"]).get_data(as_text=True)
    assert db.session.scalar(select(func.count(Visit.id)).where(Visit.status == "approved")) == 0


def test_a_page_past_the_last_shows_the_last_page(world: World, login: Any) -> None:
    version = make_published_checklist()
    shopper = make_user("third@test.example")
    ids = add_submitted(shopper.id, world.store, version.id, 55)
    client = login(world.head)
    html = client.get("/head-office/review?page=9").get_data(as_text=True)
    assert "page 2 of 2" in html and _visit_ids(html) == ids[50:]
