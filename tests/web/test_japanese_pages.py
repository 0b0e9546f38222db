"""Pages requested by people who read Japanese: they answer, in Japanese."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import func, select

from audit_app.extensions import db
from audit_app.models import Assignment, User
from audit_app.services import rubrics
from tests.factories import (
    NOW, PASSWORD, ScorecardWorld, World, csrf_token_from, make_assignment, make_published_checklist, make_scorecard_world,
    make_submitted_visit,
)


@pytest.fixture
def sw(app: Flask, world: World) -> ScorecardWorld:
    for person in (world.manager, world.head, world.shopper):
        person.locale = "ja"
    db.session.commit()
    return make_scorecard_world(world)


def test_every_manager_page_answers_in_japanese(sw: ScorecardWorld, login) -> None:
    client = login(sw.world.head)
    visit = sw.visits[-3][3]
    pages = {
        "area": f"/manager/areas/{sw.world.area.id}",
        "region": f"/manager/regions/{sw.world.region.id}",
        "store": f"/manager/stores/{sw.world.store.id}",
        "visit": f"/manager/visits/{visit.id}",
        "compare": f"/manager/compare?stores={sw.world.store.id}&stores={sw.extra_store.id}",
    }
    for name, path in pages.items():
        response = client.get(path)
        assert response.status_code == 200, name
        html = response.get_data(as_text=True)
        assert 'lang="ja"' in html, name
    area = client.get(pages["area"]).get_data(as_text=True)
    assert "平均は各訪問のスコア（％）の平均です" in area
    assert "セクション加重方式" in client.get(pages["visit"]).get_data(as_text=True)


def _post(client: FlaskClient, path: str, data: dict[str, Any]) -> Any:
    return client.post(path, data={**data, "csrf_token": csrf_token_from(client, path)}, follow_redirects=True)


def _japanese(*people: User) -> None:
    for person in people:
        person.locale = "ja"
    db.session.commit()


def test_cancelling_a_started_assignment_is_refused_in_japanese(world: World, login: Any) -> None:
    _japanese(world.head)
    version = make_published_checklist()
    assignment = make_assignment(world.shopper, world.store, version.checklist_id)
    assignment.status = "started"
    db.session.commit()
    client = login(world.head)
    html = _post(client, f"/head-office/assignments/{assignment.id}/cancel", {}).get_data(as_text=True)
    assert "取り消せるのは、まだ開始されていない割り当てだけです。" in html
    assert "Only an assignment" not in html


def test_an_assignment_window_that_ends_before_it_starts_is_refused_in_japanese(world: World, login: Any) -> None:
    _japanese(world.head)
    version = make_published_checklist()
    client = login(world.head)
    response = _post(client, "/head-office/assignments", {
        "which": "one", "one-shopper_id": world.shopper.id, "one-store_id": world.store.id,
        "one-checklist_id": version.checklist_id, "one-window_start": "2026-12-10", "one-window_end": "2026-12-01"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "期間の終了日は開始日と同じか、それより後にしてください。" in html
    assert db.session.scalar(select(func.count(Assignment.id))) == 0


def test_a_weak_new_password_is_refused_in_japanese(world: World, login: Any) -> None:
    _japanese(world.shopper)
    client = login(world.shopper)
    response = _post(client, "/account/password", {"current": PASSWORD, "new": "password123",
                                                   "confirm": "password123"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "攻撃者" in html and "attacker" not in html


def test_a_new_person_with_several_problems_is_told_each_in_japanese(world: World, login: Any) -> None:
    _japanese(world.head)
    client = login(world.head)
    response = _post(client, "/head-office/people/new", {"email": "not-an-address", "name": "Kana", "role": "shopper",
                                                         "locale": "ja", "region": "", "password": "short"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "メールアドレスの形式ではありません。" in html or "メールアドレスの形式ではありません" in html
    assert "文字以上" in html and "does not look like" not in html


def test_a_review_refusal_names_the_status_in_japanese(world: World, login: Any) -> None:
    _japanese(world.head)
    version = make_published_checklist()
    visit = make_submitted_visit(world.shopper, world.store, version.checklist_id,
                                 {"greeted": "yes", "helpful": 4, "queue_wait": 90})
    visit.status = "voided"
    db.session.commit()
    client = login(world.head)
    response = client.post(f"/head-office/visits/{visit.id}", data={
        "decision": "approve", "csrf_token": csrf_token_from(client, f"/head-office/visits/{visit.id}")})
    assert response.status_code == 422
    assert "「無効」の訪問は承認できません。" in response.get_data(as_text=True)


def test_the_store_page_charts_name_months_in_japanese(sw: ScorecardWorld, login) -> None:
    html = login(sw.world.manager).get(f"/manager/stores/{sw.world.store.id}").get_data(as_text=True)
    svg = html[html.index("<svg"):]
    assert re.search(r">\d{1,2}月<", svg) or re.search(r">\d{4}年\d{1,2}月<", svg)
    assert not re.search(r">(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)<", svg)


def test_the_csv_is_in_japanese_for_a_japanese_reader(sw: ScorecardWorld, login) -> None:
    raw = login(sw.world.manager).get(f"/manager/areas/{sw.world.area.id}/visits.csv?days=365").get_data()
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    header = list(rows[0])
    assert "店舗" in header and "Store" not in header
    assert {row["状態"] for row in rows} == {"提出済み"}
    assert {row["チェックリスト"] for row in rows} == {"店舗訪問"}
    assert {row["評価"] for row in rows} <= {"良好", "不十分"} and rows


def test_the_pdf_scorecard_is_in_japanese_for_a_japanese_reader(sw: ScorecardWorld, login) -> None:
    response = login(sw.world.manager).get(f"/manager/stores/{sw.world.store.id}/scorecard.pdf")
    assert response.status_code == 200
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.get_data())).pages)
    assert "店舗訪問" in text and "Store visit" not in text
    assert "良好" in text or "不十分" in text
    assert "Good" not in text and "Poor" not in text


QUESTION = {"key": "greeting_time", "type": "duration", "text_en": "How long until someone greeted you?",
            "text_ja": "声をかけられるまでの時間は？", "required": "y", "good": "yes",
            "bands": "max 30: 1\nmax 90: 0.5\notherwise: 0", "critical_effect": "", "kpi": "greeting_time"}


def test_version_changes_and_a_published_version_are_told_in_japanese(world: World, login: Any) -> None:
    _japanese(world.head)
    v1 = make_published_checklist()
    draft = rubrics.start_draft(db.session, world.head, v1.id, now=NOW).id
    client = login(world.head)
    client.post(f"/head-office/versions/{draft}/sections/1/questions/new", data={
        **QUESTION, "csrf_token": csrf_token_from(client, f"/head-office/versions/{draft}/sections/1/questions/new")})
    diff = client.get(f"/head-office/checklists/{v1.checklist_id}/diff?old={v1.id}&new={draft}").get_data(as_text=True)
    assert "質問「声をかけられるまでの時間は？」（所要時間（ストップウォッチ））がセクション" in diff and "greeting_time" not in diff
    assert "added to section" not in diff
    checklist = client.get(f"/head-office/checklists/{v1.checklist_id}").get_data(as_text=True)
    assert "(公開中)" in checklist and "(下書き)" in checklist and "(published)" not in checklist and "(draft)" not in checklist
    client.post(f"/head-office/versions/{draft}/publish",
                data={"csrf_token": csrf_token_from(client, f"/head-office/versions/{draft}")})
    conflict = client.get(f"/head-office/versions/{draft}/sections/0")
    assert conflict.status_code == 409
    assert "これはもう変更できません" in conflict.get_data(as_text=True)
    assert "Conflict" not in conflict.get_data(as_text=True)


def test_the_audit_log_filters_read_in_japanese(world: World, login: Any) -> None:
    _japanese(world.head)
    make_published_checklist(actor=world.head)
    html = login(world.head).get("/head-office/audit-log").get_data(as_text=True)
    assert '<option value="checklist">チェックリスト' in html
    assert '<option value="assignment">割り当て' in html
    assert ">checklist<" not in html and ">assignment<" not in html


def test_statuses_read_in_japanese_on_the_head_office_overview(world: World, login: Any) -> None:
    _japanese(world.head)
    make_published_checklist()
    html = login(world.head).get("/head-office/").get_data(as_text=True)
    assert "公開中" in html and ">published<" not in html


def test_checklist_problems_from_the_editor_and_a_yaml_import_read_in_japanese(world: World, login: Any) -> None:
    _japanese(world.head)
    client = login(world.head)
    created = _post(client, "/head-office/checklists", {"new-key": "Bad Key", "new-title": "Visit",
                                                         "new-channel": "in_store"})
    assert created.status_code == 422
    assert "はキーとして使えません" in created.get_data(as_text=True)
    yaml_text = ("key: rated\ntitle: Rated\nchannel: in_store\ngrades: [{min: 0, label: All}]\n"
                 "sections:\n  - key: s\n    title: S\n    questions:\n      - {key: q, type: rating, text: Q}\n")
    imported = _post(client, "/head-office/checklists", {"import-yaml_text": yaml_text})
    html = imported.get_data(as_text=True)
    assert imported.status_code == 422
    assert "質問の種類 &#39;rating&#39; は不明です" in html and "unknown question type" not in html


def test_the_review_page_shows_the_visit_in_japanese(world: World, login: Any) -> None:
    from tests.factories import scorecard_answers, scorecard_checklist_data

    _japanese(world.head)
    version = make_published_checklist(scorecard_checklist_data())
    visit = make_submitted_visit(world.shopper, world.store, version.checklist_id, scorecard_answers(3))
    html = login(world.head).get(f"/head-office/visits/{visit.id}").get_data(as_text=True)
    assert "店舗訪問 v1" in html and "Store visit" not in html
    assert "良好" in html and ">Good<" not in html
    assert "スタッフ" in html and "はい" in html
    assert ">unscored<" not in html


def test_rejected_import_lines_read_in_japanese(world: World, login: Any) -> None:
    _japanese(world.head)
    client = login(world.head)
    stores = _post(client, "/head-office/stores/import", {"csv_text": "code,name,area_code\nS9,Nowhere,ZZ\n"})
    assert stores.status_code == 422
    assert "エリアコード ZZ は不明です" in stores.get_data(as_text=True)
    people_csv = "email,name,role,password\nbad@test.example,Bad,pirate,short\n"
    people = _post(client, "/head-office/people/import", {"csv_text": people_csv}).get_data(as_text=True)
    assert "役割 &#39;pirate&#39; は不明です" in people and "unknown role" not in people


def test_manager_pages_name_the_checklist_in_japanese(sw: ScorecardWorld, login) -> None:
    client = login(sw.world.manager)
    visit = sw.visits[-3][3]
    for path in ("/manager/", f"/manager/areas/{sw.world.area.id}", f"/manager/stores/{sw.world.store.id}",
                 f"/manager/visits/{visit.id}",
                 f"/manager/compare?stores={sw.world.store.id}&stores={sw.extra_store.id}"):
        html = client.get(path).get_data(as_text=True)
        assert "店舗訪問" in html, path
        assert "Store visit" not in html, path


def test_head_office_checklist_pages_name_the_checklist_in_japanese(world: World, login: Any) -> None:
    from tests.factories import scorecard_checklist_data

    _japanese(world.head)
    version = make_published_checklist(scorecard_checklist_data())
    client = login(world.head)
    for path in ("/head-office/", "/head-office/checklists", f"/head-office/checklists/{version.checklist_id}"):
        html = client.get(path).get_data(as_text=True)
        assert "店舗訪問" in html and "Store visit" not in html, path
