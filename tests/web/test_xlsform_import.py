"""The XLSForm upload page, driven through the test client as head office: a dry run, the import, the stored
draft, and the problems of a broken file listed with the file, row, column and reason in English and Japanese."""

from __future__ import annotations

import io
import re
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from audit_app.extensions import db
from audit_app.models import Checklist, ChecklistVersion
from audit_app.services import rubrics
from tests.factories import World, csrf_token_from
from tests.xlsforms import YES_NO, survey, xlsx

PAGE = "/head-office/checklists/import-xlsform"


def _form() -> bytes:
    return xlsx({
        "survey": survey(["begin group", "arrival", "Arrival", "入店時", None, None],
                         ["select_one yn", "greeted", "Were you greeted?", "挨拶されましたか？", "yes", None],
                         ["text", "who", "Who greeted you?", "誰が挨拶しましたか？", None, "${greeted} = 'yes'"],
                         ["calculate", "score", None, None, None, None],
                         ["end group", None, None, None, None, None]),
        "choices": YES_NO,
        "settings": [["form_title", "form_id"], ["Arrival check", "arrival_check"]],
    })


def _upload(client: FlaskClient, data: bytes, filename: str, **fields: Any) -> Any:
    form = {"csrf_token": csrf_token_from(client, PAGE), "channel": "in_store",
            "file": (io.BytesIO(data), filename), **fields}
    return client.post(PAGE, data=form, content_type="multipart/form-data")


def _count(model: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_checklists_page_links_to_the_upload_page(world: World, login: Any) -> None:
    client = login(world.head)
    assert PAGE in client.get("/head-office/checklists").get_data(as_text=True)
    page = client.get(PAGE)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in html and 'accept=".xlsx,.xls,.csv"' in html


def test_a_dry_run_shows_the_draft_to_be_then_the_import_stores_it(world: World, login: Any) -> None:
    client = login(world.head)
    dry = _upload(client, _form(), "arrival.xlsx", dry_run="y")
    text = _text(dry.get_data(as_text=True))
    assert dry.status_code == 200, text
    assert "Dry run: arrival.xlsx would become this draft" in text
    assert "Checklist key: arrival_check. 1 section(s), 2 question(s)." in text
    assert "Were you greeted? — One choice, required" in text
    assert "Who greeted you? — Text, shown only if greeted is yes" in text
    assert "File arrival.xlsx · sheet survey · row 5 · column type not imported: calculations have no counterpart " \
           "in a checklist" in text
    assert _count(ChecklistVersion) == 0

    done = _upload(client, _form(), "arrival.xlsx", channel="online")
    text = _text(done.get_data(as_text=True))
    assert done.status_code == 200, text
    assert "Imported arrival.xlsx as draft version 1." in text and "Left out of the draft: 1" in text
    version = db.session.scalar(select(ChecklistVersion))
    checklist = db.session.get(Checklist, version.checklist_id)
    assert (checklist.key, checklist.title, checklist.channel, version.status) == \
        ("arrival_check", "Arrival check", "online", "draft")
    assert f"/head-office/versions/{version.id}" in done.get_data(as_text=True)
    assert version.definition == rubrics.validate({
        "key": "arrival_check", "title": "Arrival check", "channel": "online", "scoring": "weighted_sections",
        "grades": [{"min": 90, "label": {"en": "Excellent", "ja": "優秀"}},
                   {"min": 75, "label": {"en": "Good", "ja": "良好"}},
                   {"min": 0, "label": {"en": "Needs work", "ja": "要改善"}}],
        "sections": [{"key": "arrival", "title": {"en": "Arrival", "ja": "入店時"}, "weight": 1, "questions": [
            {"key": "greeted", "type": "choice", "text": {"en": "Were you greeted?", "ja": "挨拶されましたか？"},
             "weight": 0, "required": True,
             "options": [{"key": "yes", "text": {"en": "Yes", "ja": "はい"}},
                         {"key": "no", "text": {"en": "No", "ja": "いいえ"}}]},
            {"key": "who", "type": "text", "text": {"en": "Who greeted you?", "ja": "誰が挨拶しましたか？"},
             "weight": 0, "required": False, "show_if": {"question": "greeted", "equals": "yes"}}]}],
    })
    # The draft opens in the editor like any other.
    assert client.get(f"/head-office/versions/{version.id}").status_code == 200


def test_a_broken_file_lists_its_problems_and_keeps_what_was_chosen(world: World, login: Any) -> None:
    client = login(world.head)
    broken = xlsx({"survey": survey(["select_one nowhere", "greeted", "Greeted?", None, None, None],
                                    ["text", "greeted", "Again?", None, None, None])})
    response = _upload(client, broken, "broken.xlsx", channel="phone", key="my_key")
    html = response.get_data(as_text=True)
    text = _text(html)
    assert response.status_code == 422, text
    assert "broken.xlsx was not imported: 2 problem(s) to fix." in text
    assert "File broken.xlsx · sheet survey · row 2 · column type the choice list nowhere has no choices: the " \
           "choices sheet is empty or missing (blocks the import)" in text
    assert "File broken.xlsx · sheet survey · row 3 · column name the name greeted is used twice (also on line 2) " \
           "(blocks the import)" in text
    assert "You chose broken.xlsx." in text
    assert 'value="my_key"' in html and re.search(r'<option selected value="phone">|<option value="phone" selected',
                                                  html)
    dry_run = re.search(r'<input[^>]*name="dry_run"[^>]*>', html).group(0)
    assert "checked" not in dry_run  # left unticked, as it was sent
    assert _count(ChecklistVersion) == 0


def test_problems_read_in_japanese_for_a_japanese_reader(world: World, login: Any) -> None:
    world.head.locale = "ja"
    db.session.commit()
    client = login(world.head)
    broken = xlsx({"survey": survey(["select_one nowhere", "greeted", "Greeted?", None, None, None],
                                    ["calculate", "x", None, None, None, None])})
    text = _text(_upload(client, broken, "broken.xlsx").get_data(as_text=True))
    assert "broken.xlsx をインポートしませんでした" in text
    assert "ファイル broken.xlsx・シート survey・2行目・列 type 選択肢リスト nowhere には選択肢がありません" in text
    assert "取り込みません：計算はチェックリストに対応するものがありません" in text


def test_no_file_too_large_a_file_or_the_wrong_type_is_a_form_error(world: World, login: Any) -> None:
    client = login(world.head)
    none = client.post(PAGE, data={"csrf_token": csrf_token_from(client, PAGE), "channel": "in_store"},
                       content_type="multipart/form-data")
    assert none.status_code == 422 and "Choose an XLSForm file to import." in none.get_data(as_text=True)
    # Encoded here in memory: the test client would spool a body this large to a file it never closes.
    boundary, body = encode_multipart({"csrf_token": csrf_token_from(client, PAGE), "channel": "in_store",
                                       "file": FileStorage(io.BytesIO(b"x" * (3 * 1024 * 1024)), "big.xlsx")})
    big = _text(client.post(PAGE, data=body, content_type=f"multipart/form-data; boundary={boundary}")
                .get_data(as_text=True))
    assert "the file is 2.0 MB; an XLSForm may be at most 2 MB" in big
    bad_key = _upload(client, _form(), "arrival.xlsx", key="Arrival Check")
    assert bad_key.status_code == 422
    assert "Use lower-case letters, digits and _, starting with a letter." in bad_key.get_data(as_text=True)
    assert 'value="Arrival Check"' in bad_key.get_data(as_text=True)
    wrong = _upload(client, b"%PDF-1.7", "form.pdf")
    assert wrong.status_code == 422
    assert "only .xlsx, .xls and .csv files can be imported (this one is .pdf)" in _text(wrong.get_data(as_text=True))
    assert _count(ChecklistVersion) == 0


def test_an_upload_without_its_csrf_token_is_refused(world: World, login: Any) -> None:
    client = login(world.head)
    response = client.post(PAGE, data={"channel": "in_store", "file": (io.BytesIO(_form()), "a.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 400 and _count(ChecklistVersion) == 0


def test_a_checklist_with_a_draft_already_is_a_form_error(world: World, login: Any) -> None:
    client = login(world.head)
    assert _upload(client, _form(), "arrival.xlsx").status_code == 200
    again = _upload(client, _form(), "arrival.xlsx")
    assert again.status_code == 422
    assert "This checklist already has a draft: discard it before importing another." in again.get_data(as_text=True)
    assert _count(ChecklistVersion) == 1


def test_a_draft_only_checklist_is_not_offered_on_the_managers_pages(world: World, login: Any) -> None:
    from tests.factories import publish_mini

    publish_mini()
    _upload(login(world.head), _form(), "arrival.xlsx")
    assert db.session.scalar(select(ChecklistVersion.status).join(Checklist).where(
        Checklist.key == "arrival_check")) == "draft"
    manager = login(world.manager)
    for page in (f"/manager/areas/{world.area.id}", "/manager/"):
        html = manager.get(page).get_data(as_text=True)
        assert "Mini visit" in html, page
        assert "Arrival check" not in html, page


def test_a_draft_only_checklist_cannot_be_planned_or_assigned(world: World, login: Any) -> None:
    from audit_app.models import VisitPlan
    from tests.factories import make_plan, publish_mini

    publish_mini()
    head = login(world.head)
    _upload(head, _form(), "arrival.xlsx")
    draft_id = db.session.scalar(select(Checklist.id).where(Checklist.key == "arrival_check"))
    for page in ("/head-office/plans", "/head-office/assignments", "/head-office/review"):
        html = head.get(page).get_data(as_text=True)
        assert "Mini visit" in html, page
        assert "Arrival check" not in html, page
    # A plan that already names such a checklist says why nothing can be generated, rather than a preview.
    plan = make_plan(world.head, draft_id, "Arrivals")
    html = head.get(f"/head-office/plans/{plan.id}").get_data(as_text=True)
    assert "This checklist has no published version yet." in html
    assert "would be created" not in html
    # Its edit form still offers the checklist it names, so saving other changes is possible.
    assert "Arrival check" in head.get(f"/head-office/plans/{plan.id}/edit").get_data(as_text=True)
    assert db.session.get(VisitPlan, plan.id) is not None
