"""Backups: an archive of the database and the uploads, restored exactly (SQLite, and PostgreSQL when tested on it)."""

from __future__ import annotations

import io
import json
import tarfile
import uuid
from pathlib import Path
from typing import Any, Callable, Iterator

import flask_migrate
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskCliRunner
from PIL import Image

from audit_app import create_app
from audit_app.config import PROJECT_ROOT
from audit_app.extensions import db
from audit_app.models import Photo, VisitScore
from audit_app.services import backup, photos, visits
from tests.factories import NOW, World, make_config, make_visit

MIGRATIONS = PROJECT_ROOT / "migrations"
ANSWERS = {"greeted": "yes", "helpful": 4, "queue_wait": 100, "self_checkout": "no"}


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "teal").save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def seeded(world: World) -> World:
    """A submitted, scored visit with a photo on disk."""
    visit = make_visit(world.shopper, world.store)
    photos.add_photo(db.session, world.shopper, visit.id, "notes", _jpeg(), upload_dir=world.upload_dir, now=NOW)
    visits.save_answers(db.session, world.shopper, visit.id, ANSWERS, NOW)
    visits.submit_visit(db.session, world.shopper, visit.id, visit.client_uuid, NOW)
    db.session.remove()
    return world


def _rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary-key order."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            rows = {table.name: [tuple(r) for r in conn.execute(sa.select(table).order_by(*table.primary_key))]
                    for table in db.metadata.sorted_tables}
            rows["alembic_version"] = [tuple(r) for r in conn.exec_driver_sql("SELECT * FROM alembic_version")]
            return rows
    finally:
        engine.dispose()


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _never() -> None:
    raise AssertionError("no migration should run for an archive at the head revision")


@pytest.fixture
def throwaway(database_url: str, tmp_path: Path) -> Iterator[Callable[[], str]]:
    """Makes empty databases of the suite's kind (PostgreSQL: created here and dropped afterwards)."""
    made: list[str] = []

    def make() -> str:
        name = f"storecheck_restore_{uuid.uuid4().hex[:12]}"
        if not database_url.startswith("postgresql"):
            return f"sqlite:///{tmp_path / (name + '.db')}"
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        made.append(name)
        return sa.make_url(database_url).set(database=name).render_as_string(hide_password=False)

    admin = sa.create_engine(database_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        yield make
    finally:
        with admin.connect() as conn:
            for name in made:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def target_url(throwaway: Callable[[], str]) -> str:
    return throwaway()


def test_a_restore_brings_back_rows_scores_and_photo_files_exactly(
        app: Flask, seeded: World, database_url: str, target_url: str, tmp_path: Path) -> None:
    before_rows, before_files = _rows(database_url), _files(seeded.upload_dir)
    assert before_rows["visit_scores"] and before_rows["photos"] and len(before_files) == 2

    made = backup.create_backup(database_url, seeded.upload_dir, tmp_path / "backups", now=NOW)
    assert made.path.name == "storecheck-backup-20261120T093000Z.tar.gz"
    assert made.manifest.row_counts["visits"] == 1 and made.manifest.row_counts["photos"] == 1
    assert made.manifest.revision == backup.head_revisions(MIGRATIONS)[0]
    assert backup.read_manifest(made.path) == made.manifest

    uploads = tmp_path / "restored-uploads"
    backup.restore_backup(made.path, target_url, uploads, migrations_dir=MIGRATIONS, upgrade=_never)
    assert _rows(target_url) == before_rows
    assert _files(uploads) == before_files

    # Damage the restored copy: a changed score, a deleted photo row and its files, a stray file.
    engine = sa.create_engine(target_url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.execute(sa.update(VisitScore.__table__).values(grade="Tampered"))
        conn.execute(sa.delete(Photo.__table__))
    engine.dispose()
    for path in list(uploads.rglob("*.jpg")):
        path.unlink()
    (uploads / "stray.txt").write_text("not from the backup")

    with pytest.raises(backup.BackupError, match="already has data"):
        backup.restore_backup(made.path, target_url, uploads, migrations_dir=MIGRATIONS, upgrade=_never)
    backup.restore_backup(made.path, target_url, uploads, migrations_dir=MIGRATIONS, upgrade=_never,
                          overwrite=True)
    assert _rows(target_url) == before_rows
    assert _files(uploads) == before_files


def test_the_commands_restore_the_running_apps_own_sqlite_database(
        runner: FlaskCliRunner, seeded: World, database_url: str, tmp_path: Path) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("in place only on SQLite: the PostgreSQL test restores into a throwaway database")
    before_rows, before_files = _rows(database_url), _files(seeded.upload_dir)
    created = runner.invoke(args=["backup", "create", "--to", str(tmp_path / "b")])
    assert created.exit_code == 0, created.output
    archive = next((tmp_path / "b").glob("*.tar.gz"))

    db.session.execute(sa.update(VisitScore.__table__).values(percent=1))
    db.session.execute(sa.delete(Photo.__table__))
    db.session.commit()
    for path in list(seeded.upload_dir.rglob("*.jpg")):
        path.unlink()

    refused = runner.invoke(args=["backup", "restore", str(archive)])
    assert refused.exit_code != 0 and "--yes" in refused.output
    restored = runner.invoke(args=["backup", "restore", str(archive), "--yes"])
    assert restored.exit_code == 0, restored.output
    assert _rows(database_url) == before_rows
    assert _files(seeded.upload_dir) == before_files


def _with_manifest(archive: Path, out: Path, **changes: Any) -> Path:
    with tarfile.open(archive, "r:gz") as src, tarfile.open(out, "w:gz") as dst:
        for member in src.getmembers():
            data = src.extractfile(member) if member.isfile() else None
            if member.name == backup.MANIFEST:
                manifest = {**json.loads(data.read()), **changes}  # type: ignore[union-attr]
                payload = json.dumps(manifest).encode()
                member.size = len(payload)
                data = io.BytesIO(payload)
            dst.addfile(member, data)
    return out


def test_an_archive_from_newer_code_or_another_database_kind_is_refused(
        app: Flask, world: World, database_url: str, target_url: str, tmp_path: Path) -> None:
    made = backup.create_backup(database_url, world.upload_dir, tmp_path, now=NOW)
    newer = _with_manifest(made.path, tmp_path / "newer.tar.gz", revision="9999")
    with pytest.raises(backup.BackupError, match="newer than this code"):
        backup.restore_backup(newer, target_url, tmp_path / "u", migrations_dir=MIGRATIONS, upgrade=_never)
    other = "postgresql" if database_url.startswith("sqlite") else "sqlite"
    foreign = _with_manifest(made.path, tmp_path / "foreign.tar.gz", dialect=other)
    with pytest.raises(backup.BackupError, match=f"holds a {other} database"):
        backup.restore_backup(foreign, target_url, tmp_path / "u", migrations_dir=MIGRATIONS, upgrade=_never)
    (tmp_path / "junk.tar.gz").write_bytes(b"not an archive")
    with pytest.raises(backup.BackupError, match="not a Storecheck backup"):
        backup.read_manifest(tmp_path / "junk.tar.gz")
    with pytest.raises(backup.BackupError, match="There is no database"):
        backup.create_backup(f"sqlite:///{tmp_path / 'absent.db'}", world.upload_dir, tmp_path, now=NOW)
    assert not (tmp_path / "absent.db").exists()
    with pytest.raises(backup.BackupError, match="already exists"):
        backup.create_backup(database_url, world.upload_dir, tmp_path, now=NOW)


def _migrated(url: str, folder: Path, revision: str = "head") -> Flask:
    other = create_app(make_config(folder, url))
    with other.app_context():
        flask_migrate.upgrade(revision=revision)
        db.engine.dispose()
    return other


def test_an_older_archive_replaces_a_newer_schema_and_is_migrated_up(
        throwaway: Callable[[], str], tmp_path: Path) -> None:
    old_url, new_url = throwaway(), throwaway()
    _migrated(old_url, tmp_path / "old", "0001")
    made = backup.create_backup(old_url, tmp_path / "none", tmp_path / "b", now=NOW)
    assert made.manifest.revision == "0001" and "settings" not in made.manifest.row_counts

    new_app = _migrated(new_url, tmp_path / "new")  # already has the settings table of migration 0002
    with new_app.app_context():
        result = backup.restore_backup(made.path, new_url, tmp_path / "uploads", migrations_dir=MIGRATIONS,
                                       upgrade=flask_migrate.upgrade)
        db.engine.dispose()
    assert result.upgraded_from == "0001"
    rows = _rows(new_url)
    assert rows["alembic_version"] == [(backup.head_revisions(MIGRATIONS)[0],)] and rows["settings"] == []


def test_missing_postgresql_tools_give_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backup.shutil, "which", lambda name: None)
    with pytest.raises(backup.BackupError, match="pg_dump was not found on PATH; install the PostgreSQL client"):
        backup._pg_command("pg_dump", sa.make_url("postgresql+psycopg://u:secret@db.example/storecheck"))
