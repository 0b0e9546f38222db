"""Head office imports an XLSForm through the real upload page at a phone's width: a broken file first, then the
fixed one as a dry run, then the draft itself, which the database then holds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from audit_app.extensions import db
from audit_app.models import Checklist, ChecklistVersion
from tests.browser.pages import axe_violations, no_sideways_scroll, shot, sign_in
from tests.factories import World
from tests.xlsforms import YES_NO, survey, xlsx


def test_head_office_fixes_a_broken_xlsform_then_imports_it_as_a_draft(page: Any, live_server: str, world: World,
                                                                       axe_source: str, tmp_path: Path) -> None:
    rows = [["begin group", "checkout", "Checkout", "レジ", None, None],
            ["select_one yn", "receipt", "Were you offered a receipt?", "レシートを渡されましたか？", "yes", None],
            ["image", "receipt_photo", "Photo of the receipt", "レシートの写真", None, "${receipt} = 'yes'"],
            ["calculate", "total", None, None, None, None],
            ["end group", None, None, None, None, None]]
    broken, fixed = tmp_path / "checkout.xlsx", tmp_path / "checkout_fixed.xlsx"
    broken.write_bytes(xlsx({"survey": survey(*rows)}))
    fixed.write_bytes(xlsx({"survey": survey(*rows), "choices": YES_NO,
                            "settings": [["form_title", "form_id"], ["Checkout check", "checkout_check"]]}))

    sign_in(page, live_server, world.head.email)
    page.goto(f"{live_server}/head-office/checklists")
    page.get_by_role("link", name="Import an XLSForm (ODK, KoboToolbox) instead").click()
    page.get_by_role("heading", name="Import an XLSForm").wait_for()
    assert axe_violations(page, axe_source) == []

    page.get_by_label("XLSForm file (.xlsx, .xls or .csv)").set_input_files(str(broken))
    page.get_by_label("Channel").select_option("in_store")
    page.get_by_role("button", name="Import").click()
    page.get_by_text("checkout.xlsx was not imported: 1 problem(s) to fix.").wait_for()
    problems = page.locator("#problems").inner_text()
    assert "the choice list yn has no choices: the choices sheet is empty or missing" in problems
    assert "not imported: calculations have no counterpart in a checklist" in problems
    assert page.get_by_label("Dry run: only show what would be imported").is_checked()
    assert no_sideways_scroll(page)
    shot(page, "xlsform-problems")
    assert axe_violations(page, axe_source) == []

    page.get_by_label("XLSForm file (.xlsx, .xls or .csv)").set_input_files(str(fixed))
    page.get_by_role("button", name="Import").click()
    page.get_by_text("Dry run: checkout_fixed.xlsx would become this draft").wait_for()
    assert "Photo of the receipt — Photo, shown only if receipt is yes" in page.locator("#result").inner_text()
    assert db.session.scalar(select(ChecklistVersion)) is None

    page.get_by_label("XLSForm file (.xlsx, .xls or .csv)").set_input_files(str(fixed))
    page.get_by_label("Dry run: only show what would be imported").uncheck()
    page.get_by_role("button", name="Import").click()
    page.get_by_text("Imported checkout_fixed.xlsx as draft version 1.").wait_for()
    assert axe_violations(page, axe_source) == []
    page.get_by_role("link", name="Open the draft").click()
    page.get_by_role("heading", name="Checkout check · Version 1 draft").wait_for()

    db.session.rollback()
    version = db.session.scalar(select(ChecklistVersion))
    assert db.session.get(Checklist, version.checklist_id).key == "checkout_check"
    [section] = version.definition["sections"]
    assert [(q["key"], q["type"], q["weight"]) for q in section["questions"]] == [
        ("receipt", "choice", 0), ("receipt_photo", "photo", 0)]
    assert section["questions"][1]["show_if"] == {"question": "receipt", "equals": "yes"}
