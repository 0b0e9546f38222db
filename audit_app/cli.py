"""Command-line tools. Each command is one service call."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from audit_app.extensions import db
from audit_app.config import PROJECT_ROOT, Config
from audit_app.services import backup as backup_service
from audit_app.services import checklists as checklist_service
from audit_app import worker as worker_process
from audit_app.services import csv_import, jobs, seed, users


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _config() -> Config:
    return current_app.config["STORECHECK_CONFIG"]  # type: ignore[no-any-return]


checklists_cli = AppGroup("checklists", help="Work with checklist files.")


@checklists_cli.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def validate_checklists(paths: tuple[Path, ...]) -> None:
    """Check checklist files (default: every file in checklists/). Exits 1 when any is invalid."""
    targets = list(paths) or checklist_service.library_paths()
    problems = checklist_service.validate_files(targets)
    for line in problems:
        click.echo(line, err=True)
    if problems:
        raise SystemExit(1)
    click.echo(f"{len(targets)} checklist file(s) valid.")


@click.command("seed-demo")
@click.option("--size", type=click.Choice(sorted(seed.SIZES)), default="full", show_default=True)
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has users.")
def seed_demo(size: str, if_empty: bool) -> None:
    """Load demo data (safe to run again: it only adds what is missing)."""
    if if_empty and seed.has_users(db.session):
        click.echo("The database already has data; demo data not loaded.")
        return
    summary = seed.seed_demo(db.session, now=_now(), upload_dir=Path(current_app.config["UPLOAD_DIR"]), size=size,
                             password_hash_method=_config().password_hash_method)
    click.echo(f"Demo data: {summary.regions} regions, {summary.areas} areas, {summary.stores} stores, "
               f"{summary.users} users, {summary.checklists} checklists, {summary.visits} visits "
               f"({summary.created_visits} new).")


@click.command("demo-sign-ins")
def demo_sign_ins() -> None:
    """Print the demo sign-ins."""
    for email, role in seed.DEMO_SIGN_INS:
        click.echo(f"  {role:<13} {email:<22} password: {seed.DEMO_PASSWORD}")


@click.command("create-user")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice(["shopper", "area_manager", "head_office"]), required=True)
@click.option("--area", "areas", multiple=True, help="Area code (area managers; repeatable).")
@click.option("--locale", type=click.Choice(["en", "ja"]), default="en", show_default=True)
@click.password_option()
def create_user(email: str, name: str, role: str, areas: tuple[str, ...], locale: str, password: str) -> None:
    """Create a user who can sign in."""
    try:
        user = users.create_user(db.session, email=email, name=name, role=role, password=password,
                                 locale=locale, area_codes=areas, now=_now(),
                                 password_hash_method=_config().password_hash_method)
    except users.UserError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Created {user.role} {user.email}.")


@click.command("import-stores")
@click.argument("csv_file", type=click.File("r", encoding="utf-8-sig"))
@click.option("--dry-run", is_flag=True, help="Show what would change without writing anything.")
def import_stores(csv_file, dry_run: bool) -> None:  # type: ignore[no-untyped-def]
    """Create or update stores from a CSV file (code,name,area_code,city,address,timezone)."""
    try:
        report = csv_import.import_stores(db.session, csv_file.read(), now=_now(), dry_run=dry_run)
    except csv_import.ImportRejectedError as error:
        for line, reason in error.report.rejected:
            click.echo(f"line {line}: {reason}", err=True)
        raise click.ClickException(str(error)) from None
    verb = "Would create" if dry_run else "Created"
    click.echo(f"{verb} {len(report.created)}, updated {len(report.updated)}, "
               f"unchanged {len(report.unchanged)} store(s).")


backup_cli = AppGroup("backup", help="Back up and restore the database and the uploads.")


@backup_cli.command("create")
@click.option("--to", "target", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for the archive (default: instance/backups).")
def create_backup(target: Path | None) -> None:
    """Write one timestamped archive of the database and the upload directory."""
    try:
        result = backup_service.create_backup(
            current_app.config["SQLALCHEMY_DATABASE_URI"], Path(current_app.config["UPLOAD_DIR"]),
            target or Path(current_app.instance_path) / "backups", now=_now())
    except backup_service.BackupError as error:
        raise click.ClickException(str(error)) from None
    rows = sum(n for table, n in result.manifest.row_counts.items() if table != "alembic_version")
    click.echo(f"Wrote {result.path} ({rows} rows, {result.manifest.upload_files} upload files, "
               f"migration {result.manifest.revision}).")


@backup_cli.command("restore")
@click.argument("archive", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Replace a database that already has data, and its uploads.")
def restore_backup(archive: Path, yes: bool) -> None:
    """Restore the database and the upload directory from an archive, then migrate it up if it is older."""
    import flask_migrate

    db.session.remove()
    db.engine.dispose()  # no pooled connection may hold the database while it is replaced
    try:
        result = backup_service.restore_backup(
            archive, current_app.config["SQLALCHEMY_DATABASE_URI"], Path(current_app.config["UPLOAD_DIR"]),
            migrations_dir=PROJECT_ROOT / "migrations", upgrade=flask_migrate.upgrade, overwrite=yes)
    except backup_service.BackupError as error:
        raise click.ClickException(str(error)) from None
    upgraded = f"; migrated up from {result.upgraded_from}" if result.upgraded_from else ""
    click.echo(f"Restored the backup of {result.manifest.created_at} "
               f"({result.manifest.upload_files} upload files{upgraded}).")


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop once the queue is empty.")
def worker(burst: bool) -> None:
    """Run background jobs (batch PDF scorecards) from the queue at REDIS_URL."""
    try:
        worker_process.run_worker(_config(), db.engine, burst=burst, echo=click.echo)
    except jobs.JobQueueUnavailableError as error:
        raise click.ClickException(str(error)) from None


def init_cli(app: Flask) -> None:
    app.cli.add_command(checklists_cli)
    app.cli.add_command(backup_cli)
    for command in (seed_demo, demo_sign_ins, create_user, import_stores, worker):
        app.cli.add_command(command)
