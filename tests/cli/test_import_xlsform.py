"""`flask import-xlsform FILE`: the same import as the upload page, its problems one line each."""

from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskCliRunner
from sqlalchemy import select

from audit_app.extensions import db
from audit_app.models import AuditLog, ChecklistVersion
from tests.factories import World
from tests.xlsforms import YES_NO, csv_form, survey, xlsx


def test_the_command_imports_a_draft_and_lists_the_rows_left_out(runner: FlaskCliRunner, world: World,
                                                                 tmp_path: Path) -> None:
    path = tmp_path / "visit.xlsx"
    path.write_bytes(xlsx({"survey": survey(["select_one yn", "greeted", "Greeted?", "挨拶？", "yes", None],
                                            ["calculate", "x", None, None, None, None]),
                           "choices": YES_NO}))
    dry = runner.invoke(args=["import-xlsform", str(path), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Dry run: visit.xlsx would become a draft of visit (1 section(s), 1 question(s), 1 row(s) left out)." \
        in dry.output
    assert db.session.scalar(select(ChecklistVersion)) is None
    result = runner.invoke(args=["import-xlsform", str(path), "--key", "spot_check", "--channel", "online"])
    assert result.exit_code == 0, result.output
    assert "visit.xlsx:survey:3:type: not imported: calculations have no counterpart in a checklist (left out)" \
        in result.output
    assert "Imported visit.xlsx as draft version 1 of spot_check" in result.output
    version = db.session.scalar(select(ChecklistVersion))
    assert version.status == "draft" and version.definition["channel"] == "online"
    assert db.session.scalar(select(AuditLog.after).where(AuditLog.action == "checklist.import"))["file"] == \
        "visit.xlsx"


def test_the_command_lists_every_problem_of_a_broken_csv_form_and_fails(runner: FlaskCliRunner, world: World,
                                                                       tmp_path: Path) -> None:
    path = tmp_path / "broken.csv"
    path.write_bytes(csv_form({"survey": survey(["select_one nowhere", "a", "A?", None, None, None],
                                                ["text", "a", "Again?", None, None, None])}))
    result = runner.invoke(args=["import-xlsform", str(path)])
    assert result.exit_code == 1
    assert "broken.csv:survey:3:type: the choice list nowhere has no choices: the choices sheet is empty or missing" \
        in result.output
    assert "broken.csv:survey:4:name: the name a is used twice (also on line 3)" in result.output
    assert "broken.csv was not imported: 2 problem(s) to fix." in result.output
    assert db.session.scalar(select(ChecklistVersion)) is None
