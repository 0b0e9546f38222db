"""Command-line tools. Each command is one service call."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from audit_app.extensions import db
from audit_app.config import PROJECT_ROOT, Config
from audit_app.services import backup as backup_service
from audit_app.services import checklists as checklist_service
from audit_app import worker as worker_process
from audit_app.services import csv_import, fraud, jobs, seed, users, xlsform
from audit_app.services.errors import ServiceError
from scoring import Problem
from scoring.schema import CHANNELS


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
@click.option("--role", type=click.Choice(["shopper", "store_manager", "area_manager", "head_office"]), required=True)
@click.option("--area", "areas", multiple=True, help="Area code (area managers; repeatable).")
@click.option("--store", "stores", multiple=True, help="Store code (store managers; repeatable).")
@click.option("--locale", type=click.Choice(["en", "ja"]), default="en", show_default=True)
@click.password_option()
def create_user(email: str, name: str, role: str, areas: tuple[str, ...], stores: tuple[str, ...], locale: str,
                password: str) -> None:
    """Create a user who can sign in."""
    try:
        user = users.create_user(db.session, email=email, name=name, role=role, password=password,
                                 locale=locale, area_codes=areas, store_codes=stores, now=_now(),
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


@click.command("import-xlsform")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--key", default=None, help="Checklist key (default: the form_id of the settings sheet, else the "
                                          "file name).")
@click.option("--channel", type=click.Choice(CHANNELS), default="in_store", show_default=True)
@click.option("--dry-run", is_flag=True, help="Show what would be imported without storing anything.")
def import_xlsform(path: Path, key: str | None, channel: str, dry_run: bool) -> None:
    """Import an XLSForm (.xlsx, .xls or .csv) as a draft checklist; every row left out is listed."""
    with path.open("rb") as handle:
        data = handle.read(xlsform.MAX_XLSFORM_BYTES + 1)
    try:
        result = xlsform.import_xlsform(db.session, None, data, path.name, now=_now(), key=key, channel=channel,
                                        dry_run=dry_run)
    except xlsform.XlsformRejectedError as error:
        for problem in error.problems:
            click.echo(_problem_line(path.name, problem), err=True)
        raise click.ClickException(str(error)) from None
    except ServiceError as error:
        raise click.ClickException(str(error)) from None
    for problem in result.skipped:
        click.echo(_problem_line(path.name, problem), err=True)
    summary = f"{result.sections} section(s), {result.questions} question(s), {len(result.skipped)} row(s) left out"
    if result.version is None:
        click.echo(f"Dry run: {path.name} would become a draft of {result.definition['key']} ({summary}).")
    else:
        click.echo(f"Imported {path.name} as draft version {result.version.number} of {result.version.checklist_key} "
                   f"({summary}).")


def _problem_line(filename: str, problem: xlsform.XlsformProblem) -> str:
    place = ":".join(str(part) for part in (filename, problem.sheet, problem.line, problem.column) if part)
    reason = problem.reason
    text = f"{reason.path}: {reason.message}" if isinstance(reason, Problem) and reason.path else str(
        reason.message if isinstance(reason, Problem) else reason)
    return f"{place}: {text}" + ("" if problem.blocking else " (left out)")


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
    """Run background jobs (batch PDF scorecards, sending e-mail, webhook deliveries) from the queue at REDIS_URL."""
    try:
        worker_process.run_worker(_config(), db.engine, burst=burst, echo=click.echo)
    except jobs.JobQueueUnavailableError as error:
        raise click.ClickException(str(error)) from None


@click.command("check-visits")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Only visits submitted on or after this day (UTC), e.g. 2026-11-01.")
def check_visits(since: datetime | None) -> None:
    """Run the proof-of-visit checks again on submitted visits, keeping flags already explained."""
    checked, flags = fraud.check_visits(db.session, None, now=_now(),
                                        since=since.replace(tzinfo=timezone.utc) if since else None,
                                        upload_dir=_config().upload_dir)
    click.echo(f"Checked {checked} visit(s); they carry {flags} flag(s).")


mail_cli = AppGroup("mail", help="E-mail: send the outbox, write the scheduled reminders and digests.")


def _send_outbox() -> None:
    from audit_app.mail import send_due

    config = _config()
    if not config.smtp_url:
        click.echo("E-mail is off (SMTP_URL is not set): messages stay in the outbox.")
        return
    summary = send_due(current_app._get_current_object(), db.session, config, now=_now())  # type: ignore[attr-defined]
    click.echo(f"Sent {summary.sent}, to retry {summary.retrying}, failed {summary.failed}.")


@mail_cli.command("send")
def mail_send() -> None:
    """Send the outbox messages that are due (new ones and retries whose time has come)."""
    _send_outbox()


@mail_cli.command("scheduled")
@click.option("--no-send", is_flag=True, help="Only write the messages; a worker or `mail send` sends them.")
def mail_scheduled(no_send: bool) -> None:
    """Write the due reminders (due soon, overdue) and this week's digests, note corrective actions that became
    overdue (their history and the action.overdue webhook), run the visit plans once a day, then send the outbox.
    Run it hourly."""
    from audit_app.services import actions, notifications, plans

    overdue_actions = actions.mark_overdue(db.session, now=_now())
    ran = plans.run_due_plans(db.session, now=_now(), once_a_day=True)
    for plan_id, result in ran.items():
        if isinstance(result, Exception):
            click.echo(f"Plan {plan_id}: not run: {result}", err=True)
    summary = notifications.write_scheduled(db.session, now=_now())
    notifications.forget_secrets(db.session, now=_now(),
                                 older_than=timedelta(minutes=_config().password_reset_minutes))
    click.echo(f"Wrote {summary.due_soon} due-soon and {summary.overdue} overdue reminder(s), "
               f"{summary.digests} digest(s); {overdue_actions} corrective action(s) became overdue; "
               f"{len(ran)} visit plan(s) run.")
    if not no_send and not _config().redis_url:
        _send_outbox()


@click.command("run-plans")
def run_plans() -> None:
    """Generate every active visit plan's due assignments and flag (or re-assign) missed windows. Run it daily."""
    from audit_app.services import plans

    for plan_id, result in plans.run_due_plans(db.session, now=_now()).items():
        if isinstance(result, Exception):
            click.echo(f"Plan {plan_id}: not run: {result}", err=True)
            continue
        click.echo(f"Plan {plan_id}: {result.created} created, {result.unassigned} without a shopper, "
                   f"{result.missed} missed, {result.reassigned} re-assigned, {result.done} done.")


webhooks_cli = AppGroup("webhooks", help="Webhook deliveries.")


@webhooks_cli.command("deliver-due")
def deliver_due_webhooks() -> None:
    """Send (or, with REDIS_URL, queue) every webhook delivery that is due: retries, and any whose queueing was
    lost. Run it every minute from cron when no worker runs."""
    from audit_app import webhook_jobs

    click.echo(f"{webhook_jobs.deliver_due(current_app)} delivery(ies) due.")


def init_cli(app: Flask) -> None:
    app.cli.add_command(checklists_cli)
    app.cli.add_command(mail_cli)
    app.cli.add_command(webhooks_cli)
    app.cli.add_command(backup_cli)
    for command in (seed_demo, demo_sign_ins, create_user, import_stores, import_xlsform, check_visits, worker,
                    run_plans):
        app.cli.add_command(command)
