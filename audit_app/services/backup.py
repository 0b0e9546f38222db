"""Backups: the database and the upload directory in one archive, and restoring both from it.

An archive is a gzipped tar holding `manifest.json`, the database (`database.sqlite3`, a copy made with
SQLite's online backup API, or `database.pgdump`, a pg_dump custom-format dump) and `uploads/`.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
# pg_dump and pg_restore run from PATH with a fixed argument list and no shell.
import subprocess  # nosec B404
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Mapping

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import URL, make_url

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
UPLOADS = "uploads"


class BackupError(Exception):
    """A backup or restore refused or failed; the message says why in plain words."""


@dataclass(frozen=True)
class Manifest:
    format_version: int
    revision: str | None
    created_at: str
    dialect: str
    row_counts: Mapping[str, int]
    upload_files: int

    def to_json(self) -> str:
        return json.dumps({"format_version": self.format_version, "revision": self.revision,
                           "created_at": self.created_at, "dialect": self.dialect,
                           "row_counts": dict(self.row_counts), "upload_files": self.upload_files}, indent=2)

    @classmethod
    def from_json(cls, text: str) -> "Manifest":
        try:
            data = json.loads(text)
            return cls(format_version=int(data["format_version"]), revision=data["revision"],
                       created_at=str(data["created_at"]), dialect=str(data["dialect"]),
                       row_counts={str(k): int(v) for k, v in data["row_counts"].items()},
                       upload_files=int(data.get("upload_files", 0)))
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise BackupError(f"The archive's manifest is unreadable ({error}).") from None


@dataclass(frozen=True)
class BackupResult:
    path: Path
    manifest: Manifest


@dataclass(frozen=True)
class RestoreResult:
    manifest: Manifest
    upgraded_from: str | None  # the archive's revision when migrations ran afterwards, else None


# --- reading a database ------------------------------------------------------------------------------


def _dialect(url: URL) -> str:
    if url.get_backend_name() == "sqlite":
        if url.database in (None, "", ":memory:"):
            raise BackupError("An in-memory SQLite database cannot be backed up or restored.")
        return "sqlite"
    if url.get_backend_name() == "postgresql":
        return "postgresql"
    raise BackupError(f"Backups support SQLite and PostgreSQL, not {url.get_backend_name()}.")


def _table_counts(url: URL) -> dict[str, int]:
    """Rows per table (every table in the database, alembic_version included); {} when there are none."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            names = sorted(sa.inspect(conn).get_table_names())
            return {name: conn.execute(sa.select(sa.func.count()).select_from(sa.table(name))).scalar_one()
                    for name in names}
    except sa.exc.OperationalError as error:
        raise BackupError(f"Cannot read the database: {error.orig}") from None
    finally:
        engine.dispose()


def _revision(url: URL, counts: Mapping[str, int]) -> str | None:
    if "alembic_version" not in counts:
        return None
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    finally:
        engine.dispose()


# --- PostgreSQL tools -----------------------------------------------------------------------------------


def _pg_command(tool: str, url: URL | None, *args: str) -> None:
    """Run a PostgreSQL client tool, connected to url (None: no connection, e.g. pg_restore writing SQL)."""
    executable = shutil.which(tool)
    if executable is None:
        raise BackupError(f"{tool} was not found on PATH; install the PostgreSQL client tools "
                          f"(Debian/Ubuntu: apt-get install postgresql-client) matching the server's version.")
    connection = [] if url is None else [
        "--host", url.host or "localhost", "--port", str(url.port or 5432),
        "--username", url.username or "postgres", "--dbname", url.database or "postgres"]
    env = dict(os.environ)
    if url is not None and url.password:
        env["PGPASSWORD"] = str(url.password)  # kept off the command line, where ps would show it
    completed = subprocess.run([executable, *connection, *args], env=env, capture_output=True,  # nosec B603
                               text=True, check=False)
    if completed.returncode != 0:
        raise BackupError(f"{tool} failed: {completed.stderr.strip() or completed.returncode}")


# --- uploads -----------------------------------------------------------------------------------------------


def _files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []


def _replace_uploads(source: Path, upload_dir: Path) -> None:
    """Make upload_dir hold exactly what source holds (the folder itself stays: it may be a mount point)."""
    upload_dir.mkdir(parents=True, exist_ok=True)
    for child in upload_dir.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
    if source.is_dir():
        shutil.copytree(source, upload_dir, dirs_exist_ok=True)


# --- the use cases -----------------------------------------------------------------------------------------


def head_revisions(migrations_dir: Path) -> tuple[str | None, set[str]]:
    """The code's head migration revision and every revision the code knows."""
    script = ScriptDirectory(str(migrations_dir))
    return script.get_current_head(), {rev.revision for rev in script.walk_revisions()}


def create_backup(database_url: str, upload_dir: Path, target_dir: Path, *, now: datetime) -> BackupResult:
    """Write storecheck-backup-<UTC timestamp>.tar.gz into target_dir and return its path and manifest.

    On SQLite the manifest's row counts are those of the copy in the archive; on PostgreSQL they are read just
    before pg_dump takes its snapshot. Raises BackupError when the database is missing or cannot be read,
    pg_dump is missing or fails, or the archive exists.
    """
    url = make_url(database_url)
    dialect = _dialect(url)
    if dialect == "sqlite" and not Path(str(url.database)).is_file():
        raise BackupError(f"There is no database at {url.database}.")
    counts = _table_counts(url)
    target_dir.mkdir(parents=True, exist_ok=True)
    stamp = now.astimezone(timezone.utc)
    archive = target_dir / f"storecheck-backup-{stamp.strftime('%Y%m%dT%H%M%SZ')}.tar.gz"
    if archive.exists():
        raise BackupError(f"{archive} already exists.")
    uploads = _files_under(upload_dir)
    with tempfile.TemporaryDirectory(prefix="storecheck-backup-") as work:
        dump = Path(work) / (SQLITE_FILE if dialect == "sqlite" else PG_FILE)
        if dialect == "sqlite":
            # The backup API copies a consistent snapshot even while the app writes.
            source = sqlite3.connect(url.database)
            copy = sqlite3.connect(dump)
            try:
                with copy:
                    source.backup(copy)
            finally:
                copy.close()
                source.close()
            url = URL.create("sqlite", database=str(dump))
            counts = _table_counts(url)
        else:
            _pg_command("pg_dump", url, "--format=custom", "--no-owner", "--file", str(dump))
        manifest = Manifest(format_version=FORMAT_VERSION, revision=_revision(url, counts),
                            created_at=stamp.isoformat(), dialect=dialect, row_counts=counts,
                            upload_files=len(uploads))
        manifest_path = Path(work) / MANIFEST
        manifest_path.write_text(manifest.to_json(), encoding="utf-8")
        partial = archive.with_name(archive.name + ".partial")
        with tarfile.open(partial, "w:gz") as tar:
            tar.add(manifest_path, arcname=MANIFEST)
            tar.add(dump, arcname=dump.name)
            tar.add(upload_dir if upload_dir.is_dir() else work, arcname=UPLOADS, recursive=False)
            for path in uploads:
                tar.add(path, arcname=f"{UPLOADS}/{path.relative_to(upload_dir).as_posix()}")
        partial.rename(archive)  # a crash never leaves a half-written file under the final name
    return BackupResult(path=archive, manifest=manifest)


def read_manifest(archive: Path) -> Manifest:
    """The manifest of an archive, without extracting the rest. Raises BackupError if it is not a backup."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            member = tar.extractfile(MANIFEST)
            if member is None:
                raise KeyError(MANIFEST)
            return Manifest.from_json(member.read().decode("utf-8"))
    except FileNotFoundError:
        raise BackupError(f"{archive} does not exist.") from None
    except (tarfile.TarError, KeyError, OSError, EOFError, UnicodeDecodeError):
        raise BackupError(f"{archive} is not a Storecheck backup archive.") from None


def restore_backup(archive: Path, database_url: str, upload_dir: Path, *, migrations_dir: Path,
                   upgrade: Callable[[], None], overwrite: bool = False) -> RestoreResult:
    """Replace the database and upload_dir with the archive's; then run `upgrade` if the archive is older.

    Raises BackupError when the archive is unreadable, comes from another database kind or from a newer
    version of the code (a migration revision the code does not know), when the target already has data and
    `overwrite` is false, or when pg_restore or psql is missing or fails (the database is then left as it
    was). Uploads are replaced only after the database was restored.
    """
    manifest = read_manifest(archive)
    if manifest.format_version > FORMAT_VERSION:
        raise BackupError(f"The archive has format {manifest.format_version}; this version reads up to "
                          f"{FORMAT_VERSION}. Upgrade Storecheck first.")
    url = make_url(database_url)
    dialect = _dialect(url)
    if manifest.dialect != dialect:
        raise BackupError(f"The archive holds a {manifest.dialect} database; the configured database is {dialect}.")
    head, known = head_revisions(migrations_dir)
    if manifest.revision is not None and manifest.revision not in known:
        raise BackupError(f"The archive's database is at migration {manifest.revision}, newer than this code "
                          f"(head {head}). Restore it with the version of Storecheck that made it.")
    counts = _table_counts(url)
    has_data = any(n for table, n in counts.items() if table != "alembic_version")
    if has_data and not overwrite:
        raise BackupError("The configured database already has data; pass --yes to replace it and the uploads.")
    with tempfile.TemporaryDirectory(prefix="storecheck-restore-") as work:
        folder = Path(work)
        try:
            with tarfile.open(archive, "r:gz") as tar:
                tar.extractall(folder, filter="data")  # refuses absolute paths, .. and links outside
        except (tarfile.TarError, OSError, EOFError) as error:
            raise BackupError(f"Cannot unpack {archive}: {error}") from None
        dump = folder / (SQLITE_FILE if dialect == "sqlite" else PG_FILE)
        if not dump.is_file():
            raise BackupError(f"{archive} holds no {dump.name}.")
        if dialect == "sqlite":
            _restore_sqlite(dump, Path(str(url.database)))
        else:
            _restore_postgresql(dump, url, sorted(counts), folder / "restore.sql")
        _replace_uploads(folder / UPLOADS, upload_dir)
    upgraded_from = None
    if manifest.revision != head:
        upgrade()
        upgraded_from = manifest.revision
    return RestoreResult(manifest=manifest, upgraded_from=upgraded_from)


def _restore_postgresql(dump: Path, url: URL, existing_tables: list[str], script: Path) -> None:
    """Replace the database's tables with the dump's in one transaction: all of it happens or none.

    --clean drops only what the dump holds; tables and constraints a later migration added would stay and
    break the restore or the upgrade after it, so every existing table is dropped first, in the same script.
    """
    _pg_command("pg_restore", None, "--clean", "--if-exists", "--no-owner", "--file", str(script), str(dump))
    restore = script.read_text(encoding="utf-8")
    quote = postgresql.dialect().identifier_preparer.quote
    drops = "".join(f"DROP TABLE IF EXISTS {quote(name)} CASCADE;\n" for name in existing_tables)
    script.write_text(drops + restore, encoding="utf-8")
    _pg_command("psql", url, "--quiet", "--no-psqlrc", "--single-transaction", "--set", "ON_ERROR_STOP=1",
                "--file", str(script))


def _restore_sqlite(dump: Path, target: Path) -> None:
    """Copy the dump into the target file through the backup API: one write transaction, same file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(dump)
    destination = sqlite3.connect(target, timeout=30)
    try:
        source.backup(destination)
    except sqlite3.Error as error:
        raise BackupError(f"Cannot write the SQLite database {target}: {error}") from None
    finally:
        destination.close()
        source.close()
