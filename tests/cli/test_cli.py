"""The command-line tools, run through Flask's CLI runner (the `runner` fixture) on the test database."""

from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskCliRunner
from sqlalchemy import select

from audit_app.extensions import db
from audit_app.models import Store, User
from tests.factories import World


def test_create_user_makes_an_area_manager_who_can_sign_in(runner: FlaskCliRunner, world: World) -> None:
    result = runner.invoke(args=[
        "create-user", "--email", "new.manager@test.example", "--name", "New Manager", "--role", "area_manager",
        "--area", "A2", "--password", "a long enough password"])
    assert result.exit_code == 0, result.output
    assert "Created area_manager new.manager@test.example" in result.output
    user = db.session.scalar(select(User).where(User.email == "new.manager@test.example"))
    assert user is not None and user.role == "area_manager"


def test_create_user_explains_a_refusal(runner: FlaskCliRunner, world: World) -> None:
    result = runner.invoke(args=[
        "create-user", "--email", world.shopper.email, "--name", "Dup", "--role", "shopper",
        "--password", "a long enough password"])
    assert result.exit_code != 0
    assert "already exists" in result.output


def test_import_stores_reports_rejected_lines_and_imports_nothing(
        runner: FlaskCliRunner, world: World, tmp_path: Path) -> None:
    csv_file = tmp_path / "stores.csv"
    csv_file.write_text("code,name,area_code\nS7,Kyoto,A2\nS8,Nowhere,ZZ\n", encoding="utf-8")
    result = runner.invoke(args=["import-stores", str(csv_file)])
    assert result.exit_code != 0
    assert "line 3: unknown area code ZZ" in result.output
    assert db.session.scalar(select(Store).where(Store.code == "S7")) is None


def test_import_stores_reads_excel_csv_with_a_byte_order_mark(
        runner: FlaskCliRunner, world: World, tmp_path: Path) -> None:
    csv_file = tmp_path / "stores.csv"
    csv_file.write_bytes("\ufeffcode,name,area_code,city\nS7,京都四条,A2,京都\n".encode("utf-8"))
    result = runner.invoke(args=["import-stores", str(csv_file)])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(Store.name).where(Store.code == "S7")) == "京都四条"


def test_checklists_validate_passes_the_shipped_library(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["checklists", "validate"])
    assert result.exit_code == 0, result.output
    assert "4 checklist file(s) valid." in result.output


def test_checklists_validate_names_the_file_and_fails(runner: FlaskCliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("key: bad\ntitle: Bad\nchannel: in_store\ngrades: [{min: 0, label: All}]\nsections: []\n")
    result = runner.invoke(args=["checklists", "validate", str(bad)])
    assert result.exit_code == 1
    assert "bad.yaml: sections" in result.output


def test_seed_demo_if_empty_leaves_a_used_database_alone(runner: FlaskCliRunner, world: World) -> None:
    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert result.exit_code == 0
    assert "demo data not loaded" in result.output
    assert db.session.scalar(select(User).where(User.email == "head@example.com")) is None
